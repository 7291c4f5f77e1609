"""The state of one lpu-vectorize run, and the instructions every lowering
emits: where each tensor-level value lives, on which chip, and reads, writes
and VXM/SXM instructions of bursts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, SymbolRefAttr
from xdsl.ir import Operation, SSAValue

from lpuir.dialects import lpu
from lpuir.dialects.lpu import VectorType
from lpuir.machine import ChipSpec
from lpuir.transforms.annotations import weight_args
from lpuir.transforms.vectorize import layout, parts, shards
from lpuir.transforms.vectorize.program import (
    ChipProgram,
    Operand,
    Placed,
    constant_array,
    constant_value,
    dense,
    not_held,
    progression_runs,
    runs,
    unsupported,
)
from lpuir.transforms.vectorize.shards import Heads, Shard, Window
from lpuir.types import tensor_shape_and_element


class Vectorizer:
    """Lowers one func.func: the lowerings (one module per kind of tensor op,
    `LOWERINGS` in this package) call these methods to place values and emit
    instructions on the current chip (`on`)."""

    def __init__(self, fn: func.FuncOp, spec: ChipSpec):
        self.fn = fn
        self.spec = spec
        self.programs: dict[int, ChipProgram] = {}
        self.placed: dict[int, dict[SSAValue, Placed]] = {}
        self.relayout_cache: dict[int, dict[tuple[str, int, int], Placed]] = {}
        self.window_cache: dict[int, dict[tuple[SSAValue, int], Placed]] = {}
        self.chunk_cache: dict[
            int, dict[tuple[SSAValue, int, int, object], object]
        ] = {}
        self.constants: dict[SSAValue, Operation] = {}
        self.shards: dict[SSAValue, list[Shard]] = {}
        self.heads: dict[SSAValue, list[int]] = {}
        """Values split by heads (leading axis): the chips holding the parts,
        in order, each part in that chip's `placed` (`shards.by_heads`)."""
        self.gathered: dict[int, dict[SSAValue, Placed]] = {}
        self.folds: dict[int, dict[SSAValue, Operation]] = {}
        """Values of elementwise ops the reduction using them computes
        (`reductions.folds_into`), by chip and value, until it does there
        (an op split by heads folds on each of its chips)."""
        self.window: Window | Heads | None = None
        self.channels = 0
        self.symbols: dict[str, SymbolRefAttr] = {}
        self.vector_types: dict[tuple[str, int], VectorType] = {}
        self.lanes_wanted = layout.matmul_layouts(fn, spec)
        self.on(0)

    def on(self, chip: int) -> None:
        """Emit on `chip` from now on (its tensors, values and instructions)."""
        if chip not in self.programs:
            self.programs[chip] = ChipProgram(self.spec)
            self.placed[chip] = {}
            self.relayout_cache[chip] = {}
            self.window_cache[chip] = {}
            self.chunk_cache[chip] = {}
            self.folds[chip] = {}
        self.current = chip
        self.chip = self.programs[chip]
        self.values = self.placed[chip]
        self.folded = self.folds[chip]
        self.relayouts = self.relayout_cache[chip]

    # ---------------------------------------------------------------- values

    def place_new(
        self, ssa: SSAValue, op: Operation, kind: str = "scratch", **kw: object
    ) -> Placed:
        """A new tensor for a value, in the layout its users wish for unless
        the producer fixes it (`lanes=`)."""
        shape, element = self.shape_of(ssa), tensor_shape_and_element(ssa.type)[1]
        kw.setdefault("lanes", self.lanes_wanted.get(ssa))
        kw.setdefault("prefix", "v")
        count = parts.row_parts(self, ssa)
        if count > 1:
            placed = self.chip.row_parts(shape, element, kind, op, count, **kw)  # type: ignore[arg-type]
        else:
            placed = self.chip.tensor(shape, element, kind, op, **kw)  # type: ignore[arg-type]
        if self.windowed(ssa) and isinstance(self.window, Window):
            shard = Shard(self.current, self.window.lo, self.window.hi, placed)
            self.shards.setdefault(ssa, []).append(shard)
        else:
            self.values[ssa] = placed
        return placed

    def splat_tensor(
        self,
        shape: tuple[int, ...],
        element: str,
        op: Operation,
        like: Sequence[Placed],
    ) -> Placed:
        """A new splat for a per-row value computed from `like`, in row parts
        if they are (`parts.per_row`)."""
        count = parts.per_row(self, like)
        if count > 1 and len(shape) >= 2:
            return self.chip.row_parts(
                shape, element, "scratch", op, count, splat=True, prefix="v"
            )
        return self.chip.tensor(shape, element, "scratch", op, splat=True, prefix="v")

    def windowed(self, value: SSAValue) -> bool:
        """Whether a value is cut to the current shard's columns, or heads."""
        shape = tensor_shape_and_element(value.type)[0]
        if isinstance(self.window, Heads):
            return self.window.cuts(shape)
        return self.window is not None and shape[-1:] == (self.window.cols,)

    def shape_of(self, value: SSAValue) -> tuple[int, ...]:
        shape = tensor_shape_and_element(value.type)[0]
        if not self.windowed(value):
            return shape
        if isinstance(self.window, Heads):
            return (shape[0] // self.window.parts, *shape[1:])
        assert self.window is not None
        return (*shape[:-1], self.window.hi - self.window.lo)

    def get(self, value: SSAValue, user: Operation, *, splat: bool = False) -> Placed:
        """Where a value lives; constants are placed on first use (so zero
        points and other operands the LPU ignores take no SRAM), directly as a
        splat when the user broadcasts them along the last axis."""
        if self.windowed(value):
            if isinstance(self.window, Heads):
                return shards.get_head(self, value, user)
            return shards.get_shard(self, value, user)
        if value in self.heads:
            return shards.gather_heads(self, value, user)
        if value in self.values:
            return parts.whole(self, self.values[value], user)
        if value in self.constants and splat:
            const = self.constants[value]
            values = constant_value(const)
            assert isinstance(values, DenseIntOrFPElementsAttr)
            shape, element = tensor_shape_and_element(value.type)
            placed = layout.splat_constant(self, values, shape or (1,), element, const)
            self.values[value] = placed
            return placed
        if value in self.constants:
            const = self.constants[value]
            held = constant_value(const)
            shape, element = tensor_shape_and_element(value.type)
            if not shape:  # rank 0: one element
                held = dense(constant_array(const, value).reshape(1), element)
            return self.place_new(value, const, "weight", value=held, prefix="c")
        if value in self.fn.args:
            kind, arg = self.argument(value)
            element = tensor_shape_and_element(value.type)[1]
            if element not in lpu.TENSOR_TYPES:
                raise unsupported(
                    user,
                    f"argument {list(self.fn.args).index(value)} of @{self.fn.sym_name.data} ({value.type}): {not_held(None, element)}",
                )
            return self.place_new(value, self.fn, kind, arg=arg, prefix="in")
        fetched = shards.fetch(self, value, user)
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
        weights = weight_args(self.fn)
        if args.index(value) in weights:
            return "weight", None
        return "input", sum(1 for i in range(args.index(value)) if i not in weights)

    def resident(self, value: SSAValue) -> bool:
        """A constant or a resident weight argument."""
        return value in self.constants or (
            value in self.fn.args and self.argument(value)[0] == "weight"
        )

    # ---------------------------------------------------------- instructions

    def runs(
        self, operands: Sequence[Operand], limit: int | None = None
    ) -> list[tuple[int, int]]:
        """Runs over the operands' index sequences (see `program.runs`), each
        inside one slice group of every tensor: a tensor too big for a slice
        continues in the next group at a multiple of `sram_addresses`
        (lpu-allocate-sram starts such tensors at address 0)."""
        size = self.spec.sram_addresses
        return runs(
            [o.indices for o in operands],
            [
                o.placed.part_of(o.indices)
                if o.placed.parts
                else (o.indices + o.placed.offset) // size
                for o in operands
            ],
            limit,
        )

    def emit(self, op: Operation, loc: Operation) -> SSAValue:
        """Add an instruction with a result; its result."""
        return self.chip.emit(op, loc).results[0]

    def read(
        self, operand: Operand, start: int, count: int, loc: Operation
    ) -> SSAValue:
        idx = operand.indices[start : start + count]
        step = int(idx[1] - idx[0]) if count > 1 else 1
        return self.read_at(operand.placed, int(idx[0]), count, step, loc)

    def read_at(
        self, placed: Placed, index: int, count: int, step: int, loc: Operation
    ) -> SSAValue:
        """Read vectors index, index+step, ... (`count` of them) of `placed`.
        Its tensor's symbol and the vector type are built once per
        vectorizer: a Llama layer reads hundreds of thousands of times."""
        placed, index = placed.part(index)
        if placed.name not in self.symbols:
            self.symbols[placed.name] = SymbolRefAttr(placed.name)
        kind = (placed.element, count)
        if kind not in self.vector_types:
            self.vector_types[kind] = VectorType(*kind)
        read = lpu.ReadOp(
            self.symbols[placed.name],
            index + placed.offset,
            self.vector_types[kind],
            step=step if count > 1 and step != 1 else None,
        )
        return self.emit(read, loc)

    def read_progression(
        self, placed: Placed, first: int, step: int, count: int, loc: Operation
    ) -> list[SSAValue]:
        """Reads of vectors first, first+step, ... (`count` of them, step at
        least 1) of `placed`, one per slice group they fall in: the reads of
        `runs` over such a sequence (`progression_runs`: a weight tile's
        rows, read for every install)."""
        return [
            self.read_at(placed, first + a * step, b - a, step, loc)
            for a, b in progression_runs(
                first + placed.offset, step, count, self.spec.sram_addresses
            )
        ]

    def write(
        self, value: SSAValue, placed: Placed, index: int, step: int, loc: Operation
    ) -> None:
        placed, index = placed.part(index)
        write = lpu.WriteOp(
            value, placed.name, index + placed.offset, step=step if step != 1 else None
        )
        self.chip.emit(write, loc)

    def vxm(
        self,
        cls: type[lpu.VxmOp],
        operands: Sequence[SSAValue],
        element: str,
        count: int,
        loc: Operation,
    ) -> SSAValue:
        return self.emit(cls(*operands, result_type=VectorType(element, count)), loc)

    def rotate(self, value: SSAValue, amount: int, loc: Operation) -> SSAValue:
        return self.emit(lpu.RotateOp(value, amount % self.spec.lanes), loc)

    def shift(
        self, value: SSAValue, direction: str, amount: int, loc: Operation
    ) -> SSAValue:
        return self.emit(lpu.ShiftOp(value, direction, amount), loc)

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
