"""The static performance report (lpuir.perf): its attribution sums to the
unit-busy totals (and those equal the simulator's), its critical path is as
long as the static cycle count and made of tight constraints, each op's first
and last cycle equal what the simulator ran, an op's slack is real (moving it
by its slack keeps every rule of the machine and the cycle count), and the
report reaches users through lpu-opt, lpu-run and the Python API."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import IntAttr, ModuleOp

from lpuir.api import check_schedule, compile_module, load, parse, system_attr
from lpuir.execute import lpu_system, random_values, signature
from lpuir.interpreter.simulator import simulate
from lpuir.models.llama import (
    DecodeStep,
    LlamaConfig,
    build_timing_step,
    random_weights,
)
from lpuir.perf import UNIT_KINDS, PerfReport, perf_report

ROOT = Path(__file__).resolve().parent.parent
COMPILE = ROOT / "examples" / "compile"

MICRO = {
    "name": "micro",
    "dim": 32,
    "n_layers": 1,
    "n_heads": 2,
    "n_kv_heads": 1,
    "ffn_dim": 48,
    "vocab": 32,
    "context": 8,
}

PROGRAMS = {
    "softmax": ("softmax.mlir", "tsp-v1"),
    "rmsnorm": ("rmsnorm.mlir", "tsp-v1"),
    "attention_head": ("attention_head.mlir", "tsp-v1"),
    "linear_transposed": ("linear_transposed.mlir", "tsp-v1"),
    "mlp_pipeline": ("mlp_f16.mlir", "lpu-compile{system=node8 strategy=pipeline}"),
    "llama_micro": (None, "node8 {chips_per_node = 2}"),
    "llama_timing": (None, "node8 {chips_per_node = 4}"),
    "c2c_forward": ("c2c_forward.lpu", None),
}
"""Compiled examples, Llama decode steps pipelined over two chips (the
numeric builder, weights resident as constants) and four (timing mode,
int8 weights as `{lpu.weight}` arguments, as benchmarks/llama3_8b.py builds
Llama-3-8B), and a hand-scheduled program that forwards through a third
chip."""


@cache
def program(name: str) -> ModuleOp:
    source, system = PROGRAMS[name]
    if name == "llama_timing":
        config = LlamaConfig(
            dim=320,
            n_layers=1,
            n_heads=4,
            n_kv_heads=2,
            ffn_dim=640,
            vocab=500,
            context=64,
            weights="i8",
        )
        text = build_timing_step(config).text
        pipeline = f'lpu-compile{{system="{system}" strategy=pipeline}}'
        return compile_module(parse(text, "timing.mlir"), pipeline=pipeline).module
    if name == "llama_micro":
        config = LlamaConfig.from_dict(MICRO)
        step = DecodeStep(
            config, random_weights(config, 1), system=system, strategy="pipeline"
        )
        return step.compiled
    if system is None:
        return load(ROOT / "examples" / "lpu" / source)
    if system.startswith("lpu-compile"):
        return compile_module(load(COMPILE / source), pipeline=system).module
    return compile_module(load(COMPILE / source), system).module


@cache
def report(name: str) -> PerfReport:
    system = lpu_system(program(name))
    assert system is not None
    return perf_report(system)


def inputs(module: ModuleOp) -> list[np.ndarray]:
    return [
        random_values(shape, element, f"random:{i}", "test")
        for i, (shape, element) in enumerate(signature(module).inputs)
    ]


@pytest.mark.parametrize("name", PROGRAMS)
def test_attribution_sums_to_unit_busy(name: str) -> None:
    """Each unit kind's busy resource-cycles, attributed to ops, add up to
    the program's (each resource counted once however many ops share it);
    the busy cycles of every unit instance equal the simulator's."""
    r = report(name)
    for kind in UNIT_KINDS:
        assert sum(op.unit_cycles[kind] for op in r.ops) == r.kind_busy[kind], kind
    assert sum(r.kind_busy.values()) > 0
    module = program(name)
    sim = simulate(module, inputs(module))
    measured = {k: v for k, v in sim.unit_busy.items() if "/" in k}
    static = {k: v for k, v in r.unit_busy.items() if not k.endswith(" port")}
    assert static == measured
    assert r.cycles == sim.cycles


@pytest.mark.parametrize("name", PROGRAMS)
def test_critical_path_is_the_static_cycle_count(name: str) -> None:
    """The path's elements add up to the static count, and every one is a
    tight constraint (a compiled or well hand-scheduled program starts each
    group as early as its constraints allow)."""
    r = report(name)
    system = lpu_system(program(name))
    assert system is not None and system.static_cycles is not None
    assert r.cycles == system.static_cycles.data
    assert sum(e.cycles for e in r.path) == r.cycles
    assert [e.what for e in r.path].count("idle") == 0
    assert r.path[0].what == "start" and r.path[-1].what == "acts"
    assert sum(op.critical for op in r.ops) == r.cycles
    ordered = [op.critical for op in r.ops]
    assert ordered == sorted(ordered, reverse=True)
    assert all(op.slack == 0 for op in r.ops if op.critical > 0)


@pytest.mark.parametrize("name", PROGRAMS)
def test_simulated_op_spans_equal_static(name: str) -> None:
    """The Perfetto trace's op tracks (what the simulator ran) give every
    op's first and last cycle on every chip, as the report does."""
    module = program(name)
    sim = simulate(module, inputs(module), trace=True)
    measured = {
        (e["pid"], e["args"]["location"]): (e["args"]["first"], e["args"]["last"])
        for e in sim.chrome_trace()["traceEvents"]
        if e.get("cat") == "op"
    }
    static = {
        (chip, op.key): span
        for op in report(name).ops
        for chip, span in op.chips.items()
    }
    assert measured == static
    tracks: dict[int, dict[int, str]] = {}
    for e in sim.chrome_trace()["traceEvents"]:
        if e.get("name") == "thread_name":
            tracks.setdefault(e["pid"], {})[e["tid"]] = e["args"]["name"]
    for names in tracks.values():  # each chip's op tracks sort above its units
        ops = [t for t, n in names.items() if n.startswith("op ")]
        units = [t for t, n in names.items() if not n.startswith("op ")]
        assert ops and units and max(ops) < min(units)


