"""lpu-allocate-sram: give every unplaced lpu.tensor a slice and an address.

Tensors are spread over as many slice groups as possible (the least used
first, nearest the VXM on a tie, alternating hemispheres; never beside a
tensor that an instruction group of the same program also uses, unless
nothing else has room), so the reads of one instruction group use
different slices (each slice reads one vector per cycle) and travel short
distances. The tensors an install-bound weight install reads side by side
(a GEMV's row chunks, `Group.install_bound`), whose installs lpu-schedule
keeps on one hemisphere, go on one side of the chip where they can: an
install's reads arrive at its MXM together, so a far-side chunk is read
some 60 cycles before a near one, and an install reading both sides held
ports and streams over that whole span and kept the next from starting.
Otherwise a tensor that an instruction group sends to or receives from
another chip goes on the side of the ports its routes use (`port_sides`),
so its vectors do not cross the chip to reach the link. A
tensor never straddles a bank boundary when it fits in one bank, so a burst
touches one bank; one too big for a slice takes several empty slice groups,
from address 0 (so the vectorizer knows where each group starts). A program
that does not fit fails with a memory map: what takes how much, where.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import IntAttr, ModuleOp, StringAttr
from xdsl.passes import ModulePass

from lpuir.diagnostics import LpuError, lpu_programs, op_location
from lpuir.dialects import lpu
from lpuir.dialects.lpu import element_bytes
from lpuir.machine import ChipSpec
from lpuir.transforms.schedule.problem import Group, Problem, build_problem


def majority(sides: list[str]) -> str:
    """The side (W or E) most of `sides` name, W on a tie."""
    return "W" if sides.count("W") >= sides.count("E") else "E"


@dataclass
class _Slice:
    """Free space of one slice: its free [start, end) address ranges in
    address order, and the tensors placed in it."""

    free: list[tuple[int, int]]
    users: list[tuple[str, int, int]] = field(default_factory=list)
    """(tensor, address, vectors) of each tensor placed here."""
    names: set[str] = field(default_factory=set)
    """The users' tensors, to tell a partner's slice at a glance."""
    used: int = 0
    """The users' vectors in all."""


def _slice_order(spec: ChipSpec) -> list[str]:
    """MEM slices nearest the VXM first, alternating W and E."""
    per_side = sum(1 for name in spec.mem_slices if name[0] == "W")
    return [f"{side}{i}" for i in range(per_side) for side in ("W", "E")]


def _common_free(slices: list[_Slice]) -> list[tuple[int, int]]:
    """The address ranges free in every one of `slices`, in address order:
    each the overlap of one free range of each slice."""
    common = slices[0].free
    for s in slices[1:]:
        both, i, j = [], 0, 0
        while i < len(common) and j < len(s.free):
            (a, z), (b, y) = common[i], s.free[j]
            if max(a, b) < min(z, y):
                both.append((max(a, b), min(z, y)))
            if z < y:
                i += 1
            else:
                j += 1
        common = both
    return common


