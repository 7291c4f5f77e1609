"""linalg on tensors as upstream MLIR prints it today.

xDSL 0.74's linalg has the generic op and a few named ops. `LINALG` keeps its
ops that are right and adds what frontends emit: the contractions
(`batch_matmul`, `matvec`, `vecmat`, `batch_matvec`, `batch_vecmat`, `dot`,
`batch_reduce_matmul`, `mmt4d`, `matmul_transpose_a/b`, `contract`), more
elementwise ops (`negf`, `abs`, `ceil`, `floor`, `div`, `div_unsigned`,
`erf`, `tanh`, `reciprocal`, `round`, `rsqrt`, `square`, `powf` and
`linalg.elementwise`), `softmax`, `map`, `reduce` with several operands and
the short form `{ arith.addf }`, `pack` and `unpack`, depthwise convolution
and pooling. It also replaces three stock ops: `generic` (several results,
`-> (T1, T2)`), `matmul` (mixed element types, i8 x i8 -> i32: the body
casts the operands to the result type as upstream's does; explicit
`indexing_maps`) and `reduce`.

Each contraction's hidden body is `out + cast(a) * cast(b)`; the reference
interpreter multiplies them on the MXM (docs/numerics.md, "Contractions").
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable, Sequence
from typing import ClassVar, Self

from xdsl.builder import Builder
from xdsl.dialects import arith, math
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    I64,
    AnyFloat,
    ArrayAttr,
    DenseArrayBase,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    ShapedType,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.dialects.linalg import ops as stock
from xdsl.dialects.linalg.abstract_ops import (
    ElementwiseOperation,
    NamedOperation,
    PoolingOperation,
)
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.ir import (
    Attribute,
    Block,
    BlockArgument,
    Dialect,
    Operation,
    ParametrizedAttribute,
    Region,
    SSAValue,
)
from xdsl.ir.affine import AffineDimExpr, AffineMap
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import AttrParser, Parser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

# --------------------------------------------------------------------------- #
# Bodies
# --------------------------------------------------------------------------- #


def element_type(t: Attribute) -> Attribute:
    """The element type of a shaped type, or the type itself (a scalar)."""
    return t.get_element_type() if isinstance(t, ShapedType) else t


def cast_to(value: SSAValue, target: Attribute) -> SSAValue:
    """`value` converted to `target` as upstream's `cast_signed` does (sign
    extension, truncation, sitofp, fptosi, extf, truncf)."""
    source = value.type
    if source == target:
        return value
    if isinstance(source, IntegerType) and isinstance(target, IntegerType):
        wider = target.width.data > source.width.data
        return (arith.ExtSIOp if wider else arith.TruncIOp)(value, target).result
    if isinstance(source, IntegerType):
        return arith.SIToFPOp(value, target).result
    if isinstance(target, IntegerType):
        return arith.FPToSIOp(value, target).result
    assert isinstance(source, AnyFloat) and isinstance(target, AnyFloat)
    if target.bitwidth > source.bitwidth:
        return arith.ExtFOp(value, target).result
    return arith.TruncFOp(value, target).result


def add(a: SSAValue, b: SSAValue) -> SSAValue:
    return (arith.AddfOp if isinstance(a.type, AnyFloat) else arith.AddiOp)(a, b).result


def mul(a: SSAValue, b: SSAValue) -> SSAValue:
    return (arith.MulfOp if isinstance(a.type, AnyFloat) else arith.MuliOp)(a, b).result


def contraction_region(operands: Sequence[SSAValue]) -> Region:
    """`out + cast(a) * cast(b)`, the operands cast to the output's type."""
    arg_types = NamedOperation.body_arg_types(operands)

    @Builder.implicit_region(arg_types)
    def body(args: tuple[BlockArgument, ...]) -> None:
        out = arg_types[-1]
        product = mul(cast_to(args[0], out), cast_to(args[1], out))
        stock.YieldOp(add(args[2], product))

    return body


def unary_region(
    operands: Sequence[SSAValue], make: Callable[[SSAValue], SSAValue]
) -> Region:
    """`make(input)`, cast to the output's type."""
    arg_types = NamedOperation.body_arg_types(operands)

    @Builder.implicit_region(arg_types)
    def body(args: tuple[BlockArgument, ...]) -> None:
        stock.YieldOp(cast_to(make(args[0]), arg_types[-1]))

    return body


def binary_region(
    operands: Sequence[SSAValue], make: Callable[[SSAValue, SSAValue], SSAValue]
) -> Region:
    arg_types = NamedOperation.body_arg_types(operands)

    @Builder.implicit_region(arg_types)
    def body(args: tuple[BlockArgument, ...]) -> None:
        out = arg_types[-1]
        stock.YieldOp(make(cast_to(args[0], out), cast_to(args[1], out)))

    return body


def _iterators(kinds: str) -> ArrayAttr[IteratorTypeAttr]:
    return ArrayAttr(
        IteratorTypeAttr.parallel() if k == "p" else IteratorTypeAttr.reduction()
        for k in kinds
    )


