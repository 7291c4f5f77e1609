"""lpuir's TOSA 1.0 dialect: every op reads upstream MLIR's custom and generic
text, verifies, prints in upstream's custom form and round-trips; every
verifier message fires on the input it is about."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import ParseError, VerifyException

from lpuir.context import make_context
from lpuir.dialects import tosa

STOCK_OPS: set[str] = set()
"""Ops TOSA keeps from xDSL unchanged (none: cond_if, yield and avg_pool2d
are lpuir's own, for upstream's syntax)."""
CONTROL_FLOW = {"tosa.cond_if", "tosa.while_loop"}
"""Ops with regions: not Pure (their regions may hold anything)."""


def parse(text: str) -> ModuleOp:
    return Parser(make_context(), text).parse_module()


def generic(module: ModuleOp) -> str:
    out = StringIO()
    Printer(stream=out, print_generic_format=True).print_op(module)
    return out.getvalue()


def fn(args: str, *lines: str) -> str:
    """A function holding `lines`, returning nothing."""
    body = "\n".join(f"  {line}" for line in lines)
    return f"func.func @t({args}) {{\n{body}\n  func.return\n}}\n"


def const(name: str, value: str, t: str) -> str:
    return f'%{name} = "tosa.const"() <{{values = dense<{value}> : {t}}}> : () -> {t}'


def shape(name: str, values: str, n: int) -> str:
    return f"%{name} = tosa.const_shape {{values = dense<[{values}]> : tensor<{n}xindex>}} : () -> !tosa.shape<{n}>"


F = "%a: tensor<2x3xf32>, %b: tensor<1x3xf32>"
INTS = "%i: tensor<2x3xi32>, %j: tensor<2x1xi32>"
P = "%p: tensor<2x3xi1>, %q: tensor<2x1xi1>"


def binary(
    op: str, args: str, lhs: str, rhs: str, types: str, result: str, attrs: str = ""
) -> str:
    return fn(args, f"%0 = tosa.{op} {lhs}, {rhs}{attrs} : ({types}) -> {result}")


def unary(op: str, t: str = "tensor<2x3xf32>", result: str | None = None) -> str:
    return fn(f"%a: {t}", f"%0 = tosa.{op} %a : ({t}) -> {result or t}")


FLOAT_BINARY = ("tensor<2x3xf32>, tensor<1x3xf32>", "tensor<2x3xf32>")
INT_BINARY = ("tensor<2x3xi32>, tensor<2x1xi32>", "tensor<2x3xi32>")
BOOL_BINARY = ("tensor<2x3xi1>, tensor<2x1xi1>", "tensor<2x3xi1>")

VALID: dict[str, str] = {
    **{
        op: binary(op, F, "%a", "%b", *FLOAT_BINARY)
        for op in ("add", "sub", "maximum", "minimum", "pow")
    },
    "maximum_ignore": binary(
        "maximum", F, "%a", "%b", *FLOAT_BINARY, attrs=" {nan_mode = IGNORE}"
    ),
    **{
        op: binary(op, INTS, "%i", "%j", *INT_BINARY)
        for op in (
            "intdiv",
            "bitwise_and",
            "bitwise_or",
            "bitwise_xor",
            "logical_left_shift",
            "logical_right_shift",
        )
    },
    "arithmetic_right_shift": binary(
        "arithmetic_right_shift", INTS, "%i", "%j", *INT_BINARY, attrs=" {round = true}"
    ),
    **{
        op: binary(op, P, "%p", "%q", *BOOL_BINARY)
        for op in ("logical_and", "logical_or", "logical_xor")
    },
    **{
        op: binary(op, F, "%a", "%b", FLOAT_BINARY[0], "tensor<2x3xi1>")
        for op in ("equal", "greater", "greater_equal")
    },
    "mul": fn(
        F,
        const("s", "0", "tensor<1xi8>"),
        "%0 = tosa.mul %a, %b, %s : (tensor<2x3xf32>, tensor<1x3xf32>, tensor<1xi8>) -> tensor<2x3xf32>",
    ),
    "mul_i8": fn(
        "%x: tensor<2x3xi8>",
        const("s", "0", "tensor<1xi8>"),
        "%0 = tosa.mul %x, %x, %s : (tensor<2x3xi8>, tensor<2x3xi8>, tensor<1xi8>) -> tensor<2x3xi32>",
    ),
    "mul_shift": fn(
        INTS,
        const("s", "3", "tensor<1xi8>"),
        "%0 = tosa.mul %i, %j, %s : (tensor<2x3xi32>, tensor<2x1xi32>, tensor<1xi8>) -> tensor<2x3xi32>",
    ),
    "select": fn(
        f"{F}, %p: tensor<2x1xi1>",
        "%0 = tosa.select %p, %a, %b : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>",
    ),
    **{
        op: unary(op)
        for op in (
            "abs",
            "exp",
            "log",
            "tanh",
            "sigmoid",
            "erf",
            "rsqrt",
            "reciprocal",
            "floor",
            "ceil",
            "sin",
            "cos",
            "identity",
        )
    },
    "abs_i32": unary("abs", "tensor<4xi32>"),
    "bitwise_not": unary("bitwise_not", "tensor<4xi8>"),
    "logical_not": unary("logical_not", "tensor<4xi1>"),
    "cast": unary("cast", "tensor<2x3xi32>", "tensor<2x3xf16>"),
    "cast_bool": unary("cast", "tensor<4xi1>", "tensor<4xi8>"),
    "negate": fn(
        "%a: tensor<4xf32>",
        const("zp", "0.000000e+00", "tensor<1xf32>"),
        "%0 = tosa.negate %a, %zp, %zp : (tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4xf32>",
    ),
    "negate_i8": fn(
        "%x: tensor<4xi8>",
        const("zp", "-3", "tensor<1xi8>"),
        "%0 = tosa.negate %x, %zp, %zp : (tensor<4xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>",
    ),
    "clamp": fn(
        "%a: tensor<4xf32>",
        "%0 = tosa.clamp %a {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<4xf32>) -> tensor<4xf32>",
    ),
    "clamp_i8_ignore": fn(
        "%x: tensor<4xi8>",
        "%0 = tosa.clamp %x {max_val = 5 : i8, min_val = -5 : i8, nan_mode = IGNORE} : (tensor<4xi8>) -> tensor<4xi8>",
    ),
    "rescale": fn(
        "%x: tensor<2x3xi8>",
        const("m", "1073741824", "tensor<1xi32>"),
        const("s", "30", "tensor<1xi8>"),
        const("izp", "-3", "tensor<1xi8>"),
        const("ozp", "0", "tensor<1xi32>"),
        "%0 = tosa.rescale %x, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<2x3xi32>",
    ),
    "rescale_per_channel": fn(
        "%x: tensor<2x3xi32>",
        const("m", "[16384, 8192, 4096]", "tensor<3xi16>"),
        const("s", "15", "tensor<3xi8>"),
        const("izp", "0", "tensor<1xi32>"),
        const("ozp", "0", "tensor<1xi8>"),
        "%0 = tosa.rescale %x, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = false} : (tensor<2x3xi32>, tensor<3xi16>, tensor<3xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<2x3xi8>",
    ),
    "table": fn(
        "%x: tensor<2x3xi8>",
        const("t", "1", "tensor<256xi8>"),
        "%0 = tosa.table %x, %t : (tensor<2x3xi8>, tensor<256xi8>) -> tensor<2x3xi8>",
    ),
    "table_i16": fn(
        "%x: tensor<2x3xi16>",
        const("t", "1", "tensor<513xi16>"),
        "%0 = tosa.table %x, %t : (tensor<2x3xi16>, tensor<513xi16>) -> tensor<2x3xi32>",
    ),
    **{
        op: fn(
            "%a: tensor<2x3xf32>",
            f"%0 = tosa.{op} %a {{axis = 1 : i32}} : (tensor<2x3xf32>) -> tensor<2x1xf32>",
        )
        for op in ("reduce_sum", "reduce_max", "reduce_min", "reduce_product")
    },
    "reduce_max_ignore": fn(
        "%a: tensor<2x3xf32>",
        "%0 = tosa.reduce_max %a {axis = 0 : i32, nan_mode = IGNORE} : (tensor<2x3xf32>) -> tensor<1x3xf32>",
    ),
    **{
        op: fn(
            "%p: tensor<2x3xi1>",
            f"%0 = tosa.{op} %p {{axis = 0 : i32}} : (tensor<2x3xi1>) -> tensor<1x3xi1>",
        )
        for op in ("reduce_all", "reduce_any")
    },
    "argmax": fn(
        "%a: tensor<2x3xf32>",
        "%0 = tosa.argmax %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2xi32>",
    ),
    "argmax_ignore": fn(
        "%a: tensor<2x3xf32>",
        "%0 = tosa.argmax %a {axis = 0 : i32, nan_mode = IGNORE} : (tensor<2x3xf32>) -> tensor<3xi32>",
    ),
    "matmul": fn(
        "%a: tensor<2x4x8xf32>, %b: tensor<2x8x3xf32>",
        const("zp", "0.000000e+00", "tensor<1xf32>"),
        "%0 = tosa.matmul %a, %b, %zp, %zp : (tensor<2x4x8xf32>, tensor<2x8x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x3xf32>",
    ),
    "matmul_i8": fn(
        "%a: tensor<1x4x8xi8>, %b: tensor<1x8x3xi8>",
        const("za", "-5", "tensor<1xi8>"),
        const("zb", "3", "tensor<1xi8>"),
        "%0 = tosa.matmul %a, %b, %za, %zb : (tensor<1x4x8xi8>, tensor<1x8x3xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x3xi32>",
    ),
    "matmul_f16": fn(
        "%a: tensor<1x4x8xf16>, %b: tensor<1x8x3xf16>",
        const("zp", "0.000000e+00", "tensor<1xf16>"),
        "%0 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xf16>, tensor<1x8x3xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x4x3xf16>",
        "%1 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xf16>, tensor<1x8x3xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x4x3xf32>",
    ),
    "matmul_bf16": fn(
        "%a: tensor<3x4x8xbf16>, %b: tensor<3x8x3xbf16>",
        const("zp", "0.000000e+00", "tensor<1xbf16>"),
        "%0 = tosa.matmul %a, %b, %zp, %zp : (tensor<3x4x8xbf16>, tensor<3x8x3xbf16>, tensor<1xbf16>, tensor<1xbf16>) -> tensor<3x4x3xf32>",
    ),
    "matmul_i16": fn(
        "%a: tensor<1x4x8xi16>, %b: tensor<1x8x3xi16>",
        const("zp", "0", "tensor<1xi16>"),
        "%0 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xi16>, tensor<1x8x3xi16>, tensor<1xi16>, tensor<1xi16>) -> tensor<1x4x3xi48>",
    ),
    "max_pool2d": fn(
        "%x: tensor<1x4x5x2xf32>",
        "%0 = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 1, 1, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x5x2xf32>) -> tensor<1x2x3x2xf32>",
    ),
    "transpose": fn(
        "%a: tensor<2x3xf32>",
        "%0 = tosa.transpose %a {perms = array<i32: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>",
    ),
    "reshape": fn(
        "%a: tensor<2x3xf32>",
        shape("s", "3, 2", 2),
        "%0 = tosa.reshape %a, %s : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<3x2xf32>",
    ),
    "slice": fn(
        "%a: tensor<2x3xf32>",
        shape("start", "0, 1", 2),
        shape("size", "1, 2", 2),
        "%0 = tosa.slice %a, %start, %size : (tensor<2x3xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x2xf32>",
    ),
    "concat": fn(
        "%a: tensor<2x3xf32>, %c: tensor<2x1xf32>",
        "%0 = tosa.concat %a, %c, %a {axis = 1 : i32} : (tensor<2x3xf32>, tensor<2x1xf32>, tensor<2x3xf32>) -> tensor<2x7xf32>",
    ),
    "pad": fn(
        "%a: tensor<2x3xf32>",
        shape("p", "1, 0, 0, 2", 4),
        const("v", "0.000000e+00", "tensor<1xf32>"),
        "%0 = tosa.pad %a, %p, %v : (tensor<2x3xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<3x5xf32>",
    ),
    "tile": fn(
        "%a: tensor<2x3xf32>",
        shape("m", "2, 1", 2),
        "%0 = tosa.tile %a, %m : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<4x3xf32>",
    ),
    "reverse": fn(
        "%a: tensor<2x3xf32>",
        "%0 = tosa.reverse %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x3xf32>",
    ),
    "gather": fn(
        "%v: tensor<2x5x3xf32>, %ix: tensor<2x4xi32>",
        "%0 = tosa.gather %v, %ix : (tensor<2x5x3xf32>, tensor<2x4xi32>) -> tensor<2x4x3xf32>",
    ),
    "const": fn("", const("c", "[[1, 2], [3, 4]]", "tensor<2x2xi32>")),
    "const_shape": fn("", shape("s", "1, 2, 3", 3)),
    "clz": unary("clz", "tensor<2x3xi32>"),
    "cond_if": fn(
        "%a: tensor<f32>, %b: tensor<f32>, %c: tensor<i1>",
        "%0 = tosa.cond_if %c (%x = %a, %y = %b) : tensor<i1> (tensor<f32>, tensor<f32>) -> (tensor<f32>) {",
        "^bb0(%x: tensor<f32>, %y: tensor<f32>):",
        "  tosa.yield %x : tensor<f32>",
        "} else {",
        "^bb0(%x_1: tensor<f32>, %y_1: tensor<f32>):",
        "  tosa.yield %y_1 : tensor<f32>",
        "}",
    ),
    "while_loop": fn(
        "%a: tensor<i32>",
        "%0 = tosa.while_loop (%x = %a) : (tensor<i32>) -> tensor<i32> {",
        "  %1 = tosa.greater %x, %x : (tensor<i32>, tensor<i32>) -> tensor<i1>",
        "  tosa.yield %1 : tensor<i1>",
        "} do {",
        "^bb0(%x_1: tensor<i32>):",
        "  tosa.yield %x_1 : tensor<i32>",
        "}",
    ),
    "conv2d": fn(
        "%x: tensor<1x4x4x2xf32>, %w: tensor<3x2x2x2xf32>, %b: tensor<3xf32>",
        const("z", "0.000000e+00", "tensor<1xf32>"),
        "%0 = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<3x2x2x2xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x3xf32>",
    ),
    "conv3d": fn(
        "%x: tensor<1x2x4x4x2xf32>, %w: tensor<3x1x2x2x2xf32>, %b: tensor<3xf32>",
        const("z", "0.000000e+00", "tensor<1xf32>"),
        "%0 = tosa.conv3d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1, 1>, pad = array<i64: 0, 0, 0, 0, 0, 0>, stride = array<i64: 1, 1, 1>} : (tensor<1x2x4x4x2xf32>, tensor<3x1x2x2x2xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3x3x3xf32>",
    ),
    "depthwise_conv2d": fn(
        "%x: tensor<1x4x4x2xf32>, %w: tensor<2x2x2x3xf32>, %b: tensor<6xf32>",
        const("z", "0.000000e+00", "tensor<1xf32>"),
        "%0 = tosa.depthwise_conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x2x2x3xf32>, tensor<6xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x6xf32>",
    ),
    "transpose_conv2d": fn(
        "%x: tensor<1x4x4x2xf32>, %w: tensor<3x2x2x2xf32>, %b: tensor<3xf32>",
        const("z", "0.000000e+00", "tensor<1xf32>"),
        "%0 = tosa.transpose_conv2d %x, %w, %b, %z, %z {acc_type = f32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<3x2x2x2xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x5x5x3xf32>",
    ),
    "avg_pool2d": fn(
        "%x: tensor<1x4x4x2xf32>",
        const("z", "0.000000e+00", "tensor<1xf32>"),
        "%0 = tosa.avg_pool2d %x, %z, %z {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>",
    ),
    "scatter": fn(
        "%v: tensor<2x5x3xf32>, %ix: tensor<2x4xi32>, %u: tensor<2x4x3xf32>",
        "%0 = tosa.scatter %v, %ix, %u : (tensor<2x5x3xf32>, tensor<2x4xi32>, tensor<2x4x3xf32>) -> tensor<2x5x3xf32>",
    ),
}


def test_every_added_op_has_a_case() -> None:
    added = {op.name for op in tosa.TOSA.operations} - STOCK_OPS
    covered = {
        re.search(r"(?:tosa\.\w+|\"tosa\.\w+\")", line).group(0).strip('"')
        for text in VALID.values()
        for line in text.splitlines()
        if "tosa." in line
    }
    assert added <= covered, added - covered


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_custom_form_parses_verifies_and_prints_as_upstream(text: str) -> None:
    module = parse(text)
    module.verify()
    printed = str(module)
    for line in text.splitlines():
        if "tosa." in line:
            assert line.strip() in printed
    assert str(parse(printed)) == printed


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_generic_form_round_trips(text: str) -> None:
    module = parse(text)
    again = parse(generic(module))
    again.verify()
    assert str(again) == str(module)
    assert generic(again) == generic(module)


def test_ops_are_pure_and_const_is_constant_like() -> None:
    for op in tosa.TOSA.operations:
        if op.name not in STOCK_OPS | CONTROL_FLOW:
            assert op.has_trait(Pure), op.name
    assert tosa.ConstOp.has_trait(ConstantLike)
    assert tosa.ConstShapeOp.has_trait(ConstantLike)


UPSTREAM_GENERIC = {
    "attributes instead of properties": (
        '%c = "tosa.const"() {values = dense<1> : tensor<1xi8>} : () -> tensor<1xi8>\n'
        '  %0 = "tosa.clamp"(%a) {min_val = 0.0 : f32, max_val = 1.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>',
        "%0 = tosa.clamp %a {max_val = 1.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<4xf32>) -> tensor<4xf32>",
    ),
    "enum attributes": (
        '%0 = "tosa.maximum"(%a, %a) <{nan_mode = #tosa.nan_mode<IGNORE>}> : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>',
        "%0 = tosa.maximum %a, %a {nan_mode = IGNORE} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>",
    ),
    "default nan_mode is not printed": (
        '%0 = "tosa.argmax"(%a) <{axis = 0 : i32, nan_mode = #tosa.nan_mode<PROPAGATE>}> : (tensor<4xf32>) -> tensor<i32>',
        "%0 = tosa.argmax %a {axis = 0 : i32} : (tensor<4xf32>) -> tensor<i32>",
    ),
    "quoted enum keyword": (
        '%0 = tosa.reduce_min %a {axis = 0 : i32, nan_mode = "IGNORE"} : (tensor<4xf32>) -> tensor<1xf32>',
        "%0 = tosa.reduce_min %a {axis = 0 : i32, nan_mode = IGNORE} : (tensor<4xf32>) -> tensor<1xf32>",
    ),
    "shape values": (
        '%s = "tosa.const_shape"() <{values = dense<4> : tensor<1xindex>}> : () -> !tosa.shape<1>\n'
        '  %0 = "tosa.reshape"(%a, %s) : (tensor<4xf32>, !tosa.shape<1>) -> tensor<4xf32>',
        "%0 = tosa.reshape %a, %s : (tensor<4xf32>, !tosa.shape<1>) -> tensor<4xf32>",
    ),
}


@pytest.mark.parametrize(
    ("text", "printed"), UPSTREAM_GENERIC.values(), ids=UPSTREAM_GENERIC.keys()
)
def test_upstream_generic_text(text: str, printed: str) -> None:
    module = parse(fn("%a: tensor<4xf32>", text))
    module.verify()
    assert printed in str(module)


def test_bad_enum_keyword_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="invalid nan_mode value: SOMETIMES"):
        parse(
            fn(
                "%a: tensor<4xf32>",
                "%0 = tosa.maximum %a, %a {nan_mode = SOMETIMES} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>",
            )
        )


def rescale(x: str, m: str, s: str, izp: str, ozp: str, out: str, attrs: str) -> str:
    return fn(
        "%x: " + x,
        const("m", "1", m),
        const("s", "30", s),
        const("izp", "0", izp),
        const("ozp", "0", ozp),
        f"%0 = tosa.rescale %x, %m, %s, %izp, %ozp {{{attrs}}} : ({x}, {m}, {s}, {izp}, {ozp}) -> {out}",
    )


RESCALE_ATTRS = "input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true"


def matmul(a: str, b: str, out: str, zp: str | None = None, zp_value: str = "0") -> str:
    element = zp or a.rsplit("x", 1)[1].rstrip(">")
    return fn(
        f"%a: {a}, %b: {b}",
        const("zp", zp_value, f"tensor<1x{element}>"),
        f"%0 = tosa.matmul %a, %b, %zp, %zp : ({a}, {b}, tensor<1x{element}>, tensor<1x{element}>) -> {out}",
    )


def max_pool(attrs: str, out: str) -> str:
    return fn(
        "%x: tensor<1x4x4x2xf32>",
        f"%0 = tosa.max_pool2d %x {{{attrs}}} : (tensor<1x4x4x2xf32>) -> {out}",
    )


POOL = (
    "kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>"
)

INVALID: dict[str, tuple[str, str]] = {
    "dynamic shape": (
        unary("abs", "tensor<?x3xf32>"),
        "expects the input to be a ranked tensor with a static shape, got tensor<?x3xf32>",
    ),
    "float-only op on integers": (
        unary("exp", "tensor<4xi32>"),
        "expects an input of float elements, got i32",
    ),
    "integer-only op on floats": (
        unary("bitwise_not", "tensor<4xf32>"),
        "expects an input of int elements, got f32",
    ),
    "unary result type": (
        unary("exp", "tensor<4xf32>", "tensor<4xf16>"),
        "expects a result of the input's type tensor<4xf32>, got tensor<4xf16>",
    ),
    "rank mismatch": (
        binary(
            "add",
            "%a: tensor<2x3xf32>, %b: tensor<3xf32>",
            "%a",
            "%b",
            "tensor<2x3xf32>, tensor<3xf32>",
            "tensor<2x3xf32>",
        ),
        "expects operands and result of equal rank, got operand #1 of shape 3 and result 2x3",
    ),
    "no broadcast": (
        binary(
            "add",
            "%a: tensor<2x3xf32>, %b: tensor<4x3xf32>",
            "%a",
            "%b",
            "tensor<2x3xf32>, tensor<4x3xf32>",
            "tensor<2x3xf32>",
        ),
        "operands of shapes 2x3, 4x3 do not broadcast (dimension 0)",
    ),
    "wrong broadcast result": (
        binary("sub", F, "%a", "%b", FLOAT_BINARY[0], "tensor<4x3xf32>"),
        "result shape 4x3 is not the broadcast shape of the operands (dimension 0)",
    ),
    "operand element types differ": (
        binary(
            "add",
            "%a: tensor<4xf32>, %b: tensor<4xf16>",
            "%a",
            "%b",
            "tensor<4xf32>, tensor<4xf16>",
            "tensor<4xf32>",
        ),
        "expects input1 and input2 of one element type, got f32 and f16",
    ),
    "comparison result": (
        binary("equal", F, "%a", "%b", FLOAT_BINARY[0], "tensor<2x3xf32>"),
        "expects a result of element type i1, got f32",
    ),
    "logical op on integers": (
        binary("logical_and", INTS, "%i", "%j", *INT_BINARY),
        "expects operands of bool elements, got i32",
    ),
    "mul of i8 into i8": (
        fn(
            "%x: tensor<4xi8>",
            const("s", "0", "tensor<1xi8>"),
            "%0 = tosa.mul %x, %x, %s : (tensor<4xi8>, tensor<4xi8>, tensor<1xi8>) -> tensor<4xi8>",
        ),
        "expects a result of element type i32 for i8 operands, got i8",
    ),
    "mul operand types": (
        fn(
            "%x: tensor<4xi8>, %y: tensor<4xi16>",
            const("s", "0", "tensor<1xi8>"),
            "%0 = tosa.mul %x, %y, %s : (tensor<4xi8>, tensor<4xi16>, tensor<1xi8>) -> tensor<4xi32>",
        ),
        "expects input1 and input2 of one element type, got i8 and i16",
    ),
    "mul shift on floats": (
        fn(
            "%a: tensor<4xf32>",
            const("s", "2", "tensor<1xi8>"),
            "%0 = tosa.mul %a, %a, %s : (tensor<4xf32>, tensor<4xf32>, tensor<1xi8>) -> tensor<4xf32>",
        ),
        "expects shift to be 0 for non-i8 element types, got 2",
    ),
    "mul shift type": (
        fn(
            "%a: tensor<4xf32>",
            const("s", "0", "tensor<1xi32>"),
            "%0 = tosa.mul %a, %a, %s : (tensor<4xf32>, tensor<4xf32>, tensor<1xi32>) -> tensor<4xf32>",
        ),
        "expects shift of element type i8, got i32",
    ),
    "select condition": (
        fn(
            "%a: tensor<4xf32>",
            "%0 = tosa.select %a, %a, %a : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>",
        ),
        "expects an i1 condition (input1), got f32",
    ),
    "select values": (
        fn(
            "%p: tensor<4xi1>, %a: tensor<4xf32>, %h: tensor<4xf16>",
            "%0 = tosa.select %p, %a, %h : (tensor<4xi1>, tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>",
        ),
        "expects input2, input3 and the result of one element type, got f32, f16, f32",
    ),
    "zero point shape": (
        fn(
            "%a: tensor<4xf32>",
            const("zp", "0.0", "tensor<2xf32>"),
            "%0 = tosa.negate %a, %zp, %zp : (tensor<4xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>",
        ),
        "expects input1_zp to be a tensor<1xf32>, got tensor<2xf32>",
    ),
    "nonzero float zero point": (
        fn(
            "%a: tensor<4xf32>",
            const("zp", "1.0", "tensor<1xf32>"),
            "%0 = tosa.negate %a, %zp, %zp : (tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4xf32>",
        ),
        "expects input1_zp to be 0 for non-i8 element types, got 1.0",
    ),
    "clamp bound type": (
        fn(
            "%a: tensor<4xf32>",
            "%0 = tosa.clamp %a {min_val = 0 : i32, max_val = 1.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>",
        ),
        "expects min_val of the input's element type f32, got i32",
    ),
    "clamp bounds order": (
        fn(
            "%a: tensor<4xf32>",
            "%0 = tosa.clamp %a {min_val = 2.0 : f32, max_val = 1.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>",
        ),
        "expects min_val <= max_val, got 2.0 > 1.0",
    ),
    "clamp result": (
        fn(
            "%a: tensor<4xf32>",
            "%0 = tosa.clamp %a {min_val = 0.0 : f32, max_val = 1.0 : f32} : (tensor<4xf32>) -> tensor<2xf32>",
        ),
        "expects a result of the input's type tensor<4xf32>, got tensor<2xf32>",
    ),
    "clamp on bools": (
        fn(
            "%p: tensor<4xi1>",
            "%0 = tosa.clamp %p {min_val = 0 : i1, max_val = 1 : i1} : (tensor<4xi1>) -> tensor<4xi1>",
        ),
        "expects an input of float or int elements, got i1",
    ),
    "cast shape": (
        unary("cast", "tensor<4xi32>", "tensor<2xf32>"),
        "expects a result of the input's shape 4, got 2",
    ),
    "rescale shape": (
        rescale(
            "tensor<4xi8>",
            "tensor<1xi32>",
            "tensor<1xi8>",
            "tensor<1xi8>",
            "tensor<1xi32>",
            "tensor<2xi32>",
            RESCALE_ATTRS,
        ),
        "expects a result of the input's shape 4, got 2",
    ),
    "rescale of floats": (
        rescale(
            "tensor<4xf32>",
            "tensor<1xi32>",
            "tensor<1xi8>",
            "tensor<1xf32>",
            "tensor<1xi32>",
            "tensor<4xi32>",
            RESCALE_ATTRS,
        ),
        "expects an input of int elements, got f32",
    ),
    "rescale multiplier": (
        rescale(
            "tensor<4xi8>",
            "tensor<1xi16>",
            "tensor<1xi8>",
            "tensor<1xi8>",
            "tensor<1xi32>",
            "tensor<4xi32>",
            RESCALE_ATTRS,
        ),
        "expects multiplier to be a tensor<1xi32>, got tensor<1xi16>",
    ),
    "rescale double round": (
        rescale(
            "tensor<4xi8>",
            "tensor<1xi16>",
            "tensor<1xi8>",
            "tensor<1xi8>",
            "tensor<1xi32>",
            "tensor<4xi32>",
            RESCALE_ATTRS.replace("SINGLE_ROUND", "DOUBLE_ROUND").replace(
                "true", "false"
            ),
        ),
        "DOUBLE_ROUND needs scale32 = true",
    ),
    "table input": (
        fn(
            "%x: tensor<4xi32>",
            const("t", "0", "tensor<256xi32>"),
            "%0 = tosa.table %x, %t : (tensor<4xi32>, tensor<256xi32>) -> tensor<4xi32>",
        ),
        "expects an i8 or i16 input, got i32",
    ),
    "table size": (
        fn(
            "%x: tensor<4xi8>",
            const("t", "0", "tensor<255xi8>"),
            "%0 = tosa.table %x, %t : (tensor<4xi8>, tensor<255xi8>) -> tensor<4xi8>",
        ),
        "expects a tensor<256xi8> table, got tensor<255xi8>",
    ),
    "table result": (
        fn(
            "%x: tensor<4xi16>",
            const("t", "0", "tensor<513xi16>"),
            "%0 = tosa.table %x, %t : (tensor<4xi16>, tensor<513xi16>) -> tensor<4xi16>",
        ),
        "expects a result of type tensor<4xi32>, got tensor<4xi16>",
    ),
    "axis out of range": (
        fn(
            "%a: tensor<2x3xf32>",
            "%0 = tosa.reduce_sum %a {axis = 2 : i32} : (tensor<2x3xf32>) -> tensor<2x3xf32>",
        ),
        "axis 2 is out of range for a rank-2 tensor",
    ),
    "reduction result": (
        fn(
            "%a: tensor<2x3xf32>",
            "%0 = tosa.reduce_max %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2xf32>",
        ),
        "expects a result of type tensor<2x1xf32>, got tensor<2xf32>",
    ),
    "reduce_all of floats": (
        fn(
            "%a: tensor<2x3xf32>",
            "%0 = tosa.reduce_all %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x1xf32>",
        ),
        "expects an input of bool elements, got f32",
    ),
    "argmax of a scalar": (
        fn(
            "%a: tensor<f32>",
            "%0 = tosa.argmax %a {axis = 0 : i32} : (tensor<f32>) -> tensor<i32>",
        ),
        "expects an input of rank >= 1",
    ),
    "argmax shape": (
        fn(
            "%a: tensor<2x3xf32>",
            "%0 = tosa.argmax %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<3xi32>",
        ),
        "expects a result of shape 2, got 3",
    ),
    "argmax result type": (
        fn(
            "%a: tensor<2x3xf32>",
            "%0 = tosa.argmax %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2xf32>",
        ),
        "expects a result of int elements, got f32",
    ),
    "matmul rank": (
        matmul("tensor<4x8xf32>", "tensor<1x8x3xf32>", "tensor<1x4x3xf32>"),
        "expects a to be a rank-3 tensor, got tensor<4x8xf32>",
    ),
    "matmul batch": (
        matmul("tensor<2x4x8xf32>", "tensor<3x8x3xf32>", "tensor<2x4x3xf32>"),
        "expects a and b of one batch size, got 2 and 3",
    ),
    "matmul inner": (
        matmul("tensor<1x4x8xf32>", "tensor<1x7x3xf32>", "tensor<1x4x3xf32>"),
        "expects the columns of a (8) to equal the rows of b (7)",
    ),
    "matmul shape": (
        matmul("tensor<1x4x8xf32>", "tensor<1x8x3xf32>", "tensor<1x4x4xf32>"),
        "expects a result of shape 1x4x3, got 1x4x4",
    ),
    "matmul operand types": (
        matmul("tensor<1x4x8xf32>", "tensor<1x8x3xf16>", "tensor<1x4x3xf32>"),
        "expects a and b of one element type, got f32 and f16",
    ),
    "matmul of i64": (
        matmul("tensor<1x4x8xi64>", "tensor<1x8x3xi64>", "tensor<1x4x3xi64>"),
        "does not multiply i64 (i8, i16, i32, f16, bf16 or f32)",
    ),
    "matmul accumulator": (
        matmul("tensor<1x4x8xi8>", "tensor<1x8x3xi8>", "tensor<1x4x3xi8>"),
        "expects a result of element type i32 for i8 inputs, got i8",
    ),
    "matmul bf16 into bf16": (
        matmul("tensor<1x4x8xbf16>", "tensor<1x8x3xbf16>", "tensor<1x4x3xbf16>"),
        "expects a result of element type f32 for bf16 inputs, got bf16",
    ),
    "matmul zero point type": (
        matmul("tensor<1x4x8xi8>", "tensor<1x8x3xi8>", "tensor<1x4x3xi32>", zp="i32"),
        "expects a_zp of element type i8, got i32",
    ),
    "matmul float zero point": (
        matmul(
            "tensor<1x4x8xf16>",
            "tensor<1x8x3xf16>",
            "tensor<1x4x3xf32>",
            zp_value="1.0",
        ),
        "expects a_zp to be 0 for non-i8 element types, got 1.0",
    ),
    "max_pool2d rank": (
        fn(
            "%x: tensor<4x4x2xf32>",
            f"%0 = tosa.max_pool2d %x {{{POOL}}} : (tensor<4x4x2xf32>) -> tensor<2x2x2xf32>",
        ),
        "expects an NHWC input of rank 4, got tensor<4x4x2xf32>",
    ),
    "max_pool2d attributes": (
        max_pool(POOL.replace("0, 0, 0, 0", "0, 0"), "tensor<1x2x2x2xf32>"),
        "expects a kernel and stride of 2 values and a pad of 4",
    ),
    "max_pool2d stride": (
        max_pool(
            POOL.replace("stride = array<i64: 2, 2>", "stride = array<i64: 0, 2>"),
            "tensor<1x2x2x2xf32>",
        ),
        "expects kernel and stride >= 1 and pad >= 0",
    ),
    "max_pool2d result": (
        max_pool(POOL, "tensor<1x3x2x2xf32>"),
        "expects a result of type tensor<1x2x2x2xf32>, got tensor<1x3x2x2xf32>",
    ),
    "transpose perms": (
        fn(
            "%a: tensor<2x3xf32>",
            "%0 = tosa.transpose %a {perms = array<i32: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>",
        ),
        "expects perms to be a permutation of 0..1, got [0, 0]",
    ),
    "transpose result": (
        fn(
            "%a: tensor<2x3xf32>",
            "%0 = tosa.transpose %a {perms = array<i32: 1, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>",
        ),
        "expects a result of type tensor<3x2xf32>, got tensor<2x3xf32>",
    ),
    "reshape count": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("s", "4, 2", 2),
            "%0 = tosa.reshape %a, %s : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<4x2xf32>",
        ),
        "cannot reshape 6 elements into 4x2",
    ),
    "reshape element type": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("s", "6", 1),
            "%0 = tosa.reshape %a, %s : (tensor<2x3xf32>, !tosa.shape<1>) -> tensor<6xf16>",
        ),
        "expects a result of element type f32, got f16",
    ),
    "reshape shape rank": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("s", "6, 1, 1", 3),
            "%0 = tosa.reshape %a, %s : (tensor<2x3xf32>, !tosa.shape<3>) -> tensor<6x1xf32>",
        ),
        "expects shape to be a !tosa.shape<2>, got !tosa.shape<3>",
    ),
    "reshape shape values": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("s", "2, 3", 2),
            "%0 = tosa.reshape %a, %s : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<3x2xf32>",
        ),
        "shape [2, 3] does not match the result shape 3x2",
    ),
    "slice rank": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("s", "0", 1),
            "%0 = tosa.slice %a, %s, %s : (tensor<2x3xf32>, !tosa.shape<1>, !tosa.shape<1>) -> tensor<1xf32>",
        ),
        "expects a result of rank 2 and element type f32, got tensor<1xf32>",
    ),
    "slice size": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("start", "0, 0", 2),
            shape("size", "1, 1", 2),
            "%0 = tosa.slice %a, %start, %size : (tensor<2x3xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x2xf32>",
        ),
        "size [1, 1] does not match the result shape 2x2",
    ),
    "slice bounds": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("start", "0, 2", 2),
            shape("size", "2, 2", 2),
            "%0 = tosa.slice %a, %start, %size : (tensor<2x3xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x2xf32>",
        ),
        "slice [2, 4) is out of bounds of dimension 1 (size 3)",
    ),
    "concat of nothing": (
        fn("", "%0 = tosa.concat {axis = 0 : i32} : () -> tensor<2xf32>"),
        "expects at least one input",
    ),
    "concat ranks": (
        fn(
            "%a: tensor<2x3xf32>, %c: tensor<3xf32>",
            "%0 = tosa.concat %a, %c {axis = 0 : i32} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>",
        ),
        "expects inputs of one rank and element type, input #1 is tensor<3xf32>",
    ),
    "concat off-axis": (
        fn(
            "%a: tensor<2x3xf32>, %c: tensor<2x4xf32>",
            "%0 = tosa.concat %a, %c {axis = 0 : i32} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>",
        ),
        "input #1 of shape 2x4 differs from input #0 off axis 0",
    ),
    "concat result": (
        fn(
            "%a: tensor<2x3xf32>",
            "%0 = tosa.concat %a, %a {axis = 1 : i32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>",
        ),
        "expects a result of type tensor<2x6xf32>, got tensor<4x3xf32>",
    ),
    "pad negative": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("p", "-1, 0, 0, 0", 4),
            const("v", "0.0", "tensor<1xf32>"),
            "%0 = tosa.pad %a, %p, %v : (tensor<2x3xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<1x3xf32>",
        ),
        "expects non-negative padding, got [-1, 0, 0, 0]",
    ),
    "pad result": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("p", "1, 1, 0, 0", 4),
            const("v", "0.0", "tensor<1xf32>"),
            "%0 = tosa.pad %a, %p, %v : (tensor<2x3xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<2x3xf32>",
        ),
        "expects a result of type tensor<4x3xf32>, got tensor<2x3xf32>",
    ),
    "tile multiples": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("m", "0, 1", 2),
            "%0 = tosa.tile %a, %m : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<0x3xf32>",
        ),
        "expects multiples >= 1, got [0, 1]",
    ),
    "tile result": (
        fn(
            "%a: tensor<2x3xf32>",
            shape("m", "2, 2", 2),
            "%0 = tosa.tile %a, %m : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<4x3xf32>",
        ),
        "expects a result of type tensor<4x6xf32>, got tensor<4x3xf32>",
    ),
    "reverse result": (
        fn(
            "%a: tensor<2x3xf32>",
            "%0 = tosa.reverse %a {axis = 0 : i32} : (tensor<2x3xf32>) -> tensor<3x2xf32>",
        ),
        "expects a result of the input's type tensor<2x3xf32>, got tensor<3x2xf32>",
    ),
    "gather ranks": (
        fn(
            "%v: tensor<5x3xf32>, %ix: tensor<2x4xi32>",
            "%0 = tosa.gather %v, %ix : (tensor<5x3xf32>, tensor<2x4xi32>) -> tensor<2x4x3xf32>",
        ),
        "expects values of rank 3 [N,K,C] and indices of rank 2 [N,W]",
    ),
    "gather index type": (
        fn(
            "%v: tensor<2x5x3xf32>, %ix: tensor<2x4xi8>",
            "%0 = tosa.gather %v, %ix : (tensor<2x5x3xf32>, tensor<2x4xi8>) -> tensor<2x4x3xf32>",
        ),
        "expects i32 indices, got i8",
    ),
    "gather batch": (
        fn(
            "%v: tensor<2x5x3xf32>, %ix: tensor<1x4xi32>",
            "%0 = tosa.gather %v, %ix : (tensor<2x5x3xf32>, tensor<1x4xi32>) -> tensor<2x4x3xf32>",
        ),
        "expects values and indices of one batch size, got 2 and 1",
    ),
    "gather result": (
        fn(
            "%v: tensor<2x5x3xf32>, %ix: tensor<2x4xi32>",
            "%0 = tosa.gather %v, %ix : (tensor<2x5x3xf32>, tensor<2x4xi32>) -> tensor<2x5x3xf32>",
        ),
        "expects a result of type tensor<2x4x3xf32>, got tensor<2x5x3xf32>",
    ),
    "const type": (
        fn(
            "",
            '%c = "tosa.const"() <{values = dense<1> : tensor<2xi32>}> : () -> tensor<3xi32>',
        ),
        "expects a result of its values' type tensor<2xi32>, got tensor<3xi32>",
    ),
    "const_shape values": (
        fn(
            "",
            '%s = "tosa.const_shape"() <{values = dense<1> : tensor<2xi32>}> : () -> !tosa.shape<2>',
        ),
        "expects values of a rank-1 index tensor, got tensor<2xi32>",
    ),
    "const_shape result": (
        fn(
            "",
            '%s = "tosa.const_shape"() <{values = dense<1> : tensor<2xindex>}> : () -> !tosa.shape<3>',
        ),
        "expects a result of type !tosa.shape<2>, got !tosa.shape<3>",
    ),
}


@pytest.mark.parametrize(("text", "message"), INVALID.values(), ids=INVALID.keys())
def test_verifier_message(text: str, message: str) -> None:
    module = parse(text)
    with pytest.raises(VerifyException, match=re.escape(message)) as info:
        module.verify()
    assert re.search(r"'tosa\.\w+' op ", str(info.value))
