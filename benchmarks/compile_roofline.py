"""Schedule quality: lpu-compile's static cycles against the modelled chip's roofline.

For each kernel: compile time, static cycles (checked equal to the simulated
cycles), and the roofline, the highest of:
- MXM-bound: multiply-accumulates / (all planes x K x lanes per cycle);
- SRAM-bound: bytes that must be read and written once / (slices x lanes bytes);
- stream-bound: those bytes / (2 directions x streams x lanes bytes);
- VXM-bound: elementwise operations / (ALUs x lanes).
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

from lpuir.dialects.lpu import element_bytes
from lpuir.frontend import parse_source
from lpuir.machine import CHIP_PRESETS, ChipSpec
from lpuir.types import tensor_shape_and_element

BIG_MACS = 10**9
"""Kernels above this many multiply-accumulates are not simulated."""
NOT_VXM = {"tosa.const", "tosa.const_shape", "tosa.reshape", "tosa.transpose"}
"""Tensor ops that take no VXM work (folded, free or on the SXM)."""
VXM_WEIGHT = {"tosa.clamp": 2}


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
    moved: int
    """Bytes of the function's arguments, results and constants (each moved
    once: a decoder's resident weights are read once per step)."""


def _f32(*arrays: np.ndarray) -> list[np.ndarray]:
    return [a.astype(np.float32) for a in arrays]


def matmul(name: str, m: int, k: int, n: int, element: str) -> Kernel:
    acc = "i32" if element == "i8" else "f32"
    a, b, c = (
        f"tensor<1x{m}x{k}x{element}>",
        f"tensor<1x{k}x{n}x{element}>",
        f"tensor<1x{m}x{n}x{acc}>",
    )
    zp = "0" if element == "i8" else "0.0"
    text = f"""func.func @main(%a: {a}, %b: {b}) -> {c} {{
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


def example(name: str, path: str, numpy: Callable[..., np.ndarray]) -> Kernel:
    with open(path) as f:
        return Kernel(name, f.read(), numpy)


def softmax() -> Kernel:
    return example(
        "softmax over 4096 (4 rows) f32", "examples/compile/softmax.mlir", _softmax
    )


def rmsnorm() -> Kernel:
    return example(
        "RMSNorm over 4096 (2 rows) f32", "examples/compile/rmsnorm.mlir", _rmsnorm
    )


def work(text: str) -> Work:
    """Multiply-accumulates, VXM operations and argument/result/constant bytes."""
    module = parse_source(text, "k.mlir")
    macs, vxm_ops, element, moved = 0, 0, "f32", 0
    for op in module.walk():
        if op.name == "tosa.const":
            shape, el = tensor_shape_and_element(op.results[0].type)
            moved += math.prod(shape) * element_bytes(el)
        if not op.name.startswith("tosa.") or op.name in NOT_VXM:
            continue
        shapes = [
            tensor_shape_and_element(v.type)
            for v in [*op.operands, *op.results]
            if hasattr(v.type, "get_shape")
        ]
        if op.name == "tosa.matmul":
            (a, a_element), (b, _) = shapes[0], shapes[1]
            element = element if macs else a_element
            macs += math.prod(a) * b[-1]
        else:
            vxm_ops += VXM_WEIGHT.get(op.name, 1) * max(math.prod(s) for s, _ in shapes)
    fn = next(op for op in module.walk() if isinstance(op, func.FuncOp))
    for t in [*fn.function_type.inputs, *fn.function_type.outputs]:
        shape, el = tensor_shape_and_element(t)
        moved += math.prod(shape) * element_bytes(el)
    return Work(macs, element, vxm_ops, moved)


def roofline(w: Work, spec: ChipSpec) -> dict[str, float]:
    planes = 2 * spec.mxm_planes
    return {
        "MXM": w.macs / (planes * spec.mxm_k(w.element) * spec.lanes)
        if w.macs
        else 0.0,
        "SRAM": w.moved / (len(spec.mem_slices) * spec.lanes),
        "stream": w.moved / (2 * spec.streams * spec.lanes),
        "VXM": w.vxm_ops / (spec.vxm_alus * spec.lanes),
    }


def kernels(quick: bool) -> list[Kernel]:
    """The single-chip kernels; quick leaves out the ones of over 10^9 MACs."""
    big = [matmul("GEMM 2304x4096 x 4096x4096 f16", 2304, 4096, 4096, "f16")]
    return [
        *([] if quick else big),
        matmul("GEMV 1x4096 x 4096x4096 i8", 1, 4096, 4096, "i8"),
        matmul("GEMM 256x1024 x 1024x1024 f16", 256, 1024, 1024, "f16"),
        mlp(64, 1024, 1024),
        softmax(),
        rmsnorm(),
    ]


def report(benchmark: str, kernel_list: list[Kernel], *, simulate: bool) -> list[Ratio]:
    """Compile each kernel, print its row, return static / roofline per kernel."""
    spec = CHIP_PRESETS["tsp-v1"]
    print(
        f"{'kernel':44} {'compile s':>9} {'static cycles':>13} {'roofline':>9} {'bound':>6} {'roofline/static':>15}"
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
            f"{kernel.name:44} {seconds:9.2f} {static:13d} {bounds[bound]:9.0f} {bound:>6} {bounds[bound] / static:15.1%}"
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
