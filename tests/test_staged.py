"""The staged compile (lpuir.staged): a `hybrid` program lowered stage by
stage (in worker processes) and stitched into one LPU program computes what
the whole compile computes, bit for bit against the reference of the
partitioned IR, in the cycles it states, and passes lpu-verify-schedule."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hybrid import LAYER, TWO_NODES
from test_llama import _same_bits
from xdsl.dialects import func

from lpuir.api import check_schedule
from lpuir.context import make_context
from lpuir.diagnostics import LpuError
from lpuir.dialects import lpu
from lpuir.execute import machine_chip, run_module
from lpuir.frontend import parse_source
from lpuir.grammar.printer import chip_lines
from lpuir.interpreter.reference import run_function
from lpuir.machine import LinkSpec
from lpuir.models.llama import (
    DecodeStep,
    LlamaConfig,
    empty_cache,
    random_weights,
    step_inputs,
)
from lpuir.staged import Stage, Staged, _Lowered, compile_staged, cut, lower_stage
from lpuir.transforms.annotations import chips_of, set_chips
from lpuir.transforms.compile import CompilePass


def _staged(step: DecodeStep, jobs: int = 1):
    options = CompilePass(
        system=step.system, strategy="hybrid", group=step.group, verify=False
    )
    return compile_staged(parse_source(step.text, step.filename), options, jobs)


def _staged_bit_exact(step: DecodeStep, jobs: int = 1) -> tuple[int, int]:
    """Staged: valid schedule, simulated == reference of the partitioned IR
    == the whole compile's simulation, static == simulated; the staged and
    the whole program's static cycles."""
    staged = _staged(step, jobs)
    module = staged.module()
    check_schedule(module)
    rng = np.random.default_rng(7)
    cache = [
        (rng.standard_normal(c.shape) * 0.5).astype(c.dtype)
        for c in empty_cache(step.config)
    ]
    inputs = step_inputs(step.config, 3, step.config.context - 1, cache)
    expected = run_function(
        step.partitioned, None, inputs, chip=machine_chip(step.system)
    )
    got = run_module(module, inputs)
    whole = run_module(step.compiled, inputs)
    assert got.report.cycles == got.report.static_cycles
    for a, b, want in zip(got.outputs, whole.outputs, expected, strict=True):
        assert _same_bits(a, want)
        assert _same_bits(b, want)
    return got.report.static_cycles, whole.report.static_cycles


def _step(system: str, group: int, layers: int, **config) -> DecodeStep:
    cfg = LlamaConfig.from_dict({**LAYER, "n_layers": layers, **config})
    return DecodeStep(
        cfg, random_weights(cfg, 3), system=system, strategy="hybrid", group=group
    )


@pytest.mark.parametrize(
    ("system", "group", "layers", "jobs"),
    [("node8", 4, 2, 2), (TWO_NODES, 2, 3, 1)],
)
def test_stitched_stages_equal_the_whole_compile(
    system: str, group: int, layers: int, jobs: int
) -> None:
    """Layers over groups of chips, the residual stream crossing from stage
    to stage (in worker processes for jobs=2); the stitched program is a
    little longer than the whole one (each stage waits for the one before
    it and for the transfer)."""
    staged, whole = _staged_bit_exact(_step(system, group, layers), jobs)
    assert whole <= staged <= 1.1 * whole


@settings(max_examples=3, deadline=None)
@given(
    layers=st.integers(1, 3),
    placement=st.sampled_from([("node8", 2), ("node8", 4), (TWO_NODES, 4)]),
    dim=st.sampled_from([16, 32]),
    ffn=st.sampled_from([48, 640]),
)
def test_drawn_staged_programs_are_bit_exact(
    layers: int, placement: tuple[str, int], dim: int, ffn: int
) -> None:
    system, group = placement
    _staged_bit_exact(_step(system, group, layers, dim=dim, ffn_dim=ffn))


def _partitioned_fn(step: DecodeStep) -> func.FuncOp:
    module = parse_source(step.text, "staged.mlir")
    CompilePass(system=step.system, strategy="hybrid", group=step.group).partition(
        make_context(), module
    )
    return next(o for o in module.ops if isinstance(o, func.FuncOp))


def test_an_op_on_two_stages_is_a_located_error() -> None:
    step = _step("node8", 4, 2)
    fn = _partitioned_fn(step)
    op = next(o for o in fn.body.walk() if o.name == "tosa.matmul")
    assert chips_of(op) == [0]
    set_chips(op, [3, 4])
    with pytest.raises(LpuError, match=r"staged.mlir:\d+:\d+: .*chips \[3, 4\]"):
        cut(fn, 4)


def test_a_value_crossing_backwards_is_a_located_error() -> None:
    step = _step("node8", 4, 2)
    fn = _partitioned_fn(step)
    first = next(o for o in fn.body.walk() if o.name == "tosa.matmul")
    set_chips(first, [4])
    with pytest.raises(LpuError, match=r"staged.mlir:\d+:\d+: .*a later stage"):
        cut(fn, 4)


