"""The Python API: what lpu-opt and lpu-run do, as functions on modules.

Load and print programs in either syntax, compile them for any machine, run
them on numpy inputs with the report lpu-run writes, check a hand schedule,
and describe and vary machines. Every error in what is given is an `LpuError`
whose message says where (file:line:col, the op, or chip/cycle/unit/stream for
a schedule: `SimulationError`, with each `Violation`). docs/api.md.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Attribute
from xdsl.passes import PassPipeline
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from lpuir.context import make_context
from lpuir.diagnostics import LpuError, verify_located
from lpuir.dialects import lpu
from lpuir.execute import (
    Report,
    RunResult,
    check_input_count,
    lpu_system,
    materialise,
    run_module,
    signature,
)
from lpuir.extensions import available_passes
from lpuir.frontend import parse_source

if TYPE_CHECKING:
    from lpuir.perf import PerfReport

Syntax = Literal["mlir", "lpu"]


def parse(text: str, name: str = "<string>", syntax: Syntax | None = None) -> ModuleOp:
    """A verified module from MLIR or .lpu text (`syntax`, else told by `name`'s
    extension or the text); errors are located in `name`."""
    module = parse_source(text, name, frontend=syntax)
    verify_located(module)
    return module


def load(path: str | Path, syntax: Syntax | None = None) -> ModuleOp:
    """A verified module from a `.mlir` or `.lpu` file, or an `.onnx` model
    (imported with `import_onnx`'s defaults)."""
    if syntax is None and str(path).endswith(".onnx"):
        return import_onnx(path)
    return parse(Path(path).read_text(), str(path), syntax)


def import_onnx(
    model: str | Path | bytes | object,
    *,
    weights_as_arguments: bool = False,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    input_values: Mapping[str, np.ndarray] | None = None,
) -> ModuleOp:
    """A verified tensor-level module (func + TOSA 1.0) from an ONNX model: a
    path (external data loads from beside it), bytes or an onnx.ModelProto.
    Each op's location names its ONNX node (`model.onnx:N:1 (OpType
    'name')`, N the node's position). `weights_as_arguments` makes the
    initializers `{lpu.weight}` arguments; `input_shapes` binds symbolic
    dimensions (`{"input_ids": (1, 128)}`); `input_values` makes inputs
    constants (shapes, axes or bounds the program needs at compile time).
    An op outside the supported set (docs/onnx.md) is an error naming the
    node and its op type."""
    from lpuir.onnx import import_onnx as run_import

    return run_import(
        model,  # type: ignore[arg-type]
        weights_as_arguments=weights_as_arguments,
        input_shapes=dict(input_shapes or {}),
        input_values=dict(input_values or {}),
    )


def to_text(
    module: ModuleOp,
    syntax: Syntax = "mlir",
    *,
    generic: bool = False,
    debuginfo: bool = False,
) -> str:
    """The module as MLIR (optionally generic, or with locations) or as .lpu
    text (a module holding one lpu.system), as lpu-opt prints it."""
    out = io.StringIO()
    if syntax == "lpu":
        from lpuir.grammar.printer import print_lpu

        print_lpu(module, out)
    else:
        Printer(out, print_generic_format=generic, print_debuginfo=debuginfo).print_op(
            module
        )
        out.write("\n")
    return out.getvalue()


@dataclass
class StaticReport:
    """What a compiled program says about itself before it runs; `perf` is
    its performance report (made when first asked)."""

    static_cycles: int | None
    """The cycle count the scheduler recorded (None if no schedule recorded one)."""
    latency_us: float | None
    """`static_cycles` at the modelled clock."""
    chips: int
    """Programmed chips (0: the pipeline left no LPU program)."""
    instructions: dict[str, int]
    """Instructions per unit kind (MEM, VXM, SXM, MXM, C2C, ICU)."""
    system: lpu.SystemOp | None = field(default=None, repr=False, compare=False)

    @cached_property
    def perf(self) -> PerfReport | None:
        """Where the cycles go, per tensor op, against the roofline, with the
        critical path (`lpuir.perf`; docs/performance.md); None unless the
        program is scheduled."""
        from lpuir.execute import is_scheduled
        from lpuir.perf import perf_report

        if self.system is None or not is_scheduled(self.system):
            return None
        return perf_report(self.system)


@dataclass
class CompileResult:
    """The compiled module (the input module is left as it was) and its report."""

    module: ModuleOp
    report: StaticReport


def compile_module(
    module: ModuleOp,
    system: str | lpu.SystemAttr = "tsp-v1",
    *,
    pipeline: str | None = None,
) -> CompileResult:
    """Compile a copy of `module` with `lpu-compile` for a system preset or a
    custom `#lpu.system` (see `system_attr`), or run any lpu-opt `pipeline`
    (then `system` is not used: name it in the pipeline's options). Every
    pass registered with `register_pass` or an entry point is available."""
    from lpuir.transforms.compile import CompilePass

    compiled = module.clone()
    system_text = system if isinstance(system, str) else str(system)
    passes = (
        PassPipeline((CompilePass(system=system_text),))
        if pipeline is None
        else PassPipeline.parse_spec(available_passes(), pipeline)
    )
    passes.apply(make_context(), compiled)
    verify_located(compiled)
    return CompileResult(compiled, static_report(compiled))


def static_report(module: ModuleOp) -> StaticReport:
    """The static facts of a module's LPU program (empty for a tensor-level one)."""
    system = lpu_system(module)
    if system is None:
        return StaticReport(None, None, 0, {})
    counts: dict[str, int] = {}
    for chip in system.chips:
        for op in chip.instructions():
            counts[op.UNIT] = counts.get(op.UNIT, 0) + 1
    static = system.static_cycles.data if system.static_cycles is not None else None
    clock = system.machine.spec.chip.clock_mhz
    return StaticReport(
        static,
        static / clock if static is not None else None,
        len(system.chips),
        dict(sorted(counts.items())),
        system,
    )


def run(
    module: ModuleOp,
    inputs: Sequence[np.ndarray],
    *,
    function: str | None = None,
    trace: bool = False,
    collect_all: bool = False,
    perf: bool = False,
) -> RunResult:
    """Run a module at its level on numpy inputs (one per argument, in order:
    a function's arguments or an LPU program's input tensors by arg). An
    input must hold values its element type holds exactly; it is converted
    to the type's numerics carrier (bf16 travels in float32). `trace` keeps a
    Chrome trace in the report; `collect_all` reports every schedule
    violation; `perf` adds the static performance report (`report.perf`)."""
    verify_located(module)
    sig = signature(module, function)
    check_input_count(sig, len(inputs))
    carried = [
        materialise(np.asarray(value), want, f"input {i}")
        for i, (value, want) in enumerate(zip(inputs, sig.inputs, strict=True))
    ]
    return run_module(
        module,
        carried,
        function=function,
        collect_all=collect_all,
        trace=trace,
        perf=perf,
    )


def check_schedule(module: ModuleOp) -> int:
    """The cycles a scheduled program takes, having checked every rule of the
    machine (a zero-input run, as lpu-verify-schedule does); a
    `SimulationError` listing every violation otherwise."""
    from lpuir.transforms.verify_schedule import check_schedule as check

    system = lpu_system(module)
    if system is None:
        raise LpuError("the module holds no lpu.system: there is no schedule to check")
    return check(system).cycles


# ------------------------------------------------------------------- machines


def _param(value: int | str | Attribute) -> Attribute:
    if isinstance(value, Attribute):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise LpuError(f"a machine parameter is an integer or a string, not {value!r}")
    return IntegerAttr(value, i64) if isinstance(value, int) else StringAttr(value)


_A = TypeVar("_A", bound=Attribute)


def _checked(make: Callable[[], _A]) -> _A:
    """A machine attribute; what its verifier says is an LpuError."""
    try:
        return make()
    except VerifyException as e:
        raise LpuError(str(e)) from None


def system_attr(
    preset: str = "tsp-v1",
    *,
    chip: str = "tsp-v1",
    chip_params: Mapping[str, int | str] | None = None,
    **params: int | str,
) -> lpu.SystemAttr:
    """An `#lpu.system`: a system preset with system parameters overridden
    (`local_latency=250`, `topology="explicit"`, `chips_per_node=3`,
    `links="0:0-1:0, 1:1-2:0@300"`), on chips of preset `chip` with chip
    parameters overridden (`chip_params={"delay_vxm": 3}`). Its `.spec` is the
    `SystemSpec`; docs/machine.md lists every parameter."""
    overrides = {k: _param(v) for k, v in params.items()}
    if chip_params or chip != "tsp-v1":
        chip_overrides = {k: _param(v) for k, v in (chip_params or {}).items()}
        overrides["chip"] = _checked(lambda: lpu.ChipAttr(chip, chip_overrides))
    return _checked(lambda: lpu.SystemAttr(preset, overrides))


def modify_system(
    machine: lpu.SystemAttr,
    *,
    chip_params: Mapping[str, int | str] | None = None,
    **params: int | str,
) -> lpu.SystemAttr:
    """`machine` with more parameters overridden (a later value wins)."""
    overrides = dict(machine.overrides.data)
    overrides.update({k: _param(v) for k, v in params.items()})
    if chip_params:
        chip = overrides.get("chip")
        base = (
            chip
            if isinstance(chip, lpu.ChipAttr)
            else lpu.ChipAttr(chip.data if isinstance(chip, StringAttr) else "tsp-v1")
        )
        merged = dict(base.overrides.data)
        merged.update({k: _param(v) for k, v in chip_params.items()})
        overrides["chip"] = _checked(lambda: lpu.ChipAttr(base.preset.data, merged))
    return _checked(lambda: lpu.SystemAttr(machine.preset.data, overrides))


def with_machine(module: ModuleOp, machine: lpu.SystemAttr) -> ModuleOp:
    """A copy of an LPU program that runs on another machine (the schedule is
    kept: `check_schedule` says whether it still keeps every rule)."""
    copy = module.clone()
    system = lpu_system(copy)
    if system is None:
        raise LpuError(
            "the module holds no lpu.system; compile a tensor-level program for a machine with compile_module"
        )
    system.machine = machine
    verify_located(copy)
    return copy


def compare_reports(
    reports: Mapping[str, Report],
    keys: Sequence[str] = ("cycles", "latency_us", "instructions"),
) -> str:
    """A text table: one row per labelled report, one column per key of the
    report's JSON (`unit_utilisation.VXM` reaches into a mapping)."""

    def cell(report: Report, key: str) -> str:
        value: object = report.to_json()
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                raise LpuError(f"a report has no '{key}'")
            value = value[part]
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    rows = [["", *keys]] + [
        [label, *(cell(r, k) for k in keys)] for label, r in reports.items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )
