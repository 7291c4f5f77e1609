"""Executing programs: the tensor-level reference interpreter, the cycle-level simulator and the logical executor."""