# --------------------------------------------------------------------------- #
# linalg.generic with several results
# --------------------------------------------------------------------------- #


class GenericOp(stock.GenericOp):
    """The stock op (its definition inherited, not redefined), also reading
    `-> (T1, T2)` (xDSL 0.74 reads a list of result types only without
    parentheses, so `(T1, T2)` parses as the start of a function type)."""

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        results: list[Attribute] = []
        real = parser.parse_region
        depth = [0]

        def parse_region(*args: object, **kwargs: object) -> Region:
            depth[0] += 1
            try:
                region = real(*args, **kwargs)  # pyright: ignore[reportArgumentType]
            finally:
                depth[0] -= 1
            if depth[0] == 0 and parser.parse_optional_punctuation("->"):
                results.extend(
                    parser.parse_optional_comma_separated_list(
                        Parser.Delimiter.PAREN, parser.parse_type
                    )
                    or [parser.parse_type()]
                )
            return region

        parser.parse_region = parse_region  # pyright: ignore[reportAttributeAccessIssue]
        try:
            op = super().parse(parser)
        finally:
            del parser.parse_region
        if not results:
            return op
        generic = cls(
            list(op.inputs),
            list(op.outputs),
            op.detach_region(op.body),
            op.indexing_maps,
            op.iterator_types,
            results,
            op.doc,
            op.library_call,
        )
        generic.attributes |= op.attributes
        op.erase(safe_erase=False)
        return generic


# --------------------------------------------------------------------------- #
# Contractions
# --------------------------------------------------------------------------- #


def _map(num_dims: int, fn: Callable[..., tuple[object, ...]]) -> AffineMap:
    return AffineMap(num_dims, 0, tuple(fn(*map(AffineDimExpr, range(num_dims)))))  # pyright: ignore[reportArgumentType]


class ContractionOperation(NamedOperation, ABC):
    """A named op whose body is `out + cast(a) * cast(b)` over fixed maps;
    upstream's newer `indexing_maps = [...]` (before `ins`) overrides them."""

    PRINT_ATTRS_IN_FRONT: ClassVar[bool] = True
    MAPS: ClassVar[tuple[AffineMap, ...]]
    ITERATORS: ClassVar[str]

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        maps = None
        if parser.parse_optional_keyword("indexing_maps") is not None:
            parser.parse_punctuation("=")
            maps = parser.parse_attribute()
        op = super().parse(parser)
        if maps is not None:
            if not isinstance(maps, ArrayAttr):
                parser.raise_error("indexing_maps must be an array of affine maps")
            op.attributes["indexing_maps"] = maps
        return op

    def print(self, printer: Printer) -> None:
        if "indexing_maps" in self.attributes:
            printer.print_string(" indexing_maps = ")
            printer.print_attribute(self.attributes["indexing_maps"])
        super().print(printer)

    @classmethod
    def get_hidden_region(
        cls, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue]
    ) -> Region:
        return contraction_region((*inputs, *outputs))

    def get_default_indexing_maps(self) -> Sequence[AffineMap]:
        explicit = self.attributes.get("indexing_maps") or self.properties.get(
            "indexing_maps"
        )
        if isinstance(explicit, ArrayAttr):
            return tuple(m.data for m in explicit.data)  # pyright: ignore
        return self.MAPS

    def get_iterator_types(self) -> ArrayAttr[IteratorTypeAttr]:
        return _iterators(self.ITERATORS)


def _contraction(
    name: str, dims: int, iterators: str, *maps: Callable[..., tuple[object, ...]]
) -> type[ContractionOperation]:
    cls = type(
        "".join(p.capitalize() for p in name.split("_")) + "Op",
        (ContractionOperation,),
        {
            "name": f"linalg.{name}",
            "MAPS": tuple(_map(dims, m) for m in maps),
            "ITERATORS": iterators,
            "__annotations__": {"MAPS": "ClassVar", "ITERATORS": "ClassVar"},
            "__module__": __name__,
            "__doc__": f"linalg.{name}: out += a * b over its fixed maps.",
        },
    )
    return irdl_op_definition(cls)


