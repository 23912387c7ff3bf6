"""Per-instrument builders that validate rows and turn them into bars or quotes.

A builder lives for the whole import, so several files of one instrument (monthly dumps) are checked
for duplicate times across file boundaries. Rows need not come in time order (newest-first downloads are
common): they are sorted when the builder finishes, and :attr:`out_of_order` counts the rows that came
earlier than one before them. The same rows in any order therefore give the same recording.

Prices and sizes must fit a Nautilus ``Price`` / ``Quantity`` (``PRICE_MAX``, ``QUANTITY_MAX``), so a value
a replay could not represent is rejected here, with its line, never inside the engine.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np
from nautilus_trader.model.objects import PRICE_MAX, QUANTITY_MAX

from adapters.importers.common import capped, decimals
from adapters.importers.errors import ImportRowError
from schemas.market import Bar, Quote
from schemas.recording import InstrumentSpec, Payload

DEFAULT_INTERVAL_S = 60
NS_PER_S = 1_000_000_000


def check_price_range(*prices: float) -> None:
    """Raise ``price_out_of_range`` when a price exceeds Nautilus's ``PRICE_MAX``."""
    top = max(prices)
    if top > PRICE_MAX:
        raise ImportRowError("price_out_of_range", f"price {top} > Nautilus PRICE_MAX {PRICE_MAX}")


def check_ohlcv(open_: float, high: float, low: float, close: float, volume: float) -> None:
    """Validate one OHLCV row.

    Raises
    ------
    ImportRowError
        ``non_positive_price``, ``negative_volume``, ``high_below_low``, ``high_below_open_close`` or
        ``low_above_open_close``.
    """
    if min(open_, high, low, close) <= 0:
        raise ImportRowError("non_positive_price", f"o={open_} h={high} l={low} c={close}")
    check_price_range(open_, high, low, close)
    if volume < 0:
        raise ImportRowError("negative_volume", f"volume={volume}")
    if volume > QUANTITY_MAX:
        raise ImportRowError("volume_out_of_range", f"volume={volume} > Nautilus QUANTITY_MAX {QUANTITY_MAX}")
    if high < low:
        raise ImportRowError("high_below_low", f"high={high} < low={low}")
    if high < max(open_, close):
        raise ImportRowError("high_below_open_close", f"high={high} < max(open, close)={max(open_, close)}")
    if low > min(open_, close):
        raise ImportRowError("low_above_open_close", f"low={low} > min(open, close)={min(open_, close)}")


class TimeOrder:
    """Refuses duplicate timestamps (the first row in file order wins) and counts backwards ones.

    While times only increase a repeat can only be of the latest time, so no set of seen times is kept;
    the set is built at the first backwards time (a memory cost only for files out of order).
    """

    def __init__(self) -> None:
        self.last: int | None = None
        self.out_of_order = 0
        self._seen: set[int] | None = None

    def check(self, ts: int) -> None:
        """Raise ``duplicate_timestamp`` for a time already accepted."""
        if self.last is None or ts > self.last:
            return
        if ts == self.last or (self._seen is not None and ts in self._seen):
            raise ImportRowError("duplicate_timestamp", f"time {ts} already seen")

    def accept(self, ts: int, history: array | None = None) -> None:
        """Remember an accepted ``ts`` (``history``: every time accepted before, to build the set from)."""
        if self.last is not None and ts < self.last:
            self.out_of_order += 1
            if self._seen is None:
                self._seen = set(history if history is not None else ())
            self._seen.add(ts)
            return
        if self._seen is not None:
            self._seen.add(ts)
        self.last = ts


