"""Elementwise chains on the VXM without SRAM round trips (issue 16, section
3): where a scratch tensor only carries VXM results from one group to VXM
instructions of later groups, burst for burst, the readers take the values
from the writers' ALUs instead (chained operands, docs/dialect.md) and the
tensor goes. The two groups become one, so a chain of elementwise ops
streams through the ALUs in one pass: no write and read back of every
intermediate vector, and no wait for a burst's write to leave the bank
before the next op may read it (a bank does not read and write in one
cycle)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from xdsl.ir import Operation

from lpuir.dialects import lpu
from lpuir.transforms.vectorize.program import ChipProgram

CHAIN_ALUS = 4
"""The most VXM instructions a fused group holds: each keeps its ALU for its
whole burst, so a longer chain would hold many of the 16 ALUs at once and
leave other groups fewer to overlap with."""


def stream_group(op: Operation) -> set[Operation]:
    """The instructions tied to `op` by stream-borne vectors (the group the
    scheduler places as one, `schedule.problem.build_problem`)."""
    group, todo = {op}, [op]
    while todo:
        here = todo.pop()
        assert isinstance(here, lpu.Instruction)
        near = [v.owner for v in here.stream_operands()] + [
            u.operation
            for r in here.results
            for u in r.uses
            if isinstance(u.operation, lpu.Instruction)
            and r in u.operation.stream_operands()
        ]
        for other in near:
            if isinstance(other, Operation) and other not in group:
                group.add(other)
                todo.append(other)
    return group


def _tensor(op: lpu.MemOp) -> str:
    return op.tensor.root_reference.data


def _tensors_read(ops: Iterable[Operation]) -> set[str]:
    return {_tensor(op) for op in ops if isinstance(op, lpu.ReadOp)}


def _burst(op: lpu.MemOp) -> tuple[int, int, int]:
    """The vectors a read or write touches, as (first, step, count)."""
    found = op.vector_indices()
    return found.start, found.step if len(found) > 1 else 1, op.burst


def fuse(program: ChipProgram) -> None:
    """Fuse every write -> read round trip of a scratch tensor that can be
    (`_fusable`), in program order."""
    position = {op: i for i, op in enumerate(program.body)}
    accesses: dict[str, list[lpu.MemOp]] = defaultdict(list)
    for op in program.body:
        if isinstance(op, lpu.MemOp):
            accesses[_tensor(op)].append(op)
    gone: set[Operation] = set()
    kept = []
    for tensor in program.tensors:
        name = tensor.sym_name.data
        pairs = (
            _pairs(accesses.get(name, [])) if tensor.kind.data == "scratch" else None
        )
        if not pairs or not all(_fusable(w, r, position, accesses) for w, r in pairs):
            kept.append(tensor)
            continue
        for w, r in pairs:
            r.result.replace_all_uses_with(w.value)
            w.erase()
            r.erase()
            gone |= {w, r}
        tensor.erase()
    program.tensors[:] = kept
    program.body[:] = [op for op in program.body if op not in gone]


def _pairs(found: list[lpu.MemOp]) -> list[tuple[lpu.WriteOp, lpu.ReadOp]] | None:
    """The (write, read) pairs of a tensor only ever written by bursts each
    read back once, whole, by one read after it; else None."""
    if not all(type(op) in (lpu.ReadOp, lpu.WriteOp) for op in found):
        return None
    writes = {_burst(op): op for op in found if isinstance(op, lpu.WriteOp)}
    reads = {_burst(op): op for op in found if isinstance(op, lpu.ReadOp)}
    if len(writes) + len(reads) != len(found) or writes.keys() != reads.keys():
        return None
    return [(writes[k], reads[k]) for k in writes]  # type: ignore[misc]


def _fusable(
    w: lpu.WriteOp,
    r: lpu.ReadOp,
    position: dict[Operation, int],
    accesses: dict[str, list[lpu.MemOp]],
) -> bool:
    """Whether the read may take the written value from its ALU: the value
    is a VXM result written once, the read's one user a VXM instruction;
    the writer's group (reads and VXM instructions only) reads no tensor
    the reader's group reads (one read port each) or any instruction
    until the reader's group writes (the writer's reads now go with the
    reader's group, at its place in program order); together they take
    at most CHAIN_ALUS VXM instructions."""
    value = w.value
    users = {u.operation for u in r.result.uses}
    if (
        position[w] > position[r]
        or not isinstance(value.owner, lpu.VxmOp)
        or value.has_more_than_one_use()
        or len(users) != 1
        or not isinstance(next(iter(users)), lpu.VxmOp)
    ):
        return False
    writer = stream_group(value.owner) - {w}
    reader = stream_group(r) - {r}
    if writer & reader or not all(
        isinstance(op, lpu.ReadOp | lpu.VxmOp) for op in writer
    ):
        return False
    if sum(isinstance(op, lpu.VxmOp) for op in writer | reader) > CHAIN_ALUS:
        return False
    read = _tensors_read(writer)
    if read & _tensors_read(reader):
        return False
    lo = min(position[op] for op in writer)
    hi = max(position[op] for op in reader)
    return not any(
        lo < position[op] <= hi and op.PORT == "write" and op is not w
        for name in read
        for op in accesses.get(name, [])
    )
