"""Row parts: a value of many rows that only elementwise ops and last-axis
reductions read is held as several tensors of consecutive rows
(`Placed.parts`), which lpu-allocate-sram puts in different slice groups.
A tensor's vectors lie in one slice group (docs/dialect.md), whose read
port gives one vector a cycle; a pass over 64 rows of 4096 f32 is then 832
cycles however many ALUs wait. In parts, the groups of different rows read
through different ports at once (RMSNorm reads its input twice: the sum of
squares, then the scaling)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects import func
from xdsl.ir import Operation, SSAValue

from lpuir.dialects.lpu import WORD_PAIRS
from lpuir.transforms.annotations import chips_of, held_whole, split_of
from lpuir.transforms.vectorize import composite, reductions
from lpuir.transforms.vectorize.program import VXM_TYPES, Operand, Placed
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

PARTS = 4
"""Row parts of a value held so: four passes at once over different rows."""
PART_VECTORS = 256
"""The fewest vectors a value held in parts has: a shorter pass's read port
is not what it waits for."""


def row_parts(vz: Vectorizer, value: SSAValue) -> int:
    """How many row parts a value is held in (1: one tensor): PARTS if it
    has at least PART_VECTORS vectors in rows along axis -2 (every axis
    before it 1, at least two rows a part, each part within a slice
    group), is a program input or the result of an op that `by_rows`
    lowers, and every user is such an op taking it whole (no broadcast),
    none of them on another chip or split, or the function's return; not
    an argument or result marked `{lpu.whole}` (a staged compile's
    crossing values)."""
    shape, element = tensor_shape_and_element(value.type)
    if len(shape) < 2 or any(d != 1 for d in shape[:-2]) or element in WORD_PAIRS:
        return 1
    if vz.windowed(value) or value in vz.shards or value in vz.heads:
        return 1
    rows = shape[-2]
    per_row = -(-shape[-1] // (vz.lanes_wanted.get(value) or vz.spec.lanes))
    if (
        rows < 2 * PARTS
        or rows * per_row < PART_VECTORS
        or -(-rows // PARTS) * per_row > vz.spec.sram_addresses
    ):
        return 1
    owner = value.owner
    if value in vz.fn.args:
        index = list(vz.fn.args).index(value)
        if vz.argument(value)[0] != "input" or held_whole(vz.fn, index):
            return 1
    elif not isinstance(owner, Operation) or not by_rows(vz, owner):
        return 1
    for use in value.uses:
        user = use.operation
        if isinstance(user, func.ReturnOp):
            if held_whole(vz.fn, use.index, result=True):
                return 1
            continue
        if not by_rows(vz, user) or (
            not isinstance(user, tuple(reductions.COMBINE))
            and tensor_shape_and_element(user.results[0].type)[0] != shape
        ):
            return 1
    return PARTS


def whole(vz: Vectorizer, placed: Placed, user: Operation) -> Placed:
    """`placed` for `user`: itself, or if it is held in row parts and
    `user` is not lowered by rows (`by_rows`, or a `func.return`, which
    makes the parts output chunks), a copy in one tensor (made once)."""
    if not placed.parts or isinstance(user, func.ReturnOp) or by_rows(vz, user):
        return placed
    key = (placed.name, -1, 0)
    if key not in vz.relayouts:
        copy = vz.chip.scratch_like(placed, user)
        every = np.arange(placed.vectors, dtype=np.int64)
        vz.copy_vectors(placed, every, copy, every, user)
        vz.relayouts[key] = copy
    return vz.relayouts[key]


def per_row(vz: Vectorizer, like: Sequence[Placed]) -> int:
    """How many row parts a per-row value (a splat) computed from `like` is
    held in: as many as the first of them held in parts, so that the rows
    of each part are read through its own port too."""
    return next((len(p.parts) for p in like if p.parts), 1)


def by_rows(vz: Vectorizer, op: Operation) -> bool:
    """Whether an op reads and writes its tensors only through the
    vectorizer's runs, reads and writes (which follow row parts): an
    elementwise op of one VXM instruction a vector or a last-axis
    reduction of a VXM type lowered by `reductions.reduce_rows`, on this
    chip, not split."""
    if chips_of(op) != [vz.current] or split_of(op) is not None:
        return False
    if composite.one_instruction(op):
        return True
    if type(op) not in reductions.COMBINE:
        return False
    shape, element = tensor_shape_and_element(op.operands[0].type)
    return (
        element in VXM_TYPES  # else folds.py widens it first
        and not reductions.nan_ignored(op)
        and op.properties["axis"].value.data == len(shape) - 1  # type: ignore[attr-defined]
    )


def replicated(
    vz: Vectorizer, operand: Operand, result: Placed, op: Operation
) -> Operand:
    """An operand of an elementwise op whose result is held in row parts:
    if it is one tensor of at most 1 / PARTS of the result's vectors (a row
    broadcast over the rows, a per-row value), a copy for each part but the
    first (made once), so that the groups of every part read their own
    (one tensor's read port, shared, would be what all of them wait for:
    RMSNorm's weight row, read for every row)."""
    placed = operand.placed
    count = len(result.parts)
    if (
        count < 2
        or placed.parts
        or placed.name == result.name
        or placed.vectors * count > result.vectors
    ):
        return operand
    copies = [placed]
    every = np.arange(placed.vectors, dtype=np.int64)
    for q in range(1, count):
        key = (placed.name, -1 - q, placed.offset)
        if key not in vz.relayouts:
            copy = vz.chip.scratch_like(placed, op)
            vz.copy_vectors(placed, every, copy, every, op)
            vz.relayouts[key] = copy
        copies.append(vz.relayouts[key])
    # the copies as the parts of one value: copy q's vectors follow q's
    held = dataclasses.replace(
        placed,
        shape=(placed.rows * count, placed.cols),
        offset=0,
        parts=tuple(copies),
        part_rows=placed.rows,
    )
    part = result.part_of(np.arange(result.vectors, dtype=np.int64))
    return Operand(held, operand.indices + part * placed.vectors)
