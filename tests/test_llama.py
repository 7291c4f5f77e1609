"""lpuir.models.llama: the decode step's IR verifies, computes the decoder an
independent numpy implementation computes (within a documented tolerance),
compiles, and simulates bit for bit equal to the reference in the statically
predicted cycles; greedy decoding carries the KV cache; lpu-generate works.

The compiled tests use a one-layer "micro" config, and both checkpoints on one
chip and pipelined over node8 (about a minute together).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from llama_numpy import NumpyLlama  # tests/ is on sys.path (no __init__.py)

from lpuir.diagnostics import LpuError
from lpuir.models import checkpoints
from lpuir.models.llama import (
    DecodeStep,
    LlamaConfig,
    build_decode_step,
    empty_cache,
    generate,
    random_weights,
    rope_matrix,
    rope_rows,
)
from lpuir.tools.lpu_generate import main as lpu_generate

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "examples" / "llama" / "tiny.json"
MICRO = {
    "name": "micro",
    "dim": 32,
    "n_layers": 1,
    "n_heads": 2,
    "n_kv_heads": 1,
    "ffn_dim": 48,
    "vocab": 32,
    "context": 8,
}

# max |logits - numpy| / max |numpy| over the steps (docs/llama.md)
TOLERANCE = {"tiny": 1e-2, "stories260K": 1e-2, "toy_llama31": 5e-2, "tiny-i8": 5e-2}


def _have(name: str) -> bool:
    return checkpoints.find_checkpoint(name) is not None


def _model(name: str, context: int = 16):
    if name.startswith("tiny"):
        config = LlamaConfig.from_json(TINY)
        if name == "tiny-i8":
            config = LlamaConfig.from_dict({**config.to_dict(), "weights": "i8"})
        return config, random_weights(config, 0)
    if not _have(name):
        looked = ", ".join(map(str, checkpoints.search_path()))
        pytest.skip(f"checkpoint {name} not found in {looked}")
    return checkpoints.load_checkpoint(name, context)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and np.array_equal(a.view(np.uint8), b.view(np.uint8))


@pytest.fixture(scope="module")
def micro() -> DecodeStep:
    config = LlamaConfig.from_dict(MICRO)
    step = DecodeStep(config, random_weights(config, 1))
    step.compiled  # noqa: B018
    return step


# ------------------------------------------------------------------- config


def test_tiny_config_reads(tmp_path: Path) -> None:
    config = LlamaConfig.from_json(TINY)
    assert (config.head_dim, config.group) == (16, 2)
    again = tmp_path / "again.json"
    again.write_text(json.dumps(config.to_dict()))
    assert LlamaConfig.from_json(again) == config


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dims": 3}, "unknown key 'dims'"),
        ({"dim": -1}, "key 'dim': must be a positive integer"),
        ({"n_kv_heads": 3}, "key 'n_kv_heads': 3 does not divide n_heads 4"),
        ({"rope_style": "spiral"}, "key 'rope_style': must be one of"),
        ({"weights": "i4"}, "key 'weights': must be one of"),
        ({"context": 400}, "key 'context'"),
    ],
)
def test_bad_config_names_file_and_key(
    tmp_path: Path, change: dict, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**json.loads(TINY.read_text()), **change}))
    with pytest.raises(LpuError, match=f"bad\\.json: error: {message}"):
        LlamaConfig.from_json(path)


def test_missing_key_and_broken_json(tmp_path: Path) -> None:
    data = json.loads(TINY.read_text())
    del data["vocab"]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    with pytest.raises(LpuError, match=r"c\.json: error: missing key 'vocab'"):
        LlamaConfig.from_json(path)
    path.write_text('{"dim": 4,')
    with pytest.raises(LpuError, match=r"c\.json:1:\d+: error:"):
        LlamaConfig.from_json(path)


# --------------------------------------------------------------------- rope


@pytest.mark.parametrize("style", ["interleaved", "half"])
def test_rope_as_matmul_rotates_pairs(style: str) -> None:
    config = LlamaConfig.from_dict({**MICRO, "rope_style": style, "rope_dims": 12})
    x = np.random.default_rng(0).standard_normal(config.head_dim)
    cos, sin = rope_rows(config, 5)
    got = x * cos + (x @ rope_matrix(config)) * sin
    half = 6
    pairs = (
        [(2 * i, 2 * i + 1) for i in range(half)]
        if style == "interleaved"
        else [(i, i + half) for i in range(half)]
    )
    want = x.copy()
    for i, (a, b) in enumerate(pairs):
        angle = 5 * 10000.0 ** (-2 * i / 12)
        z = complex(x[a], x[b]) * complex(np.cos(angle), np.sin(angle))
        want[a], want[b] = z.real, z.imag
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


# -------------------------------------------------- the model vs plain numpy


@pytest.mark.parametrize("name", ["tiny", "stories260K", "toy_llama31", "tiny-i8"])
def test_reference_agrees_with_numpy_decoder(name: str) -> None:
    config, weights = _model(name)
    step = DecodeStep(config, weights)
    numpy_model = NumpyLlama(config, weights)
    cache = empty_cache(config)
    token, worst = 1, 0.0
    for pos in range(6):
        result = step.run(token, pos, cache, "reference")
        want = numpy_model.forward(token, pos)
        worst = max(
            worst, float(np.max(np.abs(result.logits - want)) / np.max(np.abs(want)))
        )
        if config.weights == "f16":
            assert int(np.argmax(result.logits)) == int(np.argmax(want)), (name, pos)
        cache, token = result.cache, int(np.argmax(result.logits))
    assert worst <= TOLERANCE[name], (name, worst)


def test_checkpoints_load_with_their_hyper_parameters() -> None:
    if not (_have("stories260K") and _have("toy_llama31")):
        pytest.skip("checkpoints not available")
    s, _ = checkpoints.load_checkpoint("stories260K", 16)
    assert (s.dim, s.n_layers, s.n_heads, s.n_kv_heads, s.ffn_dim, s.vocab) == (
        64, 5, 8, 4, 172, 512,
    )  # fmt: skip
    assert s.tie_embeddings and s.rope_theta == 10000.0
    t, _ = checkpoints.load_checkpoint("toy_llama31", 16)
    assert (t.dim, t.n_layers, t.n_heads, t.n_kv_heads, t.ffn_dim, t.vocab) == (
        256, 3, 8, 4, 23, 256,
    )  # fmt: skip
    assert (t.rope_theta, t.norm_eps, t.rotary_dims) == (500000.0, 0.01, 32)


def test_stories260k_rope_tables_match_the_checkpoint() -> None:
    """llama2.c stores cos/sin tables (freq_cis) after the weights; the
    loader skips them and rope_rows must recompute them."""
    if not _have("stories260K"):
        pytest.skip("stories260K not available")
    path = checkpoints.checkpoint_path("stories260K") / "stories260K.bin"
    config, _ = checkpoints.load_stories260k(path, 16)
    data = np.frombuffer(path.read_bytes(), "<f4", offset=28)
    half, seq = config.head_dim // 2, 512
    real = data[-2 * seq * half : -seq * half].reshape(seq, half)
    imag = data[-seq * half :].reshape(seq, half)
    for pos in (0, 5, 15):
        cos, sin = rope_rows(config, pos)
        np.testing.assert_allclose(cos[::2], real[pos], atol=1e-6)
        np.testing.assert_allclose(sin[::2], imag[pos], atol=1e-6)


def test_missing_checkpoint_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(checkpoints.MODELS_ENV, str(tmp_path))
    with pytest.raises(
        LpuError, match=f"checkpoint 'stories260K' not found; looked in {tmp_path} "
    ):
        checkpoints.load_checkpoint("stories260K")
    (tmp_path / "stories260K").mkdir()
    (tmp_path / "stories260K" / "stories260K.bin").write_bytes(b"\0" * 10)
    with pytest.raises(LpuError, match="too short"):
        checkpoints.load_checkpoint("stories260K")


def test_checkpoints_are_found_from_the_current_directory_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without LPUIR_MODELS, `shared/models` in the current directory or any
    parent is searched (a wheel install run from inside a checkout's folder)."""
    monkeypatch.delenv(checkpoints.MODELS_ENV, raising=False)
    (tmp_path / "shared" / "models" / "stories260K").mkdir(parents=True)
    deep = tmp_path / "work" / "deeper"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert checkpoints.find_checkpoint("stories260K") == (
        tmp_path / "shared" / "models" / "stories260K"
    )
    assert checkpoints.search_path()[:2] == [
        deep / "shared" / "models",
        tmp_path / "work" / "shared" / "models",
    ]
    # LPUIR_MODELS, a list of folders, replaces the search path
    other = tmp_path / "other"
    monkeypatch.setenv(checkpoints.MODELS_ENV, f"{other}{os.pathsep}{tmp_path}")
    assert checkpoints.search_path() == [other, tmp_path]
    assert checkpoints.find_checkpoint("stories260K") is None


