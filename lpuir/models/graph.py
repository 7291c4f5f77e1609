"""The decoder as tensor-level IR (func + tosa MLIR text): one decode step
(`build_decode_step`), one layer alone (`build_layer`), and timing mode's step
with every weight an argument (`build_timing_step`); how the graph is written
the way the hardware computes it is in `lpuir.models.llama`'s docstring and
docs/llama.md."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from lpuir import numerics
from lpuir.diagnostics import LpuError
from lpuir.models.config import QMAX, LlamaConfig, rope_matrix
from lpuir.models.weights import LayerWeights, LlamaWeights, quantize_rows

# -------------------------------------------------------------------- emitter


def _t(shape: Sequence[int], element: str) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


class _Emitter:
    """MLIR text of one function, one SSA value per line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.counter = 0
        self.types: dict[str, tuple[tuple[int, ...], str]] = {}
        self.consts: dict[tuple[str, tuple[int, ...], bytes], str] = {}

    def fresh(self, hint: str) -> str:
        self.counter += 1
        return f"%{hint}{self.counter}"

    def ty(self, v: str) -> str:
        return _t(*self.types[v])

    def comment(self, text: str) -> None:
        self.lines.append(f"// {text}")

    def define(self, hint: str, shape: Sequence[int], element: str, rhs: str) -> str:
        name = self.fresh(hint)
        self.types[name] = (tuple(shape), element)
        self.lines.append(f"{name} = {rhs}")
        return name

    def const(
        self,
        values: np.ndarray | float,
        shape: Sequence[int],
        element: str,
        hint: str = "c",
    ) -> str:
        """A tosa.const (a splat when `values` is a number), shared by content."""
        shape = tuple(shape)
        if np.ndim(values) == 0:
            if numerics.is_float(element):
                exact = float(numerics.round_float(np.float64(values), element))
                literal = f"{exact:.17e}"
            else:
                literal = str(int(values))
            key_bytes = literal.encode()
        else:
            carrier = numerics.as_carrier(np.asarray(values).reshape(shape), element)
            raw = np.ascontiguousarray(carrier).astype(carrier.dtype.newbyteorder("<"))
            literal = '"0x' + raw.tobytes().hex().upper() + '"'
            key_bytes = raw.tobytes()
        key = (element, shape, key_bytes)
        if key not in self.consts:
            t = _t(shape, element)
            self.consts[key] = self.define(
                hint,
                shape,
                element,
                f'"tosa.const"() <{{values = dense<{literal}> : {t}}}> : () -> {t}',
            )
        return self.consts[key]

    def _shift(self) -> str:
        return self.const(0, (1,), "i8", "shift")

    def binary(self, op: str, a: str, b: str) -> str:
        (sa, ea), (sb, _) = self.types[a], self.types[b]
        shape = tuple(max(x, y) for x, y in zip(sa, sb, strict=True))
        extra = f", {self._shift()}" if op == "mul" else ""
        extra_t = ", tensor<1xi8>" if op == "mul" else ""
        return self.define(
            op[:3],
            shape,
            ea,
            f"tosa.{op} {a}, {b}{extra} : ({self.ty(a)}, {self.ty(b)}{extra_t}) -> {_t(shape, ea)}",
        )

    def add(self, a: str, b: str) -> str:
        return self.binary("add", a, b)

    def sub(self, a: str, b: str) -> str:
        return self.binary("sub", a, b)

    def mul(self, a: str, b: str) -> str:
        return self.binary("mul", a, b)

    def unary(self, op: str, a: str) -> str:
        shape, el = self.types[a]
        return self.define(
            op[:3], shape, el, f"tosa.{op} {a} : ({self.ty(a)}) -> {self.ty(a)}"
        )

    def cast(self, a: str, element: str) -> str:
        shape, el = self.types[a]
        if el == element:
            return a
        return self.define(
            "cast",
            shape,
            element,
            f"tosa.cast {a} : ({self.ty(a)}) -> {_t(shape, element)}",
        )

    def reduce(self, op: str, a: str, axis: int) -> str:
        shape, el = self.types[a]
        out = tuple(1 if i == axis else d for i, d in enumerate(shape))
        return self.define(
            op[7:10],
            out,
            el,
            f"tosa.{op} {a} {{axis = {axis} : i32}} : ({self.ty(a)}) -> {_t(out, el)}",
        )

    def matmul(self, a: str, b: str) -> str:
        (sa, ea), (sb, _) = self.types[a], self.types[b]
        out = (sa[0], sa[1], sb[2])
        acc = "i32" if ea == "i8" else "f32"
        zp = self.const(0, (1,), ea, "zp")
        zt = _t((1,), ea)
        return self.define(
            "mm",
            out,
            acc,
            f"tosa.matmul {a}, {b}, {zp}, {zp} : ({self.ty(a)}, {self.ty(b)}, {zt}, {zt}) -> {_t(out, acc)}",
        )

    def reshape(self, a: str, shape: Sequence[int]) -> str:
        shape = tuple(shape)
        _, el = self.types[a]
        n = len(shape)
        dims = ", ".join(str(d) for d in shape)
        s = self.define(
            "shape",
            (),
            "index",
            f"tosa.const_shape {{values = dense<[{dims}]> : tensor<{n}xindex>}} : () -> !tosa.shape<{n}>",
        )
        return self.define(
            "rs",
            shape,
            el,
            f"tosa.reshape {a}, {s} : ({self.ty(a)}, !tosa.shape<{n}>) -> {_t(shape, el)}",
        )

    def transpose_last(self, a: str) -> str:
        shape, el = self.types[a]
        out = (*shape[:-2], shape[-1], shape[-2])
        perms = ", ".join(
            str(p) for p in [*range(len(shape) - 2), len(shape) - 1, len(shape) - 2]
        )
        return self.define(
            "tr",
            out,
            el,
            f"tosa.transpose {a} {{perms = array<i32: {perms}>}} : ({self.ty(a)}) -> {_t(out, el)}",
        )


