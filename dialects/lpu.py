"""The LPU dialect: the instruction set of a TSP-style chip array, at two levels.

Logical level: SSA vectors and per-unit instructions, no placement, no cycles.
Scheduled level: the same ops with an issue `cycle`, a placement (VXM ALU, SXM or
MXM hemisphere, MXM plane, chip-to-chip port; MEM placement comes from the tensor
the op addresses) and the physical streams each vector travels on (`srcs`, `dst`).
The simulator executes the scheduled level; docs/dialect.md gives every op's
semantics and timing rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import ClassVar, TypeVar

from xdsl.dialects.builtin import (
    ArrayAttr,
    BFloat16Type,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    Float16Type,
    Float32Type,
    IntAttr,
    IntegerAttr,
    IntegerType,
    Signedness,
    StringAttr,
    SymbolRefAttr,
    TensorType,
)
from xdsl.ir import (
    Attribute,
    Data,
    Dialect,
    Operation,
    ParametrizedAttribute,
    Region,
    SSAValue,
    TypeAttribute,
)
from xdsl.irdl import (
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import (
    HasParent,
    IsolatedFromAbove,
    NoTerminator,
    SymbolOpInterface,
    SymbolTable,
)
from xdsl.utils.exceptions import VerifyException

from lpuir.diagnostics import LocatedVerifyException
from lpuir.machine import (
    ChipSpec,
    MachineError,
    SystemSpec,
    chip_from_params,
    system_from_params,
)

# --------------------------------------------------------------------------- types

ELEMENT_TYPES: dict[str, Attribute] = {
    "i8": IntegerType(8),
    "i16": IntegerType(16),
    "i32": IntegerType(32),
    "f16": Float16Type(),
    "bf16": BFloat16Type(),
    "f32": Float32Type(),
}
"""Element types a vector may hold, by their MLIR spelling."""

_ELEMENT_NAMES = {v: k for k, v in ELEMENT_TYPES.items()}


def element_name(t: Attribute) -> str:
    """MLIR spelling of a vector element type; raises for anything else."""
    if t in _ELEMENT_NAMES:
        return _ELEMENT_NAMES[t]
    if isinstance(t, IntegerType) and t.signedness.data != Signedness.SIGNLESS:
        raise VerifyException(f"LPU vectors hold signless integers, not {t}")
    raise VerifyException(f"LPU vectors hold i8, i16, i32, f16, bf16 or f32, not {t}")


def element_bytes(name: str) -> int:
    """Bytes per element: the number of adjacent streams a vector occupies."""
    return {"i8": 1, "i16": 2, "i32": 4, "f16": 2, "bf16": 2, "f32": 4}[name]


def is_float(name: str) -> bool:
    return name in ("f16", "bf16", "f32")


_Params = TypeVar("_Params", bound=tuple[Attribute, ...])


def _checked(
    cls: type[ParametrizedAttribute], parser: AttrParser, start: int, params: _Params
) -> _Params:
    """Parsed parameters of `cls`, verified where they were written: xDSL would
    verify the attribute only after parsing, with no position in the error."""
    try:
        cls.new(params)
    except VerifyException as e:
        parser.raise_error(str(e), start, parser.pos)
    return params


@irdl_attr_definition
class VectorType(ParametrizedAttribute, TypeAttribute):
    """`count` vectors of one lane-width each, on consecutive cycles (a burst; the
    ICU's Repeat n,1). `!lpu.vec<f32>` is one vector, `!lpu.vec<f32, 4>` four."""

    name = "lpu.vec"

    element_type: Attribute
    count: IntAttr

    def __init__(self, element_type: Attribute | str, count: int = 1):
        if isinstance(element_type, str):
            element_type = ELEMENT_TYPES[element_type]
        super().__init__(element_type, IntAttr(count))

    @property
    def element(self) -> str:
        return element_name(self.element_type)

    @property
    def n(self) -> int:
        return self.count.data

    def verify(self) -> None:
        element_name(self.element_type)
        if self.count.data < 1:
            raise VerifyException(
                f"a vector burst holds at least one vector, not {self.count.data}"
            )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[Attribute, IntAttr]:
        start = parser.pos
        with parser.in_angle_brackets():
            element = parser.parse_type()
            count = (
                parser.parse_integer() if parser.parse_optional_punctuation(",") else 1
            )
        return _checked(cls, parser, start, (element, IntAttr(count)))

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_attribute(self.element_type)
            if self.count.data != 1:
                printer.print_string(f", {self.count.data}")


@irdl_attr_definition
class WeightsType(ParametrizedAttribute, TypeAttribute):
    """A weight tile installed in one MXM plane (K rows of one lane-width each)."""

    name = "lpu.weights"

    element_type: Attribute

    @property
    def element(self) -> str:
        return element_name(self.element_type)

    def verify(self) -> None:
        if element_name(self.element_type) not in ("i8", "f16", "bf16"):
            raise VerifyException(
                f"MXM weights are i8, f16 or bf16, not {self.element_type}"
            )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[Attribute]:
        start = parser.pos
        with parser.in_angle_brackets():
            element = parser.parse_type()
        return _checked(cls, parser, start, (element,))

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_attribute(self.element_type)


# ---------------------------------------------------------------- machine attributes


def _parse_preset_and_overrides(
    cls: type[ParametrizedAttribute], parser: AttrParser
) -> tuple[StringAttr, DictionaryAttr]:
    start = parser.pos
    with parser.in_angle_brackets():
        preset = parser.parse_str_literal("preset name")
        overrides = {}
        if parser.parse_optional_punctuation(","):
            overrides = parser.parse_optional_dictionary_attr_dict()
    return _checked(cls, parser, start, (StringAttr(preset), DictionaryAttr(overrides)))


def _print_preset_and_overrides(
    printer: Printer, preset: StringAttr, overrides: DictionaryAttr
) -> None:
    with printer.in_angle_brackets():
        printer.print_string_literal(preset.data)
        if overrides.data:
            printer.print_string(", ")
            printer.print_attr_dict(overrides.data)


def _plain_value(key: str, value: Attribute) -> int | str:
    if isinstance(value, StringAttr):
        return value.data
    if hasattr(value, "value") and isinstance(value.value, IntAttr):
        return value.value.data  # type: ignore[attr-defined]
    raise VerifyException(
        f"machine parameter '{key}' must be an integer or a string, not {value}"
    )


@irdl_attr_definition
class ChipAttr(ParametrizedAttribute):
    """`#lpu.chip<"tsp-v1">` or `#lpu.chip<"tsp-v1", {delay_vxm = 3 : i64}>`: a chip
    preset with some parameters overridden (see `lpuir.machine.ChipSpec`)."""

    name = "lpu.chip"

    preset: StringAttr
    overrides: DictionaryAttr

    def __init__(
        self, preset: str = "tsp-v1", overrides: dict[str, Attribute] | None = None
    ):
        super().__init__(StringAttr(preset), DictionaryAttr(overrides or {}))

    @property
    def spec(self) -> ChipSpec:
        return _chip_spec(self)

    def verify(self) -> None:
        try:
            self.spec  # noqa: B018
        except MachineError as e:
            raise VerifyException(f"#lpu.chip: {e}") from e

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[StringAttr, DictionaryAttr]:
        return _parse_preset_and_overrides(cls, parser)

    def print_parameters(self, printer: Printer) -> None:
        _print_preset_and_overrides(printer, self.preset, self.overrides)


_CHIP_CACHE: dict[ChipAttr, ChipSpec] = {}


def _chip_spec(attr: ChipAttr) -> ChipSpec:
    if attr not in _CHIP_CACHE:
        params = {k: _plain_value(k, v) for k, v in attr.overrides.data.items()}
        _CHIP_CACHE[attr] = chip_from_params(attr.preset.data, params)
    return _CHIP_CACHE[attr]


@irdl_attr_definition
class SystemAttr(ParametrizedAttribute):
    """`#lpu.system<"node8">` or `#lpu.system<"node8", {local_latency = 250 : i64}>`:
    a system preset with overrides; `chip` may be a preset name or a `#lpu.chip`.
    The links follow from the topology (see `lpuir.machine.SystemSpec`)."""

    name = "lpu.system"

    preset: StringAttr
    overrides: DictionaryAttr

    def __init__(
        self, preset: str = "tsp-v1", overrides: dict[str, Attribute] | None = None
    ):
        super().__init__(StringAttr(preset), DictionaryAttr(overrides or {}))

    @staticmethod
    def from_option(text: str) -> SystemAttr:
        """The machine a pass option names: a preset, a preset with overrides
        as in `.lpu` text (`node8 {chips_per_node = 4}`), or `#lpu.system<...>`."""
        if text.lstrip().startswith("#"):
            from xdsl.parser import Parser

            from lpuir.context import make_context

            attr = Parser(make_context(), text, "system").parse_attribute()
            if not isinstance(attr, SystemAttr):
                raise VerifyException(
                    f"system must be a preset name or an #lpu.system, not {attr}"
                )
            attr.verify()
            return attr
        name, _, rest = text.partition("{")
        overrides: dict[str, Attribute] = {}
        for item in rest.rstrip().removesuffix("}").split(","):
            if not item.strip():
                continue
            key, _, value = (p.strip() for p in item.partition("="))
            value = value.strip('"')
            overrides[key] = (
                IntegerAttr(int(value), 64)
                if value.lstrip("-").isdigit()
                else StringAttr(value)
            )
        attr = SystemAttr(name.strip().strip('"'), overrides)
        attr.verify()
        return attr

    @property
    def spec(self) -> SystemSpec:
        return _system_spec(self)

    def verify(self) -> None:
        try:
            self.spec  # noqa: B018
        except MachineError as e:
            raise VerifyException(f"#lpu.system: {e}") from e

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[StringAttr, DictionaryAttr]:
        return _parse_preset_and_overrides(cls, parser)

    def print_parameters(self, printer: Printer) -> None:
        _print_preset_and_overrides(printer, self.preset, self.overrides)


_SYSTEM_CACHE: dict[SystemAttr, SystemSpec] = {}


def _system_spec(attr: SystemAttr) -> SystemSpec:
    if attr not in _SYSTEM_CACHE:
        params: dict[str, object] = {}
        chip: ChipSpec | None = None
        for key, value in attr.overrides.data.items():
            if key == "chip" and isinstance(value, ChipAttr):
                chip = value.spec
            else:
                params[key] = _plain_value(key, value)
        _SYSTEM_CACHE[attr] = system_from_params(attr.preset.data, params, chip)
    return _SYSTEM_CACHE[attr]


# ----------------------------------------------------------------- place attributes

_STREAM_RE = re.compile(r"S(\d+)([EW])")


@irdl_attr_definition
class StreamAttr(Data[tuple[int, str]]):
    """A physical stream group: `#lpu.stream<S3E>` is eastward stream 3 (and the next
    ones for multi-byte elements: 2 streams for 16-bit types, 4 for 32-bit)."""

    name = "lpu.stream"

    @property
    def index(self) -> int:
        return self.data[0]

    @property
    def direction(self) -> str:
        return self.data[1]

    def __str__(self) -> str:
        return f"S{self.data[0]}{self.data[1]}"

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> tuple[int, str]:
        with parser.in_angle_brackets():
            pos = parser.pos
            ident = parser.parse_identifier("stream name like S3E")
            m = _STREAM_RE.fullmatch(ident)
            if m is None:
                parser.raise_error(
                    "expected a stream name like S3E or S0W", pos, parser.pos
                )
            return (int(m.group(1)), m.group(2))

    def print_parameter(self, printer: Printer) -> None:
        printer.print_string(f"<{self}>")


@irdl_attr_definition
class AluAttr(Data[int]):
    """Operand source `#lpu.alu<3>`: chained directly from VXM ALU 3's output."""

    name = "lpu.alu"

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> int:
        with parser.in_angle_brackets():
            return parser.parse_integer(allow_negative=False)

    def print_parameter(self, printer: Printer) -> None:
        printer.print_string(f"<{self.data}>")


Source = StreamAttr | AluAttr

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


def _err(op: Operation, msg: str) -> VerifyException:
    return LocatedVerifyException(op, f"'{op.name}': {msg}")


# ----------------------------------------------------------------------- structure


CYCLE_LIMIT = 1 << 39
"""Issue cycles are below this (10 minutes at 900 MHz), so that every event of a
burst stays within the simulator's time span (sim_memory.TIME_SPAN, 2**40)."""

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
        _verify_network(self)


def _block(ops: Sequence[Operation]):
    from xdsl.ir import Block

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
                    raise _err(
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
                        raise _err(
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
    `cols .. cols + n - 1` of its argument: a shard of it on this chip."""

    name = "lpu.tensor"

    sym_name = prop_def(StringAttr)
    type = prop_def(TensorType)
    kind = prop_def(StringAttr)
    arg = opt_prop_def(IntAttr)
    cols = opt_prop_def(IntAttr)
    row_lanes = opt_prop_def(IntAttr)
    slice = opt_prop_def(StringAttr)
    address = opt_prop_def(IntAttr)
    value = opt_prop_def(DenseIntOrFPElementsAttr)

    traits = traits_def(SymbolOpInterface(), HasParent(ChipOp))

    @property
    def element(self) -> str:
        return element_name(self.type.element_type)

    def elements_per_vector(self, lanes: int) -> int:
        """Row elements per vector: `row_lanes` if given (e.g. 160 for an f16
        matmul operand, one MXM K-block per vector), else all lanes."""
        return self.row_lanes.data if self.row_lanes is not None else lanes

    def vector_count(self, lanes: int) -> int:
        rows, per_row = tensor_layout(self.type, self.elements_per_vector(lanes))
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
            raise _err(
                self,
                f"kind must be one of {', '.join(TENSOR_KINDS)}, not '{self.kind.data}'",
            )
        element_name(self.type.element_type)
        if any(d < 0 for d in self.type.get_shape()):
            raise _err(self, f"a tensor in SRAM has a static shape, not {self.type}")
        if (self.arg is not None) != (self.kind.data in ("input", "output")):
            raise _err(
                self, "input and output tensors, and only those, carry an arg index"
            )
        if self.cols is not None and (self.arg is None or self.cols.data < 0):
            raise _err(
                self,
                "cols (the first column of a shard) is a non-negative column of an input or output",
            )
        if self.value is not None and self.kind.data != "weight":
            raise _err(self, "only weight tensors carry a value")
        if self.value is not None and self.value.type != self.type:
            raise _err(
                self,
                f"value type {self.value.type} does not match tensor type {self.type}",
            )
        if (self.slice is None) != (self.address is None):
            raise _err(self, "a placement needs both slice and address")
        found = machine_of(self)
        if (
            found is not None
            and self.row_lanes is not None
            and not 0 < self.row_lanes.data <= found[0].chip.lanes
        ):
            raise _err(
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
            raise _err(
                self,
                f"slice {missing} does not exist on this chip (MEM slices are W0..W{sum(1 for k in spec.mem_slices if k[0] == 'W') - 1} and E0..E{sum(1 for k in spec.mem_slices if k[0] == 'E') - 1})",
            )
        if self.address.data < 0 or self.address.data >= spec.sram_addresses:  # type: ignore[union-attr]
            raise _err(
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
            raise _err(
                self,
                f"tensor @{self.sym_name.data} needs {groups} slice groups of {spec.sram_addresses} addresses from {self.slice.data}, but slice {missing} does not exist",
            )


# ------------------------------------------------------------------- instructions


class Instruction(IRDLOperation):
    """Base of every LPU instruction.

    `STREAM_OPERANDS` names the vector operands that arrive on streams (one
    entry of `srcs` each, in that order); `DELAY` is the machine's delay kind;
    `UNIT` the functional unit kind.
    """

    cycle = opt_prop_def(IntAttr)

    traits = traits_def(HasParent(ChipOp))

    UNIT: ClassVar[str] = ""
    DELAY: ClassVar[str] = ""
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ()
    HAS_DST: ClassVar[bool] = False
    PLACEMENT: ClassVar[tuple[str, ...]] = ()
    """Placement properties present exactly at the scheduled level."""

    @property
    def is_scheduled(self) -> bool:
        return self.cycle is not None

    def result_delay(self, spec: ChipSpec) -> int:
        """Cycles from taking burst vector k (at issue + k) to its result: the
        functional delay of the timing law [ISCA20]."""
        return spec.delay(self.DELAY) if self.DELAY else 0

    def stream_operands(self) -> list[SSAValue]:
        out: list[SSAValue] = []
        for name in self.STREAM_OPERANDS:
            value = getattr(self, name)
            if value is None:
                continue
            out.extend(value if isinstance(value, Sequence) else [value])
        return out

    def sources(self) -> list[Source]:
        srcs = getattr(self, "srcs", None)
        return list(srcs.data) if srcs is not None else []

    @property
    def burst(self) -> int:
        """Vectors this instruction handles, one per cycle: its longest vector
        operand or result (an install's rows arrive side by side)."""
        counts = [
            v.type.n
            for v in [*self.results, *self.stream_operands()]
            if isinstance(v.type, VectorType)
        ]
        return max(counts, default=1)

    def verify_logical(self) -> None:
        for name in ("srcs", "dst", *self.PLACEMENT):
            if getattr(self, name, None) is not None:
                raise _err(
                    self,
                    f"'{name}' is a scheduled-level property, but this chip's program has no cycles",
                )

    def verify_scheduled(self) -> None:
        found = machine_of(self)
        assert found is not None
        spec = found[0].chip
        assert self.cycle is not None
        if self.cycle.data < 0:
            raise _err(self, f"cycle {self.cycle.data} is negative")
        if self.cycle.data >= CYCLE_LIMIT:
            raise _err(self, f"cycle {self.cycle.data} is not below 2**39")
        for name in self.PLACEMENT:
            if getattr(self, name, None) is None:
                raise _err(self, f"a scheduled instruction needs '{name}'")
        operands = self.stream_operands()
        srcs = self.sources()
        if len(srcs) != len(operands):
            raise _err(
                self,
                f"has {len(operands)} stream operand(s) but {len(srcs)} source(s) in 'srcs'",
            )
        for value, src in zip(operands, srcs, strict=True):
            self._verify_source(spec, value, src)
        dst = getattr(self, "dst", None)
        if dst is not None:
            self._verify_stream(spec, dst, self.results[0].type)

    def _verify_stream(self, spec: ChipSpec, stream: StreamAttr, t: Attribute) -> None:
        width = element_bytes(t.element) if isinstance(t, VectorType) else 1
        if stream.direction not in ("E", "W"):
            raise _err(self, f"stream direction must be E or W, not {stream.direction}")
        if stream.index < 0 or stream.index + width > spec.streams:
            raise _err(
                self,
                f"stream {stream} with {width} byte plane(s) needs streams {stream.index}..{stream.index + width - 1}, but there are {spec.streams} per direction",
            )

    def _verify_source(self, spec: ChipSpec, value: SSAValue, src: Attribute) -> None:
        producer = value.owner
        if isinstance(src, StreamAttr):
            self._verify_stream(spec, src, value.type)
            if (
                isinstance(producer, Instruction)
                and getattr(producer, "dst", None) != src
            ):
                raise _err(
                    self,
                    f"reads {(value.name_hint and '%' + value.name_hint) or 'an operand'} from stream {src}, but its producer puts it on {getattr(producer, 'dst', None) or 'no stream'}",
                )
        elif isinstance(src, AluAttr):
            if not isinstance(self, VxmOp):
                raise _err(self, "only VXM instructions chain from an ALU")
            if (
                not isinstance(producer, VxmOp)
                or producer.alu is None
                or producer.alu.data != src.data
            ):
                raise _err(
                    self,
                    f"chains from ALU {src.data}, but the operand was not computed on that ALU",
                )
        else:
            raise _err(self, f"a source is a stream or an ALU, not {src}")


# MEM ---------------------------------------------------------------------------


class MemOp(Instruction):
    """Base of MEM instructions: they address a tensor of their chip."""

    UNIT: ClassVar[str] = "MEM"
    tensor = prop_def(SymbolRefAttr)

    def tensor_op(self) -> TensorOp:
        chip = self.parent_op()
        found = (
            chip.tensor_named(self.tensor.root_reference.data)
            if isinstance(chip, ChipOp) and not self.tensor.nested_references.data
            else SymbolTable.lookup_symbol(self, self.tensor)
        )
        if not isinstance(found, TensorOp):
            raise _err(
                self, f"no tensor @{self.tensor.root_reference.data} on this chip"
            )
        return found

    def verify_tensor_vector(self, t: Attribute) -> TensorOp:
        tensor = self.tensor_op()
        if isinstance(t, VectorType) and t.element_type != tensor.type.element_type:
            raise _err(
                self,
                f"vector element type {t.element_type} does not match tensor @{tensor.sym_name.data} of {tensor.type.element_type}",
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
            raise _err(
                self,
                f"vectors {indices.start}..{indices[-1]} are out of range: tensor @{tensor.sym_name.data} has {count}",
            )

    def slice_group(self, spec: ChipSpec) -> int:
        """The slice group this instruction's burst reads or writes (a burst
        stays in one; gathers and scatters need an unspanned tensor)."""
        tensor = self.tensor_op()
        if isinstance(self, ReadOp | WriteOp):
            return tensor.locate(self.vector_indices().start, spec)[0]
        return tensor.locate(0, spec)[0]

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        tensor = self.tensor_op()
        if tensor.slice is None:
            raise _err(
                self,
                f"tensor @{self.tensor.root_reference.data} has no SRAM placement, so this scheduled instruction has no slice",
            )
        found = machine_of(self)
        assert found is not None
        spec = found[0].chip
        groups = len(tensor.group_ranges(spec))
        if isinstance(self, ReadOp | WriteOp):
            indices = self.vector_indices()
            first, last = (
                tensor.locate(indices.start, spec)[0],
                tensor.locate(indices[-1], spec)[0],
            )
            if first != last:
                raise _err(
                    self,
                    f"the burst reaches from slice group {first} into {last} of tensor @{tensor.sym_name.data}; an instruction works on one slice group",
                )
        elif groups > 1:
            raise _err(
                self,
                f"tensor @{tensor.sym_name.data} spans {groups} slice groups; per-lane addresses need a tensor in one",
            )


@irdl_op_definition
class ReadOp(MemOp):
    """Read vectors index, index+step, ... of a tensor onto a stream."""

    name = "lpu.mem.read"
    DELAY: ClassVar[str] = "read"
    HAS_DST: ClassVar[bool] = True

    index = prop_def(IntAttr)
    step = opt_prop_def(IntAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def verify_(self) -> None:
        self.verify_index(self.result.type)

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        if self.dst is None:
            raise _err(self, "a scheduled read needs a destination stream")


@irdl_op_definition
class WriteOp(MemOp):
    """Write vectors from a stream into vectors index, index+step, ... of a
    tensor (step at least 1)."""

    name = "lpu.mem.write"
    DELAY: ClassVar[str] = "write"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("value",)

    value = operand_def(VectorType)
    index = prop_def(IntAttr)
    step = opt_prop_def(IntAttr)
    srcs = opt_prop_def(ArrayAttr)

    def verify_(self) -> None:
        if self.step is not None and self.step.data < 1:
            raise _err(
                self,
                "a write's step is at least 1 (step 0 would write one vector n times)",
            )
        self.verify_index(self.value.type)


@irdl_op_definition
class GatherOp(MemOp):
    """Per-lane read: lane l gets lane l of the tensor's vector indices[l]."""

    name = "lpu.mem.gather"
    DELAY: ClassVar[str] = "gather"
    HAS_DST: ClassVar[bool] = True
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("indices",)

    indices = operand_def(VectorType)
    srcs = opt_prop_def(ArrayAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def verify_(self) -> None:
        self.verify_tensor_vector(self.result.type)
        _verify_index_vector(self, self.indices, self.result.type)

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        if self.dst is None:
            raise _err(self, "a scheduled gather needs a destination stream")


@irdl_op_definition
class ScatterOp(MemOp):
    """Per-lane write: lane l of value goes to lane l of vector indices[l]."""

    name = "lpu.mem.scatter"
    DELAY: ClassVar[str] = "scatter"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("value", "indices")

    value = operand_def(VectorType)
    indices = operand_def(VectorType)
    srcs = opt_prop_def(ArrayAttr)

    def verify_(self) -> None:
        self.verify_tensor_vector(self.value.type)
        _verify_index_vector(self, self.indices, self.value.type)


def _verify_index_vector(op: Operation, indices: SSAValue, data: Attribute) -> None:
    it, dt = indices.type, data
    assert isinstance(it, VectorType) and isinstance(dt, VectorType)
    if it.element not in ("i16", "i32"):
        raise _err(op, f"indices are i16 or i32 vectors, not {it.element}")
    if it.n != dt.n:
        raise _err(op, f"{it.n} index vectors for {dt.n} data vectors")


# VXM ---------------------------------------------------------------------------


class VxmOp(Instruction):
    """Base of VXM instructions: elementwise over lanes, on one ALU per lane
    group. A result without `dst` stays on its ALU for a chained consumer."""

    UNIT: ClassVar[str] = "VXM"
    HAS_DST: ClassVar[bool] = True
    PLACEMENT: ClassVar[tuple[str, ...]] = ("alu",)
    FLOAT_ONLY: ClassVar[bool] = False
    INT_ONLY: ClassVar[bool] = False
    SAME_TYPE: ClassVar[bool] = True
    DELAY: ClassVar[str] = "vxm"

    alu = opt_prop_def(IntAttr)
    srcs = opt_prop_def(ArrayAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def verify_(self) -> None:
        rt = self.result.type
        assert isinstance(rt, VectorType)
        for v in self.operands:
            t = v.type
            if not isinstance(t, VectorType) or t.n != rt.n:
                raise _err(self, f"operand {t} and result {rt} differ in burst length")
            if self.SAME_TYPE and t.element_type != self._operand_element(rt):
                raise _err(self, f"operand type {t} does not match {rt}")
        if self.FLOAT_ONLY and not is_float(rt.element):
            raise _err(self, f"works on f16, bf16 and f32, not {rt.element}")
        if self.INT_ONLY and is_float(rt.element):
            raise _err(self, f"works on integers, not {rt.element}")

    def _operand_element(self, rt: VectorType) -> Attribute:
        return rt.element_type

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        found = machine_of(self)
        assert found is not None and self.alu is not None
        if not 0 <= self.alu.data < found[0].chip.vxm_alus:
            raise _err(
                self,
                f"ALU {self.alu.data} does not exist: the VXM has {found[0].chip.vxm_alus} per lane",
            )


class VxmUnaryOp(VxmOp):
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("input",)
    input = operand_def(VectorType)


class VxmBinaryOp(VxmOp):
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("lhs", "rhs")
    lhs = operand_def(VectorType)
    rhs = operand_def(VectorType)


class VxmTranscendentalOp(VxmUnaryOp):
    FLOAT_ONLY: ClassVar[bool] = True
    DELAY: ClassVar[str] = "vxm_transcendental"


@irdl_op_definition
class NegOp(VxmUnaryOp):
    """Negation (integers wrap)."""

    name = "lpu.vxm.neg"


@irdl_op_definition
class AbsOp(VxmUnaryOp):
    """Absolute value (the integer minimum wraps to itself)."""

    name = "lpu.vxm.abs"


@irdl_op_definition
class NotOp(VxmUnaryOp):
    """Bitwise complement."""

    name = "lpu.vxm.not"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class CopyOp(VxmUnaryOp):
    """Identity: moves a vector to another stream or ALU."""

    name = "lpu.vxm.copy"


@irdl_op_definition
class ReluOp(VxmUnaryOp):
    """max(x, 0)."""

    name = "lpu.vxm.relu"


@irdl_op_definition
class ExpOp(VxmTranscendentalOp):
    """e**x by the numerics spec's algorithm."""

    name = "lpu.vxm.exp"


@irdl_op_definition
class LogOp(VxmTranscendentalOp):
    """Natural logarithm."""

    name = "lpu.vxm.log"


@irdl_op_definition
class TanhOp(VxmTranscendentalOp):
    """Hyperbolic tangent."""

    name = "lpu.vxm.tanh"


@irdl_op_definition
class SigmoidOp(VxmTranscendentalOp):
    """1 / (1 + e**-x)."""

    name = "lpu.vxm.sigmoid"


@irdl_op_definition
class ErfOp(VxmTranscendentalOp):
    """Error function."""

    name = "lpu.vxm.erf"


@irdl_op_definition
class RsqrtOp(VxmTranscendentalOp):
    """1 / sqrt(x)."""

    name = "lpu.vxm.rsqrt"


@irdl_op_definition
class ReciprocalOp(VxmTranscendentalOp):
    """1 / x."""

    name = "lpu.vxm.reciprocal"


@irdl_op_definition
class AddOp(VxmBinaryOp):
    """Sum (integers wrap)."""

    name = "lpu.vxm.add"


@irdl_op_definition
class SubOp(VxmBinaryOp):
    """Difference (integers wrap)."""

    name = "lpu.vxm.sub"


@irdl_op_definition
class MulOp(VxmBinaryOp):
    """Product (integers wrap)."""

    name = "lpu.vxm.mul"


@irdl_op_definition
class DivOp(VxmBinaryOp):
    """Quotient (integers truncate toward zero)."""

    name = "lpu.vxm.div"


@irdl_op_definition
class MinOp(VxmBinaryOp):
    """Minimum (NaN propagates)."""

    name = "lpu.vxm.min"


@irdl_op_definition
class MaxOp(VxmBinaryOp):
    """Maximum (NaN propagates)."""

    name = "lpu.vxm.max"


@irdl_op_definition
class AndOp(VxmBinaryOp):
    """Bitwise and."""

    name = "lpu.vxm.and"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class OrOp(VxmBinaryOp):
    """Bitwise or."""

    name = "lpu.vxm.or"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class XorOp(VxmBinaryOp):
    """Bitwise exclusive or."""

    name = "lpu.vxm.xor"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class ShlOp(VxmBinaryOp):
    """Shift left by the rhs lane's value."""

    name = "lpu.vxm.shl"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class ShrOp(VxmBinaryOp):
    """Arithmetic shift right."""

    name = "lpu.vxm.shr"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class ShruOp(VxmBinaryOp):
    """Logical shift right."""

    name = "lpu.vxm.shru"
    INT_ONLY: ClassVar[bool] = True


@irdl_op_definition
class PowOp(VxmBinaryOp):
    """x ** y by the numerics spec's algorithm."""

    name = "lpu.vxm.pow"
    FLOAT_ONLY: ClassVar[bool] = True
    DELAY: ClassVar[str] = "vxm_transcendental"


CMP_PREDICATES = ("eq", "ne", "lt", "le", "gt", "ge")


@irdl_op_definition
class CmpOp(VxmBinaryOp):
    """Lane-wise comparison; the result lane is 1 where it holds, else 0."""

    name = "lpu.vxm.cmp"
    SAME_TYPE: ClassVar[bool] = False

    predicate = prop_def(StringAttr)

    def verify_(self) -> None:
        super().verify_()
        if self.predicate.data not in CMP_PREDICATES:
            raise _err(self, f"predicate must be one of {', '.join(CMP_PREDICATES)}")
        if self.lhs.type.element_type != self.rhs.type.element_type:  # type: ignore[attr-defined]
            raise _err(self, "compares vectors of one element type")
        if is_float(self.result.type.element):  # type: ignore[attr-defined]
            raise _err(self, "the result of a comparison is an integer mask")


@irdl_op_definition
class SelectOp(VxmOp):
    """Lane-wise choice: on_true where the mask lane is non-zero, else on_false."""

    name = "lpu.vxm.select"
    SAME_TYPE: ClassVar[bool] = False
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("mask", "on_true", "on_false")

    mask = operand_def(VectorType)
    on_true = operand_def(VectorType)
    on_false = operand_def(VectorType)

    def verify_(self) -> None:
        super().verify_()
        if is_float(self.mask.type.element):  # type: ignore[attr-defined]
            raise _err(self, "the mask is an integer vector")
        for v in (self.on_true, self.on_false):
            if v.type.element_type != self.result.type.element_type:  # type: ignore[attr-defined]
                raise _err(
                    self, f"choice {v.type} does not match result {self.result.type}"
                )


@irdl_op_definition
class ConvertOp(VxmUnaryOp):
    """Element type conversion, rounding and saturating as the numerics spec says."""

    name = "lpu.vxm.convert"
    SAME_TYPE: ClassVar[bool] = False
    DELAY: ClassVar[str] = "vxm_convert"


# SXM ---------------------------------------------------------------------------


class SxmOp(Instruction):
    """Base of SXM instructions: they move lanes, on a hemisphere's SXM."""

    UNIT: ClassVar[str] = "SXM"
    HAS_DST: ClassVar[bool] = True
    PLACEMENT: ClassVar[tuple[str, ...]] = ("hemisphere",)
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("input",)

    input = operand_def(VectorType)
    hemisphere = opt_prop_def(StringAttr)
    srcs = opt_prop_def(ArrayAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def verify_(self) -> None:
        if self.input.type != self.result.type:
            raise _err(
                self,
                f"moves lanes, so its result type {self.result.type} must equal its input type {self.input.type}",
            )
        if self.hemisphere is not None and self.hemisphere.data not in ("W", "E"):
            raise _err(self, f"hemisphere must be W or E, not {self.hemisphere.data}")

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        if self.dst is None:
            raise _err(self, "a scheduled SXM instruction needs a destination stream")


@irdl_op_definition
class ShiftOp(SxmOp):
    """Lanes move `amount` places north (to higher lanes) or south; zeros fill in."""

    name = "lpu.sxm.shift"
    DELAY: ClassVar[str] = "sxm_shift"

    direction = prop_def(StringAttr)
    amount = prop_def(IntAttr)

    def verify_(self) -> None:
        super().verify_()
        if self.direction.data not in ("north", "south"):
            raise _err(
                self, f"direction must be north or south, not {self.direction.data}"
            )


@irdl_op_definition
class RotateOp(SxmOp):
    """Lanes rotate `amount` places north (to higher lanes), wrapping around."""

    name = "lpu.sxm.rotate"
    DELAY: ClassVar[str] = "sxm_rotate"

    amount = prop_def(IntAttr)


@irdl_op_definition
class PermuteOp(SxmOp):
    """Any bijection of the lanes: result lane l = input lane map[l]."""

    name = "lpu.sxm.permute"
    DELAY: ClassVar[str] = "sxm_permute"

    map = prop_def(DenseArrayBase)

    def verify_(self) -> None:
        super().verify_()
        values = list(self.map.get_values())
        found = machine_of(self)
        lanes = found[0].chip.lanes if found else len(values)
        if len(values) != lanes or sorted(values) != list(range(lanes)):
            raise _err(self, f"map must be a permutation of the {lanes} lanes")


@irdl_op_definition
class DistributeOp(SxmOp):
    """Within every superlane: result lane i = input lane map[i] (any map)."""

    name = "lpu.sxm.distribute"
    DELAY: ClassVar[str] = "sxm_distribute"

    map = prop_def(DenseArrayBase)

    def verify_(self) -> None:
        super().verify_()
        values = list(self.map.get_values())
        found = machine_of(self)
        width = found[0].chip.lanes_per_superlane if found else len(values)
        if len(values) != width or not all(0 <= v < width for v in values):
            raise _err(
                self,
                f"map must give one source lane in 0..{width - 1} for each of the {width} lanes of a superlane",
            )


@irdl_op_definition
class TransposeOp(SxmOp):
    """Per superlane, transposes each group of 16 vectors x 16 lanes."""

    name = "lpu.sxm.transpose"
    DELAY: ClassVar[str] = "sxm_transpose"

    def result_delay(self, spec: ChipSpec) -> int:
        """A transpose also waits for the last vector of its group of 16."""
        return spec.delay(self.DELAY) + spec.lanes_per_superlane - 1

    def verify_(self) -> None:
        super().verify_()
        found = machine_of(self)
        width = found[0].chip.lanes_per_superlane if found else 16
        if self.input.type.n % width:  # type: ignore[attr-defined]
            raise _err(
                self,
                f"transposes bursts of a multiple of {width} vectors, not {self.input.type.n}",
            )  # type: ignore[attr-defined]


# MXM ---------------------------------------------------------------------------


class MxmOp(Instruction):
    UNIT: ClassVar[str] = "MXM"
    PLACEMENT: ClassVar[tuple[str, ...]] = ("hemisphere", "plane")

    hemisphere = opt_prop_def(StringAttr)
    plane = opt_prop_def(IntAttr)
    srcs = opt_prop_def(ArrayAttr)

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        found = machine_of(self)
        assert (
            found is not None and self.plane is not None and self.hemisphere is not None
        )
        if self.hemisphere.data not in ("W", "E"):
            raise _err(self, f"hemisphere must be W or E, not {self.hemisphere.data}")
        if not 0 <= self.plane.data < found[0].chip.mxm_planes:
            raise _err(
                self,
                f"plane {self.plane.data} does not exist: each MXM has {found[0].chip.mxm_planes}",
            )


@irdl_op_definition
class InstallOp(MxmOp):
    """Install a weight tile in a plane: the rows, in operand order, are the K
    rows of the tile (each row one output-lane vector); missing rows are zero."""

    name = "lpu.mxm.install"
    DELAY: ClassVar[str] = "mxm_install"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("rows",)

    rows = var_operand_def(VectorType)
    result = result_def(WeightsType)

    def verify_(self) -> None:
        wt = self.result.type
        assert isinstance(wt, WeightsType)
        total = 0
        for v in self.rows:
            if v.type.element_type != wt.element_type:  # type: ignore[attr-defined]
                raise _err(self, f"row type {v.type} does not match {wt}")
            total += v.type.n  # type: ignore[attr-defined]
        found = machine_of(self)
        k = found[0].chip.mxm_k(wt.element) if found else total
        if not 0 < total <= k:
            raise _err(
                self,
                f"installs {total} rows, but a plane holds 1..{k} rows of {wt.element}",
            )


ACCUMULATOR = {"i8": "i32", "f16": "f32", "bf16": "f32"}


@irdl_op_definition
class MatmulOp(MxmOp):
    """Each input vector x (its first K lanes) times the plane's weights: result
    lane j = sum_k x[k] * w[k][j], one K-block fused (see docs/numerics.md); with
    `acc`, added to the plane's accumulators that hold `acc`."""

    name = "lpu.mxm.matmul"
    DELAY: ClassVar[str] = "mxm_matmul"
    HAS_DST: ClassVar[bool] = True
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("input",)

    weights = operand_def(WeightsType)
    input = operand_def(VectorType)
    acc = opt_operand_def(VectorType)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def verify_(self) -> None:
        wt, xt, rt = self.weights.type, self.input.type, self.result.type
        assert (
            isinstance(wt, WeightsType)
            and isinstance(xt, VectorType)
            and isinstance(rt, VectorType)
        )
        if xt.element_type != wt.element_type:
            raise _err(self, f"input {xt} does not match weights {wt}")
        if rt.element != ACCUMULATOR[wt.element] or rt.n != xt.n:
            raise _err(
                self,
                f"result must be !lpu.vec<{ACCUMULATOR[wt.element]}, {xt.n}>, not {rt}",
            )
        if self.acc is not None and self.acc.type != rt:
            raise _err(self, f"accumulator {self.acc.type} does not match result {rt}")

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        for dep, what in (
            (self.weights.owner, "weights"),
            (self.acc.owner if self.acc else None, "accumulators"),
        ):
            if isinstance(dep, MxmOp) and (dep.hemisphere, dep.plane) != (
                self.hemisphere,
                self.plane,
            ):
                raise _err(
                    self,
                    f"its {what} live in MXM {dep.hemisphere.data}.{dep.plane.data}, not {self.hemisphere.data}.{self.plane.data}",
                )  # type: ignore[union-attr]


# C2C (network) -----------------------------------------------------------------


class NetworkOp(Instruction):
    UNIT: ClassVar[str] = "C2C"
    channel = prop_def(StringAttr)

    def verify_port(self, port: IntAttr | None) -> None:
        found = machine_of(self)
        if port is None or found is None:
            return
        system, chip = found
        if port.data >= system.chip.link_ports:
            raise _err(
                self,
                f"port {port.data} does not exist: chips have {system.chip.link_ports}",
            )
        if system.link_at(chip, port.data) is None:
            raise _err(self, f"chip {chip} port {port.data} has no link in this system")


@irdl_op_definition
class SendOp(NetworkOp):
    """Send one vector towards chip `to` on `channel`; scheduled: on `port`,
    where the link's other end receives it exactly one link latency later."""

    name = "lpu.c2c.send"
    STREAM_OPERANDS: ClassVar[tuple[str, ...]] = ("value",)
    PLACEMENT: ClassVar[tuple[str, ...]] = ("port",)

    value = operand_def(VectorType)
    to = prop_def(IntAttr)
    port = opt_prop_def(IntAttr)
    srcs = opt_prop_def(ArrayAttr)

    def verify_(self) -> None:
        if self.value.type.n != 1:  # type: ignore[attr-defined]
            raise _err(
                self, "links carry one vector per send (a burst would need buffering)"
            )
        self.verify_port(self.port)


@irdl_op_definition
class RecvOp(NetworkOp):
    """Receive the vector that chip `sender` sent on `channel`; scheduled: on
    `port`, at exactly the send cycle plus the link latency."""

    name = "lpu.c2c.recv"
    DELAY: ClassVar[str] = "receive"
    HAS_DST: ClassVar[bool] = True
    PLACEMENT: ClassVar[tuple[str, ...]] = ("port",)

    sender = prop_def(IntAttr)
    port = opt_prop_def(IntAttr)
    dst = opt_prop_def(StreamAttr)
    result = result_def(VectorType)

    def verify_(self) -> None:
        if self.result.type.n != 1:  # type: ignore[attr-defined]
            raise _err(self, "links carry one vector per receive")
        self.verify_port(self.port)

    def verify_scheduled(self) -> None:
        super().verify_scheduled()
        if self.dst is None:
            raise _err(self, "a scheduled receive needs a destination stream")


@irdl_op_definition
class ForwardOp(NetworkOp):
    """On an intermediate chip: the vector arriving on `in_port` at this cycle
    leaves on `out_port` `delay_forward` cycles later, without touching streams."""

    name = "lpu.c2c.forward"
    DELAY: ClassVar[str] = "forward"
    PLACEMENT: ClassVar[tuple[str, ...]] = ("in_port", "out_port")

    in_port = opt_prop_def(IntAttr)
    out_port = opt_prop_def(IntAttr)

    def verify_(self) -> None:
        self.verify_port(self.in_port)
        self.verify_port(self.out_port)

    def verify_logical(self) -> None:
        raise _err(
            self,
            "forwarding is a scheduled-level decision: a logical program has no forward",
        )


@irdl_op_definition
class DeskewOp(Instruction):
    """Program alignment: the chip idles until the next epoch boundary of the
    hardware-aligned counters (the first cycle after this one that is a multiple
    of the system's `epoch`)."""

    name = "lpu.c2c.deskew"
    UNIT: ClassVar[str] = "C2C"


# ICU ---------------------------------------------------------------------------


@irdl_op_definition
class NopOp(Instruction):
    """Logical level only: wait `count` cycles (scheduled programs have cycles)."""

    name = "lpu.icu.nop"
    UNIT: ClassVar[str] = "ICU"
    count = prop_def(IntAttr)

    def verify_scheduled(self) -> None:
        raise _err(self, "a scheduled program states cycles; it has no nop")


@irdl_op_definition
class NotifyOp(Instruction):
    """Chip-wide barrier, first half: signals every instruction queue."""

    name = "lpu.icu.notify"
    UNIT: ClassVar[str] = "ICU"


@irdl_op_definition
class SyncOp(Instruction):
    """Chip-wide barrier, second half: completes `delay_barrier` cycles after the
    last notify (a scheduled sync must not be earlier)."""

    name = "lpu.icu.sync"
    UNIT: ClassVar[str] = "ICU"


VXM_OPS: tuple[type[VxmOp], ...] = (
    NegOp, AbsOp, NotOp, CopyOp, ReluOp, ExpOp, LogOp, TanhOp, SigmoidOp, ErfOp, RsqrtOp,
    ReciprocalOp, AddOp, SubOp, MulOp, DivOp, MinOp, MaxOp, AndOp, OrOp, XorOp, ShlOp,
    ShrOp, ShruOp, PowOp, CmpOp, SelectOp, ConvertOp,
)  # fmt: skip

INSTRUCTIONS: tuple[type[Instruction], ...] = (
    ReadOp, WriteOp, GatherOp, ScatterOp, *VXM_OPS, ShiftOp, RotateOp, PermuteOp,
    DistributeOp, TransposeOp, InstallOp, MatmulOp, SendOp, RecvOp, ForwardOp, DeskewOp,
    NopOp, NotifyOp, SyncOp,
)  # fmt: skip


def logical_pairs(system: SystemOp) -> list[tuple[SendOp, RecvOp]]:
    """The sends and receives of a logical network, paired: every send has one
    receive with the same (sender, receiver, channel) and type, the k-th receive
    of a channel taking its k-th send."""
    ops = [
        (chip.chip_id, op)
        for chip in system.chips
        for op in chip.instructions()
        if isinstance(op, SendOp | RecvOp)
    ]
    sends: dict[tuple[int, int, str], list[SendOp]] = {}
    for c, op in ops:
        if isinstance(op, SendOp):
            sends.setdefault((c, op.to.data, op.channel.data), []).append(op)
    pairs: list[tuple[SendOp, RecvOp]] = []
    for c, op in ops:
        if isinstance(op, RecvOp):
            queue = sends.get((op.sender.data, c, op.channel.data))
            if not queue:
                raise _err(
                    op,
                    f'chip {c} receives channel "{op.channel.data}" from chip {op.sender.data}, but chip {op.sender.data} sends nothing (more) on it to chip {c}',
                )
            send = queue.pop(0)
            if send.value.type != op.result.type:
                raise _err(
                    op,
                    f"receives {op.result.type}, but the send carries {send.value.type}",
                )
            pairs.append((send, op))
    for (a, b, ch), queue in sends.items():
        if queue:
            raise _err(
                queue[0],
                f'chip {a} sends channel "{ch}" to chip {b}, but chip {b} receives nothing on it',
            )
    return pairs


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


def _verify_network(system: SystemOp) -> None:
    """One level for the whole network. Logical: every send has one receive with
    the same (sender, receiver, channel) and type, the k-th receive of a channel
    taking its k-th send. Scheduled: every vector put on a link (send or forward)
    arrives at the link's other end at exactly cycle + latency, where a receive or
    forward takes it; every receive or forward takes such an arrival; the path
    ends on the chip the send named."""
    spec = system.machine.spec
    ops = [
        (chip.chip_id, op)
        for chip in system.chips
        for op in chip.instructions()
        if isinstance(op, SendOp | RecvOp | ForwardOp)
    ]
    if not ops:
        return
    first_chip, first = ops[0]
    for c, op in ops:
        if op.is_scheduled != first.is_scheduled:
            level = {True: "scheduled", False: "logical"}
            raise _err(
                op,
                f"is {level[op.is_scheduled]} on chip {c}, but chip {first_chip}'s network is {level[first.is_scheduled]}: the sends, receives and forwards of a system are all of one level",
            )
    if not first.is_scheduled:
        logical_pairs(system)
        return
    # scheduled: the receive or forward that takes a vector at (chip, port, cycle)
    takers: dict[tuple[int, int, int], Instruction] = {}
    for c, op in ops:
        port = (
            op.port
            if isinstance(op, RecvOp)
            else op.in_port
            if isinstance(op, ForwardOp)
            else None
        )
        if port is not None:
            assert op.cycle is not None
            key = (c, port.data, op.cycle.data)
            if key in takers:
                raise _err(
                    op,
                    f"chip {c} takes a second vector from port {port.data} at cycle {op.cycle.data}; a link delivers one",
                )
            takers[key] = op
    for c, op in ops:
        if not isinstance(op, SendOp):
            continue
        assert op.cycle is not None and op.port is not None
        chip, port, cycle, hops = c, op.port.data, op.cycle.data, 0
        while True:
            link = spec.link_at(chip, port)
            assert link is not None  # ports were verified to have links
            peer, peer_port = link.peer(chip, port)
            arrival = cycle + link.latency
            taker = takers.pop((peer, peer_port, arrival), None)
            if taker is None:
                raise _err(
                    op,
                    f'chip {c} sends channel "{op.channel.data}" at cycle {op.cycle.data}; it arrives on chip {peer} port {peer_port} at cycle {arrival} (link {chip}:{port}-{peer}:{peer_port}, latency {link.latency}) after {hops} forward(s), but nothing receives or forwards it there',
                )
            if taker.channel != op.channel:  # type: ignore[attr-defined]
                raise _err(
                    taker,
                    f'takes channel "{op.channel.data}" sent by chip {c}, but names channel "{taker.channel.data}"',
                )  # type: ignore[attr-defined]
            if isinstance(taker, RecvOp):
                if (taker.sender.data, peer) != (c, op.to.data):
                    raise _err(
                        taker,
                        f"receives the vector chip {c} sent to chip {op.to.data}, but names sender {taker.sender.data} on chip {peer}",
                    )
                if taker.result.type != op.value.type:
                    raise _err(
                        taker,
                        f"receives {taker.result.type}, but the send carries {op.value.type}",
                    )
                break
            assert isinstance(taker, ForwardOp) and taker.out_port is not None
            chip, port, cycle, hops = (
                peer,
                taker.out_port.data,
                arrival + spec.chip.delay("forward"),
                hops + 1,
            )
    for (chip, port, cycle), taker in takers.items():
        raise _err(
            taker,
            f"chip {chip} takes a vector from port {port} at cycle {cycle}, but no send or forward puts one on that link to arrive then",
        )


LPU = Dialect(
    "lpu",
    [SystemOp, ChipOp, TensorOp, *INSTRUCTIONS],
    [VectorType, WeightsType, ChipAttr, SystemAttr, StreamAttr, AluAttr],
)
