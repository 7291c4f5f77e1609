"""The machine description: presets, their floor plan and port numbering as
docs/machine.md gives them, overrides, explicit links, and the errors."""

from collections import Counter
from itertools import combinations

import pytest
from xdsl.dialects.builtin import IntegerAttr, StringAttr, i64

from lpuir.dialects.lpu import ChipAttr, SystemAttr
from lpuir.machine import (
    CHIP_PRESETS,
    DELAY_KINDS,
    SYSTEM_PRESETS,
    ChipSpec,
    LinkSpec,
    MachineError,
    SystemSpec,
    chip_from_params,
    system_from_params,
)

TSP = CHIP_PRESETS["tsp-v1"]


def _node_of(spec: SystemSpec, chip: int) -> int:
    return chip // spec.chips_per_node


# ------------------------------------------------------------------------ chip


def test_tsp_v1_floor_plan_positions() -> None:
    assert len(TSP.positions) == 93
    assert TSP.positions[0] == "MXM" and TSP.positions[92] == "MXM"
    assert TSP.vxm_position == TSP.unit_position("VXM") == 46
    assert TSP.unit_position("MXM", "W") == 0
    assert TSP.unit_position("SXM", "W") == 1
    assert TSP.unit_position("SXM", "E") == 91
    assert TSP.unit_position("MXM", "E") == 92


def test_tsp_v1_mem_slices_count_outward_from_the_vxm() -> None:
    slices = TSP.mem_slices
    assert len(slices) == 88
    assert (slices["W0"], slices["E0"]) == (45, 47)
    assert (slices["W43"], slices["E43"]) == (2, 90)
    for i in range(44):
        assert slices[f"W{i}"] == 45 - i
        assert slices[f"E{i}"] == 47 + i
    assert all(TSP.positions[p] == "MEM" for p in slices.values())


def test_tsp_v1_ports_meet_the_streams_at_the_sxms() -> None:
    assert [TSP.port_position(p) for p in range(8)] == [1] * 8
    assert [TSP.port_position(p) for p in range(8, 16)] == [91] * 8


def test_tsp_v1_parameters() -> None:
    assert (TSP.lanes, TSP.superlanes, TSP.lanes_per_superlane) == (320, 20, 16)
    assert (TSP.streams, TSP.vxm_alus, TSP.mxm_planes, TSP.link_ports) == (
        32,
        16,
        2,
        16,
    )
    assert TSP.mxm_k("i8") == 320
    assert TSP.mxm_k("f16") == TSP.mxm_k("bf16") == 160
    assert TSP.cycle_ns() == pytest.approx(1000 / 900)
    for kind in DELAY_KINDS:
        assert TSP.delay(kind) == getattr(TSP, f"delay_{kind}") >= 0


def test_banks_are_halves_of_a_slice() -> None:
    assert [TSP.bank(a) for a in (0, 4095, 4096, 8191)] == [0, 0, 1, 1]
    four = chip_from_params("tsp-v1", {"sram_banks": 4})
    assert [four.bank(a) for a in (0, 2047, 2048, 6144, 8191)] == [0, 0, 1, 3, 3]


def test_chip_overrides_replace_only_what_they_name() -> None:
    spec = chip_from_params("tsp-v1", {"delay_vxm": 3, "streams": 16})
    assert (spec.delay_vxm, spec.streams) == (3, 16)
    assert spec.delay_read == TSP.delay_read
    assert chip_from_params("tsp-v1", {}) == TSP


def test_a_smaller_floor_plan() -> None:
    spec = chip_from_params("tsp-v1", {"floorplan": "MXM SXM MEM*2 VXM MEM*3 SXM MXM"})
    assert spec.vxm_position == 4
    assert spec.mem_slices == {"W0": 3, "W1": 2, "E0": 5, "E1": 6, "E2": 7}
    assert spec.unit_position("SXM", "E") == 8


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lanes": 330}, r"lanes \(330\) must be a multiple of superlanes \(20\)"),
        ({"superlanes": 0}, r"must be a multiple of superlanes \(0\)"),
        ({"vxm_alus": 0}, "chip parameter 'vxm_alus' must be positive"),
        ({"delay_vxm": -1}, "'delay_vxm' must be a non-negative integer, got -1"),
        ({"sram_banks": 3}, "sram_addresses must be a multiple of sram_banks"),
        ({"link_ports": 7}, "link_ports must be even"),
        ({"floorplan": "MXM SXM MEM VXM MEM SXM MXM MEM*x"}, "token 'MEM\\*x'"),
        ({"floorplan": "MXM SXM VXM MEM VXM SXM MXM"}, "exactly one VXM"),
        (
            {"floorplan": "MXM SXM MEM VXM MEM SXM"},
            "hemisphere E needs exactly one MXM",
        ),
        (
            {"floorplan": "MXM SXM SXM VXM MEM SXM MXM"},
            "hemisphere W needs exactly one SXM",
        ),
        ({"delay_vmx": 1}, "unknown chip parameter 'delay_vmx'"),
        ({"delay_vxm": "2"}, "chip parameter 'delay_vxm' must be an integer"),
        ({"floorplan": 3}, "chip parameter 'floorplan' must be a string"),
    ],
)
def test_chip_errors(params: dict[str, int | str], message: str) -> None:
    with pytest.raises(MachineError, match=message):
        chip_from_params("tsp-v1", params)


