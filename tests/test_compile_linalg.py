"""Differential test of lpu-compile on linalg and tensor programs, as MLIR
frontends emit them: random `linalg.generic` bodies over arith and math (with
broadcasting and transposing indexing maps, several results), reductions
(`linalg.reduce`, reduction generics into constant-free output maps), the
named contractions with mixed widths (i8 x i8 -> i32, f16 -> f32), the named
elementwise ops and `linalg.map`, and data movement (`linalg.transpose`,
`linalg.broadcast`, `tensor.extract_slice` with strides, `insert_slice`,
`pad`, `concat`, `collapse_shape`/`expand_shape`), each with `tensor.empty`
and `linalg.fill` inits. Every program is compiled, simulated and demanded
bit-equal with the reference interpreter in exactly the static cycle count
(`check` of tests/test_compile_random.py, with its special input values)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from test_compile_random import Program, check

from lpuir import numerics
from lpuir.frontend import parse_source

FLOATS = ("f32", "f16", "bf16")
INTS = ("i32", "i16", "i8")
DIMS = (1, 2, 3, 5, 17, 321)

FLOAT_BINARY = (
    "arith.addf",
    "arith.subf",
    "arith.mulf",
    "arith.divf",
    "arith.maximumf",
    "arith.minimumf",
    "arith.maxnumf",
    "arith.minnumf",
)
FLOAT_UNARY = (
    "arith.negf",
    "math.absf",
    "math.floor",
    "math.ceil",
    "math.trunc",
    "math.exp",
    "math.log",
    "math.tanh",
    "math.erf",
    "math.rsqrt",
)
INT_BINARY = (
    "arith.addi",
    "arith.subi",
    "arith.muli",
    "arith.andi",
    "arith.ori",
    "arith.xori",
    "arith.maxsi",
    "arith.minsi",
    "arith.maxui",
    "arith.minui",
    "arith.divsi",
    "arith.remsi",
    "arith.divui",
    "arith.remui",
    "arith.shli",
    "arith.shrsi",
    "arith.shrui",
)
INT_UNARY = ("math.absi",)
FLOAT_PREDICATES = (
    "oeq",
    "one",
    "olt",
    "ole",
    "ogt",
    "oge",
    "ueq",
    "une",
    "ult",
    "uno",
)
INT_PREDICATES = ("eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge")
FLOAT_COMBINERS = ("arith.addf", "arith.maximumf", "arith.minimumf", "arith.mulf")
INT_COMBINERS = (
    "arith.addi",
    "arith.maxsi",
    "arith.minsi",
    "arith.muli",
    "arith.andi",
    "arith.ori",
    "arith.xori",
)
NAMED_BINARY = (
    "linalg.add",
    "linalg.sub",
    "linalg.mul",
    "linalg.max",
    "linalg.min",
    "linalg.div",
)
NAMED_UNARY_FLOAT = (
    "linalg.exp",
    "linalg.abs",
    "linalg.negf",
    "linalg.floor",
    "linalg.ceil",
    "linalg.tanh",
    "linalg.log",
    "linalg.reciprocal",
    "linalg.square",
)


def tensor(shape: tuple[int, ...], t: str) -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{t}>" if shape else f"tensor<{t}>"


def constant(t: str, draw: st.DrawFn) -> str:
    """An arith.constant value of t (a literal MLIR parses)."""
    if numerics.is_float(t):
        return repr(float(draw(st.sampled_from([0.0, -0.0, 1.0, -2.5, 0.125, 7.0]))))
    info = np.iinfo(numerics.carrier(t))
    return str(draw(st.sampled_from([0, 1, -1, 3, int(info.min), int(info.max)])))


class Text:
    """A function's body being written: SSA names, arguments, lines."""

    def __init__(self) -> None:
        self.args: list[tuple[tuple[int, ...], str]] = []
        self.lines: list[str] = []
        self.names = itertools.count()

    def arg(self, shape: tuple[int, ...], t: str) -> str:
        self.args.append((shape, t))
        return f"%arg{len(self.args) - 1}"

    def fresh(self) -> str:
        return f"%v{next(self.names)}"

    def emit(self, line: str) -> str:
        name = self.fresh()
        self.lines.append(f"  {name} = {line}")
        return name

    def init(self, shape: tuple[int, ...], t: str, fill: str | None) -> str:
        """`tensor.empty`, filled with `fill` when given."""
        empty = self.emit(f"tensor.empty() : {tensor(shape, t)}")
        if fill is None:
            return empty
        c = self.emit(f"arith.constant {fill} : {t}")
        return self.emit(
            f"linalg.fill ins({c} : {t}) outs({empty} : {tensor(shape, t)}) -> {tensor(shape, t)}"
        )

    def program(self, results: list[tuple[str, tuple[int, ...], str]]) -> Program:
        params = ", ".join(
            f"%arg{i}: {tensor(s, t)}" for i, (s, t) in enumerate(self.args)
        )
        types = ", ".join(tensor(s, t) for _, s, t in results)
        names = ", ".join(n for n, _, _ in results)
        text = "\n".join(
            [
                f"func.func @main({params}) -> ({types}) {{",
                *self.lines,
                f"  func.return {names} : {types}",
                "}",
            ]
        )
        return Program(parse_source(text, "linalg_random.mlir"), list(self.args))


