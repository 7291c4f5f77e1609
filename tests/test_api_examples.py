"""examples/api runs, so it cannot rot: the hand-scheduled kernel, the custom
instruction, the external pass through its entry point (a fake installed
distribution, as `pip install examples/api/external_pass` would make), and
the sweep with and without matplotlib."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "api"
PACKAGE = EXAMPLES / "external_pass"
BIN = Path(sys.executable).parent


def _run(argv: list[str], pythonpath: list[Path] = (), **kw: object) -> str:  # type: ignore[assignment]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath)}
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, check=False, **kw
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def _distribution(where: Path, name: str, groups: dict[str, dict[str, str]]) -> Path:
    """A `*.dist-info` folder declaring entry points: what pip installs."""
    info = where / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
            for group, eps in groups.items()
        )
    )
    return where


def test_hand_scheduled_kernel() -> None:
    out = _run([sys.executable, str(EXAMPLES / "hand_scheduled_kernel.py")])
    assert "@9   %c = vxm.relu %sum[alu 0] alu 1 -> S8W : f32[4]" in out
    assert "cycles: 48" in out
    assert (
        "hand_scheduled_kernel.py:33:9: error: chip 0, cycle 8, VXM.alu0: stream slot"
        in out
    )


def test_custom_instruction() -> None:
    out = _run([sys.executable, str(EXAMPLES / "custom_instruction.py")])
    assert '"lpu.vxm.absdiff"' in out and "logical level: equal" in out


def test_external_pass_from_lpu_opt(tmp_path: Path) -> None:
    """The entry points the example's pyproject declares make lpu-opt know
    its pass; lpu-run then runs the shifted program."""
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]
    site = _distribution(tmp_path, project["name"], project["entry-points"])
    shifted = tmp_path / "shifted.lpu"
    _run(
        [
            str(BIN / "lpu-opt"),
            str(ROOT / "examples" / "lpu" / "mxm_matvec_i8.lpu"),
            "-p",
            "example-shift-schedule{cycles=10},lpu-verify-schedule",
            "-t",
            "lpu",
            "-o",
            str(shifted),
        ],
        [site, PACKAGE],
    )
    assert shifted.read_text().startswith('system "tsp-v1" cycles 145\n')
    inputs = ["--input", "1x320xi8=1"] + ["--input", "32x320xi8=1"] * 10
    out = _run(
        [str(BIN / "lpu-run"), str(shifted), *inputs, "--quiet"], [site, PACKAGE]
    )
    assert out == "cycles: 145 (static: 145)\n"


def test_broken_entry_point_is_a_clear_error(tmp_path: Path) -> None:
    site = _distribution(
        tmp_path, "broken", {"lpuir.passes": {"nope": "no_such_module:P"}}
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [
            str(BIN / "lpu-opt"),
            str(ROOT / "examples" / "lpu" / "vxm_add.lpu"),
            "-p",
            "nope",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(
        "lpu-opt: error: entry point 'nope = no_such_module:P' of group lpuir.passes (distribution broken): cannot load it"
    ), done.stderr


def test_instruction_entry_point_in_the_tools(tmp_path: Path) -> None:
    """An instruction from an entry point parses in lpu-opt and runs in lpu-run."""
    site = _distribution(
        tmp_path,
        "absdiff",
        {"lpuir.instructions": {"absdiff": "custom_instruction:AbsDiffOp"}},
    )
    kernel = tmp_path / "absdiff.lpu"
    program = _run(
        [
            sys.executable,
            "-c",
            "import custom_instruction as c; print(c.KERNEL, end='')",
        ],
        [EXAMPLES],
    )
    kernel.write_text(program)
    path = [site, EXAMPLES]
    printed = _run(
        [str(BIN / "lpu-opt"), str(kernel), "-p", "lpu-verify-schedule", "-t", "lpu"],
        path,
    )
    assert printed == program
    out = _run(
        [
            str(BIN / "lpu-run"),
            str(kernel),
            "--input",
            "4x320xi32=3",
            "--input",
            "4x320xi32=5",
            "--expected-output",
            "4x320xi32=2",
            "--quiet",
        ],
        path,
    )
    assert out == "cycles: 48\n"


@pytest.mark.parametrize("matplotlib", [True, False])
def test_sweep(tmp_path: Path, matplotlib: bool) -> None:
    path = []
    if not matplotlib:  # a matplotlib that cannot be imported shadows the real one
        (tmp_path / "matplotlib").mkdir()
        (tmp_path / "matplotlib" / "__init__.py").write_text(
            "raise ImportError('hidden')\n"
        )
        path = [tmp_path]
    out = _run(
        [
            sys.executable,
            str(EXAMPLES / "sweep_vxm_delay.py"),
            "--out",
            str(tmp_path / "o"),
            "--values",
            "1,3",
        ],
        path,
    )
    assert (tmp_path / "o" / "sweep_vxm_delay.csv").read_text().splitlines()[
        0
    ] == "delay_vxm,cycles"
    assert "delay_vxm=3" in out
    assert (tmp_path / "o" / "sweep_vxm_delay.png").exists() == matplotlib
    assert ("no plot" in out) != matplotlib
