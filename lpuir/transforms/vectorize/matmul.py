"""`tosa.matmul` on the MXM: per batch, output tile of 320 columns and
K-block, a weight tile is installed from the right-hand side's rows and the
left-hand side's rows stream through, accumulating K-blocks in order
(numerics.md). A resident right-hand side (a constant or an `{lpu.weight}`
argument) that only matmuls use is stored as row chunks (INSTALL_CHUNKS), so
a tile installs from several slices side by side. On several chips, split by
columns or by rows as lpu-partition says (`lpu.split`)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Attribute, Operation, SSAValue

from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu import ACCUMULATOR, ELEMENT_TYPES, WeightsType
from lpuir.transforms.annotations import chips_of, k_split_of, split_of
from lpuir.transforms.vectorize import ksplit, layout, shards
from lpuir.transforms.vectorize.elementwise import elementwise_into
from lpuir.transforms.vectorize.program import (
    Operand,
    Placed,
    constant_array,
    dense,
    unsupported,
)
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

INSTALL_CHUNKS = 8
"""Row chunks a resident matmul right-hand side is stored in: an install reads
a burst from each, side by side, each on its own stream and (lpu-allocate-sram
keeps a group's tensors apart when it can) its own slice, so a weight tile's K
rows install in K/8 cycles (40 for i8, 20 for f16) instead of K: a slice reads
one row per cycle. More would crowd the slices and streams that other operands
use (an f16 chunk takes two slices) and add reads for the scheduler to place
for less gain (16 made a Llama layer's decode step 7% faster and its compile 2x
slower); at most half of `mxm_install_rows_per_cycle`, since a burst that
crosses a slice group boundary is read as two operands."""


@dataclass(frozen=True)
class RowChunks:
    """A resident matmul right-hand side [B, K, N] stored as row chunks (see
    INSTALL_CHUNKS): `parts[q]` holds, block after block, rows q*rows ..
    q*rows+rows-1 of every K-block (row r of block b at b*rows + r)."""

    parts: tuple[Placed, ...]
    rows: int
    shape: tuple[int, ...]


def lower(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.MatMulOp)
    if k_split_of(op) is not None:
        ksplit.lower(vz, op)
        return
    chips = chips_of(op)
    mode = split_of(op)
    if mode == "rows" and op.a in vz.shards and vz.resident(op.b):
        matmul_rows(vz, op)
    elif (
        mode == "cols"
        and (op.b in vz.constants or op.b in vz.fn.args)
        and len(chips) > 1
    ):
        matmul_cols(vz, op, chips)
    else:
        mxm(
            vz,
            op,
            vz.get(op.a, op),
            right_hand_side(vz, op.b, op),
            vz.place_new(op.output, op, lanes=vz.spec.lanes),
        )


def right_hand_side(
    vz: Vectorizer, value: SSAValue, op: Operation
) -> Placed | RowChunks:
    """A matmul's right-hand side on this chip: as row chunks (cached) if
    it is resident and only ever a matmul's right-hand side, else where
    `get` puts it (one layout serves every other user)."""
    element = tensor_shape_and_element(value.type)[1]
    only_rhs = all(
        isinstance(u.operation, tosa.MatMulOp) and u.index == 1 for u in value.uses
    )
    if not (vz.resident(value) and only_rhs and element in ACCUMULATOR):
        return vz.get(value, op)
    cache = vz.chunk_cache[vz.current]
    if value not in cache:
        cache[value] = row_chunks(vz, value)
    return cache[value]  # type: ignore[return-value]


def row_chunks(vz: Vectorizer, value: SSAValue) -> RowChunks:
    """Weight tensors holding a resident [B, K, N] as row chunks (a
    constant's values split accordingly; chunk rows past a short block
    hold zeros, never read)."""
    shape, element = vz.shape_of(value), tensor_shape_and_element(value.type)[1]
    batch, k, n = shape
    kb = vz.spec.mxm_k(element)
    tile_rows = min(k, kb)
    count = max(
        1,
        min(INSTALL_CHUNKS, vz.spec.mxm_install_rows_per_cycle // 2, tile_rows),
    )
    rows = -(-tile_rows // count)
    blocks = -(-k // kb)
    last = k - (blocks - 1) * kb
    const = vz.constants.get(value)
    full = shards.cut(vz, constant_array(const, value)) if const is not None else None
    offset = np.arange(k) % kb
    chunk_of = offset // rows
    at = np.arange(k) // kb * rows + offset % rows
    parts = []
    for q in range(-(-tile_rows // rows)):
        extent = (blocks - 1) * rows + min(rows, max(0, last - q * rows))
        held: Attribute | None = None
        if full is not None:
            part = np.zeros((batch, extent, n), full.dtype)
            part[:, at[chunk_of == q]] = full[:, chunk_of == q]
            held = dense(part, element)
        parts.append(
            vz.chip.tensor(
                (batch, extent, n),
                element,
                "weight",
                vz.fn if const is None else const,
                value=held,  # type: ignore[arg-type]
                prefix="c",
            )
        )
    return RowChunks(tuple(parts), rows, shape)


def matmul_cols(vz: Vectorizer, op: tosa.MatMulOp, chips: Sequence[int]) -> None:
    """Tensor parallel by columns: each chip multiplies the whole left-hand
    side by its columns of the (constant) right-hand side; the result stays
    sharded by columns (no reduction, so no change of numerics)."""
    n = tensor_shape_and_element(op.b.type)[0][2]
    edges = [0, *shards.column_bounds(n, vz.spec.lanes, len(chips)), n]
    for chip, (lo, hi) in zip(chips, itertools.pairwise(edges), strict=False):
        vz.on(chip)
        a = vz.get(op.a, op)
        with shards.window(vz, chip, lo, hi, n):
            b = vz.get(op.b, op)
            c = vz.place_new(op.output, op, lanes=vz.spec.lanes)
        mxm(vz, op, a, b, c)


def matmul_rows(vz: Vectorizer, op: tosa.MatMulOp) -> None:
    """Tensor parallel by rows: the left-hand side is sharded by columns (K);
    each chip multiplies its shard by its rows of the right-hand side, and
    the partial sums travel down the chain of chips in K order, each chip
    adding its K-blocks one by one: exactly the numerics' in-order block
    sum, so the result is bit-identical to one chip's (it ends whole on
    the last chip)."""
    (batch, m, _), element = tensor_shape_and_element(op.a.type)
    n = tensor_shape_and_element(op.b.type)[0][2]
    out_element = tensor_shape_and_element(op.output.type)[1]
    kb = vz.spec.mxm_k(element) if element in ACCUMULATOR else 1
    found = sorted(vz.shards[op.a], key=lambda sh: sh.lo)
    if any(sh.lo % kb for sh in found):
        raise unsupported(op, f"K shards must start at multiples of {kb}")
    partial: Placed | None = None
    partial_chip = found[0].chip
    for shard in found:
        vz.on(shard.chip)
        b = get_rows(vz, op.b, shard.lo, shard.hi, op)
        out = (batch, m, n)
        if partial is None:
            partial = vz.chip.tensor(out, out_element, "scratch", op)
            mxm(vz, op, shard.placed, b, partial)
        else:
            acc = vz.chip.tensor(out, out_element, "scratch", op)
            every = np.arange(acc.vectors, dtype=np.int64)
            shards.transfer(vz, partial, partial_chip, every, acc, every, op)
            for kbi in range(-(-(shard.hi - shard.lo) // kb)):
                block = vz.chip.tensor(out, out_element, "scratch", op)
                mxm(vz, op, shard.placed, b, block, blocks=range(kbi, kbi + 1))
                total = vz.chip.tensor(out, out_element, "scratch", op)
                acc = elementwise_into(
                    vz, op, lpu.AddOp, [acc, block], total, out_element
                )
            partial = acc
        partial_chip = shard.chip
    assert partial is not None
    vz.values[op.output] = partial


def get_rows(
    vz: Vectorizer, value: SSAValue, lo: int, hi: int, user: Operation
) -> Placed:
    """Rows lo..hi-1 (the K axis) of a resident right-hand side."""
    shape, element = tensor_shape_and_element(value.type)
    if value not in vz.constants:  # a weight argument: no value
        part_shape = (*shape[:-2], hi - lo, shape[-1])
        return vz.chip.tensor(part_shape, element, "weight", user, prefix="c")
    const = vz.constants[value]
    part = constant_array(const, value)[..., lo:hi, :]
    return vz.chip.tensor(
        part.shape,
        element,
        "weight",
        const,
        value=dense(part, element),
        prefix="c",
    )


def mxm(
    vz: Vectorizer,
    op: tosa.MatMulOp,
    a: Placed,
    b: Placed | RowChunks,
    c: Placed,
    blocks: range | None = None,
) -> None:
    """c = a x b on the MXM (per batch, output tile and K-block); `blocks`:
    only these K-blocks (default: all, accumulated in order). A tile's rows
    come from b's row chunks side by side, or from b alone if it is one
    tensor (one chunk of K rows)."""
    batch, m, k = a.shape
    n = b.shape[2]
    element = a.element
    out_element = c.element
    if element not in ACCUMULATOR:
        raise unsupported(op, f"the MXM multiplies i8, f16 and bf16, not {element}")
    if out_element != ACCUMULATOR[element]:
        raise unsupported(
            op,
            f"{element} x {element} -> {out_element}: the MXM accumulates {element} in {ACCUMULATOR[element]}",
        )
    kb = vz.spec.mxm_k(element)
    chunks, per = (b.parts, b.rows) if isinstance(b, RowChunks) else ((b,), kb)
    a = layout.relayout(vz, a, kb, op)
    tiles = -(-n // vz.spec.lanes)
    blocks = blocks if blocks is not None else range(-(-k // kb))
    size = vz.spec.sram_addresses
    wtype = WeightsType(ELEMENT_TYPES[element])
    for bi in range(batch):
        rows_m = bi * m + np.arange(m, dtype=np.int64)
        # row chunks that keep every x vector and every result vector of a
        # chunk in one slice group (a burst works on one group)
        groups = np.stack(
            [(rows_m * a.per_row + kbi) // size for kbi in blocks]
            + [(rows_m * c.per_row + j) // size for j in range(tiles)]
        )
        cuts = [
            0,
            *(np.flatnonzero(np.any(groups[:, 1:] != groups[:, :-1], axis=0)) + 1),
            m,
        ]
        for j in range(tiles):
            for lo, hi in itertools.pairwise(cuts):
                acc: SSAValue | None = None
                for kbi in blocks:
                    rows = min(kb, k - kbi * kb)
                    parts = []
                    for q, chunk in enumerate(chunks):
                        here = min(per, rows - q * per)
                        if here <= 0:
                            break
                        w_rows = Operand(
                            chunk,
                            (
                                bi * chunk.shape[1]
                                + kbi * per
                                + np.arange(here, dtype=np.int64)
                            )
                            * chunk.per_row
                            + j,
                        )
                        parts += [
                            vz.read(w_rows, p, e - p, op) for p, e in vz.runs([w_rows])
                        ]
                    weights = vz.emit(lpu.InstallOp(parts, wtype), op)
                    x = vz.read(Operand(a, rows_m * a.per_row + kbi), lo, hi - lo, op)
                    if rows < kb:
                        x = layout.masked(vz, x, rows, element, hi - lo, op)
                    acc = vz.emit(lpu.MatmulOp(weights, x, acc), op)
                assert acc is not None
                vz.write(acc, c, int(rows_m[lo]) * c.per_row + j, c.per_row, op)
