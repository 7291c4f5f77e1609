"""arith and math on tensors and scalars (and on the whole arrays a linalg body
is run on), each op through `lpuir.numerics`.

Decisions where MLIR leaves a result poison or undefined:
- integer add/sub/mul/shl wrap (also with nsw/nuw flags);
- fptosi/fptoui round toward zero and saturate out-of-range values;
- truncf rounds to nearest even without saturating (overflow gives inf);
- trunci and index_cast truncate (modulo 2^n), extsi/extui sign/zero-extend;
- the unsigned ops (divui, remui, maxui, minui, uitofp, extui, fptoui) read or
  write their values through a modulo-2^n cast to the unsigned type of equal
  width (cmpi's unsigned predicates are numerics.compare's own).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.dialects import arith, math
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, FloatAttr, IntegerAttr
from xdsl.ir import Operation

from lpuir import numerics
from lpuir.dialects import arith as arith_ext
from lpuir.interpreter.reference_core import (
    Args,
    Interpreter,
    UnsupportedOpError,
    constant,
    element,
    implements,
)


def numerics_function(name: str) -> Callable[..., np.ndarray]:
    """`lpuir.numerics.<name>`, looked up when used, so a function the
    numerics module lacks fails the op that needs it, not the whole import."""
    fn = getattr(numerics, name, None)
    if fn is None:
        raise UnsupportedOpError(f"lpuir.numerics has no '{name}'")
    return fn


def unsigned(t: str) -> str:
    """The unsigned type of a signless integer type's width (i32 -> ui32)."""
    return t if t.startswith("ui") else f"u{t}"


def as_unsigned(x: np.ndarray, t: str) -> np.ndarray:
    """The bits of a signless integer read as unsigned (modulo 2^n)."""
    return numerics.cast(x, t, unsigned(t))


def from_unsigned(x: np.ndarray, t: str) -> np.ndarray:
    """Unsigned values stored back into the signless type (modulo 2^n)."""
    return numerics.cast(x, unsigned(t), t)


# --------------------------------------------------------------------------- #
# Constants
# --------------------------------------------------------------------------- #


@implements(arith.ConstantOp)
def _constant(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, arith.ConstantOp)
    value = op.value
    if isinstance(value, DenseIntOrFPElementsAttr):
        return [constant(value.get_values(), op.result.type)]  # pyright: ignore[reportArgumentType]
    if isinstance(value, IntegerAttr | FloatAttr):
        return [constant([value.value.data], op.result.type)]
    raise UnsupportedOpError(f"constants of {value.name} are not supported")


# --------------------------------------------------------------------------- #
# Elementwise families: one table each, one function per table
# --------------------------------------------------------------------------- #

BINARY: dict[type[Operation], str] = {
    arith.AddfOp: "add",
    arith.SubfOp: "sub",
    arith.MulfOp: "mul",
    arith.DivfOp: "div",
    arith.AddiOp: "add",
    arith.SubiOp: "sub",
    arith.MuliOp: "mul",
    arith.DivSIOp: "div",
    arith.RemSIOp: "rem",
    arith.MaxSIOp: "maximum",
    arith.MinSIOp: "minimum",
    arith.ShLIOp: "shl",
    arith.ShRSIOp: "shr_arith",
    arith.ShRUIOp: "shr_logical",
    math.PowFOp: "pow",
    math.Atan2Op: "atan2",
    math.CopySignOp: "copysign",
    arith_ext.RemFOp: "rem",
}
"""Ops that are `numerics.<name>(lhs, rhs, type)`."""

UNSIGNED_BINARY: dict[type[Operation], str] = {
    arith.DivUIOp: "div",
    arith.RemUIOp: "rem",
    arith.MaxUIOp: "maximum",
    arith.MinUIOp: "minimum",
}
"""Ops that are `numerics.<name>` on the operands read as unsigned."""

NAN_BINARY: dict[type[Operation], tuple[str, str]] = {
    arith.MaximumfOp: ("maximum", "propagate"),
    arith.MinimumfOp: ("minimum", "propagate"),
    arith.MaxnumfOp: ("maximum", "ignore"),
    arith.MinnumfOp: ("minimum", "ignore"),
}
"""IEEE maximum/minimum (NaN wins) and maxnum/minnum (the number wins)."""

BITWISE: dict[type[Operation], str] = {
    arith.AndIOp: "and",
    arith.OrIOp: "or",
    arith.XOrIOp: "xor",
}
"""`numerics.bit_<name>`, or `numerics.logical_<name>` on i1."""

