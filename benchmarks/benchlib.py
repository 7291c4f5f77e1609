"""What the benchmark scripts share: timing, compiling, inputs, headline ratios.

The benchmark scripts import this as a sibling module (`benchmarks/` is on
`sys.path` when one of them runs as `python benchmarks/NAME.py`).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from lpuir.context import make_context
from lpuir.dialects import lpu
from lpuir.execute import random_values, signature
from lpuir.frontend import parse_source
from lpuir.transforms.compile import CompilePass


@dataclass
class Ratio:
    """One headline number of a benchmark, measured against a baseline in the same run."""

    benchmark: str
    what: str
    value: float
    unit: str
    """How to read `value`, e.g. 'sim s / numpy s'."""


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """The shortest of `repeat` wall-clock times of fn(), in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def compile_text(text: str, name: str, *, verify: bool = False) -> ModuleOp:
    """Parse a tensor-level program and run lpu-compile{system=tsp-v1} on it."""
    module = parse_source(text, name)
    CompilePass(verify=verify).apply(make_context(), module)
    return module


def system_of(module: ModuleOp) -> lpu.SystemOp:
    """The module's one lpu.system."""
    return next(op for op in module.ops if isinstance(op, lpu.SystemOp))


def static_cycles(module: ModuleOp) -> int:
    """The static cycle count lpu-compile recorded."""
    cycles = system_of(module).static_cycles
    assert cycles is not None, "not a scheduled program"
    return cycles.data


def random_inputs(text: str) -> list[np.ndarray]:
    """Reproducible inputs for a tensor-level program's function (and the
    program compiled from it), as `lpu-run --input SHAPExTYPE=random:I` makes
    them for input I."""
    args = signature(parse_source(text, "k.mlir")).inputs
    return [
        random_values(shape, element, f"random:{i}", f"input {i}")
        for i, (shape, element) in enumerate(args)
    ]


def geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def quick_main(run: Callable[[bool], object], doc: str | None, quick: str) -> None:
    """The command line of a benchmark whose only option is --quick (help: `quick`)."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--quick", action="store_true", help=quick)
    run(parser.parse_args().quick)
