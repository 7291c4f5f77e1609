"""Functional execution of an LPU program, without time.

Each chip runs its instructions in program order (a scheduled chip: in issue
order, its cycles and streams otherwise ignored), and chips run round-robin
until each blocks on a receive whose channel is still empty. Sends and
receives pair by (sender, receiver, channel), in order. Every op computes with
the simulator's own lane semantics (`sim_units`), so a logical program, its
scheduled form and the simulator's run of it can be compared bit for bit.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue

from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu
from lpuir.interpreter.sim_memory import (
    assemble_outputs,
    bind_inputs,
    from_vectors,
    initial_image,
)
from lpuir.interpreter.sim_units import compute, lane_indices, mem_vectors
from lpuir.machine import ChipSpec

Channel = tuple[int, int, str]
"""(sender chip, receiving chip, channel name)."""


def _moves_data(op: lpu.Instruction) -> bool:
    """Whether an instruction reads or writes SRAM, sends or receives, or
    computes; the others (forwards, waits, barriers) only shape timing."""
    return (
        op.UNIT == "MEM"
        or op.KIND in ("send", "recv")
        or type(op).compute is not lpu.Instruction.compute
    )


class _Chip:
    """One chip's SRAM, values and program counter."""

    def __init__(self, chip: lpu.ChipOp, spec: ChipSpec, inputs: dict[int, np.ndarray]):
        self.id = chip.chip_id
        self.spec = spec
        self.tensors = {t.sym_name.data: t for t in chip.tensors()}
        self.images = {
            name: initial_image(t, spec.lanes, inputs)
            for name, t in self.tensors.items()
        }
        instructions = [op for op in chip.instructions() if _moves_data(op)]
        self.program = sorted(
            instructions, key=lambda op: op.cycle.data if op.cycle is not None else 0
        )
        self.values: dict[SSAValue, np.ndarray] = {}
        self.pc = 0

    def run(self, channels: defaultdict[Channel, deque[np.ndarray]]) -> bool:
        """Run until the end or a receive on an empty channel; whether any
        instruction ran."""
        start = self.pc
        while self.pc < len(self.program):
            op = self.program[self.pc]
            if isinstance(op, lpu.RecvOp):
                queue = channels[(op.sender.data, self.id, op.channel.data)]
                if not queue:
                    break
                self.values[op.result] = queue.popleft()
            elif isinstance(op, lpu.SendOp):
                channels[(self.id, op.to.data, op.channel.data)].append(
                    self.values[op.value]
                )
            elif isinstance(op, lpu.MemOp):
                self._mem(op)
            else:
                self.values[op.results[0]] = compute(
                    op, [self.values[v] for v in op.operands], self.spec
                )
            self.pc += 1
        return self.pc > start

    def _mem(self, op: lpu.MemOp) -> None:
        name = op.tensor.root_reference.data
        if name not in self.tensors:
            raise LpuError(
                f"{op_location(op)}: error: no tensor @{name} on chip {self.id}"
            )
        image = self.images[name]
        if isinstance(op, lpu.ReadOp):
            self.values[op.result] = image[mem_vectors(op)]
        elif isinstance(op, lpu.WriteOp):
            image[mem_vectors(op)] = self.values[op.value]
        else:
            assert isinstance(op, lpu.GatherOp | lpu.ScatterOp)
            vectors, outside = lane_indices(self.values[op.indices], image.shape[0])
            if outside.any():
                k, lane = (int(i) for i in np.argwhere(outside)[0])
                raise LpuError(
                    f"{op_location(op)}: error: chip {self.id}: lane {lane} of index vector {k} is {int(vectors[k, lane])}, outside @{name}'s vectors 0..{image.shape[0] - 1}"
                )
            lanes = np.arange(self.spec.lanes)
            if isinstance(op, lpu.GatherOp):
                self.values[op.result] = image[vectors, lanes]
            else:
                for k, data in enumerate(self.values[op.value]):
                    image[vectors[k], lanes] = data

    def blocked_at(self) -> str:
        op = self.program[self.pc]
        assert isinstance(op, lpu.RecvOp)
        return f'{op_location(op)}: error: chip {self.id} waits for channel "{op.channel.data}" from chip {op.sender.data}, which sends nothing more on it'


def execute_logical(module: ModuleOp, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The outputs of an LPU program (logical or scheduled) computed in
    program order, by arg."""
    systems = [op for op in module.ops if isinstance(op, lpu.SystemOp)]
    if len(systems) != 1:
        raise LpuError(
            f"the module holds {len(systems)} lpu.system ops; one program runs at a time"
        )
    system = systems[0]
    spec = system.machine.spec.chip
    bound = bind_inputs(system, inputs)
    chips = {
        c.chip_id: _Chip(c, spec, bound)
        for c in sorted(system.chips, key=lambda c: c.chip_id)
    }
    channels: defaultdict[Channel, deque[np.ndarray]] = defaultdict(deque)
    while any([chip.run(channels) for chip in chips.values()]):
        pass
    blocked = [chip for chip in chips.values() if chip.pc < len(chip.program)]
    if blocked:
        raise LpuError(blocked[0].blocked_at())
    return assemble_outputs(
        system,
        lambda c, t: from_vectors(chips[c].images[t.sym_name.data], t, spec.lanes),
    )
