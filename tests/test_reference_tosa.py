"""The TOSA 1.0 ops added for issue 15 on the reference interpreter, against
numpy formulations written independently (integer data, so exact): control
flow in every syntax upstream has printed, clz, convolutions (2-D, 3-D,
depthwise, transposed) with zero points, avg_pool2d, scatter, i32 matmul."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpuir.frontend import parse_source
from lpuir.interpreter.reference import ExecutionError, run_function


def _t(shape: tuple[int, ...], element: str) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def run(text: str, *inputs: np.ndarray) -> list[np.ndarray]:
    module = parse_source(text, "tosa.mlir")
    module.verify()
    return run_function(module, None, list(inputs))


def reparsed(text: str) -> str:
    """Printed (custom form), read back, printed again: must not change."""
    from io import StringIO

    from xdsl.printer import Printer

    outputs = []
    for source in (text, None):
        out = StringIO()
        Printer(out).print_op(parse_source(source or outputs[-1], "t.mlir"))
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    return outputs[0]


# --------------------------------------------------------------------------- #
# Control flow
# --------------------------------------------------------------------------- #

CONTROL = """
func.func @f(%x: tensor<i32>, %y: tensor<i32>, %c: tensor<i1>) -> (tensor<i32>, tensor<i32>, tensor<i32>, tensor<i32>) {
  %0 = tosa.cond_if %c -> (tensor<i32>) {
    tosa.yield %x : tensor<i32>
  } else {
    tosa.yield %y : tensor<i32>
  }
  %1 = tosa.cond_if %c : tensor<i1> -> tensor<i32> {
    %s = tosa.add %x, %y : (tensor<i32>, tensor<i32>) -> tensor<i32>
    tosa.yield %s : tensor<i32>
  } else {
    %d = tosa.sub %x, %y : (tensor<i32>, tensor<i32>) -> tensor<i32>
    tosa.yield %d : tensor<i32>
  }
  %2 = tosa.cond_if %c (%a = %x, %b = %y) : tensor<i1> (tensor<i32>, tensor<i32>) -> tensor<i32> {
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %m = tosa.maximum %a, %b : (tensor<i32>, tensor<i32>) -> tensor<i32>
    tosa.yield %m : tensor<i32>
  } else {
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %m = tosa.minimum %a, %b : (tensor<i32>, tensor<i32>) -> tensor<i32>
    tosa.yield %m : tensor<i32>
  }
  %3:2 = tosa.while_loop (%i = %x, %acc = %y) : (tensor<i32>, tensor<i32>) -> (tensor<i32>, tensor<i32>) {
    %ten = "tosa.const"() <{values = dense<10> : tensor<i32>}> : () -> tensor<i32>
    %go = tosa.greater %ten, %i : (tensor<i32>, tensor<i32>) -> tensor<i1>
    tosa.yield %go : tensor<i1>
  } do {
  ^bb0(%i: tensor<i32>, %acc: tensor<i32>):
    %one = "tosa.const"() <{values = dense<1> : tensor<i32>}> : () -> tensor<i32>
    %next = tosa.add %i, %one : (tensor<i32>, tensor<i32>) -> tensor<i32>
    %sum = tosa.add %acc, %i : (tensor<i32>, tensor<i32>) -> tensor<i32>
    tosa.yield %next, %sum : tensor<i32>, tensor<i32>
  }
  return %0, %1, %2, %3#1 : tensor<i32>, tensor<i32>, tensor<i32>, tensor<i32>
}
"""


@given(st.integers(-20, 20), st.integers(-20, 20), st.booleans())
def test_cond_if_and_while_loop(x: int, y: int, c: bool) -> None:
    got = run(CONTROL, np.array(x, np.int32), np.array(y, np.int32), np.array(c))
    loop = y + sum(range(x, 10))
    want = [x if c else y, x + y if c else x - y, max(x, y) if c else min(x, y), loop]
    assert [int(g) for g in got] == want


def test_control_flow_prints_and_reads_back() -> None:
    text = reparsed(CONTROL)
    assert "tosa.while_loop (%i = %x, %acc = %y)" in text
    assert "tosa.cond_if %c (%a = %x, %b = %y) : tensor<i1>" in text


# --------------------------------------------------------------------------- #
# Elementwise and matmul additions
# --------------------------------------------------------------------------- #


@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=8))
def test_clz(values: list[int]) -> None:
    t = _t((len(values),), "i32")
    text = f"func.func @f(%x: {t}) -> {t} {{\n  %0 = tosa.clz %x : ({t}) -> {t}\n  return %0 : {t}\n}}\n"
    (got,) = run(text, np.array(values, np.int32))
    assert got.tolist() == [32 - (v % 2**32).bit_length() for v in values]


def test_matmul_of_i32() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(-(2**20), 2**20, (1, 3, 4)).astype(np.int32)
    b = rng.integers(-(2**20), 2**20, (1, 4, 2)).astype(np.int32)
    ta, tb, tc = _t(a.shape, "i32"), _t(b.shape, "i32"), _t((1, 3, 2), "i32")
    text = (
        f"func.func @f(%a: {ta}, %b: {tb}) -> {tc} {{\n"
        f'  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi32>}}> : () -> tensor<1xi32>\n'
        f"  %0 = tosa.matmul %a, %b, %z, %z : ({ta}, {tb}, tensor<1xi32>, tensor<1xi32>) -> {tc}\n"
        f"  return %0 : {tc}\n}}\n"
    )
    (got,) = run(text, a, b)
    want = (a.astype(np.int64) @ b.astype(np.int64)) % 2**32
    assert np.array_equal(got.astype(np.int64) % 2**32, want)


# --------------------------------------------------------------------------- #
# Convolutions
# --------------------------------------------------------------------------- #


def numpy_conv(x, w, pad, stride, dilation, izp, wzp):
    """out[n, oy, ox, oc] = sum (x - izp)[n, oy*s + ky*d - pad, ...] (w - wzp)[oc, ky, kx, ic]."""
    x = np.pad(
        x.astype(np.int64) - izp,
        ((0, 0), (pad[0], pad[1]), (pad[2], pad[3]), (0, 0)),
    )
    w = w.astype(np.int64) - wzp
    oc, kh, kw, _ = w.shape
    oh = (x.shape[1] - (kh - 1) * dilation[0] - 1) // stride[0] + 1
    ow = (x.shape[2] - (kw - 1) * dilation[1] - 1) // stride[1] + 1
    out = np.zeros((x.shape[0], oh, ow, oc), np.int64)
    for oy in range(oh):
        for ox in range(ow):
            for ky in range(kh):
                for kx in range(kw):
                    v = x[
                        :,
                        oy * stride[0] + ky * dilation[0],
                        ox * stride[1] + kx * dilation[1],
                        :,
                    ]
                    out[:, oy, ox, :] += v @ w[:, ky, kx, :].T
    return out


def _array(values) -> str:
    return "array<i64: " + ", ".join(map(str, values)) + ">"


@st.composite
def conv_cases(draw: st.DrawFn) -> tuple:
    pad = [draw(st.integers(0, 2)) for _ in range(4)]
    stride = [draw(st.integers(1, 2)) for _ in range(2)]
    dilation = [draw(st.integers(1, 2)) for _ in range(2)]
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    h = draw(st.integers(k[0] * dilation[0], 7))
    w = draw(st.integers(k[1] * dilation[1], 7))
    n, ic, oc = (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 3)),
    )
    zps = (draw(st.integers(-128, 127)), draw(st.integers(-128, 127)))
    return pad, stride, dilation, k, (n, h, w, ic), oc, zps, draw(st.integers(0, 2**16))


@given(conv_cases())
def test_conv2d_i8_with_zero_points(case: tuple) -> None:
    pad, stride, dilation, k, xs, oc, (izp, wzp), seed = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, xs).astype(np.int8)
    w = rng.integers(-128, 128, (oc, *k, xs[3])).astype(np.int8)
    bias = rng.integers(-1000, 1000, (oc,)).astype(np.int32)
    want = numpy_conv(x, w, pad, stride, dilation, izp, wzp) + bias
    tx, tw, tb, to = (
        _t(xs, "i8"),
        _t(w.shape, "i8"),
        _t((oc,), "i32"),
        _t(want.shape, "i32"),
    )
    text = (
        f"func.func @f(%x: {tx}, %w: {tw}, %b: {tb}) -> {to} {{\n"
        f'  %iz = "tosa.const"() <{{values = dense<{izp}> : tensor<1xi8>}}> : () -> tensor<1xi8>\n'
        f'  %wz = "tosa.const"() <{{values = dense<{wzp}> : tensor<1xi8>}}> : () -> tensor<1xi8>\n'
        f"  %0 = tosa.conv2d %x, %w, %b, %iz, %wz {{acc_type = i32, dilation = {_array(dilation)}, pad = {_array(pad)}, stride = {_array(stride)}}}"
        f" : ({tx}, {tw}, {tb}, tensor<1xi8>, tensor<1xi8>) -> {to}\n"
        f"  return %0 : {to}\n}}\n"
    )
    (got,) = run(text, x, w, bias)
    assert np.array_equal(got, want)


@given(conv_cases())
def test_depthwise_conv2d(case: tuple) -> None:
    pad, stride, dilation, k, xs, m, _, seed = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-8, 8, xs).astype(np.float32)
    w = rng.integers(-8, 8, (*k, xs[3], m)).astype(np.float32)
    bias = np.zeros((xs[3] * m,), np.float32)
    # channel c, multiplier j is a conv2d of input channel c with weight [j, ky, kx]
    want = np.concatenate(
        [
            numpy_conv(
                x[..., c : c + 1],
                np.moveaxis(w[:, :, c, :], -1, 0)[..., None],
                pad,
                stride,
                dilation,
                0,
                0,
            )
            for c in range(xs[3])
        ],
        axis=-1,
    )
    tx, tw, tb, to = (
        _t(xs, "f32"),
        _t(w.shape, "f32"),
        _t(bias.shape, "f32"),
        _t(want.shape, "f32"),
    )
    text = (
        f"func.func @f(%x: {tx}, %w: {tw}, %b: {tb}) -> {to} {{\n"
        f'  %z = "tosa.const"() <{{values = dense<0.0> : tensor<1xf32>}}> : () -> tensor<1xf32>\n'
        f"  %0 = tosa.depthwise_conv2d %x, %w, %b, %z, %z {{acc_type = f32, dilation = {_array(dilation)}, pad = {_array(pad)}, stride = {_array(stride)}}}"
        f" : ({tx}, {tw}, {tb}, tensor<1xf32>, tensor<1xf32>) -> {to}\n"
        f"  return %0 : {to}\n}}\n"
    )
    (got,) = run(text, x, w, bias)
    assert np.array_equal(got, want.astype(np.float32))


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**16))
def test_transpose_conv2d_scatters_every_input(
    s: int, kh: int, kw: int, seed: int
) -> None:
    """out[n, iy*s + ky, ix*s + kx, oc] += x[n, iy, ix, ic] * w[oc, ky, kx, ic]."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-8, 8, (1, 3, 2, 2)).astype(np.int8)
    w = rng.integers(-8, 8, (2, kh, kw, 2)).astype(np.int8)
    oh, ow = (3 - 1) * s + kh, (2 - 1) * s + kw
    want = np.zeros((1, oh, ow, 2), np.int64)
    for iy in range(3):
        for ix in range(2):
            for ky in range(kh):
                for kx in range(kw):
                    want[0, iy * s + ky, ix * s + kx] += w[:, ky, kx, :].astype(
                        np.int64
                    ) @ x[0, iy, ix].astype(np.int64)
    tx, tw, to = _t(x.shape, "i8"), _t(w.shape, "i8"), _t(want.shape, "i32")
    text = (
        f"func.func @f(%x: {tx}, %w: {tw}) -> {to} {{\n"
        f'  %b = "tosa.const"() <{{values = dense<0> : tensor<2xi32>}}> : () -> tensor<2xi32>\n'
        f'  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>\n'
        f"  %0 = tosa.transpose_conv2d %x, %w, %b, %z, %z {{acc_type = i32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: {s}, {s}>}}"
        f" : ({tx}, {tw}, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> {to}\n"
        f"  return %0 : {to}\n}}\n"
    )
    (got,) = run(text, x, w)
    assert np.array_equal(got, want)


