"""The promotion gate's decisions (pure logic on metrics and replay reports)."""

from __future__ import annotations

import numpy as np

from engine.research.promotion import decide


def _metrics(regime="real", days=30, cand=(0.60, 0.20), base=(0.50, 0.25)):
    model = {
        "validation": {"auc": cand[0], "brier": cand[1]},
        "oos": {"auc": cand[0], "brier": cand[1]},
        "baseline": {
            "kind": "frozen",
            "validation": {"auc": base[0], "brier": base[1]},
            "oos": {"auc": base[0], "brier": base[1]},
        },
    }
    return {"data_regime": regime, "observation_days": days, "models": {"p_short": model, "p_mid": model}}


def _replay(sharpe, days=30, synthetic=False, data="h1"):
    return {
        "sharpe_daily": sharpe,
        "observation_days": days,
        "synthetic": synthetic,
        "data_content_hash": data,
    }


def test_a_candidate_that_beats_the_baseline_on_real_data_is_promoted_with_a_deflated_sharpe():
    rets = np.random.default_rng(0).normal(0.001, 0.01, 30)
    d = decide(
        _metrics(),
        min_observation_days=20,
        candidate_replay=_replay(1.0),
        baseline_replay=_replay(0.5),
        candidate_daily_returns=rets,
        n_candidates=5,
    )
    assert d["status"] == "promoted" and d["reasons"] == []
    assert d["deflated_sharpe"]["n_trials"] == 5 and 0.0 <= d["deflated_sharpe"]["dsr"] <= 1.0


def test_synthetic_data_is_rejected_even_when_everything_else_wins():
    d = decide(
        _metrics(regime="synthetic"),
        min_observation_days=20,
        candidate_replay=_replay(1.0),
        baseline_replay=_replay(0.5),
    )
    assert d["status"] == "rejected" and "data_regime" in d["reasons"]
    d = decide(
        _metrics(),
        min_observation_days=20,
        candidate_replay=_replay(1.0, synthetic=True),
        baseline_replay=_replay(0.5),
    )
    assert d["status"] == "rejected" and "data_regime" in d["reasons"]


def test_too_few_days_gives_insufficient_observation():
    d = decide(
        _metrics(days=5), min_observation_days=20, candidate_replay=_replay(1.0), baseline_replay=_replay(0.5)
    )
    assert d["status"] == "insufficient_observation"
    d = decide(
        _metrics(),
        min_observation_days=20,
        candidate_replay=_replay(1.0, days=3),
        baseline_replay=_replay(0.5),
    )
    assert d["status"] == "insufficient_observation"


def test_losing_on_auc_brier_or_sharpe_or_missing_replays_is_rejected():
    assert (
        decide(
            _metrics(cand=(0.49, 0.20)),
            min_observation_days=1,
            candidate_replay=_replay(1.0),
            baseline_replay=_replay(0.5),
        )["status"]
        == "rejected"
    )
    assert (
        decide(
            _metrics(cand=(0.60, 0.26)),
            min_observation_days=1,
            candidate_replay=_replay(1.0),
            baseline_replay=_replay(0.5),
        )["status"]
        == "rejected"
    )
    assert (
        decide(
            _metrics(), min_observation_days=1, candidate_replay=_replay(0.4), baseline_replay=_replay(0.5)
        )["status"]
        == "rejected"
    )
    d = decide(_metrics(), min_observation_days=1, candidate_replay=None, baseline_replay=None)
    assert d["status"] == "rejected" and "replay_sharpe_daily" in d["reasons"]
    d = decide(
        _metrics(),
        min_observation_days=1,
        candidate_replay=_replay(1.0),
        baseline_replay=_replay(0.5, data="other"),
    )
    assert d["status"] == "rejected"  # replays of different recordings are not comparable
