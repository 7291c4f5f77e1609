"""lpuir.collectives: all-reduce (flat and hierarchical), all-gather and
broadcast as logical programs that lpu-schedule places on the network; the
simulated results equal numpy in the documented order, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from lpuir import collectives, numerics
from lpuir.context import make_context
from lpuir.dialects import lpu
from lpuir.interpreter.simulator import simulate
from lpuir.transforms.allocate_sram import AllocateSramPass
from lpuir.transforms.schedule import SchedulePass


def _run(module, inputs: list[np.ndarray]) -> list[np.ndarray]:
    AllocateSramPass().apply(make_context(), module)
    SchedulePass().apply(make_context(), module)
    result = simulate(module, inputs)
    assert result.cycles == result.static_cycles
    return result.outputs


def _sum(xs: list[np.ndarray]) -> np.ndarray:
    acc = xs[0]
    for x in xs[1:]:
        acc = numerics.add(acc, x, "f32")
    return acc


def _inputs(count: int, vectors: int) -> list[np.ndarray]:
    rng = np.random.default_rng(count * 100 + vectors)
    # magnitudes far apart, so a different order of the adds shows
    return [
        (rng.standard_normal((vectors, 320)) * 10.0 ** rng.integers(-6, 7)).astype(
            np.float32
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    ("system", "chips"), [("node8", 8), ("node8 {chips_per_node = 3}", 3)]
)
def test_all_reduce_sums_in_chip_order_on_every_chip(system: str, chips: int) -> None:
    xs = _inputs(chips, 5)
    outputs = _run(collectives.all_reduce(system, list(range(chips)), 5), xs)
    want = _sum(xs)
    assert all(np.array_equal(o.view(np.uint32), want.view(np.uint32)) for o in outputs)


def test_hierarchical_all_reduce_sums_nodes_then_across() -> None:
    xs = _inputs(32, 4)
    module = collectives.all_reduce("dragonfly4", list(range(32)), 4, nodes=4)
    outputs = _run(module, xs)
    want = _sum([_sum(xs[k * 8 : (k + 1) * 8]) for k in range(4)])
    assert all(np.array_equal(o.view(np.uint32), want.view(np.uint32)) for o in outputs)


def test_all_gather_and_broadcast() -> None:
    xs = _inputs(4, 3)
    outputs = _run(collectives.all_gather("node8", [0, 2, 5, 7], 3), xs)
    assert all(np.array_equal(o, np.concatenate(xs)) for o in outputs)
    # chips 0, 9, 17, 30 sit in the four nodes of dragonfly4: global links, and
    # forwards where two chips share no link
    module = collectives.broadcast("dragonfly4", [0, 9, 17, 30], 2)
    outputs = _run(module, [xs[0][:2]])
    assert all(np.array_equal(o, xs[0][:2]) for o in outputs)
    assert any(isinstance(o, lpu.ForwardOp) for o in module.walk())


def test_nodes_must_divide_the_chips() -> None:
    with pytest.raises(ValueError, match="do not form 3 equal nodes"):
        collectives.all_reduce("node8", list(range(8)), 1, nodes=3)
