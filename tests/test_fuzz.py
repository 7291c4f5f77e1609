"""Grammar-aware fuzzing of the tools: every example, a few tokens mutated at a
time, through lpu-opt, lpu-run (random inputs) and lpu-compile (then lpu-run
of the compiled program, checked against the mutant on the reference
interpreter). Every run ends with exit 0, 1 or 2 (never 70, the internal
error), prints no traceback, finishes within a time limit, and when it fails
says where: `file:line:col`, or a usage error.

Mutants per run: by the hypothesis profile (`ci`: 120, derandomized, a few
seconds; `dev`: 1000); `LPUIR_FUZZ=N` runs N, for a long campaign on a local
machine (`LPUIR_FUZZ=20000 python -m pytest tests/test_fuzz.py`: minutes).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tool_runs import run_tool  # tests/ is on sys.path (no __init__.py)

from lpuir.tools import lpu_opt, lpu_run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(
    p for p in (ROOT / "examples").glob("**/*") if p.suffix in (".mlir", ".lpu")
)
MUTANTS = int(os.environ.get("LPUIR_FUZZ") or settings.default.max_examples * 2)
"""Mutants per run: 120 under the `ci` profile (a few seconds), 1000 under `dev`."""
TIME_LIMIT = 60
"""Seconds a run of a mutant may take (the examples take well under one)."""

TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\\n]|\\.)*")
    |(?P<comment>//[^\n]*)
    |(?P<shape>(?:\d+x)+[a-z]+\d*)
    |(?P<number>0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
    |(?P<name>[%@#^!][\w$.\-]*)
    |(?P<word>[A-Za-z_][\w.$\-]*)
    |(?P<punct>->|[^\s\w])
    |(?P<space>\s+)""",
    re.X,
)
NUMBERS = [
    "0",
    "1",
    "-1",
    "3",
    "255",
    "65520",
    "2147483648",
    "99999999999999999999",
    "3.0e38",
    "1e400",
    "-0.0",
    "0x7C00",
    "0xFFFFFFFF",
]
TYPES = ["i1", "i8", "i16", "i32", "i64", "f16", "bf16", "f32", "f64", "index"]
PUNCTUATION = [*'"{}()<>[],:=%@#', "->", "// ", "dense<", "loc("]
HOW = ["edge", "edge", "edge", "kin", "delete", "double", "insert", "line", "cut"]
"""Mutations; those that keep the text parseable more often."""
LOCATED = re.compile(r"^[^\n]*\S:\d+:\d+: \S", re.M)
"""`file:line:col: error: ...`, or the reference interpreter's `op at file:line:col: ...`."""
USAGE = re.compile(r"^lpu-\w+: error: argument ", re.M)


def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) of every token; the texts join back to `text`."""
    return [(m.lastgroup or "", m.group()) for m in TOKEN.finditer(text)]


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, str]:
    """An example's name and text with one to three grammar-aware mutations:
    a token deleted, doubled, replaced by one of its kind from the same file,
    by an edge-case number or element type, or by a dimension; punctuation
    inserted; a line deleted or doubled; the text cut short."""
    path = draw(st.sampled_from(EXAMPLES))
    toks = tokens(path.read_text())
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        solid = [
            i for i, (kind, _) in enumerate(toks) if kind not in ("space", "comment")
        ]
        if not solid:
            break  # cut or deleted down to nothing
        i = draw(st.sampled_from(solid))
        kind, text = toks[i]
        how = draw(st.sampled_from(HOW))
        if how == "delete":
            toks[i] = ("space", " ")
        elif how == "double":
            toks.insert(i, (kind, text))
        elif how == "edge" and kind == "shape":
            dims = text.split("x")
            j = draw(st.integers(0, len(dims) - 1))
            edge = TYPES if j == len(dims) - 1 else ["0", "1", "7", "2147483648"]
            dims[j] = draw(st.sampled_from(edge))
            toks[i] = (kind, "x".join(dims))
        elif how == "edge" and (kind == "number" or text in TYPES):
            toks[i] = (
                kind,
                draw(st.sampled_from(NUMBERS if kind == "number" else TYPES)),
            )
        elif how in ("edge", "kin"):
            kin = [t for k, t in toks if k == kind]
            toks[i] = (kind, draw(st.sampled_from(kin)))
        elif how == "insert":
            toks.insert(i, ("punct", draw(st.sampled_from(PUNCTUATION))))
        elif how == "line":
            text_so_far = "".join(t for _, t in toks)
            lines = text_so_far.split("\n")
            j = draw(st.integers(0, len(lines) - 1))
            lines[j : j + 1] = [] if draw(st.booleans()) else [lines[j]] * 2
            toks = tokens("\n".join(lines))
        else:
            toks = toks[: i + 1]
    return path.name, "".join(t for _, t in toks)


def check(code: int, err: str, argv: list[str], source: str) -> None:
    """Exit 0, 1 or 2; no traceback; a failure located or a usage error."""
    where = f"{argv}\n--- mutant ---\n{source}\n--- stderr ---\n{err}"
    assert code in (0, 1, 2), where
    assert "Traceback" not in err and "internal error" not in err, where
    if code == 0:
        return
    assert LOCATED.search(err) or USAGE.search(err), where
    assert "lpu-run: mismatch" not in err, (
        f"the compiled mutant differs from its source: {where}"
    )


@settings(
    max_examples=MUTANTS,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(mutants())
def test_mutants_fail_cleanly_or_run(mutant: tuple[str, str]) -> None:
    name, text = mutant
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / name
        source.write_text(text)
        argv = [str(source)]
        code, _, err = run_tool(lpu_opt.main, argv, TIME_LIMIT)
        check(code, err, argv, text)
        if code != 0:
            return
        argv = [str(source), "--input-random", "--quiet"]
        check(*run_tool(lpu_run.main, argv, TIME_LIMIT)[::2], argv, text)
        if source.suffix != ".mlir":
            return
        compiled = Path(folder) / "compiled.mlir"
        argv = [
            str(source),
            "-p",
            "lpu-compile",
            "--print-debuginfo",
            "-o",
            str(compiled),
        ]
        code, _, err = run_tool(lpu_opt.main, argv, TIME_LIMIT)
        check(code, err, argv, text)
        if code == 0:
            argv = [
                str(compiled),
                "--input-random",
                "--quiet",
                "--reference",
                str(source),
            ]
            check(*run_tool(lpu_run.main, argv, TIME_LIMIT)[::2], argv, text)


def test_the_mutations_reach_every_example_and_keep_the_text() -> None:
    assert len(EXAMPLES) >= 10
    for path in EXAMPLES:
        text = path.read_text()
        assert "".join(t for _, t in tokens(text)) == text
