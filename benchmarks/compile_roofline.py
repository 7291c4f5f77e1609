"""Schedule quality: lpu-compile's static cycles against the modelled chip's roofline.

For each kernel: compile time, static cycles (checked equal to the simulated
cycles), and the roofline, the highest of:
- MXM-bound: multiply-accumulates / (all planes x K x lanes per cycle);
- SRAM-bound: bytes that must be read and written once / (slices x lanes bytes);
- stream-bound: those bytes / (2 directions x streams x lanes bytes);
- VXM-bound: elementwise operations / (ALUs x lanes).
Run: python benchmarks/compile_roofline.py [--simulate]
(--simulate checks static == simulated cycles, except for kernels of over 10^9
multiply-accumulates, whose bit-exact simulation takes minutes.)
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

from xdsl.dialects import func

from lpuir.context import make_context
from lpuir.frontend import parse_source
from lpuir.machine import CHIP_PRESETS, ChipSpec
from lpuir.transforms.compile import CompilePass
from lpuir.types import tensor_shape_and_element

BYTES = {"i8": 1, "i32": 4, "f16": 2, "bf16": 2, "f32": 4}


@dataclass
class Kernel:
    name: str
    text: str
    macs: int = 0
    element: str = "f32"
    vxm_ops: int = 0


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
    return Kernel(name, text, macs=m * k * n, element=element)


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
    return Kernel(
        f"MLP {m}x{d} -> {h} -> {d} f16",
        text,
        macs=2 * m * d * h,
        element="f16",
        vxm_ops=3 * m * h,
    )


def example(name: str, path: str, vxm_ops: int) -> Kernel:
    with open(path) as f:
        return Kernel(name, f.read(), vxm_ops=vxm_ops)


def traffic(text: str) -> int:
    """Bytes of the function's arguments and results (each moved once)."""
    fn = next(
        op for op in parse_source(text, "k.mlir").walk() if isinstance(op, func.FuncOp)
    )
    total = 0
    for t in [*fn.function_type.inputs, *fn.function_type.outputs]:
        shape, element = tensor_shape_and_element(t)
        total += math.prod(shape) * BYTES[element]
    return total


def roofline(kernel: Kernel, spec: ChipSpec) -> dict[str, float]:
    planes = 2 * spec.mxm_planes
    moved = traffic(kernel.text)
    slices = len(spec.mem_slices)
    out = {
        "MXM": kernel.macs / (planes * spec.mxm_k(kernel.element) * spec.lanes)
        if kernel.macs
        else 0.0,
        "SRAM": moved / (slices * spec.lanes),
        "stream": moved / (2 * spec.streams * spec.lanes),
        "VXM": kernel.vxm_ops / (spec.vxm_alus * spec.lanes),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="also simulate each kernel and check its cycles",
    )
    args = parser.parse_args()
    spec = CHIP_PRESETS["tsp-v1"]
    kernels = [
        matmul("GEMM 2304x4096 x 4096x4096 f16", 2304, 4096, 4096, "f16"),
        matmul("GEMV 1x4096 x 4096x4096 i8", 1, 4096, 4096, "i8"),
        matmul("GEMM 256x1024 x 1024x1024 f16", 256, 1024, 1024, "f16"),
        mlp(64, 1024, 1024),
        example(
            "softmax over 4096 (4 rows) f32",
            "examples/compile/softmax.mlir",
            vxm_ops=4 * 4096 * 5,
        ),
        example(
            "RMSNorm over 4096 (2 rows) f32",
            "examples/compile/rmsnorm.mlir",
            vxm_ops=2 * 4096 * 4,
        ),
    ]
    print(
        f"{'kernel':40} {'compile s':>9} {'static cycles':>13} {'roofline':>9} {'bound':>6} {'roofline/static':>15}"
    )
    for kernel in kernels:
        module = parse_source(kernel.text, kernel.name)
        start = time.perf_counter()
        big = kernel.macs > 10**9
        CompilePass(verify=args.simulate and not big).apply(make_context(), module)
        seconds = time.perf_counter() - start
        system = next(op for op in module.walk() if op.name == "lpu.system")
        static = system.static_cycles.data  # type: ignore[attr-defined]
        bounds = roofline(kernel, spec)
        bound = max(bounds, key=lambda k: bounds[k])
        print(
            f"{kernel.name:40} {seconds:9.2f} {static:13d} {bounds[bound]:9.0f} {bound:>6} {bounds[bound] / static:15.1%}"
        )


if __name__ == "__main__":
    main()
