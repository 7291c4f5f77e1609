"""ONNX ops to TOSA 1.0: elementwise, comparison and logic, casts, matmul,
reductions, and data movement. Each converter takes a `NodeContext` and
returns the node's outputs; the ops of whole layers (normalisation, softmax,
attention, rotary embedding, einsum, quantisation) are in `layers.py`.

Where ONNX and TOSA differ, the conversion says how it bridges them in its
docstring; docs/onnx.md has the table.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import arith, math
from xdsl.ir import SSAValue

from lpuir import numerics
from lpuir.dialects import tosa
from lpuir.onnx.importer import Known, NodeContext, Value, converts, type_name
from lpuir.tensor_builder import (
    TensorBuilder,
    broadcast_shapes,
    element_of,
    is_float,
    normalize_axis,
    shape_of,
)

# --------------------------------------------------------------- elementwise

BINARY: dict[str, type[tosa.ElementwiseBinaryOperation]] = {
    "Add": tosa.AddOp,
    "Sub": tosa.SubOp,
    "BitwiseAnd": tosa.BitwiseAndOp,
    "BitwiseOr": tosa.BitwiseOrOp,
    "BitwiseXor": tosa.BitwiseXorOp,
}

LOGICAL: dict[str, type[tosa.ElementwiseBinaryOperation]] = {
    "And": tosa.LogicalAndOp,
    "Or": tosa.LogicalOrOp,
    "Xor": tosa.LogicalXorOp,
}

UNARY: dict[str, type[tosa.ElementwiseUnaryOperation]] = {
    "Abs": tosa.AbsOp,
    "Exp": tosa.ExpOp,
    "Log": tosa.LogOp,
    "Tanh": tosa.TanhOp,
    "Sigmoid": tosa.SigmoidOp,
    "Erf": tosa.ErfOp,
    "Reciprocal": tosa.ReciprocalOp,
    "Floor": tosa.FloorOp,
    "Ceil": tosa.CeilOp,
    "Sin": tosa.SinOp,
    "Cos": tosa.CosOp,
    "Not": tosa.LogicalNotOp,
    "BitwiseNot": tosa.BitwiseNotOp,
}


@converts(*BINARY, *LOGICAL)
def _binary(ctx: NodeContext) -> list[Value]:
    op = BINARY.get(ctx.node.op_type) or LOGICAL[ctx.node.op_type]
    return [ctx.b.binary(op, ctx.input(0), ctx.input(1))]


@converts("Mul")
def _mul(ctx: NodeContext) -> list[Value]:
    return [ctx.b.mul(ctx.input(0), ctx.input(1))]


@converts("Div")
def _div(ctx: NodeContext) -> list[Value]:
    """Floats: IEEE division (a linalg.generic); integers: toward zero."""
    return [ctx.b.div(ctx.input(0), ctx.input(1))]


@converts("Pow")
def _pow(ctx: NodeContext) -> list[Value]:
    """Float bases only; the exponent is cast to the base's type."""
    base = ctx.input(0)
    if not is_float(element_of(base)):
        raise ctx.error(
            f"Pow of {ctx.element(0)} is not supported (TOSA's pow takes floats)"
        )
    exponent = ctx.b.cast(ctx.input(1), element_of(base))
    return [ctx.b.binary(tosa.PowOp, base, exponent)]


@converts(*UNARY)
def _unary(ctx: NodeContext) -> list[Value]:
    return [ctx.b.unary(UNARY[ctx.node.op_type], ctx.input(0))]


@converts("Neg")
def _neg(ctx: NodeContext) -> list[Value]:
    return [ctx.b.negate(ctx.input(0))]


@converts("Sqrt")
def _sqrt(ctx: NodeContext) -> list[Value]:
    """math.sqrt in a linalg.generic (TOSA has only rsqrt)."""
    return [ctx.b.elementwise(math.SqrtOp, [ctx.input(0)])]


@converts("Identity")
def _identity(ctx: NodeContext) -> list[Value]:
    return [ctx.value(0)]