class BarSeries:
    """Accepted OHLCV rows of one instrument, built into :class:`Bar` objects by :meth:`finish`.

    Parameters
    ----------
    instrument_id
        ``SYMBOL.VENUE``.
    spec_fields
        Fields of the :class:`InstrumentSpec` other than the precisions and the interval.
    interval_s
        Bar interval; ``None`` infers it from the median step between accepted open times
        (default 60 s when fewer than two rows).
    penny_below
        When set and ``spec_fields`` has no bucket, a median close below it gives bucket ``penny``.
    time_is_close
        The times given to :meth:`add` are already the bars' close times (``ts_event``).
    """

    def __init__(
        self,
        instrument_id: str,
        spec_fields: dict[str, Any],
        *,
        interval_s: int | None = None,
        penny_below: float | None = None,
        time_is_close: bool = False,
    ) -> None:
        self.time_is_close = time_is_close
        self.instrument_id = instrument_id
        self.spec_fields = spec_fields
        self.interval_s = interval_s
        self.penny_below = penny_below
        self.order = TimeOrder()
        # columns, not row tuples: 48 bytes a row keeps a streaming import's memory near the file size
        self._ts = array("q")
        self._values = tuple(array("d") for _ in range(5))
        self.price_decimals = 0
        self.size_decimals = 0

    def add(self, ts_open: int, ohlcv: tuple[float, float, float, float, float], texts: list[str]) -> None:
        """Validate and keep one row; ``texts`` are the raw o, h, l, c, v fields (for precision).

        Raises
        ------
        ImportRowError
            From :func:`check_ohlcv` or :meth:`TimeOrder.check`.
        """
        check_ohlcv(*ohlcv)
        self.order.check(ts_open)
        self.order.accept(ts_open, self._ts)
        self._ts.append(ts_open)
        for column, value in zip(self._values, ohlcv, strict=True):
            column.append(value)
        for text in texts[:4]:
            self.price_decimals = max(self.price_decimals, decimals(text))
        self.size_decimals = max(self.size_decimals, decimals(texts[4]))

    @property
    def out_of_order(self) -> int:
        """Accepted rows that came earlier than a row before them (sorted by :meth:`finish`)."""
        return self.order.out_of_order

    def _sorted_ts(self) -> np.ndarray:
        return np.sort(np.frombuffer(self._ts, dtype=np.int64), kind="stable")

    def resolved_interval_s(self) -> int:
        """The bar interval: the given one, or the median step of the accepted open times."""
        if self.interval_s is not None:
            return self.interval_s
        if len(self._ts) < 2:
            return DEFAULT_INTERVAL_S
        steps = np.diff(self._sorted_ts())
        return max(1, round(float(np.median(steps)) / NS_PER_S))

    def finish(self) -> tuple[Iterator[Payload], InstrumentSpec | None]:
        """The bars in time order, built lazily (``ts_event`` = open time + interval, or the time given),
        and the spec (``gap_p99_s``: the 99th percentile of the spacing between bars)."""
        ts = np.frombuffer(self._ts, dtype=np.int64)
        order = np.argsort(ts, kind="stable")
        interval = self.resolved_interval_s()
        fields = dict(self.spec_fields)
        closes = np.frombuffer(self._values[3], dtype=np.float64)
        if "bucket" not in fields and self.penny_below is not None and len(closes):
            fields["bucket"] = "penny" if float(np.median(closes)) < self.penny_below else "core"
        gaps = np.diff(ts[order])
        spec = InstrumentSpec(
            instrument_id=self.instrument_id,
            price_precision=capped(self.price_decimals),
            size_precision=capped(self.size_decimals),
            bar_interval_s=interval,
            gap_p99_s=int(np.ceil(np.percentile(gaps, 99) / NS_PER_S)) if len(gaps) else 0,
            **fields,
        )
        return self._bars(order, interval), spec

    def _bars(self, order: np.ndarray, interval: int) -> Iterator[Payload]:
        step = 0 if self.time_is_close else interval * NS_PER_S
        ts, (o, h, lo, c, v) = self._ts, self._values
        for i in order.tolist():
            yield Bar(instrument=self.instrument_id, interval_s=interval, ts_event=ts[i] + step,
                      open=o[i], high=h[i], low=lo[i], close=c[i], volume=v[i])  # fmt: skip


class QuoteSeries:
    """Accepted top-of-book rows of one instrument.

    Several quotes may share a timestamp (successive updates within one millisecond are common in tick
    data); only an exact repeat (same time, bid and ask) is refused as ``duplicate_row``.
    """

    def __init__(self, instrument_id: str, spec_fields: dict[str, Any]) -> None:
        self.instrument_id = instrument_id
        self.spec_fields = spec_fields
        self.quotes: list[Quote] = []
        self.price_decimals = 0
        self.out_of_order = 0
        self._last_ts: int | None = None
        self._seen: set[tuple[int, float, float]] = set()

    def add(self, ts: int, bid: float, ask: float, texts: list[str]) -> None:
        """Validate and keep one quote; ``texts`` are the raw bid and ask fields (for precision).

        Raises
        ------
        ImportRowError
            ``non_positive_price``, ``price_out_of_range``, ``crossed_quote`` (bid > ask) or
            ``duplicate_row``.
        """
        if bid <= 0 or ask <= 0:
            raise ImportRowError("non_positive_price", f"bid={bid} ask={ask}")
        check_price_range(bid, ask)
        if bid > ask:
            raise ImportRowError("crossed_quote", f"bid={bid} > ask={ask}")
        if (ts, bid, ask) in self._seen:
            raise ImportRowError("duplicate_row", f"same time, bid and ask as an earlier row ({ts})")
        self._seen.add((ts, bid, ask))
        if self._last_ts is not None and ts < self._last_ts:
            self.out_of_order += 1
        else:
            self._last_ts = ts
        self.quotes.append(Quote(instrument=self.instrument_id, ts_event=ts, bid=bid, ask=ask))
        for text in texts:
            self.price_decimals = max(self.price_decimals, decimals(text))

    def finish(self) -> tuple[list[Payload], InstrumentSpec | None]:
        """Return the quotes sorted by time (stable: same-time updates keep file order) and the spec.

        Size precision is 0: sizes are the default 1.0."""
        self.quotes.sort(key=lambda quote: quote.ts_event)
        spec = InstrumentSpec(
            instrument_id=self.instrument_id,
            price_precision=capped(self.price_decimals),
            size_precision=0,
            **self.spec_fields,
        )
        return list(self.quotes), spec
