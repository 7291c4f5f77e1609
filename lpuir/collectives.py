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
  per link, the bound for one-hop exchanges.
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


def all_reduce(
    system: str, chips: Sequence[int], vectors: int, element: str = "f32"
) -> ModuleOp:
    """Sum of every chip's input on every chip (see the module docstring)."""
    p = len(chips)
    lanes = 320
    bodies: dict[int, list[str]] = {c: [] for c in chips}
    for i, c in enumerate(chips):
        bodies[c] += [
            f"tensor @x : {vectors}x{lanes}x{element} input {i}",
            f"tensor @y : {vectors}x{lanes}x{element} output {i}",
        ] + [
            f"tensor @stage{j} : {vectors}x{lanes}x{element} scratch" for j in range(p)
        ]
    owned = {c: list(range(i, vectors, p)) for i, c in enumerate(chips)}
    for owner, rows in owned.items():
        for v in rows:
            # reduce-scatter: the owner receives vector v from every chip, in chip order
            for j, c in enumerate(chips):
                name = f"%s{v}_{c}"
                if c == owner:
                    bodies[owner] += [
                        f"{name} = mem.read @x[{v}] : {element}",
                        f"mem.write {name} -> @stage{j}[{v}]",
                    ]
                    continue
                bodies[c] += [
                    f"{name} = mem.read @x[{v}] : {element}",
                    f'c2c.send {name} to {owner} "rs{v}"',
                ]
                bodies[owner] += [
                    f'{name} = c2c.recv from {c} "rs{v}" : {element}',
                    f"mem.write {name} -> @stage{j}[{v}]",
                ]
            acc = f"%a{v}_0"
            bodies[owner].append(f"{acc} = mem.read @stage0[{v}] : {element}")
            for j in range(1, p):
                term, total = f"%t{v}_{j}", f"%a{v}_{j}"
                bodies[owner] += [
                    f"{term} = mem.read @stage{j}[{v}] : {element}",
                    f"{total} = vxm.add {acc}, {term} : {element}",
                ]
                acc = total
            bodies[owner].append(f"mem.write {acc} -> @y[{v}]")
            # all-gather: the sum to every other chip
            for c in chips:
                if c == owner:
                    continue
                out, got = f"%o{v}_{c}", f"%g{v}_{c}"
                bodies[owner] += [
                    f"{out} = mem.read @y[{v}] : {element}",
                    f'c2c.send {out} to {c} "ag{v}"',
                ]
                bodies[c] += [
                    f'{got} = c2c.recv from {owner} "ag{v}" : {element}',
                    f"mem.write {got} -> @y[{v}]",
                ]
    return _program(_system(system), bodies)


def all_gather(
    system: str, chips: Sequence[int], vectors: int, element: str = "f32"
) -> ModuleOp:
    """Every chip's input on every chip, stacked in chip order."""
    p = len(chips)
    lanes = 320
    bodies: dict[int, list[str]] = {c: [] for c in chips}
    for i, c in enumerate(chips):
        bodies[c] += [
            f"tensor @x : {vectors}x{lanes}x{element} input {i}",
            f"tensor @y : {p * vectors}x{lanes}x{element} output {i}",
        ]
    for i, src in enumerate(chips):
        for v in range(vectors):
            for dst in chips:
                value = f"%v{src}_{v}_{dst}"
                bodies[src].append(f"{value} = mem.read @x[{v}] : {element}")
                if dst == src:
                    bodies[src].append(f"mem.write {value} -> @y[{i * vectors + v}]")
                    continue
                bodies[src].append(f'c2c.send {value} to {dst} "g{src}"')
                bodies[dst] += [
                    f'{value} = c2c.recv from {src} "g{src}" : {element}',
                    f"mem.write {value} -> @y[{i * vectors + v}]",
                ]
    return _program(_system(system), bodies)


def broadcast(
    system: str, chips: Sequence[int], vectors: int, element: str = "f32"
) -> ModuleOp:
    """The first chip's input on every chip (output c on chip c)."""
    root = chips[0]
    bodies: dict[int, list[str]] = {c: [] for c in chips}
    bodies[root].append(f"tensor @x : {vectors}x320x{element} input 0")
    for i, c in enumerate(chips):
        bodies[c].append(f"tensor @y : {vectors}x320x{element} output {i}")
    for v in range(vectors):
        for c in chips:
            value = f"%v{v}_{c}"
            bodies[root].append(f"{value} = mem.read @x[{v}] : {element}")
            if c == root:
                bodies[root].append(f"mem.write {value} -> @y[{v}]")
                continue
            bodies[root].append(f'c2c.send {value} to {c} "b"')
            bodies[c] += [
                f'{value} = c2c.recv from {root} "b" : {element}',
                f"mem.write {value} -> @y[{v}]",
            ]
    return _program(_system(system), bodies)
