"""The static performance report of a scheduled program: per tensor op its
cycles, units, bytes and roofline, the critical path with every op's slack,
and, on many chips, utilisation and pipeline bubbles (docs/performance.md).

No simulation: everything comes from the scheduled IR, the instructions'
facts and the timing law (`lpuir.perf.account`), and the constraints the
schedule keeps (`lpuir.perf.critical`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lpuir.diagnostics import LpuError
from lpuir.dialects import lpu
from lpuir.machine import SystemSpec
from lpuir.perf.account import (
    BYTE_KINDS,
    UNIT_KINDS,
    Work,
    account,
    kind_busy,
    program_cycles,
    union_length,
    unit_busy,
)
from lpuir.perf.critical import DEPENDENCES, Constraints, Element

ROOFLINE_TERMS = ("MXM", "install", "SRAM", "streams", "VXM", "SXM", "links")
"""The roofline of an op, each a lower bound on its cycles over the chips it
runs on: its MACs over the MXM planes, weight bytes over the install rate,
SRAM bytes over the slices' ports, stream bytes over the streams, vector
operations over the VXM ALUs and the SXMs, vectors over its chips' links."""


@dataclass
class OpPerf:
    """One tensor op's share of the program."""

    key: str
    """Its location (`file:line:col`), which every instruction it became carries."""
    name: str
    """The op (`tosa.matmul`), read from its source where the source is at
    hand; else empty."""
    first: int
    """The cycle its first instruction issues."""
    last: int
    """The last cycle any of its instructions acts."""
    held: int
    """The last cycle it holds a unit (a link stays busy after its send acts)."""
    chips: dict[int, tuple[int, int]]
    """(first, last) on each chip it runs on."""
    instructions: int
    unit_cycles: dict[str, int]
    """Cycles it holds each kind of unit (UNIT_KINDS), summed over instances."""
    chip_unit_cycles: dict[int, dict[str, int]]
    moved: dict[str, int]
    """Bytes by kind (lpuir.perf.account.BYTE_KINDS)."""
    macs: int
    roofline: dict[str, float]
    """Each roofline term (ROOFLINE_TERMS) in cycles."""
    critical: int = 0
    """Cycles of the critical path spent in it."""
    slack: int = 0
    """Cycles all of it could issue later without lengthening the program."""
    limit: str = ""
    """What held it up: on the critical path, the dependence or resource its
    path cycles were mostly spent on; else its busiest unit."""

    @property
    def cycles(self) -> int:
        """From its first issue to its last act or held unit."""
        return max(self.last, self.held) - self.first + 1

    @property
    def bound(self) -> str:
        """The roofline term that bounds it."""
        return max(self.roofline, key=lambda k: self.roofline[k])

    @property
    def ratio(self) -> float:
        """Its cycles over its roofline (1: at the machine's peak)."""
        best = self.roofline[self.bound]
        return self.cycles / best if best > 0 else float("inf")

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.name,
            "location": self.key,
            "first": self.first,
            "last": self.last,
            "held": self.held,
            "cycles": self.cycles,
            "critical_cycles": self.critical,
            "slack": self.slack,
            "chips": {str(c): list(span) for c, span in sorted(self.chips.items())},
            "instructions": self.instructions,
            "unit_cycles": self.unit_cycles,
            "chip_unit_cycles": {
                str(c): v for c, v in sorted(self.chip_unit_cycles.items())
            },
            "bytes": self.moved,
            "macs": self.macs,
            "roofline": self.roofline,
            "bound": self.bound,
            "ratio": self.ratio,
            "limit": self.limit,
        }


@dataclass
class Bubble:
    """A chip waiting for its input: from `start` to `end` it idles for
    `waiting` cycles (in one stretch, or between the vectors of one op's
    receives) until vectors from chip `sender` let op `op` go on."""

    chip: int
    start: int
    end: int
    waiting: int
    op: str
    sender: int


