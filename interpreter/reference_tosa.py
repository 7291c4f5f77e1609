"""The TOSA ops of `lpuir.dialects.tosa`, after the TOSA 1.0 spec's pseudo-code,
every value computed by `lpuir.numerics` (numpy only moves data: broadcast,
transpose, slice, pad, gather).

Decisions:
- integer add/sub/mul (shift 0) and shifts wrap; INTDIV truncates toward zero;
- CAST: float->int rounds to nearest even and saturates, int->int truncates
  (modulo 2^n), float->float rounds to nearest even (overflow gives inf),
  int->i1 is `!= 0`;
- MATMUL multiplies on the MXM: `numerics.matmul` with the chip's K-block into
  the result type (an f16 result is the f32 accumulation rounded once); i8
  zero points are applied exactly in i32 as
  sum((a-za)(b-zb)) = ab - zb*sum(a) - za*sum(b) + K*za*zb;
- reductions are `numerics.reduce` along the axis (its canonical order), with
  the op's nan_mode for reduce_max/min, as argmax.
"""

from __future__ import annotations

import math
from functools import reduce

import numpy as np
from xdsl.dialects import tosa as stock_tosa
from xdsl.ir import Operation

from lpuir import numerics
from lpuir.dialects import tosa
from lpuir.interpreter.reference_arith import (
    as_unsigned,
    from_unsigned,
    numerics_function,
    unsigned,
)
from lpuir.interpreter.reference_core import (
    Args,
    ExecutionError,
    Interpreter,
    UnsupportedOpError,
    constant,
    element,
    implements,
    literal,
    result_type,
)
from lpuir.interpreter.reference_tensor import reshaped
from lpuir.transforms.annotations import k_split_of


def broadcast(op: Operation, args: Args) -> list[np.ndarray]:
    """Operands broadcast to the result's shape (TOSA: equal ranks, 1s stretch)."""
    shape = np.broadcast_shapes(*(a.shape for a in args))
    return [np.broadcast_to(a, shape) for a in args]


def scalar(x: np.ndarray) -> int | float | bool:
    """The value of a one-element tensor (zero point, shift, pad value)."""
    return x.reshape(-1)[0].item()


def nan_mode(op: Operation) -> str:
    """numerics' spelling of an op's nan_mode: 'propagate' or 'ignore'."""
    mode = op.properties["nan_mode"]
    assert isinstance(mode, tosa.NanModeAttr)
    return mode.data.value.lower()


def full(value: int | float, like: np.ndarray, t: str) -> np.ndarray:
    """A constant of type `t` in the shape of `like`."""
    return literal(np.full(like.shape, value), t)


def int_range(t: str, *, force_unsigned: bool = False) -> tuple[int, int]:
    """The smallest and largest value of an integer type."""
    info = np.iinfo(numerics.carrier(unsigned(t) if force_unsigned else t))
    return int(info.min), int(info.max)


def saturate_i64(
    x: np.ndarray, t: str, *, as_unsigned_type: bool = False
) -> np.ndarray:
    """i64 values clipped to integer type `t` (or its unsigned reading), stored as `t`."""
    lo, hi = int_range(t, force_unsigned=as_unsigned_type)
    clipped = numerics.clamp(x, full(lo, x, "i64"), full(hi, x, "i64"), "i64")
    if as_unsigned_type and not t.startswith("ui"):
        return from_unsigned(numerics.cast(clipped, "i64", unsigned(t)), t)
    return numerics.cast(clipped, "i64", t)


# --------------------------------------------------------------------------- #
# Elementwise
# --------------------------------------------------------------------------- #

BINARY: dict[type[Operation], str] = {
    tosa.AddOp: "add",
    tosa.SubOp: "sub",
    tosa.IntDivOp: "div",
    tosa.PowOp: "pow",
    tosa.BitwiseAndOp: "bit_and",
    tosa.BitwiseOrOp: "bit_or",
    tosa.BitwiseXorOp: "bit_xor",
    tosa.LogicalLeftShiftOp: "shl",
    tosa.LogicalRightShiftOp: "shr_logical",
}
"""`numerics.<name>(input1, input2, element type)`."""

LOGICAL: dict[type[Operation], str] = {
    tosa.LogicalAndOp: "logical_and",
    tosa.LogicalOrOp: "logical_or",
    tosa.LogicalXorOp: "logical_xor",
}
"""`numerics.<name>(input1, input2)` on i1."""

