"""The base of every LPU instruction: its cycle, placement and stream operands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    IntAttr,
)
from xdsl.ir import (
    Attribute,
    SSAValue,
)
from xdsl.irdl import (
    IRDLOperation,
    opt_prop_def,
    traits_def,
)
from xdsl.traits import (
    HasParent,
)

from lpuir.dialects.lpu.attributes import AluAttr, Source, StreamAttr
from lpuir.dialects.lpu.structure import ChipOp, machine_of, verify_error
from lpuir.dialects.lpu.types import VectorType, element_bytes
from lpuir.machine import (
    ChipSpec,
)


class Instruction(IRDLOperation):
    """Base of every LPU instruction.

    `STREAM_OPERANDS` names the vector operands that arrive on streams (one
    entry of `srcs` each, in that order); `DELAY` is the machine's delay kind;
    `UNIT` the functional unit kind.
    """

    cycle = opt_prop_def(IntAttr)

    traits = traits_def(HasParent(ChipOp))

    UNIT: ClassVar[str] = ""
    DELAY: ClassVar[str] = ""
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ()
    HAS_DST: ClassVar[bool] = False
    PLACEMENT: ClassVar[tuple[str, ...]] = ()
    """Placement properties present exactly at the scheduled level."""

    @property
    def is_scheduled(self) -> bool:
        return self.cycle is not None

    def result_delay(self, spec: ChipSpec) -> int:
        """Cycles from taking burst vector k (at issue + k) to its result: the
        functional delay of the timing law [ISCA20]."""
        return spec.delay(self.DELAY) if self.DELAY else 0

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
