"""lpuir.TensorBuilder: every op's inferred type, its location, its errors,
and (hypothesis) what the built ops compute on the reference against numpy,
bit for bit where IEEE arithmetic or data movement makes the answer exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from xdsl.dialects import math
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, StringAttr

import lpuir
from lpuir.dialects import tosa
from lpuir.tensor_builder import BuilderError, TensorBuilder, element_of, shape_of

F32 = np.float32


def _run(b: TensorBuilder, results: list, inputs: list[np.ndarray]) -> list[np.ndarray]:
    return lpuir.run(b.module(results), inputs).outputs


def _types(values: list) -> list[tuple[tuple[int, ...], str]]:
    return [(shape_of(v), str(element_of(v))) for v in values]


def test_inferred_types() -> None:
    b = TensorBuilder()
    x = b.argument((2, 3), "f32")
    v = b.argument((4, 3, 5), "f16", weight=True)
    i = b.argument((3,), "i8")
    results = [
        b.add(x, b.constant([1.0, 2.0, 3.0], "f32")),
        b.binary(tosa.GreaterOp, x, b.constant(0.0, "f32", (1,))),
        b.mul(i, i),
        b.tosa_mul(i, i),
        b.div(i, i),
        b.cast(x, "bf16"),
        b.reduce(tosa.ReduceSumOp, v, 1),
        b.argmax(v, -1),
        b.matmul(v, b.constant(0.5, "f16", (4, 5, 2)), "f32"),
        b.reshape(v, (-1, 5)),
        b.transpose(v, (2, 0, 1)),
        b.slice(v, (1, 0, 2), (2, 3, 3)),
        b.concat([x, x], 0),
        b.pad(x, [(1, 0), (2, 2)], 1.5),
        b.tile(x, (2, 1)),
        b.broadcast_to(i, (2, 3)),
        b.gather(v, b.constant([[0, 2]] * 4, "i32")),
        b.elementwise(math.SqrtOp, [x]),
    ]
    assert _types(results) == [
        ((2, 3), "f32"),
        ((2, 3), "i1"),
        ((3,), "i8"),
        ((3,), "i32"),
        ((3,), "i8"),
        ((2, 3), "bf16"),
        ((4, 1, 5), "f16"),
        ((4, 3), "i32"),
        ((4, 3, 2), "f32"),
        ((12, 5), "f16"),
        ((5, 4, 3), "f16"),
        ((2, 3, 3), "f16"),
        ((4, 3), "f32"),
        ((3, 7), "f32"),
        ((4, 3), "f32"),
        ((2, 3), "i8"),
        ((4, 2, 5), "f16"),
        ((2, 3), "f32"),
    ]
    text = lpuir.to_text(b.module(results))
    assert "{lpu.weight}" in text and text.count("tosa.const_shape") >= 5


def test_no_op_layouts_return_their_input() -> None:
    b = TensorBuilder()
    x = b.argument((2, 3), "f32")
    assert b.reshape(x, (2, 3)) is x
    assert b.transpose(x, (0, 1)) is x
    assert b.slice(x, (0, 0), (2, 3)) is x
    assert b.tile(x, (1, 1)) is x
    assert b.cast(x, "f32") is x
    assert b.constant(1.0, "f32", (1,)) is b.constant(1.0, "f32", (1,))


def test_locations() -> None:
    b = TensorBuilder()
    x = b.argument((2,), "f32")
    y = b.unary(tosa.ExpOp, x)
    loc = y.owner.location
    assert isinstance(loc, FileLineColLoc) and loc.filename.data == __file__
    there = FileLineColLoc(StringAttr("model.onnx"), IntAttr(3), IntAttr(1))
    with b.at(there):
        z = b.add(x, y)
    assert z.owner.location == there
    with pytest.raises(lpuir.LpuError, match=r"test_tensor_builder.py:\d+:\d+: error"):
        bad = b.unary(tosa.LogicalNotOp, x)  # logical_not of f32: the verifier says so
        lpuir.run(b.module([bad]), [np.ones(2, F32)])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda b, x: b.add(x, b.argument((4,), "f32")), "do not broadcast"),
        (lambda b, x: b.reshape(x, (4, 2)), "cannot reshape 2x3 into 4x2"),
        (lambda b, x: b.reshape(x, (-1, 4)), "cannot reshape"),
        (lambda b, x: b.transpose(x, (0, 0)), "not a permutation"),
        (lambda b, x: b.slice(x, (1, 0), (2, 3)), "out of bounds"),
        (lambda b, x: b.reduce(tosa.ReduceSumOp, x, 2), "axis 2 is out of range"),
        (lambda b, x: b.matmul(x, x), "must be of rank 3"),
        (lambda b, x: b.broadcast_to(x, (1, 3)), "cannot broadcast 2x3 to 1x3"),
        (lambda b, x: b.constant([1, 2], "i8", (3,)), "do not fill"),
    ],
)
def test_errors(make, message: str) -> None:  # type: ignore[no-untyped-def]
    b = TensorBuilder()
    with pytest.raises(BuilderError, match=message):
        make(b, b.argument((2, 3), "f32"))


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3)


@st.composite
def broadcast_pair(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast numpy-style (ranks may differ)."""
    out = draw(shapes)
    a = tuple(d if draw(st.booleans()) else 1 for d in out)
    b = tuple(d if draw(st.booleans()) else 1 for d in out)[
        draw(st.integers(0, len(out) - 1)) :
    ]
    return a, b


