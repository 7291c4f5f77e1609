"""The modelled chip array: runs a scheduled LPU program bit-exactly and to the
cycle, or says which instruction broke which rule of the machine.

A `Program` plans each chip once (`sim_chip.ChipSim`: the static facts of
every instruction and the rules checked on them); `Program.run` simulates it
on inputs (`sim_run`: each chip's data, evaluated in dependency order), as
often as wanted. The `Network` carries link traffic between chips and is
their only interaction; a distributed run (`sim_mpi`) simulates each rank's
chips in one process and exchanges that traffic at window ends.
docs/dialect.md is the contract for every op's semantics and timing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from lpuir import progress, timing
from lpuir.diagnostics import LpuError
from lpuir.dialects import lpu
from lpuir.interpreter.sim_chip import ChipSim, Flit, link_name, union_length
from lpuir.interpreter.sim_errors import SimulationError, Violation
from lpuir.interpreter.sim_memory import (
    Argument,
    assemble_outputs,
    bind_inputs,
    program_arguments,
)
from lpuir.interpreter.sim_run import ChipRun, Images, Runner, tensor_images
from lpuir.interpreter.sim_trace import LinkEvent, chrome_trace
from lpuir.machine import SystemSpec

if TYPE_CHECKING:
    from lpuir.interpreter.sim_mpi import Exchange
    from lpuir.interpreter.sim_stream import Feed, Stream

__all__ = [
    "Program",
    "SimulationError",
    "SimulationResult",
    "Violation",
    "simulate",
]

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
    runs: dict[int, ChipRun] | None = field(default=None, repr=False)
    """Each simulated chip's final state, when the run kept its values."""
    link_log: list[LinkEvent] | None = field(default=None, repr=False)
    """Every vector put on a link, when the run kept its values."""
    distributed: dict[str, Any] | None = None
    """A distributed run's account (sim_mpi): ranks, chips per rank,
    windows, and the time each rank computed and waited at window ends."""

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
    exactly t + latency, with no buffer and no handshake. Chips this process
    does not simulate but that run a program are another rank's (`remote`)."""

    def __init__(
        self,
        machine: SystemSpec,
        runs: dict[int, ChipRun],
        programmed: Collection[int],
        ready: Callable[[int, Any], None],
    ):
        self.machine = machine
        self.runs = runs
        self.programmed = set(programmed)
        self.ready = ready
        self.link_bytes: defaultdict[str, int] = defaultdict(int)
        self.log: list[LinkEvent] = []
        self.stray: list[Violation] = []
        self.remote: Exchange | None = None
        self.feed: Feed | None = None

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
        if peer in self.runs:
            self.arrive(peer, peer_port, arrival, flit, name)
        elif self.feed is not None and self.feed.holds(peer):
            self.feed.arrive(peer, peer_port, arrival, flit, name)
        elif peer in self.programmed:
            assert self.remote is not None, "every programmed chip is simulated"
            self.remote.post(peer, peer_port, arrival, flit, name)
        else:
            self.stray.append(
                Violation.unconsumed(
                    peer,
                    peer_port,
                    arrival,
                    flit,
                    name,
                    f"but chip {peer} runs no program",
                )
            )

    def arrive(self, chip: int, port: int, cycle: int, flit: Flit, link: str) -> None:
        """A vector reaching one of this process's chips."""
        taker = self.runs[chip].arrive(port, cycle, flit, link)
        if taker is not None:
            self.ready(chip, taker)


def program_system(module: ModuleOp) -> lpu.SystemOp:
    systems = [op for op in module.ops if isinstance(op, lpu.SystemOp)]
    if len(systems) != 1:
        raise LpuError(
            f"the module holds {len(systems)} lpu.system ops; the simulator runs one"
        )
    return systems[0]


