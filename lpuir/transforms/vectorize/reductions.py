"""Reductions (`tosa.reduce_sum/max/min/product`). Along the last axis a row's vectors
combine in order, then the lanes reduce by the numerics spec's tree with SXM
rotations (`lanes`), the result a splat; along another axis, one elementwise
step per index, in index order. An elementwise op whose first user is a
last-axis reduction is computed as the reduction reads its vectors, and so
is an op whose one user is a unary op folded so (`folds_into`: a sum of
squares never writes the squares)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation, SSAValue

from lpuir import numerics
from lpuir.dialects import lpu, tosa
from lpuir.machine import ChipSpec
from lpuir.transforms.annotations import chips_of, split_of
from lpuir.transforms.vectorize import composite, elementwise, lanes
from lpuir.transforms.vectorize.program import (
    Operand,
    Placed,
    check_vxm_type,
    lowest,
    unsupported,
)
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

COMBINE: dict[type[Operation], type[lpu.VxmOp]] = {
    tosa.ReduceSumOp: lpu.AddOp,
    tosa.ReduceMaxOp: lpu.MaxOp,
    tosa.ReduceMinOp: lpu.MinOp,
    tosa.ReduceProductOp: lpu.MulOp,
}
"""The VXM instruction each reduction combines with."""
ORDER_FREE = (lpu.MaxOp, lpu.MinOp)
"""Combines that give the same bits in any order and with repeats
(associative, commutative and idempotent: a NaN is the one canonical NaN and
-0 < +0), so a lane may take the maximum of overlapping groups."""


def nan_ignored(op: Operation) -> bool:
    """A max or min with nan_mode IGNORE (lowered by `folds`, not here)."""
    mode = op.properties.get("nan_mode")
    return mode is not None and mode.data.value == "IGNORE"  # type: ignore[attr-defined]


def folds_into(vz: Vectorizer, op: Operation) -> bool:
    """Whether an elementwise op is computed inside the reduction that is its
    first user instead of on its own (`reduce_last` reads the operands and
    applies it on the ALU before the combine: a pass over SRAM less, and
    with no other user no tensor for the value), or inside the op of one
    operand that is its one user and folds so (softmax's `x - max` inside
    the exponentials of the sum): one VXM instruction per vector
    (`composite.one_instruction`), a reduction of the VXM's types along the
    last axis lowered here, rows longer than a vector, on one chip or split
    by heads like its user (each chip folds its part), nothing sharded."""
    result = op.results[0] if len(op.results) == 1 else None
    chips, split = chips_of(op), split_of(op)
    if (
        result is None
        or not composite.one_instruction(op)
        or split not in (None, "heads")
        or (split is None and len(chips) != 1)
        or any(
            v in vz.shards
            or (v in vz.heads and (split is None or vz.heads[v] != chips))
            for v in op.operands
        )
    ):
        return False
    uses = list(result.uses)
    first = uses[0]
    for use in uses[1:]:
        if use.operation.is_before_in_block(first.operation):
            first = use
    user = first.operation
    if chips_of(user) != chips or split_of(user) != split:
        return False
    if type(user) in elementwise.ELEMENTWISE:
        return (
            len(uses) == 1
            and elementwise.ELEMENTWISE[type(user)][1] == 1
            and folds_into(vz, user)
        )
    shape = tensor_shape_and_element(result.type)[0]
    return (
        first.index == 0
        and type(user) in COMBINE
        and not nan_ignored(user)
        and len(shape) > 0
        and user.properties["axis"].value.data == len(shape) - 1  # type: ignore[attr-defined]
        and shape[-1] > (vz.lanes_wanted.get(result) or vz.spec.lanes)
    )


@dataclass
class Folded:
    """An elementwise op computed as a reduction reads its vectors
    (`folds_into`): its instruction, for each vector of its value the
    vectors of its operands (or the op folded into it that computes its one
    operand), and the tensor that keeps the value for its other users (none
    if the reduction is its only one)."""

    op: Operation
    make: type[lpu.VxmOp]
    operands: list[Operand]
    element: str
    kept: Placed | None
    inner: Folded | None = None

    def parts(self, vectors: np.ndarray) -> list[Operand]:
        """The operands' vectors for the value's `vectors`."""
        if self.inner is not None:
            return self.inner.parts(vectors)
        return [Operand(o.placed, o.indices[vectors]) for o in self.operands]

    def accesses(self, vectors: np.ndarray) -> list[Operand]:
        """Every SRAM access for the value's `vectors` (the runs a group
        may take): the operands' reads and the kept value's writes."""
        kept = [] if self.kept is None else [Operand(self.kept, vectors)]
        reads = self.inner.accesses(vectors) if self.inner else self.parts(vectors)
        return [*reads, *kept]

    def compute(self, vz: Vectorizer, vectors: np.ndarray, a: int, n: int) -> SSAValue:
        """The value's vectors vectors[a..a+n-1] on the VXM (and written to
        the kept tensor off the ALU's stream)."""
        if self.inner is not None:
            values = [self.inner.compute(vz, vectors, a, n)]
        else:
            values = elementwise.read_operands(
                vz, self.parts(vectors), a, a + n, self.op
            )
        v = vz.vxm(self.make, values, self.element, n, self.op)
        if self.kept is not None:
            step = int(vectors[a + 1] - vectors[a]) if n > 1 else 1
            vz.write(v, self.kept, int(vectors[a]), step, self.op)
        return v