def _values(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-4, 4, shape).astype(F32)


@given(broadcast_pair(), st.integers(0, 2**32 - 1))
def test_elementwise_ops_broadcast_as_numpy(pair, seed: int) -> None:  # type: ignore[no-untyped-def]
    """IEEE f32 add, sub, mul, divide (linalg) and max, and select, are
    exact: the reference must equal numpy bit for bit."""
    (sa, sb), rng = pair, np.random.default_rng(seed)
    a, c = _values(rng, sa), _values(rng, sb)
    b = TensorBuilder()
    x, y = b.argument(sa, "f32"), b.argument(sb, "f32")
    out = _run(
        b,
        [
            b.add(x, y),
            b.sub(x, y),
            b.mul(x, y),
            b.div(x, y),
            b.binary(tosa.MaximumOp, x, y),
            b.select(b.binary(tosa.GreaterOp, x, y), x, y),
        ],
        [a, c],
    )
    want = [a + c, a - c, a * c, a / c, np.maximum(a, c), np.where(a > c, a, c)]
    for got, expected in zip(out, want, strict=True):
        assert got.shape == expected.shape
        np.testing.assert_array_equal(
            got.view(np.uint32), expected.astype(F32).view(np.uint32)
        )


@given(shapes, st.data())
def test_layout_ops_move_data_as_numpy(shape: list[int], data: st.DataObject) -> None:
    shape_t = tuple(shape)
    rank = len(shape_t)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    a = _values(rng, shape_t)
    perm = data.draw(st.permutations(list(range(rank))))
    axis = data.draw(st.integers(0, rank - 1))
    start = [data.draw(st.integers(0, d - 1)) for d in shape_t]
    size = [
        data.draw(st.integers(1, d - s)) for d, s in zip(shape_t, start, strict=True)
    ]
    pads = [
        (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))) for _ in shape_t
    ]
    reps = [data.draw(st.integers(1, 3)) for _ in shape_t]
    index = rng.integers(0, shape_t[axis], 3)
    b = TensorBuilder()
    x = b.argument(shape_t, "f32")
    outer = int(np.prod(shape_t[:axis]))
    inner = int(np.prod(shape_t[axis + 1 :]))
    gathered = b.gather(
        b.reshape(x, (outer, shape_t[axis], inner)),
        b.constant(np.broadcast_to(index, (outer, 3)), "i32"),
    )
    out = _run(
        b,
        [
            b.transpose(x, perm),
            b.slice(x, start, size),
            b.concat([x, b.reverse(x, axis)], axis),
            b.pad(x, pads, -1.0),
            b.tile(x, reps),
            b.reshape(x, (-1,)),
            gathered,
        ],
        [a],
    )
    want = [
        a.transpose(perm),
        a[tuple(slice(s, s + n) for s, n in zip(start, size, strict=True))],
        np.concatenate([a, np.flip(a, axis)], axis),
        np.pad(a, pads, constant_values=-1.0),
        np.tile(a, reps),
        a.reshape(-1),
        a.reshape(outer, shape_t[axis], inner)[:, index, :],
    ]
    for got, expected in zip(out, want, strict=True):
        np.testing.assert_array_equal(got, expected)