# --------------------------------------------------------------------------- #
# avg_pool2d, scatter
# --------------------------------------------------------------------------- #


def avg_pool_text(
    element: str, out_el: str, shape: tuple, kernel, stride, pad, zps=(0, 0)
) -> tuple[str, tuple]:
    oh = (shape[1] + pad[0] + pad[1] - kernel[0]) // stride[0] + 1
    ow = (shape[2] + pad[2] + pad[3] - kernel[1]) // stride[1] + 1
    out = (shape[0], oh, ow, shape[3])
    tx, to = _t(shape, element), _t(out, out_el)
    zero = "0.0" if element.startswith("f") else str(zps[0])
    ozero = "0.0" if out_el.startswith("f") else str(zps[1])
    acc = "f32" if element.startswith("f") else "i32"
    text = (
        f"func.func @f(%x: {tx}) -> {to} {{\n"
        f'  %iz = "tosa.const"() <{{values = dense<{zero}> : tensor<1x{element}>}}> : () -> tensor<1x{element}>\n'
        f'  %oz = "tosa.const"() <{{values = dense<{ozero}> : tensor<1x{out_el}>}}> : () -> tensor<1x{out_el}>\n'
        f"  %0 = tosa.avg_pool2d %x, %iz, %oz {{acc_type = {acc}, kernel = {_array(kernel)}, pad = {_array(pad)}, stride = {_array(stride)}}}"
        f" : ({tx}, tensor<1x{element}>, tensor<1x{out_el}>) -> {to}\n"
        f"  return %0 : {to}\n}}\n"
    )
    return text, out


