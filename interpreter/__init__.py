"""lpuir."""
