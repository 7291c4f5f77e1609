"""Building tensor-level programs in Python: func + TOSA 1.0, with linalg,
tensor and arith where TOSA has no op.

`TensorBuilder` makes one `func.func` from xDSL op objects (never from text),
with a method per op that infers the result type from its operands (the
broadcast, reduction, matmul and layout rules are written here once) and
returns the result, an `SSAValue`:

    b = TensorBuilder("mlp")
    x = b.argument((1, 4, 300), "f16")
    w = b.argument((1, 300, 500), "f16", weight=True)
    h = b.unary(tosa.SigmoidOp, b.matmul(x, w, "f32"))
    module = b.module([h])

Each op gets `b.location`, or, when none is set, the position of the Python
line that called the builder (as `ProgramBuilder` does), so a verifier or
reference error names where the op came from. `with b.at(loc):` sets it for a
stretch (a frontend gives the source node's location).

Element types are named by the numerics spec (`"f32"`, `"i8"`, `"ui8"`, `"i1"`;
`"f64"` too, which the IR holds and the reference does not compute) or given
as xDSL types. Elementwise operands broadcast numpy-style: a lower-rank
operand is reshaped to the result's rank first (TOSA broadcasts only equal
ranks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from math import prod
from pathlib import Path

import numpy as np
from xdsl.dialects import arith, func, tensor
from xdsl.dialects.builtin import (
    AffineMapAttr,
    AnyFloat,
    ArrayAttr,
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    TensorType,
    UnitAttr,
    i32,
)
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.dialects.linalg.ops import YieldOp
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineExpr, AffineMap

from lpuir import numerics, types
from lpuir.builder import caller_location
from lpuir.diagnostics import LpuError
from lpuir.dialects import tosa
from lpuir.dialects.linalg import GenericOp
from lpuir.types import element_type_name

Element = str | Attribute
"""An element type: its numerics name (`f32`, `i8`, `ui8`, `i1`, `f64`) or an xDSL type."""

Shape = tuple[int, ...]

_THIS_FILE = str(Path(__file__))


class BuilderError(LpuError):
    """A tensor op the builder cannot type: shapes that do not broadcast, an
    axis out of range, an element type the op does not take."""


# --------------------------------------------------------------------- types


def element_type(element: Element) -> Attribute:
    """The xDSL type of an element type given by name or as a type."""
    return types.element_type(element) if isinstance(element, str) else element


def tensor_type(shape: Sequence[int], element: Element) -> TensorType[Attribute]:
    """`tensor<shape x element>`."""
    return TensorType(element_type(element), list(shape))


def shape_of(value: SSAValue) -> Shape:
    """The static shape of a tensor value."""
    t = value.type
    if not isinstance(t, TensorType):
        raise BuilderError(f"expected a tensor value, got {t}")
    return tuple(t.get_shape())


def element_of(value: SSAValue) -> Attribute:
    """The element type of a tensor value."""
    t = value.type
    if not isinstance(t, TensorType):
        raise BuilderError(f"expected a tensor value, got {t}")
    return t.get_element_type()


def is_float(element: Element) -> bool:
    return isinstance(element_type(element), AnyFloat)


def broadcast_shapes(*shapes: Sequence[int]) -> Shape:
    """numpy's broadcast of shapes (ranks aligned at the right)."""
    try:
        return tuple(np.broadcast_shapes(*(tuple(s) for s in shapes)))
    except ValueError:
        listed = ", ".join("x".join(map(str, s)) or "scalar" for s in shapes)
        raise BuilderError(f"shapes {listed} do not broadcast") from None


def normalize_axis(axis: int, rank: int) -> int:
    """A possibly negative axis as 0..rank-1."""
    if not -max(rank, 1) <= axis < max(rank, 1):
        raise BuilderError(f"axis {axis} is out of range for rank {rank}")
    return axis % max(rank, 1)


