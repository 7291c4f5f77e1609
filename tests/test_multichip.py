"""Many chips: partitioning, transfers over the sync-free network, routes
through forwarding chips, and the network rules the simulator enforces."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compile import Program, _inputs, programs

from lpuir import numerics
from lpuir.context import make_context
from lpuir.diagnostics import LpuError, verify_located
from lpuir.dialects import lpu
from lpuir.frontend import parse_source
from lpuir.grammar.parser import parse_lpu
from lpuir.grammar.printer import print_lpu
from lpuir.interpreter.logical import execute_logical
from lpuir.interpreter.reference import run_function
from lpuir.interpreter.sim_errors import SimulationError
from lpuir.interpreter.simulator import simulate
from lpuir.transforms.allocate_sram import AllocateSramPass
from lpuir.transforms.compile import CompilePass
from lpuir.transforms.partition import PartitionPass
from lpuir.transforms.schedule import SchedulePass

SYSTEMS = [
    "tsp-v1",
    "node8 {chips_per_node = 2}",
    "node8 {chips_per_node = 4}",
    "node8",
    "dragonfly4",
]


def compile_for(text: str, system: str, strategy: str):
    module = parse_source(text, "multi.mlir")
    CompilePass(system=system, strategy=strategy).apply(make_context(), module)
    verify_located(module)
    return module


def check(program: Program, system: str, strategy: str, seed: int = 0):
    inputs = _inputs(program, seed)
    expected = run_function(parse_source(program.text, "multi.mlir"), None, inputs)
    result = simulate(compile_for(program.text, system, strategy), inputs)
    assert result.cycles == result.static_cycles
    for got, want in zip(result.outputs, expected, strict=True):
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), program.text
    return result


@settings(max_examples=6)
@given(programs(), st.sampled_from(SYSTEMS), st.integers(0, 2**16))
def test_pipelined_programs_match_the_reference_on_every_system(
    program: Program, system: str, seed: int
) -> None:
    check(program, system, "pipeline", seed)


def _mlp(rows: int, k: int, hidden: int, out: int, seed: int) -> Program:
    """x @ W1 -> relu -> cast -> @ W2 with constant f16 weights (Megatron MLP)."""
    rng = np.random.default_rng(seed)

    def const(name: str, shape: tuple[int, ...]) -> str:
        w = numerics.round_float(rng.standard_normal(shape) * 0.1, "f16")
        values = np.array2string(
            w.reshape(shape), separator=",", threshold=1 << 30, floatmode="unique"
        ).replace("\n", "")
        ty = "x".join(map(str, shape)) + "xf16"
        return f'%{name} = "tosa.const"() <{{values = dense<{values}> : tensor<{ty}>}}> : () -> tensor<{ty}>'

    t = lambda *s, el="f16": "tensor<" + "x".join(map(str, s)) + f"x{el}>"  # noqa: E731
    text = f"""func.func @mlp(%x: {t(1, rows, k)}) -> {t(1, rows, out, el="f32")} {{
  %z = "tosa.const"() <{{values = dense<0.0> : tensor<1xf16>}}> : () -> tensor<1xf16>
  {const("w1", (1, k, hidden))}
  {const("w2", (1, hidden, out))}
  %h = tosa.matmul %x, %w1, %z, %z : ({t(1, rows, k)}, {t(1, k, hidden)}, tensor<1xf16>, tensor<1xf16>) -> {t(1, rows, hidden, el="f32")}
  %r = tosa.clamp %h {{min_val = 0.0 : f32, max_val = 3.0e38 : f32}} : ({t(1, rows, hidden, el="f32")}) -> {t(1, rows, hidden, el="f32")}
  %c = tosa.cast %r : ({t(1, rows, hidden, el="f32")}) -> {t(1, rows, hidden)}
  %y = tosa.matmul %c, %w2, %z, %z : ({t(1, rows, hidden)}, {t(1, hidden, out)}, tensor<1xf16>, tensor<1xf16>) -> {t(1, rows, out, el="f32")}
  return %y : {t(1, rows, out, el="f32")}
}}
"""
    return Program(text, [((1, rows, k), "f16")])


@pytest.mark.parametrize(
    "system", ["node8 {chips_per_node = 2}", "node8 {chips_per_node = 4}", "dragonfly4"]
)
def test_tensor_parallel_mlp_is_bit_exact(system: str) -> None:
    """W1 split by columns, W2 by rows: the partial sums go down the chain of
    chips in K order, so the f32 result equals one chip's bit for bit."""
    program = _mlp(3, 64, 640, 100, seed=1)
    result = check(program, system, "tensor")
    # two column shards on two chips: chip 0's partial sums crossed one link
    assert len(result.chip_cycles) >= 2
    assert sum(result.link_bytes.values()) > 0


