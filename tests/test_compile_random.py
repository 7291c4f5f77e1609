"""Differential test of lpu-compile: random well-typed TOSA programs over the
lowered set (linalg and tensor ones: tests/test_compile_linalg.py), every
operand and attribute drawn (element types, odd shapes, broadcasting, shifts,
zero points, nan modes, paddings, permutations, axes), compiled, simulated and
demanded bit-equal with the reference interpreter in exactly the static cycle
count.

Inputs hold the values that find numerics bugs: NaN, infinities, -0, the
integer extremes, negative and huge shift amounts. The `ci` profile runs a
few dozen small programs; `dev` explores many more."""

from __future__ import annotations

import numpy as np
from hypothesis import currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from xdsl.dialects import arith, math
from xdsl.dialects.builtin import BoolAttr, DenseArrayBase, ModuleOp, i64
from xdsl.ir import SSAValue

from lpuir import numerics
from lpuir.compare import bits_equal
from lpuir.context import make_context
from lpuir.diagnostics import verify_located
from lpuir.dialects import tosa
from lpuir.interpreter.reference import run_function
from lpuir.interpreter.simulator import simulate
from lpuir.machine import chip_from_params
from lpuir.tensor_builder import TensorBuilder, element_type, shape_of, tensor_type
from lpuir.transforms.annotations import set_k_split
from lpuir.transforms.compile import CompilePass
from lpuir.transforms.vectorize import lanes, reductions
from lpuir.types import element_type_name

FLOATS = ("f32", "f16", "bf16")
INTS = ("i32", "i16", "i8", "ui8", "ui16", "ui32")
DIMS = (1, 2, 3, 5, 7, 16, 33, 321)

UNARY_FLOAT = (
    tosa.ExpOp,
    tosa.LogOp,
    tosa.TanhOp,
    tosa.SigmoidOp,
    tosa.ErfOp,
    tosa.RsqrtOp,
    tosa.ReciprocalOp,
    tosa.SinOp,
    tosa.CosOp,
    tosa.AbsOp,
    tosa.FloorOp,
    tosa.CeilOp,
    tosa.IdentityOp,
)
BINARY_NUMBER = (tosa.AddOp, tosa.SubOp, tosa.MaximumOp, tosa.MinimumOp)
BINARY_INT = (
    tosa.BitwiseAndOp,
    tosa.BitwiseOrOp,
    tosa.BitwiseXorOp,
    tosa.LogicalLeftShiftOp,
    tosa.LogicalRightShiftOp,
    tosa.ArithmeticRightShiftOp,
)
COMPARE = (tosa.EqualOp, tosa.GreaterOp, tosa.GreaterEqualOp)
LOGICAL = (tosa.LogicalAndOp, tosa.LogicalOrOp, tosa.LogicalXorOp)
REDUCE = (tosa.ReduceSumOp, tosa.ReduceMaxOp, tosa.ReduceMinOp, tosa.ReduceProductOp)
ARITH_FLOAT = (arith.DivfOp, arith.MaxnumfOp, arith.MinnumfOp)
ARITH_INT = (arith.DivSIOp, arith.RemSIOp, arith.MaxUIOp, arith.DivUIOp, arith.ShRUIOp)
MATH_FLOAT = (
    math.FloorOp,
    math.CeilOp,
    math.TruncOp,
    math.AbsFOp,
    math.SqrtOp,
    math.SinOp,
    math.CosOp,
)
MATH_BITS = (math.CountLeadingZerosOp, math.CountTrailingZerosOp, math.CtPopOp)


def element(value: SSAValue) -> str:
    return element_type_name(value.type.get_element_type())  # type: ignore[attr-defined]


class Program:
    """A module, its arguments' shapes and types, and its text (for reports)."""

    def __init__(self, module: ModuleOp, args: list[tuple[tuple[int, ...], str]]):
        self.module, self.args, self.text = module, args, str(module)

    def __repr__(self) -> str:
        return f"{self.text}\nargs: {self.args}"


@st.composite
def shapes(draw: st.DrawFn) -> tuple[int, ...]:
    rank = draw(st.integers(1, 3))
    shape = tuple(draw(st.sampled_from(DIMS)) for _ in range(rank))
    while np.prod(shape) > 1500:
        shape = shape[1:]
    return shape


