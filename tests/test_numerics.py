"""lpuir.numerics against exact rational arithmetic (fractions.Fraction).

The yardsticks here are written independently of the module: exact rounding of a
Fraction, Python integers, and (for the transcendentals only) the math module's
float64 functions, whose own error is far below the bounds that are checked.
"""

import itertools
import math
import operator
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpuir import numerics as nm

FLOATS = ("f16", "bf16", "f32")
INTS = ("i1", "i8", "i16", "i32", "i64", "ui8", "ui16", "ui32", "ui64")
FORMAT = {"f16": (11, -14, 15), "bf16": (8, -126, 127), "f32": (24, -126, 127)}
CARRIER = {"f16": np.float16, "bf16": np.float32, "f32": np.float32}

# --------------------------------------------------------------------- yardsticks


def floor_log2(q: Fraction) -> int:
    """floor(log2 q) of a positive rational, exactly."""
    e = q.numerator.bit_length() - q.denominator.bit_length()
    return e if Fraction(2) ** e <= q else e - 1


def largest(t: str) -> Fraction:
    p, _, emax = FORMAT[t]
    return (2 - Fraction(2) ** (1 - p)) * Fraction(2) ** emax


def exact_round(q: Fraction, t: str, negative: bool = False) -> float:
    """Round-to-nearest-even of q to t (IEEE overflow to inf, denormals); a zero
    result is -0 when q < 0 or (q == 0 and negative)."""
    p, emin, _ = FORMAT[t]
    sign = -1.0 if q < 0 or (q == 0 and negative) else 1.0
    a = abs(q)
    if a == 0:
        return sign * 0.0
    quantum = Fraction(2) ** (max(floor_log2(a), emin) - p + 1)
    n, rest = divmod(a, quantum)
    n = int(n) + (rest > quantum / 2 or (rest == quantum / 2 and n % 2 == 1))
    r = n * quantum
    return sign * math.inf if r > largest(t) else sign * float(r)


def rounded(v: float, t: str) -> float:
    """exact_round of a float (signed zeros kept), non-finite values unchanged."""
    return (
        exact_round(Fraction(v), t, math.copysign(1, v) < 0) if math.isfinite(v) else v
    )


def bits(x: np.ndarray, t: str) -> np.ndarray:
    """Raw bit patterns (bf16: the high half of the float32)."""
    x = np.asarray(x, CARRIER[t])
    if t == "f16":
        return x.view(np.uint16)
    raw = x.view(np.uint32)
    return raw >> 16 if t == "bf16" else raw


def from_pattern(b: np.ndarray, t: str) -> np.ndarray:
    """Values of raw bit patterns."""
    b = np.asarray(b)
    if t == "f16":
        return b.astype(np.uint16).view(np.float16)
    if t == "bf16":
        return (b.astype(np.uint32) << 16).view(np.float32)
    return b.astype(np.uint32).view(np.float32)


def assert_bits(actual: np.ndarray, expected: object, t: str) -> None:
    """Bit-identical, NaN meaning the canonical NaN."""
    actual = np.asarray(actual)
    assert actual.dtype == CARRIER[t]
    want = np.asarray(expected, np.float64)
    want = np.where(np.isnan(want), np.nan, want).astype(CARRIER[t])  # one NaN
    mismatch = bits(actual, t) != bits(want, t)
    assert not mismatch.any(), (actual[mismatch][:5], want[mismatch][:5])


def patterns(t: str) -> st.SearchStrategy[int]:
    return st.integers(0, 2 ** (16 if t in ("f16", "bf16") else 32) - 1)


def float_lists(data: st.DataObject, t: str, size: int) -> np.ndarray:
    """Values of t from random bit patterns: every class (denormals, inf, NaN)."""
    return from_pattern(
        data.draw(st.lists(patterns(t), min_size=size, max_size=size)), t
    )


def every_value(t: str) -> np.ndarray:
    """Every positive finite value of f16 or bf16, as float64."""
    v = from_pattern(np.arange(2**15), t)
    return v[np.isfinite(v) & (v > 0)].astype(np.float64)


