"""The list scheduler: a solver of lpu-schedule's `Problem`.

Groups are placed one after the other, in the problem's order, each at the
earliest start at which every resource it needs is free (over its placement
options: routes, MXM plane, SXM hemispheres):

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
  chosen per transfer among the problem's candidates.

It fills the problem's solution fields; nothing here touches the IR.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from xdsl.ir import SSAValue

from lpuir import progress, timing
from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu
from lpuir.machine import ChipSpec, SystemSpec
from lpuir.transforms.schedule.problem import (
    ROUTE_CHOICES,
    Group,
    Hop,
    Node,
    Problem,
    Transfer,
    bank_spans,
)
from lpuir.transforms.schedule.resources import (
    IntervalSet,
    IntraGroupConflict,
    Segment,
    SegmentSet,
)

SEARCH_LIMIT = 1 << 22
"""Start cycles tried for one group before giving up (a scheduler bug guard)."""


@dataclass(frozen=True, slots=True)
class StreamClaim:
    """A stream-borne edge's need, relative to its group's start: `width`
    streams of `lanes` (chip, direction) free along `segment` shifted by the
    start; `near`: the earlier claims on the same lanes whose segments
    overlap it, so the two cannot share a stream."""

    edge: int
    lanes: tuple[int, str]
    sets: list[SegmentSet]
    width: int
    segment: Segment
    near: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where `search` found a group free: its start, and what it takes there
    (its units' claims relative to the start, ALUs and streams by edge), so
    the chosen option is committed without searching again."""

    start: int
    claims: list[tuple[tuple, int, int]]
    alus: dict[int, int]
    streams: dict[int, tuple[int, Segment]]


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
    open_chains: set[tuple[str, int]] = field(default_factory=set)
    """Planes whose accumulators a later matmul (not yet placed) adds to."""
    install_side: dict[frozenset[str], str] = field(default_factory=dict)
    """The hemisphere of the last install-bound install (`side_key`) that read
    each set of tensors."""
    last_act: int = -1


