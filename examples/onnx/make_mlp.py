"""Writes examples/onnx/mlp.onnx: a small f16 SwiGLU-style MLP block with a
symbolic batch, made with onnx.helper (the README runs it, tests compile it).

    python examples/onnx/make_mlp.py examples/onnx/mlp.onnx
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F16 = TensorProto.FLOAT16
rng = np.random.default_rng(18)


def weight(name: str, *shape: int) -> onnx.TensorProto:
    values = rng.uniform(-1, 1, shape) / np.sqrt(shape[0])
    return numpy_helper.from_array(values.astype(np.float16), name)


nodes = [
    helper.make_node("MatMul", ["x", "w_gate"], ["gate"], name="gate_proj"),
    helper.make_node("Sigmoid", ["gate"], ["sig"], name="sigmoid"),
    helper.make_node("Mul", ["gate", "sig"], ["silu"], name="silu"),
    helper.make_node("MatMul", ["x", "w_up"], ["up"], name="up_proj"),
    helper.make_node("Mul", ["silu", "up"], ["h"], name="glu"),
    helper.make_node("MatMul", ["h", "w_down"], ["down"], name="down_proj"),
    helper.make_node("Add", ["x", "down"], ["y"], name="residual"),
]
graph = helper.make_graph(
    nodes,
    "mlp",
    [helper.make_tensor_value_info("x", F16, ["batch", 64])],
    [helper.make_tensor_value_info("y", F16, ["batch", 64])],
    [weight("w_gate", 64, 96), weight("w_up", 64, 96), weight("w_down", 96, 64)],
)
model = helper.make_model(graph, opset_imports=[helper.make_operatorsetid("", 18)])
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1] if len(sys.argv) > 1 else "mlp.onnx")
