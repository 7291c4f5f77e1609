"""The static account of a scheduled program, instruction by instruction, and
its attribution to the tensor-level ops the instructions came from.

Every number comes from an instruction's own facts (`Instruction.footprint`
at the placement it states, its burst and operand types) and the timing law
(`lpuir.timing`): the cycles it holds each unit, port and link, when it acts,
the bytes it moves and the work it does. An instruction belongs to the tensor
op whose location it carries (lpu-vectorize gives every instruction its
op's); a hand-written `.lpu` instruction is an op of its own line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from lpuir import timing
from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu
from lpuir.machine import SystemSpec

UNIT_KINDS = (
    "MXM install",
    "MXM matmul",
    "VXM",
    "SXM",
    "MEM read",
    "MEM write",
    "C2C link",
)
"""The kinds of unit an op holds, as the report counts them: the MXM planes
(installing weights or multiplying), the VXM ALUs, the SXMs, the read and
write ports of the MEM slices, and the sending side of the links."""

BYTE_KINDS = ("SRAM read", "SRAM write", "weights", "streams", "links")
"""What an op's bytes moved are counted by: out of SRAM, into SRAM, into MXM
planes (installs), onto streams (every result put on a stream), onto links
(every vector sent or forwarded, as flits)."""


@dataclass(frozen=True)
class Claim:
    """A unit instance (`unit`, the simulator's name: `MEM.W4`, `MXM.W.0`,
    `VXM.alu3`, `SXM.E`, `C2C.port2`) whose `resource` (a MEM slice's read or
    write port; else the unit itself) an instruction holds in [start, end)."""

    unit: str
    resource: str
    kind: str
    start: int
    end: int


@dataclass(eq=False)
class Work:
    """One scheduled instruction's static account."""

    index: int
    op: lpu.Instruction
    chip: int
    key: str
    """The tensor op it came from: its location."""
    cycle: int
    burst: int
    footprint: lpu.Footprint
    delay: int
    end: int
    """The last cycle at which it acts (a forward: when it puts the vector on
    its out link)."""
    claims: list[Claim] = field(default_factory=list)
    moved: dict[str, int] = field(default_factory=dict)
    """Bytes by BYTE_KINDS."""
    macs: int = 0
    peak: dict[str, float] = field(default_factory=dict)
    """Cycles its work takes at one chip's peak rate, per roofline term (the
    links: at one link's; SRAM reads and writes apart, each port has its own)."""


def instruction_kind(op: lpu.Instruction) -> str | None:
    """The unit kind (of UNIT_KINDS) an instruction's footprint holds."""
    if isinstance(op, lpu.MemOp):
        return f"MEM {op.PORT}"
    if isinstance(op, lpu.InstallOp):
        return "MXM install"
    if isinstance(op, lpu.MxmOp):
        return "MXM matmul"
    return op.UNIT if op.UNIT in ("VXM", "SXM") else None


def account(system: lpu.SystemOp) -> list[Work]:
    """Every scheduled instruction's account, chip by chip in program order."""
    machine = system.machine.spec
    works: list[Work] = []
    for chip in sorted(system.chips, key=lambda c: c.chip_id):
        for op in chip.instructions():
            if op.cycle is None:
                raise LpuError(
                    f"{op_location(op)}: error: the performance report reads scheduled programs; this instruction has no cycle"
                )
            works.append(_work(len(works), op, chip.chip_id, machine))
    if any(isinstance(w.op, lpu.ForwardOp) for w in works):
        _forward_bytes(works, system)
    return works


