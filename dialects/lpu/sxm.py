"""SXM instructions: lane movements on a hemisphere's switch unit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    IntAttr,
    StringAttr,
    i32,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)

from lpuir.dialects.lpu.attributes import StreamAttr
from lpuir.dialects.lpu.instruction import Footprint, Instruction, Place
from lpuir.dialects.lpu.structure import construct, machine_of, verify_error
from lpuir.dialects.lpu.types import VectorType
from lpuir.machine import (
    ChipSpec,
)


class SxmOp(Instruction):
    """Base of SXM instructions: they move lanes, on a hemisphere's SXM,
    which is busy one cycle per burst vector and meets the streams at its
    position."""

    UNIT: ClassVar[str] = "SXM"
    KIND: ClassVar[str] = "sxm"
    PLACEMENT: ClassVar[tuple[str, ...]] = ("hemisphere",)
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("input",)

    input = operand_def(VectorType)
    hemisphere = opt_prop_def(StringAttr)
    srcs = opt_prop_def(ArrayAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def __init__(self, input: SSAValue, properties: dict[str, Attribute] | None = None):
        """The result has the input's type; `properties` are the subclass's."""
        construct(
            self,
            operands=[input],
            properties=properties or {},
            result_types=[input.type],
        )

    def footprint(self, spec: ChipSpec, place: Place) -> Footprint:
        hemisphere = place.hemisphere or "W"
        unit = f"SXM.{hemisphere}"
        position = spec.unit_position("SXM", hemisphere)  # type: ignore[arg-type]
        return Footprint.of_unit(unit, position, self.result_delay(spec))

    def lpu_placement(self) -> str:
        return f" on {self.hemisphere.data}" if self.hemisphere is not None else ""

    def verify_(self) -> None:
        if self.input.type != self.result.type:
            raise verify_error(
                self,
                f"moves lanes, so its result type {self.result.type} must equal its input type {self.input.type}",
            )
        if self.hemisphere is not None and self.hemisphere.data not in ("W", "E"):
            raise verify_error(
                self, f"hemisphere must be W or E, not {self.hemisphere.data}"
            )

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        if self.dst is None:
            raise verify_error(
                self, "a scheduled SXM instruction needs a destination stream"
            )


@irdl_op_definition
class ShiftOp(SxmOp):
    """Lanes move `amount` places north (to higher lanes) or south; zeros fill in."""

    name = "lpu.sxm.shift"
    DELAY: ClassVar[str] = "sxm_shift"
    ARGUMENTS: ClassVar[tuple[str, ...]] = ("direction", "amount")

    direction = prop_def(StringAttr)
    amount = prop_def(IntAttr)

    def __init__(self, input: SSAValue, direction: str, amount: int):
        super().__init__(
            input, {"direction": StringAttr(direction), "amount": IntAttr(amount)}
        )

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        x, amount = operands[0], min(self.amount.data, spec.lanes)
        out = np.zeros_like(x)
        if self.direction.data == "north":
            out[:, amount:] = x[:, : spec.lanes - amount]
        else:
            out[:, : spec.lanes - amount] = x[:, amount:]
        return out

    def verify_(self) -> None:
        super().verify_()
        if self.direction.data not in ("north", "south"):
            raise verify_error(
                self, f"direction must be north or south, not {self.direction.data}"
            )


@irdl_op_definition
class RotateOp(SxmOp):
    """Lanes rotate `amount` places north (to higher lanes), wrapping around."""

    name = "lpu.sxm.rotate"
    DELAY: ClassVar[str] = "sxm_rotate"
    ARGUMENTS: ClassVar[tuple[str, ...]] = ("amount",)

    amount = prop_def(IntAttr)

    def __init__(self, input: SSAValue, amount: int):
        super().__init__(input, {"amount": IntAttr(amount)})

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        x = operands[0]
        cut = x.shape[1] - self.amount.data % x.shape[1]
        return np.concatenate((x[:, cut:], x[:, :cut]), axis=1)  # np.roll, faster


@irdl_op_definition
class PermuteOp(SxmOp):
    """Any bijection of the lanes: result lane l = input lane map[l]."""

    name = "lpu.sxm.permute"
    DELAY: ClassVar[str] = "sxm_permute"
    ARGUMENTS: ClassVar[tuple[str, ...]] = ("map",)

    map = prop_def(DenseArrayBase)

    def __init__(self, input: SSAValue, map: Sequence[int]):
        super().__init__(input, {"map": DenseArrayBase.from_list(i32, list(map))})

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        return operands[0][:, np.asarray(self.map.get_values(), np.intp)]

    def verify_(self) -> None:
        super().verify_()
        values = list(self.map.get_values())
        found = machine_of(self)
        lanes = found[0].chip.lanes if found else len(values)
        if len(values) != lanes or sorted(values) != list(range(lanes)):
            raise verify_error(self, f"map must be a permutation of the {lanes} lanes")


@irdl_op_definition
class DistributeOp(SxmOp):
    """Within every superlane: result lane i = input lane map[i] (any map)."""

    name = "lpu.sxm.distribute"
    DELAY: ClassVar[str] = "sxm_distribute"
    ARGUMENTS: ClassVar[tuple[str, ...]] = ("map",)

    map = prop_def(DenseArrayBase)

    def __init__(self, input: SSAValue, map: Sequence[int]):
        super().__init__(input, {"map": DenseArrayBase.from_list(i32, list(map))})

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        x, width = operands[0], spec.lanes_per_superlane
        by_superlane = x.reshape(x.shape[0], spec.superlanes, width)
        lanes = np.asarray(self.map.get_values(), np.intp)
        return by_superlane[:, :, lanes].reshape(x.shape)

    def verify_(self) -> None:
        super().verify_()
        values = list(self.map.get_values())
        found = machine_of(self)
        width = found[0].chip.lanes_per_superlane if found else len(values)
        if len(values) != width or not all(0 <= v < width for v in values):
            raise verify_error(
                self,
                f"map must give one source lane in 0..{width - 1} for each of the {width} lanes of a superlane",
            )


@irdl_op_definition
class TransposeOp(SxmOp):
    """Per superlane, transposes each group of 16 vectors x 16 lanes."""

    name = "lpu.sxm.transpose"
    DELAY: ClassVar[str] = "sxm_transpose"

    def result_delay(self, spec: ChipSpec) -> int:
        """A transpose also waits for the last vector of its group of 16."""
        return spec.delay(self.DELAY) + spec.lanes_per_superlane - 1

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        """r[16g + j][16s + i] = x[16g + i][16s + j], per group g and superlane s."""
        x, width = operands[0], spec.lanes_per_superlane
        blocks = x.reshape(x.shape[0] // width, width, spec.superlanes, width)
        return np.ascontiguousarray(blocks.transpose(0, 3, 2, 1)).reshape(x.shape)

    def verify_(self) -> None:
        super().verify_()
        found = machine_of(self)
        width = found[0].chip.lanes_per_superlane if found else 16
        if self.input.type.n % width:  # type: ignore[attr-defined]
            raise verify_error(
                self,
                f"transposes bursts of a multiple of {width} vectors, not {self.input.type.n}",
            )  # type: ignore[attr-defined]
