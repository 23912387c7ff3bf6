"""Integration fixtures: a recording of the first two days of real BTCUSDT 1-minute bars."""

from __future__ import annotations

import pytest
from daemon_harness import BARS, BTCUSDT, invoke


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """The first two days of BTCUSDT bars imported with ``aureus data import binance-klines``."""
    tmp = tmp_path_factory.mktemp("e2e")
    csv = tmp / "btc.csv"
    csv.write_text("".join(BTCUSDT.read_text().splitlines(keepends=True)[: BARS + 1]))
    invoke("data", "import", "binance-klines", str(csv), "--symbol", "BTC/USDT", "--out", str(tmp / "REC"))
    return tmp / "REC"
