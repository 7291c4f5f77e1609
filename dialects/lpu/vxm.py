"""VXM instructions: elementwise arithmetic on the vector ALUs."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    ArrayAttr,
    IntAttr,
    StringAttr,
)
from xdsl.ir import (
    Attribute,
)
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)

from lpuir.dialects.lpu.attributes import StreamAttr
from lpuir.dialects.lpu.instruction import Instruction
from lpuir.dialects.lpu.structure import machine_of, verify_error
from lpuir.dialects.lpu.types import VectorType, is_float


class VxmOp(Instruction):
    """Base of VXM instructions: elementwise over lanes, on one ALU per lane
    group. A result without `dst` stays on its ALU for a chained consumer."""

    UNIT: ClassVar[str] = "VXM"
    HAS_DST: ClassVar[bool] = True
    PLACEMENT: ClassVar[tuple[str, ...]] = ("alu",)
    FLOAT_ONLY: ClassVar[bool] = False
    INT_ONLY: ClassVar[bool] = False
    SAME_TYPE: ClassVar[bool] = True
    DELAY: ClassVar[str] = "vxm"

    alu = opt_prop_def(IntAttr)
    srcs = opt_prop_def(ArrayAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def verify_(self) -> None:
        rt = self.result.type
        assert isinstance(rt, VectorType)
        for v in self.operands:
            t = v.type
            if not isinstance(t, VectorType) or t.n != rt.n:
                raise verify_error(
                    self, f"operand {t} and result {rt} differ in burst length"
                )
            if self.SAME_TYPE and t.element_type != self._operand_element(rt):
                raise verify_error(self, f"operand type {t} does not match {rt}")
        if self.FLOAT_ONLY and not is_float(rt.element):
            raise verify_error(self, f"works on f16, bf16 and f32, not {rt.element}")
        if self.INT_ONLY and is_float(rt.element):
            raise verify_error(self, f"works on integers, not {rt.element}")

    def _operand_element(self, rt: VectorType) -> Attribute:
        return rt.element_type

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        found = machine_of(self)
        assert found is not None and self.alu is not None
        if not 0 <= self.alu.data < found[0].chip.vxm_alus:
            raise verify_error(
                self,
                f"ALU {self.alu.data} does not exist: the VXM has {found[0].chip.vxm_alus} per lane",
            )


class VxmUnaryOp(VxmOp):
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("input",)
    input = operand_def(VectorType)


class VxmBinaryOp(VxmOp):
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("lhs", "rhs")
    lhs = operand_def(VectorType)
    rhs = operand_def(VectorType)


class VxmTranscendentalOp(VxmUnaryOp):
    FLOAT_ONLY: ClassVar[bool] = True
    DELAY: ClassVar[str] = "vxm_transcendental"


@irdl_op_definition
class NegOp(VxmUnaryOp):
    """Negation (integers wrap)."""

    name = "lpu.vxm.neg"


@irdl_op_definition
class AbsOp(VxmUnaryOp):
    """Absolute value (the integer minimum wraps to itself)."""

    name = "lpu.vxm.abs"


@irdl_op_definition
class NotOp(VxmUnaryOp):
    """Bitwise complement."""

    name = "lpu.vxm.not"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class CopyOp(VxmUnaryOp):
    """Identity: moves a vector to another stream or ALU."""

    name = "lpu.vxm.copy"


@irdl_op_definition
class ReluOp(VxmUnaryOp):
    """max(x, 0)."""

    name = "lpu.vxm.relu"


@irdl_op_definition
class ExpOp(VxmTranscendentalOp):
    """e**x by the numerics spec's algorithm."""

    name = "lpu.vxm.exp"


@irdl_op_definition
class LogOp(VxmTranscendentalOp):
    """Natural logarithm."""

    name = "lpu.vxm.log"


@irdl_op_definition
class TanhOp(VxmTranscendentalOp):
    """Hyperbolic tangent."""

    name = "lpu.vxm.tanh"


@irdl_op_definition
class SigmoidOp(VxmTranscendentalOp):
    """1 / (1 + e**-x)."""

    name = "lpu.vxm.sigmoid"


@irdl_op_definition
class ErfOp(VxmTranscendentalOp):
    """Error function."""

    name = "lpu.vxm.erf"