MatmulOp = _contraction(
    "matmul",
    3,
    "ppr",
    lambda m, n, k: (m, k),
    lambda m, n, k: (k, n),
    lambda m, n, k: (m, n),
)
MatmulTransposeAOp = _contraction(
    "matmul_transpose_a",
    3,
    "ppr",
    lambda m, n, k: (k, m),
    lambda m, n, k: (k, n),
    lambda m, n, k: (m, n),
)
MatmulTransposeBOp = _contraction(
    "matmul_transpose_b",
    3,
    "ppr",
    lambda m, n, k: (m, k),
    lambda m, n, k: (n, k),
    lambda m, n, k: (m, n),
)
BatchMatmulOp = _contraction(
    "batch_matmul",
    4,
    "pppr",
    lambda b, m, n, k: (b, m, k),
    lambda b, m, n, k: (b, k, n),
    lambda b, m, n, k: (b, m, n),
)
BatchReduceMatmulOp = _contraction(
    "batch_reduce_matmul",
    4,
    "rppr",
    lambda b, m, n, k: (b, m, k),
    lambda b, m, n, k: (b, k, n),
    lambda b, m, n, k: (m, n),
)
MatvecOp = _contraction(
    "matvec", 2, "pr", lambda m, k: (m, k), lambda m, k: (k,), lambda m, k: (m,)
)
VecmatOp = _contraction(
    "vecmat", 2, "pr", lambda n, k: (k,), lambda n, k: (k, n), lambda n, k: (n,)
)
BatchMatvecOp = _contraction(
    "batch_matvec",
    3,
    "ppr",
    lambda b, m, k: (b, m, k),
    lambda b, m, k: (b, k),
    lambda b, m, k: (b, m),
)
BatchVecmatOp = _contraction(
    "batch_vecmat",
    3,
    "ppr",
    lambda b, n, k: (b, k),
    lambda b, n, k: (b, k, n),
    lambda b, n, k: (b, n),
)
DotOp = _contraction("dot", 1, "r", lambda k: (k,), lambda k: (k,), lambda k: ())
Mmt4dOp = _contraction(
    "mmt4d",
    6,
    "pprppr",
    lambda m, n, k, m0, n0, k0: (m, k, m0, k0),
    lambda m, n, k, m0, n0, k0: (n, k, n0, k0),
    lambda m, n, k, m0, n0, k0: (m, n, m0, n0),
)


@irdl_op_definition
class ContractOp(ContractionOperation):
    """linalg.contract: out += a * b over the `indexing_maps` given; a loop is
    a reduction when the output's map does not use it."""

    name = "linalg.contract"

    MAPS: ClassVar[tuple[AffineMap, ...]] = ()

    def get_iterator_types(self) -> ArrayAttr[IteratorTypeAttr]:
        maps = self.get_default_indexing_maps()
        used = {e.position for e in maps[-1].results if isinstance(e, AffineDimExpr)}
        return _iterators(
            "".join("p" if d in used else "r" for d in range(maps[0].num_dims))
        )

    def verify_(self) -> None:
        if not self.get_default_indexing_maps():
            raise VerifyException("'linalg.contract' op expects indexing_maps")
        super().verify_()


# --------------------------------------------------------------------------- #
# Convolutions and pooling beyond the stock ones
# --------------------------------------------------------------------------- #


@irdl_op_definition
class DepthwiseConv2DNhwcHwcOp(PoolingOperation):
    """out[n, oh, ow, c] += in[n, oh*s + kh*d, ow*s + kw*d, c] * w[kh, kw, c]."""

    name = "linalg.depthwise_conv_2d_nhwc_hwc"

    @classmethod
    def get_hidden_region(
        cls, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue]
    ) -> Region:
        return contraction_region((*inputs, *outputs))

    def get_default_indexing_maps(self) -> Sequence[AffineMap]:
        (sh, sw), (dh, dw) = self.strides.get_values(), self.dilations.get_values()
        return (
            _map(
                6,
                lambda n, oh, ow, c, kh, kw: (
                    n,
                    oh * sh + kh * dh,
                    ow * sw + kw * dw,
                    c,
                ),
            ),
            _map(6, lambda n, oh, ow, c, kh, kw: (kh, kw, c)),
            _map(6, lambda n, oh, ow, c, kh, kw: (n, oh, ow, c)),
        )


class _NhwcPooling(PoolingOperation, ABC):
    """out[n, oh, ow, c] = combine(out, in[n, oh*s + kh*d, ow*s + kw*d, c])
    over a window whose shape is the second input's."""

    COMBINE: ClassVar[Callable[[SSAValue, SSAValue], SSAValue]]

    @classmethod
    def get_hidden_region(
        cls, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue]
    ) -> Region:
        arg_types = cls.body_arg_types((*inputs, *outputs))

        @Builder.implicit_region(arg_types)
        def body(args: tuple[BlockArgument, ...]) -> None:
            stock.YieldOp(cls.COMBINE(args[2], cast_to(args[0], arg_types[-1])))

        return body

    def get_default_indexing_maps(self) -> Sequence[AffineMap]:
        (sh, sw), (dh, dw) = self.strides.get_values(), self.dilations.get_values()
        return (
            _map(
                6,
                lambda n, oh, ow, c, kh, kw: (
                    n,
                    oh * sh + kh * dh,
                    ow * sw + kw * dw,
                    c,
                ),
            ),
            _map(6, lambda n, oh, ow, c, kh, kw: (kh, kw)),
            _map(6, lambda n, oh, ow, c, kh, kw: (n, oh, ow, c)),
        )


def _max(a: SSAValue, b: SSAValue) -> SSAValue:
    return (arith.MaximumfOp if isinstance(a.type, AnyFloat) else arith.MaxSIOp)(
        a, b
    ).result


def _min(a: SSAValue, b: SSAValue) -> SSAValue:
    return (arith.MinimumfOp if isinstance(a.type, AnyFloat) else arith.MinSIOp)(
        a, b
    ).result


@irdl_op_definition
class PoolingNhwcSumOp(_NhwcPooling):
    name = "linalg.pooling_nhwc_sum"
    COMBINE: ClassVar = staticmethod(add)


