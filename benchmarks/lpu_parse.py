"""Parsing large .lpu files: the line reader against lark over the whole text.

    python benchmarks/lpu_parse.py [--quick]

A scheduled program of reads, VXM and SXM work, weight installs, matmuls
and writes on two chips, one instruction per line
as lpu-opt prints it, of about 0.5 MB (--quick) or 4 MB, is parsed by
`parse_lpu` (lines: each instruction line by the hand-written lexer) and by
`parse_lpu(..., whole=True)` (lark's LALR parser over the whole text, then
the same builder: what every file went through before, and what any other
layout still does). Time and peak traced memory (tracemalloc, in a separate
run of each) are compared in the same run.
"""

from __future__ import annotations

import time
import tracemalloc

from benchlib import Ratio, best_of, quick_main

from lpuir.grammar.parser import parse_lpu

BLOCK_BYTES = 465
"""About the size of one block of `program`."""


def program(blocks: int) -> str:
    """A two-chip scheduled program of `blocks` blocks of eight instructions."""
    lines = ['system "node8" cycles 1000', ""]
    for chip in (0, 1):
        lines += [
            f"chip {chip} {{",
            "  tensor @a : 64x320xf16 input 0 at W4 0",
            "  tensor @w : 320x320xi8 input 1 at E4 0",
            "  tensor @c : 64x320xf32 output 0 at W12 0",
        ]
        for i in range(blocks // 2):
            c = 60 * i
            lines += [
                f"  @{c:<6} %a{i} = mem.read @a[{i % 64}] -> S0E : f16[4]",
                f"  @{c:<6} %b{i} = mem.read @a[{i % 60} step 2] -> S4W : f16[4]",
                f"  @{c + 7:<6} %s{i} = vxm.add %a{i}[S0E], %b{i}[S4W] alu 3 -> S8W : f16[4]",
                f"  @{c + 9:<6} %t{i} = sxm.shift north 1 %s{i}[S8W] on W -> S10W : f16[4]",
                f"  @{c + 12:<6} %r{i} = mem.read @w[{i % 320}] -> S2W : i8[16]",
                f"  @{c + 30:<6} %k{i} = mxm.install %r{i}[S2W] on W.1 : weights<i8>",
                f"  @{c + 52:<6} %m{i} = mxm.matmul %k{i}, %r{i}[S2W] on W.1 -> S12E : i32[16]",
                f"  @{c + 55:<6} mem.write %t{i}[S10W] -> @c[{i % 64}]",
            ]
        lines.append("}")
    return "\n".join(lines) + "\n"


def peak_mb(text: str, whole: bool) -> float:
    tracemalloc.start()
    parse_lpu(text, "big.lpu", whole=whole)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def run(quick: bool) -> list[Ratio]:
    size = 500_000 if quick else 4_000_000
    text = program(size // BLOCK_BYTES)
    mb = len(text) / 1e6
    parse_lpu(program(16), "warm.lpu")  # build both parsers once
    lines_s = best_of(lambda: parse_lpu(text, "big.lpu"), 2)
    whole_s = best_of(lambda: parse_lpu(text, "big.lpu", whole=True), 1)
    lines_mb, whole_mb = peak_mb(text, False), peak_mb(text, True)
    instructions = text.count("\n  @")
    print(f"{mb:.2f} MB, {instructions} instructions")
    print(f"{'reader':28} {'s':>7} {'MB/s':>7} {'us/line':>8} {'peak MB':>8}")
    for name, s, peak in (
        ("lines (parse_lpu)", lines_s, lines_mb),
        ("lark, whole text", whole_s, whole_mb),
    ):
        per = 1e6 * s / instructions
        print(f"{name:28} {s:7.2f} {mb / s:7.2f} {per:8.1f} {peak:8.0f}")
    return [
        Ratio(
            "lpu-parse",
            f"lark whole / line reader, time ({mb:.1f} MB)",
            whole_s / lines_s,
            "s / s",
        ),
        Ratio(
            "lpu-parse",
            "lark whole / line reader, peak memory",
            whole_mb / lines_mb,
            "MB / MB",
        ),
    ]


def main() -> None:
    started = time.perf_counter()
    quick_main(run, __doc__, "0.5 MB instead of 4 MB")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
