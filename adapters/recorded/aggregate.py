"""Quotes and trades into time bars, so every importable kind of data can be replayed by the bar strategy.

A bar covers ``[start, start + interval)`` on the UTC epoch grid and is stamped at its close
(``ts_event = start + interval``), like imported bars. From quotes: OHLC of the mid price
``(bid + ask) / 2`` and volume = the number of quote updates (tick volume; quote files carry no traded
size). From trades: OHLC of the trade price and volume = the sum of trade sizes. Intervals with no update
get no bar (no invented prices). When a recording has both, trades are used for an instrument that has
trades. Rounded to the instrument's price precision plus one decimal for mids (capped at 9).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import msgspec

from adapters.errors import RecordingError
from adapters.recorded.files import TOPIC_QUOTES, TOPIC_TRADES, Recording
from schemas.market import Bar, Quote, Trade
from schemas.recording import InstrumentSpec

NS_PER_S = 1_000_000_000
MAX_PRECISION = 9
_UNITS_S = {"s": 1, "m": 60, "min": 60, "h": 3_600, "d": 86_400}


def parse_interval(text: str) -> int:
    """``"1m"`` -> 60, ``"15s"`` -> 15, ``"1h"`` -> 3600, ``"1d"`` -> 86400.

    Raises
    ------
    RecordingError
        Not ``<positive int><s|m|min|h|d>``.
    """
    match = re.fullmatch(r"\s*(\d+)\s*(s|m|min|h|d)\s*", text)
    if not match or int(match.group(1)) <= 0:
        raise RecordingError(f"--interval {text!r}: expected e.g. 15s, 1m, 5m, 1h, 1d")
    return int(match.group(1)) * _UNITS_S[match.group(2)]


@dataclass
class _Open:
    start: int
    open: float
    high: float
    low: float
    close: float
    volume: float


def _bars(
    points: Iterable[tuple[int, float, float]], instrument: str, interval_s: int, digits: int
) -> Iterator[Bar]:
    step = interval_s * NS_PER_S
    current: _Open | None = None
    for ts, price, volume in points:
        start = ts - ts % step
        if current is not None and start != current.start:
            yield _finish(current, instrument, interval_s, step, digits)
            current = None
        if current is None:
            current = _Open(start, price, price, price, price, volume)
        else:
            current.high = max(current.high, price)
            current.low = min(current.low, price)
            current.close = price
            current.volume += volume
    if current is not None:
        yield _finish(current, instrument, interval_s, step, digits)


def _finish(bar: _Open, instrument: str, interval_s: int, step: int, digits: int) -> Bar:
    return Bar(instrument=instrument, interval_s=interval_s, ts_event=bar.start + step,
               open=round(bar.open, digits), high=round(bar.high, digits), low=round(bar.low, digits),
               close=round(bar.close, digits), volume=bar.volume)  # fmt: skip


def aggregate_bars(
    recording: Recording, interval_s: int
) -> tuple[list[Bar], list[InstrumentSpec], list[str]]:
    """Bars from a recording's ``md.trades`` (preferred) or ``md.quotes``, per instrument.

    Returns
    -------
    tuple
        The bars (time order), the instrument specs with ``bar_interval_s`` set (mid bars get one more
        price decimal), and one note per instrument saying what the bars were built from.

    Raises
    ------
    RecordingError
        The recording has neither quotes nor trades.
    """
    topics = [t for t in (TOPIC_TRADES, TOPIC_QUOTES) if t in recording.topics]
    if not topics:
        raise RecordingError(
            f"nothing to aggregate: no md.trades or md.quotes (has {list(recording.topics)})",
            path=recording.path,
        )
    specs = {s.instrument_id: s for s in recording.manifest.instruments}
    by_instrument: dict[str, list[tuple[int, float, float]]] = {}
    source: dict[str, str] = {}
    for topic in topics:
        for record in recording.iter_topic(topic):
            payload = record.payload
            if isinstance(payload, Trade):
                point = (payload.ts_event, payload.price, payload.size)
            elif isinstance(payload, Quote):
                if source.get(payload.instrument) == TOPIC_TRADES:
                    continue
                point = (payload.ts_event, (payload.bid + payload.ask) / 2, 1.0)
            else:
                continue
            source.setdefault(payload.instrument, topic)
            by_instrument.setdefault(payload.instrument, []).append(point)
    bars: list[Bar] = []
    new_specs: list[InstrumentSpec] = []
    notes: list[str] = []
    for instrument in sorted(by_instrument):
        spec = specs.get(instrument)
        if spec is None:
            raise RecordingError(f"{instrument} has no instrument spec in the manifest", path=recording.path)
        mid = source[instrument] == TOPIC_QUOTES
        precision = min(spec.price_precision + (1 if mid else 0), MAX_PRECISION)
        new_specs.append(_with(spec, precision, interval_s))
        bars.extend(_bars(by_instrument[instrument], instrument, interval_s, precision))
        what = "mid of quotes, volume = quote updates" if mid else "trade prices, volume = traded size"
        notes.append(f"md.bars {instrument}: {interval_s}s bars from {what}")
    bars.sort(key=lambda b: (b.ts_event, b.instrument))
    return bars, new_specs, notes


def _with(spec: InstrumentSpec, precision: int, interval_s: int) -> InstrumentSpec:
    return msgspec.structs.replace(spec, price_precision=precision, bar_interval_s=interval_s)
