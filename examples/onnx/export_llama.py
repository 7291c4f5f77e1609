"""Export a Llama checkpoint to ONNX with a real exporter: a Hugging Face
`transformers` LlamaForCausalLM built from the checkpoint's config and
weights, exported by `torch.onnx.export` (the dynamo exporter, onnxscript).

    pip install -e '.[onnx-export]'
    python examples/onnx/export_llama.py toy_llama31 -o toy_llama31.onnx --seq 9
    lpu-run toy_llama31.onnx --input 1x9xi64=1,0,0,0,0,0,0,0,0 --output logits.npz

The model maps `input_ids` [1, seq] (int64) to `logits` [1, seq, vocab]
(float32), with fp32 weights and causal attention, so the logits at position
t depend on the tokens up to t only: greedy decoding runs the one model on
the tokens so far, padded to `seq` (docs/onnx.md).

The checkpoint's RoPE rotates interleaved pairs (GGUF's layout); Hugging
Face's Llama rotates halves (rotate_half), so each query and key head's rows
are permuted from pairs to halves, the conversion GGUF's converter undoes
(the attention scores do not change: q and k are permuted alike).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from lpuir.models import checkpoints
from lpuir.models.llama import LlamaConfig, LlamaWeights


def pairs_to_halves(w: np.ndarray, heads: int) -> np.ndarray:
    """Rows of a q or k projection [heads * hd, dim] from interleaved RoPE
    pairs (2i, 2i+1) to rotate_half's (i, i + hd/2)."""
    rows, dim = w.shape
    hd = rows // heads
    return w.reshape(heads, hd // 2, 2, dim).transpose(0, 2, 1, 3).reshape(rows, dim)


def hf_model(config: LlamaConfig, weights: LlamaWeights):  # -> LlamaForCausalLM
    """A transformers LlamaForCausalLM (fp32, eager attention) holding the weights."""
    import torch
    from transformers import LlamaConfig as HFConfig
    from transformers import LlamaForCausalLM

    if config.rope_scaling or config.rotary_dims != config.head_dim:
        raise SystemExit("only full-head RoPE without frequency scaling is exported")
    hf = HFConfig(
        vocab_size=config.vocab,
        hidden_size=config.dim,
        intermediate_size=config.ffn_dim,
        num_hidden_layers=config.n_layers,
        num_attention_heads=config.n_heads,
        num_key_value_heads=config.n_kv_heads,
        head_dim=config.head_dim,
        rms_norm_eps=config.norm_eps,
        rope_theta=config.rope_theta,
        max_position_embeddings=max(config.context, 128),
        tie_word_embeddings=config.tie_embeddings,
        attn_implementation="eager",
    )
    model = LlamaForCausalLM(hf).eval()
    interleaved = config.rope_style == "interleaved"

    def qk(w: np.ndarray, heads: int) -> np.ndarray:
        return pairs_to_halves(w, heads) if interleaved else w

    tensors = {
        "model.embed_tokens.weight": weights.embedding,
        "model.norm.weight": weights.final_norm,
        "lm_head.weight": weights.output,
    }
    for i, layer in enumerate(weights.layers):
        p = f"model.layers.{i}."
        tensors |= {
            p + "input_layernorm.weight": layer.attn_norm,
            p + "self_attn.q_proj.weight": qk(layer.wq, config.n_heads),
            p + "self_attn.k_proj.weight": qk(layer.wk, config.n_kv_heads),
            p + "self_attn.v_proj.weight": layer.wv,
            p + "self_attn.o_proj.weight": layer.wo,
            p + "post_attention_layernorm.weight": layer.ffn_norm,
            p + "mlp.gate_proj.weight": layer.w_gate,
            p + "mlp.up_proj.weight": layer.w_up,
            p + "mlp.down_proj.weight": layer.w_down,
        }
    state = {k: torch.tensor(np.asarray(v, np.float32)) for k, v in tensors.items()}
    model.load_state_dict(state, strict=not config.tie_embeddings)
    return model


def export(
    config: LlamaConfig, weights: LlamaWeights, path: str | Path, seq: int
) -> None:
    """Write the model for `seq` tokens to `path` (input_ids -> logits)."""
    import torch

    model = hf_model(config, weights)

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, use_cache=False).logits

    ids = torch.zeros((1, seq), dtype=torch.int64)
    torch.onnx.export(
        Logits().eval(),
        (ids,),
        str(path),
        input_names=["input_ids"],
        output_names=["logits"],
        dynamo=True,
        external_data=False,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "checkpoint", help="toy_llama31 or stories260K (lpuir.models.checkpoints)"
    )
    p.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    p.add_argument("--seq", type=int, default=9, help="tokens per run (default 9)")
    args = p.parse_args(argv)
    path = checkpoints.checkpoint_path(args.checkpoint)
    if args.checkpoint == "toy_llama31":
        config, weights = checkpoints.load_toy_llama31(path, args.seq)
    else:
        config, weights = checkpoints.load_stories260k(
            path / "stories260K.bin", args.seq
        )
    export(config, weights, args.output, args.seq)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