def type_range(element: str) -> tuple[float, float]:
    """The lowest and highest value of an element type (floats: -inf, inf)."""
    if element == "f64" or numerics.is_float(element):
        return -np.inf, np.inf
    if element == "i1":
        return 0, 1
    width = numerics.bitwidth(element)
    if element.startswith("ui"):
        return 0, 2**width - 1
    return -(2 ** (width - 1)), 2 ** (width - 1) - 1


@converts("Relu")
def _relu(ctx: NodeContext) -> list[Value]:
    x = ctx.input(0)
    return [ctx.b.clamp(x, 0, type_range(ctx.element(0))[1])]


@converts("Gelu")
def _gelu(ctx: NodeContext) -> list[Value]:
    """0.5 x (1 + erf(x / sqrt 2)), or with approximate="tanh"
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    b, x = ctx.b, ctx.input(0)
    element = element_of(x)

    def c(value: float) -> SSAValue:
        return b.scalar(value, element)

    if ctx.attr("approximate", "none") == "tanh":
        cube = b.mul(b.mul(x, x), x)
        inner = b.mul(c(np.sqrt(2 / np.pi)), b.add(x, b.mul(c(0.044715), cube)))
        curve = b.unary(tosa.TanhOp, inner)
    else:
        curve = b.unary(tosa.ErfOp, b.mul(x, c(1 / np.sqrt(2))))
    return [b.mul(b.mul(c(0.5), x), b.add(c(1.0), curve))]


@converts("Sum", "Mean")
def _sum(ctx: NodeContext) -> list[Value]:
    """A chain of adds (Mean divides by the count)."""
    b = ctx.b
    values = ctx.inputs()
    total = values[0]
    for value in values[1:]:
        total = b.add(total, value)
    if ctx.node.op_type == "Mean":
        total = b.div(total, b.scalar(len(values), element_of(total)))
    return [total]


@converts("Mod")
def _mod(ctx: NodeContext) -> list[Value]:
    """Integers: the remainder with the divisor's sign (fmod=0), or the
    dividend's (fmod=1), from arith.remsi / remui in a linalg.generic."""
    b, x, y = ctx.b, ctx.input(0), ctx.input(1)
    element = ctx.element(0)
    if element == "f64" or numerics.is_float(element):
        raise ctx.error(f"Mod of {element} is not supported")
    if element.startswith("ui"):
        return [b.elementwise(arith.RemUIOp, [x, y])]
    rem = b.elementwise(arith.RemSIOp, [x, y])
    if ctx.int_attr("fmod", 0):
        return [rem]
    zero = b.scalar(0, element)
    signs_differ = b.binary(
        tosa.LogicalXorOp,
        b.binary(tosa.GreaterOp, zero, rem),
        b.binary(tosa.GreaterOp, zero, y),
    )
    nonzero = b.unary(tosa.LogicalNotOp, b.binary(tosa.EqualOp, rem, zero))
    fix = b.binary(tosa.LogicalAndOp, signs_differ, nonzero)
    return [b.select(fix, b.add(rem, y), rem)]


@converts("Max", "Min")
def _max_min(ctx: NodeContext) -> list[Value]:
    """A chain of tosa.maximum / minimum (NaN propagates)."""
    op = tosa.MaximumOp if ctx.node.op_type == "Max" else tosa.MinimumOp
    values = ctx.inputs()
    result = values[0]
    for value in values[1:]:
        result = ctx.b.binary(op, result, value)
    return [result]


@converts("Clip")
def _clip(ctx: NodeContext) -> list[Value]:
    """tosa.clamp when the bounds are known (min <= max), else
    minimum(maximum(x, min), max), which gives max where min > max, as ONNX."""
    b, x = ctx.b, ctx.input(0)
    low, high = type_range(ctx.element(0))
    bounds = [ctx.known(i) if ctx.has(i) else None for i in (1, 2)]
    if all(
        k is not None or not ctx.has(i) for k, i in zip(bounds, (1, 2), strict=True)
    ):
        lo = low if bounds[0] is None else bounds[0].array.item()
        hi = high if bounds[1] is None else bounds[1].array.item()
        if lo <= hi or np.isnan(lo) or np.isnan(hi):
            return [b.clamp(x, lo, hi)]
    if ctx.has(1):
        x = b.binary(tosa.MaximumOp, x, ctx.input(1))
    if ctx.has(2):
        x = b.binary(tosa.MinimumOp, x, ctx.input(2))
    return [x]


