"""Bit counts (`tosa.clz`, `math.ctlz`, `math.cttz`, `math.ctpop`) on the
VXM, which has no counting instruction: branch-free sequences of its shifts,
masks, comparisons and selects on 32-bit words. A narrower value is
zero-extended to i32 first (its pattern, read unsigned), and the count
corrected for the 32 - N bits that adds; the result is narrowed back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from xdsl.ir import Operation, SSAValue

from lpuir import numerics
from lpuir.dialects import lpu
from lpuir.transforms.vectorize.composite import Steps, cmp, element_of
from lpuir.transforms.vectorize.program import Placed, unsupported

if TYPE_CHECKING:
    from lpuir.transforms.vectorize.base import Vectorizer

I32 = "i32"


def word(s: Steps, x: Placed, op: Operation) -> tuple[Placed, int]:
    """x's pattern zero-extended to an i32 word, and x's width."""
    t = x.element
    if numerics.is_float(t):
        raise unsupported(op, f"'{op.name}' counts bits of integers, not {t}")
    width = numerics.bitwidth(t)
    if width > 32:
        raise unsupported(op, f"'{op.name}' of {t}: the VXM's words have 32 bits")
    if t.startswith("u") or t == "i1":
        return s.convert(x, I32), width
    if width == 32:
        return x, width
    value = s.convert(x, I32)
    return s(lpu.AndOp, [value, s.scalar((1 << width) - 1, I32)], I32), width


def leading_zeros(s: Steps, x: Placed) -> Placed:
    """Leading zeros of an i32 word (32 for 0): five halving steps, each
    counting k more zeros and shifting them out where the top k bits are 0;
    a word still 0 after them was 0 (one zero more)."""
    count = s.scalar(0, I32)
    for k in (16, 8, 4, 2, 1):
        top = s(lpu.ShruOp, [x, s.scalar(32 - k, I32)], I32)
        empty = s(cmp("eq"), [top, s.scalar(0, I32)], "i1")
        x = s.select(empty, s(lpu.ShlOp, [x, s.scalar(k, I32)], I32), x)
        count = s(
            lpu.AddOp, [count, s.select(empty, s.scalar(k, I32), s.scalar(0, I32))], I32
        )
    zero = s(cmp("eq"), [x, s.scalar(0, I32)], "i1")
    return s(lpu.AddOp, [count, s.convert(zero, I32)], I32)


def population(s: Steps, x: Placed) -> Placed:
    """Set bits of an i32 word: pair, nibble and byte sums (SWAR), the bytes
    added by a multiplication whose top byte holds their sum."""

    def k(value: int) -> Placed:
        return s.scalar(value - (1 << 32) if value >= 1 << 31 else value, I32)

    def masked(v: Placed, shift: int, mask: int) -> Placed:
        shifted = s(lpu.ShruOp, [v, k(shift)], I32) if shift else v
        return s(lpu.AndOp, [shifted, k(mask)], I32)

    x = s(lpu.SubOp, [x, masked(x, 1, 0x55555555)], I32)
    x = s(lpu.AddOp, [masked(x, 0, 0x33333333), masked(x, 2, 0x33333333)], I32)
    x = masked(s(lpu.AddOp, [x, s(lpu.ShruOp, [x, k(4)], I32)], I32), 0, 0x0F0F0F0F)
    return s(lpu.ShruOp, [s(lpu.MulOp, [x, k(0x01010101)], I32), k(24)], I32)


def count(
    s: Steps, args: Sequence[Placed], op: Operation, out: SSAValue | None
) -> Placed:
    """ctlz, cttz or ctpop of the operand's N-bit pattern, in its type."""
    x, width = word(s, args[0], op)
    if op.name in ("tosa.clz", "math.ctlz"):
        value = leading_zeros(s, x)
        if width < 32:
            value = s(lpu.SubOp, [value, s.scalar(32 - width, I32)], I32)
    elif op.name == "math.cttz":
        # the bits below the lowest set one: (x & -x) - 1; for 0, all 32
        lowest = s(lpu.AndOp, [x, s(lpu.NegOp, [x], I32)], I32)
        value = population(s, s(lpu.SubOp, [lowest, s.scalar(1, I32)], I32))
        value = s(lpu.MinOp, [value, s.scalar(width, I32)], I32)
    else:
        value = population(s, x)
    return s.convert(value, element_of(op.results[0]), out)


def lower(vz: Vectorizer, op: Operation) -> None:
    """`tosa.clz` at the top level of a function."""
    s = Steps(vz, op)
    count(s, [s.get(op.operands[0])], op, op.results[0])
