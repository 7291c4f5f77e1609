"""benchmarks/run_all.py runs (a smoke test: speed is measured in benchmarks/, never asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_run_all_quick_sim_xdsl() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/run_all.py", "--quick", "--only", "sim-xdsl"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "DIFFERS" not in done.stdout
    assert "simulator / xdsl-run" in done.stdout.split("== summary")[1]
