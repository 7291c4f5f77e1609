"""Collectives as logical LPU programs, for lpu-schedule to place on the
sync-free network (routes, forwards and link times are its decisions).

Every chip `c` of `chips` holds input `c`, a [vectors, lanes] tensor; the
result is output `c` on chip `c`. Sums are taken in chip order,
((x0 + x1) + x2) + ..., the order a chain of adds over the chips gives, so a
result equals the tensor-level `tosa.add` chain bit for bit.

- `all_reduce`: direct reduce-scatter then all-gather: chip c owns every
  P-th vector starting at c; every chip sends it the vectors it owns (over the
  P - 1 links in parallel on a fully connected node), it adds them, then sends
  the sums to every chip: two link latencies plus (vectors / P) vector times
  per link, the bound for one-hop exchanges. Hierarchical over several nodes:
  inside each node, then over the global links among the chips with the same
  index in each node (each ends with every sum, so no third phase is needed:
  the node-level all-gather already happened before the global exchange).
- `all_gather`: chip c's vectors go to every chip; output c holds all inputs
  stacked (P x vectors rows).
- `broadcast`: chip `chips[0]`'s input goes to every chip.

They are built with `lpuir.ProgramBuilder`, so each instruction is located at
the line here that built it.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import ModuleOp

from lpuir.builder import ChipBuilder, ProgramBuilder
from lpuir.dialects import lpu

LANES = 320
"""The vectors' width (tsp-v1's lanes)."""


def _program(system: str) -> ProgramBuilder:
    return ProgramBuilder(lpu.SystemAttr.from_option(system))


def _reduce_scatter(
    program: ProgramBuilder,
    group: Sequence[int],
    rows: Sequence[int],
    src: str,
    dst: str,
    element: str,
    tag: str,
) -> None:
    """Member i of `group` gets the sums (in `group` order) of the vectors
    rows[i::len(group)] of `src` into `dst`: every member sends them to it."""
    p = len(group)
    for i, owner in enumerate(group):
        mine = program.chip(owner)
        for v in rows[i::p]:
            for j, c in enumerate(group):
                name, stage = f"{tag}s{v}_{c}", f"{tag}stage{j}"
                value = program.chip(c).read(src, v, name=name)
                if c == owner:
                    mine.write(value, stage, v)
                    continue
                program.chip(c).send(value, owner, f"{tag}{v}")
                got = mine.recv(c, f"{tag}{v}", element, name=name)
                mine.write(got, stage, v)
            acc = mine.read(f"{tag}stage0", v, name=f"{tag}a{v}_0")
            for j in range(1, p):
                term = mine.read(f"{tag}stage{j}", v, name=f"{tag}t{v}_{j}")
                acc = mine.vxm("add", acc, term, name=f"{tag}a{v}_{j}")
            mine.write(acc, dst, v)


def _all_gather_rows(
    program: ProgramBuilder,
    group: Sequence[int],
    rows: Sequence[int],
    dst: str,
    element: str,
    tag: str,
) -> None:
    """Member i of `group` sends its vectors rows[i::len(group)] of `dst` to
    every other member, into the same rows."""
    p = len(group)
    for i, owner in enumerate(group):
        for v in rows[i::p]:
            for c in group:
                if c == owner:
                    continue
                out = program.chip(owner).read(dst, v, name=f"{tag}o{v}_{c}")
                program.chip(owner).send(out, c, f"{tag}{v}")
                got = program.chip(c).recv(
                    owner, f"{tag}{v}", element, name=f"{tag}g{v}_{c}"
                )
                program.chip(c).write(got, dst, v)


def _tensors(
    chip: ChipBuilder, specs: Sequence[tuple[str, int, str]], element: str
) -> None:
    """Tensors (name, vectors, kind) of `vectors` x LANES elements."""
    for name, vectors, kind in specs:
        chip.tensor(name, (vectors, LANES), element, kind)


def all_reduce(
    system: str,
    chips: Sequence[int],
    vectors: int,
    element: str = "f32",
    *,
    nodes: int = 1,
) -> ModuleOp:
    """Sum of every chip's input on every chip (see the module docstring).

    With `nodes` > 1 the chips form that many equal nodes (consecutive in
    `chips`) and the all-reduce is hierarchical: a reduce-scatter inside each
    node (chip k of a node gets the node sums of vectors k, k + P, ...), an
    all-reduce of those among the chips with index k in every node (over the
    global links), then an all-gather inside each node. Its order: per node
    ((x0 + x1) + ...), then over nodes (n0 + n1) + ...."""
    per_node = len(chips) // nodes
    if nodes < 1 or per_node * nodes != len(chips):
        raise ValueError(f"{len(chips)} chips do not form {nodes} equal nodes")
    groups = [list(chips[k * per_node : (k + 1) * per_node]) for k in range(nodes)]
    rows = list(range(vectors))
    program = _program(system)
    for i, c in enumerate(chips):
        chip = program.chip(c)
        chip.input("x", (vectors, LANES), element, arg=i)
        chip.output("y", (vectors, LANES), element, arg=i)
        _tensors(
            chip,
            [
                (f"{tag}stage{j}", vectors, "scratch")
                for tag in ("n", "g")
                for j in range(max(per_node, nodes))
            ],
            element,
        )
    if nodes == 1:
        _reduce_scatter(program, chips, rows, "x", "y", element, "n")
        _all_gather_rows(program, chips, rows, "y", element, "a")
        return program.build()
    for c in chips:
        program.chip(c).scratch("part", (vectors, LANES), element)
    for group in groups:
        _reduce_scatter(program, group, rows, "x", "part", element, "n")
    for k in range(per_node):
        across = [g[k] for g in groups]
        mine = rows[k::per_node]
        _reduce_scatter(program, across, mine, "part", "y", element, "g")
        _all_gather_rows(program, across, mine, "y", element, "b")
    for group in groups:
        _all_gather_rows(program, group, rows, "y", element, "a")
    return program.build()


def _spread(
    program: ProgramBuilder,
    src: int,
    chips: Sequence[int],
    vectors: int,
    first_row: int,
    channel: str,
    element: str,
) -> None:
    """Vectors 0..n-1 of @x on chip `src` into rows first_row.. of @y on
    every chip of `chips` (itself included)."""
    sender = program.chip(src)
    for v in range(vectors):
        for dst in chips:
            name = f"{channel}_{v}_{dst}"
            row = first_row + v
            value = sender.read("x", v, name=name)
            if dst == src:
                sender.write(value, "y", row)
                continue
            sender.send(value, dst, channel)
            got = program.chip(dst).recv(src, channel, element, name=name)
            program.chip(dst).write(got, "y", row)


def all_gather(
    system: str, chips: Sequence[int], vectors: int, element: str = "f32"
) -> ModuleOp:
    """Every chip's input on every chip, stacked in chip order."""
    program = _program(system)
    for i, c in enumerate(chips):
        program.chip(c).input("x", (vectors, LANES), element, arg=i)
        program.chip(c).output("y", (len(chips) * vectors, LANES), element, arg=i)
    for i, src in enumerate(chips):
        _spread(program, src, chips, vectors, i * vectors, f"g{src}", element)
    return program.build()


def broadcast(
    system: str, chips: Sequence[int], vectors: int, element: str = "f32"
) -> ModuleOp:
    """The first chip's input on every chip (output c on chip c)."""
    program = _program(system)
    program.chip(chips[0]).input("x", (vectors, LANES), element, arg=0)
    for i, c in enumerate(chips):
        program.chip(c).output("y", (vectors, LANES), element, arg=i)
    _spread(program, chips[0], chips, vectors, 0, "b", element)
    return program.build()
