"""Streamed simulation: a program too big to hold, planned chip by chip.

The whole Llama-3-8B decode step compiled tensor-parallel is five million
instructions on 264 chips; planned at once it takes about 75 MB a chip (its
IR and its plan), more than a development machine has. Each chip of such a
program is busy only in its layer's stretch of cycles, so a streamed run
holds only the chips at work: the .lpu text is scanned once (`scan`), every
chip's tensors are parsed (they make the program's inputs and outputs), and
a chip's instructions are parsed and planned when its first instruction is
due (`Feed.load`) and dropped once its last has run (`Feed.retire`), keeping
what the run reports of it (`ChipAccount`). Outputs, cycles, accounts and
traces are those of the whole program's `Program.run`; the rules a plan
checks are found when its chip loads, and a vector that reaches a chip
before it loads waits with the feed until then.
"""

from __future__ import annotations

import gc
import heapq
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xdsl.dialects.builtin import ModuleOp

from lpuir import progress
from lpuir.diagnostics import LpuError, verify_located
from lpuir.dialects import lpu
from lpuir.interpreter.sim_chip import ChipSim, Flit, Step
from lpuir.interpreter.sim_errors import Violation
from lpuir.interpreter.sim_run import ChipRun
from lpuir.machine import SystemSpec

if TYPE_CHECKING:
    from lpuir.interpreter.simulator import ChipAccount

_INSTRUCTION = re.compile(r"^(?![ \t]*(?:tensor\b|chip\b|\}|//|$))[^\n]*", re.M)
"""A line of a chip block that is neither a tensor, the block's ends, a
comment nor blank: an instruction."""
_CYCLE = re.compile(r"^[ \t]*@[ \t]*(\d+)", re.M)

LAYOUT = "--stream reads .lpu text laid out as lpu-opt prints it (one item per line, `chip N {` ... `}` on lines of their own)"


@dataclass(frozen=True)
class ChipText:
    """Where one chip's block is in the program text, and when it starts."""

    start: int
    """Offset of the block's `chip N {` line."""
    end: int
    """Offset just past its closing `}`."""
    line: int
    """Line number of `chip N {`."""
    first: int
    """Issue cycle of its earliest instruction."""


@dataclass
class Stream:
    """A program read for a streamed run: its text, the part before the
    first chip (the system line) and the block of each chip that has
    instructions."""

    text: str
    filename: str
    header: str
    chips: dict[int, ChipText]

    def parse(self, chip: int) -> lpu.ChipOp:
        """One chip's block as IR, located in the file, verified (the
        system's own checks span chips: the skeleton had them)."""
        from lpuir.grammar.parser import parse_lpu

        block = self.chips[chip]
        module = parse_lpu(
            self.header + self.text[block.start : block.end],
            self.filename,
            line_offset=block.line - 1 - self.header.count("\n"),
        )
        (system,) = (op for op in module.ops if isinstance(op, lpu.SystemOp))
        (op,) = system.chips
        verify_located(op)
        return op


def scan(text: str, filename: str) -> tuple[ModuleOp, Stream]:
    """The program's skeleton (every chip with its tensors and no
    instructions, their lines blanked so that every line keeps its number)
    and the blocks a streamed run parses one at a time."""
    from lpuir.grammar.parser import chip_id, chip_lines, parse_lpu

    chip_open, chip_close = chip_lines()
    opens = list(chip_open.finditer(text))
    if not opens:
        raise LpuError(f"{filename}: error: no chip block found; {LAYOUT}")
    pieces: list[str] = []
    chips: dict[int, ChipText] = {}
    done, counted, line = 0, 0, 1
    for m, nxt in zip(opens, [*opens[1:], None], strict=True):
        line += text.count("\n", counted, m.start())
        counted = m.start()
        close = chip_close.search(text, m.end())
        if close is None or (nxt is not None and nxt.start() < close.start()):
            raise LpuError(
                f"{filename}:{line}:1: error: chip {m.group('INT')} has no closing `}}` before the next chip; {LAYOUT}"
            )
        block = text[m.start() : close.end()]
        pieces += [text[done : m.start()], _INSTRUCTION.sub("", block)]
        done = close.end()
        if _INSTRUCTION.search(block) is not None:
            first = min((int(c) for c in _CYCLE.findall(block)), default=0)
            chips[chip_id(m)] = ChipText(m.start(), close.end(), line, first)
    pieces.append(text[done:])
    skeleton = parse_lpu("".join(pieces), filename)
    verify_located(skeleton)
    return skeleton, Stream(text, filename, text[: opens[0].start()], chips)


class Feed:
    """The chips of a streamed run: those not yet loaded, by the cycle they
    start, with the vectors that reached them early; the live ones are the
    run's; what the run keeps of those retired."""

    def __init__(
        self,
        stream: Stream,
        machine: SystemSpec,
        start: Callable[[ChipSim], ChipRun],
        keep: Callable[[int, ChipRun], ChipAccount],
        report: Callable[[Violation], None],
        stray: list[Violation],
    ):
        self.stream = stream
        self.machine = machine
        self.start = start
        self.keep = keep
        self.report = report
        self.waiting = sorted((t.first, chip) for chip, t in stream.chips.items())
        self.early: dict[int, list[tuple[int, int, Flit, str]]] = {}
        self.retired: dict[int, ChipAccount] = {}
        self.stray = stray
        """The network's arrivals nobody took (reported when the run quiesces)."""

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """While the run goes on, garbage collections skip what lives across
        it (the skeleton, the inputs): the collector's own schedule frees
        retired chips' IR (reference cycles) at the cost of the live chips,
        not of the whole program."""
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()

    def due(self) -> int | None:
        """The cycle at which the next chip starts, if one is left."""
        return self.waiting[0][0] if self.waiting else None

    def load(self) -> tuple[int, ChipRun, list[Step]]:
        """Parse and plan the next chip: its id, its run, and the steps the
        vectors that reached it early made ready."""
        cycle, chip = heapq.heappop(self.waiting)
        progress.update("simulate", cycle, None, "cycles", f"loading chip {chip}")
        plan = ChipSim(self.stream.parse(chip), self.machine)
        for violation in plan.violations:
            self.report(violation)
        run = self.start(plan)
        ready = [
            taker
            for port, at, flit, link in self.early.pop(chip, [])
            if (taker := run.arrive(port, at, flit, link)) is not None
        ]
        return chip, run, ready

    def holds(self, chip: int) -> bool:
        """Whether a chip is one this feed loads (or loaded)."""
        return chip in self.stream.chips

    def arrive(self, chip: int, port: int, cycle: int, flit: Flit, link: str) -> None:
        """A vector for a chip not live: kept until it loads, or, once it is
        retired, a vector no instruction takes."""
        if chip not in self.retired:
            self.early.setdefault(chip, []).append((port, cycle, flit, link))
            return
        self.stray.append(
            Violation.unconsumed(
                chip,
                port,
                cycle,
                flit,
                link,
                f"after the last instruction of chip {chip}",
            )
        )

    def retire(self, chip: int, runs: dict[int, ChipRun]) -> None:
        """A chip whose every instruction ran leaves `runs`: its last checks,
        and what the run keeps of it; its IR, plan and SRAM go."""
        run = runs.pop(chip)
        run.finish()
        self.stray.extend(run.stray_violations())
        self.retired[chip] = self.keep(chip, run)
