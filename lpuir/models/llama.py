"""A Llama-3-architecture decoder as tensor-level IR (func + tosa).

`LlamaConfig` holds the hyper-parameters (from a dict or a JSON file),
`LlamaWeights` the weights in PyTorch orientation (`[out, in]`), random from a
seed or loaded by `lpuir.models.checkpoints`. `build_decode_step` emits the MLIR
text of one decode step: token embedding, per layer RMSNorm, rotary position
embedding, grouped-query attention against a KV cache and a SwiGLU
feed-forward, then the final norm and the LM head. `DecodeStep` compiles it once
and runs it on the reference interpreter or the simulator; `generate` decodes
greedily, carrying the KV cache between steps on the host.

The IR uses only ops lpu-compile lowers (docs/compiler.md), so it is written the
way the hardware computes it (docs/llama.md):

- heads are a batch axis from the start: the normed activation [1, 1, dim] times
  a ones tensor [H, 1, dim], then a batched matmul with weights [H, dim, hd];
- RoPE is `x * cos + (x P) * sin` with the pair-swap-and-sign matrix P folded
  into a second weight matrix (Wq P: a signed column permutation, exact), and
  the cos/sin rows of the position as inputs;
- the KV cache is an input [KVH, ctx, hd] per layer (zero beyond the filled
  positions); the new cache `K + slot * k` (slot = one-hot of the position,
  [1, ctx, 1]) is an output the host passes back at the next step;
- the causal mask is an additive input row (0, or -inf past the position);
- GQA reshapes q [H, 1, hd] to [KVH, G, hd] (the last axis is kept);
- the output projection is a batched matmul [H, 1, hd] x [H, hd, dim] summed over
  the heads (in head order);
- the embedding is a one-hot row times the table (an exact matmul).

Matmuls take f16 operands and accumulate in f32 (the MXM); everything else runs
in the `activations` type (f32 or f16).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from lpuir import numerics
from lpuir.diagnostics import LpuError

WEIGHT_TYPES = ("f16", "i8")
"""Element types the weights can be cast to (what the MXM multiplies): f16,
or i8 with a per-output-channel f32 scale (activations are then quantized to
i8 per row at run time, docs/llama.md)."""
QMAX = 127

ACTIVATION_TYPES = ("f32", "f16")
ROPE_STYLES = ("interleaved", "half")
MAX_AXIS = 320
"""The compiler transposes blocks up to 320x320 (the K cache per KV head)."""


# --------------------------------------------------------------------- config


@dataclass(frozen=True)
class LlamaConfig:
    """Hyper-parameters of a Llama-style decoder.

    `rope_style`: "interleaved" rotates pairs (2i, 2i+1) (Meta's and llama2.c's
    layout), "half" rotates (i, i + rope_dims/2) (Hugging Face's rotate_half).
    `rope_dims`: how many of a head's dimensions rotate (default: all).
    `rope_scaling`: None, or Llama 3.1's frequency scaling as a dict with
    `factor`, `low_freq_factor`, `high_freq_factor`,
    `original_max_position_embeddings`.
    `weights`: the type weights are cast to; `activations`: the type of the
    residual stream, norms, RoPE and softmax.
    """

    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    ffn_dim: int
    vocab: int
    context: int
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    rope_style: str = "interleaved"
    rope_dims: int | None = None
    rope_scaling: Mapping[str, float] | None = None
    weights: str = "f16"
    activations: str = "f32"
    tie_embeddings: bool = False
    name: str = "llama"

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    @property
    def group(self) -> int:
        """Query heads per KV head."""
        return self.n_heads // self.n_kv_heads

    @property
    def rotary_dims(self) -> int:
        return self.rope_dims if self.rope_dims is not None else self.head_dim

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "<config>") -> LlamaConfig:
        """A checked config; errors name `source` and the key."""
        if not isinstance(d, Mapping):
            raise LpuError(f"{source}: error: a config is a JSON object")
        known = {f.name: f for f in fields(cls)}
        for key in d:
            if key not in known:
                raise LpuError(
                    f"{source}: error: unknown key '{key}' (known: {', '.join(known)})"
                )
        required = [f.name for f in fields(cls) if f.default is MISSING]
        for key in required:
            if key not in d:
                raise LpuError(f"{source}: error: missing key '{key}'")

        def bad(key: str, why: str) -> LpuError:
            return LpuError(f"{source}: error: key '{key}': {why}")

        values: dict[str, Any] = {}
        for key, value in d.items():
            f = known[key]
            if key in required or key == "rope_dims":
                if value is None and key == "rope_dims":
                    values[key] = None
                    continue
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise bad(key, f"must be a positive integer, not {value!r}")
            elif key in ("norm_eps", "rope_theta"):
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise bad(key, f"must be a number, not {value!r}")
                if value <= 0:
                    raise bad(key, f"must be positive, not {value!r}")
                value = float(value)
            elif key == "tie_embeddings":
                if not isinstance(value, bool):
                    raise bad(key, f"must be true or false, not {value!r}")
            elif key == "rope_scaling":
                if value is not None:
                    want = (
                        "factor",
                        "low_freq_factor",
                        "high_freq_factor",
                        "original_max_position_embeddings",
                    )
                    if not isinstance(value, Mapping) or any(
                        not isinstance(value.get(k), int | float) for k in want
                    ):
                        raise bad(
                            key, f"must be null or an object with {', '.join(want)}"
                        )
                    value = {k: float(value[k]) for k in want}
            else:
                choices = {
                    "rope_style": ROPE_STYLES,
                    "weights": WEIGHT_TYPES,
                    "activations": ACTIVATION_TYPES,
                }.get(key)
                if not isinstance(value, str) or (choices and value not in choices):
                    raise bad(
                        key,
                        f"must be one of {', '.join(choices)}, not {value!r}"
                        if choices
                        else f"must be a string, not {value!r}",
                    )
            values[f.name] = value
        config = cls(**values)
        config.check(source)
        return config

    @classmethod
    def from_json(cls, path: str | Path) -> LlamaConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise LpuError(f"{path}:{e.lineno}:{e.colno}: error: {e.msg}") from None
        return cls.from_dict(data, str(path))

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["rope_scaling"] = dict(self.rope_scaling) if self.rope_scaling else None
        return d

    def check(self, source: str = "<config>") -> None:
        """The shape rules the builder relies on."""

        def bad(key: str, why: str) -> LpuError:
            return LpuError(f"{source}: error: key '{key}': {why}")

        if self.dim % self.n_heads:
            raise bad("n_heads", f"{self.n_heads} does not divide dim {self.dim}")
        if self.n_heads % self.n_kv_heads:
            raise bad(
                "n_kv_heads",
                f"{self.n_kv_heads} does not divide n_heads {self.n_heads}",
            )
        if self.rotary_dims % 2 or self.rotary_dims > self.head_dim:
            raise bad(
                "rope_dims",
                f"{self.rotary_dims} must be even and at most the head dimension {self.head_dim}",
            )
        if self.context > MAX_AXIS or self.head_dim > MAX_AXIS:
            raise bad(
                "context",
                f"context {self.context} and head dimension {self.head_dim} must be at most {MAX_AXIS} (the compiler transposes the K cache per KV head)",
            )


# -------------------------------------------------------------------- weights


@dataclass
class LayerWeights:
    """One decoder layer, PyTorch orientation: Linear weights are [out, in]."""

    attn_norm: np.ndarray  # [dim]
    wq: np.ndarray  # [n_heads * hd, dim]
    wk: np.ndarray  # [n_kv_heads * hd, dim]
    wv: np.ndarray  # [n_kv_heads * hd, dim]
    wo: np.ndarray  # [dim, n_heads * hd]
    ffn_norm: np.ndarray  # [dim]
    w_gate: np.ndarray  # [ffn, dim]
    w_up: np.ndarray  # [ffn, dim]
    w_down: np.ndarray  # [dim, ffn]


@dataclass
class LlamaWeights:
    """All weights as float64 arrays (exact values of the weight type once
    `cast` has run)."""

    embedding: np.ndarray  # [vocab, dim]
    layers: list[LayerWeights]
    final_norm: np.ndarray  # [dim]
    output: np.ndarray  # [vocab, dim]

    def arrays(self) -> list[tuple[str, np.ndarray]]:
        out = [("embedding", self.embedding)]
        for i, layer in enumerate(self.layers):
            out += [
                (f"layers.{i}.{f.name}", getattr(layer, f.name)) for f in fields(layer)
            ]
        return [*out, ("final_norm", self.final_norm), ("output", self.output)]

    def map(self, fn: Callable[[np.ndarray], np.ndarray]) -> LlamaWeights:
        return LlamaWeights(
            fn(self.embedding),
            [
                LayerWeights(
                    **{f.name: fn(getattr(layer, f.name)) for f in fields(layer)}
                )
                for layer in self.layers
            ],
            fn(self.final_norm),
            fn(self.output),
        )

    def cast(self, element: str) -> LlamaWeights:
        """The weights the hardware multiplies, as float64 values: every
        weight rounded to f16 (RNE, numerics.md); for "i8", every matrix
        instead quantized symmetrically per output channel (`quantize_rows`;
        the embedding table per column, its output channel as a one-hot
        matmul) and given back dequantized, q * scale (norm weights: f16)."""
        f16 = self.map(
            lambda a: numerics.round_float(np.asarray(a, np.float64), "f16").astype(
                np.float64
            )
        )
        if element == "f16":
            return f16

        def deq(a: np.ndarray) -> np.ndarray:
            q, scale = quantize_rows(a)
            return q * scale[:, None]

        out = self.map(lambda a: deq(a) if a.ndim == 2 else a)
        out.embedding = deq(self.embedding.T).T
        out.final_norm = f16.final_norm
        for layer, norms in zip(out.layers, f16.layers, strict=True):
            layer.attn_norm, layer.ffn_norm = norms.attn_norm, norms.ffn_norm
        return out

    def check(self, config: LlamaConfig, source: str = "weights") -> None:
        """Shapes against the config; errors name the tensor."""
        d, hd, f, v = config.dim, config.head_dim, config.ffn_dim, config.vocab
        h, kv = config.n_heads * hd, config.n_kv_heads * hd
        want = {
            "embedding": (v, d),
            "final_norm": (d,),
            "output": (v, d),
            "attn_norm": (d,),
            "wq": (h, d),
            "wk": (kv, d),
            "wv": (kv, d),
            "wo": (d, h),
            "ffn_norm": (d,),
            "w_gate": (f, d),
            "w_up": (f, d),
            "w_down": (d, f),
        }
        if len(self.layers) != config.n_layers:
            raise LpuError(
                f"{source}: error: {len(self.layers)} layers, the config says {config.n_layers}"
            )
        for name, a in self.arrays():
            if a.shape != want[name.rsplit(".", 1)[-1]]:
                raise LpuError(
                    f"{source}: error: '{name}' has shape {a.shape}, the config needs {want[name.rsplit('.', 1)[-1]]}"
                )


def quantize_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 quantization per row of [out, in]: scale = max|row| / 127
    rounded to f32 (1 for a zero row), q = rint(w / scale) in [-127, 127].
    Quantizing q * scale again gives q and scale back exactly."""
    w = np.asarray(w, np.float64)
    amax = np.max(np.abs(w), axis=1)
    scale = numerics.round_float(np.where(amax > 0, amax / QMAX, 1.0), "f32").astype(
        np.float64
    )
    return np.clip(np.rint(w / scale[:, None]), -QMAX, QMAX), scale


def random_weights(config: LlamaConfig, seed: int = 0) -> LlamaWeights:
    """Reproducible random weights (normal, scaled by 1/sqrt(fan-in); norm
    weights near 1), cast to the config's weight type."""
    rng = np.random.default_rng(seed)
    d, hd, f = config.dim, config.head_dim, config.ffn_dim

    def lin(out: int, inp: int) -> np.ndarray:
        return rng.standard_normal((out, inp)) / math.sqrt(inp)

    def norm() -> np.ndarray:
        return 1.0 + 0.1 * rng.standard_normal(d)

    layers = [
        LayerWeights(
            attn_norm=norm(),
            wq=lin(config.n_heads * hd, d),
            wk=lin(config.n_kv_heads * hd, d),
            wv=lin(config.n_kv_heads * hd, d),
            wo=lin(d, config.n_heads * hd),
            ffn_norm=norm(),
            w_gate=lin(f, d),
            w_up=lin(f, d),
            w_down=lin(d, f),
        )
        for _ in range(config.n_layers)
    ]
    embedding = rng.standard_normal((config.vocab, d))
    output = embedding if config.tie_embeddings else lin(config.vocab, d)
    w = LlamaWeights(embedding, layers, norm(), output)
    return w.cast(config.weights)


# ----------------------------------------------------------------------- rope


def rope_frequencies(config: LlamaConfig) -> np.ndarray:
    """The rotation frequency of each pair (float64), with Llama 3.1's scaling
    if the config asks for it."""
    rd = config.rotary_dims
    freqs = config.rope_theta ** (-np.arange(0, rd, 2, dtype=np.float64) / rd)
    s = config.rope_scaling
    if s:
        old = s["original_max_position_embeddings"]
        low_wavelen = old / s["low_freq_factor"]
        high_wavelen = old / s["high_freq_factor"]
        wavelen = 2 * math.pi / freqs
        smooth = (old / wavelen - s["low_freq_factor"]) / (
            s["high_freq_factor"] - s["low_freq_factor"]
        )
        mid = (1 - smooth) * freqs / s["factor"] + smooth * freqs
        freqs = np.where(
            wavelen < high_wavelen,
            freqs,
            np.where(wavelen > low_wavelen, freqs / s["factor"], mid),
        )
    return freqs


def rope_pairs(config: LlamaConfig) -> list[tuple[int, int]]:
    """The (first, second) dimension of each rotated pair within a head."""
    rd = config.rotary_dims
    if config.rope_style == "interleaved":
        return [(2 * i, 2 * i + 1) for i in range(rd // 2)]
    return [(i, i + rd // 2) for i in range(rd // 2)]


def rope_rows(config: LlamaConfig, pos: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin rows [hd] of position `pos` in the activation type
    (dimensions that do not rotate get cos 1, sin 0)."""
    hd = config.head_dim
    cos, sin = np.ones(hd), np.zeros(hd)
    for (a, b), f in zip(rope_pairs(config), rope_frequencies(config), strict=True):
        cos[a] = cos[b] = math.cos(pos * f)
        sin[a] = sin[b] = math.sin(pos * f)
    act = config.activations
    return numerics.round_float(cos, act), numerics.round_float(sin, act)


def rope_matrix(config: LlamaConfig) -> np.ndarray:
    """P [hd, hd] with (x P)[a] = -x[b], (x P)[b] = x[a] per rotated pair (a, b),
    so RoPE is x * cos + (x P) * sin."""
    hd = config.head_dim
    p = np.zeros((hd, hd))
    for a, b in rope_pairs(config):
        p[b, a] = -1.0
        p[a, b] = 1.0
    return p


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
        x is quantized per row, xq = cast_i8(x * (127 / max|x|)) (an i8 x is
        taken as it is), and x W = f32(xq wq) * (max|x| / 127) * scale.
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
        else:
            amax = e.reduce("reduce_max", e.unary("abs", x), 2)
            amax = e.binary("maximum", amax, e.const(1e-30, one, out, "tiny"))
            inv = e.mul(e.unary("reciprocal", amax), e.const(QMAX, one, out, "qmax"))
            xq = e.cast(e.mul(x, inv), "i8")
            back = e.mul(amax, e.const(1.0 / QMAX, one, out, "inv_qmax"))
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


# ----------------------------------------------------------------------- host


def empty_cache(config: LlamaConfig) -> list[np.ndarray]:
    """Zero K and V caches, k0, v0, k1, v1, ... in the f16 carrier."""
    shape = (config.n_kv_heads, config.context, config.head_dim)
    carrier = numerics.carrier(CACHE_TYPE)
    return [np.zeros(shape, carrier) for _ in range(2 * config.n_layers)]


def step_inputs(
    config: LlamaConfig, token: int, pos: int, cache: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """The decode step's arguments for `token` at position `pos`."""
    if not 0 <= token < config.vocab:
        raise LpuError(f"token {token} is outside the vocabulary 0..{config.vocab - 1}")
    if not 0 <= pos < config.context:
        raise LpuError(f"position {pos} is outside the context 0..{config.context - 1}")
    act = config.activations
    one_hot = np.zeros((1, 1, config.vocab))
    one_hot[0, 0, token] = 1.0
    cos, sin = rope_rows(config, pos)
    mask = np.where(np.arange(config.context) <= pos, 0.0, -np.inf)
    slot = np.zeros((1, config.context, 1))
    slot[0, pos, 0] = 1.0
    return [
        numerics.as_carrier(one_hot, config.weights),
        cos.reshape(1, 1, -1),
        sin.reshape(1, 1, -1),
        numerics.as_carrier(mask.reshape(1, 1, -1), act),
        numerics.as_carrier(slot, CACHE_TYPE),
        *cache,
    ]


@dataclass
class StepResult:
    logits: np.ndarray  # [vocab] f32
    cache: list[np.ndarray]
    cycles: int | None = None
    static_cycles: int | None = None
    report: dict[str, Any] | None = None
    trace: dict[str, Any] | None = None


class DecodeStep:
    """One decode step's IR, parsed once and compiled once (on first use), run
    on the reference interpreter (`backend="reference"`) or the cycle-level
    simulator (`backend="simulator"`)."""

    def __init__(
        self,
        config: LlamaConfig,
        weights: LlamaWeights,
        *,
        system: str = "tsp-v1",
        strategy: str = "auto",
        filename: str = "llama.mlir",
    ) -> None:
        from lpuir.diagnostics import verify_located
        from lpuir.frontend import parse_source

        self.config = config
        self.system = system
        self.strategy = strategy
        self.filename = filename
        self.text = build_decode_step(config, weights)
        self.source = parse_source(self.text, filename)
        verify_located(self.source)
        self._compiled: Any = None

    @property
    def compiled(self) -> Any:
        """The scheduled LPU program (lpu-compile{system=... strategy=...})."""
        if self._compiled is None:
            from lpuir.context import make_context
            from lpuir.diagnostics import verify_located
            from lpuir.frontend import parse_source
            from lpuir.transforms.compile import CompilePass

            module = parse_source(self.text, self.filename)
            CompilePass(system=self.system, strategy=self.strategy).apply(
                make_context(), module
            )
            verify_located(module)
            self._compiled = module
        return self._compiled

    def run(
        self,
        token: int,
        pos: int,
        cache: Sequence[np.ndarray],
        backend: str = "simulator",
        *,
        trace: bool = False,
    ) -> StepResult:
        inputs = step_inputs(self.config, token, pos, cache)
        if backend == "reference":
            from lpuir.interpreter.reference import run_function

            out = run_function(self.source, None, inputs)
            return StepResult(out[0].reshape(-1), out[1:])
        if backend != "simulator":
            raise LpuError(f"unknown backend '{backend}' (reference or simulator)")
        from lpuir.execute import run_module

        run = run_module(self.compiled, inputs, trace=trace)
        report = run.report
        return StepResult(
            run.outputs[0].reshape(-1),
            list(run.outputs[1:]),
            report.cycles,
            report.static_cycles,
            report.to_json(),
            report.trace,
        )


@dataclass
class Generation:
    """Greedy decoding: the tokens fed (prompt) and produced, per step."""

    prompt: list[int]
    tokens: list[int]
    steps: list[StepResult]


def generate(
    step: DecodeStep,
    prompt: Sequence[int],
    new_tokens: int,
    backend: str = "simulator",
    *,
    on_step: Callable[[int, int, StepResult], None] | None = None,
) -> Generation:
    """Feed the prompt one token per step (prefill as decode steps), then pick
    the argmax of the logits (the first maximum) `new_tokens` times, carrying
    the KV cache from step to step."""
    config = step.config
    if not prompt:
        raise LpuError("the prompt needs at least one token")
    total = len(prompt) + new_tokens - 1
    if total > config.context:
        raise LpuError(
            f"{len(prompt)} prompt tokens and {new_tokens} new ones need {total} positions; the context is {config.context}"
        )
    cache = empty_cache(config)
    fed = list(prompt)
    produced: list[int] = []
    steps: list[StepResult] = []
    pos = 0
    while len(produced) < new_tokens:
        result = step.run(fed[pos], pos, cache, backend)
        cache = result.cache
        steps.append(result)
        if on_step is not None:
            on_step(pos, fed[pos], result)
        pos += 1
        if pos >= len(prompt):
            nxt = int(np.argmax(result.logits))
            produced.append(nxt)
            fed.append(nxt)
    return Generation(list(prompt), produced, steps)
