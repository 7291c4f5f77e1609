"""lpu-run: execute a program at any level and check or save its results.

Tensor-level functions (func + tosa/linalg/tensor/arith) run on the reference
interpreter; LPU programs run on the modelled chip array: scheduled ones on the
cycle-level simulator, logical ones functionally in program order. The running
and the report are `lpuir.execute`'s, shared with the Python API. Files are
checked before the run and written whole or not at all; a simulation shows
its progress on a terminal.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from lpuir import numerics, progress
from lpuir.compare import bits_equal, first_divergence, program_chip
from lpuir.diagnostics import LpuError, verify_located
from lpuir.execute import (
    Signature,
    check_input_count,
    is_scheduled,
    materialise,
    run_module,
    signature,
)
from lpuir.frontend import FRONTENDS, as_text, parse_source
from lpuir.onnx.options import add_import_options, import_model
from lpuir.tools.errors import run_tool
from lpuir.tools.outputs import check_output, replacing, write_text
from lpuir.types import describe_tensor

if TYPE_CHECKING:
    from lpuir.interpreter.sim_stream import Stream

PRINT_LIMIT = 1024
"""Outputs with more elements print summarised (--output writes them whole)."""


def load_module(
    path: str, frontend: str | None = None, args: argparse.Namespace | None = None
) -> ModuleOp:
    """Parse `.mlir` or `.lpu` text or import an `.onnx` model (stdin for
    `-`) and verify it, located."""
    if frontend == "onnx" or (frontend is None and path.endswith(".onnx")):
        model = sys.stdin.buffer.read() if path == "-" else path
        return import_model(model, args or build_parser().parse_args([path]), path)
    if path == "-":
        data, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        data, name = Path(path).read_bytes(), path
    module = parse_source(data, name, frontend=frontend)
    verify_located(module)
    return module


def load_stream(args: argparse.Namespace, comm: Any) -> tuple[ModuleOp, Stream]:
    """--stream: the program's skeleton and its chips' blocks
    (`sim_stream.scan`), for the one-process cycle-level run."""
    from lpuir.frontend import detect_frontend
    from lpuir.interpreter.sim_stream import scan

    for flag in ("debug", "reference"):
        if getattr(args, flag):
            raise LpuError(
                f"--stream cannot --{flag}: that needs the whole program as IR"
            )
    if comm is not None:
        raise LpuError("--stream runs in one process, not under mpiexec or --ranks")
    if args.file == "-":
        raise LpuError("--stream reads its program from a file, not standard input")
    data = Path(args.file).read_bytes()
    if (args.frontend or detect_frontend(data, args.file)) != "lpu":
        raise LpuError(f"--stream runs .lpu text; {args.file} is not")
    return scan(as_text(data, args.file), args.file)


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
    if not numerics.is_element_type(element):
        raise LpuError(
            f"{what}: unknown element type '{element}' (known: {', '.join(numerics.ELEMENT_TYPES)})"
        )
    return tuple(int(d) for d in dims.split("x") if d), element, values


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


def input_specs(
    args: argparse.Namespace, sig: Signature
) -> list[np.ndarray | tuple[tuple[int, ...], str, str]]:
    """Every argument's value: the --input ones in order, then, with
    --input-random (or --seed), `SHAPExTYPE=random:SEED+i` for argument i."""
    randomised = args.input_random or args.seed is not None
    if not randomised or len(args.input) > len(sig.inputs):
        check_input_count(sig, len(args.input))
    given = [parse_value(s, f"input {i}") for i, s in enumerate(args.input)]
    seed = args.seed or 0
    return given + [
        (shape, element, f"random:{seed + i}")
        for i, (shape, element) in enumerate(sig.inputs)
        if i >= len(given)
    ]


def tolerance(text: str) -> float:
    """A finite, non-negative --atol or --rtol."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number >= 0")
    return value


