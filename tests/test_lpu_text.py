"""Property tests of the .lpu text form: random valid programs print back exactly
as written (the text is canonical), survive generic MLIR unchanged, and random
corruptions of them are either valid or rejected with a located error."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from io import StringIO
from random import Random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from xdsl.dialects.builtin import ModuleOp
from xdsl.printer import Printer

from lpuir.diagnostics import LpuError, verify_located
from lpuir.frontend import parse_source
from lpuir.grammar.parser import parse_lpu
from lpuir.grammar.printer import print_lpu

Draw = Callable[[st.SearchStrategy[Any]], Any]

WIDTH = {"i8": 1, "i16": 2, "i32": 4, "f16": 2, "bf16": 2, "f32": 4}
INTS = ("i8", "i16", "i32")
FLOATS = ("f16", "bf16", "f32")
ACCUMULATOR = {"i8": "i32", "f16": "f32", "bf16": "f32"}
K = {"i8": 320, "f16": 160, "bf16": 160}
DENSE = {
    "int": ["0", "1", "-7", "100"],
    "float": ["0.000000e+00", "1.000000e+00", "-2.500000e-01", "3.200000e+01"],
}
INFINITY = {"f32": "0x7f800000", "f16": "0x7c00", "bf16": "0xff80"}  # bit patterns
VXM_UNARY = {"neg": "any", "abs": "any", "copy": "any", "relu": "any", "not": "int"}
VXM_UNARY |= {
    op: "float"
    for op in ("exp", "log", "tanh", "sigmoid", "erf", "rsqrt", "reciprocal")
}
VXM_BINARY = {op: "any" for op in ("add", "sub", "mul", "div", "min", "max")}
VXM_BINARY |= {op: "int" for op in ("and", "or", "xor", "shl", "shr", "shru")}
VXM_BINARY["pow"] = "float"
NAME_CHARS = "abcxyzABZ019$.-"

# ------------------------------------------------------------------ programs


@dataclass
class Value:
    """An SSA value of the chip being written, and where it can be read from."""

    name: str
    element: str
    n: int = 1
    dst: str | None = None
    alu: int | None = None
    plane: str | None = None  # MXM plane of weights or accumulators ("" if logical)
    weights: bool = False


@dataclass
class Tensor:
    name: str
    element: str
    vectors: int


@dataclass
class ChipWriter:
    """Writes one chip's program in canonical .lpu text, choosing each
    instruction so that the verifier accepts it."""

    draw: Draw
    chip: int
    scheduled: bool
    tensors: list[Tensor] = field(default_factory=list)
    values: list[Value] = field(default_factory=list)
    tensor_lines: list[str] = field(default_factory=list)
    lines: list[tuple[int | None, str]] = field(default_factory=list)
    next_address: int = 0

    # --------------------------------------------------------------- pieces

    def new_name(self) -> str:
        """A name hint, or the number the printer gives a value without one."""
        hint = "v" + self.draw(st.text(NAME_CHARS, min_size=1, max_size=4))
        if self.draw(st.booleans()) and hint not in {v.name for v in self.values}:
            return hint
        return str(len(self.values))

    def stream(self, element: str) -> str:
        index = self.draw(st.integers(0, 32 - WIDTH[element]))
        return f"S{index}{self.draw(st.sampled_from('EW'))}"

    def define(self, value: Value) -> str:
        self.values.append(value)
        return f"%{value.name} = "

    def emit(self, body: str, cycle: int | None = None) -> None:
        if self.scheduled and cycle is None:
            cycle = self.draw(st.integers(0, 2000))
        self.lines.append((cycle, body))

    def pick(self, ok: Callable[[Value], bool]) -> Value | None:
        choices = [v for v in self.values if not v.weights and ok(v)]
        return self.draw(st.sampled_from(choices)) if choices else None

    def readable(self, v: Value, vxm: bool = False) -> bool:
        """Can an instruction take `v` as a stream operand (a VXM one may chain it)?"""
        return not self.scheduled or v.dst is not None or (vxm and v.alu is not None)

    def operand(self, v: Value, vxm: bool = False) -> str:
        if not self.scheduled:
            return f"%{v.name}"
        if v.dst is None or (vxm and v.alu is not None and self.draw(st.booleans())):
            return f"%{v.name}[alu {v.alu}]"
        return f"%{v.name}[{v.dst}]"

    def result(
        self, element: str, n: int, needs_dst: bool = True
    ) -> tuple[str | None, str]:
        """The destination stream (scheduled) and the `: T[n]` suffix."""
        dst = (
            self.stream(element)
            if self.scheduled and (needs_dst or self.draw(st.booleans()))
            else None
        )
        vtype = element if n == 1 else f"{element}[{n}]"
        return dst, (f" -> {dst}" if dst else "") + f" : {vtype}"

    # -------------------------------------------------------------- tensors

    def tensor(self) -> None:
        taken = {t.name for t in self.tensors}
        name = self.draw(
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_$.\-]{0,5}", fullmatch=True)
        )
        if name in taken:
            return
        element = self.draw(st.sampled_from(list(WIDTH)))
        dims = self.draw(st.lists(st.integers(1, 4), max_size=2))
        cols = self.draw(st.sampled_from([1, 5, 160, 320, 321, 640]))
        lanes = self.draw(st.none() | st.sampled_from([16, 100, 160, 320]))
        rows = 1
        for d in dims:
            rows *= d
        vectors = rows * -(-cols // (lanes or 320))
        kind = self.draw(st.sampled_from(["input", "output", "weight", "scratch"]))
        text = (
            f"tensor @{name} : {'x'.join([*map(str, dims), str(cols), element])} {kind}"
        )
        if kind in ("input", "output"):  # numbered 0..n-1, as the verifier wants
            text += f" {sum(f' {kind} ' in line for line in self.tensor_lines)}"
        if lanes is not None:
            text += f" lanes {lanes}"
        if self.scheduled or self.draw(st.booleans()):
            side = self.draw(st.sampled_from("WE"))
            text += f" at {side}{self.draw(st.integers(0, 44 - WIDTH[element]))} {self.next_address}"
            self.next_address += vectors
        if kind == "weight" and self.draw(st.booleans()):
            values = (
                DENSE["int"]
                if element in INTS
                else [*DENSE["float"], INFINITY[element]]
            )
            text += f" = dense<{self.draw(st.sampled_from(values))}>"
        self.tensors.append(Tensor(name, element, vectors))
        self.tensor_lines.append(text)

    # --------------------------------------------------------- instructions

    def read(self, n: int | None = None) -> Value | None:
        if not self.tensors:
            return None
        t = self.draw(st.sampled_from(self.tensors))
        n = n or self.draw(st.sampled_from([1, 1, 2, 3, 4, 16]))
        step = self.draw(st.none() | st.integers(0, 3))
        span = 1 + (n - 1) * (1 if step is None else step)
        if span > t.vectors:
            return None
        index = self.draw(st.integers(0, t.vectors - span))
        ref = f"@{t.name}[{index}" + (f" step {step}" if step is not None else "") + "]"
        dst, tail = self.result(t.element, n)
        value = Value(self.new_name(), t.element, n, dst)
        self.emit(f"{self.define(value)}mem.read {ref}{tail}")
        return value

    def write(self) -> None:
        v = self.pick(self.readable)
        targets = [t for t in self.tensors if v is not None and t.element == v.element]
        if v is None or not targets:
            return
        t = self.draw(st.sampled_from(targets))
        step = self.draw(st.none() | st.integers(1, 3))
        span = 1 + (v.n - 1) * (step or 1)
        if span > t.vectors:
            return
        index = self.draw(st.integers(0, t.vectors - span))
        ref = f"@{t.name}[{index}" + (f" step {step}" if step is not None else "") + "]"
        self.emit(f"mem.write {self.operand(v)} -> {ref}")

    def gather_or_scatter(self) -> None:
        idx = self.pick(lambda v: v.element in ("i16", "i32") and self.readable(v))
        if idx is None or not self.tensors:
            return
        t = self.draw(st.sampled_from(self.tensors))
        if self.draw(st.booleans()):
            dst, tail = self.result(t.element, idx.n)
            value = Value(self.new_name(), t.element, idx.n, dst)
            self.emit(
                f"{self.define(value)}mem.gather @{t.name}[{self.operand(idx)}]{tail}"
            )
            return
        v = self.pick(
            lambda v: v.element == t.element and v.n == idx.n and self.readable(v)
        )
        if v is not None:
            self.emit(
                f"mem.scatter {self.operand(v)} -> @{t.name}[{self.operand(idx)}]"
            )

    def vxm(self) -> None:
        form = self.draw(
            st.sampled_from(["unary", "binary", "cmp", "select", "convert"])
        )
        first = self.pick(lambda v: self.readable(v, vxm=True))
        if first is None:
            return

        def like(v: Value) -> bool:
            return (
                v.element == first.element
                and v.n == first.n
                and self.readable(v, vxm=True)
            )

        element = first.element
        if form in ("unary", "binary"):
            table = VXM_UNARY if form == "unary" else VXM_BINARY
            ops = [
                op
                for op, kind in table.items()
                if kind == "any" or (kind == "float") == (element in FLOATS)
            ]
            op = self.draw(st.sampled_from(ops))
            args = [first] if form == "unary" else [first, self.pick(like)]
        elif form == "cmp":
            predicate = self.draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]))
            op, args = f"cmp {predicate}", [first, self.pick(like)]
            element = self.draw(st.sampled_from(INTS))
        elif form == "select":
            if element not in INTS:
                return
            choice = self.pick(lambda v: v.n == first.n and self.readable(v, vxm=True))
            assert choice is not None
            on_false = self.pick(
                lambda v: (
                    v.element == choice.element
                    and v.n == first.n
                    and self.readable(v, vxm=True)
                )
            )
            op, args, element = "select", [first, choice, on_false], choice.element
        else:
            op, args, element = (
                "convert",
                [first],
                self.draw(st.sampled_from(list(WIDTH))),
            )
        assert all(a is not None for a in args)
        alu = self.draw(st.integers(0, 15)) if self.scheduled else None
        dst, tail = self.result(element, first.n, needs_dst=False)
        operands = ", ".join(self.operand(a, vxm=True) for a in args)  # type: ignore[arg-type]
        value = Value(self.new_name(), element, first.n, dst, alu)
        placement = f" alu {alu}" if alu is not None else ""
        self.emit(f"{self.define(value)}vxm.{op} {operands}{placement}{tail}")

    def sxm(self) -> None:
        x = (
            self.pick(lambda v: v.n % 16 == 0 and self.readable(v))
            if self.draw(st.booleans())
            else None
        )
        x = x or self.pick(self.readable)
        if x is None:
            return
        forms = ["shift", "rotate", "permute", "distribute"] + (
            ["transpose"] * 3 if x.n % 16 == 0 else []
        )
        form = self.draw(st.sampled_from(forms))
        if form == "shift":
            args = f"shift {self.draw(st.sampled_from(['north', 'south']))} {self.draw(st.integers(0, 400))} "
        elif form == "rotate":
            args = f"rotate {self.draw(st.integers(0, 400))} "
        elif form == "permute":
            offset = self.draw(st.integers(0, 319))
            args = f"permute [{', '.join(str((lane + offset) % 320) for lane in range(320))}] "
        elif form == "distribute":
            lanes = self.draw(st.lists(st.integers(0, 15), min_size=16, max_size=16))
            args = f"distribute [{', '.join(map(str, lanes))}] "
        else:
            args = "transpose "
        placement = f" on {self.draw(st.sampled_from('WE'))}" if self.scheduled else ""
        dst, tail = self.result(x.element, x.n)
        value = Value(self.new_name(), x.element, x.n, dst)
        self.emit(f"{self.define(value)}sxm.{args}{self.operand(x)}{placement}{tail}")

    def mxm(self) -> None:
        """A matmul on installed weights when there are some (mostly), else an install."""
        installed = [v for v in self.values if v.weights]
        if installed and self.draw(st.integers(0, 3)):
            weights = self.draw(st.sampled_from(installed))
            x = self.pick(lambda v: v.element == weights.element and self.readable(v))
            if x is None:
                return
            on = f" on {weights.plane}" if self.scheduled else ""
            acc_type = ACCUMULATOR[weights.element]
            accs = [
                v
                for v in self.values
                if v.plane == weights.plane
                and not v.weights
                and (v.element, v.n) == (acc_type, x.n)
            ]
            acc = (
                f" acc %{self.draw(st.sampled_from(accs)).name}"
                if accs and self.draw(st.booleans())
                else ""
            )
            dst, tail = self.result(acc_type, x.n, needs_dst=False)
            value = Value(self.new_name(), acc_type, x.n, dst, plane=weights.plane)
            self.emit(
                f"{self.define(value)}mxm.matmul %{weights.name}, {self.operand(x)}{acc}{on}{tail}"
            )
            return
        rows = [
            v
            for v in self.values
            if v.element in K and not v.weights and self.readable(v)
        ]
        if not rows:
            return
        element = self.draw(st.sampled_from(rows)).element
        same = [v for v in rows if v.element == element]
        chosen = self.draw(st.lists(st.sampled_from(same), min_size=1, max_size=3))
        if sum(v.n for v in chosen) > K[element]:
            return
        plane = (
            f"{self.draw(st.sampled_from('WE'))}.{self.draw(st.integers(0, 1))}"
            if self.scheduled
            else ""
        )
        value = Value(self.new_name(), element, plane=plane, weights=True)
        operands = ", ".join(self.operand(v) for v in chosen)
        on = f" on {plane}" if self.scheduled else ""
        self.emit(
            f"{self.define(value)}mxm.install {operands}{on} : weights<{element}>"
        )

    def bare(self) -> None:
        ops = ["icu.notify", "icu.sync", "c2c.deskew"]
        if not self.scheduled:
            ops.append(f"icu.nop {self.draw(st.integers(0, 99))}")
        self.emit(self.draw(st.sampled_from(ops)))

    def instruction(self) -> None:
        kind = self.draw(
            st.sampled_from(
                ["read", "write", "gather", "vxm", "vxm", "sxm", "mxm", "bare"]
            )
        )
        {
            "read": self.read,
            "write": self.write,
            "gather": self.gather_or_scatter,
            "vxm": self.vxm,
            "sxm": self.sxm,
            "mxm": self.mxm,
            "bare": self.bare,
        }[kind]()

    def text(self) -> str:
        cycles = [c for c, _ in self.lines if c is not None]
        width = max((len(str(c)) + 3 for c in cycles), default=0)
        body = [f"  {line}\n" for line in self.tensor_lines]
        body += [
            f"  {'' if c is None else f'@{c}'.ljust(width)}{line}\n"
            for c, line in self.lines
        ]
        return f"chip {self.chip} {{\n{''.join(body)}}}\n"


@dataclass
class Machine:
    """The system line and the links the network generator may use."""

    line: str
    chips: list[int]
    latency: int
    links: dict[
        tuple[int, int], tuple[int, int, int]
    ]  # (chip, to) -> (port, peer port, latency)


@st.composite
def machines(draw: Draw) -> Machine:
    kind = draw(st.sampled_from(["tsp-v1", "node8", "explicit"]))
    chip = draw(
        st.sampled_from(
            [
                "",
                ' with chip "tsp-v1"',
                ' with chip "tsp-v1" {delay_vxm = 3, delay_read = 1}',
            ]
        )
    )
    cycles = draw(st.sampled_from(["", " cycles 0", " cycles 12345"]))
    if kind == "tsp-v1":
        return Machine(f'system "tsp-v1"{chip}{cycles}', [0], 0, {})
    if kind == "explicit":
        port, peer, latency = (
            draw(st.integers(0, 15)),
            draw(st.integers(0, 15)),
            draw(st.integers(1, 500)),
        )
        line = (
            f'system "explicit" {{links = "0:{port}-1:{peer}@{latency}"}}{chip}{cycles}'
        )
        return Machine(
            line,
            [0, 1],
            latency,
            {(0, 1): (port, peer, latency), (1, 0): (peer, port, latency)},
        )
    latency = draw(st.sampled_from([217, 250]))
    overrides = f" {{local_latency = {latency}}}" if latency != 217 else ""
    chips = sorted(draw(st.sets(st.integers(0, 7), min_size=1, max_size=4)))
    links = {
        (a, b): ((b - a - 1) % 8, 6 - (b - a - 1) % 8, latency)
        for a in range(8)
        for b in range(8)
        if a != b
    }
    return Machine(f'system "node8"{overrides}{chip}{cycles}', chips, latency, links)


@st.composite
def programs(draw: Draw) -> str:
    """A random valid program in canonical .lpu text."""
    machine = draw(machines())
    scheduled = draw(st.booleans())
    writers = {c: ChipWriter(draw, c, scheduled) for c in machine.chips}
    for w in writers.values():
        for _ in range(draw(st.integers(int(scheduled), 3))):
            w.tensor()
        for _ in range(draw(st.integers(0, 3))):
            w.read()
        for _ in range(draw(st.integers(0, 12))):
            w.instruction()
    for k in range(draw(st.integers(0, 3)) if len(machine.chips) > 1 else 0):
        a, b = draw(st.permutations(machine.chips))[:2]
        send, receive = writers[a], writers[b]
        value = send.read(n=1)
        if value is None:
            continue
        channel = draw(st.sampled_from(["ch", "x y", "a\\b", "{}", ""]))
        vtype = value.element
        if not scheduled:
            send.emit(f'c2c.send {send.operand(value)} to {b} "{channel}"')
            receive.emit(
                f'{receive.define(Value(receive.new_name(), vtype))}c2c.recv from {a} "{channel}" : {vtype}'
            )
            continue
        # far apart, so that no two vectors arrive at one port at once
        cycle = 3000 + 1000 * k
        middle = [c for c in machine.chips if c not in (a, b)]
        hops = (
            [a, draw(st.sampled_from(middle)), b]
            if middle and draw(st.booleans())
            else [a, b]
        )
        send.emit(
            f'c2c.send {send.operand(value)} to {b} "{channel}" port {machine.links[(a, hops[1])][0]}',
            cycle,
        )
        for before, here, after in zip(hops, hops[1:-1], hops[2:], strict=False):
            _, in_port, latency = machine.links[(before, here)]
            cycle += latency
            writers[here].emit(
                f'c2c.forward "{channel}" port {in_port} -> port {machine.links[(here, after)][0]}',
                cycle,
            )
            cycle += 4  # delay_forward
        _, recv_port, latency = machine.links[(hops[-2], b)]
        dst = receive.stream(vtype)
        result = receive.define(Value(receive.new_name(), vtype, dst=dst))
        receive.emit(
            f'{result}c2c.recv from {a} "{channel}" port {recv_port} -> {dst} : {vtype}',
            cycle + latency,
        )
    return (
        machine.line + "\n" + "".join("\n" + writers[c].text() for c in machine.chips)
    )


# ------------------------------------------------------------------ properties


def _parse(text: str) -> ModuleOp:
    module = parse_lpu(text, "p.lpu")
    verify_located(module)
    return module


def _print(module: ModuleOp) -> str:
    out = StringIO()
    print_lpu(module, out)
    return out.getvalue()


@given(programs())
def test_canonical_text_prints_back_unchanged(text: str) -> None:
    assert _print(_parse(text)) == text


@given(programs())
def test_generic_mlir_round_trip(text: str) -> None:
    module = _parse(text)
    generic = StringIO()
    Printer(stream=generic, print_generic_format=True).print_op(module)
    back = parse_source(generic.getvalue(), "p.mlir", frontend="mlir")
    verify_located(back)
    assert back.is_structurally_equivalent(module)
    assert _print(back) == text


VOCABULARY = [
    "%",
    "@",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    ",",
    ":",
    "=",
    "-",
    ".",
    "0",
    "7",
    " ",
    "\n",
    "S",
    "E",
    "W",
    "x",
    '"',
    "/",
]
TOKENS = [
    "mem.read",
    "vxm.add",
    "sxm.shift",
    "mxm.install",
    "c2c.send",
    "->",
    "step",
    "port",
    "alu",
    "on",
    "lanes",
    "at",
    "weights<i8>",
    "f32[4]",
    "icu.nop",
    "S31E",
    "W.2",
    "%v",
    "@t",
]


# Positions are drawn from a seeded Random: hypothesis's integers favour small
# ones, and the corruptions should fall anywhere in the program.


def _delete_char(rnd: Random, text: str) -> str:
    i = rnd.randrange(len(text))
    return text[:i] + text[i + 1 :]


def _insert_char(rnd: Random, text: str) -> str:
    i = rnd.randrange(len(text))
    return text[:i] + rnd.choice(VOCABULARY) + text[i:]


def _replace_char(rnd: Random, text: str) -> str:
    i = rnd.randrange(len(text))
    return text[:i] + rnd.choice(VOCABULARY) + text[i + 1 :]


def _replace_token(rnd: Random, text: str) -> str:
    m = rnd.choice(list(re.finditer(r"\S+", text)))
    return text[: m.start()] + rnd.choice(["", *TOKENS]) + text[m.end() :]


def _change_number(rnd: Random, text: str) -> str:
    numbers = list(re.finditer(r"\d+", text))
    if not numbers:
        return text
    m = rnd.choice(numbers)
    # small, or too large for anything (a large tensor with a value is slow to build)
    new = str(rnd.choice([rnd.randrange(41), 2**64, 10**30]))
    return text[: m.start()] + new + text[m.end() :]


def _edit_lines(rnd: Random, text: str) -> str:
    lines = text.split("\n")
    i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
    how = rnd.choice(["swap", "delete", "duplicate"])
    if how == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "delete":
        del lines[i]
    else:
        lines.insert(j, lines[i])
    return "\n".join(lines)


MUTATIONS = [
    _delete_char,
    _insert_char,
    _replace_char,
    _replace_token,
    _change_number,
    _edit_lines,
]


@st.composite
def corrupted_programs(draw: Draw) -> str:
    text = draw(programs())
    rnd = draw(st.randoms(use_true_random=False))
    for _ in range(draw(st.integers(1, 3))):
        text = rnd.choice(MUTATIONS)(rnd, text)
    return text


@given(corrupted_programs())
def test_corrupted_text_is_valid_or_a_located_error(text: str) -> None:
    try:
        module = _parse(text)
    except LpuError as e:
        located = re.match(r"p\.lpu:(\d+):(\d+): error: \S", str(e))
        if (
            located is None
        ):  # an op without a position (none in parsed text) names itself
            assert re.match(r"'lpu\.[a-z.]+' op `", str(e)), str(e)
        else:
            assert 1 <= int(located.group(1)) <= text.count("\n") + 1, str(e)
        return
    printed = _print(module)
    assert _print(_parse(printed)) == printed
