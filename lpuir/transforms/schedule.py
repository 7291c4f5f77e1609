"""lpu-schedule: logical LPU programs to scheduled ones, with a static cycle count.

The whole system is scheduled at once: a logical send and its receive tie the
two chips' instruction groups into one, whose template fixes the receive at
exactly the send's cycle plus the route's latency (links, and forwards on
intermediate chips), as the sync-free network needs.

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
  and accumulators (`acc` is the previous matmul on the same plane);
- links, one vector per `cycles_per_vector` in each direction; a route is
  chosen per transfer among the direct links or, without one, the paths
  through intermediate chips (with the fewest hops, then the lowest latency).

docs/dialect.md states the rules; `lpu-verify-schedule` and the simulator check
them independently of this code.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, IntAttr, ModuleOp, StringAttr
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass

from lpuir import progress
from lpuir.diagnostics import LpuError, lpu_programs, op_location
from lpuir.dialects import lpu
from lpuir.dialects.lpu import element_bytes
from lpuir.machine import ChipSpec, LinkSpec, SystemSpec

ROUTE_CHOICES = 4
"""Routes tried per transfer (and route combinations per group)."""

DIAGONAL_BUCKET = 64
"""Diagonals per bucket of a stream's occupancy index (SegmentSet): about a
short burst, so a query scans few segments and a long burst few buckets."""

SEARCH_LIMIT = 1 << 22
"""Start cycles tried for one group before giving up (a scheduler bug guard)."""


class IntraGroupConflict(Exception):
    """Two instructions of one group need one resource at the same time; their
    distance is fixed by the timing law, so no start cycle can help."""

    def __init__(self, key: tuple):
        super().__init__(key)
        self.key = key


class IntervalSet:
    """Disjoint busy intervals [start, end) of one resource, sorted; touching
    ones are merged, so a search skips a busy stretch in one step."""

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
        if i > 0 and self.ends[i - 1] == start:
            i -= 1
            self.ends[i] = end
        else:
            self.starts.insert(i, start)
            self.ends.insert(i, end)
        if i + 1 < len(self.starts) and self.starts[i + 1] == end:
            self.ends[i] = self.ends.pop(i + 1)
            self.starts.pop(i + 1)


@dataclass(frozen=True)
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
    """The segments of one stream, filed in buckets of DIAGONAL_BUCKET
    diagonals (a segment in every bucket it spans), so a query looks only at
    segments that share a bucket with it, however long other bursts are."""

    def __init__(self) -> None:
        self.buckets: dict[int, list[Segment]] = defaultdict(list)

    @staticmethod
    def spanned(seg: Segment) -> range:
        return range(seg.d0 // DIAGONAL_BUCKET, (seg.d1 - 1) // DIAGONAL_BUCKET + 1)

    def conflict(self, seg: Segment) -> int:
        """0 if `seg` is free, else how many diagonals it must move on to
        clear every segment it overlaps (moving the group later moves all its
        segments by as many diagonals, and none can clear sooner)."""
        shift = 0
        for b in self.spanned(seg):
            for other in self.buckets.get(b, ()):
                if seg.overlaps(other):
                    shift = max(shift, other.d1 - seg.d0)
        return shift

    def add(self, seg: Segment) -> None:
        for b in self.spanned(seg):
            self.buckets[b].append(seg)


@dataclass
class Node:
    """One instruction of a group: where it acts and when, relative to the group."""

    op: lpu.Instruction
    chip: int = 0
    pos: int = 0
    rel: int = 0
    alu: int | None = None
    hemisphere: str = "W"
    burst: int = 1
    """max(1, op.burst), computed once (reading xDSL properties is slow)."""


@dataclass
class Edge:
    """A vector travelling from producer to consumers on a stream or a chain."""

    value: SSAValue
    producer: Node
    consumers: list[Node]
    chained: bool
    direction: str = "E"
    stream: int | None = None


@dataclass(frozen=True)
class Hop:
    """One link of a route: from (chip, port) to (peer, peer_port)."""

    chip: int
    port: int
    link: LinkSpec
    peer: int
    peer_port: int


@dataclass
class Transfer:
    """A vector going from a send to its receive, along `route` (chosen while
    the group is placed)."""

    send: Node
    recv: Node
    route: tuple[Hop, ...] = ()


@dataclass
class Group:
    nodes: list[Node]
    edges: list[Edge]
    transfers: list[Transfer] = field(default_factory=list)


@dataclass
class ChipState:
    """Everything scheduled so far on one chip."""

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


def build_groups(system: lpu.SystemOp) -> list[Group]:
    """Tie instructions that share stream-borne vectors, and sends to their
    receives, into groups, in an order valid for every chip: on each chip, by
    the group's last instruction there (which respects its dependences)."""
    chips = sorted(system.chips, key=lambda c: c.chip_id)
    instrs = [(chip.chip_id, op) for chip in chips for op in chip.instructions()]
    index = {op: i for i, (_, op) in enumerate(instrs)}
    parent = list(range(len(instrs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    edges: list[tuple[SSAValue, lpu.Instruction, list[lpu.Instruction]]] = []
    for _, op in instrs:
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
    pairs = lpu.logical_pairs(system)
    for send, recv in pairs:
        parent[find(index[recv])] = find(index[send])
    nodes = {op: Node(op, chip, burst=max(1, op.burst)) for chip, op in instrs}
    members: dict[int, list[Node]] = defaultdict(list)
    for _, op in instrs:
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
    transfers: dict[int, list[Transfer]] = defaultdict(list)
    for send, recv in pairs:
        transfers[find(index[send])].append(Transfer(nodes[send], nodes[recv]))
    groups = {
        root: Group(ns, group_edges[root], transfers[root])
        for root, ns in members.items()
    }
    return _chip_order(groups, index)


def _chip_order(groups: dict[int, Group], index: dict[Operation, int]) -> list[Group]:
    """The groups in an order that keeps each chip's own order (by a group's
    last instruction on that chip); the chips must agree on it."""
    lists: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for root, group in groups.items():
        last: dict[int, int] = {}
        for node in group.nodes:
            last[node.chip] = max(last.get(node.chip, -1), index[node.op])
        for chip, i in last.items():
            lists[chip].append((i, root))
    queues = {
        chip: [root for _, root in sorted(items)] for chip, items in lists.items()
    }
    heads = dict.fromkeys(queues, 0)
    order: list[Group] = []
    progress = True
    while progress:
        progress = False
        for chip, queue in queues.items():
            while heads[chip] < len(queue):
                root = queue[heads[chip]]
                spans = {n.chip for n in groups[root].nodes}
                if any(queues[c][heads[c]] != root for c in spans):
                    break
                for c in spans:
                    heads[c] += 1
                order.append(groups[root])
                progress = True
    stuck = [(c, q[heads[c]]) for c, q in queues.items() if heads[c] < len(q)]
    if stuck:
        chip, root = stuck[0]
        raise LpuError(
            f"{op_location(groups[root].nodes[0].op)}: error: lpu-schedule: the chips' program orders disagree about this send or receive (chip {chip} needs other groups first); list transfers in the same order on both chips"
        )
    return order


class SystemScheduler:
    """Schedules the groups of every chip of a system, one after the other.
    Resources are keyed by chip (chip -1: the links)."""

    def __init__(self, system: lpu.SystemOp, *, deskew: bool = False):
        self.system = system
        self.deskew = deskew
        self.machine: SystemSpec = system.machine.spec
        self.spec: ChipSpec = self.machine.chip
        self.units: dict[tuple, IntervalSet] = defaultdict(IntervalSet)
        self.streams: dict[tuple[int, str, int], SegmentSet] = defaultdict(SegmentSet)
        self.states: dict[int, ChipState] = {}
        self.last_act: dict[int, int] = {}
        self.route_cache: dict[tuple[int, int], list[tuple[Hop, ...]]] = {}
        for chip in system.chips:
            state = self.states[chip.chip_id] = ChipState()
            self.last_act[chip.chip_id] = -1
            for t in chip.tensors():
                count = t.vector_count(self.spec.lanes)
                state.visible[t.sym_name.data] = np.zeros(count, dtype=np.int64)
                state.last_read[t.sym_name.data] = np.full(count, -1, dtype=np.int64)
            for op in chip.instructions():
                if isinstance(op, lpu.InstallOp):
                    state.pending_uses[op.result] = sum(
                        1
                        for u in op.result.uses
                        if isinstance(u.operation, lpu.MatmulOp)
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
        if isinstance(op, lpu.SendOp | lpu.RecvOp):
            return node.pos
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
        for transfer in group.transfers:
            off = self.route_latency(transfer.route)
            adjacency[id(transfer.send)].append((id(transfer.recv), off))
            adjacency[id(transfer.recv)].append((id(transfer.send), -off))
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
        """Lower bound on the group's start from SRAM, weights and accumulators
        (and the first epoch boundary after a deskew at cycle 0)."""
        bound = (
            self.machine.epoch - min(n.rel for n in group.nodes) if self.deskew else 0
        )
        dw = self.spec.delay("write")
        for node in group.nodes:
            op, state = node.op, self.states[node.chip]
            if isinstance(op, lpu.ReadOp | lpu.GatherOp | lpu.WriteOp | lpu.ScatterOp):
                name = op.tensor.root_reference.data
                indices = (
                    np.array(list(op.vector_indices()))
                    if isinstance(op, lpu.ReadOp | lpu.WriteOp)
                    else np.arange(len(state.visible[name]))
                )
                k = (
                    np.arange(len(indices))
                    if isinstance(op, lpu.ReadOp | lpu.WriteOp)
                    else np.zeros(len(indices), dtype=np.int64)
                )
                if isinstance(op, lpu.ReadOp | lpu.GatherOp):
                    need = int(np.max(state.visible[name][indices] - k))
                else:
                    need = int(
                        np.max(
                            np.maximum(
                                state.last_read[name][indices] - dw + 1,
                                state.visible[name][indices] - dw,
                            )
                            - k
                        )
                    )
                bound = max(bound, need - node.rel)
            if isinstance(op, lpu.MatmulOp):
                bound = max(bound, state.weights_ready[op.weights] - node.rel)
        return max(bound, 0)

    # ------------------------------------------------------------- resources

    def unit_claims(
        self, node: Node, plane: tuple[str, int] | None
    ) -> list[tuple[tuple, int, int]]:
        """(resource, from, to) intervals a node needs, relative to its group's
        start (a VXM node's ALU is picked per start, by pick_alus)."""
        op, c, n = node.op, node.rel, node.burst
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
                claims.append(((node.chip, "port", name, port), c, c + n))
                claims.append(((node.chip, "bank", name, bank, port), c, c + n))
            return claims
        if isinstance(op, lpu.SxmOp):
            return [((node.chip, "sxm", node.hemisphere), c, c + n)]
        if isinstance(op, lpu.InstallOp):
            rows = max(v.type.n for v in op.rows)  # type: ignore[attr-defined]
            return [((node.chip, "plane", *plane), c, c + rows)]  # type: ignore[misc]
        if isinstance(op, lpu.MatmulOp):
            return [((node.chip, "plane", *plane), c, c + n)]  # type: ignore[misc]
        return []

    def link_claims(self, transfer: Transfer) -> list[tuple[tuple, int, int]]:
        """Each hop's sending direction, busy for one vector's time (relative
        to the group's start)."""
        cpv, df = self.machine.cycles_per_vector, self.spec.delay("forward")
        t = transfer.send.rel
        claims = []
        for hop in transfer.route:
            claims.append(((-1, "link", hop.chip, hop.port), t, t + cpv))
            t += hop.link.latency + df
        return claims

    def unit_checks(
        self, claims: Iterable[tuple[tuple, int, int]]
    ) -> list[tuple[IntervalSet, int, int]]:
        """The busy set each claim (relative to the group's start) must miss: a
        bank's reads miss its writes and the other way round. Claims of one
        group that collide raise IntraGroupConflict (no start can help)."""
        own: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
        checks = []
        for key, lo, hi in claims:
            against = (
                (*key[:4], "write" if key[4] == "read" else "read")
                if key[1] == "bank"
                else key
            )
            if any(a < hi and lo < b for a, b in own[against]):
                raise IntraGroupConflict(key)
            own[key].append((lo, hi))
            checks.append((self.units[against], lo, hi))
        return checks

    @staticmethod
    def fits_units(checks: list[tuple[IntervalSet, int, int]], start: int) -> int:
        """0 if every claim is free at `start`, else how far to move: a claim
        stays blocked until it starts at the end of an interval it overlaps."""
        move = 0
        for busy, lo, hi in checks:
            end = busy.conflict(start + lo, start + hi)
            if end is not None:
                move = max(move, end - start - lo)
        return move

    def pick_alus(self, group: Group, start: int) -> tuple[dict[int, int], int]:
        """An ALU for every VXM node, free for its burst; else ({}, how far to
        move before one can be)."""
        taken: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        chosen: dict[int, int] = {}
        for node in group.nodes:
            if not isinstance(node.op, lpu.VxmOp):
                continue
            c, n = start + node.rel, node.burst
            move = 1 << 62
            for alu in range(self.spec.vxm_alus):
                key = (node.chip, alu)
                busy = self.units[(node.chip, "alu", alu)].conflict(c, c + n)
                if busy is not None:
                    move = min(move, busy - c)
                elif all(hi <= c or c + n <= lo for lo, hi in taken[key]):
                    chosen[id(node)] = alu
                    taken[key].append((c, c + n))
                    break
                else:
                    move = 1
            else:
                return {}, max(1, move)
        return chosen, 0

    def segment(self, edge: Edge, start: int) -> Segment:
        u = edge.producer
        t = start + u.rel + u.op.result_delay(self.spec)
        n = u.burst
        far = max((c.pos for c in edge.consumers), key=lambda p: abs(p - u.pos))
        diag = t - u.pos if edge.direction == "E" else t + u.pos
        return Segment(diag, diag + n, min(u.pos, far), max(u.pos, far))

    def pick_streams(
        self, group: Group, start: int
    ) -> tuple[dict[int, tuple[int, Segment]], int]:
        """A first stream (of as many as the element has bytes) for every
        edge, free along its segment; else ({}, how far to move before one
        can be)."""
        chosen: dict[int, tuple[int, Segment]] = {}
        extra: dict[tuple[int, str, int], list[Segment]] = defaultdict(list)
        for i, edge in enumerate(group.edges):
            if edge.chained:
                continue
            seg = self.segment(edge, start)
            width = element_bytes(edge.value.type.element)  # type: ignore[attr-defined]
            move = 1 << 62
            for s in range(0, self.spec.streams - width + 1):
                keys = [
                    (edge.producer.chip, edge.direction, s + j) for j in range(width)
                ]
                shift = max(self.streams[k].conflict(seg) for k in keys)
                if shift:
                    move = min(move, shift)
                elif not any(seg.overlaps(o) for k in keys for o in extra[k]):
                    chosen[i] = (s, seg)
                    for k in keys:
                        extra[k].append(seg)
                    break
                else:
                    move = 1
            else:
                return {}, max(1, move)
        return chosen, 0

    # ----------------------------------------------------------- placement

    def plane_options(self, group: Group) -> list[tuple[str, int] | None]:
        mxm = [n for n in group.nodes if isinstance(n.op, lpu.MxmOp)]
        if not mxm:
            return [None]
        state = self.states[mxm[0].chip]
        install = next((n.op for n in mxm if isinstance(n.op, lpu.InstallOp)), None)
        matmul = next((n.op for n in mxm if isinstance(n.op, lpu.MatmulOp)), None)
        if matmul is not None:
            return [state.weights_plane[matmul.weights]]
        if install is None:
            return [None]
        for use in install.result.uses:
            user = use.operation
            if (
                isinstance(user, lpu.MatmulOp)
                and user.acc is not None
                and isinstance(user.acc.owner, lpu.MatmulOp)
            ):
                return [state.weights_plane[user.acc.owner.weights]]
        planes = [(h, p) for p in range(self.spec.mxm_planes) for h in ("W", "E")]
        free = [
            pl
            for pl in planes
            if state.pending_uses.get(state.plane_weights.get(pl), 0) == 0
        ]  # type: ignore[arg-type]
        if not free:
            raise LpuError(
                f"{op_location(install)}: error: lpu-schedule: every MXM plane still holds weights that later matmuls need"
            )
        return sorted(free, key=lambda pl: state.plane_free[pl])

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
            busy: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
            changed = False
            for node in sorted(sxm, key=lambda n: n.rel):
                span = (node.rel, node.rel + node.burst)
                side = next(
                    (
                        h
                        for h in (
                            node.hemisphere,
                            "E" if node.hemisphere == "W" else "W",
                        )
                        if all(
                            b <= span[0] or span[1] <= a
                            for a, b in busy[(node.chip, h)]
                        )
                    ),
                    node.hemisphere,
                )
                changed |= side != node.hemisphere
                node.hemisphere = side
                busy[(node.chip, side)].append(span)
            if not changed:
                break
        chosen = {id(n): n.hemisphere for n in sxm}
        return [chosen, {k: ("E" if h == "W" else "W") for k, h in chosen.items()}]

    def schedule_group(self, group: Group) -> None:
        best: tuple[int, dict[int, str], tuple[str, int] | None, tuple] | None = None
        for routes in self.route_options(group):
            self.take_routes(group, routes)
            for plane in self.plane_options(group):
                for sides in self.sxm_assignments(group, plane):
                    for node in group.nodes:
                        node.hemisphere = sides.get(id(node), "W")
                    self.template(group, plane)
                    if best is not None and self.plane_bound(group, plane) >= best[0]:
                        continue  # the search starts there: it cannot do better
                    start = self.search(group, plane, dry=True)
                    if best is None or start < best[0]:
                        best = (start, sides, plane, routes)
        assert best is not None
        start, sides, plane, routes = best
        self.take_routes(group, routes)
        for node in group.nodes:
            node.hemisphere = sides.get(id(node), "W")
        self.template(group, plane)
        self.search(group, plane, dry=False, first=start)

    # -------------------------------------------------------------- network

    def routes(self, transfer: Transfer) -> list[tuple[Hop, ...]]:
        """Candidate routes from the send's chip to the receive's: every direct
        link, else the two-hop paths, else one shortest path (fewest hops)."""
        a, b = transfer.send.chip, transfer.recv.chip
        if (a, b) in self.route_cache:
            return self.route_cache[(a, b)]
        m = self.machine

        def hops(chip: int) -> list[Hop]:
            out = []
            for port in m.ports_of(chip):
                link = m.link_at(chip, port)
                assert link is not None
                peer, peer_port = link.peer(chip, port)
                out.append(Hop(chip, port, link, peer, peer_port))
            return out

        found: list[tuple[Hop, ...]] = [(h,) for h in hops(a) if h.peer == b]
        if not found:
            found = [
                (h1, h2)
                for h1 in hops(a)
                if h1.peer != b
                for h2 in hops(h1.peer)
                if h2.peer == b
            ]
        if not found:
            paths: dict[int, tuple[Hop, ...]] = {a: ()}
            frontier = [a]
            while frontier and b not in paths:
                nxt = []
                for chip in frontier:
                    for h in hops(chip):
                        if h.peer not in paths:
                            paths[h.peer] = (*paths[chip], h)
                            nxt.append(h.peer)
                frontier = nxt
            found = [paths[b]] if b in paths and a != b else []
        if not found:
            raise LpuError(
                f"{op_location(transfer.send.op)}: error: lpu-schedule: no path of links from chip {a} to chip {b} in this system"
            )
        found.sort(key=lambda r: (len(r), self.route_latency(r)))
        self.route_cache[(a, b)] = found[:ROUTE_CHOICES]
        return self.route_cache[(a, b)]

    def route_latency(self, route: tuple[Hop, ...]) -> int:
        """Cycles from a send to the receive at the route's end."""
        return sum(h.link.latency for h in route) + (len(route) - 1) * self.spec.delay(
            "forward"
        )

    def route_options(self, group: Group) -> list[tuple[tuple[Hop, ...], ...]]:
        if not group.transfers:
            return [()]
        choices = [self.routes(t) for t in group.transfers]
        return list(itertools.islice(itertools.product(*choices), ROUTE_CHOICES))

    def take_routes(self, group: Group, routes: tuple[tuple[Hop, ...], ...]) -> None:
        for transfer, route in zip(group.transfers, routes, strict=True):
            transfer.route = route
            transfer.send.pos = self.spec.port_position(route[0].port)
            transfer.recv.pos = self.spec.port_position(route[-1].peer_port)

    def plane_bound(self, group: Group, plane: tuple[str, int] | None) -> int:
        """The earliest start at which the group's installs find `plane` free."""
        installs = [n for n in group.nodes if isinstance(n.op, lpu.InstallOp)]
        if plane is None or not installs:
            return 0
        state = self.states[installs[0].chip]
        return state.plane_free[plane] - min(n.rel for n in installs)

    def search(
        self,
        group: Group,
        plane: tuple[str, int] | None,
        *,
        dry: bool,
        first: int | None = None,
    ) -> int:
        start = (
            max(self.earliest(group), self.plane_bound(group, plane))
            if first is None
            else first
        )
        claims = [c for n in group.nodes for c in self.unit_claims(n, plane)] + [
            c for t in group.transfers for c in self.link_claims(t)
        ]
        try:
            checks = self.unit_checks(claims)
        except IntraGroupConflict as e:
            where = " ".join(str(k) for k in e.key)
            raise LpuError(
                f"{op_location(group.nodes[-1].op)}: error: lpu-schedule: two instructions of this group need {where} in the same cycles, and the streams that join them fix their distance; read the operands from different slices or split the group through SRAM"
            ) from None
        for _ in range(SEARCH_LIMIT):
            move = self.fits_units(checks, start)
            if not move:
                alus, move = self.pick_alus(group, start)
            if not move:
                streams, move = self.pick_streams(group, start)
            if not move:
                if not dry:
                    placed = [(key, start + lo, start + hi) for key, lo, hi in claims]
                    self.commit(group, start, plane, placed, alus, streams)
                return start
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
        spec = self.spec
        for key, lo, hi in claims:
            self.units[key].add(lo, hi)
        for node in group.nodes:
            op, c = node.op, start + node.rel
            op.properties["cycle"] = IntAttr(c)
            n = node.burst
            if id(node) in alus:
                node.alu = alus[id(node)]
                op.properties["alu"] = IntAttr(node.alu)
                self.units[(node.chip, "alu", node.alu)].add(c, c + n)
            if isinstance(op, lpu.SxmOp):
                op.properties["hemisphere"] = StringAttr(node.hemisphere)
            if isinstance(op, lpu.MxmOp):
                assert plane is not None
                op.properties["hemisphere"] = StringAttr(plane[0])
                op.properties["plane"] = IntAttr(plane[1])
            self.acts(node.chip, c + n - 1 + op.result_delay(spec))
            self.update_memory(node, c)
            self.update_mxm(node, c, plane)
        for transfer in group.transfers:
            self.commit_transfer(transfer, start)
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
                self.streams[(edge.producer.chip, edge.direction, s + j)].add(seg)
            for consumer in edge.consumers:
                sources[(id(consumer.op), edge.value)] = stream
        for node in group.nodes:
            operands = node.op.stream_operands()
            if operands:
                node.op.properties["srcs"] = ArrayAttr(
                    [sources[(id(node.op), v)] for v in operands]
                )

    def acts(self, chip: int, cycle: int) -> None:
        self.last_act[chip] = max(self.last_act.get(chip, -1), cycle)

    def commit_transfer(self, transfer: Transfer, start: int) -> None:
        """Ports of the send and receive; a forward on each intermediate chip."""
        route = transfer.route
        send, recv = transfer.send.op, transfer.recv.op
        assert isinstance(send, lpu.SendOp)
        send.properties["port"] = IntAttr(route[0].port)
        recv.properties["port"] = IntAttr(route[-1].peer_port)
        df = self.spec.delay("forward")
        t = start + transfer.send.rel + route[0].link.latency
        for inbound, outbound in itertools.pairwise(route):
            forward = lpu.ForwardOp.create(
                properties={
                    "channel": send.channel,
                    "in_port": IntAttr(inbound.peer_port),
                    "out_port": IntAttr(outbound.port),
                    "cycle": IntAttr(t),
                }
            )
            forward.location = send.location
            self.chip_op(outbound.chip).body.block.add_op(forward)
            self.acts(outbound.chip, t + df)
            t += df + outbound.link.latency

    def chip_op(self, chip_id: int) -> lpu.ChipOp:
        """A chip of the system, added (empty) when only forwards run on it."""
        chips = {c.chip_id: c for c in self.system.chips}
        if chip_id not in chips:
            later = [c for c in self.system.chips if c.chip_id > chip_id]
            chips[chip_id] = lpu.ChipOp(chip_id, [])
            if later:
                self.system.body.block.insert_op_before(chips[chip_id], later[0])
            else:
                self.system.body.block.add_op(chips[chip_id])
        return chips[chip_id]

    def update_memory(self, node: Node, c: int) -> None:
        op = node.op
        if not isinstance(op, lpu.MemOp):
            return
        name = op.tensor.root_reference.data
        spec, state = self.spec, self.states[node.chip]
        if isinstance(op, lpu.ReadOp | lpu.WriteOp):
            indices = np.array(list(op.vector_indices()))
            times = c + np.arange(len(indices))
        else:
            indices = np.arange(len(state.visible[name]))
            times = np.full(len(indices), c + node.burst - 1)
        if isinstance(op, lpu.ReadOp | lpu.GatherOp):
            np.maximum.at(state.last_read[name], indices, times)
        else:
            np.maximum.at(state.visible[name], indices, times + op.result_delay(spec))

    def update_mxm(self, node: Node, c: int, plane: tuple[str, int] | None) -> None:
        op, st = node.op, self.states[node.chip]
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
            st.plane_free[plane] = max(st.plane_free[plane], c + node.burst)

    def run(self) -> int:
        """Schedule every group; the system's static cycle count (its longest
        chip's, by the program-length rule). With `deskew`, every chip first
        aligns to the epoch boundary (docs/dialect.md), as a program on
        hardware whose chips start at different times would."""
        for group in progress.track(
            build_groups(self.system), "lpu-schedule", "groups"
        ):
            self.schedule_group(group)
        if self.deskew:
            for chip in list(self.system.chips):
                first = next(iter(chip.instructions()), None)
                deskew = lpu.DeskewOp.create(properties={"cycle": IntAttr(0)})
                deskew.location = chip.location
                if first is None:
                    chip.body.block.add_op(deskew)
                else:
                    chip.body.block.insert_op_before(deskew, first)
                self.acts(chip.chip_id, self.machine.epoch - 1)
        skew = (self.spec.superlanes - 1) * self.spec.superlane_skew
        return max(
            (max(last, 0) + 1 + skew for last in self.last_act.values()), default=0
        )


def schedule_system(system: lpu.SystemOp, *, deskew: bool = False) -> int:
    """Schedule every logical chip of a system; record and return its cycles."""
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
                    lpu.ForwardOp
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
                f"{op_location(unsupported)}: error: lpu-schedule does not schedule '{unsupported.name}' (the sync-free network needs no barriers; forwards are its own decision)"
            )
    cycles = SystemScheduler(system, deskew=deskew).run()
    system.static_cycles = IntAttr(cycles)
    return cycles


@dataclass(frozen=True)
class SchedulePass(ModulePass):
    """Assign every instruction its cycle, unit and streams (module docstring)."""

    name = "lpu-schedule"

    deskew: bool = False
    """Start every chip with a c2c.deskew at cycle 0 (work begins at the first
    epoch boundary)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for system in lpu_programs(op, self.name):
            schedule_system(system, deskew=self.deskew)
