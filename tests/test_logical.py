"""Functional execution of LPU programs in program order: the logical level,
and scheduled programs with their timing ignored, so every lowering stage can
be compared with the next bit for bit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lpuir import numerics
from lpuir.diagnostics import LpuError, verify_located
from lpuir.grammar.parser import parse_lpu
from lpuir.interpreter.logical import execute_logical
from lpuir.interpreter.simulator import simulate

EXAMPLES = Path(__file__).parent.parent / "examples" / "lpu"
RNG = np.random.default_rng(11)


def execute(text: str, inputs: list[np.ndarray]) -> list[np.ndarray]:
    module = parse_lpu(text, "t.lpu")
    verify_located(module)
    return execute_logical(module, inputs)


def strip_schedule(text: str) -> str:
    """The logical level of a scheduled .lpu program: no cycles, streams,
    ALUs, planes, ports, placements or forwards."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"(?m)^\s*@\d+\s+c2c\.forward.*\n", "", text)
    for pattern in (
        r"@\d+\s+",
        r"\[(S\d+[EW]|alu \d+)\]",
        r"\s+->\s+S\d+[EW]",
        r"\s+alu \d+",
        r"\s+on [WE](\.\d+)?",
        r"\s+port \d+",
        r"\s+at [WE]\d+ \d+",
        r"\s+cycles \d+",
    ):
        text = re.sub(pattern, "", text)
    return text


def test_logical_vxm_add() -> None:
    text = """
chip 0 {
  tensor @a : 4x320xf32 input 0
  tensor @b : 4x320xf32 input 1
  tensor @c : 4x320xf32 output 0
  %a = mem.read @a[0] : f32[4]
  %b = mem.read @b[0] : f32[4]
  icu.nop 3
  %c = vxm.add %a, %b : f32[4]
  mem.write %c -> @c[0]
}
"""
    a, b = RNG.standard_normal((2, 4, 320)).astype(np.float32)
    [c] = execute(text, [a, b])
    assert c.dtype == np.float32 and np.array_equal(c, a + b)


PING_PONG = """
chip 0 {
  tensor @x : 1x320xi32 input 0
  tensor @y : 1x320xi32 output 0
  %x = mem.read @x[0] : i32
  c2c.send %x to 1 "ping"
  %r = c2c.recv from 1 "pong" : i32
  mem.write %r -> @y[0]
}
chip 1 {
  %x = c2c.recv from 0 "ping" : i32
  %d = vxm.add %x, %x : i32
  c2c.send %d to 0 "pong"
}
"""


def test_chips_exchange_vectors_by_channel() -> None:
    x = RNG.integers(-(2**31), 2**31, (1, 320), dtype=np.int32)
    [y] = execute('system "node8"\n' + PING_PONG, [x])
    assert np.array_equal(y, numerics.add(x, x, "i32"))  # wraps


def test_a_receive_nobody_sends_to_is_a_located_error() -> None:
    text = 'system "node8"\n' + PING_PONG.replace('c2c.send %d to 0 "pong"', "")
    with pytest.raises(
        LpuError, match=r't.lpu:8:3: error: chip 0 waits for channel "pong" from chip 1'
    ):
        execute_logical(parse_lpu(text, "t.lpu"), [np.zeros((1, 320), np.int32)])


def test_logical_mxm_accumulates_over_k_blocks() -> None:
    """x[2x320] @ W[320x320] in bf16 as two K-blocks of 160 rows."""
    text = """
chip 0 {
  tensor @x : 2x320xbf16 input 0 lanes 160
  tensor @w0 : 160x320xbf16 input 1
  tensor @w1 : 160x320xbf16 input 2
  tensor @y : 2x320xf32 output 0
  %r0 = mem.read @w0[0] : bf16[160]
  %t0 = mxm.install %r0 : weights<bf16>
  %x0 = mem.read @x[0 step 2] : bf16[2]
  %p = mxm.matmul %t0, %x0 : f32[2]
  %r1 = mem.read @w1[0] : bf16[160]
  %t1 = mxm.install %r1 : weights<bf16>
  %x1 = mem.read @x[1 step 2] : bf16[2]
  %y = mxm.matmul %t1, %x1 acc %p : f32[2]
  mem.write %y -> @y[0]
}
"""
    x = numerics.round_float(RNG.standard_normal((2, 320)), "bf16")
    w = numerics.round_float(RNG.standard_normal((320, 320)), "bf16")
    [y] = execute(text, [x, w[:160], w[160:]])
    assert np.array_equal(y, numerics.matmul(x, w, "bf16", "f32", k_block=160))