@irdl_op_definition
class PoolingNhwcMaxOp(_NhwcPooling):
    name = "linalg.pooling_nhwc_max"
    COMBINE: ClassVar = staticmethod(_max)


@irdl_op_definition
class PoolingNhwcMinOp(_NhwcPooling):
    name = "linalg.pooling_nhwc_min"
    COMBINE: ClassVar = staticmethod(_min)


# --------------------------------------------------------------------------- #
# Elementwise named ops
# --------------------------------------------------------------------------- #


def _float_one(t: Attribute) -> SSAValue:
    assert isinstance(t, AnyFloat)
    return arith.ConstantOp(FloatAttr(1.0, t)).result


UNARY_BODIES: dict[str, Callable[[SSAValue], SSAValue]] = {
    "negf": lambda x: arith.NegfOp(x).result,
    "abs": lambda x: (
        (math.AbsFOp(x) if isinstance(x.type, AnyFloat) else math.AbsIOp(x)).result
    ),
    "ceil": lambda x: math.CeilOp(x).result,
    "floor": lambda x: math.FloorOp(x).result,
    "erf": lambda x: math.ErfOp(x).result,
    "tanh": lambda x: math.TanhOp(x).result,
    "round": lambda x: math.RoundOp(x).result,
    "rsqrt": lambda x: math.RsqrtOp(x).result,
    "sqrt": lambda x: math.SqrtOp(x).result,
    "exp": lambda x: math.ExpOp(x).result,
    "log": lambda x: math.LogOp(x).result,
    "reciprocal": lambda x: arith.DivfOp(_float_one(x.type), x).result,
    "square": lambda x: mul(x, x),
}
"""Bodies of the one-input elementwise ops (and of linalg.elementwise)."""


def _div(a: SSAValue, b: SSAValue) -> SSAValue:
    return (arith.DivfOp if isinstance(a.type, AnyFloat) else arith.DivSIOp)(
        a, b
    ).result


def _sub(a: SSAValue, b: SSAValue) -> SSAValue:
    return (arith.SubfOp if isinstance(a.type, AnyFloat) else arith.SubiOp)(a, b).result


BINARY_BODIES: dict[str, Callable[[SSAValue, SSAValue], SSAValue]] = {
    "add": add,
    "sub": _sub,
    "mul": mul,
    "div": _div,
    "div_unsigned": lambda a, b: arith.DivUIOp(a, b).result,
    "max_signed": _max,
    "min_signed": _min,
    "powf": lambda a, b: math.PowFOp(a, b).result,
}


class _UnaryOperation(ElementwiseOperation, ABC):
    BODY: ClassVar[str]

    @classmethod
    def get_hidden_region(
        cls, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue]
    ) -> Region:
        return unary_region((*inputs, *outputs), UNARY_BODIES[cls.BODY])


class _BinaryOperation(ElementwiseOperation, ABC):
    BODY: ClassVar[str]

    @classmethod
    def get_hidden_region(
        cls, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue]
    ) -> Region:
        return binary_region((*inputs, *outputs), BINARY_BODIES[cls.BODY])


def _elementwise(name: str, base: type) -> type:
    cls = type(
        "".join(p.capitalize() for p in name.split("_")) + "Op",
        (base,),
        {
            "name": f"linalg.{name}",
            "BODY": name,
            "__annotations__": {"BODY": "ClassVar"},
            "__module__": __name__,
            "__doc__": f"linalg.{name}.",
        },
    )
    return irdl_op_definition(cls)


NegfOp = _elementwise("negf", _UnaryOperation)
AbsOp = _elementwise("abs", _UnaryOperation)
CeilOp = _elementwise("ceil", _UnaryOperation)
FloorOp = _elementwise("floor", _UnaryOperation)
ErfOp = _elementwise("erf", _UnaryOperation)
TanhOp = _elementwise("tanh", _UnaryOperation)
RoundOp = _elementwise("round", _UnaryOperation)
RsqrtOp = _elementwise("rsqrt", _UnaryOperation)
ReciprocalOp = _elementwise("reciprocal", _UnaryOperation)
SquareOp = _elementwise("square", _UnaryOperation)
DivOp = _elementwise("div", _BinaryOperation)
DivUnsignedOp = _elementwise("div_unsigned", _BinaryOperation)
PowfOp = _elementwise("powf", _BinaryOperation)


@irdl_attr_definition
class ElementwiseKindAttr(ParametrizedAttribute):
    """`#linalg.elementwise_kind<exp>`: what linalg.elementwise computes."""

    name = "linalg.elementwise_kind"

    kind: StringAttr

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string(self.kind.data)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[StringAttr]:
        with parser.in_angle_brackets():
            return (StringAttr(parser.parse_identifier()),)

    def verify(self) -> None:
        if self.kind.data not in UNARY_BODIES | BINARY_BODIES | {"select": None}:
            raise VerifyException(
                f"unknown elementwise kind '{self.kind.data}' (known: {', '.join(sorted(UNARY_BODIES | BINARY_BODIES))}, select)"
            )