@converts("Where")
def _where(ctx: NodeContext) -> list[Value]:
    return [ctx.b.select(ctx.input(0), ctx.input(1), ctx.input(2))]


@converts("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual")
def _compare(ctx: NodeContext) -> list[Value]:
    """tosa.equal, greater, greater_equal (Less and LessOrEqual swap their
    operands); booleans compare as not(xor)."""
    b, x, y = ctx.b, ctx.input(0), ctx.input(1)
    kind = ctx.node.op_type
    if ctx.element(0) == "i1":
        if kind != "Equal":
            raise ctx.error(f"{kind} of booleans is not supported")
        return [b.unary(tosa.LogicalNotOp, b.binary(tosa.LogicalXorOp, x, y))]
    if kind == "Equal":
        return [b.binary(tosa.EqualOp, x, y)]
    if kind.startswith("Less"):
        x, y = y, x
    op = tosa.GreaterEqualOp if kind.endswith("OrEqual") else tosa.GreaterOp
    return [b.binary(op, x, y)]


# --------------------------------------------------------------------- casts


def truncate_cast(b: TensorBuilder, x: SSAValue, element: str) -> SSAValue:
    """x converted as ONNX's Cast does: floats to integers toward zero
    (tosa.cast rounds to nearest even, so x is rounded toward zero first),
    anything to booleans as x != 0, otherwise tosa.cast."""
    source = type_name(element_of(x))
    if source == element:
        return x
    if element == "i1":
        zero = b.scalar(0, source)
        return b.unary(tosa.LogicalNotOp, b.binary(tosa.EqualOp, x, zero))
    if is_float(element_of(x)) and not (element == "f64" or numerics.is_float(element)):
        negative = b.binary(tosa.GreaterOp, b.scalar(0, source), x)
        x = b.select(negative, b.unary(tosa.CeilOp, x), b.unary(tosa.FloorOp, x))
    return b.cast(x, element)


def saturate_cast(b: TensorBuilder, x: SSAValue, element: str) -> SSAValue:
    """x converted as ONNX's Cast with `saturate` (its default) does to an 8-,
    6- or 4-bit float: beyond the range (infinities too) becomes the largest
    finite value; NaN stays NaN. Otherwise `truncate_cast`."""
    minifloat = numerics.MINIFLOATS.get(element)
    source = type_name(element_of(x))
    if minifloat is None or not (source == "f64" or numerics.is_float(source)):
        return truncate_cast(b, x, element)
    top = minifloat.largest
    return b.cast(b.clamp(x, -top, top), element)


@converts("Cast", "CastLike")
def _cast(ctx: NodeContext) -> list[Value]:
    target = ctx.output_element()
    if target is None:
        raise ctx.error("the target element type is not supported")
    if target == "f8E8M0FNU" and ctx.attr("round_mode", "up") != "nearest":
        raise ctx.error(
            "Cast to FLOAT8E8M0 with round_mode 'up' is not supported (lpuir's casts round to nearest even)"
        )
    if ctx.int_attr("saturate", 1):
        return [saturate_cast(ctx.b, ctx.input(0), target)]
    return [truncate_cast(ctx.b, ctx.input(0), target)]


# -------------------------------------------------------------------- matmul


