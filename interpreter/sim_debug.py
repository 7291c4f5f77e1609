"""A cycle-level debugger over a recorded run, for `lpu-run --debug` (and
`lpu-dbg`) and for Python (notebooks).

A statically scheduled machine needs no re-execution to be inspected: the
plan knows where every vector is at every cycle and the run keeps every
result, so the debugger runs the program once (`Program.run(keep_values=
True)`) and then travels in time over that record. Its position is a cycle
and, within it, the next instruction to issue (in issue order: cycle, chip,
instruction); stepping and continuing move it forward, and the `reverse-`
commands move it back. At any position it shows the vectors on a stream
slot, SRAM vectors (the latest write visible then), an MXM plane's weights
and accumulators, the vectors in flight on links, and whole tensors.

Breakpoints stop before an instruction issues: at a cycle, at an
instruction (its `file:line`, or `CHIP:INDEX`), at a source location (the
`file:line` of the tensor op an instruction came from, which MLIR printed
with `--print-debuginfo` keeps), or at a write to a tensor; a watch on a
tensor stops after each write to it and shows the vectors that changed. With
the tensor-level source (`reference=`), the debugger finds the first
instruction whose result differs from the reference interpreter's and can
stop there. The command set follows gdb and Calyx's Cider (docs/lpu-run.md).
"""

from __future__ import annotations

import shlex
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from lpuir import timing
from lpuir.compare import _where, bits_equal, program_chip, reference_values
from lpuir.diagnostics import LpuError
from lpuir.dialects.lpu import element_bytes
from lpuir.interpreter.sim_chip import ChipSim, Step, describe_value
from lpuir.interpreter.sim_errors import SimulationError
from lpuir.interpreter.sim_memory import from_vectors, to_vectors
from lpuir.interpreter.sim_run import ChipRun, Images
from lpuir.interpreter.sim_streams import StreamTable, stream_name
from lpuir.interpreter.sim_trace import LinkEvent
from lpuir.interpreter.simulator import Program, SimulationResult


@dataclass(frozen=True)
class Breakpoint:
    """Where to stop: `kind` is cycle, instruction, source or write; `what`
    the cycle, the location (or CHIP:INDEX) or the tensor (`@t`, `CHIP:@t`).
    A watch stops after each write to its tensor."""

    number: int
    kind: str
    what: str

    def __str__(self) -> str:
        return f"{self.number}: {self.kind} {self.what}"


@dataclass(frozen=True)
class Mismatch:
    """The first instruction (in issue order) whose result differs from the
    reference: a write of a tensor that holds a tensor op's result, and
    where the first differing element is."""

    step: Step
    chip: int
    tensor: str
    vector: int
    lane: int
    got: object
    expected: object
    source: str

    def __str__(self) -> str:
        producer = self.step.op.operands[0].owner
        made = (
            f", computed by {producer.name.removeprefix('lpu.')}"
            if hasattr(producer, "cycle")
            else ""
        )
        return f"chip {self.chip}: {self.step} writes @{self.tensor} vector {self.vector} lane {self.lane} = {self.got!r}, the reference has {self.expected!r} ({self.source}{made})"


