"""Fixtures for the adapters tests: paths to the shared real data and a small bad-row CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
CRYPTO_DIR = DATA_DIR / "crypto_1m_2023-03_binanceus"
BTCUSDT_CSV = CRYPTO_DIR / "BTCUSDT_1m_20230301_20230321.csv"
BTCUSDC_CSV = CRYPTO_DIR / "BTCUSDC_1m_20230301_20230321.csv"
KRAKEN_CSV = CRYPTO_DIR / "kraken_BTCUSDC_1m_noheader.csv"
YAHOO_DIR = DATA_DIR / "stocknet_daily_88" / "price_raw"
BENZINGA_CSV = DATA_DIR / "news_benzinga_sample" / "analyst_ratings_processed.csv"
HISTDATA_CSV = DATA_DIR / "nautilus_intraday" / "histdata_eurusd_quote_ticks_20200101.csv"
TRUEFX_CSV = DATA_DIR / "nautilus_intraday" / "truefx_usdjpy-ticks.csv"

# A kline file with one bad row per reason; physical line numbers in the comments.
BAD_KLINES = """open_time,open,high,low,close,volume
2023-03-01 00:00:00+00:00,100.0,101.0,99.0,100.5,1.5
2023-03-01 00:01:00+00:00,100.5,NaN,99.5,100.2,1.0
2023-03-01 00:02:00+00:00,100.2,100.9,99.8,100.4,2.25
2023-03-01 00:03:00+00:00,-100.4,100.6,99.9,100.1,1.0
2023-03-01 00:04:00+00:00,100.1,99.0,100.5,100.0,1.0
2023-03-01 00:05:00+00:00,100.0,100.3,99.7,100.2,0.5
2023-03-01 00:05:00+00:00,100.2,100.4,99.9,100.3,0.5
2100-03-01 00:02:30+00:00,100.3,100.5,100.0,100.1,0.5
2023-03-01 00:06:00+00:00,100.1,100.2,99.95,100.05,0.125
garbage line without commas
2023-03-01 00:07:00+00:00,100.05,100.1,,100.0,1.0
2023-03-01 00:08:00+00:00,100.0,100.2,99.9,100.1,0.75
"""
BAD_KLINES_EXPECTED = {
    3: "missing_value",
    5: "non_positive_price",
    6: "high_below_low",
    8: "duplicate_timestamp",
    9: "implausible_time",
    11: "wrong_field_count",
    12: "missing_value",
}
BAD_KLINES_GOOD_LINES = (2, 4, 7, 10, 13)


def _require(path: Path) -> Path:
    assert path.is_file(), f"shared data file missing (tests fail, never skip): {path}"
    return path


@pytest.fixture
def btcusdt_csv() -> Path:
    """Binance.US BTCUSDT 1-minute klines, 30,240 rows with a header."""
    return _require(BTCUSDT_CSV)


@pytest.fixture
def btcusdc_csv() -> Path:
    """Binance.US BTCUSDC 1-minute klines, 30,240 rows with a header."""
    return _require(BTCUSDC_CSV)


@pytest.fixture
def kraken_csv() -> Path:
    """Kraken BTCUSDC 1-minute OHLCVT, no header, sparse."""
    return _require(KRAKEN_CSV)


@pytest.fixture
def yahoo_dir() -> Path:
    """StockNet Yahoo daily price directory."""
    _require(YAHOO_DIR / "AAPL.csv")
    return YAHOO_DIR


@pytest.fixture
def benzinga_csv() -> Path:
    """Benzinga headlines sample with broken and duplicate rows."""
    return _require(BENZINGA_CSV)


@pytest.fixture
def histdata_csv() -> Path:
    """HistData EURUSD ticks, headerless."""
    return _require(HISTDATA_CSV)


@pytest.fixture
def truefx_csv() -> Path:
    """TrueFX USDJPY ticks with a header."""
    return _require(TRUEFX_CSV)


@pytest.fixture
def bad_klines_expected() -> dict[int, str]:
    """Physical line -> reject reason for :func:`bad_klines_csv`."""
    return dict(BAD_KLINES_EXPECTED)


@pytest.fixture
def bad_klines_good_lines() -> tuple[int, ...]:
    """Physical lines of :func:`bad_klines_csv` that must be imported."""
    return BAD_KLINES_GOOD_LINES


@pytest.fixture
def bad_klines_csv(tmp_path: Path) -> Path:
    """A Binance kline CSV (named like a real dump) with rows that each break one rule."""
    path = tmp_path / "ETHUSDT_1m_bad.csv"
    path.write_text(BAD_KLINES, encoding="utf-8")
    return path
