"""MXM instructions: weight tiles installed in a plane, and matrix-vector products."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    IntAttr,
    StringAttr,
)
from xdsl.ir import SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    result_def,
    var_operand_def,
)

from lpuir import numerics
from lpuir.dialects.lpu.attributes import StreamAttr
from lpuir.dialects.lpu.instruction import Footprint, Instruction, Names, Place
from lpuir.dialects.lpu.structure import construct, machine_of, verify_error
from lpuir.dialects.lpu.types import VectorType, WeightsType
from lpuir.machine import ChipSpec


class MxmOp(Instruction):
    """Base of MXM instructions: they work on plane `plane` of the MXM of
    `hemisphere`, which is busy one cycle per burst vector (an install: per
    row of its operands, which arrive side by side) and meets the streams at
    its MXM's position."""

    UNIT: ClassVar[str] = "MXM"
    PLACEMENT: ClassVar[tuple[str, ...]] = ("hemisphere", "plane")

    hemisphere = opt_prop_def(StringAttr)
    plane = opt_prop_def(IntAttr)
    srcs = opt_prop_def(ArrayAttr)

    @staticmethod
    def plane_unit(hemisphere: str, plane: int) -> str:
        """The name of an MXM plane as a unit: `MXM.W.0`."""
        return f"MXM.{hemisphere}.{plane}"

    def footprint(self, spec: ChipSpec, place: Place) -> Footprint:
        assert place.hemisphere is not None and place.plane is not None
        unit = self.plane_unit(place.hemisphere, place.plane)
        position = spec.unit_position("MXM", place.hemisphere)  # type: ignore[arg-type]
        return Footprint.of_unit(unit, position, self.result_delay(spec))

    def lpu_placement(self) -> str:
        if self.hemisphere is None or self.plane is None:
            return ""
        return f" on {self.hemisphere.data}.{self.plane.data}"

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        found = machine_of(self)
        assert (
            found is not None and self.plane is not None and self.hemisphere is not None
        )
        if self.hemisphere.data not in ("W", "E"):
            raise verify_error(
                self, f"hemisphere must be W or E, not {self.hemisphere.data}"
            )
        if not 0 <= self.plane.data < found[0].chip.mxm_planes:
            raise verify_error(
                self,
                f"plane {self.plane.data} does not exist: each MXM has {found[0].chip.mxm_planes}",
            )


@irdl_op_definition
class InstallOp(MxmOp):
    """Install a weight tile in a plane: the rows, in operand order, are the K
    rows of the tile (each row one output-lane vector); missing rows are zero."""

    name = "lpu.mxm.install"
    KIND: ClassVar[str] = "install"
    DELAY: ClassVar[str] = "mxm_install"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("rows",)

    rows = var_operand_def(VectorType)
    result = result_def(WeightsType)

    def __init__(self, rows: Sequence[SSAValue], result_type: WeightsType):
        construct(self, operands=list(rows), result_types=[result_type])

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        """The weight tile: the operands' rows in order, then zero rows up to K."""
        t = self.result.type.element  # type: ignore[attr-defined]
        rows = (
            np.concatenate(list(operands))
            if operands
            else np.zeros((0, spec.lanes), numerics.carrier(t))
        )
        tile = np.zeros((spec.mxm_k(t), spec.lanes), rows.dtype)
        tile[: rows.shape[0]] = rows
        return tile

    def verify_(self) -> None:
        wt = self.result.type
        assert isinstance(wt, WeightsType)
        total = 0
        for v in self.rows:
            if v.type.element_type != wt.element_type:  # type: ignore[attr-defined]
                raise verify_error(self, f"row type {v.type} does not match {wt}")
            total += v.type.n  # type: ignore[attr-defined]
        found = machine_of(self)
        k = found[0].chip.mxm_k(wt.element) if found else total
        if not 0 < total <= k:
            raise verify_error(
                self,
                f"installs {total} rows, but a plane holds 1..{k} rows of {wt.element}",
            )


ACCUMULATOR = {"i8": "i32", "f16": "f32", "bf16": "f32"}


@irdl_op_definition
class MatmulOp(MxmOp):
    """Each input vector x (its first K lanes) times the plane's weights: result
    lane j = sum_k x[k] * w[k][j], one K-block fused (see docs/numerics.md); with
    `acc`, added to the plane's accumulators that hold `acc`."""

    name = "lpu.mxm.matmul"
    KIND: ClassVar[str] = "matmul"
    DELAY: ClassVar[str] = "mxm_matmul"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("input",)

    weights = operand_def(WeightsType)
    input = operand_def(VectorType)
    acc = opt_operand_def(VectorType)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def __init__(self, weights: SSAValue, input: SSAValue, acc: SSAValue | None = None):
        """The result is the accumulator type of the input's element type,
        one vector per input vector."""
        xt = input.type
        result = (
            VectorType(ACCUMULATOR.get(xt.element, xt.element), xt.n)
            if isinstance(xt, VectorType)
            else xt
        )
        construct(
            self,
            operands=[weights, input, *([acc] if acc is not None else [])],
            result_types=[result],
        )

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        """y_k = x_k[0:K] @ w as one fused K-block, plus the accumulators if given."""
        weights, x, *acc = operands
        k = weights.shape[0]
        in_t = self.input.type.element  # type: ignore[attr-defined]
        acc_t = self.result.type.element  # type: ignore[attr-defined]
        product = numerics.matmul(x[:, :k], weights, in_t, acc_t, k_block=k)
        return numerics.add(acc[0], product, acc_t) if acc else product

    def lpu_body(self, names: Names) -> str:
        body = f"{names(self.weights)}, {self.lpu_operands(names)[0]}"
        return body + (f" acc {names(self.acc)}" if self.acc is not None else "")

    def verify_(self) -> None:
        wt, xt, rt = self.weights.type, self.input.type, self.result.type
        assert (
            isinstance(wt, WeightsType)
            and isinstance(xt, VectorType)
            and isinstance(rt, VectorType)
        )
        if xt.element_type != wt.element_type:
            raise verify_error(self, f"input {xt} does not match weights {wt}")
        if rt.element != ACCUMULATOR[wt.element] or rt.n != xt.n:
            raise verify_error(
                self,
                f"result must be !lpu.vec<{ACCUMULATOR[wt.element]}, {xt.n}>, not {rt}",
            )
        if self.acc is not None and self.acc.type != rt:
            raise verify_error(
                self, f"accumulator {self.acc.type} does not match result {rt}"
            )

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        for dep, what in (
            (self.weights.owner, "weights"),
            (self.acc.owner if self.acc else None, "accumulators"),
        ):
            if isinstance(dep, MxmOp) and (dep.hemisphere, dep.plane) != (
                self.hemisphere,
                self.plane,
            ):
                raise verify_error(
                    self,
                    f"its {what} live in MXM {dep.hemisphere.data}.{dep.plane.data}, not {self.hemisphere.data}.{self.plane.data}",
                )  # type: ignore[union-attr]
