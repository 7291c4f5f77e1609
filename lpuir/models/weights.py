"""The decoder's weights in PyTorch orientation (`[out, in]`): random from a
seed, or loaded by `lpuir.models.checkpoints`; cast to what the MXM multiplies
(f16, or i8 with a per-output-channel scale)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from lpuir import numerics
from lpuir.diagnostics import LpuError
from lpuir.models.config import QMAX, LlamaConfig

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
