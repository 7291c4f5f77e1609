"""Cycle accuracy at the reference's price: the simulator against the reference interpreter.

The reference interpreter computes a tensor-level program's bit-exact
numerics without timing, which makes it the floor for the simulator running
the same program compiled (the same numerics, every cycle checked). For each
compiled example (MLP, softmax, RMSNorm, attention head, a decode step of the
tiny Llama of examples/llama) on the same random inputs, in one run:

- ref: the reference interpreter on the tensor-level program;
- plan: `Program(module)`, the simulator's plan of the compiled program (each
  instruction's facts and every timing rule checked; once per program);
- run: `Program.run(inputs)`, simulating the planned program (the cost of
  each further run, as lpu-generate's decode steps or the debugger pay it);
- run / ref and (plan + run) / ref, the ratios; and whether the simulated
  outputs equal the reference's bit for bit.

Times are the process's CPU time (`time.process_time`: other jobs on a busy
machine do not count), the best of several repetitions, interleaved.

Usage: python benchmarks/sim_reference.py [--quick] [--profile NAME]
(--quick: fewer repetitions; --profile NAME: cProfile of NAME's plan and run,
the top functions by own time)
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from benchlib import Ratio, compile_text, random_inputs
from xdsl.dialects.builtin import ModuleOp

from lpuir.compare import bits_equal
from lpuir.frontend import parse_source
from lpuir.interpreter.reference import run_function
from lpuir.interpreter.simulator import Program
from lpuir.models.llama import LlamaConfig, build_decode_step, random_weights

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Example:
    name: str
    text: str


def examples() -> list[Example]:
    """The compiled examples of issue 19, as tensor-level text."""
    found = [
        Example(name, (ROOT / "examples" / "compile" / f"{file}.mlir").read_text())
        for name, file in (
            ("MLP f16 (examples/compile/mlp_f16)", "mlp_f16"),
            ("softmax over 4096 (4 rows)", "softmax"),
            ("RMSNorm over 4096 (2 rows)", "rmsnorm"),
            ("attention head, decode (T=16, D=64)", "attention_head"),
        )
    ]
    tiny = LlamaConfig.from_json(ROOT / "examples" / "llama" / "tiny.json")
    text = build_decode_step(tiny, random_weights(tiny, seed=0))
    return [*found, Example("tiny Llama decode step (d=64, 2 layers)", text)]


def _times(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """The best CPU time of each function, the functions interleaved."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.process_time()
            fn()
            best[i] = min(best[i], time.process_time() - start)
    return best


@dataclass
class Measured:
    example: Example
    instructions: int
    ref: float
    plan: float
    run: float
    same: bool


def measure(example: Example, repeat: int) -> Measured:
    source = parse_source(example.text, "source.mlir")
    compiled: ModuleOp = compile_text(example.text, "source.mlir")
    inputs = random_inputs(example.text)
    program = Program(compiled)
    expected = run_function(source, None, inputs)
    got = program.run(inputs)
    same = all(
        bool(np.all(bits_equal(g, e)))
        for g, e in zip(got.outputs, expected, strict=True)
    )
    ref, plan, run = _times(
        [
            lambda: run_function(source, None, inputs),
            lambda: Program(compiled),
            lambda: program.run(inputs),
        ],
        repeat,
    )
    return Measured(example, got.instructions, ref, plan, run, same)


def report(quick: bool) -> list[Ratio]:
    columns = ("instr", "ref ms", "plan ms", "run ms", "run/ref", "(p+r)/ref")
    print(f"{'program':42}" + "".join(f"{c:>10}" for c in columns) + "  outputs")
    ratios = []
    for example in examples():
        m = measure(example, 3 if quick else 10)
        row = (
            f"{m.instructions:>10}{m.ref * 1e3:>10.2f}{m.plan * 1e3:>10.2f}"
            f"{m.run * 1e3:>10.2f}{m.run / m.ref:>10.2f}{(m.plan + m.run) / m.ref:>10.2f}"
        )
        same = "bit-exact" if m.same else "DIFFER"
        print(f"{example.name:42}{row}  {same}")
        ratios.append(
            Ratio(
                "sim-reference",
                example.name,
                m.run / m.ref,
                "simulator run / reference",
            )
        )
        ratios.append(
            Ratio(
                "sim-reference",
                f"{example.name}, with the plan",
                (m.plan + m.run) / m.ref,
                "(plan + run) / reference",
            )
        )
    return ratios


def profile(name: str, top: int = 25) -> None:
    """cProfile of one example's plan and run (the first whose name starts
    with `name`), the functions with the most own time first."""
    example = next(e for e in examples() if e.name.lower().startswith(name.lower()))
    compiled = compile_text(example.text, "source.mlir")
    inputs = random_inputs(example.text)
    program = Program(compiled)
    for what, fn in (
        ("plan", lambda: Program(compiled)),
        ("run", lambda: program.run(inputs)),
    ):
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            fn()
        profiler.disable()
        print(f"== {example.name}: {what} (5 times)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def run(quick: bool) -> list[Ratio]:
    """run_all's entry."""
    return report(quick)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--profile", metavar="NAME", help="profile one example")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
    else:
        report(args.quick)


if __name__ == "__main__":
    main()