def test_partition_annotations_are_readable_and_chosen_by_auto() -> None:
    module = parse_source(_mlp(2, 64, 640, 64, seed=2).text, "mlp.mlir")
    PartitionPass(system="node8 {chips_per_node = 2}").apply(make_context(), module)
    text = str(module)
    assert text.count('lpu.split = "cols"') == 1
    assert text.count('lpu.split = "rows"') == 1
    assert "lpu.chips = array<i64: 0, 1>" in text


PIPELINE_CUT = """func.func @f(%x: tensor<1x1x320xf32>) -> tensor<1x1x320xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %o1 = "tosa.const"() <{values = dense<1.0> : tensor<1x256x320xf32>}> : () -> tensor<1x256x320xf32>
  %o2 = "tosa.const"() <{values = dense<2.0> : tensor<1x260x320xf32>}> : () -> tensor<1x260x320xf32>
  %b = tosa.mul %x, %o1, %shift : (tensor<1x1x320xf32>, tensor<1x256x320xf32>, tensor<1xi8>) -> tensor<1x256x320xf32>
  %s = tosa.reduce_sum %b {axis = 1 : i32} : (tensor<1x256x320xf32>) -> tensor<1x1x320xf32>
  %c = tosa.mul %s, %o2, %shift : (tensor<1x1x320xf32>, tensor<1x260x320xf32>, tensor<1xi8>) -> tensor<1x260x320xf32>
  %t = tosa.reduce_sum %c {axis = 1 : i32} : (tensor<1x260x320xf32>) -> tensor<1x1x320xf32>
  return %t : tensor<1x1x320xf32>
}"""


def test_pipeline_cuts_where_few_bytes_cross() -> None:
    """Two stages: the SRAM-balanced cut falls before the last reduction,
    where the 333 kB %c would cross a link; a quarter stage earlier only the
    1 kB %s crosses, so the cut goes there, and the program stays exact."""
    module = parse_source(PIPELINE_CUT, "cut.mlir")
    PartitionPass(system="node8 {chips_per_node = 2}", strategy="pipeline").apply(
        make_context(), module
    )
    chips = re.findall(
        r"tosa\.(mul|reduce_sum) .*lpu\.chips = array<i64: (\d)>", str(module)
    )
    assert chips == [
        ("mul", "0"),
        ("reduce_sum", "0"),
        ("mul", "1"),
        ("reduce_sum", "1"),
    ]
    result = check(
        Program(PIPELINE_CUT, [((1, 1, 320), "f32")]),
        "node8 {chips_per_node = 2}",
        "pipeline",
    )
    assert 0 < sum(result.link_bytes.values()) <= 2 * 320 * 4


def test_unknown_strategy_is_a_clear_error() -> None:
    module = parse_source(_mlp(1, 8, 8, 8, seed=0).text, "mlp.mlir")
    with pytest.raises(LpuError, match="unknown strategy 'megatron'"):
        PartitionPass(system="node8", strategy="megatron").apply(make_context(), module)


RING_PROGRAM = """system "node8" {topology = "ring"}

chip 0 {
  tensor @x : 2x320xi32 input 0
  %a = mem.read @x[0] : i32
  c2c.send %a to 3 "x"
  %b = mem.read @x[1] : i32
  c2c.send %b to 3 "x"
}

chip 3 {
  tensor @y : 2x320xi32 input 1
  tensor @s : 2x320xi32 output 0
  %a = c2c.recv from 0 "x" : i32
  %c = mem.read @y[0] : i32
  %d = vxm.add %a, %c : i32
  mem.write %d -> @s[0]
  %b = c2c.recv from 0 "x" : i32
  %e = mem.read @y[1] : i32
  %f = vxm.add %b, %e : i32
  mem.write %f -> @s[1]
}
"""


def _text(module: object) -> str:
    out = io.StringIO()
    print_lpu(module, out)
    return out.getvalue()


def _schedule(text: str) -> object:
    module = parse_lpu(text, "ring.lpu", make_context())
    AllocateSramPass().apply(make_context(), module)
    SchedulePass().apply(make_context(), module)
    return module


