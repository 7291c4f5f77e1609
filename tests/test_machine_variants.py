"""Compiled == reference bit for bit on machines other than tsp-v1.

The reference interpreter takes its numerics parameters (the MXM's K-blocks,
the lanes a reduction is cut into) from the compiled program's `#lpu.system`,
so a program compiled for a machine with `mxm_k_f16 = 80` is checked against
K-blocks of 80, not tsp-v1's 160. Hypothesis draws the machine (lanes,
K-blocks, latencies) and a program whose result depends on them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpuir import numerics
from lpuir.api import compile_module, system_attr
from lpuir.compare import first_divergence, program_chip
from lpuir.execute import run_module
from lpuir.frontend import parse_source
from lpuir.interpreter.reference import run_function
from lpuir.interpreter.simulator import simulate


def _t(shape: tuple[int, ...], element: str) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


@dataclass
class Case:
    text: str
    inputs: list[np.ndarray]


def _values(rng: np.random.Generator, shape: tuple[int, ...], el: str) -> np.ndarray:
    if el == "i8":
        return rng.integers(-128, 128, shape).astype(np.int8)
    # wide magnitudes, so that the K-blocks' roundings show
    return numerics.round_float(
        rng.standard_normal(shape) * 2.0 ** rng.integers(-4, 12, shape), el
    )


def matmul(m: int, k: int, n: int, el: str, seed: int) -> Case:
    acc = "i32" if el == "i8" else "f32"
    a, b, c, zp = _t((1, m, k), el), _t((1, k, n), el), _t((1, m, n), acc), _t((1,), el)
    zero = "0" if el == "i8" else "0.0"
    text = (
        f"func.func @main(%a: {a}, %b: {b}) -> {c} {{\n"
        f'  %z = "tosa.const"() <{{values = dense<{zero}> : {zp}}}> : () -> {zp}\n'
        f"  %0 = tosa.matmul %a, %b, %z, %z : ({a}, {b}, {zp}, {zp}) -> {c}\n"
        f"  return %0 : {c}\n}}\n"
    )
    rng = np.random.default_rng(seed)
    return Case(text, [_values(rng, (1, m, k), el), _values(rng, (1, k, n), el)])


def reduce_sum(rows: int, cols: int, el: str, seed: int) -> Case:
    x, r = _t((rows, cols), el), _t((rows, 1), el)
    text = (
        f"func.func @main(%x: {x}) -> {r} {{\n"
        f"  %0 = tosa.reduce_sum %x {{axis = 1 : i32}} : ({x}) -> {r}\n"
        f"  return %0 : {r}\n}}\n"
    )
    return Case(text, [_values(np.random.default_rng(seed), (rows, cols), el)])


@st.composite
def machines(draw: st.DrawFn) -> dict[str, int]:
    """Chip parameters the compiler supports: lanes a multiple of the
    superlanes, K-blocks that divide the lanes (a plane holds at most `lanes`
    rows; the i8 path refuses a K-block below half the lanes, located)."""
    superlanes = draw(st.sampled_from([20, 40]))
    lanes = superlanes * draw(st.sampled_from([4, 8, 16]))
    return {
        "superlanes": superlanes,
        "lanes": lanes,
        "mxm_k_f16": draw(st.sampled_from([lanes // 8, lanes // 4, lanes // 2, lanes])),
        "mxm_k_i8": draw(st.sampled_from([lanes // 2, lanes])),
        "delay_mxm_matmul": draw(st.integers(8, 40)),
        "delay_vxm": draw(st.integers(1, 6)),
        "delay_read": draw(st.integers(1, 4)),
    }


@st.composite
def cases(draw: st.DrawFn) -> Case:
    seed = draw(st.integers(0, 2**16))
    if draw(st.booleans()):
        el = draw(st.sampled_from(["f16", "bf16", "i8"]))
        return matmul(
            draw(st.integers(1, 4)),
            draw(st.integers(1, 700)),
            draw(st.integers(1, 40)),
            el,
            seed,
        )
    el = draw(st.sampled_from(["f32", "f16", "bf16"]))
    return reduce_sum(draw(st.integers(1, 3)), draw(st.integers(1, 1400)), el, seed)


@given(machines(), cases())
def test_compiled_equals_reference_on_every_machine(
    params: dict[str, int], case: Case
) -> None:
    source = parse_source(case.text, "variant.mlir")
    compiled = compile_module(source, system_attr(chip_params=params)).module
    assert program_chip(compiled).mxm_k_f16 == params["mxm_k_f16"]
    result = simulate(compiled, case.inputs)
    assert result.cycles == result.static_cycles
    (expected,) = run_function(source, None, case.inputs, chip=program_chip(compiled))
    (got,) = result.outputs
    assert got.dtype == expected.dtype
    assert np.array_equal(got.view(np.uint8), expected.view(np.uint8)), params
    assert first_divergence(compiled, source, case.inputs) is None


def test_the_k_block_of_the_compiled_machine_decides() -> None:
    """Issue 14's case: an f16 matmul with K = 320 compiled with
    mxm_k_f16 = 80 differs from tsp-v1's numerics in many outputs, and
    equals the reference run with the compiled machine's."""
    case = matmul(8, 320, 32, "f16", seed=0)
    source = parse_source(case.text, "k80.mlir")
    compiled = compile_module(source, system_attr(chip_params={"mxm_k_f16": 80}))
    (got,) = simulate(compiled.module, case.inputs).outputs
    (tsp_v1,) = run_function(source, None, case.inputs)
    (k80,) = run_function(source, None, case.inputs, chip=program_chip(compiled.module))
    assert np.count_nonzero(got != tsp_v1) > 16
    assert np.array_equal(got, k80)


def test_a_tensor_level_run_takes_the_machine_it_is_given() -> None:
    case = matmul(2, 320, 4, "f16", seed=3)
    source = parse_source(case.text, "k.mlir")
    default = run_module(source, case.inputs).outputs[0]
    assert np.array_equal(default, run_function(source, None, case.inputs)[0])
    k80 = '#lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {mxm_k_f16 = 80 : i64}>}>'
    other = run_module(source, case.inputs, machine=k80).outputs[0]
    assert not np.array_equal(default, other)


def test_an_lpu_program_refuses_another_machine() -> None:
    from lpuir.diagnostics import LpuError

    case = matmul(1, 4, 4, "f16", seed=0)
    compiled = compile_module(parse_source(case.text, "k.mlir")).module
    with pytest.raises(LpuError, match=r"runs on its own #lpu\.system"):
        run_module(compiled, case.inputs, machine="tsp-v1")