def ranked_like(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with `shape` (some dimensions 1)."""
    return tuple(d if draw(st.booleans()) else 1 for d in shape)


@st.composite
def programs(draw: st.DrawFn) -> Program:
    b = TensorBuilder("main")
    shape = draw(shapes())
    t = draw(st.sampled_from(FLOATS + INTS))
    args: list[tuple[tuple[int, ...], str]] = [
        (shape, t),
        (ranked_like(draw, shape), t),
    ]
    if draw(st.booleans()):
        args.append((shape, "i1"))
    pool = [b.argument(s, e) for s, e in args]

    def pick(kind: str | None = None, like: SSAValue | None = None) -> SSAValue | None:
        found = [
            v
            for v in pool
            if (kind is None or element(v) == kind)
            and (like is None or _broadcasts(shape_of(v), shape_of(like)))
        ]
        return draw(st.sampled_from(found)) if found else None

    target = draw(st.integers(2, 6))
    for _ in range(3 * target):
        if len(pool) - len(args) >= target:
            break
        x = draw(st.sampled_from([v for v in pool if shape_of(v)]))
        xt = element(x)
        family = draw(
            st.sampled_from(
                [
                    "unary",
                    "binary",
                    "compare",
                    "cast",
                    "clamp",
                    "reduce",
                    "layout",
                    "mul",
                    "arith",
                    "select",
                    "matmul",
                    "window",
                    "bits",
                    "table",
                    "rows",
                ]
            )
        )
        y = pick(xt, x)
        made: SSAValue | None = None
        if family == "unary":
            if numerics.is_float(xt):
                made = b.unary(draw(st.sampled_from(UNARY_FLOAT)), x)
            elif xt != "i1":
                made = (
                    b.unary(tosa.BitwiseNotOp, x)
                    if draw(st.booleans())
                    else b.negate(x)
                )
            else:
                made = b.unary(tosa.LogicalNotOp, x)
        elif family == "binary" and y is not None:
            if xt == "i1":
                made = b.binary(draw(st.sampled_from(LOGICAL)), x, y)
            elif numerics.is_float(xt) or draw(st.booleans()):
                op = draw(st.sampled_from(BINARY_NUMBER))
                props = {}
                if op in (tosa.MaximumOp, tosa.MinimumOp) and draw(st.booleans()):
                    props["nan_mode"] = tosa.NanModeAttr(tosa.NanMode.IGNORE)
                made = b.binary(op, x, y, **props)
            elif xt != "ui8":
                op = draw(st.sampled_from(BINARY_INT))
                props = {}
                if op is tosa.ArithmeticRightShiftOp:
                    props["round"] = BoolAttr.from_bool(draw(st.booleans()))
                made = b.binary(op, x, y, **props)
        elif family == "compare" and y is not None and xt != "i1":
            made = b.binary(draw(st.sampled_from(COMPARE)), x, y)
        elif family == "cast":
            made = b.cast(x, draw(st.sampled_from((*FLOATS, *INTS, "i1"))))
        elif family == "clamp" and xt != "i1":
            floor = 0 if xt.startswith("u") else -100
            lo, hi = sorted(draw(st.integers(floor, 100)) for _ in range(2))
            made = b.clamp(x, lo, hi)
        elif family == "reduce" and xt != "i1":
            axis = draw(st.integers(0, len(shape_of(x)) - 1))
            if draw(st.booleans()):
                made = b.argmax(x, axis)
            else:
                made = b.reduce(draw(st.sampled_from(REDUCE)), x, axis)
        elif family == "layout":
            made = layout(draw, b, x)
        elif family == "mul" and y is not None and xt not in ("i1",):
            shift = draw(st.integers(0, 40)) if xt == "i32" else 0
            made = b.tosa_mul(x, y, shift)
        elif family == "arith" and y is not None and xt in ("f32", "f16", "i32", "i16"):
            ops = ARITH_FLOAT + MATH_FLOAT if numerics.is_float(xt) else ARITH_INT
            op = draw(st.sampled_from(ops))
            operands = [x] if op in MATH_FLOAT else [x, y]
            made = b.elementwise(op, operands)
        elif family == "matmul" and xt in ("i8", "f16", "bf16", "f32", "i32"):
            made = product(draw, b, x)
        elif family == "window" and len(shape_of(x)) == 3 and xt != "i1":
            made = window(draw, b, x)
        elif family == "bits" and xt in ("i32", "i16", "i8"):
            if xt == "i32" and draw(st.booleans()):
                made = b.unary(tosa.ClzOp, x)
            else:
                made = b.elementwise(draw(st.sampled_from(MATH_BITS)), [x])
        elif family == "table" and xt in ("i8", "i16"):
            made = lookup(draw, b, x)
        elif family == "rows" and len(shape_of(x)) == 3 and xt != "i1":
            made = rows(draw, b, x)
        elif family == "select" and y is not None:
            mask = pick("i1", x)
            if mask is not None:
                made = b.select(mask, x, y)
        if made is not None:
            pool.append(made)
    result = pool[-1] if len(pool) > len(args) else b.unary(tosa.IdentityOp, pool[0])
    return Program(b.module([result]), args)


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return len(a) == len(b) and all(
        x in (y, 1) or y == 1 for x, y in zip(a, b, strict=True)
    )


def layout(draw: st.DrawFn, b: TensorBuilder, x: SSAValue) -> SSAValue:
    """A data-movement op of x, its attributes drawn."""
    shape = shape_of(x)
    rank = len(shape)
    kind = draw(
        st.sampled_from(
            ["transpose", "reshape", "slice", "concat", "pad", "tile", "reverse"]
        )
    )
    if kind == "transpose" and rank > 1:
        return b.transpose(x, draw(st.permutations(range(rank))))
    if kind == "reshape":
        n = int(np.prod(shape))
        divisors = [d for d in range(1, n + 1) if n % d == 0]
        last = draw(st.sampled_from(divisors))
        return b.reshape(x, (n // last, last))
    if kind == "slice":
        start = [draw(st.integers(0, d - 1)) for d in shape]
        size = [draw(st.integers(1, d - s)) for d, s in zip(shape, start, strict=True)]
        return b.slice(x, start, size)
    if kind == "concat":
        return b.concat([x, x], draw(st.integers(0, rank - 1)))
    if kind == "pad":
        pads = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in shape]
        low = 0 if element(x).startswith("u") or element(x) == "i1" else -3
        return b.pad(x, pads, draw(st.integers(low, 3)))
    if kind == "tile":
        multiples = [draw(st.integers(1, 2)) for _ in shape]
        return b.tile(x, multiples)
    return b.reverse(x, draw(st.integers(0, rank - 1)))


def product(draw: st.DrawFn, b: TensorBuilder, x: SSAValue) -> SSAValue:
    """x [M, K] (its rows folded) times a constant [K, N], zero points drawn;
    on the MXM, sometimes a K split (`lpu.k_parts`, `lpu.k_order`)."""
    shape = shape_of(x)
    k = shape[-1]
    m = int(np.prod(shape)) // k
    t = element(x)
    n = draw(st.sampled_from((1, 3, 40, 330)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    w = b.constant(values((1, k, n), t, rng, specials=0), t)
    zps = [draw(st.integers(-128, 127)) for _ in range(2)] if t == "i8" else [0, 0]
    out = draw(st.sampled_from(tosa.MATMUL_ACCUMULATORS[element_type(t)]))
    if element_type_name(out) == "i64":
        out = element_type("i32")
    result = b.matmul(b.reshape(x, (1, m, k)), w, out, *zps)
    on_mxm = t == "i8" or (t in ("f16", "bf16") and element_type_name(out) == "f32")
    kb = 320 if t == "i8" else 160
    if on_mxm and k > kb and draw(st.booleans()):
        # a K split over planes, its partial sums in a drawn order
        points = sorted(draw(st.sets(st.integers(1, (k - 1) // kb), min_size=1)))
        order: list = draw(st.permutations(range(len(points) + 1)))
        if len(order) > 2 and draw(st.booleans()):
            order = [order[:2], *order[2:]]
        set_k_split(result.owner, [p * kb for p in points], order)  # type: ignore[arg-type]
    return result


def lookup(draw: st.DrawFn, b: TensorBuilder, x: SSAValue) -> SSAValue:
    """A tosa.table of x (i8 or i16) in a drawn constant table."""
    t = element(x)
    entries, out = tosa.TableOp.LAYOUTS[numerics.bitwidth(t)]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    table = b.constant(values((entries,), t, rng), t)
    return b.insert(
        tosa.TableOp(
            operands=[x, table], result_types=[tensor_type(shape_of(x), f"i{out}")]
        )
    ).results[0]


def rows(draw: st.DrawFn, b: TensorBuilder, x: SSAValue) -> SSAValue:
    """A tosa.gather of x's rows [N, K, C] by drawn constant or run-time indices, or a
    tosa.scatter of a gather of them back into x at distinct drawn rows."""
    n, k, _ = shape_of(x)
    w = draw(st.integers(1, min(k, 5)))
    picks = [draw(st.permutations(range(k)))[:w] for _ in range(n)]
    indices = b.constant(np.array(picks, dtype=np.int32), "i32")
    if draw(st.booleans()):  # indices computed at run time from x, clamped
        column = b.reshape(b.slice(x, [0, 0, 0], [n, w, 1]), (n, w))
        computed = b.clamp(b.cast(column, "i32"), 0, k - 1)
        return b.gather(x, computed if draw(st.booleans()) else indices)
    sources = [[draw(st.integers(0, k - 1)) for _ in range(w)] for _ in range(n)]
    updates = b.gather(x, b.constant(np.array(sources, dtype=np.int32), "i32"))
    return b.insert(
        tosa.ScatterOp(operands=[x, indices, updates], result_types=[x.type])
    ).results[0]


def window(draw: st.DrawFn, b: TensorBuilder, x: SSAValue) -> SSAValue:
    """A max_pool2d, or (floats) an avg_pool2d or a conv2d, of x as NHWC."""
    h, w, c = shape_of(x)
    t = element(x)
    kernel = [draw(st.integers(1, min(3, d))) for d in (h, w)]
    stride = [draw(st.integers(1, 2)) for _ in range(2)]
    pad = [draw(st.integers(0, k - 1)) for k in kernel for _ in range(2)]
    oh = (h + pad[0] + pad[1] - kernel[0]) // stride[0] + 1
    ow = (w + pad[2] + pad[3] - kernel[1]) // stride[1] + 1
    x4 = b.reshape(x, (1, h, w, c))
    arrays = {
        "kernel": DenseArrayBase.from_list(i64, kernel),
        "stride": DenseArrayBase.from_list(i64, stride),
        "pad": DenseArrayBase.from_list(i64, pad),
    }
    kind = draw(
        st.sampled_from(["max", "avg", "conv"] if numerics.is_float(t) else ["max"])
    )
    if kind == "max":
        op = tosa.MaxPool2dOp(
            operands=[x4],
            result_types=[tensor_type((1, oh, ow, c), t)],
            properties=arrays,
        )
    elif kind == "avg":
        zp = b.zero_point(t)
        op = tosa.AvgPool2dOp(
            operands=[x4, zp, zp],
            result_types=[tensor_type((1, oh, ow, c), t)],
            properties={**arrays, "acc_type": element_type("f32")},
        )
    else:
        oc = draw(st.integers(1, 3))
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        weight = b.constant(values((oc, *kernel, c), t, rng, specials=0), t)
        bias = b.constant(values((oc,), t, rng, specials=0), t)
        zp = b.zero_point(t)
        del arrays["kernel"]
        op = tosa.Conv2DOp(
            operands=[x4, weight, bias, zp, zp],
            result_types=[tensor_type((1, oh, ow, oc), t)],
            properties={
                **arrays,
                "dilation": DenseArrayBase.from_list(i64, [1, 1]),
                "acc_type": element_type("f32"),
            },
        )
    return b.insert(op).results[0]


def values(
    shape: tuple[int, ...], t: str, rng: np.random.Generator, specials: float = 0.05
) -> np.ndarray:
    """Random values of t, floats with this share of special values."""
    if t == "i1":
        return rng.integers(0, 2, shape).astype(bool)
    if numerics.is_float(t):
        x = rng.standard_normal(shape) * rng.choice([1, 4, 100], shape)
        special = rng.random(shape) < specials
        x = np.where(
            special,
            rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0, 2.5, -2.5], shape),
            x,
        )
        return numerics.round_float(x, t)
    info = np.iinfo(numerics.carrier(t))
    lo, hi = int(info.min), int(info.max)
    if numerics.bitwidth(t) == 64:  # with the words' edges: 2**32 - 1, 2**32, ...
        x = rng.integers(lo, hi, shape, dtype=info.dtype, endpoint=True)
        edges = [lo, hi, 2**32 - 1, 2**32, 2**31, -(2**31) - 1, -(2**32)]
        edge = rng.choice(
            np.array([e for e in edges if lo <= e <= hi], info.dtype), shape
        )
        x = np.where(rng.random(shape) < 0.3, edge, x)
    else:
        x = rng.integers(lo, hi + 1, shape, dtype=np.int64)
    small = rng.integers(max(lo, -40), 41, shape).astype(x.dtype)
    return numerics.as_carrier(np.where(rng.random(shape) < 0.5, small, x), t)


def check(
    program: Program,
    seed: int,
    specials: float = 0.05,
    chip: dict[str, int] | None = None,
) -> None:
    """Compiled for tsp-v1, or for it with the `chip` overrides (and the
    reference run with the same)."""
    rng = np.random.default_rng(seed)
    inputs = [values(s, t, rng, specials) for s, t in program.args]
    spec = chip_from_params("tsp-v1", chip or {})
    try:
        expected = run_function(program.module, None, inputs, chip=spec)
    except Exception:  # the reference refuses these inputs (a shift's domain, ...)
        assert currently_in_test_context(), "the reference refuses the inputs"
        event("the reference refuses the inputs")
        return
    if currently_in_test_context():  # a hypothesis test, not a plain one
        event(f"{sum(1 for _ in program.module.walk())} ops")
    compiled = program.module.clone()
    overrides = ", ".join(f"{k} = {v} : i64" for k, v in (chip or {}).items())
    system = f'#lpu.system<"tsp-v1", {{chip = #lpu.chip<"tsp-v1", {{{overrides}}}>}}>'
    CompilePass(system=system).apply(make_context(), compiled)
    verify_located(compiled)
    result = simulate(compiled, inputs)
    assert result.cycles == result.static_cycles, program.text
    for got, want in zip(result.outputs, expected, strict=True):
        got = got.reshape(want.shape)
        assert got.dtype == want.dtype, program.text
        assert bool(np.all(bits_equal(got, want))), f"{program.text}\n{got}\n{want}"


@given(programs(), st.integers(0, 2**16))
def test_random_programs_compile_bit_exact(program: Program, seed: int) -> None:
    check(program, seed)


@st.composite
def last_axis_reductions(
    draw: st.DrawFn, rows: st.SearchStrategy[int] | None = None
) -> Program:
    """One reduction along the last axis of rows of up to three vectors, two
    whole ones or more than the VXM has ALUs (the row's chain of combines
    reuses them), of every kind and element type, and its result broadcast
    back over the rows (adding -0, or or-ing false), so that every lane of the
    splat counts
    (lpuir/transforms/vectorize/lanes.py: the lane tree keeps every fifth
    lane equal to lane 0, which then spreads to all). `rows`: how many
    (1 to 4 unless given)."""
    t = draw(st.sampled_from((*FLOATS, *FLOATS, *INTS, "i1")))
    rows = st.integers(1, 4) if rows is None else rows
    shape = (draw(rows), draw(st.sampled_from((1, 5, 319, 321, 640, 700, 5500))))
    b = TensorBuilder("main")
    x = b.argument(shape, t)
    kinds = (tosa.ReduceAllOp, tosa.ReduceAnyOp) if t == "i1" else (*REDUCE, None)
    kind = draw(st.sampled_from(kinds))
    made = b.argmax(x, 1) if kind is None else b.reduce(kind, x, 1)
    if kind in (tosa.ReduceMaxOp, tosa.ReduceMinOp) and draw(st.booleans()):
        made.owner.properties["nan_mode"] = tosa.NanModeAttr(tosa.NanMode.IGNORE)
    column = b.reshape(made, (shape[0], 1))
    u = element(column)
    spread = (
        b.binary(tosa.LogicalOrOp, b.constant(False, u, shape), column)
        if u == "i1"
        else b.binary(
            tosa.AddOp, b.constant(-0.0 if u in FLOATS else 0, u, shape), column
        )
    )
    return Program(b.module([made, spread]), [(shape, t)])


@given(last_axis_reductions(), st.integers(0, 2**16), st.sampled_from((0, 0, 0.05, 1)))
def test_last_axis_reductions_compile_bit_exact(
    program: Program, seed: int, specials: float
) -> None:
    """Floats with no special value (where the lanes' order shows in a sum's
    rounding), a few, or nothing else (NaN, infinities, -0 and +0: where it
    could show in the sign of a zero sum or a min/max of zeros)."""
    check(program, seed, specials)


@settings(max_examples=min(settings().max_examples, 30))  # about 8 s an example
@given(
    last_axis_reductions(st.sampled_from((1, 2, 3, 4, 16, 40, 64))),
    st.sampled_from(((320, 20), (160, 10), (96, 6), (64, 4), (48, 3), (16, 1))),
    st.sampled_from((2, 3)),
    st.integers(0, 2**16),
)
def test_lane_trees_of_other_chips_compile_bit_exact(
    program: Program, lanes: tuple[int, int], delay_vxm: int, seed: int
) -> None:
    """The lane tree (reductions.lane_passes) on chips of 6, 5, 4 or 3
    halvings ending in an odd width of 5, 3 or 1 (no left-to-right pass),
    for a few rows (few passes of many stages, up to one of them all) or
    many (two halvings a pass, or three), and with a VXM step of 2 or 3
    cycles, which spaces a pass's rotations and its operands' delays."""
    chip = {"lanes": lanes[0], "superlanes": lanes[1], "delay_vxm": delay_vxm}
    check(program, seed, chip=chip)


@st.composite
def streamed_matmuls(draw: st.DrawFn) -> Program:
    """A matmul whose every output tile (N over 320 columns) streams the
    whole left-hand side, more rows than a tile installs in, so that tiles
    alternate between it and a twin (matmul.read_twins): an input's second
    copy, or a computed one's VXM copy, which chains.py takes off the
    producer's stream when the producer is a VXM op; the right-hand side a
    constant or an input, zero points drawn."""
    t = draw(st.sampled_from(("i8", "f16", "bf16")))
    m, k = draw(st.integers(2, 40)), draw(st.sampled_from((3, 160, 330)))
    n = draw(st.sampled_from((330, 700)))
    b = TensorBuilder("main")
    args: list[tuple[tuple[int, ...], str]] = [((1, m, k), t)]
    x = b.argument(*args[0])
    if draw(st.booleans()):
        x = b.unary(tosa.AbsOp, x) if t != "i8" else b.negate(x)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if draw(st.booleans()):
        args.append(((1, k, n), t))
        w = b.argument(*args[1])
    else:
        w = b.constant(values((1, k, n), t, rng, specials=0), t)
    zps = [draw(st.integers(-128, 127)) for _ in range(2)] if t == "i8" else [0, 0]
    out = "i32" if t == "i8" else "f32"
    return Program(b.module([b.matmul(x, w, out, *zps)]), args)


@given(streamed_matmuls(), st.integers(0, 2**16))
def test_streamed_matmuls_compile_bit_exact(program: Program, seed: int) -> None:
    check(program, seed)


@st.composite
def row_chains(draw: st.DrawFn) -> Program:
    """Elementwise chains over many rows whose first op scales each row by
    its own value (a last-axis broadcast, lowered row by row): every row's
    write meets the next op's read of it only after the other rows' writes
    (chains.py `_round_trips`). The next ops take a vector broadcast over
    the rows, another per-row value or the input again; the intermediate is
    sometimes read twice or returned too (its write then stays)."""
    t = draw(st.sampled_from((*FLOATS, *FLOATS, "i32", "i16", "ui8")))
    rows, cols = (
        draw(st.sampled_from((2, 3, 9, 33))),
        draw(st.sampled_from((5, 321, 700))),
    )
    ops = (*BINARY_NUMBER, None) if t in FLOATS else BINARY_NUMBER
    b = TensorBuilder("main")
    args = [((rows, cols), t), ((rows, 1), t), ((1, cols), t), ((rows, 1), t)]
    x, s, w, s2 = (b.argument(*a) for a in args)

    def apply(a: SSAValue, c: SSAValue) -> SSAValue:
        kind = draw(st.sampled_from(ops))
        return b.mul(a, c) if kind is None else b.binary(kind, a, c)

    first = apply(x, s) if draw(st.booleans()) else apply(s, x)
    value = first
    for _ in range(draw(st.integers(1, 3))):
        value = apply(value, draw(st.sampled_from((w, s2, x, s))))
    outs = [value]
    reuse = draw(st.sampled_from(("no", "no", "read", "returned")))
    if reuse == "read":
        outs.append(apply(first, w))
    elif reuse == "returned":
        outs.append(first)
    return Program(b.module(outs), args)


@given(row_chains(), st.integers(0, 2**16))
def test_row_chains_compile_bit_exact(program: Program, seed: int) -> None:
    check(program, seed)


def test_a_row_by_row_chain_keeps_no_intermediate() -> None:
    """RMSNorm's tail, x * q * w over 8 rows (q one value per row): the
    first product's rows go to the second op on the VXM, so no scratch
    tensor of the rows is left and each row is one pass."""
    b = TensorBuilder("main")
    x, q, w = (b.argument(s, "f32") for s in ((8, 700), (8, 1), (1, 700)))
    module = b.module([b.mul(b.mul(x, q), w)])
    CompilePass(system="node8").apply(make_context(), module)
    scratch = [
        op
        for op in module.walk()
        if op.name == "lpu.tensor"
        and op.kind.data == "scratch"
        and op.type.get_shape() == (8, 700)
    ]
    assert not scratch


FOLDED_UNARY = (*UNARY_FLOAT, tosa.NegateOp)
FOLDED_BINARY = (tosa.AddOp, tosa.SubOp, tosa.MulOp, tosa.PowOp)


@st.composite
def folded_reductions(draw: st.DrawFn) -> tuple[Program, dict[str, int] | None]:
    """An elementwise op (every float unary and binary op of one VXM
    instruction, which `reductions.folds_into` takes, and floor, ceil and
    identity, which it leaves; the other operand the input itself, a row, a
    per-row value or a whole tensor, on either side), or a unary op of it
    (both folded, the one inside the other), reduced by every
    kind along rows of two vectors and more (folded into the reduction), or
    along the leading axis (of a small tensor) or with NaN ignored (neither
    folded); its value also returned or reduced again (folded, the value
    kept for the later user) or used before the reduction (not folded);
    rank 2 or 3, on tsp-v1 and chips of other lanes and VXM steps; or the
    left-hand side of a matmul (rank 3), which lays it out in K-blocks of
    half a vector, so a row's chunks of the spec are two vectors each."""
    t = draw(st.sampled_from(FLOATS))
    also = draw(
        st.sampled_from(
            ("no", "no", "no", "returned", "reduced", "before", "multiplied")
        )
    )
    lead = (2,) if also == "multiplied" else draw(st.sampled_from(((), (), (2,))))
    shape = (
        *lead,
        draw(st.sampled_from((1, 2, 5, 33))),
        draw(st.sampled_from((321, 640, 700, 5500))),
    )
    rank = len(shape)
    b = TensorBuilder("main")
    args = [
        (shape, t),
        ((*shape[:-1], 1), t),
        ((1,) * (rank - 1) + shape[-1:], t),
        (shape, t),
    ]
    x, *others = (b.argument(*a) for a in args)
    kind = draw(st.sampled_from((*FOLDED_UNARY, *FOLDED_BINARY)))
    if kind in FOLDED_UNARY:
        value = b.negate(x) if kind is tosa.NegateOp else b.unary(kind, x)
    else:
        y = draw(st.sampled_from((x, *others)))
        a, c = (x, y) if draw(st.booleans()) else (y, x)
        value = b.mul(a, c) if kind is tosa.MulOp else b.binary(kind, a, c)
    if draw(st.booleans()):  # a unary op of it, its one user: a chain of folds
        outer = draw(st.sampled_from(FOLDED_UNARY))
        value = b.negate(value) if outer is tosa.NegateOp else b.unary(outer, value)
    outs = [b.add(value, value)] if also == "before" else []
    reduce = draw(st.sampled_from(REDUCE))
    axis = rank - 1 if draw(st.integers(0, 4)) else 0
    made = b.reduce(reduce, value, axis)
    if reduce in (tosa.ReduceMaxOp, tosa.ReduceMinOp) and not draw(st.integers(0, 3)):
        made.owner.properties["nan_mode"] = tosa.NanModeAttr(tosa.NanMode.IGNORE)
    outs.append(made)
    if also == "returned":
        outs.append(value)
    elif also == "reduced":
        outs.append(b.reduce(tosa.ReduceSumOp, value, rank - 1))
    elif also == "multiplied":
        half = "f16" if t == "f32" else t
        args.append(((shape[0], shape[-1], 8), half))
        outs.append(b.matmul(b.cast(value, half), b.argument(*args[-1])))
    chip = draw(
        st.sampled_from((None, {"lanes": 160, "superlanes": 10}, {"delay_vxm": 3}))
    )
    return Program(b.module(outs), args), chip


@settings(max_examples=min(settings().max_examples, 40))
@given(folded_reductions(), st.integers(0, 2**16), st.sampled_from((0, 0.05)))
def test_folded_reductions_compile_bit_exact(
    drawn: tuple[Program, dict[str, int] | None], seed: int, specials: float
) -> None:
    program, chip = drawn
    check(program, seed, specials, chip)


def test_a_sum_over_a_matmuls_k_blocks_keeps_the_spec_order() -> None:
    """A row sum of a value that is also (cast) a matmul's left-hand side:
    the value is laid out in K-blocks of 160, half a vector, so the spec's
    first chunk of a 640-element row is vectors 0 and 1 side by side; the
    sum adds vectors 0 and 2, 1 and 3, then the two (the lane tree's first
    halving), not 0, 1, 2, 3 in order (which rounds otherwise: every seed
    here failed so)."""
    b = TensorBuilder("main")
    x = b.argument((4, 2, 640), "f32")
    w = b.argument((4, 640, 64), "f16")
    outs = [b.reduce(tosa.ReduceSumOp, x, 2), b.matmul(b.cast(x, "f16"), w)]
    check(Program(b.module(outs), [((4, 2, 640), "f32"), ((4, 640, 64), "f16")]), 3, 0)


def test_a_sum_of_squares_keeps_no_squares() -> None:
    """RMSNorm's sum of x * x over rows of 4096: the squares are computed on
    the VXM as the reduction reads x, so no tensor holds them."""
    b = TensorBuilder("main")
    x = b.argument((4, 4096), "f32")
    module = b.module([b.reduce(tosa.ReduceSumOp, b.mul(x, x), 1)])
    CompilePass(system="tsp-v1").apply(make_context(), module)
    held = [
        op.type.get_shape()
        for op in module.walk()
        if op.name == "lpu.tensor" and op.kind.data == "scratch"
    ]
    assert (4, 4096) not in held, held


def test_softmax_exponentials_are_computed_in_their_sum() -> None:
    """Softmax's exp(x - max) over rows of 4096: the reduce_sum computes
    each difference and its exponential as it reads x and writes the
    exponential off the ALU's stream for the final mul, so every vxm.exp
    feeds the sum's chain (a select, a copy or an add) as well as its write,
    and every vxm.sub only a vxm.exp."""
    b = TensorBuilder("main")
    x = b.argument((4, 4096), "f32")
    e = b.unary(tosa.ExpOp, b.sub(x, b.reduce(tosa.ReduceMaxOp, x, 1)))
    total = b.reduce(tosa.ReduceSumOp, e, 1)
    module = b.module([b.mul(e, b.unary(tosa.ReciprocalOp, total))])
    CompilePass(system="tsp-v1").apply(make_context(), module)
    exps = [op for op in module.walk() if op.name == "lpu.vxm.exp"]
    assert exps
    for op in exps:
        users = {u.operation.name for u in op.results[0].uses}
        assert "lpu.mem.write" in users and users & {
            "lpu.vxm.add",
            "lpu.vxm.copy",
            "lpu.vxm.select",
        }, users
    subs = [op for op in module.walk() if op.name == "lpu.vxm.sub"]
    assert subs
    for op in subs:
        assert {u.operation.name for u in op.results[0].uses} == {"lpu.vxm.exp"}


WORD_BINARY = (
    tosa.AddOp,
    tosa.SubOp,
    tosa.MaximumOp,
    tosa.MinimumOp,
    tosa.EqualOp,
    tosa.GreaterOp,
    tosa.GreaterEqualOp,
)


@st.composite
def word_programs(draw: st.DrawFn) -> Program:
    """Programs on i64 or ui64 values (held as i32 word pairs): the ops
    lowered on them, with broadcasting, casts to and from narrower types and
    data movement."""
    b = TensorBuilder("main")
    shape = draw(shapes())
    t = draw(st.sampled_from(("i64", "ui64")))
    args = [(shape, t), (ranked_like(draw, shape), t), (shape, "i1")]
    pool = [b.argument(s, e) for s, e in args]
    for _ in range(draw(st.integers(1, 5))):
        wide = [v for v in pool if element(v) == t]
        x = draw(st.sampled_from(wide))
        y = draw(
            st.sampled_from([v for v in wide if _broadcasts(shape_of(v), shape_of(x))])
        )
        kind = draw(st.sampled_from(["binary", "select", "cast", "move"]))
        if kind == "binary":
            made = b.binary(draw(st.sampled_from(WORD_BINARY)), x, y)
        elif kind == "select":
            made = (
                b.select(pool[2], x, y)
                if shape_of(x) == shape
                else b.select(b.binary(tosa.GreaterOp, x, y), x, y)
            )
        elif kind == "cast":
            narrow = draw(st.sampled_from(("i32", "i16", "i8", "ui8", "i1")))
            made = b.cast(x, narrow)
            if draw(st.booleans()):
                made = b.cast(made, t)
        else:
            made = word_move(draw, b, x)
        pool.append(made)
    return Program(b.module([pool[-1]]), args)


def word_move(draw: st.DrawFn, b: TensorBuilder, x: SSAValue) -> SSAValue:
    """A data-movement op lowered on word pairs, its attributes drawn."""
    shape = shape_of(x)
    kind = draw(
        st.sampled_from(["reshape", "slice", "concat", "tile", "reverse", "rows"])
    )
    if kind == "reshape":
        n = int(np.prod(shape))
        last = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
        return b.reshape(x, (n // last, last))
    if kind == "slice":
        start = [draw(st.integers(0, d - 1)) for d in shape]
        size = [draw(st.integers(1, d - s)) for d, s in zip(shape, start, strict=True)]
        return b.slice(x, start, size)
    if kind == "concat":
        return b.concat([x, x], draw(st.integers(0, len(shape) - 1)))
    if kind == "tile":
        return b.tile(x, [draw(st.integers(1, 2)) for _ in shape])
    if kind == "rows" and len(shape) == 3:
        return rows(draw, b, x)
    return b.reverse(x, draw(st.integers(0, len(shape) - 1)))


@settings(max_examples=min(settings().max_examples, 30))
@given(word_programs(), st.integers(0, 2**16))
def test_word_pair_programs_compile_bit_exact(program: Program, seed: int) -> None:
    check(program, seed)


@settings(max_examples=min(settings().max_examples, 20))  # about 8 s an example
@given(
    last_axis_reductions(st.integers(reductions.PACK_ROWS, 72)),
    st.sampled_from(((320, 20), (160, 10), (96, 6), (64, 4), (16, 1))),
    st.sampled_from((2, 3)),
    st.integers(0, 2**16),
)
def test_packed_lane_trees_compile_bit_exact(
    program: Program, chip_lanes: tuple[int, int], delay_vxm: int, seed: int
) -> None:
    """Many rows' lane trees packed several rows a vector after the first
    halvings (reductions.packing, lanes.packed_pipeline): every reduction
    kind and element type, rows that fill whole groups or leave some to the
    unpacked pipeline, chips whose tree ends in an odd width of 5, 3 or 1
    (none left after the packed halvings), a VXM step of 2 or 3 cycles."""
    chip = {"lanes": chip_lanes[0], "superlanes": chip_lanes[1], "delay_vxm": delay_vxm}
    check(program, seed, chip=chip)


def test_many_rows_pack_their_lane_trees() -> None:
    """A sum over 64 rows of 4096 on tsp-v1 packs 4 rows a vector after two
    halvings: 16 rotations for the four rows' first pass and 18 for the
    packed passes, half the 17 a row of the unpacked tree."""
    b = TensorBuilder("main")
    x = b.argument((64, 4096), "f32")
    module = b.module([b.reduce(tosa.ReduceSumOp, x, 1)])
    CompilePass(system="tsp-v1").apply(make_context(), module)
    rotations = sum(op.name == "lpu.sxm.rotate" for op in module.walk())
    packed = reductions.packing(chip_from_params("tsp-v1", {}), 64)
    assert packed is not None
    pack, first, after = packed
    per_group = pack * len(lanes.ranks(first)) + sum(len(lanes.ranks(t)) for t in after)
    assert (pack, per_group) == (4, 34)
    assert rotations == 64 // (pack * 2) * per_group == 272


@st.composite
def row_part_passes(draw: st.DrawFn) -> Program:
    """Passes over a value of many rows, as RMSNorm and softmax make them,
    which lpu-vectorize holds in row parts in several slice groups
    (vectorize/parts.py) once it has enough vectors: the input, then steps
    that apply a float unary op, combine with the input again, a row
    broadcast over the rows (an input: its copies for each part), a
    per-row input, or the step's own last-axis reduction (a per-row value
    held in parts too), rank 2 or a leading 1; the last value returned,
    an intermediate sometimes too, or read by an op that does not go by
    rows (a transpose or a reshape: it reads a copy in one tensor).
    Integers: reductions (of i32 and i16 by rows; i8 is widened first, so
    its input is not held in parts) and additions only."""
    t = draw(st.sampled_from((*FLOATS, *FLOATS, "i32", "i16", "i8")))
    floats = t in FLOATS
    rows = draw(st.sampled_from((8, 9, 33, 64, 72)))
    cols = draw(st.sampled_from((700, 1300, 4096)))
    lead = (1,) if draw(st.booleans()) else ()
    shape, column = (*lead, rows, cols), (*lead, rows, 1)
    b = TensorBuilder("main")
    args = [(shape, t), ((*lead, 1, cols), t), (column, t)]
    x, w, s = (b.argument(*a) for a in args)
    value, kept = x, []
    for _ in range(draw(st.integers(1, 4))):
        steps = ("unary", "x", "w", "s", "reduced") if floats else ("reduced", "x")
        step = draw(st.sampled_from(steps))
        kind = draw(st.sampled_from((tosa.AddOp, tosa.SubOp, tosa.MaximumOp, None)))
        if step == "unary":
            unary = draw(st.sampled_from((tosa.ExpOp, tosa.AbsOp, tosa.TanhOp)))
            value = b.unary(unary, value)
            continue
        if step == "reduced":
            reduced = b.reduce(draw(st.sampled_from(REDUCE[:3])), value, len(shape) - 1)
            other = b.unary(tosa.AbsOp, reduced) if floats else reduced
        else:
            other = {"x": x, "w": w, "s": s}[step]
        value = b.mul(value, other) if kind is None else b.binary(kind, value, other)
        if draw(st.booleans()):
            kept.append(value)
    outputs = [value]
    if kept and draw(st.booleans()):
        last = kept[draw(st.integers(0, len(kept) - 1))]
        how = draw(st.sampled_from(("returned", "transposed", "reshaped")))
        if how == "transposed":
            last = b.transpose(
                last, (*range(len(lead)), len(shape) - 1, len(shape) - 2)
            )
        elif how == "reshaped":
            last = b.reshape(last, (rows * cols,))
        outputs.append(last)
    event(f"{rows} x {cols}")
    return Program(b.module(outputs), args)


@settings(max_examples=min(settings().max_examples, 30))
@given(row_part_passes(), st.integers(0, 2**16), st.sampled_from((2, 3)))
def test_row_parts_compile_bit_exact(
    program: Program, seed: int, delay_vxm: int
) -> None:
    check(program, seed, chip={"delay_vxm": delay_vxm})


def test_rmsnorm_rows_are_read_through_four_ports() -> None:
    """RMSNorm over 64 rows of 4096 (benchmarks/compile_roofline.py): its
    input and output are four row chunks each in a slice group of its own,
    its per-row scale in four parts, and the weight row has a copy for each
    part but the first."""
    b = TensorBuilder("main")
    x, w = b.argument((64, 4096), "f32"), b.argument((1, 4096), "f32")
    total = b.reduce(tosa.ReduceSumOp, b.mul(x, x), 1)
    q = b.unary(
        tosa.RsqrtOp,
        b.add(
            b.mul(total, b.constant(1 / 4096, "f32", (1, 1))),
            b.constant(1e-5, "f32", (1, 1)),
        ),
    )
    module = b.module([b.mul(b.mul(x, q), w)])
    CompilePass(system="tsp-v1").apply(make_context(), module)
    tensors = [op for op in module.walk() if op.name == "lpu.tensor"]

    def groups(kind: str, shape: tuple[int, ...]) -> set[tuple[str, int]]:
        held = [
            t
            for t in tensors
            if t.kind.data == kind and tuple(t.type.get_shape()) == shape
        ]
        assert all(t.row_chunk is not None for t in held)
        return (
            {(t.slice.data, t.address.data // 8192) for t in held}
            if len(held) == 4
            else set()
        )

    assert len(groups("input", (16, 4096))) == 4
    assert len(groups("output", (16, 4096))) == 4
    copies = [
        t
        for t in tensors
        if t.kind.data == "scratch" and tuple(t.type.get_shape()) == (1, 4096)
    ]
    assert len(copies) == 3


def test_a_max_ignoring_nan_along_a_long_leading_axis_compiles_in_place() -> None:
    """A max ignoring NaN over the 33 rows of 33 x 5500 (NaN, infinities
    and zeros among the values): reduced in place, one step per row
    (folds._ignore_along), where moving the axis last made 5500 one-vector
    rows whose compile took minutes; bit exact."""
    b = TensorBuilder("main")
    x = b.argument((33, 5500), "f32")
    made = b.reduce(tosa.ReduceMaxOp, x, 0)
    made.owner.properties["nan_mode"] = tosa.NanModeAttr(tosa.NanMode.IGNORE)
    check(Program(b.module([made]), [((33, 5500), "f32")]), 3, specials=0.3)