# -------------------------------------------------------------------- builder

CACHE_TYPE = "f16"
"""The KV cache holds what the attention matmuls multiply."""


@dataclass
class Signature:
    """The decode step's arguments and results, (name, shape, element)."""

    inputs: list[tuple[str, tuple[int, ...], str]] = field(default_factory=list)
    outputs: list[tuple[str, tuple[int, ...], str]] = field(default_factory=list)


def decode_signature(config: LlamaConfig) -> Signature:
    c, act = config, config.activations
    kv = (c.n_kv_heads, c.context, c.head_dim)
    inputs = [
        ("token", (1, 1, c.vocab), c.weights),
        ("cos", (1, 1, c.head_dim), act),
        ("sin", (1, 1, c.head_dim), act),
        ("mask", (1, 1, c.context), act),
        ("slot", (1, c.context, 1), CACHE_TYPE),
    ]
    outputs = [("logits", (1, 1, c.vocab), "f32")]
    for i in range(c.n_layers):
        inputs += [(f"k{i}", kv, CACHE_TYPE), (f"v{i}", kv, CACHE_TYPE)]
        outputs += [(f"k{i}", kv, CACHE_TYPE), (f"v{i}", kv, CACHE_TYPE)]
    return Signature(inputs, outputs)


class _Decoder:
    """Emits the decoder's pieces into one function's text."""

    def __init__(
        self, config: LlamaConfig, args: Sequence[tuple[str, tuple[int, ...], str]]
    ) -> None:
        self.c = config
        self.e = _Emitter()
        self.args = [f"%{a}: {_t(shape, el)}" for a, shape, el in args]
        for a, shape, el in args:
            self.e.types[f"%{a}"] = (shape, el)
        self.p = rope_matrix(config)
        # (x, out) -> (xq, max|x| / 127): the projections of one activation
        # share its int8 quantization (the same values, one row reduction
        # instead of one per consumer: RoPE's pair, gate and up, the head's chunks)
        self.quantized: dict[tuple[str, str], tuple[str, str]] = {}

    def from_acc(self, v: str) -> str:
        return self.e.cast(v, self.c.activations)

    def project(
        self,
        x: str,
        w: np.ndarray | str,
        hint: str,
        scale: np.ndarray | str | None = None,
        out: str | None = None,
    ) -> str:
        """x [B, M, K] times the weight w [B, K, N] on the MXM, as `out`
        (default: the activation type). f16: x cast to f16, f32 accumulation.
        i8: `w` holds the integers and `scale` [B or 1, 1, N] their f32 scales;
        x is quantized per row, xq = cast_i8(x * (127 / max|x|)), once for all
        its projections (an i8 x is taken as it is), and
        x W = f32(xq wq) * (max|x| / 127) * scale.
        `w` and `scale` may be SSA names (timing mode's weight arguments)."""
        e, wt = self.e, self.c.weights
        out = out or self.c.activations
        if wt == "f16":
            wv = w if isinstance(w, str) else e.const(w, w.shape, "f16", hint)
            mm = e.matmul(e.cast(x, "f16"), wv)
            return e.cast(mm, out)
        if scale is None:
            raise ValueError("int8 weights need their scales")
        one = (1, 1, 1)
        if e.types[x][1] == "i8":
            xq, back = x, None
        elif (x, out) in self.quantized:
            xq, back = self.quantized[x, out]
        else:
            amax = e.reduce("reduce_max", e.unary("abs", x), 2)
            amax = e.binary("maximum", amax, e.const(1e-30, one, out, "tiny"))
            inv = e.mul(e.unary("reciprocal", amax), e.const(QMAX, one, out, "qmax"))
            xq = e.cast(e.mul(x, inv), "i8")
            back = e.mul(amax, e.const(1.0 / QMAX, one, out, "inv_qmax"))
            self.quantized[x, out] = xq, back
        wv = w if isinstance(w, str) else e.const(w, w.shape, "i8", hint)
        acc = e.cast(e.matmul(xq, wv), out)
        if back is not None:
            acc = e.mul(acc, back)
        if isinstance(scale, str):
            return e.mul(acc, scale)
        return e.mul(acc, e.const(scale, scale.shape, out, f"{hint}_scale"))

    def linear(self, x: str, w: np.ndarray, hint: str, out: str | None = None) -> str:
        """x [1, M, in] times a PyTorch Linear weight [out, in]."""
        if self.c.weights == "f16":
            return self.project(x, w.T[None], hint, out=out)
        q, scale = quantize_rows(w)
        return self.project(x, q.T[None], hint, scale.reshape(1, 1, -1), out)

    def head_linear(
        self, x: str, w: np.ndarray, n: int, hint: str, rotate: bool = False
    ) -> str:
        """x [n, 1, dim] (one row per head) times the head slices of a PyTorch
        weight [n*hd, dim]: [n, dim, hd] per head, times P if `rotate`."""
        hd, d = self.c.head_dim, self.c.dim
        p = self.p if rotate else np.eye(hd)
        if self.c.weights == "f16":
            return self.project(x, w.reshape(n, hd, d).transpose(0, 2, 1) @ p, hint)
        q, scale = quantize_rows(w)
        q3 = q.reshape(n, hd, d).transpose(0, 2, 1) @ p
        s3 = scale.reshape(n, 1, hd) @ np.abs(p)
        return self.project(x, q3, hint, s3)

    def rmsnorm(self, x: str, w: np.ndarray | str) -> str:
        e, act, d = self.e, self.c.activations, self.c.dim
        s = e.reduce("reduce_sum", e.mul(x, x), 2)
        mean = e.mul(s, e.const(1.0 / d, (1, 1, 1), act, "inv_dim"))
        r = e.unary(
            "rsqrt", e.add(mean, e.const(self.c.norm_eps, (1, 1, 1), act, "eps"))
        )
        # a same-shape reshape stops the matmul's 160-lane layout wish from
        # reaching x, which x * x also reads at 320 lanes (docs/llama.md)
        wv = (
            w
            if isinstance(w, str)
            else e.const(w.reshape(1, 1, d), (1, 1, d), act, "norm")
        )
        return e.mul(e.mul(e.reshape(x, (1, 1, d)), r), wv)

    def normed(self, x: str, w: np.ndarray | str) -> str:
        """RMSNorm of x, cast to f16 when the weights are (the matmuls' input)."""
        h = self.rmsnorm(x, w)
        return self.e.cast(h, "f16") if self.c.weights == "f16" else h

    def heads(self, h: str) -> tuple[str, str]:
        """h broadcast over the query heads and over the KV heads (after the
        f16 cast: fewer casts)."""
        c, e = self.c, self.e
        element = e.types[h][1]
        return (
            e.mul(h, e.const(1.0, (c.n_heads, 1, c.dim), element, "ones")),
            e.mul(h, e.const(1.0, (c.n_kv_heads, 1, c.dim), element, "ones")),
        )

    def feed_forward(
        self,
        i: int,
        x: str,
        norm: np.ndarray | str,
        project: Callable[[str, str], str],
    ) -> str:
        """x + SwiGLU(RMSNorm(x)); `project(h, "gate" | "up" | "down")` is h
        times that weight."""
        e = self.e
        e.comment(f"layer {i}: feed-forward")
        h = self.normed(x, norm)
        g, u = project(h, "gate"), project(h, "up")
        a = e.mul(e.mul(g, e.unary("sigmoid", g)), u)
        return e.add(x, project(a, "down"))

    def rope(self, h: str, w: np.ndarray, n: int, what: str) -> str:
        """RoPE(h W) = (h W) * cos + (h W P) * sin, per head."""
        x = self.head_linear(h, w, n, f"w{what}")
        xp = self.head_linear(h, w, n, f"w{what}p", rotate=True)
        return self.e.add(self.e.mul(x, "%cos"), self.e.mul(xp, "%sin"))

    def layer(
        self, i: int, w: LayerWeights, x: str, k: str, v: str
    ) -> tuple[str, str, str]:
        """One decoder layer on the residual x [1,1,D] with caches k, v: the
        new residual and the updated caches."""
        c, e, act = self.c, self.e, self.c.activations
        hd, H, KVH, G, D = c.head_dim, c.n_heads, c.n_kv_heads, c.group, c.dim
        e.comment(f"layer {i}: attention")
        hq, hkv = self.heads(self.normed(x, w.attn_norm))
        q = self.rope(hq, w.wq, H, "q")
        kr = self.rope(hkv, w.wk, KVH, "k")
        vr = self.head_linear(hkv, w.wv, KVH, "wv")
        kc = e.add(k, e.mul("%slot", e.cast(kr, CACHE_TYPE)))
        vc = e.add(v, e.mul("%slot", e.cast(vr, CACHE_TYPE)))
        qg = e.cast(e.reshape(q, (KVH, G, hd)), CACHE_TYPE)
        s = self.from_acc(e.matmul(qg, e.transpose_last(kc)))
        scale = e.const(1.0 / math.sqrt(hd), (1, 1, 1), act, "scale")
        s = e.add(e.mul(s, scale), "%mask")
        ex = e.unary("exp", e.sub(s, e.reduce("reduce_max", s, 2)))
        prob = e.mul(ex, e.unary("reciprocal", e.reduce("reduce_sum", ex, 2)))
        o = self.from_acc(e.matmul(e.cast(prob, CACHE_TYPE), vc))
        oh = e.reshape(o, (H, 1, hd))
        if c.weights == "f16":
            proj = self.project(oh, w.wo.T.reshape(H, hd, D), "wo")
        else:
            qo, so = quantize_rows(w.wo)
            proj = self.project(oh, qo.T.reshape(H, hd, D), "wo", so.reshape(1, 1, D))
        x = e.add(x, e.reduce("reduce_sum", proj, 0))
        x = self.feed_forward(
            i,
            x,
            w.ffn_norm,
            lambda h, which: self.linear(h, getattr(w, f"w_{which}"), f"w{which}"),
        )
        return x, kc, vc

    def function(self, name: str, results: Sequence[str], title: str) -> str:
        e = self.e
        rtypes = ", ".join(e.ty(r) for r in results)
        body = "\n  ".join(e.lines)
        return (
            f"// {title} (lpuir.models.llama)\n"
            f"func.func @{name}({', '.join(self.args)}) -> ({rtypes}) {{\n"
            f"  {body}\n"
            f"  return {', '.join(results)} : {rtypes}\n"
            "}\n"
        )


