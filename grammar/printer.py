"""The .lpu target: lpu dialect IR to the text grammar/lpu.lark reads.

Canonical form: one instruction per line in IR order, the issue cycle first
(padded so the instructions line up), SSA values numbered in order unless they
carry a name.
"""

from __future__ import annotations

import io
from typing import IO

from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Attribute, SSAValue

from lpuir.diagnostics import LpuError
from lpuir.dialects import lpu


def print_lpu(module: ModuleOp, out: IO[str]) -> None:
    """Write the module's lpu.system as .lpu text."""
    systems = [op for op in module.ops if isinstance(op, lpu.SystemOp)]
    if len(systems) != 1 or len(list(module.ops)) != 1:
        raise LpuError(
            "the lpu target prints a module that holds exactly one lpu.system (and nothing else)"
        )
    _Printer(out).system(systems[0])


def chip_lines(
    chip: lpu.ChipOp, prefix: str, delay: int = 0
) -> tuple[list[str], list[str]]:
    """A chip's tensor lines and instruction lines, every value's name
    starting with `prefix` and every instruction `delay` cycles later: one
    part of a chip whose program is printed in parts (`lpuir.staged` prints
    each stage's chips as it stitches them, where they start; the timing law
    is invariant under a delay, except a deskew's wait for the epoch
    boundary)."""
    return _Printer(io.StringIO(), prefix, delay).chip_lines(chip)


def system_line(system: lpu.SystemOp) -> str:
    """The `system ...` line of a program (without its newline)."""
    out = io.StringIO()
    _Printer(out).header(system)
    return out.getvalue()


def _value(v: Attribute) -> str:
    if isinstance(v, StringAttr):
        return f'"{v.data}"'
    assert isinstance(v, IntegerAttr)
    return str(v.value.data)


def _overrides(attr: lpu.ChipAttr | lpu.SystemAttr) -> str:
    items = [
        f"{k} = {_value(v)}" for k, v in attr.overrides.data.items() if k != "chip"
    ]
    return f" {{{', '.join(items)}}}" if items else ""


def _vtype(t: Attribute) -> str:
    if isinstance(t, lpu.WeightsType):
        return f"weights<{t.element}>"
    assert isinstance(t, lpu.VectorType)
    return t.element if t.n == 1 else f"{t.element}[{t.n}]"


class _Printer:
    def __init__(self, out: IO[str], prefix: str = "", delay: int = 0):
        self.out = out
        self.prefix = prefix
        """Put before every value's name (a chip printed in parts)."""
        self.delay = delay
        """Added to every instruction's cycle (a chip printed in parts)."""
        self.names: dict[SSAValue, str] = {}

    def system(self, system: lpu.SystemOp) -> None:
        self.header(system)
        self.out.write("\n")
        for op in system.body.ops:
            assert isinstance(op, lpu.ChipOp)
            self.chip(op)

    def header(self, system: lpu.SystemOp) -> None:
        machine = system.machine
        line = f'system "{machine.preset.data}"{_overrides(machine)}'
        chip = machine.overrides.data.get("chip")
        if isinstance(chip, lpu.ChipAttr):
            line += f' with chip "{chip.preset.data}"{_overrides(chip)}'
        elif isinstance(chip, StringAttr):
            line += f' with chip "{chip.data}"'
        if system.static_cycles is not None:
            line += f" cycles {system.static_cycles.data}"
        self.out.write(line)

    def chip(self, chip: lpu.ChipOp) -> None:
        tensors, instructions = self.chip_lines(chip)
        self.out.write(f"\nchip {chip.chip_id} {{\n")
        self.out.writelines(f"  {line}\n" for line in [*tensors, *instructions])
        self.out.write("}\n")

    def chip_lines(self, chip: lpu.ChipOp) -> tuple[list[str], list[str]]:
        """The lines of a chip's tensors and of its instructions."""
        self.names = {}
        instrs = list(chip.instructions())
        width = max(
            (
                len(str(op.cycle.data + self.delay)) + 3
                for op in instrs
                if op.cycle is not None
            ),
            default=0,
        )
        tensors = [self.tensor(op) for op in chip.tensors()]
        lines = []
        for op in instrs:
            cycle = f"@{op.cycle.data + self.delay}" if op.cycle is not None else ""
            prefix = cycle.ljust(width) if width > 0 else ""
            lines.append(f"{prefix}{self.instruction(op)}")
        return tensors, lines

    def tensor(self, op: lpu.TensorOp) -> str:
        shape = "x".join([*(str(d) for d in op.type.get_shape()), op.holds])
        text = f"tensor @{op.sym_name.data} : {shape} {op.kind.data}"
        if op.arg is not None:
            text += f" {op.arg.data}"
        if op.lead is not None:
            text += f" lead {op.lead.data}"
        if op.cols is not None:
            text += f" cols {op.cols.data}"
        if op.row_chunk is not None:
            text += " rows " + " ".join(str(v) for v in op.row_chunk.get_values())
        if op.row_lanes is not None:
            text += f" lanes {op.row_lanes.data}"
        if op.slice is not None and op.address is not None:
            text += f" at {op.slice.data} {op.address.data}"
        if op.value is not None:
            dense = str(op.value)
            text += " = " + dense[: dense.rindex(" : ")]
        return text

    def name(self, v: SSAValue) -> str:
        if v not in self.names:
            hint = f"{self.prefix}{v.name_hint}" if v.name_hint else None
            self.names[v] = (
                f"%{hint}"
                if hint and f"%{hint}" not in self.names.values()
                else f"%{self.prefix}{len(self.names)}"
            )
        return self.names[v]

    def tail(self, op: lpu.Instruction) -> str:
        """Placement and destination, then the result type."""
        text = op.lpu_placement()
        dst = getattr(op, "dst", None)
        if dst is not None:
            text += f" -> {dst}"
        if op.results:
            text += f" : {_vtype(op.results[0].type)}"
        return text

    def instruction(self, op: lpu.Instruction) -> str:
        """One line: result, mnemonic, the body the instruction's class writes
        (`Instruction.lpu_body`), then the tail."""
        result = f"{self.name(op.results[0])} = " if op.results else ""
        return f"{result}{op.mnemonic} {op.lpu_body(self.name)}".rstrip() + self.tail(
            op
        )
