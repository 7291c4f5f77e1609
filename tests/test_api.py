"""The Python API (docs/api.md): every public name of `lpuir`, used as a
researcher would, and its errors located."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.irdl import irdl_op_definition
from xdsl.passes import ModulePass

import lpuir
from lpuir.dialects import lpu
from lpuir.tools.lpu_run import main as lpu_run

ROOT = Path(__file__).resolve().parent.parent
VXM_ADD = ROOT / "examples" / "lpu" / "vxm_add.lpu"
SOFTMAX = ROOT / "examples" / "compile" / "softmax.mlir"
HERE = re.escape(__file__)


def _add_inputs() -> list[np.ndarray]:
    return [np.full((4, 320), 1.5, np.float32), np.full((4, 320), 2.25, np.float32)]


def _vxm_add(program: lpuir.ProgramBuilder, add_cycle: int = 7) -> None:
    """examples/lpu/vxm_add.lpu, built in Python."""
    chip = program.chip(0)
    a = chip.input("a", (4, 320), "f32", at=("W4", 0))
    b = chip.input("b", (4, 320), "f32", at="E4")
    c = chip.output("c", (4, 320), "f32", at="W12")
    x = chip.read(a, 0, 4, cycle=0, dst="S0E")
    y = chip.read(b, 0, 4, cycle=0, dst="S4W")
    s = chip.vxm("add", x, y, alu=0, cycle=add_cycle, dst="S8W", name="c")
    chip.write(s, c, cycle=22)


def test_every_public_name_is_documented() -> None:
    assert lpuir.__version__
    for name in lpuir.__all__:
        if name != "__version__":
            assert getattr(lpuir, name).__doc__, name
    assert "lpuir.ProgramBuilder" in (ROOT / "docs" / "api.md").read_text()
    for name in lpuir.__all__:
        assert f"`{name}`" in (ROOT / "docs" / "api.md").read_text(), name


def test_parse_load_and_print_in_both_syntaxes() -> None:
    module = lpuir.load(VXM_ADD)
    text = lpuir.to_text(module, "lpu")
    assert "@7   %c = vxm.add %a[S0E], %b[S4W] alu 0 -> S8W : f32[4]" in text
    mlir = lpuir.to_text(module)
    assert lpuir.to_text(lpuir.parse(mlir, "x.mlir"), "lpu") == text
    generic = lpuir.to_text(module, generic=True, debuginfo=True)
    assert '"lpu.vxm.add"' in generic and "vxm_add.lpu" in generic
    with pytest.raises(lpuir.LpuError, match=r"^k\.lpu:1:8: error: "):
        lpuir.parse('system tsp-v1"', "k.lpu")


def test_run_gives_lpu_runs_report(tmp_path: Path) -> None:
    result = lpuir.run(lpuir.load(VXM_ADD), _add_inputs(), trace=True, perf=True)
    assert isinstance(result, lpuir.RunResult)
    assert np.all(result.outputs[0] == 3.75)
    report = result.report
    assert isinstance(report, lpuir.Report)
    assert (report.level, report.scheduled, report.cycles) == ("lpu", True, 46)
    assert report.trace is not None and report.trace["traceEvents"]
    path = tmp_path / "r.json"
    argv = [str(VXM_ADD), "--input", "4x320xf32=1.5", "--input", "4x320xf32=2.25"]
    assert lpu_run([*argv, "--report-file", str(path), "--quiet"]) == 0
    assert json.loads(path.read_text()) == report.to_json()


def test_run_tensor_and_logical_levels_and_bad_inputs() -> None:
    source = lpuir.load(SOFTMAX)
    sig = lpuir.signature(source)
    assert isinstance(sig, lpuir.Signature)
    assert (sig.function, sig.inputs) == ("softmax", [((4, 4096), "f32")])
    x = np.zeros((4, 4096), np.float64)  # exact in f32: accepted
    tensor = lpuir.run(source, [x])
    assert tensor.report.to_json()["level"] == "tensor"
    assert tensor.report.scheduled is None
    with pytest.raises(lpuir.LpuError, match=r"input 0: .*"):
        lpuir.run(source, [np.full((4, 4096), 0.1, np.float64)])
    with pytest.raises(lpuir.LpuError, match=r"takes 1 input\(s\), 0 given"):
        lpuir.run(source, [])
    program = lpuir.ProgramBuilder()
    chip = program.chip(0)
    x0 = chip.read(chip.input("x", (2, 320), "i8"), 0, 2)
    chip.write(chip.vxm("neg", x0), chip.output("y", (2, 320), "i8"))
    module = program.build()
    system = next(iter(module.ops))
    assert isinstance(system, lpu.SystemOp) and not lpuir.is_scheduled(system)
    logical = lpuir.run(module, [np.ones((2, 320), np.int8)])
    assert logical.report.scheduled is False and np.all(logical.outputs[0] == -1)


def test_compile_for_a_custom_machine() -> None:
    source = lpuir.load(SOFTMAX)
    base = lpuir.compile_module(source)
    assert isinstance(base, lpuir.CompileResult)
    assert isinstance(base.report, lpuir.StaticReport)
    assert base.report.static_cycles and base.report.chips == 1
    assert base.report.instructions["VXM"] > 0
    slow = lpuir.system_attr(chip_params={"delay_vxm": 5})
    assert isinstance(slow, lpuir.SystemAttr) and slow.spec.chip.delay_vxm == 5
    compiled = lpuir.compile_module(source, slow)
    assert compiled.report.static_cycles > base.report.static_cycles  # type: ignore[operator]
    assert "delay_vxm = 5" in lpuir.to_text(compiled.module, "lpu").splitlines()[0]
    assert lpuir.static_report(source).chips == 0  # the input is left as it was
    x = np.zeros((4, 4096), np.float32)
    reports = {
        "base": lpuir.run(base.module, [x]).report,
        "slow": lpuir.run(compiled.module, [x]).report,
    }
    table = lpuir.compare_reports(reports, ("cycles", "unit_utilisation.VXM"))
    assert table.splitlines()[1].split()[:2] == ["base", str(base.report.static_cycles)]
    with pytest.raises(lpuir.LpuError, match="has no 'nothing'"):
        lpuir.compare_reports(reports, ("nothing",))
    staged = lpuir.compile_module(source, pipeline="lpu-decompose,lpu-vectorize")
    assert staged.report.static_cycles is None and staged.report.chips == 1


def test_machines_are_made_and_modified() -> None:
    two = lpuir.system_attr("explicit", links="0:0-1:0@300")
    spec = two.spec
    assert isinstance(spec, lpuir.SystemSpec) and isinstance(spec.chip, lpuir.ChipSpec)
    assert spec.chips == 2 and isinstance(spec.links[0], lpuir.LinkSpec)
    three = lpuir.modify_system(
        two,
        chips_per_node=3,
        links="0:0-1:0, 1:1-2:0@300",
        chip_params={"delay_vxm": 3},
    )
    assert three.spec.chips == 3 and [link.latency for link in three.spec.links] == [
        217,
        300,
    ]
    assert three.spec.chip.delay_vxm == 3
    with pytest.raises(lpuir.LpuError, match="unknown system parameter 'latency'"):
        lpuir.system_attr(latency=3)
    with pytest.raises(lpuir.LpuError, match="unknown chip parameter 'delay_foo'"):
        lpuir.system_attr(chip_params={"delay_foo": 3})
    assert issubclass(lpuir.MachineError, ValueError)


def test_a_schedule_on_another_machine() -> None:
    module = lpuir.load(VXM_ADD)
    assert lpuir.check_schedule(module) == 46
    slow = lpuir.with_machine(module, lpuir.system_attr(chip_params={"delay_vxm": 3}))
    with pytest.raises(lpuir.SimulationError) as info:
        lpuir.check_schedule(slow)
    first = info.value.violations[0]
    assert isinstance(first, lpuir.Violation)
    assert (first.chip, first.cycle, first.rule) == (0, 22, "stream slot")
    assert first.location.endswith("vxm_add.lpu:17:3")
    with pytest.raises(lpuir.LpuError, match=r"no lpu.system"):
        lpuir.with_machine(lpuir.load(SOFTMAX), lpuir.system_attr())


def test_builder_makes_what_the_parser_makes() -> None:
    program = lpuir.ProgramBuilder("tsp-v1")
    _vxm_add(program)
    assert isinstance(program.chip(0), lpuir.ChipBuilder)
    module = program.build()
    assert lpuir.to_text(module, "lpu") == lpuir.to_text(lpuir.load(VXM_ADD), "lpu")
    assert np.all(lpuir.run(module, _add_inputs()).outputs[0] == 3.75)
    with pytest.raises(lpuir.LpuError, match="built its module already"):
        program.build()


def test_broken_hand_schedule_is_located_at_the_builder_call() -> None:
    program = lpuir.ProgramBuilder()
    _vxm_add(program, add_cycle=8)
    with pytest.raises(lpuir.SimulationError) as info:
        program.build()
    first = info.value.violations[0]
    assert (first.cycle, first.unit, first.rule) == (8, "VXM.alu0", "stream slot")
    assert re.fullmatch(rf"{HERE}:\d+:9", first.location), first.location
    assert str(first).startswith(f"{first.location}: error: chip 0, cycle 8, VXM.alu0")
    program = lpuir.ProgramBuilder()
    _vxm_add(program, add_cycle=8)
    system = next(iter(program.build(check=False).ops))
    assert isinstance(system, lpu.SystemOp) and lpuir.is_scheduled(system)


def test_builder_errors_are_located() -> None:
    chip = lpuir.ProgramBuilder("explicit").chip(0)
    a = chip.input("a", (1, 320), "f32", at="W4")
    with pytest.raises(
        lpuir.LpuError, match=rf"^{HERE}:\d+:\d+: error: 'S0Q' is not a stream"
    ):
        chip.read(a, cycle=0, dst="S0Q")
    with pytest.raises(lpuir.LpuError, match=r"unknown VXM instruction 'fma'"):
        chip.vxm("fma", chip.read(a))
    with pytest.raises(lpuir.LpuError, match=r"unknown SXM instruction 'spin'"):
        chip.sxm("spin", chip.read(a))
    with pytest.raises(lpuir.LpuError, match=r"has no tensor @b"):
        chip.read("b")
    with pytest.raises(lpuir.LpuError, match=r"not a value of chip 1"):
        lpuir.ProgramBuilder("explicit").chip(1).vxm("neg", chip.read(a))
    program = lpuir.ProgramBuilder()
    bad = program.chip(0)
    bad.read(bad.input("a", (1, 320), "f32", at="W44"))
    with pytest.raises(
        lpuir.LpuError, match=rf"^{HERE}:\d+:\d+: error: .*slice W44 does not exist"
    ):
        program.build()


def test_builder_two_chips_and_every_unit() -> None:
    """Logical level: every builder method, run on the logical executor."""
    program = lpuir.ProgramBuilder("explicit")
    c0, c1 = program.chip(0), program.chip(1)
    x = c0.read(c0.input("x", (1, 320), "i8"))
    w = c0.install(c0.read(c0.weight("w", np.eye(320, dtype=np.int8), "i8"), 0, 320))
    y = c0.matmul(w, x)
    c0.send(c0.vxm("convert", c0.sxm("rotate", y, amount=1), result="i32"), 1, "y")
    c0.notify()
    c0.sync()
    c0.nop(3)
    got = c1.recv(0, "y", "i32")
    idx = c1.read(c1.weight("idx", np.zeros((1, 320), np.int32), "i32"))
    c1.write(got, c1.scratch("s", (1, 320), "i32"))
    c1.scatter(got, "s", idx)
    g = c1.gather("s", idx)
    mask = c1.vxm("cmp", g, got, predicate="eq")
    c1.write(c1.vxm("select", mask, g, got), c1.output("out", (1, 320), "i32"))
    out = lpuir.run(
        program.build(), [(np.arange(320) % 100).astype(np.int8).reshape(1, 320)]
    ).outputs[0]
    assert np.array_equal(out[0], np.roll(np.arange(320) % 100, 1))


def test_register_pass_in_process() -> None:
    @lpuir.register_pass
    @dataclass(frozen=True)
    class StripCycles(ModulePass):
        """Forget the recorded static cycle count."""

        name = "test-strip-static-cycles"

        def apply(self, ctx: Context, op: ModuleOp) -> None:
            for system in op.walk():
                if isinstance(system, lpu.SystemOp):
                    system.static_cycles = None

    assert lpuir.available_passes()["test-strip-static-cycles"]() is StripCycles
    assert "lpu-compile" in lpuir.available_passes()
    compiled = lpuir.compile_module(
        lpuir.load(SOFTMAX), pipeline="lpu-compile,test-strip-static-cycles"
    )
    assert compiled.report.static_cycles is None
    assert lpuir.register_pass(StripCycles) is StripCycles  # again: no change
    with pytest.raises(lpuir.LpuError, match="'lpu-compile' is already registered"):
        lpuir.register_pass(type("Clash", (StripCycles,), {"name": "lpu-compile"}))
    with pytest.raises(lpuir.LpuError, match="takes a ModulePass subclass"):
        lpuir.register_pass(int)  # type: ignore[type-var]


def test_register_instruction_errors() -> None:
    @irdl_op_definition
    class Twice(lpu.VxmUnaryOp):
        """x + x."""

        name = "lpu.vxm.twice"

    with pytest.raises(lpuir.LpuError, match="needs a compute"):
        lpuir.register_instruction(Twice)

    @irdl_op_definition
    class Misnamed(lpu.VxmUnaryOp):
        """x."""

        name = "lpu.sxm.same"

        def compute(self, operands: object, spec: object) -> object:
            return operands[0]  # type: ignore[index]

    with pytest.raises(lpuir.LpuError, match=r"name it lpu.vxm.NAME"):
        lpuir.register_instruction(Misnamed)
    with pytest.raises(lpuir.LpuError, match=r"subclasses lpu.VxmOp or lpu.SxmOp"):
        lpuir.register_instruction(lpu.ReadOp)
    with pytest.raises(lpuir.LpuError, match=r"'lpu.vxm.add' is already registered"):
        lpuir.register_instruction(type("Add2", (Misnamed,), {"name": "lpu.vxm.add"}))


def test_register_sxm_instruction() -> None:
    @lpuir.register_instruction
    @irdl_op_definition
    class Mirror(lpu.SxmOp):
        """Lane l gets lane lanes-1-l."""

        name = "lpu.sxm.mirror"
        DELAY: ClassVar[str] = "sxm_permute"

        def compute(
            self, operands: list[np.ndarray], spec: lpuir.ChipSpec
        ) -> np.ndarray:
            return operands[0][:, ::-1]

    text = VXM_ADD.read_text().replace(
        "  @22  mem.write %c[S8W] -> @c[0]",
        "  @54  %m = sxm.mirror %c[S8W] on W -> S8E : f32[4]\n  @92  mem.write %m[S8E] -> @c[0]",
    )
    module = lpuir.parse(text, "mirror.lpu")
    assert "@54  %m = sxm.mirror %c[S8W] on W -> S8E : f32[4]" in lpuir.to_text(
        module, "lpu"
    )
    a = np.arange(4 * 320, dtype=np.float32).reshape(4, 320)
    out = lpuir.run(module, [a, a]).outputs[0]
    assert np.array_equal(out, (2 * a)[:, ::-1])
    assert lpuir.check_schedule(module) == 116