def build_decode_step(
    config: LlamaConfig, weights: LlamaWeights, name: str = "decode_step"
) -> str:
    """MLIR text (func + tosa) of one decode step of the decoder.

    Arguments, in order: `token` [1,1,vocab] (one-hot), `cos`, `sin` [1,1,hd]
    (rope_rows), `mask` [1,1,ctx] (0 up to the position, -inf after), `slot`
    [1,ctx,1] (one-hot of the position), then per layer the caches `k{i}`,
    `v{i}` [KVH,ctx,hd] f16. Results: `logits` [1,1,vocab] f32, then the updated
    caches. `step_inputs` makes the arguments.
    """
    config.check()
    weights.check(config)
    c = config
    b = _Decoder(c, decode_signature(c).inputs)
    e = b.e
    e.comment("token embedding: one-hot row x table")
    if c.weights == "f16":
        x = b.project("%token", weights.embedding[None], "embed")
    else:  # quantized per column: the one-hot matmul's output channel
        q, scale = quantize_rows(weights.embedding.T)
        x = b.project("%token", q.T[None], "embed", scale.reshape(1, 1, -1))
    outputs: list[str] = []
    for i, layer in enumerate(weights.layers):
        x, kc, vc = b.layer(i, layer, x, f"%k{i}", f"%v{i}")
        outputs += [kc, vc]
    e.comment("final norm and LM head")
    logits = b.linear(
        b.normed(x, weights.final_norm), weights.output, "head", out="f32"
    )
    return b.function(name, [logits, *outputs], f"{c.name}: one decode step")


