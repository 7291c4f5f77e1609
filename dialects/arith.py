"""arith as upstream MLIR prints it today: xDSL 0.74's arith dialect with the
ops it lacks that frontends emit: `arith.remf`, `arith.index_castui`, and the
microscaling conversions `arith.scaling_extf` / `arith.scaling_truncf`
(a value times / divided by a power-of-two scale, f8E8M0FNU as a rule)."""

from __future__ import annotations

from xdsl.dialects.arith import FloatingPointLikeBinaryOperation
from xdsl.dialects.builtin import IndexType, IntegerType, TensorType
from xdsl.ir import Attribute, Dialect
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException


@irdl_op_definition
class RemFOp(FloatingPointLikeBinaryOperation):
    """The remainder of lhs / rhs truncated toward zero, with lhs's sign (fmod)."""

    name = "arith.remf"

    traits = traits_def(Pure())


@irdl_op_definition
class IndexCastUIOp(IRDLOperation):
    """An integer <-> index cast that zero-extends (index_cast sign-extends)."""

    name = "arith.index_castui"

    input = operand_def()
    result = result_def()

    assembly_format = "$input attr-dict `:` type($input) `to` type($result)"

    traits = traits_def(Pure())

    def verify_(self) -> None:
        types = [
            t.get_element_type() if isinstance(t, TensorType) else t
            for t in (self.input.type, self.result.type)
        ]
        if sum(isinstance(t, IndexType) for t in types) != 1 or not all(
            isinstance(t, IndexType | IntegerType) for t in types
        ):
            raise VerifyException(
                "'arith.index_castui' op casts between an integer type and index"
            )


class _ScalingOperation(IRDLOperation):
    """`op %in, %scale : in_type, scale_type to out_type`."""

    input = operand_def()
    scale = operand_def()
    result = result_def()

    assembly_format = "$input `,` $scale attr-dict `:` type($input) `,` type($scale) `to` type($result)"

    traits = traits_def(Pure())

    def verify_(self) -> None:
        shapes = [
            t.get_shape() if isinstance(t, TensorType) else ()
            for t in (self.input.type, self.scale.type, self.result.type)
        ]
        if len(set(shapes)) != 1:
            raise VerifyException(
                f"'{self.name}' op expects input, scale and result of one shape"
            )


@irdl_op_definition
class ScalingExtFOp(_ScalingOperation):
    """extf(in) * extf(scale): widen, then apply the scale (exact while the
    result type holds it)."""

    name = "arith.scaling_extf"


@irdl_op_definition
class ScalingTruncFOp(_ScalingOperation):
    """truncf(in / extf(scale)): remove the scale, then round to the narrow type."""

    name = "arith.scaling_truncf"


NEW_OPS: tuple[type[IRDLOperation], ...] = (
    RemFOp,
    IndexCastUIOp,
    ScalingExtFOp,
    ScalingTruncFOp,
)


def _arith() -> Dialect:
    from xdsl.dialects.arith import Arith

    names = {op.name for op in NEW_OPS}
    kept = [op for op in Arith.operations if op.name not in names]
    attributes: list[type[Attribute]] = list(Arith.attributes)
    return Dialect("arith", [*kept, *NEW_OPS], attributes)


ARITH = _arith()
