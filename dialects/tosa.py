"""The TOSA 1.0 dialect, as upstream MLIR prints it today.

xDSL 0.74 ships 21 tosa ops, some in pre-1.0 forms (`tosa.matmul` demands the
input element type for its result and a batch of 1, `tosa.mul` its input type).
`TOSA` merges the stock ops that are right (`avg_pool2d`, `cond_if`, `yield`)
with lpuir's definitions of everything else, following the TOSA 1.0 spec and
upstream's TosaOps.td: operand, result and property names, zero points and
shifts as operands, shapes as `!tosa.shape<N>` values made by
`tosa.const_shape`.

Every op here reads and prints both forms `mlir-opt` accepts: the generic one
(`"tosa.add"(%a, %b) : (...) -> ...`) and upstream's custom one
(`tosa.add %a, %b {attrs} : (...) -> ...`), where the enum properties
(`nan_mode`, `rounding_mode`) are bare keywords and a default `nan_mode` is
left out, as upstream's TosaOps.cpp does.

The verifiers check what the reference interpreter and the compiler rely on:
ranked static shapes, TOSA's broadcast rule (equal ranks, each dimension equal
or 1), axis ranges, and the spec's element types.
"""

from __future__ import annotations

import math
from abc import ABC
from collections.abc import Sequence
from math import prod
from typing import ClassVar

