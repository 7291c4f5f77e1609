"""Running the command-line tools in this process, as tests do: exit code and
what they printed, with a time limit that turns a hang into a failure."""

from __future__ import annotations

import contextlib
import io
import signal
from collections.abc import Callable, Iterator, Sequence


class Hang(BaseException):
    """A run took longer than its limit (a BaseException, so that no tool
    reports it as an error of its own)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Hang in the block after `seconds` (SIGALRM: the main thread only)."""

    def expire(*_: object) -> None:
        raise Hang(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_tool(
    tool: Callable[[Sequence[str]], int], argv: Sequence[str], seconds: float = 60
) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of `tool(argv)`."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        time_limit(seconds),
    ):
        code = tool(list(argv))
    return code, out.getvalue(), err.getvalue()
