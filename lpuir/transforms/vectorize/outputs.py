"""`func.return`: the returned values become the program's output tensors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import IntAttr, StringAttr
from xdsl.ir import Operation

from lpuir.dialects import lpu
from lpuir.transforms.vectorize import words
from lpuir.transforms.vectorize.elementwise import elementwise_into, vector_map
from lpuir.transforms.vectorize.program import Operand, Placed

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer


def lower(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, func.ReturnOp)
    for i, value in enumerate(op.arguments):
        if value in vz.shards:
            for shard in vz.shards[value]:
                vz.on(shard.chip)
                output(vz, op, i, shard.placed, shard.lo)
            continue
        owner = next((c for c, vs in vz.placed.items() if value in vs), None)
        vz.on(owner if owner is not None else vz.current)
        output(vz, op, i, vz.get(value, op), None)


def output(
    vz: Vectorizer, ret: func.ReturnOp, i: int, placed: Placed, cols: int | None
) -> None:
    """Make `placed` the program's output i (a shard of it from column
    `cols`): the tensor itself if it is scratch of the right shape (its row
    parts, if held so), else a copy (a splat's lane 0 is the value: one
    vector per row either way)."""
    declared = tuple(placed.tensor.stored_type.get_shape())
    tensors = [p.tensor for p in placed.parts] or [placed.tensor]
    if (
        not placed.splat
        and all(t.kind.data == "scratch" for t in tensors)
        and (bool(placed.parts) or declared == placed.shape)
    ):
        for t in tensors:  # row parts: the output's row chunks
            t.kind = StringAttr("output")
            t.arg = IntAttr(i)
            if cols is not None:
                t.cols = IntAttr(cols)
        return
    out = vz.chip.tensor(
        words.element_shape(placed),
        placed.tensor.holds,
        "output",
        ret,
        arg=i,
        cols=cols,
        lanes=None if placed.splat else placed.lanes,
        prefix="out",
    )
    if placed.splat:
        rows = Operand(placed, np.arange(placed.rows, dtype=np.int64))
        vector_map(vz, ret, lpu.CopyOp, [rows], out, placed.element)
    else:
        elementwise_into(vz, ret, lpu.CopyOp, [placed], out, placed.element)
