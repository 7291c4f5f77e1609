"""tensor dialect ops: data movement only (numpy), no arithmetic.

`tensor.empty` holds zeros (MLIR leaves it undefined; zeros make runs
reproducible). Dynamic offsets, sizes and paddings are read from their index
operands; result shapes are always the static result types'.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
from xdsl.dialects import tensor
from xdsl.dialects.builtin import DYNAMIC_INDEX, DenseArrayBase
from xdsl.ir import Operation

from lpuir import numerics
from lpuir.interpreter.reference_core import (
    Args,
    ExecutionError,
    Interpreter,
    UnsupportedOpError,
    fits,
    implements,
    result_type,
    static,
)


def mixed(static: DenseArrayBase, dynamic: Iterator[np.ndarray]) -> list[int]:
    """Static values, with each DYNAMIC_INDEX taken from the next index operand."""
    return [
        int(next(dynamic)) if v == DYNAMIC_INDEX else int(v)
        for v in static.get_values()
    ]


def slices(
    op: tensor.ExtractSliceOp | tensor.InsertSliceOp,
    args: Sequence[np.ndarray],
    bounds: tuple[int, ...],
) -> tuple[tuple[slice, ...], list[int]]:
    """The numpy slices an extract/insert_slice addresses, and their sizes."""
    dynamic = iter(args)
    offsets = mixed(op.static_offsets, dynamic)
    sizes = mixed(op.static_sizes, dynamic)
    strides = mixed(op.static_strides, dynamic)
    for axis, (o, n, s, d) in enumerate(
        zip(offsets, sizes, strides, bounds, strict=True)
    ):
        if n and (o < 0 or o + (n - 1) * s >= d):
            raise ExecutionError(
                f"slice offset {o} size {n} stride {s} is out of bounds of dimension {axis} (size {d})"
            )
    return tuple(
        slice(o, o + n * s, s) for o, n, s in zip(offsets, sizes, strides, strict=True)
    ), sizes


@implements(tensor.EmptyOp)
def _empty(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """Zeros; each dynamic dimension's size is the next index operand."""
    shape, t = result_type(op)
    sizes = iter(args)
    bound = tuple(int(next(sizes)) if d < 0 else d for d in shape)
    if any(d < 0 for d in bound):
        raise ExecutionError(f"a negative size in {list(bound)}")
    return [numerics.as_carrier(np.zeros(bound), t)]


@implements(tensor.ExtractSliceOp)
def _extract_slice(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tensor.ExtractSliceOp)
    source = args[0]
    index, sizes = slices(op, args[1:], source.shape)
    return [np.array(source[index], order="C").reshape(sizes)]


@implements(tensor.InsertSliceOp)
def _insert_slice(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tensor.InsertSliceOp)
    source, dest = args[:2]
    index, sizes = slices(op, args[2:], dest.shape)
    result = np.array(dest, copy=True)
    result[index] = source.reshape(sizes)
    return [result]


@implements(tensor.CastOp)
def _cast(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The value, whose run-time shape must fit the target type."""
    shape, _ = result_type(op)
    if not fits(args[0].shape, shape):
        raise ExecutionError(
            f"a value of shape {list(args[0].shape)} cast to {op.results[0].type}"
        )
    return [args[0]]


@implements(tensor.CollapseShapeOp, tensor.ExpandShapeOp, tensor.ReshapeOp)
def _reshape(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """Row-major reshapes to the result shape (one dynamic dimension is
    inferred from the element count)."""
    shape, _ = result_type(op)
    return [reshaped(args[0], shape, op)]


def reshaped(x: np.ndarray, shape: tuple[int, ...], op: Operation) -> np.ndarray:
    """x in row-major order as `shape`, whose one dynamic dimension (-1) is
    inferred from the element count."""
    dynamic = sum(d < 0 for d in shape)
    if dynamic > 1:
        static(shape, op)
    known = math.prod(d for d in shape if d >= 0)
    if (x.size != known) if not dynamic else (known == 0 or x.size % known):
        raise ExecutionError(f"{x.size} elements do not reshape to {list(shape)}")
    return x.reshape(shape)


@implements(tensor.ConcatOp)
def _concat(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tensor.ConcatOp)
    return [np.concatenate(args, axis=op.dim.value.data)]


@implements(tensor.PadOp)
def _pad(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The region, run once on the result's index grid, gives the padding values."""
    assert isinstance(op, tensor.PadOp)
    source = args[0]
    dynamic = iter(args[1:])
    low = mixed(op.static_low, dynamic)
    high = mixed(op.static_high, dynamic)
    _, t = result_type(op)
    shape = tuple(
        n + lo + hi for n, lo, hi in zip(source.shape, low, high, strict=True)
    )
    grid = [
        numerics.as_carrier(i, "i64")
        for i in np.ogrid[tuple(slice(0, n) for n in shape)]
    ]
    (padding,) = interp.run_block(op.region.block, grid)
    result = np.array(np.broadcast_to(padding, shape), dtype=numerics.carrier(t))
    inner = tuple(slice(lo, lo + n) for lo, n in zip(low, source.shape, strict=True))
    if any(lo < 0 or hi < 0 for lo, hi in zip(low, high, strict=True)):
        raise ExecutionError(f"negative padding low {low} high {high}")
    result[inner] = source
    return [result]


def checked_indices(
    indices: Sequence[np.ndarray], shape: tuple[int, ...]
) -> tuple[np.ndarray, ...]:
    """Index values (scalars, or arrays inside a linalg body, where each
    point of the loop nest computes its own: a gather) within `shape`."""
    at = tuple(np.asarray(i, np.int64) for i in indices)
    for axis, (i, d) in enumerate(zip(at, shape, strict=True)):
        bad = (i < 0) | (i >= d)
        if bad.any():
            raise ExecutionError(
                f"index {int(i[bad].flat[0]) if i.ndim else int(i)} is out of bounds of dimension {axis} of {list(shape)}"
            )
    return at


@implements(tensor.ExtractOp)
def _extract(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """One element, or (inside a linalg body) one per point of the loop nest."""
    source, *indices = args
    return [np.array(source[checked_indices(indices, source.shape)])]


@implements(tensor.InsertOp)
def _insert(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    value, dest, *indices = args
    at = checked_indices(indices, dest.shape)
    if any(i.ndim for i in at):
        raise UnsupportedOpError(
            "tensor.insert at indices computed per point of a loop nest is not supported"
        )
    result = np.array(dest, copy=True)
    result[at] = value
    return [result]


@implements(tensor.SplatOp)
def _splat(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [np.array(np.broadcast_to(args[0], static(result_type(op)[0], op)))]


@implements(tensor.FromElementsOp)
def _from_elements(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [np.stack(args).reshape(static(result_type(op)[0], op))]


@implements(tensor.DimOp)
def _dim(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    source, index = args
    return [numerics.as_carrier(np.array(source.shape[int(index)]), "i64")]
