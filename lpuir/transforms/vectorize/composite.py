"""Elementwise ops that take more than one VXM instruction, or operands the
VXM does not compute on (docs/compiler.md "Elementwise"): the VXM's ALUs
compute on 16- and 32-bit values (`NATIVE`), so i1, i8 and ui8 operands are
converted to i32 first and the result back (integer arithmetic then wraps as
it would in the narrow type); comparisons give i1 masks; TOSA's zero points,
saturation, rounding shifts and nan_mode are spelled out in instructions.

Each step is one pass of the operands' vectors through one VXM instruction
into a new tensor (`Steps`), so any op is a chain of the elementwise groups
of `elementwise.elementwise_into`, broadcasting as TOSA does.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects.builtin import FloatAttr, IndexType, IntegerAttr, TensorType
from xdsl.ir import Operation, SSAValue

from lpuir import numerics
from lpuir.dialects import lpu, tosa
from lpuir.transforms.vectorize import elementwise, layout, shards
from lpuir.transforms.vectorize.program import (
    VXM_TYPES,
    Placed,
    constant_array,
    constant_value,
    unsupported,
)
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

Make = Callable[..., lpu.VxmOp]
"""A VXM instruction's constructor: `make(*operands, result_type=...)`."""

NATIVE = VXM_TYPES
"""Element types the VXM computes on."""


def wide(element: str) -> str:
    """The type a value of `element` is computed in."""
    return element if element in NATIVE else "i32"


def cmp(predicate: str) -> Make:
    return functools.partial(lpu.CmpOp, predicate=predicate)


@dataclass
class Steps:
    """Builds one tensor op as a chain of elementwise steps."""

    vz: Vectorizer
    op: Operation

    def get(self, value: SSAValue) -> Placed:
        """Where a value lives; a scalar constant is a `scalar`."""
        const = self.vz.constants.get(value)
        if const is not None:
            attr = constant_value(const)
            if isinstance(attr, IntegerAttr | FloatAttr):
                return self.scalar(attr.value.data, element_of(value))
        shape = self.vz.shape_of(value) or (1,)
        return self.vz.get(value, self.op, splat=shape[-1:] == (1,))

    def scalar(self, value: float, element: str) -> Placed:
        """A constant broadcast to any shape (one vector, every lane `value`)."""
        lanes = self.vz.spec.lanes
        vector = np.full(lanes, value, dtype=numerics.carrier(element))
        held = self.vz.chip.constant_vector(vector, element, self.op)
        return Placed(held.tensor, (1,), element, lanes, splat=True)

    def __call__(
        self,
        make: Make,
        inputs: Sequence[Placed],
        element: str,
        out: SSAValue | None = None,
    ) -> Placed:
        """make(inputs) lane by lane into a new tensor of `element` (the
        tensor op's value `out`, if given), broadcast as TOSA does."""
        vz = self.vz
        rank = max(len(p.shape) for p in inputs)
        shapes = [(1,) * (rank - len(p.shape)) + p.shape for p in inputs]
        shape = tuple(int(d) for d in np.broadcast_shapes(*shapes))
        if out is not None:
            shape = vz.shape_of(out) or (1,)
        inputs = [
            dataclasses.replace(p, shape=s) for p, s in zip(inputs, shapes, strict=True)
        ]
        if shape[-1] != 1:
            inputs = [self.splat(p) if p.shape[-1] == 1 else p for p in inputs]
            splat = False
        else:
            splat = all(p.splat for p in inputs)
            if not splat:  # a splat's lane 0 holds its value too
                inputs = [
                    dataclasses.replace(p, lanes=vz.spec.lanes, splat=False)
                    if p.splat
                    else p
                    for p in inputs
                ]
        if out is not None and not splat:
            result = vz.place_new(out, self.op)
        else:
            lanes = {p.lanes for p in inputs if not p.splat}
            result = vz.chip.tensor(
                shape,
                element,
                "scratch",
                self.op,
                lanes=lanes.pop() if len(lanes) == 1 else None,
                splat=splat,
                prefix="v" if out is not None else "tmp",
            )
            if out is not None:
                vz.values[out] = result
        return elementwise.elementwise_into(vz, self.op, make, inputs, result, element)

    def splat(self, x: Placed) -> Placed:
        """A [..., 1] value as a splat (`layout.ensure_splat`; the lane
        pipeline computes on the VXM's types, so a narrow value goes
        through i32)."""
        if x.splat or x.element in NATIVE:
            return layout.ensure_splat(self.vz, x, self.op)
        return self.convert(self.splat(self.widen(x)), x.element)

    def convert(self, x: Placed, element: str, out: SSAValue | None = None) -> Placed:
        if x.element == element:
            return x if out is None else self(lpu.CopyOp, [x], element, out)
        return self(lpu.ConvertOp, [x], element, out)

    def widen(self, x: Placed) -> Placed:
        return self.convert(x, wide(x.element))

    def select(
        self, mask: Placed, a: Placed, b: Placed, out: SSAValue | None = None
    ) -> Placed:
        return self(lpu.SelectOp, [mask, a, b], a.element, out)


