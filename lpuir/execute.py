"""Running a program at the level its IR is at, and the report of the run.

Tensor-level functions run on the reference interpreter; LPU programs on the
modelled chip array: scheduled ones on the cycle-level simulator, logical ones
functionally in program order. lpu-run and the Python API (`lpuir.run`) both
run through here, so the report a script gets is the JSON lpu-run writes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.utils.exceptions import VerifyException

from lpuir import numerics
from lpuir.diagnostics import LpuError, module_location, op_location
from lpuir.dialects import lpu
from lpuir.machine import ChipSpec, MachineError
from lpuir.types import describe_tensor

if TYPE_CHECKING:
    from lpuir.interpreter.sim_stream import Stream

TensorSig = tuple[tuple[int, ...], str]
"""A value's shape and element type name."""


@dataclass
class Signature:
    """What a program takes and gives: (shape, element type name) per value."""

    function: str
    """The function that runs; for an LPU program, the function it was
    compiled from (`lpu.SOURCE_FUNCTION`), else `"lpu.system"`."""
    inputs: list[TensorSig]
    outputs: list[TensorSig]


@dataclass
class Report:
    """The account of one run: what `lpu-run --report-file` writes
    (docs/lpu-run.md). The cycle-level fields are set for scheduled LPU
    programs only; `trace` holds the Chrome trace when one was asked for."""

    level: str
    """`"tensor"` or `"lpu"`."""
    function: str
    outputs: list[TensorSig]
    scheduled: bool | None = None
    """LPU programs: whether the cycle-level simulator ran it (None: tensor level)."""
    cycles: int | None = None
    static_cycles: int | None = None
    chips: int | None = None
    chip_cycles: dict[int, int] = field(default_factory=dict)
    latency_us: float | None = None
    instructions: int | None = None
    unit_busy: dict[str, int] = field(default_factory=dict)
    unit_utilisation: dict[str, float] = field(default_factory=dict)
    link_busy: dict[str, int] = field(default_factory=dict)
    link_bytes: dict[str, int] = field(default_factory=dict)
    link_utilisation: dict[str, float] = field(default_factory=dict)
    distributed: dict[str, Any] | None = None
    """A distributed run's account (lpuir.interpreter.sim_mpi)."""
    trace: dict[str, Any] | None = field(default=None, repr=False)
    perf: dict[str, Any] | None = field(default=None, repr=False)
    """The static performance report's JSON (`lpuir.perf`), when asked for."""

    def to_json(self) -> dict[str, Any]:
        """The report as lpu-run's JSON object, key for key."""
        out: dict[str, Any] = {
            "level": self.level,
            "function": self.function,
            "outputs": [
                {"shape": list(shape), "dtype": element}
                for shape, element in self.outputs
            ],
        }
        if self.scheduled is None:
            return out
        out["scheduled"] = self.scheduled
        if not self.scheduled:
            return out
        return {
            **out,
            "cycles": self.cycles,
            "static_cycles": self.static_cycles,
            "chips": self.chips,
            "chip_cycles": {str(k): v for k, v in sorted(self.chip_cycles.items())},
            "latency_us": self.latency_us,
            "instructions": self.instructions,
            "unit_busy": self.unit_busy,
            "unit_utilisation": self.unit_utilisation,
            "link_busy": self.link_busy,
            "link_bytes": self.link_bytes,
            "link_utilisation": self.link_utilisation,
            **({"distributed": self.distributed} if self.distributed else {}),
            **({"perf": self.perf} if self.perf is not None else {}),
        }


@dataclass
class RunResult:
    """A run's outputs (numerics carrier arrays, by result index) and report."""

    outputs: list[np.ndarray]
    report: Report


def lpu_system(module: ModuleOp) -> lpu.SystemOp | None:
    """The module's LPU program, or None for a tensor-level module."""
    systems = [op for op in module.ops if isinstance(op, lpu.SystemOp)]
    if len(systems) > 1:
        raise LpuError("the module holds several lpu.system ops; one program runs")
    return systems[0] if systems else None


def machine_chip(machine: str) -> ChipSpec:
    """The chip of a machine named as `lpu-compile{system=...}` names one."""
    try:
        return lpu.SystemAttr.from_option(machine).spec.chip
    except (VerifyException, MachineError, ValueError) as e:
        raise LpuError(f"system '{machine}': {e}") from None


def is_scheduled(system: lpu.SystemOp) -> bool:
    """Whether a program is at the scheduled level: its instructions have
    cycles, or it records its cycle count (a program of no instructions, whose
    tensors are all empty or constant, is scheduled once lpu-schedule ran)."""
    return system.static_cycles is not None or any(
        op.is_scheduled for chip in system.chips for op in chip.instructions()
    )


def source_function(system: lpu.SystemOp) -> str | None:
    """The tensor-level function an LPU program was compiled from, if it
    records one (lpu-vectorize does; .lpu text keeps no name)."""
    name = system.attributes.get(lpu.SOURCE_FUNCTION)
    return name.data if isinstance(name, StringAttr) else None


