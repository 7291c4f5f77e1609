"""lpu-print-timing: what the timing law (`lpuir.timing`) says about each
instruction of a scheduled program, from its own facts (its footprint at the
placement it states): where it acts, when its first and last vectors act,
the diagonals its result takes on its stream, when SRAM and the MXM see its
work, when its link delivers, and each chip's length. The IR is unchanged;
lit goldens of this output pin the law itself."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from lpuir import timing
from lpuir.diagnostics import LpuError, lpu_programs, op_location
from lpuir.dialects import lpu
from lpuir.machine import SystemSpec


def describe(system: lpu.SystemOp) -> str:
    """The timing of every instruction, chip by chip."""
    machine = system.machine.spec
    lines = []
    for chip in system.chips:
        last, body = -1, []
        for op in chip.instructions():
            if op.cycle is None:
                raise LpuError(
                    f"{op_location(op)}: error: lpu-print-timing reads scheduled programs; this instruction has no cycle"
                )
            text, act = _instruction(op, chip.chip_id, machine)
            body.append(f"  @{op.cycle.data} {op.mnemonic}: {text}")
            last = max(last, act)
        length = timing.program_length(last, machine.chip)
        lines += [f"chip {chip.chip_id}: {length} cycles", *body]
    return "\n".join(lines)


def act_span(op: lpu.Instruction, machine: SystemSpec) -> tuple[int, int]:
    """The first and the last cycle a scheduled instruction acts (its first
    and last vector's result cycles; docs/dialect.md, "Program length")."""
    assert op.cycle is not None
    c = op.cycle.data
    delay = op.footprint(machine.chip, op.place()).delay
    if op.KIND == "deskew":
        delay = timing.deskew_delay(c, machine.epoch)
    return timing.result_cycle(c, 0, delay), timing.last_act(c, op.burst, delay)


def _instruction(
    op: lpu.Instruction, chip: int, machine: SystemSpec
) -> tuple[str, int]:
    """One instruction's timing, and the last cycle it acts."""
    spec, c, n = machine.chip, op.cycle.data, op.burst  # type: ignore[union-attr]
    place = op.place()
    footprint = op.footprint(spec, place)
    first, last = act_span(op, machine)
    at = f" at {footprint.position}" if footprint.position is not None else ""
    text = f"{footprint.unit}{at}, acts {first}..{last}"
    dst = getattr(op, "dst", None)
    if dst is not None and footprint.position is not None:
        d = timing.diagonal(dst.direction, footprint.position, first)
        text += f", on {dst} diagonals {d}..{d + n - 1}"
    if op.KIND in ("write", "scatter"):
        text += f", visible from {first}"
    elif op.KIND == "install":
        text += f", usable from {timing.weights_ready(c, n, footprint.delay)}"
    elif op.KIND in ("send", "forward"):
        port = op.out_port.data if op.KIND == "forward" else place.port  # type: ignore[attr-defined]
        depart = timing.forward_departure(c, spec) if op.KIND == "forward" else c
        link = machine.link_at(chip, port)  # type: ignore[arg-type]
        if link is not None:
            peer, peer_port = link.peer(chip, port)  # type: ignore[arg-type]
            arrives = timing.arrival(depart, link)
            text += f", arrives on chip {peer} port {peer_port} at {arrives}, link free from {timing.link_free(depart, link)}"
    return text, last


@dataclass(frozen=True)
class PrintTimingPass(ModulePass):
    """Print the timing of every instruction of each scheduled system (module
    docstring); the IR is unchanged."""

    name = "lpu-print-timing"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for system in lpu_programs(op, self.name):
            print(describe(system))
