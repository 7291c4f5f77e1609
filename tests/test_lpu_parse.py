""".lpu parsing: the line-by-line reader builds exactly what lark's parse of
the whole text builds, for every example, for compiled programs and for
mutated lines (or both fail with the same located message)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from xdsl.printer import Printer

from lpuir.api import compile_module, load, to_text
from lpuir.diagnostics import LpuError
from lpuir.grammar.parser import parse_lpu

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(
    [
        *(ROOT / "examples" / "lpu").glob("*.lpu"),
        *(ROOT / "tests" / "filecheck").rglob("*.lpu"),
    ]
)


def outcome(text: str, whole: bool) -> str:
    """The IR (generic, with every location) or the error message."""
    try:
        module = parse_lpu(text, "t.lpu", whole=whole)
    except LpuError as e:
        return f"error: {e}"
    out = io.StringIO()
    Printer(out, print_generic_format=True, print_debuginfo=True).print_op(module)
    return out.getvalue()


def same(text: str) -> str:
    by_lines = outcome(text, whole=False)
    assert by_lines == outcome(text, whole=True)
    return by_lines


@cache
def compiled() -> str:
    """A compiled program as .lpu text (one chip, every unit kind)."""
    module = load(ROOT / "examples" / "compile" / "mlp_f16.mlir")
    return to_text(compile_module(module).module, "lpu")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_read_alike(path: Path) -> None:
    same(path.read_text())


def test_compiled_program_reads_alike() -> None:
    assert not same(compiled()).startswith("error")


def test_other_layouts() -> None:
    """Two items on a line, one over several lines, a chip on one line:
    lark reads them, as before."""
    text = (ROOT / "examples" / "lpu" / "vxm_add.lpu").read_text()
    joined = text.replace("\n  @7", " @7").replace("-> S8W", "->\n   S8W")
    assert not same(joined).startswith("error")
    one_line = 'system "tsp-v1" chip 0 { tensor @a : 1x320xf32 input 0 at W4 0 }'
    assert not same(one_line).startswith("error")


def test_errors_are_located() -> None:
    text = (ROOT / "examples" / "lpu" / "vxm_add.lpu").read_text()
    lines = text.split("\n")
    i = next(n for n, line in enumerate(lines) if "vxm.add" in line)
    lines[i] = lines[i].replace("%a[", "%zz[")
    message = same("\n".join(lines))
    column = lines[i].index("%zz") + 1
    assert message.startswith(f"error: t.lpu:{i + 1}:{column}: error: %zz is used")
    lines[i] = lines[i].replace("vxm.add", "vxm.bogus")
    assert f"t.lpu:{i + 1}:" in same("\n".join(lines))


MUTATIONS = ("drop space", "add space", "drop char", "double char", "comment")


@given(
    st.sampled_from([*EXAMPLES, None]),
    st.lists(
        st.tuples(
            st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(MUTATIONS)
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_mutated_lines_read_alike(path: Path | None, edits: list) -> None:
    """Whatever a line becomes, the line reader builds what lark builds, or
    both report the same located error."""
    text = compiled() if path is None else path.read_text()
    lines = text.split("\n")
    for at, where, mutation in edits:
        n = at % len(lines)
        line = lines[n]
        k = where % (len(line) + 1)
        if mutation == "drop space" and " " in line:
            k = line.find(" ", k % max(1, len(line)))
            line = line if k < 0 else line[:k] + line[k + 1 :]
        elif mutation == "add space":
            line = line[:k] + " \t"[where % 2] + line[k:]
        elif mutation == "drop char" and line:
            k = min(k, len(line) - 1)
            line = line[:k] + line[k + 1 :]
        elif mutation == "double char" and line:
            k = min(k, len(line) - 1)
            line = line[: k + 1] + line[k:]
        elif mutation == "comment":
            line += " // note"
        lines[n] = line
    same("\n".join(lines))
