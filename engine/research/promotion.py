"""The promotion gate: a candidate model set replaces the promoted one only on out-of-sample proof.

Conditions, in order (seed 004 tracks A, B3 and D1):

1. real data only: the candidate's ``data_regime`` (and its replays') must be ``real``; otherwise
   ``status = rejected``;
2. enough observation: ``observation_days >= min_observation_days`` for the OOS predictions and for
   the replay; otherwise ``status = insufficient_observation``;
3. beats the frozen baseline, which the walk-forward run scored on the same rows: for every model of
   the set, AUC higher and Brier lower on validation *and* on forward OOS, and the replay's daily Sharpe
   after costs higher than the baseline replay's on the same recording; otherwise ``rejected``.

The deflated Sharpe ratio of the candidate replay's daily returns over the number of candidates tried
is reported with every decision.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.research.metrics import deflated_sharpe


def _better(cand: dict[str, Any], base: dict[str, Any]) -> tuple[bool, str]:
    ca, ba, cb, bb = cand.get("auc"), base.get("auc"), cand.get("brier"), base.get("brier")
    if None in (ca, ba, cb, bb):
        return False, "metric missing"
    ok = ca > ba and cb < bb
    return ok, f"AUC {ca:.4f} vs {ba:.4f}, Brier {cb:.4f} vs {bb:.4f}"


def decide(
    candidate: dict[str, Any],
    *,
    min_observation_days: int,
    candidate_replay: dict[str, Any] | None,
    baseline_replay: dict[str, Any] | None,
    candidate_daily_returns: np.ndarray | None = None,
    n_candidates: int = 1,
) -> dict[str, Any]:
    """Decide on a candidate from its ``metrics.json`` and two replay reports.

    Parameters
    ----------
    candidate : dict
        The candidate's ``metrics.json``.
    min_observation_days : int
        Minimum distinct UTC days of OOS predictions and of replay.
    candidate_replay, baseline_replay : dict or None
        ``report.json`` of replays of the same real recording with the candidate and the baseline set;
        missing reports reject the candidate (the Sharpe after costs cannot be compared).
    candidate_daily_returns : np.ndarray, optional
        The candidate replay's daily returns, for the deflated Sharpe ratio.
    n_candidates : int
        Candidates tried for this set (deflates the Sharpe).

    Returns
    -------
    dict
        ``status`` (``promoted`` / ``rejected`` / ``insufficient_observation``), ``reasons``,
        ``checks`` (each condition and its figures), ``deflated_sharpe``.
    """
    checks: list[dict[str, Any]] = []

    def check(name: str, ok: bool, detail: str) -> bool:
        checks.append({"check": name, "ok": bool(ok), "detail": detail})
        return ok

    regimes = [candidate.get("data_regime")]
    for rep in (candidate_replay, baseline_replay):
        if rep is not None:
            regimes.append("synthetic" if rep.get("synthetic", True) else "real")
    real = check("data_regime", all(r == "real" for r in regimes), f"data_regime {regimes}, required 'real'")
    days = [int(candidate.get("observation_days", 0))]
    if candidate_replay is not None:
        days.append(int(candidate_replay.get("observation_days", 0)))
    observed = check(
        "observation_days",
        min(days) >= min_observation_days,
        f"{days} days, required >= {min_observation_days}",
    )
    beats = True
    for name, model in candidate.get("models", {}).items():
        base = model.get("baseline", {})
        for segment in ("validation", "oos"):
            ok, detail = _better(model.get(segment, {}), base.get(segment, {}))
            beats &= check(f"{name}.{segment}_beats_baseline", ok, f"{detail} ({base.get('kind')})")
    if candidate_replay is None or baseline_replay is None:
        beats &= check("replay_sharpe_daily", False, "candidate and baseline replay reports are required")
    else:
        same = candidate_replay.get("data_content_hash") == baseline_replay.get("data_content_hash")
        cs, bs = candidate_replay.get("sharpe_daily"), baseline_replay.get("sharpe_daily")
        ok = same and cs is not None and bs is not None and cs > bs
        beats &= check(
            "replay_sharpe_daily",
            ok,
            f"sharpe_daily after costs {cs} vs baseline {bs}; same recording: {same}",
        )
    dsr = (
        deflated_sharpe(candidate_daily_returns, n_candidates)
        if candidate_daily_returns is not None
        else None
    )
    if not real:
        status = "rejected"
    elif not observed:
        status = "insufficient_observation"
    else:
        status = "promoted" if beats else "rejected"
    reasons = [c["check"] for c in checks if not c["ok"]]
    return {
        "status": status,
        "reasons": reasons,
        "checks": checks,
        "deflated_sharpe": dsr,
        "n_candidates": n_candidates,
        "min_observation_days": min_observation_days,
    }
