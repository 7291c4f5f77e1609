"""The stream registers of one chip, under the stream law of docs/dialect.md.

A vector put on stream (s, d) at position p at cycle t is at p + k (east) or
p - k (west) at t + k. So it stays on one *diagonal* (`lpuir.timing`), t - p
eastward or t + p westward, and the slot (s, d, q, u) holds the vector put on diagonal
u -/+ q at the nearest position upstream of q (or at q itself). Each byte
plane is its own physical stream; a burst of n vectors put at one position
covers n consecutive diagonals, stored as one range, so a lookup paints a few
ranges instead of walking slots or cycles.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.ir import SSAValue

from lpuir.timing import cycle_on, diagonal

StreamKey = tuple[int, str]
"""A physical stream: (index, direction "E" or "W"), one byte per lane."""


def stream_name(key: StreamKey) -> str:
    return f"S{key[0]}{key[1]}"


@dataclass(eq=False)
class Burst:
    """n vectors (byte plane `plane` of `value`) put on one physical stream at
    one position on consecutive cycles, by the instruction `owner`."""

    position: int
    diagonal: int
    n: int
    owner: Any
    """The simulator's record of the instruction (a `sim_chip.Step`)."""
    value: SSAValue
    plane: int


@dataclass
class _Index:
    starts: list[int]
    bursts: list[Burst]
    longest: int


class StreamTable:
    """Every vector put on one chip's streams, looked up by slot."""

    def __init__(self) -> None:
        self._bursts: defaultdict[StreamKey, list[Burst]] = defaultdict(list)
        self._index: dict[StreamKey, _Index] = {}

    def put(self, key: StreamKey, burst: Burst) -> None:
        self._bursts[key].append(burst)

    def finish(self) -> list[tuple[StreamKey, Burst, Burst, int]]:
        """Index the bursts; return every pair of them put into one slot in
        one cycle (stream, first, second, cycle)."""
        clashes: list[tuple[StreamKey, Burst, Burst, int]] = []
        for key, bursts in self._bursts.items():
            bursts.sort(key=lambda b: b.diagonal)
            self._index[key] = _Index(
                [b.diagonal for b in bursts], bursts, max(b.n for b in bursts)
            )
            by_position: defaultdict[int, list[Burst]] = defaultdict(list)
            for b in bursts:
                by_position[b.position].append(b)
            for position, same in by_position.items():
                reach: Burst | None = None
                for b in same:
                    if reach is not None and b.diagonal < reach.diagonal + reach.n:
                        clashes.append(
                            (key, reach, b, cycle_on(key[1], position, b.diagonal))
                        )
                    if reach is None or b.diagonal + b.n > reach.diagonal + reach.n:
                        reach = b
        return clashes

    def candidates(
        self, key: StreamKey, position: int, cycle: int, n: int
    ) -> list[Burst]:
        """The puts that may hold the slots at `position` at cycles
        cycle..cycle+n-1, upstream ones first: on those diagonals, at or
        upstream of `position`."""
        index = self._index.get(key)
        if index is None:
            return []
        first = diagonal(key[1], position, cycle)
        lo = bisect_left(index.starts, first - index.longest + 1)
        hi = bisect_left(index.starts, first + n)
        east = key[1] == "E"
        found = [
            b
            for b in index.bursts[lo:hi]
            if b.diagonal + b.n > first
            and (b.position <= position if east else b.position >= position)
        ]
        found.sort(key=lambda b: b.position if east else -b.position)
        return found

    @staticmethod
    def paint(
        candidates: list[Burst], first: int, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per slot of diagonals first..first+n-1: the index of the candidate
        holding it (-1: nothing) and which of its vectors. Later candidates
        (nearer the reader) overwrite earlier ones, as a newer put does."""
        owner = np.full(n, -1, np.int64)
        vector = np.zeros(n, np.int64)
        for i, b in enumerate(candidates):
            start = max(first, b.diagonal)
            end = min(first + n, b.diagonal + b.n)
            owner[start - first : end - first] = i
            vector[start - first : end - first] = np.arange(
                start - b.diagonal, end - b.diagonal
            )
        return owner, vector