# --------------------------------------------------------- compiled, exact


def _steps_bit_exact(step: DecodeStep, tokens: list[int]) -> None:
    """Decode steps fed `tokens` from position 0, the cache carried: simulated
    logits and caches equal the reference's bit for bit, static == simulated."""
    cache = empty_cache(step.config)
    for pos, token in enumerate(tokens):
        sim = step.run(token, pos, cache, "simulator")
        ref = step.run(token, pos, cache, "reference")
        assert sim.cycles == sim.static_cycles
        for got, want in zip(
            [sim.logits, *sim.cache], [ref.logits, *ref.cache], strict=True
        ):
            assert _same_bits(got, want)
        cache = sim.cache


def test_decode_step_compiles_bit_exact(micro: DecodeStep) -> None:
    _steps_bit_exact(micro, [3, 7])


WIDE = {**MICRO, "name": "wide", "dim": 320, "ffn_dim": 960, "vocab": 640}
"""Wide enough that lpu-partition splits W1, W3 and the LM head by columns and W2
by rows (320-column tiles)."""


@pytest.mark.parametrize(
    ("config", "system", "strategy"),
    [
        (MICRO, "node8 {chips_per_node = 2}", "pipeline"),
        (MICRO, "dragonfly4", "pipeline"),
        (WIDE, "node8", "tensor"),
    ],
)
def test_decode_step_on_many_chips_is_bit_exact(
    config: dict, system: str, strategy: str
) -> None:
    cfg = LlamaConfig.from_dict(config)
    step = DecodeStep(cfg, random_weights(cfg, 1), system=system, strategy=strategy)
    compiled = step.compiled
    system_op = next(iter(compiled.ops))
    chips = [c for c in system_op.chips if any(True for _ in c.instructions())]
    assert len(chips) > 1
    if strategy == "tensor":
        assert any(
            t.cols is not None and t.cols.data > 0 for c in chips for t in c.tensors()
        )  # the logits come back as column shards
    _steps_bit_exact(step, [3, 5])