def element_of(value: SSAValue) -> str:
    """A value's element type; `index` values are computed in i32."""
    t = value.type
    inner = t.element_type if isinstance(t, TensorType) else t
    if isinstance(inner, IndexType):
        return "i32"
    return tensor_shape_and_element(t)[1]


def constant_scalar(vz: Vectorizer, value: SSAValue, op: Operation, what: str) -> int:
    """The value of a one-element constant operand (a zero point, a shift)."""
    const = vz.constants.get(value)
    if const is None:
        raise unsupported(
            op,
            f"'{op.name}' with a {what} computed at run time (a constant is lowered)",
        )
    return int(constant_array(const, value).reshape(-1)[0])


# ----------------------------------------------------------------- lowerings


def lower(vz: Vectorizer, op: Operation) -> None:
    """Shard by shard where its operands are sharded (`shards.by_shard`)."""
    shards.by_shard(vz, op, lambda v, o: SPECIAL.get(type(o), lower_plain)(Steps(v, o)))


def _mul(s: Steps) -> None:
    op = s.op
    assert isinstance(op, tosa.MulOp)
    t = element_of(op.input1)
    if numerics.is_float(t):
        elementwise.lower(s.vz, op)
        return
    shift = constant_scalar(s.vz, op.shift, op, "shift")
    a, b = (s.convert(s.get(v), "i32") for v in (op.input1, op.input2))
    if shift == 0:
        s(lpu.MulOp, [a, b], "i32", op.output)
        return
    if not 0 < shift < 64:
        raise unsupported(op, f"'tosa.mul' with shift {shift} (TOSA allows 0..63)")
    rounded_shift(s, a, b, shift, op.output)


