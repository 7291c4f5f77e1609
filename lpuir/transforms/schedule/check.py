"""The checker of a solution against its `Problem`: every constraint of the
problem, stated directly on the solution's cycles and placements (not on a
solver's search state), so any solver's answer can be checked.

It is the scheduler's own test: lpu-verify-schedule and the simulator check
the emitted program against the machine itself, independently of both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from lpuir import timing
from lpuir.diagnostics import op_location
from lpuir.dialects import lpu
from lpuir.transforms.schedule.problem import Node, Problem, bank_spans


def check(problem: Problem) -> list[str]:
    """What the problem's solution breaks, one located message per broken
    constraint (empty: it keeps every one)."""
    return _Checker(problem).run()


def _always(a: Node, b: Node) -> bool:
    return True


def _where(node: Node) -> str:
    return (
        f"{op_location(node.op)}: {node.op.name} (chip {node.chip}, cycle {node.cycle})"
    )


class _Checker:
    def __init__(self, problem: Problem):
        self.problem = problem
        self.spec = problem.machine.chip
        self.errors: list[str] = []
        self.nodes = [n for g in problem.groups for n in g.nodes]

    def run(self) -> list[str]:
        if any(n.cycle is None or n.cycle < 0 for n in self.nodes):
            missing = next(n for n in self.nodes if n.cycle is None or n.cycle < 0)
            return [f"{op_location(missing.op)}: {missing.op.name} has no cycle"]
        footprints = {id(n): self.footprint(n) for n in self.nodes}
        self.templates(footprints)
        self.units(footprints)
        self.streams(footprints)
        self.memory(footprints)
        self.planes(footprints)
        self.links()
        self.length(footprints)
        return self.errors

    def footprint(self, node: Node) -> lpu.Footprint:
        op = node.op
        place = lpu.Place(
            alu=node.alu,
            hemisphere=node.hemisphere if op.UNIT in ("SXM", "MXM") else None,
            plane=node.plane,
            port=node.port,
        )
        if op.UNIT == "VXM" and node.alu is None:
            self.errors.append(f"{_where(node)}: has no ALU")
        return op.footprint(self.spec, place)

    def templates(self, footprints: dict[int, lpu.Footprint]) -> None:
        """Each consumer takes its operand exactly as it passes; each receive
        is exactly the route's latency after its send."""
        for group in self.problem.groups:
            for edge in group.edges:
                u = edge.producer
                fp = footprints[id(u)]
                assert u.cycle is not None and fp.position is not None
                for c in edge.consumers:
                    position = footprints[id(c)].position
                    assert position is not None
                    want = u.cycle + (
                        fp.delay
                        if edge.chained
                        else timing.transit(fp.delay, fp.position, position)
                    )
                    if c.cycle != want:
                        self.errors.append(
                            f"{_where(c)}: takes its operand at cycle {c.cycle}, but it passes at {want}"
                        )
                    if edge.chained and c.alu is None:
                        self.errors.append(f"{_where(c)}: chains from no ALU")
            for t in group.transfers:
                assert t.send.cycle is not None
                want = t.send.cycle + self.problem.route_latency(t.route)
                if t.recv.cycle != want:
                    self.errors.append(
                        f"{_where(t.recv)}: receives at cycle {t.recv.cycle}, but the vector arrives at {want}"
                    )

    def units(self, footprints: dict[int, lpu.Footprint]) -> None:
        """No unit or port held by two instructions in one cycle, and no bank
        of a slice read and written in one cycle (a burst holds each bank it
        touches while it is in it: `bank_spans`)."""
        held: dict[tuple, list[tuple[int, int, Node]]] = defaultdict(list)
        banks: dict[tuple, list[tuple[int, int, Node]]] = defaultdict(list)
        for node in self.nodes:
            assert node.cycle is not None
            span = (node.cycle, node.cycle + node.burst, node)
            for _, resource in footprints[id(node)].holds:
                held[(node.chip, resource)].append(span)
            access = node.access
            if access is not None:
                op = node.op
                assert isinstance(op, lpu.MemOp)
                spans = bank_spans(access, op.tensor_op(), self.spec)
                for unit, _ in footprints[id(node)].holds:
                    for bank, lo, hi in spans:
                        banks[(node.chip, f"bank {bank} of {unit}")].append(
                            (node.cycle + lo, node.cycle + hi, node)
                        )
        for (_, what), spans in held.items():
            self.exclusive(what, spans, _always)
        for (_, what), spans in banks.items():
            self.exclusive(
                what,
                spans,
                lambda a, b: a.access.port != b.access.port,  # type: ignore[union-attr]
            )

    def exclusive(
        self,
        what: str,
        spans: list[tuple[int, int, Node]],
        clash: Callable[[Node, Node], bool],
    ) -> None:
        """Report each span that overlaps an earlier one it clashes with."""
        spans.sort(key=lambda s: s[0])
        holders: list[tuple[int, int, Node]] = []
        for b0, b1, b in spans:
            holders = [h for h in holders if h[1] > b0]
            held = next((h for h in holders if clash(h[2], b)), None)
            if held is not None:
                self.errors.append(
                    f"{_where(b)}: needs {what} at cycle {b0}, held by {_where(held[2])} until {held[1] - 1}"
                )
            holders.append((b0, b1, b))

    def streams(self, footprints: dict[int, lpu.Footprint]) -> None:
        """No two values in one stream slot: a value put at position p at
        cycle t holds the diagonals of its burst from p to its farthest
        consumer."""
        held: dict[tuple, list[tuple[int, int, int, int, Node]]] = defaultdict(list)
        for group in self.problem.groups:
            for edge in group.edges:
                if edge.chained:
                    continue
                u, fp = edge.producer, footprints[id(edge.producer)]
                assert u.cycle is not None and fp.position is not None
                if edge.stream is None or not (
                    0 <= edge.stream <= self.spec.streams - edge.width
                ):
                    self.errors.append(
                        f"{_where(u)}: stream {edge.stream} for its result"
                    )
                    continue
                ends = [footprints[id(c)].position for c in edge.consumers]
                far = max(ends, key=lambda p: abs(p - fp.position))  # type: ignore[operator]
                assert far is not None
                d0 = timing.diagonal(edge.direction, fp.position, u.cycle + fp.delay)
                span = (
                    d0,
                    d0 + u.burst,
                    min(fp.position, far),
                    max(fp.position, far),
                    u,
                )
                for j in range(edge.width):
                    held[(u.chip, edge.direction, edge.stream + j)].append(span)
        for key, spans in held.items():
            spans.sort(key=lambda s: s[0])
            for i, (_, a1, ap, aq, a) in enumerate(spans):
                for b0, _, bp, bq, b in spans[i + 1 :]:
                    if b0 >= a1:
                        break
                    if ap <= bq and bp <= aq:
                        self.errors.append(
                            f"{_where(b)}: its result shares stream S{key[2]}{key[1]} slots with {_where(a)}'s"
                        )

    def memory(self, footprints: dict[int, lpu.Footprint]) -> None:
        """In the problem's order, a read sees every write before it, and a
        write comes after the reads of the value it replaces."""
        visible: dict[tuple[int, str], np.ndarray] = {}
        read: dict[tuple[int, str], np.ndarray] = {}
        for chip, tensors in self.problem.tensors.items():
            for name, count in tensors.items():
                visible[(chip, name)] = np.zeros(count, np.int64)
                read[(chip, name)] = np.full(count, -1, np.int64)
        dw = self.spec.delay_write
        for group in self.problem.groups:
            accesses = [(n, n.access) for n in group.nodes if n.access is not None]
            for node, a in accesses:
                assert node.cycle is not None
                key, first = (node.chip, a.tensor), node.cycle + a.first
                if a.port == "read":
                    late = first < visible[key][a.vectors]
                else:
                    late = (
                        first < timing.write_after_read(read[key][a.vectors], dw)
                    ) | (first < visible[key][a.vectors] - dw)
                if late.any():
                    v = int(a.vectors[int(np.argmax(late))])
                    verb = "reads" if a.port == "read" else "writes"
                    self.errors.append(
                        f"{_where(node)}: {verb} @{a.tensor} vector {v} out of order with an earlier access"
                    )
            for node, a in accesses:
                assert node.cycle is not None
                key, last = (node.chip, a.tensor), node.cycle + a.last
                if a.port == "read":
                    np.maximum.at(read[key], a.vectors, last)
                else:
                    done = timing.result_cycle(last, 0, footprints[id(node)].delay)
                    np.maximum.at(visible[key], a.vectors, done)

    def planes(self, footprints: dict[int, lpu.Footprint]) -> None:
        """An install takes at most `mxm_install_rows_per_cycle` rows side by
        side (its operands: row chunks from as many slices); a matmul
        multiplies by weights installed (complete) on its plane and not yet
        replaced, and adds to its plane's previous matmul."""
        by_plane: dict[tuple, list[Node]] = defaultdict(list)
        limit = self.spec.mxm_install_rows_per_cycle
        for node in self.nodes:
            if isinstance(node.op, lpu.InstallOp) and len(node.op.rows) > limit:
                self.errors.append(
                    f"{_where(node)}: installs {len(node.op.rows)} rows side by side, more than {limit}"
                )
            if node.op.UNIT == "MXM":
                by_plane[(node.chip, node.hemisphere, node.plane)].append(node)
        for nodes in by_plane.values():
            nodes.sort(key=lambda n: (n.cycle, not isinstance(n.op, lpu.InstallOp)))
            installed: Node | None = None
            previous: Node | None = None
            for node in nodes:
                if isinstance(node.op, lpu.InstallOp):
                    installed = node
                    continue
                w = node.weights
                assert node.cycle is not None
                if w is not installed or w is None:
                    self.errors.append(
                        f"{_where(node)}: its weights are not on its plane"
                    )
                else:
                    assert w.cycle is not None
                    ready = timing.weights_ready(
                        w.cycle, w.burst, footprints[id(w)].delay
                    )
                    if node.cycle < ready:
                        self.errors.append(
                            f"{_where(node)}: its weights are usable only from cycle {ready}"
                        )
                if node.acc is not None and node.acc is not previous:
                    self.errors.append(
                        f"{_where(node)}: its accumulators are not its plane's"
                    )
                previous = node

    def links(self) -> None:
        """Each direction of a link carries one vector per cycles_per_vector."""
        held: dict[tuple[int, int], list[tuple[int, int, Node]]] = defaultdict(list)
        for group in self.problem.groups:
            for t in group.transfers:
                assert t.send.cycle is not None
                if not t.route or t.send.port != t.route[0].port:
                    self.errors.append(f"{_where(t.send)}: sends on no route")
                    continue
                depart = t.send.cycle
                for hop in t.route:
                    held[(hop.chip, hop.port)].append(
                        (depart, timing.link_free(depart, hop.link), t.send)
                    )
                    depart = timing.forward_departure(
                        timing.arrival(depart, hop.link), self.spec
                    )
        for (chip, port), spans in held.items():
            self.exclusive(f"the link of chip {chip} port {port}", spans, _always)

    def length(self, footprints: dict[int, lpu.Footprint]) -> None:
        """The static cycle count is the longest chip's program length."""
        last: dict[int, int] = dict.fromkeys(self.problem.tensors, -1)
        for node in self.nodes:
            assert node.cycle is not None
            act = timing.last_act(node.cycle, node.burst, footprints[id(node)].delay)
            last[node.chip] = max(last[node.chip], act)
        for group in self.problem.groups:
            for t in group.transfers:
                for chip, cycle, _, _ in t.forwards:
                    departure = timing.forward_departure(cycle, self.spec)
                    last[chip] = max(last.get(chip, -1), departure)
        if self.problem.deskew:
            deskew = timing.deskew_delay(0, self.problem.machine.epoch)
            last = {chip: max(act, deskew) for chip, act in last.items()}
        want = max(
            (timing.program_length(a, self.spec) for a in last.values()), default=0
        )
        if self.problem.static_cycles != want:
            self.errors.append(
                f"the solution records {self.problem.static_cycles} cycles, but its instructions act until {want}"
            )
