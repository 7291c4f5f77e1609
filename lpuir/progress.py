"""Progress of long work, for the command-line tools to show on a terminal.

The passes, the scheduler and the simulator say how far they are with the
one-line calls here (`update`, `finish`, `track`); each costs a global lookup
and does nothing unless a tool has installed a reporter (`shown`), so the
library stays quiet. A task is a name (`"lpu-schedule"`) counting `done` of
`total` in its own unit (groups, cycles, tokens): its first report opens it,
and reaching `total`, or `finish`, closes it. A task never goes backwards
(chips simulated round-robin report the furthest cycle any has reached).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TextIO, TypeVar

T = TypeVar("T")


class Reporter(Protocol):
    """Where progress goes: tqdm bars on a terminal (`Bars`), or a test's recorder."""

    def update(
        self, task: str, done: int, total: int | None, unit: str, note: str
    ) -> None: ...

    def finish(self, task: str) -> None: ...

    def close(self) -> None: ...


_reporter: Reporter | None = None


def update(
    task: str, done: int, total: int | None = None, unit: str = "", note: str = ""
) -> None:
    """`task` has done `done` of `total` (None: the total given before, or
    unknown) units of its work; `note` says what it is doing now."""
    if _reporter is not None:
        _reporter.update(task, done, total, unit, note)


def finish(task: str) -> None:
    """`task` is over, whether or not it reached its total."""
    if _reporter is not None:
        _reporter.finish(task)


def echo(text: str) -> None:
    """Print a line to standard output without breaking the bars."""
    if isinstance(_reporter, Bars):
        _reporter.write(text)
    else:
        print(text)


def track(items: Sequence[T], task: str, unit: str = "") -> Iterable[T]:
    """`items` themselves when progress is off; else each item, counted as
    one unit of `task`."""
    if _reporter is None:
        return items
    return _tracked(items, task, unit)


def _tracked(items: Sequence[T], task: str, unit: str) -> Iterator[T]:
    update(task, 0, len(items), unit)
    try:
        for done, item in enumerate(items, 1):
            yield item
            update(task, done)
    finally:
        finish(task)


class Bars:
    """A tqdm bar per open task on `stream` (with rate and ETA), stacked in
    the order the tasks opened; closed bars leave nothing behind."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.bars: dict[str, Any] = {}

    def update(
        self, task: str, done: int, total: int | None, unit: str, note: str
    ) -> None:
        from tqdm import tqdm

        bar = self.bars.get(task)
        if bar is None:
            taken = {b.pos for b in self.bars.values()}
            bar = tqdm(
                desc=task,
                total=total,
                unit=f" {unit}" if unit else "it",
                position=next(i for i in range(len(taken) + 1) if i not in taken),
                leave=False,
                file=self.stream,
                dynamic_ncols=True,
                mininterval=0.2,
                postfix=note or None,
            )
            self.bars[task] = bar
        else:
            if total is not None and total != bar.total:
                bar.total = total
            if note:
                bar.set_postfix_str(note, refresh=False)
        if done > bar.n:
            bar.update(done - bar.n)
        if bar.total is not None and bar.n >= bar.total:
            self.finish(task)

    def write(self, text: str) -> None:
        """A line on standard output, the bars cleared and redrawn around it."""
        from tqdm import tqdm

        tqdm.write(text, file=sys.stdout)

    def finish(self, task: str) -> None:
        bar = self.bars.pop(task, None)
        if bar is not None:
            bar.close()

    def close(self) -> None:
        for task in list(self.bars):
            self.finish(task)


@contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Send progress to `reporter` while the block runs."""
    global _reporter
    previous, _reporter = _reporter, reporter
    try:
        yield reporter
    finally:
        reporter.close()
        _reporter = previous


@contextmanager
def shown(enabled: bool = True, stream: TextIO | None = None) -> Iterator[None]:
    """Progress bars on `stream` (standard error) while the block runs, when
    `enabled` (a tool's `--quiet` turns it off) and the stream is a terminal."""
    stream = stream or sys.stderr
    if not (enabled and stream.isatty()):
        yield
        return
    with reporting(Bars(stream)):
        yield
