"""lpu-partition: place a tensor-level function onto the chips of a system.

The pass only annotates ops, so its decisions stay readable and hand-editable
in the tensor-level IR; lpu-vectorize carries them out:

- `lpu.chips = array<i64: ...>`: the chips an op runs on (chip 0 without it);
- `lpu.split = "cols" | "rows"` on a `tosa.matmul` with a constant right-hand
  side (or, for "cols", a program input: each chip's columns of it are an
  input shard): tensor parallel by columns (each chip computes its columns, the result
  stays sharded; elementwise ops on it run shard by shard), or by rows (the
  left-hand side is sharded by K, as a "cols" matmul leaves it; the partial
  sums travel down the chain of chips in K order, each adding its K-blocks in
  order, so the numerics' reduction order, and every bit, is unchanged).

Values needed whole on another chip are sent there (point to point), shards
are gathered (all-gather) where an op needs the whole value.

Strategies:
- `tensor`: Megatron-style: a matmul with a constant right-hand side of at
  least two 320-column tiles is split by columns over the chips; the next
  matmul fed (through elementwise ops) by the sharded result is split by rows.
- `pipeline`: the ops in program order are cut into one stage per chip with
  about equal SRAM footprint (weights, inputs and results); each cut goes,
  within a quarter of a stage of its balanced place, where the fewest bytes
  cross it (a KV cache update stays with the attention that reads it), and
  point-to-point transfers carry what crosses.
- `auto` (the default): `tensor` if some matmul can be split by columns, else
  `pipeline` when the weights do not fit one chip's SRAM, else one chip.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass

from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu import element_bytes
from lpuir.machine import ChipSpec, SystemSpec
from lpuir.transforms.annotations import set_chips, set_split, weight_args
from lpuir.transforms.vectorize.elementwise import is_elementwise
from lpuir.types import tensor_shape_and_element

STRATEGIES = ("auto", "tensor", "pipeline", "single")

_FREE = (tosa.ConstOp, tosa.ConstShapeOp, func.ReturnOp)


def _bytes(value: SSAValue) -> int:
    shape, element = tensor_shape_and_element(value.type)
    return math.prod(shape) * element_bytes(element)


def _vectors(value: SSAValue, chip: ChipSpec) -> tuple[int, int]:
    """The SRAM a tensor takes: vectors (each row padded to whole vectors) and
    byte planes."""
    shape, element = tensor_shape_and_element(value.type)
    rows = math.prod(shape[:-1]) if shape else 1
    last = shape[-1] if shape else 1
    return rows * -(-last // chip.lanes), element_bytes(element)


def _sram_bytes(value: SSAValue, chip: ChipSpec) -> int:
    """The SRAM bytes a tensor takes, a tensor too big for one slice rounded up
    to whole slices (lpu-allocate-sram gives it empty slices of its own)."""
    vectors, planes = _vectors(value, chip)
    if vectors > chip.sram_addresses:
        vectors = -(-vectors // chip.sram_addresses) * chip.sram_addresses
    return vectors * planes * chip.lanes


def _constant(value: SSAValue) -> bool:
    """A constant or an argument marked `{lpu.weight}` (resident weights)."""
    owner = value.owner
    if isinstance(owner, Block) and isinstance(value, BlockArgument):
        fn = owner.parent_op()
        return isinstance(fn, func.FuncOp) and value.index in weight_args(fn)
    return isinstance(owner, tosa.ConstOp)


def _resident(value: SSAValue) -> bool:
    """A constant or a program input: what each chip can hold its own columns
    of from the start (weights; an input shard is a `cols` tensor)."""
    return _constant(value) or isinstance(value.owner, Block)


def _elementwise(op: Operation) -> bool:
    """Ops lpu-vectorize runs shard by shard (clamp: before lpu-decompose)."""
    return is_elementwise(op) or isinstance(op, tosa.ClampOp)


def _elementwise_source(value: SSAValue, split: dict[Operation, str]) -> bool:
    """Whether a value comes from a column-split matmul through elementwise ops."""
    owner = value.owner
    while isinstance(owner, Operation) and _elementwise(owner):
        owner = owner.operands[0].owner
    return isinstance(owner, Operation) and split.get(owner) == "cols"


@dataclass(frozen=True)
class PartitionPass(ModulePass):
    """Annotate the module's function with chip placements (module docstring)."""

    name = "lpu-partition"

    system: str = "tsp-v1"
    strategy: str = "auto"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.strategy not in STRATEGIES:
            raise LpuError(
                f"lpu-partition: unknown strategy '{self.strategy}' (known: {', '.join(STRATEGIES)})"
            )
        machine = lpu.SystemAttr.from_option(self.system)
        spec = machine.spec
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and not fn.is_declaration:
                partition(fn, spec, self.strategy)


