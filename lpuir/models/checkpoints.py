"""Loaders for real Llama checkpoints, as `LlamaConfig` + `LlamaWeights`.

- `toy_llama31`: sharktank's random-init 3-layer Llama-3.1-architecture model,
  as `.npz` (GGUF tensor names, Linear weights [out, in]) with its
  hyper-parameters in `toy_llama.hparams.json`;
- `stories260K`: llama2.c's trained 5-layer Llama-2-architecture model in the
  "legacy v0" checkpoint format (7 int32 header fields, then fp32 weights).

The checkpoints are not part of the repository; `search_path` says where they
are looked for (`$LPUIR_MODELS`, else `shared/models` in the current directory
or any parent of it, else beside the source tree). Weights are
returned in float64 holding the checkpoint's fp32 values; `LlamaWeights.cast`
rounds them to the type the hardware multiplies.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from lpuir.diagnostics import LpuError
from lpuir.models.config import LlamaConfig
from lpuir.models.weights import LayerWeights, LlamaWeights

MODELS_ENV = "LPUIR_MODELS"
CHECKPOINTS = ("toy_llama31", "stories260K")


def search_path() -> list[Path]:
    """The folders checkpoints are looked for in, in order: those of
    `$LPUIR_MODELS` (separated by the OS path separator) if it is set; else
    `shared/models` in the current directory and in each of its parents (so
    `../shared/models` beside a checkout is found from anywhere inside it),
    then beside the source tree lpuir runs from (an editable install)."""
    env = os.environ.get(MODELS_ENV)
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    cwd = Path.cwd().resolve()
    found = [d / "shared" / "models" for d in (cwd, *cwd.parents)]
    beside = Path(__file__).resolve().parents[2].parent / "shared" / "models"
    return list(dict.fromkeys([*found, beside]))


def find_checkpoint(name: str) -> Path | None:
    """The first folder of `search_path` that holds checkpoint `name`."""
    return next((d / name for d in search_path() if (d / name).is_dir()), None)


def checkpoint_path(name: str) -> Path:
    """The directory of a named checkpoint; a clear error, naming every
    folder looked in, if it is missing."""
    if name not in CHECKPOINTS:
        raise LpuError(f"unknown checkpoint '{name}' (known: {', '.join(CHECKPOINTS)})")
    path = find_checkpoint(name)
    if path is None:
        looked = ", ".join(str(d) for d in search_path())
        raise LpuError(
            f"checkpoint '{name}' not found; looked in {looked} (set {MODELS_ENV} to the folder holding {', '.join(CHECKPOINTS)})"
        )
    return path


def load_checkpoint(
    name: str, context: int = 32, activations: str = "f32", weights: str = "f16"
) -> tuple[LlamaConfig, LlamaWeights]:
    """A named checkpoint's config (with the given context, activation and
    weight types) and its weights cast to the weight type."""
    path = checkpoint_path(name)
    if name == "toy_llama31":
        config, fp32 = load_toy_llama31(path, context, activations)
    else:
        config, fp32 = load_stories260k(path / "stories260K.bin", context, activations)
    if weights != config.weights:
        config = LlamaConfig.from_dict({**config.to_dict(), "weights": weights}, name)
    return config, fp32.cast(config.weights)


def _hparam(meta: dict[str, Any], key: str, source: Path) -> Any:
    if key not in meta:
        raise LpuError(f"{source}: error: missing key '{key}'")
    return meta[key]


def load_toy_llama31(
    path: str | Path, context: int = 32, activations: str = "f32"
) -> tuple[LlamaConfig, LlamaWeights]:
    """sharktank's toy_llama (a directory holding toy_llama.npz and
    toy_llama.hparams.json). Rope: interleaved pairs, base from the JSON, no
    frequency scaling (the archive names none)."""
    path = Path(path)
    hp_path = path / "toy_llama.hparams.json"
    try:
        data = json.loads(hp_path.read_text())
    except OSError as e:
        raise LpuError(f"{hp_path}: error: cannot read: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise LpuError(f"{hp_path}:{e.lineno}:{e.colno}: error: {e.msg}") from None
    meta = data.get("__SHARK_DATASET__", data)
    arch = meta.get("general.architecture", "llama")

    def hp(key: str) -> Any:
        return _hparam(meta, f"{arch}.{key}", hp_path)

    if meta.get(f"{arch}.expert_count", 0):
        raise LpuError(f"{hp_path}: error: mixture-of-experts models are not built")
    dim = int(hp("embedding_length"))
    n_heads = int(hp("attention.head_count"))
    npz_path = path / "toy_llama.npz"
    try:
        z = np.load(npz_path)
    except OSError as e:
        raise LpuError(f"{npz_path}: error: cannot read: {e}") from None
    vocab = int(z["token_embd.weight"].shape[0])
    config = LlamaConfig.from_dict(
        {
            "name": "toy_llama31",
            "dim": dim,
            "n_layers": int(hp("block_count")),
            "n_heads": n_heads,
            "n_kv_heads": int(hp("attention.head_count_kv")),
            "ffn_dim": int(hp("feed_forward_length")),
            "vocab": vocab,
            "context": context,
            "norm_eps": float(hp("attention.layer_norm_rms_epsilon")),
            "rope_theta": float(hp("rope.freq_base")),
            "rope_dims": int(meta.get(f"{arch}.rope.dimension_count", dim // n_heads)),
            "rope_style": "interleaved",
            "activations": activations,
        },
        str(hp_path),
    )

    def get(name: str) -> np.ndarray:
        if name not in z.files:
            raise LpuError(f"{npz_path}: error: no tensor '{name}'")
        return np.asarray(z[name], np.float64)

    layers = [
        LayerWeights(
            attn_norm=get(f"blk.{i}.attn_norm.weight").reshape(-1),
            wq=get(f"blk.{i}.attn_q.weight"),
            wk=get(f"blk.{i}.attn_k.weight"),
            wv=get(f"blk.{i}.attn_v.weight"),
            wo=get(f"blk.{i}.attn_output.weight"),
            ffn_norm=get(f"blk.{i}.ffn_norm.weight").reshape(-1),
            w_gate=get(f"blk.{i}.ffn_gate.weight"),
            w_up=get(f"blk.{i}.ffn_up.weight"),
            w_down=get(f"blk.{i}.ffn_down.weight"),
        )
        for i in range(config.n_layers)
    ]
    weights = LlamaWeights(
        get("token_embd.weight"),
        layers,
        get("output_norm.weight").reshape(-1),
        get("output.weight"),
    )
    weights.check(config, str(npz_path))
    return config, weights


LLAMA2C_HEADER = (
    "dim",
    "hidden_dim",
    "n_layers",
    "n_heads",
    "n_kv_heads",
    "vocab_size",
    "seq_len",
)


def load_stories260k(
    path: str | Path, context: int = 32, activations: str = "f32"
) -> tuple[LlamaConfig, LlamaWeights]:
    """A llama2.c legacy (v0) checkpoint: header `dim, hidden_dim, n_layers,
    n_heads, n_kv_heads, vocab_size, seq_len` (int32; a negative vocab_size
    means a separate classifier follows), then fp32 tensors in run.c's order.
    Rope: interleaved pairs, base 10000; RMSNorm eps 1e-5 (run.c's)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise LpuError(f"{path}: error: cannot read: {e.strerror}") from None
    if len(raw) < 28:
        raise LpuError(f"{path}: error: too short for a llama2.c header")
    header = dict(
        zip(LLAMA2C_HEADER, np.frombuffer(raw[:28], "<i4").tolist(), strict=True)
    )
    shared = header["vocab_size"] > 0
    vocab = abs(header["vocab_size"])
    dim, hidden, n_layers = header["dim"], header["hidden_dim"], header["n_layers"]
    n_heads, n_kv = header["n_heads"], header["n_kv_heads"]
    if min(dim, hidden, n_layers, n_heads, n_kv) < 1 or dim % n_heads:
        raise LpuError(f"{path}: error: implausible llama2.c header {header}")
    hd = dim // n_heads
    kv_dim = n_kv * hd
    data = np.frombuffer(raw, "<f4", offset=28).astype(np.float64)
    at = 0

    def take(*shape: int) -> np.ndarray:
        nonlocal at
        n = int(np.prod(shape))
        if at + n > data.size:
            raise LpuError(
                f"{path}: error: ends after {data.size} floats; the header {header} needs more"
            )
        out = data[at : at + n].reshape(shape)
        at += n
        return out

    emb = take(vocab, dim)
    att_norm = take(n_layers, dim)
    wq = take(n_layers, dim, dim)
    wk = take(n_layers, kv_dim, dim)
    wv = take(n_layers, kv_dim, dim)
    wo = take(n_layers, dim, dim)
    ffn_norm = take(n_layers, dim)
    w1 = take(n_layers, hidden, dim)
    w2 = take(n_layers, dim, hidden)
    w3 = take(n_layers, hidden, dim)
    final = take(dim)
    take(header["seq_len"], hd // 2)  # freq_cis_real (unused: recomputed)
    take(header["seq_len"], hd // 2)  # freq_cis_imag
    out = emb if shared else take(vocab, dim)
    if at != data.size:
        raise LpuError(
            f"{path}: error: {data.size - at} floats left over after the weights the header {header} describes"
        )
    config = LlamaConfig.from_dict(
        {
            "name": "stories260K",
            "dim": dim,
            "n_layers": n_layers,
            "n_heads": n_heads,
            "n_kv_heads": n_kv,
            "ffn_dim": hidden,
            "vocab": vocab,
            "context": context,
            "norm_eps": 1e-5,
            "rope_theta": 10000.0,
            "rope_style": "interleaved",
            "tie_embeddings": shared,
            "activations": activations,
        },
        str(path),
    )
    layers = [
        LayerWeights(
            attn_norm=att_norm[i],
            wq=wq[i],
            wk=wk[i],
            wv=wv[i],
            wo=wo[i],
            ffn_norm=ffn_norm[i],
            w_gate=w1[i],
            w_up=w3[i],
            w_down=w2[i],
        )
        for i in range(n_layers)
    ]
    weights = LlamaWeights(emb, layers, final, out)
    weights.check(config, str(path))
    return config, weights
