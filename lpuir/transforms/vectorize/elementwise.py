"""Elementwise tensor ops (TOSA broadcasting) on the VXM: the output vectors
split into runs in which every operand's vector index moves by a fixed step;
each run is one group of bursts `mem.read`s -> `vxm.OP` -> `mem.write` (a
step-0 read repeats a broadcast row; a last-axis broadcast reads a splat)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation, SSAValue

from lpuir.dialects import lpu, tosa
from lpuir.transforms.vectorize import layout, parts, shards
from lpuir.transforms.vectorize.program import Operand, Placed, check_vxm_type
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

SPLAT_BURST = 8
"""The most rows a group computing a splat (one value per row: a
reduction's result and what is computed from it) takes: a reduction's lane
pipeline finishes its rows a few at a time, so short groups start as each
few are done and the users' row-by-row groups with them, where one group of
all rows waited for the last (RMSNorm over 4096 at 64 rows 2514 -> 1795
cycles; 4 and 8 rows take about as long, 16 longer)."""

ELEMENTWISE: dict[type[Operation], tuple[type[lpu.VxmOp], int]] = {
    tosa.AddOp: (lpu.AddOp, 2),
    tosa.SubOp: (lpu.SubOp, 2),
    tosa.MulOp: (lpu.MulOp, 2),
    tosa.MaximumOp: (lpu.MaxOp, 2),
    tosa.MinimumOp: (lpu.MinOp, 2),
    tosa.PowOp: (lpu.PowOp, 2),
    tosa.ExpOp: (lpu.ExpOp, 1),
    tosa.LogOp: (lpu.LogOp, 1),
    tosa.TanhOp: (lpu.TanhOp, 1),
    tosa.SigmoidOp: (lpu.SigmoidOp, 1),
    tosa.ErfOp: (lpu.ErfOp, 1),
    tosa.RsqrtOp: (lpu.RsqrtOp, 1),
    tosa.SinOp: (lpu.SinOp, 1),
    tosa.CosOp: (lpu.CosOp, 1),
    tosa.ReciprocalOp: (lpu.ReciprocalOp, 1),
    tosa.AbsOp: (lpu.AbsOp, 1),
    tosa.NegateOp: (lpu.NegOp, 1),
    tosa.IdentityOp: (lpu.CopyOp, 1),
    tosa.CastOp: (lpu.ConvertOp, 1),
}
"""The VXM instruction of each elementwise tensor op, and how many of its
operands are tensors it computes on (the rest, like a mul's shift, are not)."""


def is_elementwise(op: Operation) -> bool:
    return type(op) in ELEMENTWISE


def lower(vz: Vectorizer, op: Operation) -> None:
    """Shard by shard where its operands are sharded (`shards.sharded_layout`),
    else whole."""
    shards.by_shard(vz, op, lower_whole)


def lower_whole(vz: Vectorizer, op: Operation) -> None:
    cls, count = ELEMENTWISE[type(op)]
    elementwise(vz, op, cls, op.operands[:count], op.results[0])


def elementwise(
    vz: Vectorizer,
    op: Operation,
    cls: type[lpu.VxmOp],
    inputs: Sequence[SSAValue],
    out: SSAValue,
) -> Placed:
    shape, out_element = vz.shape_of(out), tensor_shape_and_element(out.type)[1]
    shape = shape or (1,)
    placed_in = broadcast_operands(vz, op, inputs, shape)
    if shape[-1] == 1 and any(p.splat for p in placed_in):
        # an op on per-row values stays a splat: no lane is special
        placed_in = [layout.ensure_splat(vz, p, op) for p in placed_in]
        result = vz.splat_tensor(shape, out_element, op, placed_in)
        vz.values[out] = result
    else:
        result = vz.place_new(out, op)
    return elementwise_into(vz, op, cls, placed_in, result, out_element)


def broadcast_operands(
    vz: Vectorizer, op: Operation, inputs: Sequence[SSAValue], shape: tuple[int, ...]
) -> list[Placed]:
    """Where an elementwise op's operands live, each broadcast along the last
    axis of the result `shape` held as a splat."""
    placed_in = [vz.get(v, op, splat=broadcasts_last_axis(v, shape)) for v in inputs]
    for p in placed_in:
        check_vxm_type(op, p.element)
    return [
        layout.ensure_splat(vz, p, op) if p.shape[-1:] == (1,) and shape[-1] != 1 else p
        for p in placed_in
    ]


def placed_operands(
    vz: Vectorizer,
    op: Operation,
    placed_in: Sequence[Placed],
    shape: tuple[int, ...],
    lanes: int,
) -> list[Operand]:
    """The operands of a result of `shape` with `lanes` elements per vector:
    each in that layout, with the vector it supplies for each result vector."""
    placed_in = [layout.relayout(vz, p, lanes, op) for p in placed_in]
    return [Operand(p, layout.operand_indices(p, shape, lanes)) for p in placed_in]


def elementwise_into(
    vz: Vectorizer,
    op: Operation,
    cls: type[lpu.VxmOp],
    placed_in: Sequence[Placed],
    result: Placed,
    element: str,
) -> Placed:
    operands = placed_operands(vz, op, placed_in, result.shape, result.lanes)
    return vector_map(vz, op, cls, operands, result, element)


def vector_map(
    vz: Vectorizer,
    op: Operation,
    cls: type[lpu.VxmOp],
    operands: Sequence[Operand],
    result: Placed,
    element: str,
) -> Placed:
    """result vector v = cls(operand vectors indices[v]), in groups over
    runs of constant steps (one read per distinct operand sequence), of at
    most SPLAT_BURST rows for a splat."""
    out = Operand(result, np.arange(result.vectors, dtype=np.int64))
    operands = [
        parts.replicated(vz, o, result, op) for o in distinct_tensors(vz, operands, op)
    ]
    limit = SPLAT_BURST if result.splat else None
    for a, b in vz.runs([out, *operands], limit):
        v = vz.vxm(cls, read_operands(vz, operands, a, b, op), element, b - a, op)
        vz.write(v, result, a, 1, op)
    return result


def read_operands(
    vz: Vectorizer, operands: Sequence[Operand], a: int, b: int, op: Operation
) -> list[SSAValue]:
    """The operands' vectors a..b-1 of a run, one read per distinct operand
    sequence (x * x reads x once)."""
    values: list[SSAValue] = []
    seen: dict[tuple[str, bytes], SSAValue] = {}
    for o in operands:
        key = (o.placed.name, o.indices[a:b].tobytes())
        if key not in seen:
            seen[key] = vz.read(o, a, b - a, op)
        values.append(seen[key])
    return values


def distinct_tensors(
    vz: Vectorizer, operands: Sequence[Operand], op: Operation
) -> list[Operand]:
    """Operands that read one tensor at different vectors would need its
    slice's read port twice in a cycle (their reads meet the VXM together):
    all but the first read a copy instead."""
    first: dict[str, np.ndarray] = {}
    out: list[Operand] = []
    for o in operands:
        seen = first.setdefault(o.placed.name, o.indices)
        if seen is o.indices or np.array_equal(seen, o.indices):
            out.append(o)
            continue
        p = o.placed
        copy = vz.chip.scratch_like(p, op)
        every = np.arange(p.vectors, dtype=np.int64)
        vz.copy_vectors(p, every, copy, every, op)
        out.append(Operand(copy, o.indices))
    return out


def broadcasts_last_axis(value: SSAValue, out_shape: tuple[int, ...]) -> bool:
    shape = tensor_shape_and_element(value.type)[0] or (1,)
    return shape[-1] == 1 and out_shape[-1] != 1