def matmul(b: TensorBuilder, x: SSAValue, y: SSAValue, where: NodeContext) -> SSAValue:
    """numpy's matmul (ranks 1 and up, batch dimensions broadcast) as
    tosa.matmul on rank 3: a right-hand side without batch folds the
    left-hand side's batch into its rows; otherwise both are broadcast to the
    batch. f16 and bf16 multiply into f32 (the MXM's accumulator), then
    round once to their type."""
    element = element_of(x)
    name = type_name(element)
    if name not in ("f16", "bf16", "f32"):
        raise where.error(
            f"MatMul of {name} is not supported (tosa.matmul multiplies f16, bf16 and f32; i8 through MatMulInteger)"
        )
    sx, sy = shape_of(x), shape_of(y)
    if len(sx) == 1:
        x = b.reshape(x, (1, sx[0]))
    if len(sy) == 1:
        y = b.reshape(y, (sy[0], 1))
    (*bx, m, k), (*by, k2, n) = shape_of(x), shape_of(y)
    if k != k2:
        raise where.error(f"cannot multiply {list(sx)} by {list(sy)}")
    batch = broadcast_shapes(bx, by)
    count = int(np.prod(batch, dtype=np.int64))
    if int(np.prod(by, dtype=np.int64)) == 1:
        a3 = b.reshape(b.broadcast_to(x, (*batch, m, k)), (1, count * m, k))
        b3 = b.reshape(y, (1, k, n))
    else:
        a3 = b.reshape(b.broadcast_to(x, (*batch, m, k)), (count, m, k))
        b3 = b.reshape(b.broadcast_to(y, (*batch, k, n)), (count, k, n))
    out = b.cast(b.matmul(a3, b3, "f32"), element)
    shape = [*batch, m, n]
    if len(sx) == 1:
        del shape[-2]
    if len(sy) == 1:
        del shape[-1]
    return b.reshape(out, shape)


@converts("MatMul")
def _matmul(ctx: NodeContext) -> list[Value]:
    return [matmul(ctx.b, ctx.input(0), ctx.input(1), ctx)]


@converts("Gemm")
def _gemm(ctx: NodeContext) -> list[Value]:
    """alpha A' B' + beta C."""
    b = ctx.b
    x, y = ctx.input(0), ctx.input(1)
    if ctx.int_attr("transA", 0):
        x = b.transpose(x, (1, 0))
    if ctx.int_attr("transB", 0):
        y = b.transpose(y, (1, 0))
    element = element_of(x)
    out = matmul(b, x, y, ctx)
    alpha, beta = ctx.float_attr("alpha", 1.0), ctx.float_attr("beta", 1.0)
    if alpha != 1.0:
        out = b.mul(out, b.scalar(alpha, element))
    if ctx.has(2):
        c = ctx.input(2)
        if beta != 1.0:
            c = b.mul(c, b.scalar(beta, element))
        out = b.add(out, c)
    return [out]


def to_i8(b: TensorBuilder, x: SSAValue) -> SSAValue:
    """A ui8 tensor shifted into i8 (x - 128), which keeps differences."""
    if type_name(element_of(x)) == "i8":
        return x
    wide = b.cast(x, "i16")
    return b.cast(b.sub(wide, b.scalar(128, "i16")), "i8")


@converts("MatMulInteger")
def _matmul_integer(ctx: NodeContext) -> list[Value]:
    """tosa.matmul i8 x i8 -> i32 with zero points; ui8 operands and their
    zero points are shifted by 128 into i8 (the products of differences do
    not change). Per-row or per-column zero points are not supported."""
    b = ctx.b
    operands = []
    for index, zp_index in ((0, 2), (1, 3)):
        x = ctx.input(index)
        if type_name(element_of(x)) not in ("i8", "ui8"):
            raise ctx.error(f"MatMulInteger of {ctx.element(index)} is not supported")
        if ctx.has(zp_index):
            if int(np.prod(ctx.shape(zp_index))) != 1:
                raise ctx.error(
                    "per-row or per-column zero points are not supported (tosa.matmul takes one per operand)"
                )
            zp = b.reshape(ctx.input(zp_index), (1,))
        else:
            zp = b.zero_point(element_of(x))
        operands.append((to_i8(b, x), to_i8(b, zp)))
    (x, zx), (y, zy) = operands
    sx, sy = shape_of(x), shape_of(y)
    if len(sx) != 2 or len(sy) != 2:
        raise ctx.error("MatMulInteger is supported for 2-D operands")
    out = b.matmul(
        b.reshape(x, (1, *sx)), b.reshape(y, (1, *sy)), "i32", a_zp=zx, b_zp=zy
    )
    return [b.reshape(out, (sx[0], sy[1]))]


# ---------------------------------------------------------------- reductions

