"""The .lpu frontend: text (grammar/lpu.lark) to lpu dialect IR.

Every op gets a `file:line:col` location, and every error, syntactic or
semantic, is an `LpuError` that names the position and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable
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


@cache
def _lark() -> Lark:
    grammar = files("lpuir.grammar").joinpath("lpu.lark").read_text()
    return Lark(
        grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False
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
) -> ModuleOp:
    """Parse .lpu text into a module holding one lpu.system; `line_offset` is
    added to reported lines (for a chunk of a split input file). Extension
    instructions of installed distributions are known from here on."""
    from lpuir.extensions import instruction_classes

    try:
        tree = _lark().parse(text)
    except UnexpectedInput as e:
        raise LpuError(_syntax_message(e, filename, line_offset)) from None
    return _Builder(filename, ctx, line_offset, instruction_classes()).module(tree)


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


def _int(token: Token) -> int:
    text = str(token)
    return int(text, 16) if text.startswith("0x") else int(text)


def _str(token: Token) -> str:
    return str(token)[1:-1]


class _Builder:
    """Builds IR from the parse tree, keeping the SSA scope of one chip."""

    def __init__(
        self,
        filename: str,
        ctx: Context | None,
        line_offset: int,
        classes: dict[str, type[lpu.Instruction]],
    ):
        self.filename = filename
        self.classes = classes
        """Every instruction class by mnemonic, extensions included."""
        self.line_offset = line_offset
        self.ctx = ctx
        self.values: dict[str, SSAValue] = {}

    def error(self, node: Tree | Token, message: str) -> LpuError:
        line, col = (
            (node.line, node.column)
            if isinstance(node, Token)
            else (node.meta.line, node.meta.column)
        )
        return LpuError(
            f"{self.filename}:{line + self.line_offset}:{col}: error: {message}"
        )

    def located(self, op: Operation, node: Tree) -> Operation:
        op.location = FileLineColLoc(
            StringAttr(self.filename),
            IntAttr(node.meta.line + self.line_offset),
            IntAttr(node.meta.column),
        )
        return op

    # ---------------------------------------------------------------- structure

    def module(self, tree: Tree) -> ModuleOp:
        system_tree = next(
            (c for c in tree.children if isinstance(c, Tree) and c.data == "system"),
            None,
        )
        machine = (
            self.machine(system_tree) if system_tree is not None else lpu.SystemAttr()
        )
        static = None
        if system_tree is not None:
            cycles = [
                c
                for c in system_tree.children
                if isinstance(c, Tree) and c.data == "static_cycles"
            ]
            static = _int(cycles[0].children[0]) if cycles else None
        chips = [
            self.chip(c)
            for c in tree.children
            if isinstance(c, Tree) and c.data == "chip"
        ]
        system = lpu.SystemOp(machine, chips, static)
        if system_tree is not None:
            self.located(system, system_tree)
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
        return self.located(lpu.ChipOp(_int(chip_id), ops), tree)  # type: ignore[return-value]

    def tensor(self, tree: Tree) -> lpu.TensorOp:
        symbol, shape_type, kind, *rest = tree.children
        *dims, element = str(shape_type).split("x")
        ttype = TensorType(lpu.ELEMENT_TYPES[element], [int(d) for d in dims])
        props: dict[str, Attribute] = {
            "sym_name": StringAttr(str(symbol)[1:]),
            "type": ttype,
            "kind": StringAttr(str(kind)),
        }
        for item in rest:
            if isinstance(item, Token):
                props["arg"] = IntAttr(_int(item))
            elif item.data == "cols":
                props["cols"] = IntAttr(_int(item.children[0]))
            elif item.data == "row_lanes":
                props["row_lanes"] = IntAttr(_int(item.children[0]))
            elif item.data == "placement":
                props["slice"] = StringAttr(str(item.children[0]))
                props["address"] = IntAttr(_int(item.children[1]))
            else:
                props["value"] = self.dense(item.children[0], ttype)
        return self.located(lpu.TensorOp.create(properties=props), tree)  # type: ignore[return-value]

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
            cycle = _int(children[0].children[0])
            children = children[1:]
        (body,) = children
        op = getattr(self, body.data)(body)
        if cycle is not None:
            op.properties["cycle"] = IntAttr(cycle)
        return self.located(op, tree)

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
        self, trees: list[Tree]
    ) -> tuple[list[SSAValue], list[Attribute] | None]:
        """SSA values and their sources; sources must be all present or all absent."""
        values: list[SSAValue] = []
        sources: list[Attribute] = []
        for t in trees:
            values.append(self.use(t.children[0]))
            if len(t.children) > 1:
                src = t.children[1].children
                sources.append(
                    lpu.AluAttr(_int(src[0]))
                    if src[0].type == "INT"
                    else _stream(src[0])
                )
        if sources and len(sources) != len(values):
            raise self.error(
                trees[0],
                "give a stream source for every operand of a scheduled instruction, or for none",
            )
        return values, sources or None

    def parts(self, tree: Tree) -> dict[str, Any]:
        """Children by rule name (subtrees) or terminal type (tokens)."""
        out: dict[str, Any] = {}
        for c in tree.children:
            key = c.data if isinstance(c, Tree) else c.type
            out.setdefault(key, []).append(c)
        return out

    def build(
        self,
        cls: type[Operation],
        parts: dict[str, Any],
        operands: list[SSAValue],
        props: dict[str, Attribute],
        result_type: Attribute | None,
    ) -> Operation:
        srcs = self.operands(parts.get("operand", []))[1]
        if srcs is not None:
            props["srcs"] = ArrayAttr(srcs)
        if "dst" in parts:
            props["dst"] = _stream(parts["dst"][0].children[0])
        return cls.create(
            operands=operands,
            properties=props,
            result_types=[result_type] if result_type else [],
        )

    def vtype(self, tree: Tree) -> lpu.VectorType:
        element, *count = tree.children
        return self.checked(
            tree, lambda: lpu.VectorType(str(element), _int(count[0]) if count else 1)
        )

    def tensor_ref(self, token: Token) -> SymbolRefAttr:
        return SymbolRefAttr(str(token)[1:])

    def vector_ref(self, p: dict[str, Any]) -> dict[str, Attribute]:
        """`@t[i]` or `@t[i step s]`."""
        props: dict[str, Attribute] = {
            "tensor": self.tensor_ref(p["SYMBOL"][0]),
            "index": IntAttr(_int(p["INT"][0])),
        }
        if "step" in p:
            props["step"] = IntAttr(_int(p["step"][0].children[0]))
        return props

    def mem_read(self, tree: Tree) -> Operation:
        p = self.parts(tree)
        props = self.vector_ref(p)
        return self.define(
            p["VALUE"][0],
            self.build(lpu.ReadOp, p, [], props, self.vtype(p["vtype"][0])),
        )

    def mem_write(self, tree: Tree) -> Operation:
        p = self.parts(tree)
        values, _ = self.operands(p["operand"])
        return self.build(lpu.WriteOp, p, values, self.vector_ref(p), None)

    def mem_gather(self, tree: Tree) -> Operation:
        p = self.parts(tree)
        values, _ = self.operands(p["operand"])
        op = self.build(
            lpu.GatherOp,
            p,
            values,
            {"tensor": self.tensor_ref(p["SYMBOL"][0])},
            self.vtype(p["vtype"][0]),
        )
        return self.define(p["VALUE"][0], op)

    def mem_scatter(self, tree: Tree) -> Operation:
        p = self.parts(tree)
        values, _ = self.operands(p["operand"])
        return self.build(
            lpu.ScatterOp, p, values, {"tensor": self.tensor_ref(p["SYMBOL"][0])}, None
        )

    def unit_instruction(self, tree: Tree, unit: str) -> Operation:
        """A VXM or SXM instruction, by mnemonic: its `ARGUMENTS`, operands,
        placement and result."""
        p = self.parts(tree)
        mnemonic = p[f"{unit}_OP"][0]
        known = {
            name: cls
            for name, cls in self.classes.items()
            if unit == cls.UNIT and name.startswith(f"{unit.lower()}.")
        }
        cls = known.get(str(mnemonic))
        if cls is None:
            raise self.error(
                mnemonic,
                f"unknown {unit} instruction '{mnemonic}' (known: {', '.join(sorted(known))})",
            )
        values, _ = self.operands(p["operand"])
        arity = len(cls.STREAM_OPERANDS)
        if unit == "VXM" and len(values) != arity:
            raise self.error(
                mnemonic, f"{mnemonic} takes {arity} operand(s), not {len(values)}"
            )
        props = self.arguments(cls, p, mnemonic)
        for rule, name in (("alu", "alu"), ("hemisphere", "hemisphere")):
            if rule in p:
                value = p[rule][0].children[0]
                props[name] = (
                    IntAttr(_int(value)) if rule == "alu" else StringAttr(str(value))
                )
        return self.define(
            p["VALUE"][0], self.build(cls, p, values, props, self.vtype(p["vtype"][0]))
        )

    def arguments(
        self, cls: type[lpu.Instruction], p: dict[str, Any], mnemonic: Token
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
            token = p[_ARGUMENT_TERMINALS[name]][0]
            if name == "amount":
                props[name] = IntAttr(_int(token))
            elif name == "map":
                lanes = [_int(t) for t in token.children]
                props[name] = self.checked(
                    token, partial(DenseArrayBase.from_list, i32, lanes)
                )
            else:
                props[name] = StringAttr(str(token))
        return props

    def vxm(self, tree: Tree) -> Operation:
        return self.unit_instruction(tree, "VXM")

    def sxm(self, tree: Tree) -> Operation:
        return self.unit_instruction(tree, "SXM")

    def plane(self, p: dict[str, Any], props: dict[str, Attribute]) -> None:
        if "plane" in p:
            hemisphere, plane = str(p["plane"][0].children[0]).split(".")
            props["hemisphere"] = StringAttr(hemisphere)
            props["plane"] = IntAttr(int(plane))

    def mxm_install(self, tree: Tree) -> Operation:
        p = self.parts(tree)
        values, _ = self.operands(p["operand"])
        props: dict[str, Attribute] = {}
        self.plane(p, props)
        wtype = self.checked(
            p["wtype"][0],
            lambda: lpu.WeightsType(lpu.ELEMENT_TYPES[str(p["wtype"][0].children[0])]),
        )
        return self.define(
            p["VALUE"][0], self.build(lpu.InstallOp, p, values, props, wtype)
        )

    def mxm_matmul(self, tree: Tree) -> Operation:
        p = self.parts(tree)
        result, weights = p["VALUE"]
        values = [self.use(weights), *self.operands(p["operand"])[0]]
        if "acc" in p:
            values.append(self.use(p["acc"][0].children[0]))
        props: dict[str, Attribute] = {}
        self.plane(p, props)
        return self.define(
            result,
            self.build(lpu.MatmulOp, p, values, props, self.vtype(p["vtype"][0])),
        )

    def port(self, p: dict[str, Any], props: dict[str, Attribute]) -> None:
        if "port" in p:
            props["port"] = IntAttr(_int(p["port"][0].children[0]))

    def c2c_send(self, tree: Tree) -> Operation:
        p = self.parts(tree)
        values, _ = self.operands(p["operand"])
        props: dict[str, Attribute] = {
            "to": IntAttr(_int(p["INT"][0])),
            "channel": StringAttr(_str(p["STRING"][0])),
        }
        self.port(p, props)
        return self.build(lpu.SendOp, p, values, props, None)

    def c2c_recv(self, tree: Tree) -> Operation:
        p = self.parts(tree)
        props: dict[str, Attribute] = {
            "sender": IntAttr(_int(p["INT"][0])),
            "channel": StringAttr(_str(p["STRING"][0])),
        }
        self.port(p, props)
        return self.define(
            p["VALUE"][0],
            self.build(lpu.RecvOp, p, [], props, self.vtype(p["vtype"][0])),
        )

    def c2c_forward(self, tree: Tree) -> Operation:
        channel, in_port, out_port = tree.children
        props = {
            "channel": StringAttr(_str(channel)),
            "in_port": IntAttr(_int(in_port)),
            "out_port": IntAttr(_int(out_port)),
        }
        return lpu.ForwardOp.create(properties=props)

    def bare(self, tree: Tree) -> Operation:
        mnemonic, *count = tree.children
        cls = self.classes[str(mnemonic)]
        if (cls is lpu.NopOp) != bool(count):
            raise self.error(mnemonic, "icu.nop, and only icu.nop, takes a cycle count")
        return cls.create(
            properties={"count": IntAttr(_int(count[0]))} if count else {}
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