UNARY: dict[type[Operation], str] = {
    arith.NegfOp: "neg",
    math.AbsFOp: "abs",
    math.AbsIOp: "abs",
    math.ExpOp: "exp",
    math.LogOp: "log",
    math.TanhOp: "tanh",
    math.RsqrtOp: "rsqrt",
    math.SqrtOp: "sqrt",
    math.ErfOp: "erf",
    math.FloorOp: "floor",
    math.CeilOp: "ceil",
    math.RoundEvenOp: "round_even",
    math.RoundOp: "round_away",
    math.TruncOp: "trunc",
    math.SinOp: "sin",
    math.CosOp: "cos",
    math.TanOp: "tan",
    math.AsinOp: "asin",
    math.AcosOp: "acos",
    math.AtanOp: "atan",
    math.SinhOp: "sinh",
    math.CoshOp: "cosh",
    math.AsinhOp: "asinh",
    math.AcoshOp: "acosh",
    math.AtanhOp: "atanh",
    math.ExpM1Op: "expm1",
    math.Log1pOp: "log1p",
    math.Log2Op: "log2",
    math.Log10Op: "log10",
    math.Exp2Op: "exp2",
    math.CbrtOp: "cbrt",
    math.CountLeadingZerosOp: "ctlz",
    math.CountTrailingZerosOp: "cttz",
    math.CtPopOp: "ctpop",
}
"""Ops that are `numerics.<name>(x, type)`."""


