"""linalg on tensors: every structured op (generic and the named ops, whose
hidden bodies are arith) runs as its loop nest, evaluated on whole arrays.

How a loop nest runs: each operand is gathered over the iteration space
through its indexing map (numpy advanced indexing with the loop indices), the
body runs once on those arrays through the arith/math implementations, and
each result is scattered back through its output's map. `linalg.index` reads
the loop indices.

Reductions (loops marked "reduction"):
- a body that yields `combiner(init, contribution)` for a recognised combiner
  (addf/addi: sum, mulf/muli: product, maximumf/maxsi: max, minimumf/minsi:
  min, andi/ori on i1: all/any), where the contribution does not read the
  accumulator, reduces the contributions with `numerics.reduce` (the chip's
  canonical order; several reduction loops are flattened in row-major order
  into one axis) and then applies the combiner once: `init + sum`;
- any other body runs sequentially: one step per point of the reduction
  loops in row-major order, each step on the whole parallel space.

The contractions (`matmul` and its variants, `batch_matmul`, `matvec`,
`vecmat`, `dot`, `mmt4d`, `contract`, the convolutions) are not their body:
they multiply on the MXM (docs/numerics.md, "Contractions"): the reduction
loops, flattened in loop order, are the K of one `numerics.matmul` with the
machine's K-block into i32/i64 (integers) or f32 (floats), then the init is
added once in that type and the sum cast to the result type. Operands of two
element types are first cast to the result's (as the op's body casts them).
A `linalg.generic` contraction follows the reduction rule above, not the MXM's.

Loop ranges come from the operands' run-time shapes, so dynamic dimensions
are bound by the values. `tensor.extract` in a body may index with computed
values: each point of the loop nest reads its own element (a gather).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType, ShapedType
from xdsl.dialects.linalg import ops as stock
from xdsl.dialects.linalg.abstract_ops import (
    LinalgStructuredOperation,
    NamedOperation,
)
from xdsl.ir import Block, Operation, OpResult, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap

from lpuir import numerics
from lpuir.dialects import linalg
from lpuir.interpreter.reference_core import (
    Args,
    ExecutionError,
    Interpreter,
    UnsupportedTypeError,
    element,
    implements,
)

COMBINERS: dict[type[Operation], str] = {
    arith.AddfOp: "sum",
    arith.AddiOp: "sum",
    arith.MulfOp: "product",
    arith.MuliOp: "product",
    arith.MaximumfOp: "max",
    arith.MaxSIOp: "max",
    arith.MinimumfOp: "min",
    arith.MinSIOp: "min",
}
"""Body ops whose reduction `numerics.reduce` performs, and its kind for them."""

LOGICAL_COMBINERS: dict[type[Operation], str] = {
    arith.AndIOp: "all",
    arith.OrIOp: "any",
}
"""The same on i1."""


@dataclass(frozen=True)
class Combiner:
    """How a reduction body updates one accumulator: `op(init, contribution)`."""

    op: Operation
    kind: str
    contribution: SSAValue
    init_first: bool


@dataclass(frozen=True)
class LoopNest:
    """A structured op as loops: one map per operand (inputs, then inits)."""

    maps: Sequence[AffineMap]
    iterators: Sequence[str]
    ranges: tuple[int, ...]
    body: Block
    num_inputs: int

    @property
    def reduction_loops(self) -> tuple[int, ...]:
        return tuple(i for i, kind in enumerate(self.iterators) if kind == "reduction")


def combiner_kind(op: Operation) -> str | None:
    if type(op) in LOGICAL_COMBINERS:
        return (
            LOGICAL_COMBINERS[type(op)] if element(op.results[0].type) == "i1" else None
        )
    return COMBINERS.get(type(op))


def recognise_combiners(nest: LoopNest) -> list[Combiner] | None:
    """The combiner of each accumulator, when every output is one (see the
    module doc); None when the body must run sequentially."""
    accumulators = nest.body.args[nest.num_inputs :]
    terminator = nest.body.last_op
    assert terminator is not None
    found: list[Combiner] = []
    for accumulator, yielded in zip(accumulators, terminator.operands, strict=True):
        op = yielded.owner if isinstance(yielded, OpResult) else None
        kind = None if op is None else combiner_kind(op)
        if op is None or kind is None or accumulator not in op.operands:
            return None
        init_first = op.operands[0] is accumulator
        contribution = op.operands[1] if init_first else op.operands[0]
        if contribution in accumulators or any(
            use.operation is not terminator for use in op.results[0].uses
        ):
            return None
        found.append(Combiner(op, kind, contribution, init_first))
    combiner_ops = {c.op for c in found}
    if any(
        use.operation not in combiner_ops
        for accumulator in accumulators
        for use in accumulator.uses
    ):
        return None
    return found


def run_loop_nest(
    interp: Interpreter, nest: LoopNest, operands: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """Run a loop nest on its operands; one result per init, of its shape."""
    indices = (
        tuple(np.ogrid[tuple(slice(0, n) for n in nest.ranges)]) if nest.ranges else ()
    )
    gathered = [
        x if not m.results else x[m.eval(indices, ())]
        for x, m in zip(operands, nest.maps, strict=True)
    ]
    reduction = nest.reduction_loops
    interp.loop_indices.append(indices)
    try:
        if not reduction:
            values = interp.run_block(nest.body, gathered)
        else:
            combiners = recognise_combiners(nest)
            values = (
                reduce_with(interp, nest, gathered, combiners)
                if combiners
                else reduce_sequentially(interp, nest, gathered)
            )
    finally:
        interp.loop_indices.pop()
    # The outputs' maps read parallel loops only: the reduction loops are at 0.
    step_shape = tuple(1 if i in reduction else n for i, n in enumerate(nest.ranges))
    parallel_indices = tuple(
        np.zeros((1,) * len(nest.ranges), np.int64) if i in reduction else index
        for i, index in enumerate(indices)
    )
    results = []
    for value, out_map, init in zip(
        values,
        nest.maps[nest.num_inputs :],
        operands[nest.num_inputs :],
        strict=True,
    ):
        if not out_map.results:
            results.append(np.array(value, dtype=init.dtype).reshape(init.shape))
            continue
        result = np.array(init, copy=True)
        # every point of the parallel space writes its element (a constant
        # map, `(d0, d1) -> (0, 0)`, has them all write one)
        target = tuple(
            np.broadcast_to(t, step_shape) for t in out_map.eval(parallel_indices, ())
        )
        result[target] = np.broadcast_to(value, step_shape)
        results.append(result)
    return results


def reduce_with(
    interp: Interpreter,
    nest: LoopNest,
    gathered: list[np.ndarray],
    combiners: list[Combiner],
) -> list[np.ndarray]:
    """Reduce each contribution with numerics.reduce, then combine it once with
    its init; results keep the reduction loops as size-1 dimensions."""
    reduction = nest.reduction_loops
    contributions = interp.evaluate(
        nest.body,
        gathered,
        [c.contribution for c in combiners],
        skip={c.op for c in combiners},
    )
    inits = gathered[nest.num_inputs :]
    results = []
    for combiner, contribution, init in zip(
        combiners, contributions, inits, strict=True
    ):
        t = element(combiner.op.results[0].type)
        full = np.broadcast_to(contribution, nest.ranges)
        moved = np.moveaxis(full, reduction, range(-len(reduction), 0))
        size = math.prod(nest.ranges[i] for i in reduction)
        flat = moved.reshape(*moved.shape[: -len(reduction)], size)
        reduced = np.expand_dims(
            numerics.reduce(
                flat, flat.ndim - 1, combiner.kind, t, lanes=interp.chip.lanes
            ),
            reduction,
        )
        init_value = np.broadcast_to(init, reduced.shape)
        operands = (
            (init_value, reduced) if combiner.init_first else (reduced, init_value)
        )
        results.append(interp.run_op(combiner.op, operands)[0])
    return results


def reduce_sequentially(
    interp: Interpreter, nest: LoopNest, gathered: list[np.ndarray]
) -> list[np.ndarray]:
    """One body step per point of the reduction loops, row-major, each on the
    whole parallel space (results keep the reduction loops as size-1 dims)."""
    reduction = nest.reduction_loops
    step_shape = tuple(1 if i in reduction else n for i, n in enumerate(nest.ranges))
    inputs = [np.broadcast_to(g, nest.ranges) for g in gathered[: nest.num_inputs]]
    accumulators = [np.broadcast_to(g, step_shape) for g in gathered[nest.num_inputs :]]
    all_indices = interp.loop_indices.pop()
    try:
        for point in np.ndindex(*(nest.ranges[i] for i in reduction)):
            at = dict(zip(reduction, point, strict=True))
            select = tuple(
                slice(at[i], at[i] + 1) if i in at else slice(None)
                for i in range(len(nest.ranges))
            )
            interp.loop_indices.append(
                tuple(
                    np.full((1,) * len(nest.ranges), at[i]) if i in at else index
                    for i, index in enumerate(all_indices)
                )
            )
            try:
                accumulators = interp.run_block(
                    nest.body, [x[select] for x in inputs] + accumulators
                )
            finally:
                interp.loop_indices.pop()
    finally:
        interp.loop_indices.append(all_indices)
    return accumulators


def tensor_operands(op: Operation) -> None:
    """The reference runs linalg on tensors only."""
    if any(isinstance(v.type, MemRefType) for v in op.operands):
        raise UnsupportedTypeError(
            "linalg on memrefs is not supported; the reference runs tensor programs"
        )


def loop_ranges(op: LinalgStructuredOperation, args: Args) -> tuple[int, ...]:
    """The loop ranges, read off the operands' run-time shapes (so dynamic
    dimensions are bound by the values)."""
    shapes = [
        d
        for a, v in zip(args, op.operands, strict=True)
        if isinstance(v.type, ShapedType)
        for d in a.shape
    ]
    return tuple(op.get_shapes_to_loops_map().eval(shapes, ()))


def structured_nest(op: LinalgStructuredOperation, args: Args) -> LoopNest:
    return LoopNest(
        maps=[m.data for m in op.get_indexing_maps()],
        iterators=[str(t.data) for t in op.get_iterator_types()],
        ranges=loop_ranges(op, args),
        body=op.body.block,
        num_inputs=len(op.inputs),
    )


STRUCTURED: tuple[type[Operation], ...] = (
    linalg.GenericOp,
    stock.AddOp,
    stock.SubOp,
    stock.MulOp,
    stock.ExpOp,
    stock.LogOp,
    stock.SqrtOp,
    stock.MaxOp,
    stock.MinOp,
    stock.SelectOp,
    stock.CopyOp,
    stock.FillOp,
    stock.PoolingNchwMaxOp,
    linalg.PoolingNhwcSumOp,
    linalg.PoolingNhwcMaxOp,
    linalg.PoolingNhwcMinOp,
    linalg.NegfOp,
    linalg.AbsOp,
    linalg.CeilOp,
    linalg.FloorOp,
    linalg.ErfOp,
    linalg.TanhOp,
    linalg.RoundOp,
    linalg.RsqrtOp,
    linalg.ReciprocalOp,
    linalg.SquareOp,
    linalg.DivOp,
    linalg.DivUnsignedOp,
    linalg.PowfOp,
    linalg.ElementwiseOp,
)
"""Structured ops that run as their loop nest (body included)."""


@implements(*STRUCTURED)
def _structured(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, LinalgStructuredOperation)
    tensor_operands(op)
    return run_loop_nest(interp, structured_nest(op, args), args)


@implements(linalg.ReduceOp)
def _reduce(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """linalg.reduce as a loop nest: reduction loops for `dimensions`."""
    assert isinstance(op, linalg.ReduceOp)
    tensor_operands(op)
    shape = args[0].shape
    dimensions = set(op.dimensions.get_values())
    kept = [AffineDimExpr(i) for i in range(len(shape)) if i not in dimensions]
    inputs = len(op.inputs)
    nest = LoopNest(
        maps=[AffineMap.identity(len(shape))] * inputs
        + [AffineMap(len(shape), 0, tuple(kept))] * len(op.inits),
        iterators=[
            "reduction" if i in dimensions else "parallel" for i in range(len(shape))
        ],
        ranges=shape,
        body=op.region.block,
        num_inputs=inputs,
    )
    return run_loop_nest(interp, nest, args)


@implements(linalg.MapOp)
def _map(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The body on whole arrays (it is elementwise); a body that also takes
    the init gets it as its last argument."""
    assert isinstance(op, linalg.MapOp)
    body = op.mapper.block
    values = list(args) if len(body.args) == len(args) else list(args[:-1])
    shape = args[-1].shape
    indices = tuple(np.ogrid[tuple(slice(0, n) for n in shape)]) if shape else ()
    interp.loop_indices.append(indices)
    try:
        (value,) = interp.run_block(body, values)
    finally:
        interp.loop_indices.pop()
    return [np.array(np.broadcast_to(value, shape), dtype=args[-1].dtype)]


