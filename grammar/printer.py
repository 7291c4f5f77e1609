"""The .lpu target: lpu dialect IR to the text grammar/lpu.lark reads.

Canonical form: one instruction per line in IR order, the issue cycle first
(padded so the instructions line up), SSA values numbered in order unless they
carry a name.
"""

from __future__ import annotations

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
    def __init__(self, out: IO[str]):
        self.out = out
        self.names: dict[SSAValue, str] = {}

    def system(self, system: lpu.SystemOp) -> None:
        machine = system.machine
        line = f'system "{machine.preset.data}"{_overrides(machine)}'
        chip = machine.overrides.data.get("chip")
        if isinstance(chip, lpu.ChipAttr):
            line += f' with chip "{chip.preset.data}"{_overrides(chip)}'
        elif isinstance(chip, StringAttr):
            line += f' with chip "{chip.data}"'
        if system.static_cycles is not None:
            line += f" cycles {system.static_cycles.data}"
        self.out.write(line + "\n")
        for op in system.body.ops:
            assert isinstance(op, lpu.ChipOp)
            self.chip(op)

    def chip(self, chip: lpu.ChipOp) -> None:
        self.names = {}
        self.out.write(f"\nchip {chip.chip_id} {{\n")
        instrs = list(chip.instructions())
        width = max(
            (len(str(op.cycle.data)) + 3 for op in instrs if op.cycle is not None),
            default=0,
        )
        for op in chip.body.ops:
            if isinstance(op, lpu.TensorOp):
                self.out.write(f"  {self.tensor(op)}\n")
            else:
                assert isinstance(op, lpu.Instruction)
                cycle = f"@{op.cycle.data}" if op.cycle is not None else ""
                prefix = cycle.ljust(width) if width > 0 else ""
                self.out.write(f"  {prefix}{self.instruction(op)}\n")
        self.out.write("}\n")

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
            hint = v.name_hint
            self.names[v] = (
                f"%{hint}"
                if hint and f"%{hint}" not in self.names.values()
                else f"%{len(self.names)}"
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