def build_layer(config: LlamaConfig, weights: LlamaWeights, index: int = 0) -> str:
    """MLIR text of decoder layer `index` alone, as build_decode_step emits it:
    @layer{index}(x [1,1,dim], cos, sin, mask, slot, k, v) -> (x, k, v)."""
    config.check()
    weights.check(config)
    if not 0 <= index < config.n_layers:
        raise LpuError(
            f"layer {index} does not exist (the model has {config.n_layers})"
        )
    sig = decode_signature(config)
    kv = sig.inputs[5][1]
    args = [
        ("x", (1, 1, config.dim), config.activations),
        *sig.inputs[1:5],
        ("k", kv, CACHE_TYPE),
        ("v", kv, CACHE_TYPE),
    ]
    b = _Decoder(config, args)
    results = b.layer(index, weights.layers[index], "%x", "%k", "%v")
    return b.function(f"layer{index}", results, f"{config.name}: decoder layer {index}")


# ---------------------------------------------------------------- timing mode

HEAD_CHUNK = 16320
"""Columns of the LM head per matmul in timing mode (51 tiles of 320): one
chunk's weights fit one chip, so a pipeline places the head over several."""


def timing_signature(config: LlamaConfig) -> Signature:
    """Timing mode's arguments and results (name, shape, element), weights
    excluded: the residual `x` [1,1,dim] (the embedding row, looked up by the
    host), `cos`, `sin`, `mask` [1,1,ctx-1] (0 for a filled cache position,
    -inf after), then per layer the transposed K cache `kt{i}` [KVH,hd,ctx-1]
    and the V cache `v{i}` [KVH,ctx-1,hd] of the earlier positions. Results:
    the logits in chunks of HEAD_CHUNK columns, then per layer the step's new
    cache rows `k{i}`, `v{i}` [KVH,1,hd] (appended to the caches in place: one
    vector per KV head, not part of the step)."""
    c, act = config, config.activations
    cached = c.context - 1
    kt, v = (c.n_kv_heads, c.head_dim, cached), (c.n_kv_heads, cached, c.head_dim)
    row = (c.n_kv_heads, 1, c.head_dim)
    inputs = [
        ("x", (1, 1, c.dim), act),
        ("cos", (1, 1, c.head_dim), act),
        ("sin", (1, 1, c.head_dim), act),
        ("mask", (1, 1, cached), act),
    ]
    outputs = [
        (f"logits{j}", (1, 1, min(HEAD_CHUNK, c.vocab - lo)), "f32")
        for j, lo in enumerate(range(0, c.vocab, HEAD_CHUNK))
    ]
    for i in range(c.n_layers):
        inputs += [(f"kt{i}", kt, CACHE_TYPE), (f"v{i}", v, CACHE_TYPE)]
        outputs += [(f"k{i}", row, CACHE_TYPE), (f"v{i}", row, CACHE_TYPE)]
    return Signature(inputs, outputs)


