"""`tosa.table`: a lookup with run-time positions in a constant table. A
`mem.gather` gives lane l lane l of the vector its index names, so the table
is stored as one splat vector per entry (every lane holds it) and the
positions, computed on the VXM, are the gather's index vectors. i8 input:
table[x + 128]; i16: the reference's interpolation between entries
(x + 32768) >> 7 and the next one, weighted by the low 7 bits, in i32."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from lpuir import numerics
from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu import VectorType
from lpuir.transforms.vectorize.composite import Steps, element_of
from lpuir.transforms.vectorize.program import (
    Operand,
    Placed,
    constant_array,
    dense,
    unsupported,
)

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

I32 = "i32"


def lookup(s: Steps, entries: np.ndarray, element: str, position: Placed) -> Placed:
    """entries[position] lane by lane (position an i32 tensor whose every
    lane, padding included, is a valid entry number)."""
    vz, op = s.vz, s.op
    lanes = vz.spec.lanes
    splats = np.repeat(entries.reshape(-1, 1), lanes, axis=1)
    held = vz.chip.tensor(
        splats.shape, element, "weight", op, value=dense(splats, element), prefix="c"
    )
    out = vz.chip.tensor(
        position.shape,
        element,
        "scratch",
        op,
        lanes=position.lanes,
        splat=position.splat,
    )
    every = np.arange(position.vectors, dtype=np.int64)
    src, dst = Operand(position, every), Operand(out, every)
    for a, b in vz.runs([src, dst]):
        index = vz.read(src, a, b - a, op)
        picked = lpu.GatherOp(held.name, index, VectorType(element, b - a))
        vz.write(vz.emit(picked, op), out, a, 1, op)
    return out


def lower(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.TableOp)
    s = Steps(vz, op)
    const = vz.constants.get(op.table)
    if const is None:
        raise unsupported(op, "'tosa.table' with a table computed at run time")
    t = element_of(op.input1)
    entries = constant_array(const, op.table).reshape(-1)
    x = s.convert(s.get(op.input1), I32)
    # every lane holds a value of t (padding too), so positions are in range
    position = s(
        lpu.AddOp, [x, s.scalar(-int(np.iinfo(numerics.carrier(t)).min), I32)], I32
    )
    if t == "i8":
        s.convert(lookup(s, entries, t, position), "i8", op.output)
        return
    index = s(lpu.ShruOp, [position, s.scalar(7, I32)], I32)
    fraction = s(lpu.AndOp, [position, s.scalar(0x7F, I32)], I32)
    base = s.convert(lookup(s, entries, t, index), I32)
    following = s(lpu.AddOp, [index, s.scalar(1, I32)], I32)
    step = s.convert(lookup(s, entries, t, following), I32)
    slope = s(lpu.MulOp, [s(lpu.SubOp, [step, base], I32), fraction], I32)
    shifted = s(lpu.ShlOp, [base, s.scalar(7, I32)], I32)
    s(lpu.AddOp, [shifted, slope], I32, op.output)