class Program:
    """A scheduled program, planned once: each chip's plan and the rules the
    plans break. `run` simulates it on inputs, as often as wanted. `chips`
    limits the plans to some chips (a distributed run's rank). With a
    `stream` (sim_stream.scan), `module` is the program's skeleton and the
    chips of the stream are planned one at a time as the run reaches them."""

    def __init__(
        self,
        module: ModuleOp,
        chips: Collection[int] | None = None,
        stream: Stream | None = None,
    ):
        self.system = program_system(module)
        self.machine = self.system.machine.spec
        self.stream = stream
        ops = sorted(self.system.chips, key=lambda c: c.chip_id)
        self.programmed = [c.chip_id for c in ops]
        mine = [
            c
            for c in ops
            if (chips is None or c.chip_id in chips)
            and (stream is None or c.chip_id not in stream.chips)
        ]
        self.static_cycles = (
            self.system.static_cycles.data
            if self.system.static_cycles is not None
            else None
        )
        self.plans: dict[int, ChipSim] = {}
        for i, c in enumerate(mine):
            if len(mine) > 1:
                note = f"planning chip {i + 1} of {len(mine)}"
                progress.update("simulate", 0, self.static_cycles, "cycles", note)
            self.plans[c.chip_id] = ChipSim(c, self.machine)
        self.violations = sorted(
            (v for plan in self.plans.values() for v in plan.violations),
            key=violation_order,
        )

    @cached_property
    def arguments(self) -> tuple[dict[int, Argument], dict[int, Argument]]:
        """The program's inputs and outputs by arg."""
        return (
            program_arguments(self.system, "input"),
            program_arguments(self.system, "output"),
        )

    @property
    def cycles(self) -> int:
        """The program length of the slowest chip planned."""
        return max(
            (p.cycles for p in self.plans.values()),
            default=timing.program_length(0, self.machine.chip),
        )

    def run(
        self,
        inputs: Sequence[np.ndarray] | None = None,
        *,
        collect_all: bool = False,
        trace: bool = False,
        keep_values: bool = False,
        images: Images | None = None,
        weights: Images | None = None,
        exchange: Exchange | None = None,
    ) -> SimulationResult:
        """Simulate on `inputs` (bound to the `input` tensors by arg), or with
        `images` giving each input tensor's SRAM image at cycle 0 (a
        distributed rank makes only its chips' inputs); `weights` gives
        weights declared without a value theirs (else zeros). A broken rule
        raises `SimulationError` at once, or with `collect_all` after the run,
        listing every violation. `keep_values` keeps every step's result
        (`SimulationResult.runs`, for the debugger). With `exchange` this
        process is one rank of a distributed run (`sim_mpi`)."""
        if images is None:
            bound = bind_inputs(self.system, inputs or [], self.arguments[0])
            images = tensor_images(bound.__getitem__, self.machine.chip.lanes, weights)
        collected: list[Violation] = []

        def report(violation: Violation) -> None:
            collected.append(violation)
            if not collect_all and exchange is None:
                raise SimulationError([violation])

        planned = (
            self.violations
            if exchange is None
            else exchange.violations(self.violations)
        )
        if planned and not collect_all:
            raise SimulationError([planned[0]])
        collected.extend(self.violations)
        runs: dict[int, ChipRun] = {}
        network = Network(
            self.machine, runs, self.programmed, lambda c, s: runner.push(c, s)
        )

        def start(plan: ChipSim) -> ChipRun:
            return ChipRun(plan, images, network.transmit, report, keep_values)

        for chip, plan in self.plans.items():
            runs[chip] = start(plan)
        feed: Feed | None = None
        if self.stream is not None:
            from lpuir.interpreter.sim_stream import Feed

            if exchange is not None or keep_values:
                raise LpuError(
                    "a streamed run is one process's and keeps no chip's values"
                )
            feed = network.feed = Feed(
                self.stream,
                self.machine,
                start,
                lambda chip, run: self._chip_account(chip, run, network, trace, True),
                report,
                network.stray,
            )
        runner = Runner(
            runs,
            static=exchange is None and not any(p.takers for p in self.plans.values()),
            feed=feed,
        )
        total = self.static_cycles or self.cycles
        progress.update("simulate", 0, total, "cycles", "running")
        if exchange is None:
            with nullcontext() if feed is None else feed.frozen():
                _run(runner, network, report)
            for run in runs.values():
                run.finish()
        else:
            exchange.run(runner, network, report, collected, collect_all)
            failure = None
            try:
                for run in runs.values():
                    run.finish()
            except LpuError as e:
                failure = e
            exchange.agree(failure)
        progress.finish("simulate")
        whole = exchange is None
        accounts = {
            **({} if feed is None else feed.retired),
            **{
                chip: self._chip_account(chip, run, network, trace, whole)
                for chip, run in runs.items()
            },
        }
        result = self._account(accounts, network, trace, whole)
        if keep_values:
            result.runs, result.link_log = runs, list(network.log)
        if exchange is not None:
            result = exchange.combine(
                self, runs, result, collected, link_spans(accounts.values())
            )
            collected = result.violations
        if collected:
            result.violations = sorted(collected, key=violation_order)
            raise SimulationError(result.violations, result)
        return result

    def _chip_account(
        self, chip: int, run: ChipRun, network: Network, trace: bool, whole: bool
    ) -> ChipAccount:
        """What a run reports of one chip (its outputs when this process ran
        the `whole` system)."""
        plan = run.plan
        return ChipAccount(
            cycles=plan.cycles,
            ports=len(self.machine.ports_of(chip)),
            busy=plan.busy,
            spans=plan.link_spans,
            instructions=run.evaluated,
            outputs={
                name: run.output(name)
                for name, t in plan.tensors.items()
                if t.kind.data == "output"
            }
            if whole
            else {},
            trace=chrome_trace(
                {chip: plan},
                sorted(
                    (e for e in network.log if e.chip == chip),
                    key=lambda e: (e.depart, e.link, e.arrival),
                ),
                self.machine.chip,
            )
            if trace
            else None,
        )

    def _account(
        self,
        accounts: dict[int, ChipAccount],
        network: Network,
        trace: bool,
        whole: bool,
    ) -> SimulationResult:
        """The run's result from each simulated chip's account: outputs (when
        this process ran the `whole` system), cycles, busy units and links,
        and the trace, every per-chip entry in chip order."""
        chips = dict(sorted(accounts.items()))
        chip_cycles = {i: a.cycles for i, a in chips.items()}
        busy: dict[str, int] = dict.fromkeys(UNIT_KINDS, 0)
        capacity: dict[str, int] = dict.fromkeys(UNIT_KINDS, 0)
        spec = self.machine.chip
        per_kind = {
            "MEM": len(spec.mem_slices),
            "VXM": spec.vxm_alus,
            "SXM": 2,
            "MXM": 2 * spec.mxm_planes,
        }
        for i, a in chips.items():
            for kind, count in {**per_kind, "C2C": a.ports}.items():
                capacity[kind] += count * a.cycles
            for unit, cycles_busy in a.busy.items():
                busy[f"chip{i}/{unit}"] = cycles_busy
                capacity[f"chip{i}/{unit}"] = a.cycles
                busy[unit.split(".")[0]] += cycles_busy
        return SimulationResult(
            outputs=assemble_outputs(
                self.system,
                lambda chip, tensor: chips[chip].outputs[tensor.sym_name.data],
                self.arguments[1],
            )
            if whole
            else [],
            cycles=max(chip_cycles.values(), default=self.cycles),
            chip_cycles=chip_cycles,
            static_cycles=self.static_cycles,
            unit_busy=busy,
            link_busy={
                name: union_length(pieces)
                for name, pieces in sorted(link_spans(chips.values()).items())
            },
            link_bytes=dict(sorted(network.link_bytes.items())),
            instructions=sum(a.instructions for a in chips.values()),
            capacity=capacity,
            trace_events=[e for a in chips.values() for e in a.trace or []]
            if trace
            else None,
        )


