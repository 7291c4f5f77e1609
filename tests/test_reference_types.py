"""Element types beyond the LPU's on the reference (f64, i4/i2 and other
widths, the 8-, 6- and 4-bit floats) and dynamic shapes bound from the
inputs at run time, against numpy formulations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpuir import numerics
from lpuir.frontend import parse_source
from lpuir.interpreter.reference import ExecutionError, InputError, run_function


def run(text: str, *inputs: np.ndarray) -> list[np.ndarray]:
    module = parse_source(text, "types.mlir")
    module.verify()
    return run_function(module, None, list(inputs))


@given(st.sampled_from([2, 3, 4, 5, 48]), st.data())
def test_integers_of_any_width_wrap(width: int, data: st.DataObject) -> None:
    t = f"i{width}"
    lo, hi = -(2 ** (width - 1)), 2 ** (width - 1) - 1
    a = data.draw(st.lists(st.integers(lo, hi), min_size=4, max_size=4))
    b = data.draw(st.lists(st.integers(lo, hi), min_size=4, max_size=4))
    tt = f"tensor<4x{t}>"
    text = (
        f"func.func @f(%a: {tt}, %b: {tt}) -> ({tt}, {tt}) {{\n"
        f"  %0 = arith.addi %a, %b : {tt}\n  %1 = arith.muli %a, %b : {tt}\n"
        f"  return %0, %1 : {tt}, {tt}\n}}\n"
    )
    carrier = numerics.carrier(t)
    total, product = run(text, np.array(a, carrier), np.array(b, carrier))

    def wrap(v: int) -> int:
        return (v - lo) % 2**width + lo

    assert total.tolist() == [wrap(x + y) for x, y in zip(a, b, strict=True)]
    assert product.tolist() == [wrap(x * y) for x, y in zip(a, b, strict=True)]


def test_f64_computes_in_binary64() -> None:
    text = """
func.func @f(%a: tensor<3xf64>, %b: tensor<3x2xf64>) -> (tensor<3xf64>, tensor<2xf64>) {
  %0 = arith.divf %a, %a : tensor<3xf64>
  %s = arith.addf %0, %a : tensor<3xf64>
  %e = arith.constant dense<0.0> : tensor<2xf64>
  %1 = linalg.vecmat ins(%a, %b : tensor<3xf64>, tensor<3x2xf64>) outs(%e : tensor<2xf64>) -> tensor<2xf64>
  return %s, %1 : tensor<3xf64>, tensor<2xf64>
}
"""
    a = np.array([0.1, 1e300, 3.0])
    b = np.array([[1.0, 0.0], [1e-300, 1.0], [1.0, 2.0]])
    s, v = run(text, a, b)
    assert s.tolist() == [1.1, 1e300 + 1.0, 4.0]
    assert v.tolist() == [(0.1 + 1e300 * 1e-300) + 3.0, 1e300 + 6.0]


def test_minifloats_round_on_truncf() -> None:
    text = """
func.func @f(%x: tensor<5xf32>) -> (tensor<5xf8E4M3FN>, tensor<5xf8E5M2>, tensor<5xf4E2M1FN>) {
  %0 = arith.truncf %x : tensor<5xf32> to tensor<5xf8E4M3FN>
  %1 = arith.truncf %x : tensor<5xf32> to tensor<5xf8E5M2>
  %2 = arith.truncf %x : tensor<5xf32> to tensor<5xf4E2M1FN>
  return %0, %1, %2 : tensor<5xf8E4M3FN>, tensor<5xf8E5M2>, tensor<5xf4E2M1FN>
}
"""
    x = np.array([1.1, 464.0, 470.0, -3.0, 1e6], np.float32)
    e4m3, e5m2, e2m1 = run(text, x)
    # E4M3FN: 464 is a tie between 448 and the NaN slot, to even: 448; beyond: NaN
    assert np.array_equal(
        e4m3, np.float32([1.125, 448, np.nan, -3, np.nan]), equal_nan=True
    )
    assert np.array_equal(e5m2, np.float32([1.0, 448, 448, -3, np.inf]))
    # E2M1 saturates
    assert np.array_equal(e2m1, np.float32([1.0, 6, 6, -3, 6]))


def test_scaling_extf_and_truncf() -> None:
    text = """
