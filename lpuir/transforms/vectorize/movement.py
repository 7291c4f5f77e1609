"""Data movement: any tensor whose every element is an element of its
operands (or a constant), where each comes from is known when compiling.
Concat, slice, pad, tile, reverse, reshape, transpose, broadcast, a gather
with constant indices: each is an index map, an array of the result's shape
naming the operand element each element is (docs/compiler.md "Data
movement"), and `move` builds the result from it.

An output vector whose lanes all come from one operand vector, lane for
lane, is a copy. Any other output vector lane l takes element (vector u,
lane s) of an operand: rotated north by d = l - s, u's lane s reaches lane
l. So the rotations an output vector needs (u rotated by d, once for each
pair) are written into a table, and one `mem.gather` picks, lane by lane,
the table vector that holds the right element (a constant index vector
per output vector). A table lives in one slice group (per-lane addresses),
so output vectors are done in chunks whose tables fit.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from lpuir.dialects import lpu
from lpuir.dialects.lpu import VectorType
from lpuir.transforms.vectorize.program import Operand, Placed, dense, unsupported

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

TABLE_VECTORS = 2048
"""The most vectors one gather table takes (a quarter of a slice group), so
tables fit beside the other tensors of a program."""


def numbered(shape: Sequence[int], start: int = 0) -> np.ndarray:
    """The element numbers of a tensor: start, start+1, ... row-major (an
    index map is a numpy op applied to these)."""
    count = math.prod(shape)
    return np.arange(start, start + count, dtype=np.int64).reshape(tuple(shape))


def lay_out(
    vz: Vectorizer, op: Operation, sources: Sequence[Placed], index: np.ndarray
) -> Placed:
    """A new tensor of the elements `index` names: the one source itself
    (reshaped) when that is it in order with its rows kept."""
    shape = index.shape or (1,)
    x = sources[0]
    if (
        len(sources) == 1
        and index.size == math.prod(x.shape)
        and shape[-1] == x.shape[-1]
        and np.array_equal(index.reshape(-1), np.arange(index.size))
    ):
        return Placed(x.tensor, shape, x.element, x.lanes, x.splat)
    out = vz.chip.tensor(shape, x.element, "scratch", op)
    move(vz, op, sources, np.ascontiguousarray(index).reshape(shape), out)
    return out


@dataclass(frozen=True)
class Lanes:
    """Where elements lie: the operand, its vector and lane of each (-1
    where there is none: a padding lane of the result)."""

    source: np.ndarray
    vector: np.ndarray
    lane: np.ndarray


def locate(
    sources: Sequence[Placed], index: np.ndarray, out_lanes: np.ndarray
) -> Lanes:
    """The vector and lane of each element `index` names in the joint
    element space of `sources` (source i's elements after those of the
    ones before it, row-major); a splat's element is in every lane, so it is
    taken from the lane it goes to (`out_lanes`)."""
    sizes = [math.prod(p.shape) for p in sources]
    offsets = np.cumsum([0, *sizes])
    source = np.searchsorted(offsets, index, side="right") - 1
    vector = np.zeros_like(index)
    lane = np.zeros_like(index)
    for i, p in enumerate(sources):
        at = source == i
        local = index[at] - offsets[i]
        row, col = local // p.cols, local % p.cols
        if p.splat:
            vector[at], lane[at] = row, out_lanes[at]
        else:
            vector[at] = row * p.per_row + col // p.lanes
            lane[at] = col % p.lanes
    return Lanes(source, vector, lane)


def move(
    vz: Vectorizer,
    op: Operation,
    sources: Sequence[Placed],
    index: np.ndarray,
    out: Placed,
) -> None:
    """out = the elements `index` names (an array of out's shape, flat
    indices into the joint element space of `sources`), copies where whole
    vectors move, else gathers from tables of rotated vectors."""
    spec = vz.spec
    if any(p.element != out.element for p in sources):
        raise unsupported(op, "moves elements between tensors of different types")
    lanes = spec.lanes
    # every lane of every output vector: the element it holds, or -1
    grid = np.full((out.vectors, lanes), -1, dtype=np.int64)
    flat = index.reshape(out.rows, out.cols)
    if out.splat:  # every lane holds the row's element
        grid[:] = flat
    else:
        col = np.arange(out.cols)
        rows = np.arange(out.rows)[:, None]
        at = (rows * out.per_row + col[None, :] // out.lanes, col[None, :] % out.lanes)
        grid[at] = flat
    valid = grid >= 0
    where = locate(
        sources, grid[valid], np.broadcast_to(np.arange(lanes), grid.shape)[valid]
    )
    source = np.full(grid.shape, -1, dtype=np.int64)
    vector = np.zeros(grid.shape, dtype=np.int64)
    shift = np.zeros(grid.shape, dtype=np.int64)
    source[valid], vector[valid] = where.source, where.vector
    shift[valid] = (np.nonzero(valid)[1] - where.lane) % lanes
    # copies: one source vector, lane for lane
    first = np.argmax(valid, axis=1)
    rows_v = np.arange(out.vectors)
    s0, u0 = source[rows_v, first], vector[rows_v, first]
    copy = (
        valid.any(axis=1)
        & np.all(~valid | ((source == s0[:, None]) & (vector == u0[:, None])), axis=1)
        & np.all(~valid | (shift == 0), axis=1)
    )
    for i, p in enumerate(sources):
        picked = np.flatnonzero(copy & (s0 == i))
        if picked.size:
            vz.copy_vectors(p, u0[picked], out, picked, op)
    rest = np.flatnonzero(~copy & valid.any(axis=1))
    for chunk in chunks(source, vector, shift, rest):
        gather_chunk(vz, op, sources, out, chunk, source, vector, shift)


def chunks(
    source: np.ndarray, vector: np.ndarray, shift: np.ndarray, rest: np.ndarray
) -> list[np.ndarray]:
    """Runs of output vectors whose tables take at most TABLE_VECTORS."""
    out: list[np.ndarray] = []
    start = 0
    seen: set[tuple[int, int, int]] = set()
    for k, v in enumerate(rest):
        ok = source[v] >= 0
        keys = set(
            zip(
                source[v][ok].tolist(),
                vector[v][ok].tolist(),
                shift[v][ok].tolist(),
                strict=True,
            )
        )
        if k > start and len(seen | keys) > TABLE_VECTORS:
            out.append(rest[start:k])
            start, seen = k, set()
        seen |= keys
    if start < len(rest):
        out.append(rest[start:])
    return out


def gather_chunk(
    vz: Vectorizer,
    op: Operation,
    sources: Sequence[Placed],
    out: Placed,
    chunk: np.ndarray,
    source: np.ndarray,
    vector: np.ndarray,
    shift: np.ndarray,
) -> None:
    """The output vectors `chunk`: a table of the rotated vectors they need,
    then one gather per run of them."""
    spec = vz.spec
    ok = source[chunk] >= 0
    src, rot, vec = source[chunk][ok], shift[chunk][ok], vector[chunk][ok]
    # sorted by source, then rotation, then vector: one group per rotation (one
    # key per triple, a 1-D unique being far faster than a row-wise one)
    span = int(vec.max(initial=0)) + 1
    key = (src * spec.lanes + rot) * span + vec
    unique, position = np.unique(key, return_inverse=True)
    entries = np.stack(
        [unique // span // spec.lanes, unique // span % spec.lanes, unique % span],
        axis=1,
    )
    table = vz.chip.tensor((len(entries), spec.lanes), out.element, "scratch", op)
    for (s, d), group in itertools.groupby(
        range(len(entries)), key=lambda e: (int(entries[e][0]), int(entries[e][1]))
    ):
        at = np.fromiter(group, dtype=np.int64)
        src = Operand(sources[s], entries[at, 2])
        dst = Operand(table, at)
        for a, b in vz.runs([src, dst]):
            v = vz.rotate(vz.read(src, a, b - a, op), d, op)
            vz.write(v, table, int(at[a]), 1, op)
    picks = np.zeros((len(chunk), spec.lanes), dtype=np.int16)
    picks[ok] = position.reshape(-1)
    held = vz.chip.tensor(
        picks.shape, "i16", "weight", op, value=dense(picks, "i16"), prefix="c"
    )
    rows = Operand(held, np.arange(len(chunk), dtype=np.int64))
    dest = Operand(out, chunk)
    for a, b in vz.runs([rows, dest]):
        idx = vz.read(rows, a, b - a, op)
        gathered = vz.emit(
            lpu.GatherOp(table.name, idx, VectorType(out.element, b - a)), op
        )
        step = int(chunk[a + 1] - chunk[a]) if b - a > 1 else 1
        vz.write(gathered, out, int(chunk[a]), step, op)
