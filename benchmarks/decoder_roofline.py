"""Schedule quality of Llama decode steps: static cycles against the roofline.

One decode step (batch 1) of a decoder built by `lpuir.models.llama`
(`build_decode_step` with random f16 weights, resident as constants): the
embedding row (one-hot matmul), per layer RMSNorm, the q/k/v projections, RoPE,
grouped-query attention over the KV cache, the output projection and a SwiGLU
feed-forward, then the final norm and the LM head. The roofline is
compile_roofline's: the MACs of every tosa.matmul, and the bytes of the
arguments, results and constants (every resident weight is read once per step).
At batch 1 the chain of dependent vector work (norms, softmax, one projection
waiting for the last) dominates, not the MXM.
Run: python benchmarks/decoder_roofline.py [--quick]
"""

from __future__ import annotations

from pathlib import Path

from benchlib import Ratio, quick_main
from compile_roofline import Kernel, report

from lpuir.models.llama import LlamaConfig, build_decode_step, random_weights

TINY = Path(__file__).parent.parent / "examples" / "llama" / "tiny.json"
WIDER = LlamaConfig(
    dim=320,
    n_layers=2,
    n_heads=4,
    n_kv_heads=2,
    ffn_dim=960,
    vocab=640,
    context=64,
    name="wider",
)
"""Vector-wide (320 lanes) hidden and FFN sizes, two layers."""


def decoder(config: LlamaConfig) -> Kernel:
    """One decode step of `config` with random weights (seed 0)."""
    c = config
    return Kernel(
        f"Llama {c.name}: d={c.dim} L={c.n_layers} ffn {c.ffn_dim} ctx {c.context}",
        build_decode_step(c, random_weights(c, seed=0)),
    )


def kernels(quick: bool) -> list[Kernel]:
    configs = [LlamaConfig.from_json(TINY)] + ([] if quick else [WIDER])
    return [decoder(c) for c in configs]


def run(quick: bool) -> list[Ratio]:
    """run_all's entry: the decode steps' static cycles / roofline."""
    return report("decoder", kernels(quick), simulate=not quick)


def main() -> None:
    quick_main(run, __doc__, "the tiny config only")


if __name__ == "__main__":
    main()