@irdl_op_definition
class ElementwiseOp(NamedOperation):
    """linalg.elementwise kind=#linalg.elementwise_kind<K>
    [indexing_maps = [...]] ins(...) outs(...): one op per element."""

    name = "linalg.elementwise"

    kind = prop_def(ElementwiseKindAttr)

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        parser.parse_keyword("kind")
        parser.parse_punctuation("=")
        kind = parser.parse_attribute()
        if not isinstance(kind, ElementwiseKindAttr):
            parser.raise_error(f"expected an #linalg.elementwise_kind, got {kind}")
        maps = None
        if parser.parse_optional_keyword("indexing_maps") is not None:
            parser.parse_punctuation("=")
            maps = parser.parse_attribute()
        pos = parser.pos
        ins = cls._parse_operands(parser, "ins")
        outs = cls._parse_operands(parser, "outs")
        result_types: list[Attribute] = []
        if parser.parse_optional_punctuation("->"):
            result_types = parser.parse_optional_comma_separated_list(
                Parser.Delimiter.PAREN, parser.parse_type
            ) or [parser.parse_type()]
        if not outs:
            parser.raise_error("linalg.elementwise needs outs(...)", pos)
        op = cls.build(
            operands=(ins, outs),
            result_types=(result_types,),
            properties={"kind": kind},
            regions=(cls.region_for(kind.kind.data, ins, outs),),
        )
        if maps is not None:
            op.attributes["indexing_maps"] = maps
        return op

    @staticmethod
    def _parse_operands(parser: Parser, keyword: str) -> Sequence[SSAValue]:
        pos = parser.pos
        if not parser.parse_optional_characters(keyword):
            return ()
        parser.parse_punctuation("(")
        names = parser.parse_comma_separated_list(
            Parser.Delimiter.NONE, parser.parse_unresolved_operand
        )
        parser.parse_punctuation(":")
        types = parser.parse_comma_separated_list(
            Parser.Delimiter.NONE, parser.parse_type
        )
        parser.parse_punctuation(")")
        return parser.resolve_operands(names, types, pos)

    def print(self, printer: Printer) -> None:
        printer.print_string(" kind=")
        printer.print_attribute(self.kind)
        if "indexing_maps" in self.attributes:
            printer.print_string(" indexing_maps = ")
            printer.print_attribute(self.attributes["indexing_maps"])
        for keyword, values in (("ins", self.inputs), ("outs", self.outputs)):
            printer.print_string(f" {keyword}(")
            printer.print_list(values, printer.print_ssa_value)
            printer.print_string(" : ")
            printer.print_list(values.types, printer.print_attribute)
            printer.print_string(")")
        if self.res:
            printer.print_string(" -> ")
            printer.print_list(self.res.types, printer.print_attribute)

    @staticmethod
    def region_for(
        kind: str, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue]
    ) -> Region:
        operands = (*inputs, *outputs)
        if kind in UNARY_BODIES:
            return unary_region(operands, UNARY_BODIES[kind])
        if kind in BINARY_BODIES:
            return binary_region(operands, BINARY_BODIES[kind])
        arg_types = NamedOperation.body_arg_types(operands)

        @Builder.implicit_region(arg_types)
        def body(args: tuple[BlockArgument, ...]) -> None:
            stock.YieldOp(arith.SelectOp(args[0], args[1], args[2]).result)

        return body

    @classmethod
    def get_hidden_region(
        cls, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue]
    ) -> Region:
        raise NotImplementedError("linalg.elementwise's body depends on its kind")

    def get_default_indexing_maps(self) -> Sequence[AffineMap]:
        explicit = self.attributes.get("indexing_maps")
        if isinstance(explicit, ArrayAttr):
            return tuple(m.data for m in explicit.data)  # pyright: ignore
        rank = len(element_shape(self.outputs[0]))
        return (AffineMap.identity(rank),) * len(self.operands)

    def get_iterator_types(self) -> ArrayAttr[IteratorTypeAttr]:
        return _iterators("p" * self.get_default_indexing_maps()[-1].num_dims)


def element_shape(value: SSAValue) -> tuple[int, ...]:
    t = value.type
    return tuple(t.get_shape()) if isinstance(t, ShapedType) else ()


# --------------------------------------------------------------------------- #
# map, reduce, softmax
# --------------------------------------------------------------------------- #


def _skip_short_form(parser: Parser) -> tuple[int, str] | None:
    """The position and text of a short-form body `{ arith.addf }`, skipped:
    it is built once the operands (and so the element types) are known."""
    if parser.parse_optional_punctuation("{") is None:
        return None
    start = parser.pos
    name = parser.parse_identifier_or_str_literal()
    parser.parse_optional_attr_dict()
    parser.parse_punctuation("}")
    return start, name