def body_ops(
    draw: st.DrawFn, t: str, operands: list[str], results: int
) -> tuple[list[str], list[str]]:
    """A generic's body: 1 to 4 ops over the block arguments (and what the
    earlier ops made), some comparisons feeding selects; `results` values yielded."""
    lines: list[str] = []
    pool = list(operands)
    floats = numerics.is_float(t)
    for k in range(draw(st.integers(1, 4))):
        name = f"%b{k}"
        kind = draw(
            st.sampled_from(["binary", "binary", "unary", "select", "constant"])
        )
        a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
        if kind == "binary":
            op = draw(st.sampled_from(FLOAT_BINARY if floats else INT_BINARY))
            lines.append(f"{name} = {op} {a}, {b} : {t}")
        elif kind == "unary":
            op = draw(st.sampled_from(FLOAT_UNARY if floats else INT_UNARY))
            lines.append(f"{name} = {op} {a} : {t}")
        elif kind == "select":
            cmp, predicates = (
                ("arith.cmpf", FLOAT_PREDICATES)
                if floats
                else ("arith.cmpi", INT_PREDICATES)
            )
            pred = draw(st.sampled_from(predicates))
            lines.append(f"{name}c = {cmp} {pred}, {a}, {b} : {t}")
            lines.append(f"{name} = arith.select {name}c, {b}, {a} : {t}")
        else:
            lines.append(f"{name}k = arith.constant {constant(t, draw)} : {t}")
            op = draw(st.sampled_from(FLOAT_BINARY if floats else INT_BINARY))
            lines.append(f"{name} = {op} {a}, {name}k : {t}")
        pool.append(name)
    yielded = [pool[-1]] + [draw(st.sampled_from(pool)) for _ in range(results - 1)]
    return lines, yielded


