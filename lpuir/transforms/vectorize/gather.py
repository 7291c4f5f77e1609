"""`tosa.gather` with run-time indices: rows of values [N, K, C] picked by
indices [N, W] the program computes. A `mem.gather` gives lane l lane l of
the vector its index names, so with an index vector whose every lane names
the same vector it reads that whole vector: each index becomes a splat
(one vector per (n, w)) of the vector number (n K + index) per_row + j of
the row's j-th vector, and one gather burst per run writes the result's
vectors. The indices must be in 0..K-1, as TOSA requires (the reference
refuses others)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu import VectorType
from lpuir.transforms.vectorize import layout, movement
from lpuir.transforms.vectorize.composite import Steps
from lpuir.transforms.vectorize.movement import numbered
from lpuir.transforms.vectorize.program import Operand, dense, unsupported

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

I32 = "i32"


def lower(vz: Vectorizer, op: tosa.GatherOp) -> None:
    s = Steps(vz, op)
    values = vz.get(op.values, op)
    n, k = vz.shape_of(op.values)[:2]
    w = vz.shape_of(op.indices)[1]
    if values.vectors > vz.spec.sram_addresses:
        raise unsupported(
            op,
            f"'tosa.gather' with run-time indices reads one slice group of {vz.spec.sram_addresses} vectors; the values take {values.vectors}",
        )
    per_row = values.per_row
    column = vz.chip.tensor((n, w, 1), I32, "scratch", op)
    indices = s.convert(vz.get(op.indices, op), I32)
    movement.move(vz, op, [indices], numbered((n, w)).reshape(n, w, 1), column)
    first = np.arange(n, dtype=np.int32).reshape(n, 1, 1) * (k * per_row)
    starts = vz.chip.tensor(
        first.shape, I32, "weight", op, value=dense(first, I32), prefix="c"
    )
    vector = s(
        lpu.AddOp,
        [
            s(
                lpu.MulOp,
                [layout.ensure_splat(vz, column, op), s.scalar(per_row, I32)],
                I32,
            ),
            layout.ensure_splat(vz, starts, op),
        ],
        I32,
    )
    out = vz.place_new(op.output, op, lanes=values.lanes)
    picks = np.arange(n * w, dtype=np.int64)
    for j in range(per_row):
        position = vector if j == 0 else s(lpu.AddOp, [vector, s.scalar(j, I32)], I32)
        src, dst = Operand(position, picks), Operand(out, picks * per_row + j)
        for a, b in vz.runs([src, dst]):
            index = vz.read(src, a, b - a, op)
            row = lpu.GatherOp(values.name, index, VectorType(values.element, b - a))
            vz.write(vz.emit(row, op), out, int(dst.indices[a]), per_row, op)