def _short_form_body(
    parser: Parser,
    short_body: tuple[int, str],
    arg_types: Sequence[Attribute],
    result: Attribute,
) -> Region:
    """`{ arith.addf }`: the named op applied to the block's arguments."""
    pos, name = short_body
    op_type = parser.ctx.get_optional_op(name)
    if op_type is None:
        parser.raise_error(f"unknown op '{name}' in the short form of a body", pos)
    attrs: dict[str, Attribute] = {}
    block = Block(arg_types=arg_types)
    properties = op_type.get_irdl_definition().properties
    op = op_type.create(
        operands=block.args,
        result_types=[result],
        properties={k: v for k, v in attrs.items() if k in properties},
        attributes={k: v for k, v in attrs.items() if k not in properties},
    )
    block.add_ops([op, stock.YieldOp(op.results[0])])
    return Region(block)


def _print_operands(printer: Printer, keyword: str, values: Sequence[SSAValue]) -> None:
    printer.print_string(f" {keyword}(")
    printer.print_list(values, printer.print_ssa_value)
    printer.print_string(" : ")
    printer.print_list([v.type for v in values], printer.print_attribute)
    printer.print_string(")")


@irdl_op_definition
class MapOp(IRDLOperation):
    """linalg.map: its body on the elements of the inputs at each index.
    Reads `linalg.map { arith.addf } ins(...) outs(%init)` and the long form
    `linalg.map ins(...) outs(...) (%a: f32, ...) { ... }`."""

    name = "linalg.map"

    inputs = var_operand_def(TensorType)
    init = operand_def(TensorType)
    result = var_result_def(TensorType)
    mapper = region_def("single_block")

    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        short_body = _skip_short_form(parser)
        ins = ElementwiseOp._parse_operands(parser, "ins")
        (init,) = ElementwiseOp._parse_operands(parser, "outs")
        if short_body is not None:
            mapper = _short_form_body(
                parser,
                short_body,
                [element_type(v.type) for v in ins],
                element_type(init.type),
            )
        else:
            args = parser.parse_comma_separated_list(
                Parser.Delimiter.PAREN, parser.parse_argument
            )
            mapper = parser.parse_region(args)
        attrs = parser.parse_optional_attr_dict()
        op = cls.build(
            operands=[ins, init], result_types=[[init.type]], regions=[mapper]
        )
        op.attributes |= attrs
        return op

    def print(self, printer: Printer) -> None:
        _print_operands(printer, "ins", self.inputs)
        _print_operands(printer, "outs", [self.init])
        printer.print_string(" ")
        with printer.in_parens():
            printer.print_list(self.mapper.block.args, printer.print_block_argument)
        printer.print_string(" ")
        printer.print_region(self.mapper, print_entry_block_args=False)

    def verify_(self) -> None:
        args = self.mapper.block.args
        if len(args) not in (len(self.inputs), len(self.inputs) + 1):
            raise VerifyException(
                f"'linalg.map' op expects a body of {len(self.inputs)} arguments, got {len(args)}"
            )
        shape = element_shape(self.init)
        for v in self.inputs:
            if element_shape(v) != shape:
                raise VerifyException(
                    f"'linalg.map' op expects inputs of the init's shape {shape}, got {v.type}"
                )


@irdl_op_definition
class ReduceOp(IRDLOperation):
    """linalg.reduce over `dimensions`, of one or more inputs into as many
    inits; reads the short form `linalg.reduce { arith.addf } ins(...)
    outs(...) dimensions = [1]` and the long form with a block."""

    name = "linalg.reduce"

    inputs = var_operand_def(TensorType)
    inits = var_operand_def(TensorType)
    result = var_result_def(TensorType)
    region = region_def("single_block")
    dimensions = prop_def(DenseArrayBase.constr(i64))

    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    traits = traits_def(Pure())

    @property
    def input(self) -> SSAValue:
        return self.inputs[0]

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        short_body = _skip_short_form(parser)
        ins = ElementwiseOp._parse_operands(parser, "ins")
        inits = ElementwiseOp._parse_operands(parser, "outs")
        parser.parse_keyword("dimensions")
        parser.parse_punctuation("=")
        dims = parser.parse_comma_separated_list(
            Parser.Delimiter.SQUARE, parser.parse_integer
        )
        if short_body is not None:
            arg_types = [element_type(v.type) for v in (*ins, *inits)]
            region = _short_form_body(parser, short_body, arg_types, arg_types[-1])
        else:
            args = parser.parse_comma_separated_list(
                Parser.Delimiter.PAREN, parser.parse_argument
            )
            region = parser.parse_region(args)
        attrs = parser.parse_optional_attr_dict()
        op = cls.build(
            operands=[ins, inits],
            result_types=[[v.type for v in inits]],
            regions=[region],
            properties={"dimensions": DenseArrayBase.from_list(i64, dims)},
        )
        op.attributes |= attrs
        return op

    def print(self, printer: Printer) -> None:
        _print_operands(printer, "ins", self.inputs)
        _print_operands(printer, "outs", self.inits)
        printer.print_string(" dimensions = [")
        printer.print_list(self.dimensions.get_values(), printer.print_int)
        printer.print_string("] ")
        with printer.in_parens():
            printer.print_list(self.region.block.args, printer.print_block_argument)
        printer.print_string(" ")
        printer.print_region(self.region, print_entry_block_args=False)

    def verify_(self) -> None:
        if not self.inputs or len(self.inputs) != len(self.inits):
            raise VerifyException(
                "'linalg.reduce' op expects as many inits as inputs, at least one"
            )
        shape = element_shape(self.inputs[0])
        dims = self.dimensions.get_values()
        if sorted(set(dims)) != sorted(dims) or any(
            not 0 <= d < len(shape) for d in dims
        ):
            raise VerifyException(
                f"'linalg.reduce' op dimensions {list(dims)} are not distinct axes of a rank-{len(shape)} input"
            )
        kept = tuple(n for i, n in enumerate(shape) if i not in dims)
        for v in self.inits:
            got = element_shape(v)
            if len(got) != len(kept) or any(
                a != b and a >= 0 and b >= 0 for a, b in zip(got, kept, strict=True)
            ):
                raise VerifyException(
                    f"'linalg.reduce' op init shape {got} is not the input's {shape} without dimensions {list(dims)}"
                )


