"""Schedule quality: lpu-compile's static cycles against the modelled chip's roofline.

For each kernel: compile time, static cycles (checked equal to the simulated
cycles), and the roofline, the highest of:
- MXM-bound: multiply-accumulates / (all planes x K x lanes per cycle);
- SRAM-bound: bytes that must be read and written once / (slices x lanes bytes);
- stream-bound: those bytes / (2 directions x streams x lanes bytes);
- VXM-bound: elementwise operations / (ALUs x lanes);
- install-bound: weight bytes / (mxm_install_rows_per_cycle x lanes bytes per
  cycle: four 320x320 int8 planes in 40 cycles, [ISCA20]);
- latency-bound (few rows): the longest chain of dependent ops at their least
  latencies (LATENCY_DOC).
The ratio is static cycles / that bound (issue 16's targets: the big GEMM
<= 1.25, GEMV resident <= 1.5 and as an input <= 2, MLP <= 2, softmax and
RMSNorm <= 3 at 64 rows and <= 2 at 4 rows).
Multiply-accumulates and elementwise operations are counted from the program's
tosa ops (a clamp counts two: lpu-decompose makes it a maximum and a minimum).
Run: python benchmarks/compile_roofline.py [--simulate] [--quick]
(--simulate checks static == simulated cycles, except for kernels of over 10^9
multiply-accumulates, whose bit-exact simulation takes minutes; --quick leaves
those kernels out.)
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from benchlib import Ratio, compile_text, static_cycles
from xdsl.dialects import func
from xdsl.ir import Operation, SSAValue

from lpuir.dialects.lpu import element_bytes
from lpuir.frontend import parse_source
from lpuir.machine import CHIP_PRESETS, ChipSpec
from lpuir.transforms.vectorize import lanes
from lpuir.transforms.vectorize.reductions import COMBINE, ORDER_FREE, lane_passes
from lpuir.types import tensor_shape_and_element

BIG_MACS = 10**9
"""Kernels above this many multiply-accumulates are not simulated."""
NOT_VXM = {"tosa.const", "tosa.const_shape", "tosa.reshape", "tosa.transpose"}
"""Tensor ops that take no VXM work (folded, free or on the SXM)."""
VXM_WEIGHT = {"tosa.clamp": 2}
TRANSCENDENTAL = {
    "tosa.exp",
    "tosa.rsqrt",
    "tosa.reciprocal",
    "tosa.tanh",
    "tosa.sigmoid",
}
LATENCY_DOC = """The latency bound of a few-row kernel: the longest chain of
dependent tosa ops, an elementwise op costing one VXM delay (the
transcendental delay for exp, rsqrt, reciprocal, tanh, sigmoid) and a
last-axis reduction of a row of v vectors (v - 1) VXM delays to combine them
plus the lane tree's round trips through the SXM (the only unit that moves
lanes; reductions.lane_passes: for a few rows four halvings in one pass and
the last two with the left-to-right pass over 5 lanes in another, for 64
rows two halvings a pass and the 5 lanes in a fourth), and for a sum or
product one more pass spreading the result, then in every fifth lane, to
all (a permute and a distribute): 2 + 1 (a max or min, which any order gives
in every lane: 2) for a few rows; each pass at one SXM rotation, the round
trip between the VXM and the nearest SXM and one VXM delay per level of its
tree (four for four halvings: the combines that must follow one another
even if every rotation came back at once), the spread at one rotation, the
trip and one VXM delay (its permute and distribute take longer). SRAM reads and
writes are not counted, so it is a lower bound."""


@dataclass
class Kernel:
    name: str
    text: str
    numpy: Callable[..., np.ndarray] | None = None
    """The same result computed with plain numpy float (or int) ops."""


@dataclass
class Work:
    """What a kernel must compute, counted from its tosa ops."""

    macs: int
    element: str
    """Element type of the (first) matmul's operands."""
    vxm_ops: int
    installed: int
    """Bytes of matmul right-hand sides (each installed on the MXM once)."""
    moved: int
    """Bytes of the function's arguments, results and constants (each moved
    once: a decoder's resident weights are read once per step)."""
    latency: int = 0
    """The longest chain of dependent ops, each at its least latency
    (LATENCY_DOC)."""


