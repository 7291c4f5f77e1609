"""Streamed simulation (interpreter/sim_stream.py, `lpu-run --stream`): a
program planned chip by chip as the run reaches each chip, and each dropped
after its last instruction, gives what the whole program's run gives: the
same outputs bit for bit, cycles, accounts and trace; its errors are located
in the file as a whole parse locates them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compile import Program, _inputs, programs
from test_multichip import compile_for
from tool_runs import run_tool

from lpuir.api import to_text
from lpuir.diagnostics import LpuError
from lpuir.frontend import parse_source
from lpuir.interpreter.sim_errors import SimulationError
from lpuir.interpreter.sim_stream import scan
from lpuir.interpreter.simulator import Program as Planned
from lpuir.interpreter.simulator import SimulationResult
from lpuir.tools import lpu_run

ROOT = Path(__file__).resolve().parent.parent
TWO_CHIPS = (ROOT / "examples" / "lpu" / "c2c_two_chips.lpu").read_text()

SAME = (
    "cycles",
    "chip_cycles",
    "static_cycles",
    "unit_busy",
    "capacity",
    "link_busy",
    "link_bytes",
    "instructions",
    "trace_events",
)


def _both(
    text: str, inputs: list[np.ndarray]
) -> tuple[SimulationResult, SimulationResult]:
    whole = Planned(parse_source(text, "p.lpu")).run(inputs, trace=True)
    skeleton, stream = scan(text, "p.lpu")
    return whole, Planned(skeleton, stream=stream).run(inputs, trace=True)


def _assert_same(whole: SimulationResult, streamed: SimulationResult) -> None:
    for name in SAME:
        assert getattr(streamed, name) == getattr(whole, name), name
    for a, b in zip(whole.outputs, streamed.outputs, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a.view(np.uint8), b.view(np.uint8))


@settings(max_examples=6, deadline=None)
@given(
    programs(),
    st.sampled_from(["node8 {chips_per_node = 2}", "node8", "dragonfly4"]),
    st.sampled_from(["pipeline", "tensor", "hybrid"]),
    st.integers(0, 2**16),
)
def test_a_streamed_run_is_the_whole_run(
    program: Program, system: str, strategy: str, seed: int
) -> None:
    """Compiled many-chip programs (chips that start late, take vectors sent
    before they load, and end early), as .lpu text."""
    text = to_text(compile_for(program.text, system, strategy), "lpu")
    whole, streamed = _both(text, _inputs(program, seed))
    _assert_same(whole, streamed)


def test_a_vector_sent_before_its_chip_loads_waits_for_it() -> None:
    _, stream = scan(TWO_CHIPS, "two.lpu")
    assert {chip: t.first for chip, t in stream.chips.items()} == {0: 0, 1: 263}
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal((1, 320)).astype(np.float32) for _ in range(2)]
    whole, streamed = _both(TWO_CHIPS, inputs)
    _assert_same(whole, streamed)
    assert np.array_equal(streamed.outputs[0], inputs[0] + inputs[1])


def test_a_vector_that_reaches_a_retired_chip_is_a_violation() -> None:
    """Chip 1 has run its last instruction when the vector arrives."""
    text = TWO_CHIPS.replace(
        '  @46  c2c.send %x[S0W] to 1 "x" port 0',
        '  @46  c2c.send %x[S0W] to 1 "x" port 0\n'
        "  @500 %y = mem.read @x[0] -> S0W : f32\n"
        '  @546 c2c.send %y[S0W] to 1 "y" port 0',
    ).replace("cycles 346", "cycles 566")
    skeleton, stream = scan(text, "two.lpu")
    inputs = [np.zeros((1, 320), np.float32)] * 2
    with pytest.raises(SimulationError) as caught:
        Planned(skeleton, stream=stream).run(inputs, collect_all=True)
    (violation,) = caught.value.violations
    assert violation.rule == "unconsumed arrival"
    assert "after the last instruction of chip 1" in str(violation)
    with pytest.raises(SimulationError) as whole:
        Planned(parse_source(text, "two.lpu")).run(inputs, collect_all=True)
    assert [v.rule for v in whole.value.violations] == ["unconsumed arrival"]


def test_the_scan_finds_the_chip_blocks_the_parser_reads() -> None:
    """Its chip lines are the parser's (grammar/parser.chip_lines): a chip id
    in hex, a comment after the brace, a carriage return."""
    text = TWO_CHIPS.replace("chip 1 {", "chip 0x1 {  // the receiver\r")
    _, stream = scan(text, "two.lpu")
    assert {chip: t.first for chip, t in stream.chips.items()} == {0: 0, 1: 263}
    inputs = [np.ones((1, 320), np.float32)] * 2
    _assert_same(*_both(text, inputs))


def test_errors_in_a_streamed_chip_are_located_in_the_file() -> None:
    text = TWO_CHIPS.replace("@310 %s = vxm.add", "@310 %s = vxm.frobnicate")
    line = (
        text.splitlines().index(next(x for x in text.splitlines() if "frobnicate" in x))
        + 1
    )
    skeleton, stream = scan(text, "two.lpu")
    with pytest.raises(LpuError, match=rf"two\.lpu:{line}:"):
        Planned(skeleton, stream=stream).run([np.zeros((1, 320), np.float32)] * 2)


def test_text_not_laid_out_one_item_per_line_is_refused() -> None:
    with pytest.raises(LpuError, match="no closing"):
        scan(TWO_CHIPS.replace("\n}\n\nchip 1", "\n\nchip 1"), "two.lpu")
    with pytest.raises(LpuError, match="no chip block"):
        scan('system "node8"\n', "empty.lpu")


def test_lpu_run_stream(tmp_path: Path) -> None:
    """The CLI: the same results and cycle count; a located refusal of what
    needs the whole program as IR."""
    program = tmp_path / "two.lpu"
    program.write_text(TWO_CHIPS)
    args = [str(program), "--input-random", "--quiet"]
    whole = run_tool(lpu_run.main, [*args, "--output", str(tmp_path / "a.npz")])
    streamed = run_tool(
        lpu_run.main, [*args, "--stream", "--output", str(tmp_path / "b.npz")]
    )
    assert whole == streamed == (0, "cycles: 346 (static: 346)\n", "")
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    code, _, err = run_tool(lpu_run.main, [*args, "--stream", "--debug"])
    assert code == 1
    assert "--stream cannot --debug" in err
    assert "Traceback" not in err
