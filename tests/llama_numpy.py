"""A plain numpy Llama decoder in float64, written from the textbook formulas
and independently of lpuir.models.llama's IR (no one-hot matmuls, no pair-swap
matrices, no head batching): the check of the builder's model.

It reads only a config's fields and the weights in PyTorch orientation. For
int8 weights it applies the documented per-row activation quantization
(quantize, dequantize) to the input of every weight matmul, so it checks the
int8 model rather than measuring quantization error.
"""

from __future__ import annotations

import math

import numpy as np


def _rope_freqs(cfg) -> np.ndarray:
    hd = cfg.dim // cfg.n_heads
    rd = cfg.rope_dims or hd
    inv = np.array([1.0 / cfg.rope_theta ** (2 * i / rd) for i in range(rd // 2)])
    s = cfg.rope_scaling
    if s:
        out = []
        old = s["original_max_position_embeddings"]
        for f in inv:
            wavelen = 2 * math.pi / f
            if wavelen < old / s["high_freq_factor"]:
                out.append(f)
            elif wavelen > old / s["low_freq_factor"]:
                out.append(f / s["factor"])
            else:
                a = (old / wavelen - s["low_freq_factor"]) / (
                    s["high_freq_factor"] - s["low_freq_factor"]
                )
                out.append((1 - a) * f / s["factor"] + a * f)
        inv = np.array(out)
    return inv


def _rotate(x: np.ndarray, pos: int, cfg) -> np.ndarray:
    """RoPE on [n, hd] by complex multiplication."""
    hd = x.shape[-1]
    rd = cfg.rope_dims or hd
    z = np.exp(1j * pos * _rope_freqs(cfg))
    out = x.copy()
    if cfg.rope_style == "interleaved":
        c = (x[:, 0:rd:2] + 1j * x[:, 1:rd:2]) * z
        out[:, 0:rd:2], out[:, 1:rd:2] = c.real, c.imag
    else:
        c = (x[:, : rd // 2] + 1j * x[:, rd // 2 : rd]) * z
        out[:, : rd // 2], out[:, rd // 2 : rd] = c.real, c.imag
    return out


def _fake_quant(x: np.ndarray) -> np.ndarray:
    """Symmetric 8-bit quantization of each row of x and back (the int8
    model's dynamic activation quantization)."""
    x2 = np.atleast_2d(x)
    amax = np.maximum(np.max(np.abs(x2), axis=-1, keepdims=True), 1e-30)
    q = np.clip(np.rint(x2 * (127 / amax)), -127, 127)
    return (q * (amax / 127)).reshape(x.shape)


def _rmsnorm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x) + eps) * w


class NumpyLlama:
    """forward(token, pos) -> logits [vocab]; keeps its own KV cache."""

    def __init__(self, cfg, weights) -> None:
        self.cfg = cfg
        self.w = weights
        hd = cfg.dim // cfg.n_heads
        self.k = np.zeros((cfg.n_layers, cfg.context, cfg.n_kv_heads, hd))
        self.v = np.zeros_like(self.k)

    def forward(self, token: int, pos: int) -> np.ndarray:
        cfg, w = self.cfg, self.w
        hd = cfg.dim // cfg.n_heads
        rep = cfg.n_heads // cfg.n_kv_heads
        fq = _fake_quant if cfg.weights == "i8" else (lambda a: a)
        x = w.embedding[token].astype(np.float64)
        for i, L in enumerate(w.layers):
            h = fq(_rmsnorm(x, L.attn_norm, cfg.norm_eps))
            q = (L.wq @ h).reshape(cfg.n_heads, hd)
            k = (L.wk @ h).reshape(cfg.n_kv_heads, hd)
            v = (L.wv @ h).reshape(cfg.n_kv_heads, hd)
            q, k = _rotate(q, pos, cfg), _rotate(k, pos, cfg)
            self.k[i, pos], self.v[i, pos] = k, v
            att = np.zeros((cfg.n_heads, hd))
            for head in range(cfg.n_heads):
                kv = head // rep
                keys = self.k[i, : pos + 1, kv]
                scores = keys @ q[head] / math.sqrt(hd)
                p = np.exp(scores - scores.max())
                p /= p.sum()
                att[head] = p @ self.v[i, : pos + 1, kv]
            x = x + L.wo @ fq(att).reshape(-1)
            h = fq(_rmsnorm(x, L.ffn_norm, cfg.norm_eps))
            g = L.w_gate @ h
            x = x + L.w_down @ fq(g / (1 + np.exp(-g)) * (L.w_up @ h))
        return w.output @ fq(_rmsnorm(x, w.final_norm, cfg.norm_eps))
