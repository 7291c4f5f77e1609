"""The attributes through which passes hand decisions to each other on
tensor-level IR, written and read only here.

- `lpu.weight` on a function argument (a unit attribute of its arg attrs): a
  resident weight, held in SRAM before the program starts (no value, as in a
  timing study), not a program input;
- `lpu.chips = array<i64: ...>` on an op: the chips lpu-partition put it on
  (chip 0 without it);
- `lpu.split = "cols" | "rows"` on a `tosa.matmul`: its tensor-parallel split
  (lpu-partition's docstring).
"""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import DenseArrayBase, StringAttr, i64
from xdsl.ir import Operation

WEIGHT = "lpu.weight"
CHIPS = "lpu.chips"
SPLIT = "lpu.split"


def weight_args(fn: func.FuncOp) -> set[int]:
    """The arguments marked `{lpu.weight}`."""
    attrs = fn.arg_attrs.data if fn.arg_attrs is not None else ()
    return {i for i, a in enumerate(attrs) if WEIGHT in a.data}


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
