"""lpu-compile: the whole pipeline, tensor-level function to scheduled LPU program."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from lpuir.dialects.lpu.structure import sharing
from lpuir.transforms.allocate_sram import AllocateSramPass
from lpuir.transforms.decompose import DecomposePass
from lpuir.transforms.inline import InlinePass
from lpuir.transforms.partition import PartitionPass
from lpuir.transforms.schedule import SchedulePass
from lpuir.transforms.split_k import SplitKPass
from lpuir.transforms.vectorize import VectorizePass
from lpuir.transforms.verify_schedule import VerifySchedulePass


@dataclass(frozen=True)
class CompilePass(ModulePass):
    """lpu-inline, lpu-decompose, lpu-partition, lpu-split-k, lpu-vectorize,
    lpu-allocate-sram, lpu-schedule and lpu-verify-schedule for one system preset; the result
    carries its static cycle count (`cycles N`)."""

    name = "lpu-compile"

    entry: str = ""
    """The function to compile (default: the module's only public one)."""
    system: str = "tsp-v1"
    """A system preset name, one with overrides (`node8 {chips_per_node = 4}`),
    or a whole `#lpu.system<...>` attribute's text."""
    strategy: str = "auto"
    """How lpu-partition places the function on the system's chips."""
    group: int = 8
    """Chips per layer group of the `hybrid` strategy."""
    deskew: bool = False
    """Align every chip to the first epoch boundary first (lpu-schedule)."""
    verify: bool = True
    """Run lpu-verify-schedule at the end (verify=false skips the check run)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        """The passes in order, the instructions they build sharing equal
        attributes (a Llama layer is hundreds of thousands of them)."""
        with sharing():
            self.partition(ctx, op)
            self.lower(ctx, op)

    def partition(self, ctx: Context, op: ModuleOp) -> None:
        """The tensor-level passes (lpu-inline, lpu-decompose, lpu-partition):
        what they leave is the partitioned IR whose reference result the
        compiled program equals bit for bit (a split's summation order is
        stated in it)."""
        InlinePass(entry=self.entry).apply(ctx, op)
        DecomposePass().apply(ctx, op)
        PartitionPass(
            system=self.system, strategy=self.strategy, group=self.group
        ).apply(ctx, op)

    def lower(self, ctx: Context, op: ModuleOp) -> None:
        """The passes after lpu-partition (lpu-split-k to lpu-verify-schedule),
        on a module whose placement is already annotated: `lpuir.staged`
        lowers each stage of a partitioned function this way."""
        SplitKPass(system=self.system).apply(ctx, op)
        VectorizePass(system=self.system).apply(ctx, op)
        AllocateSramPass().apply(ctx, op)
        SchedulePass(deskew=self.deskew).apply(ctx, op)
        if self.verify:
            VerifySchedulePass().apply(ctx, op)
