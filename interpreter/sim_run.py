"""One run of a planned program: the data of the chips a process simulates.

The plan (`sim_chip.ChipSim`) has already checked the timing rules and
resolved what every step waits for, so a run only computes: one whole burst
per step, in dependency order. `Runner` keeps one ready queue for all of its
chips, ordered by issue cycle, so the array is evaluated roughly in time
order and idle cycles cost nothing; `run(until)` stops at a window's end (a
distributed run exchanges link traffic there). A result is dropped once every
step that takes it as an operand has run, unless the run keeps values (the
debugger does).
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from lpuir import numerics, progress
from lpuir.dialects import lpu
from lpuir.interpreter.sim_chip import ChipSim, Flit, Report, Sender, Step
from lpuir.interpreter.sim_errors import Violation
from lpuir.interpreter.sim_memory import (
    END_OF_TIME,
    Argument,
    TensorData,
    bind_input,
    from_vectors,
    initial_image,
    to_vectors,
)
from lpuir.interpreter.sim_units import compute, element, lane_indices

if TYPE_CHECKING:
    from lpuir.interpreter.sim_stream import Feed

Transmit = Callable[[int, int, int, Flit], None]
"""(chip, port, departure cycle, flit): a vector put on a link."""

Images = Callable[[lpu.TensorOp], np.ndarray]
"""A tensor's SRAM image at cycle 0 (an input's, or a weight's declared
without a value; the plan has every other tensor's)."""

PROGRESS_EVERY = 256
"""Steps between two progress reports."""


