"""Sweep one machine parameter: the VXM's functional delay, against cycles.

For each value, the tensor-level softmax of examples/compile is compiled for a
tsp-v1 whose `delay_vxm` is changed, run on the simulator (checked against
the reference interpreter), and its cycles recorded. The table prints and is
written as CSV; with matplotlib installed (`pip install -e '.[plot]'`) the
plot is written as a PNG too.
Run: python examples/api/sweep_vxm_delay.py [--out DIR] [--values 1,2,4,8]
"""

import argparse
import csv
from pathlib import Path

import numpy as np

import lpuir

SOURCE = Path(__file__).resolve().parent.parent / "compile" / "softmax.mlir"


def sweep(values: list[int]) -> dict[str, lpuir.Report]:
    """The run report of the compiled softmax for each delay_vxm."""
    source = lpuir.load(SOURCE)
    x = np.random.default_rng(0).standard_normal((4, 4096)).astype(np.float32)
    expected = lpuir.run(source, [x]).outputs[0]
    reports = {}
    for delay in values:
        machine = lpuir.system_attr(chip_params={"delay_vxm": delay})
        compiled = lpuir.compile_module(source, machine)
        result = lpuir.run(compiled.module, [x])
        assert np.array_equal(result.outputs[0], expected)
        assert result.report.cycles == compiled.report.static_cycles
        reports[f"delay_vxm={delay}"] = result.report
    return reports


def plot(values: list[int], cycles: list[int], path: Path) -> bool:
    """Cycles against delay_vxm as a PNG; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(values, cycles, marker="o")
    ax.set_xlabel("delay_vxm (cycles)")
    ax.set_ylabel("softmax 4x4096 f32 (cycles)")
    ax.set_title("tsp-v1: cycles against the VXM delay")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="output folder")
    parser.add_argument("--values", default="1,2,4,8", help="delay_vxm values")
    args = parser.parse_args()
    values = [int(v) for v in args.values.split(",")]
    reports = sweep(values)
    print(
        lpuir.compare_reports(reports, ("cycles", "latency_us", "unit_utilisation.VXM"))
    )
    cycles = [r.cycles or 0 for r in reports.values()]
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "sweep_vxm_delay.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["delay_vxm", "cycles"])
        writer.writerows(zip(values, cycles, strict=True))
    png = args.out / "sweep_vxm_delay.png"
    print(
        f"wrote {png}"
        if plot(values, cycles, png)
        else "matplotlib is not installed: no plot"
    )


if __name__ == "__main__":
    main()
