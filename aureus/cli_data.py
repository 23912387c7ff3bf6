"""``aureus data``: import real data into recordings, generate synthetic sessions, verify recordings.

The lead CLI mounts :data:`data_app` with ``app.add_typer(data_app)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from adapters.importers import IMPORTERS, ImportReport, import_files
from adapters.importers.errors import UnreadableFileError
from adapters.importers.timebase import TimeWindow
from adapters.recorded import REJECTS_FILE, open_recording
from adapters.synthetic import DEFAULT_DAYS, DEFAULT_INSTRUMENTS, synthesize
from aureus.cli_errors import EXPECTED_ERRORS, fail
from schemas.recording import Manifest

data_app = typer.Typer(
    name="data",
    help="Recorded streams: import real data files, generate synthetic sessions, verify recordings.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(highlight=False, soft_wrap=True)

ImportKind = Enum("ImportKind", {name.replace("-", "_"): name for name in IMPORTERS}, type=str)  # type: ignore[misc]
PROGRESS_MIN_BYTES = 1 << 20
DEFAULT_MAX_REJECT_PCT = 5.0
_FIRST_LINES = 5
_KINDS_HELP = "; ".join(f"{name}: {imp.description}" for name, imp in IMPORTERS.items())


def _fail(error: Exception) -> typer.Exit:
    return fail(error)


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@contextmanager
def _progress(files: list[Path]) -> Iterator[Callable[[int], None] | None]:
    total = sum(p.stat().st_size for p in files if p.is_file())
    if total < PROGRESS_MIN_BYTES:
        yield None
        return
    columns = (TextColumn("importing"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("import", total=total)
        pending = 0

        def advance(chars: int) -> None:
            nonlocal pending
            pending += chars
            if pending >= 1 << 16:
                progress.advance(task, pending)
                pending = 0

        yield advance
        progress.update(task, completed=total)


def print_manifest(path: Path, manifest: Manifest) -> None:
    """Print where a recording is and what it holds."""
    console.print(f"[bold green]recording[/] {escape(str(path))}")
    console.print(f"  source {escape(manifest.source)}  synthetic={manifest.synthetic}")
    console.print(f"  time   {_iso(manifest.start_ns)} -> {_iso(manifest.end_ns)}")
    for topic in manifest.topics:
        console.print(f"  {topic.topic:<12} {topic.records:>9,} records  ({topic.file})")
    console.print(f"  instruments {len(manifest.instruments)}")
    for spec in manifest.instruments:
        console.print(
            escape(f"    {spec.instrument_id}  {spec.kind} {spec.base_currency}/{spec.quote_currency}  "
                   f"bucket={spec.bucket}  price_precision={spec.price_precision}  "
                   f"size_precision={spec.size_precision}  bar={spec.bar_interval_s}s")
        )  # fmt: skip
    console.print(f"  rejects {manifest.rejects}")
    console.print(f"  content_hash {manifest.content_hash}", soft_wrap=True)


def print_rejects(report: ImportReport) -> None:
    """Print the per-file counts and a per-reason summary of the rejected rows."""
    files = Table(title="files", title_justify="left")
    for column in ("file", "rows", "accepted", "rejected"):
        files.add_column(column, justify="left" if column == "file" else "right")
    for stats in report.files:
        files.add_row(
            escape(stats.path.name),
            f"{stats.rows:,}",
            f"{stats.accepted:,}",
            f"{stats.rows - stats.accepted:,}",
        )
    console.print(files)
    if not report.rejects:
        return
    table = Table(title=escape(f"rejected rows (all in {report.path / REJECTS_FILE})"), title_justify="left")
    table.add_column("reason")
    table.add_column("count", justify="right")
    table.add_column("first lines")  # line numbers are 1-based physical lines
    for reason, count in report.reject_counts().items():
        lines = [r for r in report.rejects if r.reason == reason][:_FIRST_LINES]
        single = len(report.files) == 1
        shown = ", ".join(str(r.line) if single else f"{Path(r.file).name}:{r.line}" for r in lines)
        table.add_row(reason, f"{count:,}", escape(shown + (" ..." if count > _FIRST_LINES else "")))
    console.print(table)


@data_app.command(
    "import", help=f"Import FILES of one KIND into a recording directory. Kinds: {_KINDS_HELP}."
)
def import_command(
    kind: Annotated[ImportKind, typer.Argument(help="Input format.", show_default=False)],
    files: Annotated[list[Path], typer.Argument(help="Input files; several files make one recording.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Recording directory to write.")],
    symbol: Annotated[
        str | None,
        typer.Option(help="Symbol instead of the one in the file name (BTCUSDT, BTC/USDT, EURUSD)."),
    ] = None,
    venue: Annotated[
        str | None,
        typer.Option(
            help="Venue (default BINANCE, KRAKEN, FXCM, the exchange in a SYMBOL.VENUE_ file name, else SIM)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a recording already in --out.")] = False,
    max_reject_pct: Annotated[
        float,
        typer.Option(
            help="Exit non-zero when more than this percent of rows is rejected (the recording is "
            "still written and the rejects listed).",
            min=0.0,
            max=100.0,
        ),
    ] = DEFAULT_MAX_REJECT_PCT,
    not_before: Annotated[
        str | None, typer.Option(help="Reject rows stamped before this ISO date (default 1990-01-01).")
    ] = None,
    not_after: Annotated[
        str | None, typer.Option(help="Reject rows stamped after this ISO date (default: now + 1 day).")
    ] = None,
    add: Annotated[
        bool, typer.Option("--add", help="Add these topics to the recording in --out (news onto bars).")
    ] = False,
    columns: Annotated[
        str | None, typer.Option(help="ohlcv-csv: time=COL,open=COL,high=COL,low=COL,close=COL[,volume=COL].")
    ] = None,
    time_format: Annotated[
        str | None, typer.Option(help="ohlcv-csv: strptime pattern of the time column (naive = UTC).")
    ] = None,
    asset_class: Annotated[
        str | None, typer.Option(help="ohlcv-csv: crypto_spot, equity, fx or future (default: inferred).")
    ] = None,
    currencies: Annotated[
        str | None, typer.Option(help="ohlcv-csv: BASE/QUOTE when the symbol does not say (e.g. EUR/USD).")
    ] = None,
) -> None:
    """Import real data files into a recording; bad rows go to rejects.jsonl."""
    given = {
        "columns": columns,
        "time_format": time_format,
        "asset_class": asset_class,
        "currencies": currencies,
    }
    options = {key: value for key, value in given.items() if value}
    try:
        if options and kind.value != "ohlcv-csv":
            raise UnreadableFileError(
                f"--{'/--'.join(k.replace('_', '-') for k in options)} only apply to ohlcv-csv"
            )
        window = TimeWindow.default(not_before, not_after)
        with _progress(files) as advance:
            report = import_files(kind.value, files, out, symbol=symbol, venue=venue, overwrite=force,
                                  progress=advance, window=window, options=options, add=add)  # fmt: skip
    except EXPECTED_ERRORS as error:
        raise _fail(error) from error
    print_rejects(report)
    print_manifest(report.path, report.manifest)
    check_reject_share(report, max_reject_pct)


def print_import_notes(report: ImportReport) -> None:
    """Print rows sorted into time order and the epoch unit of each file."""
    for instrument, count in report.out_of_order.items():
        console.print(escape(f"  {instrument}: {count:,} rows were out of time order and were sorted"))
    for name, unit in report.epoch_units.items():
        console.print(escape(f"  {name}: epoch times read in {unit}"))


def check_reject_share(report: ImportReport, max_reject_pct: float) -> None:
    """Exit 2 (after the recording was written) when rejects exceed ``max_reject_pct`` of the rows."""
    print_import_notes(report)
    if report.reject_pct > max_reject_pct:
        raise fail(
            f"{len(report.rejects):,} of {report.rows:,} rows rejected ({report.reject_pct:.2f}% > "
            f"--max-reject-pct {max_reject_pct:g}); the recording was written to {report.path}, "
            f"rejects in {report.path / REJECTS_FILE}"
        )


@data_app.command("synth", help="Generate a deterministic synthetic 1-minute session as a recording.")
def synth_command(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives byte-identical files.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Recording directory to write.")],
    days: Annotated[int, typer.Option(help="Days of 24/7 1-minute bars.", min=2)] = DEFAULT_DAYS,
    instruments: Annotated[int, typer.Option(help="Number of instruments.", min=1)] = DEFAULT_INSTRUMENTS,
    force: Annotated[bool, typer.Option("--force", help="Replace a recording already in --out.")] = False,
) -> None:
    """Generate a synthetic session: factor model, regimes, one crash day, news shocks."""
    try:
        manifest = synthesize(seed, out, days=days, n_instruments=instruments, overwrite=force)
    except EXPECTED_ERRORS as error:
        raise _fail(error) from error
    print_manifest(out, manifest)
    console.print(f"  notes  {escape(manifest.notes)}")


@data_app.command("verify", help="Check a recording's files against its manifest hashes and counts.")
def verify_command(
    path: Annotated[Path, typer.Argument(help="Recording directory.")],
) -> None:
    """Verify a recording and print its summary."""
    try:
        recording = open_recording(path)
        manifest = recording.verify()
    except EXPECTED_ERRORS as error:
        raise _fail(error) from error
    print_manifest(path, manifest)
    console.print("[bold green]verified[/]: hashes and record counts match the manifest")


@data_app.command("bars", help="Aggregate quotes or trades into time bars (adds md.bars to the recording).")
def bars_command(
    path: Annotated[Path, typer.Argument(help="Recording directory with md.quotes or md.trades.")],
    interval: Annotated[str, typer.Option(help="Bar interval: 15s, 1m, 5m, 1h, 1d.")] = "1m",
) -> None:
    """Add ``md.bars`` built from quotes (mid) or trades, so the recording can be replayed."""
    from adapters.recorded.aggregate import aggregate_bars, parse_interval
    from adapters.recorded.extend import extend_recording

    try:
        interval_s = parse_interval(interval)
        recording = open_recording(path)
        recording.verify()
        bars, specs, notes = aggregate_bars(recording, interval_s)
        manifest = extend_recording(path, bars, instruments=specs, source=f"bars:{interval}",
                                    notes="; ".join(notes), rejects=0, replace_specs=True)  # fmt: skip
    except EXPECTED_ERRORS as error:
        raise _fail(error) from error
    print_manifest(path, manifest)