from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    I32,
    I64,
    AnyFloat,
    BFloat16Type,
    BoolAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    FloatAttr,
    IndexType,
    IntAttr,
    IntegerAttr,
    IntegerType,
    TensorType,
)
from xdsl.dialects.tosa import (
    NanMode,
    RoundingMode,
)
from xdsl.dialects.utils import EnumAttribute
from xdsl.interfaces import HasFolderInterface
from xdsl.ir import (
    Attribute,
    Dialect,
    OpResult,
    ParametrizedAttribute,
    SSAValue,
    TypeAttribute,
)
from xdsl.irdl import (
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    lazy_traits_def,
    operand_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import AttrParser, Parser, UnresolvedOperand
from xdsl.printer import Printer
from xdsl.traits import Commutative, ConstantLike, HasParent, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

# --------------------------------------------------------------------------- #
# Attributes and types
# --------------------------------------------------------------------------- #


class _BareEnumSyntax:
    """`#tosa.nan_mode<PROPAGATE>`: upstream's `Tosa_I32EnumAttr` syntax (the
    stock xDSL attributes quote the keyword, which upstream does not read)."""

    data: NanMode | RoundingMode
    enum_type: ClassVar[type[NanMode] | type[RoundingMode]]

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string(self.data.value)

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> NanMode | RoundingMode:
        with parser.in_angle_brackets():
            return parser.parse_str_enum(cls.enum_type)


@irdl_attr_definition
class NanModeAttr(_BareEnumSyntax, EnumAttribute[NanMode]):
    """How `maximum`, `minimum`, `clamp`, `reduce_max/min` and `argmax` treat NaN."""

    name = "tosa.nan_mode"


@irdl_attr_definition
class RoundingModeAttr(_BareEnumSyntax, EnumAttribute[RoundingMode]):
    """The rounding of `tosa.rescale`."""

    name = "tosa.rounding_mode"


@irdl_attr_definition
class ShapeType(ParametrizedAttribute, TypeAttribute):
    """`!tosa.shape<N>`: a list of N indices known at compile time (TOSA 1.0
    passes shapes, slice bounds, paddings and multiples as such values)."""

    name = "tosa.shape"

    rank: IntAttr

    def __init__(self, rank: int):
        super().__init__(IntAttr(rank))

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_int(self.rank.data)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[IntAttr]:
        with parser.in_angle_brackets():
            return (IntAttr(parser.parse_integer(allow_negative=False)),)


_ENUM_KEYWORDS: dict[str, type[NanModeAttr] | type[RoundingModeAttr]] = {
    "nan_mode": NanModeAttr,
    "rounding_mode": RoundingModeAttr,
}
"""Properties that upstream's custom syntax writes as a bare keyword."""

_PROPAGATE = NanModeAttr(NanMode.PROPAGATE)

# --------------------------------------------------------------------------- #
# Verification helpers
# --------------------------------------------------------------------------- #


def _kind(element_type: Attribute) -> str:
    """'bool', 'int', 'float' or 'other': the element classes TOSA's rules use."""
    if isinstance(element_type, IntegerType):
        return "bool" if element_type.width.data == 1 else "int"
    if isinstance(element_type, AnyFloat):
        return "float"
    return "other"


def _dims(shape: Sequence[int]) -> str:
    return "x".join(map(str, shape)) if shape else "scalar"


def _const_values(value: SSAValue) -> tuple[int | float, ...] | None:
    """The values of a `tosa.const`, `tosa.const_shape` or `arith.constant`
    operand, or None when they are only known at run time."""
    if not isinstance(value, OpResult):
        return None
    owner = value.owner
    if isinstance(owner, ConstOp | ConstShapeOp):
        return owner.values.get_values()  # pyright: ignore[reportReturnType]
    if isinstance(owner, arith.ConstantOp):
        attr = owner.value
        if isinstance(attr, DenseIntOrFPElementsAttr):
            return attr.get_values()  # pyright: ignore[reportReturnType]
        if isinstance(attr, IntegerAttr | FloatAttr):
            return (attr.value.data,)
    return None


class TosaOpBase(IRDLOperation, ABC):
    """A pure TOSA op, with shared checks that name the op in their messages."""

    traits = traits_def(Pure())

    def fail(self, message: str) -> VerifyException:
        """A verifier error in MLIR's `'tosa.x' op ...` style."""
        return VerifyException(f"'{self.name}' op {message}")

    def static_tensor(
        self, value: SSAValue | Attribute, what: str
    ) -> TensorType[Attribute]:
        """The ranked, static-shaped tensor type of `value` (lpuir's tensor
        level has no dynamic shapes)."""
        t = value.type if isinstance(value, SSAValue) else value
        if not isinstance(t, TensorType) or any(d < 0 for d in t.get_shape()):
            raise self.fail(
                f"expects {what} to be a ranked tensor with a static shape, got {t}"
            )
        return t

    def check_kind(
        self, element_type: Attribute, kinds: frozenset[str], what: str
    ) -> None:
        if _kind(element_type) not in kinds:
            raise self.fail(
                f"expects {what} of {' or '.join(sorted(kinds))} elements, got {element_type}"
            )

    def check_scalar(self, value: SSAValue, element_type: Attribute, what: str) -> None:
        """A zero point, shift or pad value: a one-element tensor of `element_type`."""
        t = self.static_tensor(value, what)
        if prod(t.get_shape()) != 1 or len(t.get_shape()) > 1:
            raise self.fail(f"expects {what} to be a tensor<1x{element_type}>, got {t}")
        if t.get_element_type() != element_type:
            raise self.fail(
                f"expects {what} of element type {element_type}, got {t.get_element_type()}"
            )

    def check_zero(self, value: SSAValue, what: str) -> None:
        """Zero points of non-i8 operands must be 0 (TOSA 1.0's ERROR_IF)."""
        values = _const_values(value)
        if values is not None and any(v != 0 for v in values):
            raise self.fail(
                f"expects {what} to be 0 for non-i8 element types, got {values[0]}"
            )

    def check_axis(self, axis: int, rank: int) -> None:
        if not 0 <= axis < max(rank, 1):
            raise self.fail(f"axis {axis} is out of range for a rank-{rank} tensor")

    def check_shape_operand(
        self, value: SSAValue, rank: int, what: str
    ) -> tuple[int, ...] | None:
        """A `!tosa.shape<rank>` operand; its values when they are constant."""
        t = value.type
        if not isinstance(t, ShapeType) or t.rank.data != rank:
            raise self.fail(f"expects {what} to be a !tosa.shape<{rank}>, got {t}")
        values = _const_values(value)
        return None if values is None else tuple(int(v) for v in values)


class TosaOperation(TosaOpBase, ABC):
    """A TOSA op with upstream's custom syntax
    `operands attr-dict : functional-type(operands, results)`, whose attr-dict
    takes bare enum keywords (declarative formats cannot, hence this parser)
    and leaves out properties at their default."""

    @classmethod
    def parse(cls, parser: Parser) -> TosaOperation:
        pos = parser.pos
        operands = (
            parser.parse_optional_undelimited_comma_separated_list(
                parser.parse_optional_unresolved_operand,
                parser.parse_unresolved_operand,
            )
            or []
        )
        entries: dict[str, Attribute] = {}
        if (
            parser.parse_optional_punctuation("{") is not None
            and parser.parse_optional_punctuation("}") is None
        ):
            while True:
                key = parser.parse_identifier_or_str_literal()
                parser.parse_punctuation("=")
                enum = _ENUM_KEYWORDS.get(key)
                keyword = (
                    parser.parse_optional_identifier_or_str_literal()
                    if enum is not None
                    else None
                )
                if enum is not None and keyword is not None:
                    if keyword not in enum.enum_type.__members__.values():
                        parser.raise_error(f"invalid {key} value: {keyword}")
                    entries[key] = enum(enum.enum_type(keyword))
                else:
                    entries[key] = parser.parse_attribute()
                if parser.parse_optional_punctuation(",") is None:
                    break
            parser.parse_punctuation("}")
        parser.parse_punctuation(":")
        function_type = parser.parse_function_type()
        resolved = parser.resolve_operands(operands, function_type.inputs.data, pos)
        property_names = cls.get_irdl_definition().properties
        return cls.create(
            operands=resolved,
            result_types=function_type.outputs.data,
            properties={k: v for k, v in entries.items() if k in property_names},
            attributes={k: v for k, v in entries.items() if k not in property_names},
        )

    def print(self, printer: Printer) -> None:
        if self.operands:
            printer.print_string(" ")
            printer.print_list(self.operands, printer.print_operand)
        definitions = self.get_irdl_definition().properties
        shown = {
            k: v
            for k, v in self.properties.items()
            if not ((d := definitions.get(k)) is not None and v == d.default_value)
        } | dict(self.attributes)
        if shown:
            printer.print_string(" {")
            printer.print_list(
                sorted(shown.items()), lambda kv: self._print_entry(printer, *kv)
            )
            printer.print_string("}")
        printer.print_string(" : ")
        printer.print_function_type(self.operand_types, self.result_types)

    @staticmethod
    def _print_entry(printer: Printer, key: str, value: Attribute) -> None:
        printer.print_identifier_or_string_literal(key)
        printer.print_string(" = ")
        if isinstance(value, NanModeAttr | RoundingModeAttr):
            printer.print_string(value.data.value)
        else:
            printer.print_attribute(value)


# --------------------------------------------------------------------------- #
# Elementwise ops
# --------------------------------------------------------------------------- #

_NUMBER = frozenset({"int", "float"})
_INT = frozenset({"int"})
_FLOAT = frozenset({"float"})
_BOOL = frozenset({"bool"})
_ANY = frozenset({"bool", "int", "float"})


class ElementwiseOperation(TosaOperation, ABC):
    """Operands and result broadcast under TOSA's rule: equal ranks, and each
    dimension of an operand is the result's or 1."""

    def broadcast(self, values: Sequence[SSAValue], result: SSAValue) -> None:
        shapes = [
            self.static_tensor(v, f"operand #{i}").get_shape()
            for i, v in enumerate(values)
        ]
        out = self.static_tensor(result, "the result").get_shape()
        for i, shape in enumerate(shapes):
            if len(shape) != len(out):
                raise self.fail(
                    f"expects operands and result of equal rank, got operand #{i} of shape "
                    f"{_dims(shape)} and result {_dims(out)}"
                )
        for axis, dims in enumerate(zip(*shapes, strict=True)):
            expected = max(dims, default=1)
            if any(d not in (1, expected) for d in dims):
                listed = ", ".join(_dims(s) for s in shapes)
                raise self.fail(
                    f"operands of shapes {listed} do not broadcast (dimension {axis})"
                )
            if out[axis] != expected:
                raise self.fail(
                    f"result shape {_dims(out)} is not the broadcast shape of the operands (dimension {axis})"
                )


class ElementwiseBinaryOperation(ElementwiseOperation, ABC):
    """`input1 op input2`, both of one element type among `KINDS`; the result is
    that type, or i1 for comparisons."""

    KINDS: ClassVar[frozenset[str]] = _NUMBER
    BOOL_RESULT: ClassVar[bool] = False

    input1 = operand_def(TensorType)
    input2 = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        self.broadcast((self.input1, self.input2), self.output)
        t1 = self.static_tensor(self.input1, "input1").get_element_type()
        t2 = self.static_tensor(self.input2, "input2").get_element_type()
        if t1 != t2:
            raise self.fail(
                f"expects input1 and input2 of one element type, got {t1} and {t2}"
            )
        self.check_kind(t1, self.KINDS, "operands")
        expected = IntegerType(1) if self.BOOL_RESULT else t1
        got = self.static_tensor(self.output, "the result").get_element_type()
        if got != expected:
            raise self.fail(f"expects a result of element type {expected}, got {got}")


@irdl_op_definition
class AddOp(ElementwiseBinaryOperation):
    """Elementwise addition (TOSA 1.0 ADD)."""

    name = "tosa.add"
    traits = traits_def(Commutative())


@irdl_op_definition
class SubOp(ElementwiseBinaryOperation):
    """Elementwise subtraction (TOSA 1.0 SUB)."""

    name = "tosa.sub"


@irdl_op_definition
class IntDivOp(ElementwiseBinaryOperation):
    """Integer division rounding toward zero (TOSA 1.0 INTDIV)."""

    name = "tosa.intdiv"
    KINDS: ClassVar = _INT


@irdl_op_definition
class PowOp(ElementwiseBinaryOperation):
    """input1 raised to input2 (TOSA 1.0 POW)."""

    name = "tosa.pow"
    KINDS: ClassVar = _FLOAT


class _NanModeBinaryOperation(ElementwiseBinaryOperation, ABC):
    nan_mode = prop_def(NanModeAttr, default_value=_PROPAGATE)
    traits = traits_def(Commutative())


@irdl_op_definition
class MaximumOp(_NanModeBinaryOperation):
    """Elementwise maximum (TOSA 1.0 MAXIMUM)."""

    name = "tosa.maximum"


@irdl_op_definition
class MinimumOp(_NanModeBinaryOperation):
    """Elementwise minimum (TOSA 1.0 MINIMUM)."""

    name = "tosa.minimum"


@irdl_op_definition
class BitwiseAndOp(ElementwiseBinaryOperation):
    """Elementwise bitwise and (TOSA 1.0 BITWISE_AND)."""

    name = "tosa.bitwise_and"
    KINDS: ClassVar = _INT
    traits = traits_def(Commutative())


@irdl_op_definition
class BitwiseOrOp(ElementwiseBinaryOperation):
    """Elementwise bitwise or (TOSA 1.0 BITWISE_OR)."""

    name = "tosa.bitwise_or"
    KINDS: ClassVar = _INT
    traits = traits_def(Commutative())


@irdl_op_definition
class BitwiseXorOp(ElementwiseBinaryOperation):
    """Elementwise bitwise xor (TOSA 1.0 BITWISE_XOR)."""

    name = "tosa.bitwise_xor"
    KINDS: ClassVar = _INT
    traits = traits_def(Commutative())


@irdl_op_definition
class LogicalAndOp(ElementwiseBinaryOperation):
    """Elementwise logical and of i1 tensors (TOSA 1.0 LOGICAL_AND)."""

    name = "tosa.logical_and"
    KINDS: ClassVar = _BOOL
    traits = traits_def(Commutative())


@irdl_op_definition
class LogicalOrOp(ElementwiseBinaryOperation):
    """Elementwise logical or of i1 tensors (TOSA 1.0 LOGICAL_OR)."""

    name = "tosa.logical_or"
    KINDS: ClassVar = _BOOL
    traits = traits_def(Commutative())


@irdl_op_definition
class LogicalXorOp(ElementwiseBinaryOperation):
    """Elementwise logical xor of i1 tensors (TOSA 1.0 LOGICAL_XOR)."""

    name = "tosa.logical_xor"
    KINDS: ClassVar = _BOOL
    traits = traits_def(Commutative())


@irdl_op_definition
class LogicalLeftShiftOp(ElementwiseBinaryOperation):
    """input1 shifted left by input2 bits (TOSA 1.0 LOGICAL_LEFT_SHIFT)."""

    name = "tosa.logical_left_shift"
    KINDS: ClassVar = _INT


@irdl_op_definition
class LogicalRightShiftOp(ElementwiseBinaryOperation):
    """input1 shifted right by input2 bits, zero-filled (TOSA 1.0 LOGICAL_RIGHT_SHIFT)."""

    name = "tosa.logical_right_shift"
    KINDS: ClassVar = _INT


@irdl_op_definition
class ArithmeticRightShiftOp(ElementwiseBinaryOperation):
    """input1 shifted right by input2 bits, sign-filled; with `round`, the last
    bit shifted out is added back (TOSA 1.0 ARITHMETIC_RIGHT_SHIFT)."""

    name = "tosa.arithmetic_right_shift"
    KINDS: ClassVar = _INT

    round = prop_def(BoolAttr)


@irdl_op_definition
class EqualOp(ElementwiseBinaryOperation):
    """Elementwise ==, an i1 tensor (TOSA 1.0 EQUAL)."""

    name = "tosa.equal"
    KINDS: ClassVar = _NUMBER
    BOOL_RESULT: ClassVar = True
    traits = traits_def(Commutative())


@irdl_op_definition
class GreaterOp(ElementwiseBinaryOperation):
    """Elementwise >, an i1 tensor (TOSA 1.0 GREATER)."""

    name = "tosa.greater"
    BOOL_RESULT: ClassVar = True


@irdl_op_definition
class GreaterEqualOp(ElementwiseBinaryOperation):
    """Elementwise >=, an i1 tensor (TOSA 1.0 GREATER_EQUAL)."""

    name = "tosa.greater_equal"
    BOOL_RESULT: ClassVar = True


@irdl_op_definition
class MulOp(ElementwiseOperation):
    """Elementwise product; i8, i16 and i32 multiply into i32, where a `shift`
    > 0 rounds the product right by that many bits (TOSA 1.0 MUL)."""

    name = "tosa.mul"
    traits = traits_def(Commutative())

    input1 = operand_def(TensorType)
    input2 = operand_def(TensorType)
    shift = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        self.broadcast((self.input1, self.input2), self.output)
        t1 = self.static_tensor(self.input1, "input1").get_element_type()
        t2 = self.static_tensor(self.input2, "input2").get_element_type()
        if t1 != t2:
            raise self.fail(
                f"expects input1 and input2 of one element type, got {t1} and {t2}"
            )
        self.check_kind(t1, _NUMBER, "operands")
        expected = IntegerType(32) if _kind(t1) == "int" else t1
        got = self.static_tensor(self.output, "the result").get_element_type()
        if got != expected:
            raise self.fail(
                f"expects a result of element type {expected} for {t1} operands, got {got}"
            )
        self.check_scalar(self.shift, IntegerType(8), "shift")
        if t1 != IntegerType(32):
            self.check_zero(self.shift, "shift")


@irdl_op_definition
class SelectOp(ElementwiseOperation):
    """input2 where input1 (i1) holds, else input3 (TOSA 1.0 SELECT)."""

    name = "tosa.select"

    input1 = operand_def(TensorType)
    input2 = operand_def(TensorType)
    input3 = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        self.broadcast((self.input1, self.input2, self.input3), self.output)
        condition = self.static_tensor(self.input1, "input1").get_element_type()
        if condition != IntegerType(1):
            raise self.fail(f"expects an i1 condition (input1), got {condition}")
        types = [
            self.static_tensor(v, "a value").get_element_type()
            for v in (self.input2, self.input3, self.output)
        ]
        if len(set(types)) != 1:
            raise self.fail(
                f"expects input2, input3 and the result of one element type, got {', '.join(map(str, types))}"
            )


class ElementwiseUnaryOperation(ElementwiseOperation, ABC):
    """One operand and a result of the same shape and element type, one of `KINDS`."""

    KINDS: ClassVar[frozenset[str]] = _FLOAT

    def verify_(self) -> None:
        operand, result = self.operands[0], self.results[0]
        t = self.static_tensor(operand, "the input")
        out = self.static_tensor(result, "the result")
        if t != out:
            raise self.fail(f"expects a result of the input's type {t}, got {out}")
        self.check_kind(t.get_element_type(), self.KINDS, "an input")


class UnaryOperation(ElementwiseUnaryOperation, ABC):
    """The operand is named `input1`, as most unary ops' in TosaOps.td."""

    input1 = operand_def(TensorType)
    output = result_def(TensorType)


class ActivationOperation(ElementwiseUnaryOperation, ABC):
    """The operand is named `input`, as the activation ops' in TosaOps.td."""

    input = operand_def(TensorType)
    output = result_def(TensorType)


@irdl_op_definition
class SigmoidOp(ActivationOperation):
    """1 / (1 + exp(-x)) (TOSA 1.0 SIGMOID)."""

    name = "tosa.sigmoid"


@irdl_op_definition
class TanhOp(ActivationOperation):
    """Hyperbolic tangent (TOSA 1.0 TANH)."""

    name = "tosa.tanh"


@irdl_op_definition
class ErfOp(ActivationOperation):
    """The error function (TOSA 1.0 ERF)."""

    name = "tosa.erf"


@irdl_op_definition
class AbsOp(UnaryOperation):
    """Absolute value (TOSA 1.0 ABS)."""

    name = "tosa.abs"
    KINDS: ClassVar = _NUMBER


@irdl_op_definition
class ExpOp(UnaryOperation):
    """e^x (TOSA 1.0 EXP)."""

    name = "tosa.exp"


@irdl_op_definition
class LogOp(UnaryOperation):
    """Natural logarithm (TOSA 1.0 LOG)."""

    name = "tosa.log"


@irdl_op_definition
class RsqrtOp(UnaryOperation):
    """1 / sqrt(x) (TOSA 1.0 RSQRT)."""

    name = "tosa.rsqrt"


@irdl_op_definition
class ReciprocalOp(UnaryOperation):
    """1 / x (TOSA 1.0 RECIPROCAL)."""

    name = "tosa.reciprocal"


@irdl_op_definition
class FloorOp(UnaryOperation):
    """Round toward -inf (TOSA 1.0 FLOOR)."""

    name = "tosa.floor"


@irdl_op_definition
class CeilOp(UnaryOperation):
    """Round toward +inf (TOSA 1.0 CEIL)."""

    name = "tosa.ceil"


@irdl_op_definition
class SinOp(UnaryOperation):
    """Sine (TOSA 1.0 SIN)."""

    name = "tosa.sin"


@irdl_op_definition
class CosOp(UnaryOperation):
    """Cosine (TOSA 1.0 COS)."""

    name = "tosa.cos"


@irdl_op_definition
class BitwiseNotOp(UnaryOperation):
    """Bitwise complement (TOSA 1.0 BITWISE_NOT)."""

    name = "tosa.bitwise_not"
    KINDS: ClassVar = _INT


@irdl_op_definition
class LogicalNotOp(UnaryOperation):
    """Logical not of an i1 tensor (TOSA 1.0 LOGICAL_NOT)."""

    name = "tosa.logical_not"
    KINDS: ClassVar = _BOOL


@irdl_op_definition
class IdentityOp(UnaryOperation):
    """The input, unchanged (TOSA 1.0 IDENTITY)."""

    name = "tosa.identity"
    KINDS: ClassVar = _ANY


@irdl_op_definition
class NegateOp(ElementwiseUnaryOperation):
    """-x; for i8, (output_zp - (x - input1_zp)) saturated (TOSA 1.0 NEGATE)."""

    name = "tosa.negate"
    KINDS: ClassVar = _NUMBER

    input1 = operand_def(TensorType)
    input1_zp = operand_def(TensorType)
    output_zp = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        super().verify_()
        element_type = self.static_tensor(self.input1, "input1").get_element_type()
        for value, what in (
            (self.input1_zp, "input1_zp"),
            (self.output_zp, "output_zp"),
        ):
            self.check_scalar(value, element_type, what)
            if element_type != IntegerType(8):
                self.check_zero(value, what)


@irdl_op_definition
class ClampOp(TosaOperation):
    """x limited to [min_val, max_val], attributes of x's element type
    (TOSA 1.0 CLAMP)."""

    name = "tosa.clamp"

    input = operand_def(TensorType)
    min_val = prop_def(IntegerAttr | FloatAttr)
    max_val = prop_def(IntegerAttr | FloatAttr)
    nan_mode = prop_def(NanModeAttr, default_value=_PROPAGATE)
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input, "the input")
        out = self.static_tensor(self.output, "the result")
        if t != out:
            raise self.fail(f"expects a result of the input's type {t}, got {out}")
        element_type = t.get_element_type()
        self.check_kind(element_type, _NUMBER, "an input")
        for bound, what in ((self.min_val, "min_val"), (self.max_val, "max_val")):
            if bound.type != element_type:
                raise self.fail(
                    f"expects {what} of the input's element type {element_type}, got {bound.type}"
                )
        if self.min_val.value.data > self.max_val.value.data:
            raise self.fail(
                f"expects min_val <= max_val, got {self.min_val.value.data} > {self.max_val.value.data}"
            )


