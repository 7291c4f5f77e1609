"""An lpu-opt pass defined outside lpuir: a plain xDSL ModulePass.

`example-shift-schedule{cycles=N}` issues every instruction of a scheduled
LPU program N cycles later. The schedule stays valid: every distance between
instructions, and so every stream meeting and link arrival, is kept, and the
recorded cycle count grows by N. A `c2c.deskew` waits for an epoch boundary,
which does not move, so the pass refuses programs that have one.
"""

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntAttr, ModuleOp
from xdsl.passes import ModulePass

from lpuir import LpuError
from lpuir.diagnostics import op_location
from lpuir.dialects import lpu


@dataclass(frozen=True)
class ShiftSchedulePass(ModulePass):
    """Issue every scheduled instruction `cycles` cycles later."""

    name = "example-shift-schedule"

    cycles: int = 1

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for system in [o for o in op.walk() if isinstance(o, lpu.SystemOp)]:
            for chip in system.chips:
                for instr in chip.instructions():
                    if isinstance(instr, lpu.DeskewOp):
                        raise LpuError(
                            f"{op_location(instr)}: error: {self.name}: a deskew waits for a fixed epoch boundary; its program cannot be shifted"
                        )
                    if instr.cycle is not None:
                        instr.cycle = IntAttr(instr.cycle.data + self.cycles)
            if system.static_cycles is not None:
                system.static_cycles = IntAttr(system.static_cycles.data + self.cycles)
