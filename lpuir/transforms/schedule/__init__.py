"""lpu-schedule: logical LPU programs to scheduled ones, with a static cycle count.

Split as CIRCT splits scheduling: `problem` builds the scheduling problem of
a logical system as data (instructions tied into rigid groups by
stream-borne vectors and by sends with their receives, SRAM and MXM
dependences, resources and their limits, candidate routes); `solver` is one
solver of it (list scheduling in program order, the earliest start per group
over its placement options); `check` verifies any solution against the
problem; `emit` writes a solution into the IR. A new scheduling policy is a
new solver over the same problem.

The whole system is scheduled at once: a logical send and its receive tie the
two chips' instruction groups into one, whose template fixes the receive at
exactly the send's cycle plus the route's latency (links, and forwards on
intermediate chips), as the sync-free network needs.

docs/dialect.md states the rules; `lpu-verify-schedule` and the simulator check
the emitted program independently of this code.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from lpuir.diagnostics import LpuError, lpu_programs, op_location
from lpuir.dialects import lpu
from lpuir.transforms.schedule.check import check
from lpuir.transforms.schedule.emit import emit
from lpuir.transforms.schedule.problem import Problem, build_problem
from lpuir.transforms.schedule.solver import ListScheduler


def logical_problem(system: lpu.SystemOp, *, deskew: bool = False) -> Problem:
    """The scheduling problem of a logical system; an error if it is not one
    lpu-schedule takes."""
    for chip in system.chips:
        if any(op.is_scheduled for op in chip.instructions()):
            raise LpuError(
                f"{op_location(chip)}: error: lpu-schedule takes a logical program; chip {chip.chip_id} is already scheduled"
            )
        unsupported = next(
            (
                op
                for op in chip.instructions()
                if op.KIND in ("forward", "deskew", "nop", "notify", "sync")
            ),
            None,
        )
        if unsupported is not None:
            raise LpuError(
                f"{op_location(unsupported)}: error: lpu-schedule does not schedule '{unsupported.name}' (the sync-free network needs no barriers; forwards are its own decision)"
            )
    return build_problem(system, deskew=deskew)


def schedule_system(
    system: lpu.SystemOp, *, deskew: bool = False, checked: bool = False
) -> int:
    """Schedule every logical chip of a system; record and return its cycles.
    `checked`: verify the solution against the problem before writing it."""
    problem = logical_problem(system, deskew=deskew)
    ListScheduler(problem).solve()
    if checked:
        errors = check(problem)
        if errors:
            raise LpuError(
                "lpu-schedule: the solution breaks its problem:\n" + "\n".join(errors)
            )
    emit(problem)
    assert problem.static_cycles is not None
    return problem.static_cycles


@dataclass(frozen=True)
class SchedulePass(ModulePass):
    """Assign every instruction its cycle, unit and streams (module docstring)."""

    name = "lpu-schedule"

    deskew: bool = False
    """Start every chip with a c2c.deskew at cycle 0 (work begins at the first
    epoch boundary)."""
    check: bool = False
    """Check the solution against the scheduling problem (`check.check`)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for system in lpu_programs(op, self.name):
            schedule_system(system, deskew=self.deskew, checked=self.check)


@dataclass(frozen=True)
class PrintScheduleProblemPass(ModulePass):
    """Print each logical system's scheduling problem (`Problem.describe`);
    the IR is unchanged."""

    name = "lpu-print-schedule-problem"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for system in lpu_programs(op, self.name):
            print(logical_problem(system).describe())


__all__ = [
    "ListScheduler",
    "PrintScheduleProblemPass",
    "Problem",
    "SchedulePass",
    "build_problem",
    "check",
    "emit",
    "schedule_system",
]
