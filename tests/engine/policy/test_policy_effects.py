"""The node-side effects of the escalation-tunable policy fields."""

from __future__ import annotations

import msgspec
import numpy as np

from engine.config import DoNotTrade, Policy
from engine.ensemble import effective_weights
from engine.features.vector import FEATURE_NAMES
from engine.policy.effects import capped_size, entry_blocked, masked_features, sentiment_in_use

BASE = Policy()


def test_do_not_trade_blocks_until_the_entry_ends():
    p = msgspec.structs.replace(BASE, do_not_trade_list=(DoNotTrade(symbol="BTCUSDT.BINANCE", until_ns=100),))
    assert entry_blocked(p, "BTCUSDT.BINANCE", 99) and not entry_blocked(p, "BTCUSDT.BINANCE", 100)
    assert not entry_blocked(p, "ETHUSDT.BINANCE", 0) and not entry_blocked(BASE, "BTCUSDT.BINANCE", 0)


def test_max_position_caps_only_when_set():
    assert capped_size(BASE, 0.3) == 0.3
    assert capped_size(msgspec.structs.replace(BASE, max_position_pct=0.015), 0.3) == 0.015


def test_disabled_features_are_zeroed_and_news_neutral():
    row = np.arange(1, len(FEATURE_NAMES) + 1, dtype=np.float32)
    assert masked_features(BASE, row) is row
    p = msgspec.structs.replace(BASE, disabled_features=("news", "rsi_14"))
    out = masked_features(p, row)
    assert out[FEATURE_NAMES.index("rsi_14")] == 0.0 and np.count_nonzero(out == 0.0) == 1
    assert row[FEATURE_NAMES.index("rsi_14")] != 0.0  # the caller's row is untouched
    assert sentiment_in_use(p, -0.8) == 0.0 and sentiment_in_use(BASE, -0.8) == -0.8


def test_rl_only_mode_puts_the_blend_on_the_rl_hint():
    p = msgspec.structs.replace(BASE, rl_only=True)
    assert effective_weights(p, rl_available=True) == {"short": 0.0, "mid": 0.0, "rl": 1.0}
    assert effective_weights(p, rl_available=False) == effective_weights(BASE, rl_available=False)