@irdl_op_definition
class CastOp(TosaOperation):
    """Converts each element to the result's element type (TOSA 1.0 CAST)."""

    name = "tosa.cast"

    input = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input, "the input")
        out = self.static_tensor(self.output, "the result")
        if t.get_shape() != out.get_shape():
            raise self.fail(
                f"expects a result of the input's shape {_dims(t.get_shape())}, got {_dims(out.get_shape())}"
            )
        self.check_kind(t.get_element_type(), _ANY, "an input")
        self.check_kind(out.get_element_type(), _ANY, "a result")


@irdl_op_definition
class RescaleOp(TosaOperation):
    """((x - input_zp) * multiplier) >> shift + output_zp, saturated to the
    result's integer type (TOSA 1.0 RESCALE)."""

    name = "tosa.rescale"

    input = operand_def(TensorType)
    multiplier = operand_def(TensorType)
    shift = operand_def(TensorType)
    input_zp = operand_def(TensorType)
    output_zp = operand_def(TensorType)
    scale32 = prop_def(BoolAttr)
    rounding_mode = prop_def(RoundingModeAttr)
    per_channel = prop_def(BoolAttr)
    input_unsigned = prop_def(BoolAttr)
    output_unsigned = prop_def(BoolAttr)
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input, "the input")
        out = self.static_tensor(self.output, "the result")
        if t.get_shape() != out.get_shape():
            raise self.fail(
                f"expects a result of the input's shape {_dims(t.get_shape())}, got {_dims(out.get_shape())}"
            )
        self.check_kind(t.get_element_type(), _INT, "an input")
        self.check_kind(out.get_element_type(), _INT, "a result")
        channels = (
            t.get_shape()[-1] if self.per_channel.value.data and t.get_shape() else 1
        )
        width = 32 if self.scale32.value.data else 16
        for value, element_type, what in (
            (self.multiplier, IntegerType(width), "multiplier"),
            (self.shift, IntegerType(8), "shift"),
        ):
            s = self.static_tensor(value, what)
            if s.get_shape() != (channels,) or s.get_element_type() != element_type:
                raise self.fail(
                    f"expects {what} to be a tensor<{channels}x{element_type}>, got {s}"
                )
        self.check_scalar(self.input_zp, t.get_element_type(), "input_zp")
        self.check_scalar(self.output_zp, out.get_element_type(), "output_zp")
        if (
            self.rounding_mode.data == RoundingMode.DOUBLE_ROUND
            and not self.scale32.value.data
        ):
            raise self.fail("DOUBLE_ROUND needs scale32 = true")