def rng_values(t: str, size: int, seed: int, finite: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    top = 2**16 if t in ("f16", "bf16") else 2**32
    v = from_pattern(rng.integers(0, top, size, dtype=np.uint64), t)
    return v[np.isfinite(v)] if finite else v


def ulp(y: np.ndarray, t: str) -> np.ndarray:
    """The spacing of t around |y| (denormal spacing below the normal range)."""
    p, emin, _ = FORMAT[t]
    _, e = np.frexp(np.abs(y))
    return np.ldexp(1.0, np.maximum(e - 1, emin) - p + 1)


def int_range(t: str) -> tuple[int, int]:
    w = 1 if t == "i1" else int(t.lstrip("ui"))
    return (
        (0, 2**w - 1)
        if t.startswith("u") or t == "i1"
        else (-(2 ** (w - 1)), 2 ** (w - 1) - 1)
    )


def wrap(n: int, t: str) -> int:
    lo, hi = int_range(t)
    return (n - lo) % (hi - lo + 1) + lo


def int_lists(data: st.DataObject, t: str, size: int) -> list[int]:
    lo, hi = int_range(t)
    edges = st.sampled_from(sorted({lo, hi, 0, 1, -1 if lo < 0 else 1, lo + 1, hi - 1}))
    return data.draw(
        st.lists(st.one_of(st.integers(lo, hi), edges), min_size=size, max_size=size)
    )


def as_int(values: list[int], t: str) -> np.ndarray:
    return np.array(values, dtype=object).astype(nm.carrier(t))


def to_python(x: np.ndarray) -> list[int]:
    return [int(v) for v in np.asarray(x).ravel()]


# ------------------------------------------------------------------ types, carrier


def test_types_and_carriers() -> None:
    assert nm.ELEMENT_TYPES[:12] == (
        "i1",
        "i8",
        "i16",
        "i32",
        "i64",
        "ui8",
        "ui16",
        "ui32",
        "ui64",
        "f16",
        "bf16",
        "f32",
    )
    assert nm.ELEMENT_TYPES[12:] == ("f64", *nm.MINIFLOATS)
    assert (
        nm.carrier("bf16") == np.float32
        and nm.carrier("i1") == np.bool_
        and nm.carrier("ui16") == np.uint16
        and nm.carrier("f64") == np.float64
        and nm.carrier("f8E4M3FN") == np.float32
        and nm.carrier("i4") == np.int8
        and nm.carrier("i48") == np.int64
        and nm.carrier("ui2") == np.uint8
    )
    assert [nm.bitwidth(t) for t in nm.ELEMENT_TYPES] == [
        1,
        8,
        16,
        32,
        64,
        8,
        16,
        32,
        64,
        16,
        16,
        32,
        64,
        *(8,) * 8,
        6,
        6,
        4,
    ]
    assert [t for t in nm.ELEMENT_TYPES if nm.is_float(t)] == [
        *FLOATS,
        "f64",
        *nm.MINIFLOATS,
    ]
    assert [t for t in nm.ELEMENT_TYPES if nm.is_unsigned(t)] == [
        "ui8",
        "ui16",
        "ui32",
        "ui64",
    ]
    assert all(nm.is_int(t) for t in INTS)
    for bad in ("f80", "i65", "i0", "ui1", "x8"):
        with pytest.raises(nm.NumericsError, match=f"unknown element type '{bad}'"):
            nm.carrier(bad)
    assert issubclass(nm.NumericsError, ValueError)


@pytest.mark.parametrize("t", nm.ELEMENT_TYPES)
def test_bits_round_trip(t: str) -> None:
    rng = np.random.default_rng(7)
    raw = rng.integers(0, 2 ** nm.bitwidth(t), 200, dtype=np.uint64).astype(
        f"uint{max(8, nm.bitwidth(t))}"
    )
    values = nm.from_bits(raw, t)
    assert values.dtype == nm.carrier(t)
    back = nm.to_bits(values, t)
    if t in nm.MINIFLOATS:  # a float32 carrier holds one NaN: the canonical one
        nan = np.isnan(values)
        assert (back[~nan] == raw[~nan]).all()
        assert len(set(back[nan].tolist())) <= 1
    else:
        assert (back == raw).all()


@pytest.mark.parametrize("t", sorted(nm.MINIFLOATS))
def test_minifloats_agree_with_ml_dtypes(t: str) -> None:
    """Rounding (RNE, each format's overflow and NaN rules) and every bit
    pattern's value, against ml_dtypes (an independent implementation of
    LLVM's APFloat formats); ml_dtypes reads NaN as -0 in the formats without
    NaN, lpuir as +0."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    names = {
        "f8E5M2": "float8_e5m2",
        "f8E4M3": "float8_e4m3",
        "f8E3M4": "float8_e3m4",
        "f8E4M3FN": "float8_e4m3fn",
        "f8E5M2FNUZ": "float8_e5m2fnuz",
        "f8E4M3FNUZ": "float8_e4m3fnuz",
        "f8E4M3B11FNUZ": "float8_e4m3b11fnuz",
        "f8E8M0FNU": "float8_e8m0fnu",
        "f6E2M3FN": "float6_e2m3fn",
        "f6E3M2FN": "float6_e3m2fn",
        "f4E2M1FN": "float4_e2m1fn",
    }
    dtype = getattr(ml_dtypes, names[t])
    rng = np.random.default_rng(3)
    x = np.concatenate(
        [
            rng.standard_normal(20000) * 2.0 ** rng.integers(-30, 30, 20000),
            [0.0, -0.0, np.inf, -np.inf, 464.0, 470.0, 1e6, 2.5e-45, 1.5, 3.0],
        ]
    ).astype(np.float32)
    got = nm.round_float(x, t)
    want = x.astype(dtype).astype(np.float32)
    same = (got.view(np.uint32) == want.view(np.uint32)) | (
        np.isnan(got) & np.isnan(want)
    )
    assert same.all(), (x[~same][:5], got[~same][:5], want[~same][:5])
    if nm.bitwidth(t) == 8:
        patterns = np.arange(256, dtype=np.uint8)
        decoded = nm.from_bits(patterns, t)
        expected = patterns.view(dtype).astype(np.float32)
        assert np.array_equal(decoded, expected, equal_nan=True)


def test_as_carrier_accepts_exact_values() -> None:
    assert_bits(
        nm.as_carrier([0.5, -2.0, np.inf, 65504], "f16"),
        [0.5, -2, np.inf, 65504],
        "f16",
    )
    assert_bits(
        nm.as_carrier(np.array([1.5, 2**-133], np.float64), "bf16"),
        [1.5, 2**-133],
        "bf16",
    )
    assert_bits(
        nm.as_carrier(np.array([2**60, -(2**63)]), "f32"), [2.0**60, -(2.0**63)], "f32"
    )
    quiet = np.array([0x7FC01234, 0xFF800001], np.uint32).view(
        np.float32
    )  # NaN payloads
    assert (bits(nm.as_carrier(quiet, "f32"), "f32") == 0x7FC00000).all()
    assert nm.as_carrier(np.array([2**64 - 1], dtype=object), "ui64")[0] == 2**64 - 1
    assert nm.as_carrier([-128, 127], "i8").tolist() == [-128, 127]
    assert nm.as_carrier([1.0, 0.0], "i1").tolist() == [True, False]
    assert nm.as_carrier(np.array([3], np.uint8), "i64").dtype == np.int64


@pytest.mark.parametrize(
    ("data", "t", "message"),
    [
        ([0.1], "bf16", "is not a value of bf16"),
        ([65520.0], "f16", "is not a value of f16"),
        (np.array([2**24 + 1]), "f32", "is not a value of f32"),
        (np.array([2**60 + 1]), "f32", "is not a value of f32"),
        (np.array([10**30], dtype=object), "f32", "is not a value of f32"),
        (
            [[1, 300]],
            "i8",
            r"300 at index \(0, 1\) is not an integer in the range \[-128, 127\]",
        ),
        ([-1], "ui8", "not an integer in the range"),
        (np.array([2**63], np.uint64), "i64", "not an integer in the range"),
        (np.array([2**64], dtype=object), "ui64", "not an integer in the range"),
        ([1.5], "i32", "1.5"),
        ([np.nan], "i32", "nan"),
        ([2], "i1", "not an integer in the range"),
        (["x"], "f32", "cannot read"),
    ],
)
def test_as_carrier_rejects(data: object, t: str, message: str) -> None:
    with pytest.raises(nm.NumericsError, match=message):
        nm.as_carrier(data, t)


# ------------------------------------------------------------ rounding, conversion


@given(st.floats(width=64), st.sampled_from(FLOATS))
def test_round_float_of_any_double(x: float, t: str) -> None:
    assert_bits(nm.round_float(np.array([x]), t), [rounded(x, t)], t)


@pytest.mark.parametrize("t", FLOATS)
def test_round_float_ties_and_boundaries(t: str) -> None:
    """Values of t, the midpoints between neighbours, and a hair either side."""
    v = rng_values(t, 3000, seed=1).astype(np.float64)
    v = v[v > 0]
    up = v + ulp(v, t) / 2
    cases = np.concatenate([v, up, np.nextafter(up, 0), np.nextafter(up, np.inf), -up])
    want = [exact_round(Fraction(float(c)), t) for c in cases]
    assert_bits(nm.round_float(cases, t), want, t)


@pytest.mark.parametrize("src", FLOATS)
@pytest.mark.parametrize("dst", FLOATS)
def test_float_to_float(src: str, dst: str) -> None:
    x = rng_values(src, 4000, seed=2, finite=False)
    assert_bits(nm.cast(x, src, dst), [rounded(float(v), dst) for v in x], dst)


@given(st.data())
def test_int_to_float(data: st.DataObject) -> None:
    src, dst = data.draw(st.sampled_from(INTS)), data.draw(st.sampled_from(FLOATS))
    lo, hi = int_range(src)
    near = st.sampled_from(
        [
            2**24 + 1,
            2**24 + 3,
            2**53 + 1,
            2**53 + 2**11,
            2**62 + 2**38,
            2**63 - 1,
            65520,
            65519,
        ]
    )
    values = data.draw(
        st.lists(
            st.one_of(
                st.integers(lo, hi),
                near.filter(lambda n: lo <= n <= hi),
                near.map(operator.neg).filter(lambda n: lo <= n <= hi),
            ),
            min_size=1,
            max_size=16,
        )
    )
    assert_bits(
        nm.cast(as_int(values, src), src, dst),
        [exact_round(Fraction(v), dst) for v in values],
        dst,
    )


def ref_float_to_int(v: float, dst: str, rounding: str, saturate: bool) -> int:
    lo, hi = int_range(dst)
    if not math.isfinite(v):
        return 0 if math.isnan(v) or not saturate else (hi if v > 0 else lo)
    r = round(Fraction(v)) if rounding == "rne" else math.trunc(Fraction(v))
    return min(max(r, lo), hi) if saturate else wrap(r, dst)


@given(st.data())
def test_float_to_int(data: st.DataObject) -> None:
    src, dst = data.draw(st.sampled_from(FLOATS)), data.draw(st.sampled_from(INTS))
    rounding, saturate = (
        data.draw(st.sampled_from(["rne", "trunc"])),
        data.draw(st.booleans()),
    )
    x = float_lists(data, src, 12)
    x = np.concatenate(
        [x, np.array([0.5, 1.5, 2.5, -0.5, -2.5, 127.5, 255.5, 65504], CARRIER[src])]
    )
    got = nm.cast(x, src, dst, rounding=rounding, saturate=saturate)
    assert to_python(got) == [
        ref_float_to_int(float(v), dst, rounding, saturate) for v in x
    ]


def test_float_to_int_large_values() -> None:
    x = np.array(
        [
            2.0**63,
            -(2.0**63),
            2.0**64,
            3 * 2.0**62,
            2.0**100 + 2.0**77,
            -(2.0**31) - 2**8,
        ],
        np.float32,
    )
    for dst in ("i64", "ui64", "i32", "ui32"):
        for saturate in (True, False):
            want = [ref_float_to_int(float(v), dst, "rne", saturate) for v in x]
            assert to_python(nm.cast(x, "f32", dst, saturate=saturate)) == want


@given(st.data())
def test_int_to_int(data: st.DataObject) -> None:
    src, dst = data.draw(st.sampled_from(INTS)), data.draw(st.sampled_from(INTS))
    values = int_lists(data, src, 10)
    assert to_python(nm.cast(as_int(values, src), src, dst)) == [
        wrap(v, dst) for v in values
    ]


def test_cast_rejects_rounding_into_floats() -> None:
    with pytest.raises(nm.NumericsError, match="nearest even"):
        nm.cast(np.array([1.5], np.float32), "f32", "f16", rounding="trunc")
    with pytest.raises(nm.NumericsError, match="rounding"):
        nm.cast(np.array([1.5], np.float32), "f32", "i32", rounding="up")


# ----------------------------------------------------------------- float arithmetic


def ref_float_binary(op: str, x: float, y: float, t: str) -> float:
    """The exact result rounded once, with IEEE's special values and signs of zero."""
    if not (math.isfinite(x) and math.isfinite(y)):
        try:
            return {
                "add": x + y,
                "sub": x - y,
                "mul": x * y,
                "div": x / y if y else math.nan,
            }[op]
        except ZeroDivisionError:  # pragma: no cover - guarded above
            return math.nan
    fx, fy = Fraction(x), Fraction(y)
    neg_x, neg_y = math.copysign(1, x) < 0, math.copysign(1, y) < 0
    if op == "add":
        return exact_round(fx + fy, t, neg_x and neg_y)
    if op == "sub":
        return exact_round(fx - fy, t, neg_x and not neg_y)
    if op == "mul":
        return exact_round(fx * fy, t, neg_x != neg_y)
    if y == 0:
        return math.nan if x == 0 else math.copysign(math.inf, x) * math.copysign(1, y)
    return exact_round(fx / fy, t, neg_x != neg_y)


@given(st.data())
def test_float_arithmetic_is_exact_then_round(data: st.DataObject) -> None:
    t, op = (
        data.draw(st.sampled_from(FLOATS)),
        data.draw(st.sampled_from(["add", "sub", "mul", "div"])),
    )
    x, y = float_lists(data, t, 8), float_lists(data, t, 8)
    got = getattr(nm, op)(x, y, t)
    assert_bits(
        got,
        [
            ref_float_binary(op, float(a), float(b), t)
            for a, b in zip(x, y, strict=True)
        ],
        t,
    )


@pytest.mark.parametrize("t", FLOATS)
def test_float_arithmetic_bulk(t: str) -> None:
    """Many operands of similar size (where cancellation and ties happen)."""
    x = rng_values(t, 3000, seed=3)
    nudge = 1 + np.random.default_rng(4).integers(-3, 4, x.size) * 2.0 ** -FORMAT[t][0]
    y = nm.round_float(x.astype(np.float64) * nudge, t)
    for op in ("add", "sub", "mul", "div"):
        want = [
            ref_float_binary(op, float(a), float(b), t)
            for a, b in zip(x, y, strict=True)
        ]
        assert_bits(getattr(nm, op)(x, y, t), want, t)


def midpoints(r: np.ndarray, t: str) -> tuple[np.ndarray, np.ndarray]:
    """For positive finite values r of t: the midpoints to the neighbours below and
    above (above the largest finite value: where rounding reaches inf)."""
    b = bits(r, t).astype(np.int64)
    below = from_pattern(np.maximum(b - 1, 0), t).astype(np.float64)
    above = from_pattern(b + 1, t).astype(np.float64)
    above = np.where(np.isinf(above), 2.0 ** (FORMAT[t][2] + 1), above)
    return (r + below) / 2, (r + above) / 2


def assert_correctly_rounded(
    r: np.ndarray, below_exact: Callable[[np.ndarray], np.ndarray], t: str
) -> None:
    """r (positive finite) is the rounding of an exact value e, given
    below_exact(m) = sign(m - e) computed exactly: the midpoints around r bracket e."""
    lo, hi = midpoints(r.astype(np.float64), t)
    assert (below_exact(lo) <= 0).all() and (below_exact(hi) >= 0).all()


@pytest.mark.parametrize("t", FLOATS)
def test_sqrt_correctly_rounded(t: str) -> None:
    x = (
        np.abs(rng_values(t, 70000, seed=5).astype(np.float64))
        if t == "f32"
        else every_value(t)
    )
    x = x[x > 0]
    r = nm.sqrt(x, t)
    # m*m is exact in float64 (m has at most 25 significant bits)
    assert_correctly_rounded(r, lambda m: np.sign(m * m - x), t)
    assert_bits(
        nm.sqrt(np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan]), t),
        [0.0, -0.0, np.nan, np.inf, np.nan, np.nan],
        t,
    )


