"""Compile time against op count: does lpu-compile grow linearly?

Generates tensor programs of n tosa ops, n/4 blocks of
  m = matmul(x, W) (f16 -> f32); t = tanh(m); a = acc + t; acc = a * b
(x, W, b are arguments; acc starts as b), times lpu-compile{system=tsp-v1}
through the Python API (parse excluded, schedule verification off), and fits
time = c * n^k by least squares on log-log: k near 1 is linear.

Run: python benchmarks/compile_scaling.py [--quick]
"""

from __future__ import annotations

import math
import time

from benchlib import Ratio, quick_main

from lpuir.context import make_context
from lpuir.frontend import parse_source
from lpuir.transforms.compile import CompilePass


def program(n: int, rows: int = 8, d: int = 320) -> str:
    """n ops (a multiple of 4) of the block above, on rows x d tensors."""
    x, h, w = (
        f"tensor<1x{rows}x{d}xf32>",
        f"tensor<1x{rows}x{d}xf16>",
        f"tensor<1x{d}x{d}xf16>",
    )
    lines = [
        f"func.func @main(%x: {h}, %w: {w}, %b: {x}) -> {x} {{",
        '  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>',
        '  %s = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>',
    ]
    acc = "%b"
    for i in range(0, n, 4):
        lines += [
            f"  %m{i} = tosa.matmul %x, %w, %z, %z : ({h}, {w}, tensor<1xf16>, tensor<1xf16>) -> {x}",
            f"  %t{i} = tosa.tanh %m{i} : ({x}) -> {x}",
            f"  %a{i} = tosa.add {acc}, %t{i} : ({x}, {x}) -> {x}",
            f"  %acc{i} = tosa.mul %a{i}, %b, %s : ({x}, {x}, tensor<1xi8>) -> {x}",
        ]
        acc = f"%acc{i}"
    lines += [f"  return {acc} : {x}", "}"]
    return "\n".join(lines)


def compile_seconds(n: int) -> float:
    """Wall-clock seconds of one lpu-compile of program(n), without the parse."""
    module = parse_source(program(n), f"chain{n}.mlir")
    start = time.perf_counter()
    CompilePass(verify=False).apply(make_context(), module)
    return time.perf_counter() - start


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) over log(x)."""
    lx, ly = [math.log(v) for v in xs], [math.log(v) for v in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )


def run(quick: bool) -> list[Ratio]:
    """run_all's entry: per-op cost growth and the log-log exponent."""
    sizes = [8, 16, 32, 64, 128] if quick else [8, 16, 32, 64, 128, 256]
    repeat = 1 if quick else 3
    print(f"{'ops':>5} {'compile s':>10} {'ms/op':>8}")
    compile_seconds(4)  # warm up: dialects and passes load on first use
    times = []
    for n in sizes:
        seconds = min(compile_seconds(n) for _ in range(repeat))
        times.append(seconds)
        print(f"{n:>5} {seconds:>10.3f} {1000 * seconds / n:>8.2f}")
    growth = (times[-1] / sizes[-1]) / (times[0] / sizes[0])
    k = slope([float(n) for n in sizes], times)
    print(
        f"per-op cost at {sizes[-1]} ops / at {sizes[0]} ops: {growth:.2f}; time ~ n^{k:.2f}"
    )
    return [
        Ratio(
            "compile-scaling",
            f"per-op compile time, {sizes[-1]} ops / {sizes[0]} ops",
            growth,
            "1 = linear",
        ),
        Ratio(
            "compile-scaling",
            f"exponent k of compile time ~ n^k, n = {sizes[0]}..{sizes[-1]}",
            k,
            "1 = linear",
        ),
    ]


def main() -> None:
    quick_main(run, __doc__, "up to 128 ops, once each")


if __name__ == "__main__":
    main()