func.func @f(%x: tensor<3xf4E2M1FN>, %s: tensor<3xf8E8M0FNU>, %y: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf4E2M1FN>) {
  %0 = arith.scaling_extf %x, %s : tensor<3xf4E2M1FN>, tensor<3xf8E8M0FNU> to tensor<3xf32>
  %1 = arith.scaling_truncf %y, %s : tensor<3xf32>, tensor<3xf8E8M0FNU> to tensor<3xf4E2M1FN>
  return %0, %1 : tensor<3xf32>, tensor<3xf4E2M1FN>
}
"""
    x = np.float32([1.5, -6.0, 0.5])
    s = np.float32([4.0, 0.5, 2.0**-20])
    y = np.float32([6.0, 100.0, 3e-6])
    ext, trunc = run(text, x, s, y)
    assert ext.tolist() == [6.0, -3.0, 2.0**-21]
    assert trunc.tolist() == [1.5, 6.0, 3.0]  # 200 saturates; 3e-6 * 2**20 = 3.15 -> 3


DYNAMIC = """
func.func @f(%x: tensor<2x?xf32>) -> (tensor<2x?xf32>, index, tensor<2xf32>, tensor<?x2xf32>) {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c1 : tensor<2x?xf32>
  %e = tensor.empty(%n) : tensor<2x?xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<2x?xf32>) outs(%e : tensor<2x?xf32>) {
  ^bb0(%in: f32, %o: f32):
    %d = arith.addf %in, %in : f32
    linalg.yield %d : f32
  } -> tensor<2x?xf32>
  %z = arith.constant dense<0.0> : tensor<2xf32>
  %1 = linalg.reduce { arith.addf } ins(%x : tensor<2x?xf32>) outs(%z : tensor<2xf32>) dimensions = [1]
  %t = tensor.empty(%n) : tensor<?x2xf32>
  %2 = linalg.transpose ins(%x : tensor<2x?xf32>) outs(%t : tensor<?x2xf32>) permutation = [1, 0]
  return %0, %n, %1, %2 : tensor<2x?xf32>, index, tensor<2xf32>, tensor<?x2xf32>
}
"""


@given(st.integers(0, 7))
def test_dynamic_dimensions_bind_at_run_time(n: int) -> None:
    x = np.arange(2 * n, dtype=np.float32).reshape(2, n)
    doubled, size, total, transposed = run(DYNAMIC, x)
    assert np.array_equal(doubled, 2 * x)
    assert int(size) == n
    assert np.array_equal(total, x.sum(axis=1))
    assert np.array_equal(transposed, x.T)


def test_a_dynamic_input_must_fit_its_static_dimensions() -> None:
    with pytest.raises(InputError, match=r"argument 0 of @f must be tensor<2x\?xf32>"):
        run(DYNAMIC, np.zeros((3, 4), np.float32))


def test_tensor_cast_checks_the_shape() -> None:
    text = """
func.func @f(%x: tensor<?xf32>) -> tensor<4xf32> {
  %0 = tensor.cast %x : tensor<?xf32> to tensor<4xf32>
  return %0 : tensor<4xf32>
}
"""
    assert run(text, np.ones(4, np.float32))[0].tolist() == [1.0] * 4
    with pytest.raises(
        ExecutionError, match=r"tensor\.cast at .*shape \[3\] cast to tensor<4xf32>"
    ):
        run(text, np.ones(3, np.float32))


ROUNDED = """
func.func @f(%a: tensor<6xi32>, %b: tensor<6xi32>) -> (tensor<6xi32>, tensor<6xi32>, tensor<6xi32>, tensor<6xi32>, tensor<6xi32>, tensor<6xi1>) {
  %0 = arith.floordivsi %a, %b : tensor<6xi32>
  %1 = arith.ceildivsi %a, %b : tensor<6xi32>
  %2, %3 = arith.mulsi_extended %a, %b : tensor<6xi32>
  %4, %5 = arith.addui_extended %a, %b : tensor<6xi32>, tensor<6xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<6xi32>, tensor<6xi32>, tensor<6xi32>, tensor<6xi32>, tensor<6xi32>, tensor<6xi1>
}
"""


@given(
    st.lists(st.integers(-(2**31), 2**31 - 1), min_size=6, max_size=6),
    st.lists(st.integers(-(2**31), 2**31 - 1).filter(bool), min_size=6, max_size=6),
)
def test_rounded_divisions_and_extended_arithmetic(a: list[int], b: list[int]) -> None:
    floor, ceil, low, high, total, carry = run(
        ROUNDED, np.array(a, np.int32), np.array(b, np.int32)
    )

    def i32(v: int) -> int:
        return (v + 2**31) % 2**32 - 2**31

    pairs = list(zip(a, b, strict=True))
    assert floor.tolist() == [i32(x // y) for x, y in pairs]
    assert ceil.tolist() == [i32(-((-x) // y)) for x, y in pairs]
    assert low.tolist() == [i32(x * y) for x, y in pairs]
    assert high.tolist() == [i32((x * y) >> 32) for x, y in pairs]
    assert total.tolist() == [i32(x + y) for x, y in pairs]
    assert carry.tolist() == [(x % 2**32 + y % 2**32) >= 2**32 for x, y in pairs]