def numpy_avg(x: np.ndarray, kernel, stride, pad, out) -> tuple[np.ndarray, np.ndarray]:
    """(window sums, counts of unpadded elements)."""
    padded = np.pad(
        x.astype(np.int64), ((0, 0), (pad[0], pad[1]), (pad[2], pad[3]), (0, 0))
    )
    valid = np.pad(
        np.ones(x.shape[1:3], np.int64), ((pad[0], pad[1]), (pad[2], pad[3]))
    )
    sums = np.zeros(out, np.int64)
    counts = np.zeros(out[1:3], np.int64)
    for oy in range(out[1]):
        for ox in range(out[2]):
            ys = slice(oy * stride[0], oy * stride[0] + kernel[0])
            xs = slice(ox * stride[1], ox * stride[1] + kernel[1])
            sums[:, oy, ox, :] = padded[:, ys, xs, :].sum(axis=(1, 2))
            counts[oy, ox] = valid[ys, xs].sum()
    return sums, counts[None, :, :, None]


def test_avg_pool2d_f32_excludes_padding() -> None:
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    text, out = avg_pool_text("f32", "f32", x.shape, (2, 2), (2, 2), (1, 1, 1, 1))
    (got,) = run(text, x)
    sums, counts = numpy_avg(x, (2, 2), (2, 2), (1, 1, 1, 1), out)
    assert np.array_equal(got, (sums / counts).astype(np.float32))


