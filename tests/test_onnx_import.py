"""The ONNX importer's interface: the Python API, lpu-opt and lpu-run on
.onnx files, locations naming nodes, weights as arguments, bound shapes and
values, external data, folding of shape arithmetic, and located errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.dialects.builtin import NameLoc

import lpuir
from lpuir.dialects import tosa
from lpuir.onnx import OnnxImportError
from lpuir.onnx.importer import NotKnownError

BIN = Path(sys.executable).parent
F32 = TensorProto.FLOAT


def _model(
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    initializers: list[onnx.TensorProto] = (),  # type: ignore[assignment]
    opset: int = 18,
) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(
        graph, opset_imports=[helper.make_operatorsetid("", opset)]
    )


def _mlp() -> onnx.ModelProto:
    """x [batch, 4] -> Relu(x W + b) -> Softmax, W and b initializers."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.uniform(-1, 1, (4, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(np.array([0.1, -0.2, 0.3], np.float32), "b")
    return _model(
        [
            helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
            helper.make_node("Add", ["h", "b"], ["hb"], name="bias"),
            helper.make_node("Relu", ["hb"], ["r"], name="relu"),
            helper.make_node("Softmax", ["r"], ["y"], name="softmax", axis=-1),
        ],
        [helper.make_tensor_value_info("x", F32, ["batch", 4])],
        [helper.make_tensor_value_info("y", F32, ["batch", 3])],
        [w, b],
    )


