"""``aureus diff-decisions A B``: compare two decision streams record by record.

A stream is a ``decisions.jsonl`` file (one ``signals`` message per line, as replay writes and the daemon
publishes) or a run directory holding one. The first difference is printed with the fields that differ.
Exit status: 0 equal, 1 different, 2 bad input (missing file, a line that is not a ``signals`` message).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console

from aureus.cli_errors import fail
from schemas.signals import Signal

DECISIONS_FILE = "decisions.jsonl"

_out = Console(highlight=False, markup=False, soft_wrap=True)  # paths like runs/[a] print as is
_DECODER = msgspec.json.Decoder(Signal)


class BadStream(Exception):
    """A stream that cannot be read or decoded (the message names the file and line)."""


def stream_path(path: Path) -> Path:
    """``path`` itself, or ``path/decisions.jsonl`` for a run directory."""
    return path / DECISIONS_FILE if path.is_dir() else path


def _records(path: Path) -> Iterator[tuple[int, bytes, object]]:
    try:
        f = path.open("rb")
    except OSError as e:
        raise BadStream(f"{path}: cannot read ({e.strerror})") from e
    with f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip(b"\n")
            try:
                yield number, line, _DECODER.decode(line)
            except msgspec.DecodeError as e:
                raise BadStream(f"{path}:{number}: not a signals message: {e}") from e


def first_difference(a: Path, b: Path) -> str | None:
    """A description of the first record where streams ``a`` and ``b`` differ, ``None`` when equal.

    Raises
    ------
    BadStream
        A stream is missing or has a line that does not decode as a ``signals`` message.
    """
    a, b = stream_path(a), stream_path(b)
    left, right = _records(a), _records(b)
    count = 0
    while True:
        x, y = next(left, None), next(right, None)
        if x is None and y is None:
            return None
        if x is None or y is None:
            longer, extra = (b, y) if x is None else (a, x)
            return f"record {count + 1}: only {longer} has it: {_describe(extra[2])}"
        count += 1
        if x[1] == y[1]:
            continue
        da, db = msgspec.to_builtins(x[2]), msgspec.to_builtins(y[2])
        fields = [k for k in dict.fromkeys([*da, *db]) if da.get(k) != db.get(k)]
        if not fields:  # same content, different encoding (key order, spacing)
            continue
        lines = [f"record {count} ({_describe(x[2])}) differs in {', '.join(fields)}:"]
        lines += [f"  {k}: {da.get(k)!r} != {db.get(k)!r}" for k in fields]
        return "\n".join(lines)


def _describe(record) -> str:
    return f"{getattr(record, 'instrument', '?')} ts_event={getattr(record, 'ts_event', '?')}"


def diff_decisions(
    a: Annotated[Path, typer.Argument(help="decisions.jsonl or a run directory")],
    b: Annotated[Path, typer.Argument(help="decisions.jsonl or a run directory")],
) -> None:
    """Compare two decision streams record by record; print the first difference (exit 1), or none (0)."""
    try:
        difference = first_difference(a, b)
    except BadStream as e:
        raise fail(e) from e
    if difference is None:
        _out.print(f"equal: {stream_path(a)} and {stream_path(b)}")
        return
    _out.print(difference)
    raise typer.Exit(1)


def register_decisions(app: typer.Typer) -> None:
    """Add ``diff-decisions`` to the top-level app."""
    app.command("diff-decisions")(diff_decisions)
