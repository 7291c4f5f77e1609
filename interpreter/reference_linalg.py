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

`linalg.matmul` is not its body: it multiplies on the MXM, `numerics.matmul`
with the chip's K-block into i32 (integer inputs) or f32 (floats), then adds
the init once in that type (`init + product`, one rounding per element for
f32) and casts to an f16 result if the result is f16. A `linalg.generic`
contraction follows the reduction rule above, not the MXM's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import MemRefType
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Block, Operation, OpResult, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap

from lpuir import numerics
from lpuir.interpreter.reference_core import (
    Args,
    Interpreter,
    UnsupportedOpError,
    UnsupportedTypeError,
    element,
    implements,
    result_type,
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
    interp: Interpreter,
    nest: LoopNest,
    operands: Sequence[np.ndarray],
    result_shapes: Sequence[tuple[int, ...]],
) -> list[np.ndarray]:
    """Run a loop nest on its operands; one result per init, of the given shapes."""
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
    # The outputs' maps read parallel loops only: index the reduction loops at 0.
    parallel_indices = tuple(
        0 if i in reduction else index for i, index in enumerate(indices)
    )
    results = []
    for value, out_map, init, shape in zip(
        values,
        nest.maps[nest.num_inputs :],
        operands[nest.num_inputs :],
        result_shapes,
        strict=True,
    ):
        if not out_map.results:
            results.append(np.array(value, dtype=init.dtype).reshape(shape))
            continue
        result = np.array(init, copy=True)
        target = out_map.eval(parallel_indices, ())
        result[target] = np.broadcast_to(
            value, np.broadcast_shapes(*(np.shape(t) for t in target))
        )
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
        flat = moved.reshape(*moved.shape[: -len(reduction)], -1)
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


@implements(
    linalg.GenericOp,
    linalg.AddOp,
    linalg.SubOp,
    linalg.MulOp,
    linalg.ExpOp,
    linalg.LogOp,
    linalg.SqrtOp,
    linalg.MaxOp,
    linalg.MinOp,
    linalg.SelectOp,
    linalg.CopyOp,
    linalg.FillOp,
)
def _structured(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, LinalgStructuredOperation)
    tensor_operands(op)
    nest = LoopNest(
        maps=[m.data for m in op.get_indexing_maps()],
        iterators=[str(t.data) for t in op.get_iterator_types()],
        ranges=tuple(op.get_static_loop_ranges()),
        body=op.body.block,
        num_inputs=len(op.inputs),
    )
    return run_loop_nest(
        interp, nest, args, [result_type(op, i)[0] for i in range(len(op.results))]
    )


@implements(linalg.ReduceOp)
def _reduce(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """linalg.reduce as a loop nest: reduction loops for `dimensions`."""
    assert isinstance(op, linalg.ReduceOp)
    tensor_operands(op)
    shape = args[0].shape
    dimensions = set(op.dimensions.get_values())
    kept = [AffineDimExpr(i) for i in range(len(shape)) if i not in dimensions]
    nest = LoopNest(
        maps=[AffineMap.identity(len(shape)), AffineMap(len(shape), 0, tuple(kept))],
        iterators=[
            "reduction" if i in dimensions else "parallel" for i in range(len(shape))
        ],
        ranges=shape,
        body=op.region.block,
        num_inputs=1,
    )
    return run_loop_nest(interp, nest, args, [result_type(op)[0]])


@implements(linalg.IndexOp)
def _index(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, linalg.IndexOp)
    return [numerics.as_carrier(interp.loop_indices[-1][op.dim.value.data], "i64")]


@implements(linalg.TransposeOp)
def _transpose(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, linalg.TransposeOp)
    tensor_operands(op)
    return [np.array(np.transpose(args[0], op.permutation.get_values()), order="C")]


@implements(linalg.BroadcastOp)
def _broadcast(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The input's dimensions are the result's but `dimensions`, which are added."""
    assert isinstance(op, linalg.BroadcastOp)
    tensor_operands(op)
    shape, _ = result_type(op)
    expanded = np.expand_dims(args[0], tuple(op.dimensions.get_values()))
    return [np.array(np.broadcast_to(expanded, shape), order="C")]


DEFAULT_MATMUL_MAPS = tuple(
    m.data
    for m in linalg.MatmulOp.get_irdl_definition()
    .properties["indexing_maps"]
    .default_value.data
)  # pyright: ignore[reportOptionalMemberAccess, reportAttributeAccessIssue]


@implements(linalg.MatmulOp)
def _matmul(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """init + A x B: the product on the MXM (see the module doc), one add."""
    assert isinstance(op, linalg.MatmulOp)
    tensor_operands(op)
    if tuple(m.data for m in op.indexing_maps) != DEFAULT_MATMUL_MAPS:
        raise UnsupportedOpError(
            "linalg.matmul with explicit indexing_maps is not supported"
        )
    a, b, init = args
    in_t = element(op.inputs[0].type)
    if element(op.inputs[1].type) != in_t:
        raise UnsupportedTypeError(
            f"operands of two element types: {in_t} and {element(op.inputs[1].type)}"
        )
    _, out_t = result_type(op)
    acc_t = "f32" if numerics.is_float(in_t) else out_t
    product = numerics.matmul(a, b, in_t, acc_t, k_block=interp.k_block(in_t))
    total = numerics.add(numerics.cast(init, out_t, acc_t), product, acc_t)
    return [total if acc_t == out_t else numerics.cast(total, acc_t, out_t)]