COMPARISONS: dict[type[Operation], str] = {
    tosa.EqualOp: "eq",
    tosa.GreaterOp: "gt",
    tosa.GreaterEqualOp: "ge",
}

NAN_BINARY: dict[type[Operation], str] = {
    tosa.MaximumOp: "maximum",
    tosa.MinimumOp: "minimum",
}

UNARY: dict[type[Operation], str] = {
    tosa.AbsOp: "abs",
    tosa.ExpOp: "exp",
    tosa.LogOp: "log",
    tosa.TanhOp: "tanh",
    tosa.SigmoidOp: "sigmoid",
    tosa.ErfOp: "erf",
    tosa.RsqrtOp: "rsqrt",
    tosa.ReciprocalOp: "reciprocal",
    tosa.FloorOp: "floor",
    tosa.CeilOp: "ceil",
    tosa.BitwiseNotOp: "bit_not",
    tosa.SinOp: "sin",
    tosa.ClzOp: "ctlz",
    tosa.CosOp: "cos",
}
"""`numerics.<name>(input, element type)`."""


@implements(*BINARY)
def _binary(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [
        numerics_function(BINARY[type(op)])(
            *broadcast(op, args), element(op.operands[0].type)
        )
    ]


@implements(*LOGICAL)
def _logical(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [numerics_function(LOGICAL[type(op)])(*broadcast(op, args))]


@implements(*COMPARISONS)
def _compare(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [
        numerics.compare(
            *broadcast(op, args), COMPARISONS[type(op)], element(op.operands[0].type)
        )
    ]


@implements(*NAN_BINARY)
def _nan_binary(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    fn = numerics_function(NAN_BINARY[type(op)])
    return [fn(*broadcast(op, args), element(op.operands[0].type), nan=nan_mode(op))]


@implements(*UNARY)
def _unary(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [numerics_function(UNARY[type(op)])(args[0], element(op.operands[0].type))]


@implements(tosa.LogicalNotOp)
def _logical_not(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [numerics.logical_not(args[0])]


@implements(tosa.IdentityOp)
def _identity(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [args[0]]


@implements(tosa.SelectOp)
def _select(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [numerics.select(*broadcast(op, args))]


@implements(tosa.ArithmeticRightShiftOp)
def _arithmetic_right_shift(
    interp: Interpreter, op: Operation, args: Args
) -> list[np.ndarray]:
    """With `round`, adds back the last bit shifted out (for shifts > 0)."""
    assert isinstance(op, tosa.ArithmeticRightShiftOp)
    t = element(op.input1.type)
    x, shift = broadcast(op, args)
    shifted = numerics.shr_arith(x, shift, t)
    if not op.round.value.data:
        return [shifted]
    one = full(1, x, t)
    positive = numerics.compare(shift, full(0, x, t), "gt", t)
    last_bit = numerics.bit_and(
        numerics.shr_arith(
            x, numerics.select(positive, numerics.sub(shift, one, t), shift), t
        ),
        one,
        t,
    )
    return [
        numerics.add(shifted, numerics.select(positive, last_bit, full(0, x, t)), t)
    ]


@implements(tosa.MulOp)
def _mul(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """Floats multiply in their type; integers in i32, where shift > 0 (i32
    only) rounds: (a*b + 2^(shift-1)) >> shift, computed in i64."""
    t = element(op.operands[0].type)
    a, b = broadcast(op, args[:2])
    shift = int(scalar(args[2]))
    if numerics.is_float(t):
        return [numerics.mul(a, b, t)]
    if shift == 0:
        return [
            numerics.mul(numerics.cast(a, t, "i32"), numerics.cast(b, t, "i32"), "i32")
        ]
    product = numerics.mul(
        numerics.cast(a, t, "i64"), numerics.cast(b, t, "i64"), "i64"
    )
    rounded = numerics.shr_arith(
        numerics.add(product, full(1 << (shift - 1), product, "i64"), "i64"),
        full(shift, product, "i64"),
        "i64",
    )
    lo, hi = int_range("i32")
    if rounded.size and (rounded.min() < lo or rounded.max() > hi):
        raise ExecutionError(f"a product shifted right by {shift} does not fit i32")
    return [numerics.cast(rounded, "i64", "i32")]


@implements(tosa.NegateOp)
def _negate(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """Floats: -x. Integers: output_zp + (input1_zp - x), computed in i64 and
    saturated to the type."""
    t = element(op.operands[0].type)
    x, input_zp, output_zp = args
    if numerics.is_float(t):
        return [numerics.neg(x, t)]
    wide = numerics.cast(x, t, "i64")
    value = numerics.sub(full(scalar(input_zp), wide, "i64"), wide, "i64")
    return [
        saturate_i64(
            numerics.add(value, full(scalar(output_zp), wide, "i64"), "i64"), t
        )
    ]


@implements(tosa.ClampOp)
def _clamp(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """min(max(x, min_val), max_val), both with the op's nan_mode (the spec's definition)."""
    assert isinstance(op, tosa.ClampOp)
    t = element(op.input.type)
    x = args[0]
    lo, hi = (full(bound.value.data, x, t) for bound in (op.min_val, op.max_val))
    mode = nan_mode(op)
    return [numerics.minimum(numerics.maximum(x, lo, t, nan=mode), hi, t, nan=mode)]


@implements(tosa.CastOp)
def _cast(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """numerics.cast's defaults are TOSA's: int->int keeps the low bits,
    float->int rounds to nearest even and saturates, into floats rounds to
    nearest even; into i1 is `!= 0`."""
    src, dst = element(op.operands[0].type), element(op.results[0].type)
    x = args[0]
    if dst == "i1":
        return [numerics.compare(x, full(0, x, src), "ne", src)]
    return [numerics.cast(x, src, dst)]


@implements(tosa.RescaleOp)
def _rescale(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The spec's apply_scale_32/16 on (x - input_zp), plus output_zp, saturated;
    all in i64. per_channel takes multiplier and shift along the last axis."""
    assert isinstance(op, tosa.RescaleOp)
    src, dst = element(op.input.type), element(op.output.type)
    x, multiplier, shift, input_zp, output_zp = args
    mode = op.rounding_mode.data
    if mode == stock_tosa.RoundingMode.INEXACT_ROUND:
        raise UnsupportedOpError("rounding_mode INEXACT_ROUND is not implemented")
    multipliers = multiplier.astype(np.int64).reshape(-1)
    shifts = shift.astype(np.int64).reshape(-1)
    if multipliers.min() < 0 or shifts.min() < 2 or shifts.max() > 62:
        raise ExecutionError(
            f"needs multiplier >= 0 and 2 <= shift <= 62, got {multipliers.tolist()} and {shifts.tolist()}"
        )
    if op.input_unsigned.value.data and not src.startswith("ui"):
        value = numerics.cast(as_unsigned(x, src), unsigned(src), "i64")
        zp_in = numerics.cast(as_unsigned(input_zp, src), unsigned(src), "i64")
    else:
        value, zp_in = numerics.cast(x, src, "i64"), numerics.cast(input_zp, src, "i64")
    value = numerics.sub(
        value, np.broadcast_to(zp_in.reshape(-1)[0], value.shape), "i64"
    )
    m = np.broadcast_to(numerics.as_carrier(multipliers, "i64"), value.shape)
    s = np.broadcast_to(numerics.as_carrier(shifts, "i64"), value.shape)
    one = full(1, value, "i64")
    rounding = numerics.shl(one, numerics.sub(s, one, "i64"), "i64")
    if mode == stock_tosa.RoundingMode.DOUBLE_ROUND:
        nudge = numerics.select(
            numerics.compare(value, full(0, value, "i64"), "ge", "i64"),
            full(1 << 30, value, "i64"),
            full(-(1 << 30), value, "i64"),
        )
        long_shift = numerics.compare(s, full(31, value, "i64"), "gt", "i64")
        rounding = numerics.add(
            rounding, numerics.select(long_shift, nudge, full(0, value, "i64")), "i64"
        )
    scaled = numerics.shr_arith(
        numerics.add(numerics.mul(value, m, "i64"), rounding, "i64"), s, "i64"
    )
    zp_out = (
        numerics.cast(output_zp, dst, "i64")
        if not op.output_unsigned.value.data
        else numerics.cast(as_unsigned(output_zp, dst), unsigned(dst), "i64")
    )
    result = numerics.add(
        scaled, np.broadcast_to(zp_out.reshape(-1)[0], scaled.shape), "i64"
    )
    return [saturate_i64(result, dst, as_unsigned_type=op.output_unsigned.value.data)]


@implements(tosa.TableOp)
def _table(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """i8: table[x + 128]. i16: index = (x + 32768) >> 7, fraction = the low 7
    bits; (table[index] << 7) + (table[index + 1] - table[index]) * fraction in i32."""
    x, table = args
    position = x.astype(np.int64) - int(np.iinfo(x.dtype).min)
    if element(op.operands[0].type) == "i8":
        return [table[position]]
    index, fraction = position >> 7, position & 0x7F
    base, step = (numerics.cast(table[i], "i16", "i32") for i in (index, index + 1))
    seven = full(7, base, "i32")
    slope = numerics.mul(
        numerics.sub(step, base, "i32"), numerics.as_carrier(fraction, "i32"), "i32"
    )
    return [numerics.add(numerics.shl(base, seven, "i32"), slope, "i32")]


# --------------------------------------------------------------------------- #
# Reductions
# --------------------------------------------------------------------------- #

REDUCTIONS: dict[type[Operation], str] = {
    tosa.ReduceSumOp: "sum",
    tosa.ReduceProductOp: "product",
    tosa.ReduceMaxOp: "max",
    tosa.ReduceMinOp: "min",
    tosa.ReduceAllOp: "all",
    tosa.ReduceAnyOp: "any",
}


@implements(*REDUCTIONS)
def _reduce(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tosa.ReductionOperation)
    _, t = result_type(op)
    axis = op.axis.value.data
    nan = {"nan": nan_mode(op)} if "nan_mode" in op.properties else {}
    split = k_split_of(op)
    reduced = (
        numerics.reduce(
            args[0], axis, REDUCTIONS[type(op)], t, lanes=interp.chip.lanes, **nan
        )
        if split is None
        else numerics.reduce_split(
            args[0],
            axis,
            REDUCTIONS[type(op)],
            t,
            bounds=split[0],
            order=split[1],
            **nan,
        )
    )
    return [np.expand_dims(reduced, axis)]


@implements(tosa.ArgMaxOp)
def _argmax(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tosa.ArgMaxOp)
    _, out_t = result_type(op)
    index = numerics.argmax(
        args[0], op.axis.value.data, element(op.input.type), nan=nan_mode(op)
    )
    return [numerics.cast(index, "i64", out_t)]


# --------------------------------------------------------------------------- #
# Matmul and pooling
# --------------------------------------------------------------------------- #


@implements(tosa.MatMulOp)
def _matmul(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tosa.MatMulOp)
    a, b, a_zp, b_zp = args
    in_t = element(op.a.type)
    _, out_t = result_type(op)
    split = k_split_of(op)
    product = (
        numerics.matmul(a, b, in_t, out_t, k_block=interp.k_block(in_t))
        if split is None
        else numerics.matmul_split(
            a,
            b,
            in_t,
            out_t,
            k_block=interp.k_block(in_t),
            bounds=split[0],
            order=split[1],
        )
    )
    za, zb = int(scalar(a_zp)), int(scalar(b_zp))
    if za == 0 and zb == 0:
        return [product]
    row_sums = numerics.reduce(
        numerics.cast(a, in_t, out_t), 2, "sum", out_t, lanes=interp.chip.lanes
    )[:, :, None]
    column_sums = numerics.reduce(
        numerics.cast(b, in_t, out_t), 1, "sum", out_t, lanes=interp.chip.lanes
    )[:, None, :]
    correction = numerics.add(
        numerics.mul(row_sums, full(zb, row_sums, out_t), out_t),
        numerics.mul(column_sums, full(za, column_sums, out_t), out_t),
        out_t,
    )
    constant_term = full(a.shape[2] * za * zb, product, out_t)
    return [
        numerics.add(numerics.sub(product, correction, out_t), constant_term, out_t)
    ]


@implements(tosa.MaxPool2dOp)
def _max_pool2d(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The maximum over each window: a fold of numerics.maximum over the kernel
    positions (exact in any order); padding holds the type's lowest value."""
    assert isinstance(op, tosa.MaxPool2dOp)
    t = element(op.input.type)
    (ky, kx), (sy, sx), (top, bottom, left, right) = (
        op.kernel.get_values(),
        op.stride.get_values(),
        op.pad.get_values(),
    )
    shape, _ = result_type(op)
    lowest = -np.inf if numerics.is_float(t) else int_range(t)[0]
    padded = np.pad(
        args[0], ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=lowest
    )
    oh, ow = shape[1], shape[2]
    windows = [
        padded[:, y : y + sy * oh : sy, x : x + sx * ow : sx, :]
        for y in range(ky)
        for x in range(kx)
    ]
    return [
        reduce(lambda acc, w: numerics.maximum(acc, w, t, nan=nan_mode(op)), windows)
    ]


# --------------------------------------------------------------------------- #
# Data movement and constants
# --------------------------------------------------------------------------- #


def shape_values(x: np.ndarray) -> list[int]:
    """The indices held by a !tosa.shape value."""
    return [int(v) for v in x.reshape(-1)]


@implements(tosa.TransposeOp)
def _transpose(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tosa.TransposeOp)
    return [np.array(np.transpose(args[0], op.perms.get_values()), order="C")]


@implements(tosa.ReshapeOp)
def _reshape(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [reshaped(args[0], result_type(op)[0], op)]


@implements(tosa.SliceOp)
def _slice(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    x, start, size = args
    bounds = list(zip(shape_values(start), shape_values(size), strict=True))
    if any(s < 0 or s + n > d for (s, n), d in zip(bounds, x.shape, strict=True)):
        raise ExecutionError(
            f"slice start {shape_values(start)} size {shape_values(size)} is out of bounds of {list(x.shape)}"
        )
    return [np.array(x[tuple(slice(s, s + n) for s, n in bounds)], order="C")]


@implements(tosa.ConcatOp)
def _concat(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tosa.ConcatOp)
    return [np.concatenate(args, axis=op.axis.value.data)]


@implements(tosa.PadOp)
def _pad(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    x, padding, pad_const = args
    p = shape_values(padding)
    return [
        np.pad(
            x,
            list(zip(p[::2], p[1::2], strict=True)),
            constant_values=pad_const.reshape(-1)[0],
        )
    ]


@implements(tosa.TileOp)
def _tile(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    return [np.tile(args[0], shape_values(args[1]))]


@implements(tosa.ReverseOp)
def _reverse(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tosa.ReverseOp)
    return [np.array(np.flip(args[0], op.axis.value.data), order="C")]


@implements(tosa.GatherOp)
def _gather(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    values, indices = args
    k = values.shape[1]
    if indices.size and (indices.min() < 0 or indices.max() >= k):
        raise ExecutionError(
            f"an index is outside 0..{k - 1}: {indices.min()} .. {indices.max()}"
        )
    return [np.take_along_axis(values, indices.astype(np.int64)[:, :, None], axis=1)]


@implements(tosa.ConstOp, tosa.ConstShapeOp)
def _const(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tosa.ConstOp | tosa.ConstShapeOp)
    if isinstance(op, tosa.ConstShapeOp):
        return [np.asarray(op.values.get_values(), np.int64)]
    return [constant(op.values.get_values(), op.output.type)]  # pyright: ignore[reportArgumentType]


@implements(tosa.CondIfOp)
def _cond_if(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tosa.CondIfOp)
    region = op.then_graph if bool(scalar(args[0])) else op.else_graph
    inputs = args[1:] if region.block.args else ()
    return interp.run_block(region.block, inputs)


@implements(tosa.WhileLoopOp)
def _while_loop(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The body while the condition graph yields true (as long as it takes:
    a loop that never ends does not end here either)."""
    assert isinstance(op, tosa.WhileLoopOp)
    values = list(args)
    while bool(scalar(interp.run_block(op.cond_graph.block, values)[0])):
        values = interp.run_block(op.body_graph.block, values)
    return values


# --------------------------------------------------------------------------- #
# Convolutions and average pooling: on the MXM
# --------------------------------------------------------------------------- #


def conv_accumulator(op: Operation, in_t: str) -> str:
    """The accumulator: the op's acc_type (f16 accumulates in f32 on the MXM
    and is rounded once at the end), i32 or i48 (as i64) for integers."""
    acc = element(op.properties["acc_type"])
    if numerics.is_float(in_t):
        return "f32"
    return "i64" if numerics.bitwidth(acc) > 32 else "i32"


def windows(
    x: np.ndarray,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    out: tuple[int, ...],
) -> np.ndarray:
    """x [N, *spatial, C] at every window: [N, *out, *kernel, C]."""
    n, c = x.shape[0], x.shape[-1]
    result = np.zeros((n, *out, *kernel, c), x.dtype)
    for at in np.ndindex(*kernel):
        index = tuple(
            slice(k * d, k * d + s * o, s)
            for k, d, s, o in zip(at, dilation, stride, out, strict=True)
        )
        result[(slice(None),) * (1 + len(out)) + at] = x[(slice(None), *index)]
    return result


def convolve(
    interp: Interpreter,
    op: Operation,
    args: Args,
    *,
    stride: tuple[int, ...],
    pad: list[int],
    dilation: tuple[int, ...],
    groups: bool = False,
) -> np.ndarray:
    """input * weight ([OC, *kernel, IC], or [*kernel, C, M] when `groups`
    for depthwise) + bias, as one numerics.matmul per group: K runs over
    (*kernel, IC) in row-major order; zero points subtracted first (exact in
    the integer accumulator)."""
    x, weight, bias, input_zp, weight_zp = args
    in_t = element(op.operands[0].type)
    w_t = element(op.operands[1].type)
    out_shape, out_t = result_type(op)
    acc = conv_accumulator(op, in_t)
    spatial = len(pad) // 2
    padded = np.pad(
        x,
        [(0, 0), *zip(pad[::2], pad[1::2], strict=True), (0, 0)],
        constant_values=scalar(input_zp),
    )
    if numerics.is_float(in_t):
        mul_t, lhs_src, rhs = in_t, padded, weight
    else:
        mul_t = acc
        lhs_src = numerics.sub(
            numerics.cast(padded, in_t, acc), full(scalar(input_zp), padded, acc), acc
        )
        rhs = numerics.sub(
            numerics.cast(weight, w_t, acc), full(scalar(weight_zp), weight, acc), acc
        )
    kernel = weight.shape[:spatial] if groups else weight.shape[1 : 1 + spatial]
    out = tuple(out_shape[1 : 1 + spatial])
    win = windows(lhs_src, kernel, stride, dilation, out)
    rows = win.shape[0] * math.prod(out)
    k = math.prod(kernel)
    if groups:
        c, m = weight.shape[-2:]
        lhs = np.moveaxis(win.reshape(rows, k, c), -1, 0)  # [C, rows, K]
        product = numerics.matmul(
            lhs,
            np.moveaxis(rhs.reshape(k, c, m), 1, 0),  # [C, K, M]
            mul_t,
            acc,
            k_block=interp.k_block(mul_t),
        )
        product = np.moveaxis(product, 0, 1).reshape(rows, c * m)
    else:
        oc = weight.shape[0]
        product = numerics.matmul(
            win.reshape(rows, k * weight.shape[-1]),
            rhs.reshape(oc, -1).T,
            mul_t,
            acc,
            k_block=interp.k_block(mul_t),
        )
    total = numerics.add(
        product,
        np.broadcast_to(
            numerics.cast(bias, element(op.operands[2].type), acc), product.shape
        ),
        acc,
    )
    return numerics.cast(total, acc, out_t).reshape(out_shape)


@implements(tosa.Conv2DOp, tosa.Conv3DOp, tosa.DepthwiseConv2DOp)
def _conv(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, tosa.Conv2DOp | tosa.Conv3DOp | tosa.DepthwiseConv2DOp)
    return [
        convolve(
            interp,
            op,
            args,
            stride=tuple(op.stride.get_values()),
            pad=list(op.pad.get_values()),
            dilation=tuple(op.dilation.get_values()),
            groups=isinstance(op, tosa.DepthwiseConv2DOp),
        )
    ]


@implements(tosa.TransposeConv2DOp)
def _transpose_conv(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The stride-1 conv2d of the input with stride - 1 zeros (the input
    zero point) between its rows and columns, padded by kernel - 1 + out_pad,
    with the weights flipped in both spatial axes."""
    assert isinstance(op, tosa.TransposeConv2DOp)
    x, weight, bias, input_zp, weight_zp = args
    sy, sx = op.stride.get_values()
    top, bottom, left, right = op.out_pad.get_values()
    _, kh, kw, _ = weight.shape
    n, h, w, c = x.shape
    stuffed = np.full(
        (n, (h - 1) * sy + 1, (w - 1) * sx + 1, c), scalar(input_zp), x.dtype
    )
    stuffed[:, ::sy, ::sx, :] = x
    flipped = np.array(weight[:, ::-1, ::-1, :])
    return [
        convolve(
            interp,
            op,
            (stuffed, flipped, bias, input_zp, weight_zp),
            stride=(1, 1),
            pad=[kh - 1 + top, kh - 1 + bottom, kw - 1 + left, kw - 1 + right],
            dilation=(1, 1),
        )
    ]


def reciprocal_scale(count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TOSA's reciprocal_scale: k = bits of count - 1, multiplier =
    ((2**30 + 1) << k) // count, shift = 30 + k (int64)."""
    c = count.astype(np.int64)
    k = np.zeros_like(c)
    for bit in range(63):
        k += ((c - 1) >> bit) > 0
    return (((1 << 30) + 1) << k) // c, 30 + k


@implements(tosa.AvgPool2dOp)
def _avg_pool2d(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """The window's sum in index order over the valid (unpadded) elements,
    then divided by their count: floats in the acc_type (f32) and rounded
    to the output type; integers of (x - input_zp) in i32, scaled by the
    spec's reciprocal_scale(count) with apply_scale_32, plus output_zp,
    saturated."""
    assert isinstance(op, tosa.AvgPool2dOp)
    x, input_zp, output_zp = args
    in_t = element(op.input.type)
    shape, out_t = result_type(op)
    (ky, kx), (sy, sx), (top, bottom, left, right) = (
        op.kernel.get_values(),
        op.stride.get_values(),
        op.pad.get_values(),
    )
    float_acc = numerics.is_float(in_t)
    acc_t = "f32" if float_acc else "i32"
    value = numerics.cast(x, in_t, acc_t)
    if not float_acc:
        value = numerics.sub(value, full(scalar(input_zp), value, acc_t), acc_t)
    pads = ((0, 0), (top, bottom), (left, right), (0, 0))
    padded = np.pad(value, pads)
    valid = np.pad(np.ones(x.shape[1:3], np.int64), pads[1:3])
    oh, ow = shape[1], shape[2]
    total = None
    count = np.zeros((oh, ow), np.int64)
    for y in range(ky):
        for xx in range(kx):
            window = padded[:, y : y + sy * oh : sy, xx : xx + sx * ow : sx, :]
            total = window if total is None else numerics.add(total, window, acc_t)
            count += valid[y : y + sy * oh : sy, xx : xx + sx * ow : sx]
    assert total is not None
    if count.min() < 1:
        raise ExecutionError("a window covers padding only")
    counts = count[None, :, :, None]
    if float_acc:
        mean = numerics.div(
            total,
            numerics.cast(np.broadcast_to(counts, total.shape), "i64", acc_t),
            acc_t,
        )
        return [numerics.cast(mean, acc_t, out_t)]
    multiplier, shift = reciprocal_scale(np.broadcast_to(counts, total.shape))
    wide = numerics.cast(total, acc_t, "i64")
    one = full(1, wide, "i64")
    rounding = numerics.shl(one, numerics.sub(shift, one, "i64"), "i64")
    scaled = numerics.shr_arith(
        numerics.add(numerics.mul(wide, multiplier, "i64"), rounding, "i64"),
        shift,
        "i64",
    )
    zp = full(scalar(output_zp), scaled, "i64")
    return [saturate_i64(numerics.add(scaled, zp, "i64"), out_t)]


@implements(tosa.ScatterOp)
def _scatter(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """values_in with row indices[n, w] of each batch n replaced by
    input[n, w]; an index out of range or written twice is an error (TOSA's
    REQUIRE)."""
    values, indices, updates = args
    k = values.shape[1]
    idx = indices.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= k):
        raise ExecutionError(
            f"an index is outside 0..{k - 1}: {idx.min()} .. {idx.max()}"
        )
    for n, row in enumerate(idx):
        if len(set(row.tolist())) != len(row):
            raise ExecutionError(
                f"batch {n} writes one row twice: indices {row.tolist()}"
            )
    result = np.array(values, copy=True)
    np.put_along_axis(result, idx[:, :, None], updates, axis=1)
    return [result]
