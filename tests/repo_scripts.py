"""The repository's scripts (benchmarks/, examples/) as modules, for tests that
check what those scripts print or write: they are files of the checkout, not
part of the installed package, so they are loaded by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_script(relative: str) -> ModuleType:
    """The script at `relative` (from the checkout's root), imported under its
    file's stem (registered in sys.modules: its dataclasses need that), with
    its folder on sys.path while it loads, as running it puts it there (for
    the scripts that import their neighbours: benchmarks/llama3_8b.py)."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module
