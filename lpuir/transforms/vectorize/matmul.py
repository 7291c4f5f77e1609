"""`tosa.matmul` on the MXM: per batch, output tile of 320 columns and
K-block, a weight tile is installed from the right-hand side's rows and the
left-hand side's rows stream through, accumulating K-blocks in order
(numerics.md). A right-hand side that only matmuls on one chip use (a
constant, an `{lpu.weight}` argument or a program input, a KV cache split
by heads included) is stored as row chunks (`chunked`, `install_chunks`),
so a tile installs from many slices side by side; an input left-hand side of many rows is stored as row chunks
by its rows (`left_chunk_rows`), so the planes stream rows from several
slices at once; the K-block chains of output tiles are interleaved (`mxm`),
so the installs of one overlap the multiplies of another. A K split the
program states (`lpu.k_parts`, as lpu-split-k writes for install-bound
integer matmuls) runs each part on its own planes from its own chunks and
adds the partial sums in the stated order (docs/compiler.md, "Matmuls").
On several chips, split by columns or by rows as lpu-partition says
(`lpu.split`)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Attribute, Operation, SSAValue

from lpuir import numerics
from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu import ACCUMULATOR, ELEMENT_TYPES, WeightsType, element_bytes
from lpuir.machine import ChipSpec
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


def install_chunks(
    spec: ChipSpec, element: str, tile_rows: int, vectors: int, shared: bool = False
) -> int:
    """Row chunks a matmul right-hand side is stored in (`chunked`): an install
    reads a burst from each, side by side, each on its own stream(s) and (as
    lpu-allocate-sram keeps a group's tensors apart when it can) its own
    slices, so a weight tile's K rows install in K / chunks cycles: as many
    as a plane takes side by side (`mxm_install_rows_per_cycle`) and the
    streams of one direction carry (a 16-bit row takes two), 10 cycles per
    tile on tsp-v1 ([ISCA20]: four planes in under 40 cycles). `vectors`: the
    vectors of the whole tensor; if the chunks would not fit one slice group,
    half as many, since a burst that crosses a group boundary is read as two
    operands. `shared`: the matmuls multiply at least as many rows as a
    tile has, so the other plane of the hemisphere streams its left-hand
    side while this one installs: the install takes half of the
    direction's streams."""
    streams = spec.streams // (2 if shared else 1)
    count = min(
        spec.mxm_install_rows_per_cycle,
        streams // element_bytes(element),
        tile_rows,
    )
    if -(-vectors // count) > spec.sram_addresses:
        count = min(count, spec.mxm_install_rows_per_cycle // 2)
    return max(1, count)


@dataclass(frozen=True)
class RowChunks:
    """A matmul right-hand side [B, K, N] (or the rows of one part of its K)
    stored as row chunks (see install_chunks): `chunks[q]` holds, block
    after block, rows q*rows .. q*rows+rows-1 of every K-block (row r of
    block b at b*rows + r)."""

    chunks: tuple[Placed, ...]
    rows: int


@dataclass(frozen=True)
class LeftRows:
    """A matmul left-hand side [B, M, K] stored as row chunks (see
    `left_chunk_rows`): `chunks[q]` holds rows q*rows .. q*rows+rows-1 of
    every batch."""

    chunks: tuple[Placed, ...]
    rows: int


@dataclass(frozen=True)
class Part:
    """The product of rows lo..hi-1 of a matmul's K (all of it, unless the
    matmul states a K split): its right-hand side (the whole tensor, or
    row chunks of just these rows) and where its result goes."""

    b: Placed | RowChunks
    lo: int
    hi: int
    c: Placed


def lower(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.MatMulOp)
    chips = chips_of(op)
    if k_split_of(op) is not None and len(chips) > 1:
        ksplit.lower(vz, op)  # an all-reduce over the chips, in the stated order
        return
    mode = split_of(op)
    if mode == "rows" and op.a in vz.shards and vz.resident(op.b):
        refuse_k_split(vz, op, "a tensor-parallel split by rows")
        matmul_rows(vz, op)
    elif (
        mode == "cols"
        and (op.b in vz.constants or op.b in vz.fn.args)
        and len(chips) > 1
    ):
        refuse_k_split(vz, op, "a tensor-parallel split by columns")
        matmul_cols(vz, op, chips)
    else:  # on the chip lpu-vectorize (or a heads split) is on
        matmul_parts(vz, op)


def refuse_k_split(vz: Vectorizer, op: tosa.MatMulOp, what: str) -> None:
    if k_split_of(op) is not None:
        raise unsupported(
            op,
            f"a K split (lpu.k_parts) with {what} is not lowered; the reference sums its parts in the stated order, so compiling it in another would differ",
        )


def k_ranges(vz: Vectorizer, op: tosa.MatMulOp) -> list[tuple[int, int]]:
    """The K ranges of a matmul's parts (one, unless it states a K split,
    whose points must be multiples of the K-block: the left-hand side's
    vectors hold whole K-blocks)."""
    (_, _, k), element = tensor_shape_and_element(op.a.type)
    split = k_split_of(op)
    if split is None:
        return [(0, k)]
    bounds, order = split
    try:
        numerics.check_k_split(k, bounds, order)
    except numerics.NumericsError as e:
        raise unsupported(op, str(e)) from None
    kb = vz.spec.mxm_k(element) if element in ACCUMULATOR else 1
    if any(b % kb for b in bounds):
        raise unsupported(
            op,
            f"K split points {bounds} must be multiples of the K-block ({kb}) to be lowered",
        )
    return list(itertools.pairwise([0, *bounds, k]))


def matmul_parts(vz: Vectorizer, op: tosa.MatMulOp) -> None:
    """A matmul on one chip: each part of its K (one without a K split) on
    the MXM, the parts' chains interleaved so that they fill all planes,
    and their partial sums added on the VXM in the order the split states
    (numerics.md, "Partial sums of a split K")."""
    ranges = k_ranges(vz, op)
    out = vz.place_new(op.output, op, lanes=vz.spec.lanes)
    if len(ranges) == 1:
        mxm(
            vz,
            op,
            left_hand_side(vz, op.a, op),
            [Part(right_hand_side(vz, op.b, op), 0, ranges[0][1], out)],
        )
        return
    shape, element = out.shape, out.element
    parts = [
        Part(
            right_hand_side(vz, op.b, op, lo, hi),
            lo,
            hi,
            vz.chip.tensor(shape, element, "scratch", op, lanes=vz.spec.lanes),
        )
        for lo, hi in ranges
    ]
    mxm(vz, op, left_hand_side(vz, op.a, op), parts)
    split = k_split_of(op)
    assert split is not None
    order = split[1] if split[1] is not None else list(range(len(parts)))

    def total(items: numerics.KOrder, into: Placed) -> Placed:
        values = [
            parts[i].c
            if isinstance(i, int)
            else total(i, vz.chip.tensor(shape, element, "scratch", op))
            for i in items
        ]
        acc = values[0]
        for i, v in enumerate(values[1:]):
            last = i == len(values) - 2
            acc = elementwise_into(
                vz,
                op,
                lpu.AddOp,
                [acc, v],
                into if last else vz.chip.tensor(shape, element, "scratch", op),
                element,
            )
        return acc

    result = total(order, out)
    if result is not out:  # an order of one part: copy it
        elementwise_into(vz, op, lpu.CopyOp, [result], out, element)


def chunked(vz: Vectorizer, value: SSAValue) -> bool:
    """Whether a matmul right-hand side is stored as row chunks: it is only
    ever the right-hand side of matmuls on one chip (or split by heads, each
    chip its part: a KV cache), of a type the MXM multiplies, and either
    resident or a program input not otherwise sharded by lpu-partition
    whose K-blocks (of each part, under a K split) split into whole chunks
    (an input chunk holds its rows in order, docs/dialect.md)."""
    shape, element = tensor_shape_and_element(value.type)
    uses = list(value.uses)
    if not uses or element not in ACCUMULATOR or len(shape) != 3:
        return False
    if not all(isinstance(u.operation, tosa.MatMulOp) and u.index == 1 for u in uses):
        return False
    kb = vz.spec.mxm_k(element)
    if vz.resident(value):
        return True
    return (
        value in vz.fn.args
        and len({tuple(chips_of(u.operation)) for u in uses}) == 1
        and (
            held_by_heads(value)
            or (
                len(chips_of(uses[0].operation)) == 1
                and all(split_of(u.operation) is None for u in uses)
            )
        )
        and all(
            min(hi - lo, kb) % chunk_rows(vz, value, hi - lo) == 0
            for u in uses
            for lo, hi in k_ranges(vz, u.operation)  # type: ignore[arg-type]
        )
    )


def held_by_heads(value: SSAValue) -> bool:
    """Whether every use of a value is split by heads and cuts it, so each
    chip holds (and reads) only its part of the leading axis (`lead`)."""
    shape = tensor_shape_and_element(value.type)[0]
    return all(
        split_of(u.operation) == "heads"
        and shards.Heads(0, len(chips_of(u.operation))).cuts(shape)
        for u in value.uses
    )


def left_chunk_rows(vz: Vectorizer, value: SSAValue) -> int | None:
    """Rows of each row chunk a program input that is only ever a matmul's
    left-hand side (on this one chip, not sharded) is stored in, or None to
    keep it whole. A matmul of at least as many rows as a K-block has
    multiplies longer than it installs a tile, so its rows' read port binds:
    it gets as many chunks as there are MXM planes, more if a chunk would
    not fit one slice group, so that the chains of different chunks stream
    their rows from different slices (one read port each) and no row
    straddles two groups; at least two rows a chunk."""
    shape, element = tensor_shape_and_element(value.type)
    uses = list(value.uses)
    if (
        value not in vz.fn.args
        or vz.resident(value)
        or element not in ACCUMULATOR
        or len(shape) != 3
        or not uses
        or not all(
            isinstance(u.operation, tosa.MatMulOp)
            and u.index == 0
            and chips_of(u.operation) == [vz.current]
            and split_of(u.operation) is None
            for u in uses
        )
    ):
        return None
    batch, m, k = shape
    kb = vz.spec.mxm_k(element)
    if batch * m < kb:
        return None  # installs, not its rows, bound such a matmul
    per_row = -(-k // kb)
    rows = -(-m // (2 * vz.spec.mxm_planes))
    while rows > 1 and batch * rows * per_row > vz.spec.sram_addresses:
        rows = -(-rows // 2)
    return rows if 2 <= rows < m else None


def left_hand_side(vz: Vectorizer, value: SSAValue, op: Operation) -> Placed | LeftRows:
    """A matmul's left-hand side on this chip: as row chunks (cached, an
    input's `row_chunk`s that lpu-run fills from the whole input) if
    `left_chunk_rows` says so, else where `get` puts it."""
    rows = left_chunk_rows(vz, value)
    if rows is None:
        return vz.get(value, op)
    cache = vz.chunk_cache[vz.current]
    if (value, 0, 0) not in cache:
        (batch, m, k), element = tensor_shape_and_element(value.type)
        arg = vz.argument(value)[1]
        kb = vz.spec.mxm_k(element)
        cache[(value, 0, 0)] = LeftRows(
            tuple(
                vz.chip.tensor(
                    (batch, min(rows, m - lo), k),
                    element,
                    "input",
                    vz.fn,
                    arg=arg,
                    row_chunk=(q, rows, m, 0, m),
                    lanes=kb,
                    prefix="in",
                )
                for q, lo in enumerate(range(0, m, rows))
            ),
            rows,
        )
    return cache[(value, 0, 0)]  # type: ignore[return-value]


def long_multiplies(vz: Vectorizer, value: SSAValue) -> bool:
    """Whether some matmul multiplies as many rows by a right-hand side as
    a tile of it has: one plane of a hemisphere then streams its rows
    while the other installs (`install_chunks`' `shared`)."""
    shape, element = tensor_shape_and_element(value.type)
    tile_rows = min(shape[-2], vz.spec.mxm_k(element))
    return any(
        math.prod(vz.shape_of(u.operation.operands[0])[:-1]) >= tile_rows
        for u in value.uses
    )


def right_hand_side(
    vz: Vectorizer, value: SSAValue, op: Operation, lo: int = 0, hi: int | None = None
) -> Placed | RowChunks:
    """A matmul's right-hand side (rows lo..hi-1 of it) on this chip: as row
    chunks (cached) if `chunked`, else where `get` puts it (one layout
    serves every other user; a part reads its rows of it)."""
    if not chunked(vz, value):
        return vz.get(value, op)
    hi = tensor_shape_and_element(value.type)[0][1] if hi is None else hi
    cache = vz.chunk_cache[vz.current]
    key = (value, lo, hi, vz.window)
    if key not in cache:
        cache[key] = row_chunks(vz, value, lo, hi)
    return cache[key]  # type: ignore[return-value]


def chunk_rows(vz: Vectorizer, value: SSAValue, k: int) -> int:
    """Rows of each K-block in one row chunk of k rows of a [B, K, N]
    right-hand side."""
    shape, element = vz.shape_of(value), tensor_shape_and_element(value.type)[1]
    tile_rows = min(k, vz.spec.mxm_k(element))
    count = install_chunks(
        vz.spec,
        element,
        tile_rows,
        shape[0] * k * -(-shape[-1] // vz.spec.lanes),
        long_multiplies(vz, value),
    )
    return -(-tile_rows // count)


def row_chunks(vz: Vectorizer, value: SSAValue, lo: int, hi: int) -> RowChunks:
    """Tensors holding rows lo..hi-1 of a [B, K, N] right-hand side as row
    chunks: weights (a constant's values split accordingly; chunk rows past
    a short block hold zeros, never read), or an input's chunks
    (`row_chunk`, which lpu-run fills from the whole input)."""
    shape, element = vz.shape_of(value), tensor_shape_and_element(value.type)[1]
    batch, _, n = shape
    k = hi - lo
    kb = vz.spec.mxm_k(element)
    tile_rows = min(k, kb)
    rows = chunk_rows(vz, value, k)
    blocks = -(-k // kb)
    last = k - (blocks - 1) * kb
    const = vz.constants.get(value)
    full = (
        shards.cut(vz, constant_array(const, value))[:, lo:hi]
        if const is not None
        else None
    )
    offset = np.arange(k) % kb
    chunk_of = offset // rows
    at = np.arange(k) // kb * rows + offset % rows
    kind, arg = ("weight", None) if vz.resident(value) else vz.argument(value)
    win = vz.window
    lead = (
        win.part * batch
        if arg is not None and isinstance(win, shards.Heads) and vz.windowed(value)
        else None
    )
    chunks = []
    for q in range(-(-tile_rows // rows)):
        extent = (blocks - 1) * rows + min(rows, max(0, last - q * rows))
        held: Attribute | None = None
        if full is not None:
            part = np.zeros((batch, extent, n), full.dtype)
            part[:, at[chunk_of == q]] = full[:, chunk_of == q]
            held = dense(part, element)
        chunks.append(
            vz.chip.tensor(
                (batch, extent, n),
                element,
                kind,
                vz.fn if const is None else const,
                arg=arg,
                lead=lead,
                row_chunk=None if arg is None else (q, rows, kb, lo, hi),
                value=held,  # type: ignore[arg-type]
                prefix="c" if arg is None else "in",
            )
        )
    return RowChunks(tuple(chunks), rows)


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
            b = right_hand_side(vz, op.b, op)
            c = vz.place_new(op.output, op, lanes=vz.spec.lanes)
        mxm(vz, op, a, [Part(b, 0, tensor_shape_and_element(op.b.type)[0][1], c)])


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
        k = shard.hi - shard.lo
        if partial is None:
            partial = vz.chip.tensor(out, out_element, "scratch", op)
            mxm(vz, op, shard.placed, [Part(b, 0, k, partial)])
        else:
            acc = vz.chip.tensor(out, out_element, "scratch", op)
            every = np.arange(acc.vectors, dtype=np.int64)
            shards.transfer(vz, partial, partial_chip, every, acc, every, op)
            for kbi in range(-(-k // kb)):
                block = vz.chip.tensor(out, out_element, "scratch", op)
                lo = kbi * kb
                mxm(vz, op, shard.placed, [Part(b, lo, min(k, lo + kb), block)])
                total = vz.chip.tensor(out, out_element, "scratch", op)
                acc = elementwise_into(
                    vz, op, lpu.AddOp, [acc, block], total, out_element
                )
            partial = acc
        partial_chip = shard.chip
    assert partial is not None
    vz.values[op.output] = partial


def rows_of(
    vz: Vectorizer, value: SSAValue, lo: int, hi: int, user: Operation
) -> Placed | RowChunks:
    """Rows lo..hi-1 (the K axis) of a resident right-hand side, as row
    chunks if it is `chunked`, else as one tensor (`get_rows`); either way
    the right-hand side of a Part over rows 0..hi-lo."""
    if chunked(vz, value):
        return right_hand_side(vz, value, user, lo, hi)
    return get_rows(vz, value, lo, hi, user)


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
    vz: Vectorizer, op: tosa.MatMulOp, a: Placed | LeftRows, parts: Sequence[Part]
) -> None:
    """Each part's c = a x b over its rows of K on the MXM (per batch,
    output tile and K-block, the blocks of a part accumulated in order). A
    tile's rows come from b's row chunks side by side, or from b alone if
    it is one tensor (one chunk of K rows). The chains (a part's tile and
    row run) go as many at a time as a hemisphere has planes, per part (the
    streams of one direction feed a part's installs), or as there are planes
    if the left-hand side is in row chunks (each chain streams from its
    own chunk), one K-block of each in turn, so the installs of one overlap
    the multiplies of the others; except where multiplies outlast installs
    and a tile has several row runs (per left-hand side chunk): consecutive
    chains are then runs of one tile, whose installs would read the same
    slices at once, so they go one at a time."""
    pieces = (
        [(c, q * a.rows) for q, c in enumerate(a.chunks)]
        if isinstance(a, LeftRows)
        else [(a, 0)]
    )
    batch, m = pieces[0][0].shape[0], parts[0].c.shape[1]
    element = pieces[0][0].element
    out_element = parts[0].c.element
    if element not in ACCUMULATOR:
        raise unsupported(op, f"the MXM multiplies i8, f16 and bf16, not {element}")
    if out_element != ACCUMULATOR[element]:
        raise unsupported(
            op,
            f"{element} x {element} -> {out_element}: the MXM accumulates {element} in {ACCUMULATOR[element]}",
        )
    kb = vz.spec.mxm_k(element)
    pieces = [(layout.relayout(vz, x, kb, op), first) for x, first in pieces]
    n = parts[0].c.shape[2]
    tiles = -(-n // vz.spec.lanes)
    size = vz.spec.sram_addresses
    wtype = WeightsType(ELEMENT_TYPES[element])
    used = sorted({v for p in parts for v in range(p.lo // kb, -(-p.hi // kb))})
    planes = 2 * vz.spec.mxm_planes
    install_cycles = max(p.b.rows if isinstance(p.b, RowChunks) else kb for p in parts)
    twins = read_twins(vz, op, pieces, tiles, batch * m > install_cycles)
    short = (parts[-1].hi - parts[-1].lo) % kb
    masked = (
        {
            (x.name, x.offset): short_block(vz, op, x, (parts[-1].hi - 1) // kb, short)
            for twin in twins
            for x, _ in twin
        }
        if short and tiles > 1
        else {}
    )
    for bi in range(batch):
        # each tile's row runs keep every x vector and every result vector
        # of the tile in one slice group (a burst works on one group)
        # (of a tile, the first runs of every chunk, then the second ones:
        # chains next to each other stream from different chunks)
        chains = []
        for j in range(tiles):
            runs = []
            for x, first in twins[j % len(twins)]:
                held = x.shape[1]
                here = bi * held + np.arange(held, dtype=np.int64)
                out = bi * m + first + np.arange(held, dtype=np.int64)
                groups = [(here * x.per_row + v) // size for v in used] + [
                    (out * p.c.per_row + j) // size for p in parts
                ]
                if (x.name, x.offset) in masked:
                    groups.append(here // size)
                runs.append(
                    [
                        (j, Operand(x, here * x.per_row), int(out[lo]), lo, hi)
                        for lo, hi in row_runs(groups)
                    ]
                )
            chains += [
                ch
                for same in itertools.zip_longest(*runs)
                for ch in same
                if ch is not None
            ]
        longest = max(hi - lo for *_, lo, hi in chains)
        ways = (
            1
            if longest > install_cycles and len(chains) > tiles * len(pieces)
            else planes
            if isinstance(a, LeftRows)
            else planes // 2
        )
        for start in range(0, len(chains), ways):
            window = [(p, ch) for p in parts for ch in chains[start : start + ways]]
            for at in range(0, len(window), planes):
                flight = window[at : at + planes]
                accs: dict[int, SSAValue] = {}
                for t in range(max(-(-(p.hi - p.lo) // kb) for p, _ in flight)):
                    for i, (p, (j, rows_x, _, lo, hi)) in enumerate(flight):
                        r0 = p.lo + t * kb
                        if r0 >= p.hi:
                            continue
                        weights = install(vz, op, p, bi, t, j, wtype, kb)
                        rows = min(kb, p.hi - r0)
                        held = rows_x.placed
                        pre = masked.get((held.name, held.offset))
                        if rows < kb and pre is not None:
                            here = rows_x.indices // held.per_row
                            x = vz.read(Operand(pre, here), lo, hi - lo, op)
                        else:
                            x = vz.read(
                                Operand(held, rows_x.indices + r0 // kb),
                                lo,
                                hi - lo,
                                op,
                            )
                        if rows < kb and pre is None:
                            x = layout.masked(vz, x, rows, element, hi - lo, op)
                        accs[i] = vz.emit(lpu.MatmulOp(weights, x, accs.get(i)), op)
                for i, (p, (j, _, row, _, _)) in enumerate(flight):
                    c = p.c
                    vz.write(accs[i], c, row * c.per_row + j, c.per_row, op)


def read_twins(
    vz: Vectorizer,
    op: tosa.MatMulOp,
    pieces: list[tuple[Placed, int]],
    tiles: int,
    long: bool,
) -> list[list[tuple[Placed, int]]]:
    """The left-hand side(s) the chains of output tile j stream from: item
    j % 2. A whole left-hand side (not row chunks) that every tile streams
    through, multiplying longer than a tile installs (`long`), is bound by
    its one read port (tiles x K-blocks x rows reads); a twin on other
    slices lets the chains of two tiles stream side by side. An input's
    twin is a second copy of the input (lpu-run fills both); another's a
    VXM copy, which lpu-vectorize's chains (chains.py) take off the
    producer's stream where they can."""
    if len(pieces) > 1 or tiles < 2 or not long:
        return [pieces]
    x, first = pieces[0]
    held = x.tensor
    if (
        held.kind.data == "input"
        and held.arg is not None
        and held.cols is None
        and held.row_chunk is None
        and x.offset == 0
        and not x.splat
    ):
        twin = vz.chip.tensor(
            x.shape,
            x.element,
            "input",
            vz.fn,
            arg=held.arg.data,
            lead=held.lead.data if held.lead is not None else None,
            lanes=x.lanes,
            prefix="in",
        )
    else:
        twin = vz.chip.scratch_like(x, op)
        every = np.arange(x.vectors, dtype=np.int64)
        vz.copy_vectors(x, every, twin, every, op)
    return [pieces, [(twin, first)]]


def short_block(
    vz: Vectorizer, op: tosa.MatMulOp, x: Placed, block: int, count: int
) -> Placed:
    """The vectors of a left-hand side's short last K-block (vector `block`
    of each row), masked to their `count` lanes once, one vector per row:
    every output tile multiplies them, and masking them again for each (a
    select on the way to the plane) put a VXM pass and its stream between
    every tile's install and multiply."""
    rows = x.rows
    out = vz.chip.tensor((rows, x.lanes), x.element, "scratch", op, lanes=x.lanes)
    src = Operand(x, np.arange(rows, dtype=np.int64) * x.per_row + block)
    dst = Operand(out, np.arange(rows, dtype=np.int64))
    for a, b in vz.runs([src, dst]):
        v = layout.masked(vz, vz.read(src, a, b - a, op), count, x.element, b - a, op)
        vz.write(v, out, a, 1, op)
    return out


def row_runs(groups: list[np.ndarray]) -> list[tuple[int, int]]:
    """Runs of rows in which each of the sequences (the slice group of a
    vector of each row) stays the same."""
    stacked = np.stack(groups)
    m = stacked.shape[1]
    cuts = np.flatnonzero(np.any(stacked[:, 1:] != stacked[:, :-1], axis=0)) + 1
    return list(itertools.pairwise([0, *cuts.tolist(), m]))


def install(
    vz: Vectorizer,
    op: tosa.MatMulOp,
    p: Part,
    bi: int,
    t: int,
    j: int,
    wtype: WeightsType,
    kb: int,
) -> SSAValue:
    """Install block t of part p, output tile j, batch bi: its rows read from
    the part's row chunks side by side, or from the whole right-hand side."""
    if isinstance(p.b, RowChunks):
        chunks, per, base = p.b.chunks, p.b.rows, t * p.b.rows
    else:
        chunks, per, base = (p.b,), kb, p.lo + t * kb
    rows = min(kb, p.hi - p.lo - t * kb)
    reads = []
    for q, chunk in enumerate(chunks):
        here = min(per, rows - q * per)
        if here <= 0:
            break
        first = (bi * chunk.shape[1] + base) * chunk.per_row + j
        reads += vz.read_progression(chunk, first, chunk.per_row, here, op)
    return vz.emit(lpu.InstallOp(reads, wtype), op)