@pytest.mark.parametrize("t", FLOATS)
def test_reciprocal_correctly_rounded(t: str) -> None:
    x = (
        np.abs(rng_values(t, 70000, seed=6).astype(np.float64))
        if t == "f32"
        else every_value(t)
    )
    x = x[x > 0]
    r = nm.reciprocal(x, t).astype(np.float64)
    # m*x is exact in float64 (25 + 24 bits); an infinite r must have 1/x beyond the
    # overflow threshold, a zero r 1/x at most half the smallest denormal.
    inf = np.isinf(r)
    assert (
        x[inf] * float(largest(t) + Fraction(2) ** (FORMAT[t][2] - FORMAT[t][0])) <= 1
    ).all()
    zero = r == 0
    assert (x[zero] * 2.0 ** (FORMAT[t][1] - FORMAT[t][0]) >= 1).all()
    finite = ~inf & ~zero
    assert_correctly_rounded(r[finite], lambda m: np.sign(m * x[finite] - 1), t)
    assert_bits(
        nm.reciprocal(np.array([0.0, -0.0, np.inf, -np.inf, -4.0]), t),
        [np.inf, -np.inf, 0.0, -0.0, -0.25],
        t,
    )


def rsqrt_above(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sign(m*m*x - 1) exactly for m with <= 25 and x with <= 24 significant bits:
    m*m is exact, and its product with x is split into 26-bit halves of m*m."""
    mm = m * m
    hi = np.ldexp(np.rint(np.ldexp(mm, 26 - np.frexp(mm)[1])), np.frexp(mm)[1] - 26)
    lo = mm - hi  # exact, <= 26 bits
    a, b = hi * x, lo * x  # both exact (<= 50 bits)
    return np.sign((a - 1.0) + b)  # a - 1 is exact (a is within a factor 2 of 1)


@pytest.mark.parametrize("t", FLOATS)
def test_rsqrt_correctly_rounded(t: str) -> None:
    """f16, bf16: every input. f32: every input in [1, 4), which covers every f32:
    rsqrt(4**k x) = rsqrt(x) / 2**k exactly in each step of the algorithm, and the
    results never leave f32's normal range."""
    if t == "f32":
        x = (
            np.arange(0x3F800000, 0x40800000, dtype=np.uint32)
            .view(np.float32)
            .astype(np.float64)
        )
    else:
        x = every_value(t)
    for part in np.array_split(x, 8):
        assert_correctly_rounded(
            nm.rsqrt(part, t), lambda m, part=part: rsqrt_above(m, part), t
        )
    assert_bits(
        nm.rsqrt(np.array([0.0, -0.0, np.inf, -1.0, np.nan, 0.25]), t),
        [np.inf, -np.inf, 0.0, np.nan, np.nan, 2.0],
        t,
    )


def test_float_special_values() -> None:
    inf, nan = math.inf, math.nan
    cases = [
        (
            nm.add,
            [inf, inf, -0.0, -0.0, 1.0],
            [-inf, inf, -0.0, 0.0, -1.0],
            [nan, inf, -0.0, 0.0, 0.0],
        ),
        (nm.sub, [inf, -0.0, 0.0], [inf, 0.0, 0.0], [nan, -0.0, 0.0]),
        (nm.mul, [inf, -0.0, -2.0], [0.0, 5.0, -0.0], [nan, -0.0, 0.0]),
        (
            nm.div,
            [1.0, -1.0, 0.0, inf, -0.0],
            [0.0, 0.0, 0.0, inf, 3.0],
            [inf, -inf, nan, nan, -0.0],
        ),
        (
            nm.rem,
            [7.0, -7.0, 5.5, inf, 1.0, -0.0],
            [2.0, 2.0, -2.0, 1.0, 0.0, 1.0],
            [1.0, -1.0, 1.5, nan, nan, -0.0],
        ),
    ]
    for t in FLOATS:
        for fn, x, y, want in cases:
            assert_bits(fn(np.array(x), np.array(y), t), want, t)
        assert_bits(nm.neg(np.array([0.0, -inf, nan]), t), [-0.0, inf, nan], t)
        assert_bits(nm.abs(np.array([-0.0, -inf, -3.0]), t), [0.0, inf, 3.0], t)
        x = np.array([-2.5, -0.5, 0.5, 1.5, 2.5, -0.0, inf, nan])
        assert_bits(nm.floor(x, t), [-3, -1, 0, 1, 2, -0.0, inf, nan], t)
        assert_bits(nm.ceil(x, t), [-2, -0.0, 1, 2, 3, -0.0, inf, nan], t)
        assert_bits(nm.round_even(x, t), [-2, -0.0, 0, 2, 2, -0.0, inf, nan], t)
    assert_bits(nm.add(np.array([65504.0]), np.array([16.0]), "f16"), [np.inf], "f16")
    assert_bits(
        nm.mul(np.array([2.0**-14]), np.array([2.0**-10]), "f16"), [2.0**-24], "f16"
    )  # denormal kept


@pytest.mark.parametrize("t", FLOATS)
def test_minimum_maximum(t: str) -> None:
    nan, inf = math.nan, math.inf
    x = np.array([1.0, -0.0, 0.0, nan, 2.0, nan, -inf])
    y = np.array([2.0, 0.0, -0.0, 3.0, nan, nan, 5.0])
    assert_bits(nm.minimum(x, y, t), [1.0, -0.0, -0.0, nan, nan, nan, -inf], t)
    assert_bits(nm.maximum(x, y, t), [2.0, 0.0, 0.0, nan, nan, nan, 5.0], t)
    assert_bits(
        nm.minimum(x, y, t, nan="ignore"), [1.0, -0.0, -0.0, 3.0, 2.0, nan, -inf], t
    )
    assert_bits(
        nm.maximum(x, y, t, nan="ignore"), [2.0, 0.0, 0.0, 3.0, 2.0, nan, 5.0], t
    )
    assert_bits(
        nm.clamp(np.array([-5.0, 0.5, 9.0, nan, -0.0]), 0.0, 1.0, t),
        [0.0, 0.5, 1.0, nan, 0.0],
        t,
    )
    with pytest.raises(nm.NumericsError, match="nan must be one of"):
        nm.minimum(x, y, t, nan="first")


@given(st.data())
def test_minimum_maximum_in_the_carrier(data: st.DataObject) -> None:
    """Operands already in t's carrier (the simulator's vectors; f16 ordered
    by its bits) give the bits the float64 path gives, for every class of
    value, NaN payloads and signs of zero included."""
    t = data.draw(st.sampled_from(FLOATS))
    x, y = float_lists(data, t, 16), float_lists(data, t, 16)
    fn = data.draw(st.sampled_from([nm.minimum, nm.maximum]))
    nan = data.draw(st.sampled_from(["propagate", "ignore"]))
    with np.errstate(invalid="ignore"):  # signaling NaNs to float64
        wide = fn(x.astype(np.float64), y.astype(np.float64), t, nan=nan)
    got = fn(x, y, t, nan=nan)
    assert got.dtype == nm.carrier(t)
    assert_bits(got, wide, t)


FLOAT_PREDICATE_TABLE = {
    # (1, 2), (2, 2), (nan, 2)
    "eq": [0, 1, 0], "ne": [1, 0, 1], "lt": [1, 0, 0], "le": [1, 1, 0], "gt": [0, 0, 0], "ge": [0, 1, 0],
    "oeq": [0, 1, 0], "one": [1, 0, 0], "olt": [1, 0, 0], "ole": [1, 1, 0], "ogt": [0, 0, 0], "oge": [0, 1, 0],
    "ord": [1, 1, 0], "ueq": [0, 1, 1], "une": [1, 0, 1], "ult": [1, 0, 1], "ule": [1, 1, 1], "ugt": [0, 0, 1],
    "uge": [0, 1, 1], "uno": [0, 0, 1], "true": [1, 1, 1], "false": [0, 0, 0],
}  # fmt: skip


@pytest.mark.parametrize("pred", FLOAT_PREDICATE_TABLE)
def test_float_compare(pred: str) -> None:
    for t in FLOATS:
        got = nm.compare(
            np.array([1.0, 2.0, math.nan]), np.array([2.0, 2.0, 2.0]), pred, t
        )
        assert got.dtype == np.bool_ and got.tolist() == [
            bool(v) for v in FLOAT_PREDICATE_TABLE[pred]
        ]
    assert nm.compare(np.array([-0.0]), np.array([0.0]), "eq", "f32").tolist() == [True]


def test_select_broadcasts() -> None:
    got = nm.select(
        np.array([[True], [False]]), np.array([1, 2, 3], np.int32), np.int32(9)
    )
    assert got.tolist() == [[1, 2, 3], [9, 9, 9]]


def test_broadcasting_elementwise() -> None:
    a = nm.round_float(np.arange(6.0).reshape(2, 3, 1) / 7, "bf16")
    b = nm.round_float(np.arange(4.0).reshape(1, 4) / 3, "bf16")
    got = nm.add(a, b, "bf16")
    assert got.shape == (2, 3, 4)
    want = [
        exact_round(Fraction(float(x)) + Fraction(float(y)), "bf16")
        for x, y in zip(*(v.ravel() for v in np.broadcast_arrays(a, b)), strict=True)
    ]
    assert_bits(got.ravel(), want, "bf16")
    assert nm.shl(
        np.ones((3, 1), np.int8), np.arange(4, dtype=np.int8), "i8"
    ).shape == (3, 4)


# ----------------------------------------------------------------- int arithmetic


def ref_int(op: str, a: int, b: int, t: str, overflow: str = "wrap") -> int:
    lo, hi = int_range(t)
    w = nm.bitwidth(t)
    exact = {"add": a + b, "sub": a - b, "mul": a * b}.get(op)
    if exact is not None:
        return min(max(exact, lo), hi) if overflow == "saturate" else wrap(exact, t)
    if op in ("div", "rem"):
        if b == 0:
            return wrap(-1, t) if op == "div" else a
        q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
        return wrap(q, t) if op == "div" else wrap(a - b * q, t)
    amount = b % 2**w
    signed = (a % 2**w) - (2**w if (a % 2**w) >> (w - 1) else 0)
    return wrap(
        {
            "shl": (a << amount) if amount < w else 0,
            "shr_logical": ((a % 2**w) >> amount) if amount < w else 0,
            "shr_arith": signed >> min(amount, w - 1),
            "minimum": min(a, b),
            "maximum": max(a, b),
            "bit_and": a & b,
            "bit_or": a | b,
            "bit_xor": a ^ b,
        }[op],
        t,
    )


@given(st.data())
def test_int_binary_ops(data: st.DataObject) -> None:
    t = data.draw(st.sampled_from(INTS))
    op = data.draw(
        st.sampled_from(
            [
                "add",
                "sub",
                "mul",
                "div",
                "rem",
                "shl",
                "shr_logical",
                "shr_arith",
                "minimum",
                "maximum",
                "bit_and",
                "bit_or",
                "bit_xor",
            ]
        )
    )
    a, b = int_lists(data, t, 12), int_lists(data, t, 12)
    if op.startswith("sh"):
        b = [wrap(v, t) for v in b[:6]] + [
            wrap(v, t)
            for v in data.draw(st.lists(st.integers(0, 70), min_size=6, max_size=6))
        ]
    got = getattr(nm, op)(as_int(a, t), as_int(b, t), t)
    assert got.dtype == nm.carrier(t)
    assert to_python(got) == [ref_int(op, x, y, t) for x, y in zip(a, b, strict=True)]


@given(st.data())
def test_int_saturating_ops(data: st.DataObject) -> None:
    t, op = (
        data.draw(st.sampled_from(INTS)),
        data.draw(st.sampled_from(["add", "sub", "mul"])),
    )
    a, b = int_lists(data, t, 12), int_lists(data, t, 12)
    got = getattr(nm, op)(as_int(a, t), as_int(b, t), t, overflow="saturate")
    assert to_python(got) == [
        ref_int(op, x, y, t, "saturate") for x, y in zip(a, b, strict=True)
    ]


@given(st.data())
def test_int_unary_and_compare(data: st.DataObject) -> None:
    t = data.draw(st.sampled_from(INTS))
    a, b = int_lists(data, t, 12), int_lists(data, t, 12)
    x, y = as_int(a, t), as_int(b, t)
    assert to_python(nm.neg(x, t)) == [wrap(-v, t) for v in a]
    assert to_python(nm.abs(x, t)) == [wrap(abs(v), t) for v in a]
    assert to_python(nm.bit_not(x, t)) == [wrap(~v, t) for v in a]
    w = nm.bitwidth(t)

    def signed(v: int) -> int:
        return v - 2**w if v % 2**w >> (w - 1) else v % 2**w

    for order, fn in (
        ("lt", operator.lt),
        ("le", operator.le),
        ("gt", operator.gt),
        ("ge", operator.ge),
    ):
        assert nm.compare(x, y, order, t).tolist() == [
            fn(p, q) for p, q in zip(a, b, strict=True)
        ]
        assert nm.compare(x, y, "s" + order, t).tolist() == [
            fn(signed(p), signed(q)) for p, q in zip(a, b, strict=True)
        ]
        assert nm.compare(x, y, "u" + order, t).tolist() == [
            fn(p % 2**w, q % 2**w) for p, q in zip(a, b, strict=True)
        ]
    assert nm.compare(x, y, "eq", t).tolist() == [
        p == q for p, q in zip(a, b, strict=True)
    ]
    assert nm.compare(x, y, "ne", t).tolist() == [
        p != q for p, q in zip(a, b, strict=True)
    ]
    assert to_python(nm.clamp(x, min(b), max(b), t)) == [
        min(max(v, min(b)), max(b)) for v in a
    ]


def test_int_edge_cases_spelled_out() -> None:
    i8 = np.int8
    assert nm.div(
        np.array([-128, 7, -7, 5, -5], i8), np.array([-1, 0, 2, -2, 0], i8), "i8"
    ).tolist() == [-128, -1, -3, -2, -1]
    assert nm.rem(
        np.array([-128, 7, -7, 5], i8), np.array([-1, 0, 2, -2], i8), "i8"
    ).tolist() == [0, 7, -1, 1]
    assert nm.div(
        np.array([7], np.uint16), np.array([0], np.uint16), "ui16"
    ).tolist() == [65535]
    assert nm.shl(np.array([1, 1, 1], i8), np.array([7, 8, -1], i8), "i8").tolist() == [
        -128,
        0,
        0,
    ]
    assert nm.shr_arith(
        np.array([-128, -128, 64], i8), np.array([3, 100, -3], i8), "i8"
    ).tolist() == [-16, -1, 0]
    assert nm.shr_arith(
        np.array([0x80], np.uint8), np.array([1], np.uint8), "ui8"
    ).tolist() == [0xC0]
    assert nm.shr_logical(np.array([-128], i8), np.array([1], i8), "i8").tolist() == [
        64
    ]
    assert nm.neg(np.array([-128], i8), "i8").tolist() == [-128] and nm.abs(
        np.array([-128], i8), "i8"
    ).tolist() == [-128]
    assert nm.mul(
        np.array([-(2**63)], np.int64),
        np.array([-1], np.int64),
        "i64",
        overflow="saturate",
    ).tolist() == [2**63 - 1]
    assert nm.add(np.array([True]), np.array([True]), "i1").tolist() == [False]
    assert nm.add(
        np.array([True]), np.array([True]), "i1", overflow="saturate"
    ).tolist() == [True]
    assert nm.compare(np.array([True]), np.array([False]), "slt", "i1").tolist() == [
        True
    ]
    assert nm.compare(np.array([True]), np.array([False]), "lt", "i1").tolist() == [
        False
    ]
    with pytest.raises(nm.NumericsError, match="unknown integer predicate 'seq'"):
        nm.compare(np.array([1]), np.array([2]), "seq", "i32")
    with pytest.raises(nm.NumericsError, match="unknown float predicate"):
        nm.compare(np.array([1.0]), np.array([2.0]), "slt", "f32")
    with pytest.raises(nm.NumericsError, match="integer types"):
        nm.shl(np.array([1.0]), np.array([1.0]), "f32")
    with pytest.raises(nm.NumericsError, match="f16, bf16 and f32"):
        nm.exp(np.array([1]), "i32")


def test_logical_ops() -> None:
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    assert nm.logical_and(a, b).tolist() == [True, False, False, False]
    assert nm.logical_or(a, b).tolist() == [True, True, True, False]
    assert nm.logical_xor(a, b).tolist() == [False, True, True, False]
    assert nm.logical_not(a).tolist() == [False, False, True, True]
    assert nm.bit_and(a, b, "i1").tolist() == [True, False, False, False]


# ------------------------------------------------------------------------- matmul


def ref_matmul(a: np.ndarray, b: np.ndarray, k_block: int) -> np.ndarray:
    """2-D float matmul by the documented rule, element by element: each block's
    products (exact as Python floats, incl. inf and NaN) summed exactly as Fractions and
    rounded once to f32, blocks then added with IEEE f32 additions."""
    rows, k = a.shape
    cols = b.shape[1]
    out = np.zeros((rows, cols), np.float32)
    for i in range(rows):
        for j in range(cols):
            acc = None
            for start in range(0, k, k_block):
                products = [
                    float(a[i, q]) * float(b[q, j])
                    for q in range(start, min(k, start + k_block))
                ]
                if any(math.isnan(p) for p in products) or (
                    math.inf in products and -math.inf in products
                ):
                    block = math.nan
                elif any(math.isinf(p) for p in products):
                    block = next(p for p in products if math.isinf(p))
                else:
                    # a zero block, exact or rounded, is +0
                    block = exact_round(sum(map(Fraction, products)), "f32", False)
                    block = block if block != 0 else 0.0
                with np.errstate(all="ignore"):
                    acc = np.float32(block) if acc is None else acc + np.float32(block)
            out[i, j] = 0.0 if acc is None else acc
    return out


def wide_values(data: st.DataObject, t: str, shape: tuple[int, ...]) -> np.ndarray:
    """Finite values of t with wildly different exponents, zeros of both signs, and
    runs of equal magnitude with both signs (exact cancellation)."""
    count = math.prod(shape)
    base = float_lists(data, t, count).astype(np.float64)
    base = np.where(np.isfinite(base), base, 1.0)
    pick = np.array(
        data.draw(st.lists(st.integers(0, 5), min_size=count, max_size=count))
    )
    scale = 2.0 ** np.array(
        data.draw(st.lists(st.integers(-8, 8), min_size=count, max_size=count))
    )
    v = np.select([pick == 0, pick == 1, pick == 2], [0.0, -0.0, scale], base)
    v = np.where(pick == 3, -np.abs(scale) * np.sign(base), v)
    return nm.round_float(v, t).reshape(shape)


@given(st.data())
def test_matmul_fused_blocks_exact(data: st.DataObject) -> None:
    t = data.draw(st.sampled_from(FLOATS))
    rows, k, cols = (
        data.draw(st.integers(1, 3)),
        data.draw(st.integers(1, 24)),
        data.draw(st.integers(1, 3)),
    )
    k_block = data.draw(st.sampled_from([1, 2, 3, 5, 8, 16, 160]))
    a, b = wide_values(data, t, (rows, k)), wide_values(data, t, (k, cols))
    got = nm.matmul(a, b, t, "f32", k_block=k_block)
    assert got.dtype == np.float32 and got.shape == (rows, cols)
    assert_bits(got, ref_matmul(a, b, k_block), "f32")


@given(st.data())
def test_matmul_exact_for_every_exponent_spread(data: st.DataObject) -> None:
    """Operands whose exponents spread over `spread` binades, so that a
    block's sums are exact in float64 (a narrow spread), need digits whose
    sums still fit 53 bits, or need the whole digit grid (a wide one); with
    a K and columns padded by zeros, as an MXM plane's tile is (K one whole
    block: the padding is skipped)."""
    t = data.draw(st.sampled_from(FLOATS))
    spread = data.draw(st.integers(0, 60))
    rows, k, cols = (data.draw(st.integers(1, n)) for n in (3, 24, 3))
    pad, pad_cols = data.draw(st.integers(0, 8)), data.draw(st.integers(0, 3))
    count = (rows + cols) * k
    exponents = data.draw(
        st.lists(
            st.integers(-spread // 2, spread - spread // 2),
            min_size=count,
            max_size=count,
        )
    )
    raw = float_lists(data, t, count)
    with np.errstate(invalid="ignore"):  # signaling NaNs, replaced below
        mantissas = raw.astype(np.float64)
    mantissas = np.where(np.isfinite(mantissas) & (mantissas != 0), mantissas, 1.0)
    _, e = np.frexp(mantissas)
    v = nm.round_float(np.ldexp(mantissas, np.array(exponents) - e), t)
    special = data.draw(st.integers(-1, count - 1))  # one raw value: inf, NaN, ...
    if special >= 0:
        v[special] = raw[special]
    a = np.concatenate(
        [v[: rows * k].reshape(rows, k), np.zeros((rows, pad), v.dtype)], 1
    )
    b = np.concatenate([v[rows * k :].reshape(k, cols), np.zeros((pad, cols), v.dtype)])
    b = np.concatenate([b, np.zeros((k + pad, pad_cols), v.dtype)], 1)
    b[:, data.draw(st.permutations(range(cols + pad_cols)))] = b.copy()
    k_block = data.draw(st.sampled_from([k + pad, 160, 5]))
    got = nm.matmul(a, b, t, "f32", k_block=k_block)
    assert_bits(got, ref_matmul(a, b, k_block), "f32")


@st.composite
def k_orders(draw: st.DrawFn, parts: list[int]) -> list:
    """Any way of adding `parts`, in any order, as a nested list."""

    def build(items: list[int]) -> list:
        cuts = sorted(draw(st.sets(st.integers(1, len(items) - 1), max_size=3)))
        chunks = [items[a:b] for a, b in itertools.pairwise([0, *cuts, len(items)])]
        return [
            c[0] if len(c) == 1 else build(c) if draw(st.booleans()) else c
            for c in chunks
        ]

    items = draw(st.permutations(parts))
    return items if len(items) == 1 else build(items)


@given(st.data())
def test_matmul_split_adds_its_parts_in_the_stated_order(data: st.DataObject) -> None:
    t = data.draw(st.sampled_from(FLOATS))
    k = data.draw(st.integers(2, 24))
    bounds = sorted(data.draw(st.sets(st.integers(1, k - 1), min_size=1, max_size=4)))
    k_block = data.draw(st.sampled_from([1, 2, 3, 5, 160]))
    order = data.draw(k_orders(list(range(len(bounds) + 1))))
    a, b = wide_values(data, t, (2, k)), wide_values(data, t, (k, 3))
    got = nm.matmul_split(a, b, t, "f32", k_block=k_block, bounds=bounds, order=order)
    edges = [0, *bounds, k]
    parts = [
        ref_matmul(a[:, lo:hi], b[lo:hi], k_block)
        for lo, hi in itertools.pairwise(edges)
    ]

    def total(items: list) -> np.ndarray:
        values = [parts[i] if isinstance(i, int) else total(i) for i in items]
        acc = values[0]
        with np.errstate(over="ignore", invalid="ignore"):
            for v in values[1:]:
                acc = np.float32(acc) + np.float32(v)
        return acc

    want = np.asarray(total(order), np.float32)
    assert_bits(got, want, "f32")


def test_matmul_split_order_decides_the_result() -> None:
    """docs/numerics.md's example: 2**30, 64, 1, -2**30 as four parts."""
    a = np.array([[32768.0, 64.0, 1.0, -32768.0]])
    b = np.array([[32768.0], [1.0], [1.0], [32768.0]])
    a16, b16 = nm.round_float(a, "f16"), nm.round_float(b, "f16")

    def split(order: list) -> float:
        r = nm.matmul_split(
            a16, b16, "f16", "f32", k_block=160, bounds=[1, 2, 3], order=order
        )
        return float(r[0, 0])

    assert split([0, 1, 2, 3]) == 0.0  # ((2**30 + 64) + 1) - 2**30
    assert split([0, 3, 1, 2]) == 65.0  # ((2**30 - 2**30) + 64) + 1
    assert split([[0, 3], [1, 2]]) == 65.0
    # no split point: the unsplit rule; integers do not depend on the order
    whole = nm.matmul(a16, b16, "f16", "f32", k_block=160)
    assert float(whole[0, 0]) == 65.0
    ai, bi = np.array([[3, -7, 11]], np.int8), np.array([[5], [9], [-2]], np.int8)
    assert (
        nm.matmul_split(ai, bi, "i8", "i32", k_block=320, bounds=[1], order=[1, 0])[
            0, 0
        ]
        == 15 - 63 - 22
    )
    for bad, order in (
        ([2, 1], None),
        ([0], None),
        ([1, 2], [0, 1]),
        ([1], [0, 0]),
        ([1], [[], 0, 1]),
    ):
        with pytest.raises(nm.NumericsError):
            nm.matmul_split(
                a16, b16, "f16", "f32", k_block=160, bounds=bad, order=order
            )


@pytest.mark.parametrize("t", FLOATS)
def test_matmul_cancellation_across_exponents(t: str) -> None:
    """Huge terms that cancel exactly leave the tiny ones, which decide the result."""
    p, emin, emax = FORMAT[t]
    big, tiny = 2.0 ** (emax - 1), 2.0 ** (emin - p + 1)
    a = nm.round_float(
        np.array([[big, tiny, -big, 3 * tiny, big, -big, 1.0, 2.0**-p]]), t
    )
    b = nm.round_float(
        np.array([[1.0], [1.0], [1.0], [1.0], [2.0**-3], [2.0**-3], [1.0], [1.0]]), t
    )
    for k_block in (1, 2, 3, 4, 8):
        assert_bits(
            nm.matmul(a, b, t, "f32", k_block=k_block), ref_matmul(a, b, k_block), "f32"
        )


@given(st.data())
def test_matmul_special_values(data: st.DataObject) -> None:
    t = data.draw(st.sampled_from(FLOATS))
    specials = st.sampled_from([0.0, -0.0, 1.0, -2.0, math.inf, -math.inf, math.nan])
    k, k_block = data.draw(st.integers(1, 6)), data.draw(st.sampled_from([1, 2, 4]))
    a = np.array(data.draw(st.lists(specials, min_size=2 * k, max_size=2 * k))).reshape(
        2, k
    )
    b = np.array(data.draw(st.lists(specials, min_size=2 * k, max_size=2 * k))).reshape(
        k, 2
    )
    a, b = nm.round_float(a, t), nm.round_float(b, t)
    assert_bits(
        nm.matmul(a, b, t, "f32", k_block=k_block), ref_matmul(a, b, k_block), "f32"
    )


def test_matmul_overflowing_block_then_finite() -> None:
    big = np.float32(3e38)
    a = np.array([[big, big, -big, -big]], np.float32)
    b = np.ones((4, 1), np.float32)
    assert_bits(
        nm.matmul(a, b, "f32", "f32", k_block=4), [[0.0]], "f32"
    )  # fused: exact 0
    assert_bits(
        nm.matmul(a, b, "f32", "f32", k_block=2), [[np.nan]], "f32"
    )  # inf + -inf
    assert_bits(
        nm.matmul(a, b, "f32", "f32", k_block=1), [[np.inf]], "f32"
    )  # inf - big


@pytest.mark.parametrize("t", FLOATS)
def test_matmul_batches_broadcast_and_slices_agree(t: str) -> None:
    """Batch dims broadcast; each output depends only on its own row and column (the
    exact method adapts to the data, so this is not trivial)."""
    rng = np.random.default_rng(8)
    a = nm.round_float(
        rng.standard_normal((2, 1, 3, 40))
        * 2.0 ** rng.integers(-20, 20, (2, 1, 3, 40)),
        t,
    )
    b = nm.round_float(rng.standard_normal((4, 40, 2)), t)
    got = nm.matmul(a, b, t, "f32", k_block=16)
    assert got.shape == (2, 4, 3, 2)
    for i in range(2):
        for j in range(4):
            assert_bits(got[i, j], ref_matmul(a[i, 0], b[j], 16), "f32")
            assert_bits(
                got[i, j, 1:2],
                nm.matmul(a[i, 0, 1:2], b[j], t, "f32", k_block=16),
                "f32",
            )


def test_matmul_accumulator_f16_and_empty_k() -> None:
    rng = np.random.default_rng(9)
    a = nm.round_float(rng.standard_normal((3, 200)), "f16")
    b = nm.round_float(rng.standard_normal((200, 5)), "f16")
    f32 = nm.matmul(a, b, "f16", "f32", k_block=160)
    assert_bits(
        nm.matmul(a, b, "f16", "f16", k_block=160), nm.round_float(f32, "f16"), "f16"
    )
    assert_bits(f32, ref_matmul(a, b, 160), "f32")
    empty = nm.matmul(
        np.zeros((2, 0), np.float16),
        np.zeros((0, 3), np.float16),
        "f16",
        "f32",
        k_block=160,
    )
    assert_bits(empty, np.zeros((2, 3)), "f32")
    with pytest.raises(nm.NumericsError, match="shapes"):
        nm.matmul(
            np.zeros((2, 3), np.float16),
            np.zeros((4, 3), np.float16),
            "f16",
            "f32",
            k_block=160,
        )
    with pytest.raises(nm.NumericsError, match="accumulates"):
        nm.matmul(
            np.zeros((2, 3), np.int8),
            np.zeros((3, 3), np.int8),
            "i8",
            "i16",
            k_block=320,
        )


@given(st.data())
def test_matmul_int_exact(data: st.DataObject) -> None:
    t = data.draw(st.sampled_from(["i8", "i16", "ui8", "i32"]))
    rows, k, cols = (
        data.draw(st.integers(1, 3)),
        data.draw(st.integers(0, 12)),
        data.draw(st.integers(1, 3)),
    )
    a = [int_lists(data, t, k) for _ in range(rows)]
    b = [int_lists(data, t, cols) for _ in range(k)]
    got = nm.matmul(
        np.array(a, dtype=object).reshape(rows, k).astype(nm.carrier(t)),
        np.array(b, dtype=object).reshape(k, cols).astype(nm.carrier(t)),
        t,
        "i32",
        k_block=320,
    )
    assert got.dtype == np.int32
    assert got.tolist() == [
        [wrap(sum(a[i][q] * b[q][j] for q in range(k)), "i32") for j in range(cols)]
        for i in range(rows)
    ]


def test_matmul_i8_wraps_only_beyond_2_17() -> None:
    for k, want in ((2**17 - 1, (2**17 - 1) * 2**14), (2**17, wrap(2**31, "i32"))):
        a = np.full((1, k), -128, np.int8)
        assert nm.matmul(a, a.T.copy(), "i8", "i32", k_block=320).tolist() == [[want]]


# ---------------------------------------------------------------------- reductions


def ref_step(kind: str, a: object, b: object, t: str, nan: str) -> object:
    """One combining step of a reduction, on Python numbers."""
    if kind in ("all", "any"):
        return (a and b) if kind == "all" else (a or b)
    if nm.is_int(t):
        return (
            wrap(a + b if kind == "sum" else a * b, t)
            if kind in ("sum", "product")
            else (max if kind == "max" else min)(a, b)
        )
    if kind in ("sum", "product"):
        if not (math.isfinite(a) and math.isfinite(b)):
            with np.errstate(all="ignore"):
                return float(np.float64(a) + b if kind == "sum" else np.float64(a) * b)
        neg = (
            (math.copysign(1, a) < 0) and (math.copysign(1, b) < 0)
            if kind == "sum"
            else (math.copysign(1, a) < 0) != (math.copysign(1, b) < 0)
        )
        return exact_round(
            Fraction(a) + Fraction(b) if kind == "sum" else Fraction(a) * Fraction(b),
            t,
            neg,
        )
    if math.isnan(a) or math.isnan(b):
        return (
            math.nan
            if nan == "propagate" or (math.isnan(a) and math.isnan(b))
            else (b if math.isnan(a) else a)
        )
    if a == b:  # +-0: the maximum takes +0, the minimum -0
        return (
            (a if math.copysign(1, a) > 0 else b)
            if kind == "max"
            else (a if math.copysign(1, a) < 0 else b)
        )
    return max(a, b) if kind == "max" else min(a, b)


def ref_reduce_row(row: list, kind: str, t: str, lanes: int, nan: str) -> object:
    """The documented order, spelled out with lists."""
    identity = {
        "sum": -0.0 if nm.is_float(t) else 0,
        "product": 1,
        "all": True,
        "any": False,
    }.get(kind)
    if identity is None:
        identity = (
            (-math.inf if kind == "max" else math.inf)
            if nm.is_float(t)
            else int_range(t)[0 if kind == "max" else 1]
        )
    if nan == "ignore" and kind in ("max", "min") and all(v != v for v in row):
        return math.nan  # all NaN: NaN, whatever the padding
    chunks = [row[i : i + lanes] for i in range(0, len(row), lanes)]
    chunks[-1] = chunks[-1] + [identity] * (lanes - len(chunks[-1]))
    acc = chunks[0]
    for chunk in chunks[1:]:
        acc = [ref_step(kind, x, y, t, nan) for x, y in zip(acc, chunk, strict=True)]
    while len(acc) % 2 == 0:
        half = len(acc) // 2
        acc = [ref_step(kind, acc[i], acc[i + half], t, nan) for i in range(half)]
    total = acc[0]
    for v in acc[1:]:
        total = ref_step(kind, total, v, t, nan)
    return total


@given(st.data())
def test_reduce_last_axis_order(data: st.DataObject) -> None:
    t = data.draw(st.sampled_from(["f16", "bf16", "f32", "i8", "i32", "ui16", "i1"]))
    kinds = ["all", "any"] if t == "i1" else ["sum", "product", "max", "min"]
    kind, nan = (
        data.draw(st.sampled_from(kinds)),
        data.draw(st.sampled_from(["propagate", "ignore"])),
    )
    lanes = data.draw(st.sampled_from([1, 2, 5, 6, 12, 320]))
    n = data.draw(st.integers(1, 40 if lanes < 320 else 700))
    if nm.is_float(t):
        x = (
            float_lists(data, t, 2 * n)
            if data.draw(st.booleans())
            else wide_values(data, t, (2 * n,))
        )
    elif t == "i1":
        x = np.array(data.draw(st.lists(st.booleans(), min_size=2 * n, max_size=2 * n)))
    else:
        x = as_int(int_lists(data, t, 2 * n), t)
    x = x.reshape(2, n)
    got = nm.reduce(x, -1, kind, t, lanes=lanes, nan=nan)
    want = [ref_reduce_row([v.item() for v in row], kind, t, lanes, nan) for row in x]
    if nm.is_float(t):
        assert_bits(got, want, t)
    else:
        assert got.dtype == nm.carrier(t) and got.tolist() == want


def test_reduce_worked_example() -> None:
    """docs/numerics.md's example: 7 values, lanes = 4 (f16)."""
    x = np.array([2048, 1, 1, 1, 1, -2048, 1], np.float16)
    # chunks [2048 1 1 1] + [1 -2048 1 -0] = [2049 -> 2048, -2047, 2, 1];
    # halve: [2048 + 2, -2047 + 1] = [2050, -2046]; halve: 2050 - 2046 = 4
    assert_bits(nm.reduce(x, 0, "sum", "f16", lanes=4), 4.0, "f16")
    # in order: 2048 + 1 = 2049 -> 2048 (four times), - 2048 = 0, + 1 = 1
    assert_bits(nm.reduce_sequential(x, 0, "sum", "f16"), 1.0, "f16")


def test_reduce_other_axes_sequential_and_empty() -> None:
    x = nm.round_float(
        np.random.default_rng(10).standard_normal((5, 3, 4)) * 1000, "bf16"
    )
    got = nm.reduce(x, 0, "sum", "bf16")
    want = [
        [
            ref_reduce_row(
                [float(x[i, j, k]) for i in range(5)], "sum", "bf16", 1, "propagate"
            )
            for k in range(4)
        ]
        for j in range(3)
    ]
    assert_bits(got, want, "bf16")
    assert_bits(nm.reduce(x, 1, "max", "bf16"), x.max(axis=1), "bf16")
    assert_bits(
        nm.reduce(np.zeros((2, 0), np.float32), 1, "sum", "f32"), [0.0, 0.0], "f32"
    )
    assert nm.reduce(np.zeros((2, 0), np.int8), -1, "min", "i8").tolist() == [127, 127]
    assert_bits(
        nm.reduce(np.array([-0.0, -0.0], np.float32), 0, "sum", "f32"), -0.0, "f32"
    )
    with pytest.raises(nm.NumericsError, match="reduction kind"):
        nm.reduce(x, 0, "mean", "bf16")
    with pytest.raises(nm.NumericsError, match="defined for i1"):
        nm.reduce(x, 0, "all", "bf16")
    with pytest.raises(nm.NumericsError, match="axis 3 out of range"):
        nm.reduce(x, 3, "sum", "bf16")


def test_argmax() -> None:
    nan = math.nan
    x = np.array(
        [
            [1, 3, 3, nan, 2, nan],
            [-0.0, 0.0, -1, -1, -2, -3],
            [nan, nan, nan, nan, nan, nan],
        ],
        np.float32,
    )
    assert nm.argmax(x, 1, "f32").tolist() == [3, 0, 0]
    assert nm.argmax(x, 1, "f32", nan="ignore").tolist() == [1, 0, 0]
    assert nm.argmax(x, 0, "f32").tolist() == [2, 2, 2, 0, 2, 0]
    assert nm.argmax(np.array([5, 200, 200], np.uint8), 0, "ui8").tolist() == 1
    assert nm.argmax(np.array([-5, -2, -2], np.int8), 0, "i8").dtype == np.int64


# ----------------------------------------------------------------- transcendentals

# Claimed error bounds in ulps of the result type (docs/numerics.md), over every type.
BOUNDS = {
    "exp": 0.5 + 2**-20,
    "log": 0.5 + 2**-20,
    "tanh": 0.5 + 2**-20,
    "sigmoid": 0.5 + 2**-20,
    "erf": 0.5 + 2**-20,
    "pow": 0.5 + 2**-18,
}


def _safe(fn: Callable[..., float]) -> Callable[..., float]:
    def call(*args: float) -> float:
        try:
            return fn(*args)
        except OverflowError:
            return math.inf
        except ValueError:
            return math.nan

    return call


YARDSTICKS: dict[str, Callable[..., float]] = {
    "exp": lambda x: math.exp(min(max(x, -700.0), 700.0)),
    "log": math.log,
    "tanh": math.tanh,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)) if x > -700 else 0.0,
    "erf": math.erf,
    "pow": _safe(math.pow),
}