def rounded_shift(s: Steps, a: Placed, b: Placed, shift: int, out: SSAValue) -> None:
    """(a * b + 2^(shift-1)) >> shift of i32 operands, the reference's i64
    arithmetic on two i32 words: the product from 16-bit halves (each
    partial product is exact in i32), added into (hi, lo) with carries
    found by unsigned comparison; then the 32 result bits picked from the
    words."""
    i32 = "i32"

    def k(value: int) -> Placed:
        return s.scalar(value, i32)

    def add_low(hi: Placed, lo: Placed, term: Placed) -> tuple[Placed, Placed]:
        """(hi, lo) + term, term's bits added to lo with its carry."""
        total = s(lpu.AddOp, [lo, term], i32)
        below = s(cmp("lt"), [s.convert(total, "ui32"), s.convert(lo, "ui32")], "i1")
        return s(lpu.AddOp, [hi, s.convert(below, i32)], i32), total

    low_a, low_b = (s(lpu.AndOp, [x, k(0xFFFF)], i32) for x in (a, b))
    high_a, high_b = (s(lpu.ShrOp, [x, k(16)], i32) for x in (a, b))
    hi = s(lpu.MulOp, [high_a, high_b], i32)
    lo = s(lpu.MulOp, [low_a, low_b], i32)
    for x, y in ((high_a, low_b), (low_a, high_b)):
        middle = s(lpu.MulOp, [x, y], i32)
        hi = s(lpu.AddOp, [hi, s(lpu.ShrOp, [middle, k(16)], i32)], i32)
        hi, lo = add_low(hi, lo, s(lpu.ShlOp, [middle, k(16)], i32))
    if shift <= 32:
        hi, lo = add_low(hi, lo, k(1 << (shift - 1) if shift < 32 else -(1 << 31)))
    else:
        hi = s(lpu.AddOp, [hi, k(1 << (shift - 33))], i32)
    if shift < 32:
        low_bits = s(lpu.ShruOp, [lo, k(shift)], i32)
        s(lpu.OrOp, [low_bits, s(lpu.ShlOp, [hi, k(32 - shift)], i32)], i32, out)
    else:
        s(lpu.ShrOp, [hi, k(shift - 32)], i32, out)


def _negate(s: Steps) -> None:
    """Integers: output_zp + (input_zp - x), saturated to the type."""
    op = s.op
    assert isinstance(op, tosa.NegateOp)
    t = element_of(op.input1)
    if numerics.is_float(t):
        elementwise.lower(s.vz, op)
        return
    zps = [
        constant_scalar(s.vz, v, op, "zero point") for v in (op.input1_zp, op.output_zp)
    ]
    lo, hi = (
        int(v)
        for v in (np.iinfo(numerics.carrier(t)).min, np.iinfo(numerics.carrier(t)).max)
    )
    x = s.get(op.input1)
    if t == "ui32":  # values beyond i32: only -x, which saturates to 0
        if zps != [0, 0]:
            raise unsupported(op, "'tosa.negate' of ui32 with non-zero zero points")
        s(lpu.SubOp, [x, x], t, op.output)
        return
    if t == "i32":
        if zps != [0, 0]:
            raise unsupported(op, "'tosa.negate' of i32 with non-zero zero points")
        negated = s(lpu.NegOp, [x], "i32")
        at_min = s(cmp("eq"), [x, s.scalar(lo, "i32")], "i1")
        s.select(at_min, s.scalar(hi, "i32"), negated, op.output)
        return
    value = s(lpu.SubOp, [s.scalar(zps[0], "i32"), s.convert(x, "i32")], "i32")
    value = s(lpu.AddOp, [value, s.scalar(zps[1], "i32")], "i32")
    value = s(lpu.MaxOp, [value, s.scalar(lo, "i32")], "i32")
    value = s(lpu.MinOp, [value, s.scalar(hi, "i32")], "i32")
    s.convert(value, t, op.output)


def _cast(s: Steps) -> None:
    """Into i1: `x != 0`; anything else is one conversion."""
    op = s.op
    assert isinstance(op, tosa.CastOp)
    src, dst = element_of(op.input), element_of(op.output)
    x = s.get(op.input)
    if dst != "i1" or src == "i1":
        s(lpu.ConvertOp, [x], dst, op.output)
        return
    x = s.widen(x)
    s(cmp("ne"), [x, s.scalar(0, x.element)], "i1", op.output)


COMPARE = {tosa.EqualOp: "eq", tosa.GreaterOp: "gt", tosa.GreaterEqualOp: "ge"}


def _compare(s: Steps) -> None:
    op = s.op
    a, b = (s.widen(s.get(v)) for v in op.operands)
    s(cmp(COMPARE[type(op)]), [a, b], "i1", op.results[0])


