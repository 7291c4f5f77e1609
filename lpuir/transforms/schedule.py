"""lpu-schedule: logical LPU programs to scheduled ones, with a static cycle count.

The logical program's vectors flow from MEM reads through VXM/SXM/MXM ops to
MEM writes; the values that travel on streams (or VXM chains) tie those
instructions into *groups*. Inside a group every timing offset is fixed by
the timing law (a consumer issues exactly when its operand passes it), so a
group is a rigid template; the scheduler places each group, in program order,
at the earliest start at which every resource it needs is free:

- functional units (VXM ALUs, the SXM of a hemisphere, MXM planes, the read
  and write port of every MEM slice, banks) as busy intervals;
- streams as segments of the stream law's diagonals: a value put on stream
  (s, d) at position p at cycle t occupies the slots from p to its farthest
  consumer on the diagonals t -/+ p of its burst, and no other value may be
  put into them;
- SRAM dependences per vector (a read after the write it needs is visible, a
  write after the reads of the old value), MXM weights (usable after their
  install, a plane reinstalled only when its weights are no longer needed)
  and accumulators (`acc` is the previous matmul on the same plane).

docs/dialect.md states the rules; `lpu-verify-schedule` and the simulator check
them independently of this code.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.passes import ModulePass

from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu
from lpuir.dialects.lpu import element_bytes
from lpuir.machine import ChipSpec

SEARCH_LIMIT = 1 << 22
"""Start cycles tried for one group before giving up (a scheduler bug guard)."""


class IntraGroupConflict(Exception):
    """Two instructions of one group need one resource at the same time; their
    distance is fixed by the timing law, so no start cycle can help."""

    def __init__(self, key: tuple):
        super().__init__(key)
        self.key = key


class IntervalSet:
    """Disjoint busy intervals [start, end) of one resource, sorted."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def conflict(self, start: int, end: int) -> int | None:
        """End of an interval overlapping [start, end), if any."""
        i = bisect_right(self.starts, start) - 1
        if i >= 0 and self.ends[i] > start:
            return self.ends[i]
        j = i + 1
        if j < len(self.starts) and self.starts[j] < end:
            return self.ends[j]
        return None

    def add(self, start: int, end: int) -> None:
        i = bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


@dataclass(frozen=True, order=True)
class Segment:
    """Slots a value holds on one stream: diagonals [d0, d1) x positions [p0, p1]."""

    d0: int
    d1: int
    p0: int
    p1: int

    def overlaps(self, other: Segment) -> bool:
        return (
            self.d0 < other.d1
            and other.d0 < self.d1
            and self.p0 <= other.p1
            and other.p0 <= self.p1
        )


class SegmentSet:
    """The segments of one stream, sorted by first diagonal, so a query looks
    only at those that can reach it (bounded by the longest burst)."""

    def __init__(self) -> None:
        self.items: list[Segment] = []
        self.longest = 0

    def conflict(self, seg: Segment) -> bool:
        i = bisect_left(
            self.items, Segment(seg.d0 - self.longest, -1 << 62, -1 << 62, -1 << 62)
        )
        for other in self.items[i:]:
            if other.d0 >= seg.d1:
                return False
            if seg.overlaps(other):
                return True
        return False

    def add(self, seg: Segment) -> None:
        insort(self.items, seg)
        self.longest = max(self.longest, seg.d1 - seg.d0)


@dataclass
class Node:
    """One instruction of a group: where it acts and when, relative to the group."""

    op: lpu.Instruction
    pos: int = 0
    rel: int = 0
    alu: int | None = None
    hemisphere: str = "W"


@dataclass
class Edge:
    """A vector travelling from producer to consumers on a stream or a chain."""

    value: SSAValue
    producer: Node
    consumers: list[Node]
    chained: bool
    direction: str = "E"
    stream: int | None = None


@dataclass
class Group:
    nodes: list[Node]
    edges: list[Edge]
    order: int


