"""MEM instructions: reads and writes of a tensor's vectors in SRAM."""

from __future__ import annotations

from functools import cache
from typing import ClassVar

from xdsl.dialects.builtin import (
    ArrayAttr,
    IntAttr,
    SymbolRefAttr,
)
from xdsl.ir import (
    Attribute,
    Operation,
    SSAValue,
)
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)
from xdsl.traits import (
    SymbolTable,
)

from lpuir.dialects.lpu.attributes import StreamAttr
from lpuir.dialects.lpu.instruction import Footprint, Instruction, Names, Place
from lpuir.dialects.lpu.structure import (
    ChipOp,
    TensorOp,
    construct,
    machine_of,
    verify_error,
)
from lpuir.dialects.lpu.types import VectorType
from lpuir.machine import (
    ChipSpec,
)


def _symbol(tensor: str | SymbolRefAttr) -> SymbolRefAttr:
    return SymbolRefAttr(tensor) if isinstance(tensor, str) else tensor


def _vector_ref(op: ReadOp | WriteOp) -> str:
    """`@t[i]` or `@t[i step s]` in `.lpu` text."""
    step = f" step {op.step.data}" if op.step is not None else ""
    return f"@{op.tensor.root_reference.data}[{op.index.data}{step}]"


def _index_props(
    tensor: str | SymbolRefAttr, index: int, step: int | None
) -> dict[str, Attribute]:
    props: dict[str, Attribute] = {"tensor": _symbol(tensor), "index": IntAttr(index)}
    if step is not None:
        props["step"] = IntAttr(step)
    return props


@cache
def _slices_footprint(
    slices: tuple[str, ...], port: str, position: int, delay: int
) -> Footprint:
    """The footprint of a MEM instruction on `slices`: one object for all
    of them (lpu-schedule keeps every instruction's while it schedules)."""
    return Footprint(
        f"MEM.{slices[0]}",
        position,
        tuple((f"MEM.{s}", f"MEM.{s} {port} port") for s in slices),
        delay,
    )


class MemOp(Instruction):
    """Base of MEM instructions: they address a tensor of their chip. Each
    holds the `PORT` (read or write) of every byte-plane slice of the slice
    group it works on, one cycle per burst vector; it meets the streams at
    the group's first slice. `PER_LANE`: each lane names its own vector (a
    gather or scatter), so the addresses are known only when it runs."""

    UNIT: ClassVar[str] = "MEM"
    PORT: ClassVar[str] = "read"
    PER_LANE: ClassVar[bool] = False
    tensor = prop_def(SymbolRefAttr)

    def footprint(self, spec: ChipSpec, place: Place) -> Footprint:
        tensor = self.tensor_op()
        slices = tensor.plane_slices(spec, self.slice_group(spec, tensor))
        return _slices_footprint(
            tuple(slices),
            self.PORT,
            spec.mem_slices[slices[0]],
            self.result_delay(spec),
        )

    def tensor_op(self) -> TensorOp:
        chip = self.parent_op()
        found = (
            chip.tensor_named(self.tensor.root_reference.data)
            if isinstance(chip, ChipOp) and not self.tensor.nested_references.data
            else SymbolTable.lookup_symbol(self, self.tensor)
        )
        if not isinstance(found, TensorOp):
            raise verify_error(
                self, f"no tensor @{self.tensor.root_reference.data} on this chip"
            )
        return found

    def verify_tensor_vector(self, t: Attribute) -> TensorOp:
        tensor = self.tensor_op()
        if (
            isinstance(t, VectorType)
            and t.element_type != tensor.stored_type.element_type
        ):
            raise verify_error(
                self,
                f"vector element type {t.element_type} does not match tensor @{tensor.sym_name.data} of {tensor.stored_type.element_type}",
            )
        return tensor

    def vector_indices(self) -> range:
        """The tensor's vectors this read or write touches, burst vector k at
        `index + k * step` (step 0 repeats one vector)."""
        step = self.step.data if self.step is not None else 1  # type: ignore[attr-defined]
        n = self.burst
        return (
            range(self.index.data, self.index.data + n * step, step)
            if step
            else range(self.index.data, self.index.data + 1)
        )  # type: ignore[attr-defined]

    def verify_index(self, t: VectorType) -> None:
        tensor = self.verify_tensor_vector(t)
        found = machine_of(self)
        count = tensor.vector_count(found[0].chip.lanes if found else 320)
        indices = self.vector_indices()
        if (
            min(indices[0], indices[-1]) < 0 or max(indices[0], indices[-1]) >= count
        ):  # not min(range): O(n)
            raise verify_error(
                self,
                f"vectors {indices.start}..{indices[-1]} are out of range: tensor @{tensor.sym_name.data} has {count}",
            )

    def slice_group(self, spec: ChipSpec, tensor: TensorOp | None = None) -> int:
        """The slice group this instruction's burst reads or writes (a burst
        stays in one; gathers and scatters need an unspanned tensor) in its
        tensor (looked up unless given)."""
        tensor = tensor or self.tensor_op()
        if not self.PER_LANE:
            return tensor.locate(self.vector_indices().start, spec)[0]
        return tensor.locate(0, spec)[0]

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        tensor = self.tensor_op()
        if tensor.slice is None:
            raise verify_error(
                self,
                f"tensor @{self.tensor.root_reference.data} has no SRAM placement, so this scheduled instruction has no slice",
            )
        found = machine_of(self)
        assert found is not None
        spec = found[0].chip
        groups = len(tensor.group_ranges(spec))
        if not self.PER_LANE:
            indices = self.vector_indices()
            first, last = (
                tensor.locate(indices.start, spec)[0],
                tensor.locate(indices[-1], spec)[0],
            )
            if first != last:
                raise verify_error(
                    self,
                    f"the burst reaches from slice group {first} into {last} of tensor @{tensor.sym_name.data}; an instruction works on one slice group",
                )
        elif groups > 1:
            raise verify_error(
                self,
                f"tensor @{tensor.sym_name.data} spans {groups} slice groups; per-lane addresses need a tensor in one",
            )


