"""lpu-decompose: tensor ops to the core set lpu-vectorize lowers.

The core set is TOSA's elementwise ops, matmul, last-axis reductions, casts,
reshapes that keep the last axis, and constants. Composite ops become core
ops here, keeping their source location:

- tosa.clamp(x, lo, hi) -> tosa.minimum(tosa.maximum(x, lo), hi) with splat
  constants (NaN propagates through both, as clamp's default nan_mode says);
- tosa.transpose and tosa.reshape of a constant -> the transposed or reshaped
  constant (frontends transpose linear layers' weights this way);
- tosa.cond_if -> both branches, then a tosa.select of their results by the
  condition (a static schedule has no branches; both are computed);
- tosa.while_loop is refused: its trip count depends on run-time values;
- cf.assert (the shape checks frontends emit) is decided here when its
  condition is a constant: true drops it, false is a located error with its
  message; a run-time condition is refused (a static schedule cannot stop).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, cf
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    ModuleOp,
    TensorType,
)
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint

from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import tosa
from lpuir.tensor_builder import TensorBuilder, shape_of


def _located(op: Operation, source: Operation) -> Operation:
    op.location = source.location
    return op


class FoldConstantLayout(RewritePattern):
    """A transpose or reshape of a constant is a constant: move the values now."""

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: tosa.TransposeOp | tosa.ReshapeOp, rewriter: PatternRewriter
    ) -> None:
        source = op.input1.owner
        if not isinstance(source, tosa.ConstOp):
            return
        values = source.values
        out = op.output.type
        assert isinstance(out, TensorType)
        array = np.array(values.get_values(), dtype=object).reshape(
            tuple(values.type.get_shape())
        )
        if isinstance(op, tosa.TransposeOp):
            array = array.transpose(op.perms.get_values())
        folded = _located(
            tosa.ConstOp(
                DenseIntOrFPElementsAttr.from_list(out, array.reshape(-1).tolist())
            ),
            op,
        )
        rewriter.replace(op, [folded], [folded.results[0]])


class ClampToMinMax(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tosa.ClampOp, rewriter: PatternRewriter) -> None:
        t = op.input.type
        assert isinstance(t, TensorType)
        ones = TensorType(t.element_type, [1] * len(t.get_shape()))
        lo = _located(
            tosa.ConstOp(
                DenseIntOrFPElementsAttr.from_list(ones, [op.min_val.value.data])
            ),
            op,
        )
        hi = _located(
            tosa.ConstOp(
                DenseIntOrFPElementsAttr.from_list(ones, [op.max_val.value.data])
            ),
            op,
        )
        floor = _located(
            tosa.MaximumOp.create(operands=[op.input, lo.results[0]], result_types=[t]),
            op,
        )
        ceiling = _located(
            tosa.MinimumOp.create(
                operands=[floor.results[0], hi.results[0]], result_types=[t]
            ),
            op,
        )
        rewriter.replace(op, [lo, hi, floor, ceiling], [ceiling.results[0]])


class CondIfToSelect(RewritePattern):
    """Both branches inlined, each result selected by the condition."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: tosa.CondIfOp, rewriter: PatternRewriter) -> None:
        branches: list[list[SSAValue]] = []
        for region in (op.then_graph, op.else_graph):
            values: dict[SSAValue, SSAValue] = dict(
                zip(region.block.args, op.input_list, strict=True)
            )
            for inner in region.block.ops:
                if isinstance(inner, tosa.YieldOp):
                    branches.append([values.get(v, v) for v in inner.operands])
                else:
                    rewriter.insert_op(inner.clone(values), InsertPoint.before(op))
        b = TensorBuilder()
        chosen = []
        with b.at(op.location):
            for then, other in zip(*branches, strict=True):
                condition = op.condition
                rank = len(shape_of(then))
                if len(shape_of(condition)) != rank:
                    condition = b.reshape(condition, [1] * rank)
                chosen.append(b.select(condition, then, other))
        for made in list(b.block.ops):
            made.detach()
            rewriter.insert_op(made, InsertPoint.before(op))
        rewriter.replace_op(op, [], chosen)


class RefuseWhileLoop(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: tosa.WhileLoopOp, rewriter: PatternRewriter
    ) -> None:
        raise LpuError(
            f"{op_location(op)}: error: 'tosa.while_loop' cannot be compiled: its trip count depends on run-time values, and a static schedule runs a fixed number of steps"
        )


class DecideAssert(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: cf.AssertOp, rewriter: PatternRewriter) -> None:
        owner = op.arg.owner
        if not (
            isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr)
        ):
            raise LpuError(
                f"{op_location(op)}: error: 'cf.assert' cannot be compiled: its condition is computed at run time, and a static schedule cannot stop on it (only a constant condition is decided at compile time)"
            )
        if not owner.value.value.data:
            raise LpuError(
                f"{op_location(op)}: error: 'cf.assert' fails at compile time: {op.msg.data}"
            )
        rewriter.erase_op(op)


@dataclass(frozen=True)
class DecomposePass(ModulePass):
    """Rewrite composite tensor ops into lpu-vectorize's core set."""

    name = "lpu-decompose"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    ClampToMinMax(),
                    FoldConstantLayout(),
                    CondIfToSelect(),
                    RefuseWhileLoop(),
                    DecideAssert(),
                ]
            )
        ).rewrite_module(op)
