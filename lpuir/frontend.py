"""Text to IR, for every tool: MLIR (with a file:line:col on every op) or .lpu."""

from __future__ import annotations

import re
import struct
from bisect import bisect_right
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import (
    BFloat16Type,
    DenseIntOrFPElementsAttr,
    FileLineColLoc,
    Float16Type,
    Float32Type,
    Float64Type,
    IntAttr,
    ModuleOp,
    StringAttr,
    UnknownLoc,
)
from xdsl.ir import Operation
from xdsl.parser import Parser

from lpuir.context import make_context

_DENSE_TOKEN = re.compile(
    r"0[xX][0-9a-fA-F]+|[-+]?(?:inf|nan|\d+\.?\d*(?:[eE][-+]?\d+)?)|true|false"
)


class LocatedParser(Parser):
    """xDSL's MLIR parser, but an op without an explicit `loc(...)` gets the
    position it was parsed at, so every later error and every lowered op can
    point back into the user's file."""

    def __init__(self, ctx: Context, text: str, name: str, line_offset: int = 0):
        super().__init__(ctx, text, name)
        self._name = name
        self._line_offset = line_offset
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def parse_dense_int_or_fp_elements_attr(
        self, type: Any
    ) -> DenseIntOrFPElementsAttr:
        """MLIR prints a float that has no exact decimal form (inf, NaN) as its
        bit pattern, `0xff800000`; xDSL 0.74 reads that back as the integer's
        value. Read such elements as bit patterns, as MLIR does."""
        start = self.pos
        attr = super().parse_dense_int_or_fp_elements_attr(type)
        element = attr.get_element_type()
        if not isinstance(
            element, Float16Type | BFloat16Type | Float32Type | Float64Type
        ):
            return attr
        text = self.lexer.input.content[start : self.pos]
        body = text[: text.find(">")] if ">" in text else text
        if '"' in body or "0x" not in body.lower():
            return attr
        tokens = _DENSE_TOKEN.findall(body)
        values = list(attr.get_values())
        if len(tokens) == 1:
            tokens = tokens * len(values)
        width = element.bitwidth
        bits = {16: "<e", 32: "<f", 64: "<d"}[width]
        ints = {16: "<H", 32: "<I", 64: "<Q"}[width]
        for i, token in enumerate(tokens[: len(values)]):
            if token.lower().startswith("0x"):
                raw = struct.pack(ints, int(token, 16))
                values[i] = (
                    struct.unpack(bits, raw)[0]
                    if not isinstance(element, BFloat16Type)
                    else struct.unpack("<f", b"\0\0" + raw)[0]
                )
        return DenseIntOrFPElementsAttr.from_list(attr.type, values)

    def parse_operation(self) -> Operation:
        start = self._current_token.span.start
        op = super().parse_operation()
        if isinstance(op.location, UnknownLoc):
            line = bisect_right(self._line_starts, start)
            column = start - self._line_starts[line - 1] + 1
            op.location = FileLineColLoc(
                StringAttr(self._name),
                IntAttr(line + self._line_offset),
                IntAttr(column),
            )
        return op


def looks_like_lpu(text: str) -> bool:
    """LPU text starts (after comments) with `system` or `chip`."""
    for line in text.splitlines():
        stripped = line.split("//", 1)[0].strip()
        if stripped:
            return re.match(r"(system|chip)\b", stripped) is not None
    return False


def parse_source(
    text: str,
    name: str,
    *,
    frontend: str | None = None,
    ctx: Context | None = None,
    line_offset: int = 0,
    implicit_module: bool = True,
) -> ModuleOp:
    """Parse MLIR or .lpu text (chosen by `frontend`, else by the name's
    extension, else by content); errors carry file:line:col."""
    from lpuir.grammar.parser import parse_lpu

    ctx = ctx or make_context()
    if frontend is None:
        frontend = "lpu" if name.endswith(".lpu") or looks_like_lpu(text) else "mlir"
    if frontend == "lpu":
        return parse_lpu(text, name, ctx, line_offset)
    return LocatedParser(ctx, text, name, line_offset).parse_module(implicit_module)
