"""Lane pipelines: combining a vector's lanes with rotations of it through the
SXMs (a reduction's lane tree, and the broadcast of lane 0 to every lane)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation, SSAValue

from lpuir import numerics
from lpuir.dialects import lpu
from lpuir.transforms.vectorize.program import Operand, Placed, lowest

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
    vz: Vectorizer, op: Operation, source: Placed, target: Placed, stages: list[Stage]
) -> None:
    """Run each row's vector through `stages`, then keep lane 0 and broadcast
    it to every lane (max-doubling over rotations), writing one splat vector
    per row. Bursts of at most MAX_TREE_BURST rows, one group each."""
    element, count = source.element, vz.spec.lanes
    mask = vz.chip.constant_vector((np.arange(count) == 0).astype(np.int32), "i32", op)
    filler = vz.chip.constant_vector(
        np.full(count, lowest(element), dtype=numerics.carrier(element)),
        element,
        op,
    )
    doubling = [
        Stage(lpu.MaxOp, 1 << k, "tree", backwards=True)
        for k in range(max(1, (count - 1).bit_length()))
    ]
    rows = Operand(source, np.arange(source.rows, dtype=np.int64) * source.per_row)
    dest = Operand(target, np.arange(source.rows, dtype=np.int64))
    constant = np.zeros(source.rows, dtype=np.int64)
    for first, end in vz.runs([rows, dest], MAX_TREE_BURST):
        n = end - first
        v = combine(vz, op, vz.read(rows, first, n, op), stages, element, n)
        m = vz.read(Operand(mask, constant), first, n, op)
        f = vz.read(Operand(filler, constant), first, n, op)
        v = vz.vxm(lpu.SelectOp, [m, v, f], element, n, op)
        vz.write(combine(vz, op, v, doubling, element, n), target, first, 1, op)


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