def test_greedy_decoding_simulator_equals_reference(micro: DecodeStep) -> None:
    sim = generate(micro, [1, 5], 3, "simulator")
    ref = generate(micro, [1, 5], 3, "reference")
    assert sim.tokens == ref.tokens
    assert len(sim.steps) == 4
    # the cache carries: position p's row is filled after step p
    k0 = sim.steps[-1].cache[0]
    assert np.all(k0[:, :4] != 0) and np.all(k0[:, 4:] == 0)
    for a, b in zip(sim.steps, ref.steps, strict=True):
        assert _same_bits(a.logits, b.logits)


@pytest.mark.parametrize("variant", [{"weights": "i8"}, {"activations": "f16"}])
def test_variant_step_compiles_bit_exact(variant: dict) -> None:
    """i8 weights (activations quantized per row, i8 x i8 -> i32 on the MXM);
    f16 activations."""
    config = LlamaConfig.from_dict({**MICRO, **variant})
    step = DecodeStep(config, random_weights(config, 1))
    if config.weights == "i8":
        assert "xi8>) -> tensor<1x1x48xi32>" in step.text
    sim = step.run(1, 0, empty_cache(config), "simulator")
    ref = step.run(1, 0, empty_cache(config), "reference")
    assert sim.cycles == sim.static_cycles
    for got, want in zip(
        [sim.logits, *sim.cache], [ref.logits, *ref.cache], strict=True
    ):
        assert _same_bits(got, want)


def test_int8_quantization_round_trips() -> None:
    from lpuir.models.llama import quantize_rows

    w = np.random.default_rng(0).standard_normal((5, 7))
    w[2] = 0
    q, s = quantize_rows(w)
    assert np.all(np.abs(q) <= 127) and np.all(
        np.abs(q).max(axis=1)[[0, 1, 3, 4]] == 127
    )
    q2, s2 = quantize_rows(q * s[:, None])
    assert np.array_equal(q, q2) and np.array_equal(s, s2)


def test_tiny_config_step_compiles_bit_exact() -> None:
    """examples/llama/tiny.json (2 layers): one step at position 1."""
    config, weights = _model("tiny")
    step = DecodeStep(config, weights)
    cache = step.run(1, 0, empty_cache(config), "reference").cache
    sim = step.run(9, 1, cache, "simulator")
    ref = step.run(9, 1, cache, "reference")
    assert sim.cycles == sim.static_cycles
    for got, want in zip(
        [sim.logits, *sim.cache], [ref.logits, *ref.cache], strict=True
    ):
        assert _same_bits(got, want)


def test_context_overflow_is_an_error(micro: DecodeStep) -> None:
    with pytest.raises(LpuError, match="the context is 8"):
        generate(micro, [1, 2, 3], 7, "reference")


