"""One chip of the modelled array: the static plan of its scheduled program
and the timing rules checked on that plan.

Every cycle of a scheduled program is stated in the IR, so where each vector
is, which unit is busy and what each SRAM read sees are known before any data
exist: the plan records them as ranges (bursts on streams, busy intervals,
SRAM writes with their visible cycles) in cycle order and checks the rules on
those ranges. It also resolves, once, what each step needs before its data
can be computed (its operands' producers, the writes its SRAM reads see, an
arrival) and where each read finds its vectors, so that a run
(`sim_run.ChipRun`) only computes. A plan depends on the program alone: one
plan serves any number of runs.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate

import numpy as np
from xdsl.ir import SSAValue

from lpuir import timing
from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu
from lpuir.dialects.lpu import element_bytes
from lpuir.interpreter.sim_errors import Violation
from lpuir.interpreter.sim_memory import (
    END_OF_TIME,
    Fetch,
    WriteIndex,
    initial_image,
)
from lpuir.interpreter.sim_streams import Burst, StreamKey, StreamTable, stream_name
from lpuir.interpreter.sim_units import element, mem_vectors
from lpuir.machine import ChipSpec, LinkSpec, SystemSpec


def link_name(link: LinkSpec) -> str:
    """`a:p-b:q`, the name the report gives a link."""
    return f"{link.a[0]}:{link.a[1]}-{link.b[0]}:{link.b[1]}"


def union_length(pieces: list[tuple[int, int]]) -> int:
    """Cycles covered by half-open intervals [start, end)."""
    total, reach = 0, -1
    for a, b in sorted(pieces):
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def _vectors(value: SSAValue | None) -> int:
    """Vectors in a burst value (1 for anything else); an instruction handles
    as many as its longest stream operand or result (an install: its rows)."""
    t = value.type if value is not None else None
    return t.n if type(t) is lpu.VectorType else 1


def describe_value(value: SSAValue) -> str:
    """`%name`, or the op that defines an unnamed value."""
    if value.name_hint:
        return f"%{value.name_hint}"
    return f"the result of {value.owner.name.removeprefix('lpu.')} at {op_location(value.owner)}"  # type: ignore[union-attr]


@dataclass(frozen=True)
class Sender:
    """The send that put a vector on a link, as messages name it (a flit
    travels between processes without its IR)."""

    location: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Flit:
    """One vector on a link: what a send put there, forwarded unchanged."""

    channel: str
    origin: int
    element: str
    payload: np.ndarray
    sender: Sender


@dataclass(eq=False, slots=True)
class Step:
    """One scheduled instruction and its static facts (slotted: a chip plans
    one per instruction, hundreds of thousands for a Llama layer)."""

    op: lpu.Instruction
    kind: str
    """What it does: its class's `KIND`."""
    index: int
    cycle: int
    burst: int
    """Vectors it handles, one per cycle."""
    unit: str
    position: int | None
    delay: int
    acts: int
    """The last cycle at which it acts (docs/dialect.md "Program length")."""
    busy: int
    """Cycles its unit is held from `cycle` (a trace event's length)."""
    holds: tuple[tuple[str, str], ...] = ()
    """(unit, resource) pairs busy at cycle .. cycle + n - 1 (its footprint)."""
    operands: tuple[SSAValue, ...] = ()
    result: SSAValue | None = None
    element: str = ""
    """The result's element type."""
    takes: tuple[tuple[SSAValue, lpu.Source], ...] = ()
    """Stream operands and where each is taken from (a stream or an ALU)."""
    dst: lpu.StreamAttr | None = None
    port: int | None = None
    """The port a send, receive or forward takes from or puts on the streams."""
    tensor: lpu.TensorOp | None = None
    tensor_name: str = ""
    """The MEM tensor's name (a run's key for its SRAM)."""
    vectors: np.ndarray | None = None
    """A read's or write's tensor vectors, burst vector k first."""
    args: tuple[int, ...] = ()
    """The step index of each operand's producer, in operand order."""
    producers: tuple[int, ...] = ()
    """The distinct producers of its operands."""
    consumers: int = 0
    """Steps that take its result as an operand."""
    fetch: Fetch | None = None
    """A read's vectors as resolved by the plan (None: looked up when it runs)."""
    deps: set[Step] = field(default_factory=set)
    users: list[int] = field(default_factory=list)
    """Indices of the steps that wait for this one."""
    waits: int = 0
    """What it waits for before it can run: its deps, and an arrival."""

    @property
    def mnemonic(self) -> str:
        return self.op.name.removeprefix("lpu.")

    @property
    def location(self) -> str:
        return op_location(self.op)

    def __str__(self) -> str:
        return f"{self.mnemonic} at {self.location} (issued at cycle {self.cycle})"


