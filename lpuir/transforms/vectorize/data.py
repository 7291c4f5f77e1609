"""Data-movement tensor ops (`tosa.concat`, `slice`, `pad`, `tile`,
`reverse`, `reshape`, `transpose`, and `gather` with constant indices) as
index maps for `movement.move`: numpy applies the op to the operands'
element numbers, which says where each result element comes from."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects import arith, tensor
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    DenseIntOrFPElementsAttr,
    IndexType,
    TensorType,
)
from xdsl.ir import Operation, SSAValue

from lpuir import numerics
from lpuir.dialects import tosa
from lpuir.transforms.vectorize import gather, layout, movement, transpose, words
from lpuir.transforms.vectorize.composite import Steps
from lpuir.transforms.vectorize.movement import numbered
from lpuir.transforms.vectorize.program import Placed, constant_array, unsupported
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer


def shape_values(op: Operation, value: SSAValue) -> list[int]:
    """The numbers a `!tosa.shape` operand holds (made by tosa.const_shape)."""
    owner = value.owner
    if not isinstance(owner, tosa.ConstShapeOp):
        raise unsupported(op, f"'{op.name}' with a shape computed at run time")
    return [int(v) for v in owner.values.get_values()]


def moved(
    vz: Vectorizer,
    op: Operation,
    inputs: list[Placed],
    index: np.ndarray,
    out: SSAValue,
) -> None:
    result = vz.place_new(out, op)
    if words.wide(out):
        index = words.word_index(index.reshape(vz.shape_of(out) or (1,)))
    movement.move(vz, op, inputs, index.reshape(result.shape), result)


def elements(vz: Vectorizer, value: SSAValue) -> tuple[int, ...]:
    """The shape of an operand's value (an i64's Placed has twice the columns)."""
    return vz.shape_of(value) or (1,)


def fill(vz: Vectorizer, op: Operation, value: SSAValue) -> Placed:
    """A one-element operand (a pad value) as a source: a constant one is
    a splat, so it is in every lane."""
    const = vz.constants.get(value)
    element = tensor_shape_and_element(value.type)[1]
    if const is None:
        return vz.get(value, op)
    x = constant_array(const, value).reshape(-1)[0]
    vector = np.full(vz.spec.lanes, x, dtype=numerics.carrier(element))
    held = vz.chip.constant_vector(vector, element, op)
    return Placed(held.tensor, (1,), element, vz.spec.lanes, splat=True)


def _concat(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.ConcatOp)
    inputs = [vz.get(v, op) for v in op.input1]
    starts = np.cumsum([0, *(math.prod(elements(vz, v)) for v in op.input1)])
    parts = [
        numbered(tensor_shape_and_element(v.type)[0], int(start))
        for v, start in zip(op.input1, starts, strict=False)
    ]
    moved(vz, op, inputs, np.concatenate(parts, axis=op.axis.value.data), op.output)


def _slice(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.SliceOp)
    x = vz.get(op.input1, op)
    start, size = shape_values(op, op.start), shape_values(op, op.size)
    index = numbered(elements(vz, op.input1))[
        tuple(slice(a, a + n) for a, n in zip(start, size, strict=True))
    ]
    moved(vz, op, [x], index, op.output)


def _pad(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.PadOp)
    x = vz.get(op.input1, op)
    pads = shape_values(op, op.padding)
    n = math.prod(x.shape)
    index = np.pad(
        numbered(x.shape),
        list(zip(pads[::2], pads[1::2], strict=True)),
        constant_values=n,
    )
    moved(vz, op, [x, fill(vz, op, op.pad_const)], index, op.output)


def _tile(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.TileOp)
    x = vz.get(op.input1, op)
    index = np.tile(numbered(elements(vz, op.input1)), shape_values(op, op.multiples))
    moved(vz, op, [x], index, op.output)


def _reverse(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.ReverseOp)
    x = vz.get(op.input1, op)
    index = np.flip(numbered(elements(vz, op.input1)), op.axis.value.data)
    moved(vz, op, [x], index, op.output)


def _reshape(vz: Vectorizer, op: Operation) -> None:
    """One that keeps the last axis shares the tensor (`layout.reshape`)."""
    assert isinstance(op, tosa.ReshapeOp)
    x = vz.get(op.input1, op)
    shape = tensor_shape_and_element(op.output.type)[0] or (1,)
    if shape[-1] == x.shape[-1] and not words.wide(op.output):
        layout.reshape(vz, op)
        return
    moved(vz, op, [x], numbered(elements(vz, op.input1)), op.output)


def _transpose(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.TransposeOp)
    x = vz.get(op.input1, op)
    perms = [int(p) for p in op.perms.get_values()]
    permute(vz, op, x, perms, vz.place_new(op.output, op, lanes=vz.spec.lanes))


def permute(
    vz: Vectorizer, op: Operation, x: Placed, perms: list[int], out: Placed
) -> None:
    """out = x transposed by `perms`. A permutation that keeps the last axis
    moves whole vectors; any other is three steps: the axis that becomes
    the last one is moved next to the last (whole vectors), the last two
    are swapped on the SXM (`swap_blocked`), and the leading axes put in
    order (whole vectors)."""
    if x.splat:  # lane 0 of a splat's row holds its value, as in a plain tensor
        x = Placed(x.tensor, x.shape, x.element, vz.spec.lanes)
    rank = len(x.shape)
    if rank < 2 or perms[-1] == rank - 1:
        movement.move(vz, op, [x], numbered(x.shape).transpose(perms), out)
        return
    a = perms[-1]
    order = [i for i in range(rank - 1) if i != a] + [a, rank - 1]
    y = x
    if order != list(range(rank)):
        y = scratch(vz, op, tuple(x.shape[i] for i in order), x.element)
        movement.move(vz, op, [x], numbered(x.shape).transpose(order), y)
    axes = [*order[:-2], rank - 1, a]  # the input axis of each axis of z
    rest = [axes.index(p) for p in perms]
    if rest == list(range(rank)):  # the swap is the whole permutation
        swap_blocked(vz, op, y, out)
        return
    z = scratch(vz, op, (*y.shape[:-2], y.shape[-1], y.shape[-2]), x.element)
    swap_blocked(vz, op, y, z)
    movement.move(vz, op, [z], numbered(z.shape).transpose(rest), out)


def scratch(
    vz: Vectorizer, op: Operation, shape: tuple[int, ...], element: str
) -> Placed:
    return vz.chip.tensor(shape, element, "scratch", op)


def swap_blocked(vz: Vectorizer, op: Operation, y: Placed, z: Placed) -> None:
    """z [..., C, R] = y [..., R, C] with the last two axes swapped, in
    blocks of up to a vector's lanes each way: a block's rows are copied
    out whole, swapped on the SXM (`transpose.swap`) and copied into place."""
    lanes = vz.spec.lanes
    y = layout.relayout(vz, y, lanes, op) if y.lanes != lanes else y
    *lead, rows, cols = y.shape
    batches = math.prod(lead)
    if rows <= lanes and cols <= lanes:
        transpose.swap(vz, op, y, z)
        return
    for i, j in itertools.product(range(-(-rows // lanes)), range(-(-cols // lanes))):
        rb, cb = min(lanes, rows - i * lanes), min(lanes, cols - j * lanes)
        block = scratch(vz, op, (batches, rb, cb), y.element)
        swapped = scratch(vz, op, (batches, cb, rb), y.element)
        b = np.arange(batches)[:, None]
        src = (b * rows + i * lanes + np.arange(rb)) * y.per_row + j
        vz.copy_vectors(y, src.reshape(-1), block, np.arange(block.vectors), op)
        transpose.swap(vz, op, block, swapped)
        dst = (b * cols + j * lanes + np.arange(cb)) * z.per_row + i
        vz.copy_vectors(swapped, np.arange(swapped.vectors), z, dst.reshape(-1), op)


def row_indices(vz: Vectorizer, op: Operation, indices: SSAValue, k: int) -> np.ndarray:
    """The constant row indices [N, W] of a gather or scatter, each in 0..k-1."""
    const = vz.constants.get(indices)
    if const is None:
        raise unsupported(
            op,
            f"'{op.name}' with run-time indices is not lowered yet (constant indices are)",
        )
    picks = constant_array(const, indices).astype(np.int64)
    if picks.size and (picks.min() < 0 or picks.max() >= k):
        raise unsupported(op, f"'{op.name}' index outside 0..{k - 1}")
    return picks


def _gather(vz: Vectorizer, op: Operation) -> None:
    """Rows of values [N, K, C] picked by indices [N, W]: constant ones are
    an index map, run-time ones `mem.gather`s (`gather`)."""
    assert isinstance(op, tosa.GatherOp)
    if op.indices not in vz.constants:
        gather.lower(vz, op)
        return
    values = vz.get(op.values, op)
    n, k, c = elements(vz, op.values)
    picks = row_indices(vz, op, op.indices, k)
    rows = np.arange(n)[:, None] * k + picks
    index = rows[:, :, None] * c + np.arange(c)[None, None, :]
    moved(vz, op, [values], index, op.output)


def _scatter(vz: Vectorizer, op: Operation) -> None:
    """values_in [N, K, C] with rows indices[n, w] (constant, [N, W]) replaced
    by input[n, w]; a row written twice is refused (TOSA and the reference
    call it an error)."""
    assert isinstance(op, tosa.ScatterOp)
    values, updates = vz.get(op.values_in, op), vz.get(op.input, op)
    n, k, c = elements(vz, op.values_in)
    picks = row_indices(vz, op, op.indices, k)
    if any(len(set(row.tolist())) != len(row) for row in picks):
        raise unsupported(op, "'tosa.scatter' writes one row twice")
    index = numbered((n, k, c))
    w = picks.shape[1]
    index[np.arange(n)[:, None], picks] = numbered((n, w, c), n * k * c)
    moved(vz, op, [values, updates], index, op.values_out)


def static_values(
    op: Operation, values: Sequence[int], dynamic: Sequence[SSAValue]
) -> list[int]:
    """Offsets, sizes, strides or paddings, none of them given at run time."""
    if dynamic or any(v == DYNAMIC_INDEX for v in values):
        raise unsupported(
            op, f"'{op.name}' with offsets, sizes or paddings computed at run time"
        )
    return [int(v) for v in values]


def slice_index(
    op: tensor.ExtractSliceOp | tensor.InsertSliceOp, shape: tuple[int, ...]
) -> tuple[slice, ...]:
    offsets = static_values(op, op.static_offsets.get_values(), op.offsets)
    sizes = static_values(op, op.static_sizes.get_values(), op.sizes)
    strides = static_values(op, op.static_strides.get_values(), op.strides)
    return tuple(
        slice(o, o + n * st, st)
        for o, n, st in zip(offsets, sizes, strides, strict=True)
    )


def _extract_slice(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tensor.ExtractSliceOp)
    x = vz.get(op.source, op)
    index = numbered(x.shape)[slice_index(op, x.shape)]
    moved(vz, op, [x], index, op.result)


def _insert_slice(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tensor.InsertSliceOp)
    source, dest = vz.get(op.source, op), vz.get(op.dest, op)
    n = math.prod(source.shape)
    index = n + numbered(dest.shape)
    region = index[slice_index(op, dest.shape)]
    index[slice_index(op, dest.shape)] = numbered(source.shape).reshape(region.shape)
    moved(vz, op, [source, dest], index, op.result)


def _reshaped(vz: Vectorizer, op: Operation) -> None:
    """expand_shape, collapse_shape, tensor.reshape: row-major, as tosa.reshape."""
    x = vz.get(op.operands[0], op)
    shape = tensor_shape_and_element(op.results[0].type)[0] or (1,)
    if shape[-1] == x.shape[-1]:
        vz.values[op.results[0]] = Placed(x.tensor, shape, x.element, x.lanes, x.splat)
        return
    moved(vz, op, [x], numbered(x.shape), op.results[0])


def _tensor_concat(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tensor.ConcatOp)
    inputs = [vz.get(v, op) for v in op.inputs]
    starts = np.cumsum([0, *(math.prod(p.shape) for p in inputs)])
    parts = [
        numbered(p.shape, int(start)) for p, start in zip(inputs, starts, strict=False)
    ]
    moved(vz, op, inputs, np.concatenate(parts, axis=op.dim.value.data), op.result)


def _tensor_pad(vz: Vectorizer, op: Operation) -> None:
    """The padding value is what the region yields: a value defined outside
    it, or a constant."""
    assert isinstance(op, tensor.PadOp)
    x = vz.get(op.source, op)
    low = static_values(op, op.static_low.get_values(), op.low)
    high = static_values(op, op.static_high.get_values(), op.high)
    block = op.region.block
    assert block.last_op is not None
    (value,) = block.last_op.operands
    owner = value.owner
    if isinstance(owner, Operation) and owner.parent_block() is block:
        if not isinstance(owner, arith.ConstantOp):
            raise unsupported(op, "'tensor.pad' whose padding is computed per element")
        vz.constants[value] = owner
    filler = Steps(vz, op).get(value)
    index = np.pad(
        numbered(x.shape),
        list(zip(low, high, strict=True)),
        constant_values=math.prod(x.shape),
    )
    moved(vz, op, [x, filler], index, op.result)


def _cast(vz: Vectorizer, op: Operation) -> None:
    """tensor.cast between static shapes: the value itself."""
    x = vz.get(op.operands[0], op)
    shape = tensor_shape_and_element(op.results[0].type)[0] or (1,)
    vz.values[op.results[0]] = Placed(x.tensor, shape, x.element, x.lanes, x.splat)


def _empty(vz: Vectorizer, op: Operation) -> None:
    """tensor.empty holds zeros (as on the reference): a constant, placed
    only if something reads it."""
    assert isinstance(op, tensor.EmptyOp)
    if op.dynamic_sizes:
        raise unsupported(op, "'tensor.empty' of a dynamic size")
    t = op.tensor.type
    assert isinstance(t, TensorType)
    zeros = tosa.ConstOp(DenseIntOrFPElementsAttr.from_list(t, [0]))
    zeros.location = op.location
    vz.constants[op.tensor] = zeros


def _elements(vz: Vectorizer, op: Operation) -> None:
    """tensor.from_elements and tensor.splat: scalars into a tensor."""
    s = Steps(vz, op)
    scalars = [s.get(v) for v in op.operands if not isinstance(v.type, IndexType)]
    shape = tensor_shape_and_element(op.results[0].type)[0] or (1,)
    size = math.prod(shape)
    if isinstance(op, tensor.SplatOp):
        index = np.zeros(shape, dtype=np.int64)
    else:
        index = np.arange(size, dtype=np.int64).reshape(shape)
    moved(vz, op, scalars, index, op.results[0])


def constant_indices(op: Operation, values: Sequence[SSAValue]) -> tuple[int, ...]:
    """Index operands that are constants."""
    found = []
    for v in values:
        owner = v.owner
        if not isinstance(owner, arith.ConstantOp):
            raise unsupported(op, f"'{op.name}' at an index computed at run time")
        found.append(int(owner.value.value.data))  # type: ignore[union-attr]
    return tuple(found)


def _extract(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tensor.ExtractOp)
    x = vz.get(op.tensor, op)
    at = constant_indices(op, op.indices)
    index = numbered(x.shape)[at] if at else numbered(x.shape).reshape(-1)[:1]
    moved(vz, op, [x], np.asarray(index).reshape(1), op.result)


def _insert(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tensor.InsertOp)
    dest = vz.get(op.dest, op)
    scalar = Steps(vz, op).get(op.scalar)
    at = constant_indices(op, op.indices)
    index = 1 + numbered(dest.shape)
    index[at] = 0
    moved(vz, op, [scalar, dest], index, op.result)


WORD_MOVES: tuple[type[Operation], ...] = (
    tosa.ConcatOp,
    tosa.SliceOp,
    tosa.TileOp,
    tosa.ReverseOp,
    tosa.ReshapeOp,
    tosa.GatherOp,
    tosa.ScatterOp,
)
"""Lowerings here that move i64 words as well (`moved`, `words`)."""

LOWERINGS: dict[type[Operation], Callable[[Vectorizer, Operation], None]] = {
    tosa.ConcatOp: _concat,
    tosa.SliceOp: _slice,
    tosa.PadOp: _pad,
    tosa.TileOp: _tile,
    tosa.ReverseOp: _reverse,
    tosa.ReshapeOp: _reshape,
    tosa.TransposeOp: _transpose,
    tosa.GatherOp: _gather,
    tosa.ScatterOp: _scatter,
    tensor.ExtractSliceOp: _extract_slice,
    tensor.InsertSliceOp: _insert_slice,
    tensor.ExpandShapeOp: _reshaped,
    tensor.CollapseShapeOp: _reshaped,
    tensor.ReshapeOp: _reshaped,
    tensor.ConcatOp: _tensor_concat,
    tensor.PadOp: _tensor_pad,
    tensor.CastOp: _cast,
    tensor.EmptyOp: _empty,
    tensor.FromElementsOp: _elements,
    tensor.SplatOp: _elements,
    tensor.ExtractOp: _extract,
    tensor.InsertOp: _insert,
}
"""The lowering of each op of this module (entries of the package's table)."""
