"""Attributes of the lpu dialect: the machine (`#lpu.chip`, `#lpu.system`)
and the places a scheduled instruction names (`#lpu.stream`, `#lpu.alu`)."""

from __future__ import annotations

import re

from xdsl.dialects.builtin import (
    DictionaryAttr,
    IntAttr,
    IntegerAttr,
    StringAttr,
)
from xdsl.ir import (
    Attribute,
    Data,
    ParametrizedAttribute,
)
from xdsl.irdl import (
    irdl_attr_definition,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from lpuir.dialects.lpu.types import _checked
from lpuir.machine import (
    ChipSpec,
    MachineError,
    SystemSpec,
    chip_from_params,
    system_from_params,
)

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
