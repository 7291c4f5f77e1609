"""lpu-run: execute a program at any level and check or save its results.

Tensor-level functions (func + tosa/linalg/tensor/arith) run on the reference
interpreter; LPU programs run on the modelled chip array: scheduled ones on the
cycle-level simulator, logical ones functionally in program order.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from lpuir import numerics
from lpuir.compare import bits_equal, first_divergence
from lpuir.diagnostics import LpuError, verify_located
from lpuir.dialects import lpu
from lpuir.frontend import parse_source
from lpuir.tools.errors import run_reporting_errors
from lpuir.types import describe_tensor, tensor_shape_and_element

PRINT_LIMIT = 1024
"""Outputs with more elements print summarised (--output writes them whole)."""


@dataclass
class Signature:
    """What a program takes and gives: (shape, element type name) per value."""

    inputs: list[tuple[tuple[int, ...], str]]
    outputs: list[tuple[tuple[int, ...], str]]


@dataclass
class RunResult:
    level: str
    function: str
    outputs: list[np.ndarray]
    signature: Signature
    report: dict[str, Any] = field(default_factory=dict)
    trace: dict[str, Any] | None = None


def load_module(path: str, frontend: str | None = None) -> ModuleOp:
    """Parse `.mlir` or `.lpu` text (stdin for `-`) and verify it, located."""
    if path == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        text, name = Path(path).read_text(), path
    module = parse_source(text, name, frontend=frontend)
    verify_located(module)
    return module


def _lpu_system(module: ModuleOp) -> lpu.SystemOp | None:
    systems = [op for op in module.ops if isinstance(op, lpu.SystemOp)]
    if len(systems) > 1:
        raise LpuError(
            "the module holds several lpu.system ops; lpu-run runs one program"
        )
    return systems[0] if systems else None


def lpu_signature(system: lpu.SystemOp) -> Signature:
    """Inputs and outputs of an LPU program: its input/output tensors by arg."""
    from lpuir.interpreter.sim_memory import program_arguments

    sigs = []
    for kind in ("input", "output"):
        found = program_arguments(system, kind)
        indices = sorted(found)
        if indices != list(range(len(indices))):
            raise LpuError(
                f"{kind} tensors must be numbered 0..n-1 by their arg; found {indices}"
            )
        sigs.append([(found[i].shape, found[i].element) for i in indices])
    return Signature(*sigs)


def function_signature(
    module: ModuleOp, name: str | None
) -> tuple[str, list[tuple[tuple[int, ...], str]], list[tuple[tuple[int, ...], str]]]:
    """The function lpu-run runs (by name, else the only public one) and the
    shapes and element types of its arguments and results."""
    from lpuir.interpreter.reference import select_function

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
    f = select_function(module, name)
    ins = [tensor_shape_and_element(t) for t in f.function_type.inputs]
    outs = [tensor_shape_and_element(t) for t in f.function_type.outputs]
    return f.sym_name.data, ins, outs


def run_module(
    module: ModuleOp,
    inputs: Sequence[np.ndarray],
    *,
    function: str | None = None,
    collect_all: bool = False,
    trace: bool = False,
) -> RunResult:
    """Run a verified module at the level its IR is at."""
    system = _lpu_system(module)
    if system is None:
        from lpuir.interpreter.reference import run_function

        name, args, results = function_signature(module, function)
        signature = Signature(args, results)
        outputs = run_function(module, name, inputs)
        if trace:
            raise LpuError(
                "--trace records a run on the modelled chip array; this is a tensor-level program"
            )
        return RunResult("tensor", name, outputs, signature, {})
    if function is not None:
        raise LpuError(
            "--function selects a tensor-level function; an LPU program has one system"
        )
    signature = lpu_signature(system)
    scheduled = any(
        op.is_scheduled for chip in system.chips for op in chip.instructions()
    )
    if not scheduled:
        from lpuir.interpreter.logical import execute_logical

        if trace:
            raise LpuError(
                "--trace needs a scheduled program: a logical one has no cycles"
            )
        return RunResult(
            "lpu",
            "lpu.system",
            execute_logical(module, inputs),
            signature,
            {"scheduled": False},
        )
    from lpuir.interpreter.simulator import simulate

    sim = simulate(module, inputs, collect_all=collect_all, trace=trace)
    return RunResult(
        "lpu",
        "lpu.system",
        sim.outputs,
        signature,
        lpu_report(sim, system),
        sim.chrome_trace() if trace else None,
    )


def lpu_report(sim: Any, system: lpu.SystemOp) -> dict[str, Any]:
    """The simulator's numbers as the report's JSON keys (see docs/lpu-run.md)."""
    spec = system.machine.spec
    return {
        "scheduled": True,
        "cycles": sim.cycles,
        "static_cycles": sim.static_cycles,
        "chips": len(system.chips),
        "chip_cycles": {str(k): v for k, v in sorted(sim.chip_cycles.items())},
        "latency_us": sim.cycles / spec.chip.clock_mhz,
        "instructions": sim.instructions,
        "unit_busy": sim.unit_busy,
        "unit_utilisation": sim.utilisation(),
        "link_busy": sim.link_busy,
        "link_bytes": sim.link_bytes,
        "link_utilisation": {
            k: v / sim.cycles if sim.cycles else 0.0 for k, v in sim.link_busy.items()
        },
    }


# ------------------------------------------------------------------ arguments

_SPEC_RE = re.compile(r"^((?:\d+x)*)([a-z]+\d+)=(.*)$", re.S)


def parse_value(spec: str, what: str) -> np.ndarray | tuple[tuple[int, ...], str, str]:
    """`@file.npy` (or `@file.npz:NAME`) loads an array; `2x3xf32=1,2,3,4,5,6` (or one value to fill
    the shape) gives shape, element type and the values' text."""
    if spec.startswith("@"):
        path, _, key = spec[1:].partition(".npz:")
        path = path + ".npz" if key else path
        try:
            loaded = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise LpuError(f"{what}: cannot read {path}: {e}") from None
        if isinstance(loaded, np.lib.npyio.NpzFile):
            names = list(loaded.keys())
            if not key and len(names) != 1:
                raise LpuError(
                    f"{what}: {path} holds {', '.join(names)}; name one as @{path}:NAME"
                )
            key = key or names[0]
            if key not in names:
                raise LpuError(
                    f"{what}: {path} has no array '{key}' (it has {', '.join(names)})"
                )
            return loaded[key]
        return loaded
    m = _SPEC_RE.match(spec)
    if m is None:
        raise LpuError(
            f"{what}: '{spec}' is neither @file.npy nor SHAPExTYPE=values (like 2x3xf32=1,2,3,4,5,6)"
        )
    dims, element, values = m.groups()
    if element not in numerics.ELEMENT_TYPES:
        raise LpuError(
            f"{what}: unknown element type '{element}' (known: {', '.join(numerics.ELEMENT_TYPES)})"
        )
    return tuple(int(d) for d in dims.split("x") if d), element, values


