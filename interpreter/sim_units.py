"""Lane semantics of every LPU instruction, implemented once.

The cycle-level simulator and the functional executor of the logical level
both call `compute` (VXM, SXM, MXM) and `mem_vectors` / `lane_indices` (MEM),
so two lowering stages can differ only in timing, never in what an op
computes. A burst of n vectors is one (n, lanes) array and one numpy call.
All arithmetic goes through `lpuir.numerics`; the SXM only moves lanes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from lpuir import numerics
from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu
from lpuir.machine import ChipSpec

Semantics = Callable[[lpu.Instruction, Sequence[np.ndarray], ChipSpec], np.ndarray]

_BINARY: dict[type[lpu.Instruction], Callable[..., np.ndarray]] = {
    lpu.AddOp: numerics.add,
    lpu.SubOp: numerics.sub,
    lpu.MulOp: numerics.mul,
    lpu.DivOp: numerics.div,
    lpu.MinOp: numerics.minimum,
    lpu.MaxOp: numerics.maximum,
    lpu.AndOp: numerics.bit_and,
    lpu.OrOp: numerics.bit_or,
    lpu.XorOp: numerics.bit_xor,
    lpu.ShlOp: numerics.shl,
    lpu.ShrOp: numerics.shr_arith,
    lpu.ShruOp: numerics.shr_logical,
    lpu.PowOp: numerics.pow,
}
"""VXM ops that are `numerics.<fn>(lhs, rhs, type)`."""

_UNARY: dict[type[lpu.Instruction], Callable[..., np.ndarray]] = {
    lpu.NegOp: numerics.neg,
    lpu.AbsOp: numerics.abs,
    lpu.NotOp: numerics.bit_not,
    lpu.ExpOp: numerics.exp,
    lpu.LogOp: numerics.log,
    lpu.TanhOp: numerics.tanh,
    lpu.SigmoidOp: numerics.sigmoid,
    lpu.ErfOp: numerics.erf,
    lpu.RsqrtOp: numerics.rsqrt,
    lpu.ReciprocalOp: numerics.reciprocal,
}
"""VXM ops that are `numerics.<fn>(x, type)`."""


def element(value: object) -> str:
    """Element type name of a vector or weights value."""
    return value.type.element  # type: ignore[attr-defined]


def _binary(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    return _BINARY[type(op)](args[0], args[1], element(op.results[0]))


def _unary(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    return _UNARY[type(op)](args[0], element(op.results[0]))


def _copy(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    return args[0]


def _relu(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    t = element(op.results[0])
    return numerics.maximum(args[0], np.zeros_like(args[0]), t)


def _cmp(op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec) -> np.ndarray:
    assert isinstance(op, lpu.CmpOp)
    holds = numerics.compare(args[0], args[1], op.predicate.data, element(op.lhs))
    return numerics.cast(holds, "i1", element(op.result))


def _select(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    assert isinstance(op, lpu.SelectOp)
    mask, on_true, on_false = args
    t = element(op.mask)
    return numerics.select(
        numerics.compare(mask, np.zeros_like(mask), "ne", t), on_true, on_false
    )


def _convert(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    assert isinstance(op, lpu.ConvertOp)
    return numerics.cast(args[0], element(op.input), element(op.result))


def _shift(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    assert isinstance(op, lpu.ShiftOp)
    x, amount = args[0], min(op.amount.data, spec.lanes)
    out = np.zeros_like(x)
    if op.direction.data == "north":
        out[:, amount:] = x[:, : spec.lanes - amount]
    else:
        out[:, : spec.lanes - amount] = x[:, amount:]
    return out


def _rotate(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    assert isinstance(op, lpu.RotateOp)
    return np.roll(args[0], op.amount.data, axis=1)


def _permute(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    assert isinstance(op, lpu.PermuteOp)
    return args[0][:, np.asarray(op.map.get_values(), np.intp)]


def _distribute(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    assert isinstance(op, lpu.DistributeOp)
    x = args[0]
    width = spec.lanes_per_superlane
    by_superlane = x.reshape(x.shape[0], spec.superlanes, width)
    return by_superlane[:, :, np.asarray(op.map.get_values(), np.intp)].reshape(x.shape)


def _transpose(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    """r[16g + j][16s + i] = x[16g + i][16s + j], per group g and superlane s."""
    x = args[0]
    width = spec.lanes_per_superlane
    blocks = x.reshape(x.shape[0] // width, width, spec.superlanes, width)
    return np.ascontiguousarray(blocks.transpose(0, 3, 2, 1)).reshape(x.shape)


def _install(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    """The weight tile: the operands' rows in order, then zero rows up to K."""
    assert isinstance(op, lpu.InstallOp)
    t = element(op.result)
    rows = (
        np.concatenate(list(args))
        if args
        else np.zeros((0, spec.lanes), numerics.carrier(t))
    )
    tile = np.zeros((spec.mxm_k(t), spec.lanes), rows.dtype)
    tile[: rows.shape[0]] = rows
    return tile


def _matmul(
    op: lpu.Instruction, args: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    """y_k = x_k[0:K] @ w as one fused K-block, plus the accumulators if given."""
    assert isinstance(op, lpu.MatmulOp)
    weights, x, *acc = args
    k = weights.shape[0]
    in_t, acc_t = element(op.input), element(op.result)
    product = numerics.matmul(x[:, :k], weights, in_t, acc_t, k_block=k)
    return numerics.add(acc[0], product, acc_t) if acc else product


SEMANTICS: dict[type[lpu.Instruction], Semantics] = {
    **dict.fromkeys(_BINARY, _binary),
    **dict.fromkeys(_UNARY, _unary),
    lpu.CopyOp: _copy,
    lpu.ReluOp: _relu,
    lpu.CmpOp: _cmp,
    lpu.SelectOp: _select,
    lpu.ConvertOp: _convert,
    lpu.ShiftOp: _shift,
    lpu.RotateOp: _rotate,
    lpu.PermuteOp: _permute,
    lpu.DistributeOp: _distribute,
    lpu.TransposeOp: _transpose,
    lpu.InstallOp: _install,
    lpu.MatmulOp: _matmul,
}
"""Op class -> function(op, operand arrays, chip) -> result array, for every
instruction that computes (MEM and C2C move vectors; see below)."""


def compute(
    op: lpu.Instruction, operands: Sequence[np.ndarray], spec: ChipSpec
) -> np.ndarray:
    """The result of a VXM, SXM or MXM instruction on whole bursts: operands
    in the op's operand order (matmul: weights, input, acc)."""
    try:
        return SEMANTICS[type(op)](op, operands, spec)
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
