"""lpuir's dialects: `lpu` (the chip's instruction set) and `tosa` (xDSL's, extended to TOSA 1.0)."""