def _work(index: int, op: lpu.Instruction, chip: int, machine: SystemSpec) -> Work:
    from lpuir.interpreter.simulator import flit_bytes

    spec = machine.chip
    c, n = op.cycle.data, max(1, op.burst)  # type: ignore[union-attr]
    place = op.place()
    footprint = op.footprint(spec, place)
    delay = footprint.delay
    if op.KIND == "deskew":
        delay = timing.deskew_delay(c, machine.epoch)
    end = timing.last_act(c, n, delay)
    work = Work(index, op, chip, op_location(op), c, n, footprint, delay, end)
    kind = instruction_kind(op)
    if kind is not None:
        work.claims = [
            Claim(unit, resource, kind, c, c + n) for unit, resource in footprint.holds
        ]
    lanes = spec.lanes
    result = op.results[0].type if op.results else None
    if isinstance(result, lpu.VectorType) and getattr(op, "dst", None) is not None:
        work.moved["streams"] = n * lanes * lpu.element_bytes(result.element)
        work.peak["streams"] = work.moved["streams"] / (2 * spec.streams * lanes)
    if isinstance(op, lpu.MemOp):
        element = op.tensor_op().element
        moved = n * lanes * lpu.element_bytes(element)
        work.moved[f"SRAM {op.PORT}"] = moved
        work.peak[f"SRAM {op.PORT}"] = moved / (len(spec.mem_slices) * lanes)
    elif isinstance(op, lpu.InstallOp):
        element = op.result.type.element  # type: ignore[attr-defined]
        rows = sum(v.type.n for v in op.rows)  # type: ignore[attr-defined]
        work.moved["weights"] = rows * lanes * lpu.element_bytes(element)
        work.peak["install"] = work.moved["weights"] / (
            spec.mxm_install_rows_per_cycle * lanes
        )
    elif isinstance(op, lpu.MatmulOp):
        install = op.weights.owner
        element = op.weights.type.element  # type: ignore[attr-defined]
        rows = (
            sum(v.type.n for v in install.rows)  # type: ignore[attr-defined]
            if isinstance(install, lpu.InstallOp)
            else spec.mxm_k(element)
        )
        work.macs = n * rows * lanes
        work.peak["MXM"] = work.macs / (
            2 * spec.mxm_planes * spec.mxm_k(element) * lanes
        )
    elif op.UNIT == "VXM":
        work.peak["VXM"] = n / spec.vxm_alus
    elif op.UNIT == "SXM":
        work.peak["SXM"] = n / 2
    elif op.KIND in ("send", "forward"):
        port = place.port if op.KIND == "send" else op.out_port.data  # type: ignore[attr-defined]
        depart = c if op.KIND == "send" else timing.forward_departure(c, spec)
        link = machine.link_at(chip, port)  # type: ignore[arg-type]
        assert link is not None, "a verified program's ports have links"
        unit = f"C2C.port{port}"
        free = timing.link_free(depart, link)
        work.claims = [Claim(unit, unit, "C2C link", depart, free)]
        work.peak["links"] = free - depart
        if isinstance(op, lpu.SendOp):
            element = op.value.type.element  # type: ignore[attr-defined]
            work.moved["links"] = flit_bytes(element, lanes)
    return work


def _forward_bytes(works: list[Work], system: lpu.SystemOp) -> None:
    """A forward's link bytes: those of the send whose vector it forwards
    (followed along each route)."""
    from lpuir.interpreter.simulator import flit_bytes

    by_op = {id(w.op): w for w in works}
    lanes = system.machine.spec.chip.lanes
    for _, send, path in lpu.routes(system):
        element = send.value.type.element  # type: ignore[attr-defined]
        for _, taker in path:
            if isinstance(taker, lpu.ForwardOp):
                by_op[id(taker)].moved["links"] = flit_bytes(element, lanes)


def program_cycles(works: list[Work], machine: SystemSpec) -> dict[int, int]:
    """Each chip's cycle count by the program-length rule (timing law)."""
    last: dict[int, int] = defaultdict(lambda: -1)
    for w in works:
        last[w.chip] = max(last[w.chip], w.end)
    return {
        chip: timing.program_length(end, machine.chip)
        for chip, end in sorted(last.items())
    }


def merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of half-open intervals, as disjoint intervals in order."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def union_length(spans: list[tuple[int, int]]) -> int:
    """Cycles covered by half-open intervals [start, end)."""
    return sum(b - a for a, b in merged(spans))


def unit_busy(works: list[Work]) -> dict[str, int]:
    """Cycles each unit instance (`chip0/MXM.W.0`; a MEM slice: a cycle in
    which either port is busy) and each resource (`chip0/MEM.W4 read port`)
    is busy: the union of the intervals its instructions hold it."""
    units: dict[str, list[tuple[int, int]]] = defaultdict(list)
    resources: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for w in works:
        for claim in w.claims:
            units[f"chip{w.chip}/{claim.unit}"].append((claim.start, claim.end))
            if claim.resource != claim.unit:
                resources[f"chip{w.chip}/{claim.resource}"].append(
                    (claim.start, claim.end)
                )
    return {
        name: union_length(pieces)
        for name, pieces in sorted({**units, **resources}.items())
    }


def kind_busy(works: list[Work]) -> dict[str, int]:
    """Busy resource-cycles per unit kind over the whole program: for each
    resource, the union of its intervals, summed over resources."""
    pieces: dict[tuple[str, int, str], list[tuple[int, int]]] = defaultdict(list)
    for w in works:
        for claim in w.claims:
            pieces[(claim.kind, w.chip, claim.resource)].append(
                (claim.start, claim.end)
            )
    totals = dict.fromkeys(UNIT_KINDS, 0)
    for (kind, _, _), spans in pieces.items():
        totals[kind] += union_length(spans)
    return totals
