"""``signals`` topic: model scores and meta-ensemble decisions, keyed by instrument.

The decision carries every term of the seed's deterministic fusion so a dashboard or an auditor can
recompute it::

    base  = w_short * p_short + w_mid * p_mid + w_rl * sigmoid(ppo_hint)
    score = clamp(base - sum(penalties.values()), 0, 1)
    size  = bucket_limit * 2 * |score - 0.5|      (fraction of NAV, before risk clamps)
"""

from __future__ import annotations

import msgspec

from schemas.common import SCHEMA_VERSION, Action, NavFraction, TimestampNs


class ModelScores(msgspec.Struct, tag="model_scores", frozen=True, kw_only=True):
    """Raw model outputs for one instrument at one event time.

    Parameters
    ----------
    instrument : str
        Instrument id (``SYMBOL.VENUE``).
    ts_event : int
        Nanoseconds, UTC: the event the features were computed on.
    p_short, p_mid : float or None
        Calibrated up-move probabilities of the short- and mid-horizon predictors; ``None`` when the model
        is missing or its inputs are not warm yet.
    ppo_hint : float or None
        PPO position-size hint (pre-sigmoid); ``None`` when no RL policy is loaded.
    model_versions : dict[str, str]
        Model name to registry version of each model that produced a score.
    """

    schema_version: int = SCHEMA_VERSION
    instrument: str
    ts_event: TimestampNs
    p_short: float | None
    p_mid: float | None
    ppo_hint: float | None = None
    model_versions: dict[str, str] = {}


class EnsembleDecision(msgspec.Struct, tag="ensemble_decision", frozen=True, kw_only=True, gc=False):
    """One meta-ensemble decision, with its components.

    Parameters
    ----------
    instrument : str
        Instrument id.
    ts_event : int
        Nanoseconds, UTC.
    p_short, p_mid : float
        Predictor probabilities used.
    ppo_hint : float or None
        PPO size hint used; ``None`` when RL was unavailable (``rl_available`` is then false).
    base : float
        Weighted blend before penalties.
    penalties : dict[str, float]
        Penalties applied, by name (``vol_spike``, ``news_negative``, ...), as positive amounts subtracted
        from ``base``. Only penalties that fired appear.
    score : float
        Final score in [0, 1].
    action : {"BUY", "SELL", "HOLD"}
        Decision from the score thresholds.
    size : float
        Position size as a fraction of NAV, before risk clamps.
    reason_tags : tuple[str, ...]
        Human-readable tags carried to the order and the trade log.
    policy_version : str
        Policy epoch that produced the decision.
    weights : dict[str, float]
        Blend weights used (``short``, ``mid``, ``rl``).
    rl_available : bool
        Whether an RL policy contributed; when false the seed halves position sizes.
    volatility_zscore, correlation : float or None
        The instrument's vol z-score and its return correlation with the book that the penalties saw
        (``None`` while warming up); the escalation matrix's regime trigger reads them.
    news_ids : tuple[str, ...]
        The scored news items (``NewsScored.news_id``) that moved this instrument's sentiment most at
        decision time, strongest first (seed 004 F2 attribution); empty when no news weighs in.
    """

    schema_version: int = SCHEMA_VERSION
    instrument: str
    ts_event: TimestampNs
    p_short: float
    p_mid: float
    ppo_hint: float | None
    base: float
    penalties: dict[str, float]
    score: float
    action: Action
    size: NavFraction
    reason_tags: tuple[str, ...]
    policy_version: str
    weights: dict[str, float]
    rl_available: bool
    volatility_zscore: float | None = None
    correlation: float | None = None
    news_ids: tuple[str, ...] = ()


Signal = ModelScores | EnsembleDecision
"""Value type of the ``signals`` topic."""
