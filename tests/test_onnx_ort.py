"""ONNX Runtime as a second oracle: hypothesis builds random small graphs of
the op set with onnx.helper, ONNX Runtime (graph optimisations off, so each
op runs as written) and lpuir's reference run them on the same inputs, and
the results agree within rtol 1e-4 and atol 1e-4 (docs/onnx.md: lpuir's
transcendental functions are its own correctly rounded algorithms, ONNX
Runtime's are MLAS approximations, and a few steps of f32 arithmetic can
compound a last-bit difference).

Every graph keeps one working shape S (rank 2 or 3); each step takes values
of shape S or broadcastable to it and makes one: elementwise ops (with
domain guards like Exp(Tanh(x)), Log(Abs(x) + 1)), Where, Clip, reductions
with keepdims, Softmax, LogSoftmax, LayerNormalization, RMSNormalization,
MatMul by a square weight, Gemm, Einsum, Transpose + Reshape, Slice +
Concat, Split + Concat, Gather, Pad + Slice, Expand, Cast through f16.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

ort = pytest.importorskip("onnxruntime", reason="the test extra installs onnxruntime")
onnx = pytest.importorskip("onnx")

import lpuir  # noqa: E402

helper = onnx.helper
F32 = onnx.TensorProto.FLOAT
OPSET = 23

UNARY = ["Neg", "Abs", "Tanh", "Sigmoid", "Erf", "Relu", "Floor", "Ceil"]
GUARDED = {  # op: (guard ops before it)
    "Exp": ["Tanh"],
    "Log": ["Abs", "+1"],
    "Sqrt": ["Abs"],
    "Reciprocal": ["Abs", "+1"],
}
BINARY = ["Add", "Sub", "Mul", "Max", "Min"]
KINDS = [
    "unary",
    "guarded",
    "binary",
    "div",
    "pow",
    "where",
    "clip",
    "reduce",
    "softmax",
    "layernorm",
    "rmsnorm",
    "matmul",
    "gemm",
    "einsum",
    "transpose",
    "slice_concat",
    "split_concat",
    "gather",
    "pad",
    "expand",
    "cast",
    "gelu",
]


class Graph:
    """The graph being drawn: nodes, initializers, and the values of shape S."""

    def __init__(self, shape: tuple[int, ...], rng: np.random.Generator):
        self.shape = shape
        self.rng = rng
        self.nodes: list[object] = []
        self.initializers: list[object] = []
        self.values: list[str] = []
        self.counter = 0

    def fresh(self) -> str:
        self.counter += 1
        return f"v{self.counter}"

    def node(self, op: str, inputs: list[str], **attrs: object) -> str:
        out = self.fresh()
        self.nodes.append(
            helper.make_node(op, inputs, [out], name=f"n{self.counter}", **attrs)
        )
        return out

    def const(self, array: np.ndarray) -> str:
        name = self.fresh()
        self.initializers.append(onnx.numpy_helper.from_array(array, name))
        return name

    def weight(self, shape: tuple[int, ...]) -> str:
        return self.const(self.rng.uniform(-1, 1, shape).astype(np.float32))


def step(g: Graph, draw: st.DrawFn) -> None:
    """Add one op; its result (of shape S) joins the values."""
    pick = draw(st.sampled_from(KINDS))
    x = draw(st.sampled_from(g.values))
    y = draw(st.sampled_from(g.values))
    rank = len(g.shape)
    axis = draw(st.integers(-rank, rank - 1))
    last = g.shape[-1]
    if pick == "unary":
        out = g.node(draw(st.sampled_from(UNARY)), [x])
    elif pick == "guarded":
        op = draw(st.sampled_from(sorted(GUARDED)))
        for guard in GUARDED[op]:
            x = (
                g.node("Add", [x, g.const(np.float32(1))])
                if guard == "+1"
                else g.node(guard, [x])
            )
        out = g.node(op, [x])
    elif pick == "binary":
        out = g.node(draw(st.sampled_from(BINARY)), [x, y])
    elif pick == "div":
        out = g.node(
            "Div", [x, g.node("Add", [g.node("Abs", [y]), g.const(np.float32(0.5))])]
        )
    elif pick == "pow":
        base = g.node("Add", [g.node("Abs", [x]), g.const(np.float32(0.5))])
        exponent = draw(st.sampled_from([-2.0, -0.5, 0.5, 1.0, 2.0, 3.0]))
        out = g.node("Pow", [base, g.const(np.float32(exponent))])
    elif pick == "where":
        out = g.node("Where", [g.node("Greater", [x, y]), x, y])
    elif pick == "clip":
        lo = draw(st.sampled_from([-1.0, -0.25, 0.0]))
        out = g.node("Clip", [x, g.const(np.float32(lo)), g.const(np.float32(lo + 1))])
    elif pick == "reduce":
        op = draw(
            st.sampled_from(["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"])
        )
        reduced = g.node(op, [x, g.const(np.array([axis], np.int64))], keepdims=1)
        out = g.node("Sub", [x, reduced])
    elif pick == "softmax":
        out = g.node(draw(st.sampled_from(["Softmax", "LogSoftmax"])), [x], axis=axis)
    elif pick == "layernorm":
        out = g.node(
            "LayerNormalization",
            [x, g.weight((last,)), g.weight((last,))],
            axis=-1,
            epsilon=1e-3,
        )
    elif pick == "rmsnorm":
        out = g.node("RMSNormalization", [x, g.weight((last,))], axis=-1, epsilon=1e-3)
    elif pick == "matmul":
        out = g.node("MatMul", [x, g.weight((last, last))])
    elif pick == "gemm":
        flat = g.node("Reshape", [x, g.const(np.array([-1, last], np.int64))])
        gemm = g.node(
            "Gemm",
            [flat, g.weight((last, last)), g.weight((last,))],
            alpha=0.5,
            beta=2.0,
            transB=1,
        )
        out = g.node("Reshape", [gemm, g.const(np.array(g.shape, np.int64))])
    elif pick == "einsum":
        letters = "abc"[:rank]
        eq = f"{letters},{letters[-1]}z->{letters[:-1]}z"
        out = g.node("Einsum", [x, g.weight((last, last))], equation=eq)
    elif pick == "transpose":
        perm = draw(st.permutations(list(range(rank))))
        t = g.node("Transpose", [x], perm=list(perm))
        out = g.node("Reshape", [t, g.const(np.array(g.shape, np.int64))])
    elif pick == "slice_concat":
        size = g.shape[axis]
        cut = draw(st.integers(0, size))
        parts = [
            g.node(
                "Slice",
                [
                    x,
                    g.const(np.array([lo], np.int64)),
                    g.const(np.array([hi], np.int64)),
                    g.const(np.array([axis], np.int64)),
                ],
            )
            for lo, hi in ((cut, size), (0, cut))
            if hi > lo
        ]
        out = g.node("Concat", parts, axis=axis) if len(parts) > 1 else parts[0]
    elif pick == "split_concat":
        a, b = g.fresh(), g.fresh()
        g.nodes.append(helper.make_node("Split", [x], [a, b], axis=axis, num_outputs=2))
        out = g.node("Concat", [b, a], axis=axis) if g.shape[axis] > 1 else x
    elif pick == "gather":
        order = np.asarray(draw(st.permutations(list(range(g.shape[axis])))), np.int64)
        out = g.node(
            "Gather", [x, g.const(order - g.shape[axis] * (order % 2))], axis=axis
        )
    elif pick == "pad":
        mode = draw(st.sampled_from(["constant", "edge", "reflect"]))
        pads = np.zeros(2 * rank, np.int64)
        if mode != "reflect" or g.shape[axis] > 1:
            pads[axis % rank] = 1
        padded = g.node("Pad", [x, g.const(pads), g.const(np.float32(0.5))], mode=mode)
        out = g.node(
            "Slice",
            [
                padded,
                g.const(np.zeros(rank, np.int64)),
                g.const(np.array(g.shape, np.int64)),
            ],
        )
    elif pick == "expand":
        row = g.node("ReduceMax", [x, g.const(np.array([axis], np.int64))], keepdims=1)
        out = g.node("Expand", [row, g.const(np.array(g.shape, np.int64))])
    elif pick == "cast":
        half = g.node("Cast", [x], to=onnx.TensorProto.FLOAT16)
        out = g.node("Cast", [half], to=F32)
    else:
        approximate = draw(st.sampled_from(["none", "tanh"]))
        out = g.node("Gelu", [x], approximate=approximate)
    g.values.append(out)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[object, list[np.ndarray]]:
    rank = draw(st.integers(2, 3))
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    g = Graph(shape, rng)
    broadcast = tuple(d if draw(st.booleans()) else 1 for d in shape)
    inputs = [rng.uniform(-2, 2, s).astype(np.float32) for s in (shape, broadcast)]
    g.values = ["x", "y"]
    y = g.node("Add", ["x", "y"])  # y broadcast to S once; both stay usable
    g.values = ["x", y]
    for _ in range(draw(st.integers(1, 5))):
        step(g, draw)
    graph = helper.make_graph(
        g.nodes,
        "random",
        [
            helper.make_tensor_value_info("x", F32, shape),
            helper.make_tensor_value_info("y", F32, broadcast),
        ],
        [helper.make_tensor_value_info(g.values[-1], F32, shape)],
        g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_operatorsetid("", OPSET)]
    )
    return model, inputs


@given(graphs())
def test_random_graphs_agree_with_onnx_runtime(
    case: tuple[object, list[np.ndarray]],
) -> None:
    model, inputs = case
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    (want,) = session.run(None, {"x": inputs[0], "y": inputs[1]})
    (got,) = lpuir.run(lpuir.import_onnx(model), inputs).outputs
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