@pytest.mark.parametrize("system", ["tsp-v1", "node8"])
@pytest.mark.parametrize("name", ["stories260K", "toy_llama31"])
def test_checkpoint_compiles_bit_exact(name: str, system: str) -> None:
    """Both checkpoints, on one chip and pipelined over node8's 8 chips."""
    config, weights = _model(name)
    step = DecodeStep(config, weights, system=system, strategy="pipeline")
    sim = generate(step, [1], 2, "simulator")
    ref = generate(step, [1], 2, "reference")
    assert sim.tokens == ref.tokens
    for a, b in zip(sim.steps, ref.steps, strict=True):
        assert a.cycles == a.static_cycles
        for got, want in zip([a.logits, *a.cache], [b.logits, *b.cache], strict=True):
            assert _same_bits(got, want)


# ------------------------------------------------------------- lpu-generate


def test_lpu_generate_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mlir = tmp_path / "tiny.mlir"
    inputs = tmp_path / "in.npz"
    code = lpu_generate(
        [str(TINY), "-n", "3", "--backend", "reference", "--emit-mlir", str(mlir),
         "--save-inputs", str(inputs)]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    config = LlamaConfig.from_json(TINY)
    want = generate(DecodeStep(config, random_weights(config, 0)), [1], 3, "reference")
    assert out.splitlines()[-1] == "tokens: " + " ".join(map(str, want.tokens))
    assert mlir.read_text() == build_decode_step(config, random_weights(config, 0))
    assert set(np.load(inputs).files) >= {"token", "cos", "sin", "mask", "slot", "k0"}


def test_lpu_generate_simulator_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "micro.json"
    cfg.write_text(json.dumps(MICRO))
    report, trace = tmp_path / "r.json", tmp_path / "t.json"
    code = lpu_generate(
        [str(cfg), "-n", "2", "--seed", "1", "--backend", "both",
         "--report-file", str(report), "--trace", str(trace)]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    assert "(simulator == reference bit for bit)" in out
    data = json.loads(report.read_text())
    assert data["cycles"] == data["static_cycles"] > 0
    assert json.loads(trace.read_text())["traceEvents"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nosuch.json"], "nosuch.json: no such file"),
        (["gpt2"], "neither a checkpoint"),
        ([str(TINY), "--prompt", "1,x"], "--prompt: '1,x'"),
        (
            [str(TINY), "--prompt", "999", "--backend", "reference"],
            "token 999 is outside",
        ),
    ],
)
def test_lpu_generate_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lpu_generate(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_timing_mode_builds_and_compiles_without_weight_values() -> None:
    """Timing mode: every weight is an `{lpu.weight}` argument (no tosa.const
    holds a weight), and a 2-layer config compiles on two chips by pipeline."""
    from lpuir.context import make_context
    from lpuir.execute import lpu_system
    from lpuir.frontend import parse_source
    from lpuir.models.llama import build_timing_step
    from lpuir.transforms.compile import CompilePass

    config = LlamaConfig(
        dim=320,
        n_layers=2,
        n_heads=4,
        n_kv_heads=2,
        ffn_dim=640,
        vocab=500,
        context=640,
        weights="i8",
    )
    step = build_timing_step(config)
    assert step.text.count("{lpu.weight}") == 2 * 20 + 3
    assert '"0x' not in step.text  # no dense weight literal anywhere
    per_layer = 320 * 64 * (2 * 4 + 2 * 2 + 2) + 4 * 64 * 320 + 3 * 320 * 640
    assert step.weight_bytes > 2 * per_layer
    module = parse_source(step.text, "timing.mlir")
    CompilePass(
        system="node8 {chips_per_node = 2}", strategy="pipeline", verify=False
    ).apply(make_context(), module)
    system = lpu_system(module)
    assert system is not None and system.static_cycles is not None
    assert len(system.chips) == 2 and system.static_cycles.data > 0


def test_timing_step_with_weights_as_inputs_runs_bit_exact() -> None:
    """Timing mode's attention (caches of the earlier positions, the step's
    own key and value beside them) is a real program: with its weights made
    program inputs (random values), compiled for node8 and simulated, it
    matches the reference bit for bit."""
    from lpuir.api import compile_module, parse, run
    from lpuir.execute import random_values, signature
    from lpuir.models.llama import build_timing_step

    config = LlamaConfig(
        dim=320, n_layers=2, n_heads=4, n_kv_heads=2, ffn_dim=640, vocab=500, context=40
    )
    text = build_timing_step(config).text.replace(" {lpu.weight}", "")
    module = parse(text, "timing.mlir")
    args = [
        random_values(tuple(shape), el, f"random:{i}", "test")
        for i, (shape, el) in enumerate(signature(module).inputs)
    ]
    reference = run(module, args)
    simulated = run(compile_module(module, "node8").module, args)
    assert len(simulated.outputs) == len(reference.outputs) == 1 + 2 * 2
    for want, got in zip(reference.outputs, simulated.outputs, strict=True):
        assert np.array_equal(want.view(np.uint8), got.view(np.uint8))
    assert all(np.any(out != 0) for out in reference.outputs)