def dense(values: object, t: TensorType[Attribute]) -> DenseIntOrFPElementsAttr:
    """A dense attribute of type `t` from numpy values: floats round to nearest
    even (as MLIR's parser does), integers must fit; one value fills the shape."""
    element = t.get_element_type()
    array = np.asarray(values)
    count = prod(t.get_shape())
    if array.size not in (1, count):
        raise BuilderError(f"{array.size} values do not fill {t}")
    if isinstance(element, IndexType):
        raw = np.asarray(array, np.int64)
    else:
        name = element_type_name(element) if not _is_f64(element) else "f64"
        if name == "f64":
            raw = np.asarray(array, np.float64)
        elif numerics.is_float(name):
            raw = numerics.to_bits(numerics.round_float(array, name), name)
        elif name == "i1":
            raw = (array != 0).astype(np.uint8)
        else:
            raw = numerics.as_carrier(array, name)
    raw = np.ascontiguousarray(raw.reshape(-1)).astype(raw.dtype.newbyteorder("<"))
    if raw.size == 1 and count != 1:
        raw = np.repeat(raw, count)
    return DenseIntOrFPElementsAttr(t, BytesAttr(raw.tobytes()))


def _is_f64(element: Attribute) -> bool:
    return isinstance(element, AnyFloat) and element.bitwidth == 64


def scalar_attr(value: float, element: Attribute) -> IntegerAttr | FloatAttr:
    """A scalar property of an element type (clamp's bounds)."""
    if isinstance(element, AnyFloat):
        return FloatAttr(float(value), element)
    assert isinstance(element, IntegerType)
    return IntegerAttr(int(value), element)


# ------------------------------------------------------------------- builder