@irdl_op_definition
class TableOp(TosaOperation):
    """Table lookup: i8 through a 256-entry i8 table, or i16 through a 513-entry
    i16 table with linear interpolation into i32 (TOSA 1.0 TABLE)."""

    name = "tosa.table"

    input1 = operand_def(TensorType)
    table = operand_def(TensorType)
    output = result_def(TensorType)

    LAYOUTS: ClassVar[dict[int, tuple[int, int]]] = {8: (256, 8), 16: (513, 32)}
    """Input width -> (table entries, result width)."""

    def verify_(self) -> None:
        t = self.static_tensor(self.input1, "input1")
        table = self.static_tensor(self.table, "the table")
        out = self.static_tensor(self.output, "the result")
        element_type = t.get_element_type()
        if (
            not isinstance(element_type, IntegerType)
            or element_type.width.data not in self.LAYOUTS
        ):
            raise self.fail(f"expects an i8 or i16 input, got {element_type}")
        entries, out_width = self.LAYOUTS[element_type.width.data]
        if table.get_shape() != (entries,) or table.get_element_type() != element_type:
            raise self.fail(
                f"expects a tensor<{entries}x{element_type}> table, got {table}"
            )
        expected = TensorType(IntegerType(out_width), t.get_shape())
        if out != expected:
            raise self.fail(f"expects a result of type {expected}, got {out}")


# --------------------------------------------------------------------------- #
# Reductions
# --------------------------------------------------------------------------- #


class ReductionOperation(TosaOperation, ABC):
    """Reduces `axis`, which stays in the result with size 1."""

    KINDS: ClassVar[frozenset[str]] = _NUMBER

    input = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I32])
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input, "the input")
        out = self.static_tensor(self.output, "the result")
        axis = self.axis.value.data
        self.check_axis(axis, len(t.get_shape()))
        self.check_kind(t.get_element_type(), self.KINDS, "an input")
        shape = list(t.get_shape())
        shape[axis] = 1
        expected = TensorType(t.get_element_type(), shape)
        if out != expected:
            raise self.fail(f"expects a result of type {expected}, got {out}")


@irdl_op_definition
class ReduceSumOp(ReductionOperation):
    """Sum along `axis` (TOSA 1.0 REDUCE_SUM)."""

    name = "tosa.reduce_sum"


