"""How values lie in SRAM (docs/compiler.md "Layout"): the row layout each
value wants, relayouts between layouts, masks over padding lanes, splats of
per-row values, and which operand vector each output vector reads."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType
from xdsl.ir import Operation, SSAValue

from lpuir import numerics
from lpuir.diagnostics import LpuError
from lpuir.dialects import lpu, tosa
from lpuir.machine import ChipSpec
from lpuir.transforms.vectorize import lanes
from lpuir.transforms.vectorize.program import (
    Operand,
    Placed,
    dense,
    unsupported,
)
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer


def matmul_layouts(fn: func.FuncOp, spec: ChipSpec) -> dict[SSAValue, int]:
    """Values that feed a matmul's left-hand side as f16/bf16 want one MXM
    K-block (160 elements) per vector; elementwise producers pass the wish on."""
    from lpuir.transforms.vectorize.elementwise import is_elementwise

    wanted: dict[SSAValue, int] = {}
    ops = list(fn.body.walk())
    for op in reversed(ops):
        if isinstance(op, tosa.MatMulOp):
            element = tensor_shape_and_element(op.a.type)[1]
            if element in ("f16", "bf16"):
                wanted[op.a] = spec.mxm_k(element)
        elif op.results and op.results[0] in wanted and is_elementwise(op):
            for v in op.operands:
                if (
                    isinstance(v.type, TensorType)
                    and tensor_shape_and_element(v.type)[0][-1:]
                    == tensor_shape_and_element(op.results[0].type)[0][-1:]
                ):
                    wanted.setdefault(v, wanted[op.results[0]])
    return wanted


def masked(
    vz: Vectorizer, v: SSAValue, count: int, element: str, n: int, op: Operation
) -> SSAValue:
    """v with lanes `count..` zeroed (padding lanes of scratch tensors hold
    whatever the op computed there; the MXM and reductions must not see it)."""
    mask = vz.chip.constant_vector(
        (np.arange(vz.spec.lanes) < count).astype(np.int32), "i32", op
    )
    zero = vz.chip.constant_vector(
        np.zeros(vz.spec.lanes, dtype=numerics.carrier(element)), element, op
    )
    constant = Operand(mask, np.zeros(n, dtype=np.int64))
    m = vz.read(constant, 0, n, op)
    z = vz.read(Operand(zero, constant.indices), 0, n, op)
    return vz.vxm(lpu.SelectOp, [m, v, z], element, n, op)


def relayout(vz: Vectorizer, placed: Placed, count: int, op: Operation) -> Placed:
    """The same value with `count` elements per vector, from a layout with
    twice as many: each vector's low half (masked) and its high half (shifted
    south by `count` on an SXM) become two vectors. Cached per value."""
    if placed.lanes == count or placed.splat:
        return placed
    key = (placed.name, placed.offset, count)
    if key in vz.relayouts:
        return vz.relayouts[key]
    if placed.lanes * 2 == count:
        target = widen(vz, placed, count, op)
        vz.relayouts[key] = target
        return target
    if placed.lanes != 2 * count:
        raise unsupported(
            op, f"relayout from {placed.lanes} to {count} elements per vector"
        )
    target = vz.chip.tensor(placed.shape, placed.element, "scratch", op, lanes=count)
    rows = np.arange(placed.rows, dtype=np.int64)
    for j in range(placed.per_row):
        source = Operand(placed, rows * placed.per_row + j)
        for half in (0, 1):
            if 2 * j + half >= target.per_row:
                continue
            dest = Operand(target, rows * target.per_row + 2 * j + half)
            for a, b in vz.runs([source, dest]):
                v = vz.read(source, a, b - a, op)
                if half:
                    v = vz.shift(v, "south", count, op)
                else:
                    v = masked(vz, v, count, placed.element, b - a, op)
                vz.write(v, target, int(dest.indices[a]), target.per_row, op)
    vz.relayouts[key] = target
    return target


def widen(vz: Vectorizer, placed: Placed, count: int, op: Operation) -> Placed:
    """The inverse of `relayout`'s split: vectors 2j and 2j+1 of a row become
    vector j, the second shifted north by half the lanes (in its own group,
    as both come from one slice) and selected lane by lane (exact, also
    for -0)."""
    half = placed.lanes
    target = vz.chip.tensor(placed.shape, placed.element, "scratch", op, lanes=count)
    mask = vz.chip.constant_vector(
        (np.arange(vz.spec.lanes) < half).astype(np.int32), "i32", op
    )
    upper = vz.chip.tensor(
        (placed.rows, target.per_row * vz.spec.lanes),
        placed.element,
        "scratch",
        op,
    )
    rows = np.arange(placed.rows, dtype=np.int64)
    for j in range(target.per_row):
        low = Operand(placed, rows * placed.per_row + 2 * j)
        high = Operand(placed, rows * placed.per_row + 2 * j + 1)
        dest = Operand(target, rows * target.per_row + j)
        staged = Operand(upper, rows * target.per_row + j)
        has_high = 2 * j + 1 < placed.per_row
        for a, b in vz.runs([low, high, dest, staged]):
            n = b - a
            if has_high:
                moved = vz.shift(vz.read(high, a, n, op), "north", half, op)
                vz.write(moved, upper, int(staged.indices[a]), target.per_row, op)
                second = vz.read(staged, a, n, op)
                m = vz.read(Operand(mask, np.zeros(n, dtype=np.int64)), 0, n, op)
                v = vz.vxm(
                    lpu.SelectOp,
                    [m, vz.read(low, a, n, op), second],
                    placed.element,
                    n,
                    op,
                )
            else:
                v = masked(vz, vz.read(low, a, n, op), half, placed.element, n, op)
            vz.write(v, target, int(dest.indices[a]), target.per_row, op)
    return target


def operand_indices(
    placed: Placed, out_shape: tuple[int, ...], out_lanes: int
) -> np.ndarray:
    """For each output vector, the operand vector it needs (TOSA broadcast)."""
    out_rows = math.prod(out_shape[:-1]) if len(out_shape) > 1 else 1
    out_per_row = -(-out_shape[-1] // out_lanes)
    lead = [d for d in out_shape[:-1]]
    in_lead = (
        list(placed.shape[:-1])
        if len(placed.shape) == len(out_shape)
        else [1] * len(lead)
    )
    grid = (
        np.indices(lead, dtype=np.int64).reshape(len(lead), -1)
        if lead
        else np.zeros((0, 1), dtype=np.int64)
    )
    src_row = np.zeros(out_rows, dtype=np.int64)
    for axis, d in enumerate(in_lead):
        src_row = src_row * d + (grid[axis] if d != 1 else 0)
    j = np.arange(out_per_row, dtype=np.int64)
    if placed.splat or (placed.cols == 1 and out_shape[-1] != 1):
        if not placed.splat:
            raise LpuError("internal: last-axis broadcast of a non-splat operand")
        return np.repeat(src_row, out_per_row)
    if placed.lanes != out_lanes:
        raise LpuError("internal: operands of different row layouts")
    return (src_row[:, None] * placed.per_row + j[None, :]).reshape(-1)


def ensure_splat(vz: Vectorizer, placed: Placed, op: Operation) -> Placed:
    """A value of shape [..., 1] as a splat (see Placed); a constant's splat
    is a constant too."""
    if placed.splat:
        return placed
    if placed.tensor.value is None:
        return splat_lane0(vz, placed, op)
    return splat_constant(vz, placed.tensor.value, placed.shape, placed.element, op)


def splat_constant(
    vz: Vectorizer,
    values: DenseIntOrFPElementsAttr,
    shape: tuple[int, ...],
    element: str,
    loc: Operation,
) -> Placed:
    """A weight tensor holding a [..., 1] constant as a splat: each row's
    value in every lane."""
    rows = math.prod(shape[:-1]) if len(shape) > 1 else 1
    column = np.broadcast_to(
        np.array(values.get_values(), dtype=numerics.carrier(element)).reshape(-1, 1),
        (rows, 1),
    )
    every = np.repeat(column, vz.spec.lanes, axis=1).reshape(*shape[:-1], vz.spec.lanes)
    return vz.chip.tensor(
        shape,
        element,
        "weight",
        loc,
        value=dense(every, element),
        splat=True,
        prefix="c",
    )


def splat_lane0(vz: Vectorizer, placed: Placed, op: Operation) -> Placed:
    """[..., 1] tensor (value in lane 0 of each row's vector) to a splat."""
    if placed.per_row != 1:
        raise unsupported(
            op, "broadcast of a row longer than one vector along the last axis"
        )
    splat = vz.chip.tensor(placed.shape, placed.element, "scratch", op, splat=True)
    lanes.pipeline(vz, op, placed, splat, [])
    return splat


def reshape(vz: Vectorizer, op: tosa.ReshapeOp) -> None:
    """A reshape that keeps the last axis keeps every vector where it is:
    the result shares the operand's tensor."""
    src = vz.get(op.input1, op)
    shape = vz.shape_of(op.output) or (1,)
    if shape[-1] != src.shape[-1]:
        raise unsupported(
            op,
            f"reshape {src.shape} -> {shape} changes the last axis (only reshapes that keep it are lowered yet)",
        )
    vz.values[op.output] = Placed(
        src.tensor, shape, src.element, src.lanes, src.splat, src.offset
    )
