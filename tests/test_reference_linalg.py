"""linalg's named ops, several-result generics, gathers in bodies, pack and
unpack on the reference interpreter, each against an independent numpy
formulation (integers, or floats whose every sum is exact, so no rounding
is involved); and every op printed and read back, custom and generic form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpuir.context import make_context
from lpuir.frontend import parse_source
from lpuir.interpreter.reference import ExecutionError, run_function


def _t(shape: tuple[int, ...], element: str) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def run(text: str, *inputs: np.ndarray) -> list[np.ndarray]:
    module = parse_source(text, "linalg.mlir")
    module.verify()
    return run_function(module, None, list(inputs))


def roundtrip(text: str) -> None:
    """Printed, read back and printed again: the same text, in both forms."""
    from io import StringIO

    from xdsl.printer import Printer

    for generic in (False, True):
        first = StringIO()
        Printer(first, print_generic_format=generic).print_op(
            parse_source(text, "a.mlir")
        )
        again = parse_source(first.getvalue(), "b.mlir", ctx=make_context())
        again.verify()
        second = StringIO()
        Printer(second, print_generic_format=generic).print_op(again)
        assert first.getvalue() == second.getvalue()


def ints(rng: np.random.Generator, shape: tuple[int, ...], dtype=np.int8) -> np.ndarray:
    return rng.integers(-128, 128, shape).astype(dtype)


# --------------------------------------------------------------------------- #
# Contractions
# --------------------------------------------------------------------------- #

CONTRACTIONS = {
    # name: (einsum, operand shapes from (b, m, n, k))
    "matmul": ("mk,kn->mn", lambda b, m, n, k: ((m, k), (k, n), (m, n))),
    "matmul_transpose_a": ("km,kn->mn", lambda b, m, n, k: ((k, m), (k, n), (m, n))),
    "matmul_transpose_b": ("mk,nk->mn", lambda b, m, n, k: ((m, k), (n, k), (m, n))),
    "batch_matmul": (
        "bmk,bkn->bmn",
        lambda b, m, n, k: ((b, m, k), (b, k, n), (b, m, n)),
    ),
    "batch_reduce_matmul": (
        "bmk,bkn->mn",
        lambda b, m, n, k: ((b, m, k), (b, k, n), (m, n)),
    ),
    "matvec": ("mk,k->m", lambda b, m, n, k: ((m, k), (k,), (m,))),
    "vecmat": ("k,kn->n", lambda b, m, n, k: ((k,), (k, n), (n,))),
    "batch_matvec": ("bmk,bk->bm", lambda b, m, n, k: ((b, m, k), (b, k), (b, m))),
    "batch_vecmat": ("bk,bkn->bn", lambda b, m, n, k: ((b, k), (b, k, n), (b, n))),
    "dot": ("k,k->", lambda b, m, n, k: ((k,), (k,), ())),
}


def contraction_text(name: str, shapes: tuple, a_t: str, b_t: str, out_t: str) -> str:
    ta, tb, tc = _t(shapes[0], a_t), _t(shapes[1], b_t), _t(shapes[2], out_t)
    return (
        f"func.func @f(%a: {ta}, %b: {tb}, %c: {tc}) -> {tc} {{\n"
        f"  %0 = linalg.{name} ins(%a, %b : {ta}, {tb}) outs(%c : {tc}) -> {tc}\n"
        f"  return %0 : {tc}\n}}\n"
    )


@given(
    st.sampled_from(sorted(CONTRACTIONS)),
    st.tuples(*[st.integers(1, 5)] * 3, st.integers(0, 700)),
    st.integers(0, 2**16),
)
def test_integer_contractions_sum_exactly(
    name: str, sizes: tuple[int, int, int, int], seed: int
) -> None:
    """i8 x i8 -> i32 (the body extends the operands, as upstream's does)."""
    equation, shapes_of = CONTRACTIONS[name]
    shapes = shapes_of(*sizes)
    rng = np.random.default_rng(seed)
    a, b = ints(rng, shapes[0]), ints(rng, shapes[1])
    c = rng.integers(-1000, 1000, shapes[2]).astype(np.int32)
    (got,) = run(contraction_text(name, shapes, "i8", "i8", "i32"), a, b, c)
    want = c + np.einsum(equation, a.astype(np.int64), b.astype(np.int64))
    assert got.dtype == np.int32 and np.array_equal(got, want)


@given(st.sampled_from(sorted(CONTRACTIONS)), st.integers(0, 2**16))
def test_float_contractions_of_mixed_types(name: str, seed: int) -> None:
    """f16 x f32 -> f32: both operands cast to f32, as the body casts them;
    small integers keep every sum exact."""
    equation, shapes_of = CONTRACTIONS[name]
    shapes = shapes_of(2, 3, 4, 5)
    rng = np.random.default_rng(seed)
    a = rng.integers(-8, 8, shapes[0]).astype(np.float16)
    b = rng.integers(-8, 8, shapes[1]).astype(np.float32)
    c = rng.integers(-8, 8, shapes[2]).astype(np.float32)
    (got,) = run(contraction_text(name, shapes, "f16", "f32", "f32"), a, b, c)
    assert np.array_equal(got, c + np.einsum(equation, a.astype(np.float64), b))


def test_matmul_with_indexing_maps_transposes() -> None:
    text = (
        "func.func @f(%a: tensor<4x3xi32>, %b: tensor<4x5xi32>, %c: tensor<3x5xi32>) -> tensor<3x5xi32> {\n"
        "  %0 = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>]"
        " ins(%a, %b : tensor<4x3xi32>, tensor<4x5xi32>) outs(%c : tensor<3x5xi32>) -> tensor<3x5xi32>\n"
        "  return %0 : tensor<3x5xi32>\n}\n"
    )
    rng = np.random.default_rng(0)
    a, b = rng.integers(-9, 9, (4, 3), np.int32), rng.integers(-9, 9, (4, 5), np.int32)
    c = np.zeros((3, 5), np.int32)
    (got,) = run(text, a, b, c)
    assert np.array_equal(got, a.T @ b)
    roundtrip(text)


def windows(
    x: np.ndarray,
    k: tuple[int, int],
    s: tuple[int, int],
    d: tuple[int, int],
    out: tuple[int, int],
) -> np.ndarray:
    """x[n, oh*s + kh*d, ow*s + kw*d, c] as [n, oh, ow, kh, kw, c]."""
    n, _, _, c = x.shape
    result = np.zeros((n, *out, *k, c), x.dtype)
    for kh in range(k[0]):
        for kw in range(k[1]):
            result[:, :, :, kh, kw, :] = x[
                :,
                kh * d[0] : kh * d[0] + s[0] * out[0] : s[0],
                kw * d[1] : kw * d[1] + s[1] * out[1] : s[1],
                :,
            ]
    return result


@st.composite
def convolutions(draw: st.DrawFn) -> tuple:
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    out = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    h = (out[0] - 1) * s[0] + (k[0] - 1) * d[0] + 1
    w = (out[1] - 1) * s[1] + (k[1] - 1) * d[1] + 1
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    return s, d, k, out, (n, h, w, c), f, draw(st.integers(0, 2**16))


def _dense(values: tuple[int, int]) -> str:
    return f"dense<[{values[0]}, {values[1]}]> : tensor<2xi64>"


@given(convolutions())
def test_conv_2d_nhwc_hwcf(case: tuple) -> None:
    s, d, k, out, xs, f, seed = case
    rng = np.random.default_rng(seed)
    x, w = ints(rng, xs), ints(rng, (*k, xs[3], f))
    init = np.zeros((xs[0], *out, f), np.int32)
    tx, tw, to = _t(xs, "i8"), _t(w.shape, "i8"), _t(init.shape, "i32")
    text = (
        f"func.func @f(%x: {tx}, %w: {tw}, %o: {to}) -> {to} {{\n"
        f"  %0 = linalg.conv_2d_nhwc_hwcf {{dilations = {_dense(d)}, strides = {_dense(s)}}} ins(%x, %w : {tx}, {tw}) outs(%o : {to}) -> {to}\n"
        f"  return %0 : {to}\n}}\n"
    )
    (got,) = run(text, x, w, init)
    want = np.einsum("nhwijc,ijcf->nhwf", windows(x, k, s, d, out).astype(np.int64), w)
    assert np.array_equal(got, want)


@given(convolutions())
def test_depthwise_conv_and_pooling(case: tuple) -> None:
    s, d, k, out, xs, _, seed = case
    rng = np.random.default_rng(seed)
    x = ints(rng, xs, np.int32)
    w = ints(rng, (*k, xs[3]), np.int32)
    init = np.zeros((xs[0], *out, xs[3]), np.int32)
    tx, tw, to = _t(xs, "i32"), _t(w.shape, "i32"), _t(init.shape, "i32")
    tk = _t(k, "i32")
    attrs = f"{{dilations = {_dense(d)}, strides = {_dense(s)}}}"
    text = (
        f"func.func @f(%x: {tx}, %w: {tw}, %o: {to}, %k: {tk}) -> ({to}, {to}, {to}) {{\n"
        f"  %0 = linalg.depthwise_conv_2d_nhwc_hwc {attrs} ins(%x, %w : {tx}, {tw}) outs(%o : {to}) -> {to}\n"
        f"  %1 = linalg.pooling_nhwc_sum {attrs} ins(%x, %k : {tx}, {tk}) outs(%o : {to}) -> {to}\n"
        f"  %2 = linalg.pooling_nhwc_max {attrs} ins(%x, %k : {tx}, {tk}) outs(%o : {to}) -> {to}\n"
        f"  return %0, %1, %2 : {to}, {to}, {to}\n}}\n"
    )
    depthwise, total, top = run(text, x, w, init, np.zeros(k, np.int32))
    win = windows(x, k, s, d, out).astype(np.int64)
    assert np.array_equal(depthwise, np.einsum("nhwijc,ijc->nhwc", win, w))
    assert np.array_equal(total, win.sum(axis=(3, 4)))
    assert np.array_equal(top, np.maximum(win.max(axis=(3, 4)), 0))


# --------------------------------------------------------------------------- #
# Generics: several results, constant output maps, empty reductions, gathers
# --------------------------------------------------------------------------- #

ARGMAX = """
func.func @f(%x: tensor<3x5xf32>) -> (tensor<3xf32>, tensor<3xi32>) {
  %lowest = arith.constant dense<0xFF800000> : tensor<3xf32>
  %zero = arith.constant dense<0> : tensor<3xi32>
  %0:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<3x5xf32>) outs(%lowest, %zero : tensor<3xf32>, tensor<3xi32>) {
  ^bb0(%in: f32, %m: f32, %idx: i32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %gt = arith.cmpf ogt, %in, %m : f32
    %nm = arith.select %gt, %in, %m : f32
    %ni = arith.select %gt, %ji, %idx : i32
    linalg.yield %nm, %ni : f32, i32
  } -> (tensor<3xf32>, tensor<3xi32>)
  return %0#0, %0#1 : tensor<3xf32>, tensor<3xi32>
}
"""


@given(st.integers(0, 2**16))
def test_generic_with_two_results_is_an_argmax(seed: int) -> None:
    x = np.random.default_rng(seed).integers(-4, 4, (3, 5)).astype(np.float32)
    top, index = run(ARGMAX, x)
    assert np.array_equal(top, x.max(axis=1))
    assert np.array_equal(index, np.argmax(x, axis=1).astype(np.int32))


def test_generic_printed_and_read_back() -> None:
    roundtrip(ARGMAX)


def test_reduction_into_a_constant_output_map() -> None:
    """(d0, d1, d2) -> (0, 0, 0): every element sums into one."""
    text = """
func.func @f(%x: tensor<2x3x4xi32>) -> tensor<1x1x1xi32> {
  %e = arith.constant dense<5> : tensor<1x1x1xi32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (0, 0, 0)>], iterator_types = ["reduction", "reduction", "reduction"]} ins(%x : tensor<2x3x4xi32>) outs(%e : tensor<1x1x1xi32>) {
  ^bb0(%in: i32, %o: i32):
    %s = arith.addi %in, %o : i32
    linalg.yield %s : i32
  } -> tensor<1x1x1xi32>
  return %0 : tensor<1x1x1xi32>
}
"""
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    (got,) = run(text, x)
    assert got.tolist() == [[[5 + 276]]]


@pytest.mark.parametrize("combiner", ["arith.addf", "arith.maximumf", "arith.mulf"])
def test_reduction_over_zero_elements_leaves_the_init(combiner: str) -> None:
    text = f"""
func.func @f(%x: tensor<2x0xf32>) -> tensor<2xf32> {{
  %e = arith.constant dense<[1.5, -2.0]> : tensor<2xf32>
  %0 = linalg.reduce {{ {combiner} }} ins(%x : tensor<2x0xf32>) outs(%e : tensor<2xf32>) dimensions = [1]
  return %0 : tensor<2xf32>
}}
"""
    (got,) = run(text, np.zeros((2, 0), np.float32))
    assert got.tolist() == [1.5, -2.0]


GATHER = """
func.func @f(%t: tensor<5x2xf32>, %idx: tensor<3xi32>) -> tensor<3x2xf32> {
  %e = tensor.empty() : tensor<3x2xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%idx : tensor<3xi32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%i: i32, %o: f32):
    %row = arith.index_cast %i : i32 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %t[%row, %col] : tensor<5x2xf32>
    linalg.yield %v : f32
  } -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
"""


@given(st.lists(st.integers(0, 4), min_size=3, max_size=3))
def test_tensor_extract_with_computed_indices_gathers(rows: list[int]) -> None:
    table = np.arange(10, dtype=np.float32).reshape(5, 2)
    (got,) = run(GATHER, table, np.array(rows, np.int32))
    assert np.array_equal(got, table[rows])


def test_a_gather_out_of_bounds_names_the_op() -> None:
    with pytest.raises(
        ExecutionError,
        match=r"tensor\.extract at .*: index 7 is out of bounds of dimension 0",
    ):
        run(GATHER, np.zeros((5, 2), np.float32), np.array([0, 7, 1], np.int32))


# --------------------------------------------------------------------------- #
# map, reduce, softmax, elementwise
# --------------------------------------------------------------------------- #


def test_map_reduce_and_elementwise_forms() -> None:
    text = """
func.func @f(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %e = tensor.empty() : tensor<2x3xf32>
  %r = tensor.empty() : tensor<2xf32>
  %0 = linalg.map { arith.subf } ins(%x, %y : tensor<2x3xf32>, tensor<2x3xf32>) outs(%e : tensor<2x3xf32>)
  %1 = linalg.map ins(%x : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) (%a: f32) {
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  %2 = linalg.reduce { arith.addf } ins(%x : tensor<2x3xf32>) outs(%r : tensor<2xf32>) dimensions = [1]
  %3 = linalg.elementwise kind=#linalg.elementwise_kind<mul> ins(%x, %y : tensor<2x3xf32>, tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = linalg.abs ins(%0 : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}
"""
    x = np.array([[1, -2, 3], [4, 5, -6]], np.float32)
    y = np.array([[0.5, 2, -1], [4, 0.25, 1]], np.float32)
    diff, neg, total, prod, absolute = run(text, x, y)
    assert np.array_equal(diff, x - y)
    assert np.array_equal(neg, -x)
    assert np.array_equal(total, x.sum(axis=1))
    assert np.array_equal(prod, x * y)
    assert np.array_equal(absolute, np.abs(x - y))
    roundtrip(text)


@pytest.mark.parametrize("dimension", [0, 1])
def test_softmax_sums_to_one(dimension: int) -> None:
    text = f"""
func.func @f(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {{
  %e = tensor.empty() : tensor<3x4xf32>
  %0 = linalg.softmax dimension({dimension}) ins(%x : tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}}
"""
    x = np.random.default_rng(dimension).standard_normal((3, 4)).astype(np.float32)
    (got,) = run(text, x)
    e = np.exp(x.astype(np.float64) - x.max(axis=dimension, keepdims=True))
    np.testing.assert_allclose(got, e / e.sum(axis=dimension, keepdims=True), rtol=2e-7)
    roundtrip(text)


# --------------------------------------------------------------------------- #
# pack / unpack
# --------------------------------------------------------------------------- #


def numpy_pack(
    x: np.ndarray, inner: list[int], tiles: list[int], perm: list[int], pad: float
) -> np.ndarray:
    """Element [o_0, ..., o_r, t_0, ...] is x at o_d * tile + t (o permuted),
    the padding where that is past the end."""
    rank = x.ndim
    tile_of = dict(zip(inner, tiles, strict=True))
    outer = [-(-n // tile_of.get(d, 1)) for d, n in enumerate(x.shape)]
    shape = [outer[d] for d in perm] + tiles
    out = np.full(shape, pad, x.dtype)
    for index in np.ndindex(*shape):
        o = [0] * rank
        for axis, d in enumerate(perm):
            o[d] = index[axis]
        at = []
        for d in range(rank):
            t = index[rank + inner.index(d)] if d in tile_of else 0
            at.append(o[d] * tile_of.get(d, 1) + t)
        if all(a < n for a, n in zip(at, x.shape, strict=True)):
            out[index] = x[tuple(at)]
    return out


@st.composite
def packings(draw: st.DrawFn) -> tuple:
    rank = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 6)) for _ in range(rank))
    inner = draw(st.permutations(range(rank)))[: draw(st.integers(1, rank))]
    tiles = [draw(st.integers(1, 4)) for _ in inner]
    perm = draw(st.permutations(range(rank)))
    return shape, list(inner), tiles, list(perm), draw(st.booleans())