class ListScheduler:
    """Solves a `Problem` by list scheduling: the groups one after the other,
    in the problem's order, each at the earliest start (over its placement
    options) at which every resource it needs is free. Resources are keyed by
    chip (chip -1: the links)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.deskew = problem.deskew
        self.machine: SystemSpec = problem.machine
        self.spec: ChipSpec = self.machine.chip
        self.units: dict[tuple, IntervalSet] = defaultdict(IntervalSet)
        self.streams: dict[tuple[int, str], list[SegmentSet]] = {}
        """Per (chip, direction), each stream's busy segments."""
        self.states: dict[int, ChipState] = {}
        self.last_act = problem.last_act
        self.alu_units = [lpu.VxmOp.alu_unit(a) for a in range(self.spec.vxm_alus)]
        self.bank_spans: dict[Node, list[tuple[int, int, int]]] = {}
        """Each MEM node's `bank_spans`, computed when first needed."""
        for chip, tensors in problem.tensors.items():
            state = self.states[chip] = ChipState()
            self.last_act[chip] = -1
            for name, count in tensors.items():
                state.visible[name] = np.zeros(count, dtype=np.int64)
                state.last_read[name] = np.full(count, -1, dtype=np.int64)
        for group in problem.groups:
            for node in group.nodes:
                if isinstance(node.op, lpu.InstallOp):
                    self.states[node.chip].pending_uses[node.op.result] = sum(
                        1
                        for u in node.op.result.uses
                        if isinstance(u.operation, lpu.MatmulOp)
                    )

    # ------------------------------------------------------------- templates

    def footprint(self, node: Node, plane: tuple[str, int] | None) -> lpu.Footprint:
        """The node's footprint (its instruction's own) at the placement tried:
        its hemisphere (SXM), `plane` (MXM), its port (C2C); a VXM node's ALU
        is picked per start (pick_alus)."""
        op = node.op
        unit = op.UNIT
        if unit == "SXM":
            place = (node.hemisphere, None, None)
        elif unit == "MXM":
            assert plane is not None
            place = (plane[0], plane[1], None)
        elif unit == "C2C":
            place = (None, None, node.port)
        elif unit in ("MEM", "VXM"):
            place = (None, None, None)
        else:
            raise LpuError(
                f"{op_location(op)}: error: lpu-schedule cannot place '{op.name}' on one chip yet"
            )
        found = node.footprints.get(place)
        if found is None:
            if unit == "MEM":
                assert op.tensor_op().slice is not None, (  # type: ignore[attr-defined]
                    "lpu-allocate-sram places tensors first"
                )
            found = op.footprint(
                self.spec, lpu.Place(hemisphere=place[0], plane=place[1], port=place[2])
            )
            node.footprints[place] = found
        return found

    def template(self, group: Group, plane: tuple[str, int] | None) -> None:
        """Positions, directions and relative cycles of a group (normalised so
        the earliest instruction is at 0)."""
        for node in group.nodes:
            footprint = self.footprint(node, plane)
            assert footprint.position is not None
            node.pos, node.delay = footprint.position, footprint.delay
        adjacency: dict[int, list[tuple[int, int]]] = defaultdict(list)
        ids = {id(n): n for n in group.nodes}
        for edge in group.edges:
            u = edge.producer
            delay = u.delay
            if edge.chained:  # taken from the ALU's output as it is computed
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
                offsets = [
                    (c, timing.transit(delay, u.pos, c.pos)) for c in edge.consumers
                ]
            for c, off in offsets:
                adjacency[id(u)].append((id(c), off))
                adjacency[id(c)].append((id(u), -off))
        for transfer in group.transfers:
            off = self.problem.route_latency(transfer.route)
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
            timing.epoch_boundary(0, self.machine.epoch)
            - min(n.rel for n in group.nodes)
            if self.deskew
            else 0
        )
        dw = self.spec.delay("write")  # a scatter's too
        for node in group.nodes:
            op, state, access = node.op, self.states[node.chip], node.access
            if access is not None:
                name, indices, k = access.tensor, access.vectors, access.first
                if access.port == "read":
                    need = int(np.max(state.visible[name][indices] - k))
                else:
                    need = int(
                        np.max(
                            np.maximum(
                                timing.write_after_read(
                                    state.last_read[name][indices], dw
                                ),
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
        if op.UNIT == "VXM":
            return []
        holds = self.footprint(node, plane).holds
        if op.UNIT != "MEM":
            return [((node.chip, resource), c, c + n) for _, resource in holds]
        assert isinstance(op, lpu.MemOp) and node.access is not None
        spans = self.bank_spans.get(node)
        if spans is None:
            spans = bank_spans(node.access, op.tensor_op(), self.spec)
            self.bank_spans[node] = spans
        claims = []
        for unit, resource in holds:
            claims.append(((node.chip, resource), c, c + n))
            claims += [
                ((node.chip, "bank", unit, bank, op.PORT), c + lo, c + hi)
                for bank, lo, hi in spans
            ]
        return claims

    def link_claims(self, transfer: Transfer) -> list[tuple[tuple, int, int]]:
        """Each hop's sending direction, busy for one vector's time (relative
        to the group's start)."""
        t = transfer.send.rel
        claims = []
        for hop in transfer.route:
            claims.append(
                ((-1, f"link {hop.chip}:{hop.port}"), t, timing.link_free(t, hop.link))
            )
            t = timing.forward_departure(timing.arrival(t, hop.link), self.spec)
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
                busy = self.units[(node.chip, self.alu_units[alu])].conflict(c, c + n)
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

    def stream_claims(self, group: Group) -> list[StreamClaim]:
        """Each stream-borne edge's claim, from the group's template; which of
        them block each other does not depend on the start (pick_streams)."""
        claims: list[StreamClaim] = []
        by_lanes: dict[tuple[int, str], list[tuple[int, Segment]]] = {}
        for i, edge in enumerate(group.edges):
            if edge.chained:
                continue
            u = edge.producer
            far = max((c.pos for c in edge.consumers), key=lambda p: abs(p - u.pos))
            diag = timing.diagonal(
                edge.direction, u.pos, timing.result_cycle(u.rel, 0, u.delay)
            )
            seg = Segment(diag, diag + u.burst, min(u.pos, far), max(u.pos, far))
            lanes = (u.chip, edge.direction)
            d0, d1, p0, p1 = seg
            before = by_lanes.setdefault(lanes, [])
            near = tuple(
                j
                for j, (o0, o1, q0, q1) in before
                if d0 < o1 and o0 < d1 and p0 <= q1 and q0 <= p1
            )
            before.append((len(claims), seg))
            claims.append(
                StreamClaim(i, lanes, self.stream_sets(*lanes), edge.width, seg, near)
            )
        return claims

    def stream_sets(self, chip: int, direction: str) -> list[SegmentSet]:
        """The busy segments of each stream of a chip in one direction."""
        sets = self.streams.get((chip, direction))
        if sets is None:
            sets = [SegmentSet() for _ in range(self.spec.streams)]
            self.streams[(chip, direction)] = sets
        return sets

    def pick_streams(
        self, claims: list[StreamClaim], start: int
    ) -> tuple[dict[int, tuple[int, Segment]], int]:
        """A first stream (of as many as the element has bytes) for every
        edge, free along its segment; else ({}, how far to move before one
        can be)."""
        chosen: dict[int, tuple[int, Segment]] = {}
        firsts: list[int] = []  # each claim's first stream, so far
        count = self.spec.streams
        for claim in claims:
            d0, d1, p0, p1 = claim.segment
            seg = Segment(start + d0, start + d1, p0, p1)
            width, sets = claim.width, claim.sets
            # streams the group's own earlier values hold along this segment,
            # as bits; then the first streams they block, and the others
            taken = 0
            for j in claim.near:
                taken |= ((1 << claims[j].width) - 1) << firsts[j]
            blocks = 0
            for k in range(width):
                blocks |= taken >> k
            free = ((1 << max(0, count - width + 1)) - 1) & ~blocks
            move = 1 << 62
            while free:  # from the lowest first stream up
                low = free & -free
                free ^= low
                s = low.bit_length() - 1
                blocked = (
                    sets[s].conflict(seg)
                    if width == 1
                    else max(sets[t].conflict(seg) for t in range(s, s + width))
                )
                if blocked:
                    move = min(move, blocked)
                else:
                    chosen[claim.edge] = (s, seg)
                    firsts.append(s)
                    break
            else:
                # none free: a stream blocked only by this group's own
                # values may free up one cycle on, else at the nearest shift
                shifts = [
                    max(sets[t].conflict(seg) for t in range(s, s + width))
                    for s in range(count - width + 1)
                    if blocks >> s & 1
                ]
                move = 1 if 0 in shifts else min([move, *shifts])
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
            if state.pending_uses.get(state.plane_weights.get(pl), 0) == 0  # type: ignore[arg-type]
            and pl not in state.open_chains
        ]
        if not free:
            raise LpuError(
                f"{op_location(install)}: error: lpu-schedule: every MXM plane still holds weights that later matmuls need"
            )
        key = self.side_key(group)
        side = None if key is None else state.install_side.get(key)
        same = [pl for pl in free if pl[0] == side]
        return sorted(same or free, key=lambda pl: state.plane_free[pl])

    @staticmethod
    def side_key(group: Group) -> frozenset[str] | None:
        """The tensors an install group reads, if its matmuls multiply fewer
        rows than it installs (install-bound: a GEMV's K-blocks), else None.
        Such installs stay on the hemisphere where the last one reading the
        same tensors went, while a plane there is free: one reading them for
        the other hemisphere reads each slice at another distance from its
        MXM, so the two templates block each other's read ports (one install
        per 23 cycles instead of 15 on the planes of one hemisphere). Matmuls
        of many rows outlast their installs and use both hemispheres."""
        if not group.install_bound:
            return None
        return frozenset(n.access.tensor for n in group.nodes if n.access is not None)

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
        best: tuple[Placement, dict[int, str], tuple[str, int] | None, tuple] | None
        best, last = None, None
        for routes in self.route_options(group):
            self.take_routes(group, routes)
            for plane in self.plane_options(group):
                for sides in self.sxm_assignments(group, plane):
                    for node in group.nodes:
                        node.hemisphere = sides.get(id(node), "W")
                    self.template(group, plane)
                    last = (sides, plane, routes)
                    if (
                        best is not None
                        and self.plane_bound(group, plane) >= best[0].start
                    ):
                        continue  # the search starts there: it cannot do better
                    found = self.search(group, plane)
                    if best is None or found.start < best[0].start:
                        best = (found, *last)
        assert best is not None
        placement, sides, plane, routes = best
        if last != (sides, plane, routes):  # the template is another option's
            self.take_routes(group, routes)
            for node in group.nodes:
                node.hemisphere = sides.get(id(node), "W")
            self.template(group, plane)
        self.commit(group, plane, placement)

    # -------------------------------------------------------------- network

    def route_options(self, group: Group) -> list[tuple[tuple[Hop, ...], ...]]:
        if not group.transfers:
            return [()]
        choices = [self.problem.routes(t) for t in group.transfers]
        return list(itertools.islice(itertools.product(*choices), ROUTE_CHOICES))

    def take_routes(self, group: Group, routes: tuple[tuple[Hop, ...], ...]) -> None:
        for transfer, route in zip(group.transfers, routes, strict=True):
            transfer.route = route
            transfer.send.port = route[0].port
            transfer.recv.port = route[-1].peer_port

    def plane_bound(self, group: Group, plane: tuple[str, int] | None) -> int:
        """The earliest start at which the group's installs find `plane` free."""
        installs = [n for n in group.nodes if isinstance(n.op, lpu.InstallOp)]
        if plane is None or not installs:
            return 0
        state = self.states[installs[0].chip]
        return state.plane_free[plane] - min(n.rel for n in installs)

    def search(self, group: Group, plane: tuple[str, int] | None) -> Placement:
        """The earliest start, from the dependences' bound on, at which the
        templated group finds every resource free (nothing is taken)."""
        start = max(self.earliest(group), self.plane_bound(group, plane))
        claims = [c for n in group.nodes for c in self.unit_claims(n, plane)] + [
            c for t in group.transfers for c in self.link_claims(t)
        ]
        lanes = self.stream_claims(group)
        try:
            checks = self.unit_checks(claims)
        except IntraGroupConflict as e:
            chip, *what = e.key
            where = " ".join(str(k) for k in what)
            raise LpuError(
                f"{op_location(group.nodes[-1].op)}: error: lpu-schedule: two instructions of this group need {where} (chip {chip}) in the same cycles, and the streams that join them fix their distance; read the operands from different slices or split the group through SRAM"
            ) from None
        for _ in range(SEARCH_LIMIT):
            move = self.fits_units(checks, start)
            if not move:
                alus, move = self.pick_alus(group, start)
            if not move:
                streams, move = self.pick_streams(lanes, start)
            if not move:
                return Placement(start, claims, alus, streams)
            start += move
        raise LpuError(
            f"{op_location(group.nodes[0].op)}: error: lpu-schedule found no free slot for this instruction group"
        )

    def commit(
        self, group: Group, plane: tuple[str, int] | None, placement: Placement
    ) -> None:
        """Take what `placement` found free (the group templated as it was)."""
        start, alus, streams = placement.start, placement.alus, placement.streams
        for key, lo, hi in placement.claims:
            self.units[key].add(start + lo, start + hi)
        if any(isinstance(n.op, lpu.InstallOp) for n in group.nodes):
            assert plane is not None
            key = self.side_key(group)
            if key is not None:
                self.states[group.nodes[0].chip].install_side[key] = plane[0]
        for node in group.nodes:
            op, c = node.op, start + node.rel
            node.cycle = c
            n = node.burst
            if id(node) in alus:
                node.alu = alus[id(node)]
                self.units[(node.chip, self.alu_units[node.alu])].add(c, c + n)
            if op.UNIT == "MXM":
                assert plane is not None
                node.hemisphere, node.plane = plane
            self.acts(node.chip, timing.last_act(c, n, node.delay))
            self.update_memory(node, c)
            self.update_mxm(node, c, plane)
        for transfer in group.transfers:
            self.commit_transfer(transfer, start)
        for i, edge in enumerate(group.edges):
            if edge.chained:
                continue
            s, seg = streams[i]
            edge.stream = s
            sets = self.stream_sets(edge.producer.chip, edge.direction)
            for j in range(edge.width):
                sets[s + j].add(seg)

    def acts(self, chip: int, cycle: int) -> None:
        self.last_act[chip] = max(self.last_act.get(chip, -1), cycle)

    def commit_transfer(self, transfer: Transfer, start: int) -> None:
        """A forward on each intermediate chip (the ports are the nodes')."""
        route = transfer.route
        t = timing.arrival(start + transfer.send.rel, route[0].link)
        for inbound, outbound in itertools.pairwise(route):
            transfer.forwards.append(
                (outbound.chip, t, inbound.peer_port, outbound.port)
            )
            departure = timing.forward_departure(t, self.spec)
            self.acts(outbound.chip, timing.last_act(t, 1, departure - t))
            t = timing.arrival(departure, outbound.link)

    def update_memory(self, node: Node, c: int) -> None:
        access = node.access
        if access is None:
            return
        state = self.states[node.chip]
        times = c + access.last
        if access.port == "read":
            np.maximum.at(state.last_read[access.tensor], access.vectors, times)
        else:
            np.maximum.at(
                state.visible[access.tensor],
                access.vectors,
                timing.result_cycle(times, 0, node.delay),
            )

    def update_mxm(self, node: Node, c: int, plane: tuple[str, int] | None) -> None:
        op, st = node.op, self.states[node.chip]
        if isinstance(op, lpu.InstallOp):
            assert plane is not None
            rows = node.burst
            st.weights_ready[op.result] = timing.weights_ready(c, rows, node.delay)
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
            st.open_chains.discard(plane)
            if any(
                isinstance(u.operation, lpu.MatmulOp) and u.index == 2
                for u in op.result.uses
            ):
                st.open_chains.add(plane)
            st.pending_uses[op.weights] -= 1
            st.plane_free[plane] = max(st.plane_free[plane], c + node.burst)

    def solve(self) -> None:
        """Place every group; the problem's static cycle count (its longest
        chip's, by the program-length rule). With `deskew`, every chip first
        aligns to the epoch boundary (docs/dialect.md), as a program on
        hardware whose chips start at different times would."""
        for group in progress.track(self.problem.groups, "lpu-schedule", "groups"):
            self.schedule_group(group)
        if self.deskew:
            delay = timing.deskew_delay(0, self.machine.epoch)
            for chip in list(self.last_act):
                self.acts(chip, timing.last_act(0, 1, delay))
        self.problem.static_cycles = max(
            (timing.program_length(last, self.spec) for last in self.last_act.values()),
            default=0,
        )