def materialise(
    spec: np.ndarray | tuple[tuple[int, ...], str, str],
    want: tuple[tuple[int, ...], str],
    what: str,
) -> np.ndarray:
    """The user's value as the carrier array of the wanted type; never silently
    changed: a value the type cannot hold exactly is an error (text decimals
    are rounded to nearest-even, as MLIR's parser does)."""
    shape, element = want
    if isinstance(spec, np.ndarray):
        array = spec
    else:
        given_shape, given_element, text = spec
        if (given_shape, given_element) != want:
            raise LpuError(
                f"{what}: given {describe_tensor(given_shape, given_element)}, but the program takes {describe_tensor(shape, element)}"
            )
        count = int(np.prod(shape, dtype=np.int64))
        if text.startswith("random"):
            return random_values(shape, element, text, what)
        items = [t.strip() for t in text.split(",") if t.strip()]
        if len(items) not in (1, count):
            raise LpuError(f"{what}: {len(items)} values for {count} elements")
        try:
            if numerics.is_float(element):
                parsed = numerics.round_float(
                    np.array([float(t) for t in items], dtype=np.float64), element
                )
            else:
                parsed = np.array([int(t, 0) for t in items], dtype=object)
        except ValueError as e:
            raise LpuError(f"{what}: {e}") from None
        array = (
            np.broadcast_to(parsed, (count,)).reshape(shape)
            if len(items) == 1
            else parsed.reshape(shape)
        )
    if tuple(array.shape) != shape:
        raise LpuError(
            f"{what}: shape {tuple(array.shape)}, but the program takes {describe_tensor(shape, element)}"
        )
    try:
        return numerics.as_carrier(np.asarray(array), element)
    except numerics.NumericsError as e:
        raise LpuError(f"{what}: {e}") from None


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


