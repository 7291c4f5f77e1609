"""linalg on tensors, as the reference runs it (interpreter/reference_linalg.py):
every structured op (`linalg.generic`, the named ops with their bodies,
`linalg.map`, `linalg.reduce`) is its loop nest evaluated on whole iteration
spaces.

- Each operand is laid onto the iteration space through its indexing map (an
  index map for `movement.move`; dimensions the map does not use stay size 1
  and broadcast, and an operand whose layout already is that space is used
  as it is).
- The body's ops run on those tensors (`arith.BODY`), broadcasting as TOSA
  does; `linalg.index` is a constant of loop indices.
- Reductions whose body is `combiner(init, contribution)` (the reference's
  `recognise_combiners`) reduce the contribution with the canonical order:
  the reduction loops are moved last and flattened (`movement`), reduced
  along the last axis (`reductions.reduce_rows`), then combined once with the
  init. Any other reduction body runs step by step over the reduction loops,
  in row-major order.
- Contractions (`matmul` and the other named ones of the reference's
  `CONTRACTIONS`) are one matrix product (`products.multiply`): the loops
  both operands use are its batch, those of the left-hand side alone its
  rows, the reduction loops its K; the init is added once in the
  accumulator and the sum cast to the result type.
- Each result is placed through its output map; elements no point writes
  keep the init's.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects import arith as arith_dialect
from xdsl.dialects.builtin import TensorType
from xdsl.dialects.linalg import ops as stock
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap

from lpuir.dialects import linalg as linalg_ext
from lpuir.dialects import lpu
from lpuir.interpreter.reference_linalg import (
    CONTRACTIONS,
    LoopNest,
    contraction_types,
    packed_layout,
    padded,
    recognise_combiners,
)
from lpuir.transforms.vectorize import arith, data, movement, products, reductions
from lpuir.transforms.vectorize.composite import Steps, element_of
from lpuir.transforms.vectorize.movement import numbered
from lpuir.transforms.vectorize.program import Placed, dense, unsupported

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

MAX_SEQUENTIAL_STEPS = 1024
"""Reduction points a body that is not a recognised combiner may step
through (each step is a pass of the body over the parallel space)."""

COMBINE: dict[str, type[lpu.VxmOp]] = {
    "sum": lpu.AddOp,
    "product": lpu.MulOp,
    "max": lpu.MaxOp,
    "min": lpu.MinOp,
    "all": lpu.MinOp,
    "any": lpu.MaxOp,
}
"""The VXM instruction of each reduction kind (all/any: min/max of 0 and 1)."""


def shape_of(value: SSAValue) -> tuple[int, ...]:
    t = value.type
    return tuple(t.get_shape()) if isinstance(t, TensorType) else ()


def used_dims(m: AffineMap, count: int) -> list[int]:
    """The loops a map's value depends on."""
    base = m.eval((0,) * count, ())
    return [
        d
        for d in range(count)
        if m.eval(tuple(int(i == d) for i in range(count)), ()) != base
    ]


def grid(shape: Sequence[int]) -> tuple[np.ndarray, ...]:
    return tuple(np.ogrid[tuple(slice(0, n) for n in shape)]) if shape else ()


def nest_of(op: Operation) -> LoopNest:
    """The loop nest of a structured op, linalg.map or linalg.reduce."""
    if isinstance(op, LinalgStructuredOperation):
        shapes = [d for v in op.operands for d in shape_of(v)]
        return LoopNest(
            maps=[m.data for m in op.get_indexing_maps()],
            iterators=[str(t.data) for t in op.get_iterator_types()],
            ranges=tuple(op.get_shapes_to_loops_map().eval(shapes, ())),
            body=op.body.block,
            num_inputs=len(op.inputs),
        )
    if isinstance(op, linalg_ext.ReduceOp):
        shape = shape_of(op.inputs[0])
        dims = set(op.dimensions.get_values())
        kept = tuple(AffineDimExpr(i) for i in range(len(shape)) if i not in dims)
        return LoopNest(
            maps=[AffineMap.identity(len(shape))] * len(op.inputs)
            + [AffineMap(len(shape), 0, kept)] * len(op.inits),
            iterators=[
                "reduction" if i in dims else "parallel" for i in range(len(shape))
            ],
            ranges=shape,
            body=op.region.block,
            num_inputs=len(op.inputs),
        )
    assert isinstance(op, linalg_ext.MapOp)
    shape = shape_of(op.init)
    block = op.mapper.block
    inputs = len(block.args)
    return LoopNest(
        maps=[AffineMap.identity(len(shape))] * (inputs + 1),
        iterators=["parallel"] * len(shape),
        ranges=shape,
        body=block,
        num_inputs=inputs,
    )