class _TimingDecoder(_Decoder):
    """The decoder with every weight a function argument marked `{lpu.weight}`
    (a resident SRAM tensor without a value) and attention laid out for long
    contexts: the caches hold the earlier positions and the step's own key and
    value are attended separately (one softmax over both), so the step never
    copies a cache: scores = q [KVH,G,hd] x Kt [KVH,hd,ctx-1] (the K cache kept
    transposed, so neither matmul needs a transpose of the cache) beside
    q . k_new, out = p [KVH,G,ctx-1] x V [KVH,ctx-1,hd] + p_new * v_new."""

    def __init__(
        self, config: LlamaConfig, args: Sequence[tuple[str, tuple[int, ...], str]]
    ) -> None:
        super().__init__(config, args)
        self.weight_bytes = 0

    def weight(self, name: str, shape: tuple[int, ...], element: str) -> str:
        """A weight argument `%name` of `shape` (its bytes are counted)."""
        from lpuir.dialects.lpu import element_bytes

        v = f"%{name}"
        self.e.types[v] = (shape, element)
        self.args.append(f"{v}: {_t(shape, element)} {{lpu.weight}}")
        self.weight_bytes += math.prod(shape) * element_bytes(element)
        return v

    def wproject(
        self, x: str, name: str, shape: tuple[int, int, int], out: str | None = None
    ) -> str:
        """x times the weight argument `name` [B, K, N] (and, for i8, its
        scales `name_s` [B, 1, N])."""
        wt, act = self.c.weights, self.c.activations
        w = self.weight(name, shape, wt)
        scale = (
            self.weight(f"{name}_s", (shape[0], 1, shape[2]), act)
            if wt == "i8"
            else None
        )
        return self.project(x, w, name, scale, out)

    def timing_layer(self, i: int, x: str, kt: str, v: str) -> tuple[str, str, str]:
        c, e, act = self.c, self.e, self.c.activations
        hd, H, KVH, G, D, F = (
            c.head_dim,
            c.n_heads,
            c.n_kv_heads,
            c.group,
            c.dim,
            c.ffn_dim,
        )
        e.comment(f"layer {i}: attention")
        hq, hkv = self.heads(
            self.normed(x, self.weight(f"l{i}_attn_norm", (1, 1, D), act))
        )

        def rope(src: str, n: int, what: str) -> str:
            a = self.wproject(src, f"l{i}_w{what}", (n, D, hd))
            b = self.wproject(src, f"l{i}_w{what}p", (n, D, hd))
            return e.add(e.mul(a, "%cos"), e.mul(b, "%sin"))

        q = rope(hq, H, "q")
        knew = e.cast(rope(hkv, KVH, "k"), CACHE_TYPE)  # [KVH, 1, hd]
        vnew = e.cast(self.wproject(hkv, f"l{i}_wv", (KVH, D, hd)), CACHE_TYPE)
        qg = e.cast(e.reshape(q, (KVH, G, hd)), CACHE_TYPE)
        scale = e.const(1.0 / math.sqrt(hd), (1, 1, 1), act, "scale")
        s = self.from_acc(e.matmul(qg, kt))  # [KVH, G, ctx-1]
        s = e.add(e.mul(s, scale), "%mask")
        sn = e.reduce("reduce_sum", e.mul(self.from_acc(qg), self.from_acc(knew)), 2)
        sn = e.mul(sn, scale)  # [KVH, G, 1]
        top = e.binary("maximum", e.reduce("reduce_max", s, 2), sn)
        ex, exn = e.unary("exp", e.sub(s, top)), e.unary("exp", e.sub(sn, top))
        r = e.unary("reciprocal", e.add(e.reduce("reduce_sum", ex, 2), exn))
        o = self.from_acc(e.matmul(e.cast(e.mul(ex, r), CACHE_TYPE), v))
        o = e.add(o, e.mul(e.mul(exn, r), self.from_acc(vnew)))  # [KVH, G, hd]
        oh = e.reshape(o, (H, 1, hd))
        wo = self.weight(f"l{i}_wo", (H, hd, D), c.weights)
        so = self.weight(f"l{i}_wo_s", (1, 1, D), act) if c.weights == "i8" else None
        proj = self.project(oh, wo, "wo", so)
        x = e.add(x, e.reduce("reduce_sum", proj, 0))
        shapes = {"gate": (1, D, F), "up": (1, D, F), "down": (1, F, D)}
        x = self.feed_forward(
            i,
            x,
            self.weight(f"l{i}_ffn_norm", (1, 1, D), act),
            lambda h, which: self.wproject(h, f"l{i}_w{which}", shapes[which]),
        )
        return x, knew, vnew