def compare(
    index: int,
    got: np.ndarray,
    expected: np.ndarray,
    atol: float | None,
    rtol: float | None,
) -> str | None:
    """None if equal (bit for bit, or within atol/rtol); else where and how not."""
    if atol is None and rtol is None:
        same = bits_equal(got, expected)
    else:
        g, e = got.astype(np.float64), expected.astype(np.float64)
        same = np.abs(g - e) <= (atol or 0.0) + (rtol or 0.0) * np.abs(e)
        same |= (g == e) | (np.isnan(g) & np.isnan(e))
    if bool(np.all(same)):
        return None
    where = tuple(int(i) for i in np.argwhere(~np.asarray(same))[0])
    bad = int(np.count_nonzero(~np.asarray(same)))
    return f"result{index}: element {list(where)} is {got[where].item()!r}, expected {expected[where].item()!r} ({bad} of {got.size} elements differ)"


def format_output(index: int, array: np.ndarray, element: str) -> str:
    head = f"result{index}: {describe_tensor(tuple(array.shape), element)} = "
    if array.size <= PRINT_LIMIT:
        return head + repr(array.tolist())
    body = np.array2string(array, separator=", ", threshold=64, edgeitems=3).replace(
        "\n", ""
    )
    return head + f"{body} ({array.size} elements; --output writes them all)"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lpu-run",
        description="Run a tensor-level or LPU program (.mlir or .lpu; - reads stdin).",
    )
    p.add_argument("file", help="the program; - reads stdin")
    p.add_argument(
        "-f",
        "--frontend",
        choices=("mlir", "lpu"),
        help="input syntax (default: by extension, or by content for stdin)",
    )
    p.add_argument(
        "--function",
        help="the tensor-level function to run (default: the only public one)",
    )
    p.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="SPEC",
        help="an argument, in order: @x.npy, @x.npz:NAME, SHAPExTYPE=v,v,... (one value fills the shape) or SHAPExTYPE=random:SEED",
    )
    p.add_argument(
        "--output", metavar="OUT.npz", help="write result0, result1, ... to an npz file"
    )
    p.add_argument(
        "--expected-output",
        action="append",
        default=[],
        metavar="SPEC",
        help="expected result, in order; compared bit for bit unless --atol/--rtol",
    )
    p.add_argument(
        "--atol", type=float, help="absolute tolerance for --expected-output"
    )
    p.add_argument(
        "--rtol", type=float, help="relative tolerance for --expected-output"
    )
    p.add_argument(
        "--report-file", metavar="R.json", help="write the run's report as JSON"
    )
    p.add_argument(
        "--trace",
        metavar="T.json",
        help="write a Chrome trace (opens in the Perfetto UI) of an LPU run",
    )
    p.add_argument(
        "--reference",
        metavar="SOURCE.mlir",
        help="the tensor-level program an LPU program was compiled from: check the results against it and name the first op that diverges",
    )
    p.add_argument(
        "--collect-all",
        action="store_true",
        help="report every schedule violation, not just the first",
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="do not print the results (the cycle count still prints)",
    )
    return p


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module = load_module(args.file, args.frontend)
    system = _lpu_system(module)
    if system is not None:
        signature = lpu_signature(system)
    else:
        _, ins, outs = function_signature(module, args.function)
        signature = Signature(ins, outs)
    if len(args.input) != len(signature.inputs):
        have = len(args.input)
        raise LpuError(
            f"the program takes {len(signature.inputs)} input(s), {have} given"
            + (
                f"; argument {have} ({describe_tensor(*signature.inputs[have])}) is missing"
                if have < len(signature.inputs)
                else ""
            )
        )
    inputs = [
        materialise(parse_value(s, f"input {i}"), want, f"input {i}")
        for i, (s, want) in enumerate(zip(args.input, signature.inputs, strict=True))
    ]
    result = run_module(
        module,
        inputs,
        function=args.function,
        collect_all=args.collect_all,
        trace=args.trace is not None,
    )
    if not args.quiet:
        for i, (out, (_, element)) in enumerate(
            zip(result.outputs, signature.outputs, strict=True)
        ):
            print(format_output(i, out, element))
    if result.report.get("scheduled"):
        static = result.report["static_cycles"]
        print(
            f"cycles: {result.report['cycles']}"
            + (f" (static: {static})" if static is not None else "")
        )
    if args.output:
        np.savez(
            args.output, **{f"result{i}": out for i, out in enumerate(result.outputs)}
        )
    if args.report_file:
        report = {
            "level": result.level,
            "function": result.function,
            "outputs": [
                {"shape": list(o.shape), "dtype": e}
                for o, (_, e) in zip(result.outputs, signature.outputs, strict=True)
            ],
            **result.report,
        }
        Path(args.report_file).write_text(json.dumps(report, indent=2) + "\n")
    if args.trace and result.trace is not None:
        Path(args.trace).write_text(json.dumps(result.trace) + "\n")
    if args.reference:
        if result.level != "lpu":
            raise LpuError(
                "--reference checks an LPU program against its tensor-level source; this program is tensor-level"
            )
        source = load_module(args.reference, "mlir")
        from lpuir.interpreter.reference import run_function

        expected = run_function(source, args.function, inputs)
        if any(
            not bool(np.all(bits_equal(o, e)))
            for o, e in zip(result.outputs, expected, strict=True)
        ):
            divergence = first_divergence(module, source, inputs)
            where = (
                str(divergence)
                if divergence is not None
                else f"the results differ, and no intermediate that carries a location in {args.reference} does (compile to MLIR, not .lpu text, to keep them)"
            )
            print(f"lpu-run: mismatch with {args.reference}: {where}", file=sys.stderr)
            return 1
        print(
            f"reference: all {len(expected)} result(s) equal {args.reference} bit for bit"
        )
    if args.expected_output:
        if len(args.expected_output) != len(result.outputs):
            raise LpuError(
                f"{len(args.expected_output)} expected output(s) for {len(result.outputs)} result(s)"
            )
        for i, (spec, out, want) in enumerate(
            zip(args.expected_output, result.outputs, signature.outputs, strict=True)
        ):
            expected = materialise(
                parse_value(spec, f"expected output {i}"), want, f"expected output {i}"
            )
            mismatch = compare(i, out, expected, args.atol, args.rtol)
            if mismatch is not None:
                print(f"lpu-run: mismatch: {mismatch}", file=sys.stderr)
                return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `lpu-run` console script."""
    code = 0

    def body() -> None:
        nonlocal code
        code = run(argv)

    failed = run_reporting_errors("lpu-run", body)
    return failed or code


if __name__ == "__main__":
    sys.exit(main())
