"""The scheduling problem of a logical LPU program, as data (the way CIRCT's
scheduling infrastructure separates a `Problem` from its solvers).

A problem is:

- *operations*: one `Node` per instruction, with its chip, burst, unit and
  its SRAM access (`Access`: which vectors of which tensor, read or written);
  its latencies and busy resources are its instruction's facts
  (`Instruction.footprint`, a function of the placement a solver picks);
- *groups*: instructions tied by stream-borne vectors (`Edge`, a producer and
  its consumers, or a VXM chain) and by sends and their receives
  (`Transfer`); inside a group the timing law fixes every distance, so a
  solver places a group as one rigid template. `Problem.groups` lists them in
  an order that keeps every chip's program order;
- *dependences*: through SRAM, given by the accesses in that order (a read
  sees the writes before it, a write comes after the reads of the old
  value); through the MXM (`Node.weights`: the install a matmul multiplies
  by; `Node.acc`: the matmul whose accumulators it adds to);
- *resources* with their limits (`Problem.limits`) and, for transfers, the
  candidate routes through the links (`Problem.routes`).

A solver fills each node's, edge's and transfer's *solution* fields (cycle,
placement, stream, route); `check` verifies them against the problem, and
`emit` writes them to the IR. Nothing here changes the IR.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from xdsl.ir import SSAValue

from lpuir import timing
from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu
from lpuir.dialects.lpu import element_bytes
from lpuir.machine import ChipSpec, LinkSpec, SystemSpec

ROUTE_CHOICES = 4
"""Routes kept per transfer (the fewest hops, then the lowest latency)."""


@dataclass(frozen=True, slots=True)
class Access:
    """A MEM instruction's SRAM access: it touches `vectors[i]` of `tensor`
    between issue + `first[i]` and issue + `last[i]` (a read or write: burst
    vector k at issue + k, or its one vector every cycle with step 0; a gather or scatter, whose lanes choose, may touch
    any vector at any cycle of its burst)."""

    tensor: str
    port: str
    vectors: np.ndarray
    first: np.ndarray
    last: np.ndarray


def bank_spans(
    access: Access, tensor: lpu.TensorOp, spec: ChipSpec
) -> list[tuple[int, int, int]]:
    """(bank, from, to): each SRAM bank a MEM access touches and the cycles,
    relative to its issue, from its first to past its last touch of it; a
    burst that crosses a bank boundary (of a tensor bigger than a bank)
    holds each bank only while it is in it."""
    assert tensor.address is not None
    address = (tensor.address.data + access.vectors) % spec.sram_addresses
    banks = address * spec.sram_banks // spec.sram_addresses
    low, high = int(banks.min()), int(banks.max())
    if low == high:
        return [(low, int(access.first.min()), int(access.last.max()) + 1)]
    return [
        (b, int(access.first[touched].min()), int(access.last[touched].max()) + 1)
        for b in range(low, high + 1)
        if (touched := banks == b).any()
    ]


@dataclass(eq=False, slots=True)
class Node:
    """One instruction: problem properties, then solution properties (set by
    a solver), then a solver's working template. Slotted: a Llama layer has
    hundreds of thousands, all alive while it is scheduled."""

    op: lpu.Instruction
    chip: int = 0
    burst: int = 1
    """max(1, op.burst), computed once (reading xDSL properties is slow)."""
    tensors: dict[str, int] = field(default_factory=dict, repr=False)
    """The vector count of every tensor of its chip."""
    weights: Node | None = None
    """A matmul's install (its weights)."""
    acc: Node | None = None
    """The matmul whose accumulators a matmul adds to."""
    # solution
    cycle: int | None = None
    alu: int | None = None
    hemisphere: str = "W"
    plane: int | None = None
    port: int | None = None
    """A send's or receive's port, once its transfer's route is chosen."""
    # a solver's template (relative to the group's start)
    pos: int = 0
    rel: int = 0
    delay: int = 0
    footprints: dict[tuple, lpu.Footprint] = field(default_factory=dict)
    """The instruction's footprint at each placement tried (computed once)."""
    _access: Access | None = field(default=None, init=False, repr=False)
    _access_known: bool = field(default=False, init=False, repr=False)

    @property
    def access(self) -> Access | None:
        """Its SRAM access, if it is a MEM instruction (computed when first
        asked: lpu-allocate-sram needs only the groups)."""
        if not self._access_known:
            self._access, self._access_known = self._find_access(), True
        return self._access

    def _find_access(self) -> Access | None:
        op = self.op
        if not isinstance(op, lpu.MemOp):
            return None
        name = op.tensor.root_reference.data
        if op.PER_LANE:
            vectors = np.arange(self.tensors[name])
            first = np.zeros(len(vectors), dtype=np.int64)
            return Access(name, op.PORT, vectors, first, first + self.burst - 1)
        vectors = np.array(list(op.vector_indices()))
        if len(vectors) < self.burst:  # step 0: one vector, every cycle of the burst
            return Access(
                name,
                op.PORT,
                vectors,
                np.zeros(1, np.int64),
                np.array([self.burst - 1]),
            )
        takes = np.arange(len(vectors))
        return Access(name, op.PORT, vectors, takes, takes)