@dataclass
class ChipState:
    """Everything scheduled so far on one chip."""

    spec: ChipSpec
    units: dict[tuple, IntervalSet] = field(
        default_factory=lambda: defaultdict(IntervalSet)
    )
    streams: dict[tuple[str, int], SegmentSet] = field(
        default_factory=lambda: defaultdict(SegmentSet)
    )
    visible: dict[str, np.ndarray] = field(default_factory=dict)
    last_read: dict[str, np.ndarray] = field(default_factory=dict)
    weights_ready: dict[SSAValue, int] = field(default_factory=dict)
    weights_plane: dict[SSAValue, tuple[str, int]] = field(default_factory=dict)
    pending_uses: dict[SSAValue, int] = field(default_factory=dict)
    plane_weights: dict[tuple[str, int], SSAValue] = field(default_factory=dict)
    plane_free: dict[tuple[str, int], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    plane_last_matmul: dict[tuple[str, int], lpu.MatmulOp] = field(default_factory=dict)
    last_act: int = -1


def build_groups(chip: lpu.ChipOp) -> list[Group]:
    """Tie instructions that share stream-borne vectors into groups, in order
    of each group's last instruction (a valid order for their dependences)."""
    instrs = list(chip.instructions())
    index = {op: i for i, op in enumerate(instrs)}
    parent = list(range(len(instrs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    edges: list[tuple[SSAValue, lpu.Instruction, list[lpu.Instruction]]] = []
    for op in instrs:
        for result in op.results:
            if not isinstance(result.type, lpu.VectorType):
                continue
            users = [
                u.operation
                for u in result.uses
                if isinstance(u.operation, lpu.Instruction)
                and result in u.operation.stream_operands()
            ]
            if users:
                edges.append((result, op, list(dict.fromkeys(users))))
                for user in users:
                    parent[find(index[user])] = find(index[op])
    nodes = {op: Node(op) for op in instrs}
    members: dict[int, list[Node]] = defaultdict(list)
    for op in instrs:
        members[find(index[op])].append(nodes[op])
    group_edges: dict[int, list[Edge]] = defaultdict(list)
    for value, producer, users in edges:
        chained = (
            isinstance(producer, lpu.VxmOp)
            and all(isinstance(u, lpu.VxmOp) for u in users)
            and len(users) == 1
        )
        group_edges[find(index[producer])].append(
            Edge(value, nodes[producer], [nodes[u] for u in users], chained)
        )
    groups = [
        Group(ns, group_edges[root], max(index[n.op] for n in ns))
        for root, ns in members.items()
    ]
    return sorted(groups, key=lambda g: g.order)


class ChipScheduler:
    """Schedules the groups of one chip, one after the other."""

    def __init__(self, chip: lpu.ChipOp, spec: ChipSpec):
        self.chip = chip
        self.spec = spec
        self.state = ChipState(spec)
        for t in chip.tensors():
            count = t.vector_count(spec.lanes)
            self.state.visible[t.sym_name.data] = np.zeros(count, dtype=np.int64)
            self.state.last_read[t.sym_name.data] = np.full(count, -1, dtype=np.int64)
        for op in chip.instructions():
            if isinstance(op, lpu.InstallOp):
                self.state.pending_uses[op.result] = sum(
                    1 for u in op.result.uses if isinstance(u.operation, lpu.MatmulOp)
                )

    # ------------------------------------------------------------- templates

    def position(self, node: Node, plane: tuple[str, int] | None) -> int:
        op, spec = node.op, self.spec
        if isinstance(op, lpu.MemOp):
            assert op.tensor_op().slice is not None, (
                "lpu-allocate-sram places tensors first"
            )
            return spec.mem_slices[
                op.tensor_op().plane_slices(spec, op.slice_group(spec))[0]
            ]
        if isinstance(op, lpu.VxmOp):
            return spec.vxm_position
        if isinstance(op, lpu.SxmOp):
            return spec.unit_position("SXM", node.hemisphere)  # type: ignore[arg-type]
        if isinstance(op, lpu.MxmOp):
            assert plane is not None
            return spec.unit_position("MXM", plane[0])  # type: ignore[arg-type]
        raise LpuError(
            f"{op_location(op)}: error: lpu-schedule cannot place '{op.name}' on one chip yet"
        )

    def template(self, group: Group, plane: tuple[str, int] | None) -> None:
        """Positions, directions and relative cycles of a group (normalised so
        the earliest instruction is at 0)."""
        for node in group.nodes:
            node.pos = self.position(node, plane)
        adjacency: dict[int, list[tuple[int, int]]] = defaultdict(list)
        ids = {id(n): n for n in group.nodes}
        for edge in group.edges:
            u = edge.producer
            delay = u.op.result_delay(self.spec)
            if edge.chained:
                offsets = [(c, delay) for c in edge.consumers]
            else:
                sides = {(c.pos > u.pos) - (c.pos < u.pos) for c in edge.consumers} - {
                    0
                }
                if len(sides) > 1:
                    raise LpuError(
                        f"{op_location(u.op)}: error: lpu-schedule: the result goes to consumers on both sides of position {u.pos}, but an instruction puts it on one stream"
                    )
                edge.direction = "W" if sides == {-1} else "E"
                offsets = [(c, delay + abs(c.pos - u.pos)) for c in edge.consumers]
            for c, off in offsets:
                adjacency[id(u)].append((id(c), off))
                adjacency[id(c)].append((id(u), -off))
        rel: dict[int, int] = {}
        for start in group.nodes:
            if id(start) in rel:
                continue
            rel[id(start)] = 0
            todo = [id(start)]
            while todo:
                k = todo.pop()
                for other, off in adjacency[k]:
                    want = rel[k] + off
                    if other not in rel:
                        rel[other] = want
                        todo.append(other)
                    elif rel[other] != want:
                        raise LpuError(
                            f"{op_location(ids[other].op)}: error: lpu-schedule: this instruction's operands cannot all arrive in the same cycle (reconvergent stream dataflow); route one of them through SRAM"
                        )
        low = min(rel.values())
        for node in group.nodes:
            node.rel = rel[id(node)] - low

    # ------------------------------------------------------------ dependences

    def earliest(self, group: Group) -> int:
        """Lower bound on the group's start from SRAM, weights and accumulators."""
        bound = 0
        dw = self.spec.delay("write")
        for node in group.nodes:
            op = node.op
            if isinstance(op, lpu.ReadOp | lpu.GatherOp | lpu.WriteOp | lpu.ScatterOp):
                name = op.tensor.root_reference.data
                indices = (
                    np.array(list(op.vector_indices()))
                    if isinstance(op, lpu.ReadOp | lpu.WriteOp)
                    else np.arange(len(self.state.visible[name]))
                )
                k = (
                    np.arange(len(indices))
                    if isinstance(op, lpu.ReadOp | lpu.WriteOp)
                    else np.zeros(len(indices), dtype=np.int64)
                )
                if isinstance(op, lpu.ReadOp | lpu.GatherOp):
                    need = int(np.max(self.state.visible[name][indices] - k))
                else:
                    need = int(
                        np.max(
                            np.maximum(
                                self.state.last_read[name][indices] - dw + 1,
                                self.state.visible[name][indices] - dw,
                            )
                            - k
                        )
                    )
                bound = max(bound, need - node.rel)
            if isinstance(op, lpu.MatmulOp):
                bound = max(bound, self.state.weights_ready[op.weights] - node.rel)
        return max(bound, 0)

    # ------------------------------------------------------------- resources

    def unit_claims(
        self, node: Node, start: int, plane: tuple[str, int] | None
    ) -> list[tuple[tuple, int, int]] | None:
        """(resource, from, to) intervals a node needs; None leaves the ALU open."""
        op, c = node.op, start + node.rel
        n = max(1, op.burst)
        if isinstance(op, lpu.MemOp):
            tensor = op.tensor_op()
            port = "read" if isinstance(op, lpu.ReadOp | lpu.GatherOp) else "write"
            first = (
                op.vector_indices().start
                if isinstance(op, lpu.ReadOp | lpu.WriteOp)
                else 0
            )
            group, address = tensor.locate(first, self.spec)
            bank = self.spec.bank(address)
            claims = []
            for name in tensor.plane_slices(self.spec, group):
                claims.append((("port", name, port), c, c + n))
                claims.append((("bank", name, bank, port), c, c + n))
            return claims
        if isinstance(op, lpu.SxmOp):
            return [(("sxm", node.hemisphere), c, c + n)]
        if isinstance(op, lpu.InstallOp):
            rows = max(v.type.n for v in op.rows)  # type: ignore[attr-defined]
            return [(("plane", *plane), c, c + rows)]  # type: ignore[misc]
        if isinstance(op, lpu.MatmulOp):
            return [(("plane", *plane), c, c + n)]  # type: ignore[misc]
        return []

    def fits_units(self, claims: Iterable[tuple[tuple, int, int]]) -> int | None:
        """None if every claim is free (of what is scheduled and of the group's
        other claims), else a hint how far to move."""
        own: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
        for key, lo, hi in claims:
            against = (
                (*key[:3], "write" if key[3] == "read" else "read")
                if key[0] == "bank"
                else key
            )
            end = self.state.units[against].conflict(lo, hi)
            if end is not None:
                return max(1, end - lo)
            if any(a < hi and lo < b for a, b in own[against]):
                raise IntraGroupConflict(key)
            own[key].append((lo, hi))
        return None

    def pick_alus(self, group: Group, start: int) -> dict[int, int] | None:
        """An ALU for every VXM node, free for its burst."""
        taken: dict[int, list[tuple[int, int]]] = defaultdict(list)
        chosen: dict[int, int] = {}
        for node in group.nodes:
            if not isinstance(node.op, lpu.VxmOp):
                continue
            c, n = start + node.rel, max(1, node.op.burst)
            for alu in range(self.spec.vxm_alus):
                busy = self.state.units[("alu", alu)].conflict(c, c + n) is not None
                if not busy and all(hi <= c or c + n <= lo for lo, hi in taken[alu]):
                    chosen[id(node)] = alu
                    taken[alu].append((c, c + n))
                    break
            else:
                return None
        return chosen

    def segment(self, edge: Edge, start: int) -> Segment:
        u = edge.producer
        t = start + u.rel + u.op.result_delay(self.spec)
        n = max(1, u.op.burst)
        far = max((c.pos for c in edge.consumers), key=lambda p: abs(p - u.pos))
        diag = t - u.pos if edge.direction == "E" else t + u.pos
        return Segment(diag, diag + n, min(u.pos, far), max(u.pos, far))

    def pick_streams(
        self, group: Group, start: int
    ) -> dict[int, tuple[int, Segment]] | None:
        chosen: dict[int, tuple[int, Segment]] = {}
        extra: dict[tuple[str, int], list[Segment]] = defaultdict(list)
        for i, edge in enumerate(group.edges):
            if edge.chained:
                continue
            seg = self.segment(edge, start)
            width = element_bytes(edge.value.type.element)  # type: ignore[attr-defined]
            for s in range(0, self.spec.streams - width + 1):
                keys = [(edge.direction, s + j) for j in range(width)]
                if all(
                    not self.state.streams[k].conflict(seg)
                    and not any(seg.overlaps(o) for o in extra[k])
                    for k in keys
                ):
                    chosen[i] = (s, seg)
                    for k in keys:
                        extra[k].append(seg)
                    break
            else:
                return None
        return chosen

    # ----------------------------------------------------------- placement

    def plane_options(self, group: Group) -> list[tuple[str, int] | None]:
        install = next(
            (n.op for n in group.nodes if isinstance(n.op, lpu.InstallOp)), None
        )
        matmul = next(
            (n.op for n in group.nodes if isinstance(n.op, lpu.MatmulOp)), None
        )
        if matmul is not None:
            return [self.state.weights_plane[matmul.weights]]
        if install is None:
            return [None]
        for use in install.result.uses:
            user = use.operation
            if (
                isinstance(user, lpu.MatmulOp)
                and user.acc is not None
                and isinstance(user.acc.owner, lpu.MatmulOp)
            ):
                return [self.state.weights_plane[user.acc.owner.weights]]
        planes = [(h, p) for p in range(self.spec.mxm_planes) for h in ("W", "E")]
        free = [
            pl
            for pl in planes
            if self.state.pending_uses.get(self.state.plane_weights.get(pl), 0) == 0
        ]  # type: ignore[arg-type]
        if not free:
            raise LpuError(
                f"{op_location(install)}: error: lpu-schedule: every MXM plane still holds weights that later matmuls need"
            )
        return sorted(free, key=lambda pl: self.state.plane_free[pl])

    def sxm_assignments(
        self, group: Group, plane: tuple[str, int] | None
    ) -> list[dict[int, str]]:
        """Hemispheres for the group's SXM instructions: west unless another of
        them needs the west SXM at the same time; and the mirror image."""
        sxm = [n for n in group.nodes if isinstance(n.op, lpu.SxmOp)]
        if not sxm:
            return [{}]
        for _ in range(len(sxm) + 1):
            self.template(group, plane)
            busy: dict[str, list[tuple[int, int]]] = {"W": [], "E": []}
            changed = False
            for node in sorted(sxm, key=lambda n: n.rel):
                span = (node.rel, node.rel + max(1, node.op.burst))
                side = next(
                    (
                        h
                        for h in (
                            node.hemisphere,
                            "E" if node.hemisphere == "W" else "W",
                        )
                        if all(b <= span[0] or span[1] <= a for a, b in busy[h])
                    ),
                    node.hemisphere,
                )
                changed |= side != node.hemisphere
                node.hemisphere = side
                busy[side].append(span)
            if not changed:
                break
        chosen = {id(n): n.hemisphere for n in sxm}
        return [chosen, {k: ("E" if h == "W" else "W") for k, h in chosen.items()}]

    def schedule_group(self, group: Group) -> None:
        best: tuple[int, dict[int, str], tuple[str, int] | None] | None = None
        for plane in self.plane_options(group):
            for sides in self.sxm_assignments(group, plane):
                for node in group.nodes:
                    node.hemisphere = sides.get(id(node), "W")
                self.template(group, plane)
                start = self.search(group, plane, dry=True)
                if best is None or start < best[0]:
                    best = (start, sides, plane)
        assert best is not None
        start, sides, plane = best
        for node in group.nodes:
            node.hemisphere = sides.get(id(node), "W")
        self.template(group, plane)
        self.search(group, plane, dry=False, first=start)

    def search(
        self,
        group: Group,
        plane: tuple[str, int] | None,
        *,
        dry: bool,
        first: int | None = None,
    ) -> int:
        start = self.earliest(group) if first is None else first
        if plane is not None and any(
            isinstance(n.op, lpu.InstallOp) for n in group.nodes
        ):
            start = max(
                start,
                self.state.plane_free[plane]
                - min(n.rel for n in group.nodes if isinstance(n.op, lpu.InstallOp)),
            )
        for _ in range(SEARCH_LIMIT):
            claims = [
                c
                for n in group.nodes
                for c in (self.unit_claims(n, start, plane) or [])
            ]
            try:
                move = self.fits_units(claims)
            except IntraGroupConflict as e:
                where = " ".join(str(k) for k in e.key)
                raise LpuError(
                    f"{op_location(group.nodes[-1].op)}: error: lpu-schedule: two instructions of this group need {where} in the same cycles, and the streams that join them fix their distance; read the operands from different slices or split the group through SRAM"
                ) from None
            if move is None:
                alus = self.pick_alus(group, start)
                streams = self.pick_streams(group, start) if alus is not None else None
                if alus is not None and streams is not None:
                    if not dry:
                        self.commit(group, start, plane, claims, alus, streams)
                    return start
                move = 1
            start += move
        raise LpuError(
            f"{op_location(group.nodes[0].op)}: error: lpu-schedule found no free slot for this instruction group"
        )

    def commit(
        self,
        group: Group,
        start: int,
        plane: tuple[str, int] | None,
        claims: list[tuple[tuple, int, int]],
        alus: dict[int, int],
        streams: dict[int, tuple[int, Segment]],
    ) -> None:
        st, spec = self.state, self.spec
        for key, lo, hi in claims:
            st.units[key].add(lo, hi)
        for node in group.nodes:
            op, c = node.op, start + node.rel
            op.properties["cycle"] = IntAttr(c)
            n = max(1, op.burst)
            if id(node) in alus:
                node.alu = alus[id(node)]
                op.properties["alu"] = IntAttr(node.alu)
                st.units[("alu", node.alu)].add(c, c + n)
            if isinstance(op, lpu.SxmOp):
                op.properties["hemisphere"] = StringAttr(node.hemisphere)
            if isinstance(op, lpu.MxmOp):
                assert plane is not None
                op.properties["hemisphere"] = StringAttr(plane[0])
                op.properties["plane"] = IntAttr(plane[1])
            st.last_act = max(st.last_act, c + n - 1 + op.result_delay(spec))
            self.update_memory(op, c)
            self.update_mxm(op, c, plane)
        sources: dict[tuple[int, SSAValue], Attribute] = {}
        for i, edge in enumerate(group.edges):
            if edge.chained:
                alu = edge.producer.alu
                assert alu is not None
                for consumer in edge.consumers:
                    sources[(id(consumer.op), edge.value)] = lpu.AluAttr(alu)
                continue
            s, seg = streams[i]
            stream = lpu.StreamAttr((s, edge.direction))
            edge.producer.op.properties["dst"] = stream
            for j in range(element_bytes(edge.value.type.element)):  # type: ignore[attr-defined]
                st.streams[(edge.direction, s + j)].add(seg)
            for consumer in edge.consumers:
                sources[(id(consumer.op), edge.value)] = stream
        for node in group.nodes:
            operands = node.op.stream_operands()
            if operands:
                node.op.properties["srcs"] = ArrayAttr(
                    [sources[(id(node.op), v)] for v in operands]
                )

    def update_memory(self, op: lpu.Instruction, c: int) -> None:
        if not isinstance(op, lpu.MemOp):
            return
        name = op.tensor.root_reference.data
        spec = self.spec
        if isinstance(op, lpu.ReadOp | lpu.WriteOp):
            indices = np.array(list(op.vector_indices()))
            times = c + np.arange(len(indices))
        else:
            indices = np.arange(len(self.state.visible[name]))
            times = np.full(len(indices), c + max(1, op.burst) - 1)
        if isinstance(op, lpu.ReadOp | lpu.GatherOp):
            np.maximum.at(self.state.last_read[name], indices, times)
        else:
            np.maximum.at(
                self.state.visible[name], indices, times + op.result_delay(spec)
            )

    def update_mxm(
        self, op: lpu.Instruction, c: int, plane: tuple[str, int] | None
    ) -> None:
        st = self.state
        if isinstance(op, lpu.InstallOp):
            assert plane is not None
            rows = max(v.type.n for v in op.rows)  # type: ignore[attr-defined]
            st.weights_ready[op.result] = c + rows + op.result_delay(self.spec)
            st.weights_plane[op.result] = plane
            st.plane_weights[plane] = op.result
            st.plane_free[plane] = max(st.plane_free[plane], c + rows)
        elif isinstance(op, lpu.MatmulOp):
            assert plane is not None
            previous = st.plane_last_matmul.get(plane)
            if op.acc is not None and op.acc.owner is not previous:
                raise LpuError(
                    f"{op_location(op)}: error: lpu-schedule: the accumulator this matmul adds to is no longer in plane {plane[0]}.{plane[1]}"
                )
            st.plane_last_matmul[plane] = op
            st.pending_uses[op.weights] -= 1
            st.plane_free[plane] = max(st.plane_free[plane], c + max(1, op.burst))

    def run(self) -> int:
        """Schedule every group; the chip's static cycle count."""
        for group in build_groups(self.chip):
            self.schedule_group(group)
        return (
            self.state.last_act
            + 1
            + (self.spec.superlanes - 1) * self.spec.superlane_skew
        )


def schedule_system(system: lpu.SystemOp) -> int:
    """Schedule every logical chip of a system; record and return its cycles."""
    spec = system.machine.spec
    cycles = 0
    for chip in system.chips:
        if any(op.is_scheduled for op in chip.instructions()):
            raise LpuError(
                f"{op_location(chip)}: error: lpu-schedule takes a logical program; chip {chip.chip_id} is already scheduled"
            )
        unsupported = next(
            (
                op
                for op in chip.instructions()
                if isinstance(
                    op,
                    lpu.NetworkOp
                    | lpu.DeskewOp
                    | lpu.NopOp
                    | lpu.NotifyOp
                    | lpu.SyncOp,
                )
            ),
            None,
        )
        if unsupported is not None:
            raise LpuError(
                f"{op_location(unsupported)}: error: lpu-schedule does not schedule '{unsupported.name}' yet (single-chip programs only)"
            )
        cycles = max(cycles, ChipScheduler(chip, spec.chip).run())
    system.static_cycles = IntAttr(cycles)
    return cycles


class SchedulePass(ModulePass):
    """Assign every instruction its cycle, unit and streams (module docstring)."""

    name = "lpu-schedule"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for system in [o for o in op.walk() if isinstance(o, lpu.SystemOp)]:
            schedule_system(system)
