"""lpu-perf-report: the static performance report of a scheduled program
(`lpuir.perf`): a table of its tensor-level ops sorted by cycles on the
critical path, and, if asked, the whole report as JSON and its plots. No
simulation; the IR is unchanged. docs/performance.md, "Where the cycles go"."""

from __future__ import annotations

import json
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from lpuir.diagnostics import LpuError, lpu_programs
from lpuir.perf import perf_report


@dataclass(frozen=True)
class PerfReportPass(ModulePass):
    """Report where each scheduled system's cycles go (module docstring)."""

    name = "lpu-perf-report"

    file: str = ""
    """Write the report as JSON to this file."""
    rows: int = 20
    """Rows of the table printed (0: no table)."""
    plots: str = ""
    """Write the roofline, Gantt and utilisation plots into this folder."""
    format: str = "png"
    """The plots' format: png or svg."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from lpuir.tools.outputs import check_output, write_text

        systems = lpu_programs(op, self.name)
        if len(systems) > 1 and (self.file or self.plots):
            raise LpuError(
                f"{self.name}: the module holds {len(systems)} lpu.system ops; file= and plots= report one"
            )
        if self.file:
            check_output(self.file, f"{self.name}{{file}}")
        for system in systems:
            report = perf_report(system)
            if self.rows:
                print(report.table(self.rows))
            if self.file:
                write_text(self.file, json.dumps(report.to_json(), indent=1) + "\n")
            if self.plots:
                from lpuir.perf.plots import write_plots

                write_plots(report, self.plots, self.format)
