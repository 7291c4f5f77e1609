"""The one place that says which dialects lpuir tools understand."""

from collections.abc import Callable

from xdsl.context import Context
from xdsl.ir import Dialect


def _tosa() -> Dialect:
    from lpuir.dialects.tosa import TOSA

    return TOSA


def _arith() -> Dialect:
    from lpuir.dialects.arith import ARITH

    return ARITH


def _linalg() -> Dialect:
    from lpuir.dialects.linalg import LINALG

    return LINALG


def _lpu() -> Dialect:
    """The lpu dialect with the extension instructions registered so far."""
    from lpuir.dialects.lpu import LPU
    from lpuir.extensions import extension_instructions

    extra = extension_instructions()
    if not extra:
        return LPU
    return Dialect("lpu", [*LPU.operations, *extra], list(LPU.attributes))


def _stock(name: str) -> Callable[[], Dialect]:
    """A stock xDSL dialect, loaded lazily as xdsl-opt does."""
    from xdsl.dialects import get_all_dialects

    return get_all_dialects()[name]


LPUIR_DIALECTS: dict[str, Callable[[], Dialect]] = {
    "builtin": _stock("builtin"),
    "func": _stock("func"),
    "arith": _arith,
    "math": _stock("math"),
    "tensor": _stock("tensor"),
    "linalg": _linalg,
    "cf": _stock("cf"),
    "tosa": _tosa,
    "lpu": _lpu,
}
"""Dialects registered by lpu-opt and lpu-run; tosa, linalg, arith and lpu
are lpuir's own (tosa, linalg and arith extend xDSL's)."""


def make_context(*, allow_unregistered: bool = False) -> Context:
    """A context with every lpuir dialect registered (loaded on first use)."""
    ctx = Context(allow_unregistered=allow_unregistered)
    for name, factory in LPUIR_DIALECTS.items():
        ctx.register_dialect(name, factory)
    return ctx
