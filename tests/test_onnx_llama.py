"""A real exported model end to end: the toy Llama-3.1 checkpoint as a
transformers LlamaForCausalLM, exported by torch.onnx.export
(examples/onnx/export_llama.py), imported and run on the reference
interpreter; its greedy tokens are the documented ones (docs/llama.md: the
first five equal the f16 builder's, all eight the float64 numpy decoder's on
the fp32 weights) and its logits ONNX Runtime's; compiled for node8 and
simulated, bit-exact against the reference. Needs the `onnx-export` extra
(torch, transformers, onnxscript) and the checkpoint; skips without."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from repo_scripts import load_script  # tests/ is on sys.path (no __init__.py)

import lpuir
from lpuir.execute import run_module
from lpuir.models import checkpoints

DOCUMENTED_F16 = [117, 209, 149, 21, 52, 128, 132, 202]
"""docs/llama.md: toy_llama31's greedy tokens from BOS with f16 weights."""
DOCUMENTED_F32 = [117, 209, 149, 21, 52, 21, 157, 27]
"""docs/onnx.md: the exported (fp32) model's greedy tokens from BOS."""

for extra in ("torch", "transformers", "onnxscript"):
    pytest.importorskip(
        extra, reason=f"{extra} is missing: pip install -e '.[onnx-export]' to run it"
    )
if checkpoints.find_checkpoint("toy_llama31") is None:
    pytest.skip("the toy_llama31 checkpoint is not found", allow_module_level=True)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("onnx") / "toy_llama31.onnx"
    assert (
        load_script("examples/onnx/export_llama.py").main(
            ["toy_llama31", "-o", str(path), "--seq", "9"]
        )
        == 0
    )
    return path


def test_greedy_tokens_of_the_exported_model(exported: Path) -> None:
    from llama_numpy import NumpyLlama  # tests/ is on sys.path (no __init__.py)

    module = lpuir.import_onnx(exported)
    config, weights = checkpoints.load_toy_llama31(
        checkpoints.checkpoint_path("toy_llama31"), 16
    )
    numpy_model = NumpyLlama(config, weights)
    tokens, expected = [1], []
    for pos in range(8):
        ids = np.zeros((1, 9), np.int64)
        ids[0, : len(tokens)] = tokens
        (logits,) = lpuir.run(module, [ids]).outputs
        tokens.append(int(np.argmax(logits[0, pos])))
        expected.append(
            int(np.argmax(numpy_model.forward(expected[-1] if expected else 1, pos)))
        )
    assert tokens[1:6] == DOCUMENTED_F16[:5]
    assert tokens[1:] == expected


def test_logits_agree_with_onnx_runtime(exported: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    ids = np.array([[1, 117, 209, 149, 21, 52, 21, 157, 27]], np.int64)
    (want,) = ort.InferenceSession(str(exported)).run(None, {"input_ids": ids})
    (got,) = lpuir.run(lpuir.import_onnx(exported), [ids]).outputs
    assert np.abs(got - want).max() <= 1e-3 * np.abs(want).max()


def test_weights_as_arguments_keep_the_values_out(exported: Path) -> None:
    module = lpuir.import_onnx(exported, weights_as_arguments=True)
    text = lpuir.to_text(module)
    assert text.count("{lpu.weight}") >= 3 * 7 + 3
    assert lpuir.signature(module).inputs[0] == ((1, 9), "i64")


def test_compiled_for_node8_decodes_the_documented_tokens(exported: Path) -> None:
    """One simulated run on BOS and the documented tokens (the last one's
    logits are not needed): bit-exact against the reference, static cycles
    == simulated, and position t's argmax is token t + 1. That is greedy
    decoding, because position t's logits are the same bits whatever follows
    it (checked on the reference against padded inputs, as greedy decoding
    feeds them): a masked score's probability is exactly 0."""
    module = lpuir.import_onnx(exported)
    compiled = lpuir.compile_module(
        module, pipeline="lpu-compile{system=node8 strategy=pipeline}"
    )
    assert compiled.report.chips == 8
    ids = np.array([[1, *DOCUMENTED_F32]], np.int64)
    sim = run_module(compiled.module, [ids])
    (ref,) = run_module(module, [ids]).outputs
    assert sim.report.cycles == sim.report.static_cycles
    assert np.array_equal(sim.outputs[0].view(np.uint32), ref.view(np.uint32))
    assert np.argmax(sim.outputs[0][0, :8], axis=-1).tolist() == DOCUMENTED_F32
    for pos in range(8):
        padded = np.zeros_like(ids)
        padded[0, : pos + 1] = ids[0, : pos + 1]
        (logits,) = run_module(module, [padded]).outputs
        assert np.array_equal(
            logits[0, pos].view(np.uint32), ref[0, pos].view(np.uint32)
        )