def partition(fn: func.FuncOp, spec: SystemSpec, strategy: str) -> str:
    """Annotate one function; the strategy actually used."""
    ops = [o for o in fn.body.walk() if not isinstance(o, _FREE)]
    chips = list(range(spec.chips))
    matmuls = [o for o in ops if isinstance(o, tosa.MatMulOp) and _constant(o.b)]
    splittable = [
        m
        for m in ops
        if isinstance(m, tosa.MatMulOp)
        and _resident(m.b)
        and tensor_shape_and_element(m.b.type)[0][2] >= 2 * spec.chip.lanes
    ]
    weights = sum(
        _bytes(o.results[0]) for o in fn.body.walk() if isinstance(o, tosa.ConstOp)
    ) + sum(_bytes(fn.args[i]) for i in weight_args(fn))
    if strategy == "auto":
        sram = spec.chip.sram_addresses * len(spec.chip.mem_slices) * spec.chip.lanes
        strategy = (
            "single"
            if len(chips) == 1
            else "tensor"
            if splittable
            else "pipeline"
            if weights > sram // 2
            else "single"
        )
    if strategy == "tensor" and len(chips) > 1:
        split: dict[Operation, str] = {}
        for o in ops:
            if o in splittable and not _elementwise_source(o.a, split):
                split[o] = "cols"
            elif (
                isinstance(o, tosa.MatMulOp)
                and o in matmuls
                and _elementwise_source(o.a, split)
            ):
                split[o] = "rows"
        for o in ops:
            if o in split:
                set_split(o, split[o])
                set_chips(o, chips)
            else:
                set_chips(o, chips if _elementwise(o) else [0])
    elif strategy == "pipeline" and len(chips) > 1:
        _check_stageable(ops, spec.chip)
        stage = 0
        cuts = iter(_pipeline_cuts(ops, len(chips), spec.chip))
        cut = next(cuts, None)
        for i, o in enumerate(ops):
            while cut is not None and cut <= i:
                stage, cut = stage + 1, next(cuts, None)
            set_chips(o, [stage])
    return strategy


def _check_stageable(ops: list[Operation], chip: ChipSpec) -> None:
    """Refuse, naming the op, a pipeline whose one op needs more SRAM than a
    chip has (no cut can place it; lpu-allocate-sram would fail later with
    only a memory map)."""
    sram = chip.sram_addresses * len(chip.mem_slices) * chip.lanes
    for o in ops:
        need = sum(
            math.prod(_vectors(v, chip)) * chip.lanes
            for v in [*(v for v in o.operands if _resident(v)), *o.results]
        )
        if need > sram:
            raise LpuError(
                f"{op_location(o)}: error: lpu-partition: '{o.name}' needs {need} bytes "
                f"of SRAM for its weights, inputs and results, more than one chip's "
                f"{sram}: no pipeline stage can hold it (strategy=tensor splits it over chips)"
            )


def _pipeline_cuts(ops: list[Operation], stages: int, chip: ChipSpec) -> list[int]:
    """Where stages 1.. begin (op indices, non-decreasing): near equal SRAM
    footprint per stage (`_sram_bytes` of weights and program inputs, declared
    where used, and of results), and there where the fewest bytes of values cross
    the cut."""
    tensors = [[v for v in o.operands if _resident(v)] + list(o.results) for o in ops]
    cost = [sum(_sram_bytes(v, chip) for v in t) for t in tensors]
    prefix = list(itertools.accumulate(cost, initial=0))  # before op i
    total = max(1, prefix[-1])
    index = {o: i for i, o in enumerate(ops)}
    crossing = [0] * (len(ops) + 1)  # crossing[i]: bytes live across cut i
    for i, o in enumerate(ops):
        for r in o.results:
            last = max((index.get(u.operation, -1) for u in r.uses), default=-1)
            if last > i:
                crossing[i + 1] += _bytes(r)
                crossing[last + 1] -= _bytes(r)
    crossing = list(itertools.accumulate(crossing))
    slack = total / stages / 4
    cuts: list[int] = []
    for k in range(1, stages):
        target = k * total / stages
        first = cuts[-1] if cuts else 0
        window = range(
            max(first, bisect_left(prefix, target - slack)),
            bisect_right(prefix, target + slack),
        )
        cuts.append(
            min(window, key=lambda i: (crossing[i], abs(prefix[i] - target)))
            if window
            else max(first, bisect_left(prefix, target))
        )
    return cuts