@irdl_op_definition
class RsqrtOp(VxmTranscendentalOp):
    """1 / sqrt(x)."""

    name = "lpu.vxm.rsqrt"


@irdl_op_definition
class ReciprocalOp(VxmTranscendentalOp):
    """1 / x."""

    name = "lpu.vxm.reciprocal"


@irdl_op_definition
class AddOp(VxmBinaryOp):
    """Sum (integers wrap)."""

    name = "lpu.vxm.add"


@irdl_op_definition
class SubOp(VxmBinaryOp):
    """Difference (integers wrap)."""

    name = "lpu.vxm.sub"


@irdl_op_definition
class MulOp(VxmBinaryOp):
    """Product (integers wrap)."""

    name = "lpu.vxm.mul"


@irdl_op_definition
class DivOp(VxmBinaryOp):
    """Quotient (integers truncate toward zero)."""

    name = "lpu.vxm.div"


@irdl_op_definition
class MinOp(VxmBinaryOp):
    """Minimum (NaN propagates)."""

    name = "lpu.vxm.min"


@irdl_op_definition
class MaxOp(VxmBinaryOp):
    """Maximum (NaN propagates)."""

    name = "lpu.vxm.max"


@irdl_op_definition
class AndOp(VxmBinaryOp):
    """Bitwise and."""

    name = "lpu.vxm.and"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class OrOp(VxmBinaryOp):
    """Bitwise or."""

    name = "lpu.vxm.or"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class XorOp(VxmBinaryOp):
    """Bitwise exclusive or."""

    name = "lpu.vxm.xor"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class ShlOp(VxmBinaryOp):
    """Shift left by the rhs lane's value."""

    name = "lpu.vxm.shl"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class ShrOp(VxmBinaryOp):
    """Arithmetic shift right."""

    name = "lpu.vxm.shr"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class ShruOp(VxmBinaryOp):
    """Logical shift right."""

    name = "lpu.vxm.shru"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class PowOp(VxmBinaryOp):
    """x ** y by the numerics spec's algorithm."""

    name = "lpu.vxm.pow"
    FLOAT_ONLY: ClassVar[bool] = True
    DELAY: ClassVar[str] = "vxm_transcendental"


CMP_PREDICATES = ("eq", "ne", "lt", "le", "gt", "ge")


@irdl_op_definition
class CmpOp(VxmBinaryOp):
    """Lane-wise comparison; the result lane is 1 where it holds, else 0."""

    name = "lpu.vxm.cmp"
    SAME_TYPE: ClassVar[bool] = False

    predicate = prop_def(StringAttr)

    def verify_(self) -> None:
        super().verify_()
        if self.predicate.data not in CMP_PREDICATES:
            raise verify_error(
                self, f"predicate must be one of {', '.join(CMP_PREDICATES)}"
            )
        if self.lhs.type.element_type != self.rhs.type.element_type:  # type: ignore[attr-defined]
            raise verify_error(self, "compares vectors of one element type")
        if is_float(self.result.type.element):  # type: ignore[attr-defined]
            raise verify_error(self, "the result of a comparison is an integer mask")


@irdl_op_definition
class SelectOp(VxmOp):
    """Lane-wise choice: on_true where the mask lane is non-zero, else on_false."""

    name = "lpu.vxm.select"
    SAME_TYPE: ClassVar[bool] = False
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("mask", "on_true", "on_false")

    mask = operand_def(VectorType)
    on_true = operand_def(VectorType)
    on_false = operand_def(VectorType)

    def verify_(self) -> None:
        super().verify_()
        if is_float(self.mask.type.element):  # type: ignore[attr-defined]
            raise verify_error(self, "the mask is an integer vector")
        for v in (self.on_true, self.on_false):
            if v.type.element_type != self.result.type.element_type:  # type: ignore[attr-defined]
                raise verify_error(
                    self, f"choice {v.type} does not match result {self.result.type}"
                )


@irdl_op_definition
class ConvertOp(VxmUnaryOp):
    """Element type conversion, rounding and saturating as the numerics spec says."""

    name = "lpu.vxm.convert"
    SAME_TYPE: ClassVar[bool] = False
    DELAY: ClassVar[str] = "vxm_convert"
