"""The modelled chip array: runs a scheduled LPU program bit-exactly and to the
cycle, or says which instruction broke which rule of the machine.

Each chip is a `ChipSim` (lpuir.interpreter.sim_chip) with its own state; the
`Network` carries link traffic between them and is their only interaction.
docs/dialect.md is the contract for every op's semantics and timing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from lpuir import progress, timing
from lpuir.diagnostics import LpuError
from lpuir.dialects import lpu
from lpuir.interpreter.sim_chip import ChipSim, Flit, Report, link_name, union_length
from lpuir.interpreter.sim_errors import SimulationError, Violation
from lpuir.interpreter.sim_memory import assemble_outputs, bind_inputs
from lpuir.interpreter.sim_trace import LinkEvent, chrome_trace
from lpuir.machine import SystemSpec

__all__ = ["SimulationError", "SimulationResult", "Violation", "simulate"]

UNIT_KINDS = ("MEM", "VXM", "SXM", "MXM", "C2C")

FLIT_BYTES_PER_320 = 328
"""A 320-byte vector travels as a 328-byte flit [ISCA22]."""


def flit_bytes(element_type: str, lanes: int) -> int:
    """Bytes on the link for one vector: 328 per 320 bytes of its byte planes."""
    return -(-lpu.element_bytes(element_type) * lanes * FLIT_BYTES_PER_320 // 320)


@dataclass
class SimulationResult:
    """Outputs and the cycle-level account of one run."""

    outputs: list[np.ndarray]
    cycles: int
    chip_cycles: dict[int, int]
    static_cycles: int | None
    unit_busy: dict[str, int]
    """Busy cycles per unit kind (summed over chips) and per unit instance
    (`chip0/VXM.alu3`, `chip0/MEM.W4`, `chip0/MXM.W.0`, `chip0/C2C.port2`)."""
    link_busy: dict[str, int]
    """Cycles in which a link carries a vector in either direction."""
    link_bytes: dict[str, int]
    instructions: int
    violations: list[Violation] = field(default_factory=list)
    capacity: dict[str, int] = field(default_factory=dict, repr=False)
    """Cycles each `unit_busy` entry could have been busy."""
    trace_events: list[dict[str, Any]] | None = field(default=None, repr=False)

    def utilisation(self) -> dict[str, float]:
        """Busy cycles over available cycles, per unit kind and instance."""
        return {
            k: v / self.capacity[k] if self.capacity.get(k) else 0.0
            for k, v in self.unit_busy.items()
        }

    def link_utilisation(self) -> dict[str, float]:
        return {
            k: v / self.cycles if self.cycles else 0.0
            for k, v in self.link_busy.items()
        }

    def chrome_trace(self) -> dict[str, Any]:
        """Chrome trace-event JSON (opens in Perfetto): a process per chip, a
        track per unit and per link, a complete event per instruction."""
        if self.trace_events is None:
            raise LpuError("this run kept no trace: call simulate(..., trace=True)")
        return {"traceEvents": self.trace_events, "displayTimeUnit": "ns"}


class Network:
    """The sync-free links: a vector sent at t is at the link's other end at
    exactly t + latency, with no buffer and no handshake."""

    def __init__(self, machine: SystemSpec):
        self.machine = machine
        self.chips: dict[int, ChipSim] = {}
        self.link_bytes: defaultdict[str, int] = defaultdict(int)
        self.log: list[LinkEvent] = []
        self.stray: list[Violation] = []

    def transmit(self, chip: int, port: int, depart: int, flit: Flit) -> None:
        link = self.machine.link_at(chip, port)
        assert link is not None, "ports without a link fail the plan"
        peer, peer_port = link.peer(chip, port)
        arrival, name = timing.arrival(depart, link), link_name(link)
        size = flit_bytes(flit.element, self.machine.chip.lanes)
        self.link_bytes[name] += size
        self.log.append(
            LinkEvent(chip, name, depart, arrival, link.cycles_per_vector, size, flit)
        )
        target = self.chips.get(peer)
        if target is None:
            message = f'the vector chip {flit.origin} sent on channel "{flit.channel}" arrives on chip {peer} port {peer_port} at cycle {arrival}, but chip {peer} runs no program'
            self.stray.append(
                Violation(
                    peer,
                    arrival,
                    f"link {name}",
                    "unconsumed arrival",
                    message,
                    flit.sender.location,
                )
            )
        else:
            target.arrive(peer_port, arrival, flit, name)


def _system(module: ModuleOp) -> lpu.SystemOp:
    systems = [op for op in module.ops if isinstance(op, lpu.SystemOp)]
    if len(systems) != 1:
        raise LpuError(
            f"the module holds {len(systems)} lpu.system ops; the simulator runs one"
        )
    return systems[0]


def simulate(
    module: ModuleOp,
    inputs: Sequence[np.ndarray],
    *,
    collect_all: bool = False,
    trace: bool = False,
) -> SimulationResult:
    """Run a scheduled program on its modelled array. Inputs bind to the
    `input` tensors by arg; outputs come from the `output` tensors by arg.
    A broken rule raises `SimulationError` at once, or with `collect_all`
    after the run, listing every violation."""
    system_op = _system(module)
    machine = system_op.machine.spec
    bound = bind_inputs(system_op, inputs)
    collected: list[Violation] = []

    def report(violation: Violation) -> None:
        collected.append(violation)
        if not collect_all:
            raise SimulationError([violation])

    network = Network(machine)
    chips = {
        c.chip_id: ChipSim(c, machine, bound, network.transmit, report)
        for c in sorted(system_op.chips, key=lambda c: c.chip_id)
    }
    network.chips = chips
    planned = [v for chip in chips.values() for v in chip.violations]
    if planned and not collect_all:
        raise SimulationError([min(planned, key=lambda v: v.order)])
    collected.extend(planned)
    progress.update(
        "simulate", 0, max((c.cycles for c in chips.values()), default=0), "cycles"
    )
    _run(chips, network, report)
    progress.finish("simulate")
    for chip in chips.values():
        chip.finish()
    outputs = assemble_outputs(
        system_op, lambda chip_id, tensor: chips[chip_id].output(tensor.sym_name.data)
    )
    result = _account(machine, system_op, chips, network, outputs, trace)
    if collected:
        result.violations = sorted(collected, key=lambda v: v.order)
        raise SimulationError(collected, result)
    return result


def _run(chips: dict[int, ChipSim], network: Network, report: Report) -> None:
    """Evaluate every chip as far as it can go, round-robin; when all wait,
    the receives still waiting have no arrival: report them (and arrivals
    nobody took), let them take nothing, and go on."""
    while True:
        if sum(chip.run() for chip in chips.values()):
            continue
        found = [
            *network.stray,
            *(v for chip in chips.values() for v in chip.stray_violations()),
        ]
        network.stray.clear()
        found += [
            chip.starve(step) for chip in chips.values() for step in chip.starving()
        ]
        for violation in sorted(found, key=lambda v: v.order):
            report(violation)
        if not any(chip.ready for chip in chips.values()):
            return


def _account(
    machine: SystemSpec,
    system_op: lpu.SystemOp,
    chips: dict[int, ChipSim],
    network: Network,
    outputs: list[np.ndarray],
    trace: bool,
) -> SimulationResult:
    """Cycles, busy units and links, and the trace of a finished run."""
    spec = machine.chip
    chip_cycles = {i: chip.cycles for i, chip in chips.items()}
    cycles = max(chip_cycles.values(), default=timing.program_length(0, spec))
    busy: dict[str, int] = dict.fromkeys(UNIT_KINDS, 0)
    capacity: dict[str, int] = dict.fromkeys(UNIT_KINDS, 0)
    per_kind = {
        "MEM": len(spec.mem_slices),
        "VXM": spec.vxm_alus,
        "SXM": 2,
        "MXM": 2 * spec.mxm_planes,
    }
    links: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for i, chip in chips.items():
        for kind, count in {**per_kind, "C2C": len(machine.ports_of(i))}.items():
            capacity[kind] += count * chip_cycles[i]
        for unit, cycles_busy in chip.busy().items():
            busy[f"chip{i}/{unit}"] = cycles_busy
            capacity[f"chip{i}/{unit}"] = chip_cycles[i]
            busy[unit.split(".")[0]] += cycles_busy
        for (_, label, rule), uses in chip.intervals.items():
            if rule == "link busy":
                links[label.removeprefix("link ")].extend((a, b) for a, b, _ in uses)
    return SimulationResult(
        outputs=outputs,
        cycles=cycles,
        chip_cycles=chip_cycles,
        static_cycles=system_op.static_cycles.data
        if system_op.static_cycles is not None
        else None,
        unit_busy=busy,
        link_busy={
            name: union_length(pieces) for name, pieces in sorted(links.items())
        },
        link_bytes=dict(sorted(network.link_bytes.items())),
        instructions=sum(chip.evaluated for chip in chips.values()),
        capacity=capacity,
        trace_events=chrome_trace(chips, network.log, spec) if trace else None,
    )