def fold(
    vz: Vectorizer, op: Operation, lanes: int | None = None
) -> tuple[Placed, Folded]:
    """An op of `folds_into` (its value in the layout of `lanes` elements a
    vector, if given): the value's layout (the kept tensor, or a Placed
    whose tensor, an operand's, is never read) and how to compute its
    vectors."""
    make, count = elementwise.ELEMENTWISE[type(op)]
    result = op.results[0]
    shape, element = vz.shape_of(result), tensor_shape_and_element(result.type)[1]
    kept = vz.place_new(result, op) if len(list(result.uses)) > 1 else None
    lanes_of = kept.lanes if kept else lanes or vz.lanes_wanted.get(result)
    lanes_of = lanes_of or vz.spec.lanes
    inner = vz.folded.pop(op.operands[0], None) if count == 1 else None
    if inner is not None:
        layout_of, folded = fold(vz, inner, lanes_of)
        like = kept or dataclasses.replace(layout_of, element=element)
        return like, Folded(op, make, [], element, kept, folded)
    placed_in = elementwise.broadcast_operands(vz, op, op.operands[:count], shape)
    operands = elementwise.distinct_tensors(
        vz, elementwise.placed_operands(vz, op, placed_in, shape, lanes_of), op
    )
    like = kept or dataclasses.replace(
        placed_in[0], shape=shape, element=element, lanes=lanes_of, splat=False
    )
    return like, Folded(op, make, operands, element, kept)


def lower(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.ReductionOperation)
    axis = op.axis.value.data
    rank = len(tensor_shape_and_element(op.input.type)[0])
    if axis == rank - 1:
        reduce_last(vz, op)
    else:
        src = vz.get(op.operands[0], op)
        check_vxm_type(op, src.element)
        vz.values[op.results[0]] = reduce_axis(vz, op, axis, src, COMBINE[type(op)])


def identity(combine: type[lpu.VxmOp], element: str) -> float | int:
    """The value that leaves a combination unchanged (fills padding lanes)."""
    if combine is lpu.AddOp:
        return -0.0 if numerics.is_float(element) else 0  # -0 keeps a sum of -0s at -0
    if combine is lpu.MaxOp:
        return lowest(element)
    if combine is lpu.MulOp:
        return 1
    return (
        math.inf
        if numerics.is_float(element)
        else int(np.iinfo(numerics.carrier(element)).max)
    )


def reduce_last(vz: Vectorizer, op: Operation) -> None:
    """Reduce along the last axis in the numerics spec's order (module
    docstring); the result is a splat."""
    producer = vz.folded.pop(op.operands[0], None)
    folded = None
    if producer is None:
        src = vz.get(op.operands[0], op)
    else:
        src, folded = fold(vz, producer)
    check_vxm_type(op, src.element)
    target = reduce_rows(vz, op, src, COMBINE[type(op)], folded)
    vz.values[op.results[0]] = target