@irdl_op_definition
class SoftmaxOp(IRDLOperation):
    """linalg.softmax dimension(d) ins(%x : T) outs(%y : T) -> T:
    exp(x - max) / sum(exp(x - max)) along `dimension`."""

    name = "linalg.softmax"

    input = operand_def(TensorType)
    output = operand_def(TensorType)
    result = var_result_def(TensorType)
    dimension = prop_def(IntegerAttr[I64])

    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        parser.parse_keyword("dimension")
        parser.parse_punctuation("(")
        dimension = parser.parse_integer()
        parser.parse_punctuation(")")
        (x,) = ElementwiseOp._parse_operands(parser, "ins")
        (y,) = ElementwiseOp._parse_operands(parser, "outs")
        results: list[Attribute] = []
        if parser.parse_optional_punctuation("->"):
            results = [parser.parse_type()]
        return cls.build(
            operands=[x, y],
            result_types=[results],
            properties={"dimension": IntegerAttr(dimension, i64)},
        )

    def print(self, printer: Printer) -> None:
        printer.print_string(f" dimension({self.dimension.value.data})")
        _print_operands(printer, "ins", [self.input])
        _print_operands(printer, "outs", [self.output])
        if self.result:
            printer.print_string(" -> ")
            printer.print_attribute(self.result[0].type)

    def verify_(self) -> None:
        rank = len(element_shape(self.input))
        if not 0 <= self.dimension.value.data < max(rank, 1):
            raise VerifyException(
                f"'linalg.softmax' op dimension {self.dimension.value.data} is not an axis of a rank-{rank} input"
            )
        if self.input.type != self.output.type:
            raise VerifyException(
                f"'linalg.softmax' op expects input and output of one type, got {self.input.type} and {self.output.type}"
            )


# --------------------------------------------------------------------------- #
# pack / unpack
# --------------------------------------------------------------------------- #


