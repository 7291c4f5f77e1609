"""The ONNX backend node tests of the transformer op set, imported with
`lpuir.import_onnx` and run on the reference interpreter (and, with
--compiled, compiled with lpu-compile and simulated): pass rates per op.

    python benchmarks/onnx_node_tests.py                 # reference, per op
    python benchmarks/onnx_node_tests.py --compiled      # + compiled, bit-exact
    python benchmarks/onnx_node_tests.py --ops Add,MatMul --failures

The cases are the generators the `onnx` wheel ships
(`onnx.backend.test.case.node`), run with numpy's random seed 0 so their
random inputs are the same every run. An input that an op needs at import
(a shape, axes, bounds: lpuir compiles static shapes) is bound to the
case's value (`input_values`); the other inputs are the program's
arguments. A case passes on the reference when
every output has the expected shape and element type and is within the
case's own tolerance (`rtol`, `atol`, as ONNX's backend runner compares:
integers and booleans exactly). It passes compiled when the compiled
program's outputs equal the reference's bit for bit. A failing case is put
in one category: `type` (an element type the numerics spec does not
compute: f64, f8, f4, int4, int2, strings), `importer` (the importer rejects
an op form), `reference` (the reference interpreter cannot run what the
importer made), `mismatch` (values outside the tolerance), `crash` (a bug);
the compiled half reports `compiler`, `simulator` or `mismatch`. docs/onnx.md has the
table and what fails and why.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import traceback
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

OP_SET: tuple[str, ...] = tuple(
    [
        "MatMul",
        "Gemm",
        "MatMulInteger",
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Pow",
        "Neg",
        "Abs",
        "Sqrt",
        "Reciprocal",
        "Exp",
        "Log",
        "Tanh",
        "Sigmoid",
        "Erf",
        "Relu",
        "Gelu",
        "Max",
        "Min",
        "Clip",
        "Where",
        "Equal",
        "Less",
        "Greater",
        "LessOrEqual",
        "GreaterOrEqual",
        "And",
        "Or",
        "Xor",
        "Not",
        "Cast",
        "Reshape",
        "Flatten",
        "Squeeze",
        "Unsqueeze",
        "Transpose",
        "Concat",
        "Split",
        "Slice",
        "Gather",
        "Expand",
        "Tile",
        "Pad",
        "ReduceSum",
        "ReduceMean",
        "ReduceMax",
        "ReduceMin",
        "ReduceProd",
        "Softmax",
        "LogSoftmax",
        "LayerNormalization",
        "RMSNormalization",
        "RotaryEmbedding",
        "Attention",
        "Trilu",
        "Range",
        "Shape",
        "ConstantOfShape",
        "Constant",
        "QuantizeLinear",
        "DequantizeLinear",
        "Einsum",
    ]
)
"""The transformer op set of issue 18: every node test of these is run."""

KNOWN_FAILURES: dict[str, tuple[str, str]] = {
    r"_cast_FLOAT(16)?_to_INT[24]$": (
        "mismatch",
        "out-of-range floats to int4/int2: ONNX leaves them undefined, the test expects ml_dtypes' 0, lpuir saturates as tosa.cast does",
    ),
    r"_cast_e8m0_FLOAT(16)?_to_FLOAT8E8M0$": (
        "importer",
        "Cast to FLOAT8E8M0 with round_mode 'up': lpuir's casts round to nearest even",
    ),
    r"_string": ("type", "strings are not tensors lpuir computes with"),
    r"DOUBLE|float64|_einsum_(transpose|sum|inner_prod|batch_matmul|scalar)$|local_window_gqa_rank4_mask": (
        "type",
        "f64 (the einsum cases' inputs, softmax_precision=DOUBLE): the importer emits it, the reference does not compute it yet",
    ),
    r"_einsum_batch_diagonal$": (
        "importer",
        "Einsum with a repeated subscript (a diagonal) is not converted",
    ),
    r"_pow_types_int(32|64)_": (
        "importer",
        "Pow of an integer base: TOSA's pow takes floats, and integer powers through floats are not exact",
    ),
    r"_range_.*_expanded$": (
        "importer",
        "Range's function body is a Loop, which the importer does not convert (Range itself is)",
    ),
    r"_attention_4d.*fp16(_expanded)?$": (
        "mismatch",
        "f16 attention: lpuir and ONNX's numpy reference round f16 at different steps (both within ~1e-3 of the exact value, the tolerance is rtol 1e-3)",
    ),
}
"""Test name pattern -> (category, why): every failing case is one of these
(tests/test_onnx_node.py checks it); docs/onnx.md lists them."""


def known_failure(name: str) -> tuple[str, str] | None:
    """The category and reason a case is documented to fail with, if any."""
    return next(
        (v for pattern, v in KNOWN_FAILURES.items() if re.search(pattern, name)), None
    )


@dataclass
class Outcome:
    """One node test's result."""

    name: str
    op: str
    reference: bool
    category: str | None = None
    """Why it failed: importer, reference, mismatch (None when it passed)."""
    detail: str = ""
    compiled: bool | None = None
    """Compiled and simulated bit-exact against the reference (None: not tried)."""
    compiled_detail: str = ""