class Debugger:
    """A recorded run of a scheduled program and a position in it."""

    def __init__(
        self,
        module: ModuleOp,
        inputs: Sequence[np.ndarray],
        *,
        reference: ModuleOp | None = None,
        function: str | None = None,
        weights: Images | None = None,
    ):
        self.module = module
        self.program = Program(module)
        try:
            self.result: SimulationResult = self.program.run(
                inputs, collect_all=True, keep_values=True, weights=weights
            )
        except SimulationError as e:
            if e.result is None:
                raise
            self.result = e.result
        self.violations = self.result.violations
        assert self.result.runs is not None and self.result.link_log is not None
        self.runs: dict[int, ChipRun] = self.result.runs
        self.links: list[LinkEvent] = self.result.link_log
        self.timeline: list[tuple[int, int, Step]] = sorted(
            (
                (s.cycle, chip, s)
                for chip, run in self.runs.items()
                for s in run.plan.steps
            ),
            key=lambda e: (e[0], e[1], e[2].index),
        )
        self.cycles = [c for c, _, _ in self.timeline]
        self.pos = 0
        """Index in `timeline` of the next instruction to issue."""
        self.now = 0
        """The cycle the debugger shows."""
        self.chip = min(self.runs, default=0)
        """The chip that commands without one refer to."""
        self.breakpoints: list[Breakpoint] = []
        self.watches: list[Breakpoint] = []
        self._stopped: int | None = None
        """The position a breakpoint stopped at (continuing leaves it)."""
        self._numbered = 0
        self.mismatch: Mismatch | None = (
            None
            if reference is None
            else first_mismatch(self, reference, inputs, function)
        )

    # ------------------------------------------------------------ position

    @property
    def instruction(self) -> tuple[int, Step] | None:
        """The next instruction to issue (chip, step), None at the end."""
        if self.pos >= len(self.timeline):
            return None
        _, chip, step = self.timeline[self.pos]
        return chip, step

    def where(self) -> str:
        nxt = self.instruction
        if nxt is None:
            return (
                f"cycle {self.now}: the program has ended ({self.result.cycles} cycles)"
            )
        chip, step = nxt
        at = "issues now" if step.cycle == self.now else f"issues at cycle {step.cycle}"
        return f"cycle {self.now}: next chip {chip} {step.mnemonic} at {step.location} ({at})"

    def goto(self, cycle: int) -> None:
        """Stand at the start of `cycle`: nothing issued at it yet."""
        self.now = max(0, cycle)
        self.pos = bisect_left(self.cycles, self.now)
        self._stopped = None

    def stepi(self, count: int = 1) -> list[str]:
        """Issue `count` instructions; what each did (and any watch that fired)."""
        out = []
        for _ in range(count):
            if self.pos >= len(self.timeline):
                break
            cycle, chip, step = self.timeline[self.pos]
            self.now = cycle
            self.pos += 1
            out.append(f"cycle {cycle}: chip {chip} {step.mnemonic} at {step.location}")
            out += self._watched(chip, step)
        return out

    def step(self, cycles: int = 1) -> list[str]:
        """Advance `cycles` cycles, issuing what issues in them."""
        end = self.now + cycles
        out = []
        while self.pos < len(self.timeline) and self.cycles[self.pos] < end:
            out += self.stepi()
        self.now = end
        return out

    def cont(self) -> list[str]:
        """Issue until a breakpoint stops (before the instruction it names,
        or at the start of its cycle) or a watch does (after the write it
        watches), or the program ends."""
        first = self.pos == self._stopped
        while self.pos < len(self.timeline):
            cycle, chip, step = self.timeline[self.pos]
            hit = self._hit(cycle, chip, step, first)
            if hit is not None:
                self.now = int(hit.what) if hit.kind == "cycle" else cycle
                self._stopped = self.pos
                return [
                    f"breakpoint {hit.number} ({hit.kind} {hit.what}); {self.where()}"
                ]
            first = False
            fired = self.stepi()[1:]
            if fired:
                return fired
        self.now = max(self.now, self.result.cycles)
        return [f"the program ended at cycle {self.result.cycles}"]

    def reverse_stepi(self, count: int = 1) -> None:
        self.pos = max(0, self.pos - count)
        self.now = self.timeline[self.pos][0] if self.timeline else 0
        self._stopped = None

    def reverse_step(self, cycles: int = 1) -> None:
        self.goto(self.now - cycles)

    def reverse_cont(self) -> list[str]:
        """Back to the latest place before the position where a breakpoint
        stops (positions ordered by next instruction, then cycle), or the start."""
        here = (self.pos, self.now)
        stops: list[tuple[tuple[int, int], Breakpoint]] = []
        for b in self.breakpoints:
            if b.kind == "cycle":
                at = (bisect_left(self.cycles, int(b.what)), int(b.what))
                if at < here:
                    stops.append((at, b))
        for i in range(self.pos - 1, -1, -1):
            cycle, chip, step = self.timeline[i]
            found = next(
                (
                    b
                    for b in self.breakpoints
                    if b.kind != "cycle" and self._matches(b.kind, b.what, chip, step)
                ),
                None,
            )
            if found is not None and (i, cycle) < here:
                stops.append(((i, cycle), found))
                break
        if not stops:
            self.goto(0)
            return ["at the start of the program"]
        (self.pos, self.now), b = max(stops, key=lambda e: e[0])
        self._stopped = self.pos
        return [f"breakpoint {b.number} ({b.kind} {b.what}); {self.where()}"]

    # --------------------------------------------------------- breakpoints

    def add_break(self, kind: str, what: str) -> Breakpoint:
        """A breakpoint: `cycle N`, `instruction FILE:LINE` (or CHIP:INDEX),
        `source FILE:LINE` or `write @t` (or CHIP:@t)."""
        if kind not in ("cycle", "instruction", "source", "write", "watch"):
            raise LpuError(
                f"unknown breakpoint kind '{kind}' (cycle, instruction, source, write)"
            )
        if kind == "cycle" and not what.isdigit():
            raise LpuError(f"break cycle {what}: a cycle is an integer >= 0")
        if kind in ("instruction", "source") and not any(
            self._matches(kind, what, chip, step) for _, chip, step in self.timeline
        ):
            raise LpuError(f"break {kind} {what}: no instruction is there")
        if kind in ("write", "watch"):
            self._tensors(what)
        self._numbered += 1
        b = Breakpoint(self._numbered, kind, what)
        (self.watches if kind == "watch" else self.breakpoints).append(b)
        return b

    def delete(self, number: int) -> None:
        before = len(self.breakpoints) + len(self.watches)
        self.breakpoints = [b for b in self.breakpoints if b.number != number]
        self.watches = [b for b in self.watches if b.number != number]
        if before == len(self.breakpoints) + len(self.watches):
            raise LpuError(f"no breakpoint or watch number {number}")

    def _hit(self, cycle: int, chip: int, step: Step, first: bool) -> Breakpoint | None:
        """The breakpoint that stops before `step` (issued at `cycle`): a
        cycle crossed since the position, or one naming the step (not the
        one the debugger stands at already)."""
        for b in self.breakpoints:
            if b.kind == "cycle":
                if self.now < int(b.what) <= cycle:
                    return b
            elif not first and self._matches(b.kind, b.what, chip, step):
                return b
        return None

    def _matches(self, kind: str, what: str, chip: int, step: Step) -> bool:
        if kind == "instruction":
            head, _, tail = what.partition(":")
            if head.isdigit() and tail.isdigit():
                return chip == int(head) and step.index == int(tail)
            return _at_line(step.location, what)
        if kind == "source":
            return _at_line(step.location, what)
        if kind == "write":
            return step.kind in ("write", "scatter") and (
                chip,
                _name(step),
            ) in self._tensors(what)
        return False

    def _tensors(self, what: str) -> set[tuple[int, str]]:
        """The (chip, tensor) pairs `@t` or `CHIP:@t` names."""
        head, _, tail = what.rpartition(":")
        name = tail.removeprefix("@")
        found = {
            (chip, name)
            for chip, run in self.runs.items()
            if name in run.plan.tensors and (not head or chip == int(head))
        }
        if not found:
            raise LpuError(
                f"no tensor {what} on {'chip ' + head if head else 'any chip'}"
            )
        return found

    def _watched(self, chip: int, step: Step) -> list[str]:
        """After a write: the watches on its tensor, with what changed."""
        if step.kind not in ("write", "scatter"):
            return []
        out = []
        for w in self.watches:
            if (chip, _name(step)) not in self._tensors(w.what):
                continue
            visible = step.cycle + step.burst - 1 + step.delay
            before = self.sram(chip, _name(step), None, step.cycle + step.delay - 1)
            after = self.sram(chip, _name(step), None, visible)
            changed = np.flatnonzero(~np.all(bits_equal(before, after), axis=1))
            out.append(
                f"watch {w.number} (@{_name(step)} on chip {chip}): written by {step}, "
                + (
                    f"vectors {changed.tolist()[:8]} changed; now at cycle {visible}, when all are visible"
                    if changed.size
                    else "no vector changed"
                )
            )
            for v in changed[:2]:
                out.append(
                    f"  @{_name(step)}[{v}]: {_vector_text(before[v])} -> {_vector_text(after[v])}"
                )
        if out:  # stand where the write is whole in SRAM
            self.now = max(self.now, step.cycle + step.burst - 1 + step.delay)
            self.pos = max(self.pos, bisect_left(self.cycles, self.now))
        return out

    # -------------------------------------------------------------- state

    def plan(self, chip: int | None = None) -> ChipSim:
        return self.runs[self._chip(chip)].plan

    def _chip(self, chip: int | None) -> int:
        chip = self.chip if chip is None else chip
        if chip not in self.runs:
            raise LpuError(f"chip {chip} runs no program (chips {sorted(self.runs)})")
        return chip

    def stream(
        self,
        stream: str,
        position: int | str,
        chip: int | None = None,
        cycle: int | None = None,
    ) -> tuple[str, np.ndarray | None]:
        """What the slot of `stream` (`S3E`) at `position` (a number, or a
        slice name like W4, or VXM) holds at `cycle` (default: now): a
        description, and the vector (the whole element vector whose byte
        plane it is), or None."""
        plan = self.plan(chip)
        run = self.runs[self._chip(chip)]
        cycle = self.now if cycle is None else cycle
        key = _stream_key(stream)
        at = _position(plan, position)
        found = plan.streams.candidates(key, at, cycle, 1)
        owner, vector = StreamTable.paint(found, timing.diagonal(key[1], at, cycle), 1)
        where = f"{stream_name(key)} at {plan.position_name(at)} ({at}), cycle {cycle}"
        if owner[0] < 0:
            return f"{where}: nothing", None
        burst = found[owner[0]]
        k = int(vector[0])
        value = run.values[burst.owner.index]
        plane = (
            f" byte plane {burst.plane}"
            if element_bytes(burst.owner.element) > 1
            else ""
        )
        text = f"{where}: {describe_value(burst.value)} vector {k}{plane}, put by {burst.owner}"
        return text, None if value is None else value[k]

    def sram(
        self,
        chip: int | None,
        tensor: str,
        vectors: Sequence[int] | None,
        cycle: int | None = None,
    ) -> np.ndarray:
        """Tensor vectors (all: None) as SRAM holds them at `cycle` (default:
        now): the latest write visible then."""
        chip = self._chip(chip)
        run = self.runs[chip]
        if tensor not in run.plan.tensors:
            raise LpuError(f"no tensor @{tensor} on chip {chip}")
        memory = run.memory[tensor]
        count = run.plan.tensors[tensor].vector_count(run.spec.lanes)
        index = np.arange(count) if vectors is None else np.asarray(vectors, np.int64)
        if index.size and (index.min() < 0 or index.max() >= count):
            raise LpuError(f"@{tensor} has vectors 0..{count - 1}")
        at = self.now if cycle is None else cycle
        return memory.load(index, np.full(index.size, max(at, -1), np.int64))

    def sram_at(
        self, slice_name: str, address: int, chip: int | None = None
    ) -> tuple[str, np.ndarray]:
        """The vector at a slice address (the tensor placed there)."""
        plan = self.plan(chip)
        spec = plan.spec
        for name, t in plan.tensors.items():
            if t.slice is None or t.address is None:
                continue
            for group, (lo, hi) in enumerate(t.group_ranges(spec)):
                if slice_name in t.plane_slices(spec, group) and lo <= address < hi:
                    first = t.plane_slices(spec, group)[0]
                    base = t.address.data if group == 0 else 0
                    vector = (
                        address
                        - base
                        + sum(h - lo2 for lo2, h in t.group_ranges(spec)[:group])
                    )
                    plane = t.plane_slices(spec, group).index(slice_name)
                    return (
                        f"{slice_name}[{address}] holds @{name} vector {vector}"
                        + (
                            f" (byte plane {plane}, base slice {first})"
                            if len(t.plane_slices(spec, group)) > 1
                            else ""
                        ),
                        self.sram(chip, name, [vector])[0],
                    )
        raise LpuError(
            f"no tensor holds {slice_name}[{address}] on chip {self._chip(chip)}"
        )

    def mxm(self, plane: str, chip: int | None = None) -> dict[str, Any]:
        """An MXM plane (`W.0`) now: its installed weights (the install whose
        weights are usable by now) and accumulators (the last matmul whose
        results are out by now)."""
        plan = self.plan(chip)
        run = self.runs[self._chip(chip)]
        unit = f"MXM.{plane}"
        steps = [s for s in plan.order if s.unit == unit]
        if not any(s.kind in ("install", "matmul") for s in steps):
            return {"plane": unit, "weights": None, "accumulators": None}
        installed = [
            s
            for s in steps
            if s.kind == "install"
            and timing.weights_ready(s.cycle, s.burst, s.delay) <= self.now
        ]
        done = [s for s in steps if s.kind == "matmul" and s.acts < self.now]
        out: dict[str, Any] = {"plane": unit, "weights": None, "accumulators": None}
        if installed:
            w = installed[-1]
            out["weights"] = (str(w), run.values[w.index])
        if done:
            m = done[-1]
            out["accumulators"] = (str(m), run.values[m.index])
        return out

    def in_flight(self) -> list[tuple[LinkEvent, str]]:
        """The vectors on links now (sent, not yet arrived)."""
        return [
            (
                e,
                f'link {e.link}: channel "{e.flit.channel}" from chip {e.flit.origin}, sent at {e.depart}, arrives at {e.arrival} ({e.flit.sender})',
            )
            for e in self.links
            if e.depart <= self.now < e.arrival
        ]

    def tensor(self, name: str, chip: int | None = None) -> np.ndarray:
        """A whole tensor as SRAM holds it now."""
        chip = self._chip(chip)
        return from_vectors(
            self.sram(chip, name, None),
            self.runs[chip].plan.tensors[name],
            self.runs[chip].spec.lanes,
        )

    # ----------------------------------------------------------- commands

    def execute(self, line: str) -> str:
        """One command of the debugger's language (`help` lists them); what
        it prints."""
        words = shlex.split(line.split("#", 1)[0])
        if not words:
            return ""
        name, *rest = words
        command = COMMANDS.get(name) or COMMANDS.get(ALIASES.get(name, ""))
        if command is None:
            raise LpuError(f"unknown command '{name}' (help lists the commands)")
        return command(self, rest)


