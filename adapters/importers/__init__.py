"""Importers for real data formats, and :func:`import_files` that turns files into a recording.

Each kind lives in its own module with a ``read_file(path, ctx)`` function; :data:`IMPORTERS` maps the
CLI kind name to it. Several files of one kind become one recording (several instruments, or several
files of one instrument checked across file boundaries in the order given). Refused rows are written to
``rejects.jsonl`` next to the manifest, whose ``rejects`` field holds their count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from adapters.errors import RecordingError
from adapters.importers import benzinga, binance, fx_quotes, fxcm, generic, kraken, tweets, yahoo
from adapters.importers.common import ImportContext, ProgressCallback, RejectedRow
from adapters.importers.errors import NoValidRowsError, UnknownImportKindError, UnreadableFileError
from adapters.importers.ohlcv import FileStats
from adapters.importers.timebase import TimeWindow
from adapters.recorded.extend import extend_recording
from adapters.recorded.files import MANIFEST_FILE, REJECTS_FILE, RecordingWriter
from schemas.recording import Manifest

__all__ = [
    "IMPORTERS",
    "ImportReport",
    "Importer",
    "RejectedRow",
    "import_files",
]

_REJECT_ENCODER = msgspec.json.Encoder()


@dataclass(frozen=True)
class Importer:
    """One import kind: its CLI name, a one-line description and the per-file reader."""

    name: str
    description: str
    read_file: Callable[[Path, ImportContext], FileStats]


IMPORTERS: dict[str, Importer] = {
    importer.name: importer
    for importer in (
        Importer("binance-klines", "Binance kline CSV (header optional, epoch s/ms/us or ISO open_time)",
                 binance.read_file),
        Importer("kraken-ohlc", "Kraken OHLCVT CSV, no header (unix_s,o,h,l,c,v,count), sparse minutes",
                 kraken.read_file),
        Importer("yahoo-daily", "Yahoo daily CSV (Date,Open,High,Low,Close,Adj Close,Volume), equity",
                 yahoo.read_file),
        Importer("benzinga-news", "Benzinga headlines CSV (,title,date,stock) -> news.raw",
                 benzinga.read_file),
        Importer("histdata-quotes", "HistData FX ticks, no header (YYYYMMDD HHMMSSmmm,bid,ask,0), EST",
                 fx_quotes.read_histdata),
        Importer("truefx-quotes", "TrueFX FX ticks (timestamp,bid,ask)", fx_quotes.read_truefx),
        Importer("ohlcv-csv", "any OHLCV CSV (--columns, --time-format, volume optional)",
                 generic.read_file),
        Importer("stocknet-tweets", "StockNet tweets JSONL(.gz) (ticker, created_at, text) -> news.raw",
                 tweets.read_file),
        Importer("fxcm-bars", "FXCM bid + ask minute bars (fxcm_PAIR-m1-bid|ask-YEAR.csv) -> mid bars",
                 fxcm.read_file),
    )
}  # fmt: skip


@dataclass(frozen=True)
class ImportReport:
    """What an import produced.

    Attributes
    ----------
    path
        The recording directory.
    manifest
        Its manifest.
    files
        Rows read and accepted per input file.
    rejects
        Every refused row, in file then line order (also in ``rejects.jsonl``).
    out_of_order
        Instrument -> accepted rows that came earlier than a row before them (sorted into place).
    epoch_units
        File name -> the epoch unit its numeric times were read in (``s``, ``ms``, ``us``, ``ns``).
    """

    path: Path
    manifest: Manifest
    files: tuple[FileStats, ...]
    rejects: tuple[RejectedRow, ...]
    out_of_order: dict[str, int] = field(default_factory=dict)
    epoch_units: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Rows read over all files (headers excluded)."""
        return sum(f.rows for f in self.files)

    @property
    def reject_pct(self) -> float:
        """Rejected rows in percent of the rows read."""
        return 100.0 * len(self.rejects) / self.rows if self.rows else 0.0

    def reject_counts(self) -> dict[str, int]:
        """Number of rejects per reason, most frequent first."""
        return dict(Counter(r.reason for r in self.rejects).most_common())


