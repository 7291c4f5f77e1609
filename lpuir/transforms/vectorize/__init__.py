"""lpu-vectorize: a tensor-level function to a logical LPU program.

Every tensor lives in SRAM as an `lpu.tensor` (arguments as inputs, returned
values as outputs, constants as weights, the rest as scratch), laid out as
docs/dialect.md says: row-major, a row split into vectors of `row_lanes`
elements. Each tensor op becomes instruction groups that read vectors, compute
on the VXM, SXM or MXM, and write vectors back; values travel between groups
through SRAM, so every group is a tree the scheduler can time rigidly.

One module per kind of tensor op, each a lowering `lower(vectorizer, op)`
found through `LOWERINGS` (keyed by op class): `elementwise`, `reductions`,
`matmul`, `transpose`, `outputs` (`func.return`), `layout.reshape`. They
share the `base.Vectorizer` (where values live, instructions of bursts),
`layout` (row layouts, relayouts, masks, splats), `lanes` (lane pipelines
through the SXMs) and `shards` (values on several chips, transfers). A new
lowering is a module and an entry here.

Unsupported ops and types fail with an error naming the op and the type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith as arith_dialect
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from lpuir import progress
from lpuir.diagnostics import LpuError, module_location
from lpuir.dialects import lpu, tosa
from lpuir.machine import ChipSpec
from lpuir.transforms.annotations import chips_of, split_of, weight_args
from lpuir.transforms.vectorize import (
    arith,
    bits,
    chains,
    composite,
    data,
    folds,
    ksplit,
    linalg,
    matmul,
    outputs,
    products,
    reductions,
    shards,
    table,
    windows,
    words,
)
from lpuir.transforms.vectorize.base import Vectorizer
from lpuir.transforms.vectorize.elementwise import is_elementwise
from lpuir.transforms.vectorize.program import unsupported

Lowering = Callable[[Vectorizer, Operation], None]


def _constant(vz: Vectorizer, op: Operation) -> None:
    """Constants are placed where they are first used (`Vectorizer.get`)."""
    vz.constants[op.results[0]] = op


def _nothing(vz: Vectorizer, op: Operation) -> None:
    """Shapes given as operands (`tosa.const_shape`) are read by their users."""


LOWERINGS: dict[type[Operation], Lowering] = {
    **dict.fromkeys(composite.OPS, composite.lower),
    **dict.fromkeys(reductions.COMBINE, reductions.lower),
    tosa.MatMulOp: products.lower,
    tosa.ClzOp: bits.lower,
    tosa.TableOp: table.lower,
    **data.LOWERINGS,
    **linalg.LOWERINGS,
    **windows.LOWERINGS,
    **folds.LOWERINGS,
    **dict.fromkeys(arith.BODY, arith.lower),
    tosa.ConstOp: _constant,
    arith_dialect.ConstantOp: _constant,
    tosa.ConstShapeOp: _nothing,
    func.ReturnOp: outputs.lower,
}
"""How each tensor op is lowered, by op class."""


def lowering_of(op_class: type[Operation]) -> Lowering | None:
    """The lowering of an op class (its own or a base class's), if any."""
    return next(
        (LOWERINGS[c] for c in op_class.__mro__ if c in LOWERINGS),
        None,
    )


WORD_SAFE: tuple[type[Operation], ...] = (
    tosa.ConstOp,
    arith_dialect.ConstantOp,
    tosa.ConstShapeOp,
    func.ReturnOp,
    *data.WORD_MOVES,
)
"""Ops whose own lowering handles i64 and ui64 values (held as i32 words);
`words.LOWERINGS` has the others that do, every other op refuses them."""


def lowering(op: Operation) -> Lowering:
    """The lowering of an op (of its class or a base class)."""
    if words.touches(op) and type(op) not in WORD_SAFE:
        if type(op) in words.LOWERINGS:
            return words.LOWERINGS[type(op)]
        raise words.refuse(op)
    found = lowering_of(type(op))
    if found is not None:
        return found
    raise unsupported(op, f"'{op.name}' is not lowered to the LPU yet")


def vectorize(fn: func.FuncOp, spec: ChipSpec) -> list[lpu.ChipOp]:
    """The chips' programs for a function. On one chip every input is placed
    first; on several, each chip declares the inputs (or input shards) it
    uses, and an input nobody uses is declared on chip 0."""
    vz = Vectorizer(fn, spec)
    blocks = list(fn.body.blocks)
    if len(blocks) != 1:
        raise unsupported(
            fn,
            f"@{fn.sym_name.data} has {len(blocks)} blocks: branches depend on run-time values, which a static schedule cannot follow",
        )
    ops = list(blocks[0].ops)  # an op with regions lowers them itself
    many = any(chips_of(op) != [0] for op in ops)
    inputs = [a for i, a in enumerate(fn.args) if i not in weight_args(fn)]
    for arg in inputs:
        if not many and not (
            matmul.chunked(vz, arg) or matmul.left_chunk_rows(vz, arg)
        ):
            vz.get(arg, next((u.operation for u in arg.uses), fn))
    for op in progress.track(ops, "lpu-vectorize", "ops"):
        chips = chips_of(op)
        vz.on(chips[0])
        if reductions.folds_into(vz, op):
            for chip in chips:
                vz.on(chip)
                vz.folded[op.results[0]] = op
            if split_of(op) == "heads":
                shards.record_heads(vz, op, chips)
        elif split_of(op) == "heads":
            ksplit.by_heads(vz, op, chips, lowering(op))
        else:
            lowering(op)(vz, op)
    used = (
        {v for vs in vz.placed.values() for v in vs}
        | {value for cache in vz.window_cache.values() for value, _ in cache}
        | {key[0] for cache in vz.chunk_cache.values() for key in cache}
    )
    for arg in inputs:
        if arg not in used:
            vz.on(0)
            vz.get(arg, fn)
    for program in vz.programs.values():
        chains.fuse(program)
    return [
        lpu.ChipOp(c, [*p.tensors, *p.body])
        for c, p in sorted(vz.programs.items())
        if p.tensors or p.body
    ]


@dataclass(frozen=True)
class VectorizePass(ModulePass):
    """Lower the module's tensor-level function to an lpu.system (module docstring)."""

    name = "lpu-vectorize"

    system: str = "tsp-v1"
    """A system preset name, one with overrides (`node8 {chips_per_node = 4}`),
    or a whole `#lpu.system<...>` attribute's text."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        functions = [
            f for f in op.ops if isinstance(f, func.FuncOp) and not f.is_declaration
        ]
        if len(functions) != 1:
            raise LpuError(
                f"{module_location(op)}: error: lpu-vectorize lowers a module with one function; this one has {len(functions)}"
            )
        fn = functions[0]
        machine = lpu.SystemAttr.from_option(self.system)
        spec = machine.spec
        for o in fn.walk():
            bad = next((c for c in chips_of(o) if not 0 <= c < spec.chips), None)
            if bad is not None:
                raise unsupported(
                    o, f"lpu.chips names chip {bad}, but the system has {spec.chips}"
                )
        system = lpu.SystemOp(machine, vectorize(fn, spec.chip))
        system.location = fn.location
        system.attributes[lpu.SOURCE_FUNCTION] = fn.sym_name
        op.body.block.insert_op_before(system, fn)
        fn.detach()
        fn.erase()


__all__ = [
    "LOWERINGS",
    "VectorizePass",
    "Vectorizer",
    "is_elementwise",
    "lowering_of",
    "vectorize",
]