class Nest:
    """A loop nest being lowered: its operands laid onto iteration spaces."""

    def __init__(self, s: Steps, op: Operation, nest: LoopNest):
        self.s, self.op, self.nest = s, op, nest
        self.operands = list(op.operands[: len(nest.maps)])
        self.fixed: dict[int, int] = {}
        """Reduction loops held at a value (a step of `reduce_stepwise`)."""

    @property
    def ranges(self) -> tuple[int, ...]:
        return self.nest.ranges

    def value(self, v: SSAValue) -> Placed:
        """An operand as placed (a scalar as a one-element tensor)."""
        return self.s.get(v)

    def on_space(
        self, x: Placed, m: AffineMap, fixed: dict[int, int] | None = None
    ) -> Placed:
        """x at every point of the iteration space through map m: loops m does
        not use (and `fixed` ones, held at a value) are size 1."""
        fixed = fixed or {}
        n = len(self.ranges)
        used = used_dims(m, n) if m.results else []
        target = tuple(
            self.ranges[d] if d in used and d not in fixed else 1 for d in range(n)
        ) or (1,)
        if not m.results:
            return Placed(x.tensor, (1,) * len(target), x.element, x.lanes, x.splat)
        points = list(grid(target))
        for d, value in fixed.items():
            points[d] = np.full((1,) * n, value, dtype=np.int64)
        index = np.broadcast_to(
            numbered(x.shape)[tuple(m.eval(tuple(points), ()))], target
        )
        return lay_out(self.s, x, index)

    def evaluate(
        self,
        env: dict[SSAValue, Placed],
        wanted: Sequence[SSAValue],
        skip: set[Operation] = frozenset(),  # type: ignore[assignment]
    ) -> list[Placed]:
        """The body's ops on the placed block arguments `env`; the values
        `wanted` (yielded ones, or a reduction's contributions)."""
        s = self.s
        for body_op in self.nest.body.ops:
            if body_op is self.nest.body.last_op or body_op in skip:
                continue
            if isinstance(body_op, stock.IndexOp):
                env[body_op.results[0]] = self.loop_index(body_op.dim.value.data)
                continue
            if isinstance(body_op, arith_dialect.ConstantOp):
                s.vz.constants[body_op.result] = body_op
                env[body_op.result] = s.get(body_op.result)
                continue
            args = [self.lookup(env, v) for v in body_op.operands]
            env[body_op.results[0]] = arith.evaluate(s, body_op, args, None)
        return [self.lookup(env, v) for v in wanted]

    def lookup(self, env: dict[SSAValue, Placed], v: SSAValue) -> Placed:
        if v in env:
            return env[v]
        return self.value(v)  # defined outside the body: a scalar

    def loop_index(self, dim: int) -> Placed:
        """linalg.index: the loop's index at every point (i32: index values
        are computed in i32)."""
        if dim in self.fixed:
            return self.s.scalar(self.fixed[dim], "i32")
        n = len(self.ranges)
        shape = tuple(self.ranges[d] if d == dim else 1 for d in range(n))
        values = numbered(shape).astype(np.int32)
        s = self.s
        return s.vz.chip.tensor(
            shape, "i32", "weight", self.op, value=dense(values, "i32"), prefix="c"
        )


def lay_out(s: Steps, x: Placed, index: np.ndarray) -> Placed:
    return movement.lay_out(s.vz, s.op, [x], index)


def place(
    s: Steps,
    value: Placed,
    m: AffineMap,
    space: tuple[int, ...],
    init: Callable[[], Placed],
    result: SSAValue,
) -> None:
    """The op's result: `value` (on `space`, broadcasting) written through
    output map m; elements no point writes keep the init's (`init()`)."""
    out_shape = shape_of(result) or (1,)
    padded = (1,) * (len(space) - len(value.shape)) + value.shape
    spread = np.broadcast_to(numbered(padded), space) if space else numbered((1,))
    writes = np.full(out_shape, -1, dtype=np.int64)
    if m.results and space:
        writes[tuple(m.eval(grid(space), ()))] = spread
    else:
        writes[...] = spread.reshape(-1)[-1]
    if writes.min() >= 0:
        out = s.vz.place_new(result, s.op)
        movement.move(s.vz, s.op, [value], writes, out)
        return
    first = init()
    index = np.where(writes >= 0, writes, math.prod(value.shape) + numbered(out_shape))
    out = s.vz.place_new(result, s.op)
    movement.move(s.vz, s.op, [value, first], index, out)