def seed(text: str) -> int:
    """A non-negative --seed."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer >= 0")
    return int(text)


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
        description="Run a tensor-level or LPU program (.mlir, .lpu or an .onnx model; - reads stdin).",
    )
    p.add_argument("file", help="the program; - reads stdin")
    p.add_argument(
        "-f",
        "--frontend",
        choices=(*FRONTENDS, "onnx"),
        help="input syntax (default: by extension, or by content for stdin)",
    )
    p.add_argument(
        "--function",
        help="the tensor-level function to run (default: the only public one); for an LPU program, the function it was compiled from",
    )
    p.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="SPEC",
        help="an argument, in order: @x.npy, @x.npz:NAME, SHAPExTYPE=v,v,... (one value fills the shape) or SHAPExTYPE=random:SEED",
    )
    p.add_argument(
        "--input-random",
        action="store_true",
        help="random values for the arguments not given by --input: argument i gets SHAPExTYPE=random:SEED+i",
    )
    p.add_argument(
        "--seed",
        type=seed,
        help="the SEED of --input-random (default 0; implies --input-random)",
    )
    p.add_argument(
        "--output",
        metavar="OUT.npz",
        help="write result0, result1, ... to this file (npz format)",
    )
    p.add_argument(
        "--expected-output",
        action="append",
        default=[],
        metavar="SPEC",
        help="expected result, in order; compared bit for bit unless --atol/--rtol",
    )
    p.add_argument(
        "--atol", type=tolerance, help="absolute tolerance for --expected-output"
    )
    p.add_argument(
        "--rtol", type=tolerance, help="relative tolerance for --expected-output"
    )
    p.add_argument(
        "--report-file",
        metavar="R.json",
        help="write the run's report as JSON (a scheduled program's with its static performance report, 'perf')",
    )
    p.add_argument(
        "--trace",
        metavar="T.json",
        help="write a Chrome trace (opens in the Perfetto UI) of an LPU run",
    )
    p.add_argument(
        "--reference",
        metavar="SOURCE.mlir",
        help="the tensor-level program (or ONNX model) an LPU program was compiled from: check the results against it and name the first op that diverges",
    )
    p.add_argument(
        "--system",
        metavar="MACHINE",
        help="the machine whose numerics (MXM K-blocks, lanes) a tensor-level run uses, as lpu-compile's system option names one (default: tsp-v1)",
    )
    p.add_argument(
        "--collect-all",
        action="store_true",
        help="report every schedule violation, not just the first",
    )
    p.add_argument(
        "--weights",
        metavar="random[:SEED]",
        help="give the weights a scheduled program declares without a value (a timing study's) random values, from a seed per tensor",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="the cycle-level debugger: run a scheduled program once, then take commands (break, step, print, ...; help lists them) from standard input",
    )
    p.add_argument(
        "--ranks",
        type=ranks,
        metavar="P",
        help="simulate distributed over P MPI ranks: runs mpiexec -n P lpu-run ... (needs lpuir[mpi]); under mpiexec lpu-run distributes by itself",
    )
    p.add_argument(
        "--stream",
        action="store_true",
        help="simulate a scheduled .lpu program too big to hold: each chip parsed and planned when its first instruction is due, dropped after its last (one process; the --report-file then holds no static perf report, which needs the whole program as IR)",
    )
    add_import_options(p)
    p.add_argument(
        "--quiet",
        action="store_true",
        help="do not print the results (the cycle count still prints), no progress display",
    )
    return p


def ranks(text: str) -> int:
    """A --ranks count of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer >= 1")
    return int(text)


def launch(count: int, argv: Sequence[str]) -> int:
    """`mpiexec -n count` this lpu-run without --ranks; its exit code."""
    from lpuir.interpreter.sim_mpi import INSTALL

    here = Path(sys.executable).parent / "mpiexec"
    mpiexec = str(here) if here.exists() else shutil.which("mpiexec")
    if mpiexec is None:
        raise LpuError(
            f"--ranks needs MPI's mpiexec, which is not installed: {INSTALL}"
        )
    rest = list(argv)
    at = rest.index("--ranks") if "--ranks" in rest else None
    if at is None:
        rest = [a for a in rest if not a.startswith("--ranks=")]
    else:
        del rest[at : at + 2]
    command = [mpiexec, "-n", str(count), sys.executable, "-m", "lpuir.tools.lpu_run"]
    return subprocess.run([*command, *rest], check=False).returncode


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.ranks is not None and args.ranks > 1:
        return launch(args.ranks, sys.argv[1:] if argv is None else argv)
    from lpuir.interpreter.sim_mpi import world

    comm = world()
    if comm is not None and comm.Get_rank() > 0:
        # one rank speaks for all: the others run silently
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        args.quiet = True
    for flag in ("output", "report_file", "trace"):
        if getattr(args, flag):
            check_output(getattr(args, flag), f"--{flag.replace('_', '-')}")
    with progress.shown(not args.quiet):
        return run_checked(args, comm)