REDUCTIONS: dict[str, type[tosa.ReductionOperation]] = {
    "ReduceSum": tosa.ReduceSumOp,
    "ReduceMean": tosa.ReduceSumOp,
    "ReduceMax": tosa.ReduceMaxOp,
    "ReduceMin": tosa.ReduceMinOp,
    "ReduceProd": tosa.ReduceProductOp,
}

IDENTITIES: dict[str, float] = {
    "ReduceSum": 0.0,
    "ReduceMean": np.nan,
    "ReduceMax": -np.inf,
    "ReduceMin": np.inf,
    "ReduceProd": 1.0,
}
"""What a reduction of no elements gives."""


def reduction_axes(ctx: NodeContext, rank: int) -> list[int] | None:
    """The axes (attribute or second input), normalised; None: no reduction."""
    if ctx.has(1):
        axes = [int(a) for a in ctx.constant(1, "axes").reshape(-1)]
    else:
        axes = list(ctx.attr("axes", []))  # type: ignore[arg-type]
    if not axes:
        return None if ctx.int_attr("noop_with_empty_axes", 0) else list(range(rank))
    return sorted({normalize_axis(a, rank) for a in axes})


@converts(*REDUCTIONS)
def _reduce(ctx: NodeContext) -> list[Value]:
    """One TOSA reduction per axis (booleans: any/all for Max/Min); Mean
    divides the sum by the count; keepdims=0 reshapes the axes away."""
    b, x = ctx.b, ctx.input(0)
    kind = ctx.node.op_type
    shape = shape_of(x)
    axes = reduction_axes(ctx, len(shape))
    if axes is None:
        return [x]
    kept = [1 if i in axes else d for i, d in enumerate(shape)]
    element = ctx.element(0)
    if any(shape[a] == 0 for a in axes):
        low, high = type_range(element)
        identity = IDENTITIES[kind]
        identity = {-np.inf: low, np.inf: high}.get(identity, identity)
        out: SSAValue = b.constant(identity, element, kept)
    else:
        op = REDUCTIONS[kind]
        if element == "i1":
            op = {"ReduceMax": tosa.ReduceAnyOp, "ReduceMin": tosa.ReduceAllOp}.get(
                kind, op
            )
        out = x
        for axis in axes:
            out = b.reduce(op, out, axis)
        if kind == "ReduceMean":
            count = int(np.prod([shape[a] for a in axes]))
            out = b.div(out, b.scalar(count, element))
    if not ctx.int_attr("keepdims", 1):
        out = b.reshape(out, [d for i, d in enumerate(shape) if i not in axes])
    return [out]


@converts("ArgMax")
def _argmax(ctx: NodeContext) -> list[Value]:
    """tosa.argmax (the first maximum) into i64; select_last_index is not supported."""
    if ctx.int_attr("select_last_index", 0):
        raise ctx.error("ArgMax with select_last_index=1 is not supported")
    b, x = ctx.b, ctx.input(0)
    shape = shape_of(x)
    axis = normalize_axis(ctx.int_attr("axis", 0), len(shape))
    out = b.argmax(x, axis, "i64")
    if ctx.int_attr("keepdims", 1):
        out = b.reshape(out, [1 if i == axis else d for i, d in enumerate(shape)])
    return [out]


# --------------------------------------------------------------- data layout


@converts("Reshape")
def _reshape(ctx: NodeContext) -> list[Value]:
    """0 copies the input's dimension (unless allowzero), -1 takes the rest."""
    shape = [int(d) for d in ctx.constant(1, "shape").reshape(-1)]
    source = ctx.shape(0)
    if not ctx.int_attr("allowzero", 0):
        shape = [source[i] if d == 0 else d for i, d in enumerate(shape)]
    return [ctx.b.reshape(ctx.input(0), shape)]


@converts("Flatten")
def _flatten(ctx: NodeContext) -> list[Value]:
    shape = ctx.shape(0)
    axis = ctx.int_attr("axis", 1)
    axis = axis + len(shape) if axis < 0 else axis
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    return [
        ctx.b.reshape(ctx.input(0), (outer, int(np.prod(shape[axis:], dtype=np.int64))))
    ]