def cases(ops: Sequence[str], expanded: bool = False) -> list[tuple[str, object]]:
    """(op, case) for the node tests of `ops`, their random inputs drawn with
    seed 0; with `expanded`, the function-expanded variants of those tests
    instead (the op written as the ops of its ONNX function)."""
    import onnx.backend.test.case.node as node

    np.random.seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generators' own numpy warnings
        collected = node.collect_testcases()
    direct = {
        c.name: c.model.graph.node[0].op_type  # type: ignore[attr-defined]
        for c in collected
        if "_expanded" not in c.name  # type: ignore[attr-defined]
    }
    found = []
    for c in collected:
        base = re.sub(r"_expanded(_ver\d+)?$", "", c.name)  # type: ignore[attr-defined]
        op = direct.get(base)
        if op in ops and (base != c.name) == expanded:  # type: ignore[attr-defined]
            found.append((op, c))
    return found


def _array(value: object) -> np.ndarray:
    """A test value (an array or a TensorProto) as a numpy array."""
    import onnx

    if isinstance(value, onnx.TensorProto):
        return onnx.numpy_helper.to_array(value)
    return np.asarray(value)


def _carried(value: object) -> np.ndarray:
    """A test value in the numerics carrier lpuir takes: bf16 and the 8-, 6-
    and 4-bit floats as float32, 4- and 2-bit integers as int8/uint8 (the
    `ml_dtypes` types ONNX reads them as)."""
    array = _array(value)
    if array.dtype.kind == "V" or array.dtype.name == "bfloat16":
        name = array.dtype.name
        if name.startswith(("int", "uint")):
            return array.astype(np.uint8 if name.startswith("u") else np.int8)
        return array.astype(np.float32)
    return array


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> str | None:
    """None when `got` matches `want` as ONNX's backend runner compares."""
    want = _carried(want)
    if got.shape != want.shape:
        return f"shape {got.shape}, expected {want.shape}"
    if want.dtype.kind in "fc":
        try:
            np.testing.assert_allclose(
                got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol
            )
        except AssertionError as e:
            lines = [
                line
                for line in str(e).splitlines()
                if "Mismatched" in line or "Max" in line
            ]
            return "; ".join(line.strip() for line in lines)
        return None
    if not np.array_equal(got.astype(want.dtype), want):
        bad = int(np.count_nonzero(got.astype(want.dtype) != want))
        return f"{bad} of {want.size} elements differ"
    return None


def run_case(op: str, case: object, compiled: bool = False) -> Outcome:
    """Import, run on the reference, compare; then optionally compile. An
    exception that is not an lpuir error (a bug) is the category `crash`."""
    try:
        return _run_case(op, case, compiled)
    except Exception:
        name = case.name  # type: ignore[attr-defined]
        detail = traceback.format_exc().strip().splitlines()[-1]
        return Outcome(name, op, False, "crash", detail)


def _run_case(op: str, case: object, compiled: bool) -> Outcome:
    from lpuir import api
    from lpuir.diagnostics import LpuError
    from lpuir.interpreter.reference import ReferenceError
    from lpuir.onnx import OnnxImportError, import_onnx
    from lpuir.onnx.importer import NotKnownError

    model = case.model  # type: ignore[attr-defined]
    name = case.name  # type: ignore[attr-defined]
    ((inputs, expected),) = case.data_sets  # type: ignore[attr-defined]
    names = [i.name for i in model.graph.input]
    bound: dict[str, np.ndarray] = {}
    while True:
        try:
            module = import_onnx(model, input_values=bound, source=name)
            break
        except NotKnownError as e:
            if e.value not in names or e.value in bound:
                return Outcome(name, op, False, "importer", _first_line(e))
            bound[e.value] = _array(inputs[names.index(e.value)])
        except OnnxImportError as e:
            category = "type" if _is_type_gap(e) else "importer"
            return Outcome(name, op, False, category, _first_line(e))
    carried = [
        _carried(x) for n, x in zip(names, inputs, strict=False) if n not in bound
    ]
    try:
        outputs = api.run(module, carried).outputs
    except (ReferenceError, LpuError) as e:
        category = "type" if _is_type_gap(e) else "reference"
        return Outcome(name, op, False, category, _first_line(e))
    for i, (got, want) in enumerate(zip(outputs, expected, strict=True)):
        problem = _close(got, want, case.rtol, case.atol)  # type: ignore[attr-defined]
        if problem is not None:
            return Outcome(name, op, False, "mismatch", f"output {i}: {problem}")
    outcome = Outcome(name, op, True)
    if compiled:
        outcome.compiled, outcome.compiled_detail = _compiled(module, carried, outputs)
    return outcome


