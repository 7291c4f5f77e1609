"""Run the benchmarks and print their headline ratios, each measured in this run.

    python benchmarks/run_all.py [--quick] [--only NAME ...]

- compile-scaling: compile time against op count (is it linear?);
- sim-numpy: simulation time against numpy computing the same tensors;
- sim-reference: simulation time against the reference interpreter on the
  same tensors (the compiled examples);
- sim-xdsl: simulation (and reference interpreter) time against xdsl-run;
- roofline: static schedule cycles against the roofline, single-chip kernels;
- decoder: the same for a decoder layer;
- distributed: the GEMM split over node8 and dragonfly4, and all-reduce
  latency on node8, against their bounds;
- llama3-8b: Llama-3-8B decode in timing mode (1 layer + head), static
  cycles against the layer pipeline's SRAM roofline;
- lpu-parse: parsing a large .lpu file line by line against lark over the
  whole text (time and peak memory).

Each entry of BENCHMARKS is a module's `run(quick) -> list[Ratio]`, which
prints its own table; a new benchmark is one more entry. --quick runs smaller
sizes (about two minutes on two cores); the default runs the full sizes.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable

import compile_roofline
import compile_scaling
import decoder_roofline
import distributed
import llama3_8b
import lpu_parse
import sim_reference
import sim_speed
import sim_vs_xdsl
from benchlib import Ratio

BENCHMARKS: dict[str, Callable[[bool], list[Ratio]]] = {
    "compile-scaling": compile_scaling.run,
    "sim-numpy": sim_speed.run,
    "sim-reference": sim_reference.run,
    "sim-xdsl": sim_vs_xdsl.run,
    "roofline": compile_roofline.run,
    "decoder": decoder_roofline.run,
    "distributed": distributed.run,
    "llama3-8b": llama3_8b.run,
    "lpu-parse": lpu_parse.run,
}


def _number(value: float) -> str:
    """Three significant digits, without exponents above 1."""
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only these ({', '.join(BENCHMARKS)})",
    )
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    print(
        f"python {platform.python_version()} on {platform.machine()}, "
        f"{'quick' if args.quick else 'full'} run"
    )
    ratios: list[Ratio] = []
    total = time.perf_counter()
    for name in names:
        print(f"\n== {name}")
        start = time.perf_counter()
        ratios += BENCHMARKS[name](args.quick)
        print(f"({time.perf_counter() - start:.1f} s)")
    print(f"\n== summary ({time.perf_counter() - total:.0f} s)")
    width = max(len(r.what) for r in ratios)
    print(f"{'benchmark':16} {'what':{width}} {'ratio':>10}  of")
    for r in ratios:
        print(f"{r.benchmark:16} {r.what:{width}} {_number(r.value):>10}  {r.unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
