"""The Llama-3-8B decode step simulated whole, distributed over MPI ranks.

    mpiexec -n P python benchmarks/llama_simulate.py [--model llama3-8b|llama2-70b]
        [--config JSON] [--layers N] [--context C] [--chips-per-layer K]
        [--weights inputs|resident] [--seed S] [--out DIR]
    python benchmarks/llama_simulate.py --check DIR

Builds benchmarks/llama3_8b.py's step (Llama-3-8B: 32 layers, hidden 4096,
32 heads, 8 KV heads, FFN 14336, vocab 128256, context 8192, int8 weights
with per-channel f32 scales) for its system (`system_for`: 5 chips per layer
plus 4 for the head, 8 chips a node) and compiles it with
lpu-compile{strategy=pipeline verify=false} (`--strategy`; hybrid with
groups of `--chips-per-layer` for 70B) in every rank (the compile is
deterministic, so every rank holds the same program); then simulates it with
the chips spread over the ranks (lpuir.interpreter.sim_mpi: whole nodes per
rank), each rank planning only its chips, making only their inputs and
weights, and dropping the instructions of the other ranks' chips from its IR.

`--weights inputs` (the default) makes the weights program inputs (the
`{lpu.weight}` marks dropped), with random values `random:SEED+i` for
argument i as lpu-run's --input-random makes them, so that `--check DIR`
(one process, after the run) can run the tensor-level step on the reference
interpreter with the same inputs and compare the outputs bit for bit.
`--weights resident` simulates benchmarks/llama3_8b.py's own program (the
weights resident, stored as row chunks, no values in the IR) with random
values from a seed per weight tensor (lpu-run's --weights): static ==
simulated is checked, but nothing maps those tensors back to the source's
arguments, so there is no reference to compare with.

`--config JSON` takes a LlamaConfig file instead of `--model`'s (a small
model for a quick run: tests/test_llama_simulate.py); the summary records the
config, which `--check` rebuilds the step from.

`--model llama2-70b` takes benchmarks/llama2_70b.py's config (80 layers,
hidden 8192, FFN 28672, context 4096) and chips per layer (8), for a group of
its layers (`--layers`), compiled with `hybrid`; its weights must be
`--weights resident` (as program inputs, W_down could not be split by rows:
a row split's right-hand side is resident).

Rank 0 prints compile, plan and simulation wall times, peak memory per rank,
the windows and the time each rank waited at window ends, and writes
DIR/outputs.npz and DIR/summary.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from llama2_70b import CHIPS_PER_LAYER, LLAMA2_70B
from llama3_8b import LLAMA3_8B, system_for

from lpuir import progress
from lpuir.compare import bits_equal
from lpuir.context import make_context
from lpuir.dialects import lpu
from lpuir.execute import random_values, signature
from lpuir.frontend import parse_source
from lpuir.interpreter import sim_mpi
from lpuir.interpreter.sim_run import random_weights
from lpuir.interpreter.simulator import Program
from lpuir.models.llama import LlamaConfig, build_timing_step
from lpuir.transforms.compile import CompilePass

MODELS = {"llama3-8b": LLAMA3_8B, "llama2-70b": LLAMA2_70B}
CHIPS = {"llama3-8b": 5, "llama2-70b": CHIPS_PER_LAYER}
STRATEGY = {"llama3-8b": "pipeline", "llama2-70b": "hybrid"}


def step_text(layers: int, context: int, weights: str, config: LlamaConfig) -> str:
    """The tensor-level decode step (weights as inputs, or resident)."""
    cfg = LlamaConfig(**{**config.to_dict(), "context": context})
    text = build_timing_step(cfg, layers=layers).text
    return text.replace(" {lpu.weight}", "") if weights == "inputs" else text


def inputs_of(module: Any, seed: int) -> list[Any]:
    """Input i's value `random:SEED+i`, made when first asked for: of the
    compiled program's inputs (no resident weights among them), or the
    tensor-level step's arguments (the same, with weights as inputs)."""
    args = signature(module).inputs
    return [
        (
            lambda i=i, s=shape, e=element: random_values(
                s, e, f"random:{seed + i}", f"input {i}"
            )
        )
        for i, (shape, element) in enumerate(args)
    ]


def prune(module: Any, mine: set[int]) -> None:
    """Erase the instructions of the chips this rank does not simulate (their
    tensors stay: the program's inputs and outputs name them)."""
    system = next(op for op in module.ops if isinstance(op, lpu.SystemOp))
    for chip in system.chips:
        if chip.chip_id in mine:
            continue
        for op in list(chip.instructions()):
            op.detach()
            op.erase(safe_erase=False)


