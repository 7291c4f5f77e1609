"""The machine description: chip and system parameters, one source of truth.

The IR carries them as `#lpu.chip<...>` and `#lpu.system<...>` attributes (see
`lpuir.dialects.lpu`); both the compiler and the simulator read them only through
the frozen `ChipSpec` / `SystemSpec` views built here. Every value and its source
(or the reason an assumed value was chosen) is listed in docs/machine.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Literal

Hemisphere = Literal["W", "E"]
UnitKind = Literal["MXM", "SXM", "MEM", "VXM"]


class MachineError(ValueError):
    """A machine description that names an unknown parameter or breaks a rule."""


DELAY_KINDS: tuple[str, ...] = (
    "read",
    "write",
    "gather",
    "scatter",
    "vxm",
    "vxm_convert",
    "vxm_transcendental",
    "sxm_shift",
    "sxm_permute",
    "sxm_distribute",
    "sxm_rotate",
    "sxm_transpose",
    "mxm_install",
    "mxm_matmul",
    "receive",
    "forward",
    "barrier",
)
"""Instruction kinds with a functional delay of their own (`delay_<kind>`)."""


@dataclass(frozen=True)
class ChipSpec:
    """One chip. Field names are the keys of `#lpu.chip<"preset", {key = value}>`."""

    clock_mhz: int = 900
    lanes: int = 320
    superlanes: int = 20
    floorplan: str = "MXM SXM MEM*44 VXM MEM*44 SXM MXM"
    sram_addresses: int = 8192
    sram_banks: int = 2
    streams: int = 32
    mxm_planes: int = 2
    mxm_k_i8: int = 320
    mxm_k_f16: int = 160
    mxm_install_rows_per_cycle: int = 32
    vxm_alus: int = 16
    superlane_skew: int = 1
    link_ports: int = 16
    delay_read: int = 2
    delay_write: int = 1
    delay_gather: int = 3
    delay_scatter: int = 2
    delay_vxm: int = 2
    delay_vxm_convert: int = 2
    delay_vxm_transcendental: int = 8
    delay_sxm_shift: int = 4
    delay_sxm_permute: int = 6
    delay_sxm_distribute: int = 4
    delay_sxm_rotate: int = 4
    delay_sxm_transpose: int = 8
    delay_mxm_install: int = 4
    delay_mxm_matmul: int = 24
    delay_receive: int = 2
    delay_forward: int = 4
    delay_barrier: int = 16

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (not isinstance(value, int) or value < 0):
                raise MachineError(
                    f"chip parameter '{f.name}' must be a non-negative integer, got {value!r}"
                )
        if (
            self.lanes != self.superlanes * (self.lanes // max(self.superlanes, 1))
            or self.superlanes == 0
        ):
            raise MachineError(
                f"lanes ({self.lanes}) must be a multiple of superlanes ({self.superlanes})"
            )
        for name in (
            "lanes",
            "sram_addresses",
            "sram_banks",
            "streams",
            "mxm_planes",
            "vxm_alus",
            "clock_mhz",
        ):
            if getattr(self, name) == 0:
                raise MachineError(f"chip parameter '{name}' must be positive")
        if self.sram_addresses % self.sram_banks:
            raise MachineError("sram_addresses must be a multiple of sram_banks")
        if self.link_ports % 2:
            raise MachineError("link_ports must be even (half per hemisphere)")
        _ = self.positions  # validates the floor plan

    def delay(self, kind: str) -> int:
        """The functional delay of an instruction kind (one of `DELAY_KINDS`)."""
        return getattr(self, f"delay_{kind}")

    def mxm_k(self, element_type: str) -> int:
        """Rows a plane holds (the K of one MXM pass) for a weight element type."""
        if element_type in ("i8", "ui8"):
            return self.mxm_k_i8
        if element_type in ("f16", "bf16"):
            return self.mxm_k_f16
        raise MachineError(f"the MXM does not multiply {element_type}")

    @property
    def lanes_per_superlane(self) -> int:
        return self.lanes // self.superlanes

    @cached_property
    def positions(self) -> tuple[UnitKind, ...]:
        """Unit kind at each floor-plan position, west (0) to east."""
        out: list[UnitKind] = []
        for token in self.floorplan.split():
            m = re.fullmatch(r"(MXM|SXM|MEM|VXM)(?:\*(\d+))?", token)
            if m is None:
                raise MachineError(
                    f"floorplan token '{token}' is not MXM, SXM, MEM or VXM[*n]"
                )
            out.extend([m.group(1)] * int(m.group(2) or 1))  # type: ignore[list-item]
        if out.count("VXM") != 1:
            raise MachineError(
                "the floorplan needs exactly one VXM (it splits the hemispheres)"
            )
        centre = out.index("VXM")
        for side, part in (("W", out[:centre]), ("E", out[centre + 1 :])):
            for kind in ("MXM", "SXM"):
                if part.count(kind) != 1:
                    raise MachineError(f"hemisphere {side} needs exactly one {kind}")
        return tuple(out)

    @cached_property
    def vxm_position(self) -> int:
        return self.positions.index("VXM")

    @cached_property
    def mem_slices(self) -> dict[str, int]:
        """MEM slice name -> position. Slices are numbered outward from the VXM: W0
        and E0 are its neighbours ([ISCA20] numbers them the same way)."""
        centre = self.vxm_position
        out: dict[str, int] = {}
        west = [p for p in range(centre - 1, -1, -1) if self.positions[p] == "MEM"]
        east = [
            p
            for p in range(centre + 1, len(self.positions))
            if self.positions[p] == "MEM"
        ]
        for side, ps in (("W", west), ("E", east)):
            for i, p in enumerate(ps):
                out[f"{side}{i}"] = p
        return out

    def unit_position(
        self, kind: UnitKind, hemisphere: Hemisphere | None = None
    ) -> int:
        """Position of the VXM, or of a hemisphere's MXM or SXM."""
        if kind == "VXM":
            return self.vxm_position
        centre = self.vxm_position
        span = (
            range(0, centre)
            if hemisphere == "W"
            else range(centre + 1, len(self.positions))
        )
        return next(p for p in span if self.positions[p] == kind)

    def port_side(self, port: int) -> str:
        """The hemisphere a chip-to-chip port meets the streams in: ports
        0..n/2-1 at the west SXM, the rest at the east SXM (assumed; see
        docs/machine.md)."""
        return "W" if port < self.link_ports // 2 else "E"

    def port_position(self, port: int) -> int:
        """Where a chip-to-chip port meets the streams (`port_side`'s SXM)."""
        return self.unit_position("SXM", self.port_side(port))

    def bank(self, address: int) -> int:
        """SRAM bank of an address: banks are contiguous halves of a slice."""
        return address * self.sram_banks // self.sram_addresses

    def cycle_ns(self) -> float:
        return 1000.0 / self.clock_mhz


