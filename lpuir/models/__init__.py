"""Model builders: tensor-level IR for whole networks.

`lpuir.models.llama`: a Llama-3-architecture decoder, in four modules:
`config` (hyper-parameters and the RoPE tables), `weights` (random or loaded,
cast to the MXM's types), `graph` (the IR of one decode step) and `runtime`
(inputs, compile-once decode steps, greedy decoding); `lpuir.models.llama`
re-exports their public names. `lpuir.models.checkpoints`: loaders for real
checkpoints. See docs/llama.md.
"""
