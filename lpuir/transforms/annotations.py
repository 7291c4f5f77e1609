"""The attributes through which passes hand decisions to each other on
tensor-level IR, written and read only here.

- `lpu.weight` on a function argument (a unit attribute of its arg attrs): a
  resident weight, held in SRAM before the program starts (no value, as in a
  timing study), not a program input;
- `lpu.chips = array<i64: ...>` on an op: the chips lpu-partition put it on
  (chip 0 without it);
- `lpu.split = "cols" | "rows"` on a `tosa.matmul`: its tensor-parallel split
  (lpu-partition's docstring);
- `lpu.k_parts = array<i64: ...>` and `lpu.k_order = [...]` on a `tosa.matmul`:
  the K split a pass chose (over MXM planes or chips) and the order in which the
  parts' partial sums are added, which the reference interpreter honours
  (docs/numerics.md, "Partial sums of a split K"; `numerics.matmul_split`).
  `lpu.k_order` is a nested list of part indices, each list summed left to
  right (`[[0, 1], [2, 3]]`: (p0 + p1) + (p2 + p3)); without it the parts are
  added in part order.
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    IntegerAttr,
    StringAttr,
    i64,
)
from xdsl.ir import Attribute, Operation

from lpuir.diagnostics import LpuError, op_location
from lpuir.numerics import KOrder

WEIGHT = "lpu.weight"
CHIPS = "lpu.chips"
SPLIT = "lpu.split"
K_PARTS = "lpu.k_parts"
K_ORDER = "lpu.k_order"
WHOLE = "lpu.whole"
"""On a function's argument or result: held in one tensor, never in row
parts (vectorize/parts.py): a staged compile's values crossing between
stages, which its transfers move whole."""


def weight_args(fn: func.FuncOp) -> set[int]:
    """The arguments marked `{lpu.weight}`."""
    attrs = fn.arg_attrs.data if fn.arg_attrs is not None else ()
    return {i for i, a in enumerate(attrs) if WEIGHT in a.data}


def held_whole(fn: func.FuncOp, index: int, result: bool = False) -> bool:
    """Whether argument (or result) `index` of `fn` is marked `{lpu.whole}`."""
    attrs = fn.res_attrs if result else fn.arg_attrs
    return attrs is not None and WHOLE in attrs.data[index].data


def chips_of(op: Operation) -> list[int]:
    """The chips lpu-partition put an op on, else chip 0."""
    attr = op.attributes.get(CHIPS)
    if isinstance(attr, DenseArrayBase):
        return [int(c) for c in attr.get_values()] or [0]
    return [0]


def set_chips(op: Operation, chips: list[int]) -> None:
    op.attributes[CHIPS] = DenseArrayBase.from_list(i64, chips)


def split_of(op: Operation) -> str | None:
    """A matmul's tensor-parallel split ("cols", "rows"), if it has one."""
    attr = op.attributes.get(SPLIT)
    return attr.data if isinstance(attr, StringAttr) else None


def set_split(op: Operation, split: str) -> None:
    op.attributes[SPLIT] = StringAttr(split)


def _order_attr(order: KOrder) -> ArrayAttr:
    return ArrayAttr(
        [
            IntegerAttr(int(i), i64)
            if not isinstance(i, list | tuple)
            else _order_attr(i)
            for i in order
        ]
    )


def _order_of(attr: Attribute, op: Operation) -> KOrder:
    if not isinstance(attr, ArrayAttr):
        raise LpuError(
            f"{op_location(op)}: error: {K_ORDER} is a nested list of part indices, not {attr}"
        )
    return [
        a.value.data if isinstance(a, IntegerAttr) else _order_of(a, op)
        for a in attr.data
    ]


def k_split_of(op: Operation) -> tuple[list[int], KOrder | None] | None:
    """A matmul's K split points and the order of its parts' sums (None: no
    split; an order of None: part order), as the attributes state them (the
    numerics check them against K)."""
    parts = op.attributes.get(K_PARTS)
    order = op.attributes.get(K_ORDER)
    if parts is None:
        if order is not None:
            raise LpuError(
                f"{op_location(op)}: error: {K_ORDER} without {K_PARTS} (the split points)"
            )
        return None
    if not isinstance(parts, DenseArrayBase):
        raise LpuError(
            f"{op_location(op)}: error: {K_PARTS} is an array<i64: ...> of split points, not {parts}"
        )
    bounds = [int(b) for b in parts.get_values()]
    return bounds, (None if order is None else _order_of(order, op))


def set_k_split(op: Operation, bounds: list[int], order: KOrder | None = None) -> None:
    """Record a K split (and the order of its partial sums) on a matmul."""
    op.attributes[K_PARTS] = DenseArrayBase.from_list(i64, bounds)
    if order is None:
        op.attributes.pop(K_ORDER, None)
    else:
        op.attributes[K_ORDER] = _order_attr(order)