def reduce_rows(
    vz: Vectorizer,
    op: Operation,
    src: Placed,
    combine: type[lpu.VxmOp],
    folded: Folded | None = None,
) -> Placed:
    """src [..., C] reduced along its last axis with `combine`: a splat
    [..., 1]; `folded`: src is that op's value, computed vector by vector
    (src only its layout, and more than one vector a row)."""
    shape, spec = src.shape, vz.spec
    rows = Operand(src, np.arange(src.rows, dtype=np.int64) * src.per_row)
    constant = np.zeros(src.rows, dtype=np.int64)
    valid = src.cols - (src.per_row - 1) * src.lanes
    fill = vz.chip.constant_vector(
        np.full(
            spec.lanes,
            identity(combine, src.element),
            dtype=numerics.carrier(src.element),
        ),
        src.element,
        op,
    )

    def chunk(j: int, a: int, n: int) -> SSAValue:
        """Vector j of rows a..a+n-1; padding lanes hold the identity."""
        if folded is None:
            v = vz.read(Operand(src, rows.indices + j), a, n, op)
        else:
            v = folded.compute(vz, rows.indices + j, a, n)
        count = valid if j == src.per_row - 1 else src.lanes
        if count == spec.lanes:
            return v
        mask = vz.chip.constant_vector(
            (np.arange(spec.lanes) < count).astype(np.int32), "i32", op
        )
        m = vz.read(Operand(mask, constant), a, n, op)
        f = vz.read(Operand(fill, constant), a, n, op)
        return vz.vxm(lpu.SelectOp, [m, v, f], src.element, n, op)

    # the spec's chunks are whole vectors of the chip's lanes: in a layout of
    # fewer (a matmul's K-blocks), a chunk is `sub` vectors side by side,
    # so vectors r, r + sub, ... combine in order apart, and the first
    # halvings of the lane tree are the pairs of those (`pair`); a combine
    # in any order (max, min, integers) takes the row in one chain
    exact = combine not in ORDER_FREE and numerics.is_float(src.element)
    sub = spec.lanes // src.lanes if exact and src.per_row > 1 else 1
    if sub > 1 and (sub * src.lanes != spec.lanes or sub & (sub - 1)):
        raise unsupported(
            op,
            f"a float reduction over vectors of {src.lanes} elements, which do not split the chip's {spec.lanes} lanes by halvings",
        )
    acc = src
    if src.per_row > 1 or valid < spec.lanes:
        # the row's vectors in order on chained ALUs, never back through SRAM
        # (one round trip per vector was most of a long row's latency). A
        # chained operand is taken exactly `delay_vxm` after its producer's
        # and a row's vectors share slices, so each read must come a step
        # after the last: the first passes a copy before the second arrives,
        # the accumulator a copy before a padded vector's select, and a burst
        # holds at most `delay_vxm` rows (the read ports' busy cycles)
        every = np.arange(src.rows, dtype=np.int64)

        def chain(js: range) -> Placed:
            """Vectors `js` of each row combined in order, in a new scratch."""
            out = vz.chip.tensor((src.rows, spec.lanes), src.element, "scratch", op)
            parts = [
                part
                for j in js
                for part in (
                    [Operand(src, rows.indices + j)]
                    if folded is None
                    else folded.accesses(rows.indices + j)
                )
            ]
            for a, b in vz.runs([Operand(out, every), *parts], spec.delay("vxm")):
                n = b - a
                v = chunk(js[0], a, n)
                for k, j in enumerate(js[1:], start=1):
                    if k == 1:
                        v = vz.vxm(lpu.CopyOp, [v], src.element, n, op)
                    if j == src.per_row - 1 and valid < spec.lanes:
                        v = vz.vxm(lpu.CopyOp, [v], src.element, n, op)
                    v = vz.vxm(combine, [v, chunk(j, a, n)], src.element, n, op)
                vz.write(v, out, a, 1, op)
            return out

        accs = [chain(range(r, src.per_row, sub)) for r in range(sub)]
        while len(accs) > 1:
            half = len(accs) // 2
            accs = [
                pair(vz, op, combine, x, y)
                for x, y in zip(accs[:half], accs[half:], strict=True)
            ]
        acc = accs[0]
    target = vz.splat_tensor((*shape[:-1], 1), src.element, op, [src])
    rest = np.arange(src.rows, dtype=np.int64)
    packed = packing(spec, src.rows)
    if packed is not None:
        pack, first, after = packed
        rest = lanes.packed_pipeline(vz, op, acc, target, first, after, combine, pack)
    if len(rest):
        passes, period = lane_passes(spec, len(rest), combine in ORDER_FREE)
        lanes.pipeline(vz, op, acc, target, passes, combine, period, rest)
    return target


