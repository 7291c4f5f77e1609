"""Text to IR, for every tool: MLIR (with a file:line:col on every op) or .lpu.

The MLIR parser is xDSL's, hardened in lpuir's own layer (a subclass, never an
edited copy of xDSL 0.74) so that bad input gets a located error instead of a
crash, a hang or a silently changed value: string literals lex in linear time,
a splat `dense<v>` is expanded without a Python list and only up to
`MAX_DENSE_BYTES`, a literal its type cannot hold is an error at the literal,
ops nest at most `MAX_NESTING` deep, and any other exception xDSL raises on
malformed text is reported at the op or the attribute it was parsing.

Frontends are registered by name in `FRONTENDS` (the name is also the file
extension they read); lpu-opt and lpu-run offer every one.
"""

from __future__ import annotations

import math
import re
import struct
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from xdsl.context import Context
from xdsl.dialects.builtin import (
    AnyFloat,
    BytesAttr,
    DenseIntOrFPElementsAttr,
    FileLineColLoc,
    FloatAttr,
    IndexType,
    IntAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    StringAttr,
    TensorType,
    UnknownLoc,
)
from xdsl.ir import Attribute, Operation
from xdsl.parser import AttrParser, Parser
from xdsl.parser.generic_parser import ParserState
from xdsl.utils.exceptions import ParseError, VerifyException
from xdsl.utils.lexer import Input, Position, Span
from xdsl.utils.mlir_lexer import MLIRLexer, MLIRTokenKind

from lpuir.context import make_context
from lpuir.diagnostics import LpuError

MAX_NESTING = 64
"""Ops nested deeper than this are an error: every later pass, verifier and
printer walks regions recursively, so the parser bounds the depth once."""

MAX_DENSE_BYTES = 1 << 30
"""The largest splat `dense<v> : T` lpuir expands (1 GiB): a splat's text is a
few characters whatever the size of its type."""

MALFORMED = (
    ValueError,
    OverflowError,
    IndexError,
    KeyError,
    AssertionError,
    TypeError,
    struct.error,
    VerifyException,
)
"""What xDSL 0.74's parsers raise, besides ParseError, on malformed text (a
VerifyException: a constraint checked while an op's custom syntax is read)."""


class _Lexer(MLIRLexer):
    """xDSL's lexer, with its string-literal pattern made possessive: the same
    language, but an unterminated string fails in linear time (xDSL's nested
    `(...+|...)*` backtracks exponentially in the length of the line)."""

    _unescaped_characters_regex = re.compile(
        r'"(?:[^"\\\n\v\f]++|\\(?:["nt\\]|[0-9A-Fa-f]{2}))*+"'
    )


SMALLEST_OVERFLOW = 65504.0
"""No float type overflows below f16's largest finite value."""


def infinity_bits(element: AnyFloat) -> str:
    """The bit pattern MLIR writes for +infinity in `element`, as `0x7C00`."""
    raw = element.pack([math.inf])
    return f"0x{int.from_bytes(raw, 'little'):0{2 * len(raw)}X}"


def fits(value: float, element: AnyFloat) -> bool:
    """Whether a finite decimal value rounds to a finite value of `element`
    (xDSL packs f16/f32 with an OverflowError, bf16 silently to infinity)."""
    try:
        back = next(iter(element.iter_unpack(element.pack([float(value)]))))
    except OverflowError:
        return False
    return math.isfinite(back)


def _value_range(element: IntegerType | IndexType) -> tuple[int, int]:
    """The integers a type holds, [low, high); index is 64-bit, as in MLIR."""
    if isinstance(element, IndexType):
        return -(1 << 63), 1 << 63
    return element.value_range()


def _is_hex(literal: str) -> bool:
    return literal.lstrip("-").lower().startswith("0x")


@dataclass
class _Element(AttrParser._TensorLiteralElement):
    """A dense literal's element; a hexadecimal one of a float type is a bit
    pattern, which `LocatedParser._bit_patterns` sets after xDSL has built the
    attribute (xDSL would pack the integer's value, overflowing f16 at 0xFFE0)."""

    def to_float(self, parser: AttrParser) -> float:
        hexadecimal = isinstance(self.value, int) and _is_hex(self.span.text)
        return 0.0 if hexadecimal else super().to_float(parser)


