"""C2C instructions: the sync-free chip-to-chip network, and program alignment."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    ArrayAttr,
    IntAttr,
    StringAttr,
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
from lpuir.dialects.lpu.types import VectorType


class NetworkOp(Instruction):
    UNIT: ClassVar[str] = "C2C"
    channel = prop_def(StringAttr)

    def verify_port(self, port: IntAttr | None) -> None:
        found = machine_of(self)
        if port is None or found is None:
            return
        system, chip = found
        if port.data >= system.chip.link_ports:
            raise verify_error(
                self,
                f"port {port.data} does not exist: chips have {system.chip.link_ports}",
            )
        if system.link_at(chip, port.data) is None:
            raise verify_error(
                self, f"chip {chip} port {port.data} has no link in this system"
            )


@irdl_op_definition
class SendOp(NetworkOp):
    """Send one vector towards chip `to` on `channel`; scheduled: on `port`,
    where the link's other end receives it exactly one link latency later."""

    name = "lpu.c2c.send"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("value",)
    PLACEMENT: ClassVar[tuple[str, ...]] = ("port",)

    value = operand_def(VectorType)
    to = prop_def(IntAttr)
    port = opt_prop_def(IntAttr)
    srcs = opt_prop_def(ArrayAttr)

    def verify_(self) -> None:
        if self.value.type.n != 1:  # type: ignore[attr-defined]
            raise verify_error(
                self, "links carry one vector per send (a burst would need buffering)"
            )
        self.verify_port(self.port)


@irdl_op_definition
class RecvOp(NetworkOp):
    """Receive the vector that chip `sender` sent on `channel`; scheduled: on
    `port`, at exactly the send cycle plus the link latency."""

    name = "lpu.c2c.recv"
    DELAY: ClassVar[str] = "receive"
    HAS_DST: ClassVar[bool] = True
    PLACEMENT: ClassVar[tuple[str, ...]] = ("port",)

    sender = prop_def(IntAttr)
    port = opt_prop_def(IntAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def verify_(self) -> None:
        if self.result.type.n != 1:  # type: ignore[attr-defined]
            raise verify_error(self, "links carry one vector per receive")
        self.verify_port(self.port)

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        if self.dst is None:
            raise verify_error(self, "a scheduled receive needs a destination stream")


@irdl_op_definition
class ForwardOp(NetworkOp):
    """On an intermediate chip: the vector arriving on `in_port` at this cycle
    leaves on `out_port` `delay_forward` cycles later, without touching streams."""

    name = "lpu.c2c.forward"
    DELAY: ClassVar[str] = "forward"
    PLACEMENT: ClassVar[tuple[str, ...]] = ("in_port", "out_port")

    in_port = opt_prop_def(IntAttr)
    out_port = opt_prop_def(IntAttr)

    def verify_(self) -> None:
        self.verify_port(self.in_port)
        self.verify_port(self.out_port)

    def verify_logical(self) -> None:
        raise verify_error(
            self,
            "forwarding is a scheduled-level decision: a logical program has no forward",
        )


@irdl_op_definition
class DeskewOp(Instruction):
    """Program alignment: the chip idles until the next epoch boundary of the
    hardware-aligned counters (the first cycle after this one that is a multiple
    of the system's `epoch`)."""

    name = "lpu.c2c.deskew"
    UNIT: ClassVar[str] = "C2C"