def _name(step: Step) -> str:
    assert step.tensor is not None
    return step.tensor.sym_name.data


def _at_line(location: str, what: str) -> bool:
    """Whether `file:line:col` is at `FILE:LINE` (FILE may be a suffix of the path)."""
    file, _, line = what.rpartition(":")
    parts = location.rsplit(":", 2)
    if len(parts) != 3 or not line.isdigit():
        return False
    return parts[1] == line and (
        not file or parts[0] == file or parts[0].endswith("/" + file)
    )


def _stream_key(text: str) -> tuple[int, str]:
    body = text.upper().removeprefix("S")
    if len(body) < 2 or body[-1] not in "EW" or not body[:-1].isdigit():
        raise LpuError(f"'{text}' is not a stream (like S3E or S12W)")
    return int(body[:-1]), body[-1]


def _position(plan: ChipSim, where: int | str) -> int:
    if isinstance(where, int) or str(where).isdigit():
        return int(where)
    name = str(where)
    if name in plan.spec.mem_slices:
        return plan.spec.mem_slices[name]
    for p in range(len(plan.spec.positions)):
        if plan.position_name(p) == name:
            return p
    raise LpuError(
        f"'{name}' is not a position (a number, a slice like W4, VXM, SXM.E, MXM.W)"
    )