class ChipRun:
    """The state of one chip in one run: SRAM contents, results, arrivals."""

    def __init__(
        self,
        plan: ChipSim,
        images: Images,
        transmit: Transmit,
        report: Report,
        keep_values: bool = False,
    ):
        self.plan = plan
        self.id = plan.id
        self.spec = plan.spec
        self.transmit = transmit
        self.report = report
        self.keep_values = keep_values
        self.memory = Memory(plan, images)
        self.reads_left = dict(plan.reads)
        self.values: list[np.ndarray | None] = [None] * len(plan.steps)
        self.waits = list(plan.waits)
        self.takes = list(plan.consumers)
        self.done = [False] * len(plan.steps)
        self.arrivals: dict[tuple[int, int], Flit | None] = {}
        self.stray: list[tuple[int, int, Flit, str]] = []
        self.strays_reported = 0
        self.lanes: dict[int, np.ndarray] = {}
        """A gather's or scatter's addresses, by step index, once it ran."""
        self.evaluated = 0
        self.actions: dict[str, Callable[[Step], None]] = {
            "read": self._read,
            "write": self._write,
            "gather": self._gather,
            "scatter": self._scatter,
            "send": self._send,
            "recv": self._recv,
            "forward": self._forward,
        }

    def initially_ready(self) -> list[Step]:
        return [s for s in self.plan.steps if s.waits == 0]

    # ------------------------------------------------------------ evaluate

    def evaluate(self, step: Step) -> list[int]:
        """Compute one step; the indices of the steps it made ready."""
        self.compute(step)
        ready = []
        waits = self.waits
        for u in step.users:
            waits[u] -= 1
            if waits[u] == 0:
                ready.append(u)
        return ready

    def compute(self, step: Step) -> None:
        """Compute one step whose inputs are there, and drop the operands no
        later step takes."""
        action = self.actions.get(step.kind)
        if action is not None:
            action(step)
        elif step.result is not None:
            self.values[step.index] = compute(
                step.op, [self.values[i] for i in step.args], self.spec
            )
        self.done[step.index] = True
        self.evaluated += 1
        if not self.keep_values:
            for i in step.producers:
                self.takes[i] -= 1
                if self.takes[i] == 0:
                    self.values[i] = None

    def _read(self, step: Step) -> None:
        assert step.vectors is not None
        memory = self.memory[step.tensor_name]
        self.values[step.index] = (
            step.fetch.take(memory)
            if step.fetch is not None
            else memory.load(step.vectors, _times(step))
        )
        self._read_done(step)

    def _read_done(self, step: Step) -> None:
        """After a tensor's last read, its SRAM is forgotten (unless it is an
        output, or the run keeps everything): a long program's weights live
        only while they are used."""
        name = step.tensor_name
        self.reads_left[name] -= 1
        if self.reads_left[name] == 0 and not self.keep_values:
            self.memory[name].release()

    def _write(self, step: Step) -> None:
        self.memory[step.tensor_name].written[step.index] = self.values[step.args[0]]  # type: ignore[assignment]

    def _gather(self, step: Step) -> None:
        vectors = self._lane_vectors(step)
        outside = vectors < 0
        data = self._memory(step).load(np.where(outside, 0, vectors), _times(step))
        data[outside] = 0
        self.values[step.index] = data
        self._read_done(step)

    def _scatter(self, step: Step) -> None:
        op = step.op
        assert type(op) is lpu.ScatterOp
        value = self.values[step.args[list(op.operands).index(op.value)]]
        self._memory(step).set_scatter(step.index, self._lane_vectors(step), value)  # type: ignore[arg-type]

    def _memory(self, step: Step) -> TensorData:
        return self.memory[step.tensor_name]

    def _lane_vectors(self, step: Step) -> np.ndarray:
        """A gather's or scatter's per-lane vectors (-1 where out of range,
        which is reported), and its addresses for the final bank check."""
        op, tensor = step.op, step.tensor
        assert (type(op) is lpu.GatherOp or type(op) is lpu.ScatterOp) and tensor
        assert tensor.address is not None
        count = tensor.vector_count(self.spec.lanes)
        indices = self.values[step.args[list(op.operands).index(op.indices)]]
        vectors, outside = lane_indices(indices, count)  # type: ignore[arg-type]
        if outside.any():
            k, lane = (int(i) for i in np.argwhere(outside)[0])
            self.report(
                Violation(
                    self.id,
                    step.cycle + k,
                    step.unit,
                    "address range",
                    f"lane {lane} of index vector {k} is {int(vectors[k, lane])}, outside @{tensor.sym_name.data}'s vectors 0..{count - 1}",
                    step.location,
                )
            )
        vectors = np.where(outside, -1, vectors)
        self.lanes[step.index] = np.where(outside, -1, vectors + tensor.address.data)
        return vectors

    def _send(self, step: Step) -> None:
        assert step.port is not None
        value = self.values[step.args[0]]
        assert value is not None
        flit = Flit(
            step.op.channel.data,  # type: ignore[attr-defined]
            self.id,
            element(step.operands[0]),
            value[0],
            Sender(step.location, str(step)),
        )
        self.transmit(self.id, step.port, step.cycle, flit)

    def _recv(self, step: Step) -> None:
        op = step.op
        assert type(op) is lpu.RecvOp and step.port is not None
        flit = self.arrivals[(step.port, step.cycle)]
        want = step.element
        nothing = np.zeros((1, self.spec.lanes), numerics.carrier(want))
        self.values[step.index] = nothing
        if flit is None:
            return
        if (flit.channel, flit.origin, flit.element) != (
            op.channel.data,
            op.sender.data,
            want,
        ):
            self.report(
                Violation(
                    self.id,
                    step.cycle,
                    step.unit,
                    "wrong arrival",
                    f'receives channel "{op.channel.data}" ({want}) from chip {op.sender.data}, but the vector arriving is channel "{flit.channel}" ({flit.element}) from chip {flit.origin}, sent by {flit.sender}',
                    step.location,
                )
            )
            if flit.element != want:
                return
        self.values[step.index] = flit.payload[None, :]

    def _forward(self, step: Step) -> None:
        flit = self.arrivals[(step.port, step.cycle)]  # type: ignore[index]
        if flit is not None:
            self.transmit(
                self.id,
                step.op.out_port.data,  # type: ignore[attr-defined]
                step.cycle + step.delay,
                flit,
            )

    # ------------------------------------------------------------- network

    def arrive(self, port: int, cycle: int, flit: Flit, link: str) -> Step | None:
        """A vector arriving on `port` at `cycle`: taken by the receive or
        forward issued then (returned if that made it ready), or kept as a
        stray (reported later)."""
        key = (port, cycle)
        taker = self.plan.takers.get(key)
        if taker is None or key in self.arrivals:
            self.stray.append((port, cycle, flit, link))
            return None
        self.arrivals[key] = flit
        return self._arrived(taker)

    def _arrived(self, taker: Step) -> Step | None:
        self.waits[taker.index] -= 1
        return taker if self.waits[taker.index] == 0 else None

    def _port_activity(self, port: int) -> str:
        takes = sorted(c for p, c in self.plan.takers if p == port)
        comes = sorted(c for p, c in self.arrivals if p == port) + sorted(
            c for p, c, _, _ in self.stray if p == port
        )
        return f"takers on port {port} at cycles {takes[:4] or 'none'}, arrivals at {sorted(comes)[:4] or 'none'}"

    def stray_violations(self) -> Iterator[Violation]:
        """Arrivals nobody took; each is reported once."""
        for port, cycle, flit, link in self.stray[self.strays_reported :]:
            yield Violation.unconsumed(
                self.id,
                port,
                cycle,
                flit,
                link,
                f"but no receive or forward takes it then ({self._port_activity(port)})",
            )
        self.strays_reported = len(self.stray)

    def starving(self) -> list[Step]:
        """Receives and forwards still waiting for an arrival."""
        return [
            s
            for key, s in self.plan.takers.items()
            if key not in self.arrivals and not self.done[s.index]
        ]

    def starve(self, step: Step) -> tuple[Violation, Step | None]:
        """Give up waiting: the step takes nothing; what it broke, and the
        step if that made it ready."""
        port = step.port
        assert port is not None
        violation = Violation(
            self.id,
            step.cycle,
            step.unit,
            "no arrival",
            f"{step.mnemonic} on port {port} at cycle {step.cycle}, but nothing arrives then ({self._port_activity(port)})",
            step.location,
        )
        self.arrivals[(port, step.cycle)] = None
        return violation, self._arrived(step)

    # -------------------------------------------------------------- results

    def finish(self) -> None:
        """After the run: bank conflicts that depend on gathered or scattered
        addresses, and steps that never ran (a dependence cycle)."""
        from lpuir.diagnostics import LpuError

        self.plan.check_lane_banks(self.report, self.lanes)
        stuck = (
            []
            if all(self.done)
            else [s for s in self.plan.order if not self.done[s.index]]
        )
        if stuck:
            raise LpuError(
                f"{stuck[0].location}: error: chip {self.id}: {stuck[0]} depends on its own result through SRAM within one burst; the simulator evaluates bursts whole"
            )

    def output(self, name: str) -> np.ndarray:
        """A tensor's value at the end of the program."""
        memory = self.memory[name]
        final = self.plan.final(name)
        if final is not None:
            image = final.take(memory)
        else:
            count = memory.image.shape[0]
            image = memory.load(
                np.arange(count, dtype=np.int64), np.full(count, END_OF_TIME, np.int64)
            )
        return from_vectors(image, self.plan.tensors[name], self.spec.lanes)


