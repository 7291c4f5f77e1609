"""Types of the lpu dialect: vector bursts and MXM weight tiles, and the
element types they hold."""

from __future__ import annotations

from typing import TypeVar

from xdsl.dialects.builtin import (
    IntAttr,
    IntegerType,
    Signedness,
)
from xdsl.ir import (
    Attribute,
    ParametrizedAttribute,
    TypeAttribute,
)
from xdsl.irdl import (
    irdl_attr_definition,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from lpuir.numerics import bitwidth
from lpuir.types import element_type

ELEMENT_TYPES: dict[str, Attribute] = {
    name: element_type(name)
    for name in ("i8", "i16", "i32", "f16", "bf16", "f32", "i1", "ui8", "ui16", "ui32")
}
"""Element types a vector may hold, by their names (`lpuir.types`). An i1 is a
byte holding 0 or 1; an unsigned integer has its signless type's bits, read
unsigned by the instructions where that matters (compare, max, convert)."""

_ELEMENT_NAMES = {v: k for k, v in ELEMENT_TYPES.items()}

_NAMES_BY_KEY: dict[object, str] = {
    (t.width.data, t.signedness.data) if isinstance(t, IntegerType) else type(t): k
    for t, k in _ELEMENT_NAMES.items()
}
"""The element names by class (floats, which have no parameters) or by width
and signedness (integers): a lookup that hashes no attribute, which costs a
microsecond (the simulator asks once per instruction it runs)."""

WORD_PAIRS: dict[str, Attribute] = {
    name: element_type(name) for name in ("i64", "ui64")
}
"""Element types a tensor (not a vector) may hold, each element as two
adjacent i32 lanes, its low word first (the order its bytes have in
memory): instructions see i32 words (docs/dialect.md "Tensor layout")."""

TENSOR_TYPES: dict[str, Attribute] = {**ELEMENT_TYPES, **WORD_PAIRS}
"""Element types an `lpu.tensor` may declare."""

_TENSOR_NAMES = {v: k for k, v in TENSOR_TYPES.items()}


def tensor_element_name(t: Attribute) -> str:
    """MLIR spelling of a tensor's element type (a vector type or a word
    pair); raises for anything else."""
    if t in _TENSOR_NAMES:
        return _TENSOR_NAMES[t]
    return element_name(t)


def word_element(name: str) -> str:
    """The element type of the vectors that hold a tensor of `name`."""
    return "i32" if name in WORD_PAIRS else name


def element_name(t: Attribute) -> str:
    """MLIR spelling of a vector element type; raises for anything else."""
    name = _NAMES_BY_KEY.get(
        (t.width.data, t.signedness.data) if isinstance(t, IntegerType) else type(t)
    )
    if name is not None:
        return name
    if isinstance(t, IntegerType) and t.signedness.data != Signedness.SIGNLESS:
        raise VerifyException(
            f"LPU vectors hold signless and unsigned integers, not {t}"
        )
    raise VerifyException(
        f"LPU vectors hold i1, i8, ui8, i16, ui16, i32, ui32, f16, bf16 or f32, not {t}"
    )


def element_bytes(name: str) -> int:
    """Bytes per element: the number of adjacent streams a vector occupies
    (for a type vectors do not hold, its size in whole bytes)."""
    return -(-bitwidth(name) // 8)


_Params = TypeVar("_Params", bound=tuple[Attribute, ...])


def _checked(
    cls: type[ParametrizedAttribute], parser: AttrParser, start: int, params: _Params
) -> _Params:
    """Parsed parameters of `cls`, verified where they were written: xDSL would
    verify the attribute only after parsing, with no position in the error."""
    try:
        cls.new(params)
    except VerifyException as e:
        parser.raise_error(str(e), start, parser.pos)
    return params


@irdl_attr_definition
class VectorType(ParametrizedAttribute, TypeAttribute):
    """`count` vectors of one lane-width each, on consecutive cycles (a burst; the
    ICU's Repeat n,1). `!lpu.vec<f32>` is one vector, `!lpu.vec<f32, 4>` four."""

    name = "lpu.vec"

    element_type: Attribute
    count: IntAttr

    def __init__(self, element_type: Attribute | str, count: int = 1):
        if isinstance(element_type, str):
            element_type = ELEMENT_TYPES[element_type]
        super().__init__(element_type, IntAttr(count))

    @property
    def element(self) -> str:
        return element_name(self.element_type)

    @property
    def n(self) -> int:
        return self.count.data

    def verify(self) -> None:
        element_name(self.element_type)
        if self.count.data < 1:
            raise VerifyException(
                f"a vector burst holds at least one vector, not {self.count.data}"
            )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[Attribute, IntAttr]:
        start = parser.pos
        with parser.in_angle_brackets():
            element = parser.parse_type()
            count = (
                parser.parse_integer() if parser.parse_optional_punctuation(",") else 1
            )
        return _checked(cls, parser, start, (element, IntAttr(count)))

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_attribute(self.element_type)
            if self.count.data != 1:
                printer.print_string(f", {self.count.data}")


@irdl_attr_definition
class WeightsType(ParametrizedAttribute, TypeAttribute):
    """A weight tile installed in one MXM plane (K rows of one lane-width each)."""

    name = "lpu.weights"

    element_type: Attribute

    @property
    def element(self) -> str:
        return element_name(self.element_type)

    def verify(self) -> None:
        if element_name(self.element_type) not in ("i8", "f16", "bf16"):
            raise VerifyException(
                f"MXM weights are i8, f16 or bf16, not {self.element_type}"
            )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[Attribute]:
        start = parser.pos
        with parser.in_angle_brackets():
            element = parser.parse_type()
        return _checked(cls, parser, start, (element,))

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_attribute(self.element_type)
