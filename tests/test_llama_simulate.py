"""benchmarks/llama_simulate.py on a small model in one process: the
partitioned step simulated (static == simulated), then `--check` runs the
partitioned tensor-level step on the reference interpreter and finds the
simulated outputs bit-exact, for both of lpu-partition's strategies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from repo_scripts import ROOT, load_script  # tests/ is on sys.path (no __init__.py)


@pytest.mark.parametrize("strategy", ["pipeline", "hybrid"])
def test_a_tiny_step_simulates_and_checks(strategy: str, tmp_path: Path) -> None:
    script = load_script("benchmarks/llama_simulate.py")
    out = tmp_path / strategy
    tiny = str(ROOT / "examples" / "llama" / "tiny.json")
    options = {"--config": tiny, "--layers": "1", "--context": "8"}
    options |= {"--chips-per-layer": "2", "--strategy": strategy, "--out": str(out)}
    script.main([word for pair in options.items() for word in pair])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["strategy"] == strategy and summary["config"]["dim"] == 64
    assert summary["chips_with_a_program"] > 1  # partitioned over chips
    assert summary["static_equals_simulated"]
    script.main(["--check", str(out)])
    assert json.loads((out / "summary.json").read_text())["bit_exact"]