class Memory(dict[str, TensorData]):
    """A chip's tensors in one run, each made when first touched."""

    def __init__(self, plan: ChipSim, images: Images):
        super().__init__()
        self.plan = plan
        self.images = images

    def __missing__(self, name: str) -> TensorData:
        plan = self.plan
        constant = plan.constant_images
        tensor = plan.tensors[name]
        data = TensorData(
            plan.indexes[name],
            (lambda: constant[name])
            if name in constant
            else (lambda: self.images(tensor)),
        )
        self[name] = data
        return data


def _times(step: Step) -> np.ndarray:
    return step.cycle + np.arange(step.burst, dtype=np.int64)


def tensor_images(
    inputs: Callable[[int], np.ndarray], lanes: int, weights: Images | None = None
) -> Images:
    """Images of a run's input tensors, `inputs(arg)` being the (bound) input,
    and of weights declared without a value: `weights`, or zeros."""

    def image(tensor: lpu.TensorOp) -> np.ndarray:
        if tensor.arg is not None and tensor.kind.data == "input":
            arg = tensor.arg.data
            return initial_image(tensor, lanes, {arg: inputs(arg)})
        if weights is not None:
            return weights(tensor)
        return initial_image(tensor, lanes, {})

    return image


def lazy_inputs(
    declared: dict[int, Argument],
    make: Callable[[int], np.ndarray],
    uses: dict[int, int],
) -> Callable[[int], np.ndarray]:
    """Inputs made on demand (`make(arg)`), each checked and made once, only
    if a tensor of the run needs it, and kept only until its `uses` tensors
    have taken their part: a distributed rank makes only the inputs its chips
    hold, and a long run holds an input only as SRAM."""
    made: dict[int, np.ndarray] = {}
    left = dict(uses)

    def value(arg: int) -> np.ndarray:
        if arg not in made:
            made[arg] = bind_input(declared[arg], make(arg))
        left[arg] -= 1
        return made.pop(arg) if left[arg] == 0 else made[arg]

    return value