def _vector_text(v: np.ndarray | None, limit: int = 8) -> str:
    if v is None:
        return "(dropped)"
    flat = np.asarray(v).ravel()
    head = ", ".join(repr(x) for x in flat[:limit].tolist())
    return f"[{head}{', ...' if flat.size > limit else ''}] ({flat.size} lanes)"


def first_mismatch(
    debugger: Debugger,
    source: ModuleOp,
    inputs: Sequence[np.ndarray],
    function: str | None,
) -> Mismatch | None:
    """The first write (in issue order) of a tensor holding a tensor op's
    result whose data differ from the reference interpreter's value for it
    (lpuir.compare's `v*` tensors, which MLIR printed with debuginfo keeps)."""
    expected = reference_values(source, inputs, program_chip(debugger.module), function)
    images: dict[tuple[int, str], tuple[np.ndarray, np.ndarray, str]] = {}
    for chip, run in debugger.runs.items():
        lanes = run.spec.lanes
        for name, t in run.plan.tensors.items():
            where = _where(t)
            if (
                not name.startswith("v")
                or where not in expected
                or t.holds != t.element
            ):
                continue  # (i64 words are compared in lpuir.compare's final check)
            op, want = expected[where]
            shape = tuple(t.type.get_shape())
            valid = np.ones(shape, bool)
            if want.size != int(np.prod(shape)) and want.shape[-1:] == (1,):
                # a per-row value the compiled tensor keeps in every lane: lane 0 counts
                want = np.broadcast_to(want, (*want.shape[:-1], shape[-1]))
                valid[..., 1:] = False
            if want.size != int(np.prod(shape)):
                continue
            dtype = run.memory[name].image.dtype
            image = to_vectors(np.asarray(want).reshape(shape).astype(dtype), t, lanes)
            mask = to_vectors(valid, t, lanes)  # lanes past a row's end hold nothing
            text = f"{where[0]}:{where[1]}:{where[2]}: '{op.name}'"
            images[(chip, name)] = (image, mask, text)
    for _, chip, step in debugger.timeline:
        if step.kind != "write" or (chip, _name(step)) not in images:
            continue
        image, mask, source_text = images[(chip, _name(step))]
        data = debugger.runs[chip].values[step.args[0]]
        assert step.vectors is not None and data is not None
        same = bits_equal(data, image[step.vectors]) | ~mask[step.vectors]
        if not bool(np.all(same)):
            k, lane = (int(i) for i in np.argwhere(~same)[0])
            return Mismatch(
                step,
                chip,
                _name(step),
                int(step.vectors[k]),
                lane,
                data[k, lane].item(),
                image[step.vectors[k], lane].item(),
                source_text,
            )
    return None


