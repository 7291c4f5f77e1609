"""The machinery of the reference interpreter: values, errors, the op registry
and the block runner. The op implementations live in `reference_*.py` and
register themselves here; `reference.py` is the public entry point.

Every SSA value is a numpy array in its numerics carrier (`numerics.carrier`),
0-d for a scalar; so one implementation serves an op on tensors and on the
scalars of a linalg body, which is run on whole arrays at once.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
from xdsl.dialects import cf, func
from xdsl.dialects.builtin import Float64Type, ModuleOp, TensorType
from xdsl.ir import Attribute, Block, Operation, ParametrizedAttribute, Region, SSAValue
from xdsl.traits import IsTerminator

from lpuir import numerics
from lpuir.diagnostics import LpuError, location_text
from lpuir.machine import CHIP_PRESETS, ChipSpec
from lpuir.types import element_type_name


class ReferenceError(LpuError):
    """A program the reference interpreter cannot run, or a run that failed.
    `op` is the op it is about, named at the start of the message (`describe`);
    an op's implementation raises it without one and the runner adds its op."""

    def __init__(self, message: str, op: Operation | None = None):
        super().__init__(message if op is None else f"{describe(op)}: {message}")
        self.op = op


class UnsupportedOpError(ReferenceError):
    """An op with no implementation in the reference interpreter."""


class UnsupportedTypeError(ReferenceError):
    """A type the numerics spec does not define (f64, complex, ...)."""


class InputError(ReferenceError):
    """Inputs that do not match the function: count, shape or dtype."""


class ExecutionError(ReferenceError):
    """An op that failed on its values: a numerics error, an index out of range."""


# --------------------------------------------------------------------------- #
# Where an error happened
# --------------------------------------------------------------------------- #


def describe(op: Operation) -> str:
    """`tosa.matmul at file.mlir:3:8`; without a location, the op's name and
    the SSA name of its first result (or its first printed line)."""
    where = location_text(op.location)
    if where is not None:
        return f"{op.name} at {where}"
    if op.results and op.results[0].name_hint:
        return f"{op.name} defining %{op.results[0].name_hint}"
    return f"{op.name} `{str(op).splitlines()[0][:120]}`"


# --------------------------------------------------------------------------- #
# Types
# --------------------------------------------------------------------------- #


def element(t: Attribute) -> str:
    """The numerics name of a tensor's element type or of a scalar type (the
    reference also computes f64 and the 8-, 6- and 4-bit floats, which the
    LPU has not)."""
    e = t.get_element_type() if isinstance(t, TensorType) else t
    if isinstance(e, Float64Type):
        return "f64"
    if isinstance(e, ParametrizedAttribute) and e.name in numerics.MINIFLOATS:
        return e.name
    try:
        return element_type_name(e)
    except LpuError as e:
        raise UnsupportedTypeError(str(e)) from e


def shape_of(t: Attribute) -> tuple[int, ...]:
    """The shape of a ranked tensor type (-1 for a dynamic dimension: its
    value binds it at run time), () for a scalar type."""
    if not isinstance(t, TensorType):
        return ()
    return tuple(t.get_shape())


def fits(shape: tuple[int, ...], declared: tuple[int, ...]) -> bool:
    """Whether a run-time shape is one the declared type (-1: any) allows."""
    return len(shape) == len(declared) and all(
        d < 0 or n == d for n, d in zip(shape, declared, strict=True)
    )


def static(shape: tuple[int, ...], op: Operation | None = None) -> tuple[int, ...]:
    """A result shape an implementation needs to know before it computes."""
    if any(d < 0 for d in shape):
        raise UnsupportedTypeError(
            f"a dynamic result shape {list(shape)} this op cannot infer from its operands",
            op,
        )
    return shape


def result_type(op: Operation, index: int = 0) -> tuple[tuple[int, ...], str]:
    """Shape and element name of an op's result."""
    t = op.results[index].type
    return shape_of(t), element(t)


