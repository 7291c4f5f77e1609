"""lpuir: an MLIR-style compiler toolkit and cycle-level simulator for
deterministic LPU (TSP-style) accelerator arrays.

The pieces: `lpuir.machine` (the machine description), `lpuir.numerics` (what
every op computes), `lpuir.dialects` (the `lpu` and extended `tosa` dialects),
`lpuir.grammar` (the .lpu text), `lpuir.transforms` (the compiler's passes),
`lpuir.interpreter` (reference interpreter, simulator) and `lpuir.tools`
(`lpu-opt`, `lpu-run`). See README.md and docs/.
"""

__version__ = "0.1.0"