@irdl_op_definition
class ReduceProductOp(ReductionOperation):
    """Product along `axis` (TOSA 1.0 REDUCE_PRODUCT)."""

    name = "tosa.reduce_product"


@irdl_op_definition
class ReduceMaxOp(ReductionOperation):
    """Maximum along `axis` (TOSA 1.0 REDUCE_MAX)."""

    name = "tosa.reduce_max"

    nan_mode = prop_def(NanModeAttr, default_value=_PROPAGATE)


@irdl_op_definition
class ReduceMinOp(ReductionOperation):
    """Minimum along `axis` (TOSA 1.0 REDUCE_MIN)."""

    name = "tosa.reduce_min"

    nan_mode = prop_def(NanModeAttr, default_value=_PROPAGATE)


@irdl_op_definition
class ReduceAllOp(ReductionOperation):
    """Logical and along `axis` (TOSA 1.0 REDUCE_ALL)."""

    name = "tosa.reduce_all"
    KINDS: ClassVar = _BOOL


@irdl_op_definition
class ReduceAnyOp(ReductionOperation):
    """Logical or along `axis` (TOSA 1.0 REDUCE_ANY)."""

    name = "tosa.reduce_any"
    KINDS: ClassVar = _BOOL


@irdl_op_definition
class ArgMaxOp(TosaOperation):
    """Index of the first maximum along `axis`, which leaves the result
    (TOSA 1.0 ARGMAX)."""

    name = "tosa.argmax"

    input = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I32])
    nan_mode = prop_def(NanModeAttr, default_value=_PROPAGATE)
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input, "the input")
        out = self.static_tensor(self.output, "the result")
        axis = self.axis.value.data
        if not t.get_shape():
            raise self.fail("expects an input of rank >= 1")
        self.check_axis(axis, len(t.get_shape()))
        self.check_kind(t.get_element_type(), _NUMBER, "an input")
        shape = t.get_shape()[:axis] + t.get_shape()[axis + 1 :]
        if out.get_shape() != shape:
            raise self.fail(
                f"expects a result of shape {_dims(shape)}, got {_dims(out.get_shape())}"
            )
        self.check_kind(out.get_element_type(), _INT, "a result")


# --------------------------------------------------------------------------- #
# Tensor data: matmul, pooling, layout
# --------------------------------------------------------------------------- #

MATMUL_ACCUMULATORS: dict[Attribute, tuple[Attribute, ...]] = {
    IntegerType(8): (IntegerType(32),),
    IntegerType(16): (IntegerType(48),),
    IntegerType(32): (IntegerType(32), IntegerType(64)),
    Float16Type(): (Float16Type(), Float32Type()),
    BFloat16Type(): (Float32Type(),),
    Float32Type(): (Float32Type(),),
}
"""Input element type -> the result element types TOSA 1.0 allows for MATMUL
(and i32 x i32, which upstream's verifier accepts and frontends emit)."""


@irdl_op_definition
class MatMulOp(TosaOperation):
    """Batched matrix product [N,H,C] x [N,C,W] -> [N,H,W] with zero points,
    into the spec's accumulator type (TOSA 1.0 MATMUL)."""

    name = "tosa.matmul"

    a = operand_def(TensorType)
    b = operand_def(TensorType)
    a_zp = operand_def(TensorType)
    b_zp = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        ta = self.static_tensor(self.a, "a")
        tb = self.static_tensor(self.b, "b")
        out = self.static_tensor(self.output, "the result")
        for t, what in ((ta, "a"), (tb, "b"), (out, "the result")):
            if len(t.get_shape()) != 3:
                raise self.fail(f"expects {what} to be a rank-3 tensor, got {t}")
        (n, h, c), (nb, cb, w) = ta.get_shape(), tb.get_shape()
        if n != nb:
            raise self.fail(f"expects a and b of one batch size, got {n} and {nb}")
        if c != cb:
            raise self.fail(
                f"expects the columns of a ({c}) to equal the rows of b ({cb})"
            )
        if out.get_shape() != (n, h, w):
            raise self.fail(
                f"expects a result of shape {_dims((n, h, w))}, got {_dims(out.get_shape())}"
            )
        ea, eb, eo = (
            ta.get_element_type(),
            tb.get_element_type(),
            out.get_element_type(),
        )
        if ea != eb:
            raise self.fail(f"expects a and b of one element type, got {ea} and {eb}")
        allowed = MATMUL_ACCUMULATORS.get(ea)
        if allowed is None:
            raise self.fail(f"does not multiply {ea} (i8, i16, i32, f16, bf16 or f32)")
        if eo not in allowed:
            raise self.fail(
                f"expects a result of element type {' or '.join(map(str, allowed))} for {ea} inputs, got {eo}"
            )
        for value, what in ((self.a_zp, "a_zp"), (self.b_zp, "b_zp")):
            self.check_scalar(value, ea, what)
            if ea != IntegerType(8):
                self.check_zero(value, what)


@irdl_op_definition
class MaxPool2dOp(TosaOperation):
    """Maximum over kernel windows of an NHWC tensor (TOSA 1.0 MAX_POOL2D);
    replaces the stock op, whose nan_mode syntax upstream does not read."""

    name = "tosa.max_pool2d"

    input = operand_def(TensorType)
    kernel = prop_def(DenseArrayBase[I64])
    stride = prop_def(DenseArrayBase[I64])
    pad = prop_def(DenseArrayBase[I64])
    nan_mode = prop_def(NanModeAttr, default_value=_PROPAGATE)
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input, "the input")
        out = self.static_tensor(self.output, "the result")
        if len(t.get_shape()) != 4:
            raise self.fail(f"expects an NHWC input of rank 4, got {t}")
        kernel, stride, pad = (
            self.kernel.get_values(),
            self.stride.get_values(),
            self.pad.get_values(),
        )
        if len(kernel) != 2 or len(stride) != 2 or len(pad) != 4:
            raise self.fail("expects a kernel and stride of 2 values and a pad of 4")
        if min(kernel) < 1 or min(stride) < 1 or min(pad) < 0:
            raise self.fail("expects kernel and stride >= 1 and pad >= 0")
        n, h, w, c = t.get_shape()
        oh = (h + pad[0] + pad[1] - kernel[0]) // stride[0] + 1
        ow = (w + pad[2] + pad[3] - kernel[1]) // stride[1] + 1
        expected = TensorType(t.get_element_type(), (n, oh, ow, c))
        if out != expected:
            raise self.fail(f"expects a result of type {expected}, got {out}")


@irdl_op_definition
class TransposeOp(TosaOperation):
    """Permutes the dimensions: result dimension i is input dimension perms[i]
    (TOSA 1.0 TRANSPOSE)."""

    name = "tosa.transpose"

    input1 = operand_def(TensorType)
    perms = prop_def(DenseArrayBase[I32])
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input1, "input1")
        out = self.static_tensor(self.output, "the result")
        perms = self.perms.get_values()
        if sorted(perms) != list(range(len(t.get_shape()))):
            raise self.fail(
                f"expects perms to be a permutation of 0..{len(t.get_shape()) - 1}, got {list(perms)}"
            )
        expected = TensorType(t.get_element_type(), [t.get_shape()[p] for p in perms])
        if out != expected:
            raise self.fail(f"expects a result of type {expected}, got {out}")