# ---------------------------------------------------------------- commands


def _int(words: list[str], default: int) -> int:
    if not words:
        return default
    if not words[0].isdigit():
        raise LpuError(f"'{words[0]}' is not a count")
    return int(words[0])


def _chip_arg(words: list[str]) -> tuple[int | None, list[str]]:
    """A leading `chip N` (or `cN`), if any."""
    if len(words) >= 2 and words[0] == "chip" and words[1].isdigit():
        return int(words[1]), words[2:]
    return None, words


def _cmd_break(d: Debugger, words: list[str]) -> str:
    if len(words) == 1 and words[0].isdigit():
        words = ["cycle", words[0]]
    if len(words) == 1:
        words = [
            "source"
            if ":" in words[0] and not words[0].split(":")[0].isdigit()
            else "instruction",
            words[0],
        ]
    if len(words) != 2:
        raise LpuError(
            "break cycle N | break instruction FILE:LINE|CHIP:INDEX | break source FILE:LINE | break write @TENSOR"
        )
    b = d.add_break(*words)
    return f"breakpoint {b}"


def _cmd_watch(d: Debugger, words: list[str]) -> str:
    if len(words) != 1:
        raise LpuError("watch @TENSOR (or CHIP:@TENSOR)")
    return f"watch {d.add_break('watch', words[0])}"