def _lpu_signature(system: lpu.SystemOp, function: str | None) -> Signature:
    """Inputs and outputs of an LPU program: its input/output tensors by arg.
    `function` (lpu-run's --function) must name the function it was compiled
    from, when it records one."""
    from lpuir.interpreter.sim_memory import program_arguments

    recorded = source_function(system)
    if function is not None and recorded is not None and function != recorded:
        raise LpuError(
            f"{op_location(system)}: error: --function {function}: this LPU program was compiled from @{recorded}"
        )
    sigs = []
    for kind in ("input", "output"):
        try:
            found = program_arguments(system, kind)
        except LpuError as e:
            raise LpuError(f"{op_location(system)}: error: {e}") from None
        indices = sorted(found)
        if indices != list(range(len(indices))):
            raise LpuError(
                f"{op_location(system)}: error: {kind} tensors must be numbered 0..n-1 by their arg; found {indices}"
            )
        sigs.append([(found[i].shape, found[i].element) for i in indices])
    return Signature(recorded or function or "lpu.system", *sigs)


def _function_signature(module: ModuleOp, name: str | None) -> Signature:
    """The function that runs (by name, else the only public one) and the
    shapes and element types of its arguments and results."""
    from lpuir.interpreter.reference import select_function
    from lpuir.interpreter.reference_core import element, shape_of

    if name is None:
        public = [
            f
            for f in module.walk()
            if isinstance(f, func.FuncOp)
            and not f.is_declaration
            and (f.sym_visibility is None or f.sym_visibility.data == "public")
        ]
        if len(public) > 1:
            raise LpuError(
                f"the module has {len(public)} public functions; choose one with --function"
            )
    try:
        f = select_function(module, name)
    except LpuError as e:
        raise LpuError(f"{module_location(module)}: error: {e}") from None
    # as the reference reads them: f64 and the minifloats too, -1 for a
    # dynamic dimension (the value given binds it)
    ins = [(shape_of(t), element(t)) for t in f.function_type.inputs]
    outs = [(shape_of(t), element(t)) for t in f.function_type.outputs]
    return Signature(f.sym_name.data, ins, outs)


def signature(module: ModuleOp, function: str | None = None) -> Signature:
    """What the module's program takes and gives: an LPU program's input and
    output tensors, or a tensor-level function's arguments and results."""
    system = lpu_system(module)
    if system is None:
        return _function_signature(module, function)
    return _lpu_signature(system, function)


def check_input_count(sig: Signature, given: int) -> None:
    """One input per argument, or an error naming the first missing one."""
    if given == len(sig.inputs):
        return
    raise LpuError(
        f"the program takes {len(sig.inputs)} input(s), {given} given"
        + (
            f"; argument {given} ({describe_tensor(*sig.inputs[given])}) is missing"
            if given < len(sig.inputs)
            else ""
        )
    )


def run_module(
    module: ModuleOp,
    inputs: Sequence[np.ndarray],
    *,
    function: str | None = None,
    collect_all: bool = False,
    trace: bool = False,
    machine: str | None = None,
    comm: Any = None,
    weights: str | None = None,
    perf: bool = False,
    stream: Stream | None = None,
) -> RunResult:
    """Run a verified module at the level its IR is at, on inputs already in
    their numerics carriers (see `materialise`). A tensor-level function runs
    with the numerics parameters of `machine` (a system preset, one with
    overrides or a `#lpu.system`; None: tsp-v1); an LPU program on its own.
    With an MPI `comm`, a scheduled program runs distributed over its ranks
    (`lpuir.interpreter.sim_mpi`), inputs given as functions made only where
    needed; `weights` (`random:SEED`) gives weights declared without a value
    random values. `perf`: a scheduled program's report holds its static performance
    report (`lpuir.perf`). With a `stream` (`sim_stream.scan`), `module` is
    the program's skeleton and its chips are planned as the run reaches them."""
    sig = signature(module, function)
    system = lpu_system(module)
    if (weights is not None or comm is not None) and (
        system is None or not is_scheduled(system)
    ):
        raise LpuError(
            "--weights and distributed runs are for scheduled LPU programs (the cycle-level simulator)"
        )
    if system is None:
        from lpuir.interpreter.reference import run_function

        if trace:
            raise LpuError(
                "--trace records a run on the modelled chip array; this is a tensor-level program"
            )
        chip = None if machine is None else machine_chip(machine)
        outputs = run_function(module, sig.function, inputs, chip=chip)
        return RunResult(outputs, Report("tensor", sig.function, sig.outputs))
    if machine is not None:
        raise LpuError(
            "--system chooses the machine of a tensor-level run; an LPU program runs on its own #lpu.system"
        )
    if not is_scheduled(system):
        from lpuir.interpreter.logical import execute_logical

        if trace:
            raise LpuError(
                "--trace needs a scheduled program: a logical one has no cycles"
            )
        return RunResult(
            execute_logical(module, inputs),
            Report("lpu", sig.function, sig.outputs, scheduled=False),
        )
    from lpuir.interpreter import sim_mpi
    from lpuir.interpreter.sim_run import random_weights
    from lpuir.interpreter.simulator import Program

    lanes = system.machine.spec.chip.lanes
    filled = None if weights is None else random_weights(weight_seed(weights), lanes)
    if comm is None:
        sim = Program(module, stream=stream).run(
            inputs, collect_all=collect_all, trace=trace, weights=filled
        )
    else:
        sim = sim_mpi.simulate(
            comm, module, inputs, collect_all=collect_all, trace=trace, weights=filled
        )
    if sim.static_cycles is not None and sim.static_cycles != sim.cycles:
        raise LpuError(
            f"{op_location(system)}: error: the program says it takes {sim.static_cycles} cycles (`cycles {sim.static_cycles}`), but it ran in {sim.cycles} on the simulator"
        )
    clock = system.machine.spec.chip.clock_mhz
    report = Report(
        "lpu",
        sig.function,
        sig.outputs,
        scheduled=True,
        cycles=sim.cycles,
        static_cycles=sim.static_cycles,
        chips=len(system.chips),
        chip_cycles=dict(sim.chip_cycles),
        latency_us=sim.cycles / clock,
        instructions=sim.instructions,
        unit_busy=sim.unit_busy,
        unit_utilisation=sim.utilisation(),
        link_busy=sim.link_busy,
        link_bytes=sim.link_bytes,
        link_utilisation=sim.link_utilisation(),
        distributed=sim.distributed,
        trace=sim.chrome_trace() if trace else None,
    )
    if perf and (comm is None or comm.Get_rank() == 0):
        from lpuir.perf import perf_report

        report.perf = perf_report(system).to_json()
    return RunResult(sim.outputs, report)