class TensorBuilder:
    """One `func.func` of tensor-level IR, built op by op (see the module doc)."""

    def __init__(self, name: str = "main"):
        self.name = name
        self.block = Block()
        self.arg_attrs: list[dict[str, Attribute]] = []
        self.location: Attribute | None = None
        """The location of the ops made next; None: the calling Python line."""
        self._constants: dict[tuple[Attribute, bytes], SSAValue] = {}

    # ------------------------------------------------------------ structure

    def argument(
        self,
        shape: Sequence[int],
        element: Element,
        name: str | None = None,
        *,
        weight: bool = False,
    ) -> SSAValue:
        """A new function argument; `weight` marks it `{lpu.weight}` (resident
        weights without values, for timing studies)."""
        arg = self.block.insert_arg(tensor_type(shape, element), len(self.block.args))
        if name:
            arg.name_hint = name
        self.arg_attrs.append({"lpu.weight": UnitAttr()} if weight else {})
        return arg

    @contextmanager
    def at(self, location: Attribute) -> Iterator[None]:
        """Ops made inside the block get `location`."""
        saved, self.location = self.location, location
        try:
            yield
        finally:
            self.location = saved

    def insert(self, op: Operation) -> Operation:
        """Append an op to the function's body, located."""
        op.location = (
            self.location if self.location is not None else caller_location(_THIS_FILE)
        )
        self.block.add_op(op)
        return op

    def _result(self, op: Operation) -> SSAValue:
        return self.insert(op).results[0]

    def function(
        self, results: Sequence[SSAValue], *, visibility: str | None = None
    ) -> func.FuncOp:
        """The function returning `results` (the builder is done with it)."""
        self.insert(func.ReturnOp(*results))
        arg_attrs = (
            ArrayAttr([DictionaryAttr(a) for a in self.arg_attrs])
            if any(self.arg_attrs)
            else None
        )
        return func.FuncOp(
            self.name,
            ([a.type for a in self.block.args], [r.type for r in results]),
            Region(self.block),
            visibility,
            arg_attrs=arg_attrs,
        )

    def module(self, results: Sequence[SSAValue]) -> ModuleOp:
        """A module holding the function."""
        return ModuleOp([self.function(results)])

    # ------------------------------------------------------------ constants

    def constant(
        self, values: object, element: Element, shape: Sequence[int] | None = None
    ) -> SSAValue:
        """A `tosa.const` of `values` (one value fills `shape`), shared by content."""
        t = tensor_type(np.shape(values) if shape is None else shape, element)
        attr = dense(values, t)
        key = (t, attr.data.data)
        if key not in self._constants:
            self._constants[key] = self._result(tosa.ConstOp(attr))
        return self._constants[key]

    def scalar(self, value: float, element: Element) -> SSAValue:
        """A rank-0 constant: it broadcasts against any operand without
        raising the result's rank."""
        return self.constant(value, element, ())

    def const_shape(self, dims: Sequence[int]) -> SSAValue:
        """A `tosa.const_shape`: the shape, start, size or padding operand of
        the TOSA 1.0 layout ops."""
        n = len(dims)
        attr = dense(list(dims), TensorType(IndexType(), [n]))
        key = (attr.type, attr.data.data)
        if key not in self._constants:
            op = tosa.ConstShapeOp.create(
                properties={"values": attr}, result_types=[tosa.ShapeType(n)]
            )
            self._constants[key] = self._result(op)
        return self._constants[key]

    def zero_point(self, element: Element, value: int = 0) -> SSAValue:
        """A `tensor<1xelement>` zero point (or shift) operand."""
        return self.constant(value, element, (1,))

    # ---------------------------------------------------------- elementwise

    def ranked(self, values: Sequence[SSAValue]) -> list[SSAValue]:
        """Values reshaped to the highest rank among them (1s in front), as
        TOSA's broadcast wants equal ranks."""
        rank = max(len(shape_of(v)) for v in values)
        return [
            self.reshape(v, (1,) * (rank - len(shape_of(v))) + shape_of(v))
            for v in values
        ]

    def _broadcast(self, values: Sequence[SSAValue]) -> tuple[list[SSAValue], Shape]:
        ranked = self.ranked(values)
        return ranked, broadcast_shapes(*(shape_of(v) for v in ranked))

    def binary(
        self,
        op_type: type[tosa.ElementwiseBinaryOperation],
        a: SSAValue,
        b: SSAValue,
        **properties: Attribute,
    ) -> SSAValue:
        """A TOSA binary op (add, sub, maximum, equal, logical_and, ...):
        operands of one element type, broadcast; an i1 result for comparisons."""
        (a, b), shape = self._broadcast([a, b])
        element = IntegerType(1) if op_type.BOOL_RESULT else element_of(a)
        return self._result(
            op_type(
                operands=[a, b],
                result_types=[tensor_type(shape, element)],
                properties=properties,
            )
        )

    def add(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.binary(tosa.AddOp, a, b)

    def sub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.binary(tosa.SubOp, a, b)

    def tosa_mul(self, a: SSAValue, b: SSAValue, shift: int = 0) -> SSAValue:
        """`tosa.mul` as TOSA types it: integers multiply into i32, rounded
        right by `shift` bits."""
        (a, b), shape = self._broadcast([a, b])
        element = element_of(a)
        result = element if is_float(element) else IntegerType(32)
        return self._result(
            tosa.MulOp(
                operands=[a, b, self.zero_point("i8", shift)],
                result_types=[tensor_type(shape, result)],
            )
        )

    def mul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        """a * b in their element type (integers wrap): `tosa.mul`, whose
        integer product is i32, cast back for narrower integers; 64-bit
        integers in a linalg.generic (TOSA has no 64-bit multiply)."""
        element = element_of(a)
        if is_float(element):
            return self.tosa_mul(a, b)
        assert isinstance(element, IntegerType)
        if element.width.data > 32:
            return self.elementwise(arith.MuliOp, [a, b])
        return self.cast(self.tosa_mul(a, b), element)

    def div(self, a: SSAValue, b: SSAValue) -> SSAValue:
        """a / b: integers `tosa.intdiv` (toward zero); floats an IEEE division
        in a linalg.generic (TOSA has no float division)."""
        if is_float(element_of(a)):
            return self.elementwise(arith.DivfOp, [a, b])
        return self.binary(tosa.IntDivOp, a, b)

    def unary(self, op_type: type[Operation], x: SSAValue) -> SSAValue:
        """A TOSA unary op of one operand (exp, abs, sigmoid, logical_not, ...)."""
        return self._result(op_type(operands=[x], result_types=[x.type]))

    def negate(self, x: SSAValue) -> SSAValue:
        """-x (`tosa.negate` with zero points 0)."""
        zp = self.zero_point(element_of(x))
        return self._result(tosa.NegateOp(operands=[x, zp, zp], result_types=[x.type]))

    def clamp(self, x: SSAValue, low: float, high: float) -> SSAValue:
        """x limited to [low, high] (`tosa.clamp`; NaN propagates)."""
        element = element_of(x)
        return self._result(
            tosa.ClampOp(
                operands=[x],
                result_types=[x.type],
                properties={
                    "min_val": scalar_attr(low, element),
                    "max_val": scalar_attr(high, element),
                },
            )
        )

    def select(self, condition: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        """a where `condition` (i1) holds, else b, all broadcast."""
        values, shape = self._broadcast([condition, a, b])
        return self._result(
            tosa.SelectOp(
                operands=values,
                result_types=[tensor_type(shape, element_of(values[1]))],
            )
        )

    def cast(self, x: SSAValue, element: Element) -> SSAValue:
        """x converted to `element` (`tosa.cast`: float->int rounds to nearest
        even and saturates, int->int keeps the low bits); x itself if it has it."""
        target = element_type(element)
        if element_of(x) == target:
            return x
        return self._result(
            tosa.CastOp(operands=[x], result_types=[tensor_type(shape_of(x), target)])
        )

    def elementwise(
        self,
        scalar_op: type[Operation],
        operands: Sequence[SSAValue],
        result_element: Element | None = None,
    ) -> SSAValue:
        """An elementwise op TOSA lacks, as a `linalg.generic` whose body is one
        arith or math op (`scalar_op(*scalars)`, e.g. arith.DivfOp,
        math.SqrtOp); operands broadcast through the indexing maps."""
        values = self.ranked(operands)
        shape = broadcast_shapes(*(shape_of(v) for v in values))
        element = (
            element_of(values[0])
            if result_element is None
            else element_type(result_element)
        )
        out_type = tensor_type(shape, element)
        init = self._result(tensor.EmptyOp((), out_type))
        body = Block(arg_types=[*(element_of(v) for v in values), element])
        scalar = scalar_op(*body.args[: len(values)])
        yield_op = YieldOp(scalar.results[0])
        for op in (scalar, yield_op):
            body.add_op(op)
            op.location = init.owner.location
        maps = [_broadcast_map(shape_of(v), shape) for v in values]
        maps.append(AffineMap.identity(len(shape)))
        return self._result(
            GenericOp(
                values,
                [init],
                Region(body),
                [AffineMapAttr(m) for m in maps],
                [IteratorTypeAttr.parallel()] * len(shape),
                [out_type],
            )
        )

    # ----------------------------------------------------------- reductions

    def reduce(
        self, op_type: type[tosa.ReductionOperation], x: SSAValue, axis: int
    ) -> SSAValue:
        """A TOSA reduction (reduce_sum, reduce_max, ...) of `axis`, which stays
        with size 1."""
        shape = list(shape_of(x))
        axis = normalize_axis(axis, len(shape))
        shape[axis] = 1
        return self._result(
            op_type(
                operands=[x],
                result_types=[tensor_type(shape, element_of(x))],
                properties={"axis": IntegerAttr(axis, i32)},
            )
        )

    def argmax(self, x: SSAValue, axis: int, element: Element = "i32") -> SSAValue:
        """The index of the first maximum along `axis`, which leaves the shape."""
        shape = list(shape_of(x))
        axis = normalize_axis(axis, len(shape))
        del shape[axis]
        return self._result(
            tosa.ArgMaxOp(
                operands=[x],
                result_types=[tensor_type(shape, element)],
                properties={"axis": IntegerAttr(axis, i32)},
            )
        )

    # ---------------------------------------------------------------- matmul

    def matmul(
        self,
        a: SSAValue,
        b: SSAValue,
        result_element: Element | None = None,
        a_zp: SSAValue | int = 0,
        b_zp: SSAValue | int = 0,
    ) -> SSAValue:
        """[N,H,C] x [N,C,W] -> [N,H,W] (`tosa.matmul`) into `result_element`
        (default: the first accumulator TOSA allows: i32 for i8, f16 for f16,
        f32 for bf16 and f32); zero points are values or constants."""
        (n, h, c), (nb, cb, w) = _rank3(a, "a"), _rank3(b, "b")
        if n != nb or c != cb:
            raise BuilderError(
                f"cannot multiply {_dims(shape_of(a))} by {_dims(shape_of(b))}"
            )
        element = element_of(a)
        allowed = tosa.MATMUL_ACCUMULATORS.get(element)
        if allowed is None:
            raise BuilderError(f"tosa.matmul does not multiply {element}")
        result = allowed[0] if result_element is None else element_type(result_element)
        zps = [
            zp if isinstance(zp, SSAValue) else self.zero_point(element, zp)
            for zp in (a_zp, b_zp)
        ]
        return self._result(
            tosa.MatMulOp(
                operands=[a, b, *zps], result_types=[tensor_type((n, h, w), result)]
            )
        )

    # ---------------------------------------------------------------- layout

    def reshape(self, x: SSAValue, shape: Sequence[int]) -> SSAValue:
        """The same elements under `shape` (one -1 takes what is left); x
        itself when the shape is its own."""
        shape = _infer_shape(shape_of(x), shape)
        if shape == shape_of(x):
            return x
        return self._result(
            tosa.ReshapeOp(
                operands=[x, self.const_shape(shape)],
                result_types=[tensor_type(shape, element_of(x))],
            )
        )

    def transpose(self, x: SSAValue, perms: Sequence[int]) -> SSAValue:
        """Result dimension i is x's dimension perms[i]."""
        shape = shape_of(x)
        if sorted(perms) != list(range(len(shape))):
            raise BuilderError(
                f"{list(perms)} is not a permutation of {len(shape)} axes"
            )
        if list(perms) == sorted(perms):
            return x
        return self._result(
            tosa.TransposeOp(
                operands=[x],
                result_types=[tensor_type([shape[p] for p in perms], element_of(x))],
                properties={"perms": DenseArrayBase.from_list(i32, list(perms))},
            )
        )

    def slice(self, x: SSAValue, start: Sequence[int], size: Sequence[int]) -> SSAValue:
        """The block of `size` elements from `start`; x itself when it is all of x."""
        shape = shape_of(x)
        if (
            len(start) != len(shape)
            or len(size) != len(shape)
            or any(
                s < 0 or n < 0 or s + n > d
                for s, n, d in zip(start, size, shape, strict=True)
            )
        ):
            raise BuilderError(
                f"slice start {list(start)} size {list(size)} is out of bounds of {_dims(shape)}"
            )
        if tuple(size) == shape:
            return x
        return self._result(
            tosa.SliceOp(
                operands=[x, self.const_shape(start), self.const_shape(size)],
                result_types=[tensor_type(size, element_of(x))],
            )
        )

    def concat(self, values: Sequence[SSAValue], axis: int) -> SSAValue:
        """`values` joined along `axis`."""
        first = shape_of(values[0])
        axis = normalize_axis(axis, len(first))
        if len(values) == 1:
            return values[0]
        shape = list(first)
        shape[axis] = sum(shape_of(v)[axis] for v in values)
        return self._result(
            tosa.ConcatOp(
                operands=[list(values)],
                result_types=[tensor_type(shape, element_of(values[0]))],
                properties={"axis": IntegerAttr(axis, i32)},
            )
        )

    def pad(
        self,
        x: SSAValue,
        padding: Sequence[tuple[int, int]],
        value: float | SSAValue = 0,
    ) -> SSAValue:
        """x surrounded by `value` (a number, or a one-element tensor value):
        (before, after) per dimension."""
        shape = [d + lo + hi for d, (lo, hi) in zip(shape_of(x), padding, strict=True)]
        if all(p == (0, 0) for p in padding):
            return x
        element = element_of(x)
        return self._result(
            tosa.PadOp(
                operands=[
                    x,
                    self.const_shape([p for pair in padding for p in pair]),
                    self.reshape(value, (1,))
                    if isinstance(value, SSAValue)
                    else self.constant(value, element, (1,)),
                ],
                result_types=[tensor_type(shape, element)],
            )
        )

    def tile(self, x: SSAValue, multiples: Sequence[int]) -> SSAValue:
        """x repeated multiples[i] times along each dimension i."""
        if all(m == 1 for m in multiples):
            return x
        shape = [d * m for d, m in zip(shape_of(x), multiples, strict=True)]
        return self._result(
            tosa.TileOp(
                operands=[x, self.const_shape(multiples)],
                result_types=[tensor_type(shape, element_of(x))],
            )
        )

    def broadcast_to(self, x: SSAValue, shape: Sequence[int]) -> SSAValue:
        """x (reshaped to the rank of `shape`) tiled along its 1-dimensions."""
        x = self.reshape(x, (1,) * (len(shape) - len(shape_of(x))) + shape_of(x))
        if broadcast_shapes(shape_of(x), shape) != tuple(shape):
            raise BuilderError(
                f"cannot broadcast {_dims(shape_of(x))} to {_dims(shape)}"
            )
        return self.tile(
            x, [t if d == 1 else 1 for d, t in zip(shape_of(x), shape, strict=True)]
        )

    def reverse(self, x: SSAValue, axis: int) -> SSAValue:
        """x with `axis` reversed."""
        return self._result(
            tosa.ReverseOp(
                operands=[x],
                result_types=[x.type],
                properties={
                    "axis": IntegerAttr(normalize_axis(axis, len(shape_of(x))), i32)
                },
            )
        )

    def gather(self, values: SSAValue, indices: SSAValue) -> SSAValue:
        """[N,K,C] values and [N,W] i32 indices -> [N,W,C] (`tosa.gather`)."""
        (n, _, c), (_, w) = _rank3(values, "values"), shape_of(indices)
        return self._result(
            tosa.GatherOp(
                operands=[values, indices],
                result_types=[tensor_type((n, w, c), element_of(values))],
            )
        )


def _dims(shape: Sequence[int]) -> str:
    return "x".join(map(str, shape)) or "scalar"


def _rank3(value: SSAValue, what: str) -> Shape:
    shape = shape_of(value)
    if len(shape) != 3:
        raise BuilderError(f"{what} must be of rank 3, got {_dims(shape)}")
    return shape


def _infer_shape(source: Shape, shape: Sequence[int]) -> Shape:
    """`shape` with its one -1 filled in so that it holds `source`'s elements."""
    known = prod(d for d in shape if d != -1)
    if list(shape).count(-1) > 1 or any(d < -1 for d in shape):
        raise BuilderError(f"{list(shape)} is not a shape")
    if -1 in shape:
        if known == 0 or prod(source) % known:
            raise BuilderError(f"cannot reshape {_dims(source)} into {list(shape)}")
        shape = [prod(source) // known if d == -1 else d for d in shape]
    if prod(shape) != prod(source):
        raise BuilderError(f"cannot reshape {_dims(source)} into {_dims(shape)}")
    return tuple(shape)


def _broadcast_map(shape: Shape, result: Shape) -> AffineMap:
    """The indexing map reading an operand of `shape` (the result's rank)
    over the result's iteration space: broadcast dimensions read index 0."""
    exprs: list[AffineExpr] = [
        AffineConstantExpr(0) if d == 1 and r != 1 else AffineDimExpr(i)
        for i, (d, r) in enumerate(zip(shape, result, strict=True))
    ]
    return AffineMap(len(result), 0, tuple(exprs))