@st.composite
def generics(draw: st.DrawFn) -> Program:
    """An elementwise generic on a 2-d space: operands broadcast along either
    axis or read transposed, the result written straight or transposed, one or
    two results."""
    t = draw(st.sampled_from(FLOATS + INTS))
    r, c = draw(st.sampled_from(DIMS)), draw(st.sampled_from(DIMS))
    if r * c > 2000:
        r = 2
    f = Text()
    layouts = {
        "id": ((r, c), "(d0, d1)"),
        "row": ((c,), "(d1)"),
        "col": ((r,), "(d0)"),
        "transposed": ((c, r), "(d1, d0)"),
    }
    ins = ["id"] + [
        draw(st.sampled_from(list(layouts))) for _ in range(draw(st.integers(0, 2)))
    ]
    args = [f.arg(layouts[k][0], t) for k in ins]
    outs = [
        draw(st.sampled_from(["id", "transposed"]))
        for _ in range(draw(st.integers(1, 2)))
    ]
    inits = [f.init(layouts[k][0], t, None) for k in outs]
    block = [f"%a{i}" for i in range(len(ins))]
    lines, yielded = body_ops(draw, t, block, len(outs))
    maps = ", ".join(f"affine_map<(d0, d1) -> {layouts[k][1]}>" for k in ins + outs)
    out_types = [tensor(layouts[k][0], t) for k in outs]
    header = (
        f'linalg.generic {{indexing_maps = [{maps}], iterator_types = ["parallel", "parallel"]}} '
        f"ins({', '.join(args)} : {', '.join(tensor(layouts[k][0], t) for k in ins)}) "
        f"outs({', '.join(inits)} : {', '.join(out_types)}) {{"
    )
    bb = ", ".join(
        [f"{a}: {t}" for a in block] + [f"%o{i}: {t}" for i in range(len(outs))]
    )
    result = f.fresh()
    f.lines.append(f"  {result}:{len(outs)} = {header}")
    f.lines.append(f"  ^bb0({bb}):")
    f.lines.extend(f"    {line}" for line in lines)
    f.lines.append(
        f"    linalg.yield {', '.join(yielded)} : {', '.join([t] * len(outs))}"
    )
    f.lines.append(f"  }} -> ({', '.join(out_types)})")
    return f.program([(f"{result}#{i}", layouts[k][0], t) for i, k in enumerate(outs)])


@st.composite
def reductions(draw: st.DrawFn) -> Program:
    """`linalg.reduce` over a drawn set of dimensions, or a reduction generic,
    with a drawn combiner and a filled init (not only the combiner's identity)."""
    t = draw(st.sampled_from(FLOATS + INTS))
    shape = tuple(draw(st.sampled_from(DIMS)) for _ in range(draw(st.integers(2, 3))))
    while np.prod(shape) > 2000:
        shape = shape[1:]
    dims = sorted(
        draw(st.sets(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape)))
    )
    kept = tuple(d for i, d in enumerate(shape) if i not in dims)
    combiner = draw(
        st.sampled_from(FLOAT_COMBINERS if numerics.is_float(t) else INT_COMBINERS)
    )
    f = Text()
    x = f.arg(shape, t)
    init = f.init(kept, t, constant(t, draw))
    if draw(st.booleans()):
        r = f.emit(
            f"linalg.reduce ins({x} : {tensor(shape, t)}) outs({init} : {tensor(kept, t)}) "
            f"dimensions = [{', '.join(map(str, dims))}]\n"
            f"    (%in: {t}, %acc: {t}) {{\n"
            f"      %s = {combiner} %in, %acc : {t}\n"
            f"      linalg.yield %s : {t}\n"
            f"    }}"
        )
    else:
        space = ", ".join(f"d{i}" for i in range(len(shape)))
        out = ", ".join(f"d{i}" for i in range(len(shape)) if i not in dims)
        iterators = ", ".join(
            '"reduction"' if i in dims else '"parallel"' for i in range(len(shape))
        )
        r = f.emit(
            f"linalg.generic {{indexing_maps = [affine_map<({space}) -> ({space})>, "
            f"affine_map<({space}) -> ({out})>], iterator_types = [{iterators}]}} "
            f"ins({x} : {tensor(shape, t)}) outs({init} : {tensor(kept, t)}) {{\n"
            f"  ^bb0(%in: {t}, %acc: {t}):\n"
            f"    %s = {combiner} %acc, %in : {t}\n"
            f"    linalg.yield %s : {t}\n"
            f"  }} -> {tensor(kept, t)}"
        )
    return f.program([(r, kept, t)])


CONTRACTION_TYPES = (
    ("f16", "f32"),
    ("bf16", "f32"),
    ("f32", "f32"),
    ("i8", "i32"),
    ("f16", "f16"),
    ("i8", "i8"),
    ("i16", "i32"),
)