def ulp_errors(got: np.ndarray, want: np.ndarray, t: str) -> np.ndarray:
    """|got - want| in ulps of t at want, where rounding to inf counts as rounding to
    2**(emax+1) (so the overflow threshold is exactly half an ulp away)."""
    edge = 2.0 ** (FORMAT[t][2] + 1)
    g = np.clip(got.astype(np.float64), -edge, edge)
    w = np.clip(want, -edge, edge)
    return np.abs(g - w) / ulp(np.minimum(np.abs(w), edge / 2), t)


def check_bound(name: str, t: str, *args: np.ndarray) -> float:
    got = getattr(nm, name)(*args, t)
    want = np.frompyfunc(YARDSTICKS[name], len(args), 1)(
        *(a.astype(np.float64) for a in args)
    ).astype(np.float64)
    nan = np.isnan(want)
    assert (np.isnan(got) == nan).all()
    err = ulp_errors(got[~nan], want[~nan], t)
    assert err.max(initial=0) <= BOUNDS[name], (name, t, err.max())
    return float(err.max(initial=0))


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "erf"])
@pytest.mark.parametrize("t", ["f16", "bf16"])
def test_transcendental_every_input(name: str, t: str) -> None:
    x = from_pattern(np.arange(2**16), t)
    x = x[np.isfinite(x) & ((x > 0) | (name != "log"))]
    check_bound(name, t, x)


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "erf"])
def test_transcendental_f32(name: str) -> None:
    rng = np.random.default_rng(11)
    spread = rng_values("f32", 40000, seed=12)
    useful = {"exp": 100, "log": 1e30, "tanh": 10, "sigmoid": 100, "erf": 5}[name]
    dense = (rng.uniform(-useful, useful, 40000)).astype(np.float32)
    x = np.concatenate(
        [
            spread,
            dense,
            np.abs(dense),
            np.float32(1) + rng.integers(-300, 300, 600).astype(np.float32) * 2**-23,
        ]
    )
    x = x[(x > 0) | (name != "log")]
    check_bound(name, "f32", x)