PARALLEL = """func.func @main(%x: tensor<4x4096xf32>, %y: tensor<4x320xf32>) -> (tensor<4x1xf32>, tensor<4x320xf32>) {
  %s = tosa.reduce_sum %x {axis = 1 : i32} : (tensor<4x4096xf32>) -> tensor<4x1xf32>
  %t = tosa.tanh %y : (tensor<4x320xf32>) -> tensor<4x320xf32>
  return %s, %t : tensor<4x1xf32>, tensor<4x320xf32>
}
"""


def test_slack_is_real() -> None:
    """An op off the critical path has slack; moving all of it that many
    cycles later keeps every rule of the machine and the cycle count (the
    simulator's checks, independent of the report's constraints)."""
    module = compile_module(parse(PARALLEL, "parallel.mlir")).module
    system = lpu_system(module)
    assert system is not None
    r = perf_report(system, {"parallel.mlir": PARALLEL})
    tanh = next(op for op in r.ops if op.name == "tosa.tanh")
    assert tanh.critical == 0 and tanh.slack > 0
    assert next(op for op in r.ops if op.name == "tosa.reduce_sum").critical > 0
    cycles = check_schedule(module)
    for w in r.works:
        if w.key == tanh.key:
            w.op.properties["cycle"] = IntAttr(w.cycle + tanh.slack)
    assert check_schedule(module) == cycles


def test_roofline_reads_the_machine() -> None:
    """Machine constants come from the #lpu.system: half the install rate
    doubles the install term."""
    module = load(COMPILE / "mlp_f16.mlir")
    base = compile_module(module).report.perf
    slow = compile_module(
        module, system_attr(chip_params={"mxm_install_rows_per_cycle": 16})
    ).report.perf
    assert base is not None and slow is not None
    matmul = base.ops[0]
    assert matmul.bound == "install"
    assert slow.by_key[matmul.key].roofline["install"] == pytest.approx(
        2 * matmul.roofline["install"]
    )


def test_bubbles_and_links_on_many_chips() -> None:
    r = report("mlp_pipeline")
    assert r.bubbles and all(b.sender != b.chip and b.waiting > 0 for b in r.bubbles)
    assert r.links and all(v["busy"] > 0 and v["bytes"] > 0 for v in r.links.values())
    assert any(e.what == "link" for e in r.path)
    util = r.utilisation()
    assert set(util) == set(r.chip_cycles)
    assert all(0 <= v <= 1 for u in util.values() for v in u.values())


def test_table_and_json() -> None:
    r = report("softmax")
    table = r.table(3)
    lines = table.split("\n")
    assert lines[0].startswith(f"{r.cycles} cycles")
    assert lines[1].split()[:4] == ["op", "location", "path", "share"]
    assert lines[2].startswith("tosa.reduce_")
    assert lines[-1] == f"... {len(r.ops) - 3} more op(s)"
    data = json.loads(json.dumps(r.to_json()))
    assert data["cycles"] == r.cycles
    assert sum(e["cycles"] for e in data["critical_path"]) == r.cycles
    assert {op["location"] for op in data["ops"]} == {op.key for op in r.ops}


def test_plots(tmp_path: Path) -> None:
    from lpuir.perf.plots import write_plots

    written = write_plots(report("mlp_pipeline"), str(tmp_path), "svg")
    assert [Path(p).name for p in written] == [
        "roofline.svg",
        "gantt.svg",
        "utilisation.svg",
    ]
    assert all(Path(p).stat().st_size > 1000 for p in written)


def run_tool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True
    )


def test_lpu_opt_pass_and_lpu_run_report(tmp_path: Path) -> None:
    done = run_tool(
        "lpuir.tools.lpu_opt",
        str(COMPILE / "softmax.mlir"),
        "-p",
        'lpu-compile,lpu-perf-report{file="perf.json" rows=2 plots="." format="png"}',
        "-o",
        "compiled.mlir",
        "--print-debuginfo",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "tosa.reduce_" in done.stdout.split("\n")[2]
    perf = json.loads((tmp_path / "perf.json").read_text())
    assert perf["ops"][0]["critical_cycles"] > 0
    assert (tmp_path / "gantt.png").stat().st_size > 0
    done = run_tool(
        "lpuir.tools.lpu_run",
        "compiled.mlir",
        "--input-random",
        "--report-file",
        "report.json",
        "--quiet",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report_json = json.loads((tmp_path / "report.json").read_text())
    assert report_json["perf"]["cycles"] == report_json["cycles"]
    assert report_json["perf"]["ops"] == perf["ops"]


def test_errors_are_located(tmp_path: Path) -> None:
    done = run_tool(
        "lpuir.tools.lpu_opt",
        str(COMPILE / "softmax.mlir"),
        "-p",
        "lpu-perf-report",
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert (
        "softmax.mlir:" in done.stderr
        and "lpu-perf-report takes an LPU program" in done.stderr
    )
    logical = compile_module(
        load(COMPILE / "softmax.mlir"), pipeline="lpu-decompose,lpu-vectorize"
    )
    assert logical.report.perf is None
    with pytest.raises(Exception, match="reads scheduled programs"):
        system = lpu_system(logical.module)
        assert system is not None
        perf_report(system)