def _numpy_mlp(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    w, b = (numpy_helper.to_array(t) for t in model.graph.initializer)
    r = np.maximum(x.astype(np.float64) @ w + b, 0)
    e = np.exp(r - r.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _tool(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], input=stdin, capture_output=True, check=False
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def test_api_imports_and_runs_with_bound_shapes() -> None:
    model = _mlp()
    module = lpuir.import_onnx(model, input_shapes={"x": (2, 4)})
    x = np.array([[1, -1, 2, 0.5], [0, 1, -2, 1]], np.float32)
    (y,) = lpuir.run(module, [x]).outputs
    np.testing.assert_allclose(y, _numpy_mlp(model, x), rtol=1e-5)
    assert lpuir.signature(module).inputs == [((2, 4), "f32")]


def test_every_op_is_located_at_its_node() -> None:
    module = lpuir.import_onnx(_mlp(), input_shapes={"x": (1, 4)})
    located = [op for op in module.walk() if isinstance(op.location, NameLoc)]
    names = {op.location.desc.data for op in located}
    assert names == {"MatMul 'mm'", "Add 'bias'", "Relu 'relu'", "Softmax 'softmax'"}
    matmul = next(op for op in module.walk() if isinstance(op, tosa.MatMulOp))
    assert matmul.location.location.line.data == 1
    assert 'loc("Softmax \'softmax\'"("g":4:1))' in lpuir.to_text(
        module, debuginfo=True
    )


def test_symbolic_dimensions_must_be_bound() -> None:
    with pytest.raises(
        OnnxImportError,
        match=r"input 'x': error: the shape \[batch, 4\] is not static; bind it with --input-shape x=DIMS",
    ):
        lpuir.import_onnx(_mlp())
    with pytest.raises(OnnxImportError, match="'z', which is not an input"):
        lpuir.import_onnx(_mlp(), input_shapes={"z": (1, 4)})
    with pytest.raises(OnnxImportError, match="has rank 2, --input-shape gives 4"):
        lpuir.import_onnx(_mlp(), input_shapes={"x": (4,)})
    with pytest.raises(
        OnnxImportError, match="has dimension 4 where --input-shape gives 5"
    ):
        lpuir.import_onnx(_mlp(), input_shapes={"x": (1, 5)})


def test_weights_as_arguments() -> None:
    model = _mlp()
    model.graph.initializer.append(
        numpy_helper.from_array(np.array([1, 3], np.int64), "shape")
    )
    module = lpuir.import_onnx(
        model, input_shapes={"x": (1, 4)}, weights_as_arguments=True
    )
    text = lpuir.to_text(module)
    assert "%w: tensor<4x3xf32> {lpu.weight}" in text
    assert "%b: tensor<3xf32> {lpu.weight}" in text
    assert "i64" not in text  # integer initializers stay constants (unused here)
    assert [shape for shape, _ in lpuir.signature(module).inputs] == [
        (1, 4),
        (4, 3),
        (3,),
    ]


def test_external_data_loads(tmp_path: Path) -> None:
    model = _mlp()
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    x = np.ones((1, 4), np.float32)
    want = _numpy_mlp(model, x)
    path = tmp_path / "mlp.onnx"
    onnx.save(
        model, path, save_as_external_data=True, location="mlp.bin", size_threshold=0
    )
    assert (tmp_path / "mlp.bin").stat().st_size > 0
    (y,) = lpuir.run(lpuir.load(path), [x]).outputs  # lpuir.load imports a .onnx
    np.testing.assert_allclose(y, want, rtol=1e-5)


@pytest.fixture
def mlp_file(tmp_path: Path) -> Path:
    model = _mlp()
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    path = tmp_path / "mlp.onnx"
    onnx.save(model, path)
    return path


def test_lpu_opt_and_lpu_run_take_onnx(mlp_file: Path) -> None:
    done = _tool("lpu-opt", str(mlp_file))
    assert done.returncode == 0, done.stderr
    assert "tosa.matmul" in done.stdout and "func.func @g" in done.stdout
    done = _tool(
        "lpu-opt",
        "-f",
        "onnx",
        "-",
        "--weights-as-arguments",
        stdin=mlp_file.read_bytes(),
    )
    assert done.returncode == 0, done.stderr
    assert "{lpu.weight}" in done.stdout
    done = _tool("lpu-run", str(mlp_file), "--input", "1x4xf32=1,2,3,4")
    assert done.returncode == 0, done.stderr
    want = _numpy_mlp(_mlp(), np.array([[1, 2, 3, 4]], np.float32))
    got = np.array(json.loads(done.stdout.split("=", 1)[1]))
    np.testing.assert_allclose(got, want, rtol=1e-5)


def _compiles_bit_exact(model: Path, shape: str, value: str) -> None:
    """`model` compiles with its symbolic dimension bound by `shape` and
    simulates bit-exact against its import on the input `value`."""
    compiled = model.with_suffix(".mlir")
    done = _tool(
        "lpu-opt",
        str(model),
        "--input-shape",
        shape,
        "-p",
        "lpu-compile",
        "-o",
        str(compiled),
    )
    assert done.returncode == 0, done.stderr
    done = _tool(
        "lpu-run",
        str(compiled),
        "--input",
        value,
        "--reference",
        str(model),
        "--input-shape",
        shape,
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    assert "equal" in done.stdout and "bit for bit" in done.stdout


def test_lpu_opt_binds_shapes_and_compiles(tmp_path: Path) -> None:
    """An f16 model and the f32 MLP (its matmul on the VXM in K order: the MXM
    takes i8, f16, bf16) compile and simulate bit-exact against their import."""
    rng = np.random.default_rng(1)
    w = rng.uniform(-1, 1, (8, 4)).astype(np.float16)
    model = _model(
        [
            helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
            helper.make_node("Sigmoid", ["h"], ["y"], name="act"),
        ],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT16, ["batch", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT16, ["batch", 4])],
        [numpy_helper.from_array(w, "w")],
    )
    path = tmp_path / "f16.onnx"
    onnx.save(model, path)
    _compiles_bit_exact(path, "x=2x8", "2x8xf16=random:3")
    mlp = tmp_path / "mlp.onnx"
    onnx.save(_mlp(), mlp)
    _compiles_bit_exact(mlp, "x=2x4", "2x4xf32=random:5")
    done = _tool("lpu-opt", str(mlp), "--input-shape", "x")
    assert done.returncode != 0 and "is not NAME=DIMS" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_op_outside_the_set_is_a_located_error(tmp_path: Path) -> None:
    model = _model(
        [
            helper.make_node("Relu", ["x"], ["r"], name="first"),
            helper.make_node("Hardmax", ["r"], ["y"], name="hm"),
        ],
        [helper.make_tensor_value_info("x", F32, [2, 3])],
        [helper.make_tensor_value_info("y", F32, [2, 3])],
    )
    with pytest.raises(
        OnnxImportError,
        match=r"^g:2:1 \(Hardmax 'hm'\): error: ONNX op Hardmax is not supported",
    ):
        lpuir.import_onnx(model)
    path = tmp_path / "hm.onnx"
    onnx.save(model, path)
    done = _tool("lpu-opt", str(path))
    assert done.returncode != 0
    assert (
        f"{path}:2:1 (Hardmax 'hm'): error: ONNX op Hardmax is not supported"
        in done.stderr
    )
    assert "Traceback" not in done.stderr


def test_bad_files_are_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "bad.onnx"
    garbage.write_bytes(b"\x08\x07not a model")
    done = _tool("lpu-run", str(garbage))
    assert done.returncode != 0 and "bad.onnx: error:" in done.stderr
    assert "Traceback" not in done.stderr
    with pytest.raises(OnnxImportError, match=r"missing\.onnx: error: cannot read"):
        lpuir.import_onnx(tmp_path / "missing.onnx")
    invalid = _model(
        [helper.make_node("Relu", ["nowhere"], ["y"])],
        [helper.make_tensor_value_info("x", F32, [2])],
        [helper.make_tensor_value_info("y", F32, [2])],
    )
    with pytest.raises(OnnxImportError, match="invalid ONNX model"):
        lpuir.import_onnx(invalid)


def test_a_reference_error_names_the_node() -> None:
    model = _model(
        [helper.make_node("Gather", ["table", "i"], ["y"], name="lookup", axis=0)],
        [
            helper.make_tensor_value_info("table", F32, [3, 2]),
            helper.make_tensor_value_info("i", TensorProto.INT64, [2]),
        ],
        [helper.make_tensor_value_info("y", F32, [2, 2])],
    )
    module = lpuir.import_onnx(model)
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    (y,) = lpuir.run(module, [table, np.array([-1, 0], np.int64)]).outputs
    np.testing.assert_array_equal(y, table[[-1, 0]])
    with pytest.raises(
        lpuir.LpuError,
        match=r"tosa.gather at g:1:1 \(Gather 'lookup'\): an index is outside",
    ):
        lpuir.run(module, [table, np.array([3, 0], np.int64)])


def test_shape_arithmetic_is_folded() -> None:
    """Shape -> Gather -> Concat -> Reshape, as exporters write a flatten:
    no i64 op is left, and the reshape's shape is the computed one."""
    model = _model(
        [
            helper.make_node("Shape", ["x"], ["s"]),
            helper.make_node("Gather", ["s", "zero"], ["batch"], axis=0),
            helper.make_node("Unsqueeze", ["batch", "axes"], ["b1"]),
            helper.make_node("Concat", ["b1", "minus1"], ["target"], axis=0),
            helper.make_node("Reshape", ["x", "target"], ["y"], name="flatten"),
        ],
        [helper.make_tensor_value_info("x", F32, [2, 3, 4])],
        [helper.make_tensor_value_info("y", F32, [2, 12])],
        [
            numpy_helper.from_array(np.array(0, np.int64), "zero"),
            numpy_helper.from_array(np.array([0], np.int64), "axes"),
            numpy_helper.from_array(np.array([-1], np.int64), "minus1"),
        ],
    )
    module = lpuir.import_onnx(model)
    text = lpuir.to_text(module)
    assert "i64" not in text
    assert [op.name for op in module.walk() if op.name.startswith("tosa.")] == [
        "tosa.const_shape",
        "tosa.reshape",
    ]


def test_a_shape_from_run_time_data_is_an_error_that_names_it() -> None:
    model = _model(
        [helper.make_node("Reshape", ["x", "shape"], ["y"], name="rs")],
        [
            helper.make_tensor_value_info("x", F32, [2, 3]),
            helper.make_tensor_value_info("shape", TensorProto.INT64, [2]),
        ],
        [helper.make_tensor_value_info("y", F32, [3, 2])],
    )
    with pytest.raises(
        NotKnownError, match=r"input 1 \(shape, 'shape'\) must be known at import"
    ) as e:
        lpuir.import_onnx(model)
    assert e.value.value == "shape"
    module = lpuir.import_onnx(
        model, input_values={"shape": np.array([3, 2], np.int64)}
    )
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(lpuir.run(module, [x]).outputs[0], x.reshape(3, 2))


def test_old_opsets_are_converted() -> None:
    """ReduceSum's axes were an attribute before opset 13, Softmax flattened
    before 13: the version converter brings both to the target opset."""
    model = _model(
        [
            helper.make_node("ReduceSum", ["x"], ["s"], axes=[1], keepdims=1),
            helper.make_node("Softmax", ["x"], ["p"], axis=1),
        ],
        [helper.make_tensor_value_info("x", F32, [2, 3])],
        [
            helper.make_tensor_value_info("s", F32, [2, 1]),
            helper.make_tensor_value_info("p", F32, [2, 3]),
        ],
        opset=11,
    )
    x = np.array([[1, 2, 3], [0, 0, 1]], np.float32)
    s, p = lpuir.run(lpuir.import_onnx(model), [x]).outputs
    np.testing.assert_allclose(s, x.sum(1, keepdims=True))
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(p, e / e.sum(1, keepdims=True), rtol=1e-6)


def test_float_to_int_cast_truncates_and_bool_cast_tests_nonzero() -> None:
    model = _model(
        [
            helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT32),
            helper.make_node("Cast", ["x"], ["b"], to=TensorProto.BOOL),
        ],
        [helper.make_tensor_value_info("x", F32, [6])],
        [
            helper.make_tensor_value_info("i", TensorProto.INT32, [6]),
            helper.make_tensor_value_info("b", TensorProto.BOOL, [6]),
        ],
    )
    x = np.array([2.5, -2.5, 1.9, -1.9, 0.0, -0.4], np.float32)
    i, b = lpuir.run(lpuir.import_onnx(model), [x]).outputs
    np.testing.assert_array_equal(i, x.astype(np.int32))
    np.testing.assert_array_equal(b, x != 0)


def test_the_example_model_compiles_bit_exact() -> None:
    """examples/onnx/mlp.onnx (the README's command) on node8, pipelined:
    the simulated program equals the imported model's reference run."""
    path = Path(__file__).resolve().parent.parent / "examples" / "onnx" / "mlp.onnx"
    module = lpuir.import_onnx(path, input_shapes={"x": (2, 64)})
    compiled = lpuir.compile_module(
        module, pipeline="lpu-compile{system=node8 strategy=pipeline}"
    )
    x = np.random.default_rng(4).uniform(-2, 2, (2, 64)).astype(np.float16)
    (want,) = lpuir.run(module, [x]).outputs
    (got,) = lpuir.run(compiled.module, [x]).outputs
    np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16))
    assert compiled.report.chips > 1
