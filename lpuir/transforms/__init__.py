"""lpuir's passes, one per module, by the names lpu-opt knows them by."""

from collections.abc import Callable

from xdsl.passes import ModulePass


def _decompose() -> type[ModulePass]:
    from lpuir.transforms.decompose import DecomposePass

    return DecomposePass


def _vectorize() -> type[ModulePass]:
    from lpuir.transforms.vectorize import VectorizePass

    return VectorizePass


def _compile() -> type[ModulePass]:
    from lpuir.transforms.compile import CompilePass

    return CompilePass


def _allocate_sram() -> type[ModulePass]:
    from lpuir.transforms.allocate_sram import AllocateSramPass

    return AllocateSramPass


def _schedule() -> type[ModulePass]:
    from lpuir.transforms.schedule import SchedulePass

    return SchedulePass


def _verify_schedule() -> type[ModulePass]:
    from lpuir.transforms.verify_schedule import VerifySchedulePass

    return VerifySchedulePass


LPUIR_PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "lpu-compile": _compile,
    "lpu-decompose": _decompose,
    "lpu-vectorize": _vectorize,
    "lpu-allocate-sram": _allocate_sram,
    "lpu-schedule": _schedule,
    "lpu-verify-schedule": _verify_schedule,
}
"""Loaded lazily, as xdsl-opt loads its own."""
