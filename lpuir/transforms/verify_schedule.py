"""lpu-verify-schedule: check a scheduled program against every rule of the machine.

It shares no code with the scheduler: it runs the program on the modelled
array (`lpuir.interpreter.simulator`, the one implementation of the rules)
with every input zero, collecting every violation, and checks that the
static cycle count the scheduler recorded is the one the array takes. The
rules are about the schedule, not the data, so zeros find every one (a
gather's data-dependent addresses are the exception: the run checks those).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from lpuir import numerics
from lpuir.diagnostics import LpuError, lpu_programs, op_location
from lpuir.dialects import lpu
from lpuir.execute import is_scheduled

if TYPE_CHECKING:
    from lpuir.interpreter.simulator import SimulationResult


def zero_inputs(system: lpu.SystemOp) -> list[np.ndarray]:
    """One zero array per input argument of an LPU program."""
    from lpuir.interpreter.sim_memory import program_arguments

    declared = program_arguments(system, "input")
    return [
        np.zeros(a.shape, numerics.carrier(a.element))
        for _, a in sorted(declared.items())
    ]


def check_schedule(system: lpu.SystemOp) -> SimulationResult:
    """The zero-input run of a scheduled program; a `SimulationError` listing
    every violation if it breaks a rule, an LpuError if it takes other than
    the cycles it records."""
    from lpuir.interpreter.simulator import simulate

    if not is_scheduled(system):
        raise LpuError(
            f"{op_location(system)}: error: lpu-verify-schedule checks scheduled programs; this one is logical"
        )
    module = ModuleOp([system.clone()])
    result = simulate(module, zero_inputs(system), collect_all=True)
    if result.static_cycles is not None and result.static_cycles != result.cycles:
        raise LpuError(
            f"{op_location(system)}: error: lpu-verify-schedule: the program records {result.static_cycles} cycles, but it takes {result.cycles}"
        )
    return result


def verify_schedule(system: lpu.SystemOp) -> int:
    """The simulated cycle count of a valid schedule; an LpuError listing every
    violation otherwise."""
    from lpuir.interpreter.sim_errors import SimulationError

    try:
        return check_schedule(system).cycles
    except SimulationError as e:
        raise LpuError(f"lpu-verify-schedule: {e}") from None


@dataclass(frozen=True)
class VerifySchedulePass(ModulePass):
    """Fail unless every scheduled lpu.system keeps every rule (module docstring)."""

    name = "lpu-verify-schedule"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for system in lpu_programs(op, self.name):
            verify_schedule(system)
