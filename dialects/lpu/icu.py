"""ICU instructions: waits and the chip-wide barrier."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    IntAttr,
)
from xdsl.irdl import (
    irdl_op_definition,
    prop_def,
)

from lpuir.dialects.lpu.instruction import Instruction, Names
from lpuir.dialects.lpu.structure import construct, verify_error


@irdl_op_definition
class NopOp(Instruction):
    """Logical level only: wait `count` cycles (scheduled programs have cycles)."""

    name = "lpu.icu.nop"
    UNIT: ClassVar[str] = "ICU"
    KIND: ClassVar[str] = "nop"
    count = prop_def(IntAttr)

    def __init__(self, count: int):
        construct(self, properties={"count": IntAttr(count)})

    def lpu_body(self, names: Names) -> str:
        return str(self.count.data)

    def verify_scheduled(self) -> None:
        raise verify_error(self, "a scheduled program states cycles; it has no nop")


@irdl_op_definition
class NotifyOp(Instruction):
    """Chip-wide barrier, first half: signals every instruction queue."""

    name = "lpu.icu.notify"
    UNIT: ClassVar[str] = "ICU"
    KIND: ClassVar[str] = "notify"


@irdl_op_definition
class SyncOp(Instruction):
    """Chip-wide barrier, second half: completes `delay_barrier` cycles after the
    last notify (a scheduled sync must not be earlier)."""

    name = "lpu.icu.sync"
    UNIT: ClassVar[str] = "ICU"
    KIND: ClassVar[str] = "sync"