def run_checked(args: argparse.Namespace, comm: Any = None) -> int:
    """Run with arguments whose output paths are known to be writable (on
    the ranks of `comm`, if given: the inputs made where needed, and only
    rank 0 reports and writes)."""
    stream = None
    if args.stream:
        module, stream = load_stream(args, comm)
    else:
        module = load_module(args.file, args.frontend, args)
    sig = signature(module, args.function)
    specs = list(enumerate(zip(input_specs(args, sig), sig.inputs, strict=True)))
    made: dict[int, np.ndarray] = {}

    def value(i: int) -> np.ndarray:
        if i not in made:
            spec, want = specs[i][1]
            made[i] = materialise(spec, want, f"input {i}")
        return made[i]

    if args.debug:
        return debug(args, module, [value(i) for i, _ in specs], sig)
    result = run_module(
        module,
        [(lambda i=i: value(i)) for i, _ in specs]
        if comm is not None
        else [value(i) for i, _ in specs],
        function=args.function,
        collect_all=args.collect_all,
        trace=args.trace is not None,
        machine=args.system,
        comm=comm,
        weights=args.weights,
        perf=args.report_file is not None and stream is None,
        stream=stream,
    )
    if comm is not None and comm.Get_rank() > 0:
        return 0
    report = result.report
    if not args.quiet:
        for i, (out, (_, element)) in enumerate(
            zip(result.outputs, sig.outputs, strict=True)
        ):
            print(format_output(i, out, element))
    if report.scheduled:
        static = report.static_cycles
        print(
            f"cycles: {report.cycles}"
            + (f" (static: {static})" if static is not None else "")
        )
    if args.output:
        with replacing(args.output, binary=True) as f:
            np.savez(f, **{f"result{i}": out for i, out in enumerate(result.outputs)})
    if args.report_file:
        write_text(args.report_file, json.dumps(report.to_json(), indent=2) + "\n")
    if args.trace and report.trace is not None:
        write_text(args.trace, json.dumps(report.trace) + "\n")
    if args.reference:
        if report.level != "lpu":
            raise LpuError(
                "--reference checks an LPU program against its tensor-level source; this program is tensor-level"
            )
        source = load_module(
            args.reference, "onnx" if args.reference.endswith(".onnx") else "mlir", args
        )
        from lpuir.interpreter.reference import run_function

        function = None if sig.function == "lpu.system" else sig.function
        inputs = [value(i) for i, _ in specs]
        expected = run_function(source, function, inputs, chip=program_chip(module))
        if any(
            not bool(np.all(bits_equal(o, e)))
            for o, e in zip(result.outputs, expected, strict=True)
        ):
            divergence = first_divergence(module, source, inputs, function)
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
            zip(args.expected_output, result.outputs, sig.outputs, strict=True)
        ):
            expected = materialise(
                parse_value(spec, f"expected output {i}"), want, f"expected output {i}"
            )
            mismatch = compare(i, out, expected, args.atol, args.rtol)
            if mismatch is not None:
                print(f"lpu-run: mismatch: {mismatch}", file=sys.stderr)
                return 1
    return 0


def debug(
    args: argparse.Namespace,
    module: ModuleOp,
    inputs: list[np.ndarray],
    sig: Signature,
) -> int:
    """The debugger's command loop (interpreter/sim_debug.py) on standard
    input: a prompt on a terminal, else each command echoed before its
    output, so a script's transcript reads as a session."""
    from lpuir.execute import lpu_system, weight_seed
    from lpuir.interpreter.sim_debug import Debugger
    from lpuir.interpreter.sim_run import random_weights

    system = lpu_system(module)
    if system is None or not is_scheduled(system):
        raise LpuError("--debug runs a scheduled LPU program")
    if args.file == "-":
        raise LpuError(
            "--debug reads its commands from standard input: give the program as a file"
        )
    reference = (
        load_module(
            args.reference, "onnx" if args.reference.endswith(".onnx") else "mlir", args
        )
        if args.reference
        else None
    )
    weights = (
        None
        if args.weights is None
        else random_weights(weight_seed(args.weights), system.machine.spec.chip.lanes)
    )
    function = None if sig.function == "lpu.system" else sig.function
    d = Debugger(
        module, inputs, reference=reference, function=function, weights=weights
    )
    print(
        f"lpu-dbg: {args.file}: {d.result.instructions} instructions on chips {sorted(d.runs)}, "
        f"{d.result.cycles} cycles; {len(d.violations)} violation(s); help lists the commands"
    )
    if reference is not None:
        print(
            "reference: the results equal it"
            if d.mismatch is None
            else f"reference: the first difference is at {d.mismatch.step.location} (mismatch stands there)"
        )
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = input("(lpu-dbg) ") if interactive else sys.stdin.readline()
        except EOFError:
            break
        if not line:
            break
        if line.strip() in ("quit", "q", "exit"):
            break
        if not interactive and line.strip():
            print(f"(lpu-dbg) {line.strip()}")
        try:
            out = d.execute(line)
        except LpuError as e:
            out = f"error: {e}"
        if out:
            print(out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `lpu-run` console script."""
    return run_tool("lpu-run", run, argv)


def debug_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `lpu-dbg`: `lpu-run --debug`."""
    return run_tool(
        "lpu-dbg", run, ["--debug", *(sys.argv[1:] if argv is None else argv)]
    )


if __name__ == "__main__":
    sys.exit(main())