def structured(vz: Vectorizer, op: Operation) -> None:
    nest = nest_of(op)
    s = Steps(vz, op)
    lowering = Nest(s, op, nest)
    if any(d < 0 for d in nest.ranges):
        raise unsupported(op, "a loop of dynamic size")
    operands = lowering.operands
    inputs = [
        lowering.on_space(lowering.value(v), m)
        for v, m in zip(operands[: nest.num_inputs], nest.maps, strict=False)
    ]
    inits = operands[nest.num_inputs :]
    out_maps = nest.maps[nest.num_inputs :]
    block = nest.body
    env: dict[SSAValue, Placed] = dict(zip(block.args, inputs, strict=False))
    # (linalg.map's body has no arguments for its init)
    outs = block.args[nest.num_inputs :]
    for arg, v, m in zip(outs, inits, out_maps, strict=bool(outs)):
        if arg.uses:
            env[arg] = lowering.on_space(lowering.value(v), m)
    reduction = nest.reduction_loops
    space = tuple(1 if d in reduction else n for d, n in enumerate(nest.ranges))
    if not reduction:
        yielded = list(block.last_op.operands) if block.last_op else []
        values = lowering.evaluate(env, yielded)
    else:
        init_spaces = [
            lowering.on_space(lowering.value(v), m)
            for v, m in zip(inits, out_maps, strict=True)
        ]
        combiners = recognise_combiners(nest)
        if combiners:
            values = reduce_combined(lowering, env, combiners, init_spaces)
        else:
            values = reduce_stepwise(lowering, init_spaces)
    for value, m, init, result in zip(values, out_maps, inits, op.results, strict=True):
        place(s, value, m, space, functools.partial(lowering.value, init), result)


def reduce_combined(
    lowering: Nest,
    env: dict[SSAValue, Placed],
    combiners: Sequence,
    init_spaces: Sequence[Placed],
) -> list[Placed]:
    """Contributions reduced in the canonical order, then combined with the
    inits once (`reduce_with` in the reference)."""
    s, nest = lowering.s, lowering.nest
    reduction = nest.reduction_loops
    parallel = [d for d in range(len(nest.ranges)) if d not in reduction]
    contributions = lowering.evaluate(
        env, [c.contribution for c in combiners], skip={c.op for c in combiners}
    )
    space = tuple(1 if d in reduction else n for d, n in enumerate(nest.ranges))
    rows = math.prod(nest.ranges[d] for d in parallel)
    size = math.prod(nest.ranges[d] for d in reduction)
    if size == 0:
        raise unsupported(s.op, "a reduction over no elements")
    results = []
    for combiner, contribution, init in zip(
        combiners, contributions, init_spaces, strict=True
    ):
        padded = (1,) * (
            len(nest.ranges) - len(contribution.shape)
        ) + contribution.shape
        full = np.broadcast_to(numbered(padded), nest.ranges)
        index = full.transpose([*parallel, *reduction]).reshape(rows, size)
        flat = lay_out(s, contribution, index)
        t = element_of(combiner.op.results[0])
        if t == "i1":
            flat = s.widen(flat)
        reduced = reductions.reduce_rows(s.vz, s.op, flat, COMBINE[combiner.kind])
        if t == "i1":
            reduced = s.convert(reduced, "i1")
        on_space = (
            Placed(reduced.tensor, space, reduced.element, reduced.lanes, splat=True)
            if space[-1] == 1
            else lay_out(s, reduced, numbered((rows, 1)).reshape(space))
        )
        pair = [init, on_space] if combiner.init_first else [on_space, init]
        results.append(arith.evaluate(s, combiner.op, pair, None))
    return results


