"""lpuir: an MLIR-style compiler toolkit and cycle-level simulator for
deterministic LPU (TSP-style) accelerator arrays.

The names below are the Python API (docs/api.md): load, print, compile, run
and build programs, describe machines, and extend lpuir with passes and
instructions of your own. The pieces behind them: `lpuir.machine` (the
machine description), `lpuir.numerics` (what every op computes),
`lpuir.dialects` (the `lpu` and extended `tosa` dialects), `lpuir.grammar`
(the .lpu text), `lpuir.transforms` (the compiler's passes),
`lpuir.interpreter` (reference interpreter, simulator) and `lpuir.tools`
(`lpu-opt`, `lpu-run`). See README.md and docs/.
"""

from lpuir.api import (
    CompileResult,
    StaticReport,
    check_schedule,
    compare_reports,
    compile_module,
    import_onnx,
    load,
    modify_system,
    parse,
    run,
    static_report,
    system_attr,
    to_text,
    with_machine,
)
from lpuir.builder import ChipBuilder, ProgramBuilder
from lpuir.diagnostics import LpuError
from lpuir.dialects.lpu import SystemAttr
from lpuir.execute import Report, RunResult, Signature, is_scheduled, signature
from lpuir.extensions import available_passes, register_instruction, register_pass
from lpuir.interpreter.sim_errors import SimulationError, Violation
from lpuir.machine import ChipSpec, LinkSpec, MachineError, SystemSpec
from lpuir.tensor_builder import TensorBuilder

__version__ = "0.1.0"

__all__ = [
    "ChipBuilder",
    "ChipSpec",
    "CompileResult",
    "LinkSpec",
    "LpuError",
    "MachineError",
    "ProgramBuilder",
    "Report",
    "RunResult",
    "Signature",
    "SimulationError",
    "StaticReport",
    "SystemAttr",
    "SystemSpec",
    "TensorBuilder",
    "Violation",
    "__version__",
    "available_passes",
    "check_schedule",
    "compare_reports",
    "compile_module",
    "import_onnx",
    "is_scheduled",
    "load",
    "modify_system",
    "parse",
    "register_instruction",
    "register_pass",
    "run",
    "signature",
    "static_report",
    "system_attr",
    "to_text",
    "with_machine",
]
