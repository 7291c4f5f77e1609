"""arith and math ops on tensors, at the top level of a function and as the
ops of a linalg body (evaluated on whole iteration spaces, `linalg`): each
is a chain of `composite.Steps` with the reference's numerics
(interpreter/reference_arith.py): integers computed in i32 when narrower
and wrapped back, unsigned ops on the bits read as unsigned, fptosi/fptoui
rounding toward zero, cmpf's ordered and unordered predicates spelled out
with the VXM's six."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from xdsl.dialects import arith, math
from xdsl.ir import Operation, SSAValue

from lpuir import numerics
from lpuir.dialects import lpu
from lpuir.transforms.vectorize import bits, composite
from lpuir.transforms.vectorize.composite import Steps, cmp, element_of
from lpuir.transforms.vectorize.program import Placed, unsupported

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

Impl = Callable[[Steps, Sequence[Placed], Operation, SSAValue | None], Placed]
"""An op on placed operands: its value (the tensor op's `out`, if given)."""


def narrowed(s: Steps, value: Placed, element: str, out: SSAValue | None) -> Placed:
    """A value computed in `wide(element)` back in `element`."""
    return s.convert(value, element, out)


def unsigned(s: Steps, x: Placed) -> Placed:
    """x's bits read as unsigned, in the type computed on (ui32 or i32)."""
    t = x.element
    if numerics.is_float(t) or t.startswith("u") or t == "i1":
        return s.widen(x)
    return s.widen(s.convert(x, f"u{t}"))


def binary(make: Callable[..., lpu.VxmOp], signed: bool = True) -> Impl:
    """One VXM instruction on the operands (widened, or read unsigned)."""

    def impl(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
        t = element_of(op.results[0])
        a, b = (s.widen(x) if signed else unsigned(s, x) for x in args)
        if a.element == t and b.element == t:
            return s(make, [a, b], t, out)
        value = s(make, [a, b], a.element)
        return narrowed(s, value, t, out)

    return impl


def unary(make: Callable[..., lpu.VxmOp]) -> Impl:
    def impl(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
        t = element_of(op.results[0])
        x = s.widen(args[0])
        if x.element == t:
            return s(make, [x], t, out)
        return narrowed(s, s(make, [x], x.element), t, out)

    return impl


def _remainder(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
    """a - (a / b) * b: the quotient truncates, x % 0 = x (x / 0 is -1)."""
    t = element_of(op.results[0])
    signed = isinstance(op, arith.RemSIOp)
    a, b = (s.widen(x) if signed else unsigned(s, x) for x in args)
    w = a.element
    q = s(lpu.DivOp, [a, b], w)
    value = s(lpu.SubOp, [a, s(lpu.MulOp, [q, b], w)], w)
    return narrowed(s, value, t, out)


def _nan_ignoring(
    s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None
):
    """maxnumf/minnumf: a NaN operand yields the other one."""
    t = element_of(op.results[0])
    a, b = args
    make = lpu.MaxOp if isinstance(op, arith.MaxnumfOp) else lpu.MinOp
    both = s(make, [a, b], t)
    a_nan = s(cmp("ne"), [a, a], "i1")
    b_nan = s(cmp("ne"), [b, b], "i1")
    return s.select(a_nan, b, s.select(b_nan, a, both), out)


def _shift_right_logical(
    s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None
) -> Placed:
    t = element_of(op.results[0])
    x, amount = unsigned(s, args[0]), unsigned(s, args[1])
    return narrowed(s, s(lpu.ShruOp, [x, amount], x.element), t, out)


def _floor(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
    return composite.floor_of(s, args[0], out)


def _ceil(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
    x = args[0]
    floored = composite.floor_of(s, s(lpu.NegOp, [x], x.element))
    return s(lpu.NegOp, [floored], x.element, out)


def truncated(s: Steps, x: Placed, out: SSAValue | None = None) -> Placed:
    """Toward zero: ceil below zero, floor above (-0.5 gives -0)."""
    t = x.element
    negative = s(cmp("lt"), [x, s.scalar(0, t)], "i1")
    up = s(lpu.NegOp, [composite.floor_of(s, s(lpu.NegOp, [x], t))], t)
    return s.select(negative, up, composite.floor_of(s, x), out)


def _trunc(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
    return truncated(s, args[0], out)


def _to_int(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
    """fptosi/fptoui: rounded toward zero, then converted (saturating)."""
    t = element_of(op.results[0])
    whole = truncated(s, args[0])
    if isinstance(op, arith.FPToUIOp) and not t.startswith("u") and t != "i1":
        return s.convert(s.convert(whole, f"u{t}"), t, out)
    return s.convert(whole, t, out)


def _convert(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
    """extf, truncf, sitofp, extsi, trunci: one conversion (RNE into floats,
    low bits between integers)."""
    return s.convert(args[0], element_of(op.results[0]), out)


def _convert_unsigned(
    s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None
) -> Placed:
    """uitofp, extui: from the bits read as unsigned."""
    return s.convert(unsigned(s, args[0]), element_of(op.results[0]), out)


FLOAT_PREDICATES = {
    "oeq": "eq",
    "ogt": "gt",
    "oge": "ge",
    "olt": "lt",
    "ole": "le",
    "une": "ne",
}
"""cmpf predicates that are the VXM's own (numerics.compare's plain ones)."""

NEGATED = {
    "ueq": "one",
    "ugt": "ole",
    "uge": "olt",
    "ult": "oge",
    "ule": "ogt",
    "uno": "ord",
}
"""Unordered predicates: the negation of an ordered one."""


def logical_not(s: Steps, mask: Placed, out: SSAValue | None = None) -> Placed:
    return s(cmp("eq"), [s.widen(mask), s.scalar(0, "i32")], "i1", out)


def logical_or(s: Steps, a: Placed, b: Placed, out: SSAValue | None = None) -> Placed:
    value = s(lpu.OrOp, [s.widen(a), s.widen(b)], "i32")
    return s.convert(value, "i1", out)


def float_compare(
    s: Steps, predicate: str, a: Placed, b: Placed, out: SSAValue | None = None
) -> Placed:
    if predicate in FLOAT_PREDICATES:
        return s(cmp(FLOAT_PREDICATES[predicate]), [a, b], "i1", out)
    if predicate in NEGATED:
        return logical_not(s, float_compare(s, NEGATED[predicate], a, b), out)
    if predicate == "one":
        below = s(cmp("lt"), [a, b], "i1")
        return logical_or(s, below, s(cmp("gt"), [a, b], "i1"), out)
    if predicate == "ord":
        a_num = s(cmp("eq"), [a, a], "i1")
        b_num = s(cmp("eq"), [b, b], "i1")
        value = s(lpu.AndOp, [s.widen(a_num), s.widen(b_num)], "i32")
        return s.convert(value, "i1", out)
    # true, false: holds for equal values, and for unequal ones
    holds = logical_or(s, s(cmp("eq"), [a, a], "i1"), s(cmp("ne"), [a, a], "i1"))
    if predicate == "true":
        return s.convert(holds, "i1", out)
    return logical_not(s, holds, out)


def _cmpf(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
    assert isinstance(op, arith.CmpfOp)
    predicate = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
    return float_compare(s, predicate, args[0], args[1], out)


def _cmpi(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
    assert isinstance(op, arith.CmpiOp)
    predicate = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
    if predicate[0] == "u":
        a, b = (unsigned(s, x) for x in args)
    else:
        a, b = (s.widen(x) for x in args)
    return s(cmp(predicate.removeprefix("s").removeprefix("u")), [a, b], "i1", out)


def _select(s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None):
    t = element_of(op.results[0])
    mask, a, b = args[0], s.widen(args[1]), s.widen(args[2])
    if a.element == t:
        return s.select(mask, a, b, out)
    return narrowed(s, s.select(mask, a, b), t, out)


BODY: dict[type[Operation], Impl] = {
    arith.AddfOp: binary(lpu.AddOp),
    arith.SubfOp: binary(lpu.SubOp),
    arith.MulfOp: binary(lpu.MulOp),
    arith.DivfOp: binary(lpu.DivOp),
    arith.MaximumfOp: binary(lpu.MaxOp),
    arith.MinimumfOp: binary(lpu.MinOp),
    arith.MaxnumfOp: _nan_ignoring,
    arith.MinnumfOp: _nan_ignoring,
    math.PowFOp: binary(lpu.PowOp),
    arith.AddiOp: binary(lpu.AddOp),
    arith.SubiOp: binary(lpu.SubOp),
    arith.MuliOp: binary(lpu.MulOp),
    arith.DivSIOp: binary(lpu.DivOp),
    arith.DivUIOp: binary(lpu.DivOp, signed=False),
    arith.RemSIOp: _remainder,
    arith.RemUIOp: _remainder,
    arith.MaxSIOp: binary(lpu.MaxOp),
    arith.MinSIOp: binary(lpu.MinOp),
    arith.MaxUIOp: binary(lpu.MaxOp, signed=False),
    arith.MinUIOp: binary(lpu.MinOp, signed=False),
    arith.AndIOp: binary(lpu.AndOp),
    arith.OrIOp: binary(lpu.OrOp),
    arith.XOrIOp: binary(lpu.XorOp),
    arith.ShLIOp: binary(lpu.ShlOp),
    arith.ShRSIOp: binary(lpu.ShrOp),
    arith.ShRUIOp: _shift_right_logical,
    arith.NegfOp: unary(lpu.NegOp),
    math.AbsFOp: unary(lpu.AbsOp),
    math.AbsIOp: unary(lpu.AbsOp),
    math.ExpOp: unary(lpu.ExpOp),
    math.LogOp: unary(lpu.LogOp),
    math.TanhOp: unary(lpu.TanhOp),
    math.RsqrtOp: unary(lpu.RsqrtOp),
    math.SqrtOp: unary(lpu.SqrtOp),
    math.SinOp: unary(lpu.SinOp),
    math.CosOp: unary(lpu.CosOp),
    math.ErfOp: unary(lpu.ErfOp),
    math.CountLeadingZerosOp: bits.count,
    math.CountTrailingZerosOp: bits.count,
    math.CtPopOp: bits.count,
    math.FloorOp: _floor,
    math.CeilOp: _ceil,
    math.TruncOp: _trunc,
    arith.ExtFOp: _convert,
    arith.TruncFOp: _convert,
    arith.SIToFPOp: _convert,
    arith.ExtSIOp: _convert,
    arith.TruncIOp: _convert,
    arith.IndexCastOp: _convert,
    arith.UIToFPOp: _convert_unsigned,
    arith.ExtUIOp: _convert_unsigned,
    arith.FPToSIOp: _to_int,
    arith.FPToUIOp: _to_int,
    arith.CmpfOp: _cmpf,
    arith.CmpiOp: _cmpi,
    arith.SelectOp: _select,
}
"""How each arith/math op computes on placed operands."""


def evaluate(s: Steps, op: Operation, args: Sequence[Placed], out: SSAValue | None):
    impl = BODY.get(type(op))
    if impl is None:
        raise unsupported(s.op, f"'{op.name}' is not lowered to the LPU yet")
    return impl(s, args, op, out)


def lower(vz: Vectorizer, op: Operation) -> None:
    """An arith/math op on tensors."""
    s = Steps(vz, op)
    evaluate(s, op, [s.get(v) for v in op.operands], op.results[0])
