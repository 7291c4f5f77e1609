"""Reductions beyond `reductions`' sum, product, max and min of the VXM's
types with NaN propagating: narrower integers (computed in i32 and wrapped
back), `tosa.reduce_all`/`reduce_any` (i1, as min/max of 0 and 1 in i32),
`reduce_max`/`reduce_min` with nan_mode IGNORE (NaN lanes replaced by
the identity, all-NaN rows NaN), and `tosa.argmax` (the first index that
holds the maximum, or the first NaN). Each of these is the same in any
order, so the axis is moved last (`data.permute`) and reduced along the
lanes (`reductions.reduce_rows`); but a max or min ignoring NaN along a
leading axis is reduced in place, one elementwise step per index
(`_ignore_along`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from lpuir import numerics
from lpuir.dialects import lpu, tosa
from lpuir.transforms.vectorize import data, movement, reductions
from lpuir.transforms.vectorize.composite import NATIVE, Steps, cmp, element_of
from lpuir.transforms.vectorize.movement import numbered
from lpuir.transforms.vectorize.program import Placed, dense, lowest, unsupported
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer


def last_axis(s: Steps, x: Placed, axis: int) -> Placed:
    """x [..., K, ...] as [rows, K], the axis last."""
    rank = len(x.shape)
    if axis == rank - 1:
        rows = math.prod(x.shape[:-1])
        return Placed(x.tensor, (rows, x.shape[-1]), x.element, x.lanes, x.splat)
    order = [d for d in range(rank) if d != axis] + [axis]
    moved = s.vz.chip.tensor(
        tuple(x.shape[d] for d in order),
        x.element,
        "scratch",
        s.op,
        lanes=s.vz.spec.lanes,
    )
    data.permute(s.vz, s.op, x, order, moved)
    rows = math.prod(moved.shape[:-1])
    return Placed(moved.tensor, (rows, moved.shape[-1]), x.element, moved.lanes)


def place_rows(s: Steps, value: Placed, op: Operation) -> None:
    """A [rows, 1] splat as the op's result (of the same elements)."""
    shape = s.vz.shape_of(op.results[0]) or (1,)
    if shape[-1] == 1:
        s.convert(
            Placed(value.tensor, shape, value.element, value.lanes, splat=True),
            value.element,
            op.results[0],
        )
        return
    out = s.vz.place_new(op.results[0], op)
    movement.move(s.vz, op, [value], numbered(shape), out)


def _reduce(vz: Vectorizer, op: Operation) -> None:
    assert isinstance(op, tosa.ReductionOperation)
    t = element_of(op.input)
    ignore = reductions.nan_ignored(op) and numerics.is_float(t)
    if type(op) in reductions.COMBINE and t in NATIVE and not ignore:
        reductions.lower(vz, op)
        return
    s = Steps(vz, op)
    axis = op.axis.value.data
    if not ignore:  # all/any as min/max of 0 and 1; narrow integers wrap back
        make = {
            tosa.ReduceAllOp: lpu.MinOp,
            tosa.ReduceAnyOp: lpu.MaxOp,
            **reductions.COMBINE,
        }[type(op)]
        x = last_axis(s, s.get(op.input), axis)
        reduced = reductions.reduce_rows(vz, op, s.widen(x), make)
        place_rows(s, s.convert(reduced, t), op)
        return
    # max/min ignoring NaN: NaN lanes hold the identity; all NaN gives NaN
    make = lpu.MaxOp if isinstance(op, tosa.ReduceMaxOp) else lpu.MinOp
    identity = lowest(t) if make is lpu.MaxOp else math.inf
    if axis < len(tensor_shape_and_element(op.input.type)[0]) - 1 and t in NATIVE:
        _ignore_along(s, op, axis, make, identity)
        return
    x = last_axis(s, s.get(op.input), axis)
    is_nan = s(cmp("ne"), [x, x], "i1")
    clean = s.select(is_nan, s.scalar(identity, t), x)
    reduced = reductions.reduce_rows(vz, op, clean, make)
    numbers = reductions.reduce_rows(
        vz, op, s.convert(s(cmp("eq"), [x, x], "i1"), "i32"), lpu.MaxOp
    )
    none = s(cmp("eq"), [numbers, s.scalar(0, "i32")], "i1")
    place_rows(s, s.select(none, s.scalar(math.nan, t), reduced), op)


def _ignore_along(
    s: Steps, op: Operation, axis: int, make: type[lpu.VxmOp], identity: float
) -> None:
    """A max or min ignoring NaN along a leading axis, in place: one
    elementwise step per index (`reductions.reduce_axis`) over the values
    with NaN as the identity, and over which are numbers; a max or min has
    the same bits in any order (numerics.md), so none of them moves the
    axis last, which for a long axis is as many one-vector rows (a
    33 x 5500 max took minutes to compile)."""
    t = element_of(op.input)
    x = s.get(op.input)
    clean = s.select(s(cmp("ne"), [x, x], "i1"), s.scalar(identity, t), x)
    reduced = reductions.reduce_axis(s.vz, op, axis, clean, make, "tmp")
    counted = s.convert(s(cmp("eq"), [x, x], "i1"), "i32")
    numbers = reductions.reduce_axis(s.vz, op, axis, counted, lpu.MaxOp, "tmp")
    none = s(cmp("eq"), [numbers, s.scalar(0, "i32")], "i1")
    s.select(none, s.scalar(math.nan, t), reduced, op.results[0])


def _argmax(vz: Vectorizer, op: Operation) -> None:
    """The least index holding the maximum (a NaN, with NaN propagating;
    index 0 when every value is NaN and NaN is ignored)."""
    assert isinstance(op, tosa.ArgMaxOp)
    s = Steps(vz, op)
    t = element_of(op.input)
    x = s.widen(last_axis(s, s.get(op.input), op.axis.value.data))
    k = x.shape[-1]
    ignore = reductions.nan_ignored(op) and numerics.is_float(t)
    if ignore:
        is_nan = s(cmp("ne"), [x, x], "i1")
        top = reductions.reduce_rows(
            vz, op, s.select(is_nan, s.scalar(-math.inf, x.element), x), lpu.MaxOp
        )
        hit = s(cmp("eq"), [x, top], "i1")
    else:
        top = reductions.reduce_rows(vz, op, x, lpu.MaxOp)
        hit = s(cmp("eq"), [x, top], "i1")
        if numerics.is_float(t):
            nan = s(cmp("ne"), [x, x], "i1")
            hit = s.convert(
                s(lpu.OrOp, [s.convert(hit, "i32"), s.convert(nan, "i32")], "i32"), "i1"
            )
    iota = vz.chip.tensor(
        (1, k),
        "i32",
        "weight",
        op,
        value=dense(np.arange(k, dtype=np.int32).reshape(1, k), "i32"),
        prefix="c",
    )
    first = reductions.reduce_rows(
        vz, op, s.select(hit, iota, s.scalar(k, "i32")), lpu.MinOp
    )
    if ignore:
        missing = s(cmp("eq"), [first, s.scalar(k, "i32")], "i1")
        first = s.select(missing, s.scalar(0, "i32"), first)
    out_t = element_of(op.output)
    if out_t not in ("i32", "i16", "i8"):
        raise unsupported(op, f"'tosa.argmax' into {out_t}")
    place_rows(s, s.convert(first, out_t), op)


LOWERINGS = {
    **dict.fromkeys(reductions.COMBINE, _reduce),
    tosa.ReduceAllOp: _reduce,
    tosa.ReduceAnyOp: _reduce,
    tosa.ArgMaxOp: _argmax,
}
"""The lowering of each op of this module (entries of the package's table)."""
