"""Sums split over chips (`lpu.k_parts`, lpu-partition's `hybrid` strategy):
a `tosa.matmul` whose K is split (each chip multiplies its shard of the
left-hand side, the columns of one part, by the same rows of the resident
right-hand side) and a `tosa.reduce_sum` over the heads of an op split by
heads (each chip reduces its heads); an all-reduce adds the partial results
in the order `lpu.k_order` states, which is the order the reference
interpreter computes (docs/numerics.md, "Partial sums of a split K"), so the
result is bit-exact.

The all-reduce is a reduce-scatter followed by an all-gather, vector by
vector: vector v of the result is owned by one chip, which adds the terms of
the order's top list; a nested list (the parts of one node, when a group
spans nodes) is first summed on one chip of its own, so only its sum crosses
the global links. Who sums where follows the vector: a list's v-th sum is
taken on the chip of its (v mod length)-th item, which spreads the adds and
the links over the group (on one node: chip i owns vectors i, i + P, ...).
Then the owner sends the sum to every other chip of the group, so the result
is whole on each of them."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from lpuir.dialects import lpu, tosa
from lpuir.numerics import KOrder
from lpuir.transforms.annotations import k_split_of
from lpuir.transforms.vectorize import matmul, shards
from lpuir.transforms.vectorize.program import Operand, Placed, unsupported
from lpuir.types import tensor_shape_and_element

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

Node = int | KOrder


def lower(vz: Vectorizer, op: Operation) -> None:
    """The partial sums of each part on its chip, then the all-reduce."""
    assert isinstance(op, tosa.MatMulOp)
    split = k_split_of(op)
    assert split is not None
    bounds, order = split
    (batch, m, k), _ = tensor_shape_and_element(op.a.type)
    n = tensor_shape_and_element(op.b.type)[0][2]
    element = tensor_shape_and_element(op.output.type)[1]
    edges = [0, *bounds, k]
    held = {(sh.lo, sh.hi): sh for sh in vz.shards.get(op.a, [])}
    missing = next(
        (i for i, e in enumerate(itertools.pairwise(edges)) if e not in held), None
    )
    if missing is not None or not vz.resident(op.b):
        raise unsupported(
            op,
            f"a K split is lowered when each part's columns of the left-hand side are a shard of one chip (as lpu-partition's hybrid strategy leaves them) and the right-hand side is resident; part {missing} ({edges[missing or 0]}..{edges[(missing or 0) + 1] - 1}) is not"
            if missing is not None
            else "a K split is lowered for a resident right-hand side (a constant or an {lpu.weight} argument)",
        )
    out = (batch, m, n)
    partials: list[tuple[int, Placed]] = []
    for lo, hi in itertools.pairwise(edges):
        shard = held[(lo, hi)]
        vz.on(shard.chip)
        part = vz.chip.tensor(out, element, "scratch", op, lanes=vz.spec.lanes)
        b = matmul.rows_of(vz, op.b, lo, hi, op)
        matmul.mxm(vz, op, shard.placed, [matmul.Part(b, 0, hi - lo, part)])
        partials.append((shard.chip, part))
    all_reduce(vz, op, partials, order, lpu.AddOp)


def by_heads(
    vz: Vectorizer,
    op: Operation,
    chips: list[int],
    lower: Callable[[Vectorizer, Operation], None],
) -> None:
    """An op split by heads (`shards.by_heads`); a reduction over the heads
    (`lpu.k_parts` on its leading axis: one part per chip) then adds the
    chips' partial results with the all-reduce, in the stated order."""
    shards.by_heads(vz, op, chips, lower)
    split = k_split_of(op)
    if split is None:
        return
    if not isinstance(op, tosa.ReduceSumOp) or op.axis.value.data != 0:
        raise unsupported(
            op, "a split reduction over chips is lowered for reduce_sum along axis 0"
        )
    out = op.results[0]
    partials = [(c, vz.placed[c].pop(out)) for c in chips]
    all_reduce(vz, op, partials, split[1] or list(range(len(chips))), lpu.AddOp)


def all_reduce(
    vz: Vectorizer,
    op: Operation,
    partials: list[tuple[int, Placed]],
    order: KOrder,
    combine: type[lpu.VxmOp],
) -> None:
    """The op's result on every chip holding a partial: the partials
    combined in `order` (module docstring)."""
    group = list(dict.fromkeys(chip for chip, _ in partials))
    reduce = AllReduce(vz, op, partials, order, combine)
    first = partials[0][1]
    whole = {}
    for chip in group:
        vz.on(chip)
        whole[chip] = vz.chip.scratch_like(first, op)
    for v in range(first.vectors):
        owner = reduce.chip_of(reduce.order, v)
        reduce.total(reduce.order, v, owner, whole[owner], (0,))
        for chip in group:
            if chip != owner:
                vz.on(chip)
                one = np.array([v], dtype=np.int64)
                shards.transfer(vz, whole[owner], owner, one, whole[chip], one, op)
    for chip in group:
        vz.placed[chip][op.results[0]] = whole[chip]


class AllReduce:
    """The sums of partials (chip, tensor) over a nested order, vector by
    vector (module docstring)."""

    def __init__(
        self,
        vz: Vectorizer,
        op: Operation,
        partials: Sequence[tuple[int, Placed]],
        order: KOrder,
        combine: type[lpu.VxmOp],
    ) -> None:
        self.vz, self.op, self.partials, self.order = vz, op, partials, order
        self.combine = combine
        self.staging: dict[tuple[int, tuple[int, ...]], Placed] = {}

    def chip_of(self, node: Node, v: int) -> int:
        """Where a node's v-th vector is summed (a part: on its own chip)."""
        while not isinstance(node, int):
            node = node[v % len(node)]
        return self.partials[node][0]

    def stage(self, chip: int, path: tuple[int, ...]) -> Placed:
        """A tensor on `chip` for the term at `path` of the order tree."""
        key = (chip, path)
        if key not in self.staging:
            self.vz.on(chip)
            part = self.partials[0][1]
            self.staging[key] = self.vz.chip.scratch_like(part, self.op)
        return self.staging[key]

    def term(self, node: Node, v: int, at: int, path: tuple[int, ...]) -> Placed:
        """A tensor on chip `at` whose vector v is the node's value."""
        if isinstance(node, int):
            chip, part = self.partials[node]
        elif len(node) == 1:
            return self.term(node[0], v, at, (*path, 0))
        else:
            chip = self.chip_of(node, v)
            part = self.stage(chip, (*path, -1))
            self.total(node, v, chip, part, path)
        if chip == at:
            return part
        here = self.stage(at, path)
        self.vz.on(at)
        one = np.array([v], dtype=np.int64)
        shards.transfer(self.vz, part, chip, one, here, one, self.op)
        return here

    def total(
        self, node: Node, v: int, at: int, into: Placed, path: tuple[int, ...]
    ) -> None:
        """into[v] on chip `at` = the node's items summed left to right."""
        items = [node] if isinstance(node, int) else list(node)
        terms = [self.term(item, v, at, (*path, i)) for i, item in enumerate(items)]
        vz = self.vz
        vz.on(at)
        one = np.array([v], dtype=np.int64)
        acc = vz.read(Operand(terms[0], one), 0, 1, self.op)
        if len(terms) == 1:
            acc = vz.vxm(lpu.CopyOp, [acc], into.element, 1, self.op)
        for t in terms[1:]:
            term = vz.read(Operand(t, one), 0, 1, self.op)
            acc = vz.vxm(self.combine, [acc, term], into.element, 1, self.op)
        vz.write(acc, into, v, 1, self.op)