def literal(values: object, t: str) -> np.ndarray:
    """Values written in the IR as type `t`'s carrier: a float literal rounds
    to nearest even (as MLIR's parser does), an integer must fit."""
    array = np.asarray(values)
    if numerics.is_float(t):
        return numerics.round_float(array, t)
    return numerics.as_carrier(array != 0 if t == "i1" else array, t)


def constant(values: Sequence[int | float], t: Attribute) -> np.ndarray:
    """A dense or scalar attribute's values as type `t` (a splat fills the shape)."""
    shape = shape_of(t)
    array = np.asarray(values)
    array = (
        np.broadcast_to(array.reshape(()), shape)
        if array.size == 1
        else array.reshape(shape)
    )
    return literal(array, element(t))


# --------------------------------------------------------------------------- #
# The chip's matmul and reduction parameters
# --------------------------------------------------------------------------- #

DEFAULT_CHIP = CHIP_PRESETS["tsp-v1"]
"""The machine of a tensor-level run that names none: the numerics of a
program compiled for another machine come from its `#lpu.system` instead."""


def mxm_k_block(chip: ChipSpec, input_type: str) -> int:
    """The fused K-block of a matrix product for an input element type on
    `chip`: `mxm_k_i8` rows for integers, `mxm_k_f16` for f16 and bf16 (the
    MXM's); 1 for the other floats (f32: the MXM has none, the VXM sums one
    rounded product at a time, docs/numerics.md)."""
    if input_type in ("f16", "bf16"):
        return chip.mxm_k_f16
    return 1 if numerics.is_float(input_type) else chip.mxm_k_i8


# --------------------------------------------------------------------------- #
# The registry and the runner
# --------------------------------------------------------------------------- #

Args = tuple[np.ndarray, ...]
"""The operand values an implementation receives."""

Impl = Callable[["Interpreter", Operation, Args], Sequence[np.ndarray]]
"""An op's implementation: (interpreter, op, operand values) -> result values."""

IMPLEMENTATIONS: dict[type[Operation], Impl] = {}

_F = TypeVar("_F", bound=Impl)


def implements(*op_types: type[Operation]) -> Callable[[_F], _F]:
    """Register a function as the implementation of `op_types`."""

    def register(impl: _F) -> _F:
        for op_type in op_types:
            IMPLEMENTATIONS[op_type] = impl
        return impl

    return register


def branch_target(
    terminator: Operation, env: ChainMap[SSAValue, np.ndarray]
) -> tuple[Block, Sequence[SSAValue]] | None:
    """The block a cf.br / cf.cond_br / cf.switch goes to, with the values it
    passes; None for any other terminator."""
    if isinstance(terminator, cf.BranchOp):
        return terminator.successor, terminator.arguments
    if isinstance(terminator, cf.ConditionalBranchOp):
        if bool(np.asarray(env[terminator.cond])):
            return terminator.then_block, terminator.then_arguments
        return terminator.else_block, terminator.else_arguments
    if isinstance(terminator, cf.SwitchOp):
        flag = int(np.asarray(env[terminator.flag]))
        values = terminator.case_values.get_values() if terminator.case_values else ()
        segments = terminator.case_operand_segments.get_values()
        operands = list(terminator.case_operands)
        start = 0
        for value, block, size in zip(
            values, terminator.case_blocks, segments, strict=True
        ):
            if int(value) == flag:
                return block, operands[start : start + size]
            start += size
        return terminator.default_block, terminator.default_operands
    return None


