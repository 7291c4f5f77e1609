"""What users of the tools expect (issue 20, section 3): `--function` on a
compiled program, random inputs of any program's signature, and progress on a
terminal (and nothing elsewhere, or with --quiet)."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from tool_runs import run_tool  # tests/ is on sys.path (no __init__.py)

from lpuir import progress
from lpuir.interpreter import sim_run
from lpuir.tools import lpu_generate, lpu_opt, lpu_run

ROOT = Path(__file__).resolve().parent.parent
SOFTMAX = ROOT / "examples" / "compile" / "softmax.mlir"
MLP = ROOT / "examples" / "compile" / "mlp_f16.mlir"
VXM_ADD = ROOT / "examples" / "lpu" / "vxm_add.lpu"


@dataclass
class Recorder:
    """A progress reporter that keeps what it was told."""

    events: list[tuple[str, int, int | None, str, str]] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)

    def update(
        self, task: str, done: int, total: int | None, unit: str, note: str
    ) -> None:
        self.events.append((task, done, total, unit, note))

    def finish(self, task: str) -> None:
        self.finished.append(task)

    def close(self) -> None:
        pass

    def of(self, task: str) -> list[tuple[int, int | None]]:
        return [(done, total) for t, done, total, _, _ in self.events if t == task]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _compile(source: Path, tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / f"{source.stem}.lpu.mlir"
    argv = [str(source), "-p", "lpu-compile", "-o", str(out), *extra]
    assert run_tool(lpu_opt.main, argv)[0] == 0
    return out


# ------------------------------------------------------------------ --function


def test_a_compiled_program_keeps_its_function_name(tmp_path: Path) -> None:
    compiled = _compile(SOFTMAX, tmp_path)
    assert '{lpu.function = "softmax"}' in compiled.read_text()
    report = tmp_path / "r.json"
    argv = [str(compiled), "--function", "softmax", "--input-random", "--quiet"]
    code, _, err = run_tool(lpu_run.main, [*argv, "--report-file", str(report)])
    assert code == 0, err
    assert json.loads(report.read_text())["function"] == "softmax"
    argv[2] = "main"
    code, _, err = run_tool(lpu_run.main, argv)
    assert code == 1
    assert "error: --function main: this LPU program was compiled from @softmax" in err


def test_function_selects_the_source_for_reference(tmp_path: Path) -> None:
    # a source with two public functions: --function names the compiled one
    two = tmp_path / "two.mlir"
    two.write_text(
        SOFTMAX.read_text()
        + "func.func @other(%x: tensor<4xf32>) -> tensor<4xf32> {\n  return %x : tensor<4xf32>\n}\n"
    )
    (tmp_path / "one.mlir").write_text(SOFTMAX.read_text())
    compiled = _compile(tmp_path / "one.mlir", tmp_path, "--print-debuginfo")
    argv = [str(compiled), "--input-random", "--reference", str(two), "--quiet"]
    code, out, err = run_tool(lpu_run.main, [*argv, "--function", "softmax"])
    assert code == 0, err
    assert "reference: all 1 result(s) equal" in out
    # .lpu text keeps no name: --function is taken as given
    lpu_text = tmp_path / "c.lpu"
    assert (
        run_tool(lpu_opt.main, [str(compiled), "-t", "lpu", "-o", str(lpu_text)])[0]
        == 0
    )
    code, out, err = run_tool(
        lpu_run.main,
        [str(lpu_text), "--function", "softmax", "--input-random", "--quiet"],
    )
    assert code == 0, err


# ------------------------------------------------------------------ random inputs


def test_input_random_is_random_seed_plus_the_argument_index(tmp_path: Path) -> None:
    def outputs(*argv: str) -> np.ndarray:
        out = tmp_path / "o.npz"
        code, _, err = run_tool(
            lpu_run.main, [str(MLP), *argv, "--output", str(out), "--quiet"]
        )
        assert code == 0, err
        return np.load(out)["result0"]

    explicit = outputs(
        "--input", "1x4x300xf16=random:5",
        "--input", "1x300x500xf16=random:6",
        "--input", "1x500x200xf16=random:7",
    )  # fmt: skip
    assert np.array_equal(outputs("--seed", "5"), explicit)  # --seed implies it
    assert np.array_equal(outputs("--input-random", "--seed", "5"), explicit)
    given = outputs("--input", "1x4x300xf16=random:5", "--input-random", "--seed", "5")
    assert np.array_equal(given, explicit)
    assert not np.array_equal(outputs("--input-random"), explicit)  # seed 0


def test_input_random_on_a_scheduled_program_and_its_errors() -> None:
    code, out, err = run_tool(lpu_run.main, [str(VXM_ADD), "--input-random"])
    assert code == 0 and out.endswith("cycles: 46\n"), err
    code, _, err = run_tool(lpu_run.main, [str(VXM_ADD), "--seed", "-1"])
    assert code == 2 and "argument --seed: '-1' is not an integer >= 0" in err
    too_many = ["--input", "4x320xf32=1"] * 3
    code, _, err = run_tool(lpu_run.main, [str(VXM_ADD), *too_many, "--input-random"])
    assert code == 1 and "the program takes 2 input(s), 3 given" in err


# ------------------------------------------------------------------ progress


def test_passes_vectorizing_and_scheduling_report_progress(tmp_path: Path) -> None:
    with progress.reporting(Recorder()) as seen:
        _compile(SOFTMAX, tmp_path)
    assert seen.of("lpu-opt") == [(0, 1), (1, 1)]
    for task in ("lpu-vectorize", "lpu-schedule"):
        steps = seen.of(task)
        total = steps[0][1]
        assert total and steps[0][0] == 0 and steps[-1][0] == total, task
        assert [done for done, _ in steps] == list(range(total + 1))
        assert task in seen.finished
    notes = [note for task, *_, note in seen.events if task == "lpu-opt"]
    assert notes == ["lpu-compile", ""]


def test_the_simulator_reports_cycles_of_the_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _compile(SOFTMAX, tmp_path)
    # a report every 16 steps, so the softmax's few hundred steps report midway
    monkeypatch.setattr(sim_run, "PROGRESS_EVERY", 16)
    with progress.reporting(Recorder()) as seen:
        code, out, _ = run_tool(
            lpu_run.main, [str(compiled), "--input-random", "--quiet"]
        )
    cycles = int(out.split()[1])
    steps = seen.of("simulate")
    assert code == 0 and steps[0] == (0, cycles)
    assert 0 < max(done for done, _ in steps) < cycles  # issue cycles, not the end
    assert seen.finished == ["simulate"]


def test_generate_reports_its_steps(tmp_path: Path) -> None:
    tiny = ROOT / "examples" / "llama" / "tiny.json"
    argv = [str(tiny), "-n", "3", "--prompt", "1,2", "--backend", "reference"]
    with progress.reporting(Recorder()) as seen:
        code, out, _ = run_tool(lpu_generate.main, argv)
    assert code == 0 and seen.of("lpu-generate") == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert out.count("pos ") == 4


def _stderr_of(tool, argv: list[str], stream: io.StringIO) -> str:
    with contextlib.redirect_stderr(stream), contextlib.redirect_stdout(io.StringIO()):
        assert tool(argv) == 0
    return stream.getvalue()


@pytest.mark.parametrize("quiet", [False, True])
def test_bars_show_on_a_terminal_only_and_not_with_quiet(
    tmp_path: Path, quiet: bool
) -> None:
    compiled = _compile(SOFTMAX, tmp_path)
    argv = [str(compiled), "--input-random", *(["--quiet"] if quiet else [])]
    on_terminal = _stderr_of(lpu_run.main, argv, Terminal())
    assert ("simulate" in on_terminal) != quiet
    assert "cycles/s" in on_terminal or quiet
    assert _stderr_of(lpu_run.main, argv, io.StringIO()) == ""  # not a terminal
    argv = [str(SOFTMAX), "-p", "lpu-compile", "-o", str(tmp_path / "o.mlir")]
    on_terminal = _stderr_of(
        lpu_opt.main, [*argv, *(["--quiet"] if quiet else [])], Terminal()
    )
    assert ("lpu-schedule" in on_terminal) != quiet
    assert progress._reporter is None  # the library is quiet again


def test_the_library_reports_nothing_by_itself(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import lpuir

    module = lpuir.load(VXM_ADD)
    lpuir.run(module, [np.ones((4, 320), np.float32)] * 2)
    assert capsys.readouterr() == ("", "")
    assert list(progress.track([1, 2], "t")) == [1, 2]


def test_a_registered_frontend_is_offered_by_both_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lpuir import frontend

    def parse_reversed(source, name, ctx, line_offset, implicit_module):
        # a binary format: the bytes of MLIR text, reversed
        text = bytes(reversed(source)).decode()
        return frontend.parse_mlir(text, name, ctx, line_offset, implicit_module)

    monkeypatch.setitem(frontend.FRONTENDS, "rev", parse_reversed)
    program = tmp_path / "softmax.rev"
    program.write_bytes(bytes(reversed(SOFTMAX.read_bytes())))
    code, out, err = run_tool(lpu_opt.main, [str(program)])
    assert code == 0 and "tosa.reduce_max" in out, err
    code, _, err = run_tool(lpu_run.main, [str(program), "--input-random", "--quiet"])
    assert code == 0, err
    code, _, err = run_tool(
        lpu_run.main, ["-f", "rev", str(program), "--seed", "1", "--quiet"]
    )
    assert code == 0, err