def import_files(
    kind: str,
    files: Sequence[Path | str],
    out_dir: Path | str,
    *,
    symbol: str | None = None,
    venue: str | None = None,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    window: TimeWindow | None = None,
    options: dict[str, str] | None = None,
    add: bool = False,
) -> ImportReport:
    """Import ``files`` of one ``kind`` into a recording at ``out_dir``.

    Parameters
    ----------
    kind
        A key of :data:`IMPORTERS`.
    files
        Input files, read in this order.
    out_dir
        Recording directory to write.
    symbol
        Symbol for every file instead of the one in the file name.
    venue
        Venue instead of the kind's default.
    overwrite
        Replace a recording already in ``out_dir``.
    progress
        Called with the number of characters read, for a progress bar.
    window
        Plausible times (default :meth:`TimeWindow.default`: 1990-01-01 to now + 1 day).
    options
        Kind-specific options (``ohlcv-csv``: ``columns``, ``time_format``, ``asset_class``, ``currencies``).
    add
        Add the imported topics to the recording already in ``out_dir`` (e.g. news onto bars) instead of
        writing a new one; its rejects are appended to ``rejects.jsonl``.

    Returns
    -------
    ImportReport
        Manifest, per-file counts and rejects.

    Raises
    ------
    UnknownImportKindError
        ``kind`` is not registered.
    UnreadableFileError, SymbolInferenceError
        A file cannot be read, or its symbol cannot be found.
    NoValidRowsError
        A file has no valid row (nothing is written then).
    RecordingError
        ``out_dir`` holds a recording and ``overwrite`` is false, or it cannot be written.
    """
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise UnknownImportKindError(f"unknown import kind {kind!r}; known: {', '.join(IMPORTERS)}")
    out = Path(out_dir)
    if add and overwrite:
        raise RecordingError("--add and --force exclude each other", path=out)
    if add and not (out / MANIFEST_FILE).is_file():
        raise RecordingError("--add needs an existing recording here (manifest.json missing)", path=out)
    if (out / MANIFEST_FILE).exists() and not overwrite and not add:
        raise RecordingError(
            "a recording already exists here (pass overwrite=True / --force to replace it)", path=out
        )
    paths = [Path(file) for file in files]
    if not paths:
        raise UnreadableFileError("no input files given")
    for path in paths:
        if path.is_dir():
            raise UnreadableFileError(f"input is a directory, not a file: {path}")
        if not path.is_file():
            raise UnreadableFileError(f"input file not found: {path}")
    ctx = ImportContext(symbol=symbol, venue=venue, progress=progress, window=window or TimeWindow.default(),
                        options=dict(options or {}))  # fmt: skip
    stats: list[FileStats] = []
    for path in paths:
        file_stats = importer.read_file(path, ctx)
        if file_stats.accepted == 0:
            raise NoValidRowsError(_no_rows_message(path, file_stats, ctx.rejects))
        stats.append(file_stats)
    streams, instruments, out_of_order = [], [], {}
    for name, builder in ctx.builders.items():
        items, spec = builder.finish()
        streams.append(items)
        if spec is not None:
            instruments.append(spec)
        late = getattr(builder, "out_of_order", 0)
        if late:
            out_of_order[name] = late
            ctx.note(f"{name}: {late} rows out of time order, sorted")
    units = ctx.epoch_units()
    if units:
        ctx.note("epoch units: " + ", ".join(f"{name} {unit}" for name, unit in sorted(units.items())))
    notes = "; ".join([f"files: {', '.join(p.path.name for p in stats)}", *ctx.notes])
    if add:
        payloads = [p for stream in streams for p in stream]
        manifest = extend_recording(out, payloads, instruments=instruments, source=f"import:{kind}",
                                    notes=notes, rejects=len(ctx.rejects))  # fmt: skip
        _write_rejects(out / REJECTS_FILE, ctx.rejects, append=True)
        return ImportReport(out, manifest, tuple(stats), tuple(ctx.rejects), out_of_order, units)
    writer = RecordingWriter(out, source=f"import:{kind}", synthetic=False, notes=notes, overwrite=overwrite,
                             instruments=sorted(instruments, key=lambda s: s.instrument_id))  # fmt: skip
    writer.rejects = len(ctx.rejects)
    manifest = writer.write_streams(streams)
    _write_rejects(out / REJECTS_FILE, ctx.rejects)
    return ImportReport(out, manifest, tuple(stats), tuple(ctx.rejects), out_of_order, units)


def _no_rows_message(path: Path, stats: FileStats, rejects: list[RejectedRow]) -> str:
    mine = [r for r in rejects if r.file == str(path)]
    reasons = Counter(r.reason for r in mine).most_common(3)
    detail = ", ".join(f"{reason} x{count}" for reason, count in reasons)
    return f"{path}: no valid rows ({stats.rows} rows read{'; ' + detail if detail else ''})"


def _write_rejects(path: Path, rejects: list[RejectedRow], *, append: bool = False) -> None:
    if not rejects:
        if not append:
            path.unlink(missing_ok=True)
        return
    buffer = bytearray()
    for reject in rejects:
        _REJECT_ENCODER.encode_into(reject, buffer, -1)
        buffer.extend(b"\n")
    try:
        with path.open("ab" if append else "wb") as handle:
            handle.write(bytes(buffer))
    except OSError as e:
        raise RecordingError(f"cannot write rejects: {e}", path=path) from e
