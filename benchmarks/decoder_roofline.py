"""Schedule quality of a decoder-layer-shaped kernel: static cycles against the roofline.

One decode step (batch 1) of a single-head decoder layer, in f16 with f32
accumulation: q = x Wq; attention of q over T cached keys and values as
examples/compile/attention_head.mlir writes it; o = attn Wo; a SwiGLU MLP
(silu(o W1) * (o W3)) W2, as examples/compile/mlp_f16.mlir's matmul -> cast
chain. No RMSNorm and no residual adds: a value that feeds both a reduction
(or a residual) and an f16 matmul needs a relayout from 160 to 320 elements
per vector, which lpu-vectorize does not do yet (docs/compiler.md).

A Llama decoder built by lpuir.models.llama replaces this kernel when it exists.
Run: python benchmarks/decoder_roofline.py [--quick]
"""

from __future__ import annotations

import numpy as np
from benchlib import Ratio, quick_main
from compile_roofline import Kernel, attention_decode, report


def _t(*shape: int, element: str = "f32") -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{element}>"


def decoder_layer(d: int, t: int, h: int) -> Kernel:
    """Hidden size d, t cached positions, MLP width h."""
    x, xh, kv, row = _t(1, 1, d), _t(1, 1, d, element="f16"), _t(1, t, d), _t(1, 1, 1)
    scores, hf, hh = _t(1, t, 1), _t(1, 1, h), _t(1, 1, h, element="f16")
    wdd, wdh, whd = (
        _t(1, d, d, element="f16"),
        _t(1, d, h, element="f16"),
        _t(1, h, d, element="f16"),
    )
    z, s = "tensor<1xf16>", "tensor<1xi8>"

    def matmul(out: str, a: str, a_type: str, w: str, w_type: str, o_type: str) -> str:
        return f"  {out} = tosa.matmul {a}, {w}, %z, %z : ({a_type}, {w_type}, {z}, {z}) -> {o_type}"

    lines = [
        f"func.func @decoder(%x: {x}, %wq: {wdd}, %k: {kv}, %v: {kv}, %wo: {wdd}, %w1: {wdh}, %w3: {wdh}, %w2: {whd}) -> {x} {{",
        f'  %z = "tosa.const"() <{{values = dense<0.0> : {z}}}> : () -> {z}',
        f'  %s = "tosa.const"() <{{values = dense<0> : {s}}}> : () -> {s}',
        f'  %scale = "tosa.const"() <{{values = dense<{d**-0.5}> : {row}}}> : () -> {row}',
        f"  %xh = tosa.cast %x : ({x}) -> {xh}",
        matmul("%q", "%xh", xh, "%wq", wdd, x),
        f"  %qk = tosa.mul %k, %q, %s : ({kv}, {x}, {s}) -> {kv}",
        f"  %sc = tosa.reduce_sum %qk {{axis = 2 : i32}} : ({kv}) -> {scores}",
        f"  %ss = tosa.mul %sc, %scale, %s : ({scores}, {row}, {s}) -> {scores}",
        f"  %mx = tosa.reduce_max %ss {{axis = 1 : i32}} : ({scores}) -> {row}",
        f"  %dd = tosa.sub %ss, %mx : ({scores}, {row}) -> {scores}",
        f"  %ex = tosa.exp %dd : ({scores}) -> {scores}",
        f"  %sm = tosa.reduce_sum %ex {{axis = 1 : i32}} : ({scores}) -> {row}",
        f"  %rc = tosa.reciprocal %sm : ({row}) -> {row}",
        f"  %p = tosa.mul %ex, %rc, %s : ({scores}, {row}, {s}) -> {scores}",
        f"  %pv = tosa.mul %v, %p, %s : ({kv}, {scores}, {s}) -> {kv}",
        f"  %att = tosa.reduce_sum %pv {{axis = 1 : i32}} : ({kv}) -> {x}",
        f"  %atth = tosa.cast %att : ({x}) -> {xh}",
        matmul("%o", "%atth", xh, "%wo", wdd, x),
        f"  %oh = tosa.cast %o : ({x}) -> {xh}",
        matmul("%gate", "%oh", xh, "%w1", wdh, hf),
        matmul("%up", "%oh", xh, "%w3", wdh, hf),
        f"  %sg = tosa.sigmoid %gate : ({hf}) -> {hf}",
        f"  %si = tosa.mul %gate, %sg, %s : ({hf}, {hf}, {s}) -> {hf}",
        f"  %act = tosa.mul %si, %up, %s : ({hf}, {hf}, {s}) -> {hf}",
        f"  %acth = tosa.cast %act : ({hf}) -> {hh}",
        matmul("%y", "%acth", hh, "%w2", whd, x),
        f"  return %y : {x}",
        "}",
    ]
    return Kernel(
        f"decoder layer d={d} T={t} MLP {h} (decode)", "\n".join(lines), _numpy
    )


def _numpy(
    x: np.ndarray,
    wq: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    wo: np.ndarray,
    w1: np.ndarray,
    w3: np.ndarray,
    w2: np.ndarray,
) -> np.ndarray:
    def mm(a: np.ndarray, w: np.ndarray) -> np.ndarray:
        return a.astype(np.float16).astype(np.float32) @ w.astype(np.float32)

    o = mm(attention_decode(mm(x, wq), k, v), wo)
    gate, up = mm(o, w1), mm(o, w3)
    return mm(gate / (1 + np.exp(-gate)) * up, w2)


def kernels(quick: bool) -> list[Kernel]:
    return [decoder_layer(64, 16, 256)] + (
        [] if quick else [decoder_layer(256, 64, 1024)]
    )


def run(quick: bool) -> list[Ratio]:
    """run_all's entry: the decoder-layer kernels' static cycles / roofline."""
    return report("decoder", kernels(quick), simulate=not quick)


def main() -> None:
    quick_main(run, __doc__, "the small layer only")


if __name__ == "__main__":
    main()
