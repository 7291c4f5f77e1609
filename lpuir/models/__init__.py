"""Model builders: tensor-level IR for whole networks.

`lpuir.models.llama`: a Llama-3-architecture decoder (config, weights, the IR
of one decode step, host-side greedy decoding); `lpuir.models.checkpoints`:
loaders for real checkpoints. See docs/llama.md.
"""