def _compiled(
    module: object, inputs: list[np.ndarray], reference: list[np.ndarray]
) -> tuple[bool, str]:
    """lpu-compile{system=tsp-v1}, simulate, compare bit for bit."""
    from lpuir import api
    from lpuir.compare import bits_equal

    try:
        compiled = api.compile_module(module).module  # type: ignore[arg-type]
    except Exception as e:  # the compiler's gaps (and its crashes) are reported
        return False, f"compiler: {_first_line(e)}"
    wanted = api.signature(compiled).inputs
    shaped = [  # a rank-0 argument is a tensor<1x..> in the LPU program
        x.reshape(shape) if x.size == int(np.prod(shape)) else x
        for x, (shape, _) in zip(inputs, wanted, strict=False)
    ]
    try:
        outputs = api.run(compiled, shaped).outputs
    except Exception as e:
        return False, f"simulator: {_first_line(e)}"
    for i, (got, want) in enumerate(zip(outputs, reference, strict=True)):
        if want.ndim == 0 and got.size == 1:  # a rank-0 result is a tensor<1x..>
            got = got.reshape(())
        if got.shape != want.shape or not bool(np.all(bits_equal(got, want))):
            return False, f"mismatch: output {i} differs from the reference"
    return True, ""


def _is_type_gap(e: BaseException) -> bool:
    """An element type the numerics spec does not compute (f64, f8, f4, int4,
    int2, strings): the importer or the reference says so."""
    text = str(e)
    return "f64" in text or ("element type" in text and "is not supported" in text)


def _first_line(e: BaseException) -> str:
    from lpuir.diagnostics import LpuError

    text = str(e).strip()
    if not isinstance(e, LpuError):
        text = f"{type(e).__name__}: {text}"
    return (text.splitlines() or [""])[0][:300]


def table(outcomes: Sequence[Outcome], compiled: bool) -> str:
    """Per-op pass rates, then the totals."""
    by_op: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_op[o.op].append(o)
    head = f"{'op':<20} {'tests':>5} {'reference':>10}" + (
        f" {'compiled':>9}" if compiled else ""
    )
    rows = [head]
    for op in sorted(by_op):
        group = by_op[op]
        passed = sum(o.reference for o in group)
        row = f"{op:<20} {len(group):>5} {passed:>10}"
        if compiled:
            row += f" {sum(bool(o.compiled) for o in group):>9}"
        rows.append(row)
    total = len(outcomes)
    passed = sum(o.reference for o in outcomes)
    rows.append(
        f"{'total':<20} {total:>5} {passed:>10}"
        + (f" {sum(bool(o.compiled) for o in outcomes):>9}" if compiled else "")
    )
    rows.append(f"reference: {passed}/{total} = {passed / max(total, 1):.1%}")
    if compiled:
        done = sum(bool(o.compiled) for o in outcomes)
        rows.append(f"compiled: {done}/{total} = {done / max(total, 1):.1%}")
    if compiled:
        why = Counter(
            o.compiled_detail.split(":")[0]
            for o in outcomes
            if o.reference and not o.compiled
        )
        rows.append(
            "not compiled: "
            + (", ".join(f"{k} {v}" for k, v in sorted(why.items())) or "none")
        )
    reasons = Counter(o.category for o in outcomes if o.category)
    rows.append(
        "failures: "
        + (", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none")
    )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ops", help="comma-separated op types (default: the op set)")
    p.add_argument(
        "--expanded", action="store_true", help="the function-expanded variants instead"
    )
    p.add_argument(
        "--compiled",
        action="store_true",
        help="also compile (tsp-v1) and simulate the passing cases",
    )
    p.add_argument(
        "--failures", action="store_true", help="list each failing case and why"
    )
    p.add_argument("--json", metavar="OUT.json", help="write every outcome as JSON")
    args = p.parse_args(argv)
    ops = args.ops.split(",") if args.ops else list(OP_SET)
    start = time.perf_counter()
    outcomes = [run_case(op, c, args.compiled) for op, c in cases(ops, args.expanded)]
    print(table(outcomes, args.compiled))
    if args.failures:
        for o in outcomes:
            if not o.reference:
                print(f"{o.name}: {o.category}: {o.detail}")
            elif args.compiled and not o.compiled:
                print(f"{o.name}: compiled: {o.compiled_detail}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([asdict(o) for o in outcomes], f, indent=1)
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