def _cmd_delete(d: Debugger, words: list[str]) -> str:
    for w in words:
        d.delete(_int([w], 0))
    return ""


def _cmd_info(d: Debugger, words: list[str]) -> str:
    if words and words[0].startswith("break"):
        lines = [str(b) for b in d.breakpoints] + [f"{w} (watch)" for w in d.watches]
        return "\n".join(lines) or "no breakpoints"
    if words and words[0].startswith("viol"):
        return "\n".join(str(v) for v in d.violations) or "no violations"
    return d.where()


def _cmd_run_to(
    fn: Callable[[Debugger, int], list[str]],
) -> Callable[[Debugger, list[str]], str]:
    def command(d: Debugger, words: list[str]) -> str:
        return "\n".join([*fn(d, _int(words, 1)), d.where()])

    return command


def _cmd_continue(d: Debugger, words: list[str]) -> str:
    return "\n".join(d.cont())


def _cmd_reverse(
    fn: Callable[[Debugger, int], None],
) -> Callable[[Debugger, list[str]], str]:
    def command(d: Debugger, words: list[str]) -> str:
        fn(d, _int(words, 1))
        return d.where()

    return command


def _cmd_goto(d: Debugger, words: list[str]) -> str:
    d.goto(_int(words, 0))
    return d.where()


def _cmd_chip(d: Debugger, words: list[str]) -> str:
    d.chip = d._chip(_int(words, d.chip))
    return f"chip {d.chip}"


