"""Lane pipelines: combining a vector's lanes with rotations of it through the
SXMs (a reduction's lane tree), then spreading the result to every lane with
permutes and distributes in one pass through an SXM."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation, SSAValue

from lpuir.dialects import lpu
from lpuir.transforms.vectorize.program import Operand, Placed

if TYPE_CHECKING:
    from lpuir.machine import ChipSpec
    from lpuir.transforms.vectorize.base import Vectorizer

MAX_SPREAD_BURST = 64
"""Rows per group of a spread alone (no lane passes)."""

Tree = int | tuple["Tree", "Tree"]
"""What one lane pass computes in every lane l: an offset k is the pass's
input at lane l + k (a rotation, wrapping), a pair (a, b) is combine(a, b)."""


def pipeline(
    vz: Vectorizer,
    op: Operation,
    source: Placed,
    target: Placed,
    passes: Sequence[Tree],
    combine: type[lpu.VxmOp] | None = None,
    period: int | None = None,
    only: np.ndarray | None = None,
) -> None:
    """Run each row's vector through `passes` (`lane_pass`), whose result is
    then in every lane that is a multiple of `period` (lane 0 only by
    default), and spread it to every lane on the SXM (`spread`), writing one
    splat vector per row (of the rows `only`, if given). Bursts of at most
    `delay_vxm` rows (MAX_SPREAD_BURST without passes), one group each: a
    pass's rotations take turns on the SXMs a VXM step apart
    (`lane_pass`)."""
    lanes = vz.spec.lanes
    moves = spread(lanes, vz.spec.lanes_per_superlane, range(0, lanes, period or lanes))
    every = np.arange(source.rows, dtype=np.int64) if only is None else only
    rows = Operand(source, every * source.per_row)
    dest = Operand(target, every)
    limit = vz.spec.delay("vxm") if passes else MAX_SPREAD_BURST
    for first, end in vz.runs([rows, dest], limit):
        n = end - first
        v = vz.read(rows, first, n, op)
        if passes:
            assert combine is not None
            feed = [vz.vxm(lpu.CopyOp, [v], source.element, n, op) for _ in range(2)]
            for i, tree in enumerate(passes):
                last = i == len(passes) - 1
                feed = lane_pass(
                    vz, op, feed, tree, combine, source.element, n, 1 if last else 2
                )
            v = feed[0]
        for move in moves:
            v = vz.emit(move(v), op)
        step = int(dest.indices[first + 1] - dest.indices[first]) if n > 1 else 1
        vz.write(v, target, int(dest.indices[first]), step, op)


def packed_pipeline(
    vz: Vectorizer,
    op: Operation,
    source: Placed,
    target: Placed,
    first: Tree,
    after: Sequence[Tree],
    combine: type[lpu.VxmOp],
    pack: int,
) -> np.ndarray:
    """`pipeline` for many rows with fewer SXM instructions a row: `pack`
    rows, each through `first` (a pass of the lane tree's first halvings,
    after which a row's result depends only on lanes 0..w-1, w = lanes /
    pack), are packed into one vector by selects (row j in lanes j*w ..
    j*w+w-1), which goes through the passes `after` (offsets below w, so
    no block reads another's lanes): row j's result is then in lane j*w,
    the same value as the unpacked tree's lane 0 (same operands, same
    order). Written to a scratch tensor, each block is spread to a splat
    in a group of its own. A group takes `pack` bursts of `delay_vxm` rows
    (rows r, r+pack, ...), each read and rotated a pass's SXM turns after
    the last. The rows of the groups that are not full: returned, for
    `pipeline`."""
    assert source.per_row == 1
    spec, element = vz.spec, source.element
    n, width = spec.delay("vxm"), spec.lanes // pack
    pairs = -(-len(ranks(first)) // 2)
    every = np.arange(source.rows, dtype=np.int64)
    rows, dest = Operand(source, every), Operand(target, every)
    starts = [
        a + g * pack * n
        for a, b in vz.runs([rows, dest])
        for g in range((b - a) // (pack * n))
    ]
    if not starts:
        return every
    packed = vz.chip.tensor((len(starts) * n, spec.lanes), element, "scratch", op)
    blocks = np.arange(spec.lanes) // width
    masks = [
        vz.chip.constant_vector((blocks >= j).astype(np.int32), "i32", op)
        for j in range(1, pack)
    ]
    fixed = np.zeros(n, dtype=np.int64)
    # stream j is read j * pairs VXM steps after stream 0, so the streams'
    # rotations and reads take turns; select j needs it j - 1 steps after
    # stream 0's value, so stream j waits `late - j * pairs + j - 1` steps
    late = max(j * pairs - max(j - 1, 0) for j in range(pack))
    moves = [
        spread(spec.lanes, spec.lanes_per_superlane, [j * width]) for j in range(pack)
    ]
    for g, start in enumerate(starts):
        values = []
        for j in range(pack):
            v = vz.read_at(source, start + j, n, pack, op)
            feed = [vz.vxm(lpu.CopyOp, [v], element, n, op) for _ in range(2)]
            (v,) = lane_pass(vz, op, feed, first, combine, element, n, 1)
            for _ in range(late - j * pairs + max(j - 1, 0)):
                v = vz.vxm(lpu.CopyOp, [v], element, n, op)
            values.append(v)
        v = values[0]
        for mask, value in zip(masks, values[1:], strict=True):
            m = vz.read(Operand(mask, fixed), 0, n, op)
            v = vz.vxm(lpu.SelectOp, [m, value, v], element, n, op)
        feed = [vz.vxm(lpu.CopyOp, [v], element, n, op) for _ in range(2)]
        for i, tree in enumerate(after):
            last = i == len(after) - 1
            feed = lane_pass(vz, op, feed, tree, combine, element, n, 1 if last else 2)
        vz.write(feed[0], packed, g * n, 1, op)
    for g, start in enumerate(starts):
        for j, block in enumerate(moves):
            v = vz.read_at(packed, g * n, n, 1, op)
            for move in block:
                v = vz.emit(move(v), op)
            vz.write(v, target, start + j, pack, op)
    done = np.zeros(source.rows, dtype=bool)
    for start in starts:
        done[start : start + pack * n] = True
    return np.flatnonzero(~done)


def spread(
    lanes: int, width: int, held_lanes: Sequence[int]
) -> list[Callable[[SSAValue], lpu.SxmOp]]:
    """The SXM instructions that copy a value held in each of `held_lanes`
    to every lane, all in one pass through an SXM: a distribute copies lane
    0 of each superlane (of `width` lanes) to the whole superlane, after a
    permute has moved a held lane to lane 0 of as many superlanes as there
    are held lanes. One lane takes five instructions on tsp-v1 (1 -> 16 ->
    256 -> 320 lanes); every fifth lane (the lane tree's period), a permute
    and a distribute."""
    held, moves = set(held_lanes), []
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


def round_trip(spec: ChipSpec) -> int:
    """Cycles from the VXM through a rotation on the nearest SXM back to the
    VXM: a lane pass's least latency but for its combines."""
    trip = 2 * abs(spec.vxm_position - spec.unit_position("SXM", "W"))
    return trip + spec.delay("sxm_rotate")


def ready(tree: Tree) -> int:
    """When `tree` is ready, in combine steps, every offset at step 0."""
    return 0 if isinstance(tree, int) else max(map(ready, tree)) + 1


def needs(tree: Tree) -> list[int]:
    """The step at which each offset of `tree` (left to right) is combined,
    if every rotation came back at once."""
    if isinstance(tree, int):
        return [0]
    start = max(map(ready, tree))
    return [n for t in tree for n in ([start] if isinstance(t, int) else needs(t))]


def ranks(tree: Tree) -> list[int]:
    """Each offset's (left to right) turn on the SXMs: in the order the
    combines need them, two a slot (`lane_pass`)."""
    need = needs(tree)
    order = sorted(range(len(need)), key=lambda position: need[position])
    rank = {position: r for r, position in enumerate(order)}
    return [rank[position] for position in range(len(need))]


def steps(tree: Tree) -> int:
    """VXM steps from a pass's first rotations' return to its result, with
    bursts of at most `delay_vxm` rows (`lane_pass`)."""
    slots = iter(rank // 2 for rank in ranks(tree))

    def done(t: Tree) -> int:
        return next(slots) if isinstance(t, int) else max(map(done, t)) + 1

    return done(tree)


def shifted(tree: Tree, offset: int) -> Tree:
    """`tree` read `offset` lanes further."""
    if isinstance(tree, int):
        return tree + offset
    return (shifted(tree[0], offset), shifted(tree[1], offset))


def compose(outer: Tree, inner: Tree) -> Tree:
    """`outer` applied to `inner`'s result, as one tree: each offset k of
    `outer` becomes `inner` read k lanes further."""
    if isinstance(outer, int):
        return shifted(inner, outer)
    return (compose(outer[0], inner), compose(outer[1], inner))


def lane_pass(
    vz: Vectorizer,
    op: Operation,
    feed: Sequence[SSAValue],
    tree: Tree,
    combine: type[lpu.VxmOp],
    element: str,
    n: int,
    outputs: int,
) -> list[SSAValue]:
    """One round trip through the SXMs computing `tree` from two copies of
    its input (`feed`, on two streams), its result on `outputs` streams.

    Every offset is a rotation (by 0 too, so that all return after the same
    round trip): the SXMs, one per hemisphere and busy a burst's length per
    instruction, take them two at a time, the k-th pair k `step`s after the
    first (a burst's length rounded up to VXM steps: one in `pipeline`'s
    bursts), each from a copy of `feed` as many VXM steps later.
    Combines that wait for a later pair take their earlier operand through
    copies (a VXM step each), so the tree's order, and with it the numerics
    spec's, is kept while its stages share one round trip. A VXM result goes
    to one stream, so each stream's value is computed once for it."""
    step = -(-n // vz.spec.delay("vxm"))
    chains = [[value] for value in feed]

    def fed(slot: int, side: int) -> SSAValue:
        """feed[side] after `slot * step` copies (as many VXM steps later)."""
        chain = chains[side]
        while len(chain) <= slot * step:
            chain.append(vz.vxm(lpu.CopyOp, [chain[-1]], element, n, op))
        return chain[slot * step]

    turns = iter(ranks(tree))

    def delayed(value: SSAValue, steps: int) -> SSAValue:
        for _ in range(steps):
            value = vz.vxm(lpu.CopyOp, [value], element, n, op)
        return value

    def emit(t: Tree, copies: int = 1) -> list[tuple[SSAValue, int]]:
        """`t`'s value(s) and when ready, in VXM steps after the first pair
        of rotations returns."""
        if isinstance(t, int):
            rank = next(turns)
            value = vz.rotate(fed(rank // 2, rank % 2), -t, op)
            return [(value, rank // 2 * step)]
        (a, ta), (b, tb) = emit(t[0])[0], emit(t[1])[0]
        start = max(ta, tb)
        a, b = delayed(a, start - ta), delayed(b, start - tb)
        return [
            (vz.vxm(combine, [a, b], element, n, op), start + 1) for _ in range(copies)
        ]

    return [value for value, _ in emit(tree, outputs)]