def test_a_transfer_without_a_direct_link_is_forwarded_hop_by_hop() -> None:
    logical = parse_lpu(RING_PROGRAM, "ring.lpu", make_context())
    scheduled = _schedule(RING_PROGRAM)
    text = _text(scheduled)
    forwards = re.findall(r"@(\d+)\s+c2c\.forward", text)
    assert len(forwards) == 4  # two vectors through chips 1 and 2
    rng = np.random.default_rng(0)
    inputs = [
        rng.integers(-(2**31), 2**31, (2, 320), dtype=np.int64).astype(np.int32)
        for _ in range(2)
    ]
    result = simulate(scheduled, inputs)
    assert result.cycles == result.static_cycles
    assert np.array_equal(result.outputs[0], execute_logical(logical, inputs)[0])


def _twin(text: str, pattern: str, replace: str) -> str:
    changed, count = re.subn(pattern, replace, text, count=1)
    assert count == 1, pattern
    return changed


def _violations(text: str) -> str:
    module = parse_lpu(text, "twin.lpu", make_context())
    with pytest.raises(SimulationError) as info:
        simulate(
            module,
            [np.zeros((2, 320), np.int32), np.zeros((2, 320), np.int32)],
            collect_all=True,
        )
    return str(info.value)


def test_mis_scheduled_network_programs_are_rejected_naming_chip_link_and_cycle() -> (
    None
):
    text = _text(_schedule(RING_PROGRAM))
    receive = re.search(r"@(\d+)\s+%\w+ = c2c\.recv", text)
    assert receive is not None
    cycle = int(receive.group(1))
    for moved in (cycle - 1, cycle + 1):
        found = _violations(
            _twin(text, rf"@{cycle}(\s+%\w+ = c2c\.recv)", rf"@{moved}\1")
        )
        assert "chip 3" in found and f"cycle {cycle}" in found
    forward = re.search(r"@(\d+)\s+c2c\.forward[^\n]*\n", text)
    assert forward is not None
    found = _violations(text.replace(forward.group(0), "", 1))
    assert "chip 2" in found and "no receive or forward takes it" in found
    sends = re.findall(r"@(\d+)(\s+c2c\.send)", text)
    first, second = int(sends[0][0]), int(sends[1][0])
    found = _violations(_twin(text, rf"@{second}(\s+c2c\.send)", rf"@{first + 1}\1"))
    assert "link" in found and "chip 0" in found


def test_sharded_outputs_are_put_together_by_columns() -> None:
    text = """system "node8"
chip 0 {
  tensor @a : 1x320xf32 input 0 cols 0
  tensor @y : 1x320xf32 output 0 cols 0
  %v = mem.read @a[0] : f32
  mem.write %v -> @y[0]
}
chip 1 {
  tensor @b : 1x100xf32 input 0 cols 320
  tensor @z : 1x100xf32 output 0 cols 320
  %v = mem.read @b[0] : f32
  mem.write %v -> @z[0]
}
"""
    module = parse_lpu(text, "shards.lpu", make_context())
    assert "input 0 cols 320" in _text(module)
    x = np.arange(420, dtype=np.float32).reshape(1, 420)
    assert np.array_equal(execute_logical(module, [x])[0], x)
    broken = text.replace("output 0 cols 320", "output 0 cols 300")
    with pytest.raises(LpuError, match="output 0: column 300 is held by 2"):
        execute_logical(parse_lpu(broken, "shards.lpu", make_context()), [x])


