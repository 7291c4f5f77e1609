"""lpu-schedule as problem, solver and checker: the list scheduler's solutions
keep every constraint of their problem, and the checker finds a solution
moved off them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_compile import Program, programs

from lpuir.context import make_context
from lpuir.dialects import lpu
from lpuir.frontend import parse_source
from lpuir.transforms.allocate_sram import AllocateSramPass
from lpuir.transforms.decompose import DecomposePass
from lpuir.transforms.partition import PartitionPass
from lpuir.transforms.schedule import (
    ListScheduler,
    SchedulePass,
    build_problem,
    check,
)
from lpuir.transforms.schedule.problem import Problem
from lpuir.transforms.vectorize import VectorizePass

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "compile"


def solved(text: str, system: str = "tsp-v1", strategy: str = "auto") -> Problem:
    """The solved scheduling problem of a tensor-level program."""
    module = parse_source(text, "prop.mlir")
    ctx = make_context()
    DecomposePass().apply(ctx, module)
    PartitionPass(system=system, strategy=strategy).apply(ctx, module)
    VectorizePass(system=system).apply(ctx, module)
    AllocateSramPass().apply(ctx, module)
    system_op = next(op for op in module.walk() if isinstance(op, lpu.SystemOp))
    problem = build_problem(system_op)
    ListScheduler(problem).solve()
    return problem


@given(programs(), st.data())
def test_solutions_keep_their_problem_and_a_moved_node_breaks_it(
    program: Program, data: st.DataObject
) -> None:
    problem = solved(program.text)
    assert check(problem) == []
    nodes = [n for g in problem.groups for n in g.nodes]
    node = data.draw(st.sampled_from(nodes))
    assert node.cycle is not None
    node.cycle += 1
    assert check(problem)


def test_a_multichip_solution_keeps_its_problem() -> None:
    """Transfers, routes, forwards and links (an MLP pipelined over a
    dragonfly, where some stages are two hops apart)."""
    text = (EXAMPLES / "mlp_f16.mlir").read_text()
    problem = solved(text, "dragonfly4", "pipeline")
    transfers = [t for g in problem.groups for t in g.transfers]
    assert transfers and check(problem) == []
    send = transfers[0].send
    assert send.cycle is not None
    send.cycle += 1
    assert any("arrives" in e for e in check(problem))


def test_the_checker_finds_a_shared_alu_and_a_shared_stream() -> None:
    problem = solved((EXAMPLES / "softmax.mlir").read_text())
    vxm = [n for g in problem.groups for n in g.nodes if n.op.UNIT == "VXM"]
    first, other = vxm[0], next(n for n in vxm[1:] if n.alu != vxm[0].alu)
    assert first.cycle is not None
    other.cycle, other.alu = first.cycle, first.alu
    assert any(f"needs VXM.alu{first.alu}" in e for e in check(problem))


def test_the_checker_finds_a_recorded_length_that_is_wrong() -> None:
    problem = solved((EXAMPLES / "softmax.mlir").read_text())
    assert problem.static_cycles is not None
    problem.static_cycles += 1
    (error,) = check(problem)
    assert "records" in error


@pytest.mark.parametrize("deskew", [False, True])
def test_checked_scheduling_gives_the_same_program(deskew: bool) -> None:
    """lpu-schedule{check=true} checks the solution and changes nothing."""
    text = (EXAMPLES / "rmsnorm.mlir").read_text()
    modules = []
    for checked in (False, True):
        module = parse_source(text, "rmsnorm.mlir")
        ctx = make_context()
        DecomposePass().apply(ctx, module)
        PartitionPass(system="node8").apply(ctx, module)
        VectorizePass(system="node8").apply(ctx, module)
        AllocateSramPass().apply(ctx, module)
        SchedulePass(deskew=deskew, check=checked).apply(ctx, module)
        modules.append(str(module))
    assert modules[0] == modules[1]


def test_a_gemv_split_over_four_planes_keeps_its_problem_and_a_wide_install_breaks_it() -> (
    None
):
    """A GEMV whose K is split in two parts (each part's chains on one
    hemisphere's planes, its rows from its own row chunks) keeps its
    problem; an install given more rows side by side than a plane takes
    (`mxm_install_rows_per_cycle`) is found."""
    a, b, c = "tensor<1x1x1300xi8>", "tensor<1x1300x700xi8>", "tensor<1x1x700xi32>"
    text = (
        f"func.func @main(%a: {a}, %b: {b}) -> {c} {{\n"
        '  %z = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>\n'
        f"  %0 = tosa.matmul %a, %b, %z, %z {{lpu.k_parts = array<i64: 960>}} : ({a}, {b}, tensor<1xi8>, tensor<1xi8>) -> {c}\n"
        f"  return %0 : {c}\n}}\n"
    )
    problem = solved(text)
    assert check(problem) == []
    installs = [
        n for g in problem.groups for n in g.nodes if isinstance(n.op, lpu.InstallOp)
    ]
    assert {(n.hemisphere, n.plane) for n in installs} == {
        ("W", 0),
        ("W", 1),
        ("E", 0),
        ("E", 1),
    }
    wide = next(n.op for n in installs if len(n.op.rows) == 32)
    wide.operands = [*wide.operands, wide.operands[0]]
    assert any("33 rows side by side" in e for e in check(problem))


def test_install_bound_installs_of_the_same_tensors_stay_on_one_hemisphere() -> None:
    """Two chained int8 GEMVs on resident weights: every install reads a burst
    from each of its row chunks, and the second GEMV's chains (one K part each)
    used to go to both hemispheres, each template reading the same slices at
    another distance from its MXM, so their reads blocked each other's ports.
    An install whose matmuls multiply fewer rows than it installs goes where
    the last install of the same tensors went (ListScheduler.side_key)."""
    from test_compile import compile_text

    i8 = "tensor<1x1x4096xi8>"
    text = f"""func.func @main(%x: {i8}, %w0: tensor<1x4096x2004xi8> {{lpu.weight}}, %w1: tensor<1x2004x2004xi8> {{lpu.weight}}) -> tensor<1x1x2004xi8> {{
  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %m0 = tosa.matmul %x, %w0, %z, %z : ({i8}, tensor<1x4096x2004xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x2004xi32>
  %q0 = tosa.cast %m0 : (tensor<1x1x2004xi32>) -> tensor<1x1x2004xi8>
  %m1 = tosa.matmul %q0, %w1, %z, %z : (tensor<1x1x2004xi8>, tensor<1x2004x2004xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x2004xi32>
  %q1 = tosa.cast %m1 : (tensor<1x1x2004xi32>) -> tensor<1x1x2004xi8>
  return %q1 : tensor<1x1x2004xi8>
}}
"""
    sides: dict[frozenset[str], set[str]] = {}
    for op in compile_text(text).walk():
        if isinstance(op, lpu.InstallOp):
            read = frozenset(r.owner.tensor.root_reference.data for r in op.rows)  # type: ignore[union-attr]
            sides.setdefault(read, set()).add(op.hemisphere.data)  # type: ignore[union-attr]
    assert len(sides) >= 4  # two K parts of each GEMV, and their short blocks
    assert all(len(s) == 1 for s in sides.values()), sides
    assert set().union(*sides.values()) == {"W", "E"}  # the parts on both
