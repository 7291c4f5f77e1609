"""lpuir's passes, one per module, by the names lpu-opt knows them by."""

from collections.abc import Callable
from importlib import import_module

from xdsl.passes import ModulePass


def _lazy(module: str, name: str) -> Callable[[], type[ModulePass]]:
    """A pass class loaded on first use, as xdsl-opt loads its own."""

    def load() -> type[ModulePass]:
        return getattr(import_module(f"lpuir.transforms.{module}"), name)

    return load


LPUIR_PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "lpu-compile": _lazy("compile", "CompilePass"),
    "lpu-inline": _lazy("inline", "InlinePass"),
    "lpu-decompose": _lazy("decompose", "DecomposePass"),
    "lpu-partition": _lazy("partition", "PartitionPass"),
    "lpu-split-k": _lazy("split_k", "SplitKPass"),
    "lpu-vectorize": _lazy("vectorize", "VectorizePass"),
    "lpu-allocate-sram": _lazy("allocate_sram", "AllocateSramPass"),
    "lpu-schedule": _lazy("schedule", "SchedulePass"),
    "lpu-print-schedule-problem": _lazy("schedule", "PrintScheduleProblemPass"),
    "lpu-verify-schedule": _lazy("verify_schedule", "VerifySchedulePass"),
    "lpu-print-timing": _lazy("print_timing", "PrintTimingPass"),
    "lpu-perf-report": _lazy("perf_report", "PerfReportPass"),
}
