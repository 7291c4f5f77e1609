"""Many chips: the distributed GEMM and all-reduce latency against bounds.

- GEMM [800 x 32576] x [32576 x 8192] f16 -> f32 split by columns over the
  chips of node8 (8 chips) and of dragonfly4 (26 of its 32 chips: 8192 columns
  are 26 tiles of 320); static cycles (exact: equal to the simulated count by
  construction, checked by the tests on smaller sizes), microseconds at the
  chip clock, against the ISCA22 paper's ~330 us on 8 hardware chips and
  against the MXM roofline of the chips used. --quick uses K = 3200.
- All-reduce of n vectors per chip on node8 (lpuir.collectives.all_reduce,
  direct reduce-scatter + all-gather), simulated bit-exactly, against the
  link lower bound L + max(L, 2 (n/P) t): each of the two phases puts n/P
  vectors on every link direction (t cycles each), the last one arrives a
  link latency L after it is sent, and a sum cannot leave before a first
  latency has passed.

Run: python benchmarks/distributed.py [--quick]
"""

from __future__ import annotations

import math
import time

import numpy as np
from benchlib import Ratio, quick_main, system_of

from lpuir import collectives, numerics
from lpuir.context import make_context
from lpuir.dialects import lpu
from lpuir.frontend import parse_source
from lpuir.interpreter.simulator import simulate
from lpuir.transforms.allocate_sram import AllocateSramPass
from lpuir.transforms.compile import CompilePass
from lpuir.transforms.schedule import SchedulePass

PAPER_US = 330.0
"""ISCA22 (Abts et al.), the distributed GEMM on 8 TSPs, as MACHINE.md cites it."""


def _gemm(m: int, k: int, n: int) -> str:
    a, b, c = f"1x{m}x{k}xf16", f"1x{k}x{n}xf16", f"1x{m}x{n}xf32"
    return f"""func.func @gemm(%a: tensor<{a}>, %b: tensor<{b}>) -> tensor<{c}> {{
  %z = "tosa.const"() <{{values = dense<0.0> : tensor<1xf16>}}> : () -> tensor<1xf16>
  %c = tosa.matmul %a, %b, %z, %z : (tensor<{a}>, tensor<{b}>, tensor<1xf16>, tensor<1xf16>) -> tensor<{c}>
  return %c : tensor<{c}>
}}"""


def gemm(system: str, m: int, k: int, n: int) -> tuple[int, int, float, float]:
    """(static cycles, chips used, compile s, us at the chip clock)."""
    module = parse_source(_gemm(m, k, n), "gemm.mlir")
    start = time.perf_counter()
    CompilePass(system=system, strategy="tensor", verify=False).apply(
        make_context(), module
    )
    seconds = time.perf_counter() - start
    system_op = system_of(module)
    assert system_op.static_cycles is not None
    cycles = system_op.static_cycles.data
    spec = system_op.machine.spec.chip
    used = sum(1 for c in system_op.chips if any(True for _ in c.instructions()))
    return cycles, used, seconds, cycles * spec.cycle_ns() / 1000


def all_reduce(vectors: int) -> tuple[int, int]:
    """(simulated cycles, lower bound) of an all-reduce over node8."""
    chips = list(range(8))
    module = collectives.all_reduce("node8", chips, vectors)
    AllocateSramPass().apply(make_context(), module)
    SchedulePass().apply(make_context(), module)
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((vectors, 320)).astype(np.float32) for _ in chips]
    result = simulate(module, xs)
    want = xs[0]
    for x in xs[1:]:
        want = numerics.add(want, x, "f32")
    assert result.cycles == result.static_cycles
    assert all(np.array_equal(o, want) for o in result.outputs)
    system = next(o for o in module.walk() if isinstance(o, lpu.SystemOp)).machine.spec
    # every link direction carries n/P vectors of each phase; the last one
    # arrives a latency after it is sent, and no sum leaves before a latency
    per_link = math.ceil(vectors / len(chips))
    latency = system.local_latency
    bound = latency + max(latency, 2 * per_link * system.cycles_per_vector)
    return result.cycles, bound


def run(quick: bool) -> list[Ratio]:
    k = 3200 if quick else 32576
    ratios = []
    print(f"GEMM [800 x {k}] x [{k} x 8192] f16, split by columns")
    print(
        f"{'system':12} {'chips':>5} {'cycles':>10} {'us':>8} {'roofline':>9} {'compile s':>9}"
    )
    for system in ("node8",) if quick else ("node8", "dragonfly4"):
        cycles, used, seconds, us = gemm(system, 800, k, 8192)
        chip = lpu.SystemAttr(system).spec.chip
        mxm = (
            800
            * k
            * 8192
            / (used * 2 * chip.mxm_planes * chip.mxm_k("f16") * chip.lanes)
        )
        print(
            f"{system:12} {used:5} {cycles:10} {us:8.1f} {cycles / mxm:9.2f} {seconds:9.1f}"
        )
        ratios.append(
            Ratio(
                "distributed",
                f"GEMM K={k} {system}: cycles / MXM roofline",
                cycles / mxm,
                "x",
            )
        )
        if not quick and system == "node8":
            ratios.append(
                Ratio(
                    "distributed",
                    "GEMM node8: modelled us / ISCA22 hardware us",
                    us / PAPER_US,
                    "x",
                )
            )
    print("\nall-reduce on node8 (8 chips), f32 vectors of 320 lanes per chip")
    print(f"{'vectors':>8} {'bytes':>9} {'cycles':>7} {'bound':>6} {'ratio':>6}")
    for vectors in (8, 32) if quick else (8, 32, 128):
        cycles, bound = all_reduce(vectors)
        print(
            f"{vectors:8} {vectors * 1280:9} {cycles:7} {bound:6} {cycles / bound:6.2f}"
        )
        ratios.append(
            Ratio(
                "distributed",
                f"all-reduce {vectors} vectors: cycles / bound",
                cycles / bound,
                "x",
            )
        )
    return ratios


if __name__ == "__main__":
    quick_main(run, __doc__, "K = 3200 and small all-reduces")
