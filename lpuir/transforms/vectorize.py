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
  rows stream through, accumulating K-blocks in order (numerics.md).
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
    DenseIntOrFPElementsAttr,
    IntAttr,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    TensorType,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass

from lpuir import numerics
from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu import ACCUMULATOR, ELEMENT_TYPES, VectorType, WeightsType
from lpuir.machine import ChipSpec
from lpuir.types import tensor_shape_and_element

MAX_TREE_BURST = 64
"""Rows per lane-reduction group: an SXM round trip (about 94 cycles on tsp-v1)
must outlast a burst so one stage's rotation is done before the next's."""


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
    constants: dict[tuple[str, str, bytes], Placed] = field(default_factory=dict)

    def tensor(
        self,
        shape: Sequence[int],
        element: str,
        kind: str,
        loc: Operation | None,
        *,
        arg: int | None = None,
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
        """A one-vector weight tensor (a mask or a fill), shared by content."""
        key = (element, "vec", values.tobytes())
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
    group a vector is in), of at most `limit` elements."""
    n = len(sequences[0]) if sequences else 0
    if n == 0:
        return []
    cut = np.zeros(n, dtype=bool)  # cut[i]: a run starts at i
    cut[0] = True
    for key in keys:
        cut[1:] |= key[1:] != key[:-1]
    for seq in sequences:
        d = np.diff(seq)
        cut[1:] |= d < 0
    runs: list[tuple[int, int]] = []
    starts = [*(int(i) for i in np.flatnonzero(cut)), n]
    for a, b in itertools.pairwise(starts):
        # within [a, b) split greedily where some step changes
        i = int(a)
        while i < b:
            j = i + 1
            if j < b:
                steps = [int(seq[j] - seq[i]) for seq in sequences]
                while j + 1 < b and all(
                    int(seq[j + 1] - seq[j]) == st
                    for seq, st in zip(sequences, steps, strict=True)
                ):
                    j += 1
                j += 1
            if limit is not None:
                j = min(j, i + limit)
            runs.append((i, j))
            i = j
    return runs


class Vectorizer:
    """Lowers one func.func; see the module docstring."""

    def __init__(self, fn: func.FuncOp, spec: ChipSpec):
        self.fn = fn
        self.spec = spec
        self.chip = ChipProgram(spec)
        self.values: dict[SSAValue, Placed] = {}
        self.constants: dict[SSAValue, Operation] = {}
        self.relayouts: dict[tuple[str, int], Placed] = {}
        self.lanes_wanted = self._matmul_layouts()

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
            elif op.results and op.results[0] in wanted and _is_elementwise(op):
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
        shape, element = tensor_shape_and_element(ssa.type)
        kw.setdefault("lanes", self.lanes_wanted.get(ssa))
        kw.setdefault("prefix", "v")
        placed = self.chip.tensor(shape, element, kind, op, **kw)  # type: ignore[arg-type]
        self.values[ssa] = placed
        return placed

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

    def get(self, value: SSAValue, user: Operation, *, splat: bool = False) -> Placed:
        """Where a value lives; constants are placed on first use (so zero
        points and other operands the LPU ignores take no SRAM), directly as a
        splat when the user broadcasts them along the last axis."""
        if value in self.constants and splat:
            const = self.constants.pop(value)
            values = const.properties.get("values") or const.properties.get("value")
            assert isinstance(values, DenseIntOrFPElementsAttr)
            shape, element = tensor_shape_and_element(value.type)
            placed = self.splat_constant(values, shape or (1,), element, const)
            self.values[value] = placed
            return placed
        if value in self.constants:
            const = self.constants.pop(value)
            self.place_new(
                value,
                const,
                "weight",
                value=const.properties.get("values") or const.properties.get("value"),
                prefix="c",
            )
        if value not in self.values:
            raise unsupported(
                user,
                f"operand {value} has no SRAM placement (produced by an op lpu-vectorize does not lower)",
            )
        return self.values[value]

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
        shape, out_element = tensor_shape_and_element(out.type)
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
        a, b = self.get(op.a, op), self.get(op.b, op)
        (batch, m, k), element = tensor_shape_and_element(op.a.type)
        n = tensor_shape_and_element(op.b.type)[0][2]
        out_element = tensor_shape_and_element(op.output.type)[1]
        if element not in ACCUMULATOR:
            raise unsupported(op, f"the MXM multiplies i8, f16 and bf16, not {element}")
        if out_element != ACCUMULATOR[element]:
            raise unsupported(
                op,
                f"{element} x {element} -> {out_element}: the MXM accumulates {element} in {ACCUMULATOR[element]}",
            )
        kb = self.spec.mxm_k(element)
        a = self.relayout(a, kb, op)
        c = self.place_new(op.output, op, lanes=self.spec.lanes)
        blocks, tiles = -(-k // kb), -(-n // self.spec.lanes)
        size = self.spec.sram_addresses
        wtype = WeightsType(ELEMENT_TYPES[element])
        for bi in range(batch):
            rows_m = bi * m + np.arange(m, dtype=np.int64)
            # row chunks that keep every x vector and every result vector of a
            # chunk in one slice group (a burst works on one group)
            groups = np.stack(
                [(rows_m * a.per_row + kbi) // size for kbi in range(blocks)]
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
                    for kbi in range(blocks):
                        rows = min(kb, k - kbi * kb)
                        w_rows = Operand(
                            b,
                            (bi * k + kbi * kb + np.arange(rows, dtype=np.int64))
                            * b.per_row
                            + j,
                        )
                        parts = [
                            self.read(w_rows, p, q - p, op)
                            for p, q in self.runs([w_rows])
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

    def run(self) -> lpu.ChipOp:
        fn = self.fn
        for i, arg in enumerate(fn.args):
            self.place_new(arg, fn, "input", arg=i, prefix="in")
        for op in list(fn.body.walk()):
            if op is fn:
                continue
            self.lower(op)
        return lpu.ChipOp(0, [*self.chip.tensors, *self.chip.body])

    def lower(self, op: Operation) -> None:
        if isinstance(op, func.ReturnOp):
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
        elif type(op) in _ELEMENTWISE:
            cls, operand_count = _ELEMENTWISE[type(op)]
            self.elementwise(op, cls, op.operands[:operand_count], op.results[0])
        elif isinstance(op, tosa.CastOp):
            self.elementwise(op, lpu.ConvertOp, [op.input], op.output)
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
        if shape[-1] != src.shape[-1] or src.splat:
            raise unsupported(
                op,
                f"reshape {src.shape} -> {shape} changes the last axis (only reshapes that keep it are lowered yet)",
            )
        self.values[op.output] = Placed(src.tensor, shape, src.element, src.lanes)

    def outputs(self, ret: func.ReturnOp) -> None:
        for i, value in enumerate(ret.arguments):
            placed = self.get(value, ret)
            if placed.splat:
                # one vector per row either way: the splat's lane 0 is the value
                out = self.chip.tensor(
                    placed.shape, placed.element, "output", ret, arg=i, prefix="out"
                )
                self.vector_map(
                    ret,
                    lpu.CopyOp,
                    [Operand(placed, np.arange(placed.rows, dtype=np.int64))],
                    out,
                    placed.element,
                )
                continue
            declared = tuple(placed.tensor.type.get_shape())
            if placed.tensor.kind.data == "scratch" and declared == placed.shape:
                placed.tensor.kind = StringAttr("output")
                placed.tensor.arg = IntAttr(i)
            else:
                copy = self.chip.tensor(
                    placed.shape,
                    placed.element,
                    "output",
                    ret,
                    arg=i,
                    lanes=placed.lanes,
                    prefix="out",
                )
                self.elementwise_into(ret, lpu.CopyOp, [placed], copy, placed.element)


def _broadcasts_last_axis(value: SSAValue, out_shape: tuple[int, ...]) -> bool:
    shape = tensor_shape_and_element(value.type)[0] or (1,)
    return shape[-1] == 1 and out_shape[-1] != 1


def _is_elementwise(op: Operation) -> bool:
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


def _machine(system: str) -> lpu.SystemAttr:
    """The system to lower for: a preset, or `#lpu.system<...>` with overrides."""
    if not system.startswith("#"):
        return lpu.SystemAttr(system)
    from xdsl.parser import Parser

    from lpuir.context import make_context

    attr = Parser(make_context(), system, "system").parse_attribute()
    if not isinstance(attr, lpu.SystemAttr):
        raise LpuError(f"system must be a preset name or an #lpu.system, not {attr}")
    return attr


@dataclass(frozen=True)
class VectorizePass(ModulePass):
    """Lower the module's tensor-level function to an lpu.system (module docstring)."""

    name = "lpu-vectorize"

    system: str = "tsp-v1"
    """A system preset name, or a whole `#lpu.system<...>` attribute's text."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        functions = [
            f for f in op.ops if isinstance(f, func.FuncOp) and not f.is_declaration
        ]
        if len(functions) != 1:
            raise LpuError(
                f"lpu-vectorize lowers a module with one function; this one has {len(functions)}"
            )
        fn = functions[0]
        machine = _machine(self.system)
        machine.verify()
        chip = Vectorizer(fn, machine.spec.chip).run()
        system = lpu.SystemOp(machine, [chip])
        system.location = fn.location
        op.body.block.insert_op_before(system, fn)
        fn.detach()
        fn.erase()
