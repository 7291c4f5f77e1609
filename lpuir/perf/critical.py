"""What sets a scheduled program's length: its constraints, the critical path
through them, and every instruction group's slack.

A scheduled program keeps every constraint of its scheduling problem
(`lpuir.transforms.schedule.problem`): the dependences through SRAM (a read
after the write it sees, a write after the reads of the value it replaces
and after the write before it), through the MXM (a matmul after its weights
are ready, after the matmul whose accumulators it adds to), and the
resources (a unit, port, bank, link or stream slot held by one instruction
at a time). Each is an edge `src -> dst` with a *slack*: how many cycles
later `dst` issues than the constraint demands (0: tight). Instructions tied
by stream-borne vectors or by a link (a send, its forwards, its receive)
form rigid *groups*: the timing law fixes their distances, so a group moves
as one.

The critical path starts at the instruction that acts last on the longest
chip and goes back, group by group, along a tight edge into the group (from
a group placed before it in the problem's order, a dependence before a
resource wait), to cycle 0; its elements' cycles add up to the program's
cycle count. A group's slack is how far it
could move later, everything else fixed, without lengthening the program.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from lpuir import timing
from lpuir.dialects import lpu
from lpuir.machine import SystemSpec
from lpuir.perf.account import Work
from lpuir.transforms.schedule.problem import Problem, build_problem

DEPENDENCES = (
    "SRAM write -> read",
    "SRAM read -> write",
    "SRAM write -> write",
    "MXM weights",
    "MXM accumulators",
    "deskew",
)
"""Edge kinds that are dependences; every other edge is a resource wait
(its kind names the resource: `MEM.W4 read port`, `bank 1 of MEM.W4`,
`stream S3E`, `MXM.W.0`, `C2C.port2`...)."""

TIES = ("stream", "chain", "link")
"""How the instructions of a rigid group are tied: a value on a stream from
its producer to a consumer, a VXM chain, a vector over a link."""


@dataclass(frozen=True)
class Edge:
    """`dst` issues no earlier than `src` plus a latency; it issues `slack`
    cycles later than that."""

    src: int
    dst: int
    kind: str
    slack: int


@dataclass(frozen=True)
class Element:
    """One step of the critical path, `cycles` long, spent by tensor op `op`:
    `what` is "acts" (the last instruction acting, then the superlane skew),
    a tie inside a rigid group (TIES: from a producer to a consumer on a
    stream, along an ALU chain, over a link; or back), a
    dependence or resource kind (from `src` issuing to `dst` issuing),
    "idle" (a group later than any constraint demands), or "start" (from
    cycle 0)."""

    what: str
    op: str
    cycles: int
    src: int | None
    dst: int | None


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


class Constraints:
    """The constraint graph of a scheduled system (module docstring)."""

    def __init__(self, system: lpu.SystemOp, works: list[Work]):
        self.machine: SystemSpec = system.machine.spec
        self.works = works
        self.index = {id(w.op): w.index for w in works}
        problem = build_problem(system)
        self.edges: list[Edge] = []
        self.ties: dict[int, list[tuple[int, str]]] = defaultdict(list)
        """The rigid ties inside groups, both ways: (instruction, how)."""
        groups = _UnionFind(len(works))
        self._rigid(system, problem, groups)
        self.group = np.array([groups.find(i) for i in range(len(works))])
        self.rank = np.zeros(len(works), dtype=np.int64)
        """Each instruction's group's place in the problem's order of groups
        (the order a list scheduler places them in, each chip's program
        order): a group is placed after those whose constraints bind it."""
        for r, group in enumerate(problem.groups):
            for node in group.nodes:
                self.rank[self.index[id(node.op)]] = r
        first = np.full(len(works), len(problem.groups), dtype=np.int64)
        np.minimum.at(first, self.group, self.rank)
        self.rank = first[self.group]
        self._memory(problem)
        self._mxm(problem)
        self._resources()
        self._streams(problem)
        self._deskews()

    # ---------------------------------------------------------------- edges

    def _rigid(
        self, system: lpu.SystemOp, problem: Problem, groups: _UnionFind
    ) -> None:
        """Groups: stream-borne vectors (a producer and its consumers, a VXM
        chain) and routes (a send, its forwards, its receive)."""
        for group in problem.groups:
            for edge in group.edges:
                u = self.index[id(edge.producer.op)]
                for consumer in edge.consumers:
                    c = self.index[id(consumer.op)]
                    groups.union(u, c)
                    self._tie(u, c, "chain" if edge.chained else "stream")
        if any(w.op.UNIT == "C2C" for w in self.works):
            for _, send, path in lpu.routes(system):
                hop = self.index[id(send)]
                for _, taker in path:
                    groups.union(hop, self.index[id(taker)])
                    self._tie(hop, self.index[id(taker)], "link")
                    hop = self.index[id(taker)]

    def _tie(self, a: int, b: int, how: str) -> None:
        self.ties[a].append((b, how))
        self.ties[b].append((a, how))

    def _memory(self, problem: Problem) -> None:
        """Dependences through SRAM, vector by vector, in time order (what
        the machine does): a read on the write it sees, a write on the reads
        of the value it replaces and on the write before it."""
        dw = self.machine.chip.delay("write")
        accesses: dict[
            tuple[int, str], list[tuple[int, str, np.ndarray, np.ndarray, np.ndarray]]
        ] = defaultdict(list)
        for group in problem.groups:
            for node in group.nodes:
                a = node.access
                if a is None:
                    continue
                w = self.works[self.index[id(node.op)]]
                accesses[(w.chip, a.tensor)].append(
                    (w.index, a.port, a.vectors, w.cycle + a.first, w.cycle + a.last)
                )
        for found in accesses.values():
            writes = [x for x in found if x[1] == "write"]
            if not writes:
                continue  # an input or constant: no dependence through it
            reads = [x for x in found if x[1] == "read"]
            w_id = np.concatenate([np.full(len(x[2]), x[0]) for x in writes])
            w_v = np.concatenate([x[2] for x in writes])
            w_first = np.concatenate([x[3] for x in writes])
            w_vis = np.concatenate(
                [timing.result_cycle(x[4], 0, self.works[x[0]].delay) for x in writes]
            )
            order = np.lexsort((w_vis, w_v))
            w_id, w_v, w_first, w_vis = (
                w_id[order],
                w_v[order],
                w_first[order],
                w_vis[order],
            )
            span = int(max(w_vis.max(), *(x[4].max() for x in found))) + 2
            w_key = w_v.astype(np.int64) * span + w_vis
            same = w_v[1:] == w_v[:-1]
            self._add(
                w_id[:-1][same],
                w_id[1:][same],
                w_first[1:][same] - (w_vis[:-1][same] - dw),
                "SRAM write -> write",
            )
            if not reads:
                continue
            r_id = np.concatenate([np.full(len(x[2]), x[0]) for x in reads])
            r_v = np.concatenate([x[2] for x in reads]).astype(np.int64)
            r_first = np.concatenate([x[3] for x in reads])
            r_last = np.concatenate([x[4] for x in reads])
            seen = np.searchsorted(w_key, r_v * span + r_first, side="right") - 1
            ok = (seen >= 0) & (w_v[np.maximum(seen, 0)] == r_v)
            self._add(
                w_id[seen[ok]],
                r_id[ok],
                r_first[ok] - w_vis[seen[ok]],
                "SRAM write -> read",
            )
            after = np.searchsorted(w_key, r_v * span + r_last, side="right")
            ok = (after < len(w_v)) & (w_v[np.minimum(after, len(w_v) - 1)] == r_v)
            self._add(
                r_id[ok],
                w_id[after[ok]],
                w_first[after[ok]] - timing.write_after_read(r_last[ok], dw),
                "SRAM read -> write",
            )

    def _add(
        self, src: np.ndarray, dst: np.ndarray, slack: np.ndarray, kind: str
    ) -> None:
        """Per-vector constraints, one edge per instruction pair (the tightest)."""
        keep = src != dst
        src, dst, slack = src[keep], dst[keep], slack[keep]
        if not len(src):
            return
        pairs = src.astype(np.int64) * len(self.works) + dst
        unique, inverse = np.unique(pairs, return_inverse=True)
        least = np.full(len(unique), np.iinfo(np.int64).max)
        np.minimum.at(least, inverse, slack)
        n = len(self.works)
        for pair, s in zip(unique.tolist(), least.tolist(), strict=True):
            self.edges.append(Edge(pair // n, pair % n, kind, s))

    def _mxm(self, problem: Problem) -> None:
        """A matmul after its weights are ready and after the matmul whose
        accumulators it adds to has taken its last vector."""
        for group in problem.groups:
            for node in group.nodes:
                if node.weights is None and node.acc is None:
                    continue
                w = self.works[self.index[id(node.op)]]
                if node.weights is not None:
                    i = self.works[self.index[id(node.weights.op)]]
                    ready = timing.weights_ready(i.cycle, i.burst, i.delay)
                    self.edges.append(
                        Edge(i.index, w.index, "MXM weights", w.cycle - ready)
                    )
                if node.acc is not None:
                    a = self.works[self.index[id(node.acc.op)]]
                    slack = w.cycle - (a.cycle + a.burst)
                    self.edges.append(Edge(a.index, w.index, "MXM accumulators", slack))

    def _resources(self) -> None:
        """Each unit, port and link direction held by one instruction at a
        time, and a slice's bank not read and written in one cycle: an edge
        from each holder to the next."""
        held: dict[tuple[int, str], list[tuple[int, int, int]]] = defaultdict(list)
        banks: dict[tuple[int, str, int], list[tuple[int, int, int, str]]] = (
            defaultdict(list)
        )
        spec = self.machine.chip
        for w in self.works:
            for claim in w.claims:
                held[(w.chip, claim.resource)].append((claim.start, claim.end, w.index))
            op = w.op
            if isinstance(op, lpu.MemOp):
                tensor = op.tensor_op()
                first = next(iter(op.vector_indices())) if not op.PER_LANE else 0
                bank = spec.bank(tensor.locate(first, spec)[1])
                for claim in w.claims:
                    banks[(w.chip, claim.unit, bank)].append(
                        (claim.start, claim.end, w.index, op.PORT)
                    )
        for (_, resource), spans in held.items():
            spans.sort()
            for (_, end, a), (start, _, b) in pairwise(spans):
                self.edges.append(Edge(a, b, resource, start - end))
        for (_, unit, bank), spans in banks.items():
            spans.sort()
            last: dict[str, tuple[int, int]] = {}
            for start, end, i, port in spans:
                other = last.get("write" if port == "read" else "read")
                if other is not None:
                    self.edges.append(
                        Edge(other[1], i, f"bank {bank} of {unit}", start - other[0])
                    )
                if port not in last or end > last[port][0]:
                    last[port] = (end, i)

    def _streams(self, problem: Problem) -> None:
        """A stream slot holds one value: a value put on a stream waits for
        the value before it on the same stream and positions to pass."""
        segments: dict[tuple[int, str, int], list[tuple[int, int, int, int, int]]] = (
            defaultdict(list)
        )
        for group in problem.groups:
            for edge in group.edges:
                if edge.chained:
                    continue
                u = self.works[self.index[id(edge.producer.op)]]
                dst = getattr(u.op, "dst", None)
                pos = u.footprint.position
                if dst is None or pos is None:
                    continue
                ends = [
                    self.works[self.index[id(c.op)]].footprint.position
                    for c in edge.consumers
                ]
                far = max(
                    (p for p in ends if p is not None),
                    key=lambda p: abs(p - pos),
                    default=pos,
                )
                d0 = timing.diagonal(dst.direction, pos, u.cycle + u.delay)
                for j in range(edge.width):
                    segments[(u.chip, dst.direction, dst.index + j)].append(
                        (d0, d0 + u.burst, min(pos, far), max(pos, far), u.index)
                    )
        for (_, direction, stream), segs in segments.items():
            segs.sort()
            longest = max(s[1] - s[0] for s in segs)
            for j, (d0, _, p0, p1, i) in enumerate(segs):
                best: tuple[int, int] | None = None
                for k in range(j - 1, -1, -1):
                    e0, e1, q0, q1, h = segs[k]
                    if best is not None and e0 + longest <= best[0]:
                        break
                    if (
                        e1 <= d0
                        and q0 <= p1
                        and p0 <= q1
                        and (best is None or e1 > best[0])
                    ):
                        best = (e1, h)
                if best is not None:
                    self.edges.append(
                        Edge(best[1], i, f"stream S{stream}{direction}", d0 - best[0])
                    )

    def _deskews(self) -> None:
        """Work on a chip that starts with a deskew begins at the epoch
        boundary it waits for."""
        deskews = {w.chip: w for w in self.works if w.op.KIND == "deskew"}
        if not deskews:
            return
        first: dict[tuple[int, int], Work] = {}
        for w in self.works:
            if w.chip in deskews and w is not deskews[w.chip]:
                key = (int(self.group[w.index]), w.chip)
                if key not in first or w.cycle < first[key].cycle:
                    first[key] = w
        for (_, chip), w in first.items():
            d = deskews[chip]
            self.edges.append(Edge(d.index, w.index, "deskew", w.cycle - (d.end + 1)))

    # ------------------------------------------------------------ the path

    def groups(self) -> dict[int, list[int]]:
        """Each group's members (work indices)."""
        members: dict[int, list[int]] = defaultdict(list)
        for i, g in enumerate(self.group.tolist()):
            members[g].append(i)
        return members

    def external(self) -> tuple[dict[int, list[Edge]], dict[int, list[Edge]]]:
        """The edges between groups, by the group they enter and leave."""
        into: dict[int, list[Edge]] = defaultdict(list)
        out: dict[int, list[Edge]] = defaultdict(list)
        group = self.group
        for e in self.edges:
            a, b = group[e.src], group[e.dst]
            if a != b:
                into[int(b)].append(e)
                out[int(a)].append(e)
        return into, out

    def critical_path(self) -> list[Element]:
        """The critical path, from cycle 0 to the end of the program."""
        works, spec = self.works, self.machine.chip
        last = max(works, key=lambda w: (w.end, -w.index))
        total = timing.program_length(last.end, spec)
        members = self.groups()
        into, _ = self.external()
        path = [Element("acts", last.key, total - last.cycle, last.index, None)]
        rank = self.rank.tolist()
        cur, visited = last.index, set()
        while True:
            g = int(self.group[cur])
            visited.add(g)
            edges = [e for e in into[g] if int(self.group[e.src]) not in visited]
            tight = [e for e in edges if e.slack <= 0]
            start = min(members[g], key=lambda i: works[i].cycle)
            found = (
                min(
                    tight,
                    key=lambda e: (
                        rank[e.src] > rank[e.dst],
                        e.kind not in DEPENDENCES,
                        -rank[e.src],
                    ),
                )
                if tight
                else None
                if works[start].cycle == 0
                else min(edges, key=lambda e: e.slack, default=None)
            )
            if found is None:
                path += self._within(start, cur)
                path.append(
                    Element("start", works[start].key, works[start].cycle, None, start)
                )
                break
            path += self._within(found.dst, cur)
            dst, src = works[found.dst], works[found.src]
            if found.slack > 0:
                path.append(Element("idle", dst.key, found.slack, None, dst.index))
            cycles = dst.cycle - src.cycle - max(found.slack, 0)
            path.append(Element(found.kind, src.key, cycles, src.index, dst.index))
            cur = found.src
        path.reverse()
        return path

    def _within(self, start: int, end: int) -> list[Element]:
        """The ties from one instruction of a group to another (a stream, an
        ALU chain, a link), each spent by the op of the instruction it
        leaves; backwards, as the path is built."""
        if start == end:
            return []
        came: dict[int, tuple[int, str]] = {start: (start, "")}
        todo = [start]
        while end not in came:
            i = todo.pop()
            for j, how in self.ties[i]:
                if j not in came:
                    came[j] = (i, how)
                    todo.append(j)
        hops = []
        j = end
        while j != start:
            i, how = came[j]
            a, b = self.works[i], self.works[j]
            hops.append(Element(how, a.key, b.cycle - a.cycle, i, j))
            j = i
        return hops

    def slack(self) -> dict[int, int]:
        """Each group's slack: how many cycles later all of it could issue,
        everything else where it is, without lengthening the program: the
        least, over the ways its delay reaches the end, of the slack of the
        edges on the way plus the last group's own distance to the end.
        Slacks are not negative, so this is a shortest path (Dijkstra, from
        every group's distance to the end, along the edges backwards)."""
        works, spec = self.works, self.machine.chip
        total = max(timing.program_length(w.end, spec) for w in works)
        members = self.groups()
        slack = {
            g: total - timing.program_length(max(works[i].end for i in ms), spec)
            for g, ms in members.items()
        }
        least: dict[tuple[int, int], int] = {}
        group = self.group.tolist()
        for e in self.edges:
            key = (group[e.src], group[e.dst])
            if key[0] != key[1]:
                s = max(e.slack, 0)
                if s < least.get(key, s + 1):
                    least[key] = s
        into: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for (a, b), s in least.items():
            into[b].append((a, s))
        heap = [(s, g) for g, s in slack.items()]
        heapq.heapify(heap)
        while heap:
            s, g = heapq.heappop(heap)
            if s > slack[g]:
                continue
            for a, edge in into[g]:
                if s + edge < slack[a]:
                    slack[a] = s + edge
                    heapq.heappush(heap, (s + edge, a))
        return slack
