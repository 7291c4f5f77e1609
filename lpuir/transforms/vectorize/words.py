"""i64 and ui64 values as pairs of i32 words. The VXM's ALUs are 32 bits
wide and a vector holds no 64-bit element, so an `lpu.tensor` of i64 holds
each element as two adjacent i32 lanes, its low word first
(`lpu.WORD_PAIRS`); its Placed is that word view, with twice the columns.

Data movement moves words (`word_index`); select, comparisons, maximum,
minimum, add, sub and integer casts split each operand into its low and
high words (two i32 tensors of the value's shape), compute on them with
the VXM's 32-bit operations (carries and unsigned low-word comparisons
spelled out) and join the result's words back. Every other op on such a
value is refused (`lowering`): multiplication, division, shifts and
conversions to floats would need 64-bit arithmetic the VXM does not have."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation, SSAValue

from lpuir import numerics
from lpuir.dialects import lpu, tosa
from lpuir.transforms.vectorize import movement
from lpuir.transforms.vectorize.composite import Steps, cmp, element_of
from lpuir.transforms.vectorize.movement import numbered
from lpuir.transforms.vectorize.program import Placed, dense, unsupported
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

I32 = "i32"

Lowering = Callable[["Vectorizer", Operation], None]


def wide(value: SSAValue) -> bool:
    """Whether a tensor-level value is held as word pairs."""
    return tensor_shape_and_element(value.type)[1] in lpu.WORD_PAIRS


def touches(op: Operation) -> bool:
    return any(
        wide(v) for v in (*op.operands, *op.results) if hasattr(v.type, "element_type")
    )


def element_shape(placed: Placed) -> tuple[int, ...]:
    """The shape of the value a Placed holds (a word view's, halved)."""
    if placed.splat or placed.tensor.holds not in lpu.WORD_PAIRS:
        return placed.shape
    return (*placed.shape[:-1], placed.shape[-1] // 2)


def word_index(index: np.ndarray) -> np.ndarray:
    """An index map over elements as one over their words: element e is
    words 2e (low) and 2e + 1 (high)."""
    words = 2 * index[..., None] + np.arange(2)
    return words.reshape(*index.shape[:-1], 2 * index.shape[-1])


def split(s: Steps, x: Placed) -> tuple[Placed, Placed]:
    """x's low and high words as i32 tensors of x's shape (a constant's are
    constants)."""
    vz, op = s.vz, s.op
    shape = element_shape(x)
    if x.tensor.value is not None:
        values = np.asarray(x.tensor.value.get_values(), dtype=np.int64)
        pairs = np.broadcast_to(values, (math.prod(shape),)).view(np.int32)
        return tuple(  # type: ignore[return-value]
            vz.chip.tensor(
                shape,
                I32,
                "weight",
                op,
                value=dense(np.ascontiguousarray(pairs[k::2]).reshape(shape), I32),
                prefix="c",
            )
            for k in (0, 1)
        )
    words = numbered(x.shape)
    halves = []
    for k in (0, 1):
        half = vz.chip.tensor(shape, I32, "scratch", op)
        movement.move(vz, op, [x], np.ascontiguousarray(words[..., k::2]), half)
        halves.append(half)
    return halves[0], halves[1]


def join(s: Steps, low: Placed, high: Placed, out: SSAValue) -> None:
    """The tensor op's wide value `out` from its words (tensors of its shape)."""
    vz, op = s.vz, s.op
    result = vz.place_new(out, op)
    shape = element_shape(result)
    size = math.prod(shape)
    words = np.stack([numbered(shape), numbered(shape, size)], axis=-1)
    index = words.reshape(*shape[:-1], 2 * shape[-1])
    sources = [_shaped(s, low, shape), _shaped(s, high, shape)]
    movement.move(vz, op, sources, index, result)


def _shaped(s: Steps, x: Placed, shape: tuple[int, ...]) -> Placed:
    """x broadcast to `shape` (a copy when it is smaller)."""
    if x.shape == shape or x.splat:
        return x
    out = s.vz.chip.tensor(shape, I32, "scratch", s.op)
    ones = (1,) * (len(shape) - len(x.shape))
    index = np.broadcast_to(numbered(ones + x.shape), shape)
    movement.move(s.vz, s.op, [x], np.ascontiguousarray(index), out)
    return out


def operand(s: Steps, value: SSAValue) -> tuple[Placed, Placed]:
    """A wide operand's words, or a narrower integer's, extended (sign or
    zero) to 64 bits."""
    x = s.vz.get(value, s.op)
    if wide(value):
        return split(s, x)
    t = element_of(value)
    low = s.convert(x, I32)
    if t.startswith("u") or t == "i1":
        return low, s(lpu.SubOp, [low, low], I32)
    return low, s(lpu.ShrOp, [low, s.scalar(31, I32)], I32)


def below(s: Steps, a: Placed, b: Placed, signed: bool) -> Placed:
    """a < b of i32 words, read signed or unsigned."""
    if not signed:
        a, b = s.convert(a, "ui32"), s.convert(b, "ui32")
    return s(cmp("lt"), [a, b], "i1")


def greater(
    s: Steps,
    a: tuple[Placed, Placed],
    b: tuple[Placed, Placed],
    signed: bool,
    equal: bool,
) -> Placed:
    """a > b (a >= b with `equal`) of 64-bit values: by the high words
    (signed for i64), ties by the low words read unsigned."""
    high = below(s, b[1], a[1], signed)
    same = s(cmp("eq"), [a[1], b[1]], "i1")
    low = below(s, a[0], b[0], False) if equal else below(s, b[0], a[0], False)
    if equal:
        low = s(cmp("eq"), [s.convert(low, I32), s.scalar(0, I32)], "i1")
    tie = s(lpu.AndOp, [s.convert(same, I32), s.convert(low, I32)], I32)
    return s.convert(s(lpu.OrOp, [s.convert(high, I32), tie], I32), "i1")


def _select(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.SelectOp)
    s = Steps(vz, op)
    mask = s.get(op.input1)
    a, b = operand(s, op.input2), operand(s, op.input3)
    join(s, *(s.select(mask, x, y) for x, y in zip(a, b, strict=True)), op.output)


def _compare(vz: Vectorizer, op: Operation) -> None:
    s = Steps(vz, op)
    a, b = (operand(s, v) for v in op.operands)
    out = op.results[0]
    if isinstance(op, tosa.EqualOp):
        low, high = (s(cmp("eq"), [x, y], "i1") for x, y in zip(a, b, strict=True))
        value = s(lpu.AndOp, [s.convert(low, I32), s.convert(high, I32)], I32)
        s.convert(value, "i1", out)
        return
    signed = element_of(op.operands[0]) == "i64"
    found = greater(s, a, b, signed, isinstance(op, tosa.GreaterEqualOp))
    s.convert(found, "i1", out)


def _min_max(vz: Vectorizer, op: Operation) -> None:
    s = Steps(vz, op)
    a, b = (operand(s, v) for v in op.operands)
    first = greater(s, a, b, element_of(op.results[0]) == "i64", False)
    if isinstance(op, tosa.MinimumOp):
        a, b = b, a
    join(s, *(s.select(first, x, y) for x, y in zip(a, b, strict=True)), op.results[0])


def _add_sub(vz: Vectorizer, op: Operation) -> None:
    """Low words added (subtracted), the carry (borrow) found by an unsigned
    comparison and added to (subtracted from) the high words."""
    s = Steps(vz, op)
    (la, ha), (lb, hb) = (operand(s, v) for v in op.operands)
    make = lpu.AddOp if isinstance(op, tosa.AddOp) else lpu.SubOp
    low = s(make, [la, lb], I32)
    carry = below(s, low, la, False) if make is lpu.AddOp else below(s, la, lb, False)
    high = s(make, [s(make, [ha, hb], I32), s.convert(carry, I32)], I32)
    join(s, low, high, op.results[0])


def _cast(vz: Vectorizer, op: Operation) -> None:
    """Between 64-bit and narrower integers (the low bits; sign or zero
    extension) and into i1 (x != 0); floats need 64-bit arithmetic."""
    assert isinstance(op, tosa.CastOp)
    s = Steps(vz, op)
    src, dst = element_of(op.input), element_of(op.output)
    if numerics.is_float(src) or numerics.is_float(dst):
        raise unsupported(
            op,
            f"'tosa.cast' from {src} to {dst}: a 64-bit integer is held as two i32 words, and the VXM has no 64-bit conversion",
        )
    low, high = operand(s, op.input)
    if wide(op.output):
        join(s, low, high, op.output)
    elif dst == "i1":
        either = s(lpu.OrOp, [low, high], I32)
        s(cmp("ne"), [either, s.scalar(0, I32)], "i1", op.output)
    else:
        s.convert(low, dst, op.output)


LOWERINGS: dict[type[Operation], Lowering] = {
    tosa.SelectOp: _select,
    tosa.EqualOp: _compare,
    tosa.GreaterOp: _compare,
    tosa.GreaterEqualOp: _compare,
    tosa.MaximumOp: _min_max,
    tosa.MinimumOp: _min_max,
    tosa.AddOp: _add_sub,
    tosa.SubOp: _add_sub,
    tosa.CastOp: _cast,
}
"""Ops on word pairs lowered here (the data-movement ones in `data`)."""


def refuse(op: Operation) -> Exception:
    """Why an op on an i64 or ui64 value is not lowered."""
    return unsupported(
        op,
        f"'{op.name}' on {', '.join(sorted({element_of(v) for v in (*op.operands, *op.results) if hasattr(v.type, 'element_type') and wide(v)}))} values: "
        "the LPU holds a 64-bit integer as two i32 words, on which data movement, "
        "select, comparisons, maximum, minimum, add, sub and integer casts are lowered",
    )
