"""Matrix products of every type, and `tosa.matmul`'s zero points.

i8, f16 and bf16 multiply on the MXM (`matmul`); an f16/bf16 result is the
f32 accumulation rounded once. The MXM has no f32 or wider integers: those
products are summed on the VXM in K order, one rounded product at a time
(`vxm_product`), which is the numerics spec's rule for them (k_block 1:
`acc = +0`, then `acc = acc + a_k * b_k`; integers wrap, in any order).
The left-hand side's elements are needed in every lane: a splat of each
(`movement.move` into a splat tensor: tables of rotations and gathers).

Non-zero i8 zero points are applied as the reference does, exactly in i32:
`sum((a - za)(b - zb)) = ab - zb*rowsum(a) - za*colsum(b) + K*za*zb`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from lpuir import numerics
from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu import ACCUMULATOR
from lpuir.transforms.annotations import k_split_of
from lpuir.transforms.vectorize import layout, matmul, movement, reductions
from lpuir.transforms.vectorize.composite import (
    NATIVE,
    Steps,
    constant_scalar,
    element_of,
)
from lpuir.transforms.vectorize.program import Operand, Placed, unsupported

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer


def lower(vz: Vectorizer, op: Operation) -> None:
    """`tosa.matmul`: on the MXM as `matmul.lower` does when it can, else
    here."""
    assert isinstance(op, tosa.MatMulOp)
    a_t, out_t = element_of(op.a), element_of(op.output)
    zero_points = [constant_scalar(vz, v, op, "zero point") for v in (op.a_zp, op.b_zp)]
    if a_t in ACCUMULATOR and out_t == ACCUMULATOR[a_t] and zero_points == [0, 0]:
        matmul.lower(vz, op)
        return
    if k_split_of(op) is not None and not numerics.is_int(a_t):
        raise unsupported(
            op,
            "a K split (lpu.k_parts) of a matmul with zero points or a converted result is not lowered; the reference sums its parts in the stated order, so compiling it in another would differ",
        )
    s = Steps(vz, op)
    a, b = vz.get(op.a, op), vz.get(op.b, op)
    product = multiply(s, a, b, ACCUMULATOR.get(a_t, out_t))
    if zero_points != [0, 0]:
        product = corrected(s, a, b, product, zero_points)
    s.convert(product, out_t, op.output)


def multiply(s: Steps, a: Placed, b: Placed, acc_t: str) -> Placed:
    """a [B, M, K] x b [B, K, N] accumulated in acc_t: on the MXM for its
    types, else on the VXM."""
    vz, op = s.vz, s.op
    batch, m, _ = a.shape
    n = b.shape[-1]
    c = vz.chip.tensor((batch, m, n), acc_t, "scratch", op, lanes=vz.spec.lanes)
    if a.element in ACCUMULATOR:
        if acc_t != ACCUMULATOR[a.element]:
            raise unsupported(
                op,
                f"{a.element} products accumulate in {ACCUMULATOR[a.element]} on the MXM, not {acc_t}",
            )
        matmul.mxm(vz, op, a, [matmul.Part(b, 0, b.shape[1], c)])
        return c
    if (
        a.element != acc_t
        and not numerics.is_float(a.element)
        and not numerics.is_float(acc_t)
        and numerics.bitwidth(a.element) < numerics.bitwidth(acc_t)
    ):  # narrow integers: extended, their products and sums exact in acc_t
        a, b = s.convert(a, acc_t), s.convert(b, acc_t)
    if acc_t not in NATIVE or a.element != acc_t:
        raise unsupported(
            op,
            f"'{op.name}' of {a.element} into {acc_t} (the VXM sums products of its own type)",
        )
    return vxm_product(vz, op, a, b, c)


def vxm_product(
    vz: Vectorizer, op: Operation, a: Placed, b: Placed, c: Placed
) -> Placed:
    """a x b on the VXM: for each k in order, c += splat(a[.., k]) * b[k, :]
    (c and a second accumulator in turn when bursts are long,
    `reductions.accumulators`); the tensor that holds the product."""
    batch, m, k = a.shape
    lanes = vz.spec.lanes
    b = layout.relayout(vz, b, lanes, op) if b.lanes != lanes else b
    splats = vz.chip.tensor((batch, m, k, 1), a.element, "scratch", op, splat=True)
    movement.move(
        vz, op, [a], np.arange(math.prod(a.shape)).reshape(splats.shape), splats
    )
    out = np.arange(c.vectors, dtype=np.int64)
    row, j = out // c.per_row, out % c.per_row  # row = b*M + m
    accs = reductions.accumulators(vz, op, k, c, c.vectors)
    for kk in range(k):
        own, into = (
            Operand(reductions.in_turn(accs, kk - 1), out),
            reductions.in_turn(accs, kk),
        )
        lhs = Operand(splats, row * k + kk)
        rhs = Operand(b, ((row // m) * k + kk) * b.per_row + j)
        for lo, hi in vz.runs([own, lhs, rhs]):
            n = hi - lo
            x = vz.read(lhs, lo, n, op)
            y = vz.read(rhs, lo, n, op)
            p = vz.vxm(lpu.MulOp, [x, y], c.element, n, op)
            if kk:
                p = vz.vxm(lpu.AddOp, [vz.read(own, lo, n, op), p], c.element, n, op)
            elif numerics.is_float(c.element):  # +0 + p: a zero product is +0
                start = vz.chip.constant_vector(
                    np.zeros(lanes, dtype=numerics.carrier(c.element)), c.element, op
                )
                z = vz.read(Operand(start, np.zeros(n, dtype=np.int64)), 0, n, op)
                p = vz.vxm(lpu.AddOp, [z, p], c.element, n, op)
            vz.write(p, into, lo, 1, op)
    return reductions.in_turn(accs, k - 1)


def corrected(
    s: Steps, a: Placed, b: Placed, product: Placed, zero_points: list[int]
) -> Placed:
    """product - zb*rowsum(a) - za*colsum(b) + K*za*zb, in i32."""
    za, zb = zero_points
    k = a.shape[-1]
    i32 = "i32"
    wide_a, wide_b = s.convert(a, i32), s.convert(b, i32)
    row_sums = reductions.reduce_rows(s.vz, s.op, wide_a, lpu.AddOp)  # [B, M, 1]
    columns = s.vz.chip.tensor(
        (b.shape[0], 1, b.shape[2]), i32, "scratch", s.op, lanes=wide_b.lanes
    )
    per = wide_b.per_row
    heads = np.arange(b.shape[0] * per, dtype=np.int64)
    first = (heads // per) * k * per + heads % per
    s.vz.copy_vectors(wide_b, first, columns, heads, s.op)
    for kk in range(1, k):
        rows = Operand(wide_b, first + kk * per)
        own = Operand(columns, heads)
        for lo, hi in s.vz.runs([own, rows]):
            n = hi - lo
            v = s.vz.vxm(
                lpu.AddOp,
                [s.vz.read(own, lo, n, s.op), s.vz.read(rows, lo, n, s.op)],
                i32,
                n,
                s.op,
            )
            s.vz.write(v, columns, lo, 1, s.op)
    value = product
    if zb:
        value = s(
            lpu.SubOp, [value, s(lpu.MulOp, [row_sums, s.scalar(zb, i32)], i32)], i32
        )
    if za:
        value = s(
            lpu.SubOp, [value, s(lpu.MulOp, [columns, s.scalar(za, i32)], i32)], i32
        )
    if za and zb:
        value = s(lpu.AddOp, [value, s.scalar(k * za * zb, i32)], i32)
    return value
