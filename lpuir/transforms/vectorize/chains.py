"""Elementwise chains on the VXM without SRAM round trips (issue 16, section
3): where a VXM result is written to a scratch tensor and the next access
of that tensor reads the same burst back into one VXM instruction, the
reader takes the value as it leaves the writer's ALU (chained, or off its
stream if the write stays) and the two groups become one. A tensor all of
whose reads are taken so goes with its writes. A chain of elementwise ops
then streams through the ALUs in one pass: no write and read back of every
intermediate vector, and no wait for a burst's write to leave the bank
before the next op may read it (a bank does not read and write in one
cycle)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

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
            u for r in here.results for u in lpu.stream_users(r)
        ]
        for other in near:
            if isinstance(other, Operation) and other not in group:
                group.add(other)
                todo.append(other)
    return group


def _tensor(op: lpu.MemOp) -> str:
    return op.tensor.root_reference.data


def _tensors(ops: Iterable[Operation], kind: type[lpu.MemOp]) -> set[str]:
    """The tensors the instructions of `kind` among `ops` access."""
    return {_tensor(op) for op in ops if isinstance(op, kind)}


def _burst(op: lpu.ReadOp | lpu.WriteOp) -> tuple[int, int, int]:
    """Which vectors a read or write touches in which cycle: (first, step,
    count), step 0 repeating the first (a read's broadcast)."""
    step = op.step.data if op.step is not None and op.burst > 1 else 1
    return op.index.data, step, op.burst


def _span(op: lpu.ReadOp | lpu.WriteOp) -> tuple[int, int]:
    """The first and last vector a read or write touches."""
    first, step, count = _burst(op)
    return first, first + step * (count - 1)


def _touch(a: lpu.MemOp, b: lpu.MemOp) -> bool:
    """Whether two accesses of one tensor may touch a common vector (a
    gather, scatter or per-lane access: any)."""
    if not isinstance(a, lpu.ReadOp | lpu.WriteOp) or not isinstance(
        b, lpu.ReadOp | lpu.WriteOp
    ):
        return True
    (a0, a1), (b0, b1) = _span(a), _span(b)
    if a1 < b0 or b1 < a0:
        return False
    return not set(a.vector_indices()).isdisjoint(b.vector_indices())


def _round_trips(
    found: list[lpu.MemOp],
) -> Iterator[tuple[lpu.WriteOp, lpu.ReadOp]]:
    """(write, read) pairs of one tensor's accesses, in program order, where
    the read's vectors are exactly those of the write and no access between
    them touches any: a read takes the write's value. Accesses of other
    vectors may come between (a row-by-row op writes every row before the
    next op reads the first)."""
    for i, r in enumerate(found):
        if not isinstance(r, lpu.ReadOp):
            continue
        for j in range(i - 1, -1, -1):
            w = found[j]
            if _touch(w, r):
                if isinstance(w, lpu.WriteOp) and _burst(w) == _burst(r):
                    yield w, r
                break


def fuse(program: ChipProgram) -> None:
    """Take every write -> read round trip of a scratch tensor that can be
    (`_fusable`) off SRAM, in program order."""
    position = {op: i for i, op in enumerate(program.body)}
    accesses: dict[str, list[lpu.MemOp]] = defaultdict(list)
    for op in program.body:
        if isinstance(op, lpu.MemOp):
            accesses[_tensor(op)].append(op)
    gone: set[Operation] = set()
    kept = []
    for tensor in program.tensors:
        found = accesses.get(tensor.sym_name.data, [])
        if tensor.kind.data != "scratch" or not all(
            type(op) in (lpu.ReadOp, lpu.WriteOp) for op in found
        ):
            kept.append(tensor)
            continue
        sources = set()
        for w, r in _round_trips(found):
            if _fusable(w, r, position, accesses):
                r.result.replace_all_uses_with(w.value)
                r.erase()
                gone.add(r)
                sources.add(w)
                # the two groups are one now, at the reader's place (the
                # scheduler orders a group by its last instruction)
                merged = stream_group(w.value.owner)
                last = max(position[op] for op in merged)
                for op in merged:
                    position[op] = last
        rest = [op for op in found if op not in gone]
        if rest and all(op in sources for op in rest):  # no read left
            for w in rest:
                w.erase()
            gone |= sources
            tensor.erase()
        else:
            kept.append(tensor)
    program.tensors[:] = kept
    program.body[:] = [op for op in program.body if op not in gone]


def _fusable(
    w: lpu.WriteOp,
    r: lpu.ReadOp,
    position: dict[Operation, int],
    accesses: dict[str, list[lpu.MemOp]],
) -> bool:
    """Whether the read (the access of its tensor next after the write) may
    take the written value from the VXM: it is a VXM result, the read's one
    user a VXM instruction; the writer's group (reads, VXM instructions and
    writes) now goes with the reader's group, at its place in program order,
    so no other instruction until then writes what the writer's group reads
    or touches what it writes, and the two groups share no tensor (one read
    port each; no dependence inside a group); together they take at most
    CHAIN_ALUS VXM instructions."""
    value = w.value
    users = {u.operation for u in r.result.uses}
    if (
        not isinstance(value.owner, lpu.VxmOp)
        or len(users) != 1
        or not isinstance(next(iter(users)), lpu.VxmOp)
    ):
        return False
    writer = stream_group(value.owner)
    reader = stream_group(r) - {r}
    if writer & reader or not all(
        isinstance(op, lpu.ReadOp | lpu.VxmOp | lpu.WriteOp) for op in writer
    ):
        return False
    if sum(isinstance(op, lpu.VxmOp) for op in writer | reader) > CHAIN_ALUS:
        return False
    read, written = _tensors(writer, lpu.ReadOp), _tensors(writer, lpu.WriteOp)
    if (read | written) & (
        _tensors(reader, lpu.ReadOp) | _tensors(reader, lpu.WriteOp)
    ):
        return False
    lo = min(position[op] for op in writer)
    hi = max(position[op] for op in reader)
    mine = [op for op in writer if isinstance(op, lpu.MemOp)]
    return not any(
        lo < position[op] <= hi
        and op not in writer
        and op is not r
        and any(
            _tensor(m) == name
            and (isinstance(m, lpu.WriteOp) or op.PORT == "write")
            and _touch(m, op)
            for m in mine
        )
        for name in read | written
        for op in accesses.get(name, [])
    )
