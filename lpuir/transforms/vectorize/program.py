"""What lpu-vectorize builds on one chip: tensors placed in SRAM, and the
operands of instruction groups as sequences of their vectors."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType
from xdsl.ir import Operation, SSAValue

from lpuir import numerics
from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu
from lpuir.dialects.lpu import ELEMENT_TYPES, TENSOR_TYPES, WORD_PAIRS
from lpuir.machine import ChipSpec
from lpuir.tensor_builder import dense as tensor_dense
from lpuir.types import tensor_shape_and_element


def unsupported(op: Operation, why: str) -> LpuError:
    return LpuError(f"{op_location(op)}: error: lpu-vectorize: {why}")


def not_held(op: Operation | None, element: str) -> str:
    """Why a value of `element` cannot be placed (for an error at `op`)."""
    what = f"'{op.name}' " if op is not None else ""
    return (
        f"{what}needs {element} values in SRAM, which the LPU does not hold "
        f"(its vectors hold {', '.join(ELEMENT_TYPES)}; its tensors also "
        f"{', '.join(WORD_PAIRS)} as pairs of i32 words)"
    )


@dataclass
class Placed:
    """A tensor-level value in SRAM. `splat`: shape [..., 1] stored as one vector
    per row whose every lane holds the value (what a broadcast along the last
    axis reads)."""

    tensor: lpu.TensorOp
    shape: tuple[int, ...]
    element: str
    lanes: int
    splat: bool = False
    offset: int = 0
    """The vector of the tensor where this value begins (a view of some
    heads of a whole input, `shards.get_head`)."""
    parts: tuple[Placed, ...] = ()
    """The value held as row parts (`parts.row_parts`): rows q*part_rows ..
    of each in a tensor of its own (`tensor` is the first's), which
    lpu-allocate-sram puts in different slice groups, so that passes over
    different rows read and write through different ports. Only
    `Vectorizer.runs`, `read_at` and `write` see them."""
    part_rows: int = 0
    """Rows of each row part (the last may have fewer)."""

    @property
    def name(self) -> str:
        return self.tensor.sym_name.data

    @property
    def rows(self) -> int:
        return math.prod(self.shape[:-1]) if self.shape else 1

    @property
    def cols(self) -> int:
        return self.shape[-1] if self.shape else 1

    @property
    def per_row(self) -> int:
        return 1 if self.splat else -(-self.cols // self.lanes)

    @property
    def vectors(self) -> int:
        return self.rows * self.per_row

    def part_of(self, indices: np.ndarray) -> np.ndarray:
        """The row part holding each of these vectors (0 if not in parts)."""
        if not self.parts:
            return np.zeros_like(indices)
        return indices // (self.part_rows * self.per_row)

    def part(self, index: int) -> tuple[Placed, int]:
        """The Placed holding vector `index`, and its index there."""
        if not self.parts:
            return self, index
        q = index // (self.part_rows * self.per_row)
        return self.parts[q], index - q * self.part_rows * self.per_row


@dataclass
class Operand:
    """An operand of a group: a placed tensor and the vector it supplies for each
    output vector of a run."""

    placed: Placed
    indices: np.ndarray


@dataclass
class ChipProgram:
    """The chip being built: its tensors and instructions in program order."""

    spec: ChipSpec
    tensors: list[lpu.TensorOp] = field(default_factory=list)
    body: list[Operation] = field(default_factory=list)
    counter: int = 0
    constants: dict[tuple[str, str, bytes, Operation], Placed] = field(
        default_factory=dict
    )

    def scratch_like(self, like: Placed, loc: Operation | None) -> Placed:
        """A new scratch tensor of `like`'s shape, element and layout (a
        partial sum, an accumulator taken in turn, a copy)."""
        return self.tensor(
            like.shape,
            like.element,
            "scratch",
            loc,
            lanes=like.lanes,
            splat=like.splat,
        )

    def tensor(
        self,
        shape: Sequence[int],
        element: str,
        kind: str,
        loc: Operation | None,
        *,
        arg: int | None = None,
        lead: int | None = None,
        cols: int | None = None,
        row_chunk: tuple[int, ...] | None = None,
        value: DenseIntOrFPElementsAttr | None = None,
        lanes: int | None = None,
        splat: bool = False,
        prefix: str = "tmp",
    ) -> Placed:
        """A new tensor; `prefix` tells what it holds: v (the result of a tensor
        op, what lpu-run --reference compares), in, out, c (a constant), tmp.
        An i64 or ui64 tensor is placed as its i32 words (`words.py`): the
        Placed has twice the columns."""
        if element not in TENSOR_TYPES or (splat and element in WORD_PAIRS):
            raise LpuError(
                f"{op_location(loc) if loc is not None else '<unknown>'}: error: lpu-vectorize: {not_held(loc, element)}"
            )
        name = f"{prefix}{self.counter}"
        self.counter += 1
        stored = (*shape[:-1], self.spec.lanes) if splat else tuple(shape)
        op = lpu.TensorOp(
            name,
            TensorType(TENSOR_TYPES[element], stored or (1,)),
            kind,
            arg=arg,
            lead=lead,
            cols=cols,
            row_chunk=row_chunk,
            value=value,
            row_lanes=lanes if lanes is not None and lanes != self.spec.lanes else None,
        )
        if loc is not None:
            op.location = loc.location
        self.tensors.append(op)
        held = tuple(shape) if splat else tuple(op.stored_type.get_shape())
        return Placed(op, held or (1,), op.element, lanes or self.spec.lanes, splat)

    def row_parts(
        self,
        shape: Sequence[int],
        element: str,
        kind: str,
        loc: Operation | None,
        count: int,
        *,
        arg: int | None = None,
        lanes: int | None = None,
        splat: bool = False,
        prefix: str = "tmp",
    ) -> Placed:
        """A value of `shape` (its rows along axis -2, every axis before it
        1) held as `count` row parts (`Placed.parts`), each a `row_chunk`
        of the value: an input's, which lpu-run fills from the whole input;
        an output's, which it puts together."""
        rows, size = shape[-2], -(-shape[-2] // count)
        parts = tuple(
            self.tensor(
                (*shape[:-2], min(size, rows - lo), shape[-1]),
                element,
                kind,
                loc,
                arg=arg,
                row_chunk=(q, size, rows, 0, rows),
                lanes=lanes,
                splat=splat,
                prefix=prefix,
            )
            for q, lo in enumerate(range(0, rows, size))
        )
        return dataclasses.replace(
            parts[0], shape=tuple(shape), parts=parts, part_rows=size
        )

    def emit(self, op: Operation, loc: Operation) -> Operation:
        op.location = loc.location
        self.body.append(op)
        return op

    def constant_vector(
        self, values: np.ndarray, element: str, loc: Operation
    ) -> Placed:
        """A one-vector weight tensor (a mask or a fill), shared by content
        within the tensor op `loc` only: one shared by a whole chip would be
        read beside so many tensors that lpu-allocate-sram could not keep it
        off their slices (two reads of one slice in a group cannot be
        scheduled)."""
        key = (element, "vec", values.tobytes(), loc)
        if key not in self.constants:
            attr = dense(values.reshape(1, -1), element)
            self.constants[key] = self.tensor(
                (1, self.spec.lanes), element, "weight", loc, value=attr, prefix="c"
            )
        return self.constants[key]


def dense(values: np.ndarray, element: str) -> DenseIntOrFPElementsAttr:
    """A weight tensor's value, `values` in `element`'s carrier."""
    return tensor_dense(values, TensorType(TENSOR_TYPES[element], values.shape))


def constant_array(const: Operation, value: SSAValue) -> np.ndarray:
    """A constant op's value as an array of the numerics carrier (a splat
    broadcast to the shape)."""
    attr = constant_value(const)
    assert isinstance(attr, DenseIntOrFPElementsAttr)
    shape, element = tensor_shape_and_element(value.type)
    vals = np.array(attr.get_values(), dtype=numerics.carrier(element))
    return (
        vals.reshape(shape)
        if vals.size > 1
        else np.broadcast_to(vals.reshape(()), shape)
    )


def constant_value(const: Operation) -> DenseIntOrFPElementsAttr:
    """The value of a `tosa.const` or `arith.constant`."""
    attr = const.properties.get("values") or const.properties.get("value")
    return attr  # type: ignore[return-value]


def runs(
    sequences: Sequence[np.ndarray],
    keys: Sequence[np.ndarray] = (),
    limit: int | None = None,
) -> list[tuple[int, int]]:
    """Split 0..n-1 into maximal runs [a, b) over which every sequence moves by
    one constant, non-negative step and every key stays the same (the slice
    group a vector is in), of at most `limit` elements. Greedy from the left:
    a run's first two elements set its step."""
    n = len(sequences[0]) if sequences else 0
    if n == 0:
        return []
    cut = np.zeros(n, dtype=bool)  # cut[i]: a run starts at i
    cut[0] = True
    for key in keys:
        cut[1:] |= key[1:] != key[:-1]
    steps = [np.diff(np.asarray(seq)) for seq in sequences]
    for d in steps:
        cut[1:] |= d < 0
    # change[k]: step k (element k to k+1) differs from step k-1
    change = np.zeros(n - 1, dtype=bool)
    if n > 1:
        change[0] = True
        for d in steps:
            change[1:] |= d[1:] != d[:-1]
    changes = np.flatnonzero(change)
    out: list[tuple[int, int]] = []
    starts = [*(int(i) for i in np.flatnonzero(cut)), n]
    for a, b in itertools.pairwise(starts):
        i = a
        while i < b:
            j = i + 1
            if j < b:
                # steps i, i+1, ... equal step i up to the next change after i
                k = int(np.searchsorted(changes, i, side="right"))
                j = min(int(changes[k]) + 1 if k < len(changes) else n, b)
            if limit is not None:
                j = min(j, i + limit)
            out.append((i, j))
            i = j
    return out


def progression_runs(
    first: int, step: int, count: int, size: int
) -> list[tuple[int, int]]:
    """`runs` of the sequence first, first+step, ... (`count` of them, step
    at least 1) keyed by the slice group (`// size`) of each, found without
    its arrays: a run ends where the sequence enters the next group."""
    out: list[tuple[int, int]] = []
    at = 0
    while at < count:
        index = first + at * step
        end = min(count, at + -(-(index // size * size + size - index) // step))
        out.append((at, end))
        at = end
    return out


VXM_TYPES = ("i16", "i32", "ui16", "ui32", "f16", "bf16", "f32")
"""Element types the VXM's ALUs compute on (unsigned: the signless bits, read
unsigned where that matters: compare, max, min, divide, convert)."""


def check_vxm_type(op: Operation, element: str) -> None:
    if element not in VXM_TYPES:
        raise unsupported(
            op, f"the VXM computes on 16- and 32-bit elements, not {element}"
        )


def lowest(element: str) -> float | int:
    """The least value of an element type (-inf for floats)."""
    if numerics.is_float(element):
        return -math.inf
    return int(np.iinfo(numerics.carrier(element)).min)
