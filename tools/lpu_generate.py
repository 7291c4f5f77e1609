"""lpu-generate: greedy decoding of a Llama-style model on the modelled chip.

Builds the tensor-level IR of one decode step (lpuir.models.llama), compiles it
once with lpu-compile{system=...}, and runs it once per token on the cycle-level
simulator (or the reference interpreter, or both, checked bit for bit),
carrying the KV cache between steps. See docs/llama.md. Files are checked
before the work and written whole or not at all; compiling, simulating and
the tokens show progress on a terminal.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lpuir import progress
from lpuir.compare import bits_equal
from lpuir.diagnostics import LpuError
from lpuir.tools.errors import run_tool
from lpuir.tools.outputs import check_output, replacing, write_text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lpu-generate",
        description="Greedy decoding of a Llama-style model on the modelled LPU.",
    )
    p.add_argument(
        "model",
        help="a checkpoint name (toy_llama31, stories260K; found in $LPUIR_MODELS, else shared/models here or in a parent folder), or a config JSON (random weights)",
    )
    p.add_argument(
        "-n", "--tokens", type=int, default=4, help="tokens to generate (default 4)"
    )
    p.add_argument(
        "--prompt",
        default="1",
        help="comma-separated prompt token ids, fed one per step (default 1)",
    )
    p.add_argument(
        "--context",
        type=int,
        help="positions in the KV cache for a checkpoint (default 32; a config JSON gives its own)",
    )
    p.add_argument(
        "--activations",
        choices=("f32", "f16"),
        help="activation type for a checkpoint (default f32)",
    )
    p.add_argument(
        "--weights",
        choices=("f16", "i8"),
        help="weight type (default f16 for a checkpoint; a config JSON gives its own)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of a config's random weights"
    )
    p.add_argument(
        "--backend",
        choices=("simulator", "reference", "both"),
        default="simulator",
        help="where steps run; both: simulator, checked bit for bit against the reference",
    )
    p.add_argument(
        "--system",
        default="tsp-v1",
        help='lpu-compile\'s system: a preset (tsp-v1, node8, dragonfly4) or one with overrides, "node8 {chips_per_node = 4}"',
    )
    p.add_argument(
        "--strategy",
        default="auto",
        choices=("auto", "tensor", "pipeline", "hybrid", "single"),
        help="how lpu-partition places the model on the system's chips (docs/compiler.md)",
    )
    p.add_argument(
        "--group",
        type=int,
        default=8,
        help="chips per layer group of the hybrid strategy (default 8)",
    )
    p.add_argument(
        "--emit-mlir",
        metavar="FILE.mlir",
        help="write the decode step's tensor-level IR",
    )
    p.add_argument(
        "--emit-lpu", metavar="FILE.lpu", help="write the compiled program as .lpu text"
    )
    p.add_argument(
        "--emit-layer",
        metavar="FILE",
        help="write one decoder layer alone (--layer, default 0): its IR (.mlir) or compiled (.lpu)",
    )
    p.add_argument("--layer", type=int, default=0, help="the layer --emit-layer writes")
    p.add_argument(
        "--save-inputs",
        metavar="FILE.npz",
        help="write the first step's inputs (token, cos, sin, mask, slot, k0, v0, ...)",
    )
    p.add_argument(
        "--report-file", metavar="R.json", help="the last simulated step's report"
    )
    p.add_argument(
        "--trace", metavar="T.json", help="a Perfetto trace of the last simulated step"
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="print only the generated tokens (no progress display)",
    )
    return p


def _prompt(text: str) -> list[int]:
    try:
        tokens = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise LpuError(
            f"--prompt: '{text}' is not a comma-separated list of token ids"
        ) from None
    if not tokens:
        raise LpuError("--prompt: at least one token is needed")
    return tokens


def load_model(args: argparse.Namespace):
    """(config, weights) from a checkpoint name or a config JSON."""
    from lpuir.models import checkpoints
    from lpuir.models.llama import LlamaConfig, random_weights

    if args.model in checkpoints.CHECKPOINTS:
        return checkpoints.load_checkpoint(
            args.model,
            32 if args.context is None else args.context,
            args.activations or "f32",
            args.weights or "f16",
        )
    path = Path(args.model)
    if path.suffix != ".json":
        raise LpuError(
            f"'{args.model}' is neither a checkpoint ({', '.join(checkpoints.CHECKPOINTS)}) nor a config .json"
        )
    if not path.is_file():
        raise LpuError(f"{path}: no such file")
    config = LlamaConfig.from_json(path)
    overrides = {}
    if args.context is not None:
        overrides["context"] = args.context
    if args.activations:
        overrides["activations"] = args.activations
    if args.weights:
        overrides["weights"] = args.weights
    if overrides:
        config = LlamaConfig.from_dict({**config.to_dict(), **overrides}, str(path))
    return config, random_weights(config, args.seed)


def emit_layer(
    config, weights, index: int, path: str, system: str, strategy: str, group: int
) -> None:
    """One layer alone: its tensor-level IR, or (.lpu) its compiled program."""
    from lpuir.context import make_context
    from lpuir.frontend import parse_source
    from lpuir.grammar.printer import print_lpu
    from lpuir.models.llama import build_layer
    from lpuir.transforms.compile import CompilePass

    text = build_layer(config, weights, index)
    if not path.endswith(".lpu"):
        write_text(path, text)
        return
    module = parse_source(text, f"layer{index}.mlir")
    CompilePass(system=system, strategy=strategy, group=group).apply(
        make_context(), module
    )
    out = io.StringIO()
    print_lpu(module, out)
    write_text(path, out.getvalue())


OUTPUTS = ("emit_mlir", "emit_lpu", "emit_layer", "save_inputs", "report_file", "trace")
"""The options that name files to write."""


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for flag in OUTPUTS:
        if getattr(args, flag):
            check_output(getattr(args, flag), f"--{flag.replace('_', '-')}")
    with progress.shown(not args.quiet):
        return generate_tokens(args)


def generate_tokens(args: argparse.Namespace) -> int:
    """lpu-generate with arguments whose output paths are known to be writable."""
    from lpuir.grammar.printer import print_lpu
    from lpuir.models.llama import (
        DecodeStep,
        decode_signature,
        empty_cache,
        generate,
        step_inputs,
    )

    if args.tokens < 1:
        raise LpuError("--tokens: at least 1")
    if args.context is not None and args.context < 1:
        raise LpuError("--context: at least 1")
    prompt = _prompt(args.prompt)
    config, weights = load_model(args)
    steps = len(prompt) + args.tokens - 1
    if steps > config.context:
        raise LpuError(
            f"{len(prompt)} prompt tokens and {args.tokens} new ones need {steps} positions; the context is {config.context}"
        )
    if args.emit_layer and not 0 <= args.layer < config.n_layers:
        raise LpuError(
            f"--layer: {args.layer} is not a layer of 0..{config.n_layers - 1}"
        )
    say = (lambda *a: None) if args.quiet else progress.echo
    say(
        f"{config.name}: {config.n_layers} layers, dim {config.dim}, {config.n_heads} heads ({config.n_kv_heads} KV), ffn {config.ffn_dim}, vocab {config.vocab}, context {config.context}; weights {config.weights}, activations {config.activations}"
    )
    name = Path(args.emit_mlir).name if args.emit_mlir else f"{config.name}.mlir"
    step = DecodeStep(
        config,
        weights,
        system=args.system,
        strategy=args.strategy,
        group=args.group,
        filename=name,
    )
    if args.emit_mlir:
        write_text(args.emit_mlir, step.text)
    if args.emit_layer:
        emit_layer(
            config,
            weights,
            args.layer,
            args.emit_layer,
            args.system,
            args.strategy,
            args.group,
        )
    if args.save_inputs:
        names = [n for n, _, _ in decode_signature(config).inputs]
        values = step_inputs(config, prompt[0], 0, empty_cache(config))
        with replacing(args.save_inputs, binary=True) as f:
            np.savez(f, **dict(zip(names, values, strict=True)))
    simulate = args.backend in ("simulator", "both")
    if simulate or args.emit_lpu:
        t = time.perf_counter()
        compiled = step.compiled
        say(f"compiled for {args.system} in {time.perf_counter() - t:.1f} s")
        if args.emit_lpu:
            out = io.StringIO()
            print_lpu(compiled, out)
            write_text(args.emit_lpu, out.getvalue())
    backend = "simulator" if simulate else "reference"
    last: dict[str, object] = {}

    def on_step(pos: int, token: int, result) -> None:
        if args.backend == "both":
            ref = step.run(token, pos, cache_before[0], "reference")
            for i, (got, want) in enumerate(
                zip(
                    [result.logits, *result.cache],
                    [ref.logits, *ref.cache],
                    strict=True,
                )
            ):
                if not bool(np.all(bits_equal(got, want))):
                    what = (
                        "logits" if i == 0 else decode_signature(config).outputs[i][0]
                    )
                    raise LpuError(
                        f"step {pos}: the simulated {what} differ from the reference"
                    )
        cache_before[0] = result.cache
        nxt = int(np.argmax(result.logits))
        cycles = (
            f" ({result.cycles} cycles, static {result.static_cycles})"
            if result.cycles is not None
            else ""
        )
        say(f"pos {pos}: token {token} -> {nxt}{cycles}")
        progress.update("lpu-generate", pos + 1, steps, "steps")
        last["result"] = result

    cache_before = [empty_cache(config)]
    if args.trace and not simulate:
        raise LpuError(
            "--trace records a simulated run; use --backend simulator or both"
        )
    gen = generate(step, prompt, args.tokens, backend, on_step=on_step)
    if args.trace or args.report_file:
        # rerun the last step with the trace on (the run is deterministic)
        pos = len(gen.steps) - 1
        fed = [*gen.prompt, *gen.tokens]
        cache = gen.steps[-2].cache if len(gen.steps) > 1 else empty_cache(config)
        result = step.run(fed[pos], pos, cache, "simulator", trace=bool(args.trace))
        if args.report_file and result.report is not None:
            report = {"model": config.name, "position": pos, **result.report}
            write_text(args.report_file, json.dumps(report, indent=2) + "\n")
        if args.trace and result.trace is not None:
            write_text(args.trace, json.dumps(result.trace) + "\n")
    check = " (simulator == reference bit for bit)" if args.backend == "both" else ""
    print("tokens: " + " ".join(str(t) for t in gen.tokens) + check)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `lpu-generate` console script."""
    return run_tool("lpu-generate", run, argv)


if __name__ == "__main__":
    sys.exit(main())