@given(packings())
def test_pack_and_unpack(case: tuple) -> None:
    shape, inner, tiles, perm, dynamic = case
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    want = numpy_pack(x, inner, tiles, perm, -1.0)
    tx, tp = _t(shape, "f32"), _t(want.shape, "f32")
    tile_text = ", ".join(
        "%t" if dynamic and i == 0 else str(t) for i, t in enumerate(tiles)
    )
    attrs = (
        f"outer_dims_perm = {perm} inner_dims_pos = {inner} inner_tiles = [{tile_text}]"
    )
    text = (
        f"func.func @f(%x: {tx}) -> ({tp}, {tx}) {{\n"
        f"  %pad = arith.constant -1.0 : f32\n"
        f"  %t = arith.constant {tiles[0]} : index\n"
        f"  %e = tensor.empty() : {tp}\n"
        f"  %p = linalg.pack %x padding_value(%pad : f32) {attrs} into %e : {tx} -> {tp}\n"
        f"  %u0 = tensor.empty() : {tx}\n"
        f"  %u = linalg.unpack %p {attrs} into %u0 : {tp} -> {tx}\n"
        f"  return %p, %u : {tp}, {tx}\n}}\n"
    )
    packed, unpacked = run(text, x)
    assert np.array_equal(packed, want)
    assert np.array_equal(unpacked, x)