@pytest.mark.parametrize("t", FLOATS)
def test_pow_bound(t: str) -> None:
    rng = np.random.default_rng(13)
    x = nm.round_float(
        np.abs(rng.standard_normal(20000)) * 2.0 ** rng.integers(-12, 12, 20000), t
    )
    x = np.where(x > 0, x, 1)
    y = nm.round_float(
        rng.standard_normal(20000) * 2.0 ** rng.integers(-6, 5, 20000), t
    )
    neg_x = -x[:2000]
    int_y = nm.round_float(rng.integers(-9, 10, 2000).astype(np.float64), t)
    check_bound("pow", t, np.concatenate([x, neg_x]), np.concatenate([y, int_y]))


def test_transcendental_special_values() -> None:
    inf, nan = math.inf, math.nan
    x = np.array([0.0, -0.0, inf, -inf, nan, 1.0, -1.0, 1000.0, -1000.0])
    table = {
        "exp": [1, 1, inf, 0, nan, math.e, 1 / math.e, inf, 0],
        "log": [-inf, -inf, inf, nan, nan, 0, nan, math.log(1000), nan],
        "tanh": [0, -0.0, 1, -1, nan, math.tanh(1), -math.tanh(1), 1, -1],
        "sigmoid": [
            0.5,
            0.5,
            1,
            0,
            nan,
            1 / (1 + math.exp(-1)),
            1 / (1 + math.e),
            1,
            0,
        ],
        "erf": [0, -0.0, 1, -1, nan, math.erf(1), -math.erf(1), 1, -1],
        "rsqrt": [inf, -inf, 0, nan, nan, 1, nan, 1 / math.sqrt(1000), nan],
        "reciprocal": [inf, -inf, 0, -0.0, nan, 1, -1, 1e-3, -1e-3],
    }
    for t in FLOATS:
        for name, values in table.items():
            got, want = getattr(nm, name)(x, t), np.array(values, np.float64)
            exact = ~np.isfinite(want) | np.isin(want, [0.0, 0.5, 1.0, -1.0])
            assert_bits(got[exact], want[exact], t)
            assert (ulp_errors(got[~exact], want[~exact], t) <= 0.5 + 2**-20).all()


