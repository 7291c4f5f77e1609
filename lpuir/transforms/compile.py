"""lpu-compile: the whole pipeline, tensor-level function to scheduled LPU program."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from lpuir.transforms.allocate_sram import AllocateSramPass
from lpuir.transforms.decompose import DecomposePass
from lpuir.transforms.schedule import SchedulePass
from lpuir.transforms.vectorize import VectorizePass
from lpuir.transforms.verify_schedule import VerifySchedulePass


@dataclass(frozen=True)
class CompilePass(ModulePass):
    """lpu-decompose, lpu-vectorize, lpu-allocate-sram, lpu-schedule and
    lpu-verify-schedule for one system preset; the result carries its static
    cycle count (`cycles N`)."""

    name = "lpu-compile"

    system: str = "tsp-v1"
    """A system preset name, or a whole `#lpu.system<...>` attribute's text."""
    verify: bool = True
    """Run lpu-verify-schedule at the end (verify=false skips the check run)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        DecomposePass().apply(ctx, op)
        VectorizePass(system=self.system).apply(ctx, op)
        AllocateSramPass().apply(ctx, op)
        SchedulePass().apply(ctx, op)
        if self.verify:
            VerifySchedulePass().apply(ctx, op)
