"""Files the tools write: checked before the work starts, and written whole or
not at all (a temporary file beside the target, renamed over it once complete),
so a failure or Ctrl-C leaves an existing file as it was."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from lpuir.diagnostics import LpuError


def check_output(path: str, what: str) -> None:
    """An error now, before any work, for a path that cannot be written: a
    folder, or a file in a folder that does not exist."""
    target = Path(path)
    if target.is_dir():
        raise LpuError(f"{what}: {path} is a folder; give a file name")
    if not target.parent.is_dir():
        raise LpuError(f"{what}: {target.parent}: no such folder")


def _mode(target: Path) -> int:
    """The target's permissions if it exists, else what a new file gets."""
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def replacing(path: str, binary: bool = False) -> Iterator[IO[Any]]:
    """A file whose content replaces `path` when the block completes; if the
    block raises, `path` is untouched. A target that is not a regular file
    (`/dev/null`, a pipe) is written in place."""
    target = Path(path)
    if target.exists() and not target.is_file():
        with open(target, "wb" if binary else "w") as f:
            yield f
        return
    fd, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb" if binary else "w") as f:
            yield f
        os.chmod(temporary, _mode(target))
        os.replace(temporary, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_text(path: str, text: str) -> None:
    """Replace `path` with `text`, whole or not at all."""
    with replacing(path) as f:
        f.write(text)
