"""The importer's command-line options, shared by lpu-opt and lpu-run (this
module does not import `onnx`, so the tools start as fast without a model)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from lpuir.diagnostics import LpuError

_SHAPE = re.compile(r"^(.+)=(\d+(?:x\d+)*|scalar)$")


def add_import_options(parser: argparse.ArgumentParser) -> None:
    """--weights-as-arguments and --input-shape."""
    parser.add_argument(
        "--weights-as-arguments",
        action="store_true",
        help="ONNX input: initializers become {lpu.weight} arguments (timing studies without values)",
    )
    parser.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME=DIMS",
        help="ONNX input: bind input NAME's symbolic dimensions, e.g. input_ids=1x128",
    )


def input_shapes(specs: Sequence[str]) -> dict[str, tuple[int, ...]]:
    """`name=1x128` specs as a mapping (`name=scalar` for rank 0)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for spec in specs:
        m = _SHAPE.match(spec)
        if m is None:
            raise LpuError(
                f"--input-shape '{spec}' is not NAME=DIMS (like input_ids=1x128)"
            )
        dims = m.group(2)
        shapes[m.group(1)] = (
            () if dims == "scalar" else tuple(map(int, dims.split("x")))
        )
    return shapes


def import_model(
    model: str | Path | bytes, args: argparse.Namespace, source: str | None = None
) -> ModuleOp:
    """`lpuir.import_onnx` with the options in `args`."""
    from lpuir.onnx import import_onnx

    return import_onnx(
        model,
        weights_as_arguments=args.weights_as_arguments,
        input_shapes=input_shapes(args.input_shape),
        source=source,
    )
