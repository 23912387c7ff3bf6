"""``fxcm-bars``: FXCM bid and ask minute bars (``fxcm_gbpusd-m1-bid-2012.csv`` + ``-ask-``) into mid bars.

Each file is ``timestamp,open,high,low,close`` (UTC ISO times, bar open) for one side. Given both sides of a
pair, every minute present in both becomes one mid bar: each of open, high, low, close is the average of
the bid and ask values (so high and low are the averages of the sides' extremes, not the exact extremes of
the mid), with one more decimal than the inputs. A minute present on one side only is rejected
(``unpaired_side``) with its line. Given one side only, its bars are imported as they are (noted in the
manifest). No volume in the files: volume 0. Pair from ``--symbol`` or the file name, venue ``FXCM``.
"""

from __future__ import annotations

import re
from pathlib import Path

from adapters.importers.common import (
    ImportContext,
    RejectedRow,
    capped,
    clean_symbol,
    decimals,
    expect_fields,
    fx_pair_from_name,
    is_header,
    iter_rows,
    parse_number,
)
from adapters.importers.errors import ImportRowError, SymbolInferenceError
from adapters.importers.ohlcv import FileStats
from adapters.importers.series import check_ohlcv
from schemas.market import Bar
from schemas.recording import InstrumentSpec, Payload

DEFAULT_VENUE = "FXCM"
INTERVAL_S = 60
_SIDE = re.compile(r"(?:^|[_\-.])(bid|ask)(?:[_\-.]|$)", re.IGNORECASE)

Row = tuple[float, float, float, float]


class BidAskBars:
    """Bid and ask rows of one pair, joined into mid bars by :meth:`finish`."""

    def __init__(self, instrument_id: str, fields: dict[str, str], ctx: ImportContext) -> None:
        self.instrument_id = instrument_id
        self.fields = fields
        self.ctx = ctx
        self.sides: dict[str, dict[int, tuple[Row, Path, int, str]]] = {"bid": {}, "ask": {}}
        self.price_decimals = 0

    def add(self, side: str, ts: int, values: Row, texts: list[str], where: tuple[Path, int, str]) -> None:
        """Keep one validated row of ``side``; a second row at the same time is ``duplicate_timestamp``."""
        check_ohlcv(*values, 0.0)
        rows = self.sides[side]
        if ts in rows:
            raise ImportRowError("duplicate_timestamp", f"{side} time {ts} already seen")
        rows[ts] = (values, *where)
        self.price_decimals = max(self.price_decimals, *(decimals(t) for t in texts))

    def finish(self) -> tuple[list[Payload], InstrumentSpec | None]:
        """Mid bars where both sides have the minute (one side alone: that side's bars)."""
        bid, ask = self.sides["bid"], self.sides["ask"]
        precision = capped(self.price_decimals + (1 if bid and ask else 0))
        step = INTERVAL_S * 1_000_000_000
        bars: list[Payload] = []
        if bid and ask:
            for rows, other in ((bid, ask), (ask, bid)):
                for ts, (_, path, line, raw) in rows.items():
                    if ts not in other:
                        self.ctx.rejects.append(RejectedRow(file=str(path), line=line, reason="unpaired_side",
                                                            raw=raw))  # fmt: skip
            times = sorted(bid.keys() & ask.keys())
            mids = [tuple(round((b + a) / 2, precision) for b, a in zip(bid[t][0], ask[t][0], strict=True))
                    for t in times]  # fmt: skip
        else:
            rows = bid or ask
            times = sorted(rows)
            mids = [rows[t][0] for t in times]
        for ts, (o, h, lo, c) in zip(times, mids, strict=True):
            bars.append(Bar(instrument=self.instrument_id, interval_s=INTERVAL_S, ts_event=ts + step,
                            open=o, high=h, low=lo, close=c, volume=0.0))  # fmt: skip
        spec = InstrumentSpec(instrument_id=self.instrument_id, price_precision=precision, size_precision=0,
                              bar_interval_s=INTERVAL_S, **self.fields)  # fmt: skip
        return bars, spec


def read_file(path: Path, ctx: ImportContext) -> FileStats:
    """Import one FXCM bid or ask file into ``ctx``."""
    side_match = _SIDE.search(path.stem)
    if side_match is None:
        raise SymbolInferenceError(f"no -bid- or -ask- in file name {path.name!r}")
    side = side_match.group(1).lower()
    pair = clean_symbol(ctx.symbol or fx_pair_from_name(path) or "")
    if len(pair) != 6:
        raise SymbolInferenceError(f"no 6-letter FX pair in file name {path.name!r}; pass --symbol GBPUSD")
    instrument_id = f"{pair}.{(ctx.venue or DEFAULT_VENUE).upper()}"
    series = ctx.builders.get(instrument_id)
    if series is None:
        fields = {"kind": "fx", "base_currency": pair[:3], "quote_currency": pair[3:]}
        series = ctx.builders[instrument_id] = BidAskBars(instrument_id, fields, ctx)
    assert isinstance(series, BidAskBars)
    ctx.note("fxcm-bars: mid = average of bid and ask open/high/low/close; no volume in the files (0)")
    times = ctx.times(path)
    rows = accepted = 0
    for index, row in enumerate(iter_rows(path, ctx.progress)):
        if index == 0 and is_header(row):
            continue
        rows += 1
        try:
            expect_fields(row, 5, 5)
            ts = times.parse(row.fields[0])
            texts = row.fields[1:5]
            values = tuple(
                parse_number(t, n) for t, n in zip(texts, ("open", "high", "low", "close"), strict=True)
            )
            series.add(side, ts, values, texts, (path, row.line, row.raw))  # type: ignore[arg-type]
            accepted += 1
        except ImportRowError as error:
            ctx.reject(path, row.line, error, row.raw)
    return FileStats(path, rows, accepted)
