"""docs/compiler.md's coverage table is the one benchmarks/coverage_table.py
generates from the reference's implementations, the compiler's lowerings and
the compiled tests (issue 15 §4): it cannot drift from the code."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _script():  # -> module
    spec = importlib.util.spec_from_file_location(
        "coverage_table", ROOT / "benchmarks" / "coverage_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["coverage_table"] = module
    spec.loader.exec_module(module)
    return module


def test_the_docs_table_is_current() -> None:
    script = _script()
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

    rows = dict(_script().coverage())
    by_name = {name: flags for name, *flags in rows["tosa"]}
    assert by_name["tosa.add"] == [True, True, True]
    assert by_name["tosa.while_loop"][1] is False  # refused: a run-time trip count
    assert by_name["tosa.clamp"][1] is True  # through lpu-decompose
    assert (tosa.ScatterOp in IMPLEMENTATIONS) == by_name["tosa.scatter"][0]
    assert (lowering_of(tosa.ScatterOp) is not None) == by_name["tosa.scatter"][1]
