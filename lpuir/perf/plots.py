"""Pictures of a performance report (matplotlib, the `plot` extra): the
roofline of its ops, a Gantt chart of the ops per chip, and, on many chips,
each chip's and each link's utilisation over time with the pipeline bubbles.
Each is written as PNG or SVG, as the file name's extension says."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from lpuir.diagnostics import LpuError
from lpuir.perf.account import merged
from lpuir.perf.report import PerfReport

PLOTS = ("roofline", "gantt", "utilisation")


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise LpuError("plots need matplotlib: pip install 'lpuir[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_plots(report: PerfReport, folder: str, fmt: str = "png") -> list[str]:
    """Every plot of the report into `folder` (roofline.FMT, gantt.FMT,
    utilisation.FMT); the files written."""
    if fmt not in ("png", "svg"):
        raise LpuError(f"plots are png or svg, not '{fmt}'")
    out = Path(folder)
    if not out.is_dir():
        raise LpuError(f"plots: {folder}: no such folder")
    written = []
    for name, draw in (
        ("roofline", roofline),
        ("gantt", gantt),
        ("utilisation", utilisation),
    ):
        path = str(out / f"{name}.{fmt}")
        draw(report, path)
        written.append(path)
    return written


def _label(report: PerfReport, key: str) -> str:
    op = report.by_key[key]
    return f"{op.name or 'op'} {key.rsplit('/', 1)[-1]}"


def roofline(report: PerfReport, path: str, labels: int = 8) -> None:
    """Each op as a point: operations per SRAM byte (MACs plus VXM lane
    operations) against operations per cycle per chip it runs on, under the
    machine's ceilings (MXM peak for int8 and f16, VXM peak, and the SRAM
    ports' bandwidth times the intensity)."""
    plt = _pyplot()
    spec = report.machine.chip
    lanes = spec.lanes
    fig, ax = plt.subplots(figsize=(8, 5.5))
    points: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for op in report.ops:
        vxm = op.roofline["VXM"] * spec.vxm_alus * len(op.chips) * lanes
        work = op.macs + vxm
        moved = op.moved["SRAM read"] + op.moved["SRAM write"]
        if work <= 0 or moved <= 0:
            continue
        points[op.bound].append(
            (work / moved, work / op.cycles / len(op.chips), op.key)
        )
    sram = len(spec.mem_slices) * lanes
    ceilings = {
        "MXM int8": 2 * spec.mxm_planes * spec.mxm_k_i8 * lanes,
        "MXM f16": 2 * spec.mxm_planes * spec.mxm_k_f16 * lanes,
        "VXM": spec.vxm_alus * lanes,
    }
    xs = [p[0] for ps in points.values() for p in ps] or [1.0]
    ridge = max(ceilings.values()) / sram
    x = np.logspace(np.log10(min(xs) / 4), np.log10(max(*xs, ridge) * 4), 100)
    for name, peak in ceilings.items():
        ax.plot(x, np.minimum(peak, sram * x), "--", linewidth=1, label=f"{name} peak")
    for bound, ps in sorted(points.items()):
        ax.scatter(
            [p[0] for p in ps], [p[1] for p in ps], s=18, label=f"bound: {bound}"
        )
    ranked = sorted(
        (p for ps in points.values() for p in ps),
        key=lambda p: -report.by_key[p[2]].critical,
    )
    for px, py, key in ranked[:labels]:
        ax.annotate(_label(report, key), (px, py), fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("operations per SRAM byte (MACs + VXM lane operations)")
    ax.set_ylabel("operations per cycle per chip")
    ax.set_title(f"roofline of {len(report.ops)} ops ({report.cycles} cycles)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def gantt(report: PerfReport, path: str, rows: int = 120, chips: int = 16) -> None:
    """Per chip (the `chips` longest-running), its ops (at most `rows` over
    all chips: those with the most cycles on the critical path, then the
    longest) as bars from first issue to last act; critical ops in red."""
    plt = _pyplot()
    per_chip: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for op in report.ops:
        for chip, (a, b) in op.chips.items():
            per_chip[chip].append((a, b, op.key))
    shown = sorted(per_chip, key=lambda c: -report.chip_cycles[c])[:chips]
    shown.sort()
    rows = max(4, rows // len(shown))
    heights = [min(rows, len(per_chip[c])) + 1 for c in shown]
    fig, axes = plt.subplots(
        len(shown),
        1,
        figsize=(10, max(3.0, 0.12 * sum(heights) + 0.3 * len(shown))),
        sharex=True,
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, chip in zip(axes[:, 0], shown, strict=True):
        bars = sorted(
            per_chip[chip],
            key=lambda s: (-report.by_key[s[2]].critical, -(s[1] - s[0])),
        )[:rows]
        bars.sort()
        for y, (a, b, key) in enumerate(bars):
            critical = report.by_key[key].critical > 0
            ax.barh(
                y,
                b - a + 1,
                left=a,
                height=0.7,
                color="tab:red" if critical else "tab:blue",
            )
            ax.text(b, y, " " + _label(report, key), va="center", fontsize=5)
        ax.set_yticks([])
        ax.set_ylabel(f"chip {chip}", rotation=0, ha="right", va="center", fontsize=7)
        ax.set_xlim(0, report.cycles)
    axes[-1, 0].set_xlabel("cycle (red: on the critical path)")
    fig.suptitle("ops per chip")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def busy_in_bins(spans: list[tuple[int, int]], edges: np.ndarray) -> np.ndarray:
    """Cycles of the half-open `spans` that fall in each bin between `edges`."""
    if not spans:
        return np.zeros(len(edges) - 1)
    starts = np.sort(np.array([s for s, _ in spans], dtype=np.float64))
    ends = np.sort(np.array([e for _, e in spans], dtype=np.float64))

    def covered(t: np.ndarray, points: np.ndarray) -> np.ndarray:
        """sum over points p < t of (t - p)."""
        k = np.searchsorted(points, t)
        prefix = np.concatenate([[0.0], np.cumsum(points)])
        return k * t - prefix[k]

    total = covered(edges, starts) - covered(edges, ends)
    return np.diff(total)


def utilisation(report: PerfReport, path: str, bins: int = 200) -> None:
    """Top: for each chip, the share of each time bin in which it holds any
    unit, with its pipeline bubbles (waiting for another chip) marked.
    Bottom: each used link direction's busy share per bin."""
    plt = _pyplot()
    edges = np.linspace(0, report.cycles, bins + 1)
    width = np.diff(edges)
    active: dict[int, list[tuple[int, int]]] = defaultdict(list)
    links: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for w in report.works:
        spans = [(c.start, c.end) for c in w.claims]
        active[w.chip].extend(spans)
        for c in w.claims:
            if c.kind == "C2C link":
                links[f"chip{w.chip}/{c.unit}"].append((c.start, c.end))
    chips = sorted(report.chip_cycles)
    chip_rows = np.array(
        [busy_in_bins(merged(active[c]), edges) / width for c in chips]
    )
    link_names = sorted(links)
    fig, axes = plt.subplots(
        2 if link_names else 1,
        1,
        figsize=(10, 2 + 0.25 * (len(chips) + len(link_names))),
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": [len(chips) + 1, len(link_names) + 1]}
        if link_names
        else None,
    )
    top = axes[0, 0]
    image = top.imshow(
        chip_rows,
        aspect="auto",
        interpolation="nearest",
        extent=(0, report.cycles, len(chips) - 0.5, -0.5),
        vmin=0,
        vmax=1,
        cmap="viridis",
    )
    top.set_yticks(range(len(chips)), [f"chip {c}" for c in chips], fontsize=6)
    row = {c: i for i, c in enumerate(chips)}
    for b in report.bubbles:
        top.plot([b.start, b.end], [row[b.chip]] * 2, color="red", linewidth=1)
    top.set_title(
        "chips: share of cycles holding a unit (red: waiting for another chip)"
    )
    fig.colorbar(image, ax=top, fraction=0.02)
    if link_names:
        bottom = axes[1, 0]
        link_rows = np.array(
            [busy_in_bins(merged(links[n]), edges) / width for n in link_names]
        )
        bottom.imshow(
            link_rows,
            aspect="auto",
            interpolation="nearest",
            extent=(0, report.cycles, len(link_names) - 0.5, -0.5),
            vmin=0,
            vmax=1,
            cmap="viridis",
        )
        bottom.set_yticks(range(len(link_names)), link_names, fontsize=6)
        bottom.set_title("links (sending side): busy share")
    axes[-1, 0].set_xlabel("cycle")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