def test_logical_gather_and_scatter() -> None:
    text = """
chip 0 {
  tensor @t : 4x320xi16 input 0
  tensor @i : 1x320xi16 input 1
  tensor @g : 1x320xi16 output 0
  tensor @s : 4x320xi16 output 1
  %i = mem.read @i[0] : i16
  %g = mem.gather @t[%i] : i16
  mem.scatter %g -> @s[%i]
  mem.write %g -> @g[0]
}
"""
    table = RNG.integers(-100, 100, (4, 320), dtype=np.int16)
    idx = RNG.integers(0, 4, (1, 320), dtype=np.int16)
    g, s = execute(text, [table, idx])
    lanes = np.arange(320)
    assert np.array_equal(g[0], table[idx[0], lanes])
    expected = np.zeros((4, 320), np.int16)
    expected[idx[0], lanes] = g[0]
    assert np.array_equal(s, expected)


@pytest.mark.parametrize(
    "name", ["vxm_add.lpu", "sxm_transpose.lpu", "c2c_two_chips.lpu", "c2c_forward.lpu"]
)
def test_each_level_of_an_example_computes_the_same(name: str) -> None:
    """The scheduled example on the simulator, the same program run in order,
    and its logical level (schedule stripped) agree bit for bit."""
    text = (EXAMPLES / name).read_text()
    scheduled = parse_lpu(text, name)
    verify_located(scheduled)
    inputs = []
    for arg in scheduled.walk():
        if arg.name == "lpu.tensor" and arg.kind.data == "input":  # type: ignore[attr-defined]
            shape = tuple(arg.type.get_shape())  # type: ignore[attr-defined]
            inputs.append(
                RNG.standard_normal(shape).astype(np.float32)
                if arg.element == "f32"
                else RNG.integers(-9, 9, shape, dtype=np.int32)
            )  # type: ignore[attr-defined]
    expected = simulate(scheduled, inputs).outputs
    logical = strip_schedule(text)
    assert not re.search(r"(?m)^\s*@\d", logical)
    for got in (execute_logical(scheduled, inputs), execute(logical, inputs)):
        assert all(np.array_equal(g, e) for g, e in zip(got, expected, strict=True))


UNIT_CASES = {
    "vxm.div %a, %b : i32": lambda a, b, m: numerics.div(a, b, "i32"),
    "vxm.shl %a, %s : i32": lambda a, b, s: numerics.shl(a, s, "i32"),
    "vxm.shr %a, %s : i32": lambda a, b, s: numerics.shr_arith(a, s, "i32"),
    "vxm.shru %a, %s : i32": lambda a, b, s: numerics.shr_logical(a, s, "i32"),
    "vxm.not %a : i32": lambda a, b, s: numerics.bit_not(a, "i32"),
    "vxm.cmp lt %a, %b : i32": lambda a, b, s: (a < b).astype(np.int32),
    "vxm.select %s, %a, %b : i32": lambda a, b, s: np.where(s != 0, a, b),
    "vxm.convert %a : f32": lambda a, b, s: numerics.cast(a, "i32", "f32"),
}


@pytest.mark.parametrize("instruction", sorted(UNIT_CASES))
def test_vxm_lane_semantics_are_the_numerics_functions(instruction: str) -> None:
    result_type = instruction.rsplit(": ", 1)[1]
    text = f"""
chip 0 {{
  tensor @a : 1x320xi32 input 0
  tensor @b : 1x320xi32 input 1
  tensor @s : 1x320xi32 input 2
  tensor @r : 1x320x{result_type} output 0
  %a = mem.read @a[0] : i32
  %b = mem.read @b[0] : i32
  %s = mem.read @s[0] : i32
  %r = {instruction}
  mem.write %r -> @r[0]
}}
"""
    a = RNG.integers(-1000, 1000, (1, 320), dtype=np.int32)
    b = RNG.integers(1, 50, (1, 320), dtype=np.int32) * RNG.choice([-1, 1], (1, 320))
    shifts = RNG.integers(0, 31, (1, 320), dtype=np.int32)
    [got] = execute(text, [a, b.astype(np.int32), shifts])
    assert np.array_equal(got, UNIT_CASES[instruction](a, b.astype(np.int32), shifts))


@pytest.mark.parametrize(
    "fn", ["exp", "log", "tanh", "sigmoid", "erf", "rsqrt", "reciprocal"]
)
def test_transcendentals_are_the_numerics_functions(fn: str) -> None:
    text = f"""
chip 0 {{
  tensor @a : 2x320xf16 input 0
  tensor @r : 2x320xf16 output 0
  %a = mem.read @a[0] : f16[2]
  %r = vxm.{fn} %a : f16[2]
  mem.write %r -> @r[0]
}}
"""
    a = (RNG.random((2, 320)) * 4 + 0.01).astype(np.float16)
    [got] = execute(text, [a])
    want = getattr(numerics, fn)(a, "f16")
    assert np.array_equal(got.view(np.uint16), want.view(np.uint16))
