"""The base of every LPU instruction, and the facts each one carries.

An instruction class says everything the compiler, the simulator and the text
formats need to know about it, so that adding one is adding a class: its unit
and delay kind, its placement, which operands travel on streams, what it
occupies (`footprint`, as a function of the machine and its placement), what
it computes on lanes (`compute`) and how it reads and prints in `.lpu` text
(`ARGUMENTS`, `lpu_body`, `lpu_placement`). The timing law that turns these
facts into cycles is `lpuir.timing`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, IntAttr, StringAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, opt_prop_def, traits_def
from xdsl.traits import HasParent

from lpuir.dialects.lpu.attributes import AluAttr, Source, StreamAttr
from lpuir.dialects.lpu.structure import ChipOp, machine_of, verify_error
from lpuir.dialects.lpu.types import VectorType, element_bytes
from lpuir.machine import ChipSpec

Names = Callable[[SSAValue], str]
"""How `.lpu` text names an SSA value (`%x`, `%3`)."""


@dataclass(frozen=True)
class Place:
    """Where an instruction runs, beyond what the op itself says (a MEM
    instruction's slices follow from its tensor): the choices lpu-schedule
    makes and a scheduled instruction states."""

    alu: int | None = None
    hemisphere: str | None = None
    plane: int | None = None
    port: int | None = None
    """The port a send or receive uses, the one a forward takes from."""


@dataclass(frozen=True)
class Footprint:
    """What an instruction issued at cycle c occupies on its chip: `unit`
    executes it; at floor-plan `position` it takes its stream operands and
    puts its result (None: it meets no stream); each (unit, resource) of
    `holds` is busy at c .. c + burst - 1; burst vector k acts (its result
    is there) at c + k + `delay`."""

    unit: str
    position: int | None
    holds: tuple[tuple[str, str], ...]
    delay: int

    @staticmethod
    def of_unit(unit: str, position: int, delay: int) -> Footprint:
        """An instruction that holds its unit (and nothing else) while it takes
        its burst."""
        return Footprint(unit, position, ((unit, unit),), delay)


CYCLE_LIMIT = 1 << 39
"""Issue cycles are below this (10 minutes at 900 MHz), so that every event of a
burst stays within the simulator's time span (sim_memory.TIME_SPAN, 2**40)."""


def _int(attr: IntAttr | None) -> int | None:
    return attr.data if attr is not None else None


def argument_text(attr: Attribute) -> str:
    """A property written as an argument in `.lpu` text: `north`, `4`, `[0, 2, 1]`."""
    if isinstance(attr, StringAttr):
        return attr.data
    if isinstance(attr, IntAttr):
        return str(attr.data)
    assert isinstance(attr, DenseArrayBase)
    return f"[{', '.join(str(v) for v in attr.get_values())}]"


def source_text(src: Source) -> str:
    """Where a scheduled operand is taken from, as `.lpu` text: `S3E`, `alu 2`."""
    return f"alu {src.data}" if isinstance(src, AluAttr) else str(src)


class Instruction(IRDLOperation):
    """Base of every LPU instruction.

    `UNIT` is the functional unit kind, `KIND` what the machine models do with
    it (the mnemonic of a MEM, MXM, C2C or ICU instruction; "vxm" or "sxm" for
    the lane computations, which all behave alike), `DELAY` the machine's
    delay kind. `STREAM_OPERANDS` names the vector operands that arrive on
    streams (one entry of `srcs` each, in that order), `PLACEMENT` the
    properties a scheduled instruction states, `ARGUMENTS` the properties its
    `.lpu` form writes between the mnemonic and the operands.
    """

    cycle = opt_prop_def(IntAttr)

    traits = traits_def(HasParent(ChipOp))

    UNIT: ClassVar[str] = ""
    KIND: ClassVar[str] = ""
    DELAY: ClassVar[str] = ""
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ()
    PLACEMENT: ClassVar[tuple[str, ...]] = ()
    """Placement properties present exactly at the scheduled level."""
    ARGUMENTS: ClassVar[tuple[str, ...]] = ()

    @property
    def is_scheduled(self) -> bool:
        return self.cycle is not None

    @property
    def mnemonic(self) -> str:
        """The name `.lpu` text gives the instruction: `vxm.add`."""
        return self.name.removeprefix("lpu.")

    def result_delay(self, spec: ChipSpec) -> int:
        """Cycles from taking burst vector k (at issue + k) to its result: the
        functional delay of the timing law [ISCA20]."""
        return spec.delay(self.DELAY) if self.DELAY else 0

    def place(self) -> Place:
        """The placement this (scheduled) instruction states."""
        return Place(
            _int(getattr(self, "alu", None)),
            getattr(self, "hemisphere", None) and self.hemisphere.data,  # type: ignore[attr-defined]
            _int(getattr(self, "plane", None)),
            _int(getattr(self, "port", None)),
        )

    def footprint(self, spec: ChipSpec, place: Place) -> Footprint:
        """Unit, position, busy resources and delay at `place` (docs/dialect.md
        gives each unit's rule)."""
        return Footprint("ICU", None, (), self.result_delay(spec))

    def compute(self, operands: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
        """The result bursts, one (n, lanes) carrier array, from the operands'
        bursts in operand order (matmul: weights, input, acc), by the numerics
        spec (`lpuir.numerics`). Instructions that only move vectors between
        SRAM, streams and links compute nothing."""
        raise NotImplementedError(f"{self.name} computes nothing")

    # ------------------------------------------------------------ .lpu text

    def lpu_operands(self, names: Names) -> list[str]:
        """The stream operands as `.lpu` text, each with its source when scheduled."""
        sources = self.sources()
        return [
            names(v) + (f"[{source_text(sources[i])}]" if sources else "")
            for i, v in enumerate(self.stream_operands())
        ]

    def lpu_body(self, names: Names) -> str:
        """What `.lpu` text writes after the mnemonic, before the placement:
        the `ARGUMENTS`, then the stream operands."""
        args = [argument_text(self.properties[a]) for a in self.ARGUMENTS]
        return " ".join([*args, ", ".join(self.lpu_operands(names))]).strip()

    def lpu_placement(self) -> str:
        """The placement as `.lpu` text (` alu 2`, ` on W.0`), if scheduled."""
        return ""

    def stream_operands(self) -> list[SSAValue]:
        out: list[SSAValue] = []
        for name in self.STREAM_OPERANDS:
            value = getattr(self, name)
            if value is None:
                continue
            out.extend(value if isinstance(value, Sequence) else [value])
        return out

    def sources(self) -> list[Source]:
        srcs = getattr(self, "srcs", None)
        return list(srcs.data) if srcs is not None else []

    @property
    def burst(self) -> int:
        """Vectors this instruction handles, one per cycle: its longest vector
        operand or result (an install's rows arrive side by side)."""
        counts = [
            v.type.n
            for v in [*self.results, *self.stream_operands()]
            if isinstance(v.type, VectorType)
        ]
        return max(counts, default=1)

    def verify_logical(self) -> None:
        for name in ("srcs", "dst", *self.PLACEMENT):
            if getattr(self, name, None) is not None:
                raise verify_error(
                    self,
                    f"'{name}' is a scheduled-level property, but this chip's program has no cycles",
                )

    def verify_scheduled(self) -> None:
        found = machine_of(self)
        assert found is not None
        spec = found[0].chip
        assert self.cycle is not None
        if self.cycle.data < 0:
            raise verify_error(self, f"cycle {self.cycle.data} is negative")
        if self.cycle.data >= CYCLE_LIMIT:
            raise verify_error(self, f"cycle {self.cycle.data} is not below 2**39")
        for name in self.PLACEMENT:
            if getattr(self, name, None) is None:
                raise verify_error(self, f"a scheduled instruction needs '{name}'")
        operands = self.stream_operands()
        srcs = self.sources()
        if len(srcs) != len(operands):
            raise verify_error(
                self,
                f"has {len(operands)} stream operand(s) but {len(srcs)} source(s) in 'srcs'",
            )
        for value, src in zip(operands, srcs, strict=True):
            self._verify_source(spec, value, src)
        dst = getattr(self, "dst", None)
        if dst is not None:
            self._verify_stream(spec, dst, self.results[0].type)

    def _verify_stream(self, spec: ChipSpec, stream: StreamAttr, t: Attribute) -> None:
        width = element_bytes(t.element) if isinstance(t, VectorType) else 1
        if stream.direction not in ("E", "W"):
            raise verify_error(
                self, f"stream direction must be E or W, not {stream.direction}"
            )
        if stream.index < 0 or stream.index + width > spec.streams:
            raise verify_error(
                self,
                f"stream {stream} with {width} byte plane(s) needs streams {stream.index}..{stream.index + width - 1}, but there are {spec.streams} per direction",
            )

    def _verify_source(self, spec: ChipSpec, value: SSAValue, src: Attribute) -> None:
        producer = value.owner
        if isinstance(src, StreamAttr):
            self._verify_stream(spec, src, value.type)
            if (
                isinstance(producer, Instruction)
                and getattr(producer, "dst", None) != src
            ):
                raise verify_error(
                    self,
                    f"reads {(value.name_hint and '%' + value.name_hint) or 'an operand'} from stream {src}, but its producer puts it on {getattr(producer, 'dst', None) or 'no stream'}",
                )
        elif isinstance(src, AluAttr):
            if self.UNIT != "VXM":
                raise verify_error(self, "only VXM instructions chain from an ALU")
            if (
                getattr(producer, "UNIT", None) != "VXM"
                or producer.alu is None  # type: ignore[union-attr]
                or producer.alu.data != src.data  # type: ignore[union-attr]
            ):
                raise verify_error(
                    self,
                    f"chains from ALU {src.data}, but the operand was not computed on that ALU",
                )
        else:
            raise verify_error(self, f"a source is a stream or an ALU, not {src}")


def stream_users(value: SSAValue) -> list[Instruction]:
    """The instructions that take `value` off a stream (not by name, as a
    matmul's weights or accumulator): with its producer, one scheduling group."""
    return [
        u.operation
        for u in value.uses
        if isinstance(u.operation, Instruction)
        and value in u.operation.stream_operands()
    ]