def reduce_stepwise(lowering: Nest, init_spaces: Sequence[Placed]) -> list[Placed]:
    """One pass of the body per point of the reduction loops, row-major."""
    s, nest = lowering.s, lowering.nest
    reduction = nest.reduction_loops
    points = list(np.ndindex(*(nest.ranges[d] for d in reduction)))
    if len(points) > MAX_SEQUENTIAL_STEPS:
        raise unsupported(
            s.op,
            f"a reduction body that is not a single combining op over {len(points)} points (at most {MAX_SEQUENTIAL_STEPS} are stepped through)",
        )
    block = nest.body
    accumulators = list(init_spaces)
    operands = lowering.operands[: nest.num_inputs]
    for point in points:
        fixed = dict(zip(reduction, point, strict=True))
        sliced = [
            lowering.on_space(lowering.value(v), m, fixed)
            for v, m in zip(operands, nest.maps, strict=False)
        ]
        env = dict(zip(block.args, [*sliced, *accumulators], strict=False))
        yielded = list(block.last_op.operands) if block.last_op else []
        lowering.fixed = fixed
        accumulators = lowering.evaluate(env, yielded)
    lowering.fixed = {}
    return accumulators


def contraction(vz: Vectorizer, op: Operation) -> None:
    """init + A x B as one matrix product (module docstring)."""
    nest = nest_of(op)
    s = Steps(vz, op)
    maps = nest.maps
    n = len(nest.ranges)
    used_a, used_b = set(used_dims(maps[0], n)), set(used_dims(maps[1], n))
    reduction = list(nest.reduction_loops)
    parallel = [d for d in range(n) if d not in reduction]
    batch = [d for d in parallel if d in used_a and d in used_b]
    rows = [d for d in parallel if d in used_a and d not in used_b]
    cols = [d for d in parallel if d not in used_a]
    size = [
        math.prod(nest.ranges[d] for d in g) for g in (batch, rows, reduction, cols)
    ]
    a_v, b_v, init_v = op.operands[:3]
    a_t, b_t, out_t = element_of(a_v), element_of(b_v), element_of(init_v)
    in_t, acc_t = contraction_types(a_t, b_t, out_t)

    def gathered(
        value: SSAValue, m: AffineMap, order: list[int], shape: tuple[int, ...]
    ) -> Placed:
        loops = [nest.ranges[d] for d in order]
        points = [np.zeros((1,) * len(order), dtype=np.int64) for _ in range(n)]
        for axis, d in enumerate(order):
            at = [1] * len(order)
            at[axis] = nest.ranges[d]
            points[d] = np.arange(nest.ranges[d]).reshape(at)
        x = s.get(value)
        index = np.broadcast_to(
            numbered(x.shape)[tuple(m.eval(tuple(points), ()))], loops
        )
        return s.convert(lay_out(s, x, index.reshape(shape)), in_t)

    nb, nr, nk, nc = size
    a = gathered(a_v, maps[0], batch + rows + reduction, (nb, nr, nk))
    b = gathered(b_v, maps[1], batch + reduction + cols, (nb, nk, nc))
    product = products.multiply(s, a, b, acc_t)
    # the init at every point of the product's rows and columns
    order = batch + rows + cols
    points = [np.zeros((1,) * len(order), dtype=np.int64) for _ in range(n)]
    for axis, d in enumerate(order):
        at = [1] * len(order)
        at[axis] = nest.ranges[d]
        points[d] = np.arange(nest.ranges[d]).reshape(at)
    init = s.get(init_v)
    out_shape = shape_of(init_v) or (1,)
    targets = tuple(
        np.broadcast_to(t, [nest.ranges[d] for d in order])
        for t in maps[2].eval(tuple(points), ())
    )
    at_points = (
        numbered(out_shape)[targets]
        if targets
        else np.zeros([nest.ranges[d] for d in order], np.int64)
    )
    current = s.convert(lay_out(s, init, at_points.reshape(nb, nr, nc)), acc_t)
    total = s.convert(s(lpu.AddOp, [current, product], acc_t), out_t)
    writes = np.full(out_shape, -1, dtype=np.int64)
    if targets:
        writes[targets] = numbered((nb, nr, nc)).reshape(at_points.shape)
    else:
        writes[...] = nb * nr * nc - 1
    index = np.where(writes >= 0, writes, nb * nr * nc + numbered(out_shape))
    out = vz.place_new(op.results[0], op)
    movement.move(vz, op, [total, init], index, out)


def lower(vz: Vectorizer, op: Operation) -> None:
    if isinstance(op, CONTRACTIONS):
        contraction(vz, op)
    else:
        structured(vz, op)


def transpose(vz: Vectorizer, op: Operation) -> None:
    """linalg.transpose: as tosa.transpose (`data.permute`)."""
    assert isinstance(op, stock.TransposeOp)
    x = vz.get(op.inputs[0], op)
    perms = [int(p) for p in op.permutation.get_values()]
    out = vz.place_new(op.res[0], op, lanes=vz.spec.lanes)
    data.permute(vz, op, x, perms, out)