@irdl_op_definition
class ReadOp(MemOp):
    """Read vectors index, index+step, ... of a tensor onto a stream."""

    name = "lpu.mem.read"
    KIND: ClassVar[str] = "read"
    DELAY: ClassVar[str] = "read"

    index = prop_def(IntAttr)
    step = opt_prop_def(IntAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def __init__(
        self,
        tensor: str | SymbolRefAttr,
        index: int,
        result_type: VectorType,
        *,
        step: int | None = None,
    ):
        construct(
            self,
            properties=_index_props(tensor, index, step),
            result_types=[result_type],
        )

    def lpu_body(self, names: Names) -> str:
        return _vector_ref(self)

    def verify_(self) -> None:
        self.verify_index(self.result.type)

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        if self.dst is None:
            raise verify_error(self, "a scheduled read needs a destination stream")


@irdl_op_definition
class WriteOp(MemOp):
    """Write vectors from a stream into vectors index, index+step, ... of a
    tensor (step at least 1)."""

    name = "lpu.mem.write"
    KIND: ClassVar[str] = "write"
    PORT: ClassVar[str] = "write"
    DELAY: ClassVar[str] = "write"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("value",)

    value = operand_def(VectorType)
    index = prop_def(IntAttr)
    step = opt_prop_def(IntAttr)
    srcs = opt_prop_def(ArrayAttr)

    def __init__(
        self,
        value: SSAValue,
        tensor: str | SymbolRefAttr,
        index: int,
        *,
        step: int | None = None,
    ):
        construct(self, operands=[value], properties=_index_props(tensor, index, step))

    def lpu_body(self, names: Names) -> str:
        return f"{self.lpu_operands(names)[0]} -> {_vector_ref(self)}"

    def verify_(self) -> None:
        if self.step is not None and self.step.data < 1:
            raise verify_error(
                self,
                "a write's step is at least 1 (step 0 would write one vector n times)",
            )
        self.verify_index(self.value.type)


@irdl_op_definition
class GatherOp(MemOp):
    """Per-lane read: lane l gets lane l of the tensor's vector indices[l]."""

    name = "lpu.mem.gather"
    KIND: ClassVar[str] = "gather"
    PER_LANE: ClassVar[bool] = True
    DELAY: ClassVar[str] = "gather"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("indices",)

    indices = operand_def(VectorType)
    srcs = opt_prop_def(ArrayAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def __init__(
        self, tensor: str | SymbolRefAttr, indices: SSAValue, result_type: VectorType
    ):
        construct(
            self,
            operands=[indices],
            properties={"tensor": _symbol(tensor)},
            result_types=[result_type],
        )

    def lpu_body(self, names: Names) -> str:
        return f"@{self.tensor.root_reference.data}[{self.lpu_operands(names)[0]}]"

    def verify_(self) -> None:
        self.verify_tensor_vector(self.result.type)
        _verify_index_vector(self, self.indices, self.result.type)

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        if self.dst is None:
            raise verify_error(self, "a scheduled gather needs a destination stream")


@irdl_op_definition
class ScatterOp(MemOp):
    """Per-lane write: lane l of value goes to lane l of vector indices[l]."""

    name = "lpu.mem.scatter"
    KIND: ClassVar[str] = "scatter"
    PORT: ClassVar[str] = "write"
    PER_LANE: ClassVar[bool] = True
    DELAY: ClassVar[str] = "scatter"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("value", "indices")

    value = operand_def(VectorType)
    indices = operand_def(VectorType)
    srcs = opt_prop_def(ArrayAttr)

    def __init__(self, value: SSAValue, tensor: str | SymbolRefAttr, indices: SSAValue):
        construct(
            self, operands=[value, indices], properties={"tensor": _symbol(tensor)}
        )

    def lpu_body(self, names: Names) -> str:
        value, indices = self.lpu_operands(names)
        return f"{value} -> @{self.tensor.root_reference.data}[{indices}]"

    def verify_(self) -> None:
        self.verify_tensor_vector(self.value.type)
        _verify_index_vector(self, self.indices, self.value.type)


def _verify_index_vector(op: Operation, indices: SSAValue, data: Attribute) -> None:
    it, dt = indices.type, data
    assert isinstance(it, VectorType) and isinstance(dt, VectorType)
    if it.element not in ("i16", "i32"):
        raise verify_error(op, f"indices are i16 or i32 vectors, not {it.element}")
    if it.n != dt.n:
        raise verify_error(op, f"{it.n} index vectors for {dt.n} data vectors")
