"""The simulator and the reference interpreter against stock xDSL's `xdsl-run`.

One program, y = ((x * c0) + c1) * c2 + ... on rows x 320 f32 tensors, in two
spellings: linalg.mul / linalg.add on tensors (which xdsl-run's interpreter
executes) and tosa.mul / tosa.add (which lpu-compile lowers). Timed, each on
the same inputs (parse and compile excluded):
- xdsl-run: xDSL's Interpreter with all its implementations registered, called
  on @main as `xdsl-run` calls it, inputs as its ShapedArrays (in-process: the
  xdsl-run command line cannot pass tensor arguments, xDSL 0.74 has no
  attribute-to-value conversion for tensor types);
- lpuir's reference interpreter on the same linalg text (`lpu-run` on it);
- the cycle-level simulator on the compiled tosa program;
- numpy.
All four results are compared bit for bit (f32 products and sums rounded once
are exact in Python's float64 before xDSL rounds them to f32).

Run: python benchmarks/sim_vs_xdsl.py [--quick]
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from benchlib import Ratio, best_of, compile_text, quick_main
from xdsl.interpreter import Interpreter
from xdsl.interpreters import register_implementations
from xdsl.interpreters.shaped_array import ShapedArray
from xdsl.interpreters.utils.ptr import TypedPtr
from xdsl.tools.xdsl_run import xDSLRunMain

from lpuir.frontend import parse_source
from lpuir.interpreter.reference import run_function
from lpuir.interpreter.simulator import simulate


def program(rows: int, ops: int, dialect: str) -> str:
    """The chain in `linalg` or `tosa` spelling; args %x, %c0 .. %c{ops-1}."""
    t = f"tensor<{rows}x320xf32>"
    args = ", ".join(["%x: " + t] + [f"%c{i}: {t}" for i in range(ops)])
    lines = [f"func.func @main({args}) -> {t} {{"]
    if dialect == "tosa":
        lines.append(
            '  %s = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>'
        )
    v = "%x"
    for i in range(ops):
        kind = "mul" if i % 2 == 0 else "add"
        if dialect == "linalg":
            lines.append(f"  %e{i} = tensor.empty() : {t}")
            lines.append(
                f"  %v{i} = linalg.{kind} ins({v}, %c{i} : {t}, {t}) outs(%e{i} : {t}) -> {t}"
            )
        elif kind == "mul":
            lines.append(
                f"  %v{i} = tosa.mul {v}, %c{i}, %s : ({t}, {t}, tensor<1xi8>) -> {t}"
            )
        else:
            lines.append(f"  %v{i} = tosa.add {v}, %c{i} : ({t}, {t}) -> {t}")
        v = f"%v{i}"
    lines += [f"  return {v} : {t}", "}"]
    return "\n".join(lines)


def xdsl_runner(text: str) -> Callable[[list[np.ndarray]], np.ndarray]:
    """A function that runs @main of `text` as xdsl-run does (xdsl-run's own
    context and implementations) and gives its result as a numpy array."""
    main = xDSLRunMain(args=["-"])
    module = parse_source(text, "chain.mlir", ctx=main.ctx)
    interpreter = Interpreter(module)
    register_implementations(interpreter, main.ctx)
    op = interpreter.get_op_for_symbol("main")

    def run(inputs: list[np.ndarray]) -> np.ndarray:
        args = tuple(
            ShapedArray(TypedPtr.new_float32(a.ravel().tolist()), list(a.shape))
            for a in inputs
        )
        (result,) = interpreter.call_op(op, args)
        return np.array(result.data, dtype=np.float32).reshape(inputs[0].shape)

    return run


def run(quick: bool) -> list[Ratio]:
    """run_all's entry: simulator / xdsl-run and reference / xdsl-run."""
    rows, ops = (8, 4) if quick else (32, 8)
    rng = np.random.default_rng(0)
    inputs = [
        rng.standard_normal((rows, 320)).astype(np.float32) for _ in range(ops + 1)
    ]
    linalg_text, tosa_text = program(rows, ops, "linalg"), program(rows, ops, "tosa")
    xdsl = xdsl_runner(linalg_text)
    linalg_module = parse_source(linalg_text, "chain.mlir")
    compiled = compile_text(tosa_text, "chain.mlir")

    def numpy_chain() -> np.ndarray:
        v = inputs[0]
        for i, c in enumerate(inputs[1:]):
            v = v * c if i % 2 == 0 else v + c
        return v

    runners: dict[str, Callable[[], np.ndarray]] = {
        "xdsl-run (linalg)": lambda: xdsl(inputs),
        "lpuir reference (linalg)": lambda: run_function(linalg_module, None, inputs)[
            0
        ],
        "simulator (compiled tosa)": lambda: simulate(compiled, inputs).outputs[0],
        "numpy": numpy_chain,
    }
    expected = numpy_chain()
    print(
        f"program: {ops} elementwise ops on {rows}x320 f32 ({ops * rows * 320} element ops)"
    )
    print(f"{'runner':28} {'s':>10} {'/ xdsl-run':>11}  result")
    seconds: dict[str, float] = {}
    for name, fn in runners.items():
        start = time.perf_counter()
        result = fn()
        first = time.perf_counter() - start
        seconds[name] = min(first, best_of(fn, 1 if name.startswith("xdsl") else 3))
        same = "bit-exact" if np.array_equal(result, expected) else "DIFFERS"
        ratio = seconds[name] / seconds["xdsl-run (linalg)"]
        print(f"{name:28} {seconds[name]:10.5f} {ratio:11.4f}  {same}")
    base = seconds["xdsl-run (linalg)"]
    return [
        Ratio(
            "sim-xdsl",
            f"simulator / xdsl-run, {ops} ops on {rows}x320 f32",
            seconds["simulator (compiled tosa)"] / base,
            "sim s / xdsl-run s",
        ),
        Ratio(
            "sim-xdsl",
            "lpuir reference / xdsl-run, same linalg program",
            seconds["lpuir reference (linalg)"] / base,
            "reference s / xdsl-run s",
        ),
    ]


def main() -> None:
    quick_main(run, __doc__, "a smaller program")


if __name__ == "__main__":
    main()