@implements(linalg.SoftmaxOp)
def _softmax(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """exp(x - max) / sum(exp(x - max)) along the dimension, as upstream's
    decomposition: the max and the sum are numerics.reduce (the canonical
    order on the last axis), the rest elementwise in the element type."""
    assert isinstance(op, linalg.SoftmaxOp)
    x = args[0]
    t = element(op.input.type)
    axis = op.dimension.value.data
    top = np.expand_dims(
        numerics.reduce(x, axis, "max", t, lanes=interp.chip.lanes), axis
    )
    e = numerics.exp(numerics.sub(x, top, t), t)
    total = np.expand_dims(
        numerics.reduce(e, axis, "sum", t, lanes=interp.chip.lanes), axis
    )
    return [numerics.div(e, total, t)]


@implements(stock.IndexOp)
def _index(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, stock.IndexOp)
    return [numerics.as_carrier(interp.loop_indices[-1][op.dim.value.data], "i64")]


@implements(stock.TransposeOp)
def _transpose(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, stock.TransposeOp)
    tensor_operands(op)
    return [np.array(np.transpose(args[0], op.permutation.get_values()), order="C")]


@implements(stock.BroadcastOp)
def _broadcast(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The input's dimensions are the result's but `dimensions`, which are added."""
    assert isinstance(op, stock.BroadcastOp)
    tensor_operands(op)
    expanded = np.expand_dims(args[0], tuple(op.dimensions.get_values()))
    return [np.array(np.broadcast_to(expanded, args[1].shape), order="C")]


# --------------------------------------------------------------------------- #
# Contractions: on the MXM
# --------------------------------------------------------------------------- #

CONTRACTIONS: tuple[type[Operation], ...] = (
    linalg.MatmulOp,
    linalg.MatmulTransposeAOp,
    linalg.MatmulTransposeBOp,
    linalg.BatchMatmulOp,
    linalg.BatchReduceMatmulOp,
    linalg.MatvecOp,
    linalg.VecmatOp,
    linalg.BatchMatvecOp,
    linalg.BatchVecmatOp,
    linalg.DotOp,
    linalg.Mmt4dOp,
    linalg.ContractOp,
    linalg.DepthwiseConv2DNhwcHwcOp,
    stock.Conv2DNchwFchwOp,
    stock.Conv2DNgchwFgchwOp,
    stock.Conv2DNgchwGfchwOp,
    stock.Conv2DNhwc_FhwcOp,
    stock.Conv2DNhwc_HwcfOp,
    stock.Conv2DNhwgcGfhwcOp,
)
"""Named ops whose body is `out + cast(a) * cast(b)`."""


def _gather(
    x: np.ndarray, m: AffineMap, ranges: tuple[int, ...], order: Sequence[int]
) -> np.ndarray:
    """x at every point of the loops `order` (the other loops at 0), shaped
    by those loops in that order."""
    grid = [np.zeros((1,) * len(order), np.int64) for _ in ranges]
    for axis, loop in enumerate(order):
        shape = [1] * len(order)
        shape[axis] = ranges[loop]
        grid[loop] = np.arange(ranges[loop]).reshape(shape)
    index = m.eval(tuple(grid), ())
    target = tuple(ranges[loop] for loop in order)
    if not index:
        return np.broadcast_to(x, target)
    return np.broadcast_to(x[tuple(index)], target)


def contraction_types(a_t: str, b_t: str, out_t: str) -> tuple[str, str]:
    """(the type both operands multiply in, the accumulator): the operands'
    own type when they agree (i8 x i8 -> i32 multiplies i8 on the MXM), else
    both cast to the result's type, as the op's body casts them; floats
    accumulate in f32 (f64: in f64, in K order), integers exactly in i32 or
    i64."""
    in_t = a_t if a_t == b_t else out_t
    if numerics.is_float(in_t) or numerics.is_float(out_t):
        if not numerics.is_float(in_t):
            in_t = out_t
        return in_t, "f64" if "f64" in (in_t, out_t) else "f32"
    return in_t, "i64" if numerics.bitwidth(out_t) > 32 else "i32"


@implements(stock.QuantizedMatmulOp)
def _quantized_matmul(
    interp: Interpreter, op: Operation, args: Args
) -> list[np.ndarray]:
    """init + (A - a_zp) x (B - b_zp): the operands less their zero points
    are exact in the (integer) accumulator, then a plain contraction."""
    assert isinstance(op, stock.QuantizedMatmulOp)
    a, b, a_zp, b_zp, init = args
    out_t = element(op.outputs[0].type)
    acc = "i64" if numerics.bitwidth(out_t) > 32 else "i32"
    lhs, rhs = (
        numerics.sub(
            numerics.cast(x, element(v.type), acc),
            numerics.cast(zp, element(z.type), acc),
            acc,
        )
        for x, zp, v, z in (
            (a, a_zp, op.inputs[0], op.inputs[2]),
            (b, b_zp, op.inputs[1], op.inputs[3]),
        )
    )
    product = numerics.matmul(lhs, rhs, acc, acc, k_block=interp.k_block(acc))
    total = numerics.add(numerics.cast(init, out_t, acc), product, acc)
    return [numerics.cast(total, acc, out_t)]


@implements(*CONTRACTIONS)
def _contraction(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """init + A x B on the MXM: the reduction loops (in loop order, row-major)
    are the K of one `numerics.matmul`, the parallel loops that both operands
    use are its batch, those of A alone its rows, the others its columns;
    then the init is added once in the accumulator (see the module doc)."""
    assert isinstance(op, NamedOperation)
    tensor_operands(op)
    a, b, init = args
    maps = [m.data for m in op.get_indexing_maps()]
    iterators = [str(t.data) for t in op.get_iterator_types()]
    ranges = loop_ranges(op, args)

    def uses(m: AffineMap) -> set[int]:
        return {
            d
            for d in range(len(ranges))
            if m.eval(tuple(int(i == d) for i in range(len(ranges))), ())
            != m.eval((0,) * len(ranges), ())
        }

    used_a, used_b = uses(maps[0]), uses(maps[1])
    parallel = [d for d, kind in enumerate(iterators) if kind == "parallel"]
    reduction = [d for d, kind in enumerate(iterators) if kind == "reduction"]
    batch = [d for d in parallel if d in used_a and d in used_b]
    rows = [d for d in parallel if d in used_a and d not in used_b]
    cols = [d for d in parallel if d not in used_a]
    a_t, b_t = element(op.operands[0].type), element(op.operands[1].type)
    out_t = element(op.operands[2].type)
    in_t, acc_t = contraction_types(a_t, b_t, out_t)
    lhs = numerics.cast(
        _gather(a, maps[0], ranges, batch + rows + reduction), a_t, in_t
    )
    rhs = numerics.cast(
        _gather(b, maps[1], ranges, batch + reduction + cols), b_t, in_t
    )
    size = math.prod
    nb, nr, nk, nc = (
        size(ranges[d] for d in g) for g in (batch, rows, reduction, cols)
    )
    product = numerics.matmul(
        lhs.reshape(nb, nr, nk),
        rhs.reshape(nb, nk, nc),
        in_t,
        acc_t,
        k_block=interp.k_block(in_t),
    ).reshape([ranges[d] for d in batch + rows + cols])
    # the product at every point of the parallel loops, in loop order
    order = batch + rows + cols
    product = np.transpose(product, [order.index(d) for d in parallel])
    index = maps[2].eval(
        tuple(
            np.arange(ranges[d]).reshape([ranges[d] if e == d else 1 for e in parallel])
            if d in parallel
            else np.zeros((1,) * len(parallel), np.int64)
            for d in range(len(ranges))
        ),
        (),
    )
    target = tuple(np.broadcast_to(i, product.shape) for i in index)
    current = numerics.cast(init[target] if index else init, out_t, acc_t)
    total = numerics.cast(numerics.add(current, product, acc_t), acc_t, out_t)
    result = np.array(init, copy=True)
    if index:
        result[target] = total
    else:
        result[()] = total
    return [result]


# --------------------------------------------------------------------------- #
# pack / unpack
# --------------------------------------------------------------------------- #


def packing(
    op: linalg.PackOp | linalg.UnPackOp, args: Args
) -> tuple[list[int], list[int], list[int]]:
    """(inner_dims_pos, the tiles with the dynamic ones bound, outer_dims_perm)."""
    dynamic = iter(args[3 if op.padding_value is not None else 2 :])
    tiles = [
        int(next(dynamic)) if t == DYNAMIC_INDEX else int(t)
        for t in op.static_inner_tiles.get_values()
    ]
    if any(t < 1 for t in tiles):
        raise ExecutionError(f"inner tiles {tiles} must be positive")
    inner = list(op.inner_dims_pos.get_values())
    rank = len(args[0].shape if isinstance(op, linalg.PackOp) else args[1].shape)
    perm = list(op.outer_dims_perm.get_values()) or list(range(rank))
    return inner, tiles, perm


def padded(shape: tuple[int, ...], inner: list[int], tiles: list[int]) -> list[int]:
    """Each tiled dimension rounded up to a multiple of its tile."""
    tile_of = dict(zip(inner, tiles, strict=True))
    return [-(-n // tile_of.get(d, 1)) * tile_of.get(d, 1) for d, n in enumerate(shape)]


def packed_layout(
    shape: tuple[int, ...], inner: list[int], tiles: list[int], perm: list[int]
) -> tuple[list[int], list[int]]:
    """The plain tensor padded and split as [outer_0, (tile_0,) outer_1, ...]
    (its shape), and the transpose of that to the packed layout."""
    tile_of = dict(zip(inner, tiles, strict=True))
    split: list[int] = []
    outer_axis: list[int] = []
    tile_axis: dict[int, int] = {}
    for d, n in enumerate(shape):
        outer_axis.append(len(split))
        if d in tile_of:
            split += [-(-n // tile_of[d]), tile_of[d]]
            tile_axis[d] = len(split) - 1
        else:
            split.append(n)
    order = [outer_axis[d] for d in perm] + [tile_axis[d] for d in inner]
    return split, order


@implements(linalg.PackOp)
def _pack(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """Pad each tiled dimension at its end to a multiple of its tile (with
    the padding value), split it into (outer, tile), permute the outer
    dimensions, the tiles last in inner_dims_pos order."""
    assert isinstance(op, linalg.PackOp)
    source, dest = args[0], args[1]
    inner, tiles, perm = packing(op, args)
    split, order = packed_layout(source.shape, inner, tiles, perm)
    padded_shape = padded(source.shape, inner, tiles)
    if padded_shape != list(source.shape) and op.padding_value is None:
        raise ExecutionError(
            f"tiles {tiles} do not divide dimensions {inner} of {list(source.shape)} and there is no padding_value"
        )
    pad = args[2] if op.padding_value is not None else np.zeros((), source.dtype)
    full = np.full(padded_shape, pad, source.dtype)
    full[tuple(slice(0, n) for n in source.shape)] = source
    packed = np.transpose(full.reshape(split), order)
    if packed.shape != dest.shape:
        raise ExecutionError(
            f"packs into shape {list(packed.shape)}, the dest is {list(dest.shape)}"
        )
    return [np.array(packed, order="C")]


@implements(linalg.UnPackOp)
def _unpack(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The inverse of pack: the padding is dropped."""
    assert isinstance(op, linalg.UnPackOp)
    source, dest = args[0], args[1]
    inner, tiles, perm = packing(op, args)
    split, order = packed_layout(dest.shape, inner, tiles, perm)
    expected = [split[i] for i in order]
    if list(source.shape) != expected:
        raise ExecutionError(
            f"unpacks a tensor of shape {expected} into {list(dest.shape)}, got {list(source.shape)}"
        )
    plain = np.transpose(source, np.argsort(order)).reshape(
        padded(dest.shape, inner, tiles)
    )
    return [np.array(plain[tuple(slice(0, n) for n in dest.shape)], order="C")]
