"""The ONNX backend node tests of the transformer op set (and their
function-expanded variants) on the reference interpreter (benchmarks/onnx_node_tests.py runs them and prints pass rates;
this keeps its numbers honest): every case passes at its own tolerance or
fails as KNOWN_FAILURES documents it, and no documented importer or value
failure has quietly started to pass."""

from __future__ import annotations

import re

import pytest
from repo_scripts import load_script  # tests/ is on sys.path (no __init__.py)


@pytest.fixture(scope="module")
def outcomes():  # -> list[Outcome]
    script = load_script("benchmarks/onnx_node_tests.py")
    cases = [
        *script.cases(script.OP_SET),
        *script.cases(script.OP_SET, expanded=True),
    ]
    return script, [script.run_case(op, c) for op, c in cases]


def test_every_failure_is_documented(outcomes) -> None:
    script, results = outcomes
    assert len(results) > 800
    undocumented = []
    for o in results:
        if o.reference:
            continue
        known = script.known_failure(o.name)
        if known is None or known[0] != o.category:
            undocumented.append(f"{o.name}: {o.category}: {o.detail}")
    assert not undocumented, "\n".join(undocumented)


def test_documented_importer_and_value_failures_still_fail(outcomes) -> None:
    """An importer gap or a mismatch that was fixed must leave the list (the
    `type` and `reference` entries wait for the reference to grow: their
    cases passing is reported by the script, not failed here)."""
    script, results = outcomes
    for pattern, (category, _) in script.KNOWN_FAILURES.items():
        if category not in ("importer", "mismatch"):
            continue
        matching = [o for o in results if re.search(pattern, o.name)]
        assert matching, pattern
        assert all(not o.reference for o in matching), pattern


def test_pass_rate_of_the_types_lpuir_computes(outcomes) -> None:
    """Without the element types the numerics spec lacks (f64, f8, f4, int4,
    int2, strings), at least 95% pass; docs/onnx.md has the measured rates."""
    _, results = outcomes
    typed = [o for o in results if o.category != "type"]
    passed = sum(o.reference for o in typed)
    assert passed / len(typed) >= 0.95, f"{passed}/{len(typed)}"


def test_the_script_prints_per_op_rates() -> None:
    script = load_script("benchmarks/onnx_node_tests.py")
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert script.main(["--ops", "Relu,Softmax", "--compiled"]) == 0
    text = out.getvalue()
    assert re.search(r"^Relu\s+1\s+1\s+1$", text, re.M), text
    assert re.search(r"^Softmax\s+7\s+7\s+\d+$", text, re.M), text
    assert "reference: 8/8 = 100.0%" in text