class Interpreter:
    """Runs the functions of one module, each op through `IMPLEMENTATIONS`,
    with the numerics parameters (K-blocks, lanes) of `chip`."""

    def __init__(self, module: ModuleOp, chip: ChipSpec | None = None):
        self.chip = DEFAULT_CHIP if chip is None else chip
        self.functions = {
            op.sym_name.data: op
            for op in module.walk()
            if isinstance(op, func.FuncOp) and not op.is_declaration
        }
        self._scopes: list[ChainMap[SSAValue, np.ndarray]] = [ChainMap()]
        self.loop_indices: list[tuple[np.ndarray, ...]] = []
        """The iteration indices of the linalg ops being run, innermost last:
        one array per loop, broadcastable over the iteration space."""

    def k_block(self, input_type: str) -> int:
        """The MXM's K-block for an input element type on this machine."""
        return mxm_k_block(self.chip, input_type)

    def call(
        self, function: func.FuncOp, args: Sequence[np.ndarray]
    ) -> list[np.ndarray]:
        """Run a function on argument values (already checked against its type)."""
        with self._scope(fresh=True):
            if len(function.body.blocks) == 1:
                return self.run_block(function.body.block, args)
            return self.run_blocks(function.body, args)

    def run_blocks(
        self, region: Region, args: Sequence[np.ndarray]
    ) -> list[np.ndarray]:
        """A region of several blocks: from the entry, each block's ops, then
        the block its `cf` terminator branches to with its arguments, until a
        terminator that is not a branch (a return) gives the values."""
        block = region.blocks[0]
        with self._scope() as env:
            while True:
                env.update(zip(block.args, args, strict=True))
                self._run_ops(block, env, ())
                terminator = block.last_op
                if terminator is None or not terminator.has_trait(IsTerminator):
                    raise ExecutionError(
                        "a block without a terminator", region.parent_op()
                    )
                taken = branch_target(terminator, env)
                if taken is None:
                    return [env[v] for v in terminator.operands]
                block, values = taken
                args = [env[v] for v in values]

    def run_block(self, block: Block, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run a block's ops in order; the values its terminator yields or returns.
        Values defined outside the block (linalg bodies use them) stay visible."""
        terminator = block.last_op
        if terminator is None or not terminator.has_trait(IsTerminator):
            raise ExecutionError("a block without a terminator", block.parent_op())
        return self.evaluate(block, args, terminator.operands)

    def evaluate(
        self,
        block: Block,
        args: Sequence[np.ndarray],
        wanted: Sequence[SSAValue],
        skip: Collection[Operation] = (),
    ) -> list[np.ndarray]:
        """Run a block's ops but its terminator and those in `skip`; the values
        of `wanted` (a linalg reduction reads its body's operand of the
        combiner this way, then reduces it in the numerics' order)."""
        with self._scope() as env:
            env.update(zip(block.args, args, strict=True))
            self._run_ops(block, env, skip)
            return [env[v] for v in wanted]

    def _run_ops(
        self,
        block: Block,
        env: ChainMap[SSAValue, np.ndarray],
        skip: Collection[Operation],
    ) -> None:
        for op in block.ops:
            if op in skip or op.has_trait(IsTerminator):
                continue
            if any(v not in env for v in op.operands):
                raise ExecutionError("uses a value before it is defined", op)
            operands = tuple(env[v] for v in op.operands)
            env.update(zip(op.results, self.run_op(op, operands), strict=True))

    def run_op(
        self, op: Operation, operands: tuple[np.ndarray, ...]
    ) -> Sequence[np.ndarray]:
        """One op through its implementation, with its errors located at it."""
        impl = IMPLEMENTATIONS.get(type(op))
        if impl is None:
            raise UnsupportedOpError(
                "the reference interpreter does not implement this op", op
            )
        try:
            return impl(self, op, operands)
        except ReferenceError as e:
            if e.op is not None:  # raised by an op nested in this one: it says where
                raise
            raise type(e)(str(e), op) from e
        except numerics.NumericsError as e:
            raise ExecutionError(str(e), op) from e

    @contextmanager
    def _scope(
        self, *, fresh: bool = False
    ) -> Iterator[ChainMap[SSAValue, np.ndarray]]:
        scope = ChainMap() if fresh else self._scopes[-1].new_child()
        self._scopes.append(scope)
        try:
            yield scope
        finally:
            self._scopes.pop()