class SramMap:
    """The SRAM of one chip, slice by slice."""

    def __init__(self, spec: ChipSpec):
        self.spec = spec
        self.slices = {
            name: _Slice([(0, spec.sram_addresses)]) for name in spec.mem_slices
        }
        self.order = _slice_order(spec)
        self.bank_size = spec.sram_addresses // spec.sram_banks
        self._planes: dict[tuple[str, int], list[_Slice] | None] = {}
        self.sides: dict[str, str] = {}
        """The side (W or E) of each placed tensor."""

    def plane_slices(self, base: str, planes: int) -> list[_Slice] | None:
        """The slices of `planes` byte planes from `base` (None if they run
        past the side's last slice), looked up once: `place` asks for every
        slice group for every tensor."""
        key = (base, planes)
        if key not in self._planes:
            side, first = base[0], int(base[1:])
            names = [f"{side}{first + b}" for b in range(planes)]
            self._planes[key] = (
                [self.slices[n] for n in names]
                if all(n in self.slices for n in names)
                else None
            )
        return self._planes[key]

    def reserve(
        self, name: str, base: str, address: int, count: int, planes: int
    ) -> None:
        """Mark a placed tensor's addresses as used in each of its plane slices,
        continuing into the next slice groups outward when it spans several."""
        side, first = base[0], int(base[1:])
        self.sides[name] = side
        size = self.spec.sram_addresses
        end = address + count
        for g in range(address // size, -(-end // size)):
            lo, hi = (
                max(address, g * size) - g * size,
                min(end, (g + 1) * size) - g * size,
            )
            for b in range(planes):
                s = self.slices[f"{side}{first + g * planes + b}"]
                s.free = [
                    r
                    for a, z in s.free
                    for r in ((a, min(z, lo)), (max(a, hi), z))
                    if r[0] < r[1]
                ]
                s.users.append((name, lo, hi - lo))
                s.names.add(name)
                s.used += hi - lo

    def _spans(self, base: str, count: int, planes: int) -> bool:
        """Whether a tensor too big for one slice fits from address 0 of `base`
        through the next slice groups outward, all of them empty."""
        side, first = base[0], int(base[1:])
        groups = -(-count // self.spec.sram_addresses)
        names = [
            f"{side}{first + g * planes + b}"
            for g in range(groups)
            for b in range(planes)
        ]
        return all(n in self.slices and not self.slices[n].users for n in names)

    def _fits(self, slices: list[_Slice], count: int) -> int | None:
        """Lowest address where `count` vectors are free in every one of
        `slices`, avoiding a bank boundary when the tensor fits in one bank:
        the start of a common free range (where some slice's free range
        starts), else the first bank start in it."""
        bank = self.bank_size
        for lo, hi in _common_free(slices):
            start = lo
            if count <= bank and lo // bank != (lo + count - 1) // bank:
                start = (lo // bank + 1) * bank
            if start + count <= hi:
                return start
        return None

    def side_of(self, names: set[str]) -> str | None:
        """The side holding most of the placed ones of `names` (`majority`),
        None if none is placed."""
        held = [self.sides[n] for n in names if n in self.sides]
        return majority(held) if held else None

    def place(
        self,
        name: str,
        count: int,
        planes: int,
        partners: set[str] = frozenset(),
        side: str | None = None,
    ) -> tuple[str, int] | None:  # type: ignore[assignment]
        """The least used slice group with room, nearest the VXM on a tie, so
        tensors spread over as many slices (read ports) as possible; a group
        holding one of `partners` (tensors used in the same instruction group)
        only if nothing else has room, one on the other `side` only if
        nothing on it has."""
        if count > self.spec.sram_addresses:
            for base in self.order:
                if self._spans(base, count, planes):
                    self.reserve(name, base, 0, count, planes)
                    return base, 0
            return None
        best: tuple[bool, bool, int, str, int] | None = None
        for base in self.order:  # nearest first: a later group must be less used
            slices = self.plane_slices(base, planes)
            if slices is None:
                continue
            shared = any(not partners.isdisjoint(s.names) for s in slices)
            away = side is not None and base[0] != side
            used = max(s.used for s in slices)
            if best is not None and (shared, away, used) >= best[:3]:
                continue
            address = self._fits(slices, count)
            if address is not None:
                best = (shared, away, used, base, address)
        if best is None:
            return None
        self.reserve(name, best[3], best[4], count, planes)
        return best[3], best[4]

    def memory_map(self) -> str:
        """What takes how much, where: one line per used slice."""
        lines = []
        for name, s in self.slices.items():
            if s.users:
                parts = ", ".join(
                    f"@{n} {a}..{a + c - 1}"
                    for n, a, c in sorted(s.users, key=lambda u: u[1])
                )
                lines.append(
                    f"  {name}: {s.used}/{self.spec.sram_addresses} vectors: {parts}"
                )
        return "\n".join(lines) or "  (empty)"


def group_partners(groups: list[Group]) -> dict[int, dict[str, set[str]]]:
    """Per chip, the tensors each tensor is read or written beside in some
    instruction group (its partners)."""
    partners: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for group in groups:
        for chip, on_chip in group.tensors().items():
            for name in on_chip:
                partners[chip][name] |= on_chip - {name}
    return partners


def port_sides(problem: Problem) -> dict[int, dict[str, str]]:
    """Per chip, the side of the ports the tensors of groups with transfers
    send from or receive on, where every candidate route of a transfer
    agrees (the `majority` of a tensor's transfers)."""
    spec = problem.machine.chip
    votes: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for group in problem.groups:
        if not group.transfers:
            continue
        tensors = group.tensors()
        for transfer in group.transfers:
            routes = problem.routes(transfer)
            ends = (
                (transfer.send.chip, {spec.port_side(r[0].port) for r in routes}),
                (transfer.recv.chip, {spec.port_side(r[-1].peer_port) for r in routes}),
            )
            for chip, sides in ends:
                if len(sides) == 1:
                    for name in tensors.get(chip, ()):
                        votes[chip][name].extend(sides)
    return {
        chip: {name: majority(held) for name, held in by_name.items()}
        for chip, by_name in votes.items()
    }


def allocate_chip(
    chip: lpu.ChipOp,
    spec: ChipSpec,
    partners: dict[str, set[str]],
    installed: dict[str, set[str]],
    ports: dict[str, str],
) -> None:
    """Place every unplaced tensor of a chip; placed ones stay where they are.
    `partners`: the chip's `group_partners` (kept on different slices);
    `installed`: its partners in install-bound weight installs (kept on
    one side); `ports`: the side of the links its transfers use (`port_sides`)."""
    sram = SramMap(spec)
    tensors = list(chip.tensors())
    for t in tensors:
        if t.slice is not None and t.address is not None:
            sram.reserve(
                t.sym_name.data,
                t.slice.data,
                t.address.data,
                t.vector_count(spec.lanes),
                element_bytes(t.element),
            )
    for t in sorted(
        (t for t in tensors if t.slice is None),
        key=lambda t: -t.vector_count(spec.lanes) * element_bytes(t.element),
    ):
        count, planes = t.vector_count(spec.lanes), element_bytes(t.element)
        name = t.sym_name.data
        placed = sram.place(
            name,
            count,
            planes,
            partners.get(name, set()),
            sram.side_of(installed.get(name, set())) or ports.get(name),
        )
        if placed is None:
            need = count * planes * spec.lanes
            raise LpuError(
                f"{op_location(t)}: error: chip {chip.chip_id} SRAM is full: tensor @{t.sym_name.data} "
                f"({t.type}, {count} vectors x {planes} byte plane(s) = {need} bytes) does not fit.\n"
                f"memory map of chip {chip.chip_id} ({len(spec.mem_slices)} slices x {spec.sram_addresses} vectors):\n{sram.memory_map()}"
            )
        t.slice, t.address = StringAttr(placed[0]), IntAttr(placed[1])


class AllocateSramPass(ModulePass):
    """Place every unplaced SRAM tensor of every chip (see the module docstring)."""

    name = "lpu-allocate-sram"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for system in lpu_programs(op, self.name):
            spec = system.machine.spec.chip
            problem = build_problem(system)
            groups = problem.groups
            partners = group_partners(groups)
            installed = group_partners([g for g in groups if g.install_bound])
            ports = port_sides(problem)
            for chip in system.chips:
                allocate_chip(
                    chip,
                    spec,
                    partners[chip.chip_id],
                    installed[chip.chip_id],
                    ports.get(chip.chip_id, {}),
                )
