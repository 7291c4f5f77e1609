"""lpu-opt: parse, verify, transform and print lpuir programs (like mlir-opt).

Inputs are MLIR text (`.mlir`, or stdin), LPU text (`.lpu`, or `-f lpu`),
ONNX models (`.onnx`, or `-f onnx`: docs/onnx.md) or any other registered
frontend (lpuir.frontend.FRONTENDS); outputs MLIR (`-t mlir`, the default) or
LPU text (`-t lpu`). `-o FILE` is replaced only when everything succeeded;
passes show progress on a terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import IO

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.printer import Printer
from xdsl.xdsl_opt_main import xDSLOptMain

from lpuir import progress
from lpuir.context import LPUIR_DIALECTS
from lpuir.diagnostics import LpuError, verify_located
from lpuir.extensions import available_passes
from lpuir.frontend import FRONTENDS, parse_source
from lpuir.grammar.printer import print_lpu
from lpuir.onnx.options import add_import_options, import_model
from lpuir.tools.errors import run_reporting_errors
from lpuir.tools.outputs import check_output, replacing


class LpuOptMain(xDSLOptMain):
    """xdsl-opt with lpuir's dialects, frontends and targets only, and its
    passes: lpuir's own and the registered extensions (lpuir.extensions)."""

    _outputs: ExitStack

    def __init__(self, description: str, args: Sequence[str] | None = None):
        super().__init__(
            description=description,
            args=target_of_output(list(sys.argv[1:] if args is None else args)),
        )

    def register_all_dialects(self) -> None:
        for name, factory in LPUIR_DIALECTS.items():
            self.ctx.register_dialect(name, factory)

    def register_all_passes(self) -> None:
        for name, factory in available_passes().items():
            self.register_pass(name, factory)

    def register_all_frontends(self) -> None:
        def frontend(kind: str) -> Callable[[IO[bytes]], ModuleOp]:
            def parse(io: IO[bytes]) -> ModuleOp:
                name = self.get_input_name()
                return parse_source(
                    io.read(),
                    name,
                    frontend=kind,
                    ctx=self.ctx,
                    line_offset=self._chunk_line,
                    implicit_module=not self.args.no_implicit_module,
                )

            return parse

        for kind in FRONTENDS:
            self.available_frontends[kind] = frontend(kind)
        self.available_frontends["onnx"] = self.parse_onnx

    def parse_onnx(self, io: IO[bytes]) -> ModuleOp:
        """An ONNX model (external data loads from beside the file)."""
        path = self.args.input_file
        source = path if path not in (None, "-") else io.read()
        return import_model(source, self.args, self.get_input_name())

    def register_all_targets(self) -> None:
        super().register_all_targets()
        self.available_targets["lpu"] = print_lpu

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        super().register_all_arguments(arg_parser)
        arg_parser.add_argument(
            "--quiet",
            action="store_true",
            help="no progress display (shown on a terminal only)",
        )
        add_import_options(arg_parser)

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

    def setup_pipeline(self) -> None:
        super().setup_pipeline()
        self.pipeline = self.pipeline.__class__(self.pipeline.passes, self._between)
        self._passes_done = 0
        self._pass_start = time.perf_counter()

    def _between(
        self,
        previous: ModulePass | None,
        module: ModuleOp,
        following: ModulePass | None,
    ) -> None:
        """Between passes, as xdsl-opt (--time-passes, verification,
        --print-between-passes), but verification errors are located, and
        the passes done show as progress."""
        if self.args.time_passes and previous is not None:
            took = time.perf_counter() - self._pass_start
            print(f"Pass {previous.name} took {took} seconds")
        if not self.args.disable_verify:
            verify_located(module)
        if previous and following and self.args.print_between_passes:
            print(f"IR after {previous.name}:")
            Printer(stream=sys.stdout).print_op(module)
            print("\n\n\n")
        self._passes_done += previous is not None
        progress.update(
            "lpu-opt",
            self._passes_done,
            len(self.pipeline.passes),
            "passes",
            following.name if following else "",
        )
        self._pass_start = time.perf_counter()

    def prepare_output(self) -> IO[str]:
        if self.args.output_file is None:
            return sys.stdout
        return self._outputs.enter_context(replacing(self.args.output_file))

    def run(self) -> None:
        """xdsl-opt's run; `-o FILE` is checked first and replaced only if
        everything succeeds."""
        if self.args.output_file is not None:
            check_output(self.args.output_file, "-o")
        with ExitStack() as self._outputs, progress.shown(not self.args.quiet):
            super().run()


def target_of_output(argv: list[str]) -> list[str]:
    """`-o FILE.lpu` without `-t` writes .lpu text (`-t lpu`), as an input's
    extension picks its frontend: MLIR under that name is a file lpu-run
    would refuse."""
    find = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    find.add_argument("-o", "--output-file")
    find.add_argument("-t", "--target")
    given, _ = find.parse_known_args(argv)
    if given.target is None and (given.output_file or "").endswith(".lpu"):
        return [*argv, "-t", "lpu"]
    return argv


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