CHIP_PRESETS: dict[str, ChipSpec] = {"tsp-v1": ChipSpec()}


def chip_from_params(preset: str, overrides: dict[str, int | str]) -> ChipSpec:
    """A preset with some parameters replaced; unknown names are errors."""
    if preset not in CHIP_PRESETS:
        raise MachineError(
            f"unknown chip preset '{preset}' (known: {', '.join(CHIP_PRESETS)})"
        )
    known = {f.name: f.type for f in fields(ChipSpec)}
    for key, value in overrides.items():
        if key not in known:
            raise MachineError(f"unknown chip parameter '{key}'")
        if (known[key] == "int") != isinstance(value, int):
            raise MachineError(
                f"chip parameter '{key}' must be {'an integer' if known[key] == 'int' else 'a string'}"
            )
    return replace(CHIP_PRESETS[preset], **overrides)


@dataclass(frozen=True, order=True)
class LinkSpec:
    """A full-duplex chip-to-chip link between two (chip, port) endpoints.

    A vector sent from one end at cycle t is received at the other end at
    t + latency; the sending direction is then busy until t + cycles_per_vector.
    """

    a: tuple[int, int]
    b: tuple[int, int]
    latency: int
    cycles_per_vector: int
    kind: Literal["local", "global", "explicit"] = "local"

    def peer(self, chip: int, port: int) -> tuple[int, int]:
        return self.b if (chip, port) == self.a else self.a


SYSTEM_PARAMS: dict[str, type] = {
    "chip": str,
    "topology": str,
    "nodes": int,
    "chips_per_node": int,
    "local_latency": int,
    "global_latency": int,
    "cycles_per_vector": int,
    "global_ports": int,
    "epoch": int,
    "links": str,
}
"""Keys of `#lpu.system<"preset", {key = value}>` (chip may also be a #lpu.chip)."""

TOPOLOGIES = ("single", "full", "ring", "dragonfly", "explicit")


