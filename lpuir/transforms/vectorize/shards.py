"""Values on several chips: shards (columns of a value on one chip), and the
transfers that move vectors between chips (one send and receive each, which
lpu-schedule routes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

from lpuir.dialects import lpu
from lpuir.dialects.lpu import VectorType
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


@dataclass(frozen=True)
class Shard:
    """Columns lo..hi-1 (last axis) of a value, held on one chip."""

    chip: int
    lo: int
    hi: int
    placed: Placed


def column_bounds(n: int, lanes: int, chips: int) -> list[int]:
    """Where the shards of a column split of `n` columns over `chips` chips
    begin, after the first (at 0): whole tiles of `lanes` columns, as even as
    they go, on at most one chip per tile (lpu-partition states these as a
    later row split's K parts)."""
    tiles = -(-n // lanes)
    used = min(chips, tiles)
    return [tiles * i // used * lanes for i in range(1, used)]


@dataclass(frozen=True)
class Window:
    """The columns of the shard being lowered, of values whose last axis is `cols`."""

    lo: int
    hi: int
    cols: int


@dataclass(frozen=True)
class Heads:
    """Part `part` of `parts` of the leading axis (heads, for a Llama layer)
    of the values an op split by heads (`lpu.split = "heads"`) computes: a
    value whose leading axis is a multiple of `parts` (and more than 1) is
    cut; one of leading size 1 is whole (broadcast along that axis)."""

    part: int
    parts: int

    def cuts(self, shape: Sequence[int]) -> bool:
        return len(shape) >= 2 and shape[0] > 1 and shape[0] % self.parts == 0


@contextmanager
def window(vz: Vectorizer, chip: int, lo: int, hi: int, cols: int) -> Iterator[None]:
    """Lower on `chip`, cut to columns lo..hi-1 of values whose last axis is
    `cols` (what `Vectorizer.get` and `place_new` give meanwhile)."""
    vz.on(chip)
    vz.window = Window(lo, hi, cols)
    try:
        yield
    finally:
        vz.window = None


def by_shard(
    vz: Vectorizer, op: Operation, lower: Callable[[Vectorizer, Operation], None]
) -> None:
    """Lower an elementwise op shard by shard where its operands are sharded
    (`sharded_layout`; once, when already inside a shard's window), else whole."""
    found = sharded_layout(vz, op) if vz.window is None else None
    if found is None:
        lower(vz, op)
        return
    cols = tensor_shape_and_element(op.results[0].type)[0][-1]
    for chip, lo, hi in found:
        with window(vz, chip, lo, hi, cols):
            lower(vz, op)


def by_heads(
    vz: Vectorizer,
    op: Operation,
    chips: Sequence[int],
    lower: Callable[[Vectorizer, Operation], None],
) -> None:
    """Lower an op split by heads once per chip, each time on that chip's
    part of the leading axis (`Heads`); the cut results are recorded in
    `vz.heads` (their parts stay in each chip's values)."""
    for part, chip in enumerate(chips):
        vz.on(chip)
        vz.window = Heads(part, len(chips))
        try:
            lower(vz, op)
        finally:
            vz.window = None
    record_heads(vz, op, chips)


def record_heads(vz: Vectorizer, op: Operation, chips: Sequence[int]) -> None:
    """Record the op's results cut by heads as held in parts on `chips`."""
    cut = Heads(0, len(chips))
    for r in op.results:
        if cut.cuts(tensor_shape_and_element(r.type)[0]):
            vz.heads[r] = list(chips)


def cut(vz: Vectorizer, array: np.ndarray) -> np.ndarray:
    """A constant's values cut to the current window (columns or heads)."""
    win = vz.window
    if isinstance(win, Heads):
        size = array.shape[0] // win.parts
        return array[win.part * size : (win.part + 1) * size]
    if isinstance(win, Window) and array.shape[-1] == win.cols:
        return array[..., win.lo : win.hi]
    return array


def get_head(vz: Vectorizer, value: SSAValue, user: Operation) -> Placed:
    """This chip's part of a value cut by heads: computed here, a slice of a
    constant, a resident weight of the part's shape, the part (`lead`) of a
    program input (a KV cache holds only its KV heads on each chip), or a
    view of the whole on this chip (a value computed whole, or one cut
    otherwise or on other chips: gathered here first)."""
    win = vz.window
    assert isinstance(win, Heads)
    holders = vz.heads.get(value, [])
    if len(holders) == win.parts and holders[win.part] == vz.current:
        return vz.values[value]
    key = (value, -1 - win.part)
    cache = vz.window_cache[vz.current]
    if key in cache:
        return cache[key]
    shape, element = tensor_shape_and_element(value.type)
    sub = (shape[0] // win.parts, *shape[1:])
    if value in vz.constants:
        const = vz.constants[value]
        placed = vz.chip.tensor(
            sub,
            element,
            "weight",
            const,
            value=dense(cut(vz, constant_array(const, value)), element),
            lanes=vz.lanes_wanted.get(value),
            prefix="c",
        )
    elif value in vz.fn.args and vz.argument(value)[0] == "weight":
        placed = vz.chip.tensor(sub, element, "weight", vz.fn, prefix="c")
    elif value in vz.fn.args:
        placed = vz.chip.tensor(
            sub,
            element,
            "input",
            vz.fn,
            arg=vz.argument(value)[1],
            lead=win.part * sub[0],
            lanes=vz.lanes_wanted.get(value),
            prefix="in",
        )
    elif len(holders) == win.parts:  # the same parts, on other chips
        piece = vz.placed[holders[win.part]][value]
        placed = vz.chip.tensor(
            sub, element, "scratch", user, lanes=piece.lanes, splat=piece.splat
        )
        every = np.arange(piece.vectors, dtype=np.int64)
        transfer(vz, piece, holders[win.part], every, placed, every, user)
    else:
        vz.window = None
        try:
            whole = vz.get(value, user)
        finally:
            vz.window = win
        part = whole.vectors // win.parts
        placed = Placed(
            whole.tensor,
            sub,
            whole.element,
            whole.lanes,
            whole.splat,
            whole.offset + win.part * part,
        )
    cache[key] = placed
    return placed


def gather_heads(vz: Vectorizer, value: SSAValue, user: Operation) -> Placed:
    """A value cut by heads made whole on the current chip (all-gather of
    its parts, in order: the leading axis is the outermost, so a part is a
    run of vectors)."""
    here = vz.current
    found = vz.gathered.setdefault(here, {})
    if value in found:
        return found[value]
    parts = [(c, vz.placed[c][value]) for c in vz.heads[value]]
    first = parts[0][1]
    whole = vz.chip.tensor(
        tensor_shape_and_element(value.type)[0],
        first.element,
        "scratch",
        user,
        lanes=first.lanes,
        splat=first.splat,
    )
    for i, (chip, piece) in enumerate(parts):
        src = np.arange(piece.vectors, dtype=np.int64)
        dst = i * piece.vectors + src
        if chip == here:
            vz.copy_vectors(piece, src, whole, dst, user)
        else:
            transfer(vz, piece, chip, src, whole, dst, user)
    found[value] = whole
    return whole


def transfer(
    vz: Vectorizer,
    src: Placed,
    src_chip: int,
    src_vectors: np.ndarray,
    dst: Placed,
    dst_vectors: np.ndarray,
    loc: Operation,
) -> None:
    """Copy vectors of `src` on `src_chip` into `dst` on the current chip,
    one send and receive per vector (the scheduler routes them)."""
    dst_chip = vz.current
    channel = StringAttr(f"x{vz.channels}")
    vz.channels += 1
    for i, j in zip(src_vectors.tolist(), dst_vectors.tolist(), strict=True):
        vz.on(src_chip)
        v = vz.read(Operand(src, np.array([i])), 0, 1, loc)
        vz.chip.emit(lpu.SendOp(v, dst_chip, channel), loc)
        vz.on(dst_chip)
        r = vz.emit(lpu.RecvOp(src_chip, channel, VectorType(src.element, 1)), loc)
        vz.write(r, dst, j, 1, loc)


def fetch(vz: Vectorizer, value: SSAValue, user: Operation) -> Placed | None:
    """A value made whole on the current chip from wherever it is: its
    shards gathered (all-gather), or the whole tensor sent (point to point)."""
    here = vz.current
    if value in vz.shards:
        found = vz.shards[value]
        first = found[0].placed
        whole = vz.chip.tensor(
            tensor_shape_and_element(value.type)[0],
            first.element,
            "scratch",
            user,
            lanes=first.lanes,
        )
        for shard in found:
            if shard.lo % first.lanes:
                raise unsupported(
                    user, "shards not aligned to whole vectors cannot be gathered"
                )
            rows = np.arange(whole.rows, dtype=np.int64)[:, None]
            j = np.arange(shard.placed.per_row, dtype=np.int64)[None, :]
            src = (rows * shard.placed.per_row + j).reshape(-1)
            dst = (rows * whole.per_row + shard.lo // first.lanes + j).reshape(-1)
            if shard.chip == here:
                vz.copy_vectors(shard.placed, src, whole, dst, user)
            else:
                transfer(vz, shard.placed, shard.chip, src, whole, dst, user)
        vz.values[value] = whole
        return whole
    owner = next((c for c, vs in vz.placed.items() if value in vs), None)
    if owner is None:
        return None
    src = vz.placed[owner][value]
    copy = vz.chip.tensor(
        src.shape, src.element, "scratch", user, lanes=src.lanes, splat=src.splat
    )
    every = np.arange(src.vectors, dtype=np.int64)
    transfer(vz, src, owner, every, copy, every, user)
    vz.values[value] = copy
    return copy


def get_shard(vz: Vectorizer, value: SSAValue, user: Operation) -> Placed:
    """The current window's columns of a value on this chip: its shard, or
    a slice of a constant, or a shard (`cols`) of a program input."""
    win = vz.window
    assert win is not None
    key = (value, win.lo)
    if key in vz.window_cache[vz.current]:
        return vz.window_cache[vz.current][key]
    shape, element = tensor_shape_and_element(value.type)
    sub = (*shape[:-1], win.hi - win.lo)
    if value in vz.shards:
        found = next(
            (
                sh.placed
                for sh in vz.shards[value]
                if (sh.chip, sh.lo, sh.hi) == (vz.current, win.lo, win.hi)
            ),
            None,
        )
        if found is None:
            raise unsupported(user, f"operand {value} is sharded differently")
        return found
    if value in vz.constants:
        const = vz.constants[value]
        full = constant_array(const, value)
        placed = vz.chip.tensor(
            sub,
            element,
            "weight",
            const,
            value=dense(full[..., win.lo : win.hi], element),
            lanes=vz.lanes_wanted.get(value),
            prefix="c",
        )
    elif value in vz.fn.args:
        kind, arg = vz.argument(value)
        placed = vz.chip.tensor(
            sub,
            element,
            kind,
            vz.fn,
            arg=arg,
            cols=win.lo if arg is not None else None,
            lanes=vz.lanes_wanted.get(value),
            prefix="in",
        )
    else:
        raise unsupported(user, f"operand {value} is not sharded")
    vz.window_cache[vz.current][key] = placed
    return placed


def sharded_layout(vz: Vectorizer, op: Operation) -> list[tuple[int, int, int]] | None:
    """The shards (chip, lo, hi) an elementwise op runs on: its sharded
    operand's, when every other operand is sharded alike, or a constant, a
    program input, or broadcast along the last axis; None if it cannot run
    shard by shard."""
    out = op.results[0]
    shape = tensor_shape_and_element(out.type)[0]
    sharded = [v for v in op.operands if v in vz.shards]
    if not sharded or not shape:
        return None
    layout = [(sh.chip, sh.lo, sh.hi) for sh in vz.shards[sharded[0]]]
    for v in op.operands:
        vshape = tensor_shape_and_element(v.type)[0]
        if v in vz.shards:
            if [(sh.chip, sh.lo, sh.hi) for sh in vz.shards[v]] != layout:
                return None
        elif (
            vshape[-1:] == shape[-1:] and v not in vz.constants and v not in vz.fn.args
        ):
            return None
    return layout
