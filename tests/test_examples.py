"""Every .lpu example is in canonical form (up to comments, blank lines and the
cycle column's padding), survives generic MLIR, and a corrupted copy of it is
rejected with a located error by the lpu-opt console script."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from lpuir.tools.lpu_opt import main as lpu_opt

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("**/*.lpu"))
LPU_OPT = Path(sys.executable).parent / "lpu-opt"
CYCLE = re.compile(r"^(\s*@\d+) +")


def _normalised(text: str) -> list[str]:
    """The lines that carry the program: no comments, no blank lines, and one
    space after an issue cycle (the printer pads that column)."""
    lines = (line.split("//", 1)[0].rstrip() for line in text.splitlines())
    return [CYCLE.sub(r"\1 ", line) for line in lines if line.strip()]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = lpu_opt(argv)
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    return out


def _instruction_lines(text: str) -> list[int]:
    """1-based numbers of the lines that hold a scheduled instruction."""
    return [
        n
        for n, line in enumerate(text.splitlines(), 1)
        if CYCLE.match(line.split("//", 1)[0])
    ]


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 1


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_example_prints_back_as_written(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = _run([str(path), "-t", "lpu"], capsys)
    assert _normalised(printed) == _normalised(path.read_text())
    generic = tmp_path / "generic.mlir"
    generic.write_text(_run([str(path), "--print-op-generic"], capsys))
    assert _run([str(generic), "-t", "lpu"], capsys) == printed


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_corrupted_example_is_a_located_error(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    broken = tmp_path / path.name

    # a stream name broken, checked through the console script
    stream_line = next(
        n
        for n in _instruction_lines(text)
        if re.search(r"\bS\d+[EW]\b", lines[n - 1].split("//")[0])
    )
    lines_copy = list(lines)
    lines_copy[stream_line - 1] = re.sub(
        r"\bS(\d+)[EW]\b", r"S\1Q", lines[stream_line - 1], count=1
    )
    broken.write_text("".join(lines_copy))
    result = subprocess.run(
        [str(LPU_OPT), str(broken), "-t", "lpu"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and result.stdout == ""
    assert re.match(
        rf"{re.escape(str(broken))}:{stream_line}:\d+: error: ", result.stderr
    ), result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1

    # the last instruction line cut in half, through the entry point in-process
    last = _instruction_lines(text)[-1]
    lines_copy = list(lines)
    lines_copy[last - 1] = lines[last - 1][: len(lines[last - 1]) // 2] + "\n"
    broken.write_text("".join(lines_copy))
    code = lpu_opt([str(broken), "-t", "lpu"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    located = re.match(rf"{re.escape(str(broken))}:(\d+):\d+: error: ", err)
    assert located is not None and int(located.group(1)) in (last, last + 1), err
    assert "Traceback" not in err