def test_unknown_chip_preset_names_the_known_ones() -> None:
    with pytest.raises(
        MachineError, match=r"unknown chip preset 'v2' \(known: tsp-v1\)"
    ):
        chip_from_params("v2", {})


def test_the_mxm_multiplies_only_its_weight_types() -> None:
    with pytest.raises(MachineError, match="the MXM does not multiply f32"):
        TSP.mxm_k("f32")


def test_a_chip_spec_checks_itself_when_built_directly() -> None:
    with pytest.raises(MachineError, match="'lanes' must be positive"):
        ChipSpec(lanes=0)


# ---------------------------------------------------------------------- system


def test_tsp_v1_system_is_one_chip_without_links() -> None:
    spec = system_from_params("tsp-v1", {})
    assert (spec.chips, spec.topology, spec.links) == (1, "single", ())
    assert spec.chip == TSP
    assert spec.link_at(0, 0) is None


def test_node8_links_every_pair_of_chips_exactly_once() -> None:
    spec = system_from_params("node8", {})
    assert spec.chips == 8
    assert len(spec.links) == 28
    pairs = Counter(frozenset((link.a[0], link.b[0])) for link in spec.links)
    assert set(pairs) == {frozenset(p) for p in combinations(range(8), 2)}
    assert set(pairs.values()) == {1}
    for link in spec.links:
        assert (link.kind, link.latency, link.cycles_per_vector) == ("local", 217, 24)


def test_node8_port_numbering() -> None:
    """Chip c's port k (k = 0..6) leads to chip (c + k + 1) mod 8, arriving at
    its port 6 - k; ports 7..10 (global) and 11..15 are unconnected."""
    spec = system_from_params("node8", {})
    for c in range(8):
        assert spec.ports_of(c) == list(range(7))
        for k in range(7):
            link = spec.link_at(c, k)
            assert link is not None
            assert link.peer(c, k) == ((c + k + 1) % 8, 6 - k)
        for port in range(7, 16):
            assert spec.link_at(c, port) is None


def test_dragonfly4_nodes_and_global_links() -> None:
    spec = system_from_params("dragonfly4", {})
    assert (spec.chips, spec.nodes, spec.chips_per_node) == (32, 4, 8)
    local = [link for link in spec.links if link.kind == "local"]
    global_ = [link for link in spec.links if link.kind == "global"]
    assert len(local) == 4 * 28
    assert all(_node_of(spec, link.a[0]) == _node_of(spec, link.b[0]) for link in local)
    assert len(global_) == 62
    per_pair = Counter(
        frozenset((_node_of(spec, link.a[0]), _node_of(spec, link.b[0])))
        for link in global_
    )
    assert len(per_pair) == 6  # every pair of the 4 nodes
    assert all(len(pair) == 2 and 10 <= count <= 11 for pair, count in per_pair.items())
    assert all(link.latency == 650 for link in global_)
    assert all(link.latency == 217 for link in local)


def test_dragonfly4_global_ports_follow_the_documented_rule() -> None:
    """Global link G of node a sits on chip G div 4, port 7 + G mod 4, and goes
    to node a + 1 + (G mod 3)."""
    spec = system_from_params("dragonfly4", {})
    for link in spec.links:
        if link.kind != "global":
            continue
        for (chip, port), (peer, _) in ((link.a, link.b), (link.b, link.a)):
            node = _node_of(spec, chip)
            g = (chip - 8 * node) * 4 + (port - 7)
            assert 7 <= port <= 10
            assert _node_of(spec, peer) == (node + 1 + g % 3) % 4


def test_dragonfly4_uses_no_port_twice() -> None:
    spec = system_from_params("dragonfly4", {})
    ends = [end for link in spec.links for end in (link.a, link.b)]
    assert len(ends) == len(set(ends))
    global_ends = [
        end for link in spec.links if link.kind == "global" for end in (link.a, link.b)
    ]
    # 128 global ports, two ends per link: the rest stay unconnected
    assert 32 * 4 - len(global_ends) == 4
    for chip in range(32):
        assert spec.ports_of(chip)[:7] == list(range(7))


