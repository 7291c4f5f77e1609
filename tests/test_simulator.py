"""The cycle-level simulator: bit-exact results in the predicted cycles, and a
located diagnostic for every rule of the machine a schedule can break.

Hand-scheduled programs here follow docs/dialect.md; the comments give the
cycle arithmetic (tsp-v1 positions: W_i = 45 - i, VXM = 46, E_i = 47 + i,
SXM.W = 1, SXM.E = 91, MXM.W = 0, MXM.E = 92; delay_read 2, delay_vxm 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpuir import numerics
from lpuir.diagnostics import LpuError, verify_located
from lpuir.grammar.parser import parse_lpu
from lpuir.interpreter.logical import execute_logical
from lpuir.interpreter.simulator import (
    SimulationError,
    SimulationResult,
    Violation,
    simulate,
)
from lpuir.machine import ChipSpec

EXAMPLES = Path(__file__).parent.parent / "examples" / "lpu"
SPEC = ChipSpec()
RNG = np.random.default_rng(7)


def run(text: str, inputs: list[np.ndarray], **kwargs: bool) -> SimulationResult:
    return simulate(parse_lpu(text, "t.lpu"), inputs, **kwargs)


def violations(text: str, inputs: list[np.ndarray]) -> list[Violation]:
    """Every violation of a program, which must have at least one."""
    with pytest.raises(SimulationError) as info:
        run(text, inputs, collect_all=True)
    return info.value.violations


def line_of(text: str, marker: str) -> str:
    """`t.lpu:LINE:3`, where the instruction containing `marker` starts."""
    for number, line in enumerate(text.splitlines(), 1):
        if marker in line:
            return f"t.lpu:{number}:{line.index(line.strip()) + 1}"
    raise AssertionError(marker)


def the(found: list[Violation], rule: str) -> Violation:
    matching = [v for v in found if v.rule == rule]
    assert matching, f"no {rule!r} among {[str(v) for v in found]}"
    return matching[0]


def f32(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def i8(*shape: int) -> np.ndarray:
    return RNG.integers(-128, 128, shape, dtype=np.int8)


# ----------------------------------------------------------------- examples


def load(name: str):
    path = EXAMPLES / name
    module = parse_lpu(path.read_text(), str(path))
    verify_located(module)
    return module


def transpose16(x: np.ndarray) -> np.ndarray:
    """y[16g + j][16s + i] = x[16g + i][16s + j]."""
    return x.reshape(-1, 16, 20, 16).transpose(0, 3, 2, 1).reshape(x.shape)


def _matvec_case() -> tuple[list[np.ndarray], list[np.ndarray]]:
    x, w = i8(1, 320), i8(320, 320)
    expected = (x.astype(np.int64) @ w.astype(np.int64)).astype(np.int32)
    return [x, *(w[32 * j : 32 * j + 32] for j in range(10))], [expected]


def _f16_case() -> tuple[list[np.ndarray], list[np.ndarray]]:
    x = RNG.standard_normal((4, 480)).astype(np.float16)
    w = RNG.standard_normal((480, 320)).astype(np.float16)
    expected = numerics.matmul(x, w, "f16", "f32", k_block=SPEC.mxm_k_f16)
    return [x, w[:160], w[160:320], w[320:]], [expected]


def _transpose_case() -> tuple[list[np.ndarray], list[np.ndarray]]:
    x = f32(16, 320)
    return [x], [transpose16(x)]


def _two_chips_case() -> tuple[list[np.ndarray], list[np.ndarray]]:
    x, b = f32(1, 320), f32(1, 320)
    return [x, b], [x + b, x - b]


def _forward_case() -> tuple[list[np.ndarray], list[np.ndarray]]:
    x = RNG.integers(-(2**31), 2**31, (1, 320), dtype=np.int32)
    return [x], [x]


EXAMPLE_CASES = {
    "vxm_add.lpu": lambda: ([a := f32(4, 320), b := f32(4, 320)], [a + b]),
    "mxm_matvec_i8.lpu": _matvec_case,
    "mxm_f16_acc.lpu": _f16_case,
    "sxm_transpose.lpu": _transpose_case,
    "c2c_two_chips.lpu": _two_chips_case,
    "c2c_forward.lpu": _forward_case,
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_CASES))
def test_examples_are_bit_exact_in_their_static_cycles(name: str) -> None:
    module = load(name)
    inputs, expected = EXAMPLE_CASES[name]()
    result = simulate(module, inputs)
    assert len(result.outputs) == len(expected)
    for got, want in zip(result.outputs, expected, strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8))
    if result.static_cycles is not None:
        assert result.cycles == result.static_cycles
    for got, logical in zip(
        result.outputs, execute_logical(module, inputs), strict=True
    ):
        assert np.array_equal(got, logical)


def test_f16_accumulation_is_close_to_the_exact_product() -> None:
    inputs, [expected] = _f16_case()
    exact = inputs[0].astype(np.float64) @ np.concatenate(inputs[1:]).astype(np.float64)
    assert np.allclose(expected, exact, rtol=1e-5, atol=1e-4)


def test_cycles_and_accounting_of_the_two_chip_example() -> None:
    result = simulate(load("c2c_two_chips.lpu"), _two_chips_case()[0])
    assert result.chip_cycles == {0: 66, 1: 346} and result.cycles == 346
    assert result.instructions == 8
    assert result.link_busy == {"0:0-1:6": 24}
    assert result.link_bytes == {"0:0-1:6": 4 * 328}
    assert (
        result.unit_busy["chip1/VXM.alu0"] == 1
        and result.unit_busy["chip1/VXM.alu1"] == 1
    )
    assert result.unit_busy["VXM"] == 2 and result.unit_busy["chip0/C2C.port0"] == 24
    assert result.unit_busy["MEM"] == 4 * 4  # four f32 accesses of one vector
    utilisation = result.utilisation()
    assert utilisation["chip1/VXM.alu0"] == pytest.approx(1 / 346)
    assert utilisation["VXM"] == pytest.approx(2 / (16 * (66 + 346)))
    assert result.link_utilisation() == {"0:0-1:6": pytest.approx(24 / 346)}


def test_repeated_runs_agree_to_the_bit_and_the_cycle() -> None:
    module = load("mxm_f16_acc.lpu")
    inputs = _f16_case()[0]
    first, second = simulate(module, inputs), simulate(module, inputs)
    assert first.cycles == second.cycles == 600
    assert np.array_equal(
        first.outputs[0].view(np.uint32), second.outputs[0].view(np.uint32)
    )


def test_chrome_trace_has_a_process_per_chip_and_a_track_per_unit_and_link() -> None:
    result = simulate(load("c2c_forward.lpu"), _forward_case()[0], trace=True)
    trace = json.loads(json.dumps(result.chrome_trace()))
    events = trace["traceEvents"]
    processes = {e["args"]["name"] for e in events if e["name"] == "process_name"}
    assert processes == {"chip 0", "chip 1", "chip 2"}
    tracks = {
        (e["pid"], e["args"]["name"]) for e in events if e["name"] == "thread_name"
    }
    assert {
        (0, "MEM.W0"),
        (0, "C2C.port0"),
        (0, "link 0:0-1:0"),
        (1, "link 1:8-2:8"),
        (2, "MEM.E0"),
    } <= tracks
    complete = [e for e in events if e["ph"] == "X"]
    send = next(e for e in complete if e["name"] == "c2c.send")
    assert (
        send["pid"] == 0
        and send["ts"] == pytest.approx(46 / 900)
        and send["args"]["cycle"] == 46
    )
    assert send["args"]["operands"] == ["%x[S0W]"]
    assert sum(e["cat"] == "link" for e in complete) == 2
    write = next(e for e in complete if e["name"] == "mem.write")
    assert (write["pid"], write["args"]["slices"]) == (2, ["E0", "E1", "E2", "E3"])
    with pytest.raises(LpuError, match="trace=True"):
        simulate(load("c2c_forward.lpu"), _forward_case()[0]).chrome_trace()


# ------------------------------------------------------------------- inputs


def test_inputs_are_checked_and_named() -> None:
    module = load("vxm_add.lpu")
    with pytest.raises(LpuError, match=r"takes 2 input\(s\).*1 given.*argument 1"):
        simulate(module, [f32(4, 320)])
    with pytest.raises(
        LpuError,
        match=r"input 1 \(@b, tensor<4x320xf32>\): given an array of shape \(3, 320\)",
    ):
        simulate(module, [f32(4, 320), f32(3, 320)])
    with pytest.raises(
        LpuError, match=r"input 0 .*dtype float64, but f32 is carried in float32"
    ):
        simulate(module, [np.zeros((4, 320)), f32(4, 320)])
    with pytest.raises(LpuError, match="is not scheduled"):
        simulate(
            parse_lpu(
                "chip 0 {\n  tensor @a : 1x320xf32 input 0\n  %a = mem.read @a[0] : f32\n}",
                "t.lpu",
            ),
            [f32(1, 320)],
        )


# ------------------------------------------------------------- SRAM and MEM

SRAM = """
system "tsp-v1" with chip "tsp-v1" {sram_banks = 8192, delay_write = DELAY}
chip 0 {
  tensor @a : 4x320xf32 input 0 at W4 0
  tensor @s : 4x320xf32 scratch at W12 0
  tensor @o : 4x320xf32 output 0 at W20 0
  // (a bank per address: a read and a write of one slice in one cycle only
  // conflict on the same vector.) @a (W4, 41) read onto S0W reaches W12 (33)
  // 2 + 8 cycles later; @s (W12) read onto S4W reaches W20 (25) 2 + 8 later.
  PROGRAM
}
"""


@pytest.mark.parametrize(
    ("read", "sees"), [(13, (True, True)), (12, (False, True)), (11, (False, False))]
)
def test_a_write_is_visible_from_its_cycle_plus_delay_write(
    read: int, sees: tuple[bool, bool]
) -> None:
    """Vector k of @s is written at 10 + k and visible to reads from 12 + k;
    the burst reads @s[1] at `read` and `read + 1`."""
    program = f"""@0  %a = mem.read @a[0] -> S0W : f32[4]
  @10 mem.write %a[S0W] -> @s[0]
  @{read} %b = mem.read @s[1 step 0] -> S4W : f32[2]
  @{read + 10} mem.write %b[S4W] -> @o[1 step 2]"""
    a = f32(4, 320)
    text = SRAM.replace("DELAY", "2").replace("PROGRAM", program)
    if read == 11:  # @s[1] is read in the cycle it is written: one bank
        assert the(violations(text, [a]), "bank conflict").cycle == 11
        return
    out = run(text, [a]).outputs[0]
    for row, new in zip((1, 3), sees, strict=True):
        assert np.array_equal(out[row], a[1] if new else np.zeros(320, np.float32))
    assert not out[0].any() and not out[2].any()


def test_a_burst_sees_a_write_issued_after_it() -> None:
    """The read issued at 8 takes @s[3] at 11; the write of @s[3], issued at
    10, is visible from 11: a burst is not evaluated as of its issue cycle."""
    program = """@0  %a = mem.read @a[3] -> S0W : f32
  @10 mem.write %a[S0W] -> @s[3]
  @8  %b = mem.read @s[0] -> S4W : f32[4]
  @18 mem.write %b[S4W] -> @o[0]"""
    a = f32(4, 320)
    out = run(SRAM.replace("DELAY", "1").replace("PROGRAM", program), [a]).outputs[0]
    assert not out[:3].any() and np.array_equal(out[3], a[3])


GATHER = """
chip 0 {
  tensor @t : 8x320xf32 input 0 at W4 0
  tensor @i : 2x320xi32 input 1 at E4 0
  tensor @o : 2x320xf32 output 0 at W12 0
  // indices from E4 (51) on S0W at 2 reach W4 (41) at 12; the gather's result
  // leaves W4 at 12 + 3 on S4W and reaches W12 (33) at 23
  @0  %i = mem.read @i[0] -> S0W : i32[2]
  @12 %g = mem.gather @t[%i[S0W]] -> S4W : f32[2]
  @23 mem.write %g[S4W] -> @o[0]
}
"""

SCATTER = """
chip 0 {
  tensor @v : 2x320xf32 input 0 at W12 0
  tensor @i : 2x320xi32 input 1 at E4 0
  tensor @t : 8x320xf32 output 0 at W4 0
  // both operands reach W4 (41) at 12: @v from W12 (33) on S8E at 2 + 8
  @2  %v = mem.read @v[0] -> S8E : f32[2]
  @0  %i = mem.read @i[0] -> S0W : i32[2]
  @12 mem.scatter %v[S8E] -> @t[%i[S0W]]
}
"""


def test_gather_and_scatter_move_lanes_as_the_logical_level_does() -> None:
    table = f32(8, 320)
    idx = RNG.integers(0, 8, (2, 320), dtype=np.int32)
    gathered = run(GATHER, [table, idx]).outputs[0]
    assert np.array_equal(gathered, table[idx, np.arange(320)])
    assert np.array_equal(
        gathered, execute_logical(parse_lpu(GATHER, "t.lpu"), [table, idx])[0]
    )
    values = f32(2, 320)
    scattered = run(SCATTER, [values, idx]).outputs[0]
    expected = np.zeros((8, 320), np.float32)
    for k in range(2):
        expected[idx[k], np.arange(320)] = values[k]
    assert np.array_equal(scattered, expected)
    assert np.array_equal(
        scattered, execute_logical(parse_lpu(SCATTER, "t.lpu"), [values, idx])[0]
    )


def test_gather_index_out_of_range() -> None:
    idx = np.zeros((2, 320), np.int32)
    idx[1, 7] = 8
    v = the(violations(GATHER, [f32(8, 320), idx]), "address range")
    assert (v.chip, v.cycle, v.unit) == (0, 13, "MEM.W4")
    assert "lane 7 of index vector 1 is 8, outside @t's vectors 0..7" in v.message
    assert v.location == line_of(GATHER, "mem.gather")
    with pytest.raises(LpuError, match="lane 7 of index vector 1 is 8"):
        execute_logical(parse_lpu(GATHER, "t.lpu"), [f32(8, 320), idx])


def test_scatter_index_out_of_range() -> None:
    idx = np.full((2, 320), -1, np.int32)
    v = the(violations(SCATTER, [f32(2, 320), idx]), "address range")
    assert (v.chip, v.cycle, v.unit) == (0, 12, "MEM.W4")


BANKS = """
chip 0 {
  tensor @a : 4x320xi8 input 0 at W4 0
  tensor @c : 4x320xi8 output 0 at W4 ADDRESS
  // W4's read port is busy at 0..3, its write port at 2..5
  @0 %a = mem.read @a[0] -> S0W : i8[4]
  @2 mem.write %a[S0W] -> @c[0]
}
"""


def test_bank_conflict() -> None:
    text = BANKS.replace("ADDRESS", "64")
    v = the(violations(text, [i8(4, 320)]), "bank conflict")
    assert (v.chip, v.cycle, v.unit) == (0, 2, "MEM.W4")
    assert "in bank 0 at cycle 2" in v.message and v.location == line_of(
        text, "mem.write"
    )
    a = i8(4, 320)  # the other half of the slice is the other bank
    assert np.array_equal(
        run(BANKS.replace("ADDRESS", str(SPEC.sram_addresses // 2)), [a]).outputs[0], a
    )


def test_read_port_busy() -> None:
    text = BANKS.replace("ADDRESS", "64").replace(
        "@2 mem.write %a[S0W] -> @c[0]", "@2 %b = mem.read @c[0] -> S1W : i8"
    )
    v = the(violations(text, [i8(4, 320)]), "unit busy")
    assert (v.cycle, v.unit) == (2, "MEM.W4 read port")
    assert v.location == line_of(text, "%b = mem.read")


# ------------------------------------------------------------------- streams

VXM_PAIR = """
chip 0 {
  tensor @a : 4x320xf32 input 0 at W4 0
  tensor @b : 4x320xf32 input 1 at E4 0
  tensor @c : 4x320xf32 output 0 at W12 0
  tensor @d : 4x320xf32 output 1 at W20 0
  // %a reaches the VXM (46) at 2 + 5 = 7, %b at B + 2 + 5
  @0  %a = mem.read @a[0] -> S0E : f32[4]
  @2  %b = mem.read @b[0] -> S4W : f32[4]
  @7  %x = vxm.neg %a[S0E] alu 0 -> S8W : f32[4]
  @9  %y = vxm.abs %b[S4W] alu ALU -> S12W : f32[4]
  // %x leaves at 9 and reaches W12 (33) at 22; %y leaves at 11, W20 (25) at 32
  @22 mem.write %x[S8W] -> @c[0]
  @32 mem.write %y[S12W] -> @d[0]
}
"""


def test_unit_busy() -> None:
    text = VXM_PAIR.replace("ALU", "0")
    v = the(violations(text, [f32(4, 320), f32(4, 320)]), "unit busy")
    assert (v.chip, v.cycle, v.unit) == (0, 9, "VXM.alu0")
    assert "until cycle 10" in v.message and v.location == line_of(text, "vxm.abs")
    a, b = f32(4, 320), f32(4, 320)
    result = run(VXM_PAIR.replace("ALU", "1"), [a, b])
    assert np.array_equal(result.outputs[0], -a) and np.array_equal(
        result.outputs[1], np.abs(b)
    )
    assert result.cycles == 32 + 3 + 1 + 1 + 19


def test_stream_slot_holds_nothing() -> None:
    text = VXM_PAIR.replace("ALU", "1").replace("@7  %x", "@6  %x")
    found = violations(text, [f32(4, 320), f32(4, 320)])
    v = the(found, "stream slot")
    assert (v.chip, v.cycle, v.unit) == (0, 6, "VXM.alu0")
    assert (
        v.message
        == "reads stream S0E at position 46 (VXM) at cycle 6: slot holds nothing; expected %a vector 0"
    )
    assert v.location == line_of(text, "vxm.neg")
    assert (
        str(v)
        == f"{v.location}: error: chip 0, cycle 6, VXM.alu0: stream slot: {v.message}"
    )


def test_stream_slot_holds_the_wrong_vector() -> None:
    text = (
        VXM_PAIR.replace("ALU", "1")
        .replace("@9  %y", "@10 %y")
        .replace("@32 mem", "@33 mem")
    )
    v = the(violations(text, [f32(4, 320), f32(4, 320)]), "stream slot")
    assert (v.cycle, v.unit) == (10, "VXM.alu1")
    assert v.message.startswith(
        "reads stream S4W at position 46 (VXM) at cycle 10: slot holds %b vector 1 byte plane 0 put by mem.read at t.lpu:"
    )
    assert v.message.endswith("; expected %b vector 0")


def test_stream_slot_overwritten_by_a_nearer_put() -> None:
    """%y put on S0E at the VXM replaces %a from there on."""
    text = (
        VXM_PAIR.replace("ALU", "1")
        .replace("@2  %b", "@0  %b")
        .replace("@9  %y", "@7  %y")
        .replace("-> S12W", "-> S0E")
    )
    found = violations(text, [f32(4, 320), f32(4, 320)])
    v = the(found, "stream slot")
    assert (v.cycle, v.unit) == (
        9,
        "VXM.alu0",
    ) and "slot holds %y vector 0" in v.message


def test_stream_clash() -> None:
    text = VXM_PAIR.replace("ALU", "1").replace(
        "@9  %y = vxm.abs %b[S4W] alu 1 -> S12W",
        "@7  %y = vxm.abs %a[S0E] alu 1 -> S8W",
    )
    v = the(violations(text, [f32(4, 320), f32(4, 320)]), "stream clash")
    assert (v.chip, v.cycle, v.unit) == (0, 9, "VXM.alu1")
    assert (
        "puts %y on stream S8W at position 46 (VXM) at cycle 9, where %x is put in the same cycle by vxm.neg"
        in v.message
    )
    assert v.location == line_of(text, "vxm.abs")


CHAIN = """
chip 0 {
  tensor @a : 1x320xf32 input 0 at W4 0
  tensor @c : 1x320xf32 output 0 at W12 0
  @0  %a = mem.read @a[0] -> S0E : f32
  @7  %x = vxm.neg %a[S0E] alu 0 : f32
  @ISSUE %y = vxm.abs %x[alu 0] alu 1 -> S8W : f32
  @WRITE mem.write %y[S8W] -> @c[0]
}
"""


def test_chained_operand_at_the_wrong_cycle() -> None:
    text = CHAIN.replace("ISSUE", "10").replace("WRITE", "25")
    v = the(violations(text, [f32(1, 320)]), "chain timing")
    assert (v.chip, v.cycle, v.unit) == (0, 10, "VXM.alu1")
    assert "on ALU 0's output only at cycle 9" in v.message and v.location == line_of(
        text, "vxm.abs"
    )
    a = f32(1, 320)
    assert np.array_equal(
        run(CHAIN.replace("ISSUE", "9").replace("WRITE", "24"), [a]).outputs[0],
        np.abs(-a),
    )


# ----------------------------------------------------------------------- MXM

MXM = """
chip 0 {
  tensor @w : 1x320xi8 input 0 at E40 0
  tensor @v : 1x320xi8 input 1 at E42 0
  tensor @x : 3x320xi8 input 2 at E41 0
  tensor @y : 1x320xi32 output 0 at E0 0
  // @w (87) on S0E at 2 reaches MXM.E (92) at 7: the one-row tile is usable
  // from 7 + 1 + 4 = 12. @x (88) read at c reaches 92 at c + 6.
  @0  %r = mem.read @w[0] -> S0E : i8
  @7  %w = mxm.install %r[S0E] on E.0 : weights<i8>
  @EXTRA
  @6  %x0 = mem.read @x[0] -> S1E : i8
  @7  %x1 = mem.read @x[1] -> S1E : i8
  @8  %x2 = mem.read @x[2] -> S1E : i8
  @12 %p = mxm.matmul %w, %x0[S1E] on E.0 : i32
  @13 %q = mxm.matmul %w, %x1[S1E] on E.0 : i32
  // the result leaves 92 at 14 + 24 and reaches E0 (47) at 38 + 45
  @14 %y = mxm.matmul %w, %x2[S1E] acc %ACC on E.0 -> S0W : i32
  @83 mem.write %y[S0W] -> @y[0]
}
"""


def _mxm_inputs() -> list[np.ndarray]:
    return [i8(1, 320), i8(1, 320), i8(3, 320)]


def test_matmul_accumulates_on_the_plane() -> None:
    w, v, x = _mxm_inputs()
    text = MXM.replace("@EXTRA", "").replace("%ACC", "%q")
    y = run(text, [w, v, x]).outputs[0]
    # a one-row tile: y[j] = x[0] * w[0][j], and %y adds %q's to its own
    products = x[1:, :1].astype(np.int32) * w[0].astype(np.int32)
    assert np.array_equal(y[0], products.sum(axis=0))


def test_accumulator_not_held_by_the_plane() -> None:
    text = MXM.replace("@EXTRA", "").replace("%ACC", "%p")
    v = the(violations(text, _mxm_inputs()), "accumulator")
    assert (v.chip, v.cycle, v.unit) == (0, 14, "MXM.E.0")
    assert "accumulates onto %p, but the plane's accumulators hold %q" in v.message
    assert v.location == line_of(text, "acc %p")


def test_weights_used_before_they_are_installed() -> None:
    text = (
        MXM.replace("@EXTRA", "")
        .replace("%ACC", "%q")
        .replace("@6  %x0", "@5  %x0")
        .replace("@12 %p", "@11 %p")
    )
    v = the(violations(text, _mxm_inputs()), "weights")
    assert (v.chip, v.cycle, v.unit) == (0, 11, "MXM.E.0")
    assert "usable only from cycle 12" in v.message and v.location == line_of(
        text, "@11 %p"
    )


def test_weights_used_after_they_were_replaced() -> None:
    # a second tile from @v (89) on S2E at 5 + 2 + 3 = 10 is installed at 10
    extra = "@5  %s = mem.read @v[0] -> S2E : i8\n  @10 %w2 = mxm.install %s[S2E] on E.0 : weights<i8>"
    text = MXM.replace("@EXTRA", extra).replace("%ACC", "%q")
    v = the(violations(text, _mxm_inputs()), "weights")
    assert (v.cycle, v.unit) == (12, "MXM.E.0")
    assert (
        "they were replaced by mxm.install at" in v.message
        and "(issued at cycle 10)" in v.message
    )


def test_install_takes_at_most_rows_per_cycle_operands() -> None:
    text = (
        (EXAMPLES / "mxm_matvec_i8.lpu")
        .read_text()
        .replace(
            'system "tsp-v1"',
            'system "tsp-v1" with chip "tsp-v1" {mxm_install_rows_per_cycle = 8}',
        )
    )
    v = the(violations(text, _matvec_case()[0]), "install width")
    assert (v.cycle, v.unit) == (13, "MXM.E.0") and "10 operands" in v.message


# ----------------------------------------------------------------------- ICU


def test_sync_too_early_after_notify() -> None:
    text = "chip 0 {\n  @0 icu.notify\n  @SYNC icu.sync\n}"
    v = the(violations(text.replace("SYNC", "10"), []), "barrier")
    assert (v.chip, v.cycle, v.unit) == (0, 10, "ICU")
    assert (
        "comes 10 cycles after icu.notify" in v.message
        and "delay_barrier = 16" in v.message
    )
    assert run(text.replace("SYNC", "16"), []).cycles == 16 + 1 + 19


def test_sync_without_notify() -> None:
    v = the(violations("chip 0 {\n  @4 icu.sync\n}", []), "barrier")
    assert "has no notify before it" in v.message


DESKEW = """
system "tsp-v1" {epoch = 64}
chip 0 {
  tensor @a : 1x320xf32 input 0 at W4 0
  tensor @c : 1x320xf32 output 0 at E4 0
  @0 c2c.deskew
  @READ %a = mem.read @a[0] -> S0E : f32
  @WRITE mem.write %a[S0E] -> @c[0]
}
"""


def test_instruction_inside_a_deskew_wait() -> None:
    text = DESKEW.replace("READ", "63").replace("WRITE", "75")
    v = the(violations(text, [f32(1, 320)]), "deskew")
    assert (v.chip, v.cycle, v.unit) == (0, 63, "MEM.W4")
    assert (
        "inside the deskew wait of c2c.deskew" in v.message
        and "epoch boundary at cycle 64" in v.message
    )
    a = f32(1, 320)
    result = run(DESKEW.replace("READ", "64").replace("WRITE", "76"), [a])
    assert np.array_equal(result.outputs[0], a) and result.cycles == 77 + 1 + 19
    assert run("chip 0 {\n  @0 c2c.deskew\n}", []).cycles == 255 + 1 + 19


# ------------------------------------------------------------------- network

TWO_SENDS = """
system "node8"
chip 0 {
  tensor @x : 2x320xf32 input 0 at W0 0
  // W0 (45) -> SXM.W (1): read at c, sent at c + 2 + 44
  @0  %a = mem.read @x[0] -> S0W : f32
  @B  %b = mem.read @x[1] -> S0W : f32
  @46 c2c.send %a[S0W] to 1 "a" port 0
  @SEND c2c.send %b[S0W] to 1 "b" port 0
}
chip 1 {
  tensor @y : 2x320xf32 output 0 at E0 0
  // received at send + 217, on S0E at SXM.W (1) 2 later, at E0 (47) 46 later
  @263 %a = c2c.recv from 0 "a" port 6 -> S0E : f32
  @RECV %b = c2c.recv from 0 "b" port 6 -> S0E : f32
  @311 mem.write %a[S0E] -> @y[0]
  @WRITE mem.write %b[S0E] -> @y[1]
}
"""


def two_sends(send: int, recv: int | None = None) -> str:
    recv = send + 217 if recv is None else recv
    return (
        TWO_SENDS.replace("@B ", f"@{send - 46} ")
        .replace("SEND", str(send))
        .replace("RECV", str(recv))
        .replace("WRITE", str(recv + 48))
    )


def test_two_sends_overlap_on_one_link_direction() -> None:
    text = two_sends(47)
    verify_located(
        parse_lpu(text, "t.lpu")
    )  # the pairing is right: only occupancy is not
    v = the(violations(text, [f32(2, 320)]), "link busy")
    assert (v.chip, v.cycle, v.unit) == (0, 47, "link 0:0-1:6")
    assert "until cycle 69" in v.message and v.location == line_of(text, '"b" port 0')
    x = f32(2, 320)
    result = run(two_sends(70), [x])
    assert np.array_equal(result.outputs[0], x) and result.link_busy == {"0:0-1:6": 48}


def test_receive_with_no_arrival_and_the_arrival_nobody_took() -> None:
    text = two_sends(70, recv=288)
    with pytest.raises(LpuError, match="nothing receives or forwards it there"):
        verify_located(parse_lpu(text, "t.lpu"))
    found = violations(text, [f32(2, 320)])
    missing = the(found, "no arrival")
    assert (missing.chip, missing.cycle, missing.unit) == (1, 288, "C2C.port6")
    assert (
        "nothing arrives then" in missing.message
        and "arrivals at [263, 287]" in missing.message
    )
    assert missing.location == line_of(text, '"b" port 6')
    stray = the(found, "unconsumed arrival")
    assert (stray.chip, stray.cycle, stray.unit) == (1, 287, "link 0:0-1:6")
    assert stray.location == line_of(text, '"b" port 0')
    with pytest.raises(SimulationError) as first:
        run(text, [f32(2, 320)])
    assert [v.rule for v in first.value.violations] == ["unconsumed arrival"]


def test_receive_of_the_wrong_channel() -> None:
    text = two_sends(70).replace('from 0 "b"', 'from 0 "c"')
    v = the(violations(text, [f32(2, 320)]), "wrong arrival")
    assert (v.chip, v.cycle) == (1, 287)
    assert (
        'receives channel "c" (f32) from chip 0, but the vector arriving is channel "b"'
        in v.message
    )


FORWARD = (EXAMPLES / "c2c_forward.lpu").read_text()


def test_forward_at_the_wrong_cycle() -> None:
    text = FORWARD.replace("@263 c2c.forward", "@264 c2c.forward")
    found = violations(text, _forward_case()[0])
    v = the(found, "no arrival")
    assert (v.chip, v.cycle, v.unit) == (1, 264, "C2C.port0")
    assert v.location == line_of(text, "c2c.forward")
    assert the(found, "unconsumed arrival").cycle == 263
    late = [u for u in found if u.chip == 2]
    assert [u.rule for u in late] == ["no arrival"]  # nothing was forwarded to chip 2


def test_send_to_a_chip_that_runs_nothing() -> None:
    text = FORWARD.replace('chip 1 {\n  @263 c2c.forward "x" port 0 -> port 8\n}\n', "")
    found = violations(text, _forward_case()[0])
    assert the(found, "unconsumed arrival").message.endswith(
        "but chip 1 runs no program"
    )


def test_collect_all_reports_every_violation_in_cycle_order() -> None:
    text = VXM_PAIR.replace("ALU", "0").replace("@7  %x", "@6  %x")
    found = violations(text, [f32(4, 320), f32(4, 320)])
    assert len(found) >= 3 and [v.cycle for v in found] == sorted(
        v.cycle for v in found
    )
    with pytest.raises(SimulationError) as first:
        run(text, [f32(4, 320), f32(4, 320)])
    assert first.value.violations == [found[0]]
    assert str(first.value) == str(found[0])
    with pytest.raises(SimulationError) as every:
        run(text, [f32(4, 320), f32(4, 320)], collect_all=True)
    assert str(every.value).startswith(f"{len(found)} schedule violations:\n")
    assert every.value.result.violations == every.value.violations


# -------------------------------------------------- random scheduled programs

LANES = SPEC.lanes
WIDTH = {"i8": 1, "i16": 2, "i32": 4, "f16": 2, "bf16": 2, "f32": 4}
BINARY = {
    "f": ["add", "sub", "mul", "max", "min"],
    "i": ["add", "sub", "mul", "max", "min", "and", "or", "xor"],
}
UNARY = ["neg", "abs", "relu", "copy"]
SXM_OPS = ["shift", "rotate", "permute", "distribute", "transpose"]


class Intervals:
    """Busy half-open intervals of one resource (the test's scheduler)."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or b <= start for a, b in self.spans)

    def take(self, start: int, end: int) -> None:
        self.spans.append((start, end))


class TinyScheduler:
    """Greedy, by the timing rules of docs/dialect.md: every value lives in its
    own slices; an op's operands are read so that they pass its unit exactly
    at its issue cycle, and its result is written where it passes the value's
    slices. Units and slice ports are never shared in a cycle, and a stream is
    held over the whole time a value travels on it (conservative)."""

    def __init__(self, element: str, n: int):
        self.element, self.n, self.w = element, n, WIDTH[element]
        self.busy: dict[str, Intervals] = {}
        self.next_slice = {"W": 0, "E": 0}
        self.lines: list[str] = []
        self.last_act = 0

    def place(self) -> str:
        """The base slice of a new value: alternately west and east."""
        side = "W" if self.next_slice["W"] <= self.next_slice["E"] else "E"
        self.next_slice[side] += self.w
        return f"{side}{self.next_slice[side] - self.w}"

    def _free(self, resource: str, start: int, end: int) -> bool:
        return self.busy.setdefault(resource, Intervals()).free(start, end)

    def _stream(
        self, direction: str, start: int, end: int, taken: list[str]
    ) -> str | None:
        for s in range(0, SPEC.streams - self.w + 1, self.w):
            name = f"S{s}{direction}"
            if name not in taken and self._free(name, start, end):
                return name
        return None

    def schedule(
        self,
        op: str,
        args: str,
        operands: list[tuple[str, str, int]],
        kind: str,
        result: str,
        slot: str,
        delay: int,
    ) -> int:
        """Issue `result = op args operands` (each operand: name, slice, cycle
        from which it can be read) at the earliest cycle that works; the
        cycle at which the result's write is issued."""
        units = (
            [f"alu {a}" for a in range(SPEC.vxm_alus)]
            if kind == "VXM"
            else ["on W", "on E"]
        )
        plan = next(
            p
            for c in range(1, 10_000)
            for unit in units
            if (p := self._try(c, unit, operands, slot, delay)) is not None
        )
        c, unit, reads, (write, stream) = plan
        n, srcs = self.n, []
        for (name, base, _), (read, source) in zip(operands, reads, strict=True):
            self.busy[base].take(read, read + n)
            self.busy[source].take(read + SPEC.delay_read, c + n)
            self.lines.append(
                f"@{read} {name}_{c} = mem.read @{name[1:]}[0] -> {source} : {self.element}[{n}]"
            )
            srcs.append(f"{name}_{c}[{source}]")
        self.busy[unit].take(c, c + n)
        self.busy[slot].take(write, write + n)
        self.busy[stream].take(c + delay, write + n)
        self.lines.append(
            f"@{c} {result} = {op} {args}{', '.join(srcs)} {unit} -> {stream} : {self.element}[{n}]"
        )
        self.lines.append(f"@{write} mem.write {result}[{stream}] -> @{result[1:]}[0]")
        self.last_act = max(self.last_act, write + n - 1 + SPEC.delay_write)
        return write

    def _try(
        self,
        c: int,
        unit: str,
        operands: list[tuple[str, str, int]],
        slot: str,
        delay: int,
    ):
        n = self.n
        if not self._free(unit, c, c + n):
            return None
        position = (
            SPEC.vxm_position
            if unit.startswith("alu")
            else SPEC.unit_position("SXM", unit[-1])
        )  # type: ignore[arg-type]
        reads: list[tuple[int, str]] = []
        for _, base, ready in operands:
            p = SPEC.mem_slices[base]
            read = c - SPEC.delay_read - abs(position - p)
            stream = self._stream(
                "E" if position > p else "W",
                read + SPEC.delay_read,
                c + n,
                [s for _, s in reads],
            )
            if read < ready or not self._free(base, read, read + n) or stream is None:
                return None
            reads.append((read, stream))
        p = SPEC.mem_slices[slot]
        write = c + delay + abs(position - p)
        stream = self._stream(
            "E" if p > position else "W", c + delay, write + n, [s for _, s in reads]
        )
        if stream is None or not self._free(slot, write, write + n):
            return None
        return c, unit, reads, (write, stream)


@st.composite
def programs(draw: st.DrawFn) -> tuple[str, str, list[np.ndarray], int]:
    """A random straight-line DAG of VXM and SXM ops over a few input
    tensors: (scheduled text, logical text, inputs, predicted cycles). The
    last op's result is the output."""
    element = draw(st.sampled_from(sorted(WIDTH)))
    n = draw(st.sampled_from([1, 2, 3, 16]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sched = TinyScheduler(element, n)
    rows = f"{n}x{LANES}x{element}"
    tensors, values, inputs = [], [], []
    for i in range(draw(st.integers(1, 3))):
        tensors.append((f"@in{i}", f"input {i}", sched.place()))
        values.append((f"%in{i}", tensors[-1][2], 0))
        if numerics.is_float(element):
            inputs.append(
                numerics.round_float(rng.standard_normal((n, LANES)) * 4, element)
            )
        else:
            info = np.iinfo(numerics.carrier(element))
            inputs.append(
                rng.integers(
                    info.min,
                    info.max,
                    (n, LANES),
                    numerics.carrier(element),
                    endpoint=True,
                )
            )
    body: list[str] = []
    ops = draw(st.integers(1, 6))
    for j in range(ops):
        kind = draw(st.sampled_from(["VXM", "VXM", "SXM"]))
        arity = 2 if kind == "VXM" and len(values) > 1 and draw(st.booleans()) else 1
        if kind == "VXM":
            op = draw(
                st.sampled_from(
                    BINARY["f" if numerics.is_float(element) else "i"]
                    if arity == 2
                    else UNARY
                )
            )
            mnemonic, args, delay = f"vxm.{op}", "", SPEC.delay_vxm
        else:
            op = draw(
                st.sampled_from(
                    SXM_OPS if n % SPEC.lanes_per_superlane == 0 else SXM_OPS[:-1]
                )
            )
            mnemonic, delay = (
                f"sxm.{op}",
                SPEC.delay(f"sxm_{op}")
                + (SPEC.lanes_per_superlane - 1 if op == "transpose" else 0),
            )
            args = {
                "shift": f"{draw(st.sampled_from(['north', 'south']))} {draw(st.integers(0, LANES))} ",
                "rotate": f"{draw(st.integers(0, LANES - 1))} ",
                "permute": "[" + ", ".join(map(str, rng.permutation(LANES))) + "] ",
                "distribute": "[" + ", ".join(map(str, rng.integers(0, 16, 16))) + "] ",
                "transpose": "",
            }[op]
        picked = [
            values[k]
            for k in draw(
                st.lists(
                    st.integers(0, len(values) - 1),
                    min_size=arity,
                    max_size=arity,
                    unique=True,
                )
            )
        ]
        result, slot = f"%v{j}", sched.place()
        tensors.append((f"@v{j}", "output 0" if j == ops - 1 else "scratch", slot))
        write = sched.schedule(mnemonic, args, picked, kind, result, slot, delay)
        values.append((result, slot, write + SPEC.delay_write))
        body += [
            f"{name}_{j} = mem.read @{name[1:]}[0] : {element}[{n}]"
            for name, _, _ in picked
        ]
        body.append(
            f"{result} = {mnemonic} {args}{', '.join(f'{name}_{j}' for name, _, _ in picked)} : {element}[{n}]"
        )
        body.append(f"mem.write {result} -> @v{j}[0]")
    cycles = sched.last_act + 1 + (SPEC.superlanes - 1) * SPEC.superlane_skew
    scheduled = [
        "chip 0 {",
        *(f"tensor {t} : {rows} {k} at {at} 0" for t, k, at in tensors),
        *sched.lines,
        "}",
    ]
    plain = [
        "chip 0 {",
        *(f"tensor {t} : {rows} {k}" for t, k, _ in tensors),
        *body,
        "}",
    ]
    return "\n".join(scheduled), "\n".join(plain), inputs, cycles


@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_scheduled_programs_match_their_logical_level(
    case: tuple[str, str, list[np.ndarray], int],
) -> None:
    scheduled, plain, inputs, cycles = case
    module = parse_lpu(scheduled, "random.lpu")
    verify_located(module)
    result = simulate(module, inputs)
    assert result.cycles == cycles
    logical = parse_lpu(plain, "random-logical.lpu")
    verify_located(logical)
    expected = execute_logical(logical, inputs)
    assert len(result.outputs) == len(expected) == 1
    assert np.array_equal(result.outputs[0].view(np.uint8), expected[0].view(np.uint8))
    again = simulate(module, inputs)
    assert again.cycles == result.cycles
    assert np.array_equal(
        again.outputs[0].view(np.uint8), result.outputs[0].view(np.uint8)
    )
