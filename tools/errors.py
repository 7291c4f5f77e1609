"""How the command-line tools report failures: one clear line, a non-zero exit
code, no traceback (set LPUIR_TRACEBACK=1 to see one when debugging lpuir)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from lark.exceptions import LarkError
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError

from lpuir.diagnostics import LpuError


def _message(e: BaseException) -> str:
    if isinstance(e, ParseError):
        # xDSL puts the position alone on the first line; lead with `file:line:col: error:`
        where, _, context = e.span.print_with_context().partition("\n")
        notes = str(e).removeprefix(
            e.span.print_with_context(e.msg)
        )  # other spans, if any
        message = e.msg
        if message.startswith(" "):  # xDSL's context alone: " in block definition"
            message = f"unexpected '{e.span.text}'{message}"
        return f"{where}: error: {message}\n{context}{notes}".rstrip()
    if isinstance(e, LpuError | ArgSpecParseError):
        return str(e).rstrip()
    if isinstance(e, DiagnosticException):
        # xDSL attaches the whole module as a note; the first line says what broke
        return str(e.args[0]) if e.args else type(e).__name__
    if isinstance(e, MemoryError):
        return "out of memory (a tensor or a program larger than this machine holds)"
    if isinstance(e, OSError):
        return f"{e.filename or ''}: {e.strerror or e}".lstrip(": ")
    return str(e)


def run_tool(
    tool: str, run: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None
) -> int:
    """A console script's exit code: `run(argv)`'s, or 1 (and one located line)
    for a user error (see `run_reporting_errors`)."""
    code = 0

    def body() -> None:
        nonlocal code
        code = run(argv)

    return run_reporting_errors(tool, body) or code


def run_reporting_errors(tool: str, body: Callable[[], object]) -> int:
    """Run a tool's body; user errors become `tool: error: ...` and exit 1."""
    try:
        body()
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except (
        MemoryError,
        ParseError,
        LpuError,
        ArgSpecParseError,
        DiagnosticException,
        OSError,
        ValueError,
        LarkError,
    ) as e:
        if os.environ.get("LPUIR_TRACEBACK"):
            raise
        message = _message(e)
        prefix = "" if ": error:" in message.split("\n", 1)[0] else f"{tool}: error: "
        print(f"{prefix}{message}", file=sys.stderr)
        return 1
    except Exception as e:
        if os.environ.get("LPUIR_TRACEBACK"):
            raise
        print(
            f"{tool}: internal error: {type(e).__name__}: {e} (a bug in lpuir; LPUIR_TRACEBACK=1 shows where)",
            file=sys.stderr,
        )
        return 70
    return 0