def pair(
    vz: Vectorizer, op: Operation, combine: type[lpu.VxmOp], x: Placed, y: Placed
) -> Placed:
    """x and y [rows, lanes] combined lanewise in a new scratch: one halving
    of the lane tree, when x and y hold the two halves' lanes."""
    every = np.arange(x.rows, dtype=np.int64)
    out = vz.chip.tensor(x.shape, x.element, "scratch", op)
    operands = [Operand(x, every), Operand(y, every)]
    return elementwise.vector_map(vz, op, combine, operands, out, x.element)


PACK_ROWS = 16
"""The fewest rows whose lane trees are packed (`packing`): with fewer, the
SXMs have time for every row's rotations, and packing only adds its selects
and a write and read to the latency."""


def lane_stages(spec: ChipSpec) -> list[lanes.Tree]:
    """The numerics spec's lane tree as stages (`lane_passes`): the halvings
    (0, s), then the odd width left, left to right."""
    stages: list[lanes.Tree] = []
    width = spec.lanes
    while width % 2 == 0:
        width //= 2
        stages.append((0, width))
    if width > 1:
        tail: lanes.Tree = 0
        for k in range(1, width):
            tail = (tail, k)
        stages.append(tail)
    return stages


def packing(
    spec: ChipSpec, rows: int
) -> tuple[int, lanes.Tree, list[lanes.Tree]] | None:
    """How `lanes.packed_pipeline` packs the lane trees of `rows` rows, if
    that takes fewer SXM instructions a row than `lane_passes`' trees and
    their spread: (rows a vector, the pass of the first halvings, the
    passes after). Packing `2^k` rows after `k` halvings costs a row the
    first pass's `2^k` rotations, 1 / 2^k of the rest and a spread from one
    lane (five instructions on tsp-v1, against the periodic result's two);
    at 64 rows on tsp-v1, 4 rows a vector: 12.25 instead of 19."""
    if not PACK_ROWS <= rows <= spec.sram_addresses:
        return None  # more: the packed results could cross a slice group
    stages = lane_stages(spec)
    passes, period = lane_passes(spec, rows, False)
    superlane = spec.lanes_per_superlane
    best = (
        sum(len(lanes.ranks(t)) for t in passes)
        + len(lanes.spread(spec.lanes, superlane, range(0, spec.lanes, period))),
        None,
    )
    one_lane = len(lanes.spread(spec.lanes, superlane, [0]))
    first: lanes.Tree = 0
    for k, stage in enumerate(stages, start=1):
        if stage != (0, spec.lanes >> k):
            break  # the odd tail
        first = lanes.compose(stage, first)
        pack = 2**k
        after = cheapest_passes(spec, stages[k:], rows // pack)
        cost = (
            len(lanes.ranks(first))
            + sum(len(lanes.ranks(t)) for t in after) / pack
            + one_lane
        )
        if cost < best[0]:
            best = (cost, (pack, first, after))
    return best[1]


def lane_passes(
    spec: ChipSpec, rows: int, order_free: bool
) -> tuple[list[lanes.Tree], int]:
    """The numerics spec's lane tree over the chip's lanes for `rows` rows as
    SXM round trips (`lanes.lane_pass`), and the period of the lanes holding
    the result.

    Its stages (`lane_stages`): each halving, lane l's v[l] + v[l + s], and
    at the odd width w left, w lanes left to right. Since every combine is
    commutative bit for bit (IEEE add and mul, min and max with -0 < +0 and
    one NaN, wrapping integers), the wrapping rotations keep the lanes
    periodic: after the halvings every w-th lane holds lane 0's, and after
    the last stage a max or min (the same bits in any order) has the result
    in every lane, any other combine in every w-th lane, which
    `lanes.spread` copies to all."""
    odd_width = spec.lanes // (spec.lanes & -spec.lanes)  # what the halvings leave
    passes = cheapest_passes(spec, lane_stages(spec), rows)
    return passes, 1 if order_free else odd_width


def cheapest_passes(
    spec: ChipSpec, stages: list[lanes.Tree], rows: int
) -> list[lanes.Tree]:
    """`stages` in passes (`lanes.lane_pass`). A pass computes a run of
    stages as one tree in their order (two halvings: (v[l] + v[l + s]) +
    (v[l + s/2] + v[l + 3s/2])). A pass costs a round trip and its tree's
    steps (`lanes.steps`), and its rotations keep the SXMs busy for the
    rows behind the first burst: the runs are chosen to spend least (few
    rows: fewer, bigger passes; many: four rotations a row for two
    halvings, as many as two passes of one)."""
    behind = max(rows - spec.delay("vxm"), 0)
    # best[i]: the cheapest passes for the first i stages, and their cost
    best: list[tuple[float, list[lanes.Tree]]] = [(0.0, [])]
    for end in range(1, len(stages) + 1):
        options = []
        for first in range(end):
            tree = stages[first]
            for stage in stages[first + 1 : end]:
                tree = lanes.compose(stage, tree)
            cost = lanes.round_trip(spec) + lanes.steps(tree) * spec.delay("vxm")
            cost += behind * len(lanes.ranks(tree)) / 2
            options.append((best[first][0] + cost, [*best[first][1], tree]))
        best.append(min(options, key=lambda option: option[0]))
    return best[-1][1]


def reduce_axis(
    vz: Vectorizer,
    op: Operation,
    axis: int,
    src: Placed,
    combine: type[lpu.VxmOp],
    prefix: str = "v",
) -> Placed:
    """src reduced along a leading axis with `combine`: sequentially in index
    order (numerics.md), one elementwise step per index, accumulating in a
    scratch tensor (named with `prefix`: v for the op's value)."""
    lead = list(src.shape[:-1])
    shape = tuple(1 if k == axis else d for k, d in enumerate(src.shape))
    out_lead = [1 if k == axis else d for k, d in enumerate(lead)]
    grid = np.indices(out_lead, dtype=np.int64).reshape(len(out_lead), -1)
    strides = np.array(
        [math.prod(lead[k + 1 :]) for k in range(len(lead))], dtype=np.int64
    )
    j = np.arange(src.per_row, dtype=np.int64)

    def slice_indices(i: int) -> np.ndarray:
        rows = (grid * strides[:, None]).sum(axis=0) + i * strides[axis]
        return (rows[:, None] * src.per_row + j[None, :]).reshape(-1)

    steps = lead[axis]
    acc = vz.chip.tensor(
        shape,
        src.element,
        "scratch",
        op,
        lanes=src.lanes,
        splat=src.splat,
        prefix=prefix,
    )
    accs = accumulators(vz, op, steps, acc, acc.vectors)
    elementwise.vector_map(
        vz, op, lpu.CopyOp, [Operand(src, slice_indices(0))], acc, src.element
    )
    every = np.arange(acc.vectors, dtype=np.int64)
    for i in range(1, steps):
        elementwise.vector_map(
            vz,
            op,
            combine,
            [Operand(in_turn(accs, i - 1), every), Operand(src, slice_indices(i))],
            in_turn(accs, i),
            src.element,
        )
    return in_turn(accs, steps - 1)


def in_place_burst(spec: ChipSpec) -> int:
    """The longest burst a group may both read and write one tensor with: a
    vector read from the slice nearest the VXM is back to be written the read's
    and the VXM's delays and two hops later, and a bank cannot read and write
    in one cycle (docs/dialect.md), so a longer burst would still be reading
    when its write begins."""
    hop = min(abs(p - spec.vxm_position) for p in spec.mem_slices.values())
    return spec.delay("read") + spec.delay("vxm") + 2 * hop


def accumulators(
    vz: Vectorizer, op: Operation, steps: int, first: Placed, burst: float
) -> list[Placed]:
    """The tensors an accumulation over `steps` steps with bursts of up to
    `burst` vectors takes in turn (`in_turn`), the first `first`: it alone (in
    place) while the burst fits `in_place_burst`, else a second like it, so
    that no group reads and writes one tensor."""
    if steps == 1 or burst <= in_place_burst(vz.spec):
        return [first]
    return [first, vz.chip.scratch_like(first, op)]


def in_turn(accs: list[Placed], step: int) -> Placed:
    """The accumulator step `step` writes (and step `step + 1` reads)."""
    return accs[step % len(accs)]
