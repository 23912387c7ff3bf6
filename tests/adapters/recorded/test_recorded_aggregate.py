"""Quotes and trades into bars, checked against pandas resampling of the same ticks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adapters.errors import RecordingError
from adapters.recorded import open_recording, write_recording
from adapters.recorded.aggregate import aggregate_bars, parse_interval
from schemas.market import Quote, Trade
from schemas.recording import InstrumentSpec

T0 = 1_700_000_000 * 1_000_000_000
SPEC = InstrumentSpec(instrument_id="XBTUSD.SIM", kind="crypto_spot", base_currency="XBT",
                      quote_currency="USD", price_precision=1, size_precision=0)  # fmt: skip


def _reference(ts: np.ndarray, price: np.ndarray, size: np.ndarray, interval: str) -> pd.DataFrame:
    frame = pd.DataFrame({"price": price, "size": size}, index=pd.to_datetime(ts, unit="ns"))
    ohlc = frame["price"].resample(interval, label="right", closed="left").ohlc()
    ohlc["volume"] = frame["size"].resample(interval, label="right", closed="left").sum()
    return ohlc.dropna()


def test_trade_bars_match_pandas_resample(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ts = np.sort(T0 + rng.integers(0, 30 * 60 * 1_000_000_000, 400))
    price = np.round(8_000 + rng.normal(0, 5, 400).cumsum(), 1)
    size = rng.integers(1, 100, 400).astype(float)
    trades = [Trade(instrument="XBTUSD.SIM", ts_event=int(t), price=float(p), size=float(s))
              for t, p, s in zip(ts, price, size, strict=True)]  # fmt: skip
    write_recording(tmp_path / "rec", trades, source="t", synthetic=True, instruments=[SPEC])

    bars, specs, notes = aggregate_bars(open_recording(tmp_path / "rec"), 60)

    expected = _reference(ts, price, size, "60s")
    assert [b.ts_event for b in bars] == [int(t.value) for t in expected.index]
    got = np.array([[b.open, b.high, b.low, b.close, b.volume] for b in bars])
    np.testing.assert_allclose(got, expected[["open", "high", "low", "close", "volume"]].to_numpy())
    assert specs[0].bar_interval_s == 60 and specs[0].price_precision == 1
    assert "trade prices" in notes[0]


def test_quote_bars_are_mid_prices_with_tick_volume(tmp_path: Path) -> None:
    quotes = [Quote(instrument="XBTUSD.SIM", ts_event=T0 + i * 7_000_000_000, bid=100.0 + i, ask=101.0 + i)
              for i in range(20)]  # fmt: skip
    write_recording(tmp_path / "rec", quotes, source="q", synthetic=True, instruments=[SPEC])

    bars, specs, _ = aggregate_bars(open_recording(tmp_path / "rec"), 60)

    mids = [q.bid / 2 + q.ask / 2 for q in quotes]
    expected = _reference(np.array([q.ts_event for q in quotes]), np.array(mids), np.ones(20), "60s")
    np.testing.assert_allclose([b.close for b in bars], expected["close"].to_numpy())
    assert [b.volume for b in bars] == expected["volume"].tolist()
    assert specs[0].price_precision == 2  # one more decimal for the mid


@pytest.mark.parametrize(
    ("text", "seconds"), [("1m", 60), ("15s", 15), ("1h", 3_600), ("1d", 86_400), ("5min", 300)]
)
def test_parse_interval(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "0m", "1w", "m1", "-1m"])
def test_parse_interval_rejects(text: str) -> None:
    with pytest.raises(RecordingError, match="--interval"):
        parse_interval(text)


def test_nothing_to_aggregate(tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    write_recording(rec, [], source="e", synthetic=True, instruments=[])
    with pytest.raises(RecordingError, match="nothing to aggregate"):
        aggregate_bars(open_recording(rec), 60)