@dataclass(frozen=True)
class SystemSpec:
    """Chips and the links between them; all chips share one ChipSpec."""

    chip: ChipSpec
    topology: str
    nodes: int
    chips_per_node: int
    local_latency: int
    global_latency: int
    cycles_per_vector: int
    global_ports: int
    epoch: int
    explicit_links: str = ""
    links: tuple[LinkSpec, ...] = field(init=False)

    def __post_init__(self) -> None:
        if self.topology not in TOPOLOGIES:
            raise MachineError(
                f"unknown topology '{self.topology}' (known: {', '.join(TOPOLOGIES)})"
            )
        if self.nodes < 1 or self.chips_per_node < 1:
            raise MachineError("a system needs at least one node of at least one chip")
        if self.epoch < 1 or self.cycles_per_vector < 1:
            raise MachineError("epoch and cycles_per_vector must be positive")
        for name in ("local_latency", "global_latency", "global_ports"):
            if getattr(self, name) < 0:
                raise MachineError(
                    f"system parameter '{name}' must be a non-negative integer, got {getattr(self, name)}"
                )
        links = _build_links(self)
        used: dict[tuple[int, int], LinkSpec] = {}
        for link in links:
            for chip, port in (link.a, link.b):
                if not 0 <= chip < self.chips:
                    raise MachineError(
                        f"link {_fmt(link)} names chip {chip}, but the system has {self.chips}"
                    )
                if not 0 <= port < self.chip.link_ports:
                    raise MachineError(
                        f"link {_fmt(link)} names port {port}, but chips have {self.chip.link_ports}"
                    )
                if (chip, port) in used:
                    raise MachineError(f"port {chip}:{port} is used by two links")
                used[(chip, port)] = link
        object.__setattr__(self, "links", tuple(links))
        object.__setattr__(self, "_by_port", used)

    @property
    def chips(self) -> int:
        return self.nodes * self.chips_per_node

    def link_at(self, chip: int, port: int) -> LinkSpec | None:
        """The link attached to a chip's port, if any."""
        return self._by_port.get((chip, port))  # type: ignore[attr-defined]

    def ports_of(self, chip: int) -> list[int]:
        return sorted(p for c, p in self._by_port if c == chip)  # type: ignore[attr-defined]


def _fmt(link: LinkSpec) -> str:
    return f"{link.a[0]}:{link.a[1]}-{link.b[0]}:{link.b[1]}"


def _build_links(s: SystemSpec) -> list[LinkSpec]:
    """The links a topology implies, with deterministic port numbers."""
    n, cpv = s.chips_per_node, s.cycles_per_vector
    links: list[LinkSpec] = []
    if s.topology == "single":
        if s.chips != 1:
            raise MachineError("topology 'single' has exactly one chip")
    elif s.topology == "ring":
        if s.nodes != 1:
            raise MachineError("topology 'ring' is one node")
        # chip c's port 0 goes east to chip c+1's port 1
        if n == 2:
            links.append(LinkSpec((0, 0), (1, 1), s.local_latency, cpv))
        elif n > 2:
            links += [
                LinkSpec((c, 0), ((c + 1) % n, 1), s.local_latency, cpv)
                for c in range(n)
            ]
    elif s.topology in ("full", "dragonfly"):
        if s.topology == "full" and s.nodes != 1:
            raise MachineError(
                "topology 'full' is one node; use 'dragonfly' for several"
            )
        if n - 1 + s.global_ports > s.chip.link_ports:
            raise MachineError(
                f"{n - 1} local + {s.global_ports} global ports exceed the chip's {s.chip.link_ports}"
            )
        for node in range(s.nodes):
            base = node * n
            # local port k of chip c leads to chip (c + k + 1) mod n, arriving at its port n - 2 - k
            for c in range(n):
                for k in range(n - 1):
                    peer = (c + k + 1) % n
                    if c < peer:
                        links.append(
                            LinkSpec(
                                (base + c, k),
                                (base + peer, n - 2 - k),
                                s.local_latency,
                                cpv,
                            )
                        )
        if s.topology == "dragonfly":
            links += _dragonfly_global_links(s)
    else:
        links += _parse_explicit_links(s)
    return links