Shapes = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]
CONTRACTIONS: dict[str, Callable[[int, int, int, int], Shapes]] = {
    "linalg.matmul": lambda b, m, k, n: ((m, k), (k, n), (m, n)),
    "linalg.batch_matmul": lambda b, m, k, n: ((b, m, k), (b, k, n), (b, m, n)),
    "linalg.matvec": lambda b, m, k, n: ((m, k), (k,), (m,)),
    "linalg.vecmat": lambda b, m, k, n: ((k,), (k, n), (n,)),
    "linalg.dot": lambda b, m, k, n: ((k,), (k,), ()),
    "linalg.batch_matvec": lambda b, m, k, n: ((b, m, k), (b, k), (b, m)),
    "linalg.matmul_transpose_b": lambda b, m, k, n: ((m, k), (n, k), (m, n)),
    "linalg.matmul_transpose_a": lambda b, m, k, n: ((k, m), (k, n), (m, n)),
}
"""Named contractions: operand and result shapes from (batch, M, K, N)."""


@st.composite
def contractions(draw: st.DrawFn) -> Program:
    """A named contraction, operand and accumulator types drawn (mixed widths
    extend before they multiply), its init filled with a drawn constant."""
    t, acc = draw(st.sampled_from(CONTRACTION_TYPES))
    m, n = (draw(st.sampled_from((1, 2, 5, 33))) for _ in range(2))
    k = draw(st.sampled_from((1, 2, 5, 33, 321)))
    batch = draw(st.sampled_from((1, 2, 3)))
    name = draw(st.sampled_from(sorted(CONTRACTIONS)))
    shapes = CONTRACTIONS[name](batch, m, k, n)
    f = Text()
    a, b = f.arg(shapes[0], t), f.arg(shapes[1], t)
    init = f.init(
        shapes[2],
        acc,
        constant(acc, draw)
        if draw(st.booleans())
        else ("0" if acc[0] == "i" else "0.0"),
    )
    r = f.emit(
        f"{name} ins({a}, {b} : {tensor(shapes[0], t)}, {tensor(shapes[1], t)}) "
        f"outs({init} : {tensor(shapes[2], acc)}) -> {tensor(shapes[2], acc)}"
    )
    return f.program([(r, shapes[2], acc)])


@st.composite
def named_elementwise(draw: st.DrawFn) -> Program:
    """The named elementwise ops and `linalg.map`."""
    t = draw(st.sampled_from(FLOATS + INTS))
    shape = tuple(draw(st.sampled_from(DIMS)) for _ in range(draw(st.integers(1, 2))))
    if np.prod(shape) > 2000:
        shape = shape[1:]
    f = Text()
    x, y = f.arg(shape, t), f.arg(shape, t)
    ty = tensor(shape, t)
    init = f.init(shape, t, None)
    kind = draw(
        st.sampled_from(
            ["binary", "unary", "map"] if numerics.is_float(t) else ["binary", "map"]
        )
    )
    if kind == "binary":
        op = draw(st.sampled_from(NAMED_BINARY))
        r = f.emit(f"{op} ins({x}, {y} : {ty}, {ty}) outs({init} : {ty}) -> {ty}")
    elif kind == "unary":
        op = draw(st.sampled_from(NAMED_UNARY_FLOAT))
        r = f.emit(f"{op} ins({x} : {ty}) outs({init} : {ty}) -> {ty}")
    else:
        lines, (yielded,) = body_ops(draw, t, ["%p", "%q"], 1)
        body = "\n".join(f"      {line}" for line in lines)
        r = f.emit(
            f"linalg.map ins({x}, {y} : {ty}, {ty}) outs({init} : {ty})\n"
            f"    (%p: {t}, %q: {t}) {{\n{body}\n      linalg.yield {yielded} : {t}\n    }}"
        )
    return f.program([(r, shape, t)])


