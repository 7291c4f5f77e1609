"""The reference interpreter: runs a tensor-level `func.func` (func, cf, tosa,
linalg, tensor, arith, math on ranked tensors) under the numerics spec,
with numpy on whole arrays. It is the oracle the compiler and the simulator
are checked against, so it computes every value through `lpuir.numerics` and
only moves data itself.

    outputs = run_function(module, "main", [x, w])
    outputs = run_function(module, "main", [x, w], chip=compiled_chip)

The numerics parameters of the machine (the MXM's K-blocks, the lanes a
reduction is cut into) come from `chip`: the tsp-v1 preset unless a program
compiled for another machine is being checked, whose `#lpu.system` says.

Inputs and outputs are numpy arrays in the numerics carriers
(`numerics.carrier`: bf16 in float32 arrays holding bf16 values, i1 in bool),
0-d arrays for scalars. Errors are `ReferenceError`s that name the op (its
`file:line:col` when the text had one) or the argument they are about.

The op implementations, and the decisions each makes where MLIR or TOSA leave
a choice, are in `reference_arith.py`, `reference_tosa.py`,
`reference_linalg.py` and `reference_tensor.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects import cf, func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from lpuir import numerics
from lpuir.interpreter import (
    reference_arith,
    reference_linalg,
    reference_tensor,
    reference_tosa,
)
from lpuir.interpreter.reference_core import (
    IMPLEMENTATIONS,
    Args,
    ExecutionError,
    InputError,
    Interpreter,
    ReferenceError,
    UnsupportedOpError,
    UnsupportedTypeError,
    describe,
    element,
    fits,
    implements,
    shape_of,
)
from lpuir.machine import ChipSpec

__all__ = [
    "IMPLEMENTATIONS",
    "ExecutionError",
    "InputError",
    "ReferenceError",
    "UnsupportedOpError",
    "UnsupportedTypeError",
    "describe",
    "run_function",
    "supported_ops",
]

_OP_MODULES = (reference_arith, reference_linalg, reference_tensor, reference_tosa)
"""Importing these registers their implementations."""


@implements(cf.AssertOp)
def _assert(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    """Checked: a false condition stops the run with the op's message."""
    assert isinstance(op, cf.AssertOp)
    if not bool(np.asarray(args[0])):
        raise ExecutionError(f"assertion failed: {op.msg.data}")
    return []


@implements(func.CallOp)
def _call(interp: Interpreter, op: Operation, args: Args) -> list[np.ndarray]:
    assert isinstance(op, func.CallOp)
    callee = interp.functions.get(op.callee.root_reference.data)
    if callee is None:
        raise UnsupportedOpError(f"@{op.callee.root_reference.data} has no body to run")
    return interp.call(callee, args)


def supported_ops() -> list[str]:
    """Names of the ops the reference interpreter runs."""
    return sorted(op.name for op in IMPLEMENTATIONS)


def select_function(module: ModuleOp, name: str | None) -> func.FuncOp:
    """The function `name`, or the first public function of the module."""
    functions = [
        op
        for op in module.walk()
        if isinstance(op, func.FuncOp) and not op.is_declaration
    ]
    if name is not None:
        for f in functions:
            if f.sym_name.data == name:
                return f
        raise ReferenceError(
            f"no function @{name} (functions: {', '.join('@' + f.sym_name.data for f in functions) or 'none'})"
        )
    public = [
        f
        for f in functions
        if f.sym_visibility is None or f.sym_visibility.data == "public"
    ]
    if not public:
        raise ReferenceError("the module has no public function to run")
    return public[0]


def check_inputs(
    function: func.FuncOp, inputs: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """Inputs as the function's argument types want them, else an InputError
    naming the argument: arrays of the exact shape and carrier dtype, bf16
    values exactly representable (nothing is converted)."""
    types = function.function_type.inputs.data
    name = function.sym_name.data
    if len(inputs) != len(types):
        raise InputError(f"@{name} takes {len(types)} inputs, got {len(inputs)}")
    checked = []
    for index, (value, t) in enumerate(zip(inputs, types, strict=True)):
        try:
            shape, el = shape_of(t), element(t)
            dtype = numerics.carrier(el)
        except (ReferenceError, numerics.NumericsError) as e:
            raise UnsupportedTypeError(f"argument {index} of @{name}: {e}") from e
        if isinstance(value, np.generic):  # a numpy scalar is a 0-d array
            value = np.asarray(value)
        if not isinstance(value, np.ndarray):
            raise InputError(
                f"argument {index} of @{name} ({t}) must be a numpy array, got {type(value).__name__}"
            )
        if not fits(value.shape, shape) or value.dtype != dtype:
            raise InputError(
                f"argument {index} of @{name} must be {t} (shape {shape}, dtype {dtype}), got shape {value.shape} and dtype {value.dtype}"
            )
        if el == "bf16" and not np.array_equal(
            numerics.round_float(value, "bf16").view(np.uint32), value.view(np.uint32)
        ):
            raise InputError(
                f"argument {index} of @{name} ({t}) holds float32 values that are not bf16 values"
            )
        checked.append(value)
    return checked


def run_function(
    module: ModuleOp,
    name: str | None,
    inputs: Sequence[np.ndarray],
    *,
    chip: ChipSpec | None = None,
) -> list[np.ndarray]:
    """Run function `name` (None: the first public one) of a verified module on
    `inputs` with the numerics parameters of `chip` (None: tsp-v1); its
    results, one array each, in the numerics carriers."""
    function = select_function(module, name)
    outputs = Interpreter(module, chip).call(function, check_inputs(function, inputs))
    results = []
    for index, (value, t) in enumerate(
        zip(outputs, function.function_type.outputs.data, strict=True)
    ):
        dtype = numerics.carrier(element(t))
        if value.dtype != dtype or not fits(value.shape, shape_of(t)):
            raise ExecutionError(
                f"result {index} of @{function.sym_name.data} came out as shape {value.shape} and dtype {value.dtype}, not {t}",
                function,
            )
        results.append(np.array(value, copy=True))
    return results