def _dragonfly_global_links(s: SystemSpec) -> list[LinkSpec]:
    """Global links: each node's chips_per_node * global_ports links act as one
    Dragonfly router. Global link G of node a (chip G // global_ports, port
    chips_per_node - 1 + G % global_ports) goes to node a + 1 + (G mod (nodes-1)),
    so every pair of nodes gets about the same number of links; a link whose
    mirror index does not exist stays unconnected."""
    g, n, nodes = s.global_ports, s.chips_per_node, s.nodes
    if nodes < 2:
        return []
    total, groups = g * n, nodes - 1
    out: list[LinkSpec] = []
    for a in range(nodes):
        for gi in range(total):
            r = gi % groups
            b = (a + 1 + r) % nodes
            mirror = gi - r + (nodes - 2 - r)
            if mirror >= total or (b, mirror) < (a, gi):
                continue
            ends = [
                (node * n + idx // g, n - 1 + idx % g)
                for node, idx in ((a, gi), (b, mirror))
            ]
            out.append(
                LinkSpec(
                    ends[0], ends[1], s.global_latency, s.cycles_per_vector, "global"
                )
            )
    return out


_LINK_RE = re.compile(r"\s*(\d+):(\d+)\s*-\s*(\d+):(\d+)\s*(?:@\s*(\d+))?\s*")


def _parse_explicit_links(s: SystemSpec) -> list[LinkSpec]:
    """`links = "0:0-1:0, 1:1-2:0@300"`: endpoints chip:port, optional @latency."""
    out: list[LinkSpec] = []
    for item in filter(None, (t.strip() for t in s.explicit_links.split(","))):
        m = _LINK_RE.fullmatch(item)
        if m is None:
            raise MachineError(
                f"link '{item}' is not of the form chip:port-chip:port[@latency]"
            )
        a0, a1, b0, b1 = (int(m.group(i)) for i in range(1, 5))
        latency = int(m.group(5)) if m.group(5) else s.local_latency
        out.append(
            LinkSpec((a0, a1), (b0, b1), latency, s.cycles_per_vector, "explicit")
        )
    return out


_SYSTEM_DEFAULTS: dict[str, int | str] = {
    "chip": "tsp-v1",
    "topology": "single",
    "nodes": 1,
    "chips_per_node": 1,
    "local_latency": 217,
    "global_latency": 650,
    "cycles_per_vector": 24,
    "global_ports": 4,
    "epoch": 256,
    "links": "",
}

SYSTEM_PRESETS: dict[str, dict[str, int | str]] = {
    "tsp-v1": {},
    "node8": {"topology": "full", "chips_per_node": 8},
    "dragonfly4": {"topology": "dragonfly", "nodes": 4, "chips_per_node": 8},
    "explicit": {"topology": "explicit", "chips_per_node": 2},
}
"""Named systems as overrides of the single-chip defaults."""


def system_from_params(
    preset: str, overrides: dict[str, object], chip: ChipSpec | None = None
) -> SystemSpec:
    """Build a system from a preset and overrides (`chip` already resolved)."""
    if preset not in SYSTEM_PRESETS:
        raise MachineError(
            f"unknown system preset '{preset}' (known: {', '.join(SYSTEM_PRESETS)})"
        )
    params = {**_SYSTEM_DEFAULTS, **SYSTEM_PRESETS[preset], **overrides}
    for key, value in overrides.items():
        if key not in SYSTEM_PARAMS:
            raise MachineError(f"unknown system parameter '{key}'")
        if key != "chip" and not isinstance(value, SYSTEM_PARAMS[key]):
            raise MachineError(
                f"system parameter '{key}' must be {'an integer' if SYSTEM_PARAMS[key] is int else 'a string'}"
            )
    if chip is None:
        chip_name = params["chip"]
        if not isinstance(chip_name, str):
            raise MachineError(
                "system parameter 'chip' must be a chip preset name or a #lpu.chip"
            )
        chip = chip_from_params(chip_name, {})
    return SystemSpec(
        chip=chip,
        topology=str(params["topology"]),
        nodes=int(params["nodes"]),  # type: ignore[arg-type]
        chips_per_node=int(params["chips_per_node"]),  # type: ignore[arg-type]
        local_latency=int(params["local_latency"]),  # type: ignore[arg-type]
        global_latency=int(params["global_latency"]),  # type: ignore[arg-type]
        cycles_per_vector=int(params["cycles_per_vector"]),  # type: ignore[arg-type]
        global_ports=int(params["global_ports"]),  # type: ignore[arg-type]
        epoch=int(params["epoch"]),  # type: ignore[arg-type]
        explicit_links=str(params["links"]),
    )