def random_weights(seed: int, lanes: int) -> Images:
    """Values for weight tensors declared without one (a timing study's
    resident weights): random values of the element type (as `random:SEED`
    makes them) from a seed per tensor, drawn from `seed`, the chip and the
    tensor's name, so that any process makes any chip's weights alike."""
    from lpuir.execute import random_values

    def image(tensor: lpu.TensorOp) -> np.ndarray:
        chip = tensor.parent_op()
        assert isinstance(chip, lpu.ChipOp)
        own = zlib.crc32(f"{seed}/{chip.chip_id}/{tensor.sym_name.data}".encode())
        shape = tuple(tensor.type.get_shape())
        values = random_values(shape, tensor.element, f"random:{own}", "a weight")
        return to_vectors(values, tensor, lanes)

    return image


class Runner:
    """Evaluates the chips of one process: one ready queue for all of them,
    ordered by (issue cycle, chip, step). Chips that take nothing from links
    (`static`) need no queue: each evaluates in its plan's order. A streamed
    run's `feed` (sim_stream) adds each of its chips when its first step is
    due and takes it away after its last."""

    def __init__(
        self, runs: dict[int, ChipRun], static: bool = False, feed: Feed | None = None
    ):
        self.runs = runs
        self.ready: list[tuple[int, int, int]] = []
        self.static = static and feed is None
        self.feed = feed
        self.cycle = 0
        """The issue cycle of the latest step evaluated."""
        if self.static:
            return
        for chip, run in runs.items():
            for step in run.initially_ready():
                self.push(chip, step)

    def push(self, chip: int, step: Step) -> None:
        heapq.heappush(self.ready, (step.cycle, chip, step.index))

    def next_cycle(self) -> int | None:
        """The issue cycle of the earliest ready step (or chip to load), if any."""
        due = None if self.feed is None else self.feed.due()
        if not self.ready:
            return due
        return self.ready[0][0] if due is None else min(due, self.ready[0][0])

    def _load(self, until: int | None) -> None:
        """Load the feed's chips that start no later than the earliest ready
        step (and before `until`)."""
        assert self.feed is not None
        ready = self.ready
        while (due := self.feed.due()) is not None and (
            (not ready or due <= ready[0][0]) and (until is None or due < until)
        ):
            chip, run, made_ready = self.feed.load()
            self.runs[chip] = run
            for step in [*made_ready, *run.initially_ready()]:
                self.push(chip, step)

    def run(self, until: int | None = None) -> int:
        """Evaluate ready steps issued before `until` (all: None); the count."""
        ready, runs, feed = self.ready, self.runs, self.feed
        count = 0
        if self.static:
            self.static = False
            for run in runs.values():
                steps = run.plan.steps
                for index in run.plan.evaluation_order:
                    run.compute(steps[index])
                    count += 1
                    if count % PROGRESS_EVERY == 0:
                        progress.update("simulate", steps[index].cycle)
            return count
        while True:
            if feed is not None:
                self._load(until)
            if not ready or (until is not None and ready[0][0] >= until):
                return count
            cycle, chip, index = heapq.heappop(ready)
            run = runs[chip]
            steps = run.plan.steps
            for u in run.evaluate(steps[index]):
                heapq.heappush(ready, (steps[u].cycle, chip, u))
            count += 1
            if count % PROGRESS_EVERY == 0:
                progress.update("simulate", cycle)
            self.cycle = cycle
            if feed is not None and run.evaluated == len(steps):
                feed.retire(chip, runs)
