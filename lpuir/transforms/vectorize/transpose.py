"""`tosa.transpose` of the last two axes ([..., R, C], R and C up to the
lanes), per leading index (docs/compiler.md)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu import VectorType
from lpuir.transforms.vectorize.elementwise import vector_map
from lpuir.transforms.vectorize.program import (
    Operand,
    Placed,
    check_vxm_type,
    dense,
    unsupported,
)

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer


def lower(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.TransposeOp)
    src = vz.get(op.input1, op)
    perms = list(op.perms.get_values())
    rank = len(src.shape)
    if rank < 2 or perms != [*range(rank - 2), rank - 1, rank - 2]:
        raise unsupported(
            op,
            f"transpose with perms {perms} (only swapping the last two axes is lowered)",
        )
    check_vxm_type(op, src.element)
    swap(vz, op, src, vz.place_new(op.output, op, lanes=vz.spec.lanes))


def swap(vz: Vectorizer, op: Operation, src: Placed, out: Placed) -> None:
    """out [..., C, R] = src [..., R, C] swapped, R and C up to the lanes.
    The SXM transposes 16x16 blocks within each superlane; then the
    block of vector group g in superlane s must move to vector group s,
    superlane g: rotating every vector by 16d lanes (d = 0..19, one burst
    each) puts superlane g - d at g, and one gather per output vector picks,
    lane by lane, the rotation with d = g - s."""
    spec = vz.spec
    width = spec.lanes_per_superlane
    *lead, rows, cols = src.shape
    if rows > spec.lanes or cols > src.lanes or src.splat:
        raise unsupported(
            op,
            f"transpose of {rows}x{cols} blocks (at most {spec.lanes}x{src.lanes} per leading index yet)",
        )
    padded = -(-rows // width) * width
    batches = math.prod(lead) if lead else 1
    blocks = np.arange(padded, dtype=np.int64)
    # per-lane indices of the gather: output vector c = 16s + j, lane 16g + i
    c = np.arange(cols, dtype=np.int64)[:, None]
    lane = np.arange(spec.lanes, dtype=np.int64)[None, :]
    g, s, j = lane // width, c // width, c % width
    valid = g * width < padded
    index = np.where(
        valid, ((g - s) % spec.superlanes) * padded + g * width + j, 0
    ).astype(np.int32)
    indices = vz.chip.tensor(
        (cols, spec.lanes),
        "i32",
        "weight",
        op,
        value=dense(index, "i32"),
        prefix="c",
    )
    for b in range(batches):
        staged = vz.chip.tensor((padded, spec.lanes), src.element, "scratch", op)
        rows_in = Operand(src, (b * rows + np.minimum(blocks, rows - 1)) * src.per_row)
        vector_map(vz, op, lpu.CopyOp, [rows_in], staged, src.element)
        transposed = vz.chip.tensor((padded, spec.lanes), src.element, "scratch", op)
        staged_rows = vz.read(Operand(staged, blocks), 0, padded, op)
        flipped = vz.emit(lpu.TransposeOp(staged_rows), op)
        vz.write(flipped, transposed, 0, 1, op)
        rotations = vz.chip.tensor(
            (spec.superlanes * padded, spec.lanes), src.element, "scratch", op
        )
        for d in range(spec.superlanes):
            v = vz.rotate(
                vz.read(Operand(transposed, blocks), 0, padded, op), width * d, op
            )
            vz.write(v, rotations, d * padded, 1, op)
        picks = vz.read(Operand(indices, np.arange(cols, dtype=np.int64)), 0, cols, op)
        gather = lpu.GatherOp(rotations.name, picks, VectorType(src.element, cols))
        vz.write(vz.emit(gather, op), out, b * cols, 1, op)
