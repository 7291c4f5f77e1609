"""Writes the ONNX models the lit tests in tests/filecheck/onnx import
(ONNX is binary, so the models are made here, with onnx.helper)."""

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
F32 = TensorProto.FLOAT


def save(name, nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_operatorsetid("", 18)])
    onnx.save(model, out / f"{name}.onnx")


save(
    "block",
    [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="proj"),
        helper.make_node("Div", ["h", "two"], ["d"], name="halve"),
        helper.make_node("Softmax", ["d"], ["y"], name="probs", axis=-1),
    ],
    [helper.make_tensor_value_info("x", F32, ["batch", 4])],
    [helper.make_tensor_value_info("y", F32, ["batch", 3])],
    [
        numpy_helper.from_array(np.full((4, 3), 0.5, np.float32), "w"),
        numpy_helper.from_array(np.array(2.0, np.float32), "two"),
    ],
)
save(
    "unsupported",
    [helper.make_node("Hardmax", ["x"], ["y"], name="hm")],
    [helper.make_tensor_value_info("x", F32, [2, 3])],
    [helper.make_tensor_value_info("y", F32, [2, 3])],
)