@st.composite
def movements(draw: st.DrawFn) -> Program:
    """Data movement: transposes of any permutation, broadcasts, strided
    slices, inserts, pads, concats, reshapes."""
    t = draw(st.sampled_from(FLOATS + INTS + ("i1",)))
    shape = tuple(draw(st.sampled_from(DIMS)) for _ in range(3))
    while np.prod(shape) > 2000:
        shape = (1, *shape[1:]) if shape[0] != 1 else (1, 1, shape[2])
    f = Text()
    x = f.arg(shape, t)
    kind = draw(
        st.sampled_from(
            [
                "transpose",
                "broadcast",
                "slice",
                "insert",
                "pad",
                "concat",
                "collapse",
                "expand",
            ]
        )
    )
    if kind == "transpose":
        perm = draw(st.permutations(range(3)))
        out = tuple(shape[p] for p in perm)
        init = f.init(out, t, None)
        r = f.emit(
            f"linalg.transpose ins({x} : {tensor(shape, t)}) outs({init} : {tensor(out, t)}) "
            f"permutation = [{', '.join(map(str, perm))}]"
        )
    elif kind == "broadcast":
        dim = draw(st.integers(0, 3))
        size = draw(st.sampled_from((1, 2, 7)))
        out = (*shape[:dim], size, *shape[dim:])
        init = f.init(out, t, None)
        r = f.emit(
            f"linalg.broadcast ins({x} : {tensor(shape, t)}) outs({init} : {tensor(out, t)}) dimensions = [{dim}]"
        )
    elif kind in ("slice", "insert"):
        offsets, sizes, strides = [], [], []
        for d in shape:
            o = draw(st.integers(0, d - 1))
            s = draw(st.integers(1, 3))
            n = draw(st.integers(1, (d - 1 - o) // s + 1))
            offsets.append(o), sizes.append(n), strides.append(s)
        part = tuple(sizes)
        attrs = f"[{', '.join(map(str, offsets))}] [{', '.join(map(str, sizes))}] [{', '.join(map(str, strides))}]"
        if kind == "slice":
            r = f.emit(
                f"tensor.extract_slice {x}{attrs} : {tensor(shape, t)} to {tensor(part, t)}"
            )
            out = part
        else:
            y = f.arg(part, t)
            r = f.emit(
                f"tensor.insert_slice {y} into {x}{attrs} : {tensor(part, t)} into {tensor(shape, t)}"
            )
            out = shape
    elif kind == "pad":
        lo = [draw(st.integers(0, 2)) for _ in shape]
        hi = [draw(st.integers(0, 2)) for _ in shape]
        out = tuple(d + a + b for d, a, b in zip(shape, lo, hi, strict=True))
        value = "1" if t == "i1" else constant(t, draw)
        r = f.emit(
            f"tensor.pad {x} low[{', '.join(map(str, lo))}] high[{', '.join(map(str, hi))}] {{\n"
            f"  ^bb0({', '.join(f'%i{i}: index' for i in range(3))}):\n"
            f"    %pad = arith.constant {value} : {t}\n"
            f"    tensor.yield %pad : {t}\n"
            f"  }} : {tensor(shape, t)} to {tensor(out, t)}"
        )
    elif kind == "concat":
        dim = draw(st.integers(0, 2))
        other = tuple(
            draw(st.sampled_from((1, 3))) if i == dim else d
            for i, d in enumerate(shape)
        )
        y = f.arg(other, t)
        out = tuple(
            d + e if i == dim else d
            for i, (d, e) in enumerate(zip(shape, other, strict=True))
        )
        r = f.emit(
            f"tensor.concat dim({dim}) {x}, {y} : ({tensor(shape, t)}, {tensor(other, t)}) -> {tensor(out, t)}"
        )
    elif kind == "collapse":
        first = draw(st.booleans())
        groups = "[[0, 1], [2]]" if first else "[[0], [1, 2]]"
        out = (
            (shape[0] * shape[1], shape[2])
            if first
            else (shape[0], shape[1] * shape[2])
        )
        r = f.emit(
            f"tensor.collapse_shape {x} {groups} : {tensor(shape, t)} into {tensor(out, t)}"
        )
    else:
        split = draw(st.sampled_from([d for d in (1, 2, 3, 5) if shape[2] % d == 0]))
        out = (*shape[:2], split, shape[2] // split)
        r = f.emit(
            f"tensor.expand_shape {x} [[0], [1], [2, 3]] output_shape [{', '.join(map(str, out))}] "
            f": {tensor(shape, t)} into {tensor(out, t)}"
        )
    return f.program([(r, out, t)])


@given(
    st.one_of(
        generics(), reductions(), contractions(), named_elementwise(), movements()
    ),
    st.integers(0, 2**16),
)
def test_random_linalg_programs_compile_bit_exact(program: Program, seed: int) -> None:
    check(program, seed)