@converts("Squeeze")
def _squeeze(ctx: NodeContext) -> list[Value]:
    shape = ctx.shape(0)
    if ctx.has(1):
        axes = {
            normalize_axis(int(a), len(shape))
            for a in ctx.constant(1, "axes").reshape(-1)
        }
    else:
        axes = {i for i, d in enumerate(shape) if d == 1}
    return [
        ctx.b.reshape(ctx.input(0), [d for i, d in enumerate(shape) if i not in axes])
    ]


@converts("Unsqueeze")
def _unsqueeze(ctx: NodeContext) -> list[Value]:
    shape = list(ctx.shape(0))
    rank = len(shape) + int(ctx.constant(1, "axes").size)
    axes = sorted(
        normalize_axis(int(a), rank) for a in ctx.constant(1, "axes").reshape(-1)
    )
    for axis in axes:
        shape.insert(axis, 1)
    return [ctx.b.reshape(ctx.input(0), shape)]


@converts("Transpose")
def _transpose(ctx: NodeContext) -> list[Value]:
    rank = len(ctx.shape(0))
    perm = ctx.attr("perm", list(range(rank))[::-1])
    return [ctx.b.transpose(ctx.input(0), [normalize_axis(p, rank) for p in perm])]  # type: ignore[union-attr]


@converts("Concat")
def _concat(ctx: NodeContext) -> list[Value]:
    """Empty inputs are left out (TOSA has no empty tensors)."""
    rank = len(ctx.shape(0))
    axis = normalize_axis(ctx.int_attr("axis", 0), rank)
    values = [
        ctx.input(i)
        for i in range(ctx.input_count)
        if ctx.has(i) and 0 not in ctx.shape(i)
    ]
    return [ctx.b.concat(values, axis)]