class LocatedParser(Parser):
    """xDSL's MLIR parser, but an op without an explicit `loc(...)` gets the
    position it was parsed at, so every later error and every lowered op can
    point back into the user's file; and bad input is a located ParseError
    (module docstring)."""

    def __init__(self, ctx: Context, text: str, name: str, line_offset: int = 0):
        super().__init__(ctx, "", name)
        self._parser_state = ParserState(_Lexer(Input(text, name)))
        self._name = name
        self._line_offset = line_offset
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self._depth = 0
        self._literal: list[Any] = []
        self._dense_type: Attribute | None = None

    def _text(self, start: Position, end: Position) -> str:
        return str(self.lexer.input.content[start:end]).strip()

    def _malformed(self, e: BaseException, start: Position, what: str) -> NoReturn:
        """A located error for what xDSL raised, spanning from `start` to
        where the parser stopped (at most to the end of the line)."""
        detail = str(e) or type(e).__name__
        line_end = self.lexer.input.content.find("\n", start)
        end = self.pos if line_end < 0 else min(self.pos, line_end)
        self.raise_error(f"{what}: {detail}", start, max(end, start + 1))

    # ------------------------------------------------------------ operations

    def parse_operation(self) -> Operation:
        start = self._current_token.span.start
        if self._depth >= MAX_NESTING:
            self.raise_error(
                f"ops nested more than {MAX_NESTING} deep (lpuir's limit)",
                self._current_token.span,
            )
        self._depth += 1
        try:
            op = super().parse_operation()
        except MALFORMED as e:
            name = re.match(r'(?:%[^=]*=\s*)?"?([\w.$-]+)', self._text(start, self.pos))
            what = f"malformed '{name.group(1)}'" if name else "malformed op"
            self._malformed(e, start, what)
        finally:
            self._depth -= 1
        if isinstance(op.location, UnknownLoc):
            line = bisect_right(self._line_starts, start)
            column = start - self._line_starts[line - 1] + 1
            op.location = FileLineColLoc(
                StringAttr(self._name),
                IntAttr(line + self._line_offset),
                IntAttr(column),
            )
        return op

    def _located(
        self, parse: Callable[[], Attribute | None], what: str
    ) -> Attribute | None:
        start = self.pos
        try:
            return parse()
        except MALFORMED as e:
            self._malformed(e, start, f"malformed {what}")

    def parse_optional_attribute(self) -> Attribute | None:
        return self._located(super().parse_optional_attribute, "attribute")

    def parse_optional_type(self) -> Attribute | None:
        return self._located(super().parse_optional_type, "type")

    # -------------------------------------------------------------- literals

    def parse_optional_builtin_int_or_float_attr(self) -> Any:
        """`3.0e38 : f16` is an error at the literal (xDSL raises an
        OverflowError for f16/f32 and rounds bf16 to infinity silently)."""
        start = self.pos
        hexadecimal = self._current_token.text[:2].lower() == "0x"
        try:
            attr = super().parse_optional_builtin_int_or_float_attr()
        except OverflowError:
            self._resume_from(start)
            attr = self._float_attr_text()
            self.raise_error(self._too_large(*attr), start, self.pos)
        except (ValueError, VerifyException) as e:
            self._malformed(e, start, f"'{self._text(start, self.pos)}'")
        if isinstance(attr, IntegerAttr) and isinstance(attr.type, IndexType):
            low, high = _value_range(attr.type)
            if not low <= attr.value.data < high:
                text = self._text(start, self.pos)
                self.raise_error(
                    f"{text.partition(':')[0].strip()} does not fit in index: its values are {low} .. {high - 1}",
                    start,
                    self.pos,
                )
        if (
            isinstance(attr, FloatAttr)
            and not hexadecimal
            and not fits(attr.value.data, attr.type)
        ):
            self._resume_from(start)
            self.raise_error(self._too_large(*self._float_attr_text()), start, self.pos)
        return attr

    def _float_attr_text(self) -> tuple[str, AnyFloat]:
        """Re-read `value : type` (after a failure): the value's text and the type."""
        start = self.pos
        self.parse_optional_number()
        literal = self._text(start, self.pos)
        return literal, self._parse_attribute_type()

    @staticmethod
    def _too_large(literal: str, element: AnyFloat) -> str:
        return f"{literal} does not fit in {element.name}: it rounds to infinity (write {infinity_bits(element)} for infinity)"

    def _parse_tensor_literal(self) -> Any:
        # recorded so that the elements just parsed (with their spans) can be
        # checked against the literal's type
        literal = super()._parse_tensor_literal()
        self._literal = literal[0]
        return literal

    def _parse_tensor_literal_element(self) -> Any:
        item = super()._parse_tensor_literal_element()
        item.__class__ = _Element  # the same fields; cheaper than a copy
        return item

    def _parse_dense_literal_type(self) -> Any:
        self._dense_type = super()._parse_dense_literal_type()
        return self._dense_type

    def _splat(self, type: Any) -> tuple[Any, Position] | None:
        """The full type of the `dense<...>` literal at the parser's position
        and where it ends, if the literal is a splat (one value, or one
        element's bytes in hex, for the whole type); None otherwise. The
        position is left where it was."""
        start = self.pos
        self.parse_punctuation("<", " in dense attribute")
        if self._current_token.kind in (MLIRTokenKind.L_SQUARE, MLIRTokenKind.GREATER):
            self._resume_from(start)
            return None
        hex_string = self.parse_optional_str_literal()
        if hex_string is None:
            self._parse_tensor_literal()
        self.parse_punctuation(">", " in dense attribute")
        if type is None:
            self.parse_punctuation(":", " in dense attribute")
            type = self._parse_dense_literal_type()
        end = self.pos
        self._resume_from(start)
        element = type.element_type
        if (
            hex_string is not None
            and len(hex_string) != 2 + 2 * element.compile_time_size
        ):
            return None  # the whole data in hex: as long as the text
        count = math.prod(type.get_shape())
        size = count * element.compile_time_size
        if size > MAX_DENSE_BYTES:
            self.raise_error(
                f"a splat of {count} {element} elements ({size} bytes) is more than lpuir expands ({MAX_DENSE_BYTES >> 30} GiB)",
                start,
                end,
            )
        return type, end

    def parse_dense_int_or_fp_elements_attr(
        self, type: Any
    ) -> DenseIntOrFPElementsAttr:
        """xDSL's dense literal, with a splat expanded as bytes (not as a list
        of Python values), each value checked against the type at its own
        position, and MLIR's bit patterns for floats: MLIR prints a float with
        no exact decimal form (inf, NaN) as `0xff800000`, which xDSL 0.74 reads
        back as the integer's value."""
        start = self.pos
        splat = self._splat(type)
        one = TensorType(splat[0].element_type, []) if splat else type
        self._literal, self._dense_type = [], one
        try:
            attr = super().parse_dense_int_or_fp_elements_attr(one)
        except (OverflowError, ValueError, struct.error) as e:
            self._check_literal()
            self._malformed(e, start, "malformed dense literal")
        self._check_literal()
        attr = self._bit_patterns(attr)
        if splat is None:
            return attr
        full, end = splat
        self._resume_from(end)
        count = math.prod(full.get_shape())
        return DenseIntOrFPElementsAttr(full, BytesAttr(attr.data.data * count))

    def _check_literal(self) -> None:
        """Each element of the literal just parsed fits its element type: a
        located error at the first that does not."""
        if self._dense_type is None:
            return
        element = self._dense_type.element_type
        for item in self._literal:
            value, span = item.value, item.span
            if isinstance(value, tuple | bool):
                continue
            if isinstance(element, AnyFloat):
                if isinstance(value, int) and _is_hex(span.text):
                    if not 0 <= value < 1 << element.bitwidth:
                        self.raise_error(
                            f"{span.text} is not a {element.bitwidth}-bit pattern of {element.name}",
                            span,
                        )
                elif abs(value) >= SMALLEST_OVERFLOW and not fits(value, element):
                    self.raise_error(self._too_large(span.text, element), span)
            elif isinstance(element, IntegerType | IndexType):
                low, high = _value_range(element)
                if not low <= value < high:
                    self.raise_error(
                        f"{span.text} does not fit in {element}: its values are {low} .. {high - 1}",
                        span,
                    )

    def _bit_patterns(self, attr: DenseIntOrFPElementsAttr) -> DenseIntOrFPElementsAttr:
        """Hexadecimal elements of a float literal read as bit patterns."""
        element = attr.get_element_type()
        if not isinstance(element, AnyFloat):
            return attr
        patterns = {
            i: item.value
            for i, item in enumerate(self._literal)
            if isinstance(item.value, int) and _is_hex(item.span.text)
        }
        if not patterns:
            return attr
        values = list(attr.get_values())
        size = element.compile_time_size
        for i, bits in patterns.items():
            raw = bits.to_bytes(size, "little")
            values[i] = next(iter(element.iter_unpack(raw)))
        return DenseIntOrFPElementsAttr.from_list(attr.type, values)


