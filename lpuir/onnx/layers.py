"""ONNX ops that are whole layers, composed of TOSA ops: Softmax and
LogSoftmax, LayerNormalization and RMSNormalization, RotaryEmbedding,
Attention, Einsum (its matmul-like forms), QuantizeLinear and
DequantizeLinear. Each follows the ONNX reference implementation's order of
operations (onnx.reference.ops), so the roundings happen where ONNX's own
oracle has them.
"""

from __future__ import annotations

import re
from math import prod

import numpy as np
from xdsl.ir import SSAValue

from lpuir import numerics
from lpuir.dialects import tosa
from lpuir.onnx.importer import (
    ELEMENT_TYPES,
    NodeContext,
    Value,
    converts,
    type_name,
)
from lpuir.onnx.ops import (
    gather,
    matmul,
    saturate_cast,
    take,
    truncate_cast,
    type_range,
)
from lpuir.tensor_builder import (
    TensorBuilder,
    element_of,
    is_float,
    normalize_axis,
    shape_of,
)

# ------------------------------------------------------------------- softmax


def softmax_terms(
    b: TensorBuilder, x: SSAValue, axis: int
) -> tuple[SSAValue, SSAValue, SSAValue]:
    """x - max(x), exp of it, and the sum of that along `axis`."""
    shifted = b.sub(x, b.reduce(tosa.ReduceMaxOp, x, axis))
    exp = b.unary(tosa.ExpOp, shifted)
    return shifted, exp, b.reduce(tosa.ReduceSumOp, exp, axis)


@converts("Softmax", "LogSoftmax")
def _softmax(ctx: NodeContext) -> list[Value]:
    """exp(x - max) / sum, or (x - max) - log(sum), along `axis`."""
    b, x = ctx.b, ctx.input(0)
    axis = normalize_axis(ctx.int_attr("axis", -1), len(shape_of(x)))
    shifted, exp, total = softmax_terms(b, x, axis)
    if ctx.node.op_type == "Softmax":
        return [b.div(exp, total)]
    return [b.sub(shifted, b.unary(tosa.LogOp, total))]


# ------------------------------------------------------------- normalisation


def stash_element(ctx: NodeContext) -> str:
    """The element type statistics are computed in (`stash_type`, f32 by default)."""
    stash = ctx.int_attr("stash_type", 1)
    if stash not in ELEMENT_TYPES:
        raise ctx.error(f"stash_type {stash} is not supported")
    return ELEMENT_TYPES[stash]


def mean_over(b: TensorBuilder, flat: SSAValue) -> SSAValue:
    """The mean of the last axis (kept, size 1)."""
    count = shape_of(flat)[-1]
    total = b.reduce(tosa.ReduceSumOp, flat, -1)
    return b.div(total, b.scalar(count, element_of(flat)))


@converts("LayerNormalization")
def _layer_norm(ctx: NodeContext) -> list[Value]:
    """Over the axes from `axis` on (merged into one): d = x - mean,
    inv = rsqrt(mean(d^2) + eps), y = d * inv * scale + bias; the mean and
    inv are the optional outputs, in the stash type."""
    b, x = ctx.b, ctx.input(0)
    shape = shape_of(x)
    axis = normalize_axis(ctx.int_attr("axis", -1), len(shape))
    stash = stash_element(ctx)
    flat = b.reshape(b.cast(x, stash), (*shape[:axis], prod(shape[axis:])))
    mean = mean_over(b, flat)
    d = b.sub(flat, mean)
    var = mean_over(b, b.mul(d, d))
    eps = b.scalar(ctx.float_attr("epsilon", 1e-5), stash)
    inv = b.unary(tosa.RsqrtOp, b.add(var, eps))
    y = b.cast(b.reshape(b.mul(d, inv), shape), element_of(x))
    y = b.mul(y, ctx.input(1))
    if ctx.has(2):
        y = b.add(y, ctx.input(2))
    stats = (*shape[:axis], *([1] * (len(shape) - axis)))
    return [y, b.reshape(mean, stats), b.reshape(inv, stats)]


