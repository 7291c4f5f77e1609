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
  order, so the numerics' reduction order, and every bit, is unchanged);
- `lpu.split = "heads"` (`hybrid`): an op computed part by part of its
  leading axis (heads) on the chips, each chip its part;
- `lpu.k_parts` and `lpu.k_order` (lpuir.transforms.annotations) on a "rows"
  matmul of the `hybrid` strategy (K cut where the left-hand side's shards
  begin, one part per chip) or on a reduce_sum over the heads (one part per
  chip), and the order in which an all-reduce adds the partial sums
  (docs/numerics.md); the reference interpreter computes exactly that order,
  lpu-vectorize emits the all-reduce.

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
- `hybrid` (option `group=K`): layers pipelined over groups of K chips,
  each layer split over its group Megatron-style: the ops are cut into one
  stage per group as `pipeline` cuts them, except that no cut divides a row
  split from the column splits its left-hand side comes from (`_blocks`:
  SwiGLU's W_gate, W_up and W_down stay on one group, whose chips hold the
  shards the K parts are), and inside a stage `tensor` splits
  the matmuls over the group's chips, a row split's partial sums combined by
  an all-reduce over the group (reduce-scatter and all-gather, flat inside a
  node, nested per node when a group spans nodes: `lpu.k_order`); ops on
  the leading axis (heads) are split by heads over as many of the group's
  chips as divide every leading axis involved, a reduce_sum over the heads
  an all-reduce; the ops that are not split are pipelined over as few of
  the group's chips as hold them in half a chip's SRAM each (every cut puts
  a link latency on a decode step's path). A row
  split is chosen only where every part starts at a K-block of the left-hand
  side (the lowering multiplies whole K-blocks per chip); elsewhere the
  matmul runs whole on the group's first chip.
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
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass

from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu import ACCUMULATOR, element_bytes
from lpuir.machine import ChipSpec, SystemSpec
from lpuir.numerics import KOrder
from lpuir.transforms.annotations import (
    chips_of,
    set_chips,
    set_k_split,
    set_split,
    weight_args,
)
from lpuir.transforms.vectorize.elementwise import is_elementwise
from lpuir.transforms.vectorize.shards import column_bounds
from lpuir.types import tensor_shape_and_element

STRATEGIES = ("auto", "tensor", "pipeline", "hybrid", "single")

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


def _elementwise_source(
    value: SSAValue, split: dict[Operation, str]
) -> Operation | None:
    """The column-split matmul a value comes from through elementwise ops, if any."""
    owner = value.owner
    while isinstance(owner, Operation) and _elementwise(owner):
        owner = owner.operands[0].owner
    return (
        owner if isinstance(owner, Operation) and split.get(owner) == "cols" else None
    )


@dataclass(frozen=True)
class PartitionPass(ModulePass):
    """Annotate the module's function with chip placements (module docstring)."""

    name = "lpu-partition"

    system: str = "tsp-v1"
    strategy: str = "auto"
    group: int = 8
    """Chips per layer group of the `hybrid` strategy."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.strategy not in STRATEGIES:
            raise LpuError(
                f"lpu-partition: unknown strategy '{self.strategy}' (known: {', '.join(STRATEGIES)})"
            )
        machine = lpu.SystemAttr.from_option(self.system)
        spec = machine.spec
        if self.strategy == "hybrid" and not 1 <= self.group <= spec.chips:
            raise LpuError(
                f"lpu-partition: group={self.group} must be between 1 and the system's {spec.chips} chips"
            )
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and not fn.is_declaration:
                partition(fn, spec, self.strategy, self.group)


def partition(fn: func.FuncOp, spec: SystemSpec, strategy: str, group: int = 8) -> str:
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
        _tensor_parallel(ops, chips, splittable, matmuls, {})
    elif strategy == "hybrid":
        groups = [chips[g : g + group] for g in range(0, len(chips) - group + 1, group)]
        blocks = _blocks(ops, splittable, matmuls)
        cuts = [0, *_pipeline_cuts(ops, len(groups), spec.chip, blocks), len(ops)]
        split: dict[Operation, str] = {}
        for members, (lo, hi) in zip(groups, itertools.pairwise(cuts), strict=True):
            stage = ops[lo:hi]
            _tensor_parallel(stage, members, splittable, matmuls, split, spec)
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


def _tensor_parallel(
    ops: list[Operation],
    chips: list[int],
    splittable: list[Operation],
    matmuls: list[Operation],
    split: dict[Operation, str],
    spec: SystemSpec | None = None,
) -> None:
    """Annotate `ops` Megatron-style over `chips` (the `tensor` strategy;
    with `spec`, the `hybrid` one: a row split is an all-reduce of K parts in
    a stated order, chosen only where each part starts at a K-block, and the
    ops that are not split are pipelined as `pipeline` does over as few of
    the chips as their SRAM footprint needs, `_stages_needed`)."""
    on: dict[Operation, list[int]] = {}
    if spec is not None:
        on.update(_heads(ops, chips, spec))
    for o in ops:
        if not isinstance(o, tosa.MatMulOp) or o in on:
            continue
        source = _elementwise_source(o.a, split)
        if o in splittable and source is None:
            split[o], on[o] = "cols", chips
        elif o in matmuls and source is not None:
            members = on.get(source) or chips_of(source)
            parts = None if spec is None else _k_parts(o, members, spec)
            if spec is None or parts is not None:
                split[o], on[o] = "rows", members
            if parts is not None:
                set_k_split(o, *parts)
    whole: list[Operation] = []
    for o in ops:
        if o in on:
            set_split(o, split.get(o, "heads"))
            set_chips(o, on[o])
        elif spec is None:
            set_chips(o, chips if _elementwise(o) else [0])
        elif _elementwise(o) and _elementwise_source(o.operands[0], split):
            set_chips(o, chips)
        else:
            whole.append(o)
    if spec is not None:
        stages = _stages_needed(whole, len(chips), spec.chip)
        cuts = [0, *_pipeline_cuts(whole, stages, spec.chip), len(whole)]
        for chip, (lo, hi) in zip(chips, itertools.pairwise(cuts), strict=False):
            for o in whole[lo:hi]:
                set_chips(o, [chip])


def _footprint(op: Operation, chip: ChipSpec) -> int:
    """The SRAM bytes a pipeline stage holding `op` gives it: its resident
    operands (weights and program inputs, declared where used) and results."""
    tensors = [*(v for v in op.operands if _resident(v)), *op.results]
    return sum(_sram_bytes(v, chip) for v in tensors)


def _stages_needed(ops: list[Operation], most: int, chip: ChipSpec) -> int:
    """How many of a group's chips the ops it leaves whole are pipelined over:
    as few as hold their footprint in half a chip's SRAM each (the rest is the
    split ops' shards), since each cut puts a link latency on the path of a
    decode step (a norm's ops cut over 8 chips cost seven hops)."""
    sram = chip.sram_addresses * len(chip.mem_slices) * chip.lanes
    need = sum(_footprint(o, chip) for o in ops)
    return max(1, min(most, math.ceil(2 * need / sram)))


def _lead(value: SSAValue) -> int:
    """The leading axis of a tensor of rank 2 or more (1 otherwise: whole)."""
    if not isinstance(value.type, TensorType):
        return 1
    shape = tensor_shape_and_element(value.type)[0]
    return shape[0] if len(shape) >= 2 else 1


def _by_heads(op: Operation) -> bool:
    """Ops lpu-vectorize runs on parts of the leading axis (`Heads`): each
    part of the result needs only the same part of every operand whose
    leading axis is longer than 1."""
    if not op.results or _lead(op.results[0]) == 1:
        return False
    if isinstance(op, tosa.TransposeOp):
        return op.perms.get_values()[0] == 0
    if isinstance(op, tosa.ReshapeOp):  # parts of both are runs of the same elements
        return _lead(op.input1) > 1
    if isinstance(op, tosa.ReductionOperation):
        return op.axis.value.data != 0
    return _elementwise(op) or isinstance(op, tosa.MatMulOp | tosa.ReshapeOp)


def _heads(
    ops: list[Operation], chips: list[int], spec: SystemSpec
) -> dict[Operation, list[int]]:
    """Split by heads (the leading axis: Llama's per-head projections, the
    attention over the KV cache sharded by KV head, the output projection)
    over as many of `chips` as divide every leading axis involved; a
    reduce_sum over that axis becomes an all-reduce of the chips' partial
    sums in a stated order (`_order`). The chips chosen for each op."""
    region = [o for o in ops if _by_heads(o)]
    leads = {
        _lead(v) for o in region for v in (*o.operands, *o.results) if _lead(v) > 1
    }
    parts = math.gcd(len(chips), *leads) if region else 1
    if parts < 2:
        return {}
    members = chips[:parts]
    on = {o: members for o in region}
    for o in ops:
        if (
            isinstance(o, tosa.ReduceSumOp)
            and o.axis.value.data == 0
            and o.input.owner in on
            and _lead(o.input) % parts == 0
        ):
            size = _lead(o.input) // parts
            set_k_split(o, [size * i for i in range(1, parts)], _order(members, spec))
            on[o] = members
    return on


def _order(chips: list[int], spec: SystemSpec) -> KOrder:
    """The all-reduce order of one part per chip: part order inside a node,
    then node by node."""
    nodes: dict[int, list[int]] = {}
    for part, chip in enumerate(chips):
        nodes.setdefault(chip // spec.chips_per_node, []).append(part)
    return next(iter(nodes.values())) if len(nodes) == 1 else list(nodes.values())


def _k_parts(
    op: tosa.MatMulOp, chips: list[int], spec: SystemSpec
) -> tuple[list[int], KOrder] | None:
    """The K split of a row-split matmul whose left-hand side comes sharded
    from a column split over `chips` (`column_bounds`) and the order of its
    all-reduce: part order inside a node, then node by node. None when a part
    would not start at a K-block of the left-hand side."""
    shape, element = tensor_shape_and_element(op.a.type)
    if element not in ACCUMULATOR:
        return None
    edges = column_bounds(shape[2], spec.chip.lanes, len(chips))
    if any(e % spec.chip.mxm_k(element) for e in edges):
        return None
    return edges, _order(chips[: len(edges) + 1], spec)


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


def _blocks(
    ops: list[Operation], splittable: list[Operation], matmuls: list[Operation]
) -> list[tuple[int, int]]:
    """The spans (first, last op index) a stage cut of `hybrid` must not
    divide: each row split with the column splits its left-hand side comes
    from through elementwise ops (any operand: SwiGLU's gate and up), chosen
    as `_tensor_parallel` chooses them (a matmul on the leading axis is left
    to the heads split). The row split's K parts are the shards of those
    column splits on one group's chips, and elementwise ops combine shards of
    one layout only: cut inside, the shards would be on two groups."""
    index = {o: i for i, o in enumerate(ops)}
    split: dict[Operation, str] = {}
    blocks = []
    for o in ops:
        if not isinstance(o, tosa.MatMulOp) or _by_heads(o):
            continue
        source = _elementwise_source(o.a, split)
        if o in splittable and source is None:
            split[o] = "cols"
        elif o in matmuls and source is not None:
            first = min(index[c] for c in _column_sources(o.a, split))
            blocks.append((first, index[o]))
    return blocks


def _column_sources(value: SSAValue, split: dict[Operation, str]) -> set[Operation]:
    """The column-split matmuls a value comes from through elementwise ops
    (every operand's)."""
    found: set[Operation] = set()
    seen: set[Operation] = set()
    todo = [value]
    while todo:
        owner = todo.pop().owner
        if not isinstance(owner, Operation) or owner in seen:
            continue
        seen.add(owner)
        if split.get(owner) == "cols":
            found.add(owner)
        elif _elementwise(owner):
            todo.extend(owner.operands)
    return found


def _pipeline_cuts(
    ops: list[Operation],
    stages: int,
    chip: ChipSpec,
    blocks: list[tuple[int, int]] | None = None,
) -> list[int]:
    """Where stages 1.. begin (op indices, non-decreasing): near equal SRAM
    footprint per stage (`_sram_bytes` of weights and program inputs, declared
    where used, and of results), and there where the fewest bytes of values cross
    the cut; never inside one of `blocks` (spans of op indices, first and
    last: `_blocks`)."""
    inside = [False] * (len(ops) + 1)  # inside[i]: cut i divides a block
    for first, last in blocks or []:
        inside[first + 1 : last + 1] = [True] * (last - first)
    cost = [_footprint(o, chip) for o in ops]
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
        start = max(first, bisect_left(prefix, target))
        window = [
            i
            for i in range(
                max(first, bisect_left(prefix, target - slack)),
                bisect_right(prefix, target + slack),
            )
            if not inside[i]
        ]
        cuts.append(
            min(window, key=lambda i: (crossing[i], abs(prefix[i] - target)))
            if window
            else next((i for i in range(start, len(ops) + 1) if not inside[i]), start)
        )
    return cuts