def test_pow_special_values() -> None:
    inf, nan = math.inf, math.nan
    cases = [  # (x, y, C99 pow)
        (nan, 0.0, 1.0), (1.0, nan, 1.0), (-1.0, inf, 1.0), (-1.0, -inf, 1.0), (nan, 1.0, nan), (2.0, nan, nan),
        (-2.0, 0.5, nan), (-2.0, 3.0, -8.0), (-2.0, 2.0, 4.0), (-0.0, 3.0, -0.0), (-0.0, 2.0, 0.0),
        (0.0, -3.0, inf), (-0.0, -3.0, -inf), (-0.0, -2.0, inf), (0.0, -0.5, inf),
        (0.5, inf, 0.0), (0.5, -inf, inf), (2.0, inf, inf), (2.0, -inf, 0.0),
        (-inf, 3.0, -inf), (-inf, 2.0, inf), (-inf, -3.0, -0.0), (-inf, -2.0, 0.0), (-inf, 0.5, inf),
        (inf, -1.0, 0.0), (inf, 0.5, inf), (2.0, 10.0, 1024.0), (4.0, 0.5, 2.0), (2.0, 200.0, inf), (2.0, -200.0, 0.0),
    ]  # fmt: skip
    x, y, want = (np.array(c) for c in zip(*cases, strict=True))
    for t in FLOATS:
        assert_bits(nm.pow(x, y, t), want, t)


