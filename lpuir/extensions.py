"""Extension points: passes and instructions defined outside lpuir.

A pass is a plain xDSL `ModulePass`. It joins lpu-opt's `-p` pipelines either
in-process (`register_pass`) or, without any code running first, through the
`lpuir.passes` entry point group of an installed distribution
(`name = "module:Class"`), read the first time the pass registry is asked.

An instruction is one class: a subclass of `lpu.VxmOp` (usually via
`VxmUnaryOp` / `VxmBinaryOp`) or `lpu.SxmOp` named `lpu.vxm.NAME` or
`lpu.sxm.NAME`, carrying its facts as every built-in instruction does: its
numerics (`compute(operands, spec)`, or `LANEWISE`), its timing (its `DELAY`
kind or its `result_delay`), its `.lpu` arguments (`ARGUMENTS`). Its unit's
base class gives the rest (footprint, placement). `register_instruction` (or
the `lpuir.instructions` entry point group) only makes it known by name to
the parsers and the builder. docs/api.md shows both with worked examples.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, TypeVar

from xdsl.passes import ModulePass

from lpuir.diagnostics import LpuError

if TYPE_CHECKING:
    from lpuir.dialects.lpu import Instruction

PASS_GROUP = "lpuir.passes"
"""Entry point group of external passes: `pass-name = "module:PassClass"`."""

INSTRUCTION_GROUP = "lpuir.instructions"
"""Entry point group of external instructions: `any-name = "module:OpClass"`."""

STOCK_PASSES = ("canonicalize", "cse", "dce")
"""xDSL passes that are meaningful on lpuir programs."""

_PASSES: dict[str, type[ModulePass]] = {}
_INSTRUCTIONS: dict[str, type] = {}

_P = TypeVar("_P", bound=type[ModulePass])
_I = TypeVar("_I", bound=type)


def _builtin_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    from xdsl.transforms import get_all_passes

    from lpuir.transforms import LPUIR_PASSES

    stock = get_all_passes()
    return {**{name: stock[name] for name in STOCK_PASSES}, **LPUIR_PASSES}


def register_pass(cls: _P) -> _P:
    """Make a `ModulePass` usable in pipelines by its `name` (also as a class
    decorator); a name lpuir or another extension already uses is an error."""
    if not (isinstance(cls, type) and issubclass(cls, ModulePass)):
        raise LpuError(f"register_pass takes a ModulePass subclass, not {cls!r}")
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not name:
        raise LpuError(f"pass {cls.__qualname__} has no `name` to be called by")
    known = _PASSES.get(name)
    if (known is not None and known is not cls) or name in _builtin_passes():
        raise LpuError(f"a pass named '{name}' is already registered")
    _PASSES[name] = cls
    return cls


def _load_entry_point(ep: EntryPoint, group: str) -> type:
    """The class an entry point names; a broken one is an error naming it."""
    where = f"entry point '{ep.name} = {ep.value}' of group {group}" + (
        f" (distribution {ep.dist.name})" if ep.dist is not None else ""
    )
    try:
        loaded = ep.load()
    except (ImportError, AttributeError) as e:
        raise LpuError(f"{where}: cannot load it: {e}") from None
    if not isinstance(loaded, type):
        raise LpuError(f"{where}: names {loaded!r}, not a class")
    return loaded


def _entry_pass(ep: EntryPoint) -> Callable[[], type[ModulePass]]:
    """A loader for an entry point's pass, checked when first used."""

    def load() -> type[ModulePass]:
        cls = _load_entry_point(ep, PASS_GROUP)
        if not issubclass(cls, ModulePass) or getattr(cls, "name", None) != ep.name:
            raise LpuError(
                f"entry point '{ep.name} = {ep.value}' of group {PASS_GROUP}: expected a ModulePass named '{ep.name}', got {cls.__qualname__}"
            )
        return cls

    return load