def weight_seed(text: str) -> int:
    """The SEED of `random:SEED` (lpu-run's --weights)."""
    seed = text.removeprefix("random").removeprefix(":") or "0"
    if not text.startswith("random") or not seed.isdigit():
        raise LpuError(f"--weights {text}: expected random or random:SEED")
    return int(seed)


def materialise(
    spec: np.ndarray | tuple[tuple[int, ...], str, str],
    want: TensorSig,
    what: str,
) -> np.ndarray:
    """The user's value as the carrier array of the wanted type; never silently
    changed: a value the type cannot hold exactly is an error (text decimals
    are rounded to nearest-even, as MLIR's parser does). `spec` is an array,
    or lpu-run's text form parsed into (shape, element type, values text)."""
    from lpuir.interpreter.reference_core import fits

    shape, element = want
    if isinstance(spec, np.ndarray):
        array = spec
    else:
        given_shape, given_element, text = spec
        if given_element != element or not fits(given_shape, shape):
            raise LpuError(
                f"{what}: given {describe_tensor(given_shape, given_element)}, but the program takes {describe_tensor(shape, element)}"
            )
        shape = given_shape
        count = int(np.prod(shape, dtype=np.int64))
        if text.startswith("random"):
            return random_values(shape, element, text, what)
        items = [t.strip() for t in text.split(",") if t.strip()]
        if len(items) not in (1, count):
            raise LpuError(f"{what}: {len(items)} values for {count} elements")
        try:
            if numerics.is_float(element):
                exact = np.array([float(t) for t in items], dtype=np.float64)
                parsed = numerics.round_float(exact, element)
                _check_finite(items, parsed, element, what)
            else:
                parsed = np.array([int(t, 0) for t in items], dtype=object)
        except ValueError as e:
            raise LpuError(f"{what}: {e}") from None
        array = (
            np.broadcast_to(parsed, (count,)).reshape(shape)
            if len(items) == 1
            else parsed.reshape(shape)
        )
    if not fits(tuple(array.shape), shape):
        raise LpuError(
            f"{what}: shape {tuple(array.shape)}, but the program takes {describe_tensor(shape, element)}"
        )
    try:
        return numerics.as_carrier(np.asarray(array), element)
    except numerics.NumericsError as e:
        raise LpuError(f"{what}: {e}") from None


def _check_finite(
    items: Sequence[str], rounded: np.ndarray, element: str, what: str
) -> None:
    """A decimal value that rounds to infinity in `element` is an error (only
    `inf` is infinity): 70000 is not an f16."""
    for text, value in zip(items, rounded.tolist(), strict=True):
        if math.isinf(value) and text.lower().lstrip("+-") not in ("inf", "infinity"):
            raise LpuError(
                f"{what}: {text} does not fit in {element}: it rounds to infinity (write inf for infinity)"
            )


def random_values(
    shape: tuple[int, ...], element: str, text: str, what: str
) -> np.ndarray:
    """`random` or `random:SEED`: reproducible values of the type: standard
    normal floats rounded to the type, integers uniform over [-8, 8)."""
    seed_text = text.removeprefix("random").removeprefix(":") or "0"
    if not seed_text.isdigit():
        raise LpuError(
            f"{what}: 'random:{seed_text}' needs an integer seed, as in random:7"
        )
    rng = np.random.default_rng(int(seed_text))
    if numerics.is_float(element):
        return numerics.round_float(rng.standard_normal(shape), element)
    if element == "i1":
        return rng.integers(0, 2, shape).astype(bool)
    low = 0 if numerics.is_unsigned(element) else -8
    return rng.integers(low, 8, shape).astype(numerics.carrier(element))
