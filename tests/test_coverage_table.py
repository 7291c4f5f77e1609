"""docs/compiler.md's coverage table is the one benchmarks/coverage_table.py
generates from the reference's implementations, the compiler's lowerings and
the compiled tests (issue 15 §4): it cannot drift from the code."""

from __future__ import annotations

from repo_scripts import ROOT, load_script  # tests/ is on sys.path (no __init__.py)


def test_the_docs_table_is_current() -> None:
    script = load_script("benchmarks/coverage_table.py")
    docs = (ROOT / "docs" / "compiler.md").read_text()
    assert script.BEGIN in docs and script.END in docs
    assert script.with_table(docs, script.table()) == docs, (
        "docs/compiler.md's coverage table is stale: run python benchmarks/coverage_table.py --write"
    )


def test_the_table_counts_what_the_code_has() -> None:
    """Spot checks against the registries the table reads."""
    from lpuir.dialects import tosa
    from lpuir.interpreter.reference import IMPLEMENTATIONS
    from lpuir.transforms.vectorize import lowering_of

    rows = dict(load_script("benchmarks/coverage_table.py").coverage())
    by_name = {name: flags for name, *flags in rows["tosa"]}
    assert by_name["tosa.add"] == [True, True, True]
    assert by_name["tosa.while_loop"][1] is False  # refused: a run-time trip count
    assert by_name["tosa.clamp"][1] is True  # through lpu-decompose
    assert (tosa.ScatterOp in IMPLEMENTATIONS) == by_name["tosa.scatter"][0]
    assert (lowering_of(tosa.ScatterOp) is not None) == by_name["tosa.scatter"][1]