def as_text(source: str | bytes, name: str) -> str:
    """A file's content as text; bytes that are not UTF-8 are a located error."""
    if isinstance(source, str):
        return source
    data = source
    try:
        return data.decode()
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise LpuError(
            f"{name}:{line}:{column}: error: byte 0x{data[e.start]:02x} is not UTF-8 text"
        ) from None


def looks_like_lpu(text: str) -> bool:
    """LPU text starts (after comments) with `system` or `chip`."""
    for line in text.splitlines():
        stripped = line.split("//", 1)[0].strip()
        if stripped:
            return re.match(r"(system|chip)\b", stripped) is not None
    return False


def parse_mlir(
    source: str | bytes,
    name: str,
    ctx: Context,
    line_offset: int,
    implicit_module: bool,
) -> ModuleOp:
    """MLIR text; nesting beyond Python's stack (deep attributes) is located
    where the parser stopped."""
    parser = LocatedParser(ctx, as_text(source, name), name, line_offset)
    if implicit_module and parser._current_token.kind == MLIRTokenKind.EOF:
        # nothing but comments: an empty module, as in MLIR, located at the file
        empty = ModuleOp([])
        empty.location = FileLineColLoc(
            StringAttr(name), IntAttr(1 + line_offset), IntAttr(1)
        )
        return empty
    try:
        return parser.parse_module(implicit_module)
    except RecursionError:
        pass
    where = Span(parser.pos, parser.pos + 1, parser.lexer.input)
    raise ParseError(where, "nested too deeply for lpuir's parser")