@irdl_op_definition
class ReshapeOp(TosaOperation):
    """The same elements in row-major order under a new shape (TOSA 1.0 RESHAPE)."""

    name = "tosa.reshape"

    input1 = operand_def(TensorType)
    shape = operand_def(ShapeType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input1, "input1")
        out = self.static_tensor(self.output, "the result")
        if t.get_element_type() != out.get_element_type():
            raise self.fail(
                f"expects a result of element type {t.get_element_type()}, got {out.get_element_type()}"
            )
        if prod(t.get_shape()) != prod(out.get_shape()):
            raise self.fail(
                f"cannot reshape {prod(t.get_shape())} elements into {_dims(out.get_shape())}"
            )
        values = self.check_shape_operand(self.shape, len(out.get_shape()), "shape")
        if values is not None and any(
            v not in (-1, d) for v, d in zip(values, out.get_shape(), strict=True)
        ):
            raise self.fail(
                f"shape {list(values)} does not match the result shape {_dims(out.get_shape())}"
            )


@irdl_op_definition
class SliceOp(TosaOperation):
    """The block of `size` elements starting at `start` (TOSA 1.0 SLICE)."""

    name = "tosa.slice"

    input1 = operand_def(TensorType)
    start = operand_def(ShapeType)
    size = operand_def(ShapeType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input1, "input1")
        out = self.static_tensor(self.output, "the result")
        rank = len(t.get_shape())
        if (
            out.get_element_type() != t.get_element_type()
            or len(out.get_shape()) != rank
        ):
            raise self.fail(
                f"expects a result of rank {rank} and element type {t.get_element_type()}, got {out}"
            )
        start = self.check_shape_operand(self.start, rank, "start")
        size = self.check_shape_operand(self.size, rank, "size")
        if size is not None and size != out.get_shape():
            raise self.fail(
                f"size {list(size)} does not match the result shape {_dims(out.get_shape())}"
            )
        if start is not None:
            for axis, (s, n, d) in enumerate(
                zip(start, out.get_shape(), t.get_shape(), strict=True)
            ):
                if s < 0 or s + n > d:
                    raise self.fail(
                        f"slice [{s}, {s + n}) is out of bounds of dimension {axis} (size {d})"
                    )


@irdl_op_definition
class ConcatOp(TosaOperation):
    """Joins tensors along `axis` (TOSA 1.0 CONCAT)."""

    name = "tosa.concat"

    input1 = var_operand_def(TensorType)
    axis = prop_def(IntegerAttr[I32])
    output = result_def(TensorType)

    def verify_(self) -> None:
        if not self.input1:
            raise self.fail("expects at least one input")
        types = [
            self.static_tensor(v, f"input #{i}") for i, v in enumerate(self.input1)
        ]
        out = self.static_tensor(self.output, "the result")
        first = types[0]
        rank = len(first.get_shape())
        axis = self.axis.value.data
        self.check_axis(axis, rank)
        for i, t in enumerate(types):
            if (
                t.get_element_type() != first.get_element_type()
                or len(t.get_shape()) != rank
            ):
                raise self.fail(
                    f"expects inputs of one rank and element type, input #{i} is {t}"
                )
            if any(
                a != b
                for k, (a, b) in enumerate(
                    zip(t.get_shape(), first.get_shape(), strict=True)
                )
                if k != axis
            ):
                raise self.fail(
                    f"input #{i} of shape {_dims(t.get_shape())} differs from input #0 off axis {axis}"
                )
        shape = list(first.get_shape())
        shape[axis] = sum(t.get_shape()[axis] for t in types)
        expected = TensorType(first.get_element_type(), shape)
        if out != expected:
            raise self.fail(f"expects a result of type {expected}, got {out}")


@irdl_op_definition
class PadOp(TosaOperation):
    """Surrounds the input with `pad_const`; `padding` holds (before, after)
    for each dimension (TOSA 1.0 PAD)."""

    name = "tosa.pad"

    input1 = operand_def(TensorType)
    padding = operand_def(ShapeType)
    pad_const = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input1, "input1")
        out = self.static_tensor(self.output, "the result")
        padding = self.check_shape_operand(
            self.padding, 2 * len(t.get_shape()), "padding"
        )
        self.check_scalar(self.pad_const, t.get_element_type(), "pad_const")
        if padding is not None:
            if min(padding, default=0) < 0:
                raise self.fail(f"expects non-negative padding, got {list(padding)}")
            shape = [
                d + padding[2 * i] + padding[2 * i + 1]
                for i, d in enumerate(t.get_shape())
            ]
        else:
            shape = list(out.get_shape())
        expected = TensorType(t.get_element_type(), shape)
        if out != expected:
            raise self.fail(f"expects a result of type {expected}, got {out}")


@irdl_op_definition
class TileOp(TosaOperation):
    """Repeats the input `multiples[i]` times along each dimension i
    (TOSA 1.0 TILE)."""

    name = "tosa.tile"

    input1 = operand_def(TensorType)
    multiples = operand_def(ShapeType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input1, "input1")
        out = self.static_tensor(self.output, "the result")
        multiples = self.check_shape_operand(
            self.multiples, len(t.get_shape()), "multiples"
        )
        if multiples is not None and min(multiples, default=1) < 1:
            raise self.fail(f"expects multiples >= 1, got {list(multiples)}")
        shape = (
            out.get_shape()
            if multiples is None
            else [d * m for d, m in zip(t.get_shape(), multiples, strict=True)]
        )
        expected = TensorType(t.get_element_type(), shape)
        if out != expected:
            raise self.fail(f"expects a result of type {expected}, got {out}")


@irdl_op_definition
class ReverseOp(TosaOperation):
    """The input with `axis` reversed (TOSA 1.0 REVERSE)."""

    name = "tosa.reverse"

    input1 = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I32])
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input1, "input1")
        out = self.static_tensor(self.output, "the result")
        self.check_axis(self.axis.value.data, len(t.get_shape()))
        if out != t:
            raise self.fail(f"expects a result of the input's type {t}, got {out}")


@irdl_op_definition
class GatherOp(TosaOperation):
    """output[n, w, c] = values[n, indices[n, w], c] (TOSA 1.0 GATHER)."""

    name = "tosa.gather"

    values = operand_def(TensorType)
    indices = operand_def(TensorType)
    output = result_def(TensorType)

    def verify_(self) -> None:
        tv = self.static_tensor(self.values, "values")
        ti = self.static_tensor(self.indices, "indices")
        out = self.static_tensor(self.output, "the result")
        if len(tv.get_shape()) != 3 or len(ti.get_shape()) != 2:
            raise self.fail(
                f"expects values of rank 3 [N,K,C] and indices of rank 2 [N,W], got {tv} and {ti}"
            )
        if ti.get_element_type() != IntegerType(32):
            raise self.fail(f"expects i32 indices, got {ti.get_element_type()}")
        (n, _, c), (ni, w) = tv.get_shape(), ti.get_shape()
        if n != ni:
            raise self.fail(
                f"expects values and indices of one batch size, got {n} and {ni}"
            )
        expected = TensorType(tv.get_element_type(), (n, w, c))
        if out != expected:
            raise self.fail(f"expects a result of type {expected}, got {out}")


# --------------------------------------------------------------------------- #
# Added for issue 15: control flow, clz, convolutions, avg_pool2d, scatter
# --------------------------------------------------------------------------- #


@irdl_op_definition
class ClzOp(UnaryOperation):
    """Leading zero bits of each i32 (TOSA 1.0 CLZ)."""

    name = "tosa.clz"
    KINDS: ClassVar = _INT


def _parse_assignments(
    parser: Parser,
) -> tuple[list[Parser.UnresolvedArgument], list[UnresolvedOperand]]:
    """`(%a = %x, %b = %y)`: region arguments and the operands they take."""
    names: list[Parser.UnresolvedArgument] = []
    values: list[UnresolvedOperand] = []

    def one() -> None:
        names.append(parser.parse_argument(expect_type=False))
        parser.parse_punctuation("=")
        values.append(parser.parse_unresolved_operand())

    parser.parse_comma_separated_list(Parser.Delimiter.PAREN, one)
    return names, values


