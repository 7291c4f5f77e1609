"""A Llama-3-architecture decoder as tensor-level IR (func + tosa).

`LlamaConfig` holds the hyper-parameters (from a dict or a JSON file),
`LlamaWeights` the weights in PyTorch orientation (`[out, in]`), random from a
seed or loaded by `lpuir.models.checkpoints`. `build_decode_step` emits the MLIR
text of one decode step: token embedding, per layer RMSNorm, rotary position
embedding, grouped-query attention against a KV cache and a SwiGLU
feed-forward, then the final norm and the LM head. `DecodeStep` compiles it once
and runs it on the reference interpreter or the simulator; `generate` decodes
greedily, carrying the KV cache between steps on the host.

The IR uses only ops lpu-compile lowers (docs/compiler.md), so it is written the
way the hardware computes it (docs/llama.md):

- heads are a batch axis from the start: the normed activation [1, 1, dim] times
  a ones tensor [H, 1, dim], then a batched matmul with weights [H, dim, hd];
- RoPE is `x * cos + (x P) * sin` with the pair-swap-and-sign matrix P folded
  into a second weight matrix (Wq P: a signed column permutation, exact), and
  the cos/sin rows of the position as inputs;
- the KV cache is an input [KVH, ctx, hd] per layer (zero beyond the filled
  positions); the new cache `K + slot * k` (slot = one-hot of the position,
  [1, ctx, 1]) is an output the host passes back at the next step;
- the causal mask is an additive input row (0, or -inf past the position);
- GQA reshapes q [H, 1, hd] to [KVH, G, hd] (the last axis is kept);
- the output projection is a batched matmul [H, 1, hd] x [H, hd, dim] summed over
  the heads (in head order);
- the embedding is a one-hot row times the table (an exact matmul).

Matmuls take f16 operands and accumulate in f32 (the MXM); everything else runs
in the `activations` type (f32 or f16).
"""

from lpuir.models.config import (
    ACTIVATION_TYPES,
    MAX_AXIS,
    QMAX,
    ROPE_STYLES,
    WEIGHT_TYPES,
    LlamaConfig,
    rope_frequencies,
    rope_matrix,
    rope_pairs,
    rope_rows,
)
from lpuir.models.graph import (
    CACHE_TYPE,
    HEAD_CHUNK,
    Signature,
    TimingStep,
    build_decode_step,
    build_layer,
    build_timing_step,
    decode_signature,
    timing_signature,
)
from lpuir.models.runtime import (
    DecodeStep,
    Generation,
    StepResult,
    empty_cache,
    generate,
    step_inputs,
)
from lpuir.models.weights import (
    LayerWeights,
    LlamaWeights,
    quantize_rows,
    random_weights,
)

__all__ = [
    "ACTIVATION_TYPES",
    "CACHE_TYPE",
    "HEAD_CHUNK",
    "MAX_AXIS",
    "QMAX",
    "ROPE_STYLES",
    "WEIGHT_TYPES",
    "DecodeStep",
    "Generation",
    "LayerWeights",
    "LlamaConfig",
    "LlamaWeights",
    "Signature",
    "StepResult",
    "TimingStep",
    "build_decode_step",
    "build_layer",
    "build_timing_step",
    "decode_signature",
    "empty_cache",
    "generate",
    "quantize_rows",
    "random_weights",
    "rope_frequencies",
    "rope_matrix",
    "rope_pairs",
    "rope_rows",
    "step_inputs",
    "timing_signature",
]
