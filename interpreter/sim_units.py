"""Lane semantics of LPU instructions, as the machine models run them.

What each instruction computes is its own `compute` method (the dialect's
instruction classes, all arithmetic through `lpuir.numerics`); the
cycle-level simulator and the functional executor of the logical level both
call it through `compute` here (VXM, SXM, MXM) and use `mem_vectors` /
`lane_indices` (MEM), so two lowering stages can differ only in timing, never
in what an op computes. A burst of n vectors is one (n, lanes) array.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lpuir import numerics
from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu
from lpuir.machine import ChipSpec


def element(value: object) -> str:
    """Element type name of a vector or weights value."""
    return value.type.element  # type: ignore[attr-defined]


def compute(
    op: lpu.Instruction, operands: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    """The result of a VXM, SXM or MXM instruction on whole bursts: operands
    in the op's operand order (matmul: weights, input, acc)."""
    try:
        return op.compute(operands, spec)
    except numerics.NumericsError as e:
        raise LpuError(f"{op_location(op)}: error: {op.name}: {e}") from None


def mem_vectors(op: lpu.ReadOp | lpu.WriteOp) -> np.ndarray:
    """The tensor vectors a read or write touches, burst vector k at
    `index + k * step` (step 0 repeats one vector: a broadcast)."""
    value = op.result if type(op) is lpu.ReadOp else op.value
    step = op.step.data if op.step is not None else 1
    return op.index.data + step * np.arange(value.type.n, dtype=np.int64)  # type: ignore[attr-defined]


def lane_indices(indices: np.ndarray, vectors: int) -> tuple[np.ndarray, np.ndarray]:
    """A gather's or scatter's per-lane vector indices as int64, and where
    they fall outside the tensor's `vectors` (an error of the program)."""
    wide = indices.astype(np.int64)
    return wide, (wide < 0) | (wide >= vectors)
