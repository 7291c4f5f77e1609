"""lpu-split-k: spread the K-blocks of install-bound matmuls over both
hemispheres' MXM planes, stating the split in the tensor-level IR.

A matmul that multiplies few rows (a GEMV at batch 1) spends its time
installing weight tiles: one hemisphere's planes take their rows from the
streams of one direction, so a second part of K, installed on the other
hemisphere's planes from its own row chunks (lpu-vectorize), doubles the
install rate. Its partial sums are then added on the VXM; that order is part
of the result, so this pass records it (`lpu.k_parts`, `lpu.k_order`,
docs/numerics.md "Partial sums of a split K"), where the reference
interpreter honours it and `lpu-opt` shows it. Only integer matmuls are
split (their modular sums do not depend on the order, so the result is the
same bit for bit); a float matmul keeps its order unless the program states
a split itself. A matmul that already states one, or that lpu-partition
split over chips, is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from lpuir import numerics
from lpuir.dialects import lpu, tosa
from lpuir.machine import ChipSpec
from lpuir.transforms.annotations import chips_of, k_split_of, set_k_split, split_of
from lpuir.transforms.vectorize.matmul import install_chunks
from lpuir.types import tensor_shape_and_element


def install_bound(op: tosa.MatMulOp, spec: ChipSpec) -> bool:
    """Whether a matmul's multiplies of one weight tile (its rows) take
    fewer cycles than installing the tile from its row chunks."""
    (batch, m, k), element = tensor_shape_and_element(op.a.type)
    n = tensor_shape_and_element(op.b.type)[0][2]
    kb = spec.mxm_k(element)
    tile_rows = min(k, kb)
    chunks = install_chunks(spec, element, tile_rows, batch * k * -(-n // spec.lanes))
    return batch * m < -(-tile_rows // chunks)


def split_point(op: tosa.MatMulOp, spec: ChipSpec) -> int | None:
    """Where to cut an integer, install-bound matmul of two or more K-blocks
    on one chip into two parts (a K-block multiple near the middle); None
    to leave it whole."""
    (_, _, k), element = tensor_shape_and_element(op.a.type)
    if (
        not numerics.is_int(element)
        or element not in lpu.ACCUMULATOR
        or k_split_of(op) is not None
        or split_of(op) is not None
        or len(chips_of(op)) != 1
        or not install_bound(op, spec)
    ):
        return None
    kb = spec.mxm_k(element)
    blocks = -(-k // kb)
    return -(-blocks // 2) * kb if blocks >= 2 else None


@dataclass(frozen=True)
class SplitKPass(ModulePass):
    """Annotate install-bound integer matmuls with a two-part K split
    (module docstring)."""

    name = "lpu-split-k"

    system: str = "tsp-v1"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        spec = lpu.SystemAttr.from_option(self.system).spec.chip
        for fn in op.ops:
            if not isinstance(fn, func.FuncOp) or fn.is_declaration:
                continue
            for matmul in fn.walk():
                if isinstance(matmul, tosa.MatMulOp):
                    cut = split_point(matmul, spec)
                    if cut is not None:
                        set_k_split(matmul, [cut], [0, 1])