def simulate(args: argparse.Namespace) -> None:
    comm = sim_mpi.world()
    rank = 0 if comm is None else comm.Get_rank()
    out = Path(args.out)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    config = LlamaConfig.from_json(args.config) if args.config else MODELS[args.model]
    layers = args.layers or config.n_layers
    context = args.context or config.context
    per_layer = args.chips_per_layer or CHIPS[args.model]
    system, chips = system_for(layers, per_layer)
    strategy = args.strategy or STRATEGY[args.model]
    text = step_text(layers, context, args.weights, config)
    times: dict[str, float] = {}
    start = time.perf_counter()
    module = parse_source(text, "llama3_8b_step.mlir")
    with progress.shown(rank == 0):
        CompilePass(
            system=system, strategy=strategy, group=per_layer, verify=False
        ).apply(make_context(), module)
    times["compile_s"] = time.perf_counter() - start
    inputs = inputs_of(module, args.seed)
    weights = random_weights(args.seed, 320) if args.weights == "resident" else None
    start = time.perf_counter()
    with progress.shown(rank == 0):
        if comm is None:
            program = Program(module)
            times["plan_s"] = time.perf_counter() - start
            start = time.perf_counter()
            made = [make() for make in inputs]
            result = program.run(made, weights=weights)
        else:
            exchange, program = sim_mpi.distribute(comm, module)
            prune(module, exchange.chips)
            times["plan_s"] = time.perf_counter() - start
            start = time.perf_counter()
            result = sim_mpi.run(program, exchange, inputs, weights=weights)
    times["simulate_s"] = time.perf_counter() - start
    if rank != 0:
        return
    summary = {
        "model": args.model,
        "config": config.to_dict(),
        "layers": layers,
        "context": context,
        "weights": args.weights,
        "seed": args.seed,
        "system": system,
        "strategy": strategy,
        "group": per_layer,
        "chips": chips,
        "chips_with_a_program": len(program.programmed),
        "instructions": result.instructions,
        "cycles": result.cycles,
        "static_cycles": result.static_cycles,
        "static_equals_simulated": result.cycles == result.static_cycles,
        **times,
        "ranks": 1 if comm is None else comm.Get_size(),
        "peak_rss_gib": [
            b / 2**30
            for b in (
                result.distributed["peak_rss_bytes"]
                if result.distributed
                else [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024]
            )
        ],
        "distributed": result.distributed,
    }
    np.savez(out / "outputs.npz", *result.outputs)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


def check(args: argparse.Namespace) -> None:
    """The partitioned tensor-level step on the reference interpreter, with
    the inputs the simulated run had, against its saved outputs."""
    from lpuir.interpreter.reference import run_function

    out = Path(args.check)
    summary = json.loads((out / "summary.json").read_text())
    if summary["weights"] != "inputs":
        sys.exit("--check compares a run with --weights inputs")
    config = (
        LlamaConfig.from_dict(summary["config"], str(out / "summary.json"))
        if "config" in summary
        else MODELS[summary.get("model", "llama3-8b")]
    )
    text = step_text(summary["layers"], summary["context"], "inputs", config)
    start = time.perf_counter()
    source = parse_source(text, "llama3_8b_step.mlir")
    inputs = [make() for make in inputs_of(source, summary["seed"])]
    CompilePass(
        system=summary["system"],
        strategy=summary.get("strategy", "pipeline"),
        group=summary.get("group", 8),
    ).partition(make_context(), source)  # the order of a split's sums
    expected = run_function(source, None, inputs)
    seconds = time.perf_counter() - start
    with np.load(out / "outputs.npz") as saved:
        got = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    same = len(got) == len(expected) and all(
        g.shape == e.shape and bool(np.all(bits_equal(g, e)))
        for g, e in zip(got, expected, strict=True)
    )
    summary["reference_s"] = seconds
    summary["bit_exact"] = same
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"reference: {len(expected)} outputs in {seconds:.0f} s; "
        f"the simulated outputs are {'bit-exact' if same else 'DIFFERENT'}"
    )
    if not same:
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", choices=sorted(MODELS), default="llama3-8b")
    parser.add_argument(
        "--config",
        metavar="JSON",
        help="a LlamaConfig file (examples/llama/tiny.json) instead of --model's",
    )
    parser.add_argument("--layers", type=int, help="default: all of the model's")
    parser.add_argument("--context", type=int, help="default: the model's")
    parser.add_argument("--chips-per-layer", type=int, help="default: 5 (8B), 8 (70B)")
    parser.add_argument(
        "--strategy",
        choices=("pipeline", "hybrid"),
        help="lpu-partition's strategy, groups of --chips-per-layer (default: "
        "pipeline for 8B, hybrid for 70B, whose FFN projections exceed a chip)",
    )
    parser.add_argument("--weights", choices=("inputs", "resident"), default="inputs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="llama_simulation")
    parser.add_argument(
        "--check", metavar="DIR", help="compare DIR's run with the reference"
    )
    args = parser.parse_args(argv)
    if args.check:
        check(args)
    else:
        simulate(args)


if __name__ == "__main__":
    main()
