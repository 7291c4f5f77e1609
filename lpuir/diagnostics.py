"""User-facing errors: every one names where it happened, none is a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xdsl.dialects.builtin import FileLineColLoc, ModuleOp, NameLoc
from xdsl.ir import Attribute, Operation
from xdsl.utils.exceptions import DiagnosticException, VerifyException

if TYPE_CHECKING:
    from lpuir.dialects.lpu import SystemOp


class LpuError(Exception):
    """An error in what the user gave, with its location already in the message."""


def file_line_col(loc: Attribute) -> FileLineColLoc | None:
    """The file position of a location: itself, or what a name location
    (an imported ONNX node's) wraps."""
    if isinstance(loc, NameLoc):
        loc = loc.location
    return loc if isinstance(loc, FileLineColLoc) else None


def location_text(loc: Attribute) -> str | None:
    """`file:line:col`, with a name location's name after it
    (`model.onnx:3:1 (MatMul 'mm')`); None for a location without a position."""
    position = file_line_col(loc)
    if position is None:
        return None
    text = f"{position.filename.data}:{position.line.data}:{position.column.data}"
    return f"{text} ({loc.desc.data})" if isinstance(loc, NameLoc) else text


def op_location(op: Operation) -> str:
    """`file:line:col` when the op came from text with positions (with the
    node's name when it came from ONNX), else the op's name and its first
    printed line, so the user can still find it."""
    where = location_text(op.location)
    if where is not None:
        return where
    text = str(op).split("\n", 1)[0]
    return f"'{op.name}' op `{text[:120]}`"


def module_location(module: ModuleOp) -> str:
    """Where a module-wide error points: its first op (a parsed module has no
    position of its own), else the module."""
    return op_location(next(iter(module.ops), module))


def _failing_op(root: Operation) -> Operation | None:
    """The first op whose own verifier fails, in the order `verify` visits them
    (nested ops before their parent), so it is the op the error is about."""
    for op in root.walk(region_first=True):
        try:
            op.verify(verify_nested_ops=False)
        except (DiagnosticException, ValueError):
            return op
    return None


def _verify_upstream(root: Operation) -> None:
    """What xDSL 0.74's verifiers leave out: a named elementwise linalg op
    builds its body from the operands it is given, so `linalg.add` with one
    input adds its init, and `linalg.exp` with two ignores one; its body must
    read each input and no init."""
    from xdsl.dialects.linalg.abstract_ops import ElementwiseOperation

    for op in root.walk():
        if not isinstance(op, ElementwiseOperation) or not op.regions[0].blocks:
            continue
        args = op.regions[0].block.args
        read = [i for i, arg in enumerate(args) if arg.first_use is not None]
        given = len(op.inputs)
        if read != list(range(given)):
            raise LocatedVerifyException(
                op,
                f"'{op.name}' op takes {max(read, default=-1) + 1} input(s), {given} given",
            )


def verify_located(root: Operation) -> None:
    """Verify (xDSL's verifiers and `_verify_upstream`), turning a failure
    into an LpuError that says where."""
    try:
        root.verify()
        _verify_upstream(root)
    except (DiagnosticException, ValueError) as e:
        op = getattr(e, "op", None) or _failing_op(root)
        message = str(e.args[0]) if e.args else type(e).__name__
        message = message.removeprefix("Operation does not verify: ")
        where = op_location(op) if op is not None else "<module>"
        raise LpuError(f"{where}: error: {message}") from e


class LocatedVerifyException(VerifyException):
    """A verifier failure that knows the op it is about (not always the op
    whose verifier found it: a chip's verifier blames the offending instruction)."""

    def __init__(self, op: Operation, message: str):
        super().__init__(message)
        self.op = op


def lpu_programs(module: ModuleOp, pass_name: str) -> list[SystemOp]:
    """The module's lpu.system ops, for a pass that takes an LPU program; an
    error if it holds none (a tensor-level module would pass through unchanged)."""
    from lpuir.dialects.lpu import SystemOp

    systems = [o for o in module.walk() if isinstance(o, SystemOp)]
    if not systems:
        raise LpuError(
            f"{module_location(module)}: error: {pass_name} takes an LPU program (an lpu.system), and this module holds none: lower tensor-level functions with lpu-vectorize first (lpu-compile runs the whole pipeline)"
        )
    return systems
