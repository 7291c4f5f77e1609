"""lpu-compile by property: random tensor-level programs compile, simulate bit for
bit equal to the reference, in exactly the statically predicted cycles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects.builtin import ArrayAttr

from lpuir.context import make_context
from lpuir.diagnostics import LpuError, verify_located
from lpuir.dialects import lpu
from lpuir.frontend import parse_source
from lpuir.interpreter.reference import run_function
from lpuir.interpreter.simulator import simulate
from lpuir.transforms.compile import CompilePass

UNARY = ["exp", "tanh", "sigmoid", "abs", "negate", "reciprocal"]
BINARY = ["add", "sub", "mul", "maximum", "minimum"]


@dataclass
class Program:
    """MLIR text of one function and its argument shapes."""

    text: str
    args: list[tuple[tuple[int, ...], str]]


def _t(shape: tuple[int, ...], element: str) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """A random DAG of elementwise ops, broadcasts, clamps and reductions over
    [R, C] tensors of a random float type (C often not a multiple of 320)."""
    el = draw(st.sampled_from(["f32", "f32", "f16", "bf16"]))
    rows = draw(st.integers(1, 5))
    cols = draw(st.sampled_from([1, 3, 64, 320, 321, 700]))
    shape = (rows, cols)
    args: list[tuple[tuple[int, ...], str]] = [(shape, el), ((1, cols), el)]
    lines: list[str] = []
    values = ["%arg0"]
    row_value = "%arg1"
    ty = _t(shape, el)
    for i in range(draw(st.integers(1, 5))):
        kinds = ["unary", "binary", "broadcast", "clamp", "reduce", "reduce"]
        kind = draw(
            st.sampled_from(kinds + (["matmul"] if el != "f32" and cols <= 64 else []))
        )
        x = draw(st.sampled_from(values))
        if kind == "matmul":
            # x @ W for a constant W [C, C], through the MXM (accumulating in
            # f32), then back to the element type
            rng = np.random.default_rng(draw(st.integers(0, 2**16)))
            w = ", ".join(
                repr(float(v)) for v in (rng.integers(-4, 5, cols * cols) / 4)
            )
            t3, w3, f3 = (
                _t((1, rows, cols), el),
                _t((1, cols, cols), el),
                _t((1, rows, cols), "f32"),
            )
            lines.append(
                f'%w{i} = "tosa.const"() <{{values = dense<[{w}]> : tensor<{cols * cols}x{el}>}}> : () -> tensor<{cols * cols}x{el}>'
            )
            lines.append(
                f"%ws{i} = tosa.const_shape {{values = dense<[1, {cols}, {cols}]> : tensor<3xindex>}} : () -> !tosa.shape<3>"
            )
            lines.append(
                f"%wr{i} = tosa.reshape %w{i}, %ws{i} : (tensor<{cols * cols}x{el}>, !tosa.shape<3>) -> {w3}"
            )
            lines.append(
                f"%xs{i} = tosa.const_shape {{values = dense<[1, {rows}, {cols}]> : tensor<3xindex>}} : () -> !tosa.shape<3>"
            )
            lines.append(
                f"%x3{i} = tosa.reshape {x}, %xs{i} : ({ty}, !tosa.shape<3>) -> {t3}"
            )
            lines.append(
                f'%zp{i} = "tosa.const"() <{{values = dense<0.0> : tensor<1x{el}>}}> : () -> tensor<1x{el}>'
            )
            lines.append(
                f"%mm{i} = tosa.matmul %x3{i}, %wr{i}, %zp{i}, %zp{i} : ({t3}, {w3}, tensor<1x{el}>, tensor<1x{el}>) -> {f3}"
            )
            lines.append(f"%mc{i} = tosa.cast %mm{i} : ({f3}) -> {t3}")
            lines.append(
                f"%ys{i} = tosa.const_shape {{values = dense<[{rows}, {cols}]> : tensor<2xindex>}} : () -> !tosa.shape<2>"
            )
            lines.append(
                f"%v{i} = tosa.reshape %mc{i}, %ys{i} : ({t3}, !tosa.shape<2>) -> {ty}"
            )
        elif kind == "unary":
            name = draw(st.sampled_from(UNARY))
            if name == "negate":
                lines.append(
                    f'%z{i} = "tosa.const"() <{{values = dense<0.0> : tensor<1x{el}>}}> : () -> tensor<1x{el}>'
                )
                lines.append(
                    f"%v{i} = tosa.negate {x}, %z{i}, %z{i} : ({ty}, tensor<1x{el}>, tensor<1x{el}>) -> {ty}"
                )
            else:
                lines.append(f"%v{i} = tosa.{name} {x} : ({ty}) -> {ty}")
        elif kind in ("binary", "broadcast"):
            name = draw(st.sampled_from(BINARY))
            y, yty = (
                (row_value, _t((1, cols), el))
                if kind == "broadcast"
                else (draw(st.sampled_from(values)), ty)
            )
            if name == "mul":
                lines.append(
                    f'%s{i} = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>'
                )
                lines.append(
                    f"%v{i} = tosa.mul {x}, {y}, %s{i} : ({ty}, {yty}, tensor<1xi8>) -> {ty}"
                )
            else:
                lines.append(f"%v{i} = tosa.{name} {x}, {y} : ({ty}, {yty}) -> {ty}")
        elif kind == "clamp":
            lines.append(
                f"%v{i} = tosa.clamp {x} {{min_val = -0.5 : {el}, max_val = 0.75 : {el}}} : ({ty}) -> {ty}"
            )
        else:
            name = draw(st.sampled_from(["reduce_max", "reduce_sum", "reduce_min"]))
            axis = draw(st.sampled_from([0, 1, 1]))
            col_shape = (rows, 1) if axis == 1 else (1, cols)
            col = _t(col_shape, el)
            lines.append(
                f"%r{i} = tosa.{name} {x} {{axis = {axis} : i32}} : ({ty}) -> {col}"
            )
            lines.append(f"%v{i} = tosa.sub {x}, %r{i} : ({ty}, {col}) -> {ty}")
        values.append(f"%v{i}")
    ret = values[-1]
    params = ", ".join(f"%arg{i}: {_t(s, e)}" for i, (s, e) in enumerate(args))
    body = "\n  ".join(lines)
    text = (
        f"func.func @main({params}) -> {ty} {{\n  {body}\n  return {ret} : {ty}\n}}\n"
    )
    return Program(text, args)


def _inputs(program: Program, seed: int) -> list[np.ndarray]:
    from lpuir import numerics

    rng = np.random.default_rng(seed)
    return [
        numerics.round_float(rng.standard_normal(shape), el)
        for shape, el in program.args
    ]


def compile_text(text: str, system: str = "tsp-v1", name: str = "prop.mlir"):
    module = parse_source(text, name)
    CompilePass(system=system).apply(make_context(), module)
    verify_located(module)
    return module


def check_program(program: Program, seed: int = 0) -> None:
    inputs = _inputs(program, seed)
    expected = run_function(parse_source(program.text, "prop.mlir"), None, inputs)
    compiled = compile_text(program.text)
    result = simulate(compiled, inputs)
    assert result.cycles == result.static_cycles
    for got, want in zip(result.outputs, expected, strict=True):
        assert got.dtype == want.dtype
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), program.text


@given(programs(), st.integers(0, 2**16))
def test_compiled_programs_match_the_reference_bit_for_bit(
    program: Program, seed: int
) -> None:
    check_program(program, seed)


@pytest.mark.parametrize(
    ("m", "k", "n", "element"),
    [
        (1, 320, 320, "i8"),
        (3, 700, 330, "i8"),
        (8, 400, 500, "f16"),
        (2, 160, 5, "bf16"),
        (1, 1, 1, "f16"),
    ],
)
def test_matmul_compiles_bit_exact(m: int, k: int, n: int, element: str) -> None:
    acc = "i32" if element == "i8" else "f32"
    a, b, c = _t((1, m, k), element), _t((1, k, n), element), _t((1, m, n), acc)
    zp = "0" if element == "i8" else "0.0"
    text = (
        f"func.func @main(%a: {a}, %b: {b}) -> {c} {{\n"
        f'  %za = "tosa.const"() <{{values = dense<{zp}> : tensor<1x{element}>}}> : () -> tensor<1x{element}>\n'
        f"  %0 = tosa.matmul %a, %b, %za, %za : ({a}, {b}, tensor<1x{element}>, tensor<1x{element}>) -> {c}\n"
        f"  return %0 : {c}\n}}\n"
    ).replace("tensor<1xi8>", "tensor<1xi8>")
    rng = np.random.default_rng(m * 1000 + k)
    if element == "i8":
        inputs = [
            rng.integers(-128, 128, (1, m, k)).astype(np.int8),
            rng.integers(-128, 128, (1, k, n)).astype(np.int8),
        ]
    else:
        from lpuir import numerics

        inputs = [
            numerics.round_float(rng.standard_normal(s), element)
            for s in ((1, m, k), (1, k, n))
        ]
    expected = run_function(parse_source(text, "mm.mlir"), None, inputs)
    result = simulate(compile_text(text), inputs)
    assert result.cycles == result.static_cycles
    assert np.array_equal(result.outputs[0], expected[0])


UNSUPPORTED = [
    (
        "%0 = math.log1p %a : tensor<4x8xf32>",
        ("f32", "f32"),
        r"prop\.mlir:2:3: error: lpu-vectorize: 'math.log1p' is not lowered",
    ),
    (
        "%0 = tosa.abs %a : (tensor<4x8xi64>) -> tensor<4x8xi64>",
        ("i64", "i64"),
        r"prop\.mlir:2:3: error: lpu-vectorize: 'tosa.abs' on i64 values: the LPU holds a 64-bit integer as two i32 words",
    ),
    (
        '%0 = "tosa.const"() <{values = dense<7.0> : tensor<4x8xf64>}> : () -> tensor<4x8xf64>',
        ("f32", "f64"),
        r"prop\.mlir:2:3: error: lpu-vectorize: 'tosa.const' needs f64 values",
    ),
]


@pytest.mark.parametrize(("line", "elements", "message"), UNSUPPORTED)
def test_unsupported_op_names_op_and_type(
    line: str, elements: tuple[str, str], message: str
) -> None:
    a, r = (f"tensor<4x8x{e}>" for e in elements)
    text = f"func.func @main(%a: {a}) -> {r} {{\n  {line}\n  return %0 : {r}\n}}\n"
    with pytest.raises(LpuError, match=message):
        compile_text(text)


def test_a_k_split_off_the_k_blocks_is_refused() -> None:
    """A matmul whose K split (lpu.k_parts) the compiler cannot honour (a
    point inside a K-block) must not compile in another summation order
    (docs/numerics.md)."""
    text = (
        "func.func @main(%a: tensor<1x2x320xf16>, %b: tensor<1x320x8xf16>) -> tensor<1x2x8xf32> {\n"
        '  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>\n'
        "  %0 = tosa.matmul %a, %b, %z, %z {lpu.k_parts = array<i64: 100>} : (tensor<1x2x320xf16>, tensor<1x320x8xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x2x8xf32>\n"
        "  return %0 : tensor<1x2x8xf32>\n}\n"
    )
    with pytest.raises(LpuError, match=r"prop\.mlir:3:3: error: .*K split"):
        compile_text(text)


def _split_matmul(m: int, k: int, n: int, element: str, attrs: str, rhs: str) -> str:
    acc = "i32" if element == "i8" else "f32"
    a, b, c = _t((1, m, k), element), _t((1, k, n), element), _t((1, m, n), acc)
    zp = "0" if element == "i8" else "0.0"
    args = f"%a: {a}, %b: {b}" + (" {lpu.weight}" if rhs == "weight" else "")
    return (
        f"func.func @main({args}) -> {c} {{\n"
        f'  %z = "tosa.const"() <{{values = dense<{zp}> : tensor<1x{element}>}}> : () -> tensor<1x{element}>\n'
        f"  %0 = tosa.matmul %a, %b, %z, %z {attrs}: ({a}, {b}, tensor<1x{element}>, tensor<1x{element}>) -> {c}\n"
        f"  return %0 : {c}\n}}\n"
    )


@pytest.mark.parametrize(
    ("element", "k", "attrs"),
    [
        (
            "f16",
            500,
            "{lpu.k_parts = array<i64: 160, 320>, lpu.k_order = [[2, 0], 1]} ",
        ),
        ("f16", 500, "{lpu.k_parts = array<i64: 320>} "),
        ("bf16", 330, "{lpu.k_parts = array<i64: 160>, lpu.k_order = [1, 0]} "),
        ("i8", 700, "{lpu.k_parts = array<i64: 320, 640>, lpu.k_order = [[1, 2], 0]} "),
    ],
)
def test_a_stated_k_split_compiles_in_its_order_bit_exact(
    element: str, k: int, attrs: str
) -> None:
    """A K split a program states is lowered as stated: each part's K-blocks
    on the MXM (the parts' chains spread over the planes), the partial sums
    added on the VXM in `lpu.k_order` (docs/numerics.md), bit-exact against
    the reference of the annotated program, which differs from the
    unsplit one for floats."""
    from lpuir import numerics

    text = _split_matmul(3, k, 330, element, attrs, "input")
    rng = np.random.default_rng(k)
    if element == "i8":
        inputs = [
            rng.integers(-128, 128, s).astype(np.int8) for s in ((1, 3, k), (1, k, 330))
        ]
    else:
        inputs = [
            numerics.round_float(rng.standard_normal(s) * 8, element)
            for s in ((1, 3, k), (1, k, 330))
        ]
    expected = run_function(parse_source(text, "mm.mlir"), None, inputs)
    result = simulate(compile_text(text), inputs)
    assert result.cycles == result.static_cycles
    assert np.array_equal(result.outputs[0], expected[0])


@pytest.mark.parametrize("rhs", ["input", "weight"])
def test_an_install_bound_integer_matmul_is_split_over_both_hemispheres(
    rhs: str,
) -> None:
    """lpu-split-k cuts a GEMV's K in two (visible in the tensor-level IR),
    so each hemisphere's planes install their part from their own row
    chunks; integer sums do not depend on the order, and the result stays
    bit-exact."""
    text = _split_matmul(1, 1300, 700, "i8", "", rhs)
    module = parse_source(text, "g.mlir")
    from lpuir.transforms.split_k import SplitKPass

    SplitKPass().apply(make_context(), module)
    assert "{lpu.k_order = [0 : i64, 1 : i64], lpu.k_parts = array<i64: 960>}" in str(
        module
    )
    compiled = compile_text(text)
    planes = {
        (op.hemisphere.data, op.plane.data)
        for op in compiled.walk()
        if isinstance(op, lpu.InstallOp)
    }
    assert planes == {("W", 0), ("W", 1), ("E", 0), ("E", 1)}
    if rhs == "input":
        rng = np.random.default_rng(0)
        inputs = [
            rng.integers(-128, 128, s).astype(np.int8)
            for s in ((1, 1, 1300), (1, 1300, 700))
        ]
        expected = run_function(parse_source(text, "g.mlir"), None, inputs)
        result = simulate(compiled, inputs)
        assert result.cycles == result.static_cycles
        assert np.array_equal(result.outputs[0], expected[0])


@pytest.mark.parametrize(("m", "element"), [(1, "i8"), (1, "f16"), (4, "bf16")])
def test_the_chunks_an_install_reads_lie_on_one_side(m: int, element: str) -> None:
    """lpu-allocate-sram keeps the row chunks an install-bound install reads
    on one side of the chip (a far chunk is read some 60 cycles before a
    near one, so an install reading both sides holds ports and streams over
    that span), and the two parts of K of a split GEMV (i8) on the two
    sides. Alternating the sides, as other tensors are spread, put every
    install on both."""
    compiled = compile_text(_split_matmul(m, 1300, 700, element, "", "weight"))
    slices = {
        t.sym_name.data: t.slice.data
        for t in compiled.walk()
        if isinstance(t, lpu.TensorOp) and t.slice is not None
    }
    read_sides = [
        {slices[v.owner.tensor.root_reference.data][0] for v in op.operands}
        for op in compiled.walk()
        if isinstance(op, lpu.InstallOp)
    ]
    assert read_sides
    assert all(len(sides) == 1 for sides in read_sides)
    assert len(set().union(*read_sides)) == (2 if element == "i8" else 1)


def test_tensors_sent_or_received_lie_on_the_side_of_their_link() -> None:
    """lpu-allocate-sram puts a tensor sent to or received from another chip
    on the side of the ports its routes use (ports 0..7 meet the streams at
    the west SXM, 8..15 at the east): the quick start's MLP on node8, whose
    hidden layer goes to the second chip, read and written on the link's
    side (it was on the far side, 1014 cycles for 854 now)."""
    path = Path(__file__).resolve().parent.parent / "examples/compile/mlp_f16.mlir"
    compiled = parse_source(path.read_text(), str(path))
    CompilePass(system="node8", strategy="pipeline").apply(make_context(), compiled)
    spec = compiled.ops.first.machine.spec.chip  # type: ignore[union-attr]
    sides = {
        (chip.chip_id, t.sym_name.data): t.slice.data[0]
        for chip in compiled.walk()
        if isinstance(chip, lpu.ChipOp)
        for t in chip.tensors()
    }

    def chip_of(op) -> int:
        while not isinstance(op, lpu.ChipOp):
            op = op.parent_op()
        return op.chip_id

    checked = 0
    for op in compiled.walk():
        if isinstance(op, lpu.SendOp) and isinstance(op.value.owner, lpu.ReadOp):
            tensors = [op.value.owner.tensor.root_reference.data]
        elif isinstance(op, lpu.RecvOp):
            tensors = [
                u.operation.tensor.root_reference.data
                for u in op.result.uses
                if isinstance(u.operation, lpu.WriteOp)
            ]
        else:
            continue
        for name in tensors:
            assert sides[(chip_of(op), name)] == spec.port_side(op.port.data)
            checked += 1
    assert checked


EXAMPLES = sorted(
    (Path(__file__).resolve().parent.parent / "examples" / "compile").glob("*.mlir")
)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_models_compile_bit_exact(path: Path) -> None:
    """The MLP, softmax, RMSNorm and attention examples: compiled == reference."""
    from xdsl.dialects import func

    from lpuir import numerics
    from lpuir.types import tensor_shape_and_element

    text = path.read_text()
    source = parse_source(text, str(path))
    fn = next(op for op in source.walk() if isinstance(op, func.FuncOp))
    rng = np.random.default_rng(7)
    inputs = []
    for t in fn.function_type.inputs:
        shape, element = tensor_shape_and_element(t)
        inputs.append(numerics.round_float(rng.standard_normal(shape) * 0.5, element))
    expected = run_function(source, None, inputs)
    result = simulate(compile_text(text), inputs)
    assert result.cycles == result.static_cycles
    for got, want in zip(result.outputs, expected, strict=True):
        assert np.array_equal(got, want)


@given(programs(), st.data())
def test_schedule_verifier_rejects_an_instruction_moved_by_one_cycle(
    program: Program, data: st.DataObject
) -> None:
    from xdsl.dialects.builtin import IntAttr

    from lpuir.dialects import lpu
    from lpuir.transforms.verify_schedule import verify_schedule

    module = compile_text(program.text)
    system = next(op for op in module.walk() if isinstance(op, lpu.SystemOp))
    instructions = [op for op in system.chips[0].instructions()]
    op = data.draw(st.sampled_from(instructions))
    delta = data.draw(st.sampled_from([-1, 1]))
    assert op.cycle is not None
    if op.cycle.data + delta < 0:
        delta = 1
    op.cycle = IntAttr(op.cycle.data + delta)
    with pytest.raises(LpuError, match="lpu-verify-schedule"):
        verify_schedule(system)


def test_schedule_verifier_rejects_streams_moved_onto_busy_ones() -> None:
    """Move a value (its producer's dst and its consumers' srcs) onto the stream
    of another value of the same direction: every move the verifier accepts
    still computes the reference's result, and moves onto a stream in use at
    the same time are rejected."""
    from lpuir.dialects import lpu
    from lpuir.transforms.verify_schedule import verify_schedule

    path = EXAMPLES[0].parent / "softmax.mlir"
    text = (
        path.read_text()
        .replace("4x4096", "2x700")
        .replace("4x1x", "2x1x")
        .replace("tensor<4x1xf32>", "tensor<2x1xf32>")
    )
    inputs = [np.random.default_rng(3).standard_normal((2, 700)).astype(np.float32)]
    expected = run_function(parse_source(text, "s.mlir"), None, inputs)
    compiled = compile_text(text)
    producers = [
        i
        for i, op in enumerate(
            next(
                op for op in compiled.walk() if isinstance(op, lpu.ChipOp)
            ).instructions()
        )
        if getattr(op, "dst", None) is not None
    ]
    rejected = 0
    # the last 12: the normalisation's reads and products, side by side in time
    for a, b in [(a, b) for a in producers[-12:] for b in producers[-12:] if a != b]:
        module = compiled.clone()
        chip = next(op for op in module.walk() if isinstance(op, lpu.ChipOp))
        instrs = list(chip.instructions())
        first, second = instrs[a], instrs[b]
        if first.dst.direction != second.dst.direction or first.dst == second.dst:  # type: ignore[union-attr]
            continue
        if first.results[0].type.element != second.results[0].type.element:  # type: ignore[attr-defined]
            continue
        new = second.dst
        first.dst = new
        for use in list(first.results[0].uses):
            user = use.operation
            assert isinstance(user, lpu.Instruction)
            srcs = [
                new if v is first.results[0] else src
                for v, src in zip(user.stream_operands(), user.sources(), strict=True)
            ]
            user.srcs = ArrayAttr(srcs)
        system = next(op for op in module.walk() if isinstance(op, lpu.SystemOp))
        try:
            verify_schedule(system)
        except LpuError:
            rejected += 1
            continue
        assert np.array_equal(simulate(module, inputs).outputs[0], expected[0])
    assert rejected > 0


@pytest.mark.parametrize(("rows", "cols"), [(2, 700), (64, 4096)])
def test_first_divergence_names_the_tensor_op(rows: int, cols: int) -> None:
    """A compiled softmax whose exp became a sigmoid diverges first at tosa.exp;
    at 64 rows of 4096 the exponentials are held in row parts (four row
    chunks, vectorize/parts.py), watched as one value."""
    from lpuir.compare import first_divergence
    from lpuir.dialects import lpu

    path = EXAMPLES[0].parent / "softmax.mlir"
    text = (
        path.read_text()
        .replace("4x4096", f"{rows}x{cols}")
        .replace("tensor<4x1xf32>", f"tensor<{rows}x1xf32>")
    )
    inputs = [np.random.default_rng(5).standard_normal((rows, cols)).astype(np.float32)]
    source = parse_source(text, "softmax.mlir")
    compiled = compile_text(text, name="softmax.mlir")
    assert first_divergence(compiled, source, inputs) is None
    exp = next(op for op in compiled.walk() if isinstance(op, lpu.ExpOp))
    sigmoid = lpu.SigmoidOp.create(
        operands=list(exp.operands),
        properties=dict(exp.properties),
        result_types=[exp.result.type],
    )
    sigmoid.location = exp.location
    exp.result.replace_all_uses_with(sigmoid.result)
    exp.parent_block().insert_op_before(sigmoid, exp)
    exp.detach()
    divergence = first_divergence(compiled, source, inputs)
    assert divergence is not None
    assert divergence.op.name == "tosa.exp"
    assert str(divergence).startswith(
        "softmax.mlir:5:3: first divergence: 'tosa.exp' element [0, 0]"
    )


def test_schedule_verifier_rejects_a_read_moved_into_a_writing_bank() -> None:
    """Move the tensor of a read into the bank of the slice a simultaneous write
    uses: the slice's two ports then hit one bank in one cycle."""
    from xdsl.dialects.builtin import IntAttr, StringAttr

    from lpuir.dialects import lpu
    from lpuir.transforms.verify_schedule import verify_schedule

    module = compile_text((EXAMPLES[0].parent / "rmsnorm.mlir").read_text())
    system = next(op for op in module.walk() if isinstance(op, lpu.SystemOp))
    spec = system.machine.spec.chip
    ops = list(system.chips[0].instructions())

    def cycles(op: lpu.Instruction) -> set[int]:
        return set(range(op.cycle.data, op.cycle.data + op.burst))

    write, read = next(
        (w, r)
        for w in ops
        if isinstance(w, lpu.WriteOp)
        for r in ops
        if isinstance(r, lpu.ReadOp)
        and r.tensor != w.tensor
        and cycles(w) & cycles(r)
        and r.tensor_op().element == w.tensor_op().element
    )
    target, moved = write.tensor_op(), read.tensor_op()
    assert target.address is not None and target.slice is not None
    moved.slice = StringAttr(target.slice.data)
    moved.address = IntAttr(target.address.data + target.vector_count(spec.lanes))
    assert spec.bank(moved.address.data) == spec.bank(target.address.data)
    with pytest.raises(LpuError, match="bank conflict"):
        verify_schedule(system)


def test_a_program_that_does_not_fit_prints_a_memory_map() -> None:
    from xdsl.dialects.builtin import IntegerAttr, StringAttr, i64

    from lpuir.dialects import lpu
    from lpuir.transforms.allocate_sram import AllocateSramPass
    from lpuir.transforms.vectorize import VectorizePass

    text = (EXAMPLES[0].parent / "rmsnorm.mlir").read_text()
    module = parse_source(text, "rms.mlir")
    VectorizePass().apply(make_context(), module)
    system = next(op for op in module.walk() if isinstance(op, lpu.SystemOp))
    tiny = lpu.ChipAttr(
        "tsp-v1",
        {
            "floorplan": StringAttr("MXM SXM MEM*4 VXM MEM*4 SXM MXM"),
            "sram_addresses": IntegerAttr(16, i64),
        },
    )
    system.machine = lpu.SystemAttr("tsp-v1", {"chip": tiny})
    with pytest.raises(LpuError) as failure:
        AllocateSramPass().apply(make_context(), module)
    message = str(failure.value)
    assert message.startswith("rms.mlir:")
    assert "chip 0 SRAM is full" in message
    assert "memory map of chip 0 (8 slices x 16 vectors):" in message
    assert "@in0" in message or "@v" in message


@pytest.mark.parametrize(
    ("shape", "element"),
    [
        ((1, 1), "f32"),
        ((37, 300), "f32"),
        ((320, 320), "f16"),
        ((2, 16, 5), "bf16"),
        ((3, 17, 33), "i32"),
    ],
)
def test_transpose_of_the_last_two_axes_compiles_bit_exact(
    shape: tuple[int, ...], element: str
) -> None:
    from lpuir import numerics

    out = (*shape[:-2], shape[-1], shape[-2])
    perms = ", ".join(
        str(p) for p in [*range(len(shape) - 2), len(shape) - 1, len(shape) - 2]
    )
    text = f"func.func @main(%x: {_t(shape, element)}) -> {_t(out, element)} {{\n  %0 = tosa.transpose %x {{perms = array<i32: {perms}>}} : ({_t(shape, element)}) -> {_t(out, element)}\n  return %0 : {_t(out, element)}\n}}\n"
    rng = np.random.default_rng(len(shape))
    x = (
        numerics.round_float(rng.standard_normal(shape), element)
        if numerics.is_float(element)
        else rng.integers(-99, 99, shape).astype(np.int32)
    )
    result = simulate(compile_text(text), [x])
    assert result.cycles == result.static_cycles
    assert np.array_equal(result.outputs[0], np.swapaxes(x, -1, -2))


def test_a_value_feeding_a_matmul_and_a_reduction_is_widened_back() -> None:
    """x is laid out 160 lanes per vector for the f16 matmul (through abs),
    and its square's reduction needs 320: the vectorizer widens it back."""
    text = """func.func @f(%x: tensor<1x3x500xf16>, %w: tensor<1x500x64xf16>) -> (tensor<1x3x64xf32>, tensor<1x3x1xf16>) {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %sh = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %sq = tosa.mul %x, %x, %sh : (tensor<1x3x500xf16>, tensor<1x3x500xf16>, tensor<1xi8>) -> tensor<1x3x500xf16>
  %s = tosa.reduce_sum %sq {axis = 2 : i32} : (tensor<1x3x500xf16>) -> tensor<1x3x1xf16>
  %n = tosa.abs %x : (tensor<1x3x500xf16>) -> tensor<1x3x500xf16>
  %y = tosa.matmul %n, %w, %z, %z : (tensor<1x3x500xf16>, tensor<1x500x64xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x3x64xf32>
  return %y, %s : tensor<1x3x64xf32>, tensor<1x3x1xf16>
}
"""
    check_program(Program(text, [((1, 3, 500), "f16"), ((1, 500, 64), "f16")]))


def _matmul_program(
    batch: int,
    m: int,
    k: int,
    n: int,
    element: str,
    given: str,
    seed: int,
    split: str = "",
) -> tuple[str, list[np.ndarray]]:
    """A tosa.matmul of random operands, its right-hand side `given` as a
    constant, a program input or a resident weight ({lpu.weight}), with
    `split` (its K-split attributes): the text and the inputs to run it on."""
    from lpuir import numerics

    acc = "i32" if element == "i8" else "f32"
    a, b = _t((batch, m, k), element), _t((batch, k, n), element)
    c = _t((batch, m, n), acc)
    rng = np.random.default_rng(seed)
    if element == "i8":
        x = rng.integers(-128, 128, (batch, m, k)).astype(np.int8)
        w = rng.integers(-128, 128, (batch, k, n)).astype(np.int8)
    else:
        x, w = (
            numerics.round_float(rng.standard_normal(s), element)
            for s in ((batch, m, k), (batch, k, n))
        )
    raw = numerics.to_bits(w, element).astype(f"<u{1 if element == 'i8' else 2}")
    zp = "0" if element == "i8" else "0.0"
    rhs = (
        f'  %b = "tosa.const"() <{{values = dense<"0x{raw.tobytes().hex().upper()}"> : {b}}}> : () -> {b}\n'
        if given == "constant"
        else ""
    )
    args = (
        f"%a: {a}"
        + {
            "constant": "",
            "input": f", %b: {b}",
            "weight": f", %b: {b} {{lpu.weight}}",
        }[given]
    )
    text = (
        f"func.func @main({args}) -> {c} {{\n"
        f'  %z = "tosa.const"() <{{values = dense<{zp}> : tensor<1x{element}>}}> : () -> tensor<1x{element}>\n'
        f"{rhs}"
        f"  %0 = tosa.matmul %a, %b, %z, %z {split}: ({a}, {b}, tensor<1x{element}>, tensor<1x{element}>) -> {c}\n"
        f"  return %0 : {c}\n}}\n"
    )
    return text, [x] if given != "input" else [x, w]


@pytest.mark.parametrize("given", ["constant", "input"])
@pytest.mark.parametrize(
    ("batch", "m", "k", "n", "element"),
    [(1, 3, 700, 330, "i8"), (2, 2, 400, 50, "f16"), (1, 2, 5, 7, "f16")],
)
def test_a_right_hand_side_installs_from_row_chunks_bit_exact(
    batch: int, m: int, k: int, n: int, element: str, given: str
) -> None:
    """A constant or input right-hand side is stored as row chunks
    (lpu-vectorize's install_chunks: as many as a plane takes side by side
    and one direction's streams carry), each install reading one burst from
    each; an input's chunks are filled from the whole input (`row_chunk`);
    K-blocks shorter than a tile and fewer rows than chunks included."""
    from lpuir.dialects import lpu

    text, inputs = _matmul_program(batch, m, k, n, element, given, seed=k)
    expected = run_function(parse_source(text, "mm.mlir"), None, inputs)
    compiled = compile_text(text)
    widths = {len(op.rows) for op in compiled.walk() if isinstance(op, lpu.InstallOp)}
    assert max(widths) == min(k, 32 if element == "i8" else 16)
    chunks = [
        op
        for op in compiled.walk()
        if isinstance(op, lpu.TensorOp) and op.row_chunk is not None
    ]
    # (an install-bound i8 input is also split in two parts of K, each chunked)
    assert (len(chunks) >= min(k, max(widths))) == (given == "input")
    result = simulate(compiled, inputs)
    assert result.cycles == result.static_cycles
    assert np.array_equal(result.outputs[0], expected[0])


@settings(max_examples=min(settings().max_examples, 12))
@given(
    st.sampled_from(["i8", "f16", "bf16"]),
    st.integers(1, 2),
    st.integers(0, 200),
    st.sampled_from([5, 160, 400]),
    st.sampled_from([7, 330]),
    st.sampled_from(["constant", "input", "weight"]),
    st.sampled_from([None, 256]),
    st.sampled_from([None, [0, 1], [1, 0]]),
    st.integers(0, 2**16),
)
def test_a_left_hand_side_of_many_rows_streams_from_row_chunks_bit_exact(
    element: str,
    batch: int,
    extra: int,
    k: int,
    n: int,
    given_as: str,
    addresses: int | None,
    order: list[int] | None,
    seed: int,
) -> None:
    """An input left-hand side of at least a K-block of rows (all its
    matmuls' rows bound by its read port) is stored as row chunks, one per
    MXM plane or more (matmul.left_chunk_rows), each its own input tensor
    filled from the whole input (`row_chunk`), so the planes stream rows
    from different slices; its right-hand side installs from half as many
    row chunks (the other plane of a hemisphere streams meanwhile). With
    small slices (`addresses`), chunks are halved until they fit one slice
    group and the result's group boundaries cut chunks into several row
    runs; a stated K split (`order`, at the first K-block) runs each part
    from the same chunks."""

    kb = 320 if element == "i8" else 160
    m = -(-(kb + extra) // batch)
    split = (
        f"{{lpu.k_parts = array<i64: {kb}>, lpu.k_order = {order}}} "
        if order is not None and k > kb
        else ""
    )
    text, inputs = _matmul_program(batch, m, k, n, element, given_as, seed, split)
    system = (
        "tsp-v1"
        if addresses is None
        else f'#lpu.system<"tsp-v1", {{chip = #lpu.chip<"tsp-v1", {{sram_addresses = {addresses} : i64}}>}}>'
    )
    compiled = compile_text(text, system)
    left = [
        op
        for op in compiled.walk()
        if isinstance(op, lpu.TensorOp)
        and op.arg is not None
        and op.arg.data == 0
        and op.kind.data == "input"
    ]
    assert len(left) >= 4 and all(t.row_chunk is not None for t in left)
    assert len({t.slice.data for t in left[:4]}) == 4  # type: ignore[union-attr]
    if given_as == "weight":
        return  # no value to run with
    expected = run_function(parse_source(text, "mm.mlir"), None, inputs)
    result = simulate(compiled, inputs)
    assert result.cycles == result.static_cycles
    assert np.array_equal(result.outputs[0], expected[0])


@st.composite
def leading_reductions(draw: st.DrawFn) -> Program:
    """A reduction over a leading axis whose rows take up to 32 vectors: each
    step's burst over the accumulator outlasts the read-to-write distance of
    even the farthest slice the accumulator may be placed in."""
    el = draw(st.sampled_from(["f32", "f16", "bf16"]))
    name = draw(
        st.sampled_from(["reduce_sum", "reduce_max", "reduce_min", "reduce_product"])
    )
    cols = max(1, draw(st.integers(1, 32)) * 320 - draw(st.integers(0, 319)))
    shape = (draw(st.integers(2, 8)), draw(st.integers(1, 2)), cols)
    axis = draw(st.integers(0, 1))
    out = tuple(1 if k == axis else d for k, d in enumerate(shape))
    text = f"func.func @main(%x: {_t(shape, el)}) -> {_t(out, el)} {{\n  %0 = tosa.{name} %x {{axis = {axis} : i32}} : ({_t(shape, el)}) -> {_t(out, el)}\n  return %0 : {_t(out, el)}\n}}\n"
    return Program(text, [(shape, el)])


@given(leading_reductions(), st.integers(0, 2**16))
def test_leading_axis_reductions_of_long_rows_compile_bit_exact(
    program: Program, seed: int
) -> None:
    check_program(program, seed)


def test_the_heads_sum_of_a_70b_layer_compiles_bit_exact() -> None:
    """Issue 19: the sum over 8 heads of 26-vector rows accumulated in place,
    its write beginning while its read was still on the same bank."""
    text = """func.func @main(%x: tensor<8x1x8192xf32>) -> tensor<1x1x8192xf32> {
  %0 = tosa.reduce_sum %x {axis = 0 : i32} : (tensor<8x1x8192xf32>) -> tensor<1x1x8192xf32>
  return %0 : tensor<1x1x8192xf32>
}
"""
    check_program(Program(text, [((8, 1, 8192), "f32")]))


@st.composite
def vxm_products(draw: st.DrawFn) -> Program:
    """An f32 matmul (summed on the VXM, one k at a time) whose result
    rows take up to 24 vectors: each step's burst over the accumulator
    outlasts the read-to-write distance of the slices near the VXM."""
    el = "f32"
    m, k = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    n = max(1, draw(st.integers(1, 24)) * 320 - draw(st.integers(0, 319)))
    a, b, c = _t((1, m, k), el), _t((1, k, n), el), _t((1, m, n), el)
    z = _t((1,), el)
    text = f"""func.func @main(%a: {a}, %b: {b}) -> {c} {{
  %z = "tosa.const"() <{{values = dense<0.0> : {z}}}> : () -> {z}
  %y = tosa.matmul %a, %b, %z, %z : ({a}, {b}, {z}, {z}) -> {c}
  return %y : {c}
}}
"""
    return Program(text, [((1, m, k), el), ((1, k, n), el)])


@given(vxm_products(), st.integers(0, 2**16))
def test_vxm_products_of_long_rows_compile_bit_exact(
    program: Program, seed: int
) -> None:
    check_program(program, seed)


@pytest.mark.parametrize("kind", ["reduce_max", "reduce_min"])
@pytest.mark.parametrize("cols", [1, 7, 320, 333])
def test_an_all_nan_row_ignored_is_nan(kind: str, cols: int) -> None:
    """nan_mode IGNORE: a row of NaNs gives NaN, whatever the row's padding
    to whole vectors (the reference once gave the padding's identity, -inf
    or +inf, for rows not a multiple of the lanes; the dev hypothesis
    profile found it on a 1-column row)."""
    ty = _t((3, cols), "f32")
    out = _t((3, 1), "f32")
    text = (
        f"func.func @main(%x: {ty}) -> {out} {{\n"
        f'  %0 = tosa.{kind} %x {{axis = 1 : i32, nan_mode = "IGNORE"}} : ({ty}) -> {out}\n'
        f"  return %0 : {out}\n}}\n"
    )
    x = np.full((3, cols), np.nan, np.float32)
    x[1, -1], x[2, 0] = 2.5, -np.inf
    expected = run_function(parse_source(text, "nan.mlir"), None, [x])[0]
    assert np.isnan(expected[0, 0]) and expected[1, 0] == 2.5
    assert expected[2, 0] == -np.inf
    result = simulate(compile_text(text), [x])
    assert result.cycles == result.static_cycles
    assert np.array_equal(result.outputs[0].view(np.uint32), expected.view(np.uint32))


@given(
    st.integers(0, 3000),
    st.integers(1, 40),
    st.integers(0, 200),
    st.sampled_from([1, 7, 64, 1024]),
)
def test_progression_runs_are_the_runs_of_the_progression(
    first: int, step: int, count: int, size: int
) -> None:
    """An install's row reads split at slice groups by arithmetic
    (`progression_runs`) exactly as `runs` splits the sequence's array."""
    from lpuir.transforms.vectorize.program import progression_runs, runs

    seq = first + step * np.arange(count, dtype=np.int64)
    assert progression_runs(first, step, count, size) == runs([seq], [seq // size])
