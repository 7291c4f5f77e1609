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
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.traits import IsTerminator

from lpuir import numerics
from lpuir.diagnostics import LpuError, location_text
from lpuir.machine import ChipSpec
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
    """The numerics name of a tensor's element type or of a scalar type."""
    try:
        return element_type_name(
            t.get_element_type() if isinstance(t, TensorType) else t
        )
    except LpuError as e:
        raise UnsupportedTypeError(str(e)) from e


def shape_of(t: Attribute) -> tuple[int, ...]:
    """The static shape of a tensor type, () for a scalar type."""
    if not isinstance(t, TensorType):
        return ()
    shape = t.get_shape()
    if any(d < 0 for d in shape):
        raise UnsupportedTypeError(
            f"{t} has a dynamic dimension; the reference interpreter runs static shapes only"
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

CHIP = ChipSpec()
"""The tsp-v1 preset: the MXM's K-blocks and the VXM's lanes come from here."""


def mxm_k_block(input_type: str) -> int:
    """The MXM's fused K-block for an input element type: `mxm_k_i8` rows for
    integers, `mxm_k_f16` for floats (f32 is taken at the f16 rate)."""
    return CHIP.mxm_k_f16 if numerics.is_float(input_type) else CHIP.mxm_k_i8


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


class Interpreter:
    """Runs the functions of one module, each op through `IMPLEMENTATIONS`."""

    def __init__(self, module: ModuleOp):
        self.functions = {
            op.sym_name.data: op
            for op in module.walk()
            if isinstance(op, func.FuncOp) and not op.is_declaration
        }
        self._scopes: list[ChainMap[SSAValue, np.ndarray]] = [ChainMap()]
        self.loop_indices: list[tuple[np.ndarray, ...]] = []
        """The iteration indices of the linalg ops being run, innermost last:
        one array per loop, broadcastable over the iteration space."""

    def call(
        self, function: func.FuncOp, args: Sequence[np.ndarray]
    ) -> list[np.ndarray]:
        """Run a function on argument values (already checked against its type)."""
        with self._scope(fresh=True):
            return self.run_block(function.body.block, args)

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
            for op in block.ops:
                if op in skip or op.has_trait(IsTerminator):
                    continue
                if any(v not in env for v in op.operands):
                    raise ExecutionError("uses a value before it is defined", op)
                operands = tuple(env[v] for v in op.operands)
                env.update(zip(op.results, self.run_op(op, operands), strict=True))
            return [env[v] for v in wanted]

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
