"""Risk acceptance on real data, through the CLI: the kill switch fires, flattens and halts; caps hold.

Overrides make the kill switch reachable: with the seed's 1.5 % per-name cap a 2.5 % daily loss would
need a 170 % move. Raising the per-name cap to 90 % lets the ensemble size up to ~31 % of NAV, and the
seed's own 2.5 % threshold then fires during the March 2023 SVB sell-off.
"""

import json

import pytest
from risk_checks import (
    assert_flat_from_next_bar_to_end_of_day,
    assert_name_exposure_within_cap,
    equity_rows,
    iso_day,
    kill_events,
)
from test_cli_acceptance import BTCUSDT, invoke

from aureus.paths import REPO_ROOT
from engine.metrics import utc_day
from engine.risk.notices import day_string

STOCKS = REPO_ROOT.parent / "shared" / "data" / "stocknet_daily_88" / "price_raw"
TICKERS = ("AAPL", "AMZN", "BA", "BAC", "XOM", "JPM", "GE", "PFE")


# Entries are now sized by score within the per-name cap and skipped when the take-profit does not clear
# the fees, and spot is long only by default: even with a 90 % cap and shorting on, the worst day of the
# first 8 loses 0.61 %. A 0.2 % daily-loss threshold (README, "make the kill switch reachable") is what
# reaches the switch on this data; the mechanics tested are the same at any threshold.
KILL_THRESHOLD_PCT = 0.2
KILL_REACHABLE = (
    "--set", "risk.caps.per_name_pct.core=90",
    "--set", "shorting.spot=true",
    "--set", f"risk.kill_switch.daily_loss_pct={KILL_THRESHOLD_PCT}",
)  # fmt: skip


def _import_btcusdt(out, lines=None):
    """Import BTCUSDT bars; ``lines`` keeps only those CSV rows (a slice of the real file, in tmp)."""
    source = BTCUSDT
    if lines is not None:
        rows = BTCUSDT.read_text().splitlines(keepends=True)
        source = out.parent / f"{out.name}.csv"
        source.write_text(rows[0] + "".join(rows[1:][lines]))
    invoke("data", "import", "binance-klines", str(source), "--symbol", "BTCUSDT", "--out", str(out))
    return out


@pytest.fixture(scope="module")
def btcusdt_kill_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("btc")
    rec, run = _import_btcusdt(base / "REC"), base / "RUN"
    out = invoke("replay", "--data", str(rec), "--out", str(run), "--no-progress", *KILL_REACHABLE).output
    return rec, run, out


@pytest.mark.slow
def test_kill_switch_on_real_btcusdt_flattens_halts_and_quarantines(btcusdt_kill_run):
    _, run, out = btcusdt_kill_run
    report = json.loads((run / "report.json").read_text())
    assert "kill switch" in out

    assert report["kill_switch_activations"] >= 1
    assert report["kill_switch_threshold_pct"] == -KILL_THRESHOLD_PCT
    kills = kill_events(run)
    assert [iso_day(k["ts_event"]) for k in kills] == report["kill_switch_days"]
    assert all(k["daily_pnl"] <= -KILL_THRESHOLD_PCT / 100 for k in kills)
    assert assert_flat_from_next_bar_to_end_of_day(run) > 0
    assert report["flatten_denied"] == 0 and report["orders_denied"] == 0

    # every day after a kill day starts in demo; three kills within ten trading days quarantine seven
    assert set(report["demo_days"]) >= {day_string(utc_day(k["ts_event"]) + 1) for k in kills[:-1]}
    if report["kill_switch_activations"] >= 3:
        assert len(report["quarantine_days"]) >= 7  # one quarantine is 7 days; later kills add more
        demo_rows = {r["ts"][:10] for r in equity_rows(run) if r["mode"] == "demo"}
        assert set(report["quarantine_days"]) <= demo_rows


@pytest.mark.slow
def test_restart_from_persisted_state_keeps_mode_and_quarantine_calendar(btcusdt_kill_run, tmp_path):
    """Stop after 8 days, restart on the rest from the persisted state: the same quarantine calendar and
    the same mode at the restart as the uninterrupted run."""
    _, full_run, _ = btcusdt_kill_run
    full = json.loads((full_run / "report.json").read_text())
    assert len(full["quarantine_days"]) >= 7, "the scenario needs a quarantine spanning the restart"
    first = _import_btcusdt(tmp_path / "REC1", slice(0, 8 * 1440))
    second = _import_btcusdt(tmp_path / "REC2", slice(8 * 1440, None))
    state = tmp_path / "STATE"
    invoke("replay", "--data", str(first), "--out", str(tmp_path / "RUN1"), "--no-progress",
           "--state", str(state), *KILL_REACHABLE)  # fmt: skip
    status = json.loads(invoke("risk", "status", "--state", str(state), "--json", *KILL_REACHABLE).output)
    assert status["kill_days"] == full["kill_switch_days"][: len(status["kill_days"])]
    assert status["quarantine_remaining"] > 0  # stopped inside the quarantine

    invoke("replay", "--data", str(second), "--out", str(tmp_path / "RUN2"), "--no-progress",
           "--state", str(state), *KILL_REACHABLE)  # fmt: skip
    resumed = json.loads((tmp_path / "RUN2" / "report.json").read_text())
    assert resumed["quarantine_days"] == full["quarantine_days"]
    assert equity_rows(tmp_path / "RUN2")[0]["mode"] == "demo"
    restart_day = equity_rows(tmp_path / "RUN2")[0]["ts"][:10]
    assert {r["mode"] for r in equity_rows(full_run) if r["ts"][:10] == restart_day} == {"demo"}


@pytest.mark.slow
def test_real_stocks_multi_instrument_kill_switch_and_caps(tmp_path):
    rec, run = tmp_path / "REC", tmp_path / "RUN"
    invoke("data", "import", "yahoo-daily", *(str(STOCKS / f"{t}.csv") for t in TICKERS), "--out", str(rec))
    invoke(
        "replay", "--data", str(rec), "--out", str(run), "--no-progress",
        "--set", "risk.caps.per_name_pct.core=20", "--set", "risk.kill_switch.daily_loss_pct=1.0",
        "--set", "shorting.spot=true",
    )  # fmt: skip
    report = json.loads((run / "report.json").read_text())
    assert len(report["instruments"]) == len(TICKERS)
    assert report["kill_switch_activations"] >= 1
    assert report["flatten_denied"] == 0

    # daily bars: the bar after the trigger is the next day, so check the trade log instead — every
    # position open at the trigger was closed at the trigger's own bar
    trades = [json.loads(line) for line in (run / "trades.jsonl").read_text().splitlines()]
    for kill in kill_events(run):
        day = iso_day(kill["ts_event"])
        open_then = [
            t for t in trades if t["timestamp"][:10] <= day and (t["exit_timestamp"] or "9")[:10] >= day
        ]
        assert open_then and all(t["exit_timestamp"][:10] == day for t in open_then), open_then
    assert_flat_from_next_bar_to_end_of_day(run)
    assert report["max_name_exposure_pct"] <= 20.0 * 1.2
    assert_name_exposure_within_cap(run, rec, 20.0, lot_pct=1.0)  # 1 share of the dearest name < 1 % NAV