@pytest.mark.parametrize(
    "name", ["exp", "log", "tanh", "sigmoid", "erf", "rsqrt", "reciprocal", "sqrt"]
)
def test_transcendentals_are_reproducible(name: str) -> None:
    """Same bits on every run, whatever the array's length, order or layout."""
    x = rng_values("f32", 5000, seed=14)
    x = np.concatenate([x, -x, np.float32(1) / np.arange(1, 500, dtype=np.float32)])
    first = getattr(nm, name)(x, "f32")
    assert (bits(getattr(nm, name)(x, "f32"), "f32") == bits(first, "f32")).all()
    assert (
        bits(getattr(nm, name)(x[::-1].copy(), "f32")[::-1], "f32")
        == bits(first, "f32")
    ).all()
    assert (
        bits(getattr(nm, name)(x[::3], "f32"), "f32") == bits(first[::3], "f32")
    ).all()
    assert all(
        bits(getattr(nm, name)(x[i : i + 1], "f32"), "f32")[0]
        == bits(first[i : i + 1], "f32")[0]
        for i in range(0, x.size, 997)
    )


# ----------------------------------------------------------- more of libm

MORE = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "atan": math.atan,
    "asin": _safe(math.asin),
    "acos": _safe(math.acos),
    "sinh": lambda x: math.copysign(math.inf, x) if abs(x) > 710 else math.sinh(x),
    "cosh": _safe(math.cosh),
    "asinh": math.asinh,
    "acosh": _safe(math.acosh),
    "atanh": _safe(
        lambda x: math.copysign(math.inf, x) if abs(x) == 1 else math.atanh(x)
    ),
    "expm1": _safe(math.expm1),
    "log1p": _safe(lambda x: -math.inf if x == -1 else math.log1p(x)),
    "log2": _safe(lambda x: -math.inf if x == 0 else math.log2(x)),
    "log10": _safe(lambda x: -math.inf if x == 0 else math.log10(x)),
    "exp2": _safe(
        lambda x: (
            math.ldexp(1.0, int(x)) * 2 ** (x - int(x))
            if abs(x) < 2000
            else (math.inf if x > 0 else 0.0)
        )
    ),
    "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x),
}
"""math's float64 functions as yardsticks (their error is far below 2**-20
ulps of f32, except cbrt's `** (1/3)`, checked to 0.5 + 2**-18)."""