def available_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Every pass lpu-opt and `compile_module` accept, by name, loaded on first
    use: xDSL's canonicalize/cse/dce, lpuir's own, the `lpuir.passes` entry
    points of installed distributions and the passes `register_pass` added."""
    passes = _builtin_passes()
    for ep in entry_points(group=PASS_GROUP):
        if ep.name in passes:
            raise LpuError(
                f"entry point '{ep.name} = {ep.value}' of group {PASS_GROUP}: lpuir already has a pass named '{ep.name}'"
            )
        passes[ep.name] = _entry_pass(ep)
    for name, cls in _PASSES.items():
        passes[name] = lambda cls=cls: cls
    return passes


_MNEMONIC = re.compile(r"lpu\.(vxm|sxm)\.[a-z]+")


def register_instruction(cls: _I) -> _I:
    """Teach lpuir a new VXM or SXM instruction (also as a class decorator):
    the `.lpu` and MLIR parsers (contexts made from now on) and the builder
    find it by name; the simulator, the logical executor and
    lpu-verify-schedule run it from its own facts, as every instruction.
    `cls` is an `@irdl_op_definition` subclass of `lpu.VxmOp` or `lpu.SxmOp`
    named `lpu.vxm.NAME` / `lpu.sxm.NAME` with its numerics: a method
    `compute(self, operands, spec) -> np.ndarray` (the result bursts, one
    (n, lanes) carrier array, from the operands' bursts in operand order),
    or for a `VxmUnaryOp`/`VxmBinaryOp` a `LANEWISE` numerics function."""
    from lpuir.dialects import lpu

    if not (isinstance(cls, type) and issubclass(cls, lpu.VxmOp | lpu.SxmOp)):
        raise LpuError(
            f"an extension instruction subclasses lpu.VxmOp or lpu.SxmOp (the units whose timing the simulator models for any op); {cls!r} does not"
        )
    name = cls.name
    if _MNEMONIC.fullmatch(name) is None:
        raise LpuError(
            f"extension instruction {cls.__qualname__} is named '{name}'; name it lpu.vxm.NAME or lpu.sxm.NAME (NAME in a-z)"
        )
    unit = "vxm" if issubclass(cls, lpu.VxmOp) else "sxm"
    if name.split(".")[1] != unit:
        raise LpuError(
            f"extension instruction '{name}' is a {unit.upper()} instruction; name it lpu.{unit}.NAME"
        )
    lanewise = issubclass(cls, lpu.VxmUnaryOp | lpu.VxmBinaryOp) and hasattr(
        cls, "LANEWISE"
    )
    if cls.compute is lpu.Instruction.compute or (
        cls.compute in (lpu.VxmUnaryOp.compute, lpu.VxmBinaryOp.compute)
        and not lanewise
    ):
        raise LpuError(
            f"extension instruction '{name}' needs a compute(self, operands, spec) method: its numerics"
        )
    known = _INSTRUCTIONS.get(name)
    if known is cls:
        return cls
    if known is not None or any(op.name == name for op in lpu.INSTRUCTIONS):
        raise LpuError(f"an instruction named '{name}' is already registered")
    _INSTRUCTIONS[name] = cls
    return cls


@cache
def _entry_point_instructions() -> None:
    """Register the instructions of the `lpuir.instructions` entry points, once."""
    for ep in entry_points(group=INSTRUCTION_GROUP):
        register_instruction(_load_entry_point(ep, INSTRUCTION_GROUP))


def extension_instructions() -> list[type]:
    """The registered extension instructions, entry points included."""
    _entry_point_instructions()
    return list(_INSTRUCTIONS.values())


def instruction_classes() -> dict[str, type[Instruction]]:
    """Every instruction class, lpuir's and the registered extensions', by
    its `.lpu` mnemonic (`vxm.add`)."""
    from lpuir.dialects import lpu

    return {
        cls.name.removeprefix("lpu."): cls
        for cls in (*lpu.INSTRUCTIONS, *extension_instructions())
    }