@dataclass
class _PortUse:
    """A burst's use of one MEM slice port: cycles and addresses (None for a
    gather or scatter: its lanes choose them when it runs)."""

    step: Step
    times: np.ndarray
    addresses: np.ndarray | None


def _addresses(use: _PortUse, lanes: dict[int, np.ndarray]) -> np.ndarray | None:
    """A port use's addresses: fixed, or those a gather's or scatter's lanes
    chose in the run (None if it did not run)."""
    return use.addresses if use.addresses is not None else lanes.get(use.step.index)


Report = Callable[[Violation], None]


class ChipSim:
    """The plan of one chip's program; `violations` holds the rules it
    breaks (those that do not depend on data)."""

    def __init__(self, chip: lpu.ChipOp, machine: SystemSpec):
        self.id = chip.chip_id
        self.machine = machine
        self.spec: ChipSpec = machine.chip
        self.violations: list[Violation] = []
        self.tensors = {t.sym_name.data: t for t in chip.tensors()}
        self.indexes = {name: WriteIndex() for name in self.tensors}
        self._finals: dict[str, Fetch | None] = {}
        self.steps = [self._step(i, op) for i, op in enumerate(chip.instructions())]
        self.order = sorted(self.steps, key=lambda s: (s.cycle, s.index))
        self.producer = {s.result: s for s in self.steps if s.result is not None}
        self.streams = StreamTable()
        self.stream_reads: list[tuple[Step, SSAValue, lpu.StreamAttr, int, int]] = []
        self.chains: list[tuple[Step, SSAValue, int]] = []
        self.intervals: defaultdict[
            tuple[str, str, str], list[tuple[int, int, Step]]
        ] = defaultdict(list)
        self.ports: defaultdict[tuple[str, str], list[_PortUse]] = defaultdict(list)
        self.port_uses: dict[Step, _PortUse] = {}
        self.takers: dict[tuple[int, int], Step] = {}
        for step in self.order:
            self._plan(step)
        self._check_streams()
        self._check_chains()
        self._check_intervals()
        self.lane_pairs: list[tuple[str, _PortUse, _PortUse]] = []
        self._check_banks()
        self._check_planes()
        self._check_icu()
        self._link_dependences()

    # ------------------------------------------------------------------ plan

    def _step(self, index: int, op: lpu.Instruction) -> Step:
        """Unit, position, delay and last acting cycle of one instruction: its
        footprint at the placement it states, under the timing law."""
        if op.cycle is None:
            raise LpuError(
                f"{op_location(op)}: error: chip {self.id} is not scheduled ({op.name} has no cycle); the logical level runs with execute_logical"
            )
        kind = type(op).KIND
        if kind in ("", "nop"):
            raise LpuError(
                f"{op_location(op)}: error: {op.name} has no place in a scheduled program"
            )
        spec, c = self.spec, op.cycle.data
        results = op.results
        result = results[0] if results else None
        streamed = op.stream_operands()
        takes = tuple(zip(streamed, op.sources(), strict=True))
        element_type = element(result) if result is not None else ""
        n = max([_vectors(result), *(_vectors(v) for v in streamed)])
        tensor, vectors, port = None, None, None
        if op.UNIT == "MEM":
            tensor = self._tensor(op)  # type: ignore[arg-type]
            assert tensor.slice is not None
            if kind in ("read", "write"):
                vectors = mem_vectors(op)  # type: ignore[arg-type]
        place = op.place()
        footprint = op.footprint(spec, place)
        delay, busy = footprint.delay, n
        if kind in ("send", "recv", "forward"):
            port = place.port
            busy = self.machine.cycles_per_vector if kind == "send" else 1
        elif kind == "deskew":
            delay = timing.deskew_delay(c, self.machine.epoch)
            busy = delay + 1
        return Step(
            op,
            kind,
            index,
            c,
            n,
            footprint.unit,
            footprint.position,
            delay,
            timing.last_act(c, n, delay),
            busy,
            footprint.holds,
            tuple(op.operands),
            result,
            element_type,
            takes,
            getattr(op, "dst", None),
            port,
            tensor,
            tensor.sym_name.data if tensor is not None else "",
            vectors,
        )

    def _tensor(self, op: lpu.MemOp) -> lpu.TensorOp:
        name = op.tensor.root_reference.data
        if name not in self.tensors:
            raise LpuError(
                f"{op_location(op)}: error: no tensor @{name} on chip {self.id}"
            )
        return self.tensors[name]

    def _plan(self, step: Step) -> None:
        """Record what one instruction puts on and takes from streams, the
        units and ports it holds, and its SRAM writes."""
        kind, c = step.kind, step.cycle
        for unit, resource in step.holds:
            self.intervals[(unit, resource, "unit busy")].append(
                (c, c + step.burst, step)
            )
        if step.tensor is not None:
            self._plan_mem(step)
        if kind == "install" and len(step.takes) > self.spec.mxm_install_rows_per_cycle:
            limit = self.spec.mxm_install_rows_per_cycle
            self._violate(
                step,
                c,
                step.unit,
                "install width",
                f"installs {len(step.takes)} operands side by side, but a plane takes at most {limit} rows per cycle",
            )
        if kind in ("recv", "forward"):
            assert step.port is not None
            self.takers[(step.port, c)] = step
        if kind == "send":
            assert step.port is not None
            self._link_out(step, step.port, c)
        elif kind == "forward":
            departure = timing.forward_departure(c, self.spec)
            self._link_out(step, step.op.out_port.data, departure)  # type: ignore[attr-defined]
        self._take_operands(step, c)
        if step.dst is not None:
            self._put(step, c + step.delay)

    def _plan_mem(self, step: Step) -> None:
        """The port uses of every byte-plane slice (for the bank rule), and
        the SRAM writes (visible when each vector acts)."""
        tensor, vectors = step.tensor, step.vectors
        assert tensor is not None and tensor.address is not None
        c, n = step.cycle, step.burst
        times = c + np.arange(n, dtype=np.int64)
        port = f"{step.op.PORT} port"  # type: ignore[attr-defined]
        size = self.spec.sram_addresses
        addresses = (
            (tensor.address.data + vectors) % size if vectors is not None else None
        )
        use = _PortUse(step, times, addresses)
        self.port_uses[step] = use
        for unit, _ in step.holds:  # every byte-plane slice of its group
            self.ports[(unit.removeprefix("MEM."), port)].append(use)
        index = self.indexes[tensor.sym_name.data]
        if step.kind == "write":
            assert vectors is not None
            index.plan_write(step.index, vectors, times + step.delay)
        elif step.kind == "scatter":
            index.plan_scatter(step.index, times + step.delay)

    def _link_out(self, step: Step, port: int, depart: int) -> None:
        link = self.machine.link_at(self.id, port)
        if link is None:
            raise LpuError(
                f"{step.location}: error: chip {self.id} port {port} has no link"
            )
        label = f"link {link_name(link)}"
        self.intervals[(f"C2C.port{port}", label, "link busy")].append(
            (depart, timing.link_free(depart, link), step)
        )

    def _put(self, step: Step, cycle: int) -> None:
        """The result put on its stream group at the step's position, vector k
        at `cycle + k`: one burst per byte plane."""
        dst, value = step.dst, step.result
        assert step.position is not None and dst is not None and value is not None
        first = timing.diagonal(dst.direction, step.position, cycle)
        for plane in range(element_bytes(step.element)):
            burst = Burst(step.position, first, step.burst, step, value, plane)
            self.streams.put((dst.index + plane, dst.direction), burst)

    def _take_operands(self, step: Step, cycle: int) -> None:
        """Each stream operand is taken at the step's position, vector k at
        `cycle + k`; a chained one from its ALU."""
        for value, src in step.takes:
            if type(src) is lpu.AluAttr:
                self.chains.append((step, value, src.data))
            else:
                assert step.position is not None
                self.stream_reads.append((step, value, src, step.position, cycle))  # type: ignore[arg-type]

    def _violate(
        self, step: Step, cycle: int, unit: str, rule: str, message: str
    ) -> None:
        self.violations.append(
            Violation(self.id, cycle, unit, rule, message, step.location)
        )

    def position_name(self, position: int) -> str:
        """`W4`, `VXM`, `SXM.E`, ...: what sits at a floor-plan position."""
        spec = self.spec
        for name, p in spec.mem_slices.items():
            if p == position:
                return name
        kind = spec.positions[position]
        return (
            kind
            if kind == "VXM"
            else f"{kind}.{'W' if position < spec.vxm_position else 'E'}"
        )

    # ---------------------------------------------------------------- checks

    def _check_streams(self) -> None:
        """Two puts into one slot in one cycle; a read of a slot that does not
        hold exactly the named vector (every byte plane from its put)."""
        reported: set[tuple[Step, Step]] = set()
        for key, first, second, cycle in self.streams.finish():
            pair = (first.owner, second.owner)
            if pair in reported:
                continue
            reported.add(pair)
            step = second.owner
            self._violate(
                step,
                cycle,
                step.unit,
                "stream clash",
                f"puts {describe_value(second.value)} on stream {stream_name(key)} at position {second.position} ({self.position_name(second.position)}) at cycle {cycle}, where {describe_value(first.value)} is put in the same cycle by {first.owner}",
            )
        for step, value, src, position, cycle in self.stream_reads:
            self._check_read(step, value, src, position, cycle)

    def _check_read(
        self,
        step: Step,
        value: SSAValue,
        src: lpu.StreamAttr,
        position: int,
        cycle: int,
    ) -> None:
        producer = self.producer.get(value)
        n = _vectors(value)
        first = timing.diagonal(src.direction, position, cycle)
        width = element_bytes(producer.element if producer else element(value))
        for plane in range(width):
            key: StreamKey = (src.index + plane, src.direction)
            candidates = self.streams.candidates(key, position, cycle, n)
            last = candidates[-1] if candidates else None
            if (
                last is not None
                and last.owner is producer
                and last.value is value
                and last.plane == plane
                and last.diagonal == first
                and (len(candidates) == 1 or candidates[-2].position != last.position)
            ):
                continue  # the named put is the nearest upstream one, all n vectors
            owner, vector = self.streams.paint(candidates, first, n)
            good = np.array(
                [
                    b.owner is producer and b.value is value and b.plane == plane
                    for b in candidates
                ]
                + [False]
            )
            ok = good[owner] & (vector == np.arange(n))
            k = int(np.argmin(ok))
            if owner[k] < 0:
                held = "nothing"
            else:
                b = candidates[owner[k]]
                held = (
                    f"{describe_value(b.value)} vector {vector[k]}"
                    + (
                        f" byte plane {b.plane}"
                        if element_bytes(element(b.value)) > 1
                        else ""
                    )
                    + f" put by {b.owner}"
                )
            self._violate(
                step,
                cycle + k,
                step.unit,
                "stream slot",
                f"reads stream {stream_name(key)} at position {position} ({self.position_name(position)}) at cycle {cycle + k}: slot holds {held}; expected {describe_value(value)} vector {k}",
            )
            return

    def _check_chains(self) -> None:
        """A chained operand is on its ALU's output only at producer cycle + delay."""
        for step, value, alu in self.chains:
            producer = self.producer.get(value)
            if producer is None or producer.unit != f"VXM.alu{alu}":
                self._violate(
                    step,
                    step.cycle,
                    step.unit,
                    "chain timing",
                    f"chains {describe_value(value)} from ALU {alu}, but ALU {alu} does not compute it",
                )
                continue
            ready = timing.result_cycle(producer.cycle, 0, producer.delay)
            if step.cycle != ready:
                self._violate(
                    step,
                    step.cycle,
                    step.unit,
                    "chain timing",
                    f"takes {describe_value(value)} from ALU {alu} at cycle {step.cycle}, but it is on ALU {alu}'s output only at cycle {ready} ({producer} + delay {producer.delay})",
                )

    def _check_intervals(self) -> None:
        """A unit, port or link direction used by two instructions at once."""
        for (_, label, rule), uses in self.intervals.items():
            uses.sort(key=lambda u: (u[0], u[2].index))
            holder: tuple[int, int, Step] | None = None
            for use in uses:
                if holder is not None and use[0] < holder[1]:
                    self._violate(
                        use[2],
                        use[0],
                        label,
                        rule,
                        f"{label} is busy at cycle {use[0]}: {holder[2]} holds it until cycle {holder[1] - 1}",
                    )
                if holder is None or use[1] > holder[1]:
                    holder = use

    def _banks(self, addresses: np.ndarray) -> np.ndarray:
        return addresses * self.spec.sram_banks // self.spec.sram_addresses

    def _check_banks(self) -> None:
        """A read and a write of one slice in one cycle must use different
        banks. Before the run only fixed addresses are known: the pairs that
        involve a gather or scatter, whose lanes choose them, wait in
        `lane_pairs` for `check_lane_banks`."""
        for (slice_name, port), reads in self.ports.items():
            if port != "read port":
                continue
            writes = sorted(
                self.ports.get((slice_name, "write port"), []),
                key=lambda u: int(u.times[0]),
            )
            starts = [int(w.times[0]) for w in writes]
            reach = list(accumulate((int(w.times[-1]) for w in writes), max))
            for r in reads:
                first, last = int(r.times[0]), int(r.times[-1])
                for w in writes[bisect_left(reach, first) : bisect_right(starts, last)]:
                    if r.addresses is None or w.addresses is None:
                        self.lane_pairs.append((slice_name, r, w))
                    else:
                        self._bank_pair(
                            slice_name,
                            r,
                            w,
                            r.addresses,
                            w.addresses,
                            self.violations.append,
                        )

    def check_lane_banks(self, report: Report, lanes: dict[int, np.ndarray]) -> None:
        """The bank rule for the pairs of reads and writes that involve a
        gather or scatter, with the addresses `lanes` gives each one that ran
        (by step index)."""
        for slice_name, r, w in self.lane_pairs:
            ra, wa = _addresses(r, lanes), _addresses(w, lanes)
            if ra is not None and wa is not None:
                self._bank_pair(slice_name, r, w, ra, wa, report)

    def _bank_pair(
        self,
        slice_name: str,
        r: _PortUse,
        w: _PortUse,
        r_addresses: np.ndarray,
        w_addresses: np.ndarray,
        report: Report,
    ) -> None:
        common, ri, wi = np.intersect1d(r.times, w.times, return_indices=True)
        read_banks = self._banks(r_addresses[ri]).reshape(len(ri), -1)
        write_banks = self._banks(w_addresses[wi]).reshape(len(wi), -1)
        clash = (read_banks[:, :, None] == write_banks[:, None, :]) & (
            read_banks[:, :, None] >= 0
        )
        hit = clash.any(axis=(1, 2))
        if not hit.any():
            return
        k = int(np.argmax(hit))
        bank = int(read_banks[k][clash[k].any(axis=1)][0])
        later = max(r.step, w.step, key=lambda s: (s.cycle, s.index))
        report(
            Violation(
                self.id,
                int(common[k]),
                f"MEM.{slice_name}",
                "bank conflict",
                f"slice {slice_name} is read by {r.step} and written by {w.step} in bank {bank} at cycle {int(common[k])} (one read and one write per cycle, in different banks)",
                later.location,
            )
        )

    def _check_planes(self) -> None:
        """A matmul needs its weights installed and not yet replaced on its
        plane, and `acc` must be the plane's previous matmul."""
        planes: defaultdict[str, list[Step]] = defaultdict(list)
        for step in self.order:
            if step.kind in ("install", "matmul"):
                planes[step.unit].append(step)
        for unit, steps in planes.items():
            installed: Step | None = None
            accumulators: Step | None = None
            for step in steps:
                op = step.op
                if step.kind == "install":
                    installed = step
                    continue
                assert type(op) is lpu.MatmulOp
                self._check_weights(step, op, installed)
                if op.acc is not None and self.producer.get(op.acc) is not accumulators:
                    held = (
                        f"{describe_value(accumulators.op.results[0])} from {accumulators}"
                        if accumulators
                        else "nothing"
                    )
                    self._violate(
                        step,
                        step.cycle,
                        unit,
                        "accumulator",
                        f"accumulates onto {describe_value(op.acc)}, but the plane's accumulators hold {held}",
                    )
                accumulators = step

    def _check_weights(
        self, step: Step, op: lpu.MatmulOp, installed: Step | None
    ) -> None:
        wanted = self.producer.get(op.weights)
        name = describe_value(op.weights)
        if wanted is None or wanted.unit != step.unit:
            where = f" (they are installed on {wanted.unit})" if wanted else ""
            self._violate(
                step,
                step.cycle,
                step.unit,
                "weights",
                f"multiplies by {name}, which this plane never installs{where}",
            )
        elif installed is not wanted:
            if installed is None or wanted.cycle > step.cycle:
                problem = f"their install is issued only at cycle {wanted.cycle}"
            else:
                problem = f"they were replaced by {installed}"
            self._violate(
                step,
                step.cycle,
                step.unit,
                "weights",
                f"multiplies by {name} at cycle {step.cycle}, but {problem}",
            )
        elif step.cycle < (
            ready := timing.weights_ready(wanted.cycle, wanted.burst, wanted.delay)
        ):
            self._violate(
                step,
                step.cycle,
                step.unit,
                "weights",
                f"multiplies by {name} at cycle {step.cycle}, but they are usable only from cycle {ready} ({wanted}: {wanted.burst} rows + delay {wanted.delay})",
            )

    def _check_icu(self) -> None:
        """Sync at least delay_barrier after the last notify; nothing issues
        inside a deskew wait."""
        last_notify: Step | None = None
        barrier = self.spec.delay_barrier
        cycles = [s.cycle for s in self.order]
        for step in self.order:
            if step.kind == "notify":
                last_notify = step
            elif step.kind == "sync":
                if last_notify is None:
                    self._violate(
                        step,
                        step.cycle,
                        "ICU",
                        "barrier",
                        f"sync at cycle {step.cycle} has no notify before it",
                    )
                elif step.cycle - last_notify.cycle < barrier:
                    self._violate(
                        step,
                        step.cycle,
                        "ICU",
                        "barrier",
                        f"sync at cycle {step.cycle} comes {step.cycle - last_notify.cycle} cycles after {last_notify}; the barrier takes delay_barrier = {barrier}",
                    )
            elif step.kind == "deskew":
                boundary = timing.epoch_boundary(step.cycle, self.machine.epoch)
                lo = np.searchsorted(cycles, step.cycle + 1)
                hi = np.searchsorted(cycles, boundary)
                for other in self.order[lo:hi]:
                    self._violate(
                        other,
                        other.cycle,
                        other.unit,
                        "deskew",
                        f"issued at cycle {other.cycle}, inside the deskew wait of {step} until the epoch boundary at cycle {boundary}",
                    )

    def _link_dependences(self) -> None:
        """What each step must wait for before its data can be computed: the
        producers of its operands, the writes its SRAM reads see, and for a
        receive or forward, its arrival; and where each read finds its data."""
        for index in self.indexes.values():
            index.freeze()
        producer = {s.result: s.index for s in self.steps if s.result is not None}
        for step in self.steps:
            step.args = tuple(producer.get(v, -1) for v in step.operands)
            step.producers = tuple(sorted({i for i in step.args if i >= 0}))
            for i in step.producers:
                self.steps[i].consumers += 1
                step.deps.add(self.steps[i])
            if step.kind in ("read", "gather"):
                assert step.tensor is not None
                index = self.indexes[step.tensor_name]
                times = step.cycle + np.arange(step.burst, dtype=np.int64)
                if step.vectors is not None:
                    step.fetch = index.fetch(step.vectors, times)
                    writers = (
                        step.fetch.writers
                        if step.fetch is not None
                        else index.sources(step.vectors, times)
                    )
                else:
                    writers = index.writers_until(int(times[-1]))
                step.deps.update(self.steps[w] for w in writers)
            for dep in step.deps:
                dep.users.append(step.index)
            step.waits = len(step.deps) + (step.kind in ("recv", "forward"))

    @cached_property
    def cycles(self) -> int:
        """docs/dialect.md "Program length": last acting cycle + 1 + skew."""
        return timing.program_length(
            max((s.acts for s in self.steps), default=0), self.spec
        )

    @cached_property
    def busy(self) -> dict[str, int]:
        """Busy cycles of each unit instance (a MEM slice counts a cycle in
        which either port is busy), as the union of its intervals."""
        spans: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
        for (unit, _, _), uses in self.intervals.items():
            spans[unit].extend((a, b) for a, b, _ in uses)
        return {unit: union_length(pieces) for unit, pieces in spans.items()}

    @cached_property
    def link_spans(self) -> dict[str, list[tuple[int, int]]]:
        """The cycles each link direction this chip sends on is busy."""
        links: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
        for (_, label, rule), uses in self.intervals.items():
            if rule == "link busy":
                links[label.removeprefix("link ")].extend((a, b) for a, b, _ in uses)
        return links

    def final(self, name: str) -> Fetch | None:
        """Where a tensor's vectors are at the end of the program (None: it
        has scatters, looked up when the run ends)."""
        if name not in self._finals:
            count = self.tensors[name].vector_count(self.spec.lanes)
            self._finals[name] = self.indexes[name].fetch(
                np.arange(count, dtype=np.int64), np.full(count, END_OF_TIME, np.int64)
            )
        return self._finals[name]

    @cached_property
    def waits(self) -> list[int]:
        """What each step waits for, by index (a run counts them down)."""
        return [s.waits for s in self.steps]

    @cached_property
    def consumers(self) -> list[int]:
        """How many steps take each step's result, by index."""
        return [s.consumers for s in self.steps]

    @cached_property
    def evaluation_order(self) -> list[int]:
        """The steps in an order that evaluates each after what it waits for,
        issue cycle first where that leaves a choice (a run's ready queue
        would pick the same); for a chip that takes nothing from links."""
        assert not self.takers, "arrivals are known only when they come"
        waits = [s.waits for s in self.steps]
        ready = [(s.cycle, s.index) for s in self.steps if s.waits == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            _, i = heapq.heappop(ready)
            order.append(i)
            for u in self.steps[i].users:
                waits[u] -= 1
                if waits[u] == 0:
                    heapq.heappush(ready, (self.steps[u].cycle, u))
        return order

    @cached_property
    def reads(self) -> dict[str, int]:
        """How many steps read each tensor (its output, if it is one, counts
        as a read at the end)."""
        count = {name: int(t.kind.data == "output") for name, t in self.tensors.items()}
        for step in self.steps:
            if step.kind in ("read", "gather"):
                count[step.tensor_name] += 1
        return count

    @cached_property
    def constant_images(self) -> dict[str, np.ndarray]:
        """The SRAM image at cycle 0 of every tensor the program itself
        defines: its value, or zeros (not inputs, nor weights without a
        value, which a run is given)."""
        images = {
            name: initial_image(t, self.spec.lanes, {})
            for name, t in self.tensors.items()
            if t.kind.data not in ("input", "weight") or t.value is not None
        }
        for image in images.values():
            image.flags.writeable = False  # shared by every run
        return images
