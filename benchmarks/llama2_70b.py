"""A Llama-2-70B-class decode step in timing mode: static latency beside Groq's 300 tokens/s.

    python benchmarks/llama2_70b.py [--layers N ...] [--context C] [--chips-per-layer K]

The config: 80 layers, hidden 8192, 64 heads, 8 KV heads, FFN 28672, vocab
32000, int8 weights (per-output-channel f32 scales), context 4096 (Llama-2's
window). benchmarks/llama3_8b.py's builder, compiler settings and report
(`measure`, `report`) serve it unchanged: weights declared `{lpu.weight}`
(resident, no values), lpu-compile{strategy=hybrid group=8 verify=false}
(each layer split over a group of `chips-per-layer` chips; `--strategy
pipeline` is refused by lpu-partition: one FFN projection, 8192 x 28672 int8
= 235 MB, exceeds a chip's 230.7 MB of SRAM) on a dragonfly of 8-chip nodes
with `chips-per-layer` chips per layer plus 4 for the head. With the
default 8 chips per layer (the 8 KV heads, one per chip, and a node of 8
fully connected) the whole model's system is 81 nodes, 648 chips (Groq's
Llama-2-70B deployment has 576); docs/performance.md has the figures and
why the count.

The whole 80-layer step does not compile on the 2-core, 24 GiB development
machine (a layer holds about four times an 8B layer's instructions: about
3 hours and 50 GiB by the 8B compile's measured scaling), so the model's
latency is extrapolated from compiled groups of layers (`--layers 0 1`, the
default: the final norm and LM head alone, then with one layer; `--layers 0
1 2` extrapolates from the head and two layers, docs/performance.md), each on its own system
sized like the whole model's per layer: the layer pipeline makes latency
additive over layers. Tokens per second per
user are printed beside Groq's published 300 [TALK; ISCA22's Llama-2-70B
figure]. benchmarks/llama_simulate.py --model llama2-70b simulates a group of
layers distributed, static == simulated.
"""

from __future__ import annotations

import argparse

from llama3_8b import measure, report

from lpuir.models.llama import LlamaConfig

LLAMA2_70B = LlamaConfig(
    dim=8192,
    n_layers=80,
    n_heads=64,
    n_kv_heads=8,
    ffn_dim=28672,
    vocab=32000,
    context=4096,
    rope_theta=10000.0,
    weights="i8",
    name="llama2-70b",
)
GROQ_TOKENS_PER_S = 300.0
"""Groq's published figure for Llama-2-70B: over 300 tokens/s per user."""
CHIPS_PER_LAYER = 8


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layers", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--context", type=int, default=LLAMA2_70B.context)
    parser.add_argument("--chips-per-layer", type=int, default=CHIPS_PER_LAYER)
    parser.add_argument(
        "--strategy",
        choices=["hybrid", "pipeline"],
        default="hybrid",
        help="lpu-partition's strategy (pipeline cannot place a layer: one FFN "
        "projection's weights exceed a chip's SRAM)",
    )
    args = parser.parse_args(argv)
    results = []
    for n in args.layers:
        r = measure(
            n, args.context, args.chips_per_layer, LLAMA2_70B, strategy=args.strategy
        )
        report(r)
        results.append(r)
    if len(results) < 2:
        return
    a, b = results[0], results[-1]
    per_layer = (b["cycles"] - a["cycles"]) / (b["layers"] - a["layers"])
    fixed = a["cycles"] - per_layer * a["layers"]
    full = fixed + per_layer * LLAMA2_70B.n_layers
    clock = a["clock_mhz"]
    print(
        f"per layer {per_layer:.0f} cycles, head and norm {fixed:.0f}; "
        f"{LLAMA2_70B.n_layers} layers: {full:.0f} cycles = {full / clock:.0f} us per token "
        f"= {clock * 1e6 / full:.1f} tokens/s per user (Groq: {GROQ_TOKENS_PER_S:.0f}), "
        f"on {8 * -(-(LLAMA2_70B.n_layers * args.chips_per_layer + 4) // 8)} chips"
    )


if __name__ == "__main__":
    main()