@converts("RMSNormalization")
def _rms_norm(ctx: NodeContext) -> list[Value]:
    """x * rsqrt(mean(x^2) + eps) * scale over the axes from `axis` on."""
    b, x = ctx.b, ctx.input(0)
    shape = shape_of(x)
    axis = normalize_axis(ctx.int_attr("axis", -1), len(shape))
    stash = stash_element(ctx)
    flat = b.reshape(b.cast(x, stash), (*shape[:axis], prod(shape[axis:])))
    eps = b.scalar(ctx.float_attr("epsilon", 1e-5), stash)
    inv = b.unary(tosa.RsqrtOp, b.add(mean_over(b, b.mul(flat, flat)), eps))
    y = b.cast(b.reshape(b.mul(flat, inv), shape), element_of(x))
    return [b.mul(y, ctx.input(1))]


# -------------------------------------------------------------------- rotary


def split_last(
    b: TensorBuilder, x: SSAValue, interleaved: bool
) -> tuple[SSAValue, SSAValue]:
    """The two halves of the last axis, or its even and odd elements."""
    *lead, d = shape_of(x)
    if interleaved:
        pairs = b.reshape(x, (*lead, d // 2, 2))
        halves = [
            b.reshape(
                b.slice(pairs, [0] * len(lead) + [0, i], [*lead, d // 2, 1]),
                (*lead, d // 2),
            )
            for i in (0, 1)
        ]
        return halves[0], halves[1]
    zero = [0] * len(lead)
    return (
        b.slice(x, [*zero, 0], [*lead, d // 2]),
        b.slice(x, [*zero, d // 2], [*lead, d // 2]),
    )


def join_last(
    b: TensorBuilder, x1: SSAValue, x2: SSAValue, interleaved: bool
) -> SSAValue:
    """The inverse of split_last."""
    *lead, h = shape_of(x1)
    if not interleaved:
        return b.concat([x1, x2], -1)
    pairs = b.concat([b.reshape(v, (*lead, h, 1)) for v in (x1, x2)], -1)
    return b.reshape(pairs, (*lead, 2 * h))


@converts("RotaryEmbedding")
def _rotary(ctx: NodeContext) -> list[Value]:
    """On [batch, seq, heads, head] (a 4-D input is transposed there, a 3-D
    one reshaped by num_heads): the first rotary_embedding_dim channels of
    each head rotate by the cached cos/sin (gathered by position_ids when
    given), halves or interleaved pairs as x1 cos - x2 sin, x1 sin + x2 cos."""
    b, x = ctx.b, ctx.input(0)
    shape = shape_of(x)
    if len(shape) == 4:
        x = b.transpose(x, (0, 2, 1, 3))
    else:
        heads = ctx.int_attr("num_heads", 0)
        if not heads:
            raise ctx.error("a 3-D input needs num_heads")
        x = b.reshape(x, (shape[0], shape[1], heads, shape[2] // heads))
    batch, seq, heads, head = shape_of(x)
    rot = ctx.int_attr("rotary_embedding_dim", 0) or head
    interleaved = bool(ctx.int_attr("interleaved", 0))
    caches = []
    for index in (1, 2):
        cache = ctx.input(index)
        if ctx.has(3):
            ids = ctx.known(3)
            cache = gather(b, cache, 0, ids if ids is not None else ctx.input(3))
        caches.append(b.reshape(cache, (batch, seq, 1, rot // 2)))
    cos, sin = caches
    rotated = b.slice(x, [0, 0, 0, 0], [batch, seq, heads, rot])
    x1, x2 = split_last(b, rotated, interleaved)
    real = b.sub(b.mul(cos, x1), b.mul(sin, x2))
    imag = b.add(b.mul(sin, x1), b.mul(cos, x2))
    out = join_last(b, real, imag, interleaved)
    if rot < head:
        rest = b.slice(x, [0, 0, 0, rot], [batch, seq, heads, head - rot])
        out = b.concat([out, rest], -1)
    if len(shape) == 4:
        return [b.transpose(out, (0, 2, 1, 3))]
    return [b.reshape(out, shape)]


# ----------------------------------------------------------------- attention


def heads_4d(
    b: TensorBuilder, x: SSAValue, heads: int | None, ctx: NodeContext
) -> SSAValue:
    """[batch, seq, heads * size] -> [batch, heads, seq, size]; 4-D as it is."""
    shape = shape_of(x)
    if len(shape) == 4:
        return x
    if not heads:
        raise ctx.error("3-D inputs need q_num_heads and kv_num_heads")
    x = b.reshape(x, (shape[0], shape[1], heads, shape[2] // heads))
    return b.transpose(x, (0, 2, 1, 3))


@converts("Attention")
def _attention(ctx: NodeContext) -> list[Value]:
    """Scaled dot-product attention as the reference computes it: Q and K
    each scaled by sqrt(scale), the KV cache concatenated, GQA heads
    repeated, softcap, an additive bias from the mask (booleans select 0 or
    -inf), the causal frontier, the sliding window and the non-padded
    lengths; softmax with fully masked rows as zeros."""
    b = ctx.b
    q_heads = ctx.attr("q_num_heads")
    kv_heads = ctx.attr("kv_num_heads")
    q3 = len(ctx.shape(0)) == 3
    q = heads_4d(b, ctx.input(0), q_heads, ctx)  # type: ignore[arg-type]
    k = heads_4d(b, ctx.input(1), kv_heads, ctx)  # type: ignore[arg-type]
    v = heads_4d(b, ctx.input(2), kv_heads, ctx)  # type: ignore[arg-type]
    element = element_of(q)
    name = type_name(element)
    batch, hq, q_len, size = shape_of(q)
    scale = ctx.attr("scale")
    scale = 1 / np.sqrt(size) if scale is None else float(scale)  # type: ignore[arg-type]
    factor = b.scalar(np.sqrt(scale), element)
    past = ctx.has(4)
    if past:
        k = b.concat([ctx.input(4), k], 2)
        v = b.concat([ctx.input(5), v], 2)
    present_k, present_v = k, v
    kv_len = shape_of(k)[2]
    past_len = shape_of(ctx.input(4))[2] if past else 0
    bias = attention_bias(ctx, batch, q_len, kv_len, past_len, name)
    hk = shape_of(k)[1]
    if hq != hk:
        if hq % hk:
            raise ctx.error(f"{hq} query heads are not a multiple of {hk} KV heads")
        reps = hq // hk
        k, v = (
            b.reshape(
                b.tile(
                    b.reshape(t, (batch, hk, 1, *shape_of(t)[2:])), (1, 1, reps, 1, 1)
                ),
                (batch, hq, *shape_of(t)[2:]),
            )
            for t in (k, v)
        )
    scores = matmul(
        b, b.mul(q, factor), b.transpose(b.mul(k, factor), (0, 1, 3, 2)), ctx
    )
    softcap = ctx.float_attr("softcap", 0.0)
    if softcap > 0:
        cap = b.scalar(softcap, element)
        scores = b.mul(b.unary(tosa.TanhOp, b.div(scores, cap)), cap)
    qk_out = scores
    with_bias = b.add(scores, bias) if bias is not None else scores
    mode = ctx.int_attr("qk_matmul_output_mode", 0)
    if mode == 2:
        qk_out = with_bias
    precision = ctx.attr("softmax_precision")
    soft_element = ELEMENT_TYPES.get(int(precision), name) if precision else name  # type: ignore[arg-type]
    probs = masked_softmax(b, b.cast(with_bias, soft_element), bias)
    if mode == 3:
        qk_out = probs
    probs = b.cast(probs, element)
    y = matmul(b, probs, v, ctx)
    if q3:
        y = b.transpose(y, (0, 2, 1, 3))
        y = b.reshape(y, (batch, q_len, hq * shape_of(y)[3]))
    return [y, present_k, present_v, b.cast(qk_out, element)]


def attention_bias(
    ctx: NodeContext, batch: int, q_len: int, kv_len: int, past_len: int, element: str
) -> SSAValue | None:
    """The additive bias [.., q_len, kv_len] (None: no masking at all)."""
    b = ctx.b
    causal = bool(ctx.int_attr("is_causal", 0))
    left = ctx.int_attr("left_window_size", -1)
    right = ctx.int_attr("right_window_size", -1)
    nonpad = ctx.input(6) if ctx.has(6) else None
    ninf = b.scalar(-np.inf, element)
    zero = b.scalar(0.0, element)
    bias: SSAValue | None = None
    if ctx.has(3):
        mask = ctx.input(3)
        pad = kv_len - shape_of(mask)[-1]
        if pad > 0:
            padding = [(0, 0)] * (len(shape_of(mask)) - 1) + [(0, pad)]
            mask = b.pad(
                mask, padding, 0 if type_name(element_of(mask)) == "i1" else -np.inf
            )
        if type_name(element_of(mask)) == "i1":
            mask = b.select(mask, zero, ninf)
        bias = b.cast(mask, element)
    i = np.arange(q_len)[:, None]
    j = np.arange(kv_len)[None, :]
    if nonpad is not None:
        lengths = b.reshape(b.cast(nonpad, "i64"), (batch, 1, 1, 1))
        offset = b.sub(lengths, b.scalar(q_len, "i64"))
        diff = b.constant(j - i, "i64")  # allowed when j - i <= offset (causal)
        allowed = None
        if causal:
            allowed = b.binary(tosa.GreaterEqualOp, offset, diff)
        if left >= 0:
            fits = b.binary(
                tosa.GreaterEqualOp, b.add(diff, b.scalar(left, "i64")), offset
            )
            allowed = (
                fits if allowed is None else b.binary(tosa.LogicalAndOp, allowed, fits)
            )
        if right >= 0:
            fits = b.binary(
                tosa.GreaterEqualOp, b.add(offset, b.scalar(right, "i64")), diff
            )
            allowed = (
                fits if allowed is None else b.binary(tosa.LogicalAndOp, allowed, fits)
            )
        padding = b.binary(tosa.GreaterOp, lengths, b.constant(j, "i64"))
        allowed = (
            padding
            if allowed is None
            else b.binary(tosa.LogicalAndOp, allowed, padding)
        )
        term = b.select(allowed, zero, ninf)
        return term if bias is None else b.add(bias, term)
    allowed = np.ones((q_len, kv_len), bool)
    if causal:
        allowed &= j <= i + past_len
    if left >= 0:
        allowed &= (i + past_len) - j <= left
    if right >= 0:
        allowed &= j - (i + past_len) <= right
    if allowed.all():
        return bias
    term = b.constant(np.where(allowed, 0.0, -np.inf), element)
    return term if bias is None else b.add(bias, term)


def masked_softmax(b: TensorBuilder, x: SSAValue, bias: SSAValue | None) -> SSAValue:
    """Softmax along the last axis where a row the bias masks entirely is
    zeros (the reference's guard), as is a row whose maximum is -inf."""
    if bias is None:
        _, exp, total = softmax_terms(b, x, -1)
        return b.div(exp, total)
    element = element_of(x)
    ninf = b.scalar(-np.inf, element)
    zero = b.scalar(0.0, element)
    top = b.reduce(tosa.ReduceMaxOp, x, -1)
    top = b.select(b.binary(tosa.EqualOp, top, ninf), zero, top)
    exp = b.unary(tosa.ExpOp, b.sub(x, top))
    total = b.reduce(tosa.ReduceSumOp, exp, -1)
    total = b.select(b.binary(tosa.EqualOp, total, zero), b.scalar(1.0, element), total)
    probs = b.div(exp, total)
    bias_element = element_of(bias)
    masked = b.binary(
        tosa.EqualOp,
        b.reduce(tosa.ReduceMaxOp, bias, -1),
        b.scalar(-np.inf, bias_element),
    )
    return b.select(masked, zero, probs)


# -------------------------------------------------------------------- einsum


def _einsum_terms(
    equation: str, ranks: list[int], ctx: NodeContext
) -> tuple[list[str], str]:
    """The operands' and the output's subscripts, '...' spelled out as
    capital letters (broadcast dimensions)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ctx.error(
            f"equation '{equation}' has {len(terms)} operands, the node {len(ranks)}"
        )
    ellipsis_rank = max(
        (
            rank - len(t.replace("...", ""))
            for t, rank in zip(terms, ranks, strict=True)
            if "..." in t
        ),
        default=0,
    )
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:ellipsis_rank]
    spelled = [
        t.replace("...", letters[ellipsis_rank - (rank - len(t.replace("...", ""))) :])
        for t, rank in zip(terms, ranks, strict=True)
    ]
    for t, rank in zip(spelled, ranks, strict=True):
        if not re.fullmatch(r"[a-zA-Z]*", t) or len(t) != rank:
            raise ctx.error(f"equation '{equation}' does not fit the operands' ranks")
    if arrow:
        out = rhs.replace("...", letters)
    else:
        counts = {c: "".join(spelled).count(c) for c in set("".join(spelled))}
        out = letters + "".join(
            sorted(c for c in counts if counts[c] == 1 and c.islower())
        )
    return spelled, out


@converts("Einsum")
def _einsum(ctx: NodeContext) -> list[Value]:
    """One or two operands without repeated subscripts in an operand:
    dimensions only one operand has and the output lacks are summed first,
    then two operands multiply as [batch, rows, k] x [batch, k, cols]
    (tosa.matmul) and the output is transposed into place."""
    b = ctx.b
    values = ctx.inputs()
    terms, out = _einsum_terms(
        str(ctx.attr("equation")), [len(shape_of(v)) for v in values], ctx
    )
    if len(values) > 2 or any(len(set(t)) != len(t) for t in [*terms, out]):
        raise ctx.error(
            "only Einsum of one or two operands without repeated subscripts (diagonals) is supported"
        )
    sizes: dict[str, int] = {}
    for t, v in zip(terms, values, strict=True):
        for c, d in zip(t, shape_of(v), strict=True):
            sizes[c] = max(sizes.get(c, 1), d)
    reduced = []
    for t, v in zip(terms, values, strict=True):
        others = "".join(o for o in terms if o is not t)
        drop = [i for i, c in enumerate(t) if c not in out and c not in others]
        for axis in reversed(drop):
            v = b.reduce(tosa.ReduceSumOp, v, axis)
        v = b.reshape(v, [d for i, d in enumerate(shape_of(v)) if i not in drop])
        reduced.append((v, "".join(c for i, c in enumerate(t) if i not in drop)))
    if len(reduced) == 1:
        v, t = reduced[0]
        return [b.transpose(v, [t.index(c) for c in out])]
    (x, tx), (y, ty) = reduced
    batch = [c for c in tx if c in ty and c in out]
    contract = [c for c in tx if c in ty and c not in out]
    rows = [c for c in tx if c not in ty]
    cols = [c for c in ty if c not in tx]

    def arrange(v: SSAValue, t: str, order: list[str]) -> SSAValue:
        v = b.transpose(v, [t.index(c) for c in order])
        return b.broadcast_to(v, [sizes[c] for c in order])

    xs = arrange(x, tx, [*batch, *rows, *contract])
    ys = arrange(y, ty, [*batch, *contract, *cols])
    nb = prod(sizes[c] for c in batch)
    nr, nk, nc = (prod(sizes[c] for c in group) for group in (rows, contract, cols))
    product = matmul(b, b.reshape(xs, (nb, nr, nk)), b.reshape(ys, (nb, nk, nc)), ctx)
    order = [*batch, *rows, *cols]
    product = b.reshape(product, [sizes[c] for c in order])
    return [b.transpose(product, [order.index(c) for c in out])]


# -------------------------------------------------------------- quantisation


def per_axis(
    b: TensorBuilder, value: SSAValue, shape: tuple[int, ...], axis: int, block: int
) -> SSAValue:
    """A scale or zero point laid out to broadcast against `shape`: a scalar
    as it is, a vector along `axis`, a blocked tensor repeated `block` times
    along `axis`."""
    vshape = shape_of(value)
    if prod(vshape) == 1:
        return b.reshape(value, (1,) * len(shape))
    axis = normalize_axis(axis, len(shape))
    if not block:
        return b.reshape(
            value, [vshape[0] if i == axis else 1 for i in range(len(shape))]
        )
    return take(b, value, axis, np.arange(shape[axis]) // block)


@converts("QuantizeLinear")
def _quantize(ctx: NodeContext) -> list[Value]:
    """round_half_even(x / scale) in i32 (saturating) + zero point, clamped
    to the output type's range; to a small float: x / scale + zero point,
    converted as a saturating Cast."""
    b, x = ctx.b, ctx.input(0)
    shape = shape_of(x)
    axis = ctx.int_attr("axis", 1)
    block = ctx.int_attr("block_size", 0)
    target = ctx.output_element() or "ui8"
    small_float = target in numerics.MINIFLOATS
    if not small_float and target not in (
        "i8",
        "ui8",
        "i16",
        "ui16",
        "i4",
        "ui4",
        "i2",
        "ui2",
    ):
        raise ctx.error(f"QuantizeLinear to {target} is not supported")
    precision = ctx.int_attr("precision", 0)
    compute = (
        ELEMENT_TYPES.get(precision, type_name(element_of(x)))
        if precision
        else type_name(element_of(x))
    )
    scale = b.cast(per_axis(b, ctx.input(1), shape, axis, block), compute)
    if small_float:
        q = b.div(b.cast(x, compute), scale)
        if ctx.has(2):
            q = b.add(q, b.cast(per_axis(b, ctx.input(2), shape, axis, block), compute))
        if not ctx.int_attr("saturate", 1):
            return [b.cast(q, target)]
        return [saturate_cast(b, q, target)]
    q = b.cast(b.div(b.cast(x, compute), scale), "i32")
    if ctx.has(2):
        q = b.add(q, b.cast(per_axis(b, ctx.input(2), shape, axis, block), "i32"))
    low, high = type_range(target)
    return [b.cast(b.clamp(q, low, high), target)]


@converts("DequantizeLinear")
def _dequantize(ctx: NodeContext) -> list[Value]:
    """(x - zero point) in i32 (exact; in the scale's type for a small float
    x), converted to the scale's type, times the scale."""
    b, x = ctx.b, ctx.input(0)
    shape = shape_of(x)
    axis = ctx.int_attr("axis", 1)
    block = ctx.int_attr("block_size", 0)
    target = ctx.output_element() or type_name(element_of(ctx.input(1)))
    scale = per_axis(b, ctx.input(1), shape, axis, block)
    exact = element_of(scale) if is_float(element_of(x)) else "i32"
    d = b.cast(x, exact)
    if ctx.has(2):
        d = b.sub(d, b.cast(per_axis(b, ctx.input(2), shape, axis, block), exact))
    y = b.mul(b.cast(d, element_of(scale)), scale)
    return [truncate_cast(b, y, target)]