def _f32(*arrays: np.ndarray) -> list[np.ndarray]:
    return [a.astype(np.float32) for a in arrays]


def matmul(
    name: str, m: int, k: int, n: int, element: str, *, resident: bool = False
) -> Kernel:
    """`resident`: the right-hand side is a `{lpu.weight}` argument (held in
    SRAM before the program starts), else a program input."""
    acc = "i32" if element == "i8" else "f32"
    a, b, c = (
        f"tensor<1x{m}x{k}x{element}>",
        f"tensor<1x{k}x{n}x{element}>",
        f"tensor<1x{m}x{n}x{acc}>",
    )
    zp = "0" if element == "i8" else "0.0"
    weight = " {lpu.weight}" if resident else ""
    text = f"""func.func @main(%a: {a}, %b: {b}{weight}) -> {c} {{
  %z = "tosa.const"() <{{values = dense<{zp}> : tensor<1x{element}>}}> : () -> tensor<1x{element}>
  %0 = tosa.matmul %a, %b, %z, %z : ({a}, {b}, tensor<1x{element}>, tensor<1x{element}>) -> {c}
  return %0 : {c}
}}"""
    carrier = np.int32 if element == "i8" else np.float32
    return Kernel(name, text, lambda x, w: x.astype(carrier) @ w.astype(carrier))


def mlp(m: int, d: int, h: int) -> Kernel:
    x, w1, w2 = (
        f"tensor<1x{m}x{d}xf16>",
        f"tensor<1x{d}x{h}xf16>",
        f"tensor<1x{h}x{d}xf16>",
    )
    hf, hh, y = (
        f"tensor<1x{m}x{h}xf32>",
        f"tensor<1x{m}x{h}xf16>",
        f"tensor<1x{m}x{d}xf32>",
    )
    text = f"""func.func @main(%x: {x}, %w1: {w1}, %w2: {w2}) -> {y} {{
  %z = "tosa.const"() <{{values = dense<0.0> : tensor<1xf16>}}> : () -> tensor<1xf16>
  %h = tosa.matmul %x, %w1, %z, %z : ({x}, {w1}, tensor<1xf16>, tensor<1xf16>) -> {hf}
  %r = tosa.clamp %h {{min_val = 0.0 : f32, max_val = 3.0e38 : f32}} : ({hf}) -> {hf}
  %c = tosa.cast %r : ({hf}) -> {hh}
  %y = tosa.matmul %c, %w2, %z, %z : ({hh}, {w2}, tensor<1xf16>, tensor<1xf16>) -> {y}
  return %y : {y}
}}"""
    return Kernel(f"MLP {m}x{d} -> {h} -> {d} f16", text, _mlp_numpy)