@given(st.integers(0, 2**16), st.integers(-128, 127), st.integers(-128, 127))
def test_avg_pool2d_i8_rounds_as_the_spec(seed: int, izp: int, ozp: int) -> None:
    """TOSA's reciprocal_scale and apply_scale_32: for these sums and counts,
    floor((sum * m + 2**(shift-1)) / 2**shift) with m = ((2**30+1) << k) // count."""
    x = np.random.default_rng(seed).integers(-128, 128, (1, 5, 5, 2)).astype(np.int8)
    kernel, stride, pad = (3, 3), (2, 2), (1, 1, 1, 1)
    text, out = avg_pool_text("i8", "i8", x.shape, kernel, stride, pad, (izp, ozp))
    (got,) = run(text, x)
    sums, counts = numpy_avg(x.astype(np.int64) - izp, kernel, stride, pad, out)
    sums -= 0  # the padding holds zeros after the zero point's removal
    k = np.vectorize(lambda c: int(c - 1).bit_length())(counts)
    m, shift = (((1 << 30) + 1) << k) // counts, 30 + k
    want = np.clip(((sums * m + (1 << (shift - 1))) >> shift) + ozp, -128, 127)
    assert np.array_equal(got, want)


def test_scatter_replaces_rows_and_rejects_repeats() -> None:
    values = np.zeros((2, 4, 3), np.float32)
    indices = np.array([[3, 0], [1, 2]], np.int32)
    updates = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    tv, ti, tu = (
        _t(values.shape, "f32"),
        _t(indices.shape, "i32"),
        _t(updates.shape, "f32"),
    )
    text = (
        f"func.func @f(%v: {tv}, %i: {ti}, %u: {tu}) -> {tv} {{\n"
        f"  %0 = tosa.scatter %v, %i, %u : ({tv}, {ti}, {tu}) -> {tv}\n"
        f"  return %0 : {tv}\n}}\n"
    )
    (got,) = run(text, values, indices, updates)
    want = values.copy()
    for n in range(2):
        for w in range(2):
            want[n, indices[n, w]] = updates[n, w]
    assert np.array_equal(got, want)
    with pytest.raises(
        ExecutionError, match=r"tosa\.scatter at .*writes one row twice"
    ):
        run(text, values, np.array([[1, 1], [0, 2]], np.int32), updates)