@pytest.mark.parametrize("name", sorted(MORE))
@pytest.mark.parametrize("t", ["f16", "bf16", "f32"])
def test_more_functions_round_nearly_correctly(name: str, t: str) -> None:
    """Every f16 and bf16 input, 60 000 f32 ones (huge arguments of sin, cos
    and tan included: their reduction is exact)."""
    if t == "f32":
        rng = np.random.default_rng(5)
        x = np.concatenate(
            [
                rng_values("f32", 20000, seed=6),
                rng.uniform(-10, 10, 20000).astype(np.float32),
                rng.uniform(-1, 1, 20000).astype(np.float32),
            ]
        )
    else:
        x = from_pattern(np.arange(2**16), t)
        x = x[np.isfinite(x)]
    got = getattr(nm, name)(x, t)
    with np.errstate(over="ignore", invalid="ignore"):  # inf and nan are expected
        want = np.frompyfunc(MORE[name], 1, 1)(x.astype(np.float64)).astype(np.float64)
    nan = np.isnan(want)
    assert (np.isnan(got) == nan).all(), name
    err = ulp_errors(got[~nan], want[~nan], t)
    bound = 0.5 + (2**-18 if name == "cbrt" else 2**-20)
    assert err.max(initial=0) <= bound, (name, t, err.max())


def test_more_functions_special_values() -> None:
    f = np.float32
    assert_bits(nm.sin(f([-0.0, np.inf, np.nan]), "f32"), [-0.0, np.nan, np.nan], "f32")
    assert_bits(nm.cos(f([0.0, -np.inf]), "f32"), [1.0, np.nan], "f32")
    assert_bits(
        nm.atan2(
            f([0.0, -0.0, 0.0, 1.0, np.inf, -np.inf]),
            f([-0.0, -1.0, 1.0, 0.0, np.inf, -np.inf]),
            "f32",
        ),
        [math.pi, -math.pi, 0.0, math.pi / 2, math.pi / 4, -3 * math.pi / 4],
        "f32",
    )
    assert_bits(
        nm.log2(f([8.0, 0.25, 0.0, -1.0]), "f32"), [3.0, -2.0, -np.inf, np.nan], "f32"
    )
    assert_bits(nm.exp2(f([10.0, -3.0, 200.0]), "f32"), [1024.0, 0.125, np.inf], "f32")
    assert_bits(nm.cbrt(f([27.0, -8.0, -0.0]), "f32"), [3.0, -2.0, -0.0], "f32")
    assert_bits(nm.log1p(f([-1.0, -2.0, -0.0]), "f32"), [-np.inf, np.nan, -0.0], "f32")
    assert_bits(nm.expm1(f([-0.0, -np.inf]), "f32"), [-0.0, -1.0], "f32")
    assert_bits(nm.atanh(f([1.0, -1.0, 2.0]), "f32"), [np.inf, -np.inf, np.nan], "f32")
    assert_bits(nm.trunc(f([-2.5, 2.5, -0.5]), "f32"), [-2.0, 2.0, -0.0], "f32")
    assert_bits(
        nm.round_away(f([0.5, -2.5, 1.49999988, -0.25]), "f32"),
        [1.0, -3.0, 1.0, -0.0],
        "f32",
    )
    assert_bits(nm.copysign(f([1.5, 2.0]), f([-0.0, 3.0]), "f32"), [-1.5, 2.0], "f32")


@given(st.data())
def test_fma_rounds_once(data: st.DataObject) -> None:
    t = data.draw(st.sampled_from(["f16", "bf16", "f32"]))
    a, b, c = (float_lists(data, t, 8) for _ in range(3))
    got = nm.fma(a, b, c, t)
    want = []
    for x, y, z in zip(a.tolist(), b.tolist(), c.tolist(), strict=True):
        if not all(math.isfinite(v) for v in (x, y, z)):
            want.append(rounded(x * y + z, t))
            continue
        want.append(exact_round(Fraction(x) * Fraction(y) + Fraction(z), t))
    assert_bits(got, want, t)


def test_fpowi_is_binary_powering_in_the_type() -> None:
    """3**5 = 3 * 9 * 81: each product rounded to f16 (exact here); 1.1**3 in
    f16: (1.1 * 1.1 -> 1.21) * 1.1 with each step rounded; negative n: 1/r."""
    x = np.float16([3.0, 1.1, 2.0, 0.5, 2.0])
    n = np.int32([5, 3, -2, 0, 16])
    r11 = np.float16(np.float16(1.1) * np.float16(1.1))
    r11 = np.float16(r11 * np.float16(1.1))
    assert_bits(nm.fpowi(x, n, "f16"), [243.0, float(r11), 0.25, 1.0, np.inf], "f16")


@given(st.data())
def test_integer_powers_and_bit_counts(data: st.DataObject) -> None:
    t = data.draw(st.sampled_from(["i8", "i16", "i32", "i64"]))
    w = int(t[1:])
    a = int_lists(data, t, 6)
    e = data.draw(st.lists(st.integers(-3, 70), min_size=6, max_size=6))
    got = nm.ipowi(as_int(a, t), as_int([wrap(v, t) for v in e], t), t)
    want = []
    for x, n in zip(a, e, strict=True):
        n = wrap(n, t)
        if n >= 0:
            want.append(wrap(x**n, t))
        else:
            want.append({1: 1, -1: -1 if n % 2 else 1, 0: -1}.get(x, 0))
    assert to_python(got) == want
    u = [v % 2**w for v in a]
    assert to_python(nm.ctpop(as_int(a, t), t)) == [bin(v).count("1") for v in u]
    assert to_python(nm.ctlz(as_int(a, t), t)) == [w - v.bit_length() for v in u]
    assert to_python(nm.cttz(as_int(a, t), t)) == [
        (v & -v).bit_length() - 1 if v else w for v in u
    ]
