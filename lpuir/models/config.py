"""The hyper-parameters of a Llama-style decoder (`LlamaConfig`, from a dict or
a JSON file, checked against what the builder needs) and the rotary position
tables they determine (frequencies, pairs, the cos/sin rows of a position, the
pair-swap matrix)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
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