@implements(*BINARY)
def _binary(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [numerics_function(BINARY[type(op)])(*args, element(op.results[0].type))]


@implements(*UNSIGNED_BINARY)
def _unsigned_binary(
    interp: Interpreter, op: Operation, args: Args
) -> list[np.ndarray]:
    t = element(op.results[0].type)
    lhs, rhs = (as_unsigned(a, t) for a in args)
    return [
        from_unsigned(
            numerics_function(UNSIGNED_BINARY[type(op)])(lhs, rhs, unsigned(t)), t
        )
    ]


@implements(*NAN_BINARY)
def _nan_binary(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    name, nan = NAN_BINARY[type(op)]
    return [numerics_function(name)(*args, element(op.results[0].type), nan=nan)]


@implements(*BITWISE)
def _bitwise(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    t = element(op.results[0].type)
    if t == "i1":
        return [numerics_function(f"logical_{BITWISE[type(op)]}")(*args)]
    return [numerics_function(f"bit_{BITWISE[type(op)]}")(*args, t)]


@implements(*UNARY)
def _unary(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [numerics_function(UNARY[type(op)])(args[0], element(op.results[0].type))]


@implements(math.FmaOp)
def _fma(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [numerics.fma(*args, element(op.results[0].type))]


@implements(math.FPowIOp, math.IPowIOp)
def _powi(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """Integer powers by binary powering (numerics.fpowi, numerics.ipowi)."""
    base, exponent = args
    if isinstance(op, math.FPowIOp):
        return [numerics.fpowi(base, exponent, element(op.results[0].type))]
    return [numerics.ipowi(base, exponent, element(op.results[0].type))]


@implements(arith.SelectOp)
def _select(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [numerics.select(*args)]


# --------------------------------------------------------------------------- #
# Comparisons
# --------------------------------------------------------------------------- #


@implements(arith.CmpiOp, arith.CmpfOp)
def _compare(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """numerics.compare takes arith's predicates (slt, ult, oeq, une, ...) as they are."""
    assert isinstance(op, arith.CmpiOp | arith.CmpfOp)
    names = (
        arith.CMPI_COMPARISON_OPERATIONS
        if isinstance(op, arith.CmpiOp)
        else arith.CMPF_COMPARISON_OPERATIONS
    )
    return [
        numerics.compare(*args, names[op.predicate.value.data], element(op.lhs.type))
    ]


# --------------------------------------------------------------------------- #
# Conversions
# --------------------------------------------------------------------------- #

CASTS: dict[type[Operation], tuple[bool, bool, str]] = {
    arith.ExtSIOp: (False, False, "rne"),
    arith.ExtUIOp: (True, False, "rne"),
    arith.TruncIOp: (False, False, "rne"),
    arith.IndexCastOp: (False, False, "rne"),
    arith_ext.IndexCastUIOp: (True, False, "rne"),
    arith.ExtFOp: (False, False, "rne"),
    arith.TruncFOp: (False, False, "rne"),
    arith.SIToFPOp: (False, False, "rne"),
    arith.UIToFPOp: (True, False, "rne"),
    arith.FPToSIOp: (False, False, "trunc"),
    arith.FPToUIOp: (False, True, "trunc"),
}
"""Op -> (source read as unsigned, result computed as unsigned, float->int
rounding). numerics.cast keeps the low bits int->int, rounds to nearest even
into floats (IEEE overflow to inf) and saturates float->int."""


@implements(*CASTS)
def _cast(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    unsigned_source, unsigned_result, rounding = CASTS[type(op)]
    src, dst = element(op.operands[0].type), element(op.results[0].type)
    x = as_unsigned(args[0], src) if unsigned_source else args[0]
    src = unsigned(src) if unsigned_source else src
    if unsigned_result:
        return [
            from_unsigned(numerics.cast(x, src, unsigned(dst), rounding=rounding), dst)
        ]
    return [numerics.cast(x, src, dst, rounding=rounding)]


@implements(arith.FloorDivSIOp, arith.CeilDivSIOp, arith.CeilDivUIOp)
def _rounded_div(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The truncated quotient moved one toward -inf (floordiv) or +inf
    (ceildiv) when the remainder is not zero and points that way; a zero
    divisor gives numerics.div's all-ones quotient unchanged."""
    t = element(op.results[0].type)
    lhs, rhs = args
    if isinstance(op, arith.CeilDivUIOp):
        t, lhs, rhs = unsigned(t), as_unsigned(lhs, t), as_unsigned(rhs, t)
    q, r = numerics.div(lhs, rhs, t), numerics.rem(lhs, rhs, t)
    zero = numerics.as_carrier(np.zeros_like(r), t)
    inexact = numerics.compare(r, zero, "ne", t) & numerics.compare(rhs, zero, "ne", t)
    same_sign = numerics.compare(r, zero, "lt", t) == numerics.compare(
        rhs, zero, "lt", t
    )
    step = inexact & (
        same_sign if not isinstance(op, arith.FloorDivSIOp) else ~same_sign
    )
    one = numerics.as_carrier(np.ones_like(r), t)
    moved = (numerics.sub if isinstance(op, arith.FloorDivSIOp) else numerics.add)(
        q, one, t
    )
    result = numerics.select(step, moved, q)
    if isinstance(op, arith.CeilDivUIOp):
        result = from_unsigned(result, element(op.results[0].type))
    return [result]


@implements(arith.MulSIExtendedOp, arith.MulUIExtendedOp)
def _mul_extended(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The low and high N bits of the exact 2N-bit product (read as signed
    or unsigned), computed with Python integers."""
    t = element(op.results[0].type)
    signed = isinstance(op, arith.MulSIExtendedOp)
    w = numerics.bitwidth(t)
    read = (lambda x: x) if signed else (lambda x: as_unsigned(x, t))
    a, b = (np.asarray(read(x)).astype(object) for x in args)
    product = a * b
    low = numerics.cast(np.asarray(product % (1 << w)).astype(np.uint64), "ui64", t)
    high = np.asarray(product >> w)
    high = numerics.cast(np.asarray(high % (1 << w)).astype(np.uint64), "ui64", t)
    return [low, high]


@implements(arith.AddUIExtendedOp)
def _add_extended(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The wrapped sum and its unsigned carry (i1)."""
    t = element(op.results[0].type)
    total = numerics.add(*args, t)
    return [total, numerics.compare(total, args[0], "ult", t)]


@implements(arith_ext.ScalingExtFOp, arith_ext.ScalingTruncFOp)
def _scaling(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """scaling_extf: extf(in) * extf(scale), the product in the result type.
    scaling_truncf: truncf(in / extf(scale)), the quotient in the input
    type. The scale (an f8E8M0FNU power of two, as a rule) is converted
    exactly; a NaN scale gives NaN."""
    x, scale = args
    src, scale_t = element(op.operands[0].type), element(op.operands[1].type)
    dst = element(op.results[0].type)
    if isinstance(op, arith_ext.ScalingExtFOp):
        wide = numerics.cast(x, src, dst)
        return [numerics.mul(wide, numerics.cast(scale, scale_t, dst), dst)]
    quotient = numerics.div(x, numerics.cast(scale, scale_t, src), src)
    return [numerics.cast(quotient, src, dst)]


@implements(arith.BitcastOp)
def _bitcast(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    src, dst = element(op.operands[0].type), element(op.results[0].type)
    return [numerics.from_bits(numerics.to_bits(args[0], src), dst)]
