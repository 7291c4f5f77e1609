"""Digests of everything the compiler emits, to prove a refactor changed nothing.

    python benchmarks/compiled_digests.py save before.json [--llama-8b]
    python benchmarks/compiled_digests.py compare before.json after.json
    LPUIR_DIGESTS=tests.json PYTHONPATH=benchmarks python -m pytest -p compiled_digests

Every application of an lpuir pass (lpu-compile and each pass it runs, or any
pass a test applies) is recorded as `pass{options} | sha256(input text)` ->
sha256(output text), both printed with locations, so the same input must give
the same output byte for byte. `save` compiles a fixed corpus: every
tensor-level example on one chip and on the many-chip systems and strategies,
the Llama builder's numeric steps (tiny config, both checkpoints when
../shared/models is there) and timing steps, and the collectives; `--llama-8b`
adds one Llama-3-8B timing layer at context 1024. As a pytest plugin it
records every pass the test suite applies (hypothesis's ci profile is
derandomized, so the suite draws the same programs each run). `compare`
prints how many recorded applications match, and every key whose output
differs.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.printer import Printer

ROOT = Path(__file__).resolve().parent.parent
TEMP_PATH = re.compile(r"/tmp/[^\s\"':]*?pytest-\d+/[^/\s\"']*/")
"""pytest's per-run temporary folders, which appear in locations."""


def _digest(module: ModuleOp) -> str:
    out = io.StringIO()
    Printer(out, print_debuginfo=True).print_op(module)
    return hashlib.sha256(TEMP_PATH.sub("TMP/", out.getvalue()).encode()).hexdigest()


@contextmanager
def recording(table: dict[str, str]) -> Iterator[None]:
    """Record every lpuir pass application into `table` while active."""
    from lpuir.transforms import LPUIR_PASSES

    classes: list[type[ModulePass]] = [load() for load in LPUIR_PASSES.values()]
    originals = {cls: cls.apply for cls in classes}

    def wrap(cls: type[ModulePass]):
        original = originals[cls]

        def apply(self: ModulePass, ctx, op: ModuleOp) -> None:
            key = f"{self.pipeline_pass_spec()} | {_digest(op)}"
            original(self, ctx, op)
            table[key] = _digest(op)

        return apply

    for cls in classes:
        cls.apply = wrap(cls)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, original in originals.items():
            cls.apply = original  # type: ignore[method-assign]


SYSTEMS = (
    ("tsp-v1", "auto"),
    ("node8", "auto"),
    ("node8", "pipeline"),
    ("node8", "tensor"),
    ("node8 {chips_per_node = 2}", "tensor"),
    ("dragonfly4", "pipeline"),
)


def _corpus(llama_8b: bool) -> Iterator[tuple[str, str, str, str]]:
    """(name, tensor-level text, system, strategy) of every program compiled."""
    from lpuir.diagnostics import LpuError
    from lpuir.models.llama import (
        LlamaConfig,
        build_decode_step,
        build_timing_step,
        random_weights,
    )

    for path in sorted((ROOT / "examples").glob("**/*.mlir")):
        text = path.read_text()
        if "lpu.system" in text:
            continue
        for system, strategy in SYSTEMS:
            yield str(path.relative_to(ROOT)), text, system, strategy
    tiny = LlamaConfig.from_json(ROOT / "examples" / "llama" / "tiny.json")
    for weights in ("f16", "i8"):
        config = LlamaConfig(**{**tiny.to_dict(), "weights": weights})
        text = build_decode_step(config, random_weights(config, 0))
        for system, strategy in (("tsp-v1", "auto"), ("node8", "pipeline")):
            yield f"llama tiny {weights}", text, system, strategy
        yield (
            f"llama tiny {weights} timing",
            build_timing_step(config).text,
            "node8",
            "pipeline",
        )
    try:
        from lpuir.models.checkpoints import load_checkpoint

        for name in ("stories260K", "toy_llama31"):
            config, weights = load_checkpoint(name)
            text = build_decode_step(config, weights)
            for system in ("tsp-v1", "node8"):
                yield f"checkpoint {name}", text, system, "auto"
    except LpuError as error:  # checkpoints are optional here
        print(f"checkpoints skipped: {error}", file=sys.stderr)
    if llama_8b:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from llama3_8b import LLAMA3_8B, system_for

        config = LlamaConfig(**{**LLAMA3_8B.to_dict(), "context": 1024})
        system, _ = system_for(1, 5)
        yield (
            "llama3-8b 1 layer ctx 1024",
            build_timing_step(config, layers=1).text,
            system,
            "pipeline",
        )


def _collectives(table: dict[str, str]) -> None:
    from lpuir import collectives
    from lpuir.context import make_context
    from lpuir.transforms.allocate_sram import AllocateSramPass
    from lpuir.transforms.schedule import SchedulePass

    programs = {
        "all_reduce node8": collectives.all_reduce("node8", range(8), 8),
        "all_reduce dragonfly4": collectives.all_reduce(
            "dragonfly4", range(16), 16, nodes=2
        ),
        "all_gather node8": collectives.all_gather("node8", range(8), 4),
        "broadcast node8": collectives.broadcast("node8", range(8), 4),
    }
    for name, module in programs.items():
        AllocateSramPass().apply(make_context(), module)
        SchedulePass().apply(make_context(), module)
        table[f"collective {name}"] = _digest(module)


def save(path: Path, llama_8b: bool) -> None:
    from lpuir.context import make_context
    from lpuir.diagnostics import LpuError
    from lpuir.frontend import parse_source
    from lpuir.transforms.compile import CompilePass

    table: dict[str, str] = {}
    with recording(table):
        for name, text, system, strategy in _corpus(llama_8b):
            module = parse_source(text, name)
            key = f"program {name} @ {system} {strategy}"
            try:
                CompilePass(system=system, strategy=strategy).apply(
                    make_context(), module
                )
            except LpuError as error:  # the error is output too
                table[key] = f"error: {error}"
            else:
                table[key] = _digest(module)
            print(f"{name} @ {system} {strategy}", file=sys.stderr)
        _collectives(table)
    path.write_text(json.dumps(table, indent=0, sort_keys=True))
    print(f"{len(table)} digests -> {path}")


def compare(before: Path, after: Path) -> int:
    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    common = old.keys() & new.keys()
    differ = sorted(k for k in common if old[k] != new[k])
    print(
        f"{len(common)} recorded in both, {len(differ)} differ; "
        f"{len(old.keys() - new.keys())} only before, {len(new.keys() - old.keys())} only after"
    )
    for key in differ:
        print(f"DIFFERS {key}")
    return 1 if differ else 0


# --------------------------------------------------------------- pytest plugin
_SUITE: dict[str, str] = {}
_ACTIVE: list = []


def pytest_configure(config) -> None:
    if os.environ.get("LPUIR_DIGESTS"):
        context = recording(_SUITE)
        context.__enter__()
        _ACTIVE.append(context)


def pytest_unconfigure(config) -> None:
    if _ACTIVE:
        _ACTIVE.pop().__exit__(None, None, None)
        Path(os.environ["LPUIR_DIGESTS"]).write_text(
            json.dumps(_SUITE, indent=0, sort_keys=True)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    saving = sub.add_parser("save")
    saving.add_argument("out", type=Path)
    saving.add_argument("--llama-8b", action="store_true")
    comparing = sub.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "save":
        save(args.out, args.llama_8b)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
