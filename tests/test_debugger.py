"""The cycle-level debugger (interpreter/sim_debug.py): each command, scripted
through the Python API's `execute`, and a session through `lpu-run --debug`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lpuir
from lpuir.diagnostics import LpuError
from lpuir.frontend import parse_source
from lpuir.grammar.parser import parse_lpu
from lpuir.interpreter.sim_debug import Debugger

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RNG = np.random.default_rng(0)


def example(name: str, *inputs: np.ndarray) -> Debugger:
    path = EXAMPLES / "lpu" / name
    return Debugger(parse_lpu(path.read_text(), str(path)), list(inputs))


def add() -> Debugger:
    """examples/lpu/vxm_add.lpu: reads at 0, the add at 7, the write at 22."""
    return example(
        "vxm_add.lpu",
        np.full((4, 320), 1.5, np.float32),
        np.full((4, 320), 2.25, np.float32),
    )


def test_break_at_a_cycle_then_the_streams_there() -> None:
    d = add()
    assert d.execute("break cycle 7") == "breakpoint 1: cycle 7"
    out = d.execute("continue")
    assert out.startswith("breakpoint 1 (cycle 7); cycle 7: next chip 0 vxm.add")
    assert d.now == 7 and d.instruction[1].mnemonic == "vxm.add"
    lhs = d.execute("print stream S0E VXM")
    assert "%a vector 0" in lhs and "1.5, 1.5" in lhs
    assert "%b vector 0" in d.execute("print stream S4W 46")
    assert d.execute("print stream S9E VXM").endswith("nothing")
    # a run of the rest ends the program
    assert d.execute("continue") == "the program ended at cycle 46"


def test_step_by_cycles_and_by_instructions_forward_and_back() -> None:
    d = add()
    out = d.execute("stepi 2")
    assert out.count("mem.read") == 2 and "next chip 0 vxm.add" in out
    assert d.now == 0 and d.pos == 2
    d.execute("step 10")
    assert d.now == 10 and d.pos == 3  # the add at 7 issued
    d.execute("reverse-stepi")
    assert d.pos == 2 and d.now == 7
    d.execute("reverse-step 7")
    assert d.now == 0 and d.pos == 0
    assert "cycle 22" in d.execute("goto 22")
    assert d.execute("info").startswith("cycle 22: next chip 0 mem.write")


def test_breakpoints_at_instructions_sources_and_writes() -> None:
    d = add()
    d.execute("break instruction 0:2")  # the add
    d.execute("break source vxm_add.lpu:17")  # the write's line
    assert d.execute("break write @c") == "breakpoint 3: write @c"
    listed = d.execute("info breakpoints").splitlines()
    assert listed == ["1: instruction 0:2", "2: source vxm_add.lpu:17", "3: write @c"]
    assert "(instruction 0:2)" in d.execute("continue")
    assert "(source vxm_add.lpu:17)" in d.execute("continue")
    d.execute("delete 2")
    d.execute("goto 8")
    assert "(write @c)" in d.execute("continue")
    with pytest.raises(LpuError, match="no instruction is there"):
        d.execute("break source vxm_add.lpu:99")
    with pytest.raises(LpuError, match="no tensor @nope"):
        d.execute("break write @nope")
    with pytest.raises(LpuError, match="no breakpoint or watch number 9"):
        d.execute("delete 9")


def test_reverse_continue_goes_back_to_the_last_breakpoint() -> None:
    d = add()
    d.execute("break cycle 7")
    d.execute("break instruction 0:3")
    d.execute("continue")
    d.execute("continue")
    assert d.instruction[1].mnemonic == "mem.write"
    assert "(cycle 7)" in d.execute("reverse-continue")
    assert d.now == 7
    assert d.execute("reverse-continue") == "at the start of the program"


def test_watch_shows_the_vectors_a_write_changes() -> None:
    d = add()
    assert d.execute("watch @c") == "watch 1: watch @c"
    out = d.execute("continue").splitlines()
    assert out[0].startswith("watch 1 (@c on chip 0): written by mem.write")
    assert "vectors [0, 1, 2, 3] changed; now at cycle 26" in out[0]
    assert "[0.0, 0.0" in out[1] and "-> [3.75, 3.75" in out[1]
    assert "3.75" in d.execute("print mem @c[3]")
    assert d.execute("print mem W12 2").startswith("W12[2] holds @c vector 2")
    assert "3.75" in d.execute("print tensor @c")
    d.execute("goto 0")
    assert "0.0" in d.execute("print mem @c[3]")  # time travel: not written yet


def test_mxm_plane_weights_and_accumulators() -> None:
    x = RNG.standard_normal((4, 480)).astype(np.float16)
    w = RNG.standard_normal((480, 320)).astype(np.float16)
    d = example("mxm_f16_acc.lpu", x, w[:160], w[160:320], w[320:])
    d.execute("goto 200")
    out = d.execute("print mxm W.0")
    assert "weights: from mxm.install" in out and "(issued at cycle 5)" in out
    assert "accumulators: from mxm.matmul" in out and "(issued at cycle 169)" in out
    first = d.mxm("W.0")
    assert np.array_equal(first["weights"][1][:160], w[:160])
    d.execute("goto 0")
    assert "weights: nothing" in d.execute("print mxm W.0")
    assert "weights: nothing" in d.execute("print mxm E.3")


def test_links_in_flight_and_chips() -> None:
    x = RNG.integers(-100, 100, (1, 320), dtype=np.int32)
    d = example("c2c_forward.lpu", x)
    d.execute("goto 100")  # sent at 46, arrives at chip 1 at 263
    out = d.execute("print links")
    assert 'channel "x" from chip 0, sent at 46, arrives at 263' in out
    assert repr(int(x[0, 0])) in out
    d.execute("goto 300")
    assert "arrives at 567" in d.execute("print links")
    d.execute("goto 600")
    assert d.execute("print links") == "no vector in flight at cycle 600"
    assert d.execute("chip 2") == "chip 2"
    assert not d.tensor("y").any()  # written at 613
    d.execute("goto 634")
    assert np.array_equal(d.tensor("y")[0], x[0])
    assert "@y" in d.execute("print chip 2 tensor @y")
    with pytest.raises(LpuError, match="chip 7 runs no program"):
        d.execute("chip 7")


def test_the_first_instruction_that_differs_from_the_reference() -> None:
    """Softmax compiled, then its exp made a tanh: the debugger finds the
    write of exp's tensor, the first whose data differ from the reference."""
    source_path = EXAMPLES / "compile" / "softmax.mlir"
    source = parse_source(source_path.read_text(), str(source_path))
    compiled = lpuir.compile_module(source).module
    text = lpuir.to_text(compiled, debuginfo=True)
    bad = parse_source(text.replace("lpu.vxm.exp", "lpu.vxm.tanh", 1), "bad.mlir")
    inputs = [RNG.standard_normal((4, 4096)).astype(np.float32)]
    d = Debugger(bad, inputs, reference=source)
    assert d.mismatch is not None
    out = d.execute("mismatch")
    assert "first difference from the reference: chip 0: mem.write at" in out
    assert "softmax.mlir:5:3: 'tosa.exp', computed by vxm.tanh" in out
    assert d.instruction[1].mnemonic == "mem.write"
    good = parse_source(text, "good.mlir")
    assert Debugger(good, inputs, reference=source).mismatch is None
    assert d.execute("info violations") == "no violations"


def test_help_list_and_errors() -> None:
    d = add()
    assert "break cycle N" in d.execute("help")
    listed = d.execute("list 1").splitlines()
    assert listed[0].startswith("=> @0 chip 0 mem.read")
    assert d.execute("info violations") == "no violations"
    assert d.execute("# a comment") == ""
    with pytest.raises(LpuError, match="unknown command 'frobnicate'"):
        d.execute("frobnicate")
    with pytest.raises(LpuError, match="'S3X' is not a stream"):
        d.execute("print stream S3X W4")


def test_a_session_on_standard_input(tmp_path: Path) -> None:
    script = "break cycle 7\ncontinue\nprint stream S0E VXM\nbogus\nquit\n"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "lpu-dbg"),
            str(EXAMPLES / "lpu" / "vxm_add.lpu"),
            "--input",
            "4x320xf32=1.5",
            "--input",
            "4x320xf32=2.25",
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("lpu-dbg: ") and "46 cycles" in lines[0]
    assert "(lpu-dbg) continue" in lines
    assert any(line.startswith("breakpoint 1 (cycle 7)") for line in lines)
    assert any("1.5, 1.5" in line for line in lines)
    assert "error: unknown command 'bogus' (help lists the commands)" in lines
