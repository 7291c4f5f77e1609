"""Text to IR, for every tool: MLIR (with a file:line:col on every op) or .lpu."""

from __future__ import annotations

import re
from bisect import bisect_right

from xdsl.context import Context
from xdsl.dialects.builtin import (
    FileLineColLoc,
    IntAttr,
    ModuleOp,
    StringAttr,
    UnknownLoc,
)
from xdsl.ir import Operation
from xdsl.parser import Parser

from lpuir.context import make_context


class LocatedParser(Parser):
    """xDSL's MLIR parser, but an op without an explicit `loc(...)` gets the
    position it was parsed at, so every later error and every lowered op can
    point back into the user's file."""

    def __init__(self, ctx: Context, text: str, name: str, line_offset: int = 0):
        super().__init__(ctx, text, name)
        self._name = name
        self._line_offset = line_offset
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def parse_operation(self) -> Operation:
        start = self._current_token.span.start
        op = super().parse_operation()
        if isinstance(op.location, UnknownLoc):
            line = bisect_right(self._line_starts, start)
            column = start - self._line_starts[line - 1] + 1
            op.location = FileLineColLoc(StringAttr(self._name), IntAttr(line + self._line_offset), IntAttr(column))
        return op


def looks_like_lpu(text: str) -> bool:
    """LPU text starts (after comments) with `system` or `chip`."""
    for line in text.splitlines():
        stripped = line.split("//", 1)[0].strip()
        if stripped:
            return re.match(r"(system|chip)\b", stripped) is not None
    return False


def parse_source(text: str, name: str, *, frontend: str | None = None, ctx: Context | None = None, line_offset: int = 0, implicit_module: bool = True) -> ModuleOp:
    """Parse MLIR or .lpu text (chosen by `frontend`, else by the name's
    extension, else by content); errors carry file:line:col."""
    from lpuir.grammar.parser import parse_lpu

    ctx = ctx or make_context()
    if frontend is None:
        frontend = "lpu" if name.endswith(".lpu") or looks_like_lpu(text) else "mlir"
    if frontend == "lpu":
        return parse_lpu(text, name, ctx, line_offset)
    return LocatedParser(ctx, text, name, line_offset).parse_module(implicit_module)
