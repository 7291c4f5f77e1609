"""Bad input never crashes, hangs or destroys (issue 20, section 2): each case a
fuzz campaign found, and its kin, ends in one located error and exit 1 (or 2
for command-line usage), within a time limit, leaving the user's files as
they were."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tool_runs import run_tool  # tests/ is on sys.path (no __init__.py)

from lpuir import frontend
from lpuir.tools import lpu_generate, lpu_opt, lpu_run

ROOT = Path(__file__).resolve().parent.parent
VXM_ADD = ROOT / "examples" / "lpu" / "vxm_add.lpu"
SOFTMAX = ROOT / "examples" / "compile" / "softmax.mlir"
ADD_INPUTS = ["--input", "4x320xf32=1", "--input", "4x320xf32=2"]


def _fails(tool, argv: list[str], *messages: str, code: int = 1) -> str:
    """The tool exits `code` with one message on stderr containing each of
    `messages`, and no traceback."""
    got, _, err = run_tool(tool, argv, seconds=30)
    assert got == code, err
    assert "Traceback" not in err and "internal error" not in err, err
    for message in messages:
        assert message in err, err
    return err


def _const(values: str, type_: str) -> str:
    return f'func.func @f() -> {type_} {{\n  %0 = "tosa.const"() <{{values = {values} : {type_}}}> : () -> {type_}\n  return %0 : {type_}\n}}\n'


def _file(tmp_path: Path, text: str, name: str = "bad.mlir") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize("tail", [28, 200])
def test_an_unterminated_string_fails_at_once(tmp_path: Path, tail: int) -> None:
    # xDSL's string pattern backtracked exponentially: 6 s at 28 characters
    text = 'func.func @f() {\n  %0 = "tosa.const()<' + "v" * tail + "\n}\n"
    _fails(lpu_opt.main, [_file(tmp_path, text)], "bad.mlir:2:8: error: ")


@pytest.mark.parametrize(
    ("type_", "value"),
    [("tensor<99999999999999999999xf16>", "1.0"), ("tensor<2147483648xi8>", "1")],
)
def test_a_huge_splat_is_refused_at_its_literal(
    tmp_path: Path, type_: str, value: str
) -> None:
    path = _file(tmp_path, _const(f"dense<{value}>", type_))
    _fails(lpu_opt.main, [path], "bad.mlir:2:39: error: a splat of", "1 GiB")


def test_a_large_splat_is_expanded_as_bytes(tmp_path: Path) -> None:
    # 16 M elements: xDSL's list of Python ints took 10 s and 500 MB
    module = frontend.parse_source(
        _const("dense<-3>", "tensor<16777216xi8>"), "big.mlir"
    )
    attr = next(op for op in module.walk() if op.name == "tosa.const").properties[
        "values"
    ]
    data = np.frombuffer(attr.data.data, np.int8)
    assert data.shape == (1 << 24,) and bool(np.all(data == -3))
    hex_splat = frontend.parse_source(
        _const('dense<"0x003C">', "tensor<3xf16>"), "h.mlir"
    )
    attr = next(op for op in hex_splat.walk() if op.name == "tosa.const")
    assert list(attr.properties["values"].get_values()) == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("values", "type_", "column", "message"),
    [
        ("dense<3.0e38>", "tensor<4xf16>", 40, "3.0e38 does not fit in f16"),
        ("dense<[1.0, 3.5e38]>", "tensor<2xbf16>", 46, "3.5e38 does not fit in bf16"),
        ("dense<1.0e400>", "tensor<2xf64>", 40, "1.0e400 does not fit in f64"),
        ("dense<[1, 300]>", "tensor<2xi8>", 44, "300 does not fit in i8"),
        (
            "dense<0x12345>",
            "tensor<2xf16>",
            40,
            "0x12345 is not a 16-bit pattern of f16",
        ),
    ],
)
def test_a_dense_value_its_type_cannot_hold_is_an_error_at_the_value(
    tmp_path: Path, values: str, type_: str, column: int, message: str
) -> None:
    path = _file(tmp_path, _const(values, type_))
    _fails(lpu_opt.main, [path], f"bad.mlir:2:{column}: error: {message}")


def test_bit_patterns_of_every_float_read_back(tmp_path: Path) -> None:
    # 0xFFFF is a NaN; xDSL 0.74 read it as the integer 65535, past f16's range
    module = frontend.parse_source(
        _const("dense<[0x7C00, 0xFC00, 0xFFFF, 0x3C00]>", "tensor<4xf16>"), "p.mlir"
    )
    attr = next(op for op in module.walk() if op.name == "tosa.const")
    got = np.frombuffer(attr.properties["values"].data.data, np.uint16)
    assert got.tolist()[:2] == [0x7C00, 0xFC00] and got[3] == 0x3C00
    assert np.isnan(got.view(np.float16)[2])


@pytest.mark.parametrize(
    "line",
    [
        "%0 = arith.constant 3.0e38 : f16",
        "%0 = arith.constant 3.4e38 : bf16",
        "%0 = arith.constant 1.0e400 : f32",
    ],
)
def test_a_float_attribute_its_type_cannot_hold_is_an_error(
    tmp_path: Path, line: str
) -> None:
    text = f"func.func @f() {{\n  {line}\n  return\n}}\n"
    _fails(lpu_opt.main, [_file(tmp_path, text)], "bad.mlir:2:23: error: ", "infinity")


LINALG = "func.func @f(%a: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {{\n  %0 = {op} outs(%e : tensor<4xf32>) -> tensor<4xf32>\n  return %0 : tensor<4xf32>\n}}\n"


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ("linalg.add", "malformed 'linalg.add'"),  # IndexError in xDSL
        ("linalg.add ins(%a : tensor<4xf32>)", "'linalg.add' op takes 2 input(s), 1 given"),
        ("linalg.add ins(%a, %a, %a : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)", "'linalg.add' op takes 2 input(s), 3 given"),
        ("linalg.exp ins(%a, %a : tensor<4xf32>, tensor<4xf32>)", "'linalg.exp' op takes 1 input(s), 2 given"),
        ("linalg.select ins(%a, %a : tensor<4xf32>, tensor<4xf32>)", "malformed 'linalg.select'"),  # TypeError in xDSL
    ],
)  # fmt: skip
def test_a_linalg_op_with_the_wrong_operands_is_an_error_at_the_op(
    tmp_path: Path, op: str, message: str
) -> None:
    # one input made linalg.add add its init, silently; two made exp drop one
    path = _file(tmp_path, LINALG.format(op=op))
    _fails(lpu_opt.main, [path], f"bad.mlir:2:3: error: {message}")


def test_deep_nesting_is_an_error_not_a_recursion_error(tmp_path: Path) -> None:
    depth = 140
    text = "builtin.module {\n" * depth + "}\n" * depth
    _fails(
        lpu_opt.main,
        [_file(tmp_path, text)],
        f"bad.mlir:{frontend.MAX_NESTING + 1}:1: error: ops nested more than",
    )
    nested = "[" * 2000 + "1.0" + "]" * 2000
    text = _const(f"dense<{nested}>", "tensor<1xf32>")
    _fails(lpu_opt.main, [_file(tmp_path, text)], "nested too deeply")


def test_other_bad_text(tmp_path: Path) -> None:
    binary = tmp_path / "bin.mlir"
    binary.write_bytes(b"func.func @f() {\n  \xff\n}\n")
    _fails(lpu_opt.main, [str(binary)], "bin.mlir:2:3: error: byte 0xff is not UTF-8")
    text = "func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {\n  %0 = tosa.exp %a : (tensor<4xf32>) -> tensor<4xf32>>\n  return %0 : tensor<4xf32>\n}\n"
    _fails(lpu_opt.main, [_file(tmp_path, text)], "unexpected '>' in block definition")
    text = "func.func private @f() {\n  return\n}\n"
    _fails(
        lpu_run.main,
        [_file(tmp_path, text)],
        "bad.mlir:1:1: error: the module has no public function",
    )


# ------------------------------------------------------------------ programs


def test_gaps_in_input_numbering_fail_in_lpu_opt_at_the_tensor(tmp_path: Path) -> None:
    text = VXM_ADD.read_text().replace("input 1 at E4", "input 2 at E4")
    path = _file(tmp_path, text, "gap.lpu")
    _fails(
        lpu_opt.main,
        [path],
        "gap.lpu:12:3: error: ",
        "there is no input 1 (found 0, 2)",
    )


def test_a_wrong_cycle_count_in_the_header_is_an_error_naming_both(
    tmp_path: Path,
) -> None:
    text = VXM_ADD.read_text().replace('system "tsp-v1"', 'system "tsp-v1" cycles 999')
    path = _file(tmp_path, text, "cycles.lpu")
    _fails(lpu_run.main, [path, *ADD_INPUTS], "cycles.lpu:", "999 cycles", "ran in 46")


@pytest.mark.parametrize(
    "name", ["lpu-schedule", "lpu-allocate-sram", "lpu-verify-schedule"]
)
def test_a_pass_of_lpu_programs_refuses_tensor_level_ir(name: str) -> None:
    _fails(
        lpu_opt.main,
        [str(SOFTMAX), "-p", name],
        f"softmax.mlir:2:1: error: {name} takes an LPU program",
    )


# ------------------------------------------------------------------ command line


@pytest.mark.parametrize("value", ["nan", "-1", "inf", "x"])
def test_a_tolerance_must_be_finite_and_not_negative(value: str) -> None:
    argv = [
        str(VXM_ADD),
        *ADD_INPUTS,
        "--expected-output",
        "4x320xf32=3",
        "--atol",
        value,
    ]
    _fails(
        lpu_run.main,
        argv,
        f"argument --atol: '{value}' is not a finite number >= 0",
        code=2,
    )
    argv[-2] = "--rtol"
    _fails(lpu_run.main, argv, "argument --rtol", code=2)


def test_a_decimal_value_that_overflows_its_type_is_an_error() -> None:
    argv = [str(SOFTMAX), "--input", "4x4096xf32=1e39"]
    _fails(
        lpu_run.main, argv, "input 0: 1e39 does not fit in f32: it rounds to infinity"
    )
    source = ROOT / "examples" / "compile" / "mlp_f16.mlir"
    argv = [str(source), "--input", "1x4x300xf16=70000", "--input-random"]
    _fails(lpu_run.main, argv, "input 0: 70000 does not fit in f16")
    argv[2] = "1x4x300xf16=-inf"
    assert run_tool(lpu_run.main, [*argv, "--quiet"])[0] == 0  # infinity, said so


def test_output_paths_are_checked_before_the_run(tmp_path: Path) -> None:
    _fails(
        lpu_run.main,
        [str(VXM_ADD), *ADD_INPUTS, "--output", str(tmp_path)],
        "--output: ",
        "is a folder",
    )
    assert list(tmp_path.iterdir()) == []  # no DIR.npz beside it
    missing = tmp_path / "no" / "r.json"
    _fails(
        lpu_run.main,
        [str(VXM_ADD), *ADD_INPUTS, "--report-file", str(missing)],
        "no such folder",
    )


def test_outputs_are_written_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "out"
    code, _, _ = run_tool(
        lpu_run.main, [str(VXM_ADD), *ADD_INPUTS, "--output", str(target), "--quiet"]
    )
    assert (
        code == 0 and np.load(target)["result0"][0, 0] == 3.0
    )  # the name given, no .npz added
    target.chmod(0o640)
    existing = tmp_path / "kept.mlir"
    existing.write_text("keep")
    bad = _file(tmp_path, "func.func @f( {\n")
    _fails(lpu_opt.main, [bad, "-o", str(existing)], "bad.mlir:1:")
    _fails(
        lpu_run.main,
        [str(VXM_ADD), "--input", "4x320xf32=1", "--output", str(target)],
        "argument 1",
    )
    assert existing.read_text() == "keep" and np.load(target)["result0"][0, 0] == 3.0
    code, _, _ = run_tool(
        lpu_run.main, [str(VXM_ADD), *ADD_INPUTS, "--output", str(target), "--quiet"]
    )
    assert code == 0 and (target.stat().st_mode & 0o777) == 0o640  # permissions kept
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bad.mlir",
        "kept.mlir",
        "out",
    ]


def test_out_of_memory_is_an_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*_: object, **__: object) -> None:
        raise MemoryError

    monkeypatch.setattr(lpu_run, "run_module", exhausted)
    monkeypatch.delenv("LPUIR_TRACEBACK", raising=False)
    _fails(lpu_run.main, [str(VXM_ADD), *ADD_INPUTS], "lpu-run: error: out of memory")
    assert os.environ.get("LPUIR_TRACEBACK") is None


def test_an_empty_file_is_an_empty_module(tmp_path: Path) -> None:
    path = _file(tmp_path, "// nothing here\n", "empty.mlir")
    code, out, _ = run_tool(lpu_opt.main, [path])
    assert (code, out) == (0, "builtin.module {\n}\n\n")
    _fails(
        lpu_run.main, [path], "empty.mlir:1:1: error: the module has no public function"
    )


def test_a_cycle_beyond_the_simulated_span_is_an_error(tmp_path: Path) -> None:
    text = VXM_ADD.read_text().replace("@22  mem.write", f"@{1 << 70}  mem.write")
    path = _file(tmp_path, text, "late.lpu")
    _fails(
        lpu_run.main,
        [path, "--input-random"],
        "late.lpu:17:3: error: ",
        "is not below 2**39",
    )


def test_generate_checks_its_numbers_before_compiling() -> None:
    tiny = str(ROOT / "examples" / "llama" / "tiny.json")
    _fails(lpu_generate.main, [tiny, "--context", "0"], "--context: at least 1")
    _fails(
        lpu_generate.main,
        [tiny, "-n", "9999"],
        "need 9999 positions; the context is 16",
    )
    _fails(
        lpu_generate.main,
        [tiny, "--emit-layer", "l.mlir", "--layer", "5"],
        "--layer: 5 is not a layer of 0..1",
    )


def test_an_index_its_64_bits_cannot_hold_is_an_error(tmp_path: Path) -> None:
    big = 1 << 64
    text = f"func.func @f() -> !tosa.shape<2> {{\n  %s = tosa.const_shape {{values = dense<[1, {big}]> : tensor<2xindex>}} : () -> !tosa.shape<2>\n  return %s : !tosa.shape<2>\n}}\n"
    _fails(
        lpu_opt.main,
        [_file(tmp_path, text)],
        f"bad.mlir:2:45: error: {big} does not fit in index",
    )
    text = f"func.func @f() {{\n  %0 = arith.constant {big} : index\n  return\n}}\n"
    _fails(
        lpu_opt.main,
        [_file(tmp_path, text)],
        f"bad.mlir:2:23: error: {big} does not fit in index",
    )