def test_parts_of_the_leading_axis_are_put_together_by_heads() -> None:
    """`lead` parts (a KV cache cut by KV heads) and `cols` shards together:
    an input is filled part by part, an output assembled from its parts, and
    an element held twice, or by none of an output's parts, is named."""
    text = """system "node8"
chip 0 {
  tensor @a : 1x2x320xf32 input 0 lead 0
  tensor @y : 1x2x320xf32 output 0 lead 0
  %v = mem.read @a[1] : f32
  mem.write %v -> @y[1]
  %w = mem.read @a[0] : f32
  mem.write %w -> @y[0]
}
chip 1 {
  tensor @b : 2x2x320xf32 input 0 lead 1 cols 0
  tensor @z : 2x2x320xf32 output 0 lead 1
  %v = mem.read @b[0] : f32
  mem.write %v -> @z[0]
  %w = mem.read @b[1] : f32
  mem.write %w -> @z[1]
  %u = mem.read @b[2] : f32
  mem.write %u -> @z[2]
  %t = mem.read @b[3] : f32
  mem.write %t -> @z[3]
}
"""
    module = parse_lpu(text, "heads.lpu", make_context())
    assert "input 0 lead 1 cols 0" in _text(module)
    x = np.arange(3 * 2 * 320, dtype=np.float32).reshape(3, 2, 320)
    assert np.array_equal(execute_logical(module, [x])[0], x)
    twice = text.replace("output 0 lead 1", "output 0 lead 0")
    with pytest.raises(
        LpuError, match="output 0: index 0 of the leading axis, column 0, is held by 2"
    ):
        execute_logical(parse_lpu(twice, "heads.lpu", make_context()), [x])
    gap = text.replace("output 0 lead 1", "output 0 lead 2")
    with pytest.raises(
        LpuError, match="index 1 of the leading axis, column 0, is held by 0"
    ):
        execute_logical(parse_lpu(gap, "heads.lpu", make_context()), [x])
    mixed = text.replace("2x2x320xf32 output 0 lead 1", "2x3x320xf32 output 0 lead 1")
    with pytest.raises(LpuError, match="output 0 is declared as"):
        execute_logical(parse_lpu(mixed, "heads.lpu", make_context()), [x])
    weight = text.replace("input 0 lead 0", "scratch lead 0")
    with pytest.raises(LpuError, match=r"heads.lpu:3:3: .*lead \(the first index"):
        verify_located(parse_lpu(weight, "heads.lpu", make_context()))


def test_row_chunks_of_parts_of_the_leading_axis_are_filled_from_the_input() -> None:
    """A KV cache cut by heads and stored as row chunks on each chip (`lead`
    and `rows` together): each chip's chunks are filled with their rows of
    its part; rows held twice within a part, an index of the leading axis no
    part holds, and a rank-2 chunk with `lead` are named."""
    text = """system "node8"
chip 0 {
  tensor @a : 1x2x320xf32 input 0 lead 0 rows 0 2 4 0 4
  tensor @b : 1x2x320xf32 input 0 lead 0 rows 1 2 4 0 4
  tensor @y : 1x4x320xf32 output 0 lead 0
  %v = mem.read @a[0] : f32[2]
  mem.write %v -> @y[0]
  %w = mem.read @b[0] : f32[2]
  mem.write %w -> @y[2]
}
chip 1 {
  tensor @a : 1x2x320xf32 input 0 lead 1 rows 0 2 4 0 4
  tensor @b : 1x2x320xf32 input 0 lead 1 rows 1 2 4 0 4
  tensor @y : 1x4x320xf32 output 0 lead 1
  %v = mem.read @a[0] : f32[2]
  mem.write %v -> @y[0]
  %w = mem.read @b[0] : f32[2]
  mem.write %w -> @y[2]
}
"""
    module = parse_lpu(text, "chunks.lpu", make_context())
    assert "input 0 lead 1 rows 1 2 4 0 4" in _text(module)
    x = np.arange(2 * 4 * 320, dtype=np.float32).reshape(2, 4, 320)
    assert np.array_equal(execute_logical(module, [x])[0], x)
    twice = text.replace("input 0 lead 0 rows 1", "input 0 lead 0 rows 0")
    with pytest.raises(LpuError, match="input 0: row 0 is held by 2 of its row chunks"):
        execute_logical(parse_lpu(twice, "chunks.lpu", make_context()), [x])
    gap = text.replace("input 0 lead 1", "input 0 lead 2")
    with pytest.raises(
        LpuError, match="input 0: index 1 of the leading axis is held by none"
    ):
        execute_logical(parse_lpu(gap, "chunks.lpu", make_context()), [x])
    flat = text.replace(
        "1x2x320xf32 input 0 lead 0 rows 0", "2x320xf32 input 0 lead 0 rows 0"
    )
    with pytest.raises(
        LpuError, match=r"chunks.lpu:3:3: .*3 or more if stored as row chunks"
    ):
        verify_located(parse_lpu(flat, "chunks.lpu", make_context()))


def test_the_system_takes_as_long_as_its_longest_chip() -> None:
    module = compile_for(_mlp(1, 64, 640, 64, seed=3).text, "node8", "tensor")
    system = next(o for o in module.walk() if isinstance(o, lpu.SystemOp))
    result = simulate(module, [np.zeros((1, 1, 64), np.float16)])
    assert len(result.chip_cycles) >= 2
    assert system.static_cycles is not None
    assert max(result.chip_cycles.values()) == system.static_cycles.data
    assert result.cycles == result.static_cycles == system.static_cycles.data