def _cmd_print(d: Debugger, words: list[str]) -> str:
    chip, words = _chip_arg(words)
    if not words:
        raise LpuError(
            "print stream S POS | mem @T[I] | mem SLICE ADDRESS | mxm PLANE | links | tensor @T"
        )
    what, *rest = words
    if what == "stream" and len(rest) == 2:
        text, value = d.stream(rest[0], rest[1], chip)
        return (
            f"{text}\n  {_vector_text(value)}"
            if value is not None or "nothing" not in text
            else text
        )
    if what == "mem" and len(rest) == 1 and "[" in rest[0]:
        name, _, index = rest[0].removeprefix("@").partition("[")
        vector = int(index.rstrip("]"))
        value = d.sram(chip, name, [vector])[0]
        return f"@{name}[{vector}] at cycle {d.now}: {_vector_text(value)}"
    if what == "mem" and len(rest) == 2:
        text, value = d.sram_at(rest[0], int(rest[1]), chip)
        return f"{text} at cycle {d.now}: {_vector_text(value)}"
    if what == "mxm" and len(rest) == 1:
        state = d.mxm(rest[0], chip)
        lines = [f"{state['plane']} at cycle {d.now}:"]
        for part in ("weights", "accumulators"):
            held = state[part]
            lines.append(
                f"  {part}: nothing"
                if held is None
                else f"  {part}: from {held[0]}: rows {_vector_text(None if held[1] is None else held[1][0])}"
                if part == "weights"
                else f"  {part}: from {held[0]}: {_vector_text(held[1])}"
            )
        return "\n".join(lines)
    if what == "links":
        flying = d.in_flight()
        return (
            "\n".join(f"{text}\n  {_vector_text(e.flit.payload)}" for e, text in flying)
            or f"no vector in flight at cycle {d.now}"
        )
    if what == "tensor" and len(rest) == 1:
        name = rest[0].removeprefix("@")
        value = d.tensor(name, chip)
        return f"@{name} at cycle {d.now}: {np.array2string(value, threshold=64, edgeitems=3)}"
    raise LpuError(f"print {' '.join(words)}: unknown (help lists what print shows)")


def _cmd_list(d: Debugger, words: list[str]) -> str:
    around = _int(words, 5)
    lo = max(0, d.pos - around)
    hi = min(len(d.timeline), d.pos + around)
    return "\n".join(
        f"{'=>' if i == d.pos else '  '} @{c} chip {chip} {s.mnemonic} at {s.location}"
        for i, (c, chip, s) in enumerate(d.timeline[lo:hi], lo)
    )


def _cmd_mismatch(d: Debugger, words: list[str]) -> str:
    if d.mismatch is None:
        return "no mismatch with the reference" if d.module is not None else ""
    m = d.mismatch
    d.pos = d.timeline.index((m.step.cycle, m.chip, m.step))
    d.now = m.step.cycle
    return f"first difference from the reference: {m}\n{d.where()}"


def _cmd_help(d: Debugger, words: list[str]) -> str:
    return HELP


COMMANDS: dict[str, Callable[[Debugger, list[str]], str]] = {
    "break": _cmd_break,
    "watch": _cmd_watch,
    "delete": _cmd_delete,
    "info": _cmd_info,
    "step": _cmd_run_to(Debugger.step),
    "stepi": _cmd_run_to(Debugger.stepi),
    "continue": _cmd_continue,
    "reverse-step": _cmd_reverse(Debugger.reverse_step),
    "reverse-stepi": _cmd_reverse(Debugger.reverse_stepi),
    "reverse-continue": lambda d, w: "\n".join(d.reverse_cont()),
    "goto": _cmd_goto,
    "chip": _cmd_chip,
    "print": _cmd_print,
    "list": _cmd_list,
    "mismatch": _cmd_mismatch,
    "help": _cmd_help,
}
ALIASES = {
    "b": "break",
    "c": "continue",
    "s": "step",
    "si": "stepi",
    "p": "print",
    "rs": "reverse-step",
    "rsi": "reverse-stepi",
    "rc": "reverse-continue",
    "where": "info",
    "d": "delete",
}

HELP = """commands (gdb's words; Cider's cycle steps):
  break cycle N | break instruction FILE:LINE | break instruction CHIP:INDEX
  break source FILE:LINE (the tensor op's line) | break write @T (or CHIP:@T)
  watch @T            stop after each write to @T, showing the vectors that change
  delete N, info breakpoints, info violations, info (where: the position)
  step [N]            N cycles        stepi [N]   N instructions
  continue            to the next breakpoint or watch, or the end
  reverse-step [N], reverse-stepi [N], reverse-continue: the same, backwards
  goto N              stand at the start of cycle N
  chip N              the chip that print refers to (or: print chip N ...)
  print stream S3E W4 | print mem @t[3] | print mem W4 100 | print mxm W.0
  print links | print tensor @t
  list [N]            the instructions around the position
  mismatch            stand at the first instruction whose result differs from --reference
  help"""