def _mlp_numpy(x: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    x, w1, w2 = _f32(x, w1, w2)
    h = np.maximum(x @ w1, 0).astype(np.float16).astype(np.float32)
    return h @ w2


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e * (1 / e.sum(axis=-1, keepdims=True))


def _rmsnorm(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + 1e-5) * w


def attention_decode(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """examples/compile/attention_head.mlir: one head, one query, in numpy."""
    p = _softmax((k * q).sum(axis=-1) * k.shape[-1] ** -0.5)
    return (v * p[..., None]).sum(axis=-2, keepdims=True)


def softmax(rows: int = 4) -> Kernel:
    """Softmax over 4096 as TOSA frontends emit it (examples/compile/softmax.mlir
    at `rows` rows)."""
    t, r = f"tensor<{rows}x4096xf32>", f"tensor<{rows}x1xf32>"
    text = f"""func.func @softmax(%x: {t}) -> {t} {{
  %m = tosa.reduce_max %x {{axis = 1 : i32}} : ({t}) -> {r}
  %d = tosa.sub %x, %m : ({t}, {r}) -> {t}
  %e = tosa.exp %d : ({t}) -> {t}
  %s = tosa.reduce_sum %e {{axis = 1 : i32}} : ({t}) -> {r}
  %r = tosa.reciprocal %s : ({r}) -> {r}
  %shift = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %y = tosa.mul %e, %r, %shift : ({t}, {r}, tensor<1xi8>) -> {t}
  return %y : {t}
}}"""
    return Kernel(f"softmax over 4096 ({rows} rows) f32", text, _softmax)


def rmsnorm(rows: int = 2) -> Kernel:
    """RMSNorm over 4096 (examples/compile/rmsnorm.mlir at `rows` rows)."""
    t, r = f"tensor<{rows}x4096xf32>", f"tensor<{rows}x1xf32>"
    w, s1 = "tensor<1x4096xf32>", "tensor<1xi8>"
    text = f"""func.func @rmsnorm(%x: {t}, %w: {w}) -> {t} {{
  %shift = "tosa.const"() <{{values = dense<0> : {s1}}}> : () -> {s1}
  %sq = tosa.mul %x, %x, %shift : ({t}, {t}, {s1}) -> {t}
  %s = tosa.reduce_sum %sq {{axis = 1 : i32}} : ({t}) -> {r}
  %inv_n = "tosa.const"() <{{values = dense<2.44140625e-04> : tensor<1x1xf32>}}> : () -> tensor<1x1xf32>
  %mean = tosa.mul %s, %inv_n, %shift : ({r}, tensor<1x1xf32>, {s1}) -> {r}
  %eps = "tosa.const"() <{{values = dense<1.0e-05> : tensor<1x1xf32>}}> : () -> tensor<1x1xf32>
  %v = tosa.add %mean, %eps : ({r}, tensor<1x1xf32>) -> {r}
  %q = tosa.rsqrt %v : ({r}) -> {r}
  %n = tosa.mul %x, %q, %shift : ({t}, {r}, {s1}) -> {t}
  %y = tosa.mul %n, %w, %shift : ({t}, {w}, {s1}) -> {t}
  return %y : {t}
}}"""
    return Kernel(f"RMSNorm over 4096 ({rows} rows) f32", text, _rmsnorm)


def lane_tree_latency(spec: ChipSpec, rows: int, order_free: bool) -> int:
    """The least latency of the lane tree of `rows` rows and its spread
    (LATENCY_DOC); `order_free`: a max or min."""
    passes, period = lane_passes(spec, rows, order_free)
    depth = sum(lanes.ready(tree) for tree in passes) + (period > 1)
    trips = len(passes) + (period > 1)
    return trips * lanes.round_trip(spec) + depth * spec.delay("vxm")


def op_latency(op: Operation, spec: ChipSpec) -> int:
    """One tosa op's least latency (LATENCY_DOC)."""
    if op.name.startswith("tosa.reduce_"):
        shape = tensor_shape_and_element(op.operands[0].type)[0]
        vectors = -(-shape[-1] // spec.lanes)
        return (vectors - 1) * spec.delay("vxm") + lane_tree_latency(
            spec, math.prod(shape[:-1]), COMBINE.get(type(op)) in ORDER_FREE
        )
    if op.name in TRANSCENDENTAL:
        return spec.delay("vxm_transcendental")
    return spec.delay("vxm")


def work(text: str) -> Work:
    """Multiply-accumulates, VXM operations, argument/result/constant bytes
    and the latency bound."""
    spec = CHIP_PRESETS["tsp-v1"]
    module = parse_source(text, "k.mlir")
    macs, vxm_ops, element, moved, installed = 0, 0, "f32", 0, 0
    ready: dict[SSAValue, int] = {}
    for op in module.walk():
        if op.name == "tosa.const":
            shape, el = tensor_shape_and_element(op.results[0].type)
            moved += math.prod(shape) * element_bytes(el)
        if not op.name.startswith("tosa.") or op.name in NOT_VXM:
            continue
        start = max((ready.get(v, 0) for v in op.operands), default=0)
        for r in op.results:
            ready[r] = start + op_latency(op, spec)
        shapes = [
            tensor_shape_and_element(v.type)
            for v in [*op.operands, *op.results]
            if hasattr(v.type, "get_shape")
        ]
        if op.name == "tosa.matmul":
            (a, a_element), (b, _) = shapes[0], shapes[1]
            element = element if macs else a_element
            macs += math.prod(a) * b[-1]
            installed += math.prod(b) * element_bytes(a_element)
        else:
            vxm_ops += VXM_WEIGHT.get(op.name, 1) * max(math.prod(s) for s, _ in shapes)
    fn = next(op for op in module.walk() if isinstance(op, func.FuncOp))
    for t in [*fn.function_type.inputs, *fn.function_type.outputs]:
        shape, el = tensor_shape_and_element(t)
        moved += math.prod(shape) * element_bytes(el)
    return Work(
        macs, element, vxm_ops, installed, moved, max(ready.values(), default=0)
    )


def roofline(w: Work, spec: ChipSpec) -> dict[str, float]:
    planes = 2 * spec.mxm_planes
    return {
        "MXM": w.macs / (planes * spec.mxm_k(w.element) * spec.lanes)
        if w.macs
        else 0.0,
        "SRAM": w.moved / (len(spec.mem_slices) * spec.lanes),
        "stream": w.moved / (2 * spec.streams * spec.lanes),
        "VXM": w.vxm_ops / (spec.vxm_alus * spec.lanes),
        "install": w.installed / (spec.mxm_install_rows_per_cycle * spec.lanes),
        "latency": float(w.latency),
    }


def kernels(quick: bool) -> list[Kernel]:
    """The single-chip kernels; quick leaves out the ones of over 10^9 MACs."""
    big = [matmul("GEMM 2304x4096 x 4096x4096 f16", 2304, 4096, 4096, "f16")]
    gemv = "GEMV 1x4096 x 4096x4096 i8"
    gemm = "GEMM 256x1024 x 1024x1024 f16"
    return [
        *([] if quick else big),
        matmul(f"{gemv}, resident", 1, 4096, 4096, "i8", resident=True),
        matmul(f"{gemv}, input", 1, 4096, 4096, "i8"),
        matmul(f"{gemm}, resident", 256, 1024, 1024, "f16", resident=True),
        matmul(f"{gemm}, input", 256, 1024, 1024, "f16"),
        mlp(64, 1024, 1024),
        *(f(rows) for f in (softmax, rmsnorm) for rows in (4, 64)),
    ]


def report(benchmark: str, kernel_list: list[Kernel], *, simulate: bool) -> list[Ratio]:
    """Compile each kernel, print its row, return static / roofline per kernel."""
    spec = CHIP_PRESETS["tsp-v1"]
    print(
        f"{'kernel':44} {'compile s':>9} {'static cycles':>13} {'roofline':>9} {'bound':>7} {'ratio':>6}"
    )
    ratios = []
    for kernel in kernel_list:
        w = work(kernel.text)
        start = time.perf_counter()
        verify = simulate and w.macs <= BIG_MACS
        module = compile_text(kernel.text, kernel.name, verify=verify)
        seconds = time.perf_counter() - start
        static = static_cycles(module)
        bounds = roofline(w, spec)
        bound = max(bounds, key=lambda k: bounds[k])
        print(
            f"{kernel.name:44} {seconds:9.2f} {static:13d} {bounds[bound]:9.0f} {bound:>7} {static / bounds[bound]:6.2f}"
        )
        ratios.append(
            Ratio(
                benchmark,
                kernel.name,
                static / bounds[bound],
                f"static cycles / roofline ({bound})",
            )
        )
    return ratios


def run(quick: bool) -> list[Ratio]:
    """run_all's entry: the single-chip kernels (quick: without the big GEMM)."""
    return report("roofline", kernels(quick), simulate=not quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="also simulate each kernel and check its cycles",
    )
    parser.add_argument(
        "--quick", action="store_true", help="leave out the kernels of over 10^9 MACs"
    )
    args = parser.parse_args()
    report("roofline", kernels(args.quick), simulate=args.simulate)


if __name__ == "__main__":
    main()
