"""One error printer for every ``aureus`` command.

User text (paths with brackets, file contents, reasons) is never read as rich markup: the message is a
:class:`rich.text.Text`, so ``[x]`` in a path stays ``[x]`` and nothing in it can crash the printer.
Every expected failure becomes one line ``error: ...`` on stderr and exit code 2; the traceback only
with ``--debug`` (accepted anywhere on the command line).
"""

from __future__ import annotations

import shutil
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from schemas.errors import AureusError

EXIT_ERROR = 2
DEBUG_FLAG = "--debug"

#: Failures a user can cause and fix (wrong path, directory instead of file, bad bytes): reported in one
#: line. Anything else is a bug and keeps its traceback.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (AureusError, OSError, UnicodeError)

_stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def describe(error: BaseException) -> str:
    """One line that names the problem and, where known, the file.

    Parameters
    ----------
    error
        An exception from :data:`EXPECTED_ERRORS` (any exception works).

    Returns
    -------
    str
        The message with newlines folded into spaces.
    """
    if isinstance(error, UnicodeDecodeError):
        text = f"not UTF-8 text ({error.reason} at byte {error.start})"
    elif isinstance(error, OSError) and not isinstance(error, AureusError):
        what = error.strerror or str(error)
        text = f"{what}: {error.filename}" if error.filename else what
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())


def print_error(message: str, console: Console | None = None) -> None:
    """Print ``error: <message>`` without interpreting ``message`` as markup."""
    line = Text("error: ", style="bold red")
    line.append(message)
    (console or _stderr).print(line)


def fail(error: BaseException | str, console: Console | None = None) -> typer.Exit:
    """Print the one-line error and return the :class:`typer.Exit` (code 2) to raise."""
    print_error(error if isinstance(error, str) else describe(error), console)
    return typer.Exit(code=EXIT_ERROR)


def run_cli(app: typer.Typer, argv: Sequence[str] | None = None) -> None:
    """Run ``app`` on ``argv`` (default ``sys.argv[1:]``), turning expected failures into one line, exit 2.

    Raises
    ------
    SystemExit
        Always: 0 on success, 2 on an expected failure or a usage error, as click decides otherwise.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in args
    args = [a for a in args if a != DEBUG_FLAG]
    try:
        app(args=args, prog_name="aureus")
    except EXPECTED_ERRORS as error:
        if debug:
            traceback.print_exc()
        print_error(describe(error))
        raise SystemExit(EXIT_ERROR) from error


@contextmanager
def removed_on_failure(out: Path) -> Iterator[None]:
    """Delete ``out`` again when the block fails and ``out`` did not exist before it: nothing half-made stays.

    An ``--out`` that already existed is left alone (it may hold the user's files).
    """
    existed = out.exists()
    try:
        yield
    except BaseException:
        if not existed and out.is_dir():
            shutil.rmtree(out, ignore_errors=True)
        raise
