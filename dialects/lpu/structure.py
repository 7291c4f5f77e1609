"""The structure of an LPU program: the system, one chip's program, and the
tensors resident in a chip's SRAM."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntAttr,
    StringAttr,
    SymbolRefAttr,
    TensorType,
    i32,
    i64,
)
from xdsl.ir import (
    Attribute,
    Block,
    Operation,
    ParametrizedAttribute,
    Region,
    SSAValue,
)
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
)
from xdsl.traits import (
    HasParent,
    IsolatedFromAbove,
    NoTerminator,
    SymbolOpInterface,
    SymbolTable,
)
from xdsl.utils.exceptions import VerifyException

from lpuir.diagnostics import LocatedVerifyException
from lpuir.dialects.lpu.attributes import AluAttr, StreamAttr, SystemAttr
from lpuir.dialects.lpu.types import (
    WORD_PAIRS,
    VectorType,
    element_bytes,
    tensor_element_name,
    word_element,
)
from lpuir.machine import (
    ChipSpec,
    SystemSpec,
)

if TYPE_CHECKING:
    from lpuir.dialects.lpu.instruction import Instruction

# ------------------------------------------------------------------------ helpers


def machine_of(op: Operation) -> tuple[SystemSpec, int] | None:
    """The system and chip id an op belongs to, when it sits inside lpu.system."""
    chip_op = op if isinstance(op, ChipOp) else op.parent_op()
    while chip_op is not None and not isinstance(chip_op, ChipOp):
        chip_op = chip_op.parent_op()
    if chip_op is None or not isinstance(system := chip_op.parent_op(), SystemOp):
        return None
    return system.machine.spec, chip_op.chip_id


def tensor_layout(t: TensorType, lanes: int) -> tuple[int, int]:
    """(rows, vectors per row) of a tensor in SRAM: row-major over the last
    dimension, `lanes` elements of a row per vector, each row padded with zero
    lanes to whole vectors."""
    shape = t.get_shape()
    cols = shape[-1] if shape else 1
    rows = 1
    for d in shape[:-1]:
        rows *= d
    return rows, max(1, -(-cols // lanes))


AttributeT = TypeVar("AttributeT", bound=Attribute)

_shared: dict[Hashable, Attribute] | None = None
"""The attributes `shared` has handed out inside `sharing`, by value."""
_BY_PARAMETERS = (VectorType, SymbolRefAttr)


def _value_key(attr: Attribute) -> Hashable:
    """A key equal for two attributes only if they print alike: by value for
    the kinds an instruction states by the million (its vector indices,
    cycles, streams, tensor names and vector types), else by identity (a
    float's -0.0 equals 0.0, IntAttr(True) equals IntAttr(1))."""
    kind = type(attr)
    if kind is IntAttr and type(attr.data) is int:  # type: ignore[attr-defined]
        return attr.data  # type: ignore[attr-defined]
    if kind is StringAttr:
        return attr.data  # type: ignore[attr-defined]
    if kind in (StreamAttr, AluAttr):
        return (kind, attr.data)  # type: ignore[attr-defined]
    if kind is ArrayAttr:
        return (kind, *map(_value_key, attr.data))  # type: ignore[attr-defined]
    if kind in _BY_PARAMETERS:
        assert isinstance(attr, ParametrizedAttribute)
        return (kind, *map(_value_key, attr.parameters))
    return ("id", id(attr))


@contextmanager
def sharing() -> Iterator[None]:
    """Make the lpu ops built meanwhile share equal attributes (`shared`);
    the table is dropped at the end, the shared attributes stay with their
    ops."""
    global _shared
    outer = _shared
    _shared = {} if outer is None else outer
    try:
        yield
    finally:
        _shared = outer


def shared(attr: AttributeT) -> AttributeT:
    """Inside `sharing`, the one instance of `attr`'s value, as MLIR's
    context uniques attributes: xDSL makes one object per construction, and a
    Llama layer's program states few distinct indices, cycles, streams and
    vector types over hundreds of thousands of instructions. Attributes are
    immutable, so sharing one changes no IR."""
    if _shared is None:
        return attr
    key = _value_key(attr)
    if isinstance(key, tuple) and key[0] == "id":
        return attr
    return _shared.setdefault(key, attr)  # type: ignore[return-value]


def construct(
    op: Operation,
    *,
    operands: Sequence[SSAValue] = (),
    result_types: Sequence[Attribute] = (),
    properties: dict[str, Attribute] | None = None,
) -> None:
    """Initialise an op as `Operation.create` does, its attributes `shared`
    inside `sharing`.
    The lpu constructors know their operand and result lists exactly, and
    IRDL's generic argument checks cost more than the rest of building an
    instruction (lpu-vectorize builds hundreds of thousands for a Llama
    layer)."""
    Operation.__init__(
        op,
        operands=operands,
        result_types=[shared(t) for t in result_types],
        properties={k: shared(v) for k, v in (properties or {}).items()},
    )


def verify_error(op: Operation, msg: str) -> VerifyException:
    return LocatedVerifyException(op, f"'{op.name}': {msg}")


# ----------------------------------------------------------------------- structure


SOURCE_FUNCTION = "lpu.function"
"""Discardable attribute of an lpu.system: the name of the tensor-level function
it was compiled from (set by lpu-vectorize; lpu-run --function accepts it)."""


@irdl_op_definition
class SystemOp(IRDLOperation):
    """The whole program: one `lpu.chip` per programmed chip of `machine`."""

    name = "lpu.system"

    machine = prop_def(SystemAttr)
    static_cycles = opt_prop_def(IntAttr)
    body = region_def("single_block")

    traits = traits_def(NoTerminator(), IsolatedFromAbove())

    def __init__(
        self,
        machine: SystemAttr,
        chips: Sequence[ChipOp] = (),
        static_cycles: int | None = None,
    ):
        props: dict[str, Attribute] = {"machine": machine}
        if static_cycles is not None:
            props["static_cycles"] = IntAttr(static_cycles)
        super().__init__(properties=props, regions=[Region()])
        self.body.add_block(_block(chips))

    @property
    def chips(self) -> list[ChipOp]:
        return [op for op in self.body.ops if isinstance(op, ChipOp)]

    def verify_(self) -> None:
        spec = self.machine.spec
        seen: set[int] = set()
        for op in self.body.ops:
            if not isinstance(op, ChipOp):
                raise LocatedVerifyException(
                    op, f"'{self.name}': holds only lpu.chip ops, found '{op.name}'"
                )
            if op.chip_id in seen:
                raise LocatedVerifyException(
                    op, f"'{self.name}': chip {op.chip_id} is programmed twice"
                )
            if not 0 <= op.chip_id < spec.chips:
                raise LocatedVerifyException(
                    op,
                    f"'{self.name}': chip {op.chip_id} does not exist: the system has {spec.chips} chips",
                )
            seen.add(op.chip_id)
        _verify_arguments(self)
        from lpuir.dialects.lpu.network import verify_network

        verify_network(self)


def _verify_arguments(system: SystemOp) -> None:
    """Input and output tensors are numbered 0..n-1 by arg (shards share one)."""
    for kind in ("input", "output"):
        tensors = sorted(
            (
                (t.arg.data, t)
                for chip in system.chips
                for t in chip.tensors()
                if t.kind.data == kind and t.arg is not None
            ),
            key=lambda pair: pair[0],
        )
        args = sorted({arg for arg, _ in tensors})
        missing = next((i for i, arg in enumerate(args) if arg != i), None)
        if missing is not None:
            beyond = next(t for arg, t in tensors if arg > missing)
            raise LocatedVerifyException(
                beyond,
                f"'{system.name}': {kind} tensors are numbered 0..n-1 by arg, but there is no {kind} {missing} (found {', '.join(map(str, args))})",
            )


def _block(ops: Sequence[Operation]) -> Block:
    return Block(list(ops))


@irdl_op_definition
class ChipOp(IRDLOperation):
    """The program of one chip: its SRAM-resident tensors and its instructions."""

    name = "lpu.chip"

    id = prop_def(IntAttr)
    body = region_def("single_block")

    traits = traits_def(NoTerminator(), SymbolTable(), HasParent(SystemOp))

    def __init__(self, chip_id: int, ops: Sequence[Operation] = ()):
        super().__init__(properties={"id": IntAttr(chip_id)}, regions=[Region()])
        self.body.add_block(_block(ops))

    @property
    def chip_id(self) -> int:
        return self.id.data

    def instructions(self) -> Iterator[Instruction]:
        from lpuir.dialects.lpu.instruction import Instruction

        return (op for op in self.body.ops if isinstance(op, Instruction))

    def tensors(self) -> Iterator[TensorOp]:
        return (op for op in self.body.ops if isinstance(op, TensorOp))

    def tensor_named(self, name: str) -> TensorOp | None:
        """The chip's tensor `@name`, from an index rebuilt whenever it is
        stale (a symbol-table scan per access made compiling quadratic)."""
        index: dict[str, TensorOp] = self.__dict__.get("_tensor_index", {})
        found = index.get(name)
        if (
            found is None
            or found.parent_op() is not self
            or found.sym_name.data != name
        ):
            index = {t.sym_name.data: t for t in self.tensors()}
            self.__dict__["_tensor_index"] = index
            found = index.get(name)
        return found

    def verify_(self) -> None:
        from lpuir.dialects.lpu.icu import NopOp
        from lpuir.dialects.lpu.instruction import Instruction

        for op in self.body.ops:
            if not isinstance(op, TensorOp | Instruction):
                raise LocatedVerifyException(
                    op,
                    f"'{self.name}': holds only lpu.tensor ops and LPU instructions, found '{op.name}'",
                )
        instrs = list(self.instructions())
        if any(op.is_scheduled for op in instrs):
            for op in instrs:
                # a nop without a cycle gets the nop's own message
                if not op.is_scheduled and not isinstance(op, NopOp):
                    raise verify_error(
                        op,
                        f"chip {self.chip_id} mixes scheduled and logical instructions; this one has no cycle",
                    )
                op.verify_scheduled()
        else:
            for op in instrs:
                op.verify_logical()
        _verify_sram_overlap(self)


def _verify_sram_overlap(chip: ChipOp) -> None:
    """No two tensors may share an SRAM address in the same slice."""
    found = machine_of(chip)
    if found is None:
        return
    spec = found[0].chip
    owner: dict[str, list[tuple[int, int, TensorOp]]] = {}
    for t in chip.tensors():
        if t.slice is None or t.address is None:
            continue
        for group, (lo, hi) in enumerate(t.group_ranges(spec)):
            for s in t.plane_slices(spec, group):
                for a, b, other in owner.get(s, []):
                    if lo < b and a < hi:
                        raise verify_error(
                            t,
                            f"tensor @{t.sym_name.data} overlaps @{other.sym_name.data} in slice {s} (addresses {max(a, lo)}..{min(b, hi) - 1})",
                        )
                owner.setdefault(s, []).append((lo, hi, t))


TENSOR_KINDS = ("input", "output", "weight", "scratch")


@irdl_op_definition
class TensorOp(IRDLOperation):
    """A tensor resident in one chip's SRAM: an input or output of the program
    (bound by `arg` index), a weight (with its value), or compiler scratch.
    Placed at `slice` (the first of its byte-plane slices) from `address`.
    An input or output with `cols` holds only the columns (last axis)
    `cols .. cols + n - 1` of its argument: a shard of it on this chip; with
    `lead`, only the indices `lead .. lead + m - 1` of its leading axis (m its
    own leading size): a part cut by heads, e.g. one KV head of a KV cache. An
    input with `row_chunk = [q, r, b, lo, hi]` holds the rows (second-to-last
    axis) k in lo..hi-1 of its argument (of its part, with `lead`) with
    ((k - lo) mod b) div r = q, in order: (part of) a matmul right-hand side
    stored as row chunks, so that a weight tile installs from several slices
    side by side (a KV cache's part too), or a matmul left-hand side, so
    that the MXM planes stream rows from several slices at once
    (docs/dialect.md). An output so holds those rows of its result, and a
    scratch tensor those of the value it holds part of (row parts of a
    value of many rows, in several slice groups: docs/compiler.md)."""

    name = "lpu.tensor"

    sym_name = prop_def(StringAttr)
    type = prop_def(TensorType)
    kind = prop_def(StringAttr)
    arg = opt_prop_def(IntAttr)
    lead = opt_prop_def(IntAttr)
    cols = opt_prop_def(IntAttr)
    row_chunk = opt_prop_def(DenseArrayBase)
    row_lanes = opt_prop_def(IntAttr)
    slice = opt_prop_def(StringAttr)
    address = opt_prop_def(IntAttr)
    value = opt_prop_def(DenseIntOrFPElementsAttr)

    traits = traits_def(SymbolOpInterface(), HasParent(ChipOp))

    def __init__(
        self,
        name: str,
        type: TensorType,
        kind: str,
        *,
        arg: int | None = None,
        lead: int | None = None,
        cols: int | None = None,
        row_chunk: tuple[int, int, int, int, int] | None = None,
        value: DenseIntOrFPElementsAttr | None = None,
        row_lanes: int | None = None,
        slice: str | None = None,
        address: int | None = None,
    ):
        props: dict[str, Attribute] = {
            "sym_name": StringAttr(name),
            "type": type,
            "kind": StringAttr(kind),
        }
        for key, given in (
            ("arg", arg),
            ("lead", lead),
            ("cols", cols),
            ("value", value),
            ("row_lanes", row_lanes),
            ("slice", slice),
            ("address", address),
        ):
            if given is not None:
                props[key] = (
                    given
                    if isinstance(given, Attribute)
                    else StringAttr(given)
                    if isinstance(given, str)
                    else IntAttr(given)
                )
        if row_chunk is not None:
            props["row_chunk"] = DenseArrayBase.from_list(i64, list(row_chunk))
        construct(self, properties=props)

    @property
    def element(self) -> str:
        """The element type of the vectors holding it (i32 words for an i64)."""
        return word_element(self.holds)

    @property
    def holds(self) -> str:
        """The declared element type (what the program reads and writes)."""
        return tensor_element_name(self.type.element_type)

    @property
    def stored_type(self) -> TensorType:
        """The tensor as its vectors hold it: an i64 or ui64 tensor as i32
        words, two per element (low word first) along the last axis."""
        if self.holds not in WORD_PAIRS:
            return self.type
        shape = tuple(self.type.get_shape()) or (1,)
        return TensorType(i32, (*shape[:-1], 2 * shape[-1]))

    def elements_per_vector(self, lanes: int) -> int:
        """Row elements per vector: `row_lanes` if given (e.g. 160 for an f16
        matmul operand, one MXM K-block per vector), else all lanes."""
        return self.row_lanes.data if self.row_lanes is not None else lanes

    def vector_count(self, lanes: int) -> int:
        rows, per_row = tensor_layout(self.stored_type, self.elements_per_vector(lanes))
        return rows * per_row

    def group_ranges(self, spec: ChipSpec) -> list[tuple[int, int]]:
        """Address ranges [lo, hi) the tensor uses in each slice group it spans:
        its vectors take consecutive addresses from `address`, continuing at
        address 0 of the next slice group outward when a slice is full."""
        assert self.address is not None
        first, end = (
            self.address.data,
            self.address.data + self.vector_count(spec.lanes),
        )
        size = spec.sram_addresses
        return [
            (max(first, g * size) - g * size, min(end, (g + 1) * size) - g * size)
            for g in range(first // size, max(first // size + 1, -(-end // size)))
        ]

    def locate(self, vector: int, spec: ChipSpec) -> tuple[int, int]:
        """(slice group, address in its slices) of one of the tensor's vectors."""
        assert self.address is not None
        linear = self.address.data + vector
        return linear // spec.sram_addresses, linear % spec.sram_addresses

    def plane_slices(self, spec: ChipSpec, group: int | None = None) -> list[str]:
        """The slices holding the byte planes of one slice group (the first when
        not given): its base slice and the next ones outward from the VXM, one
        per byte of the element type. Group g starts `g` element widths out."""
        assert self.slice is not None
        side, base = self.slice.data[0], int(self.slice.data[1:])
        width = element_bytes(self.element)
        first = base + (group or 0) * width
        return [f"{side}{first + i}" for i in range(width)]

    def verify_(self) -> None:
        if self.kind.data not in TENSOR_KINDS:
            raise verify_error(
                self,
                f"kind must be one of {', '.join(TENSOR_KINDS)}, not '{self.kind.data}'",
            )
        tensor_element_name(self.type.element_type)
        if any(d < 0 for d in self.type.get_shape()):
            raise verify_error(
                self, f"a tensor in SRAM has a static shape, not {self.type}"
            )
        if (self.arg is not None) != (self.kind.data in ("input", "output")):
            raise verify_error(
                self, "input and output tensors, and only those, carry an arg index"
            )
        if self.cols is not None and (self.arg is None or self.cols.data < 0):
            raise verify_error(
                self,
                "cols (the first column of a shard) is a non-negative column of an input or output",
            )
        if self.lead is not None and (
            self.arg is None
            or self.lead.data < 0
            or len(self.type.get_shape()) < (2 if self.row_chunk is None else 3)
        ):
            raise verify_error(
                self,
                "lead (the first index of a part along the leading axis) is a non-negative index of an input or output of rank 2 or more (3 or more if stored as row chunks: the leading axis is not the rows)",
            )
        if self.row_chunk is not None:
            chunk = [int(v) for v in self.row_chunk.get_values()]
            if (
                self.kind.data == "weight"
                or len(chunk) != 5
                or not 0 <= chunk[0] * chunk[1] < chunk[2]
                or not 0 <= chunk[3] < chunk[4]
                or len(self.type.get_shape()) < 2
            ):
                raise verify_error(
                    self,
                    f"row_chunk [q, r, b, lo, hi] (rows k in lo..hi-1 with ((k - lo) mod b) div r = q) is for an input, output or scratch of rank 2 or more, with 0 <= q*r < b and 0 <= lo < hi, not {chunk}",
                )
        if self.value is not None and self.kind.data != "weight":
            raise verify_error(self, "only weight tensors carry a value")
        if self.value is not None and self.value.type != self.type:
            raise verify_error(
                self,
                f"value type {self.value.type} does not match tensor type {self.type}",
            )
        if (self.slice is None) != (self.address is None):
            raise verify_error(self, "a placement needs both slice and address")
        found = machine_of(self)
        if (
            found is not None
            and self.row_lanes is not None
            and not 0 < self.row_lanes.data <= found[0].chip.lanes
        ):
            raise verify_error(
                self,
                f"row_lanes must be 1..{found[0].chip.lanes}, not {self.row_lanes.data}",
            )
        if self.slice is None or found is None:
            return
        spec = found[0].chip
        base = self.slice.data
        missing = (
            base
            if base not in spec.mem_slices
            else next(
                (s for s in self.plane_slices(spec) if s not in spec.mem_slices), None
            )
        )
        if missing is not None:
            raise verify_error(
                self,
                f"slice {missing} does not exist on this chip (MEM slices are W0..W{sum(1 for k in spec.mem_slices if k[0] == 'W') - 1} and E0..E{sum(1 for k in spec.mem_slices if k[0] == 'E') - 1})",
            )
        if self.address.data < 0 or self.address.data >= spec.sram_addresses:  # type: ignore[union-attr]
            raise verify_error(
                self,
                f"address {self.address.data} is outside a slice's 0..{spec.sram_addresses - 1}",
            )  # type: ignore[union-attr]
        # counted, not listed: a huge tensor must not build a list of its groups
        groups = max(
            1,
            -(
                -(self.address.data + self.vector_count(spec.lanes))
                // spec.sram_addresses
            ),
        )  # type: ignore[union-attr]
        missing = next(
            (
                s
                for g in range(1, groups)
                for s in self.plane_slices(spec, g)
                if s not in spec.mem_slices
            ),
            None,
        )
        if missing is not None:
            raise verify_error(
                self,
                f"tensor @{self.sym_name.data} needs {groups} slice groups of {spec.sram_addresses} addresses from {self.slice.data}, but slice {missing} does not exist",
            )
