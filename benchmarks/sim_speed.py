"""How fast the cycle-level simulator runs: simulated instructions per second,
and simulation time over the time plain numpy takes for the same tensors.

Hand-scheduled programs (scheduled by the timing rules of docs/dialect.md,
checked by the simulator itself):

- `vxm chain`: 14 VXM ops chained ALU to ALU over one long burst of vectors,
  each with its own operand streamed from SRAM (few, huge instructions);
- `small groups`: many read -> vxm.mul -> write groups of a few vectors each,
  back to back (many small instructions: the per-instruction overhead);
- `mxm matvec`: an int8 320x320 tile installed once, then one matmul over a
  batch of activation vectors.

and kernels compiled by lpu-compile from compile_roofline.py's list (numpy
computes them in float32 from the same f16/i8 inputs, so their results are
close, not bit-exact). "build s" is the parse, or the compile.

Usage: python benchmarks/sim_speed.py [--scale S] [--quick]
(S multiplies the hand-scheduled sizes; --quick: scale 0.25 and the small
compiled kernels only)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from benchlib import Ratio, best_of, compile_text, geomean, random_inputs
from compile_roofline import Kernel, attention_decode, matmul, mlp, rmsnorm, softmax
from xdsl.dialects.builtin import ModuleOp

from lpuir.grammar.parser import parse_lpu
from lpuir.interpreter.simulator import simulate
from lpuir.machine import ChipSpec

SPEC = ChipSpec()


@dataclass
class Case:
    name: str
    text: str
    inputs: list[np.ndarray]
    numpy: Callable[[], object]
    """The same tensors computed with plain numpy."""
    build: Callable[[str], ModuleOp] = lambda text: parse_lpu(text, "case.lpu")
    """The scheduled program from `text`."""
    compiled: bool = False


def compiled(kernel: Kernel) -> Case:
    """A kernel compiled by lpu-compile, its inputs as `lpu-run --input
    ...=random:I` makes them."""
    assert kernel.numpy is not None
    numpy = kernel.numpy
    inputs = random_inputs(kernel.text)
    return Case(
        f"compiled: {kernel.name}",
        kernel.text,
        inputs,
        lambda: numpy(*inputs),
        lambda text: compile_text(text, kernel.name),
        compiled=True,
    )


def attention_head() -> Kernel:
    with open("examples/compile/attention_head.mlir") as f:
        return Kernel(
            "attention head, decode (T=16, D=64) f32", f.read(), attention_decode
        )


def _position(slice_name: str) -> int:
    return SPEC.mem_slices[slice_name]


def vxm_chain(vectors: int, ops: int = 14) -> Case:
    """x -> x * c0 -> . + c1 -> ...: op i issues at `start` + i * delay_vxm on ALU i,
    chained from ALU i-1 at exactly its result cycle; c_i (one vector, read as
    a broadcast burst) comes from its own slices on its own stream so that it
    reaches the VXM when op i issues. Even c_i sit west of the VXM (W4, W8,
    ...) and flow east, odd ones east (E4, ...) and flow west."""
    start = 40
    rows = f"{vectors}x320xf32"
    lines = [
        'system "tsp-v1"',
        "chip 0 {",
        f"  tensor @x : {rows} input 0 at W0 0",
        f"  tensor @y : {rows} output 0 at W40 0",
    ]
    body = [f"  @{start - 3} %x = mem.read @x[0] -> S0E : f32[{vectors}]"]
    prev = "%x[S0E]"
    for i in range(ops):
        group = 4 + 4 * (i // 2)
        slice_name, stream = (
            (f"W{group}", f"S{group}E") if i % 2 == 0 else (f"E{group}", f"S{group}W")
        )
        lines.append(f"  tensor @c{i} : 1x320xf32 input {i + 1} at {slice_name} 0")
        issue = start + SPEC.delay_vxm * i
        travel = SPEC.delay_read + abs(_position(slice_name) - SPEC.vxm_position)
        body.append(
            f"  @{issue - travel} %c{i} = mem.read @c{i}[0 step 0] -> {stream} : f32[{vectors}]"
        )
        dst = " -> S0W" if i == ops - 1 else ""
        body.append(
            f"  @{issue} %v{i} = vxm.{'mul' if i % 2 == 0 else 'add'} {prev}, %c{i}[{stream}] alu {i}{dst} : f32[{vectors}]"
        )
        prev = f"%v{i}[alu {i}]"
    result = start + SPEC.delay_vxm * ops
    body.append(
        f"  @{result + SPEC.vxm_position - _position('W40')} mem.write %v{ops - 1}[S0W] -> @y[0]"
    )
    text = "\n".join([*lines, *body, "}"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((vectors, 320)).astype(np.float32)
    consts = [rng.standard_normal((1, 320)).astype(np.float32) for _ in range(ops)]

    def reference() -> object:
        v = x
        for i, c in enumerate(consts):
            v = v * c if i % 2 == 0 else v + c
        return v

    return Case(
        f"vxm chain ({ops} ops x {vectors} vectors)", text, [x, *consts], reference
    )


def small_groups(groups: int, burst: int) -> Case:
    """Group g: read @x[g*burst] at g*burst (W0, position 45, onto S0E),
    vxm.mul x*x at the VXM (46) one hop later, write to @y (E0, 47) one hop
    after the result: every unit is busy back to back."""
    n = groups * burst
    lines = [
        'system "tsp-v1"',
        "chip 0 {",
        f"  tensor @x : {n}x320xf32 input 0 at W0 0",
        f"  tensor @y : {n}x320xf32 output 0 at E0 0",
    ]
    for g in range(groups):
        c = g * burst
        lines.append(f"  @{c} %a{g} = mem.read @x[{c}] -> S0E : f32[{burst}]")
        lines.append(
            f"  @{c + 3} %m{g} = vxm.mul %a{g}[S0E], %a{g}[S0E] alu {g % 2} -> S4E : f32[{burst}]"
        )
        lines.append(f"  @{c + 6} mem.write %m{g}[S4E] -> @y[{c}]")
    lines.append("}")
    x = np.random.default_rng(1).standard_normal((n, 320)).astype(np.float32)
    return Case(
        f"small groups ({groups} x 3 instructions of {burst} vectors)",
        "\n".join(lines),
        [x],
        lambda: x * x,
    )


def mxm_matvec(batch: int) -> Case:
    """The int8 tile comes from 10 slices E34..E43 on S0E..S9E (as in
    examples/lpu/mxm_matvec_i8.lpu), then one matmul over `batch` vectors."""
    lines = [
        'system "tsp-v1"',
        "chip 0 {",
        f"  tensor @x : {batch}x320xi8 input 0 at E0 0",
    ]
    lines += [
        f"  tensor @w{j} : 32x320xi8 input {j + 1} at E{34 + j} 0" for j in range(10)
    ]
    lines.append(f"  tensor @y : {batch}x320xi32 output 0 at E4 0")
    lines += [f"  @{j} %r{j} = mem.read @w{j}[0] -> S{j}E : i8[32]" for j in range(10)]
    lines.append(
        "  @13 %w = mxm.install "
        + ", ".join(f"%r{j}[S{j}E]" for j in range(10))
        + " on E.0 : weights<i8>"
    )
    lines.append(f"  @2 %x = mem.read @x[0] -> S10E : i8[{batch}]")
    lines.append(f"  @49 %y = mxm.matmul %w, %x[S10E] on E.0 -> S0W : i32[{batch}]")
    lines.append("  @114 mem.write %y[S0W] -> @y[0]")
    lines.append("}")
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, (batch, 320), dtype=np.int8)
    w = rng.integers(-128, 128, (320, 320), dtype=np.int8)
    tiles = [w[32 * j : 32 * j + 32] for j in range(10)]
    return Case(
        f"mxm matvec (i8 320x320, batch {batch})",
        "\n".join(lines),
        [x, *tiles],
        lambda: x.astype(np.int32) @ w.astype(np.int32),
    )


def cases(scale: float, quick: bool) -> list[Case]:
    """Hand-scheduled programs at `scale`, then compiled kernels (quick: the
    small ones)."""
    kernels = [softmax(), rmsnorm(), attention_head()]
    if not quick:
        kernels += [
            matmul("GEMM 256x1024 x 1024x1024 f16", 256, 1024, 1024, "f16"),
            mlp(64, 1024, 1024),
        ]
    return [
        vxm_chain(int(4096 * scale)),
        small_groups(int(2000 * scale), 1),
        small_groups(int(250 * scale), 8),
        mxm_matvec(int(1024 * scale)),
        *(compiled(k) for k in kernels),
    ]


def agreement(got: np.ndarray, expected: np.ndarray) -> str:
    """bit-exact, close (every error within 1e-3 of the largest magnitude: f16
    roundings of intermediates may differ by an ulp) or DIFFERS."""
    if np.array_equal(got, expected):
        return "bit-exact"
    scale = float(np.abs(expected).max()) or 1.0
    close = float(np.abs(got - expected).max()) <= 1e-3 * scale
    return "close" if close else "DIFFERS"


def report(case_list: list[Case]) -> list[Ratio]:
    """Run each case, print its row; sim / numpy per compiled kernel and the
    geometric mean over the hand-scheduled ones."""
    columns = ("instr", "cycles", "build s", "sim s", "instr/s", "numpy s", "sim/numpy")
    print(f"{'program':<56}" + "".join(f"{c:>11}" for c in columns) + "  same")
    ratios, hand = [], []
    for case in case_list:
        t = time.perf_counter()
        module = case.build(case.text)
        build_time = time.perf_counter() - t
        result = simulate(module, case.inputs)
        sim_time = best_of(lambda c=case, m=module: simulate(m, c.inputs), repeat=2)
        numpy_time = best_of(case.numpy)
        same = agreement(result.outputs[0], np.asarray(case.numpy()))
        row = (
            f"{result.instructions:>11}{result.cycles:>11}{build_time:>11.3f}"
            f"{sim_time:>11.3f}{result.instructions / sim_time:>11.0f}"
            f"{numpy_time:>11.5f}{sim_time / numpy_time:>11.1f}"
        )
        print(f"{case.name:<56}{row}  {same}")
        if case.compiled:
            ratios.append(
                Ratio("sim-numpy", case.name, sim_time / numpy_time, "sim s / numpy s")
            )
        else:
            hand.append(sim_time / numpy_time)
    ratios.insert(
        0,
        Ratio(
            "sim-numpy",
            f"hand-scheduled programs (geometric mean of {len(hand)})",
            geomean(hand),
            "sim s / numpy s",
        ),
    )
    return ratios


def run(quick: bool) -> list[Ratio]:
    """run_all's entry (quick: scale 0.25, small compiled kernels)."""
    return report(cases(0.25 if quick else 1.0, quick))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the program sizes"
    )
    parser.add_argument(
        "--quick", action="store_true", help="the small compiled kernels only"
    )
    args = parser.parse_args()
    report(cases(args.scale, args.quick))


if __name__ == "__main__":
    main()