LOGICAL: dict[type[Operation], type[lpu.VxmOp]] = {
    tosa.LogicalAndOp: lpu.AndOp,
    tosa.LogicalOrOp: lpu.OrOp,
    tosa.LogicalXorOp: lpu.XorOp,
    tosa.BitwiseAndOp: lpu.AndOp,
    tosa.BitwiseOrOp: lpu.OrOp,
    tosa.BitwiseXorOp: lpu.XorOp,
    tosa.LogicalLeftShiftOp: lpu.ShlOp,
    tosa.IntDivOp: lpu.DivOp,
}
"""Binary ops of one VXM instruction on the widened operands (a shift left
and a division of sign-extended values wrap back to the narrow type's)."""


def _binary(s: Steps) -> None:
    op = s.op
    a, b = (s.widen(s.get(v)) for v in op.operands[:2])
    out = op.results[0]
    value = s(LOGICAL[type(op)], [a, b], a.element)
    s.convert(value, element_of(out), out)


def _not(s: Steps) -> None:
    op = s.op
    x = s.widen(s.get(op.operands[0]))
    out = op.results[0]
    if isinstance(op, tosa.LogicalNotOp):
        s(cmp("eq"), [x, s.scalar(0, x.element)], "i1", out)
        return
    s.convert(s(lpu.NotOp, [x], x.element), element_of(out), out)


def _logical_right_shift(s: Steps) -> None:
    """A narrow value is zero-extended first, so zeros come in from the top."""
    op = s.op
    t = element_of(op.operands[0])
    x, amount = (s.widen(s.get(v)) for v in op.operands[:2])
    if t not in NATIVE and not t.startswith("u"):
        mask = (1 << numerics.bitwidth(t)) - 1
        x = s(lpu.AndOp, [x, s.scalar(mask, "i32")], "i32")
    value = s(lpu.ShruOp, [x, amount], x.element)
    s.convert(value, t, op.results[0])


def _arithmetic_right_shift(s: Steps) -> None:
    """With `round`, plus the last bit shifted out where the amount is > 0
    (the reference's rule)."""
    op = s.op
    assert isinstance(op, tosa.ArithmeticRightShiftOp)
    t = element_of(op.input1)
    x, amount = (s.widen(s.get(v)) for v in (op.input1, op.input2))
    w = x.element
    value = s(lpu.ShrOp, [x, amount], w)
    if op.round.value.data:
        one, zero = s.scalar(1, w), s.scalar(0, w)
        positive = s(cmp("gt"), [amount, zero], "i1")
        back = s.select(positive, s(lpu.SubOp, [amount, one], w), amount)
        last = s(lpu.AndOp, [s(lpu.ShrOp, [x, back], w), one], w)
        value = s(lpu.AddOp, [value, s.select(positive, last, zero)], w)
    s.convert(value, t, op.output)


def _select(s: Steps) -> None:
    op = s.op
    assert isinstance(op, tosa.SelectOp)
    mask = s.get(op.input1)
    a, b = (s.widen(s.get(v)) for v in (op.input2, op.input3))
    out = op.output
    if a.element == element_of(out):
        s.select(mask, a, b, out)
        return
    s.convert(s.select(mask, a, b), element_of(out), out)


def _min_max(s: Steps) -> None:
    """nan_mode IGNORE: a NaN operand yields the other one."""
    op = s.op
    assert isinstance(op, tosa.MaximumOp | tosa.MinimumOp)
    t = element_of(op.output)
    if op.nan_mode.data.value != "IGNORE" or not numerics.is_float(t):
        lower_plain(s)
        return
    a, b = (s.get(v) for v in op.operands)
    make = lpu.MaxOp if isinstance(op, tosa.MaximumOp) else lpu.MinOp
    both = s(make, [a, b], t)
    a_nan = s(cmp("ne"), [a, a], "i1")
    b_nan = s(cmp("ne"), [b, b], "i1")
    s.select(a_nan, b, s.select(b_nan, a, both), op.output)


