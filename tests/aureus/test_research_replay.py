"""A replay of real BTCUSDT with the shipped real model set: every entry clears its round-trip fee."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from adapters.importers import import_files
from adapters.recorded import open_recording
from aureus.replay import run_replay
from aureus.train import load_bars
from engine.config import load_config
from engine.features.vector import FEATURE_NAMES, FeatureParams, compute_feature_matrix

REPO = Path(__file__).resolve().parents[2]
BTC = REPO.parent / "shared" / "data" / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"

pytestmark = pytest.mark.slow


def test_real_set_replay_takes_no_entry_whose_take_profit_is_below_the_fee(tmp_path):
    """With the default gates the real set takes no BTC entry at all (README); with the gates opened the
    cost checks alone decide, and every entry taken must still clear the fee with E[PnL] net > 0."""
    assert BTC.is_file(), f"shared data file missing (tests fail, never skip): {BTC}"
    rec = tmp_path / "rec"
    import_files("binance-klines", [BTC], rec, overwrite=True)
    gates_open = [f"policy.gates.{r}=0.0" for r in ("low_vol", "med_vol", "high_vol")]
    config = load_config(None, ["models.dir=models/btc-real/wf-1", "replay.progress=false", *gates_open])
    report = run_replay(config, data=rec, out=tmp_path / "run", console=Console(quiet=True))
    assert report["models"]["p_short"]["version"] == "btc-wf-1"
    fee = 2.0 * config.venue.taker_fee
    bars = {b.instrument: b for b in load_bars(open_recording(rec))}
    atr = {
        k: compute_feature_matrix(b.open, b.high, b.low, b.close, b.volume, FeatureParams())[
            :, FEATURE_NAMES.index("atr_norm")
        ]
        for k, b in bars.items()
    }
    trades = [json.loads(line) for line in (tmp_path / "run" / "trades.jsonl").read_text().splitlines()]
    assert trades, "the real set should still trade"
    for t in trades:
        ts = int(datetime.fromisoformat(t["timestamp"].replace("Z", "+00:00")).timestamp()) * 10**9
        i = int(np.searchsorted(bars[t["symbol"]].ts, ts))
        assert bars[t["symbol"]].ts[i] == ts
        assert config.policy.exits.take_profit_atr * atr[t["symbol"]][i] > fee, t
    skipped = {k: v for k, v in report["counters"].items() if k.startswith("skip_")}
    assert skipped.get("skip_tp_below_fee", 0) > 0  # the check did act on this data
