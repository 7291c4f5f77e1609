"""The busy state of resources while lpu-schedule places groups: intervals
of units, ports, banks and links, and segments of streams' diagonals."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from typing import NamedTuple

DIAGONAL_BUCKET = 64
"""Diagonals per bucket of a stream's occupancy index (SegmentSet): about a
short burst, so a query scans few segments and a long burst few buckets."""


class IntraGroupConflict(Exception):
    """Two instructions of one group need one resource at the same time; their
    distance is fixed by the timing law, so no start cycle can help."""

    def __init__(self, key: tuple):
        super().__init__(key)
        self.key = key


class IntervalSet:
    """Disjoint busy intervals [start, end) of one resource, sorted; touching
    ones are merged, so a search skips a busy stretch in one step."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def conflict(self, start: int, end: int) -> int | None:
        """End of an interval overlapping [start, end), if any."""
        i = bisect_right(self.starts, start) - 1
        if i >= 0 and self.ends[i] > start:
            return self.ends[i]
        j = i + 1
        if j < len(self.starts) and self.starts[j] < end:
            return self.ends[j]
        return None

    def add(self, start: int, end: int) -> None:
        i = bisect_left(self.starts, start)
        if i > 0 and self.ends[i - 1] == start:
            i -= 1
            self.ends[i] = end
        else:
            self.starts.insert(i, start)
            self.ends.insert(i, end)
        if i + 1 < len(self.starts) and self.starts[i + 1] == end:
            self.ends[i] = self.ends.pop(i + 1)
            self.starts.pop(i + 1)


class Segment(NamedTuple):
    """Slots a value holds on one stream: diagonals [d0, d1) x positions [p0, p1]
    (a tuple: pick_streams makes one per edge at every start it tries)."""

    d0: int
    d1: int
    p0: int
    p1: int


class SegmentSet:
    """The segments of one stream, filed in buckets of DIAGONAL_BUCKET
    diagonals (a segment in every bucket it spans), so a query looks only at
    segments that share a bucket with it, however long other bursts are."""

    def __init__(self) -> None:
        self.buckets: dict[int, list[Segment]] = defaultdict(list)

    @staticmethod
    def spanned(seg: Segment) -> range:
        return range(seg.d0 // DIAGONAL_BUCKET, (seg.d1 - 1) // DIAGONAL_BUCKET + 1)

    def conflict(self, seg: Segment) -> int:
        """0 if `seg` is free, else how many diagonals it must move on to
        clear every segment it overlaps (moving the group later moves all its
        segments by as many diagonals, and none can clear sooner)."""
        d0, d1, p0, p1 = seg
        shift = 0
        for b in self.spanned(seg):
            for o0, o1, q0, q1 in self.buckets.get(b, ()):
                if d0 < o1 and o0 < d1 and p0 <= q1 and q0 <= p1 and o1 - d0 > shift:
                    shift = o1 - d0
        return shift

    def add(self, seg: Segment) -> None:
        for b in self.spanned(seg):
            self.buckets[b].append(seg)