@dataclass
class PerfReport:
    """The static performance report of one scheduled system."""

    machine: SystemSpec
    cycles: int
    """The program's cycle count by the timing law (= the static count)."""
    chip_cycles: dict[int, int]
    ops: list[OpPerf]
    """Sorted by cycles on the critical path, then by cycles."""
    path: list[Element]
    unit_busy: dict[str, int]
    """Busy cycles of each unit instance (`chip0/MXM.W.0`) and MEM port
    (`chip0/MEM.W4 read port`)."""
    kind_busy: dict[str, int]
    """Busy resource-cycles per unit kind, summed over all chips."""
    capacity: dict[int, dict[str, int]]
    """Instances of each unit kind on each chip (MXM planes serve installs
    and matmuls alike)."""
    links: dict[str, dict[str, int]]
    """Per link direction (`chip0/C2C.port2`): busy cycles and bytes."""
    bubbles: list[Bubble]
    works: list[Work] = field(repr=False, default_factory=list)

    @property
    def by_key(self) -> dict[str, OpPerf]:
        return {op.key: op for op in self.ops}

    def utilisation(self) -> dict[int, dict[str, float]]:
        """Each chip's busy share of each unit kind over the program."""
        busy: dict[int, dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(UNIT_KINDS, 0)
        )
        for op in self.ops:
            for chip, cycles in op.chip_unit_cycles.items():
                for kind, n in cycles.items():
                    busy[chip][kind] += n
        return {
            chip: {
                kind: n / (self.capacity[chip][_capacity_kind(kind)] * self.cycles)
                if self.capacity[chip][_capacity_kind(kind)]
                else 0.0
                for kind, n in kinds.items()
            }
            for chip, kinds in sorted(busy.items())
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "cycles": self.cycles,
            "latency_us": self.cycles / self.machine.chip.clock_mhz,
            "chip_cycles": {str(c): n for c, n in self.chip_cycles.items()},
            "unit_busy": self.kind_busy,
            "unit_busy_by_instance": self.unit_busy,
            "utilisation": {str(c): u for c, u in self.utilisation().items()},
            "links": self.links,
            "ops": [op.to_json() for op in self.ops],
            "critical_path": [
                {
                    "what": e.what,
                    "location": e.op,
                    "cycles": e.cycles,
                    **(
                        {"from": _describe(self.works[e.src])}
                        if e.src is not None
                        else {}
                    ),
                    **(
                        {"to": _describe(self.works[e.dst])}
                        if e.dst is not None
                        else {}
                    ),
                }
                for e in self.path
            ],
            "bubbles": [vars(b) for b in self.bubbles],
        }

    def table(self, rows: int | None = 20) -> str:
        """The ops as a text table, sorted by cycles on the critical path:
        op, location, cycles on the path, share of the program, its own
        cycles, slack, roofline bound and ratio, what limited it."""
        head = [
            "op",
            "location",
            "path",
            "share",
            "cycles",
            "slack",
            "bound",
            "ratio",
            "limit",
        ]
        body = [
            [
                op.name or "-",
                op.key,
                str(op.critical),
                f"{100 * op.critical / self.cycles:.1f}%",
                str(op.cycles),
                str(op.slack),
                op.bound,
                f"{op.ratio:.1f}" if op.ratio != float("inf") else "-",
                op.limit,
            ]
            for op in self.ops[:rows]
        ]
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        lines = [
            "  ".join(
                c.rjust(w) if i in (2, 3, 4, 5, 7) else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
            for row in [head, *body]
        ]
        more = len(self.ops) - len(body)
        summary = f"{self.cycles} cycles ({self.cycles / self.machine.chip.clock_mhz:.2f} us) on {len(self.chip_cycles)} chip(s), {len(self.ops)} op(s)"
        return "\n".join(
            [summary, *lines] + ([f"... {more} more op(s)"] if more > 0 else [])
        )


def _capacity_kind(kind: str) -> str:
    return "MXM" if kind.startswith("MXM") else kind


def _describe(w: Work) -> str:
    return f"{w.op.name.removeprefix('lpu.')} on chip {w.chip} at cycle {w.cycle}"


def perf_report(
    system: lpu.SystemOp, sources: Mapping[str, str] | None = None
) -> PerfReport:
    """The report of a scheduled system; `sources` maps a location's file
    name to its text, to name each op (files named by the locations are read
    when they exist)."""
    machine = system.machine.spec
    works = account(system)
    if not works:
        raise LpuError(
            "the performance report needs a scheduled program with instructions"
        )
    chip_cycles = program_cycles(works, machine)
    cycles = max(chip_cycles.values())
    constraints = Constraints(system, works)
    path = constraints.critical_path()
    group_slack = constraints.slack()
    ops = _ops(works, machine, chip_cycles)
    names = _op_names(ops.keys(), sources or {})
    for key, op in ops.items():
        op.name = names.get(key, "")
    slack: dict[str, int] = {}
    for w in works:
        s = group_slack[int(constraints.group[w.index])]
        slack[w.key] = min(slack.get(w.key, s), s)
    on_path: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in path:
        on_path[e.op][e.what] += e.cycles
    for key, op in ops.items():
        op.slack = slack[key]
        spent = on_path.get(key)
        if spent:
            op.critical = sum(spent.values())
            op.limit = _limit(spent)
        else:
            op.limit = _busiest(op)
    ordered = sorted(ops.values(), key=lambda o: (-o.critical, -o.cycles, o.key))
    capacity = {
        chip: {
            "MXM": 2 * machine.chip.mxm_planes,
            "VXM": machine.chip.vxm_alus,
            "SXM": 2,
            "MEM read": len(machine.chip.mem_slices),
            "MEM write": len(machine.chip.mem_slices),
            "C2C link": len(machine.ports_of(chip)),
        }
        for chip in chip_cycles
    }
    return PerfReport(
        machine,
        cycles,
        chip_cycles,
        ordered,
        path,
        unit_busy(works),
        kind_busy(works),
        capacity,
        _links(works),
        _bubbles(works, constraints),
        works,
    )


def _ops(
    works: list[Work], machine: SystemSpec, chip_cycles: dict[int, int]
) -> dict[str, OpPerf]:
    by_key: dict[str, list[Work]] = defaultdict(list)
    for w in works:
        by_key[w.key].append(w)
    out = {}
    for key, ws in by_key.items():
        chips: dict[int, tuple[int, int]] = {}
        units: dict[int, dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(UNIT_KINDS, 0)
        )
        moved = dict.fromkeys(BYTE_KINDS, 0)
        peak: dict[str, float] = defaultdict(float)
        for w in ws:
            a, b = chips.get(w.chip, (w.cycle, w.end))
            chips[w.chip] = (min(a, w.cycle), max(b, w.end))
            for claim in w.claims:
                units[w.chip][claim.kind] += claim.end - claim.start
            for kind, n in w.moved.items():
                moved[kind] += n
            for term, cycles in w.peak.items():
                peak[term] += cycles
        n = len(chips)
        ports = sum(len(machine.ports_of(c)) for c in chips)
        peak["SRAM"] = max(peak.pop("SRAM read", 0.0), peak.pop("SRAM write", 0.0))
        roofline = {
            term: peak[term] / (max(1, ports) if term == "links" else n)
            for term in ROOFLINE_TERMS
        }
        total = dict.fromkeys(UNIT_KINDS, 0)
        for cycles in units.values():
            for kind, c in cycles.items():
                total[kind] += c
        out[key] = OpPerf(
            key,
            "",
            min(a for a, _ in chips.values()),
            max(b for _, b in chips.values()),
            max((c.end - 1 for w in ws for c in w.claims), default=-1),
            dict(sorted(chips.items())),
            len(ws),
            total,
            {c: dict(u) for c, u in sorted(units.items())},
            moved,
            sum(w.macs for w in ws),
            roofline,
        )
    return out


def _limit(spent: Mapping[str, int]) -> str:
    """The path element kind an op spent most path cycles on, named as a
    reader wants it (its own work, a dependence, a wait for a resource)."""
    what = max(spent, key=lambda k: spent[k])
    if what in ("acts", "stream", "chain"):
        return "latency"
    if what == "link":
        return "link latency"
    if what in ("idle", "start", *DEPENDENCES):
        return what
    return f"wait: {what}"


def _busiest(op: OpPerf) -> str:
    kind = max(op.unit_cycles, key=lambda k: op.unit_cycles[k])
    if op.unit_cycles[kind] == 0:
        return "-"
    return f"{kind} ({op.unit_cycles[kind]} unit-cycles)"


def _links(works: list[Work]) -> dict[str, dict[str, int]]:
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    moved: dict[str, int] = defaultdict(int)
    for w in works:
        for claim in w.claims:
            if claim.kind == "C2C link":
                name = f"chip{w.chip}/{claim.unit}"
                spans[name].append((claim.start, claim.end))
                moved[name] += w.moved.get("links", 0)
    return {
        name: {"busy": union_length(pieces), "bytes": moved[name]}
        for name, pieces in sorted(spans.items())
    }


def _bubbles(works: list[Work], constraints: Constraints) -> list[Bubble]:
    """Where a chip idles until a vector from another chip arrives: the gaps
    in its activity that end with a group holding a receive; gaps of one op
    waiting for one sender with nothing else between are one bubble."""
    receives: dict[int, int] = {}
    for w in works:
        if isinstance(w.op, lpu.RecvOp):
            receives[int(constraints.group[w.index])] = w.op.sender.data
    if not receives:
        return []
    by_chip: dict[int, list[Work]] = defaultdict(list)
    for w in works:
        by_chip[w.chip].append(w)
    found: list[Bubble] = []
    for chip, ws in sorted(by_chip.items()):
        ws.sort(key=lambda w: w.cycle)
        reach, others = 0, True
        for w in ws:
            g = int(constraints.group[w.index])
            sender = receives.get(g, chip)
            if w.cycle > reach and sender != chip:
                last = found[-1] if found else None
                if (
                    last is not None
                    and not others
                    and (last.chip, last.op, last.sender) == (chip, w.key, sender)
                ):
                    last.end, last.waiting = w.cycle, last.waiting + w.cycle - reach
                else:
                    found.append(
                        Bubble(chip, reach, w.cycle, w.cycle - reach, w.key, sender)
                    )
                others = False
            elif w.key != (found[-1].op if found else None):
                others = True
            reach = max(reach, w.end + 1)
    return found


_OP_NAME = re.compile(r'"?([a-z_][a-z0-9_]*\.[a-z0-9_.]+)')


def _op_names(keys: Any, sources: Mapping[str, str]) -> dict[str, str]:
    """Each location's op name, read at its line and column in its source."""
    texts: dict[str, list[str] | None] = {}
    out = {}
    for key in keys:
        m = re.match(r"(.*):(\d+):(\d+)(?: \((.*)\))?$", key)
        if m is None:
            continue
        path, line, col, name = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        if name:
            out[key] = name
            continue
        if path not in texts:
            text = sources.get(path)
            if text is None and Path(path).is_file():
                try:
                    text = Path(path).read_text()
                except (OSError, UnicodeDecodeError):
                    text = None
            texts[path] = text.split("\n") if text is not None else None
        lines = texts[path]
        if lines is None or not 0 < line <= len(lines):
            continue
        found = _OP_NAME.search(lines[line - 1], col - 1)
        if found is not None:
            out[key] = found.group(1)
    return out