def test_system_overrides() -> None:
    spec = system_from_params("node8", {"local_latency": 250, "cycles_per_vector": 30})
    assert {(link.latency, link.cycles_per_vector) for link in spec.links} == {
        (250, 30)
    }
    spec = system_from_params("dragonfly4", {"global_latency": 700})
    assert {link.latency for link in spec.links if link.kind == "global"} == {700}
    tuned = chip_from_params("tsp-v1", {"delay_vxm": 3})
    assert system_from_params("node8", {}, tuned).chip.delay_vxm == 3
    assert system_from_params("node8", {"chip": "tsp-v1"}).chip == TSP


def test_ring() -> None:
    spec = system_from_params("tsp-v1", {"topology": "ring", "chips_per_node": 4})
    assert [(link.a, link.b) for link in spec.links] == [
        ((c, 0), ((c + 1) % 4, 1)) for c in range(4)
    ]
    pair = system_from_params("tsp-v1", {"topology": "ring", "chips_per_node": 2})
    assert [(link.a, link.b) for link in pair.links] == [((0, 0), (1, 1))]


def test_explicit_links() -> None:
    spec = system_from_params("explicit", {})
    assert (spec.chips, spec.links) == (2, ())
    spec = system_from_params(
        "explicit", {"chips_per_node": 3, "links": "0:0-1:0, 1:1-2:0@300"}
    )
    assert spec.links == (
        LinkSpec((0, 0), (1, 0), 217, 24, "explicit"),
        LinkSpec((1, 1), (2, 0), 300, 24, "explicit"),
    )
    link = spec.link_at(2, 0)
    assert link is not None and link.peer(2, 0) == (1, 1)
    assert spec.ports_of(1) == [0, 1]


@pytest.mark.parametrize(
    ("preset", "params", "message"),
    [
        (
            "node9",
            {},
            "unknown system preset 'node9' \\(known: tsp-v1, node8, dragonfly4, explicit\\)",
        ),
        ("node8", {"latency": 1}, "unknown system parameter 'latency'"),
        (
            "node8",
            {"local_latency": "1"},
            "system parameter 'local_latency' must be an integer",
        ),
        ("node8", {"links": 3}, "system parameter 'links' must be a string"),
        ("node8", {"chip": 3}, "'chip' must be a chip preset name or a #lpu.chip"),
        ("node8", {"chip": "v2"}, "unknown chip preset 'v2'"),
        (
            "node8",
            {"local_latency": -1},
            "'local_latency' must be a non-negative integer, got -1",
        ),
        (
            "node8",
            {"global_ports": -2},
            "'global_ports' must be a non-negative integer",
        ),
        ("node8", {"topology": "torus"}, "unknown topology 'torus'"),
        ("node8", {"nodes": 0}, "at least one node of at least one chip"),
        ("node8", {"epoch": 0}, "epoch and cycles_per_vector must be positive"),
        (
            "node8",
            {"cycles_per_vector": 0},
            "epoch and cycles_per_vector must be positive",
        ),
        ("node8", {"nodes": 2}, "topology 'full' is one node"),
        (
            "node8",
            {"global_ports": 10},
            "7 local \\+ 10 global ports exceed the chip's 16",
        ),
        ("tsp-v1", {"nodes": 2}, "topology 'single' has exactly one chip"),
        ("tsp-v1", {"topology": "ring", "nodes": 2}, "topology 'ring' is one node"),
        ("explicit", {"links": "0:0 1:0"}, "link '0:0 1:0' is not of the form"),
        (
            "explicit",
            {"links": "0:0-2:0"},
            "link 0:0-2:0 names chip 2, but the system has 2",
        ),
        (
            "explicit",
            {"links": "0:16-1:0"},
            "link 0:16-1:0 names port 16, but chips have 16",
        ),
        ("explicit", {"links": "0:0-1:0, 1:1-0:0"}, "port 0:0 is used by two links"),
    ],
)
def test_system_errors(preset: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(MachineError, match=message):
        system_from_params(preset, params)


def test_every_preset_builds() -> None:
    for preset in SYSTEM_PRESETS:
        assert system_from_params(preset, {}).chips >= 1


# ---------------------------------------------------------- the IR's attributes


def test_attributes_expand_to_specs() -> None:
    chip = ChipAttr("tsp-v1", {"delay_vxm": IntegerAttr(3, i64)})
    assert chip.spec == chip_from_params("tsp-v1", {"delay_vxm": 3})
    system = SystemAttr("node8", {"local_latency": IntegerAttr(250, i64), "chip": chip})
    assert system.spec.chip.delay_vxm == 3
    assert {link.latency for link in system.spec.links} == {250}
    named = SystemAttr("explicit", {"links": StringAttr("0:3-1:4@99")})
    assert named.spec.links == (LinkSpec((0, 3), (1, 4), 99, 24, "explicit"),)
    assert SystemAttr().spec == system_from_params("tsp-v1", {})