def lower_plain(s: Steps) -> None:
    """An op of `elementwise.ELEMENTWISE`, widened where needed."""
    op = s.op
    if all(element_of(v) in NATIVE for v in (*op.operands, *op.results)):
        elementwise.lower(s.vz, op)
        return
    make, count = elementwise.ELEMENTWISE[type(op)]
    inputs = [s.widen(s.get(v)) for v in op.operands[:count]]
    out = op.results[0]
    s.convert(s(make, inputs, wide(element_of(out))), element_of(out), out)


FLOOR_LIMIT = {"f32": 2.0**23, "f16": 2.0**10, "bf16": 2.0**7}
"""From this magnitude on every value of the type is an integer."""


def floor_of(s: Steps, x: Placed, out: SSAValue | None = None) -> Placed:
    """floor(x): below FLOOR_LIMIT, the nearest integer (a conversion to i32)
    less one where it exceeds x; x itself (times one, so a NaN is the
    canonical one) for larger values, infinities, NaN and zeros (-0 stays)."""
    t = x.element
    near = s.convert(s.convert(x, "i32"), t)
    above = s.convert(s(cmp("gt"), [near, x], "i1"), t)
    floored = s(lpu.SubOp, [near, above], t)
    small = s(cmp("lt"), [s(lpu.AbsOp, [x], t), s.scalar(FLOOR_LIMIT[t], t)], "i1")
    nonzero = s(cmp("ne"), [x, s.scalar(0, t)], "i1")
    same = s(lpu.MulOp, [x, s.scalar(1, t)], t)
    return s.select(nonzero, s.select(small, floored, same), same, out)


def _floor(s: Steps) -> None:
    op = s.op
    floor_of(s, s.get(op.operands[0]), op.results[0])


def _ceil(s: Steps) -> None:
    """ceil(x) = -floor(-x)."""
    op = s.op
    x = s.get(op.operands[0])
    t = x.element
    floored = floor_of(s, s(lpu.NegOp, [x], t))
    s(lpu.NegOp, [floored], t, op.results[0])


def _identity(s: Steps) -> None:
    """The value itself: the result shares the operand's tensor."""
    op = s.op
    s.vz.values[op.results[0]] = s.get(op.operands[0])


SPECIAL: dict[type[Operation], Callable[[Steps], None]] = {
    tosa.MulOp: _mul,
    tosa.NegateOp: _negate,
    tosa.CastOp: _cast,
    **dict.fromkeys(COMPARE, _compare),
    **dict.fromkeys(LOGICAL, _binary),
    tosa.LogicalNotOp: _not,
    tosa.BitwiseNotOp: _not,
    tosa.LogicalRightShiftOp: _logical_right_shift,
    tosa.ArithmeticRightShiftOp: _arithmetic_right_shift,
    tosa.SelectOp: _select,
    tosa.MaximumOp: _min_max,
    tosa.MinimumOp: _min_max,
    tosa.FloorOp: _floor,
    tosa.CeilOp: _ceil,
    tosa.IdentityOp: _identity,
}
"""Ops with a lowering of their own here; the other ops of
`elementwise.ELEMENTWISE` go through `lower_plain`."""

OPS: tuple[type[Operation], ...] = (*elementwise.ELEMENTWISE, *SPECIAL)
"""Every op this module lowers (its entries in `LOWERINGS`)."""


def one_instruction(op: Operation) -> bool:
    """Whether an op is one VXM instruction per vector (`elementwise.lower`):
    an op of `elementwise.ELEMENTWISE` on the VXM's float types that
    `SPECIAL` does not spell out in steps (float mul and negate it hands
    back)."""
    if type(op) not in elementwise.ELEMENTWISE or SPECIAL.get(type(op)) not in (
        None,
        _mul,
        _negate,
    ):
        return False
    count = elementwise.ELEMENTWISE[type(op)][1]
    return all(
        element_of(v) in NATIVE and numerics.is_float(element_of(v))
        for v in (*op.operands[:count], *op.results)
    )
