"""C2C instructions: the sync-free chip-to-chip network, and program alignment."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    ArrayAttr,
    IntAttr,
    StringAttr,
)
from xdsl.ir import SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)

from lpuir.dialects.lpu.attributes import StreamAttr
from lpuir.dialects.lpu.instruction import Footprint, Instruction, Names, Place
from lpuir.dialects.lpu.structure import construct, machine_of, verify_error
from lpuir.dialects.lpu.types import VectorType
from lpuir.machine import ChipSpec


class NetworkOp(Instruction):
    """Base of the network's instructions: they take from or put on the
    streams where their port meets them (`ChipSpec.port_position`); the
    links' own timing is `lpuir.timing`'s."""

    UNIT: ClassVar[str] = "C2C"
    channel = prop_def(StringAttr)

    def footprint(self, spec: ChipSpec, place: Place) -> Footprint:
        assert place.port is not None
        return Footprint(
            f"C2C.port{place.port}",
            spec.port_position(place.port),
            (),
            self.result_delay(spec),
        )

    def lpu_placement(self) -> str:
        port = getattr(self, "port", None)
        return f" port {port.data}" if port is not None else ""

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
    KIND: ClassVar[str] = "send"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("value",)
    PLACEMENT: ClassVar[tuple[str, ...]] = ("port",)

    value = operand_def(VectorType)
    to = prop_def(IntAttr)
    port = opt_prop_def(IntAttr)
    srcs = opt_prop_def(ArrayAttr)

    def __init__(self, value: SSAValue, to: int, channel: str | StringAttr):
        construct(
            self,
            operands=[value],
            properties={"to": IntAttr(to), "channel": _str(channel)},
        )

    def lpu_body(self, names: Names) -> str:
        return f'{self.lpu_operands(names)[0]} to {self.to.data} "{self.channel.data}"'

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
    KIND: ClassVar[str] = "recv"
    DELAY: ClassVar[str] = "receive"
    PLACEMENT: ClassVar[tuple[str, ...]] = ("port",)

    sender = prop_def(IntAttr)
    port = opt_prop_def(IntAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def __init__(self, sender: int, channel: str | StringAttr, result_type: VectorType):
        construct(
            self,
            properties={"sender": IntAttr(sender), "channel": _str(channel)},
            result_types=[result_type],
        )

    def lpu_body(self, names: Names) -> str:
        return f'from {self.sender.data} "{self.channel.data}"'

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
    KIND: ClassVar[str] = "forward"
    DELAY: ClassVar[str] = "forward"
    PLACEMENT: ClassVar[tuple[str, ...]] = ("in_port", "out_port")

    in_port = opt_prop_def(IntAttr)
    out_port = opt_prop_def(IntAttr)

    def __init__(
        self,
        channel: str | StringAttr,
        in_port: int,
        out_port: int,
        *,
        cycle: int | None = None,
    ):
        props = {
            "channel": _str(channel),
            "in_port": IntAttr(in_port),
            "out_port": IntAttr(out_port),
        }
        if cycle is not None:
            props["cycle"] = IntAttr(cycle)
        construct(self, properties=props)

    def place(self) -> Place:
        """A forward takes from `in_port` (and puts on `out_port`)."""
        return Place(port=self.in_port.data if self.in_port is not None else None)

    def lpu_body(self, names: Names) -> str:
        assert self.in_port is not None and self.out_port is not None
        return f'"{self.channel.data}" port {self.in_port.data} -> port {self.out_port.data}'

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
    KIND: ClassVar[str] = "deskew"

    def __init__(self, *, cycle: int | None = None):
        construct(
            self, properties={"cycle": IntAttr(cycle)} if cycle is not None else {}
        )


def _str(value: str | StringAttr) -> StringAttr:
    return StringAttr(value) if isinstance(value, str) else value