@dataclass
class ChipAccount:
    """What a run reports of one chip, kept when a streamed run drops the
    chip: its cycles, link ports, busy cycles per unit, link spans,
    instructions evaluated, output tensors and trace events."""

    cycles: int
    ports: int
    busy: dict[str, int]
    spans: dict[str, list[tuple[int, int]]]
    instructions: int
    outputs: dict[str, np.ndarray]
    trace: list[dict[str, Any]] | None


def link_spans(accounts: Iterable[ChipAccount]) -> dict[str, list[tuple[int, int]]]:
    """The busy cycles of every link direction the chips of `accounts`
    send on."""
    links: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for a in accounts:
        for name, pieces in a.spans.items():
            links[name].extend(pieces)
    return links


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
    return Program(module).run(inputs, collect_all=collect_all, trace=trace)


def quiesce(runner: Runner, network: Network) -> list[Violation]:
    """When nothing is ready: the receives still waiting have no arrival:
    what that and the arrivals nobody took broke; the waiting receives take
    nothing (and become ready)."""
    runs = runner.runs
    found = [
        *network.stray,
        *(v for run in runs.values() for v in run.stray_violations()),
    ]
    network.stray.clear()
    for chip, run in runs.items():
        for step in run.starving():
            violation, ready = run.starve(step)
            found.append(violation)
            if ready is not None:
                runner.push(chip, ready)
    return found


def _run(runner: Runner, network: Network, report: Callable[[Violation], None]) -> None:
    """Evaluate every chip as far as it can go; when nothing is ready, report
    what starved (`quiesce`) and go on."""
    while True:
        runner.run()
        for violation in sorted(quiesce(runner, network), key=violation_order):
            report(violation)
        if runner.next_cycle() is None:
            return


def violation_order(v: Violation) -> tuple[Any, ...]:
    """Violations in a fixed order, whatever order they were found in."""
    return (*v.order, v.unit, v.rule, v.message)
