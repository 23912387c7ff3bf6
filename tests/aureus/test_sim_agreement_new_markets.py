"""The research simulator against the Nautilus replay on markets checked after the first agreement set
(issue 12, ``simcheck``): FXCM spot FX mid bars, and two crypto venues in one recording, one of them
sparse (Kraken minutes without trades), so portfolio steps run on the grace timer."""

import csv
from datetime import datetime

import pytest
from test_cli_acceptance import invoke
from test_sim_agreement import (
    SPOT_SHORTS,
    STOCKS,
    _agree,
    _assert_acceptance,
    _assert_every_trade_to_the_cent,
)

from aureus.sim_compare import read_trades

DATA = STOCKS.parents[1]
FXCM = DATA / "nautilus_intraday"
CRYPTO = DATA / "crypto_1m_2023-03_binanceus"


@pytest.mark.slow
def test_sim_books_every_fxcm_gbpusd_trade_to_the_cent_like_the_replay(tmp_path):
    # the first 8,000 minutes of Feb 2012 (bid and ask -> mid bars, FX 1 bp fees, shorts allowed)
    for side in ("bid", "ask"):
        rows = (FXCM / f"fxcm_gbpusd-m1-{side}-2012.csv").read_text().splitlines(keepends=True)
        (tmp_path / f"fxcm_gbpusd-m1-{side}-2012.csv").write_text("".join(rows[:8001]))
    rec = tmp_path / "REC"
    files = [str(tmp_path / f"fxcm_gbpusd-m1-{side}-2012.csv") for side in ("bid", "ask")]
    invoke("data", "import", "fxcm-bars", *files, "--out", str(rec))
    agreement, replay, sim = _agree(rec, tmp_path)

    _assert_acceptance(agreement, min_trades=300)
    _assert_every_trade_to_the_cent(tmp_path, agreement, replay, sim)


def _usdc_minutes(tmp_path, start: int, end: int):
    # BTC/USDC on Binance.US (every minute) and on Kraken (minutes with trades only), as one recording of
    # two venues settling in USDC; file names give the instrument ids (BTCUSDC.SIM, BTCUSDC.KRAKEN)
    header = "time,open,high,low,close,volume\n"
    with (CRYPTO / "BTCUSDC_1m_20230301_20230321.csv").open() as f:
        rows = list(csv.reader(f))[1:]
    binance = [[str(int(datetime.fromisoformat(r[0]).timestamp())), *r[1:6]] for r in rows]
    kraken = [r.strip().split(",")[:6] for r in (CRYPTO / "kraken_BTCUSDC_1m_noheader.csv").open()]
    paths = []
    for name, data in (("BTCUSDC.BINANCE", binance), ("BTCUSDC.KRAKEN", kraken)):
        path = tmp_path / f"{name}_1m.csv"
        path.write_text(header + "".join(",".join(r) + "\n" for r in data if start <= int(r[0]) < end))
        paths.append(str(path))
    return paths


@pytest.mark.slow
def test_sim_agrees_with_replay_on_two_usdc_venues_with_missing_minutes_and_spot_shorts(tmp_path):
    # 2023-03-01 .. 03-08: Kraken misses about half the minutes, so those steps run at bar + grace
    # (entries and exits stamped there). In USDC (8 decimals) each trade's P&L is equal only when the
    # sim books on the venue's doubles (Price.as_double(), raw / 1e16) as Nautilus's position does
    rec = tmp_path / "REC"
    invoke("data", "import", "ohlcv-csv", *_usdc_minutes(tmp_path, 1_677_628_800, 1_678_233_600),
           "--asset-class", "crypto_spot", "--currencies", "BTC/USDC", "--out", str(rec))  # fmt: skip
    agreement, replay, sim = _agree(rec, tmp_path, *SPOT_SHORTS)

    _assert_acceptance(agreement, min_trades=60)
    assert agreement.identical == agreement.replay_trades == agreement.sim_trades
    key = lambda t: (t.symbol, t.timestamp, t.exit_timestamp, t.direction, t.entry_price, t.exit_price)  # noqa: E731
    replay_trades = sorted(read_trades(tmp_path / "RUN" / "trades.jsonl"), key=key)
    sim_trades = sorted(read_trades(tmp_path / "SIM" / "trades.jsonl"), key=key)
    assert [key(t) for t in sim_trades] == [key(t) for t in replay_trades]
    assert any(t.timestamp.endswith(":02Z") for t in replay_trades)  # steps on the grace timer
    assert {t.symbol for t in replay_trades} == {"BTCUSDC.SIM", "BTCUSDC.KRAKEN"}
    assert [t.realized_pnl for t in sim_trades] == [t.realized_pnl for t in replay_trades]
    assert sim["final_nav"] == pytest.approx(replay["final_nav"], abs=1e-5)
