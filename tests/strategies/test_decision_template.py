"""The strategy's decisions are built from a per-config template (``strategies.entries._DecisionContext``):
byte for byte the struct the strategy built field by field, and rebuilt as soon as the config changes.

``EntryMixin._decide_and_act`` runs on a bare object holding only what a decision reads, as in
``test_entry_fee_gate``; the reference is the construction the strategy used before the template.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import msgspec
import numpy as np
import pytest

from engine.config import load_config
from engine.ensemble import decide_parts
from engine.news_state import DecayedSentiment
from engine.policy.effects import sentiment_in_use
from schemas.recording import InstrumentSpec
from schemas.signals import EnsembleDecision
from strategies.entries import EntryMixin

CFG = load_config()
SPEC = InstrumentSpec(
    instrument_id="BTCUSDT.BINANCE", kind="crypto_spot", base_currency="BTC", quote_currency="USDT",
    price_precision=2, size_precision=6,
)  # fmt: skip
_ENCODE = msgspec.json.encode


def _reference(cfg, st, scores, ppo_hint, correlation, ts) -> EnsembleDecision:
    policy = cfg.policy
    p_short, p_mid = scores
    vol_z = st.features.vol_z
    parts = decide_parts(
        p_short, p_mid, ppo_hint, vol_z, sentiment_in_use(policy, st.news.value(ts)), st.features.liquidity,
        correlation, policy, getattr(cfg.risk.caps.per_name_pct, st.spec.bucket),
    )  # fmt: skip
    base, penalties, score, action, size, weights, tags = parts
    return EnsembleDecision(
        instrument=st.spec.instrument_id, ts_event=ts, p_short=p_short, p_mid=p_mid, ppo_hint=ppo_hint,
        base=base, penalties=penalties, score=score, action=action, size=size, reason_tags=tags,
        policy_version=policy.version, weights=weights, rl_available=ppo_hint is not None,
        volatility_zscore=vol_z if math.isfinite(vol_z) else None,
        correlation=float(correlation) if math.isfinite(correlation) else None,
        news_ids=st.news.contributors(ts),
    )  # fmt: skip


class _Strategy(SimpleNamespace):
    """What ``_decide_and_act`` reads; an entry (BUY/SELL) finds the position already on that side."""

    def __init__(self, cfg, ppo=None) -> None:
        emitted: list = []
        super().__init__(
            cfg=cfg,
            _ppo=ppo,
            _models=SimpleNamespace(predict_row=lambda row: self.scores),
            outputs=SimpleNamespace(decision=emitted.append),
            emitted=emitted,
            scores=(0.5, 0.5),
        )

    def _position_sign(self, instrument_id) -> int:
        return 1 if self.emitted[-1].action == "BUY" else -1


def _state() -> SimpleNamespace:
    news = DecayedSentiment(CFG.news.half_life_s)
    features = SimpleNamespace(vol_z=0.0, liquidity=1.0)
    return SimpleNamespace(
        spec=SPEC, features=features, news=news, fused=None, scored_policy=None, decide_ctx=None
    )


CASES = [  # scores, vol_z, liquidity, correlation, news (ts, sentiment) or None
    ((0.5, 0.5), 0.0, 1.0, 1.0, None),
    ((0.9, 0.8), 3.5, 0.05, -0.4, (10, -0.9)),
    ((0.1, 0.2), math.nan, math.nan, math.nan, (20, 0.6)),
    ((0.61, 0.3), -1.0, 0.5, 0.9, None),
    ((0.97, 0.95), 0.2, 0.9, 0.95, (30, 0.9)),
]


@pytest.mark.parametrize("rl", [False, True])
def test_templated_decisions_are_byte_identical_to_field_by_field_ones(rl):
    ppo = SimpleNamespace(predict=lambda rows: np.array([0.8], dtype=np.float32)) if rl else None
    strategy, st = _Strategy(CFG, ppo), _state()
    for k, (scores, vol_z, liquidity, correlation, news) in enumerate(CASES):
        ts = 1_000_000_000 * (k + 1) * 60
        if news is not None:
            st.news.add(ts - news[0], news[1], 1.0, f"n{k}")
        st.features.vol_z, st.features.liquidity, strategy.scores = vol_z, liquidity, scores
        EntryMixin._decide_and_act(strategy, None, st, np.zeros(11), correlation, 100.0, ts)
        ppo_hint = float(ppo.predict(None)[0]) if rl else None
        want = _reference(CFG, st, scores, ppo_hint, correlation, ts)
        assert type(strategy.emitted[-1]) is EnsembleDecision
        assert _ENCODE(strategy.emitted[-1]) == _ENCODE(want)
    assert {d.action for d in strategy.emitted} == {"BUY", "SELL", "HOLD"}


def test_a_new_config_is_picked_up_by_the_next_decision():
    strategy, st = _Strategy(CFG), _state()
    st.news.add(0, -0.9, 1.0, "bad")
    strategy.scores = (0.9, 0.9)
    EntryMixin._decide_and_act(strategy, None, st, np.zeros(11), 1.0, 100.0, 60_000_000_000)
    first = strategy.emitted[-1]
    assert "news_negative" in first.penalties and first.policy_version == CFG.policy.version
    # an escalation applies a new policy: a new config object (news off, another version, another cap)
    policy = msgspec.structs.replace(CFG.policy, version="escalated", disabled_features=("news",))
    caps = msgspec.structs.replace(
        CFG.risk.caps, per_name_pct=msgspec.structs.replace(CFG.risk.caps.per_name_pct, core=0.5)
    )
    strategy.cfg = msgspec.structs.replace(
        CFG, policy=policy, risk=msgspec.structs.replace(CFG.risk, caps=caps)
    )
    EntryMixin._decide_and_act(strategy, None, st, np.zeros(11), 1.0, 100.0, 120_000_000_000)
    second = strategy.emitted[-1]
    assert second.policy_version == "escalated"
    assert "news_negative" not in second.penalties  # news switched off: neutral sentiment
    assert _ENCODE(second) == _ENCODE(_reference(strategy.cfg, st, (0.9, 0.9), None, 1.0, 120_000_000_000))
    assert second.size != first.size