@dataclass(eq=False)
class Edge:
    """A vector travelling from producer to consumers on a stream or, for a
    VXM chain (one VXM consumer of a VXM result), from ALU to ALU."""

    value: SSAValue
    producer: Node
    consumers: list[Node]
    chained: bool
    # solution
    direction: str = "E"
    stream: int | None = None

    @cached_property
    def width(self) -> int:
        """Streams it takes side by side (bytes per element)."""
        return element_bytes(self.value.type.element)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Hop:
    """One link of a route: from (chip, port) to (peer, peer_port)."""

    chip: int
    port: int
    link: LinkSpec
    peer: int
    peer_port: int


@dataclass(eq=False)
class Transfer:
    """A vector going from a send to its receive."""

    send: Node
    recv: Node
    # solution
    route: tuple[Hop, ...] = ()
    forwards: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(chip, cycle, in port, out port) of each forward on the route."""


@dataclass(eq=False)
class Group:
    nodes: list[Node]
    edges: list[Edge]
    transfers: list[Transfer] = field(default_factory=list)

    @property
    def install_bound(self) -> bool:
        """Whether the group installs weights whose matmuls multiply fewer
        rows than it installs (a GEMV's K-blocks): such installs stay on one
        hemisphere (the solver's `side_key`), and lpu-allocate-sram keeps
        the tensors they read on that side of the chip."""
        install = next(
            (n.op for n in self.nodes if isinstance(n.op, lpu.InstallOp)), None
        )
        if install is None:
            return False
        uses = [u.operation for u in install.result.uses]
        matmuls = [m for m in uses if isinstance(m, lpu.MatmulOp)]
        return bool(matmuls) and all(
            max(1, m.burst) < max(1, install.burst) for m in matmuls
        )

    def tensors(self) -> dict[int, set[str]]:
        """The tensors the group reads or writes, per chip."""
        found: dict[int, set[str]] = defaultdict(set)
        for node in self.nodes:
            if isinstance(node.op, lpu.MemOp):
                found[node.chip].add(node.op.tensor.root_reference.data)
        return found


@dataclass
class Problem:
    """A system's scheduling problem (module docstring)."""

    system: lpu.SystemOp
    machine: SystemSpec
    groups: list[Group]
    tensors: dict[int, dict[str, int]]
    """Per chip, every tensor's vector count."""
    deskew: bool = False
    """Every chip starts with a deskew at cycle 0 (work from the first epoch
    boundary on)."""
    route_cache: dict[tuple[int, int], list[tuple[Hop, ...]]] = field(
        default_factory=dict
    )
    # solution
    last_act: dict[int, int] = field(default_factory=dict)
    """Per chip, the last cycle any instruction (or forward) acts."""
    static_cycles: int | None = None

    @property
    def limits(self) -> dict[str, int]:
        """Instances of each resource per chip (links: per port)."""
        chip = self.machine.chip
        return {
            "vxm alu": chip.vxm_alus,
            "sxm": 2,
            "mxm plane": 2 * chip.mxm_planes,
            "streams per direction": chip.streams,
            "mem ports per slice": 2,
            "link cycles per vector": self.machine.cycles_per_vector,
        }

    def routes(self, transfer: Transfer) -> list[tuple[Hop, ...]]:
        """Candidate routes from the send's chip to the receive's: every direct
        link, else the two-hop paths, else one shortest path (fewest hops);
        the best ROUTE_CHOICES by hops, then latency."""
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
        return timing.route_latency([h.link for h in route], self.machine.chip)

    def describe(self) -> str:
        """The problem as text, one line per group, node, edge and transfer
        (what `lpu-print-schedule-problem` prints)."""
        lines = [
            f"problem on {self.machine.chips} chip(s): "
            + ", ".join(f"{k} {v}" for k, v in self.limits.items())
        ]
        ids = {id(n): i for i, n in enumerate(n for g in self.groups for n in g.nodes)}
        for g, group in enumerate(self.groups):
            lines.append(f"group {g}")
            for node in group.nodes:
                line = f"  node {ids[id(node)]}: chip {node.chip} {node.op.name.removeprefix('lpu.')} burst {node.burst}"
                if node.access is not None:
                    a = node.access
                    line += f" {a.port} @{a.tensor}[{_span(a.vectors)}]"
                if node.weights is not None:
                    line += f" weights node {ids[id(node.weights)]}"
                if node.acc is not None:
                    line += f" acc node {ids[id(node.acc)]}"
                lines.append(line)
            for edge in group.edges:
                via = "chain" if edge.chained else f"stream x{edge.width}"
                to = ", ".join(str(ids[id(c)]) for c in edge.consumers)
                lines.append(f"  edge {ids[id(edge.producer)]} -> {to} by {via}")
            for t in group.transfers:
                lines.append(
                    f"  transfer {ids[id(t.send)]} -> {ids[id(t.recv)]} chip {t.send.chip} -> {t.recv.chip}"
                )
        return "\n".join(lines)


def _span(vectors: np.ndarray) -> str:
    if len(vectors) == 1:
        return str(int(vectors[0]))
    step = int(vectors[1] - vectors[0])
    if np.array_equal(vectors, vectors[0] + step * np.arange(len(vectors))):
        return f"{int(vectors[0])}..{int(vectors[-1])}" + (
            f" step {step}" if step != 1 else ""
        )
    return f"{len(vectors)} vectors"


def build_problem(system: lpu.SystemOp, *, deskew: bool = False) -> Problem:
    """The problem of a logical system: instructions that share stream-borne
    vectors, and sends with their receives, tied into groups, in an order
    valid for every chip (on each chip, by the group's last instruction
    there, which respects its dependences). Needs no SRAM placement."""
    spec = system.machine.spec
    lanes = spec.chip.lanes
    chips = sorted(system.chips, key=lambda c: c.chip_id)
    tensors = {
        chip.chip_id: {t.sym_name.data: t.vector_count(lanes) for t in chip.tensors()}
        for chip in chips
    }
    instrs = [(chip.chip_id, op) for chip in chips for op in chip.instructions()]
    # by id: hashing an xDSL operation is a Python call, and a Llama layer
    # has hundreds of thousands
    index = {id(op): i for i, (_, op) in enumerate(instrs)}
    parent = list(range(len(instrs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    takers = _stream_users(instrs)
    edges: list[tuple[SSAValue, lpu.Instruction, list[lpu.Instruction]]] = []
    for _, op in instrs:
        for result in op.results:
            users = takers.get(id(result))
            if users and isinstance(result.type, lpu.VectorType):
                edges.append((result, op, users))
                for user in users:
                    parent[find(index[id(user)])] = find(index[id(op)])
    pairs = lpu.logical_pairs(system)
    for send, recv in pairs:
        parent[find(index[id(recv)])] = find(index[id(send)])
    nodes = {
        id(op): Node(op, chip, max(1, op.burst), tensors[chip]) for chip, op in instrs
    }
    for node in nodes.values():
        op = node.op
        if op.KIND == "matmul":
            assert isinstance(op, lpu.MatmulOp)
            node.weights = nodes.get(id(op.weights.owner))
            if op.acc is not None:
                node.acc = nodes.get(id(op.acc.owner))
    members: dict[int, list[Node]] = defaultdict(list)
    for _, op in instrs:
        members[find(index[id(op)])].append(nodes[id(op)])
    group_edges: dict[int, list[Edge]] = defaultdict(list)
    for value, producer, users in edges:
        chained = (
            len(users) == 1
            and isinstance(producer, lpu.VxmOp)
            and isinstance(users[0], lpu.VxmOp)
        )
        group_edges[find(index[id(producer)])].append(
            Edge(value, nodes[id(producer)], [nodes[id(u)] for u in users], chained)
        )
    transfers: dict[int, list[Transfer]] = defaultdict(list)
    for send, recv in pairs:
        transfers[find(index[id(send)])].append(
            Transfer(nodes[id(send)], nodes[id(recv)])
        )
    groups = {
        root: Group(ns, group_edges[root], transfers[root])
        for root, ns in members.items()
    }
    return Problem(system, spec, _chip_order(groups, index), tensors, deskew)


def _stream_users(
    instrs: list[tuple[int, lpu.Instruction]],
) -> dict[int, list[lpu.Instruction]]:
    """`lpu.stream_users` of every value (by id) some instruction takes off a
    stream, each user once, in the order of the value's uses; found from each
    instruction's stream operands, so a value's uses are walked only when
    two or more instructions take it."""
    found: dict[int, tuple[SSAValue, list[lpu.Instruction]]] = {}
    for _, op in instrs:
        for value in op.stream_operands():
            entry = found.get(id(value))
            if entry is None:
                found[id(value)] = (value, [op])
            elif entry[1][-1] is not op:
                entry[1].append(op)
    users: dict[int, list[lpu.Instruction]] = {}
    for key, (value, ops) in found.items():
        if len(ops) > 1:
            ids = {id(op) for op in ops}
            ops = list(
                dict.fromkeys(u.operation for u in value.uses if id(u.operation) in ids)
            )  # type: ignore[arg-type]
        users[key] = ops
    return users


def _chip_order(groups: dict[int, Group], index: dict[int, int]) -> list[Group]:
    """The groups in an order that keeps each chip's own order (by a group's
    last instruction on that chip, `index` by its id); the chips must agree
    on it."""
    lists: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for root, group in groups.items():
        last: dict[int, int] = {}
        for node in group.nodes:
            last[node.chip] = max(last.get(node.chip, -1), index[id(node.op)])
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
