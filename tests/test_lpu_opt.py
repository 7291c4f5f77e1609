"""lpu-opt, run in-process: every invalid chunk of the lit tests fails on its own
with one located error and a non-zero exit; diagnostics modes; internal errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lpuir.tools import lpu_opt

LIT = Path(__file__).resolve().parent / "filecheck" / "dialects" / "lpu"
LOCATED = re.compile(r"^[^\n:]+:(\d+):(\d+): error: \S")
EXPECTED = re.compile(r"// CHECK: .*\[\[# @LINE \+ (\d+)\]\]")


def _chunks(name: str) -> list[str]:
    """The `// -----` chunks of a lit input, each padded with the newlines that
    precede it so that its line numbers stay those of the whole file."""
    text = (LIT / name).read_text()
    out, line = [], 0
    for chunk in text.split("// -----"):
        out.append("\n" * line + chunk)
        line += chunk.count("\n")
    return out


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = lpu_opt.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "name", ["syntax.lpu", "invalid.lpu", "invalid.mlir", "machine-invalid.mlir"]
)
def test_each_invalid_chunk_fails_alone_with_one_located_error(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suffix = Path(name).suffix
    failed = 0
    for i, chunk in enumerate(_chunks(name)):
        if "CHECK" not in chunk:
            continue  # no error expected here
        path = tmp_path / f"chunk{i}{suffix}"
        path.write_text(chunk)
        code, out, err = _run([str(path)], capsys)
        expected_line = next(
            n + int(m.group(1))
            for n, line in enumerate(chunk.split("\n"), 1)
            if (m := EXPECTED.search(line))
        )
        assert code == 1, (name, i, err)
        assert out == ""
        message = err.rstrip("\n")
        located = LOCATED.match(message)
        assert located is not None and message.startswith(str(path)), (name, i, message)
        assert int(located.group(1)) == expected_line, (name, i, message)
        assert "Traceback" not in message
        failed += 1
    assert failed >= 20


def test_verify_diagnostics_reports_every_chunk_and_exits_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = LIT / "invalid.lpu"
    code, out, err = _run(
        [str(path), "--split-input-file", "--verify-diagnostics"], capsys
    )
    assert (code, err) == (0, "")
    errors = [line for line in out.splitlines() if ": error: " in line]
    assert len(errors) == len(_chunks("invalid.lpu"))
    assert all(line.startswith(f"{path}:") for line in errors)


def test_a_valid_program_to_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "p.lpu"
    source.write_text('system "tsp-v1"\n\nchip 0 {\n  icu.notify\n}\n')
    target = tmp_path / "p.mlir"
    assert _run([str(source), "-o", str(target)], capsys) == (0, "", "")
    assert '"lpu.icu.notify"() : () -> ()' in target.read_text()
    code, out, _ = _run([str(target), "-t", "lpu"], capsys)
    assert (code, out) == (0, source.read_text())


@pytest.mark.parametrize(
    ("extra", "wrote"),
    [([], "lpu"), (["-t", "mlir"], "mlir"), (["--target=lpu"], "lpu")],
)
def test_an_lpu_output_file_gets_lpu_text_unless_a_target_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], wrote: str
) -> None:
    """`-o x.lpu` picks `-t lpu` as `x.lpu` as input picks its frontend."""
    source = tmp_path / "p.lpu"
    source.write_text('system "tsp-v1"\n\nchip 0 {\n  icu.notify\n}\n')
    target = tmp_path / "out.lpu"
    assert _run([str(source), "-o", str(target), *extra], capsys) == (0, "", "")
    text = target.read_text()
    assert text.startswith('system "tsp-v1"') == (wrote == "lpu"), text


def test_an_internal_error_is_one_line_unless_asked_for_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    source = tmp_path / "p.lpu"
    source.write_text("chip 0 {\n}\n")
    monkeypatch.setattr(lpu_opt, "print_lpu", broken)
    code, _, err = _run([str(source), "-t", "lpu"], capsys)
    assert code == 70
    assert (
        err
        == "lpu-opt: internal error: RuntimeError: boom (a bug in lpuir; LPUIR_TRACEBACK=1 shows where)\n"
    )
    monkeypatch.setenv("LPUIR_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="boom"):
        lpu_opt.main([str(source), "-t", "lpu"])


def test_mlir_syntax_errors_lead_with_the_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "p.mlir"
    source.write_text(
        '"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({\n  %0 = "lpu.mem.read"(\n}) : () -> ()\n'
    )
    code, _, err = _run([str(source)], capsys)
    assert code == 1
    first, *context = err.rstrip("\n").split("\n")
    assert first.startswith(f"{source}:3:1: error: ")
    assert context == ["}) : () -> ()", "^"]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["--no-such-flag"], capsys)
    assert code == 2
    assert (
        "error: unrecognized arguments: --no-such-flag" in err
    )  # argparse names sys.argv[0]
