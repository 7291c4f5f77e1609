"""Where a compiled program first departs from the tensor-level program it came from.

The compiler gives every tensor that holds a tensor op's result a name starting
with `v` and the op's `file:line:col` (docs/compiler.md), which the MLIR form of
the compiled program keeps (the .lpu text gives its own lines instead). So: run the source on
the reference interpreter, keeping every op's result; run the compiled program
on the simulator with those tensors made outputs too; compare them in program
order; the first that differs names the op.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import IntAttr, ModuleOp, StringAttr
from xdsl.ir import Operation

from lpuir.diagnostics import file_line_col, op_location
from lpuir.dialects import lpu
from lpuir.machine import ChipSpec


@dataclass
class Divergence:
    """The first tensor op whose compiled value differs from the reference's."""

    op: Operation
    index: tuple[int, ...]
    got: object
    expected: object

    def __str__(self) -> str:
        return f"{op_location(self.op)}: first divergence: '{self.op.name}' element {list(self.index)} is {self.got!r} on the LPU, {self.expected!r} in the reference"


def bits_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise bit identity (so -0.0 != 0.0 and NaN == the same NaN)."""
    if a.dtype.kind == "f":
        view = {2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
        return a.view(view) == b.view(view)
    return a == b


def _where(op: Operation) -> tuple[str, int, int] | None:
    loc = file_line_col(op.location)
    return (
        (loc.filename.data, loc.line.data, loc.column.data) if loc is not None else None
    )


def program_chip(compiled: ModuleOp) -> ChipSpec:
    """The chip of a compiled program's `#lpu.system`: the reference checks it
    with that machine's numerics parameters (K-blocks, lanes)."""
    system = next(op for op in compiled.walk() if isinstance(op, lpu.SystemOp))
    return system.machine.spec.chip


def reference_values(
    source: ModuleOp,
    inputs: Sequence[np.ndarray],
    chip: ChipSpec | None = None,
    function: str | None = None,
) -> dict[tuple[str, int, int], tuple[Operation, np.ndarray]]:
    """Every located op's first result on the reference interpreter, with the
    numerics parameters of `chip` (None: tsp-v1), running `function`
    (default: the first public one)."""
    from lpuir.interpreter.reference import check_inputs, select_function
    from lpuir.interpreter.reference_core import Interpreter

    seen: dict[tuple[str, int, int], tuple[Operation, np.ndarray]] = {}

    class Recording(Interpreter):
        def run_op(
            self, op: Operation, operands: tuple[np.ndarray, ...]
        ) -> Sequence[np.ndarray]:
            results = super().run_op(op, operands)
            where = _where(op)
            if where is not None and results:
                seen.setdefault(where, (op, np.asarray(results[0])))
            return results

    fn = select_function(source, function)
    Recording(source, chip).call(fn, check_inputs(fn, inputs))
    return seen


def first_divergence(
    compiled: ModuleOp,
    source: ModuleOp,
    inputs: Sequence[np.ndarray],
    function: str | None = None,
) -> Divergence | None:
    """None if every value the compiled program keeps of a tensor op matches
    the reference (with the compiled machine's numerics parameters, the
    source running `function`, default its first public one) bit for bit;
    else the first (in program order) that does not."""
    from lpuir.interpreter.simulator import simulate

    expected = reference_values(source, inputs, program_chip(compiled), function)
    module = compiled.clone()
    system = next(op for op in module.walk() if isinstance(op, lpu.SystemOp))
    lanes = system.machine.spec.chip.lanes
    outputs = len(  # results, each of one or more tensors (shards, row chunks)
        {
            t.arg.data
            for chip in system.chips
            for t in chip.tensors()
            if t.kind.data == "output" and t.arg is not None
        }
    )
    watched: list[tuple[str, int, int]] = []
    parted: dict[tuple[str, int, int], int] = {}
    for chip in system.chips:
        for t in chip.tensors():
            where = _where(t)
            if (
                t.kind.data == "scratch"
                and t.sym_name.data.startswith("v")
                and where in expected
            ):
                if t.row_chunk is None or where not in parted:
                    watched.append(where)
                    if t.row_chunk is not None:  # a value's row parts: one output
                        parted[where] = len(watched) - 1
                arg = len(watched) - 1 if t.row_chunk is None else parted[where]
                t.kind, t.arg = StringAttr("output"), IntAttr(outputs + arg)
    values = simulate(module, inputs).outputs[outputs:]
    for where, got in zip(watched, values, strict=True):
        op, want = expected[where]
        if got.shape[-1:] == (lanes,) and want.shape[-1:] == (1,):
            got = got[..., :1]  # a per-row value kept in every lane
        got = got.reshape(want.shape)
        same = bits_equal(got, want.astype(got.dtype))
        if not bool(np.all(same)):
            index = tuple(int(i) for i in np.argwhere(~same)[0])
            return Divergence(op, index, got[index].item(), want[index].item())
    return None
