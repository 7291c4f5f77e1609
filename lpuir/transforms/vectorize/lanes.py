"""Lane pipelines: combining a vector's lanes with rotations of it through the
SXMs (a reduction's lane tree), then spreading the result to every lane with
permutes and distributes in one pass through an SXM."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation, SSAValue

from lpuir.dialects import lpu
from lpuir.transforms.vectorize.program import Operand, Placed

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

MAX_TREE_BURST = 64
"""Rows per lane-reduction group: an SXM round trip (about 94 cycles on tsp-v1)
must outlast a burst so one stage's rotation is done before the next's."""


@dataclass(frozen=True)
class Stage:
    """One step of a lane pipeline: v'[l] = combine(v[l], w[l + offset]) where w
    is v itself ("tree") or the previous stage's rotated operand ("seq", the
    numerics spec's left-to-right pass); `backwards` reads w[l - offset]."""

    combine: type[lpu.VxmOp]
    offset: int
    mode: str
    backwards: bool = False


def pipeline(
    vz: Vectorizer,
    op: Operation,
    source: Placed,
    target: Placed,
    stages: list[Stage],
    period: int | None = None,
) -> None:
    """Run each row's vector through `stages`, whose result is then in every
    lane that is a multiple of `period` (lane 0 only by default), and spread
    it to every lane on the SXM (`spread`), writing one splat vector per row.
    Bursts of at most MAX_TREE_BURST rows, one group each."""
    moves = spread(vz.spec.lanes, vz.spec.lanes_per_superlane, period or vz.spec.lanes)
    rows = Operand(source, np.arange(source.rows, dtype=np.int64) * source.per_row)
    dest = Operand(target, np.arange(source.rows, dtype=np.int64))
    for first, end in vz.runs([rows, dest], MAX_TREE_BURST):
        n = end - first
        v = combine(vz, op, vz.read(rows, first, n, op), stages, source.element, n)
        for move in moves:
            v = vz.emit(move(v), op)
        vz.write(v, target, first, 1, op)


def spread(
    lanes: int, width: int, period: int
) -> list[Callable[[SSAValue], lpu.SxmOp]]:
    """The SXM instructions that copy a value held in every lane that is a
    multiple of `period` to every lane, all in one pass through an SXM: a
    distribute copies lane 0 of each superlane (of `width` lanes) to the
    whole superlane, after a permute has moved a held lane to lane 0 of as
    many superlanes as there are held lanes. Lane 0 alone takes five
    instructions on tsp-v1 (1 -> 16 -> 256 -> 320 lanes); every fifth lane
    (the lane tree's period), a permute and a distribute."""
    held, moves = set(range(0, lanes, period)), []
    while len(held) < lanes:
        heads = range(0, min(len(held), lanes // width) * width, width)
        if not held.issuperset(heads):
            moves.append(partial(lpu.PermuteOp, map=to_heads(lanes, heads, held)))
        moves.append(partial(lpu.DistributeOp, map=[0] * width))
        held = set(range(heads[-1] + width))
    return moves


def to_heads(lanes: int, heads: range, held: set[int]) -> list[int]:
    """A permutation (result lane l = input lane map[l]) that puts a held lane
    at every lane of `heads` (keeping those already held in place)."""
    spare = iter(sorted(held.difference(heads)))
    lane_map = {h: h if h in held else next(spare) for h in heads}
    rest = iter(sorted(set(range(lanes)).difference(lane_map.values())))
    return [lane_map[lane] if lane in lane_map else next(rest) for lane in range(lanes)]


def combine(
    vz: Vectorizer,
    op: Operation,
    v: SSAValue,
    stages: Sequence[Stage],
    element: str,
    n: int,
) -> SSAValue:
    """Each stage combines a value with a rotation of it (tree) or of the
    stage's other operand (seq). Both operands reach an SXM, the unrotated
    one to rotate by 0, so the two arrive back at the VXM in one cycle; a
    VXM result goes to one stream, so each stage computes on two ALUs, one
    result for each SXM."""
    if not stages:
        return v
    pair = (
        vz.vxm(lpu.CopyOp, [v], element, n, op),
        vz.vxm(lpu.CopyOp, [v], element, n, op),
    )
    for i, stage in enumerate(stages):
        west = vz.rotate(pair[0], 0, op)
        east = vz.rotate(
            pair[1], stage.offset if stage.backwards else -stage.offset, op
        )
        combined = vz.vxm(stage.combine, [west, east], element, n, op)
        if i == len(stages) - 1:
            return combined
        # the next stage's second operand: this result again, or (within the
        # left-to-right pass) the source rotated one lane further
        keep_sequence = stage.mode == "seq" and stages[i + 1].mode == "seq"
        other = (
            vz.vxm(lpu.CopyOp, [east], element, n, op)
            if keep_sequence
            else vz.vxm(stage.combine, [west, east], element, n, op)
        )
        pair = (combined, other)
    raise AssertionError("unreachable")