def _parse_result_types(parser: Parser) -> list[Attribute]:
    """`(T1, T2)` or `T`."""
    return parser.parse_optional_comma_separated_list(
        Parser.Delimiter.PAREN, parser.parse_type
    ) or [parser.parse_type()]


def _print_assignments(
    printer: Printer, args: Sequence[SSAValue], values: Sequence[SSAValue]
) -> None:
    printer.print_string(" (")
    printer.print_list(
        zip(args, values, strict=True),
        lambda pair: (
            printer.print_ssa_value(pair[0]),
            printer.print_string(" = "),
            printer.print_ssa_value(pair[1]),
        ),
    )
    printer.print_string(")")


@irdl_op_definition
class YieldOp(IRDLOperation):
    """The values a cond_if branch or a while_loop graph gives (TOSA 1.0);
    the stock op only allows the stock cond_if as its parent."""

    name = "tosa.yield"

    inputs = var_operand_def(TensorType)

    traits = lazy_traits_def(
        lambda: (IsTerminator(), HasParent(CondIfOp, WhileLoopOp), Pure())
    )

    assembly_format = "$inputs attr-dict `:` type($inputs)"


@irdl_op_definition
class CondIfOp(TosaOpBase):
    """Runs `then_graph` or `else_graph` on the inputs (TOSA 1.0 COND_IF).
    Reads every form upstream has printed: `%c -> (T) {...} else {...}`,
    `%c : tensor<i1> -> T {...}`, and with inputs
    `%c (%a = %x) : tensor<i1> (T) -> T {^bb0(%a: T): ...} else {...}`."""

    name = "tosa.cond_if"

    condition = operand_def(TensorType)
    input_list = var_operand_def()
    output_list = var_result_def()
    then_graph = region_def("single_block")
    else_graph = region_def("single_block")

    traits = traits_def()

    @classmethod
    def parse(cls, parser: Parser) -> CondIfOp:
        pos = parser.pos
        condition = parser.parse_unresolved_operand()
        values: list[UnresolvedOperand] = []
        if parser._current_token.text == "(":  # pyright: ignore[reportPrivateUsage]
            _, values = _parse_assignments(parser)
        condition_type: Attribute = TensorType(IntegerType(1), [])
        input_types: list[Attribute] = []
        if parser.parse_optional_punctuation(":") is not None:
            condition_type = parser.parse_type()
            if values:
                input_types = parser.parse_comma_separated_list(
                    Parser.Delimiter.PAREN, parser.parse_type
                )
        parser.parse_punctuation("->")
        results = _parse_result_types(parser)
        then_graph = parser.parse_region()
        parser.parse_keyword("else")
        else_graph = parser.parse_region()
        attrs = parser.parse_optional_attr_dict()
        if values and not input_types:
            input_types = [a.type for a in then_graph.block.args]
        op = cls.create(
            operands=[
                parser.resolve_operand(condition, condition_type),
                *parser.resolve_operands(values, input_types, pos),
            ],
            result_types=results,
            regions=[then_graph, else_graph],
            attributes=attrs,
        )
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_ssa_value(self.condition)
        inputs = list(self.input_list)
        if inputs:
            _print_assignments(printer, self.then_graph.block.args, inputs)
        printer.print_string(" : ")
        printer.print_attribute(self.condition.type)
        if inputs:
            printer.print_string(" (")
            printer.print_list([v.type for v in inputs], printer.print_attribute)
            printer.print_string(")")
        printer.print_string(" -> (")
        printer.print_list(self.result_types, printer.print_attribute)
        printer.print_string(") ")
        printer.print_region(self.then_graph, print_entry_block_args=bool(inputs))
        printer.print_string(" else ")
        printer.print_region(self.else_graph, print_entry_block_args=bool(inputs))
        if self.attributes:
            printer.print_op_attributes(self.attributes)

    def verify_(self) -> None:
        t = self.condition.type
        if not isinstance(t, TensorType) or t.get_element_type() != IntegerType(1):
            raise self.fail(f"expects an i1 condition tensor, got {t}")
        if math.prod(t.get_shape()) != 1:
            raise self.fail(f"expects a one-element condition, got {t}")
        for region, what in ((self.then_graph, "then"), (self.else_graph, "else")):
            args = region.block.args
            if args and [a.type for a in args] != [v.type for v in self.input_list]:
                raise self.fail(f"expects the {what} graph to take the inputs' types")


@irdl_op_definition
class WhileLoopOp(TosaOpBase):
    """Runs `body_graph` while `cond_graph` yields true (TOSA 1.0 WHILE_LOOP):
    `(%a = %x) : (T) -> T {cond} do {^bb0(%a: T): body}`."""

    name = "tosa.while_loop"

    input_list = var_operand_def()
    output_list = var_result_def()
    cond_graph = region_def("single_block")
    body_graph = region_def("single_block")

    traits = traits_def()

    @classmethod
    def parse(cls, parser: Parser) -> WhileLoopOp:
        pos = parser.pos
        names, values = _parse_assignments(parser)
        parser.parse_punctuation(":")
        function_type = parser.parse_function_type()
        types = function_type.inputs.data
        cond_graph = parser.parse_region(
            [name.resolve(t) for name, t in zip(names, types, strict=True)]
        )
        parser.parse_keyword("do")
        body_graph = parser.parse_region()
        attrs = parser.parse_optional_attr_dict()
        return cls.create(
            operands=parser.resolve_operands(values, types, pos),
            result_types=function_type.outputs.data,
            regions=[cond_graph, body_graph],
            attributes=attrs,
        )

    def print(self, printer: Printer) -> None:
        _print_assignments(printer, self.cond_graph.block.args, self.input_list)
        printer.print_string(" : ")
        printer.print_function_type(
            [v.type for v in self.input_list], self.result_types
        )
        printer.print_string(" ")
        printer.print_region(self.cond_graph, print_entry_block_args=False)
        printer.print_string(" do ")
        printer.print_region(self.body_graph, print_entry_block_args=True)
        if self.attributes:
            printer.print_op_attributes(self.attributes)

    def verify_(self) -> None:
        types = [v.type for v in self.input_list]
        if [r.type for r in self.output_list] != types:
            raise self.fail("expects results of the inputs' types")
        for region, what in ((self.cond_graph, "cond"), (self.body_graph, "body")):
            if [a.type for a in region.block.args] != types:
                raise self.fail(f"expects the {what} graph to take the inputs' types")


class _ConvolutionOperation(TosaOperation, ABC):
    """input, weight, bias, input_zp, weight_zp; `pad`, `stride`, `dilation`
    (per spatial axis) and `acc_type` (TOSA 1.0 CONV2D, CONV3D,
    DEPTHWISE_CONV2D; TRANSPOSE_CONV2D has `out_pad` and no dilation)."""

    SPATIAL: ClassVar[int] = 2

    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = operand_def(TensorType)
    input_zp = operand_def(TensorType)
    weight_zp = operand_def(TensorType)
    stride = prop_def(DenseArrayBase[I64])
    acc_type = prop_def(Attribute)
    local_bound = prop_def(BoolAttr, default_value=BoolAttr.from_bool(False))
    output = result_def(TensorType)

    def verify_(self) -> None:
        rank = self.SPATIAL + 2
        for value, what in ((self.input, "the input"), (self.output, "the result")):
            t = self.static_tensor(value, what)
            if len(t.get_shape()) != rank:
                raise self.fail(f"expects {what} of rank {rank}, got {t}")
        if (
            len(self.stride.get_values()) != self.SPATIAL
            or min(self.stride.get_values()) < 1
        ):
            raise self.fail(f"expects {self.SPATIAL} strides >= 1")
        el = self.static_tensor(self.input, "the input").get_element_type()
        self.check_scalar(self.input_zp, el, "input_zp")
        w = self.static_tensor(self.weight, "the weight").get_element_type()
        self.check_scalar(self.weight_zp, w, "weight_zp")
        if el != IntegerType(8):
            self.check_zero(self.input_zp, "input_zp")
        if w != IntegerType(8):
            self.check_zero(self.weight_zp, "weight_zp")


