"""Static reasoning about performance: where a scheduled program's cycles go,
per tensor-level op, against the machine's roofline, and the critical path
that sets the cycle count (docs/performance.md, "Where the cycles go")."""

from lpuir.perf.account import BYTE_KINDS, UNIT_KINDS
from lpuir.perf.critical import DEPENDENCES, Element
from lpuir.perf.report import ROOFLINE_TERMS, Bubble, OpPerf, PerfReport, perf_report

__all__ = [
    "BYTE_KINDS",
    "DEPENDENCES",
    "ROOFLINE_TERMS",
    "UNIT_KINDS",
    "Bubble",
    "Element",
    "OpPerf",
    "PerfReport",
    "perf_report",
]