@dataclass
class TimingStep:
    """Timing mode's decode step: MLIR text, weight bytes, and signature."""

    text: str
    weight_bytes: int
    signature: Signature


def build_timing_step(
    config: LlamaConfig, name: str = "decode_step", layers: int | None = None
) -> TimingStep:
    """One decode step for timing studies: every weight is an argument marked
    `{lpu.weight}` (no weight values exist anywhere), the caches hold the
    earlier positions and are never copied (`_TimingDecoder`,
    `timing_signature`), the embedding row is an input and the LM head is split
    into chunks of HEAD_CHUNK columns. `layers` builds only the first N decoder
    layers (default: all). Any context length works (no transpose of the
    cache)."""
    c = config
    if layers is not None:
        c = LlamaConfig(**{**c.to_dict(), "n_layers": layers})
    sig = timing_signature(c)
    b = _TimingDecoder(c, sig.inputs)
    e = b.e
    x = "%x"
    outputs: list[str] = []
    for i in range(c.n_layers):
        x, kc, vc = b.timing_layer(i, x, f"%kt{i}", f"%v{i}")
        outputs += [kc, vc]
    e.comment("final norm and LM head, in chunks")
    h = b.normed(x, b.weight("final_norm", (1, 1, c.dim), c.activations))
    logits = [
        b.wproject(h, f"head{j}", (1, c.dim, shape[2]), out="f32")
        for j, (_, shape, _) in enumerate(
            sig.outputs[: len(sig.outputs) - 2 * c.n_layers]
        )
    ]
    text = b.function(name, [*logits, *outputs], f"{c.name}: one decode step (timing)")
    return TimingStep(text, b.weight_bytes, sig)
