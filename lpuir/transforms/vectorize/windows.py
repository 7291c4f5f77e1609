"""Windowed TOSA ops, as the reference computes them
(interpreter/reference_tosa.py), with the windows as index maps
(`movement.move`): numpy takes the reference's own `windows` of the
operand's element numbers, so each window position is known when compiling.

- `max_pool2d`: the maximum of the kernel positions' windows, folded in
  kernel order (padding holds the type's lowest value);
- `avg_pool2d` (floats): the windows summed in kernel order in f32 (padding
  holds zero), divided by the count of real elements, rounded to the type;
- `conv2d`, `conv3d`, `depthwise_conv2d`, `transpose_conv2d`: one matrix
  product (`products.multiply`) of the windows (K runs over the kernel and
  the input channels, row-major) by the weights, plus the bias, in the
  accumulator, then cast; integer inputs less their zero points in i32.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from lpuir import numerics
from lpuir.dialects import lpu, tosa
from lpuir.interpreter.reference_tosa import conv_accumulator, windows
from lpuir.transforms.vectorize import movement, products
from lpuir.transforms.vectorize.composite import (
    Steps,
    cmp,
    constant_scalar,
    element_of,
)
from lpuir.transforms.vectorize.movement import numbered
from lpuir.transforms.vectorize.program import Placed, dense, lowest, unsupported
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer


def lay_out(s: Steps, sources: list[Placed], index: np.ndarray) -> Placed:
    return movement.lay_out(s.vz, s.op, sources, index)


def padded_index(shape: tuple[int, ...], pad: list[int], fill: int) -> np.ndarray:
    """The element numbers of [N, *spatial, C] padded (`fill` in the pads)."""
    pads = [(0, 0), *zip(pad[::2], pad[1::2], strict=True), (0, 0)]
    return np.pad(numbered(shape), pads, constant_values=fill)


def _pool(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.MaxPool2dOp | tosa.AvgPool2dOp)
    s = Steps(vz, op)
    t = element_of(op.input)
    kernel = tuple(int(v) for v in op.kernel.get_values())
    stride = tuple(int(v) for v in op.stride.get_values())
    pad = [int(v) for v in op.pad.get_values()]
    out_shape, out_t = tensor_shape_and_element(op.output.type)
    x = s.get(op.input)
    average = isinstance(op, tosa.AvgPool2dOp)
    if average:
        if not numerics.is_float(t):
            raise unsupported(
                op, f"'tosa.avg_pool2d' of {t} (integer averages are not lowered yet)"
            )
        x = s.convert(x, "f32")
        filler, acc_t = s.scalar(0, "f32"), "f32"
    else:
        filler, acc_t = s.scalar(lowest(t), t), t
    n = math.prod(x.shape)
    index = windows(
        padded_index(x.shape, pad, n), kernel, stride, (1, 1), tuple(out_shape[1:3])
    )
    total: Placed | None = None
    nan = op.properties.get("nan_mode")
    ignore = nan is not None and nan.data.value == "IGNORE" and numerics.is_float(t)
    for at in np.ndindex(*kernel):
        window = lay_out(
            s, [x, filler], np.ascontiguousarray(index[:, :, :, at[0], at[1], :])
        )
        if total is None:
            total = window
        elif average:
            total = s(lpu.AddOp, [total, window], acc_t)
        elif ignore:
            both = s(lpu.MaxOp, [total, window], t)
            a_nan = s(cmp("ne"), [total, total], "i1")
            b_nan = s(cmp("ne"), [window, window], "i1")
            total = s.select(a_nan, window, s.select(b_nan, total, both))
        else:
            total = s(lpu.MaxOp, [total, window], t)
    assert total is not None
    if not average:
        s.convert(total, out_t, op.output)
        return
    valid = np.pad(np.ones(x.shape[1:3], np.int64), [tuple(pad[0:2]), tuple(pad[2:4])])
    count = np.zeros(tuple(out_shape[1:3]), np.int64)
    for y, xx in np.ndindex(*kernel):
        count += valid[
            y : y + stride[0] * out_shape[1] : stride[0],
            xx : xx + stride[1] * out_shape[2] : stride[1],
        ]
    if count.min() < 1:
        raise unsupported(op, "'tosa.avg_pool2d' with a window over padding only")
    counts = numerics.cast(count.reshape(1, *count.shape, 1), "i64", "f32")
    divisor = vz.chip.tensor(
        counts.shape, "f32", "weight", op, value=dense(counts, "f32"), prefix="c"
    )
    mean = s(lpu.DivOp, [total, divisor], "f32")
    s.convert(mean, out_t, op.output)


def _conv(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(
        op,
        tosa.Conv2DOp | tosa.Conv3DOp | tosa.DepthwiseConv2DOp | tosa.TransposeConv2DOp,
    )
    s = Steps(vz, op)
    x, weight, bias = (s.get(v) for v in (op.input, op.weight, op.bias))
    in_t = element_of(op.input)
    out_shape, out_t = tensor_shape_and_element(op.output.type)
    acc = conv_accumulator(op, in_t)
    if acc not in ("f32", "i32"):
        raise unsupported(op, f"'{op.name}' accumulating in {acc}")
    zps = [
        constant_scalar(vz, v, op, "zero point") for v in (op.input_zp, op.weight_zp)
    ]
    groups = isinstance(op, tosa.DepthwiseConv2DOp)
    n = math.prod(x.shape)
    if isinstance(op, tosa.TransposeConv2DOp):
        sy, sx = (int(v) for v in op.stride.get_values())
        top, bottom, left, right = (int(v) for v in op.out_pad.get_values())
        batch, h, w, c = x.shape
        stuffed = np.full((batch, (h - 1) * sy + 1, (w - 1) * sx + 1, c), n, np.int64)
        stuffed[:, ::sy, ::sx, :] = numbered(x.shape)
        _, kh, kw, _ = weight.shape
        source_index = stuffed
        stride, dilation = (1, 1), (1, 1)
        pad = [kh - 1 + top, kh - 1 + bottom, kw - 1 + left, kw - 1 + right]
        w_index = numbered(weight.shape)[:, ::-1, ::-1, :]
    else:
        source_index = numbered(x.shape)
        stride = tuple(int(v) for v in op.stride.get_values())
        dilation = tuple(int(v) for v in op.dilation.get_values())
        pad = [int(v) for v in op.pad.get_values()]
        w_index = numbered(weight.shape)
    spatial = len(pad) // 2
    if numerics.is_float(in_t):
        mul_t = in_t
        lhs_src, rhs_src = x, weight
        fill = s.scalar(zps[0], in_t)
    else:
        mul_t = acc
        lhs_src = s(lpu.SubOp, [s.convert(x, acc), s.scalar(zps[0], acc)], acc)
        rhs_src = s(lpu.SubOp, [s.convert(weight, acc), s.scalar(zps[1], acc)], acc)
        fill = s.scalar(0, acc)
    pads = [(0, 0), *zip(pad[::2], pad[1::2], strict=True), (0, 0)]
    padded = np.pad(source_index, pads, constant_values=n)
    kernel = w_index.shape[:spatial] if groups else w_index.shape[1 : 1 + spatial]
    out = tuple(out_shape[1 : 1 + spatial])
    win = windows(padded, kernel, stride, dilation, out)
    rows = win.shape[0] * math.prod(out)
    k = math.prod(kernel)
    if groups:
        c, m = w_index.shape[-2:]
        lhs_index = np.moveaxis(win.reshape(rows, k, c), -1, 0)  # [C, rows, K]
        rhs_index = np.moveaxis(w_index.reshape(k, c, m), 1, 0)  # [C, K, M]
    else:
        oc = w_index.shape[0]
        lhs_index = win.reshape(1, rows, k * w_index.shape[-1])
        rhs_index = w_index.reshape(oc, -1).T.reshape(1, -1, oc)
    lhs = lay_out(s, [lhs_src, fill], np.ascontiguousarray(lhs_index))
    rhs = lay_out(s, [rhs_src], np.ascontiguousarray(rhs_index))
    if lhs.element != mul_t:
        lhs, rhs = s.convert(lhs, mul_t), s.convert(rhs, mul_t)
    product = products.multiply(s, lhs, rhs, acc)
    if groups:
        c, m = w_index.shape[-2:]
        flat = lay_out(
            s,
            [product],
            np.ascontiguousarray(
                np.moveaxis(numbered(product.shape), 0, 1).reshape(1, rows, c * m)
            ),
        )
    else:
        flat = product
    width = flat.shape[-1]
    total = s(
        lpu.AddOp,
        [flat, Placed(s.convert(bias, acc).tensor, (1, 1, width), acc, vz.spec.lanes)],
        acc,
    )
    result = s.convert(total, out_t)
    vz.values[op.output] = Placed(result.tensor, tuple(out_shape), out_t, result.lanes)


LOWERINGS = {
    tosa.MaxPool2dOp: _pool,
    tosa.AvgPool2dOp: _pool,
    tosa.Conv2DOp: _conv,
    tosa.Conv3DOp: _conv,
    tosa.DepthwiseConv2DOp: _conv,
    tosa.TransposeConv2DOp: _conv,
}
"""The lowering of each op of this module (entries of the package's table)."""