@irdl_op_definition
class Conv2DOp(_ConvolutionOperation):
    """[N,H,W,IC] with weights [OC,KH,KW,IC] -> [N,OH,OW,OC] (TOSA 1.0 CONV2D)."""

    name = "tosa.conv2d"

    pad = prop_def(DenseArrayBase[I64])
    dilation = prop_def(DenseArrayBase[I64])


@irdl_op_definition
class Conv3DOp(_ConvolutionOperation):
    """[N,D,H,W,IC] with weights [OC,KD,KH,KW,IC] (TOSA 1.0 CONV3D)."""

    name = "tosa.conv3d"
    SPATIAL: ClassVar[int] = 3

    pad = prop_def(DenseArrayBase[I64])
    dilation = prop_def(DenseArrayBase[I64])


@irdl_op_definition
class DepthwiseConv2DOp(_ConvolutionOperation):
    """[N,H,W,C] with weights [KH,KW,C,M] -> [N,OH,OW,C*M] (TOSA 1.0
    DEPTHWISE_CONV2D)."""

    name = "tosa.depthwise_conv2d"

    pad = prop_def(DenseArrayBase[I64])
    dilation = prop_def(DenseArrayBase[I64])


@irdl_op_definition
class TransposeConv2DOp(_ConvolutionOperation):
    """The gradient of a strided conv2d: [N,H,W,IC] with weights
    [OC,KH,KW,IC] -> [N,(H-1)*sy + out_pad + KH, ...,OC] (TOSA 1.0
    TRANSPOSE_CONV2D)."""

    name = "tosa.transpose_conv2d"

    out_pad = prop_def(DenseArrayBase[I64])


@irdl_op_definition
class AvgPool2dOp(TosaOperation):
    """Mean over kernel windows of an NHWC tensor, padding not counted
    (TOSA 1.0 AVG_POOL2D); the stock op without upstream's custom syntax."""

    name = "tosa.avg_pool2d"

    input = operand_def(TensorType)
    input_zp = operand_def(TensorType)
    output_zp = operand_def(TensorType)
    kernel = prop_def(DenseArrayBase[I64])
    stride = prop_def(DenseArrayBase[I64])
    pad = prop_def(DenseArrayBase[I64])
    acc_type = prop_def(Attribute)
    output = result_def(TensorType)

    def verify_(self) -> None:
        t = self.static_tensor(self.input, "the input")
        if len(t.get_shape()) != 4:
            raise self.fail(f"expects an NHWC input of rank 4, got {t}")
        el = t.get_element_type()
        self.check_scalar(self.input_zp, el, "input_zp")
        self.check_scalar(
            self.output_zp,
            self.static_tensor(self.output, "the result").get_element_type(),
            "output_zp",
        )


@irdl_op_definition
class ScatterOp(TosaOperation):
    """values_out = values_in with rows indices[n, w] replaced by input[n, w]
    (TOSA 1.0 SCATTER)."""

    name = "tosa.scatter"

    values_in = operand_def(TensorType)
    indices = operand_def(TensorType)
    input = operand_def(TensorType)
    values_out = result_def(TensorType)

    def verify_(self) -> None:
        tv = self.static_tensor(self.values_in, "values_in")
        ti = self.static_tensor(self.indices, "indices")
        tin = self.static_tensor(self.input, "input")
        if (
            len(tv.get_shape()) != 3
            or len(ti.get_shape()) != 2
            or len(tin.get_shape()) != 3
        ):
            raise self.fail(
                "expects values_in [N,K,C], indices [N,W] and input [N,W,C]"
            )
        if self.values_out.type != tv:
            raise self.fail(f"expects a result of values_in's type {tv}")


# --------------------------------------------------------------------------- #
# Constants
# --------------------------------------------------------------------------- #


@irdl_op_definition
class ConstOp(TosaOpBase, HasFolderInterface):
    """A constant tensor (TOSA 1.0 CONST); upstream has no custom syntax for it."""

    name = "tosa.const"

    values = prop_def(DenseIntOrFPElementsAttr)
    output = result_def(TensorType)

    traits = traits_def(ConstantLike())

    def __init__(self, values: DenseIntOrFPElementsAttr):
        super().__init__(
            properties={"values": values}, result_types=(values.get_type(),)
        )

    def verify_(self) -> None:
        if self.values.get_type() != self.output.type:
            raise self.fail(
                f"expects a result of its values' type {self.values.get_type()}, got {self.output.type}"
            )

    def fold(self) -> Sequence[Attribute]:
        return (self.values,)


@irdl_op_definition
class ConstShapeOp(TosaOperation, HasFolderInterface):
    """A constant `!tosa.shape<N>` (TOSA 1.0 CONST_SHAPE)."""

    name = "tosa.const_shape"

    values = prop_def(DenseIntOrFPElementsAttr)
    output = result_def(ShapeType)

    traits = traits_def(ConstantLike())

    def verify_(self) -> None:
        values_type = self.values.get_type()
        if (
            values_type.get_element_type() != IndexType()
            or len(values_type.get_shape()) != 1
        ):
            raise self.fail(
                f"expects values of a rank-1 index tensor, got {values_type}"
            )
        n = values_type.get_shape()[0]
        if self.output.type != ShapeType(n):
            raise self.fail(
                f"expects a result of type !tosa.shape<{n}>, got {self.output.type}"
            )

    def fold(self) -> Sequence[Attribute]:
        return (self.values,)


TOSA = Dialect(
    "tosa",
    [
        AbsOp,
        AddOp,
        ArgMaxOp,
        ArithmeticRightShiftOp,
        AvgPool2dOp,
        BitwiseAndOp,
        BitwiseNotOp,
        BitwiseOrOp,
        BitwiseXorOp,
        CastOp,
        CeilOp,
        ClampOp,
        ConcatOp,
        ConstOp,
        ConstShapeOp,
        CosOp,
        EqualOp,
        ErfOp,
        ExpOp,
        FloorOp,
        GatherOp,
        GreaterEqualOp,
        GreaterOp,
        IdentityOp,
        CondIfOp,
        ClzOp,
        Conv2DOp,
        Conv3DOp,
        DepthwiseConv2DOp,
        TransposeConv2DOp,
        ScatterOp,
        WhileLoopOp,
        IntDivOp,
        LogOp,
        LogicalAndOp,
        LogicalLeftShiftOp,
        LogicalNotOp,
        LogicalOrOp,
        LogicalRightShiftOp,
        LogicalXorOp,
        MatMulOp,
        MaxPool2dOp,
        MaximumOp,
        MinimumOp,
        MulOp,
        NegateOp,
        PadOp,
        PowOp,
        ReciprocalOp,
        ReduceAllOp,
        ReduceAnyOp,
        ReduceMaxOp,
        ReduceMinOp,
        ReduceProductOp,
        ReduceSumOp,
        RescaleOp,
        ReshapeOp,
        ReverseOp,
        RsqrtOp,
        SelectOp,
        SigmoidOp,
        SinOp,
        SliceOp,
        SubOp,
        TableOp,
        TanhOp,
        TileOp,
        TransposeOp,
        YieldOp,
    ],
    [NanModeAttr, RoundingModeAttr, ShapeType],
)
