"""Llama-3-8B decode step in timing mode: static latency, tokens/s, where the time goes.

    python benchmarks/llama3_8b.py [--layers N] [--context C] [--chips-per-layer K]

Builds one decode step of Llama-3-8B (32 layers, hidden 4096, 32 heads, 8 KV
heads, FFN 14336, vocab 128256, context 8192) with `build_timing_step`: int8
weights (per-output-channel f32 scales) declared as `{lpu.weight}` arguments,
so no weight value exists anywhere; compiles it with
lpu-compile{system=<dragonfly> strategy=pipeline verify=false} on a system of
`chips-per-layer` chips per decoder layer plus chips for the LM head (8 chips a
node), and reports from the static schedule (no simulation):

- decode latency per token = static cycles / clock, tokens/s per user;
- busy instruction-cycles per unit kind (MXM installs and matmuls, VXM, SXM,
  MEM reads/writes, C2C sends/receives/forwards), summed over chips;
- compile wall time and peak resident memory (getrusage);
- the roofline of the modelled system (`roofline`);
- with `--perf FOLDER`, the static performance report (docs/performance.md,
  "Where the cycles go"): per op cycles, roofline and critical path.

`--layers N` builds the first N layers (plus the final norm and LM head);
`--layers 32` is the whole model. Given two or more layer counts, the decode
latency of the full model is also extrapolated linearly per layer (the
pipeline makes latency additive over layers; more chips per layer, as a
small model gets, pre-install more weights, so small counts run faster per
layer). `run(quick)` is run_all's entry (quick: 1 layer at context 1024).
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from collections import Counter
from typing import Any

from benchlib import Ratio

from lpuir.models.llama import LlamaConfig, build_timing_step

LLAMA3_8B = LlamaConfig(
    dim=4096,
    n_layers=32,
    n_heads=32,
    n_kv_heads=8,
    ffn_dim=14336,
    vocab=128256,
    context=8192,
    rope_theta=500000.0,
    weights="i8",
    name="llama3-8b",
)
GROQ_TOKENS_PER_S = 1300.0
"""[TALK]: 1300 tokens/s per user on Llama 3 (Groq's LPU inference engine)."""
HEAD_CHIPS = 4
"""Chips for the final norm and the LM head (525 MB of int8 weights)."""


def system_for(layers: int, chips_per_layer: int) -> tuple[str, int]:
    """A dragonfly of 8-chip nodes with at least `chips_per_layer` chips per
    layer plus HEAD_CHIPS: (system option, chips)."""
    nodes = math.ceil((layers * chips_per_layer + HEAD_CHIPS) / 8)
    if nodes == 1:
        return "node8", 8
    return f"dragonfly4 {{nodes = {nodes}}}", nodes * 8


def unit_busy(module: Any) -> dict[str, int]:
    """Busy instruction-cycles per unit kind over all chips of a scheduled
    module: an instruction's burst (an install: its rows)."""
    from lpuir.dialects import lpu

    busy: Counter[str] = Counter()
    for op in module.walk():
        if not isinstance(op, lpu.Instruction):
            continue
        n = max(1, op.burst)
        if isinstance(op, lpu.InstallOp):
            busy["MXM install"] += max(v.type.n for v in op.rows)  # type: ignore[attr-defined]
        elif isinstance(op, lpu.MatmulOp):
            busy["MXM matmul"] += n
        elif isinstance(op, lpu.ReadOp | lpu.GatherOp):
            busy["MEM read"] += n
        elif isinstance(op, lpu.MemOp):
            busy["MEM write"] += n
        elif isinstance(op, lpu.VxmOp):
            busy["VXM"] += n
        elif isinstance(op, lpu.SxmOp):
            busy["SXM"] += n
        elif isinstance(op, lpu.NetworkOp):
            busy["C2C"] += n
    return dict(busy)


def roofline(config: LlamaConfig, weight_bytes: int, chips: int) -> dict[str, float]:
    """Lower bounds on one token's latency (cycles) on the modelled chips.

    Every weight byte streams through an MXM once per token, and every KV cache
    byte is read once (full context). Per chip: SRAM reads 88 slices x 320 B
    per cycle; MXM installs 4 planes of 320x320 int8 in 40 cycles ([ISCA20]);
    MACs 4 x 320 x 320 per cycle. A pipeline of layers at batch 1 has one
    chip working at a time, so its bound is total bytes over ONE chip's
    bandwidth; a system that splits every layer over all chips (tensor
    parallel, what Groq does) divides that by the chip count."""
    kv = 2 * config.n_layers * config.n_kv_heads * config.context * config.head_dim * 2
    sram_bw = 88 * 320
    install_bw = 4 * 320 * 320 / 40
    macs = 4 * 320 * 320
    one_chip = {
        "SRAM": (weight_bytes + kv) / sram_bw,
        "MXM install": weight_bytes / install_bw,
        "MXM MACs": weight_bytes / macs,
    }
    out = {f"pipeline {k}": v for k, v in one_chip.items()}
    out.update({f"all {chips} chips {k}": v / chips for k, v in one_chip.items()})
    return out


def partition_roofline(text: str, system: str, strategy: str, group: int) -> float:
    """A lower bound on the step's cycles for the partition lpu-partition
    chooses (the tensor-level passes of lpu-compile only, so it is cheap): the
    longest path through the tensor ops, each matmul costing its right-hand
    side's bytes (weights or KV cache) installed at the MXM's rate ([ISCA20]:
    four 320x320 int8 planes in 40 cycles) on each chip it is split over, a
    row split's all-reduce two link latencies plus its vectors' share of each
    link ([ISCA22]), and a value crossing to another chip one link latency
    (local inside a node, global between nodes); other ops are free."""
    from lpuir.context import make_context
    from lpuir.dialects import lpu, tosa
    from lpuir.dialects.lpu import element_bytes
    from lpuir.frontend import parse_source
    from lpuir.transforms.annotations import chips_of, k_split_of, split_of
    from lpuir.transforms.compile import CompilePass
    from lpuir.types import tensor_shape_and_element

    module = parse_source(text, "llama3_8b.mlir")
    CompilePass(system=system, strategy=strategy, group=group).partition(
        make_context(), module
    )
    spec = lpu.SystemAttr.from_option(system).spec
    install_bw = 4 * 320 * 320 / 40

    def latency(a: int, b: int) -> int:
        same = a // spec.chips_per_node == b // spec.chips_per_node
        return spec.local_latency if same else spec.global_latency

    finish: dict[Any, float] = {}
    for op in module.walk():
        if not op.results or isinstance(op, tosa.ConstOp | tosa.ConstShapeOp):
            continue
        chips = chips_of(op)
        start = 0.0
        for v in op.operands:
            producer = v.owner
            if producer in finish:
                mine = set(chips_of(producer))
                hop = (
                    0 if mine & set(chips) else latency(chips_of(producer)[0], chips[0])
                )
                start = max(start, finish[producer] + hop)
        cost = 0.0
        if isinstance(op, tosa.MatMulOp):
            shape, element = tensor_shape_and_element(op.b.type)
            parts = min(len(chips), -(-shape[2] // 320)) if split_of(op) else 1
            split = k_split_of(op)
            if split is not None:
                parts = len(split[0]) + 1
                out = tensor_shape_and_element(op.output.type)[0]
                vectors = out[0] * out[1] * -(-out[2] // 320)
                hops = max(latency(chips[0], c) for c in chips[:parts])
                cost += 2 * hops + 2 * -(-vectors // parts) * spec.cycles_per_vector
            cost += (
                shape[0]
                * shape[1]
                * shape[2]
                * element_bytes(element)
                / (parts * install_bw)
            )
        finish[op] = start + cost
    return max(finish.values())


def measure(
    layers: int,
    context: int,
    chips_per_layer: int,
    config: LlamaConfig = LLAMA3_8B,
    perf: str | None = None,
    strategy: str = "pipeline",
    jobs: int | None = None,
    out: str | None = None,
    reuse: bool = True,
) -> dict[str, Any]:
    """Build, compile and analyse the first `layers` layers (plus the head);
    with `jobs`, compiled stage by stage in that many worker processes
    (`lpuir.staged`, each stage of a form already lowered moved onto its
    chips unless not `reuse`); with `out`, the program written there (.lpu); with
    `perf` (a folder), also its static performance report (lpuir.perf):
    the table printed, perf.json and the plots written there."""
    from lpuir.context import make_context
    from lpuir.execute import lpu_system
    from lpuir.frontend import parse_source
    from lpuir.transforms.compile import CompilePass

    cfg = LlamaConfig(**{**config.to_dict(), "context": context})
    system, _ = system_for(layers, chips_per_layer)
    start = time.perf_counter()
    step = build_timing_step(cfg, layers=layers)
    options = CompilePass(
        system=system, strategy=strategy, group=chips_per_layer, verify=False
    )
    if jobs is not None:
        staged = _measure_staged(step.text, options, jobs, out, start, reuse)
        return {**_facts(step, options, layers, context), **staged}
    module = parse_source(step.text, "llama3_8b.mlir")
    options.apply(make_context(), module)
    seconds = time.perf_counter() - start
    if out is not None:
        from lpuir.grammar.printer import print_lpu

        with open(out, "w") as f:
            print_lpu(module, f)
    sys_op = lpu_system(module)
    assert sys_op is not None and sys_op.static_cycles is not None
    if perf is not None:
        write_perf(sys_op, {"llama3_8b.mlir": step.text}, perf)
    return {
        **_facts(step, options, layers, context),
        "chips_used": len(sys_op.chips),
        "cycles": sys_op.static_cycles.data,
        "compile_s": seconds,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "worker_rss_gib": 0.0,
        "busy": unit_busy(module),
    }


def _facts(step: Any, options: Any, layers: int, context: int) -> dict[str, Any]:
    """What a measurement states besides its compile: the step, the system,
    the partition's roofline."""
    from lpuir.dialects import lpu

    system, strategy, group = options.system, options.strategy, options.group
    return {
        "layers": layers,
        "context": context,
        "strategy": strategy,
        "system": system,
        "chips": lpu.SystemAttr.from_option(system).spec.chips,
        "weight_bytes": step.weight_bytes,
        "partition_roofline": partition_roofline(step.text, system, strategy, group),
        "clock_mhz": lpu.SystemAttr.from_option(system).spec.chip.clock_mhz,
    }


class _Log:
    """Progress as lines on standard error, with the wall time (a long
    staged compile's log)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def update(
        self, task: str, done: int, total: int | None, unit: str, note: str
    ) -> None:
        if task == "staged compile":
            seconds = time.perf_counter() - self.start
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
            print(
                f"  {done}/{total} {unit} stitched, {seconds:.0f} s, RSS {rss:.2f} GiB",
                file=sys.stderr,
                flush=True,
            )

    def finish(self, task: str) -> None:
        pass

    def close(self) -> None:
        pass


def _measure_staged(
    text: str, options: Any, jobs: int, out: str | None, start: float, reuse: bool
) -> dict[str, Any]:
    """`measure` with lpuir.staged: the stitched program stays text (a whole
    step's ops would not fit in memory), so no busy-cycle breakdown."""
    from lpuir import progress
    from lpuir.frontend import parse_source
    from lpuir.staged import compile_staged

    module = parse_source(text, "llama3_8b.mlir")
    with progress.reporting(_Log()):
        staged = compile_staged(module, options, jobs, reuse)
    seconds = time.perf_counter() - start
    if out is not None:
        with open(out, "w") as f:
            f.write(staged.text)
    return {
        "chips_used": staged.chips,
        "cycles": staged.cycles,
        "stage_cycles": staged.stage_cycles,
        "compile_s": seconds,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "worker_rss_gib": max(staged.worker_rss) / 2**20,
        "stages_lowered": len(set(staged.lowered_from)),
        "stages": len(staged.lowered_from),
        "busy": {},
    }


def write_perf(system: Any, sources: dict[str, str], folder: str) -> None:
    """The static performance report: its table, perf.json and plots."""
    import json
    from pathlib import Path

    from lpuir.perf import perf_report
    from lpuir.perf.plots import write_plots

    start = time.perf_counter()
    perf = perf_report(system, sources)
    print(f"performance report ({time.perf_counter() - start:.0f} s):")
    print(perf.table(30))
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / "perf.json").write_text(json.dumps(perf.to_json(), indent=1))
    for path in write_plots(perf, folder):
        print(f"  wrote {path}")


def report(r: dict[str, Any], full_layers: int = 32) -> dict[str, float]:
    """Print one measurement; returns the headline numbers."""
    us = r["cycles"] / r["clock_mhz"]
    print(
        f"{r['layers']} layer(s), context {r['context']}, {r['system']} "
        f"({r['chips']} chips, {r['chips_used']} with a program), "
        f"{r['weight_bytes'] / 1e9:.3f} GB of int8 weights and scales"
    )
    print(
        f"  compile {r['compile_s']:.1f} s, peak RSS {r['peak_rss_gib']:.2f} GiB"
        + (
            f" (largest worker {r['worker_rss_gib']:.2f} GiB; "
            f"{r['stages_lowered']} of {r['stages']} stages lowered, the others moved)"
            if r["worker_rss_gib"]
            else ""
        )
        + "; "
        f"static {r['cycles']} cycles = {us:.1f} us per token = {1e6 / us:.1f} tokens/s per user"
    )
    print(
        f"  roofline of this partition {r['partition_roofline']:.0f} cycles "
        f"({r['clock_mhz'] * 1e6 / r['partition_roofline']:.0f} tokens/s); "
        f"static / roofline {r['cycles'] / r['partition_roofline']:.2f}"
    )
    util = r["weight_bytes"] / (4 * 320 * 320 * r["chips"] * r["cycles"])
    print(
        f"  MXM utilisation {100 * util:.3f}% (one MAC per int8 weight byte, over "
        f"4 x 320 x 320 MACs per chip-cycle of all chips)"
    )
    total = sum(r["busy"].values())
    chip_cycles = r["chips_used"] * r["cycles"]
    print("  where the time goes: busy instruction-cycles summed over chips")
    for kind, cycles in sorted(r["busy"].items(), key=lambda kv: -kv[1]):
        print(
            f"    {kind:12} {cycles:>12} ({100 * cycles / total:4.1f}% of all; "
            f"{100 * cycles / chip_cycles:.2f}% of the chips' cycles)"
        )
    return {"us": us, "tokens_s": 1e6 / us}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--context", type=int, default=LLAMA3_8B.context)
    parser.add_argument("--chips-per-layer", type=int, default=5)
    parser.add_argument(
        "--strategy",
        choices=("pipeline", "hybrid"),
        default="pipeline",
        help="lpu-partition's strategy; hybrid: each layer split over a group of --chips-per-layer chips",
    )
    parser.add_argument(
        "--perf",
        metavar="FOLDER",
        help="also write each compiled step's static performance report (table, perf.json, plots) here",
    )
    parser.add_argument(
        "--staged",
        action="store_true",
        help="compile stage by stage in worker processes and stitch (lpuir.staged)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker processes of --staged"
    )
    parser.add_argument(
        "--no-reuse",
        action="store_true",
        help="--staged: lower every stage, also those of a form already lowered",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write the compiled program (.lpu) here (the last of --layers)",
    )
    args = parser.parse_args(argv)
    results = []
    for n in args.layers:
        r = measure(
            n,
            args.context,
            args.chips_per_layer,
            perf=args.perf,
            strategy=args.strategy,
            jobs=args.jobs if args.staged else None,
            out=args.out,
            reuse=not args.no_reuse,
        )
        report(r)
        results.append(r)
    L = LLAMA3_8B.n_layers
    if len(results) >= 2:
        a, b = results[0], results[-1]
        per_layer = (b["cycles"] - a["cycles"]) / (b["layers"] - a["layers"])
        fixed = a["cycles"] - per_layer * a["layers"]
        full = fixed + per_layer * L
        print(
            f"per layer {per_layer:.0f} cycles, fixed (head, norm) {fixed:.0f}; "
            f"extrapolated to {L} layers: {full:.0f} cycles = {full / a['clock_mhz']:.0f} us "
            f"= {a['clock_mhz'] * 1e6 / full:.1f} tokens/s per user "
            f"(Groq: {GROQ_TOKENS_PER_S:.0f})"
        )
        per_layer_s = (b["compile_s"] - a["compile_s"]) / (b["layers"] - a["layers"])
        print(f"compile time per layer {per_layer_s:.1f} s")
    _, chips = system_for(L, args.chips_per_layer)
    weights = _full_weight_bytes()
    print(f"roofline of {L} layers on {chips} chips ({weights / 1e9:.2f} GB weights):")
    for k, v in roofline(LLAMA3_8B, weights, chips).items():
        print(
            f"  {k:28} {v:>10.0f} cycles = {v / 900:.1f} us = {900e6 / v:.0f} tokens/s"
        )


def _full_weight_bytes() -> int:
    """Weight bytes of the full model as timing mode declares them."""
    one = build_timing_step(LLAMA3_8B, layers=1).weight_bytes
    two = build_timing_step(LLAMA3_8B, layers=2).weight_bytes
    return one + (two - one) * (LLAMA3_8B.n_layers - 1)


def run(quick: bool) -> list[Ratio]:
    """run_all's entry: static tokens/s of 1 (quick) or 2 layers, extrapolated."""
    r = measure(1, 1024 if quick else LLAMA3_8B.context, 5)
    head = report(r)
    return [
        Ratio(
            "llama3-8b",
            f"static cycles / SRAM roofline, 1 layer + head, ctx {r['context']}",
            r["cycles"]
            / roofline(
                LlamaConfig(
                    **{**LLAMA3_8B.to_dict(), "n_layers": 1, "context": r["context"]}
                ),
                r["weight_bytes"],
                r["chips"],
            )["pipeline SRAM"],
            f"{head['us']:.0f} us static",
        )
    ]


if __name__ == "__main__":
    main()
