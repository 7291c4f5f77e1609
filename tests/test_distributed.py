"""Distributed simulation (lpuir.interpreter.sim_mpi): under `mpiexec -n 2`,
results, cycles, reports, traces and errors equal a one-process run's, bit for
bit. The runs under MPI skip, saying so, when mpi4py or mpiexec is missing
(`pip install 'lpuir[mpi]'`); the assignment of chips to ranks does not need
MPI."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lpuir.dialects import lpu
from lpuir.grammar.parser import parse_lpu
from lpuir.interpreter.sim_mpi import assign, window
from lpuir.machine import SystemSpec

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MPIEXEC = (BIN / "mpiexec") if (BIN / "mpiexec").exists() else shutil.which("mpiexec")
MPI = MPIEXEC is not None and importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(
    not MPI,
    reason="no MPI installed, so the runs under mpiexec -n 2 are skipped: pip install 'lpuir[mpi]' installs mpi4py and MPICH",
)

# examples/lpu/c2c_forward.lpu with one chip per node: chip 0 sends to chip
# 2 through chip 1, whose forward crosses from rank 0 to rank 1
FORWARD = (ROOT / "examples" / "lpu" / "c2c_forward.lpu").read_text()
ONE_CHIP_NODES = FORWARD.replace("chips_per_node = 3", "nodes = 3, chips_per_node = 1")


def _system(text: str) -> SystemSpec:
    return lpu.SystemAttr.from_option(text).spec


def test_ranks_get_whole_nodes_in_order_balanced_by_instructions() -> None:
    machine = _system("dragonfly4 {nodes = 4}")
    work = {c: 10 for c in range(32)}
    owner = assign(machine, work, 2)
    assert [owner[c] for c in range(0, 32, 8)] == [0, 0, 1, 1]
    assert all(owner[c] == owner[c - c % 8] for c in work)  # whole nodes
    # the heavy first node alone on rank 0
    heavy = {**work, **{c: 1000 for c in range(8)}}
    owner = assign(machine, heavy, 2)
    assert [owner[c] for c in range(0, 32, 8)] == [0, 1, 1, 1]
    # more ranks than nodes: some simulate nothing
    assert set(assign(machine, {0: 5, 9: 5}, 4).values()) == {0, 1}


def test_the_lookahead_is_the_smallest_latency_between_ranks() -> None:
    machine = parse_lpu(ONE_CHIP_NODES, "forward.lpu").ops.first.machine.spec
    assert window(machine, {0: 0, 1: 0, 2: 1}) == 300
    assert window(machine, {0: 0, 1: 1, 2: 1}) == 217
    assert window(machine, {0: 0, 1: 0, 2: 0}) == 217  # none crosses: any


def _lpu_run(
    tmp_path: Path, name: str, program: Path, ranks: int, *extra: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path / name
    out.mkdir()
    argv = [
        str(BIN / "lpu-run"),
        str(program),
        "--input-random",
        "--quiet",
        "--report-file",
        str(out / "report.json"),
        "--trace",
        str(out / "trace.json"),
        "--output",
        str(out / "out.npz"),
        *(["--ranks", str(ranks)] if ranks > 1 else []),
        *extra,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    return done, out


def _same_run(tmp_path: Path, program: Path, *extra: str) -> dict[str, object]:
    """One process and two ranks: the same exit, output text, results,
    report (but for the distributed account) and trace; that account."""
    one, a = _lpu_run(tmp_path, "one", program, 1, *extra)
    two, b = _lpu_run(tmp_path, "two", program, 2, *extra)
    assert one.returncode == two.returncode == 0, (one.stderr, two.stderr)
    assert one.stdout == two.stdout
    ra = json.loads((a / "report.json").read_text())
    rb = json.loads((b / "report.json").read_text())
    distributed = rb.pop("distributed")
    assert ra == rb
    assert (a / "trace.json").read_bytes() == (b / "trace.json").read_bytes()
    with np.load(a / "out.npz") as x, np.load(b / "out.npz") as y:
        assert sorted(x) == sorted(y)
        for key in x:
            assert x[key].dtype == y[key].dtype
            assert x[key].tobytes() == y[key].tobytes()
    return distributed


@needs_mpi
def test_a_compiled_program_on_two_ranks_is_the_one_process_run(
    tmp_path: Path,
) -> None:
    """The MLP pipelined over one-chip nodes: its stages on two ranks."""
    compiled = tmp_path / "mlp.mlir"
    done = subprocess.run(
        [
            str(BIN / "lpu-opt"),
            str(ROOT / "examples" / "compile" / "mlp_f16.mlir"),
            "-p",
            'lpu-compile{system="dragonfly4 {nodes = 4, chips_per_node = 1}" strategy=pipeline}',
            "-o",
            str(compiled),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    distributed = _same_run(tmp_path, compiled)
    assert distributed["ranks"] == 2
    assert distributed["chips"] == [[0], [2]]
    assert distributed["windows"] >= 1
    assert len(distributed["wait_s"]) == 2
    assert all(s >= 0 for s in distributed["wait_s"])


@needs_mpi
def test_a_forward_between_ranks_is_the_one_process_run(tmp_path: Path) -> None:
    program = tmp_path / "forward.lpu"
    program.write_text(ONE_CHIP_NODES)
    distributed = _same_run(tmp_path, program)
    assert distributed["chips"] == [[0, 1], [2]]
    assert distributed["lookahead_cycles"] == 300


@needs_mpi
@pytest.mark.parametrize("collect_all", [False, True])
def test_violations_on_both_ranks_are_reported_as_by_one_process(
    tmp_path: Path, collect_all: bool
) -> None:
    """The read on rank 0's chip 0 one cycle late (its send finds nothing on
    the stream) and the write on rank 1's chip 2 one cycle early."""
    program = tmp_path / "late.lpu"
    program.write_text(
        ONE_CHIP_NODES.replace("@0   %x = mem.read", "@1   %x = mem.read").replace(
            "@613 mem.write", "@612 mem.write"
        )
    )
    extra = ["--collect-all"] if collect_all else []
    one, _ = _lpu_run(tmp_path, "one", program, 1, *extra)
    two, _ = _lpu_run(tmp_path, "two", program, 2, *extra)
    assert one.returncode == two.returncode == 1
    assert one.stderr == two.stderr
    assert "chip 0, cycle 46" in one.stderr
    assert ("chip 2, cycle 612" in one.stderr) == collect_all
