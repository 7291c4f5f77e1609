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
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import ModuleOp

from lpuir.context import make_context
from lpuir.grammar.parser import parse_lpu


def _program(system: str, bodies: dict[int, list[str]]) -> ModuleOp:
    text = f"system {system}\n" + "".join(
        f"chip {c} {{\n  " + "\n  ".join(lines) + "\n}\n"
        for c, lines in sorted(bodies.items())
    )
    return parse_lpu(text, "<collective>", make_context())


def _system(system: str) -> str:
    name, _, rest = system.partition("{")
    return f'"{name.strip()}"' + (" {" + rest if rest else "")


def _reduce_scatter(
    bodies: dict[int, list[str]],
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
        for v in rows[i::p]:
            for j, c in enumerate(group):
                name = f"%{tag}s{v}_{c}"
                stage = f"@{tag}stage{j}[{v}]"
                bodies[c].append(f"{name} = mem.read @{src}[{v}] : {element}")
                if c == owner:
                    bodies[owner].append(f"mem.write {name} -> {stage}")
                    continue
                bodies[c].append(f'c2c.send {name} to {owner} "{tag}{v}"')
                bodies[owner] += [
                    f'{name} = c2c.recv from {c} "{tag}{v}" : {element}',
                    f"mem.write {name} -> {stage}",
                ]
            acc = f"%{tag}a{v}_0"
            bodies[owner].append(f"{acc} = mem.read @{tag}stage0[{v}] : {element}")
            for j in range(1, p):
                term, total = f"%{tag}t{v}_{j}", f"%{tag}a{v}_{j}"
                bodies[owner] += [
                    f"{term} = mem.read @{tag}stage{j}[{v}] : {element}",
                    f"{total} = vxm.add {acc}, {term} : {element}",
                ]
                acc = total
            bodies[owner].append(f"mem.write {acc} -> @{dst}[{v}]")


def _all_gather_rows(
    bodies: dict[int, list[str]],
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
                out, got = f"%{tag}o{v}_{c}", f"%{tag}g{v}_{c}"
                bodies[owner] += [
                    f"{out} = mem.read @{dst}[{v}] : {element}",
                    f'c2c.send {out} to {c} "{tag}{v}"',
                ]
                bodies[c] += [
                    f'{got} = c2c.recv from {owner} "{tag}{v}" : {element}',
                    f"mem.write {got} -> @{dst}[{v}]",
                ]


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
    lanes = 320
    per_node = len(chips) // nodes
    if nodes < 1 or per_node * nodes != len(chips):
        raise ValueError(f"{len(chips)} chips do not form {nodes} equal nodes")
    groups = [list(chips[k * per_node : (k + 1) * per_node]) for k in range(nodes)]
    rows = list(range(vectors))
    bodies: dict[int, list[str]] = {c: [] for c in chips}
    for i, c in enumerate(chips):
        bodies[c] += [
            f"tensor @x : {vectors}x{lanes}x{element} input {i}",
            f"tensor @y : {vectors}x{lanes}x{element} output {i}",
        ] + [
            f"tensor @{tag}stage{j} : {vectors}x{lanes}x{element} scratch"
            for tag in ("n", "g")
            for j in range(max(per_node, nodes))
        ]
    if nodes == 1:
        _reduce_scatter(bodies, chips, rows, "x", "y", element, "n")
        _all_gather_rows(bodies, chips, rows, "y", element, "a")
        return _program(_system(system), bodies)
    for c in chips:
        bodies[c].append(f"tensor @part : {vectors}x{lanes}x{element} scratch")
    for group in groups:
        _reduce_scatter(bodies, group, rows, "x", "part", element, "n")
    for k in range(per_node):
        across = [g[k] for g in groups]
        mine = rows[k::per_node]
        _reduce_scatter(bodies, across, mine, "part", "y", element, "g")
        _all_gather_rows(bodies, across, mine, "y", element, "b")
    for group in groups:
        _all_gather_rows(bodies, group, rows, "y", element, "a")
    return _program(_system(system), bodies)


def _spread(
    bodies: dict[int, list[str]],
    src: int,
    chips: Sequence[int],
    vectors: int,
    first_row: int,
    channel: str,
    element: str,
) -> None:
    """Vectors 0..n-1 of @x on chip `src` into rows first_row.. of @y on
    every chip of `chips` (itself included)."""
    for v in range(vectors):
        for dst in chips:
            value = f"%{channel}_{v}_{dst}"
            row = first_row + v
            bodies[src].append(f"{value} = mem.read @x[{v}] : {element}")
            if dst == src:
                bodies[src].append(f"mem.write {value} -> @y[{row}]")
                continue
            bodies[src].append(f'c2c.send {value} to {dst} "{channel}"')
            bodies[dst] += [
                f'{value} = c2c.recv from {src} "{channel}" : {element}',
                f"mem.write {value} -> @y[{row}]",
            ]


def all_gather(
    system: str, chips: Sequence[int], vectors: int, element: str = "f32"
) -> ModuleOp:
    """Every chip's input on every chip, stacked in chip order."""
    bodies: dict[int, list[str]] = {c: [] for c in chips}
    for i, c in enumerate(chips):
        bodies[c] += [
            f"tensor @x : {vectors}x320x{element} input {i}",
            f"tensor @y : {len(chips) * vectors}x320x{element} output {i}",
        ]
    for i, src in enumerate(chips):
        _spread(bodies, src, chips, vectors, i * vectors, f"g{src}", element)
    return _program(_system(system), bodies)


def broadcast(
    system: str, chips: Sequence[int], vectors: int, element: str = "f32"
) -> ModuleOp:
    """The first chip's input on every chip (output c on chip c)."""
    bodies: dict[int, list[str]] = {c: [] for c in chips}
    bodies[chips[0]].append(f"tensor @x : {vectors}x320x{element} input 0")
    for i, c in enumerate(chips):
        bodies[c].append(f"tensor @y : {vectors}x320x{element} output {i}")
    _spread(bodies, chips[0], chips, vectors, 0, "b", element)
    return _program(_system(system), bodies)
