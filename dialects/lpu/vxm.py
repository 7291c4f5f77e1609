"""VXM instructions: elementwise arithmetic on the vector ALUs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    IntAttr,
    StringAttr,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)

from lpuir import numerics
from lpuir.dialects.lpu.attributes import StreamAttr
from lpuir.dialects.lpu.instruction import Footprint, Instruction, Place
from lpuir.dialects.lpu.structure import construct, machine_of, verify_error
from lpuir.dialects.lpu.types import VectorType
from lpuir.machine import ChipSpec
from lpuir.numerics import is_float


class VxmOp(Instruction):
    """Base of VXM instructions: elementwise over lanes, on one ALU per lane
    group. A result without `dst` stays on its ALU for a chained consumer.
    The ALU is busy one cycle per burst vector; operands and result meet the
    streams at the VXM's position."""

    UNIT: ClassVar[str] = "VXM"
    KIND: ClassVar[str] = "vxm"
    PLACEMENT: ClassVar[tuple[str, ...]] = ("alu",)
    FLOAT_ONLY: ClassVar[bool] = False
    INT_ONLY: ClassVar[bool] = False
    SAME_TYPE: ClassVar[bool] = True
    DELAY: ClassVar[str] = "vxm"

    alu = opt_prop_def(IntAttr)
    srcs = opt_prop_def(ArrayAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def __init__(self, *operands: SSAValue, result_type: Attribute | None = None):
        """The result has the first operand's type unless `result_type` says."""
        construct(
            self,
            operands=list(operands),
            result_types=[result_type or operands[0].type],
        )

    @property
    def element(self) -> str:
        """The result's element type."""
        return self.result.type.element  # type: ignore[attr-defined]

    @staticmethod
    def alu_unit(alu: int) -> str:
        """The name of a VXM ALU as a unit: `VXM.alu3`."""
        return f"VXM.alu{alu}"

    def footprint(self, spec: ChipSpec, place: Place) -> Footprint:
        """On ALU `place.alu`; with none chosen yet, on the VXM holding no ALU
        (lpu-schedule picks one from the pool)."""
        delay = self.result_delay(spec)
        if place.alu is None:
            return Footprint("VXM", spec.vxm_position, (), delay)
        return Footprint.of_unit(self.alu_unit(place.alu), spec.vxm_position, delay)

    def lpu_placement(self) -> str:
        return f" alu {self.alu.data}" if self.alu is not None else ""

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
    """A VXM instruction of one operand; `LANEWISE` is its numerics function,
    `numerics.<fn>(x, element type)`, unless it defines `compute`."""

    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("input",)
    LANEWISE: ClassVar[Callable[..., np.ndarray]]
    input = operand_def(VectorType)

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        return type(self).LANEWISE(operands[0], self.element)


class VxmBinaryOp(VxmOp):
    """A VXM instruction of two operands; `LANEWISE` is its numerics
    function, `numerics.<fn>(lhs, rhs, element type)`, unless it defines
    `compute`."""

    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("lhs", "rhs")
    LANEWISE: ClassVar[Callable[..., np.ndarray]]
    lhs = operand_def(VectorType)
    rhs = operand_def(VectorType)

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        return type(self).LANEWISE(operands[0], operands[1], self.element)


class VxmTranscendentalOp(VxmUnaryOp):
    FLOAT_ONLY: ClassVar[bool] = True
    DELAY: ClassVar[str] = "vxm_transcendental"


@irdl_op_definition
class NegOp(VxmUnaryOp):
    """Negation (integers wrap)."""

    name = "lpu.vxm.neg"
    LANEWISE = staticmethod(numerics.neg)


@irdl_op_definition
class AbsOp(VxmUnaryOp):
    """Absolute value (the integer minimum wraps to itself)."""

    name = "lpu.vxm.abs"
    LANEWISE = staticmethod(numerics.abs)


@irdl_op_definition
class NotOp(VxmUnaryOp):
    """Bitwise complement."""

    name = "lpu.vxm.not"
    LANEWISE = staticmethod(numerics.bit_not)
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class CopyOp(VxmUnaryOp):
    """Identity: moves a vector to another stream or ALU."""

    name = "lpu.vxm.copy"

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        return operands[0]


@irdl_op_definition
class ReluOp(VxmUnaryOp):
    """max(x, 0)."""

    name = "lpu.vxm.relu"

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        x = operands[0]
        return numerics.maximum(x, np.zeros_like(x), self.element)


@irdl_op_definition
class ExpOp(VxmTranscendentalOp):
    """e**x by the numerics spec's algorithm."""

    name = "lpu.vxm.exp"
    LANEWISE = staticmethod(numerics.exp)


@irdl_op_definition
class LogOp(VxmTranscendentalOp):
    """Natural logarithm."""

    name = "lpu.vxm.log"
    LANEWISE = staticmethod(numerics.log)


@irdl_op_definition
class TanhOp(VxmTranscendentalOp):
    """Hyperbolic tangent."""

    name = "lpu.vxm.tanh"
    LANEWISE = staticmethod(numerics.tanh)


@irdl_op_definition
class SigmoidOp(VxmTranscendentalOp):
    """1 / (1 + e**-x)."""

    name = "lpu.vxm.sigmoid"
    LANEWISE = staticmethod(numerics.sigmoid)


@irdl_op_definition
class ErfOp(VxmTranscendentalOp):
    """Error function."""

    name = "lpu.vxm.erf"
    LANEWISE = staticmethod(numerics.erf)


@irdl_op_definition
class RsqrtOp(VxmTranscendentalOp):
    """1 / sqrt(x)."""

    name = "lpu.vxm.rsqrt"
    LANEWISE = staticmethod(numerics.rsqrt)


@irdl_op_definition
class SqrtOp(VxmTranscendentalOp):
    """Square root, correctly rounded."""

    name = "lpu.vxm.sqrt"
    LANEWISE = staticmethod(numerics.sqrt)


@irdl_op_definition
class SinOp(VxmTranscendentalOp):
    """Sine by the numerics spec's algorithm."""

    name = "lpu.vxm.sin"
    LANEWISE = staticmethod(numerics.sin)


@irdl_op_definition
class CosOp(VxmTranscendentalOp):
    """Cosine by the numerics spec's algorithm."""

    name = "lpu.vxm.cos"
    LANEWISE = staticmethod(numerics.cos)


@irdl_op_definition
class ReciprocalOp(VxmTranscendentalOp):
    """1 / x."""

    name = "lpu.vxm.reciprocal"
    LANEWISE = staticmethod(numerics.reciprocal)


@irdl_op_definition
class AddOp(VxmBinaryOp):
    """Sum (integers wrap)."""

    name = "lpu.vxm.add"
    LANEWISE = staticmethod(numerics.add)


@irdl_op_definition
class SubOp(VxmBinaryOp):
    """Difference (integers wrap)."""

    name = "lpu.vxm.sub"
    LANEWISE = staticmethod(numerics.sub)


@irdl_op_definition
class MulOp(VxmBinaryOp):
    """Product (integers wrap)."""

    name = "lpu.vxm.mul"
    LANEWISE = staticmethod(numerics.mul)


@irdl_op_definition
class DivOp(VxmBinaryOp):
    """Quotient (integers truncate toward zero)."""

    name = "lpu.vxm.div"
    LANEWISE = staticmethod(numerics.div)


@irdl_op_definition
class MinOp(VxmBinaryOp):
    """Minimum (NaN propagates)."""

    name = "lpu.vxm.min"
    LANEWISE = staticmethod(numerics.minimum)


@irdl_op_definition
class MaxOp(VxmBinaryOp):
    """Maximum (NaN propagates)."""

    name = "lpu.vxm.max"
    LANEWISE = staticmethod(numerics.maximum)


@irdl_op_definition
class AndOp(VxmBinaryOp):
    """Bitwise and."""

    name = "lpu.vxm.and"
    LANEWISE = staticmethod(numerics.bit_and)
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class OrOp(VxmBinaryOp):
    """Bitwise or."""

    name = "lpu.vxm.or"
    LANEWISE = staticmethod(numerics.bit_or)
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class XorOp(VxmBinaryOp):
    """Bitwise exclusive or."""

    name = "lpu.vxm.xor"
    LANEWISE = staticmethod(numerics.bit_xor)
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class ShlOp(VxmBinaryOp):
    """Shift left by the rhs lane's value."""

    name = "lpu.vxm.shl"
    LANEWISE = staticmethod(numerics.shl)
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class ShrOp(VxmBinaryOp):
    """Arithmetic shift right."""

    name = "lpu.vxm.shr"
    LANEWISE = staticmethod(numerics.shr_arith)
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class ShruOp(VxmBinaryOp):
    """Logical shift right."""

    name = "lpu.vxm.shru"
    LANEWISE = staticmethod(numerics.shr_logical)
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class PowOp(VxmBinaryOp):
    """x ** y by the numerics spec's algorithm."""

    name = "lpu.vxm.pow"
    LANEWISE = staticmethod(numerics.pow)
    FLOAT_ONLY: ClassVar[bool] = True
    DELAY: ClassVar[str] = "vxm_transcendental"


CMP_PREDICATES = ("eq", "ne", "lt", "le", "gt", "ge")


@irdl_op_definition
class CmpOp(VxmBinaryOp):
    """Lane-wise comparison; the result lane is 1 where it holds, else 0."""

    name = "lpu.vxm.cmp"
    SAME_TYPE: ClassVar[bool] = False
    ARGUMENTS: ClassVar[tuple[str, ...]] = ("predicate",)

    predicate = prop_def(StringAttr)

    def __init__(
        self,
        lhs: SSAValue,
        rhs: SSAValue,
        predicate: str,
        result_type: Attribute | None = None,
    ):
        """The result is an i32 mask of the operands' burst length by default."""
        construct(
            self,
            operands=[lhs, rhs],
            properties={"predicate": StringAttr(predicate)},
            result_types=[result_type or VectorType("i32", _n(lhs))],
        )

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        holds = numerics.compare(
            operands[0],
            operands[1],
            self.predicate.data,
            self.lhs.type.element,  # type: ignore[attr-defined]
        )
        return numerics.cast(holds, "i1", self.element)

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

    def __init__(
        self,
        mask: SSAValue,
        on_true: SSAValue,
        on_false: SSAValue,
        result_type: Attribute | None = None,
    ):
        super().__init__(
            mask, on_true, on_false, result_type=result_type or on_true.type
        )

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        mask, on_true, on_false = operands
        # a lane is non-zero or not whatever the mask's signedness
        return numerics.select(mask != 0, on_true, on_false)

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

    def __init__(self, input: SSAValue, result_type: Attribute):
        super().__init__(input, result_type=result_type)

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        return numerics.cast(operands[0], self.input.type.element, self.element)  # type: ignore[attr-defined]


def _n(value: SSAValue) -> int:
    t = value.type
    return t.n if isinstance(t, VectorType) else 1
