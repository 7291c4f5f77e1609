"""The .lpu frontend: text (grammar/lpu.lark) to lpu dialect IR.

Every op gets a `file:line:col` location, and every error, syntactic or
semantic, is an `LpuError` that names the position and what was expected.

Text laid out one item per line, as the printer writes it and people do, is
read line by line: an instruction line by a hand-written lexer (`_FastLines`,
one regular expression per instruction form, built from the grammar's own
terminals), any other line by lark on that line alone, with no parse tree of
the whole file. Anything else (an item over several lines, two on one line,
a syntax error) is read by lark's LALR parser over the whole text, which
defines what is valid and says what was expected. Both paths build through
one `_Builder`, so they make the same IR.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache, partial
from importlib.resources import files
from typing import Any, TypeVar

from lark import (
    Lark,
    Token,
    Tree,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from xdsl.context import Context
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FileLineColLoc,
    IntAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    TensorType,
    i32,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.utils.exceptions import ParseError, VerifyException

from lpuir.diagnostics import LpuError
from lpuir.dialects import lpu

_TERMINALS = {
    "VALUE": "an SSA value like %x",
    "SYMBOL": "a tensor name like @x",
    "STREAM": "a stream like S3E or S0W",
    "SLICE": "a MEM slice like W4 or E0",
    "HEMISPHERE": "a hemisphere, W or E",
    "PLANE": "an MXM plane like W.0",
    "ELEMENT": "an element type (i1, i8, ui8, i16, ui16, i32, ui32, f16, bf16, f32)",
    "SHAPE_TYPE": "a tensor type like 4x320xf32",
    "TENSOR_KIND": "input, output, weight or scratch",
    "VXM_OP": "a VXM instruction like vxm.add",
    "SXM_OP": "an SXM instruction like sxm.shift",
    "BARE_OP": "c2c.deskew, icu.nop, icu.notify or icu.sync",
    "PREDICATE": "a predicate (eq, ne, lt, le, gt, ge)",
    "DIRECTION": "north or south",
    "DENSE": "a dense<...> value",
    "INT": "an integer",
    "NAME": "a parameter name",
    "STRING": 'a string like "x"',
    "$END": "end of input",
}

Parts = dict[str, list[Any]]
"""An item's pieces by rule or terminal name, as the builder reads them:
terminals as text (a token where the builder may report an error at it);
`operand` as (VALUE, source token or None); `vtype` as
(ELEMENT, INT or None); `int_list` as (the "[" token, INT tokens); `wtype` as
a token of its element at the position of "weights"; the one-token rules
(`dst`, `step`, `alu`, `hemisphere`, `plane`, `acc`, `port`) as that token."""


def _grammar() -> str:
    return files("lpuir.grammar").joinpath("lpu.lark").read_text()


@cache
def _lark() -> Lark:
    return Lark(
        _grammar(), parser="lalr", propagate_positions=True, maybe_placeholders=False
    )


@cache
def _line_lark() -> Lark:
    """The grammar's system header, tensor and instruction rules, for one
    line at a time (a parser of its own: extra start rules would change the
    whole-text parser's tables and so its messages)."""
    return Lark(
        _grammar(),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=False,
        start=["system", "tensor", "instr"],
    )


def _describe(names: set[str]) -> str:
    readable = sorted(_TERMINALS[n] if n in _TERMINALS else _literal(n) for n in names)
    return (
        ", ".join(readable)
        if len(readable) < 12
        else ", ".join(readable[:12]) + ", ..."
    )


def _literal(terminal: str) -> str:
    pattern = _lark().get_terminal(terminal).pattern
    return f"'{pattern.value}'" if pattern.type == "str" else terminal.lower()


def parse_lpu(
    text: str,
    filename: str = "<stdin>",
    ctx: Context | None = None,
    line_offset: int = 0,
    *,
    whole: bool = False,
) -> ModuleOp:
    """Parse .lpu text into a module holding one lpu.system; `line_offset` is
    added to reported lines (for a chunk of a split input file). `whole`:
    read it with lark over the whole text, as any layout but one item per
    line is read (the same IR, slower). Extension instructions of installed
    distributions are known from here on."""
    from lpuir.extensions import instruction_classes

    classes = instruction_classes()
    if not whole:
        try:
            module = _Builder(filename, ctx, line_offset, classes).lines(text)
        except LpuError:
            _parse_whole(text, filename, line_offset)  # a syntax error comes first
            raise
        if module is not None:
            return module
    tree = _parse_whole(text, filename, line_offset)
    return _Builder(filename, ctx, line_offset, classes).module(tree)


def _parse_whole(text: str, filename: str, line_offset: int) -> Tree:
    try:
        return _lark().parse(text)
    except UnexpectedInput as e:
        raise LpuError(_syntax_message(e, filename, line_offset)) from None


def _syntax_message(e: UnexpectedInput, filename: str, line_offset: int) -> str:
    where = f"{filename}:{e.line + line_offset}:{e.column}"
    if isinstance(e, UnexpectedToken):
        got = "end of input" if e.token.type == "$END" else f"'{e.token}'"
        return f"{where}: error: unexpected {got}; expected {_describe(set(e.accepts or e.expected))}"
    if isinstance(e, UnexpectedCharacters):
        return f"{where}: error: unexpected character '{e.char}'; expected {_describe(set(e.allowed or ()))}"
    assert isinstance(e, UnexpectedEOF)
    return f"{where}: error: unexpected end of input; expected {_describe(set(e.expected))}"


_A = TypeVar("_A", bound=Attribute)


def _int(token: str) -> int:
    text = str(token)
    return int(text, 16) if text.startswith("0x") else int(text)


def _str(token: Token) -> str:
    return str(token)[1:-1]


_WRAPPERS = ("dst", "step", "alu", "hemisphere", "plane", "acc", "port")
"""Rules that wrap one token (grammar/lpu.lark)."""


def _parts(tree: Tree) -> Parts:
    """An instruction rule's parse tree as `Parts`."""
    out: Parts = {}
    for c in tree.children:
        if isinstance(c, Token):
            out.setdefault(c.type, []).append(c)
            continue
        rule = c.data
        if rule == "operand":
            value, *source = c.children
            item: Any = (value, source[0].children[0] if source else None)
        elif rule == "vtype":
            element, *count = c.children
            item = (element, count[0] if count else None)
        elif rule == "int_list":
            bracket = Token("int_list", "[", line=c.meta.line, column=c.meta.column)
            item = (bracket, list(c.children))
        elif rule == "wtype":
            element = c.children[0]
            item = Token("wtype", str(element), line=c.meta.line, column=c.meta.column)
        else:
            assert rule in _WRAPPERS, rule
            item = c.children[0]
        out.setdefault(rule, []).append(item)
    return out


_TOKEN_GROUPS = {
    **{
        name: (name, name)
        for name in (
            "VALUE",
            "SYMBOL",
            "VXM_OP",
            "SXM_OP",
            "PREDICATE",
            "DIRECTION",
            "STRING",
            "BARE_OP",
            "INT",
        )
    },
    "weights": ("VALUE", "VALUE"),
    "INT2": ("INT", "INT"),
    "dst": ("dst", "STREAM"),
    "step": ("step", "INT"),
    "alu": ("alu", "INT"),
    "hemisphere": ("hemisphere", "HEMISPHERE"),
    "plane": ("plane", "PLANE"),
    "acc": ("acc", "VALUE"),
    "port": ("port", "INT"),
}
"""A form's groups that are one token: (the part it fills, its terminal), in
the order the grammar's rules list them (a matmul's result before its
weights, a forward's in port before its out port)."""

_LOCATED = frozenset(("VALUE", "VXM_OP", "SXM_OP", "BARE_OP"))
"""Terminals the builder may report an error at (the others it reads as text)."""


class _FastLines:
    """The hand-written lexer of instruction lines: one regular expression
    per instruction form of grammar/lpu.lark, made of the grammar's own
    terminal patterns (each matched atomically, as lark's lexer takes the
    longest token), that reads a whole line or declines it. A line it
    declines goes to lark."""

    def __init__(self) -> None:
        lark = _lark()

        def t(name: str, group: str | None = None) -> str:
            pattern = lark.get_terminal(name).pattern.to_regexp()
            return f"(?P<{group}>(?>{pattern}))" if group else f"(?>{pattern})"

        s = r"[ \t\f\r]*"
        value, integer, stream = t("VALUE"), t("INT"), t("STREAM")
        operand = rf"{value}(?:{s}\[{s}(?:{stream}|alu{s}{integer}){s}\])?"
        operands = rf"{operand}(?:{s},{s}{operand})*"
        result = rf"{t('VALUE', 'VALUE')}{s}={s}"
        dst = rf"(?:{s}->{s}{t('STREAM', 'dst')})?"
        vtype = (
            rf"{s}:{s}{t('ELEMENT', 'element')}(?:{s}\[{s}{t('INT', 'count')}{s}\])?"
        )
        index = rf"{s}\[{s}{t('INT', 'INT')}(?:{s}step{s}{t('INT', 'step')})?{s}\]"
        symbol = t("SYMBOL", "SYMBOL")
        plane = rf"(?:{s}on{s}{t('PLANE', 'plane')})?"
        port = rf"(?:{s}port{s}{t('INT', 'port')})?"
        forms = {
            "mem_read": rf"{result}mem\.read{s}{symbol}{index}{dst}{vtype}",
            "mem_write": rf"mem\.write{s}(?P<operand>{operand}){s}->{s}{symbol}{index}",
            "mem_gather": rf"{result}mem\.gather{s}{symbol}{s}\[{s}(?P<operand>{operand}){s}\]{dst}{vtype}",
            "mem_scatter": rf"mem\.scatter{s}(?P<operand>{operand}){s}->{s}{symbol}{s}\[{s}(?P<operand2>{operand}){s}\]",
            "vxm": rf"{result}{t('VXM_OP', 'VXM_OP')}(?:{s}{t('PREDICATE', 'PREDICATE')})?{s}(?P<operands>{operands})(?:{s}alu{s}{t('INT', 'alu')})?{dst}{vtype}",
            "sxm": rf"{result}{t('SXM_OP', 'SXM_OP')}(?:{s}{t('DIRECTION', 'DIRECTION')})?(?:{s}{t('INT', 'INT')})?"
            rf"(?:{s}(?P<int_list>\[{s}(?:{integer}(?:{s},{s}{integer})*)?{s}\]))?{s}(?P<operand>{operand})"
            rf"(?:{s}on{s}{t('HEMISPHERE', 'hemisphere')})?{dst}{vtype}",
            "mxm_install": rf"{result}mxm\.install{s}(?P<operands>{operands}){plane}{s}:{s}(?P<wtype>weights){s}<{s}{t('ELEMENT', 'welement')}{s}>",
            "mxm_matmul": rf"{result}mxm\.matmul{s}{t('VALUE', 'weights')}{s},{s}(?P<operand>{operand})(?:{s}acc{s}{t('VALUE', 'acc')})?{plane}{dst}{vtype}",
            "c2c_send": rf"c2c\.send{s}(?P<operand>{operand}){s}to{s}{t('INT', 'INT')}{s}{t('STRING', 'STRING')}{port}",
            "c2c_recv": rf"{result}c2c\.recv{s}from{s}{t('INT', 'INT')}{s}{t('STRING', 'STRING')}{port}{dst}{vtype}",
            "c2c_forward": rf"c2c\.forward{s}{t('STRING', 'STRING')}{s}port{s}{t('INT', 'INT')}{s}->{s}port{s}{t('INT', 'INT2')}",
            "bare": rf"{t('BARE_OP', 'BARE_OP')}(?:{s}{t('INT', 'INT')})?",
        }
        head = rf"{s}(?:@{s}{t('INT', 'cycle')}{s})?"
        tail = rf"{s}(?://[^\n]*)?"
        self.forms = {
            rule: re.compile(head + form + tail) for rule, form in forms.items()
        }
        self.bare = re.compile(lark.get_terminal("BARE_OP").pattern.to_regexp())
        self.tokens = {
            rule: [
                (group, *_TOKEN_GROUPS[group])
                for group in pattern.groupindex
                if group in _TOKEN_GROUPS
            ]
            for rule, pattern in self.forms.items()
        }
        """Per form, its groups that are one token: (group, part, terminal)."""
        self.mnemonic = re.compile(
            rf"{s}(?:@{s}{integer}{s})?(?:{value}{s}={s})?([a-z0-9]+)\.([a-z]+)"
        )
        self.operand = re.compile(
            rf"({value})(?:{s}\[{s}(?:({stream})|alu{s}({integer})){s}\])?"
        )
        self.integer = re.compile(integer)
        chip_open = rf"{s}chip{s}{t('INT', 'INT')}{s}\{{{tail}"
        chip_close = rf"{s}\}}{tail}"
        self.chip_open, self.chip_close = re.compile(chip_open), re.compile(chip_close)
        self.chip_opens, self.chip_closes = (
            re.compile(rf"^{line}$", re.M) for line in (chip_open, chip_close)
        )
        """The same lines found in a whole text (`chip_lines`)."""
        self.blank = re.compile(tail)

    def rule(self, line: str) -> str | None:
        """The instruction form a line's mnemonic names, if any."""
        m = self.mnemonic.match(line)
        if m is None:
            return None
        unit, name = m.groups()
        if unit in ("vxm", "sxm"):
            return unit
        if self.bare.fullmatch(f"{unit}.{name}"):
            return "bare"
        rule = f"{unit}_{name}"
        return rule if rule in self.forms else None

    def read(self, line: str) -> tuple[str, Parts, Token | None, int] | None:
        """An instruction line as (rule, parts, cycle, column), or None."""
        rule = self.rule(line)
        m = self.forms[rule].fullmatch(line) if rule is not None else None
        if m is None:
            return None
        assert rule is not None
        parts: Parts = {}
        for group, key, kind in self.tokens[rule]:
            text = m.group(group)
            if text is not None:
                if kind in _LOCATED:
                    text = Token(kind, text, None, 1, m.start(group) + 1)
                parts.setdefault(key, []).append(text)
        for group in ("operand", "operands", "operand2"):
            if group in m.re.groupindex and m.group(group) is not None:
                parts.setdefault("operand", []).extend(self.operands(m, group))
        if "element" in m.re.groupindex:
            count = m.group("count")
            parts["vtype"] = [
                (
                    Token(
                        "ELEMENT", m.group("element"), None, 1, m.start("element") + 1
                    ),
                    None
                    if count is None
                    else Token("INT", count, None, 1, m.start("count") + 1),
                )
            ]
        if rule == "mxm_install":
            element = m.group("welement")
            parts["wtype"] = [Token("wtype", element, None, 1, m.start("wtype") + 1)]
        if rule == "sxm" and m.group("int_list") is not None:
            start = m.start("int_list")
            ints = [
                Token("INT", i.group(), None, 1, start + i.start() + 1)
                for i in self.integer.finditer(m.group("int_list"))
            ]
            parts["int_list"] = [(Token("int_list", "[", None, 1, start + 1), ints)]
        cycle = m.group("cycle")
        column = len(line) - len(line.lstrip(" \t\f\r")) + 1
        return (
            rule,
            parts,
            None
            if cycle is None
            else Token("INT", cycle, None, 1, m.start("cycle") + 1),
            column,
        )

    def operands(self, m: re.Match[str], group: str) -> Iterator[tuple[Token, Any]]:
        base = m.start(group) + 1
        for o in self.operand.finditer(m.group(group)):
            value = Token("VALUE", o.group(1), None, 1, base + o.start(1))
            stream, alu = o.group(2), o.group(3)
            if stream is not None:
                yield value, Token("STREAM", stream, None, 1, base + o.start(2))
            elif alu is not None:
                yield value, Token("INT", alu, None, 1, base + o.start(3))
            else:
                yield value, None


@cache
def _fast_lines() -> _FastLines:
    return _FastLines()


def chip_lines() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The lines that open (the chip id in group INT: `chip_id`) and close
    a chip block, as the line-by-line reader reads them, to search a whole
    text for: a scan of a text too long to split into lines
    (sim_stream.scan) finds the blocks the parser reads."""
    fast = _fast_lines()
    return fast.chip_opens, fast.chip_closes


def chip_id(line: re.Match[str]) -> int:
    """The chip id of a line `chip_lines` found opening a chip block."""
    return _int(line.group("INT"))


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number from 1, line) without a list of all lines."""
    start, number = 0, 1
    while start <= len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield number, text[start:end]
        start, number = end + 1, number + 1


_Header = tuple[lpu.SystemAttr, int | None, FileLineColLoc]


class _Declined(Exception):
    """The text is not laid out one item per line (or has a syntax error):
    lark reads it whole."""


class _Builder:
    """Builds IR from parsed items, keeping the SSA scope of one chip.
    Attributes that repeat (integers, streams, tensor names, vector types)
    are made once."""

    def __init__(
        self,
        filename: str,
        ctx: Context | None,
        line_offset: int,
        classes: dict[str, type[lpu.Instruction]],
    ):
        self.filename = filename
        self.file_attr = StringAttr(filename)
        self.classes = classes
        """Every instruction class by mnemonic, extensions included."""
        self.base_offset = line_offset
        self.line_offset = line_offset
        """Added to the lines of the item being built (a line read alone
        is line 1 of its own text)."""
        self.ctx = ctx
        self.values: dict[str, SSAValue] = {}
        self.attrs: dict[tuple[str, str], Attribute] = {}

    def error(self, node: Tree | Token, message: str) -> LpuError:
        line, col = (
            (node.line, node.column)
            if isinstance(node, Token)
            else (node.meta.line, node.meta.column)
        )
        return LpuError(
            f"{self.filename}:{line + self.line_offset}:{col}: error: {message}"
        )

    def located(self, op: Operation, line: int, column: int) -> Operation:
        op.location = FileLineColLoc(
            self.file_attr, IntAttr(line + self.line_offset), self.int(column)
        )
        return op

    def int(self, value: int) -> IntAttr:
        key = ("int", str(value))
        found = self.attrs.get(key)
        if found is None:
            found = self.attrs[key] = IntAttr(value)
        return found  # type: ignore[return-value]

    def cached(self, kind: str, text: str, make: Callable[[], Attribute]) -> Any:
        key = (kind, str(text))
        found = self.attrs.get(key)
        if found is None:
            found = self.attrs[key] = make()
        return found

    # ---------------------------------------------------------------- structure

    def lines(self, text: str) -> ModuleOp | None:
        """The module, read line by line; None if the text is not laid out
        one item per line or has a syntax error (lark reads it whole)."""
        try:
            return self._lines(text)
        except _Declined:
            return None

    def _lines(self, text: str) -> ModuleOp:
        fast = _fast_lines()
        header: _Header | None = None
        chips: list[lpu.ChipOp] = []
        chip: tuple[Token, int, list[Operation]] | None = None
        for number, line in _lines(text):
            self.line_offset = self.base_offset + number - 1
            if chip is not None:
                read = fast.read(line)
                if read is not None:
                    rule, parts, cycle, column = read
                    chip[2].append(
                        self.build_instruction(rule, parts, cycle, 1, column)
                    )
                elif fast.chip_close.fullmatch(line):
                    chip_id, start, ops = chip
                    self.line_offset = self.base_offset + start - 1
                    chips.append(self.chip_op(chip_id, ops))
                    chip = None
                elif line.lstrip().startswith("tensor"):
                    chip[2].append(self.tensor(self.line_tree(line, "tensor")))
                elif not fast.blank.fullmatch(line):
                    chip[2].append(self.instruction(self.line_tree(line, "instr")))
            elif (m := fast.chip_open.fullmatch(line)) is not None:
                self.values = {}
                word = line.index("chip") + 1
                chip = (Token("INT", m.group("INT"), line=1, column=word), number, [])
            elif line.lstrip().startswith("system") and header is None and not chips:
                header = self.header(self.line_tree(line, "system"))
            elif not fast.blank.fullmatch(line):
                raise _Declined
        if chip is not None:
            raise _Declined
        return self.system(header, chips)

    def line_tree(self, line: str, rule: str) -> Tree:
        try:
            return _line_lark().parse(line, start=rule)
        except UnexpectedInput:
            raise _Declined from None

    def module(self, tree: Tree) -> ModuleOp:
        system_tree = next(
            (c for c in tree.children if isinstance(c, Tree) and c.data == "system"),
            None,
        )
        header = self.header(system_tree) if system_tree is not None else None
        chips = [
            self.chip(c)
            for c in tree.children
            if isinstance(c, Tree) and c.data == "chip"
        ]
        return self.system(header, chips)

    def header(self, tree: Tree) -> _Header:
        """The system line: machine, static cycle count and location."""
        cycles = [
            c
            for c in tree.children
            if isinstance(c, Tree) and c.data == "static_cycles"
        ]
        static = _int(cycles[0].children[0]) if cycles else None
        location = FileLineColLoc(
            self.file_attr,
            IntAttr(tree.meta.line + self.line_offset),
            IntAttr(tree.meta.column),
        )
        return self.machine(tree), static, location

    def system(self, header: _Header | None, chips: list[lpu.ChipOp]) -> ModuleOp:
        if header is None:
            return ModuleOp([lpu.SystemOp(lpu.SystemAttr(), chips, None)])
        machine, static, location = header
        system = lpu.SystemOp(machine, chips, static)
        system.location = location
        return ModuleOp([system])

    def overrides(self, tree: Tree | None) -> dict[str, Attribute]:
        out: dict[str, Attribute] = {}
        for item in tree.children if tree is not None else ():
            name, value = item.children
            if str(name) in out:
                raise self.error(name, f"parameter '{name}' is given twice")
            out[str(name)] = (
                StringAttr(_str(value))
                if value.type == "STRING"
                else self.checked(value, partial(IntegerAttr, _int(value), i64))
            )
        return out

    def checked(self, node: Tree | Token, make: Callable[[], _A]) -> _A:
        """An attribute built from the text; what its verifier says is located at `node`."""
        try:
            return make()
        except (VerifyException, ValueError) as e:
            raise self.error(
                node, str(e.args[0]) if e.args else type(e).__name__
            ) from None

    def machine(self, tree: Tree) -> lpu.SystemAttr:
        preset, *rest = tree.children
        trees = {c.data: c for c in rest if isinstance(c, Tree)}
        overrides = self.overrides(trees.get("overrides"))
        if "chip_machine" in trees:
            chip_preset, *chip_rest = trees["chip_machine"].children
            if "chip" in overrides:
                raise self.error(
                    chip_preset,
                    "the chip is given twice (as parameter 'chip' and after 'with chip')",
                )
            chip_overrides = self.overrides(chip_rest[0] if chip_rest else None)
            overrides["chip"] = self.checked(
                chip_preset, lambda: lpu.ChipAttr(_str(chip_preset), chip_overrides)
            )
        return self.checked(preset, lambda: lpu.SystemAttr(_str(preset), overrides))

    def chip(self, tree: Tree) -> lpu.ChipOp:
        chip_id, *items = tree.children
        self.values = {}
        ops = [
            self.tensor(item) if item.data == "tensor" else self.instruction(item)
            for item in items
        ]
        start = Token("INT", chip_id, line=tree.meta.line, column=tree.meta.column)
        return self.chip_op(start, ops)

    def chip_op(self, chip_id: Token, ops: list[Operation]) -> lpu.ChipOp:
        """A chip; `chip_id` is at the position of the word `chip`. A tensor
        declared twice is named at its second declaration (the symbol table's
        own check would name only the chip)."""
        first: dict[str, FileLineColLoc] = {}
        for op in ops:
            if isinstance(op, lpu.TensorOp):
                where = op.location
                assert isinstance(where, FileLineColLoc)
                seen = first.setdefault(op.sym_name.data, where)
                if seen is not where:
                    raise LpuError(
                        f"{self.filename}:{where.line.data}:{where.column.data}: error: "
                        f"tensor @{op.sym_name.data} is declared twice on chip "
                        f"{chip_id} (first at line {seen.line.data})"
                    )
        chip = lpu.ChipOp(_int(chip_id), ops)
        return self.located(chip, chip_id.line, chip_id.column)  # type: ignore[return-value]

    def tensor(self, tree: Tree) -> lpu.TensorOp:
        symbol, shape_type, kind, *rest = tree.children
        *dims, element = str(shape_type).split("x")
        ttype = TensorType(lpu.TENSOR_TYPES[element], [int(d) for d in dims])
        props: dict[str, Attribute] = {
            "sym_name": StringAttr(str(symbol)[1:]),
            "type": ttype,
            "kind": StringAttr(str(kind)),
        }
        for item in rest:
            if isinstance(item, Token):
                props["arg"] = IntAttr(_int(item))
            elif item.data in ("lead", "cols"):
                props[str(item.data)] = IntAttr(_int(item.children[0]))
            elif item.data == "row_chunk":
                props["row_chunk"] = DenseArrayBase.from_list(
                    i64, [_int(c) for c in item.children]
                )
            elif item.data == "row_lanes":
                props["row_lanes"] = IntAttr(_int(item.children[0]))
            elif item.data == "placement":
                props["slice"] = StringAttr(str(item.children[0]))
                props["address"] = IntAttr(_int(item.children[1]))
            else:
                props["value"] = self.dense(item.children[0], ttype)
        op = lpu.TensorOp.create(properties=props)
        return self.located(op, tree.meta.line, tree.meta.column)  # type: ignore[return-value]

    def dense(self, token: Token, ttype: TensorType) -> DenseIntOrFPElementsAttr:
        from lpuir.context import make_context
        from lpuir.frontend import LocatedParser

        text = f"{token} : {ttype}"
        try:
            attr = LocatedParser(
                self.ctx or make_context(), text, self.filename
            ).parse_attribute()
        except ParseError as e:
            raise self.error(token, f"bad tensor value: {e.msg}") from None
        except (VerifyException, ValueError, OverflowError) as e:  # xDSL's own checks
            raise self.error(
                token, f"bad tensor value: {e.args[0] if e.args else type(e).__name__}"
            ) from None
        if not isinstance(attr, DenseIntOrFPElementsAttr):
            raise self.error(token, "a tensor value is a dense<...> literal")
        return attr

    # ------------------------------------------------------------- instructions

    def instruction(self, tree: Tree) -> Operation:
        children = tree.children
        cycle = None
        if isinstance(children[0], Tree) and children[0].data == "cycle":
            cycle = children[0].children[0]
            children = children[1:]
        (body,) = children
        return self.build_instruction(
            body.data, _parts(body), cycle, tree.meta.line, tree.meta.column
        )

    def build_instruction(
        self, rule: str, parts: Parts, cycle: Token | None, line: int, column: int
    ) -> Operation:
        """An instruction of form `rule` (a rule of grammar/lpu.lark) at
        (line, column), issued at `cycle` if given."""
        op = getattr(self, rule)(parts)
        if cycle is not None:
            op.properties["cycle"] = self.int(_int(cycle))
        return self.located(op, line, column)

    def use(self, token: Token) -> SSAValue:
        name = str(token)[1:]
        if name not in self.values:
            raise self.error(
                token, f"%{name} is used before it is defined on this chip"
            )
        return self.values[name]

    def define(self, token: Token, op: Operation) -> Operation:
        name = str(token)[1:]
        if name in self.values:
            raise self.error(token, f"%{name} is defined twice on this chip")
        self.values[name] = op.results[0]
        if SSAValue.is_valid_name(name):  # else (%0, %1x) the printer numbers it
            op.results[0].name_hint = name
        return op

    def operands(
        self, operands: list[tuple[Token, Token | None]]
    ) -> tuple[list[SSAValue], list[Attribute] | None]:
        """SSA values and their sources; sources must be all present or all absent."""
        values: list[SSAValue] = []
        sources: list[Attribute] = []
        for value, src in operands:
            values.append(self.use(value))
            if src is not None:
                sources.append(
                    self.cached("alu", src, lambda: lpu.AluAttr(_int(src)))  # noqa: B023
                    if src.type == "INT"
                    else self.stream(src)
                )
        if sources and len(sources) != len(values):
            raise self.error(
                operands[0][0],
                "give a stream source for every operand of a scheduled instruction, or for none",
            )
        return values, sources or None

    def stream(self, token: Token) -> lpu.StreamAttr:
        return self.cached("stream", token, lambda: _stream(token))

    def build(
        self,
        cls: type[Operation],
        parts: Parts,
        operands: list[SSAValue],
        props: dict[str, Attribute],
        result_type: Attribute | None,
    ) -> Operation:
        srcs = self.operands(parts.get("operand", []))[1]
        if srcs is not None:
            props["srcs"] = ArrayAttr(srcs)
        if "dst" in parts:
            props["dst"] = self.stream(parts["dst"][0])
        return cls.create(
            operands=operands,
            properties=props,
            result_types=[result_type] if result_type else [],
        )

    def vtype(self, vtype: tuple[Token, Token | None]) -> lpu.VectorType:
        element, count = vtype
        n = _int(count) if count is not None else 1
        return self.cached(
            "vtype",
            f"{element}[{n}]",
            lambda: self.checked(element, lambda: lpu.VectorType(str(element), n)),
        )

    def tensor_ref(self, token: Token) -> SymbolRefAttr:
        return self.cached("symbol", token, lambda: SymbolRefAttr(str(token)[1:]))

    def vector_ref(self, p: Parts) -> dict[str, Attribute]:
        """`@t[i]` or `@t[i step s]`."""
        props: dict[str, Attribute] = {
            "tensor": self.tensor_ref(p["SYMBOL"][0]),
            "index": self.int(_int(p["INT"][0])),
        }
        if "step" in p:
            props["step"] = self.int(_int(p["step"][0]))
        return props

    def mem_read(self, p: Parts) -> Operation:
        props = self.vector_ref(p)
        return self.define(
            p["VALUE"][0],
            self.build(lpu.ReadOp, p, [], props, self.vtype(p["vtype"][0])),
        )

    def mem_write(self, p: Parts) -> Operation:
        values, _ = self.operands(p["operand"])
        return self.build(lpu.WriteOp, p, values, self.vector_ref(p), None)

    def mem_gather(self, p: Parts) -> Operation:
        values, _ = self.operands(p["operand"])
        op = self.build(
            lpu.GatherOp,
            p,
            values,
            {"tensor": self.tensor_ref(p["SYMBOL"][0])},
            self.vtype(p["vtype"][0]),
        )
        return self.define(p["VALUE"][0], op)

    def mem_scatter(self, p: Parts) -> Operation:
        values, _ = self.operands(p["operand"])
        return self.build(
            lpu.ScatterOp, p, values, {"tensor": self.tensor_ref(p["SYMBOL"][0])}, None
        )

    def unit_instruction(self, p: Parts, unit: str) -> Operation:
        """A VXM or SXM instruction, by mnemonic: its `ARGUMENTS`, operands,
        placement and result."""
        mnemonic = p[f"{unit}_OP"][0]
        cls = self.classes.get(str(mnemonic))
        if cls is None or unit != cls.UNIT:
            known = sorted(
                name
                for name, c in self.classes.items()
                if unit == c.UNIT and name.startswith(f"{unit.lower()}.")
            )
            raise self.error(
                mnemonic,
                f"unknown {unit} instruction '{mnemonic}' (known: {', '.join(known)})",
            )
        values, _ = self.operands(p["operand"])
        arity = len(cls.STREAM_OPERANDS)
        if unit == "VXM" and len(values) != arity:
            raise self.error(
                mnemonic, f"{mnemonic} takes {arity} operand(s), not {len(values)}"
            )
        props = self.arguments(cls, p, mnemonic)
        if "alu" in p:
            props["alu"] = self.int(_int(p["alu"][0]))
        if "hemisphere" in p:
            props["hemisphere"] = self.cached(
                "str", p["hemisphere"][0], lambda: StringAttr(str(p["hemisphere"][0]))
            )
        return self.define(
            p["VALUE"][0], self.build(cls, p, values, props, self.vtype(p["vtype"][0]))
        )

    def arguments(
        self, cls: type[lpu.Instruction], p: Parts, mnemonic: Token
    ) -> dict[str, Attribute]:
        """The properties written before the operands, as the class's
        `ARGUMENTS` say (each kind of argument has its own token)."""
        given = {k for k in _ARGUMENT_TERMINALS.values() if k in p}
        if given != {_ARGUMENT_TERMINALS[a] for a in cls.ARGUMENTS}:
            form = " ".join(_ARGUMENT_FORMS[a] for a in cls.ARGUMENTS) or "no argument"
            what = "operand" if len(cls.STREAM_OPERANDS) == 1 else "operands"
            raise self.error(mnemonic, f"{mnemonic} takes {form} before its {what}")
        props: dict[str, Attribute] = {}
        for name in cls.ARGUMENTS:
            item = p[_ARGUMENT_TERMINALS[name]][0]
            if name == "amount":
                props[name] = self.int(_int(item))
            elif name == "map":
                bracket, ints = item
                lanes = [_int(t) for t in ints]
                props[name] = self.checked(
                    bracket, partial(DenseArrayBase.from_list, i32, lanes)
                )
            else:
                props[name] = self.cached("str", item, lambda: StringAttr(str(item)))  # noqa: B023
        return props

    def vxm(self, p: Parts) -> Operation:
        return self.unit_instruction(p, "VXM")

    def sxm(self, p: Parts) -> Operation:
        return self.unit_instruction(p, "SXM")

    def plane(self, p: Parts, props: dict[str, Attribute]) -> None:
        if "plane" in p:
            hemisphere, plane = str(p["plane"][0]).split(".")
            props["hemisphere"] = self.cached(
                "str", hemisphere, lambda: StringAttr(hemisphere)
            )
            props["plane"] = self.int(int(plane))

    def mxm_install(self, p: Parts) -> Operation:
        values, _ = self.operands(p["operand"])
        props: dict[str, Attribute] = {}
        self.plane(p, props)
        wtype = p["wtype"][0]
        weights = self.cached(
            "wtype",
            wtype,
            lambda: self.checked(
                wtype, lambda: lpu.WeightsType(lpu.ELEMENT_TYPES[str(wtype)])
            ),
        )
        return self.define(
            p["VALUE"][0], self.build(lpu.InstallOp, p, values, props, weights)
        )

    def mxm_matmul(self, p: Parts) -> Operation:
        result, weights = p["VALUE"]
        values = [self.use(weights), *self.operands(p["operand"])[0]]
        if "acc" in p:
            values.append(self.use(p["acc"][0]))
        props: dict[str, Attribute] = {}
        self.plane(p, props)
        return self.define(
            result,
            self.build(lpu.MatmulOp, p, values, props, self.vtype(p["vtype"][0])),
        )

    def port(self, p: Parts, props: dict[str, Attribute]) -> None:
        if "port" in p:
            props["port"] = self.int(_int(p["port"][0]))

    def c2c_send(self, p: Parts) -> Operation:
        values, _ = self.operands(p["operand"])
        props: dict[str, Attribute] = {
            "to": self.int(_int(p["INT"][0])),
            "channel": StringAttr(_str(p["STRING"][0])),
        }
        self.port(p, props)
        return self.build(lpu.SendOp, p, values, props, None)

    def c2c_recv(self, p: Parts) -> Operation:
        props: dict[str, Attribute] = {
            "sender": self.int(_int(p["INT"][0])),
            "channel": StringAttr(_str(p["STRING"][0])),
        }
        self.port(p, props)
        return self.define(
            p["VALUE"][0],
            self.build(lpu.RecvOp, p, [], props, self.vtype(p["vtype"][0])),
        )

    def c2c_forward(self, p: Parts) -> Operation:
        in_port, out_port = p["INT"]
        props = {
            "channel": StringAttr(_str(p["STRING"][0])),
            "in_port": self.int(_int(in_port)),
            "out_port": self.int(_int(out_port)),
        }
        return lpu.ForwardOp.create(properties=props)

    def bare(self, p: Parts) -> Operation:
        mnemonic = p["BARE_OP"][0]
        count = p.get("INT", [])
        cls = self.classes[str(mnemonic)]
        if (cls is lpu.NopOp) != bool(count):
            raise self.error(mnemonic, "icu.nop, and only icu.nop, takes a cycle count")
        return cls.create(
            properties={"count": self.int(_int(count[0]))} if count else {}
        )


def _stream(token: Token) -> lpu.StreamAttr:
    text = str(token)
    return lpu.StreamAttr((int(text[1:-1]), text[-1]))


_ARGUMENT_TERMINALS = {
    "predicate": "PREDICATE",
    "direction": "DIRECTION",
    "amount": "INT",
    "map": "int_list",
}
"""The token each kind of instruction argument is written as (grammar/lpu.lark)."""

_ARGUMENT_FORMS = {
    "predicate": "a predicate (eq, ne, lt, le, gt, ge)",
    "direction": "north|south",
    "amount": "N",
    "map": "[lane map]",
}
"""How an error message names each kind of argument."""