def test_deskew_is_refused() -> None:
    step = _step("node8", 4, 1)
    options = CompilePass(system="node8", strategy="hybrid", group=4, deskew=True)
    with pytest.raises(LpuError, match="deskew"):
        compile_staged(parse_source(step.text, step.filename), options)


def test_inputs_are_bound_as_the_whole_compile_binds_them() -> None:
    """A program whose weights are `{lpu.weight}` arguments among its inputs
    (the timing step): lpu-vectorize numbers `input N` among the arguments
    that are not weights, so the stitched program declares the same input
    numbers, of the same types, as the whole compile (it bound them by
    argument position before, naming inputs the program does not have)."""
    from lpuir.models.llama import build_timing_step

    cfg = LlamaConfig.from_dict({**LAYER, "n_layers": 2, "weights": "i8"})
    step = build_timing_step(cfg, layers=2)
    options = CompilePass(system="node8", strategy="hybrid", group=4, verify=False)
    whole = parse_source(step.text, "timing.mlir")
    options.apply(make_context(), whole)
    staged = compile_staged(parse_source(step.text, "timing.mlir"), options).module()

    def inputs(module) -> dict[int, set[str]]:
        found: dict[int, set[str]] = {}
        for op in module.walk():
            if isinstance(op, lpu.TensorOp) and op.kind.data == "input":
                assert op.arg is not None
                found.setdefault(op.arg.data, set()).add(str(op.type))
        return found

    assert inputs(staged) == inputs(whole)


@pytest.mark.parametrize(
    ("system", "group", "layers", "extra"),
    [
        ("dragonfly4 {nodes = 7, chips_per_node = 4}", 4, 6, {}),
        (
            "dragonfly4 {nodes = 3, chips_per_node = 8}",
            4,
            5,
            {"dim": 64, "ffn_dim": 256},
        ),
    ],
)
def test_a_stage_of_a_form_already_lowered_is_that_lowering_moved(
    system: str, group: int, layers: int, extra: dict[str, int]
) -> None:
    """Two stages of one form (timing-mode layers, in another node or in the
    same node of 8): the first's lowering moved onto the second's chips is,
    line for line, the second's own lowering."""
    from lpuir.models.llama import build_timing_step

    cfg = LlamaConfig.from_dict({**LAYER, **extra, "n_layers": layers, "weights": "i8"})
    step = build_timing_step(cfg, layers=layers)
    options = CompilePass(system=system, strategy="hybrid", group=group, verify=False)
    module = parse_source(step.text, "timing.mlir")
    options.partition(make_context(), module)
    fn = next(o for o in module.ops if isinstance(o, func.FuncOp))
    stages, _ = cut(fn, group)
    forms = [s.form for s in stages]
    a, b = next(
        (stages[forms.index(f)], s)
        for s in stages
        if forms.index(f := s.form) != s.index
    )
    assert a.chips != b.chips

    spec = lpu.SystemAttr.from_option(system).spec

    def lowered(stage: Stage) -> _Lowered:
        text, kib = lower_stage(stage.text, f"stage{stage.index}.mlir", options)
        return _Lowered.parse(text, kib, stage)

    moved, own = lowered(a), lowered(b)
    assert moved.move(b, spec)
    assert [(c.chip_id, chip_lines(c, "")) for c in moved.system.chips] == [
        (c.chip_id, chip_lines(c, "")) for c in own.system.chips
    ]
    assert list(moved.spans.values()) == list(own.spans.values())
    # moved where a link between its chips has no twin as fast, it is not

    class Slower:
        def __getattr__(self, name: str) -> object:
            return getattr(spec, name)

        def link_at(self, chip: int, port: int) -> LinkSpec | None:
            link = spec.link_at(chip, port)
            if link is None or chip not in b.chips:
                return link
            return replace(link, latency=link.latency + 1)

    assert not lowered(a).move(b, Slower())  # type: ignore[arg-type]


def test_a_form_taken_by_many_stages_stitches_as_every_stage_lowered() -> None:
    """One lowering moved from stage to stage in place (its chips, its
    tensors rebound for each, its times delayed as printed) gives the text
    of every stage lowered on its own."""
    from lpuir.models.llama import build_timing_step

    cfg = LlamaConfig.from_dict({**LAYER, "n_layers": 8, "weights": "i8"})
    text = build_timing_step(cfg, layers=8).text
    options = CompilePass(
        system="dragonfly4 {nodes = 9, chips_per_node = 4}",
        strategy="hybrid",
        group=4,
        verify=False,
    )

    def staged(reuse: bool) -> Staged:
        return compile_staged(parse_source(text, "timing.mlir"), options, 1, reuse)

    moved, own = staged(True), staged(False)
    taken = [j for i, j in enumerate(moved.lowered_from) if i != j]
    assert len(taken) >= 2 and len(set(taken)) < len(taken)
    assert own.lowered_from == list(range(len(own.lowered_from)))
    assert moved.text == own.text
    assert moved.cycles == own.cycles
