"""lpu-opt: parse, verify, transform and print lpuir programs (like mlir-opt).

Inputs are MLIR text (`.mlir`, or stdin), LPU text (`.lpu`, or `-f lpu`) or
ONNX models (`.onnx`, or `-f onnx`: docs/onnx.md); outputs MLIR (`-t mlir`,
the default) or LPU text (`-t lpu`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import IO

from xdsl.dialects.builtin import ModuleOp
from xdsl.xdsl_opt_main import xDSLOptMain

from lpuir.context import LPUIR_DIALECTS
from lpuir.diagnostics import LpuError, verify_located
from lpuir.extensions import available_passes
from lpuir.frontend import parse_source
from lpuir.grammar.printer import print_lpu
from lpuir.onnx.options import add_import_options, import_model
from lpuir.tools.errors import run_reporting_errors


class LpuOptMain(xDSLOptMain):
    """xdsl-opt with lpuir's dialects, frontends and targets only, and its
    passes: lpuir's own and the registered extensions (lpuir.extensions)."""

    def register_all_dialects(self) -> None:
        for name, factory in LPUIR_DIALECTS.items():
            self.ctx.register_dialect(name, factory)

    def register_all_passes(self) -> None:
        for name, factory in available_passes().items():
            self.register_pass(name, factory)

    def register_all_frontends(self) -> None:
        def frontend(kind: str) -> Callable[[IO[bytes]], ModuleOp]:
            def parse(io: IO[bytes]) -> ModuleOp:
                text = io.read().decode()
                implicit = not self.args.no_implicit_module
                return parse_source(
                    text,
                    self.get_input_name(),
                    frontend=kind,
                    ctx=self.ctx,
                    line_offset=self._chunk_line,
                    implicit_module=implicit,
                )

            return parse

        self.available_frontends["mlir"] = frontend("mlir")
        self.available_frontends["lpu"] = frontend("lpu")
        self.available_frontends["onnx"] = self.parse_onnx

    def parse_onnx(self, io: IO[bytes]) -> ModuleOp:
        """An ONNX model (external data loads from beside the file)."""
        path = self.args.input_file
        source = path if path not in (None, "-") else io.read()
        return import_model(source, self.args, self.get_input_name())

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        super().register_all_arguments(arg_parser)
        add_import_options(arg_parser)

    def register_all_targets(self) -> None:
        super().register_all_targets()
        self.available_targets["lpu"] = print_lpu

    def get_input_stream(self) -> tuple[IO[bytes], str]:
        if self.args.input_file == "-":
            return sys.stdin.buffer, "mlir"
        return super().get_input_stream()

    _chunk_line = 0
    """Line offset of the --split-input-file chunk being parsed."""

    def parse_chunk(
        self, chunk: IO[bytes], file_extension: str, start_offset: int = 0
    ) -> ModuleOp | None:
        """Parse and verify a chunk; with --verify-diagnostics or --parsing-diagnostics
        a located error is printed (on stdout, as xDSL prints its diagnostics) and
        the next chunk follows."""
        self._chunk_line = start_offset
        try:
            module = super().parse_chunk(chunk, file_extension, start_offset)
            if module is not None and not self.args.disable_verify:
                verify_located(module)
        except LpuError as e:
            if not (self.args.verify_diagnostics or self.args.parsing_diagnostics):
                raise
            print(e)
            return None
        return module


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `lpu-opt` console script."""
    return run_reporting_errors(
        "lpu-opt",
        lambda: LpuOptMain(
            description="lpuir modular optimizer driver", args=argv
        ).run(),
    )


if __name__ == "__main__":
    sys.exit(main())
