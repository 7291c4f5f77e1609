"""Data-movement tensor ops (`tosa.concat`, `slice`, `pad`, `tile`,
`reverse`, `reshape`, `transpose`, and `gather` with constant indices) as
index maps for `movement.move`: numpy applies the op to the operands'
element numbers, which says where each result element comes from."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation, SSAValue

from lpuir import numerics
from lpuir.dialects import tosa
from lpuir.transforms.vectorize import layout, movement, transpose
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


def numbered(shape: tuple[int, ...], start: int = 0) -> np.ndarray:
    """The element numbers of a tensor: start, start+1, ... row-major."""
    return np.arange(start, start + math.prod(shape), dtype=np.int64).reshape(shape)


def moved(
    vz: Vectorizer,
    op: Operation,
    inputs: list[Placed],
    index: np.ndarray,
    out: SSAValue,
) -> None:
    result = vz.place_new(out, op)
    movement.move(vz, op, inputs, index.reshape(result.shape), result)


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
    starts = np.cumsum([0, *(math.prod(p.shape) for p in inputs)])
    parts = [
        numbered(tensor_shape_and_element(v.type)[0], int(start))
        for v, start in zip(op.input1, starts, strict=False)
    ]
    moved(vz, op, inputs, np.concatenate(parts, axis=op.axis.value.data), op.output)


def _slice(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.SliceOp)
    x = vz.get(op.input1, op)
    start, size = shape_values(op, op.start), shape_values(op, op.size)
    index = numbered(x.shape)[
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
    index = np.tile(numbered(x.shape), shape_values(op, op.multiples))
    moved(vz, op, [x], index, op.output)


def _reverse(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.ReverseOp)
    x = vz.get(op.input1, op)
    moved(vz, op, [x], np.flip(numbered(x.shape), op.axis.value.data), op.output)


def _reshape(vz: Vectorizer, op: Operation) -> None:
    """One that keeps the last axis shares the tensor (`layout.reshape`)."""
    assert isinstance(op, tosa.ReshapeOp)
    x = vz.get(op.input1, op)
    shape = tensor_shape_and_element(op.output.type)[0] or (1,)
    if shape[-1] == x.shape[-1]:
        layout.reshape(vz, op)
        return
    moved(vz, op, [x], numbered(x.shape), op.output)


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
    z = scratch(vz, op, (*y.shape[:-2], y.shape[-1], y.shape[-2]), x.element)
    swap_blocked(vz, op, y, z)
    axes = [*order[:-2], rank - 1, a]  # the input axis of each axis of z
    rest = [axes.index(p) for p in perms]
    if rest == list(range(rank)):
        vz.copy_vectors(
            z, np.arange(z.vectors), out, np.arange(out.vectors, dtype=np.int64), op
        )
        return
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


def _gather(vz: Vectorizer, op: Operation) -> None:
    """Rows of values [N, K, C] picked by constant indices [N, W]."""
    assert isinstance(op, tosa.GatherOp)
    const = vz.constants.get(op.indices)
    if const is None:
        raise unsupported(op, "'tosa.gather' with run-time indices is not lowered yet")
    values = vz.get(op.values, op)
    n, k, c = values.shape
    picks = constant_array(const, op.indices).astype(np.int64)
    if picks.size and (picks.min() < 0 or picks.max() >= k):
        raise unsupported(op, f"'tosa.gather' index outside 0..{k - 1}")
    rows = np.arange(n)[:, None] * k + picks
    index = rows[:, :, None] * c + np.arange(c)[None, None, :]
    moved(vz, op, [values], index, op.output)


LOWERINGS: dict[type[Operation], Callable[[Vectorizer, Operation], None]] = {
    tosa.ConcatOp: _concat,
    tosa.SliceOp: _slice,
    tosa.PadOp: _pad,
    tosa.TileOp: _tile,
    tosa.ReverseOp: _reverse,
    tosa.ReshapeOp: _reshape,
    tosa.TransposeOp: _transpose,
    tosa.GatherOp: _gather,
}
"""The lowering of each op of this module (entries of the package's table)."""