@converts("Split")
def _split(ctx: NodeContext) -> list[Value]:
    """tosa.slice per output; sizes from the `split` input, else num_outputs
    (the last part smaller) or the output count."""
    b, x = ctx.b, ctx.input(0)
    shape = shape_of(x)
    axis = normalize_axis(ctx.int_attr("axis", 0), len(shape))
    count = len(ctx.node.output)
    if ctx.has(1):
        sizes = [int(s) for s in ctx.constant(1, "split").reshape(-1)]
    else:
        parts = ctx.int_attr("num_outputs", count)
        step = -(-shape[axis] // parts)
        sizes = [min(step, shape[axis] - i * step) for i in range(parts)]
    if sum(sizes) != shape[axis] or len(sizes) != count:
        raise ctx.error(
            f"split sizes {sizes} do not cover dimension {shape[axis]} in {count} outputs"
        )
    outputs: list[Value] = []
    start = 0
    for size in sizes:
        begin = [start if i == axis else 0 for i in range(len(shape))]
        extent = [size if i == axis else d for i, d in enumerate(shape)]
        outputs.append(b.slice(x, begin, extent))
        start += size
    return outputs


def take(b: TensorBuilder, x: SSAValue, axis: int, indices: np.ndarray) -> SSAValue:
    """x at constant `indices` along `axis` (tosa.gather on [outer, K, inner])."""
    shape = shape_of(x)
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    values = b.reshape(x, (outer, shape[axis], inner))
    table = b.constant(
        np.broadcast_to(indices.reshape(1, -1), (outer, indices.size)), "i32"
    )
    out = b.gather(values, table)
    return b.reshape(out, (*shape[:axis], indices.size, *shape[axis + 1 :]))


@converts("Slice")
def _slice(ctx: NodeContext) -> list[Value]:
    """Bounds clamped as the spec says; unit steps are tosa.slice, step -1
    over a range a slice and tosa.reverse, other steps a gather."""
    b, x = ctx.b, ctx.input(0)
    shape = shape_of(x)
    starts = ctx.constant(1, "starts").reshape(-1)
    ends = ctx.constant(2, "ends").reshape(-1)
    axes = ctx.constant(3, "axes").reshape(-1) if ctx.has(3) else np.arange(len(starts))
    steps = (
        ctx.constant(4, "steps").reshape(-1)
        if ctx.has(4)
        else np.ones(len(starts), np.int64)
    )
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        axis = normalize_axis(int(axis), len(shape))
        indices = np.arange(
            *slice(int(start), int(end), int(step)).indices(shape[axis])
        )
        x = slice_axis(b, x, axis, indices)
    return [x]


def slice_axis(
    b: TensorBuilder, x: SSAValue, axis: int, indices: np.ndarray
) -> SSAValue:
    """x at `indices` along `axis`: a tosa.slice (reversed for step -1) when
    they are consecutive, else a gather."""
    shape = list(shape_of(x))
    steps = np.diff(indices)
    step = int(steps[0]) if steps.size else 1
    if abs(step) != 1 or np.any(steps != step):
        return take(b, x, axis, indices)
    low = int(indices.min()) if indices.size else 0
    start = [low if i == axis else 0 for i in range(len(shape))]
    size = [indices.size if i == axis else d for i, d in enumerate(shape)]
    out = b.slice(x, start, size)
    return b.reverse(out, axis) if step == -1 else out


def gather(
    b: TensorBuilder, x: SSAValue, axis: int, indices: SSAValue | Known
) -> SSAValue:
    """x at `indices` along `axis` (ONNX Gather): tosa.gather on
    [outer, K, inner] with the flattened indices tiled over the outer rows;
    negative indices count from the end."""
    shape = shape_of(x)
    size = shape[axis]
    index_shape = (
        indices.array.shape if isinstance(indices, Known) else shape_of(indices)
    )
    count = int(np.prod(index_shape, dtype=np.int64))
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    if isinstance(indices, Known):
        flat = indices.array.astype(np.int64).reshape(1, -1) % max(size, 1)
        table = b.constant(np.broadcast_to(flat, (outer, count)), "i32")
    else:
        element = element_of(indices)
        wrapped = b.select(
            b.binary(tosa.GreaterOp, b.scalar(0, element), indices),
            b.add(indices, b.scalar(size, element)),
            indices,
        )
        row = b.reshape(b.cast(wrapped, "i32"), (1, count))
        table = b.broadcast_to(row, (outer, count))
    out = b.gather(b.reshape(x, (outer, size, inner)), table)
    return b.reshape(out, (*shape[:axis], *index_shape, *shape[axis + 1 :]))


@converts("Gather")
def _gather(ctx: NodeContext) -> list[Value]:
    x = ctx.input(0)
    shape = shape_of(x)
    axis = normalize_axis(ctx.int_attr("axis", 0), len(shape))
    known = ctx.known(1)
    if (
        known is not None
        and known.array.size
        and (known.array.min() < -shape[axis] or known.array.max() >= shape[axis])
    ):
        raise ctx.error(f"an index is outside -{shape[axis]}..{shape[axis] - 1}")
    return [gather(ctx.b, x, axis, known if known is not None else ctx.input(1))]


@converts("Expand")
def _expand(ctx: NodeContext) -> list[Value]:
    target = [int(d) for d in ctx.constant(1, "shape").reshape(-1)]
    shape = broadcast_shapes(ctx.shape(0), target)
    return [ctx.b.broadcast_to(ctx.input(0), shape)]


@converts("Tile")
def _tile(ctx: NodeContext) -> list[Value]:
    repeats = [int(r) for r in ctx.constant(1, "repeats").reshape(-1)]
    return [ctx.b.tile(ctx.input(0), repeats)]


@converts("Pad")
def _pad(ctx: NodeContext) -> list[Value]:
    """Negative pads crop (tosa.slice); constant mode is tosa.pad, edge,
    reflect and wrap concatenate slices of the input."""
    b, x = ctx.b, ctx.input(0)
    shape = shape_of(x)
    rank = len(shape)
    pads = [int(p) for p in ctx.constant(1, "pads").reshape(-1)]
    axes = (
        [normalize_axis(int(a), rank) for a in ctx.constant(3, "axes").reshape(-1)]
        if ctx.has(3)
        else list(range(rank))
    )
    if len(pads) != 2 * len(axes):
        raise ctx.error(f"{len(pads)} pads for {len(axes)} axes")
    before = dict(zip(axes, pads[: len(axes)], strict=True))
    after = dict(zip(axes, pads[len(axes) :], strict=True))
    for axis in axes:
        lo, hi = min(before[axis], 0), min(after[axis], 0)
        if lo or hi:
            d = shape_of(x)[axis]
            x = slice_axis(b, x, axis, np.arange(-lo, d + hi))
    padding = [(max(before.get(i, 0), 0), max(after.get(i, 0), 0)) for i in range(rank)]
    mode = ctx.attr("mode", "constant")
    if mode == "constant":
        value = ctx.input(2) if ctx.has(2) else 0
        return [b.pad(x, padding, value)]
    for axis, (lo, hi) in enumerate(padding):
        d = shape_of(x)[axis]
        if not (lo or hi):
            continue
        if mode == "edge":
            parts = ([0] * lo, list(range(d)), [d - 1] * hi)
        elif mode == "reflect":
            if lo >= d or hi >= d:
                raise ctx.error(
                    f"reflect padding of {max(lo, hi)} needs a dimension over {max(lo, hi)}, got {d}"
                )
            parts = (
                list(range(lo, 0, -1)),
                list(range(d)),
                list(range(d - 2, d - 2 - hi, -1)),
            )
        elif mode == "wrap":
            parts = (
                [i % d for i in range(-lo, 0)],
                list(range(d)),
                [i % d for i in range(hi)],
            )
        else:
            raise ctx.error(f"Pad mode '{mode}' is not supported")
        x = b.concat([slice_axis(b, x, axis, np.asarray(p)) for p in parts if p], axis)
    return [x]


@converts("Trilu")
def _trilu(ctx: NodeContext) -> list[Value]:
    """select(mask, x, 0) with the triangle as a constant i1 mask."""
    b, x = ctx.b, ctx.input(0)
    *_, rows, cols = shape_of(x)
    k = int(ctx.constant(1, "k").reshape(-1)[0]) if ctx.has(1) else 0
    offset = np.arange(cols)[None, :] - np.arange(rows)[:, None]
    mask = offset >= k if ctx.int_attr("upper", 1) else offset <= k
    zero = b.scalar(0, element_of(x))
    return [b.select(b.constant(mask, "i1"), x, zero)]


# ---------------------------------------------------------- known at import


@converts("Constant")
def _constant(ctx: NodeContext) -> list[Value]:
    for name, element in (
        ("value_float", "f32"),
        ("value_floats", "f32"),
        ("value_int", "i64"),
        ("value_ints", "i64"),
    ):
        value = ctx.attr(name)
        if value is not None:
            return [Known.of(value, element)]
    value = ctx.attr("value")
    if isinstance(value, Known):
        return [value]
    raise ctx.error("only tensor, float and int constants are supported")


@converts("Shape")
def _shape(ctx: NodeContext) -> list[Value]:
    shape = ctx.shape(0)
    rank = len(shape)
    start = ctx.int_attr("start", 0)
    end = ctx.attr("end")
    selected = shape[slice(start, rank if end is None else int(end))]  # type: ignore[arg-type]
    return [Known.of(np.asarray(selected, np.int64), "i64")]


@converts("Size")
def _size(ctx: NodeContext) -> list[Value]:
    return [Known.of(np.int64(np.prod(ctx.shape(0), dtype=np.int64)), "i64")]


@converts("ConstantOfShape")
def _constant_of_shape(ctx: NodeContext) -> list[Value]:
    shape = tuple(int(d) for d in ctx.constant(0, "shape").reshape(-1))
    value = ctx.attr("value")
    known = value if isinstance(value, Known) else Known.of(np.zeros(1), "f32")
    return [Known(np.broadcast_to(known.array.reshape(-1)[0], shape), known.element)]


@converts("Range")
def _range(ctx: NodeContext) -> list[Value]:
    """start + i * delta for i < ceil((limit - start) / delta), computed in
    the inputs' type (constant inputs only: the result's shape depends on them)."""
    start, limit, delta = (
        ctx.constant(i, what).reshape(())
        for i, what in enumerate(("start", "limit", "delta"))
    )
    element = ctx.element(0)
    count = max(int(np.ceil((float(limit) - float(start)) / float(delta))), 0)
    values = start + np.arange(count, dtype=start.dtype) * delta
    return [Known.of(values, element)]