def parse_lpu(
    source: str | bytes,
    name: str,
    ctx: Context,
    line_offset: int,
    implicit_module: bool,
) -> ModuleOp:
    """.lpu text (grammar/lpu.lark)."""
    from lpuir.grammar.parser import parse_lpu

    return parse_lpu(as_text(source, name), name, ctx, line_offset)


Frontend = Callable[[str | bytes, str, Context, int, bool], ModuleOp]
"""A parser: (the file's text, or its bytes as read, its name, a context, the
line offset of a --split-input-file chunk, whether a module may be implicit)
-> module. Text frontends read bytes as UTF-8 (`as_text`); a binary format
takes them as they are."""

FRONTENDS: dict[str, Frontend] = {"mlir": parse_mlir, "lpu": parse_lpu}
"""Frontends by name, which is also the file extension each reads: register
one here and lpu-opt (`-f NAME`) and lpu-run offer it."""


def detect_frontend(source: str | bytes, name: str) -> str:
    """The frontend for a file: by its extension, else by its content."""
    extension = name.rpartition(".")[2]
    if extension in FRONTENDS and extension != "mlir":
        return extension
    text = source if isinstance(source, str) else source.decode(errors="replace")
    return "lpu" if looks_like_lpu(text) else "mlir"


def parse_source(
    text: str | bytes,
    name: str,
    *,
    frontend: str | None = None,
    ctx: Context | None = None,
    line_offset: int = 0,
    implicit_module: bool = True,
) -> ModuleOp:
    """Parse MLIR or .lpu text, or any registered format (chosen by
    `frontend`, else by the name's extension, else by content); errors carry
    file:line:col."""
    parse = FRONTENDS[frontend or detect_frontend(text, name)]
    return parse(text, name, ctx or make_context(), line_offset, implicit_module)
