"""The numerics spec, implemented once: exactly what every arithmetic operation computes.

The tensor-level reference interpreter and the simulator's functional units both call
these functions, so a program gives bit-identical results in both and on every host.
docs/numerics.md is the human-readable form of this module; keep them in step.

Conventions:
- Element types are named by their MLIR spelling (``ELEMENT_TYPES``). Values travel in
  numpy *carrier* arrays (``carrier``); bf16 has no numpy dtype and travels as float32
  whose every value is a bf16 value.
- Every function is vectorised numpy and broadcasts its array operands numpy-style.
- Results are defined only through IEEE basic operations (+ - * /, sqrt, conversions,
  rint/floor/ceil, ldexp/frexp, fmod, comparisons), which every IEEE host computes
  identically. libm functions (np.exp, np.log, ...) are never used to define a result.
- Float results carry one NaN, the canonical quiet NaN (f16 0x7E00, bf16 0x7FC0,
  f32 0x7FC00000): NaN payloads and signs are not modelled.
- Denormals are kept everywhere (no flush to zero). The host must run its FPU in the
  IEEE default mode (round to nearest even, no flush-to-zero), as numpy does.
"""

import functools
import itertools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

ELEMENT_TYPES: tuple[str, ...] = (
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

_CARRIERS: dict[str, type[np.generic]] = {
    "i1": np.bool_,
    "i8": np.int8,
    "i16": np.int16,
    "i32": np.int32,
    "i64": np.int64,
    "ui8": np.uint8,
    "ui16": np.uint16,
    "ui32": np.uint32,
    "ui64": np.uint64,
    "f16": np.float16,
    "bf16": np.float32,
    "f32": np.float32,
}

# Binary floating-point formats: precision p (significand bits with the hidden bit),
# emin and emax of normal numbers (IEEE 754 binary16 and binary32; bfloat16 is
# binary32 with 8 significand bits).
_FORMATS: dict[str, tuple[int, int, int]] = {
    "f16": (11, -14, 15),
    "bf16": (8, -126, 127),
    "f32": (24, -126, 127),
}

_F64 = np.float64

# f64: IEEE binary64, computed by numpy's own float64 operations.
_FORMATS["f64"] = (53, -1022, 1023)
_CARRIERS["f64"] = np.float64


@dataclass(frozen=True)
class Minifloat:
    """An 8-, 6- or 4-bit float format (MLIR's f8E4M3FN, f4E2M1FN, ...), as
    LLVM's APFloat defines it: `kind` says how it ends its range:
    "ieee" (the top exponent holds inf and NaNs), "fn" (no inf; all ones is
    NaN), "fnuz" (no inf, no -0: the pattern -0 is the NaN), "finite" (no inf,
    no NaN: overflow saturates), "e8m0" (exponent only, no sign, no zero)."""

    exponent_bits: int
    mantissa_bits: int
    bias: int
    kind: str

    @property
    def p(self) -> int:
        return self.mantissa_bits + 1

    @property
    def emin(self) -> int:
        return -self.bias if self.kind == "e8m0" else 1 - self.bias

    @property
    def emax(self) -> int:
        top = (1 << self.exponent_bits) - 1
        return top - (1 if self.kind in ("ieee", "e8m0") else 0) - self.bias

    @property
    def largest(self) -> float:
        """The largest finite value (fn's all-ones pattern is its NaN)."""
        ulps = 2 if self.kind == "fn" else 1
        return (2.0 - ulps * 2.0 ** (1 - self.p)) * 2.0**self.emax

    @property
    def bits(self) -> int:
        return self.exponent_bits + self.mantissa_bits + (self.kind != "e8m0")


MINIFLOATS: dict[str, Minifloat] = {
    "f8E5M2": Minifloat(5, 2, 15, "ieee"),
    "f8E4M3": Minifloat(4, 3, 7, "ieee"),
    "f8E3M4": Minifloat(3, 4, 3, "ieee"),
    "f8E4M3FN": Minifloat(4, 3, 7, "fn"),
    "f8E5M2FNUZ": Minifloat(5, 2, 16, "fnuz"),
    "f8E4M3FNUZ": Minifloat(4, 3, 8, "fnuz"),
    "f8E4M3B11FNUZ": Minifloat(4, 3, 11, "fnuz"),
    "f8E8M0FNU": Minifloat(8, 0, 127, "e8m0"),
    "f6E2M3FN": Minifloat(2, 3, 1, "finite"),
    "f6E3M2FN": Minifloat(3, 2, 3, "finite"),
    "f4E2M1FN": Minifloat(2, 1, 1, "finite"),
}
"""The small float formats, carried in float32 arrays (every value exact)."""

for _name, _spec in MINIFLOATS.items():
    _FORMATS[_name] = (_spec.p, _spec.emin, _spec.emax)
    _CARRIERS[_name] = np.float32
ELEMENT_TYPES += ("f64", *MINIFLOATS)

_INT_NAME = re.compile(r"(u?)i([1-9][0-9]?)")


class NumericsError(ValueError):
    """A value, type or operation that the numerics spec does not define."""


# --------------------------------------------------------------------------- types


def _int_width(t: str) -> int | None:
    """N of an integer type iN / uiN of any width 1..64 (MLIR's signless
    integers have any width: i2, i4, i48, ...), else None."""
    m = _INT_NAME.fullmatch(t)
    if m is None or int(m.group(2)) > 64 or (m.group(1) and int(m.group(2)) < 2):
        return None
    return int(m.group(2))


def _check(t: str) -> str:
    if t not in _CARRIERS and _int_width(t) is None:
        raise NumericsError(
            f"unknown element type '{t}' (known: {', '.join(ELEMENT_TYPES)}, and iN, uiN of any width up to 64)"
        )
    return t


def is_element_type(t: str) -> bool:
    """Whether the spec defines t (ELEMENT_TYPES, and iN / uiN of any width)."""
    return t in _CARRIERS or _int_width(t) is not None


def carrier(t: str) -> np.dtype:
    """The numpy dtype that holds values of element type t (bf16 and the
    minifloats: float32; an integer of a width numpy lacks: the next wider)."""
    if t in _CARRIERS:
        return np.dtype(_CARRIERS[t])
    width = _int_width(_check(t))
    assert width is not None
    size = next(n for n in (8, 16, 32, 64) if n >= width)
    return np.dtype(f"{'u' if t.startswith('u') else ''}int{size}")


def is_float(t: str) -> bool:
    """f16, bf16 and f32."""
    return _check(t) in _FORMATS


def is_int(t: str) -> bool:
    """i1 .. i64 and the unsigned views ui8 .. ui64."""
    return not is_float(t)


def is_unsigned(t: str) -> bool:
    """The unsigned views uiN (i1 is boolean: it reads as 0 and 1, see docs)."""
    return _check(t).startswith("ui")


@functools.cache
def bitwidth(t: str) -> int:
    """Bits of one element (i1: 1, bf16: 16); cached, the simulator asks per access."""
    _check(t)
    if t in MINIFLOATS:
        return MINIFLOATS[t].bits
    return 16 if t == "bf16" else int("".join(c for c in t if c.isdigit()))


def _reads_unsigned(t: str) -> bool:
    """uiN and i1 (false = 0, true = 1) read their bits as unsigned numbers."""
    return is_unsigned(t) or t == "i1"


def _int_range(t: str) -> tuple[int, int]:
    w = bitwidth(t)
    return (0, 2**w - 1) if _reads_unsigned(t) else (-(2 ** (w - 1)), 2 ** (w - 1) - 1)


def _require_float(t: str, what: str) -> None:
    if not is_float(t):
        raise NumericsError(f"{what} is defined for f16, bf16 and f32, not {t}")


def _require_int(t: str, what: str) -> None:
    if not is_int(t):
        raise NumericsError(f"{what} is defined for integer types, not {t}")


def _require_i1(t: str, what: str) -> None:
    if _check(t) != "i1":
        raise NumericsError(f"{what} is defined for i1, not {t}")


def _option(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise NumericsError(
            f"{what} must be one of {', '.join(allowed)}, not '{value}'"
        )


# ----------------------------------------------------------------------- int bits


def _ubits(x: np.ndarray, t: str) -> np.ndarray:
    """The bit pattern as an unsigned number (i1: uint8 0/1)."""
    w = bitwidth(t)
    if w in (1, 8, 16, 32, 64):
        return np.asarray(x, carrier(t)).astype(f"uint{max(8, w)}")
    u = np.asarray(x, carrier(t)).astype(f"uint{8 * carrier(t).itemsize}")
    return u & u.dtype.type((1 << w) - 1)


def _sbits(x: np.ndarray, t: str) -> np.ndarray:
    """The bit pattern as a two's complement number (i1: int8 0/-1)."""
    u = _ubits(x, t)
    if t == "i1":
        return np.negative(u.astype(np.int8))
    w = bitwidth(t)
    if w in (8, 16, 32, 64):
        return u.astype(f"int{w}")
    v = u.astype(np.int64)
    return np.where(v >= 1 << (w - 1), v - (1 << w), v).astype(carrier(f"i{w}"))


def _values(x: np.ndarray, t: str) -> np.ndarray:
    """The numbers an integer type holds: signed for iN, unsigned for uiN and i1."""
    return _ubits(x, t) if _reads_unsigned(t) else np.asarray(x, carrier(t))


def _from_bits(r: np.ndarray, t: str) -> np.ndarray:
    """Keep the low bitwidth(t) bits of integers r (two's complement wrap-around)."""
    if t == "i1":
        return np.bitwise_and(r, 1).astype(np.bool_)
    w = bitwidth(t)
    if w in (8, 16, 32, 64):
        return np.asarray(r).astype(carrier(t))
    low = np.asarray(r).astype(np.uint64) & np.uint64((1 << w) - 1)
    if _reads_unsigned(t):
        return low.astype(carrier(t))
    v = low.astype(np.int64)
    return np.where(v >= 1 << (w - 1), v - (1 << w), v).astype(carrier(t))


def to_bits(x: np.ndarray, t: str) -> np.ndarray:
    """The raw bit patterns (uint8/16/32/64; bf16 as uint16), as stored in SRAM."""
    if t == "bf16":
        return (np.asarray(x, np.float32).view(np.uint32) >> 16).astype(np.uint16)
    if t in MINIFLOATS:
        return _encode_minifloat(np.asarray(x, np.float32), MINIFLOATS[t])
    if is_float(t):
        return np.asarray(x, carrier(t)).view(f"uint{bitwidth(t)}")
    return _ubits(x, t)


def from_bits(bits: np.ndarray, t: str) -> np.ndarray:
    """Values from raw bit patterns (the inverse of to_bits; NaN payloads are kept)."""
    b = np.asarray(bits)
    if t == "bf16":
        return (b.astype(np.uint32) << 16).view(np.float32)
    if t in MINIFLOATS:
        return _decode_minifloat(b.astype(np.uint8), MINIFLOATS[t])
    if is_float(t):
        return b.astype(f"uint{bitwidth(t)}").view(carrier(t))
    return _from_bits(b, t)


# ----------------------------------------------------------------------- rounding


def _canonical_nan(r: np.ndarray) -> np.ndarray:
    """r with every NaN the canonical quiet NaN (r itself when it has none)."""
    nan = np.isnan(r)
    return np.where(nan, r.dtype.type(np.nan), r) if nan.any() else r


def _f64(x: object) -> np.ndarray:
    """The exact float64 values of x (a signaling NaN quietly becomes a NaN)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(x, _F64)


def _round_to_format(v: np.ndarray, t: str) -> np.ndarray:
    """RNE of float64 v to format t, as float64: scale so the quantum is 1, rint, scale
    back (all exact but rint); magnitudes beyond the largest finite value become inf."""
    p, emin, emax = _FORMATS[t]
    _, e = np.frexp(v)  # |v| in [2**(e-1), 2**e)
    q = np.maximum(e - 1, emin) - (p - 1)  # exponent of the quantum (denormals: fixed)
    r = np.ldexp(np.rint(np.ldexp(v, -q)), q)
    largest = (2.0 - 2.0 ** (1 - p)) * 2.0**emax
    return np.where(np.abs(r) > largest, np.copysign(np.inf, v), r)


def round_float(x: np.ndarray, t: str) -> np.ndarray:
    """Round float values (taken exactly) to t: nearest even, IEEE overflow to inf,
    gradual underflow (denormals kept), NaN to the canonical quiet NaN."""
    _require_float(t, "round_float")
    v = _f64(x)
    if t in MINIFLOATS:
        return _round_minifloat(v, MINIFLOATS[t])
    with np.errstate(all="ignore"):
        if t == "f64":
            r = v.copy()
        elif t == "f32":
            r = v.astype(np.float32)
        else:
            r = _round_to_format(v, t).astype(carrier(t))
    return _canonical_nan(r)


def _round_minifloat(v: np.ndarray, f: Minifloat) -> np.ndarray:
    """RNE onto the format's grid (denormals kept), then its range rule:
    beyond the largest finite value inf ("ieee"), NaN ("fn", "fnuz",
    "e8m0") or the largest ("finite", which also reads NaN as +0); "fnuz"
    has no -0; "e8m0" holds 2**-127 .. 2**127 only (0 and negatives: NaN,
    smaller positives: 2**-127)."""
    with np.errstate(all="ignore"):
        finite = np.isfinite(v)
        w = np.where(finite, v, 0.0)
        _, e = np.frexp(w)
        q = np.maximum(e - 1, f.emin) - (f.p - 1)
        r = np.ldexp(np.rint(np.ldexp(w, -q)), q)
        over = np.abs(r) > f.largest
        overflow = {
            "ieee": np.copysign(np.inf, v),
            "finite": np.copysign(f.largest, v),
        }.get(f.kind, np.nan)
        r = np.where(over | ~finite, overflow, r)
        if f.kind == "finite":
            r = np.where(np.isnan(v), 0.0, r)
        else:
            r = np.where(np.isnan(v), np.nan, r)
        if f.kind == "fnuz":
            r = np.where(r == 0, 0.0, r)
        if f.kind == "e8m0":
            r = np.where(v > 0, np.maximum(r, 2.0**f.emin), np.nan)
            r = np.where(np.isinf(v) | (np.abs(r) > f.largest), np.nan, r)
    return _canonical_nan(r.astype(np.float32))


def _encode_minifloat(x: np.ndarray, f: Minifloat) -> np.ndarray:
    """The bit patterns (uint8) of minifloat values (exact in x)."""
    a = np.abs(x.astype(np.float64))
    with np.errstate(all="ignore"):
        _, e = np.frexp(np.where(np.isfinite(a) & (a > 0), a, 1.0))
        exponent = e - 1
        normal = exponent >= f.emin
        biased = np.where(normal & (a > 0), exponent + f.bias, 0)
        scale = np.where(normal, exponent, f.emin) - f.mantissa_bits
        fraction = np.ldexp(a, -scale).astype(np.int64)
        mantissa = np.where(normal, fraction - (1 << f.mantissa_bits), fraction)
    sign_bit = 0 if f.kind == "e8m0" else 1 << (f.bits - 1)
    bits = (biased << f.mantissa_bits) | np.where(np.isfinite(a) & (a > 0), mantissa, 0)
    bits = np.where(np.signbit(x), bits | sign_bit, bits)
    top = (1 << f.exponent_bits) - 1
    nan = {
        "ieee": (top << f.mantissa_bits) | (1 << max(f.mantissa_bits - 1, 0)),
        "fn": (1 << (f.bits - 1)) - 1,
        "fnuz": 1 << (f.bits - 1),
        "e8m0": 0xFF,
    }.get(f.kind, 0)
    bits = np.where(np.isnan(x), nan, bits)
    bits = np.where(
        np.isinf(x), (top << f.mantissa_bits) | (np.signbit(x) * sign_bit), bits
    )
    if f.kind == "fnuz":
        bits = np.where(x == 0, 0, bits)
    return bits.astype(np.uint8)


def _decode_minifloat(b: np.ndarray, f: Minifloat) -> np.ndarray:
    """Minifloat values (float32) from their bit patterns."""
    m = (b & ((1 << f.mantissa_bits) - 1)).astype(np.int64)
    biased = ((b >> f.mantissa_bits) & ((1 << f.exponent_bits) - 1)).astype(np.int64)
    sign = 0 if f.kind == "e8m0" else (b >> (f.bits - 1)) & 1
    normal = (biased > 0) | (f.kind == "e8m0")
    significand = np.where(normal, m + (1 << f.mantissa_bits), m)
    exponent = np.where(normal, biased - f.bias, f.emin) - f.mantissa_bits
    v = np.ldexp(significand.astype(np.float64), exponent)
    v = np.where(sign == 1, -v, v)
    top = (1 << f.exponent_bits) - 1
    if f.kind == "ieee":
        special = biased == top
        v = np.where(special, np.where(m == 0, np.copysign(np.inf, v), np.nan), v)
    elif f.kind == "fn":
        v = np.where((biased == top) & (m == (1 << f.mantissa_bits) - 1), np.nan, v)
    elif f.kind == "fnuz":
        v = np.where(b == 1 << (f.bits - 1), np.nan, v)
    elif f.kind == "e8m0":
        v = np.where(b == 0xFF, np.nan, v)
    return _canonical_nan(v.astype(np.float32))


# -------------------------------------------------------------------- conversions


def _type_of_dtype(dtype: np.dtype) -> str:
    """The integer element type whose carrier is dtype (bool: i1)."""
    return (
        "i1"
        if dtype.kind == "b"
        else f"{'ui' if dtype.kind == 'u' else 'i'}{8 * dtype.itemsize}"
    )


def _int_to_f64(x: np.ndarray, src: str) -> np.ndarray:
    """Integers as float64, exactly when they fit in 53 bits; wider magnitudes are
    rounded to odd (the dropped bits OR-ed into the last kept one), which keeps at least
    43 bits, so a later RNE to <= 24 bits equals the RNE of the exact integer."""
    if bitwidth(src) <= 32:
        return x.astype(_F64)
    if _reads_unsigned(src):
        neg = np.zeros(x.shape, np.bool_)
        mag = x.astype(np.uint64)
    else:
        neg = x < 0
        mag = np.where(neg, np.negative(x.astype(np.uint64)), x.astype(np.uint64))
    wide = mag >= np.uint64(2**53)
    odd = (mag >> np.uint64(11)) | (mag & np.uint64(2047) != 0).astype(np.uint64)
    v = np.where(wide, odd.astype(_F64) * 2048.0, mag.astype(_F64))
    return np.where(neg, -v, v)


def _f64_to_bits64(r: np.ndarray) -> np.ndarray:
    """Finite integer-valued float64 (any magnitude) modulo 2**64, as uint64."""
    m = np.fmod(r, 2.0**64)  # fmod is exact
    hi = np.floor(m / 2.0**32)
    lo = m - hi * 2.0**32
    return (hi.astype(np.int64).astype(np.uint64) << np.uint64(32)) + lo.astype(
        np.uint64
    )


def _float_to_int(v: np.ndarray, dst: str, rounding: str, saturate: bool) -> np.ndarray:
    with np.errstate(all="ignore"):
        r = np.rint(v) if rounding == "rne" else np.trunc(v)
        finite = np.isfinite(r)
        if not saturate:
            return _from_bits(_f64_to_bits64(np.where(finite, r, 0.0)), dst)
        lo, hi = _int_range(dst)
        over = r >= float(hi + 1)  # hi + 1 and lo are powers of two (or 0): exact
        under = r < float(lo)
        inside = _from_bits(
            _f64_to_bits64(np.where(finite & ~over & ~under, r, 0.0)), dst
        )
    out = np.where(
        over, carrier(dst).type(hi), np.where(under, carrier(dst).type(lo), inside)
    )
    return out.astype(carrier(dst))


def cast(
    x: np.ndarray, src: str, dst: str, *, rounding: str = "rne", saturate: bool = True
) -> np.ndarray:
    """Convert between any two element types.

    int -> int: keep the low bits, after sign extension (iN) or zero extension (uiN, i1).
    int -> float and float -> float: one round to nearest even (widening is exact).
    float -> int: round ("rne" or "trunc" toward zero), then saturate to the range with
    NaN -> 0, or (saturate=False) wrap the integer modulo 2**N with NaN, inf -> 0.
    """
    _check(src)
    _check(dst)
    _option(rounding, ("rne", "trunc"), "rounding")
    v = np.asarray(x, carrier(src))
    if is_float(dst):
        if rounding != "rne":
            raise NumericsError(
                "conversions to a float type round to nearest even only"
            )
        return round_float(_f64(v) if is_float(src) else _int_to_f64(v, src), dst)
    if is_float(src):
        return _float_to_int(_f64(v), dst, rounding, saturate)
    return _from_bits(v.astype(np.uint64 if _reads_unsigned(src) else np.int64), dst)


def _first_bad(a: np.ndarray, bad: np.ndarray, t: str, why: str) -> NumericsError:
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    value = a[index]
    where = f" at index {index}" if index else ""
    return NumericsError(
        f"value {getattr(value, 'item', lambda: value)()}{where} {why} {t}"
    )


def _as_float_carrier(a: np.ndarray, t: str) -> np.ndarray:
    kind = a.dtype.kind
    if t in _SELF_CARRIED and a.dtype == carrier(t):
        return _canonical_nan(a.copy())  # every value of the carrier is one of t
    if kind == "f":
        v = _f64(a)
    elif kind in "biu":
        v = _int_to_f64(a, _type_of_dtype(a.dtype))
    elif kind == "O":
        try:
            v = a.astype(_F64)
        except (TypeError, ValueError, OverflowError) as e:
            raise NumericsError(f"cannot read the data as {t}: {e}") from None
        inexact = (v.astype(object) != a) & ~np.isnan(v)
        if inexact.any():
            raise _first_bad(a, inexact, t, "is not a value of")
    else:
        raise NumericsError(f"cannot read {a.dtype} data as {t}")
    r = round_float(v, t)
    bad = (r.astype(_F64) != v) & ~np.isnan(v)
    if bad.any():
        raise _first_bad(a, bad, t, "is not a value of")
    return r


def _as_int_carrier(a: np.ndarray, t: str) -> np.ndarray:
    lo, hi = _int_range(t)
    kind = a.dtype.kind
    if kind == "b":
        return a.astype(carrier(t))
    if a.dtype == carrier(t) and (lo, hi) == (
        np.iinfo(a.dtype).min,
        np.iinfo(a.dtype).max,
    ):
        return a.copy()  # the carrier holds exactly t's values: nothing to check
    if kind in "iu":
        info = np.iinfo(a.dtype)
        bad = np.zeros(a.shape, np.bool_)
        if lo > info.min:
            bad |= a < lo
        if hi < info.max:
            bad |= a > hi
        wide = a
    elif kind in "fO":
        try:
            with np.errstate(invalid="ignore"):
                bad = np.asarray(
                    (a % 1 != 0) | (a < lo) | (a >= hi + 1) | (a != a), np.bool_
                )
        except TypeError as e:
            raise NumericsError(f"cannot read the data as {t}: {e}") from None
        wide = np.where(bad, 0, a)
    else:
        raise NumericsError(f"cannot read {a.dtype} data as {t}")
    if bad.any():
        raise _first_bad(a, bad, t, f"is not an integer in the range [{lo}, {hi}] of")
    return _from_bits(wide.astype(np.uint64 if lo == 0 else np.int64), t)


def as_carrier(x: object, t: str) -> np.ndarray:
    """Validate user data (e.g. from .npy) and convert it to t's carrier, exactly.

    Raises NumericsError when a value is not a value of t (an out-of-range or fractional
    integer, a float that t cannot represent exactly, e.g. 0.1 for bf16). NaNs become
    the canonical quiet NaN.
    """
    a = np.asarray(x)
    return _as_float_carrier(a, t) if is_float(t) else _as_int_carrier(a, t)


# ---------------------------------------------------------------- float elementwise


def _float_map(fn: Callable[..., np.ndarray], t: str, *xs: object) -> np.ndarray:
    """fn on the exact float64 values of the operands, rounded once to t.

    For t-values, float64 + - * / and sqrt are either exact (products) or rounded twice,
    53-bit then p-bit, and double rounding is innocuous because 53 >= 2p + 2 (Figueroa,
    "When is double rounding innocuous?", 1995): the result is the correctly rounded one.
    """
    with np.errstate(all="ignore"):
        if t == "f32" and fn in _BINARY32_EXACT:
            # IEEE binary32 + - * / and sqrt are correctly rounded: the same
            # result in one pass, which is the simulator's hot path
            return _canonical_nan(fn(*(np.asarray(x, np.float32) for x in xs)))
        return round_float(fn(*(_f64(x) for x in xs)), t)


_BINARY32_EXACT = (
    np.add,
    np.subtract,
    np.multiply,
    np.divide,
    np.sqrt,
    np.negative,
    np.abs,
)


# ------------------------------------------------------------------ int elementwise


_Overflow = tuple[np.ndarray, np.ndarray | bool]  # (overflowed, toward the maximum)


def _overflow_add(
    x: np.ndarray, y: np.ndarray, r: np.ndarray, signed: bool
) -> _Overflow:
    if signed:
        return ((x ^ r) & (y ^ r)) < 0, x >= 0
    return r < x, True


def _overflow_sub(
    x: np.ndarray, y: np.ndarray, r: np.ndarray, signed: bool
) -> _Overflow:
    if signed:
        return ((x ^ y) & (x ^ r)) < 0, x >= 0
    return x < y, False


def _overflow_mul(
    x: np.ndarray, y: np.ndarray, r: np.ndarray, signed: bool
) -> _Overflow:
    # r is the wrapped product: it is exact iff r / x == y (x != 0), except that
    # MIN * -1 wraps to MIN and MIN // -1 wraps too.
    over = (x != 0) & (r // np.where(x == 0, 1, x) != y)
    if signed:
        over |= (x == -1) & (y == np.iinfo(x.dtype).min)
        return over, (x < 0) == (y < 0)
    return over, True


_INT_OPS = {
    "add": (np.add, _overflow_add),
    "sub": (np.subtract, _overflow_sub),
    "mul": (np.multiply, _overflow_mul),
}


def _int_arith(kind: str, a: object, b: object, t: str, overflow: str) -> np.ndarray:
    """Wrap modulo 2**N, or saturate to the type's range (i1 computes as ui8 and
    reduces to 0/1 at the end)."""
    _option(overflow, ("wrap", "saturate"), "overflow")
    work = "ui8" if t == "i1" else t
    x = _values(a, t).astype(carrier(work))
    y = _values(b, t).astype(carrier(work))
    fn, overflows = _INT_OPS[kind]
    with np.errstate(all="ignore"):
        r = fn(x, y)
        if overflow == "saturate":
            over, upward = overflows(x, y, r, not _reads_unsigned(work))
            lo, hi = (carrier(work).type(v) for v in _int_range(work))
            r = np.where(over, np.where(upward, hi, lo), r)
    if t == "i1" and overflow == "saturate":
        r = np.minimum(r, 1)
    return _from_bits(r, t)


def _arith(
    kind: str, fn: Callable, a: object, b: object, t: str, overflow: str
) -> np.ndarray:
    if is_float(t):
        return _float_map(fn, t, a, b)
    return _int_arith(kind, a, b, t, overflow)


def add(a: object, b: object, t: str, *, overflow: str = "wrap") -> np.ndarray:
    """a + b: floats correctly rounded; integers wrap (or saturate on request)."""
    return _arith("add", np.add, a, b, t, overflow)


def sub(a: object, b: object, t: str, *, overflow: str = "wrap") -> np.ndarray:
    """a - b: floats correctly rounded; integers wrap (or saturate on request)."""
    return _arith("sub", np.subtract, a, b, t, overflow)


def mul(a: object, b: object, t: str, *, overflow: str = "wrap") -> np.ndarray:
    """a * b: floats correctly rounded; integers wrap (or saturate on request)."""
    return _arith("mul", np.multiply, a, b, t, overflow)


def _int_divmod(a: object, b: object, t: str) -> tuple[np.ndarray, np.ndarray]:
    """Quotient truncated toward zero and the remainder with the dividend's sign.
    x / 0 = all bits set (-1, or the unsigned maximum) and x % 0 = x, the results of a
    restoring divider; MIN / -1 = MIN (wraps) and MIN % -1 = 0."""
    work = "ui8" if t == "i1" else t
    x = _values(a, t).astype(carrier(work))
    y = _values(b, t).astype(carrier(work))
    zero = y == 0
    with np.errstate(all="ignore"):
        if _reads_unsigned(work):
            ys = np.where(zero, 1, y).astype(y.dtype)
            q, r = x // ys, x % ys
        else:
            wraps = (x == np.iinfo(x.dtype).min) & (y == -1)
            ys = np.where(zero | wraps, 1, y).astype(y.dtype)
            r = np.fmod(x, ys)
            q = (x - r) // ys  # exact division
    all_ones = carrier(work).type(_int_range(work)[1] if _reads_unsigned(work) else -1)
    return _from_bits(np.where(zero, all_ones, q), t), _from_bits(
        np.where(zero, x, r), t
    )


def div(a: object, b: object, t: str) -> np.ndarray:
    """a / b: floats IEEE (correctly rounded); integers truncate toward zero, with
    x / 0 = all bits set and MIN / -1 = MIN."""
    if is_float(t):
        return _float_map(np.divide, t, a, b)
    return _int_divmod(a, b, t)[0]


def rem(a: object, b: object, t: str) -> np.ndarray:
    """Remainder with the dividend's sign (C fmod, arith.remf/remsi/remui); exact.
    Integers: x % 0 = x."""
    if is_float(t):
        return _float_map(np.fmod, t, a, b)
    return _int_divmod(a, b, t)[1]


def neg(x: object, t: str) -> np.ndarray:
    """-x: floats flip the sign; integers wrap (-MIN = MIN, unsigned: 2**N - x)."""
    if is_float(t):
        return _float_map(np.negative, t, x)
    return _from_bits(np.negative(_ubits(x, t)), t)


def abs(x: object, t: str) -> np.ndarray:
    """|x|: floats clear the sign; signed integers wrap (abs(MIN) = MIN); unsigned
    and i1 values are their own absolute value."""
    if is_float(t):
        return _float_map(np.abs, t, x)
    v = np.asarray(x, carrier(t))
    if _reads_unsigned(t):
        return v.copy()
    return np.where(v < 0, neg(v, t), v)


def _min_max(a: object, b: object, t: str, nan: str, take_max: bool) -> np.ndarray:
    _option(nan, ("propagate", "ignore"), "nan")
    if is_int(t):
        x, y = _values(a, t), _values(b, t)
        return _from_bits((np.maximum if take_max else np.minimum)(x, y), t)
    x, y = np.asarray(a), np.asarray(b)
    if t == "f16" and x.dtype == y.dtype == np.float16:
        return _min_max_f16(x, y, nan, take_max)
    if t in _SELF_CARRIED and x.dtype == y.dtype == carrier(t):
        # in the carrier: the result is one of the operands, exact; numpy's
        # maximum (NaN propagating) and fmax (NaN ignoring) leave only the
        # sign of a zero result against a zero to the platform
        if nan == "propagate":
            r = np.maximum(x, y) if take_max else np.minimum(x, y)
        else:
            r = np.fmax(x, y) if take_max else np.fmin(x, y)
        zero = r == 0
        if zero.any():
            both = zero & (x == 0) & (y == 0)
            r = np.where(both, np.where(np.signbit(x) != take_max, x, y), r)
        return _canonical_nan(r)
    x, y = _f64(x), _f64(y)
    # Equal values (+0 and -0 included): the maximum takes the one without the sign
    # bit, the minimum the one with it, as IEEE 754-2019 maximum/minimum.
    pick_x = (x > y) if take_max else (x < y)
    pick_x = pick_x | ((x == y) & (np.signbit(x) != take_max))
    r = np.where(pick_x, x, y)
    nx, ny = np.isnan(x), np.isnan(y)
    if nan == "propagate":
        r = np.where(nx | ny, np.nan, r)
    else:
        r = np.where(nx, y, np.where(ny, x, r))
    return round_float(r, t)


def _min_max_f16(x: np.ndarray, y: np.ndarray, nan: str, take_max: bool) -> np.ndarray:
    """_min_max of float16 carriers by their bits (numpy compares float16
    values ten times slower than int16): a sign-magnitude pattern with its
    magnitude bits flipped when negative orders as an int16 as the values do,
    -0 below +0."""
    bx, by = x.view(np.int16), y.view(np.int16)
    kx = bx ^ ((bx >> 15) & np.int16(0x7FFF))
    ky = by ^ ((by >> 15) & np.int16(0x7FFF))
    r = np.where(kx >= ky if take_max else kx <= ky, x, y)
    nx, ny = (bx & np.int16(0x7FFF)) > 0x7C00, (by & np.int16(0x7FFF)) > 0x7C00
    if nx.any() or ny.any():
        if nan == "propagate":
            r = np.where(nx | ny, np.float16(np.nan), r)
        else:
            r = _canonical_nan(np.where(nx, y, np.where(ny, x, r)))
    return r


_SELF_CARRIED = ("f64", "f32", "f16")
"""Float types whose carrier is their own format, so a value picked from the
operands needs no rounding."""


def minimum(a: object, b: object, t: str, *, nan: str = "propagate") -> np.ndarray:
    """The smaller value; -0 < +0. nan="propagate": any NaN gives NaN (arith.minimumf,
    TOSA); nan="ignore": a NaN operand yields the other one (arith.minnumf)."""
    return _min_max(a, b, t, nan, take_max=False)


def maximum(a: object, b: object, t: str, *, nan: str = "propagate") -> np.ndarray:
    """The larger value; +0 > -0. NaN handling as in minimum."""
    return _min_max(a, b, t, nan, take_max=True)


def clamp(x: object, lo: object, hi: object, t: str) -> np.ndarray:
    """minimum(maximum(x, lo), hi) (TOSA clamp): NaN propagates; lo > hi gives hi."""
    return minimum(maximum(x, lo, t), hi, t)


def _shift(kind: str, a: object, b: object, t: str) -> np.ndarray:
    """Shift by b read as an unsigned number, so a negative amount is a huge one. An
    amount >= the width shifts every bit out: 0, or the sign for shr_arith."""
    _require_int(t, kind)
    w = bitwidth(t)
    amount = _ubits(b, t)
    if kind == "shr_arith":
        v = _sbits(a, t)
        return _from_bits(v >> np.minimum(amount, w - 1).astype(v.dtype), t)
    u = _ubits(a, t)
    s = np.minimum(amount, w - 1).astype(u.dtype)
    r = u << s if kind == "shl" else u >> s
    return _from_bits(np.where(amount >= w, u.dtype.type(0), r), t)


def shl(a: object, b: object, t: str) -> np.ndarray:
    """a << b, bits shifted out are lost; b >= width (or negative) gives 0."""
    return _shift("shl", a, b, t)


def shr_logical(a: object, b: object, t: str) -> np.ndarray:
    """a >> b filling with zeros; b >= width (or negative) gives 0."""
    return _shift("shr_logical", a, b, t)


def shr_arith(a: object, b: object, t: str) -> np.ndarray:
    """a >> b filling with the sign bit (of the bit pattern, whatever t's signedness);
    b >= width (or negative) gives 0 or -1."""
    return _shift("shr_arith", a, b, t)


def _bitwise(fn: Callable, t: str, *xs: object) -> np.ndarray:
    _require_int(t, "a bitwise operation")
    return fn(*(np.asarray(x, carrier(t)) for x in xs))


def bit_and(a: object, b: object, t: str) -> np.ndarray:
    """Bitwise and of integers."""
    return _bitwise(np.bitwise_and, t, a, b)


def bit_or(a: object, b: object, t: str) -> np.ndarray:
    """Bitwise or of integers."""
    return _bitwise(np.bitwise_or, t, a, b)


def bit_xor(a: object, b: object, t: str) -> np.ndarray:
    """Bitwise exclusive or of integers."""
    return _bitwise(np.bitwise_xor, t, a, b)


def bit_not(a: object, t: str) -> np.ndarray:
    """Bitwise complement of integers (on i1: logical not)."""
    return _bitwise(np.invert, t, a)


def _logical(fn: Callable, *xs: object) -> np.ndarray:
    return fn(*(np.asarray(x, np.bool_) for x in xs))


def logical_and(a: object, b: object) -> np.ndarray:
    """And of i1 values."""
    return _logical(np.logical_and, a, b)


def logical_or(a: object, b: object) -> np.ndarray:
    """Or of i1 values."""
    return _logical(np.logical_or, a, b)


def logical_xor(a: object, b: object) -> np.ndarray:
    """Exclusive or of i1 values."""
    return _logical(np.logical_xor, a, b)


def logical_not(a: object) -> np.ndarray:
    """Not of i1 values."""
    return _logical(np.logical_not, a)


_FLOAT_PREDICATES: dict[
    str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
] = {
    # o*: ordered (false if either is NaN); u*: unordered or ... (true if either is NaN)
    "oeq": lambda x, y, u: x == y,
    "one": lambda x, y, u: (x < y) | (x > y),
    "olt": lambda x, y, u: x < y,
    "ole": lambda x, y, u: x <= y,
    "ogt": lambda x, y, u: x > y,
    "oge": lambda x, y, u: x >= y,
    "ord": lambda x, y, u: ~u,
    "ueq": lambda x, y, u: (x == y) | u,
    "une": lambda x, y, u: x != y,
    "ult": lambda x, y, u: ~(x >= y),
    "ule": lambda x, y, u: ~(x > y),
    "ugt": lambda x, y, u: ~(x <= y),
    "uge": lambda x, y, u: ~(x < y),
    "uno": lambda x, y, u: u,
    "true": lambda x, y, u: np.ones_like(u),
    "false": lambda x, y, u: np.zeros_like(u),
}
# The plain names are IEEE's (and numpy's, C's): ordered, except ne.
_FLOAT_PREDICATES |= {
    plain: _FLOAT_PREDICATES[ieee]
    for plain, ieee in (
        ("eq", "oeq"),
        ("ne", "une"),
        ("lt", "olt"),
        ("le", "ole"),
        ("gt", "ogt"),
        ("ge", "oge"),
    )
}

_ORDER = {
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
}
_INT_READERS: dict[str, Callable[[object, str], np.ndarray]] = {
    "": _values,
    "s": _sbits,
    "u": _ubits,
}


def compare(a: object, b: object, pred: str, t: str) -> np.ndarray:
    """A boolean array. Integers: eq ne lt le gt ge read t's signedness (i1: 0/1);
    slt.. sge read the bits as signed, ult.. uge as unsigned. Floats: eq lt le gt ge
    are ordered (false with a NaN), ne is unordered (true with a NaN); the arith.cmpf
    predicates oeq .. uno, true, false are available too."""
    if is_float(t):
        fn = _FLOAT_PREDICATES.get(pred)
        if fn is None:
            raise NumericsError(
                f"unknown float predicate '{pred}' (known: {', '.join(_FLOAT_PREDICATES)})"
            )
        x, y = _f64(a), _f64(b)
        return np.asarray(fn(x, y, np.isnan(x) | np.isnan(y)), np.bool_)
    reader, order = ("", pred) if pred in _ORDER else (pred[:1], pred[1:])
    if (
        reader not in _INT_READERS
        or order not in _ORDER
        or (reader and order in ("eq", "ne"))
    ):
        known = list(_ORDER) + [
            r + o for r in "su" for o in _ORDER if o not in ("eq", "ne")
        ]
        raise NumericsError(
            f"unknown integer predicate '{pred}' (known: {', '.join(known)})"
        )
    read = _INT_READERS[reader]
    return np.asarray(_ORDER[order](read(a, t), read(b, t)), np.bool_)


def select(cond: object, a: object, b: object) -> np.ndarray:
    """a where cond (i1) is true, else b."""
    return np.where(np.asarray(cond, np.bool_), a, b)


def floor(x: object, t: str) -> np.ndarray:
    """Largest integral value <= x (exact; -0 and specials kept)."""
    _require_float(t, "floor")
    return _float_map(np.floor, t, x)


def ceil(x: object, t: str) -> np.ndarray:
    """Smallest integral value >= x (exact; ceil(-0.5) = -0)."""
    _require_float(t, "ceil")
    return _float_map(np.ceil, t, x)


def round_even(x: object, t: str) -> np.ndarray:
    """Nearest integral value, ties to even (exact; round_even(-0.5) = -0)."""
    _require_float(t, "round_even")
    return _float_map(np.rint, t, x)


def sqrt(x: object, t: str) -> np.ndarray:
    """IEEE square root, correctly rounded: sqrt(-0) = -0, negative -> NaN."""
    _require_float(t, "sqrt")
    return _float_map(np.sqrt, t, x)


# ---------------------------------------------------------------- transcendentals
#
# Each is a float64 algorithm built from IEEE basic operations, rounded once to t.
# The constants are exact float64 literals; polynomial coefficients are 1/n! and
# 2/(2j+1) rounded to nearest by Python's correctly rounded int/int division.
# Truncation errors are below 2**-60 relative; see docs/numerics.md for the bounds.

_INV_LN2 = float.fromhex("0x1.71547652b82fep+0")  # 1/ln 2
_LN2_HI = float.fromhex(
    "0x1.62e42fee00000p-1"
)  # ln 2, high 32 bits: k * _LN2_HI is exact
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")  # ln 2 - _LN2_HI
_LN2 = float.fromhex("0x1.62e42fefa39efp-1")
_SQRT_HALF = float.fromhex("0x1.6a09e667f3bcdp-1")
_TWO_OVER_SQRT_PI = float.fromhex("0x1.20dd750429b6dp+0")
_EXP_CLAMP = (
    200.0  # exp(+-200) overflows / underflows every type: clamping changes nothing
)
_EXPM1_COEFFS = tuple(
    1.0 / math.factorial(n) for n in range(14, 1, -1)
)  # 1/14! .. 1/2!
_LOG_COEFFS = tuple(2.0 / (2 * j + 1) for j in range(11, 0, -1))  # 2/23 .. 2/3
_ERF_TERMS = 62  # terms of the erf series after the first, enough for |x| < 4
_ERF_ONE = 4.0  # erf(x) rounds to 1 in every type for x >= 4 (1 - erf(4) < 2**-25)


def _horner(coeffs: tuple[float, ...], z: np.ndarray) -> np.ndarray:
    p = np.full_like(z, coeffs[0])
    for c in coeffs[1:]:
        p = p * z + c
    return p


def _exp_parts(
    x: np.ndarray, clamp: float = _EXP_CLAMP
) -> tuple[np.ndarray, np.ndarray]:
    """exp(x) = 2**k * (1 + q): k = rint(x / ln 2), r = x - k ln 2 (Cody-Waite, the
    first step exact), |r| <= 0.347, q = expm1(r) by its Taylor polynomial of degree
    14 in Horner form. x is clamped to +-200 first (+-1100 for f64)."""
    x = np.clip(x, -clamp, clamp)
    k = np.rint(x * _INV_LN2)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    q = r + (r * r) * _horner(_EXPM1_COEFFS, r)
    return np.where(np.isnan(k), 0.0, k).astype(np.int32), q


def _exp64(x: np.ndarray, clamp: float = _EXP_CLAMP) -> np.ndarray:
    k, q = _exp_parts(x, clamp)
    return np.ldexp(1.0 + q, k)


def _log_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(e, log m) with x = 2**e * m, m in [sqrt(1/2), sqrt(2)), for positive
    finite x: log m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172, by its odd
    series to s**23."""
    m, e = np.frexp(x)
    small = m < _SQRT_HALF
    m = np.where(small, 2.0 * m, m)
    e = (e - small).astype(_F64)
    f = m - 1.0  # exact (Sterbenz)
    s = f / (2.0 + f)
    z = s * s
    return e, 2.0 * s + s * (z * _horner(_LOG_COEFFS, z))


def _log64(x: np.ndarray) -> np.ndarray:
    """log x = e ln 2 + log m (`_log_parts`), ln 2 in two parts."""
    ok = (x > 0) & np.isfinite(x)
    e, log_m = _log_parts(np.where(ok, x, 1.0))
    r = e * _LN2_HI + (log_m + e * _LN2_LO)
    special = np.where(x == 0, -np.inf, np.where(x > 0, x, np.nan))  # +inf, NaN, <0
    return np.where(ok, r, special)


def _tanh64(x: np.ndarray) -> np.ndarray:
    """tanh |x| = e / (e + 2) with e = expm1(2|x|) = 2**k (1 + q) - 1 (no cancellation
    for small |x|); |x| is clamped to 20, where tanh rounds to 1 even in float64."""
    k, q = _exp_parts(2.0 * np.minimum(np.abs(x), 20.0))
    e = np.ldexp(q, k) + (np.ldexp(1.0, k) - 1.0)
    return np.copysign(e / (e + 2.0), x)


def _sigmoid64(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, with e = exp(-|x|) in (0, 1]."""
    e = _exp64(-np.abs(x))
    return np.where(np.signbit(x), e / (1.0 + e), 1.0 / (1.0 + e))


def _erf64(x: np.ndarray) -> np.ndarray:
    """erf x = 2/sqrt(pi) x exp(-x**2) sum_n (2x**2)**n / (1*3*...*(2n+1)), a series of
    positive terms (no cancellation), for |x| < 4; +-1 beyond."""
    a = np.minimum(np.abs(x), _ERF_ONE)
    z = a * a  # exact for t-values (<= 24-bit significands)
    term = np.ones_like(a)
    total = np.ones_like(a)
    for n in range(1, _ERF_TERMS + 1):
        term = term * (2.0 * z) / (2 * n + 1)
        total = total + term
    r = _TWO_OVER_SQRT_PI * a * _exp64(-z) * total
    return np.copysign(np.where(np.abs(x) >= _ERF_ONE, 1.0, r), x)


def _pow64(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """exp(y log|x|) with the sign and the special cases of C99/IEEE 754 pow."""
    y_int = np.isfinite(y) & (np.floor(y) == y)
    y_odd = y_int & (np.fmod(y, 2.0) != 0)
    core = _exp64(y * _log64(np.abs(x)))
    r = np.where(np.signbit(x) & y_odd, -core, core)
    r = np.where(np.isfinite(x) & (x < 0) & np.isfinite(y) & ~y_int, np.nan, r)
    one = (y == 0) | (x == 1) | ((x == -1) & np.isinf(y))
    return np.where(one, 1.0, r)


def _transcendental(
    fn: Callable[..., np.ndarray], name: str, t: str, *xs: object
) -> np.ndarray:
    _require_float(t, name)
    return _float_map(fn, t, *xs)


def exp(x: object, t: str) -> np.ndarray:
    """e**x; exp(-inf) = +0, exp(+inf) = +inf, overflow -> inf, underflow -> denormal/0."""
    return _transcendental(_exp64, "exp", t, x)


def log(x: object, t: str) -> np.ndarray:
    """Natural logarithm; log(+-0) = -inf, log(x < 0) = NaN, log(1) = +0."""
    return _transcendental(_log64, "log", t, x)


def tanh(x: object, t: str) -> np.ndarray:
    """Hyperbolic tangent; tanh(+-inf) = +-1, tanh(-0) = -0."""
    return _transcendental(_tanh64, "tanh", t, x)


def sigmoid(x: object, t: str) -> np.ndarray:
    """1 / (1 + exp(-x)); sigmoid(-inf) = +0, sigmoid(+inf) = 1."""
    return _transcendental(_sigmoid64, "sigmoid", t, x)


def erf(x: object, t: str) -> np.ndarray:
    """The error function; erf(+-inf) = +-1, erf(-0) = -0."""
    return _transcendental(_erf64, "erf", t, x)


def rsqrt(x: object, t: str) -> np.ndarray:
    """1 / sqrt(x): float64 sqrt then division, rounded once; correctly rounded for
    every input (verified exhaustively, see docs). rsqrt(+-0) = +-inf, rsqrt(x<0) = NaN."""
    return _transcendental(lambda v: 1.0 / np.sqrt(v), "rsqrt", t, x)


def reciprocal(x: object, t: str) -> np.ndarray:
    """1 / x, IEEE division (correctly rounded)."""
    return _transcendental(lambda v: 1.0 / v, "reciprocal", t, x)


def pow(x: object, y: object, t: str) -> np.ndarray:
    """x**y as exp(y log|x|); special cases as C99 pow (pow(x, 0) = 1, pow(1, y) = 1,
    negative x with non-integral y -> NaN, odd integral y keeps the sign of x)."""
    return _transcendental(_pow64, "pow", t, x, y)


# ------------------------------------------------------------- more of libm
#
# Trigonometric, inverse and hyperbolic functions, expm1/log1p/log2/log10/exp2,
# cbrt, rounding, fma and integer powers: float64 algorithms of IEEE basic
# operations rounded once to t, like the transcendentals above (docs/numerics.md,
# "More functions"). Series are cut where the next term is below 2**-60.


def _machin_pi(bits: int) -> int:
    """floor(pi * 2**bits) from Machin's formula in integers (exact to a unit)."""
    guard = bits + 16
    one = 1 << guard

    def arctan_inverse(n: int) -> int:
        total, term, k, sign = 0, one // n, 1, 1
        while term:
            total += sign * (term // k)
            term //= n * n
            k += 2
            sign = -sign
        return total

    return (16 * arctan_inverse(5) - 4 * arctan_inverse(239)) >> 16


_TWO_OVER_PI_BITS = 1280
_TWO_OVER_PI = (1 << (2 * _TWO_OVER_PI_BITS + 3)) // _machin_pi(_TWO_OVER_PI_BITS + 2)
"""floor(2/pi * 2**1280): the bits of 2/pi for exact argument reduction."""
_PIO2_1 = float.fromhex("0x1.921fb54400000p+0")  # pi/2, 33 bits (fdlibm's split)
_PIO2_2 = float.fromhex("0x1.0b4611a600000p-34")  # the next 33 bits
_PIO2_3 = float.fromhex("0x1.3198a2e000000p-69")  # the next 33 bits
_PIO2_3T = float.fromhex("0x1.b839a252049c1p-104")  # the rest
_PIO2 = float.fromhex("0x1.921fb54442d18p+0")
_PIO2_LO = float.fromhex("0x1.1a62633145c07p-54")  # pi/2 - _PIO2
_PIO4 = float.fromhex("0x1.921fb54442d18p-1")
_PIO4_LO = float.fromhex("0x1.1a62633145c07p-55")
_TAN_PI_8 = float.fromhex("0x1.a827999fcef32p-2")  # sqrt(2) - 1
_LN10_INV = float.fromhex("0x1.bcb7b1526e50ep-2")  # 1/ln 10
_SIN_COEFFS = tuple((-1) ** j / math.factorial(2 * j + 1) for j in range(13, 0, -1))
_COS_COEFFS = tuple((-1) ** j / math.factorial(2 * j) for j in range(13, 0, -1))
_ATAN_COEFFS = tuple((-1) ** j / (2 * j + 1) for j in range(23, 0, -1))
_MEDIUM = 2.0**19  # |x| / (pi/2) below this: Cody-Waite with three parts of pi/2
_HUGE_LOG = 2.0**28  # beyond, asinh/acosh are log(2|x|) in float64


def _reduce_exact(x: float) -> tuple[int, float]:
    """(k mod 4, x - k pi/2 as a float64) for the integer k nearest x / (pi/2),
    with 2/pi to 1280 bits in Python integers (Payne-Hanek without tables)."""
    m, e = math.frexp(math.fabs(x))
    mantissa, exponent = int(m * 2**53), e - 53
    product = mantissa * _TWO_OVER_PI  # x * 2/pi * 2**(1280 - exponent)
    shift = _TWO_OVER_PI_BITS - exponent
    k = (product + (1 << (shift - 1))) >> shift
    fraction = (product - (k << shift)) / (1 << shift)  # correctly rounded
    r = fraction * _PIO2
    return (k if x > 0 else -k) % 4, r if x > 0 else -r


def _reduce_pio2(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x = k pi/2 + r with |r| <= pi/4 (about): (k mod 4, r). Cody-Waite with
    pi/2 in three 33-bit parts for |x| < 2**19 pi/2 (every k * part exact),
    exact reduction with 1280 bits of 2/pi beyond."""
    finite = np.isfinite(x)
    xs = np.where(finite, x, 0.0)
    k = np.rint(xs * (2.0 / math.pi))
    r = (((xs - k * _PIO2_1) - k * _PIO2_2) - k * _PIO2_3) - k * _PIO2_3T
    quadrant = np.mod(k, 4.0).astype(np.int64)
    huge = np.abs(xs) >= _MEDIUM * _PIO2
    if huge.any():
        exact = np.frompyfunc(_reduce_exact, 1, 2)
        q, rr = exact(xs[huge])
        quadrant[huge] = q.astype(np.int64)
        r = np.where(huge, 0.0, r)
        r[huge] = rr.astype(_F64)
    return quadrant, np.where(finite, r, np.nan)


def _sin_cos_kernel(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin r and cos r for |r| <= pi/4 by their Taylor series to degree 27."""
    z = r * r
    return r + r * (z * _horner(_SIN_COEFFS, z)), 1.0 + z * _horner(_COS_COEFFS, z)


def _sin64(x: np.ndarray) -> np.ndarray:
    q, r = _reduce_pio2(x)
    s, c = _sin_cos_kernel(r)
    out = np.choose(q, [s, c, -s, -c])
    return np.where(x == 0, x, out)  # sin(-0) = -0


def _cos64(x: np.ndarray) -> np.ndarray:
    q, r = _reduce_pio2(x)
    s, c = _sin_cos_kernel(r)
    return np.choose(q, [c, -s, -c, s])


def _tan64(x: np.ndarray) -> np.ndarray:
    q, r = _reduce_pio2(x)
    s, c = _sin_cos_kernel(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(q % 2 == 0, s / c, -c / s)
    return np.where(x == 0, x, out)


def _atan_unit(t: np.ndarray) -> np.ndarray:
    """atan t for t in [0, 1]: pi/4 + atan((t-1)/(t+1)) above tan(pi/8), then the
    odd series to degree 47."""
    above = t > _TAN_PI_8
    u = np.where(above, (t - 1.0) / (t + 1.0), t)
    z = u * u
    series = u + u * (z * _horner(_ATAN_COEFFS, z))
    return np.where(above, _PIO4 + (series + _PIO4_LO), series)


def _atan64(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    with np.errstate(divide="ignore"):
        big = a > 1.0
        t = np.where(big, 1.0 / np.where(big, a, 1.0), a)
    base = _atan_unit(t)
    out = np.where(big, (_PIO2 - base) + _PIO2_LO, base)
    return np.copysign(out, x)


def _atan2_64(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """C99 atan2: the angle of (x, y) in [-pi, pi], signs of zero kept."""
    ay, ax = np.abs(y), np.abs(x)
    both_inf = np.isinf(ay) & np.isinf(ax)
    hi, lo = np.maximum(ay, ax), np.minimum(ay, ax)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where((hi == 0) | both_inf, 0.0, lo / np.where(hi == 0, 1.0, hi))
    a = _atan_unit(t)
    a = np.where(both_inf, _PIO4, a)
    a = np.where(ay > ax, (_PIO2 - a) + _PIO2_LO, a)
    a = np.where(np.signbit(x), (2 * _PIO2 - a) + 2 * _PIO2_LO, a)
    out = np.copysign(a, y)
    return np.where(np.isnan(x) | np.isnan(y), np.nan, out)


def _asin64(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return _atan2_64(x, np.sqrt((1.0 - x) * (1.0 + x)))


def _acos64(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return 2.0 * _atan2_64(np.sqrt(1.0 - x), np.sqrt(1.0 + x))


def _expm1_64(x: np.ndarray, clamp: float = _EXP_CLAMP) -> np.ndarray:
    """2**k (1 + q) - 1 = ldexp(q, k) + (2**k - 1), no cancellation near 0."""
    k, q = _exp_parts(x, clamp)
    return np.where(x == 0, x, np.ldexp(q, k) + (np.ldexp(1.0, k) - 1.0))


def _log1p64(x: np.ndarray) -> np.ndarray:
    """log(u) - ((u - 1) - x) / u with u = 1 + x rounded: the correction makes
    up for the rounding of u."""
    with np.errstate(all="ignore"):
        u = 1.0 + x
        r = _log64(u) - ((u - 1.0) - x) / u
    r = np.where(u == 1.0, x, np.where(u == 0.0, -np.inf, r))
    return np.where(np.isinf(x) & (x > 0), np.inf, r)


def _log2_64(x: np.ndarray) -> np.ndarray:
    """e + log(m) / ln 2 with x = 2**e m, m in [sqrt(1/2), sqrt 2): exact for
    powers of two."""
    ok = (x > 0) & np.isfinite(x)
    e, log_m = _log_parts(np.where(ok, x, 1.0))
    special = np.where(x == 0, -np.inf, np.where(x > 0, x, np.nan))
    return np.where(ok, e + log_m * _INV_LN2, special)


def _log10_64(x: np.ndarray) -> np.ndarray:
    return _log64(x) * _LN10_INV


def _exp2_64(x: np.ndarray, clamp: float = _EXP_CLAMP) -> np.ndarray:
    """2**k exp(f ln 2) with k = rint(x), f = x - k (exact)."""
    xs = np.clip(np.where(np.isnan(x), 0.0, x), -6 * clamp, 6 * clamp)
    k = np.rint(xs)
    with np.errstate(over="ignore"):
        r = np.ldexp(_exp64((xs - k) * _LN2, clamp), k.astype(np.int32))
    return np.where(np.isnan(x), np.nan, r)


def _sinh64(x: np.ndarray, clamp: float = _EXP_CLAMP) -> np.ndarray:
    """(e + e / (e + 1)) / 2 with e = expm1(|x|)."""
    e = _expm1_64(np.abs(x), clamp)
    with np.errstate(invalid="ignore"):
        r = (e + e / (e + 1.0)) / 2.0
    return np.copysign(np.where(np.isinf(e), np.inf, r), x)


def _cosh64(x: np.ndarray, clamp: float = _EXP_CLAMP) -> np.ndarray:
    e = _exp64(np.abs(x), clamp)
    return (e + 1.0 / e) / 2.0


def _asinh64(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore"):
        small = _log1p64(a + a * a / (1.0 + np.sqrt(1.0 + a * a)))
    r = np.where(a > _HUGE_LOG, _log64(a) + _LN2, small)
    return np.copysign(r, x)


def _acosh64(x: np.ndarray) -> np.ndarray:
    t = x - 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        small = _log1p64(t + np.sqrt(2.0 * t + t * t))
    r = np.where(x > _HUGE_LOG, _log64(x) + _LN2, small)
    return np.where(x < 1.0, np.nan, r)


def _atanh64(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 0.5 * _log1p64(2.0 * a / (1.0 - a))
    return np.copysign(np.where(a > 1.0, np.nan, r), x)


def _cbrt64(x: np.ndarray) -> np.ndarray:
    """exp(log|x| / 3), then one Newton step, with x's sign."""
    a = np.abs(x)
    ok = (a > 0) & np.isfinite(a)
    with np.errstate(all="ignore"):
        y = _exp64(_log64(np.where(ok, a, 1.0)) / 3.0)
        y = y - (y * y * y - np.where(ok, a, 1.0)) / (3.0 * y * y)
    return np.where(ok, np.copysign(y, x), x)


def _round_away64(x: np.ndarray) -> np.ndarray:
    """trunc(x) + sign(x) where |x - trunc(x)| >= 1/2 (the difference is exact)."""
    r = np.trunc(x)
    with np.errstate(invalid="ignore"):
        up = np.abs(x - r) >= 0.5
    return np.where(up, r + np.copysign(1.0, x), r)


def sin(x: object, t: str) -> np.ndarray:
    """Sine; exact argument reduction by pi/2 for every finite x; sin(+-inf) = NaN."""
    return _transcendental(_sin64, "sin", t, x)


def cos(x: object, t: str) -> np.ndarray:
    """Cosine; exact argument reduction by pi/2; cos(+-inf) = NaN."""
    return _transcendental(_cos64, "cos", t, x)


def tan(x: object, t: str) -> np.ndarray:
    """Tangent: sin r / cos r (or -cos r / sin r) of the reduced argument."""
    return _transcendental(_tan64, "tan", t, x)


def atan(x: object, t: str) -> np.ndarray:
    """Arc tangent in [-pi/2, pi/2]; atan(+-inf) = +-pi/2."""
    return _transcendental(_atan64, "atan", t, x)


def atan2(y: object, x: object, t: str) -> np.ndarray:
    """The angle of (x, y) in [-pi, pi] with C99's special cases."""
    return _transcendental(_atan2_64, "atan2", t, y, x)


def asin(x: object, t: str) -> np.ndarray:
    """Arc sine: atan2(x, sqrt((1 - x)(1 + x))); NaN outside [-1, 1]."""
    return _transcendental(_asin64, "asin", t, x)


def acos(x: object, t: str) -> np.ndarray:
    """Arc cosine: 2 atan2(sqrt(1 - x), sqrt(1 + x)); NaN outside [-1, 1]."""
    return _transcendental(_acos64, "acos", t, x)


def _clamp_for(t: str) -> float:
    """exp's clamp: 200 covers every type but f64, whose range needs 1100."""
    return 1100.0 if t == "f64" else _EXP_CLAMP


def sinh(x: object, t: str) -> np.ndarray:
    """Hyperbolic sine."""
    return _transcendental(lambda v: _sinh64(v, _clamp_for(t)), "sinh", t, x)


def cosh(x: object, t: str) -> np.ndarray:
    """Hyperbolic cosine."""
    return _transcendental(lambda v: _cosh64(v, _clamp_for(t)), "cosh", t, x)


def asinh(x: object, t: str) -> np.ndarray:
    """Inverse hyperbolic sine."""
    return _transcendental(_asinh64, "asinh", t, x)


def acosh(x: object, t: str) -> np.ndarray:
    """Inverse hyperbolic cosine; NaN below 1."""
    return _transcendental(_acosh64, "acosh", t, x)


def atanh(x: object, t: str) -> np.ndarray:
    """Inverse hyperbolic tangent; +-inf at +-1, NaN beyond."""
    return _transcendental(_atanh64, "atanh", t, x)


def expm1(x: object, t: str) -> np.ndarray:
    """e**x - 1, accurate near 0."""
    return _transcendental(lambda v: _expm1_64(v, _clamp_for(t)), "expm1", t, x)


def log1p(x: object, t: str) -> np.ndarray:
    """log(1 + x), accurate near 0; -inf at -1, NaN below."""
    return _transcendental(_log1p64, "log1p", t, x)


def log2(x: object, t: str) -> np.ndarray:
    """Base-2 logarithm, exact at powers of two."""
    return _transcendental(_log2_64, "log2", t, x)


def log10(x: object, t: str) -> np.ndarray:
    """Base-10 logarithm: log(x) / ln 10."""
    return _transcendental(_log10_64, "log10", t, x)


def exp2(x: object, t: str) -> np.ndarray:
    """2**x, exact at integers."""
    return _transcendental(lambda v: _exp2_64(v, _clamp_for(t)), "exp2", t, x)


def cbrt(x: object, t: str) -> np.ndarray:
    """Cube root, with x's sign."""
    return _transcendental(_cbrt64, "cbrt", t, x)


def trunc(x: object, t: str) -> np.ndarray:
    """The integral value toward zero (exact)."""
    _require_float(t, "trunc")
    return _float_map(np.trunc, t, x)


def round_away(x: object, t: str) -> np.ndarray:
    """The nearest integral value, halfway cases away from zero (math.round)."""
    _require_float(t, "round_away")
    return _float_map(_round_away64, t, x)


def copysign(x: object, y: object, t: str) -> np.ndarray:
    """|x| with the sign of y (exact)."""
    _require_float(t, "copysign")
    return _float_map(np.copysign, t, x, y)


def fma(a: object, b: object, c: object, t: str) -> np.ndarray:
    """a * b + c rounded once: the product of two values of at most 24 bits is
    exact in float64, the sum is rounded to odd (TwoSum), then to t (53 >= 24 + 2,
    so that is the correct rounding). f64: s + (sum error + product error), not
    always correctly rounded."""
    _require_float(t, "fma")
    x, y, z = _f64(a), _f64(b), _f64(c)
    with np.errstate(all="ignore"):
        p = x * y
        s = p + z
        bp = s - z
        err = (p - bp) + (z - (s - bp))  # TwoSum: s + err = p + z exactly
        if t == "f64":
            split = 134217729.0 * x
            xh = split - (split - x)
            split = 134217729.0 * y
            yh = split - (split - y)
            pe = ((xh * yh - p) + xh * (y - yh) + (x - xh) * yh) + (x - xh) * (y - yh)
            r = np.where(np.isfinite(s), s + (err + pe), s)
            return round_float(np.where(np.isfinite(p), r, p + z), t)
        odd = (s.view(np.int64) & 1) == 1
        toward = np.nextafter(s, np.where(err > 0, np.inf, -np.inf))
        r = np.where((err != 0) & ~odd & np.isfinite(s), toward, s)
    return round_float(r, t)


def fpowi(x: object, n: object, t: str) -> np.ndarray:
    """x**n for integers n by binary powering in t (each product rounded to t),
    then 1/r for negative n: the algorithm of LLVM's powi (compiler-rt)."""
    _require_float(t, "fpowi")
    base = round_float(_f64(x), t)
    exponent = np.asarray(n).astype(np.int64)
    shape = np.broadcast_shapes(base.shape, exponent.shape)
    base = np.broadcast_to(base, shape)
    b = np.abs(np.broadcast_to(exponent, shape).astype(object)).astype(np.uint64)
    r = round_float(np.ones(shape), t)
    while (b != 0).any():
        r = np.where((b & np.uint64(1)) == 1, mul(r, base, t), r)
        b = b >> np.uint64(1)
        base = mul(base, base, t)
    return np.where(
        np.broadcast_to(exponent, shape) < 0,
        div(round_float(np.ones(shape), t), r, t),
        r,
    )


def ipowi(a: object, b: object, t: str) -> np.ndarray:
    """a**b for integers, wrapping modulo 2**N (binary powering). A negative b
    gives 1/a**|b| truncated: 1 for a = 1, +-1 for a = -1, all bits set (x / 0)
    for a = 0, 0 otherwise."""
    _require_int(t, "ipowi")
    x = np.asarray(a, carrier(t))
    e = _values(b, t).astype(np.int64)
    shape = np.broadcast_shapes(x.shape, e.shape)
    x, e = np.broadcast_to(x, shape), np.broadcast_to(e, shape)
    bits = np.where(e < 0, 0, e).astype(np.uint64)
    r = _from_bits(np.ones(shape, np.int64), t)
    base = x
    while (bits != 0).any():
        r = np.where((bits & np.uint64(1)) == 1, mul(r, base, t), r)
        bits = bits >> np.uint64(1)
        base = mul(base, base, t)
    one = _from_bits(np.ones(shape, np.int64), t)
    negative = div(one, np.where(e < 0, x, one), t)
    negative = np.where(
        _values(x, t) == -1, np.where(e % 2 == 0, one, negative), negative
    )
    return np.where(e < 0, negative, r).astype(carrier(t))


def _count_bits(x: object, t: str, what: str) -> np.ndarray:
    _require_int(t, what)
    w = bitwidth(t)
    u = _ubits(x, t).astype(np.uint64) & np.uint64(
        (1 << w) - 1 if w < 64 else 2**64 - 1
    )
    bits = [(u >> np.uint64(i)) & np.uint64(1) for i in range(w)]
    if what == "ctpop":
        count = sum(b.astype(np.int64) for b in bits)
    else:
        order = bits[::-1] if what == "ctlz" else bits
        seen = np.zeros(u.shape, np.bool_)
        count = np.zeros(u.shape, np.int64)
        for b in order:
            seen |= b == 1
            count += ~seen
    return _from_bits(np.asarray(count, np.int64), t)


def ctlz(x: object, t: str) -> np.ndarray:
    """Leading zero bits of the pattern (the width for 0): math.ctlz, tosa.clz."""
    return _count_bits(x, t, "ctlz")


def cttz(x: object, t: str) -> np.ndarray:
    """Trailing zero bits of the pattern (the width for 0)."""
    return _count_bits(x, t, "cttz")


def ctpop(x: object, t: str) -> np.ndarray:
    """Set bits of the pattern."""
    return _count_bits(x, t, "ctpop")


# ------------------------------------------------------------------------- matmul
#
# The exact sum of one K-block is computed with exact float64 matrix products, whatever
# BLAS does (order, blocking, FMA), because every product and partial sum is an integer
# below 2**53. Each operand is scaled to integers, N(x) = x * 2**-base (base: the lowest
# bit any of its values can have), and N is cut into digits of wa bits (operand a) and
# wb bits (operand b), kb * 2**(wa + wb) <= 2**53. Every digit-matrix product is added
# into an int64 accumulator on a grid of g bits (wa, wb multiples of g); carries are
# then propagated and the top bits rounded to odd, which one RNE to f32 finishes.

_BLOCK_GROUP_ELEMENTS = (
    1 << 20
)  # output elements x blocks computed at once (memory bound)


def _scale(v: np.ndarray, p: int, qmin: int) -> tuple[int, int]:
    """(base, span): every nonzero |v| is an integer multiple of 2**base below
    2**(base + span). (0, 0) if v is all zero."""
    mags = np.abs(v[v != 0])
    if mags.size == 0:
        return 0, 0
    low = max(int(np.frexp(mags.min())[1]) - p, qmin)
    return low, int(np.frexp(mags.max())[1]) - low


@functools.cache
def _digit_plan(span_a: int, span_b: int, k_block: int) -> tuple[int, int, int]:
    """(g, m, n): digits of m*g bits for a and n*g bits for b, fewest digit pairs first,
    then the widest grid. g >= 13 so that three grid digits hold >= 27 bits. (Cached:
    a few spans recur, and the search costs more than a small tile's product.)"""
    budget = 53 - (k_block - 1).bit_length()  # k_block products of wa + wb bits < 2**53
    plans = [
        (
            -(-span_a // (m * g)) * -(-span_b // ((budget // g - m) * g)),
            -g,
            m,
            budget // g - m,
        )
        for g in range(13, budget // 2 + 1)
        for m in range(1, budget // g)
    ]
    if not plans:
        raise NumericsError(
            f"k_block {k_block} is too large for exact block sums (at most 2**27)"
        )
    _, g, m, n = min(plans)
    return -g, m, n


def _digits(
    v: np.ndarray, base: int, width: int, span: int
) -> list[tuple[int, np.ndarray]]:
    """(c, digit c of N(v) in base 2**width, signed like v) for the nonzero digits."""
    n = np.ldexp(np.abs(v), -base)  # exact integers
    out = []
    if span < 63:  # the same digits with integer shifts
        whole, mask = n.astype(np.int64), (1 << width) - 1
        for c in range(-(-span // width)):
            digit = (whole >> (c * width)) & mask
            if digit.any():
                out.append((c, np.copysign(digit.astype(_F64), v)))
        return out
    for c in range(-(-span // width)):
        digit = np.fmod(np.floor(np.ldexp(n, -c * width)), 2.0**width)
        if digit.any():
            out.append((c, np.copysign(digit, v)))
    return out


def _propagate(digits: list[np.ndarray], g: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Carry-propagate int64 digits to [0, 2**g); returns them and the final carry."""
    mask = (1 << g) - 1
    carry = np.zeros_like(digits[0])
    out = []
    for d in digits:
        v = d + carry
        out.append(v & mask)
        carry = v >> g
    return out, carry


def _take(a: np.ndarray, i: np.ndarray) -> np.ndarray:
    """a[..., i] per element along the last axis, 0 where i < 0."""
    got = np.take_along_axis(a, np.maximum(i, 0)[..., None], axis=-1)[..., 0]
    return np.where(i >= 0, got, 0)


def _grid_to_f64(acc: dict[int, np.ndarray], g: int, scale: int) -> np.ndarray:
    """sum_s acc[s] * 2**(s*g + scale) rounded to odd with >= 27 significant bits (so
    one more RNE to f32 is the RNE of the exact sum)."""
    bound = sum(int(np.abs(v).max(initial=0)) << (s * g) for s, v in acc.items())
    if bound < 1 << 53:
        # the sums of small operands (most tiles): the exact sum, in units of
        # 2**scale an integer below 2**53, is a float64
        total = sum(v << (s * g) for s, v in acc.items())
        return np.ldexp(total.astype(_F64), scale)
    zero = np.zeros(np.broadcast_shapes(*(v.shape for v in acc.values())), np.int64)
    digits = [acc.get(s, zero) + zero for s in range(max(acc) + 1)]
    digits += [zero] * (64 // g + 1)  # room for the carries
    _, carry = _propagate(digits, g)
    negative = carry < 0
    d = np.stack(_propagate([np.where(negative, -x, x) for x in digits], g)[0], axis=-1)
    nonzero = d != 0
    top = d.shape[-1] - 1 - np.argmax(nonzero[..., ::-1], axis=-1)
    cut = max(0, 3 * g - 62)  # bits of the third digit that do not fit an int64
    t = (
        (_take(d, top) << (2 * g - cut))
        | (_take(d, top - 1) << (g - cut))
        | (_take(d, top - 2) >> cut)
    )
    sticky = (_take(np.cumsum(nonzero, axis=-1), top - 3) > 0) | (
        _take(d, top - 2) & ((1 << cut) - 1) != 0
    )
    wide = t >= (1 << 52)
    sticky = sticky | (wide & ((t & 2047) != 0))
    t = np.where(wide, t >> 11, t)
    exponent = (top - 2) * g + cut + scale - 1 + 11 * wide
    value = np.ldexp((2 * t + sticky).astype(_F64), exponent.astype(np.int32))
    return np.where(negative, -value, value)


def _special_blocks(xb: np.ndarray, yb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blocks with a non-finite product: NaN (a NaN product, or +inf and -inf), else
    the infinity; counted with exact 0/1 matrix products. Returns (mask, value)."""

    def lhs(*masks: np.ndarray) -> np.ndarray:
        return np.concatenate([m.astype(_F64) for m in masks], axis=-1)

    def rhs(*masks: np.ndarray) -> np.ndarray:
        return np.concatenate([m.astype(_F64) for m in masks], axis=-2)

    nan = np.isnan(xb).any(axis=-1, keepdims=True) | np.isnan(yb).any(
        axis=-2, keepdims=True
    )
    nan = nan | (lhs(xb == 0, np.isinf(xb)) @ rhs(np.isinf(yb), yb == 0) > 0)
    signs_x = lhs(xb == np.inf, xb == -np.inf, xb > 0, xb < 0)
    pos = signs_x @ rhs(yb > 0, yb < 0, yb == np.inf, yb == -np.inf) > 0
    negv = signs_x @ rhs(yb < 0, yb > 0, yb == -np.inf, yb == np.inf) > 0
    nan = nan | (pos & negv)
    return nan | pos | negv, np.where(nan, np.nan, np.where(pos, np.inf, -np.inf))


def _digit_sums(
    x: np.ndarray,
    y: np.ndarray,
    scale_x: tuple[int, int],
    scale_y: tuple[int, int],
    k_block: int,
) -> np.ndarray | None:
    """The exact sums of x @ y by digit products, for operands of any span, as
    _grid_to_f64 gives them (None when every digit is zero: all sums zero)."""
    (base_x, span_x), (base_y, span_y) = scale_x, scale_y
    g, m, n = _digit_plan(span_x, span_y, k_block)
    acc: dict[int, np.ndarray] = {}
    for c, dx in _digits(x, base_x, m * g, span_x):
        for d, dy in _digits(y, base_y, n * g, span_y):
            product = np.matmul(dx, dy).astype(np.int64)  # exact: an integer < 2**53
            s = c * m + d * n
            acc[s] = acc[s] + product if s in acc else product
    return _grid_to_f64(acc, g, base_x + base_y) if acc else None


def _fused_blocks(xb: np.ndarray, yb: np.ndarray, in_t: str) -> np.ndarray:
    """f32 RNE of the exact dot product of each K-block: xb (..., blocks, M, kb) with
    yb (..., blocks, kb, N) -> (..., blocks, M, N)."""
    k_block = xb.shape[-1]
    ks, cols, finite = _support(xb, yb)
    if not finite:
        special, special_value = _special_blocks(xb, yb)
        xb = np.where(np.isfinite(xb), xb, 0.0)
        yb = np.where(np.isfinite(yb), yb, 0.0)
        ks, cols, _ = _support(xb, yb)
    shape = np.broadcast_shapes((*xb.shape[:-1], 1), (*yb.shape[:-2], 1, yb.shape[-1]))
    r = np.zeros(shape, np.float32)
    xt, yt = xb, yb
    if ks.size < k_block:
        xt, yt = xb[..., ks], yb[..., ks, :]
    if cols.size < yb.shape[-1]:
        yt = yt[..., cols]
    p, emin, _ = _FORMATS[in_t]
    (base_x, span_x), (base_y, span_y) = (
        _scale(xt, p, emin - p + 1),
        _scale(yt, p, emin - p + 1),
    )
    if span_x + span_y + xt.shape[-1].bit_length() <= 53:
        # every product and partial sum is a multiple of 2**(base_x + base_y)
        # below 2**53 times it: float64's, in any order, is exact (most tiles)
        value: np.ndarray | None = np.matmul(xt, yt)
    else:
        value = _digit_sums(xt, yt, (base_x, span_x), (base_y, span_y), k_block)
    if value is not None:
        with np.errstate(over="ignore"):
            r[..., cols] = value.astype(np.float32)
    if not finite:
        r = np.where(special, special_value, r).astype(np.float32)
    return r


def _matmul_int(x: np.ndarray, y: np.ndarray, acc_t: str) -> np.ndarray:
    """The exact sum modulo 2**bits(acc_t): float64 BLAS when every partial sum is an
    integer below 2**53 (then exact), else int64 arithmetic modulo 2**64."""
    bound = 0.0
    if x.size and y.size:
        bound = (
            x.shape[-1]
            * float(np.abs(x.astype(_F64)).max())
            * float(np.abs(y.astype(_F64)).max())
        )
    if bound < 2.0**52:
        r = np.matmul(x.astype(_F64), y.astype(_F64)).astype(np.int64)
    else:
        r = np.matmul(x.astype(np.int64), y.astype(np.int64))
    return _from_bits(r, acc_t)


def _block_values(
    x: np.ndarray, y: np.ndarray, in_t: str, k_block: int
) -> Iterator[np.ndarray]:
    """The f32 value of each K-block in K order (the last block may be shorter),
    computed a group of blocks at a time to bound the memory. An exact sum of
    zero is +0 (the fused sum has no signed zero), so zero padding of K, as the
    MXM's fixed-size blocks need, never changes a result."""
    k, cols = x.shape[-1], y.shape[-1]
    out_size = (
        math.prod(np.broadcast_shapes(x.shape[:-2], y.shape[:-2])) * x.shape[-2] * cols
    )
    group = max(1, _BLOCK_GROUP_ELEMENTS // max(1, out_size))
    full, tail = divmod(k, k_block)
    spans = [
        (start * k_block, min(group, full - start), k_block)
        for start in range(0, full, group)
    ]
    spans += [(full * k_block, 1, tail)] if tail else []
    xf, yf = _f64(x), _f64(y)
    for start, count, size in spans:
        ks = slice(start, start + count * size)
        xb = np.moveaxis(xf[..., ks].reshape((*x.shape[:-1], count, size)), -2, -3)
        yb = yf[..., ks, :].reshape((*y.shape[:-2], count, size, cols))
        part = _fused_blocks(xb, yb, in_t) + np.float32(0)
        yield from (part[..., i, :, :] for i in range(count))


def _matmul_float(x: np.ndarray, y: np.ndarray, in_t: str, k_block: int) -> np.ndarray:
    """The K-blocks added in order with IEEE f32 additions (K = 0: zeros)."""
    acc = None
    with np.errstate(over="ignore", invalid="ignore"):
        for block in _block_values(x, y, in_t, k_block):
            acc = block if acc is None else acc + block
    if acc is None:
        shape = (
            *np.broadcast_shapes(x.shape[:-2], y.shape[:-2]),
            x.shape[-2],
            y.shape[-1],
        )
        return np.zeros(shape, np.float32)
    return _canonical_nan(acc)


def _matmul_f64(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """f64 (not an MXM type): the sequential IEEE dot product in float64,
    each product and each sum rounded, in K order (no BLAS, no FMA)."""
    xf, yf = _f64(x), _f64(y)
    shape = (*np.broadcast_shapes(x.shape[:-2], y.shape[:-2]), x.shape[-2], y.shape[-1])
    acc = np.zeros(shape)
    with np.errstate(all="ignore"):
        for k in range(x.shape[-1]):
            acc = acc + xf[..., :, k : k + 1] * yf[..., k : k + 1, :]
    return _canonical_nan(acc)


def matmul(a: object, b: object, in_t: str, acc_t: str, *, k_block: int) -> np.ndarray:
    """The MXM matrix product over the last two dims, batch dims broadcast.

    Floats (f16, bf16, f32 in; f32 accumulator): each K-block of k_block consecutive
    indices (the last may be shorter) is a fused dot product, its exact sum rounded once
    (RNE) to f32; the blocks are then added in order in f32. acc_t f16 or bf16: that f32
    result rounded once. Integers (i8, i16, ...; acc_t i32 or i64): the exact sum
    modulo 2**bits(acc_t) (k_block does not matter).
    """
    _check(in_t)
    _check(acc_t)
    if k_block < 1:
        raise NumericsError(f"k_block must be positive, not {k_block}")
    x, y = np.asarray(a, carrier(in_t)), np.asarray(b, carrier(in_t))
    if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-2]:
        raise NumericsError(f"matmul of shapes {x.shape} and {y.shape}")
    if is_int(in_t):
        if not is_int(acc_t) or bitwidth(acc_t) < 32:
            raise NumericsError(
                f"an integer matmul accumulates in i32 .. i64, not {acc_t}"
            )
        return _matmul_int(x, y, acc_t)
    if in_t == "f64" or acc_t == "f64":
        return _matmul_f64(x, y)
    if acc_t not in ("f32", "f16", "bf16"):
        raise NumericsError(
            f"a float matmul accumulates in f32 (or rounds to f16, bf16), not {acc_t}"
        )
    if x.shape[-1] == k_block:
        r = _one_block(x, y, in_t)
    else:
        r = _matmul_float(x, y, in_t, k_block)
    return r if acc_t == "f32" else round_float(r, acc_t)


def _support(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Where the exact sums of x @ y (over the last two dims, every leading dim
    pooled) can be nonzero: the K indices where x's column and y's row both
    hold a nonzero, and y's columns that hold one; and whether every value is
    finite. With every value finite, the other K indices add only zeros and a
    column of y all zero sums to +0 (an exact zero sum is +0, whatever the
    signs of its products), so padding costs nothing. Zeros and non-finite
    values are told apart by the magnitude bits (float16 compares slowly)."""
    mx, my = (
        v.view(f"uint{8 * v.dtype.itemsize}")
        & np.iinfo(f"int{8 * v.dtype.itemsize}").max
        for v in (x, y)
    )
    x_k = np.maximum.reduce(mx, axis=tuple(range(x.ndim - 1)), initial=0)
    y_k = np.maximum.reduce(my, axis=(*range(y.ndim - 2), y.ndim - 1), initial=0)
    y_n = np.maximum.reduce(my, axis=tuple(range(y.ndim - 1)), initial=0)
    finite = bool(
        x_k.max(initial=0) < np.array(np.inf, x.dtype).view(mx.dtype)
        and y_k.max(initial=0) < np.array(np.inf, y.dtype).view(my.dtype)
    )
    return np.flatnonzero((x_k != 0) & (y_k != 0)), np.flatnonzero(y_n != 0), finite


def _one_block(x: np.ndarray, y: np.ndarray, in_t: str) -> np.ndarray:
    """A K of one whole block (an MXM plane's tile, padded with zeros to its
    K rows and to the lanes) without its zero padding, found on the carrier
    arrays before their float64 copies are made. The search costs more than
    it saves on small operands, which a K shorter than a block leaves to
    _matmul_float."""
    k = x.shape[-1]
    ks, cols, finite = _support(x, y)
    if not finite or (ks.size == k and cols.size == y.shape[-1]):
        return _matmul_float(x, y, in_t, max(k, 1))
    shape = np.broadcast_shapes((*x.shape[:-1], 1), (*y.shape[:-2], 1, y.shape[-1]))
    r = np.zeros(shape, np.float32)
    r[..., cols] = _matmul_float(
        x[..., ks], y[..., ks, :][..., cols], in_t, max(ks.size, 1)
    )
    return r


KOrder = Sequence["int | KOrder"]
"""How the partial sums of a split K are added: a list summed left to right,
whose items are part indices or lists reduced the same way first."""


def _k_order_parts(order: KOrder) -> list[int]:
    """The part indices an order names, left to right (every list non-empty)."""
    parts: list[int] = []
    for item in order:
        if isinstance(item, int | np.integer):
            parts.append(int(item))
        elif isinstance(item, Sequence) and item:
            parts.extend(_k_order_parts(item))
        else:
            raise NumericsError(
                f"a K order holds part indices and non-empty lists, not {item!r}"
            )
    return parts


def check_k_split(k: int, bounds: Sequence[int], order: KOrder | None) -> KOrder:
    """The order of a split, checked: `bounds` strictly increasing inside
    (0, k), and `order` (default: the chain 0, 1, ..., n-1) naming every one
    of the n = len(bounds) + 1 parts exactly once."""
    edges = [0, *bounds, k]
    if any(a >= b for a, b in itertools.pairwise(edges)):
        raise NumericsError(
            f"K split points {list(bounds)} are not strictly increasing inside (0, {k})"
        )
    n = len(edges) - 1
    order = list(range(n)) if order is None else order
    if not order or sorted(_k_order_parts(order)) != list(range(n)):
        raise NumericsError(
            f"a K order names each of the {n} parts once, not {order!r}"
        )
    return order


def matmul_split(
    a: object,
    b: object,
    in_t: str,
    acc_t: str,
    *,
    k_block: int,
    bounds: Sequence[int],
    order: KOrder | None = None,
) -> np.ndarray:
    """`matmul` with K cut at `bounds` into parts: each part's product is a
    `matmul` of its own (K-blocks counted from the part's start, added in
    order in f32), and the parts' f32 values are added as `order` says
    (default: in part order), each addition an IEEE f32 addition; acc_t f16 or
    bf16 rounds that once more. Integer sums are modular, so no order changes
    them. This is how the compiler states a K split over MXM planes or chips
    (docs/numerics.md, "Partial sums of a split K")."""
    x, y = np.asarray(a, carrier(in_t)), np.asarray(b, carrier(in_t))
    if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-2]:
        raise NumericsError(f"matmul of shapes {x.shape} and {y.shape}")
    k = x.shape[-1]
    order = check_k_split(k, bounds, order)
    if is_int(in_t) or in_t == "f64" or acc_t == "f64":
        return matmul(x, y, in_t, acc_t, k_block=k_block)
    accumulate = "f32" if acc_t in ("f16", "bf16") else acc_t
    edges = [0, *bounds, k]
    parts = [
        matmul(x[..., lo:hi], y[..., lo:hi, :], in_t, accumulate, k_block=k_block)
        for lo, hi in itertools.pairwise(edges)
    ]

    def total(items: KOrder) -> np.ndarray:
        values = [
            parts[i] if isinstance(i, int | np.integer) else total(i) for i in items
        ]
        acc = values[0]
        with np.errstate(over="ignore", invalid="ignore"):
            for v in values[1:]:
                acc = acc + v
        return acc

    r = _canonical_nan(total(order))
    return r if acc_t == accumulate else round_float(r, acc_t)


# --------------------------------------------------------------------- reductions

_REDUCTIONS = ("sum", "product", "max", "min", "all", "any")


def _reducer(
    kind: str, t: str, nan: str
) -> tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], object]:
    """The combining step and its identity (the padding of a partial chunk)."""
    _option(kind, _REDUCTIONS, "reduction kind")
    if kind in ("all", "any"):
        _require_i1(t, f"reduce '{kind}'")
        return (logical_and, True) if kind == "all" else (logical_or, False)
    lo, hi = (-np.inf, np.inf) if is_float(t) else _int_range(t)
    steps = {
        "sum": (
            lambda a, b: add(a, b, t),
            -0.0 if is_float(t) else 0,
        ),  # -0: x + -0 = x
        "product": (lambda a, b: mul(a, b, t), 1),
        "max": (lambda a, b: maximum(a, b, t, nan=nan), lo),
        "min": (lambda a, b: minimum(a, b, t, nan=nan), hi),
    }
    return steps[kind]


def _fold(
    step: Callable[[np.ndarray, np.ndarray], np.ndarray], xs: np.ndarray
) -> np.ndarray:
    """Sequential left-to-right combination along axis 0."""
    acc = xs[0]
    for v in xs[1:]:
        acc = step(acc, v)
    return acc


def _axis(x: np.ndarray, axis: int) -> int:
    if not -x.ndim <= axis < x.ndim:
        raise NumericsError(f"axis {axis} out of range for rank {x.ndim}")
    return axis % x.ndim


def _empty_reduction(
    x: np.ndarray, axis: int, kind: str, identity: object
) -> np.ndarray:
    shape = x.shape[:axis] + x.shape[axis + 1 :]
    return np.full(shape, 0 if kind == "sum" else identity, x.dtype)


def reduce_sequential(
    x: object, axis: int, kind: str, t: str, *, nan: str = "propagate"
) -> np.ndarray:
    """Reduce along axis strictly in index order: acc = x0; acc = op(acc, xi), each
    step rounded to t (floats) or wrapped (integers). An empty axis gives the identity
    (0 for sum)."""
    v = np.asarray(x, carrier(t))
    axis = _axis(v, axis)
    step, identity = _reducer(kind, t, nan)
    if v.shape[axis] == 0:
        return _empty_reduction(v, axis, kind, identity)
    return np.asarray(_fold(step, np.moveaxis(v, axis, 0)), carrier(t))


def reduce_split(
    x: object,
    axis: int,
    kind: str,
    t: str,
    *,
    bounds: Sequence[int],
    order: KOrder | None = None,
    nan: str = "propagate",
) -> np.ndarray:
    """A reduction along a leading axis cut at `bounds` into parts (chips
    holding some of its rows): each part reduced in index order
    (`reduce_sequential`), the parts' results combined as `order` says (as a
    split K's partial sums, `matmul_split`), each combination the reduction's
    own step in t. How the compiler states a reduction over chips
    (docs/numerics.md, "Partial sums of a split K")."""
    v = np.asarray(x, carrier(t))
    axis = _axis(v, axis)
    order = check_k_split(v.shape[axis], bounds, order)
    step, _ = _reducer(kind, t, nan)
    edges = [0, *bounds, v.shape[axis]]
    parts = [
        reduce_sequential(np.take(v, range(lo, hi), axis), axis, kind, t, nan=nan)
        for lo, hi in itertools.pairwise(edges)
    ]

    def total(items: KOrder) -> np.ndarray:
        values = [
            parts[i] if isinstance(i, int | np.integer) else total(i) for i in items
        ]
        return functools.reduce(step, values[1:], values[0])

    return np.asarray(total(order), carrier(t))


def reduce(
    x: object, axis: int, kind: str, t: str, *, lanes: int = 320, nan: str = "propagate"
) -> np.ndarray:
    """Reduce along axis in the LPU's canonical order (docs/numerics.md).

    Last axis: chunks of `lanes` elements (the last padded with the identity) are
    combined elementwise in order, then the lanes by halving while the width is even
    (lane i with lane i + width/2), then the remaining odd width left to right.
    Other axes: reduce_sequential. max/min treat NaN per `nan` (see maximum).
    """
    v = np.asarray(x, carrier(t))
    axis = _axis(v, axis)
    if lanes < 1:
        raise NumericsError(f"lanes must be positive, not {lanes}")
    if axis != v.ndim - 1:
        return reduce_sequential(v, axis, kind, t, nan=nan)
    step, identity = _reducer(kind, t, nan)
    n = v.shape[-1]
    if n == 0:
        return _empty_reduction(v, axis, kind, identity)
    chunks = -(-n // lanes)
    padded = np.concatenate(
        [v, np.full((*v.shape[:-1], chunks * lanes - n), identity, v.dtype)], axis=-1
    )
    acc = _fold(
        step, np.moveaxis(padded.reshape((*v.shape[:-1], chunks, lanes)), -2, 0)
    )
    width = lanes
    while width % 2 == 0:
        width //= 2
        acc = step(acc[..., :width], acc[..., width:])
    out = np.asarray(_fold(step, np.moveaxis(acc, -1, 0)), carrier(t))
    if nan == "ignore" and kind in ("max", "min") and is_float(t):
        # an all-NaN slice is NaN (TOSA's nan_mode IGNORE), as in index order:
        # the padding's identity is no value of the slice
        out = np.where(np.isnan(_f64(v)).all(axis=-1), out.dtype.type(np.nan), out)
    return out


def argmax(x: object, axis: int, t: str, *, nan: str = "propagate") -> np.ndarray:
    """Index (int64) of the first maximum along axis; -0 and +0 tie. nan="propagate":
    the first NaN wins (TOSA); nan="ignore": NaNs are skipped (all NaN -> 0)."""
    _option(nan, ("propagate", "ignore"), "nan")
    v = np.asarray(x, carrier(t))
    axis = _axis(v, axis)
    if v.shape[axis] == 0:
        raise NumericsError("argmax over an empty axis")
    if is_int(t):
        return np.argmax(_values(v, t), axis=axis).astype(np.int64)
    f = _f64(v)
    isnan = np.isnan(f)
    top = np.max(np.where(isnan, -np.inf, f), axis=axis, keepdims=True)
    first_max = np.argmax(f == top, axis=axis)
    if nan == "ignore":
        return first_max.astype(np.int64)
    return np.where(
        isnan.any(axis=axis), np.argmax(isnan, axis=axis), first_max
    ).astype(np.int64)