class _PackingOperation(IRDLOperation, ABC):
    """linalg.pack / linalg.unpack: tile `inner_dims_pos` by `inner_tiles`
    (static or SSA values) into trailing dimensions, the outer dimensions
    permuted by `outer_dims_perm`."""

    KEYWORD: ClassVar[str]

    source = operand_def(TensorType)
    dest = operand_def(TensorType)
    padding_value = opt_operand_def()
    inner_tiles = var_operand_def()
    result = result_def(TensorType)
    outer_dims_perm = prop_def(DenseArrayBase.constr(i64))
    inner_dims_pos = prop_def(DenseArrayBase.constr(i64))
    static_inner_tiles = prop_def(DenseArrayBase.constr(i64))

    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    traits = traits_def(Pure())

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        source = parser.parse_unresolved_operand()
        padding: list[SSAValue] = []
        if parser.parse_optional_keyword("padding_value") is not None:
            parser.parse_punctuation("(")
            value = parser.parse_unresolved_operand()
            parser.parse_punctuation(":")
            padding = [parser.resolve_operand(value, parser.parse_type())]
            parser.parse_punctuation(")")
        lists: dict[str, list[int]] = {"outer_dims_perm": []}
        for key in ("outer_dims_perm", "inner_dims_pos"):
            if parser.parse_optional_keyword(key) is not None:
                parser.parse_punctuation("=")
                lists[key] = parser.parse_comma_separated_list(
                    Parser.Delimiter.SQUARE, parser.parse_integer
                )
        parser.parse_keyword("inner_tiles")
        parser.parse_punctuation("=")

        def tile() -> int | SSAValue:
            value = parser.parse_optional_unresolved_operand()
            if value is None:
                return parser.parse_integer()
            return parser.resolve_operand(value, IndexType())

        tiles = parser.parse_comma_separated_list(Parser.Delimiter.SQUARE, tile)
        parser.parse_keyword("into")
        dest = parser.parse_unresolved_operand()
        parser.parse_punctuation(":")
        source_type = parser.parse_type()
        parser.parse_punctuation("->")
        dest_type = parser.parse_type()
        attrs = parser.parse_optional_attr_dict()
        op = cls.build(
            operands=[
                parser.resolve_operand(source, source_type),
                parser.resolve_operand(dest, dest_type),
                padding,
                [t for t in tiles if isinstance(t, SSAValue)],
            ],
            result_types=[dest_type],
            properties={
                "outer_dims_perm": DenseArrayBase.from_list(
                    i64, lists["outer_dims_perm"]
                ),
                "inner_dims_pos": DenseArrayBase.from_list(
                    i64, lists.get("inner_dims_pos", [])
                ),
                "static_inner_tiles": DenseArrayBase.from_list(
                    i64,
                    [t if isinstance(t, int) else DYNAMIC_INDEX for t in tiles],
                ),
            },
        )
        op.attributes |= attrs
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_ssa_value(self.source)
        if self.padding_value is not None:
            printer.print_string(" padding_value(")
            printer.print_ssa_value(self.padding_value)
            printer.print_string(" : ")
            printer.print_attribute(self.padding_value.type)
            printer.print_string(")")
        if self.outer_dims_perm.get_values():
            printer.print_string(" outer_dims_perm = [")
            printer.print_list(self.outer_dims_perm.get_values(), printer.print_int)
            printer.print_string("]")
        printer.print_string(" inner_dims_pos = [")
        printer.print_list(self.inner_dims_pos.get_values(), printer.print_int)
        printer.print_string("] inner_tiles = [")
        dynamic = iter(self.inner_tiles)
        printer.print_list(
            self.static_inner_tiles.get_values(),
            lambda t: (
                printer.print_ssa_value(next(dynamic))
                if t == DYNAMIC_INDEX
                else printer.print_int(t)
            ),
        )
        printer.print_string("] into ")
        printer.print_ssa_value(self.dest)
        printer.print_string(" : ")
        printer.print_attribute(self.source.type)
        printer.print_string(" -> ")
        printer.print_attribute(self.dest.type)

    def packed_and_unpacked(self) -> tuple[SSAValue, SSAValue]:
        """(the tiled tensor, the plain one)."""
        raise NotImplementedError

    def verify_(self) -> None:
        packed, plain = self.packed_and_unpacked()
        rank = len(element_shape(plain))
        inner = self.inner_dims_pos.get_values()
        perm = self.outer_dims_perm.get_values()
        if len(self.static_inner_tiles.get_values()) != len(inner):
            raise VerifyException(
                f"'{self.name}' op expects one inner tile per inner_dims_pos entry"
            )
        if len(set(inner)) != len(inner) or any(not 0 <= d < rank for d in inner):
            raise VerifyException(
                f"'{self.name}' op inner_dims_pos {list(inner)} are not distinct axes of rank {rank}"
            )
        if perm and sorted(perm) != list(range(rank)):
            raise VerifyException(
                f"'{self.name}' op outer_dims_perm {list(perm)} is not a permutation of 0..{rank - 1}"
            )
        if len(element_shape(packed)) != rank + len(inner):
            raise VerifyException(
                f"'{self.name}' op expects a packed tensor of rank {rank + len(inner)}, got {packed.type}"
            )
        if self.result.type != self.dest.type:
            raise VerifyException(
                f"'{self.name}' op expects a result of the dest's type {self.dest.type}"
            )


@irdl_op_definition
class PackOp(_PackingOperation):
    name = "linalg.pack"

    def packed_and_unpacked(self) -> tuple[SSAValue, SSAValue]:
        return self.dest, self.source


@irdl_op_definition
class UnPackOp(_PackingOperation):
    name = "linalg.unpack"

    def packed_and_unpacked(self) -> tuple[SSAValue, SSAValue]:
        return self.source, self.dest


# --------------------------------------------------------------------------- #
# The dialect
# --------------------------------------------------------------------------- #

_REPLACED = {"linalg.generic", "linalg.matmul", "linalg.reduce"}

NEW_OPS: tuple[type[Operation], ...] = (
    GenericOp,
    MatmulOp,
    ReduceOp,
    MatmulTransposeAOp,
    MatmulTransposeBOp,
    BatchMatmulOp,
    BatchReduceMatmulOp,
    MatvecOp,
    VecmatOp,
    BatchMatvecOp,
    BatchVecmatOp,
    DotOp,
    Mmt4dOp,
    ContractOp,
    DepthwiseConv2DNhwcHwcOp,
    PoolingNhwcSumOp,
    PoolingNhwcMaxOp,
    PoolingNhwcMinOp,
    NegfOp,
    AbsOp,
    CeilOp,
    FloorOp,
    ErfOp,
    TanhOp,
    RoundOp,
    RsqrtOp,
    ReciprocalOp,
    SquareOp,
    DivOp,
    DivUnsignedOp,
    PowfOp,
    ElementwiseOp,
    MapOp,
    SoftmaxOp,
    PackOp,
    UnPackOp,
)


def _linalg() -> Dialect:
    from xdsl.dialects.linalg import Linalg

    kept = [op for op in Linalg.operations if op.name not in _REPLACED]
    return Dialect(
        "linalg", [*kept, *NEW_OPS], [*Linalg.attributes, ElementwiseKindAttr]
    )


LINALG = _linalg()