def broadcast(vz: Vectorizer, op: Operation) -> None:
    """linalg.broadcast: the input's dimensions are the result's but
    `dimensions`, which are added."""
    assert isinstance(op, stock.BroadcastOp)
    x = vz.get(op.input, op)
    out_shape = shape_of(op.init)
    dims = tuple(int(d) for d in op.dimensions.get_values())
    index = np.broadcast_to(np.expand_dims(numbered(x.shape), dims), out_shape)
    out = vz.place_new(op.result[0], op)
    movement.move(vz, op, [x], index, out)


def softmax(vz: Vectorizer, op: Operation) -> None:
    """exp(x - max) / sum(exp(x - max)) along the dimension, the max and the
    sum in the canonical order (the reference's decomposition)."""
    assert isinstance(op, linalg_ext.SoftmaxOp)
    s = Steps(vz, op)
    x = s.get(op.input)
    t = x.element
    axis = op.dimension.value.data
    rank = len(x.shape)
    order = [d for d in range(rank) if d != axis] + [axis]
    rows = math.prod(x.shape) // x.shape[axis]
    flat = lay_out(
        s, x, numbered(x.shape).transpose(order).reshape(rows, x.shape[axis])
    )
    top = reductions.reduce_rows(vz, op, flat, lpu.MaxOp)
    e = s(lpu.ExpOp, [s(lpu.SubOp, [flat, top], t)], t)
    total = reductions.reduce_rows(vz, op, e, lpu.AddOp)
    ratio = s(lpu.DivOp, [e, total], t)
    back = np.argsort(order)
    moved_shape = tuple(x.shape[d] for d in order)
    index = numbered(moved_shape).transpose(back)
    out = vz.place_new(op.results[0], op)
    movement.move(
        vz, op, [Placed(ratio.tensor, moved_shape, t, ratio.lanes)], index, out
    )


def pack(vz: Vectorizer, op: Operation) -> None:
    """linalg.pack and unpack: index maps of the reference's layouts."""
    assert isinstance(op, linalg_ext.PackOp | linalg_ext.UnPackOp)
    source = vz.get(op.operands[0], op)
    dest_shape = shape_of(op.results[0])
    inner = list(op.inner_dims_pos.get_values())
    tiles = [int(t) for t in op.static_inner_tiles.get_values()]
    if any(t < 1 for t in tiles) or len(op.operands) > (
        3 if op.padding_value is not None else 2
    ):
        raise unsupported(op, f"'{op.name}' with tiles given at run time")
    plain = source.shape if isinstance(op, linalg_ext.PackOp) else dest_shape
    perm = list(op.outer_dims_perm.get_values()) or list(range(len(plain)))
    split, order = packed_layout(plain, inner, tiles, perm)
    grown = padded(plain, inner, tiles)
    if isinstance(op, linalg_ext.PackOp):
        n = math.prod(source.shape)
        full = np.full(grown, n, dtype=np.int64)
        full[tuple(slice(0, d) for d in source.shape)] = numbered(source.shape)
        index = full.reshape(split).transpose(order)
        sources = [source]
        if op.padding_value is not None:
            sources.append(Steps(vz, op).get(op.padding_value))
        elif grown != list(source.shape):
            raise unsupported(
                op,
                "'linalg.pack' whose tiles do not divide and that has no padding_value",
            )
    else:
        packed = numbered([split[i] for i in order])
        index = packed.transpose(np.argsort(order)).reshape(grown)
        index = index[tuple(slice(0, d) for d in dest_shape)]
        sources = [source]
    out = vz.place_new(op.results[0], op)
    movement.move(vz, op, sources, np.ascontiguousarray(index), out)


STRUCTURED: tuple[type[Operation], ...] = (
    LinalgStructuredOperation,
    linalg_ext.MapOp,
    linalg_ext.ReduceOp,
)

LOWERINGS: dict[type[Operation], Callable[[Vectorizer, Operation], None]] = {
    **dict.fromkeys(STRUCTURED, lower),
    stock.TransposeOp: transpose,
    stock.BroadcastOp: broadcast,
    linalg_ext.SoftmaxOp: softmax,
    linalg_ext.PackOp: pack,
    linalg_ext.UnPackOp: pack,
}
"""The lowering of each op of this module (entries of the package's table)."""
