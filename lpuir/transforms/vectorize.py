"""lpu-vectorize: a tensor-level function to a logical LPU program on one chip.

Every tensor lives in SRAM as an `lpu.tensor` (arguments as inputs, returned
values as outputs, constants as weights, the rest as scratch), laid out as
docs/dialect.md says: row-major, a row split into vectors of `row_lanes`
elements. Each tensor op becomes instruction groups that read vectors, compute
on the VXM, SXM or MXM, and write vectors back; values travel between groups
through SRAM, so every group is a tree the scheduler can time rigidly.

- Elementwise ops (with TOSA broadcasting): the output vectors are split into
  runs in which every operand's vector index moves by a fixed step; each run is
  one group of bursts (a step-0 read repeats a broadcast row).
- A last-axis broadcast ([R, 1] against [R, C]) reads a *splat* tensor: one
  vector per row with every lane holding the row's value.
- Matmul on the MXM: per batch, output tile of 320 columns and K-block, a weight
  tile is installed from the right-hand side's rows and the left-hand side's
  rows stream through, accumulating K-blocks in order (numerics.md). A resident
  right-hand side (a constant or an `{lpu.weight}` argument) that only matmuls
  use is stored as row chunks (INSTALL_CHUNKS), so a tile installs from several
  slices side by side.
- Reductions along the last axis combine a row's vectors in order, then reduce
  the lanes by the numerics spec's tree with SXM rotations, both rotation paths
  going through an SXM (west and east) so they meet the VXM in the same cycle;
  the result is broadcast to a splat by a max-doubling over rotations.
- Reductions along other axes are sequences of elementwise steps.

Unsupported ops and types fail with an error naming the op and the type.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntAttr,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    TensorType,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass

from lpuir import numerics, progress
from lpuir.diagnostics import LpuError, module_location, op_location
from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu import ACCUMULATOR, ELEMENT_TYPES, VectorType, WeightsType
from lpuir.machine import ChipSpec
from lpuir.types import tensor_shape_and_element

MAX_TREE_BURST = 64
"""Rows per lane-reduction group: an SXM round trip (about 94 cycles on tsp-v1)
must outlast a burst so one stage's rotation is done before the next's."""


INSTALL_CHUNKS = 8
"""Row chunks a resident matmul right-hand side is stored in: an install reads
a burst from each, side by side, each on its own stream and (lpu-allocate-sram
keeps a group's tensors apart when it can) its own slice, so a weight tile's K
rows install in K/8 cycles (40 for i8, 20 for f16) instead of K: a slice reads
one row per cycle. More would crowd the slices and streams that other operands
use (an f16 chunk takes two slices) and add reads for the scheduler to place
for less gain (16 made a Llama layer's decode step 7% faster and its compile 2x
slower); at most half of `mxm_install_rows_per_cycle`, since a burst that
crosses a slice group boundary is read as two operands."""


def unsupported(op: Operation, why: str) -> LpuError:
    return LpuError(f"{op_location(op)}: error: lpu-vectorize: {why}")


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


@dataclass(frozen=True)
class Stage:
    """One step of a lane pipeline: v'[l] = combine(v[l], w[l + offset]) where w
    is v itself ("tree") or the previous stage's rotated operand ("seq", the
    numerics spec's left-to-right pass); `backwards` reads w[l - offset]."""

    combine: type[lpu.VxmOp]
    offset: int
    mode: str
    backwards: bool = False


@dataclass(frozen=True)
class RowChunks:
    """A resident matmul right-hand side [B, K, N] stored as row chunks (see
    INSTALL_CHUNKS): `parts[q]` holds, block after block, rows q*rows ..
    q*rows+rows-1 of every K-block (row r of block b at b*rows + r)."""

    parts: tuple[Placed, ...]
    rows: int
    shape: tuple[int, ...]


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

    def tensor(
        self,
        shape: Sequence[int],
        element: str,
        kind: str,
        loc: Operation | None,
        *,
        arg: int | None = None,
        cols: int | None = None,
        value: Attribute | None = None,
        lanes: int | None = None,
        splat: bool = False,
        prefix: str = "tmp",
    ) -> Placed:
        """A new tensor; `prefix` tells what it holds: v (the result of a tensor
        op, what lpu-run --reference compares), in, out, c (a constant), tmp."""
        name = f"{prefix}{self.counter}"
        self.counter += 1
        stored = (*shape[:-1], self.spec.lanes) if splat else tuple(shape)
        props: dict[str, Attribute] = {
            "sym_name": StringAttr(name),
            "type": TensorType(ELEMENT_TYPES[element], stored or (1,)),
            "kind": StringAttr(kind),
        }
        if arg is not None:
            props["arg"] = IntAttr(arg)
        if cols is not None:
            props["cols"] = IntAttr(cols)
        if value is not None:
            props["value"] = value
        if lanes is not None and lanes != self.spec.lanes:
            props["row_lanes"] = IntAttr(lanes)
        op = lpu.TensorOp.create(properties=props)
        if loc is not None:
            op.location = loc.location
        self.tensors.append(op)
        return Placed(
            op, tuple(shape) or (1,), element, lanes or self.spec.lanes, splat
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
            attr = _dense(values.reshape(1, -1), element)
            self.constants[key] = self.tensor(
                (1, self.spec.lanes), element, "weight", loc, value=attr, prefix="c"
            )
        return self.constants[key]


def _dense(values: np.ndarray, element: str) -> DenseIntOrFPElementsAttr:
    t = TensorType(ELEMENT_TYPES[element], values.shape)
    flat = values.reshape(-1).tolist()
    return DenseIntOrFPElementsAttr.from_list(t, flat)


def _runs(
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
    runs: list[tuple[int, int]] = []
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
            runs.append((i, j))
            i = j
    return runs


@dataclass(frozen=True)
class Shard:
    """Columns lo..hi-1 (last axis) of a value, held on one chip."""

    chip: int
    lo: int
    hi: int
    placed: Placed


@dataclass(frozen=True)
class Window:
    """The columns of the shard being lowered, of values whose last axis is `cols`."""

    lo: int
    hi: int
    cols: int


class Vectorizer:
    """Lowers one func.func; see the module docstring."""

    def __init__(self, fn: func.FuncOp, spec: ChipSpec):
        self.fn = fn
        self.spec = spec
        self.programs: dict[int, ChipProgram] = {}
        self.placed: dict[int, dict[SSAValue, Placed]] = {}
        self.relayout_cache: dict[int, dict[tuple[str, int], Placed]] = {}
        self.window_cache: dict[int, dict[tuple[SSAValue, int], Placed]] = {}
        self.chunk_cache: dict[int, dict[SSAValue, RowChunks]] = {}
        self.constants: dict[SSAValue, Operation] = {}
        self.shards: dict[SSAValue, list[Shard]] = {}
        self.window: Window | None = None
        self.channels = 0
        self.lanes_wanted = self._matmul_layouts()
        self.on(0)

    def on(self, chip: int) -> None:
        """Emit on `chip` from now on (its tensors, values and instructions)."""
        if chip not in self.programs:
            self.programs[chip] = ChipProgram(self.spec)
            self.placed[chip] = {}
            self.relayout_cache[chip] = {}
            self.window_cache[chip] = {}
            self.chunk_cache[chip] = {}
        self.current = chip
        self.chip = self.programs[chip]
        self.values = self.placed[chip]
        self.relayouts = self.relayout_cache[chip]

    # ---------------------------------------------------------------- layouts

    def _matmul_layouts(self) -> dict[SSAValue, int]:
        """Values that feed a matmul's left-hand side as f16/bf16 want one MXM
        K-block (160 elements) per vector; elementwise producers pass the wish on."""
        wanted: dict[SSAValue, int] = {}
        ops = list(self.fn.body.walk())
        for op in reversed(ops):
            if isinstance(op, tosa.MatMulOp):
                element = tensor_shape_and_element(op.a.type)[1]
                if element in ("f16", "bf16"):
                    wanted[op.a] = self.spec.mxm_k(element)
            elif op.results and op.results[0] in wanted and is_elementwise(op):
                for v in op.operands:
                    if (
                        isinstance(v.type, TensorType)
                        and tensor_shape_and_element(v.type)[0][-1:]
                        == tensor_shape_and_element(op.results[0].type)[0][-1:]
                    ):
                        wanted.setdefault(v, wanted[op.results[0]])
        return wanted

    def place_new(
        self, ssa: SSAValue, op: Operation, kind: str = "scratch", **kw: object
    ) -> Placed:
        """A new tensor for a value, in the layout its users wish for unless
        the producer fixes it (`lanes=`)."""
        shape, element = self.shape_of(ssa), tensor_shape_and_element(ssa.type)[1]
        kw.setdefault("lanes", self.lanes_wanted.get(ssa))
        kw.setdefault("prefix", "v")
        placed = self.chip.tensor(shape, element, kind, op, **kw)  # type: ignore[arg-type]
        if self.windowed(ssa):
            assert self.window is not None
            shard = Shard(self.current, self.window.lo, self.window.hi, placed)
            self.shards.setdefault(ssa, []).append(shard)
        else:
            self.values[ssa] = placed
        return placed

    # ------------------------------------------------------------ many chips

    def windowed(self, value: SSAValue) -> bool:
        """Whether a value is cut to the current shard's columns."""
        shape = tensor_shape_and_element(value.type)[0]
        return self.window is not None and shape[-1:] == (self.window.cols,)

    def shape_of(self, value: SSAValue) -> tuple[int, ...]:
        shape = tensor_shape_and_element(value.type)[0]
        if self.windowed(value):
            assert self.window is not None
            return (*shape[:-1], self.window.hi - self.window.lo)
        return shape

    def transfer(
        self,
        src: Placed,
        src_chip: int,
        src_vectors: np.ndarray,
        dst: Placed,
        dst_vectors: np.ndarray,
        loc: Operation,
    ) -> None:
        """Copy vectors of `src` on `src_chip` into `dst` on the current chip,
        one send and receive per vector (the scheduler routes them)."""
        dst_chip = self.current
        channel = StringAttr(f"x{self.channels}")
        self.channels += 1
        for i, j in zip(src_vectors.tolist(), dst_vectors.tolist(), strict=True):
            self.on(src_chip)
            v = self.read(Operand(src, np.array([i])), 0, 1, loc)
            self.chip.emit(
                lpu.SendOp.create(
                    operands=[v],
                    properties={"to": IntAttr(dst_chip), "channel": channel},
                ),
                loc,
            )
            self.on(dst_chip)
            r = self.chip.emit(
                lpu.RecvOp.create(
                    properties={"sender": IntAttr(src_chip), "channel": channel},
                    result_types=[VectorType(src.element, 1)],
                ),
                loc,
            ).results[0]
            self.write(r, dst, j, 1, loc)

    def copy_vectors(
        self,
        src: Placed,
        src_vectors: np.ndarray,
        dst: Placed,
        dst_vectors: np.ndarray,
        loc: Operation,
    ) -> None:
        """dst[dst_vectors[k]] = src[src_vectors[k]] on this chip (VXM copies)."""
        target = Operand(dst, dst_vectors)
        for a, b in self.runs([Operand(src, src_vectors), target]):
            v = self.read(Operand(src, src_vectors), a, b - a, loc)
            copy = self.vxm(lpu.CopyOp, [v], src.element, b - a, loc)
            step = int(dst_vectors[a + 1] - dst_vectors[a]) if b - a > 1 else 1
            self.write(copy, dst, int(dst_vectors[a]), step, loc)

    def fetch(self, value: SSAValue, user: Operation) -> Placed | None:
        """A value made whole on the current chip from wherever it is: its
        shards gathered (all-gather), or the whole tensor sent (point to point)."""
        here = self.current
        if value in self.shards:
            shards = self.shards[value]
            first = shards[0].placed
            whole = self.chip.tensor(
                tensor_shape_and_element(value.type)[0],
                first.element,
                "scratch",
                user,
                lanes=first.lanes,
            )
            for shard in shards:
                if shard.lo % first.lanes:
                    raise unsupported(
                        user, "shards not aligned to whole vectors cannot be gathered"
                    )
                rows = np.arange(whole.rows, dtype=np.int64)[:, None]
                j = np.arange(shard.placed.per_row, dtype=np.int64)[None, :]
                src = (rows * shard.placed.per_row + j).reshape(-1)
                dst = (rows * whole.per_row + shard.lo // first.lanes + j).reshape(-1)
                if shard.chip == here:
                    self.copy_vectors(shard.placed, src, whole, dst, user)
                else:
                    self.transfer(shard.placed, shard.chip, src, whole, dst, user)
            self.values[value] = whole
            return whole
        owner = next((c for c, vs in self.placed.items() if value in vs), None)
        if owner is None:
            return None
        src = self.placed[owner][value]
        copy = self.chip.tensor(
            src.shape, src.element, "scratch", user, lanes=src.lanes, splat=src.splat
        )
        every = np.arange(src.vectors, dtype=np.int64)
        self.transfer(src, owner, every, copy, every, user)
        self.values[value] = copy
        return copy

    def masked(
        self, v: SSAValue, lanes: int, element: str, n: int, op: Operation
    ) -> SSAValue:
        """v with lanes `lanes..` zeroed (padding lanes of scratch tensors hold
        whatever the op computed there; the MXM and reductions must not see it)."""
        mask = self.chip.constant_vector(
            (np.arange(self.spec.lanes) < lanes).astype(np.int32), "i32", op
        )
        zero = self.chip.constant_vector(
            np.zeros(self.spec.lanes, dtype=numerics.carrier(element)), element, op
        )
        constant = Operand(mask, np.zeros(n, dtype=np.int64))
        m = self.read(constant, 0, n, op)
        z = self.read(Operand(zero, constant.indices), 0, n, op)
        return self.vxm(lpu.SelectOp, [m, v, z], element, n, op)

    def relayout(self, placed: Placed, lanes: int, op: Operation) -> Placed:
        """The same value with `lanes` elements per vector, from a layout with
        twice as many: each vector's low half (masked) and its high half (shifted
        south by `lanes` on an SXM) become two vectors. Cached per value."""
        if placed.lanes == lanes or placed.splat:
            return placed
        key = (placed.name, lanes)
        if key in self.relayouts:
            return self.relayouts[key]
        if placed.lanes * 2 == lanes:
            target = self.widen(placed, lanes, op)
            self.relayouts[key] = target
            return target
        if placed.lanes != 2 * lanes:
            raise unsupported(
                op, f"relayout from {placed.lanes} to {lanes} elements per vector"
            )
        target = self.chip.tensor(
            placed.shape, placed.element, "scratch", op, lanes=lanes
        )
        rows = np.arange(placed.rows, dtype=np.int64)
        for j in range(placed.per_row):
            source = Operand(placed, rows * placed.per_row + j)
            for half in (0, 1):
                if 2 * j + half >= target.per_row:
                    continue
                dest = Operand(target, rows * target.per_row + 2 * j + half)
                for a, b in self.runs([source, dest]):
                    v = self.read(source, a, b - a, op)
                    if half:
                        shift = lpu.ShiftOp.create(
                            operands=[v],
                            properties={
                                "direction": StringAttr("south"),
                                "amount": IntAttr(lanes),
                            },
                            result_types=[v.type],
                        )
                        v = self.chip.emit(shift, op).results[0]
                    else:
                        v = self.masked(v, lanes, placed.element, b - a, op)
                    self.write(v, target, int(dest.indices[a]), target.per_row, op)
        self.relayouts[key] = target
        return target

    def widen(self, placed: Placed, lanes: int, op: Operation) -> Placed:
        """The inverse of the split above: vectors 2j and 2j+1 of a row become
        vector j, the second shifted north by half the lanes (in its own group,
        as both come from one slice) and selected lane by lane (exact, also
        for -0)."""
        half = placed.lanes
        target = self.chip.tensor(
            placed.shape, placed.element, "scratch", op, lanes=lanes
        )
        mask = self.chip.constant_vector(
            (np.arange(self.spec.lanes) < half).astype(np.int32), "i32", op
        )
        upper = self.chip.tensor(
            (placed.rows, target.per_row * self.spec.lanes),
            placed.element,
            "scratch",
            op,
        )
        rows = np.arange(placed.rows, dtype=np.int64)
        for j in range(target.per_row):
            low = Operand(placed, rows * placed.per_row + 2 * j)
            high = Operand(placed, rows * placed.per_row + 2 * j + 1)
            dest = Operand(target, rows * target.per_row + j)
            staged = Operand(upper, rows * target.per_row + j)
            has_high = 2 * j + 1 < placed.per_row
            for a, b in self.runs([low, high, dest, staged]):
                n = b - a
                if has_high:
                    shift = lpu.ShiftOp.create(
                        operands=[self.read(high, a, n, op)],
                        properties={
                            "direction": StringAttr("north"),
                            "amount": IntAttr(half),
                        },
                        result_types=[VectorType(placed.element, n)],
                    )
                    moved = self.chip.emit(shift, op).results[0]
                    self.write(moved, upper, int(staged.indices[a]), target.per_row, op)
                    second = self.read(staged, a, n, op)
                    m = self.read(Operand(mask, np.zeros(n, dtype=np.int64)), 0, n, op)
                    v = self.vxm(
                        lpu.SelectOp,
                        [m, self.read(low, a, n, op), second],
                        placed.element,
                        n,
                        op,
                    )
                else:
                    v = self.masked(
                        self.read(low, a, n, op), half, placed.element, n, op
                    )
                self.write(v, target, int(dest.indices[a]), target.per_row, op)
        return target

    def get(self, value: SSAValue, user: Operation, *, splat: bool = False) -> Placed:
        """Where a value lives; constants are placed on first use (so zero
        points and other operands the LPU ignores take no SRAM), directly as a
        splat when the user broadcasts them along the last axis."""
        if self.windowed(value):
            return self.get_shard(value, user)
        if value in self.values:
            return self.values[value]
        if value in self.constants and splat:
            const = self.constants[value]
            values = const.properties.get("values") or const.properties.get("value")
            assert isinstance(values, DenseIntOrFPElementsAttr)
            shape, element = tensor_shape_and_element(value.type)
            placed = self.splat_constant(values, shape or (1,), element, const)
            self.values[value] = placed
            return placed
        if value in self.constants:
            const = self.constants[value]
            return self.place_new(
                value,
                const,
                "weight",
                value=const.properties.get("values") or const.properties.get("value"),
                prefix="c",
            )
        if value in self.fn.args:
            kind, arg = self.argument(value)
            return self.place_new(value, self.fn, kind, arg=arg, prefix="in")
        fetched = self.fetch(value, user)
        if fetched is None:
            raise unsupported(
                user,
                f"operand {value} has no SRAM placement (produced by an op lpu-vectorize does not lower)",
            )
        return fetched

    def argument(self, value: SSAValue) -> tuple[str, int | None]:
        """How a function argument is held: a resident weight (marked
        `{lpu.weight}`: SRAM that holds it before the program starts, no value,
        as in a timing study) or the program's input, numbered among the
        arguments that are not weights."""
        args = list(self.fn.args)
        weights = _weight_args(self.fn)
        if args.index(value) in weights:
            return "weight", None
        return "input", sum(1 for i in range(args.index(value)) if i not in weights)

    def get_shard(self, value: SSAValue, user: Operation) -> Placed:
        """The current window's columns of a value on this chip: its shard, or
        a slice of a constant, or a shard (`cols`) of a program input."""
        window = self.window
        assert window is not None
        key = (value, window.lo)
        if key in self.window_cache[self.current]:
            return self.window_cache[self.current][key]
        shape, element = tensor_shape_and_element(value.type)
        sub = (*shape[:-1], window.hi - window.lo)
        if value in self.shards:
            found = next(
                (
                    sh.placed
                    for sh in self.shards[value]
                    if (sh.chip, sh.lo, sh.hi) == (self.current, window.lo, window.hi)
                ),
                None,
            )
            if found is None:
                raise unsupported(user, f"operand {value} is sharded differently")
            return found
        if value in self.constants:
            const = self.constants[value]
            full = _constant_array(const, value)
            placed = self.chip.tensor(
                sub,
                element,
                "weight",
                const,
                value=_dense(full[..., window.lo : window.hi], element),
                lanes=self.lanes_wanted.get(value),
                prefix="c",
            )
        elif value in self.fn.args:
            kind, arg = self.argument(value)
            placed = self.chip.tensor(
                sub,
                element,
                kind,
                self.fn,
                arg=arg,
                cols=window.lo if arg is not None else None,
                lanes=self.lanes_wanted.get(value),
                prefix="in",
            )
        else:
            raise unsupported(user, f"operand {value} is not sharded")
        self.window_cache[self.current][key] = placed
        return placed

    # ------------------------------------------------------------ instructions

    def runs(
        self, operands: Sequence[Operand], limit: int | None = None
    ) -> list[tuple[int, int]]:
        """Runs over the operands' index sequences (see `_runs`), each inside one
        slice group of every tensor: a tensor too big for a slice continues in
        the next group at a multiple of `sram_addresses` (lpu-allocate-sram
        starts such tensors at address 0)."""
        size = self.spec.sram_addresses
        return _runs(
            [o.indices for o in operands], [o.indices // size for o in operands], limit
        )

    def read(
        self, operand: Operand, start: int, count: int, loc: Operation
    ) -> SSAValue:
        idx = operand.indices[start : start + count]
        step = int(idx[1] - idx[0]) if count > 1 else 1
        props: dict[str, Attribute] = {
            "tensor": SymbolRefAttr(operand.placed.name),
            "index": IntAttr(int(idx[0])),
        }
        if step != 1:
            props["step"] = IntAttr(step)
        op = lpu.ReadOp.create(
            properties=props, result_types=[VectorType(operand.placed.element, count)]
        )
        return self.chip.emit(op, loc).results[0]

    def write(
        self, value: SSAValue, placed: Placed, index: int, step: int, loc: Operation
    ) -> None:
        props: dict[str, Attribute] = {
            "tensor": SymbolRefAttr(placed.name),
            "index": IntAttr(index),
        }
        if step != 1:
            props["step"] = IntAttr(step)
        self.chip.emit(lpu.WriteOp.create(operands=[value], properties=props), loc)

    def vxm(
        self,
        cls: type[lpu.VxmOp],
        operands: Sequence[SSAValue],
        element: str,
        count: int,
        loc: Operation,
        **props: Attribute,
    ) -> SSAValue:
        op = cls.create(
            operands=list(operands),
            properties=dict(props),
            result_types=[VectorType(element, count)],
        )
        return self.chip.emit(op, loc).results[0]

    def rotate(self, value: SSAValue, amount: int, loc: Operation) -> SSAValue:
        op = lpu.RotateOp.create(
            operands=[value],
            properties={"amount": IntAttr(amount % self.spec.lanes)},
            result_types=[value.type],
        )
        return self.chip.emit(op, loc).results[0]

    # -------------------------------------------------------------- elementwise

    def operand_indices(
        self, placed: Placed, out_shape: tuple[int, ...], out_lanes: int
    ) -> np.ndarray:
        """For each output vector, the operand vector it needs (TOSA broadcast)."""
        out_rows = math.prod(out_shape[:-1]) if len(out_shape) > 1 else 1
        out_per_row = -(-out_shape[-1] // out_lanes)
        lead = [d for d in out_shape[:-1]]
        in_lead = (
            list(placed.shape[:-1])
            if len(placed.shape) == len(out_shape)
            else [1] * len(lead)
        )
        grid = (
            np.indices(lead, dtype=np.int64).reshape(len(lead), -1)
            if lead
            else np.zeros((0, 1), dtype=np.int64)
        )
        src_row = np.zeros(out_rows, dtype=np.int64)
        for axis, d in enumerate(in_lead):
            src_row = src_row * d + (grid[axis] if d != 1 else 0)
        j = np.arange(out_per_row, dtype=np.int64)
        if placed.splat or (placed.cols == 1 and out_shape[-1] != 1):
            if not placed.splat:
                raise LpuError("internal: last-axis broadcast of a non-splat operand")
            return np.repeat(src_row, out_per_row)
        if placed.lanes != out_lanes:
            raise LpuError("internal: operands of different row layouts")
        return (src_row[:, None] * placed.per_row + j[None, :]).reshape(-1)

    def ensure_splat(self, placed: Placed, op: Operation) -> Placed:
        """A value of shape [..., 1] as a splat (see Placed); a constant's splat
        is a constant too."""
        if placed.splat:
            return placed
        if placed.tensor.value is None:
            return self.splat_lane0(placed, op)
        return self.splat_constant(
            placed.tensor.value, placed.shape, placed.element, op
        )

    def splat_constant(
        self,
        values: DenseIntOrFPElementsAttr,
        shape: tuple[int, ...],
        element: str,
        loc: Operation,
    ) -> Placed:
        """A weight tensor holding a [..., 1] constant as a splat: each row's
        value in every lane."""
        rows = math.prod(shape[:-1]) if len(shape) > 1 else 1
        column = np.broadcast_to(
            np.array(values.get_values(), dtype=numerics.carrier(element)).reshape(
                -1, 1
            ),
            (rows, 1),
        )
        lanes = np.repeat(column, self.spec.lanes, axis=1).reshape(
            *shape[:-1], self.spec.lanes
        )
        return self.chip.tensor(
            shape,
            element,
            "weight",
            loc,
            value=_dense(lanes, element),
            splat=True,
            prefix="c",
        )

    def elementwise(
        self,
        op: Operation,
        cls: type[lpu.VxmOp],
        inputs: Sequence[SSAValue],
        out: SSAValue,
        *,
        element: str | None = None,
        **props: Attribute,
    ) -> Placed:
        shape, out_element = self.shape_of(out), tensor_shape_and_element(out.type)[1]
        shape = shape or (1,)
        placed_in = [
            self.get(v, op, splat=_broadcasts_last_axis(v, shape)) for v in inputs
        ]
        for p in placed_in:
            _check_vxm_type(op, p.element)
        placed_in = [
            self.ensure_splat(p, op) if p.shape[-1:] == (1,) and shape[-1] != 1 else p
            for p in placed_in
        ]
        if shape[-1] == 1 and any(p.splat for p in placed_in):
            # an op on per-row values stays a splat: no lane is special
            placed_in = [self.ensure_splat(p, op) for p in placed_in]
            result = self.chip.tensor(
                shape, out_element, "scratch", op, splat=True, prefix="v"
            )
            self.values[out] = result
        else:
            result = self.place_new(out, op)
        return self.elementwise_into(
            op, cls, placed_in, result, element or out_element, **props
        )

    def elementwise_into(
        self,
        op: Operation,
        cls: type[lpu.VxmOp],
        placed_in: Sequence[Placed],
        result: Placed,
        element: str,
        **props: Attribute,
    ) -> Placed:
        placed_in = [self.relayout(p, result.lanes, op) for p in placed_in]
        operands = [
            Operand(p, self.operand_indices(p, result.shape, result.lanes))
            for p in placed_in
        ]
        return self.vector_map(op, cls, operands, result, element, **props)

    def vector_map(
        self,
        op: Operation,
        cls: type[lpu.VxmOp],
        operands: Sequence[Operand],
        result: Placed,
        element: str,
        **props: Attribute,
    ) -> Placed:
        """result vector v = cls(operand vectors indices[v]), in groups over
        runs of constant steps (one read per distinct operand sequence)."""
        out = Operand(result, np.arange(result.vectors, dtype=np.int64))
        operands = self.distinct_tensors(operands, op)
        for a, b in self.runs([out, *operands]):
            values: list[SSAValue] = []
            seen: dict[tuple[str, bytes], SSAValue] = {}
            for o in operands:
                key = (o.placed.name, o.indices[a:b].tobytes())
                if key not in seen:
                    seen[key] = self.read(o, a, b - a, op)
                values.append(seen[key])
            v = self.vxm(cls, values, element, b - a, op, **props)
            self.write(v, result, a, 1, op)
        return result

    def distinct_tensors(
        self, operands: Sequence[Operand], op: Operation
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
            copy = self.chip.tensor(
                p.shape, p.element, "scratch", op, lanes=p.lanes, splat=p.splat
            )
            every = np.arange(p.vectors, dtype=np.int64)
            self.copy_vectors(p, every, copy, every, op)
            out.append(Operand(copy, o.indices))
        return out

    # --------------------------------------------------------------- splats

    def splat_lane0(self, placed: Placed, op: Operation) -> Placed:
        """[..., 1] tensor (value in lane 0 of each row's vector) to a splat."""
        if placed.per_row != 1:
            raise unsupported(
                op, "broadcast of a row longer than one vector along the last axis"
            )
        splat = self.chip.tensor(
            placed.shape, placed.element, "scratch", op, splat=True
        )
        self.lane_pipeline(op, placed, splat, [])
        return splat

    def lane_pipeline(
        self, op: Operation, source: Placed, target: Placed, stages: list[Stage]
    ) -> None:
        """Run each row's vector through `stages`, then keep lane 0 and broadcast
        it to every lane (max-doubling over rotations), writing one splat vector
        per row. Bursts of at most MAX_TREE_BURST rows, one group each."""
        element, lanes = source.element, self.spec.lanes
        mask = self.chip.constant_vector(
            (np.arange(lanes) == 0).astype(np.int32), "i32", op
        )
        filler = self.chip.constant_vector(
            np.full(lanes, _lowest(element), dtype=numerics.carrier(element)),
            element,
            op,
        )
        doubling = [
            Stage(lpu.MaxOp, 1 << k, "tree", backwards=True)
            for k in range(max(1, (lanes - 1).bit_length()))
        ]
        rows = Operand(source, np.arange(source.rows, dtype=np.int64) * source.per_row)
        dest = Operand(target, np.arange(source.rows, dtype=np.int64))
        constant = np.zeros(source.rows, dtype=np.int64)
        for first, end in self.runs([rows, dest], MAX_TREE_BURST):
            n = end - first
            v = self._stages(op, self.read(rows, first, n, op), stages, element, n)
            m = self.read(Operand(mask, constant), first, n, op)
            f = self.read(Operand(filler, constant), first, n, op)
            v = self.vxm(lpu.SelectOp, [m, v, f], element, n, op)
            self.write(self._stages(op, v, doubling, element, n), target, first, 1, op)

    def _stages(
        self, op: Operation, v: SSAValue, stages: Sequence[Stage], element: str, n: int
    ) -> SSAValue:
        """Each stage combines a value with a rotation of it (tree) or of the
        stage's other operand (seq). Both operands reach an SXM, the unrotated
        one to rotate by 0, so the two arrive back at the VXM in one cycle; a
        VXM result goes to one stream, so each stage computes on two ALUs, one
        result for each SXM."""
        if not stages:
            return v
        pair = (
            self.vxm(lpu.CopyOp, [v], element, n, op),
            self.vxm(lpu.CopyOp, [v], element, n, op),
        )
        for i, stage in enumerate(stages):
            west = self.rotate(pair[0], 0, op)
            east = self.rotate(
                pair[1], stage.offset if stage.backwards else -stage.offset, op
            )
            combined = self.vxm(stage.combine, [west, east], element, n, op)
            if i == len(stages) - 1:
                return combined
            # the next stage's second operand: this result again, or (within the
            # left-to-right pass) the source rotated one lane further
            keep_sequence = stage.mode == "seq" and stages[i + 1].mode == "seq"
            other = (
                self.vxm(lpu.CopyOp, [east], element, n, op)
                if keep_sequence
                else self.vxm(stage.combine, [west, east], element, n, op)
            )
            pair = (combined, other)
        raise AssertionError("unreachable")

    # -------------------------------------------------------------- reductions

    def reduce_last(self, op: Operation, kind: str) -> None:
        """Reduce along the last axis in the numerics spec's order (module
        docstring); the result is a splat."""
        src = self.get(op.operands[0], op)
        out = op.results[0]
        _check_vxm_type(op, src.element)
        shape = tensor_shape_and_element(out.type)[0]
        combine, spec = _COMBINE[kind], self.spec
        rows = Operand(src, np.arange(src.rows, dtype=np.int64) * src.per_row)
        constant = np.zeros(src.rows, dtype=np.int64)
        valid = src.cols - (src.per_row - 1) * src.lanes
        fill = self.chip.constant_vector(
            np.full(
                spec.lanes,
                _identity(kind, src.element),
                dtype=numerics.carrier(src.element),
            ),
            src.element,
            op,
        )

        def chunk(j: int, a: int, n: int) -> SSAValue:
            """Vector j of rows a..a+n-1; padding lanes hold the identity."""
            v = self.read(Operand(src, rows.indices + j), a, n, op)
            lanes = valid if j == src.per_row - 1 else src.lanes
            if lanes == spec.lanes:
                return v
            mask = self.chip.constant_vector(
                (np.arange(spec.lanes) < lanes).astype(np.int32), "i32", op
            )
            m = self.read(Operand(mask, constant), a, n, op)
            f = self.read(Operand(fill, constant), a, n, op)
            return self.vxm(lpu.SelectOp, [m, v, f], src.element, n, op)

        acc = src
        if src.per_row > 1 or valid < spec.lanes:
            acc = self.chip.tensor((src.rows, spec.lanes), src.element, "scratch", op)
            own = Operand(acc, np.arange(src.rows, dtype=np.int64))
            for j in range(src.per_row):
                for a, b in self.runs([own, Operand(src, rows.indices + j)]):
                    v = chunk(j, a, b - a)
                    v = (
                        self.vxm(
                            combine,
                            [self.read(own, a, b - a, op), v],
                            src.element,
                            b - a,
                            op,
                        )
                        if j
                        else self.vxm(lpu.CopyOp, [v], src.element, b - a, op)
                    )
                    self.write(v, acc, a, 1, op)
        stages, width = [], spec.lanes
        while width % 2 == 0:
            width //= 2
            stages.append(Stage(combine, width, "tree"))
        stages += [Stage(combine, 1, "seq") for _ in range(width - 1)]
        target = self.chip.tensor(
            (*shape[:-1], 1), src.element, "scratch", op, splat=True, prefix="v"
        )
        self.values[out] = target
        self.lane_pipeline(op, acc, target, stages)

    def reduce_axis(self, op: Operation, kind: str, axis: int) -> None:
        """Reduce along a leading axis: sequentially in index order (numerics.md),
        one elementwise step per index, accumulating in a scratch tensor."""
        src = self.get(op.operands[0], op)
        out = op.results[0]
        _check_vxm_type(op, src.element)
        shape = tensor_shape_and_element(out.type)[0]
        lead = list(src.shape[:-1])
        out_lead = [1 if k == axis else d for k, d in enumerate(lead)]
        grid = np.indices(out_lead, dtype=np.int64).reshape(len(out_lead), -1)
        strides = np.array(
            [math.prod(lead[k + 1 :]) for k in range(len(lead))], dtype=np.int64
        )
        j = np.arange(src.per_row, dtype=np.int64)

        def slice_indices(i: int) -> np.ndarray:
            rows = (grid * strides[:, None]).sum(axis=0) + i * strides[axis]
            return (rows[:, None] * src.per_row + j[None, :]).reshape(-1)

        acc = self.chip.tensor(
            shape,
            src.element,
            "scratch",
            op,
            lanes=src.lanes,
            splat=src.splat,
            prefix="v",
        )
        self.values[out] = acc
        self.vector_map(
            op, lpu.CopyOp, [Operand(src, slice_indices(0))], acc, src.element
        )
        own = Operand(acc, np.arange(acc.vectors, dtype=np.int64))
        for i in range(1, lead[axis]):
            self.vector_map(
                op,
                _COMBINE[kind],
                [own, Operand(src, slice_indices(i))],
                acc,
                src.element,
            )

    # ----------------------------------------------------------------- matmul

    def matmul(self, op: tosa.MatMulOp) -> None:
        chips = _chips_of(op)
        split = op.attributes.get("lpu.split")
        mode = split.data if isinstance(split, StringAttr) else None
        resident = op.b in self.constants or (
            op.b in self.fn.args and self.argument(op.b)[0] == "weight"
        )
        if mode == "rows" and op.a in self.shards and resident:
            self.matmul_rows(op)
        elif (
            mode == "cols"
            and (op.b in self.constants or op.b in self.fn.args)
            and len(chips) > 1
        ):
            self.matmul_cols(op, chips)
        else:
            self.on(chips[0])
            self.mxm(
                op,
                self.get(op.a, op),
                self.right_hand_side(op.b, op),
                self.place_new(op.output, op, lanes=self.spec.lanes),
            )

    def right_hand_side(self, value: SSAValue, op: Operation) -> Placed | RowChunks:
        """A matmul's right-hand side on this chip: as row chunks (cached) if
        it is resident and only ever a matmul's right-hand side, else where
        `get` puts it (one layout serves every other user)."""
        element = tensor_shape_and_element(value.type)[1]
        resident = value in self.constants or (
            value in self.fn.args and self.argument(value)[0] == "weight"
        )
        only_rhs = all(
            isinstance(u.operation, tosa.MatMulOp) and u.index == 1 for u in value.uses
        )
        if not (resident and only_rhs and element in ACCUMULATOR):
            return self.get(value, op)
        cache = self.chunk_cache[self.current]
        if value not in cache:
            cache[value] = self.row_chunks(value)
        return cache[value]

    def row_chunks(self, value: SSAValue) -> RowChunks:
        """Weight tensors holding a resident [B, K, N] as row chunks (a
        constant's values split accordingly; chunk rows past a short block
        hold zeros, never read)."""
        shape, element = tensor_shape_and_element(value.type)
        batch, k, n = shape
        kb = self.spec.mxm_k(element)
        tile_rows = min(k, kb)
        count = max(
            1,
            min(INSTALL_CHUNKS, self.spec.mxm_install_rows_per_cycle // 2, tile_rows),
        )
        rows = -(-tile_rows // count)
        blocks = -(-k // kb)
        last = k - (blocks - 1) * kb
        const = self.constants.get(value)
        full = _constant_array(const, value) if const is not None else None
        offset = np.arange(k) % kb
        chunk_of = offset // rows
        at = np.arange(k) // kb * rows + offset % rows
        parts = []
        for q in range(-(-tile_rows // rows)):
            extent = (blocks - 1) * rows + min(rows, max(0, last - q * rows))
            held: Attribute | None = None
            if full is not None:
                part = np.zeros((batch, extent, n), full.dtype)
                part[:, at[chunk_of == q]] = full[:, chunk_of == q]
                held = _dense(part, element)
            parts.append(
                self.chip.tensor(
                    (batch, extent, n),
                    element,
                    "weight",
                    self.fn if const is None else const,
                    value=held,
                    prefix="c",
                )
            )
        return RowChunks(tuple(parts), rows, shape)

    def matmul_cols(self, op: tosa.MatMulOp, chips: Sequence[int]) -> None:
        """Tensor parallel by columns: each chip multiplies the whole left-hand
        side by its columns of the (constant) right-hand side; the result stays
        sharded by columns (no reduction, so no change of numerics)."""
        n = tensor_shape_and_element(op.b.type)[0][2]
        tiles = -(-n // self.spec.lanes)
        used = chips[: min(len(chips), tiles)]
        for i, chip in enumerate(used):
            lo = tiles * i // len(used) * self.spec.lanes
            hi = min(n, tiles * (i + 1) // len(used) * self.spec.lanes)
            self.on(chip)
            a = self.get(op.a, op)
            self.window = Window(lo, hi, n)
            try:
                b = self.get(op.b, op)
                c = self.place_new(op.output, op, lanes=self.spec.lanes)
            finally:
                self.window = None
            self.mxm(op, a, b, c)

    def matmul_rows(self, op: tosa.MatMulOp) -> None:
        """Tensor parallel by rows: the left-hand side is sharded by columns (K);
        each chip multiplies its shard by its rows of the right-hand side, and
        the partial sums travel down the chain of chips in K order, each chip
        adding its K-blocks one by one: exactly the numerics' in-order block
        sum, so the result is bit-identical to one chip's (it ends whole on
        the last chip)."""
        (batch, m, _), element = tensor_shape_and_element(op.a.type)
        n = tensor_shape_and_element(op.b.type)[0][2]
        out_element = tensor_shape_and_element(op.output.type)[1]
        kb = self.spec.mxm_k(element) if element in ACCUMULATOR else 1
        shards = sorted(self.shards[op.a], key=lambda sh: sh.lo)
        if any(sh.lo % kb for sh in shards):
            raise unsupported(op, f"K shards must start at multiples of {kb}")
        partial: Placed | None = None
        partial_chip = shards[0].chip
        for shard in shards:
            self.on(shard.chip)
            b = self.get_rows(op.b, shard.lo, shard.hi, op)
            out = (batch, m, n)
            if partial is None:
                partial = self.chip.tensor(out, out_element, "scratch", op)
                self.mxm(op, shard.placed, b, partial)
            else:
                acc = self.chip.tensor(out, out_element, "scratch", op)
                every = np.arange(acc.vectors, dtype=np.int64)
                self.transfer(partial, partial_chip, every, acc, every, op)
                for kbi in range(-(-(shard.hi - shard.lo) // kb)):
                    block = self.chip.tensor(out, out_element, "scratch", op)
                    self.mxm(op, shard.placed, b, block, blocks=range(kbi, kbi + 1))
                    total = self.chip.tensor(out, out_element, "scratch", op)
                    acc = self.elementwise_into(
                        op, lpu.AddOp, [acc, block], total, out_element
                    )
                partial = acc
            partial_chip = shard.chip
        assert partial is not None
        self.values[op.output] = partial

    def get_rows(self, value: SSAValue, lo: int, hi: int, user: Operation) -> Placed:
        """Rows lo..hi-1 (the K axis) of a resident right-hand side."""
        shape, element = tensor_shape_and_element(value.type)
        if value not in self.constants:  # a weight argument: no value
            part_shape = (*shape[:-2], hi - lo, shape[-1])
            return self.chip.tensor(part_shape, element, "weight", user, prefix="c")
        const = self.constants[value]
        part = _constant_array(const, value)[..., lo:hi, :]
        return self.chip.tensor(
            part.shape,
            element,
            "weight",
            const,
            value=_dense(part, element),
            prefix="c",
        )

    def mxm(
        self,
        op: tosa.MatMulOp,
        a: Placed,
        b: Placed | RowChunks,
        c: Placed,
        blocks: range | None = None,
    ) -> None:
        """c = a x b on the MXM (per batch, output tile and K-block); `blocks`:
        only these K-blocks (default: all, accumulated in order). A tile's rows
        come from b's row chunks side by side, or from b alone if it is one
        tensor (one chunk of K rows)."""
        batch, m, k = a.shape
        n = b.shape[2]
        element = a.element
        out_element = c.element
        if element not in ACCUMULATOR:
            raise unsupported(op, f"the MXM multiplies i8, f16 and bf16, not {element}")
        if out_element != ACCUMULATOR[element]:
            raise unsupported(
                op,
                f"{element} x {element} -> {out_element}: the MXM accumulates {element} in {ACCUMULATOR[element]}",
            )
        kb = self.spec.mxm_k(element)
        chunks, per = (b.parts, b.rows) if isinstance(b, RowChunks) else ((b,), kb)
        a = self.relayout(a, kb, op)
        tiles = -(-n // self.spec.lanes)
        blocks = blocks if blocks is not None else range(-(-k // kb))
        size = self.spec.sram_addresses
        wtype = WeightsType(ELEMENT_TYPES[element])
        for bi in range(batch):
            rows_m = bi * m + np.arange(m, dtype=np.int64)
            # row chunks that keep every x vector and every result vector of a
            # chunk in one slice group (a burst works on one group)
            groups = np.stack(
                [(rows_m * a.per_row + kbi) // size for kbi in blocks]
                + [(rows_m * c.per_row + j) // size for j in range(tiles)]
            )
            cuts = [
                0,
                *(np.flatnonzero(np.any(groups[:, 1:] != groups[:, :-1], axis=0)) + 1),
                m,
            ]
            for j in range(tiles):
                for lo, hi in itertools.pairwise(cuts):
                    acc: SSAValue | None = None
                    for kbi in blocks:
                        rows = min(kb, k - kbi * kb)
                        parts = []
                        for q, chunk in enumerate(chunks):
                            here = min(per, rows - q * per)
                            if here <= 0:
                                break
                            w_rows = Operand(
                                chunk,
                                (
                                    bi * chunk.shape[1]
                                    + kbi * per
                                    + np.arange(here, dtype=np.int64)
                                )
                                * chunk.per_row
                                + j,
                            )
                            parts += [
                                self.read(w_rows, p, e - p, op)
                                for p, e in self.runs([w_rows])
                            ]
                        weights = self.chip.emit(
                            lpu.InstallOp.create(operands=parts, result_types=[wtype]),
                            op,
                        ).results[0]
                        x = self.read(
                            Operand(a, rows_m * a.per_row + kbi), lo, hi - lo, op
                        )
                        if rows < kb:
                            x = self.masked(x, rows, element, hi - lo, op)
                        operands = [weights, x] + ([acc] if acc is not None else [])
                        acc = self.chip.emit(
                            lpu.MatmulOp.create(
                                operands=operands,
                                result_types=[VectorType(out_element, hi - lo)],
                            ),
                            op,
                        ).results[0]
                    assert acc is not None
                    self.write(acc, c, int(rows_m[lo]) * c.per_row + j, c.per_row, op)

    # ------------------------------------------------------------------ driver

    def run(self) -> list[lpu.ChipOp]:
        """The chips' programs. On one chip every input is placed first; on
        several, each chip declares the inputs (or input shards) it uses, and
        an input nobody uses is declared on chip 0."""
        fn = self.fn
        ops = [op for op in fn.body.walk() if op is not fn]
        many = any(_chips_of(op) != [0] for op in ops)
        inputs = [a for i, a in enumerate(fn.args) if i not in _weight_args(fn)]
        for arg in inputs:
            if not many:
                self.get(arg, fn)
        for op in progress.track(ops, "lpu-vectorize", "ops"):
            self.on(_chips_of(op)[0])
            self.lower(op)
        used = {v for vs in self.placed.values() for v in vs} | {
            value for cache in self.window_cache.values() for value, _ in cache
        }
        for arg in inputs:
            if arg not in used:
                self.on(0)
                self.get(arg, fn)
        return [
            lpu.ChipOp(c, [*p.tensors, *p.body])
            for c, p in sorted(self.programs.items())
            if p.tensors or p.body
        ]

    def sharded_elementwise(self, op: Operation) -> bool:
        """Lower an elementwise op shard by shard where its operand is sharded
        and every other operand is too (alike), or a constant, a program input,
        or broadcast along the last axis; False if it cannot be."""
        out = op.results[0]
        shape = tensor_shape_and_element(out.type)[0]
        sharded = [v for v in op.operands if v in self.shards]
        if not sharded or not shape:
            return False
        layout = [(sh.chip, sh.lo, sh.hi) for sh in self.shards[sharded[0]]]
        for v in op.operands:
            vshape = tensor_shape_and_element(v.type)[0]
            if v in self.shards:
                if [(sh.chip, sh.lo, sh.hi) for sh in self.shards[v]] != layout:
                    return False
            elif (
                vshape[-1:] == shape[-1:]
                and v not in self.constants
                and v not in self.fn.args
            ):
                return False
        for chip, lo, hi in layout:
            self.on(chip)
            self.window = Window(lo, hi, shape[-1])
            try:
                self.lower_elementwise(op)
            finally:
                self.window = None
        return True

    def lower_elementwise(self, op: Operation) -> None:
        if isinstance(op, tosa.CastOp):
            self.elementwise(op, lpu.ConvertOp, [op.input], op.output)
        else:
            cls, operand_count = _ELEMENTWISE[type(op)]
            self.elementwise(op, cls, op.operands[:operand_count], op.results[0])

    def lower(self, op: Operation) -> None:
        if is_elementwise(op):
            if not self.sharded_elementwise(op):
                self.lower_elementwise(op)
        elif isinstance(op, func.ReturnOp):
            self.outputs(op)
        elif isinstance(op, tosa.ConstOp | arith.ConstantOp):
            self.constants[op.results[0]] = op
        elif isinstance(op, tosa.ConstShapeOp):
            return
        elif isinstance(op, tosa.ReshapeOp):
            self.reshape(op)
        elif isinstance(op, tosa.TransposeOp):
            self.transpose(op)
        elif isinstance(op, tosa.MatMulOp):
            self.matmul(op)
        elif isinstance(op, tosa.ReduceSumOp | tosa.ReduceMaxOp | tosa.ReduceMinOp):
            axis = op.axis.value.data
            rank = len(tensor_shape_and_element(op.input.type)[0])
            if axis == rank - 1:
                self.reduce_last(op, _REDUCTION[type(op)])
            else:
                self.reduce_axis(op, _REDUCTION[type(op)], axis)
        else:
            raise unsupported(op, f"'{op.name}' is not lowered to the LPU yet")

    def transpose(self, op: tosa.TransposeOp) -> None:
        """Swap the last two axes of [..., R, C] (R, C <= lanes), per leading
        index. The SXM transposes 16x16 blocks within each superlane; then the
        block of vector group g in superlane s must move to vector group s,
        superlane g: rotating every vector by 16d lanes (d = 0..19, one burst
        each) puts superlane g - d at g, and one gather per output vector picks,
        lane by lane, the rotation with d = g - s (docs/compiler.md)."""
        src = self.get(op.input1, op)
        perms = list(op.perms.get_values())
        rank = len(src.shape)
        if rank < 2 or perms != [*range(rank - 2), rank - 1, rank - 2]:
            raise unsupported(
                op,
                f"transpose with perms {perms} (only swapping the last two axes is lowered)",
            )
        spec = self.spec
        width = spec.lanes_per_superlane
        *lead, rows, cols = src.shape
        if rows > spec.lanes or cols > src.lanes or src.splat:
            raise unsupported(
                op,
                f"transpose of {rows}x{cols} blocks (at most {spec.lanes}x{src.lanes} per leading index yet)",
            )
        _check_vxm_type(op, src.element)
        padded = -(-rows // width) * width
        batches = math.prod(lead) if lead else 1
        out = self.place_new(op.output, op, lanes=spec.lanes)
        blocks = np.arange(padded, dtype=np.int64)
        # per-lane indices of the gather: output vector c = 16s + j, lane 16g + i
        c = np.arange(cols, dtype=np.int64)[:, None]
        lane = np.arange(spec.lanes, dtype=np.int64)[None, :]
        g, s, j = lane // width, c // width, c % width
        valid = g * width < padded
        index = np.where(
            valid, ((g - s) % spec.superlanes) * padded + g * width + j, 0
        ).astype(np.int32)
        indices = self.chip.tensor(
            (cols, spec.lanes),
            "i32",
            "weight",
            op,
            value=_dense(index, "i32"),
            prefix="c",
        )
        for b in range(batches):
            staged = self.chip.tensor((padded, spec.lanes), src.element, "scratch", op)
            rows_in = Operand(
                src, (b * rows + np.minimum(blocks, rows - 1)) * src.per_row
            )
            self.vector_map(op, lpu.CopyOp, [rows_in], staged, src.element)
            transposed = self.chip.tensor(
                (padded, spec.lanes), src.element, "scratch", op
            )
            flipped = lpu.TransposeOp.create(
                operands=[self.read(Operand(staged, blocks), 0, padded, op)],
                result_types=[VectorType(src.element, padded)],
            )
            self.write(self.chip.emit(flipped, op).results[0], transposed, 0, 1, op)
            rotations = self.chip.tensor(
                (spec.superlanes * padded, spec.lanes), src.element, "scratch", op
            )
            for d in range(spec.superlanes):
                v = self.rotate(
                    self.read(Operand(transposed, blocks), 0, padded, op), width * d, op
                )
                self.write(v, rotations, d * padded, 1, op)
            picks = self.read(
                Operand(indices, np.arange(cols, dtype=np.int64)), 0, cols, op
            )
            gather = lpu.GatherOp.create(
                operands=[picks],
                properties={"tensor": SymbolRefAttr(rotations.name)},
                result_types=[VectorType(src.element, cols)],
            )
            self.write(self.chip.emit(gather, op).results[0], out, b * cols, 1, op)

    def reshape(self, op: tosa.ReshapeOp) -> None:
        """A reshape that keeps the last axis keeps every vector where it is:
        the result shares the operand's tensor."""
        src = self.get(op.input1, op)
        shape = tensor_shape_and_element(op.output.type)[0] or (1,)
        if shape[-1] != src.shape[-1]:
            raise unsupported(
                op,
                f"reshape {src.shape} -> {shape} changes the last axis (only reshapes that keep it are lowered yet)",
            )
        self.values[op.output] = Placed(
            src.tensor, shape, src.element, src.lanes, src.splat
        )

    def outputs(self, ret: func.ReturnOp) -> None:
        for i, value in enumerate(ret.arguments):
            if value in self.shards:
                for shard in self.shards[value]:
                    self.on(shard.chip)
                    self.output(ret, i, shard.placed, shard.lo)
                continue
            owner = next((c for c, vs in self.placed.items() if value in vs), None)
            self.on(owner if owner is not None else self.current)
            self.output(ret, i, self.get(value, ret), None)

    def output(
        self, ret: func.ReturnOp, i: int, placed: Placed, cols: int | None
    ) -> None:
        """Make `placed` the program's output i (a shard of it from column
        `cols`): the tensor itself if it is scratch of the right shape, else a
        copy (a splat's lane 0 is the value: one vector per row either way)."""
        declared = tuple(placed.tensor.type.get_shape())
        if (
            not placed.splat
            and placed.tensor.kind.data == "scratch"
            and declared == placed.shape
        ):
            placed.tensor.kind = StringAttr("output")
            placed.tensor.arg = IntAttr(i)
            if cols is not None:
                placed.tensor.cols = IntAttr(cols)
            return
        out = self.chip.tensor(
            placed.shape,
            placed.element,
            "output",
            ret,
            arg=i,
            cols=cols,
            lanes=None if placed.splat else placed.lanes,
            prefix="out",
        )
        if placed.splat:
            rows = Operand(placed, np.arange(placed.rows, dtype=np.int64))
            self.vector_map(ret, lpu.CopyOp, [rows], out, placed.element)
        else:
            self.elementwise_into(ret, lpu.CopyOp, [placed], out, placed.element)


def _broadcasts_last_axis(value: SSAValue, out_shape: tuple[int, ...]) -> bool:
    shape = tensor_shape_and_element(value.type)[0] or (1,)
    return shape[-1] == 1 and out_shape[-1] != 1


def _constant_array(const: Operation, value: SSAValue) -> np.ndarray:
    """A constant op's value as an array of the numerics carrier (a splat
    broadcast to the shape)."""
    attr = const.properties.get("values") or const.properties.get("value")
    assert isinstance(attr, DenseIntOrFPElementsAttr)
    shape, element = tensor_shape_and_element(value.type)
    vals = np.array(attr.get_values(), dtype=numerics.carrier(element))
    return (
        vals.reshape(shape)
        if vals.size > 1
        else np.broadcast_to(vals.reshape(()), shape)
    )


def _weight_args(fn: func.FuncOp) -> set[int]:
    """Arguments marked `{lpu.weight}`."""
    attrs = fn.arg_attrs.data if fn.arg_attrs is not None else ()
    return {i for i, a in enumerate(attrs) if "lpu.weight" in a.data}


def _chips_of(op: Operation) -> list[int]:
    """The chips lpu-partition put an op on (`lpu.chips`), else chip 0."""
    attr = op.attributes.get("lpu.chips")
    if isinstance(attr, DenseArrayBase):
        return [int(c) for c in attr.get_values()] or [0]
    return [0]


def is_elementwise(op: Operation) -> bool:
    return type(op) in _ELEMENTWISE or isinstance(op, tosa.CastOp)


def _check_vxm_type(op: Operation, element: str) -> None:
    if element not in ("i16", "i32", "f16", "bf16", "f32"):
        raise unsupported(
            op, f"the VXM computes on 16- and 32-bit elements, not {element}"
        )


def _lowest(element: str) -> float | int:
    if numerics.is_float(element):
        return -math.inf
    return int(np.iinfo(numerics.carrier(element)).min)


def _identity(kind: str, element: str) -> float | int:
    if kind == "sum":
        return -0.0 if numerics.is_float(element) else 0  # -0 keeps a sum of -0s at -0
    if kind == "max":
        return _lowest(element)
    return (
        math.inf
        if numerics.is_float(element)
        else int(np.iinfo(numerics.carrier(element)).max)
    )


_COMBINE: dict[str, type[lpu.VxmOp]] = {
    "sum": lpu.AddOp,
    "max": lpu.MaxOp,
    "min": lpu.MinOp,
}

_REDUCTION: dict[type[Operation], str] = {
    tosa.ReduceSumOp: "sum",
    tosa.ReduceMaxOp: "max",
    tosa.ReduceMinOp: "min",
}

_ELEMENTWISE: dict[type[Operation], tuple[type[lpu.VxmOp], int]] = {
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
    tosa.ReciprocalOp: (lpu.ReciprocalOp, 1),
    tosa.AbsOp: (lpu.AbsOp, 1),
    tosa.NegateOp: (lpu.NegOp, 1),
    tosa.IdentityOp: (lpu.CopyOp, 1),
}


@dataclass(frozen=True)
class VectorizePass(ModulePass):
    """Lower the module's tensor-level function to an lpu.system (module docstring)."""

    name = "lpu-vectorize"

    system: str = "tsp-v1"
    """A system preset name, one with overrides (`node8 {chips_per_node = 4}`),
    or a whole `#lpu.system<...>` attribute's text."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        functions = [
            f for f in op.ops if isinstance(f, func.FuncOp) and not f.is_declaration
        ]
        if len(functions) != 1:
            raise LpuError(
                f"{module_location(op)}: error: lpu-vectorize lowers a module with one function; this one has {len(functions)}"
            )
        fn = functions[0]
        machine = lpu.SystemAttr.from_option(self.system)
        spec = machine.spec
        for o in fn.walk():
            bad = next((c for c in _chips_of(o) if not 0 <= c < spec.chips), None)
            if bad is not None:
                raise unsupported(
                    o, f"lpu.chips names chip {bad}, but the system has {spec.chips}"
                )
        chips = Vectorizer(fn, spec.chip).run()
        system = lpu.SystemOp(machine, chips)
        system.location = fn.location
        system.attributes[lpu.SOURCE_FUNCTION] = fn.sym_name
        op.body.block.insert_op_before(system, fn)
        fn.detach()
        fn.erase()
