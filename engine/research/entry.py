"""Entry checks that know the costs: probability gates per volatility regime, expected P&L net of the
round-trip fee, and the seed's score-scaled size.

Pure functions for the strategy's hot path. The regime comes from ``atr_norm`` (ATR / close) and the
two ATR% thresholds the model set was calibrated with; the gate of each regime is a policy setting
(seed 003: 0.60 / 0.62 / 0.65). An entry is taken only when

1. its take-profit distance exceeds the round-trip fee (``tp_below_fee`` otherwise),
2. the calibrated probability of winning reaches its regime's gate (``below_gate_<regime>``),
3. the expected P&L net of the fee is positive (``exp_pnl_net_nonpositive``):
   ``E = p * tp - (1 - p) * sl - fee``, distances as fractions of the entry price.
"""

from __future__ import annotations

from typing import NamedTuple

REGIME_NAMES = ("low_vol", "med_vol", "high_vol")


class EntryCheck(NamedTuple):
    """The verdict on one candidate entry; ``reason`` is None when the entry is taken."""

    take: bool
    reason: str | None
    regime: str | None
    prob_win: float
    take_profit: float
    stop: float
    exp_pnl: float
    exp_pnl_net: float


def regime_index(atr_pct: float, thresholds: tuple[float, float]) -> int:
    """0 (low), 1 (medium) or 2 (high volatility); the same rule as the calibrated ONNX graph."""
    return 2 - int(atr_pct < thresholds[0]) - int(atr_pct < thresholds[1])


def check_entry(
    prob_win: float,
    atr_pct: float,
    *,
    take_profit_atr: float,
    stop_atr: float,
    round_trip_fee: float,
    thresholds: tuple[float, float] | None,
    gates: tuple[float, float, float],
) -> EntryCheck:
    """Decide whether an entry is worth its costs.

    Parameters
    ----------
    prob_win : float
        Calibrated probability that the trade reaches its take-profit before its stop.
    atr_pct : float
        ATR / close at entry.
    take_profit_atr, stop_atr : float
        Exit distances in ATR multiples (the strategy's exits).
    round_trip_fee : float
        Entry plus exit fee as a fraction of notional.
    thresholds : tuple of float or None
        ATR% regime thresholds of the model set; None when the models carry no regime calibration
        (then no probability gate applies, only the cost checks).
    gates : tuple of float
        Probability gate per regime, ``low_vol, med_vol, high_vol``.
    """
    tp = take_profit_atr * atr_pct
    sl = stop_atr * atr_pct
    exp_pnl = prob_win * tp - (1.0 - prob_win) * sl
    net = exp_pnl - round_trip_fee
    regime = REGIME_NAMES[regime_index(atr_pct, thresholds)] if thresholds is not None else None
    reason = None
    if not tp > round_trip_fee:
        reason = "tp_below_fee"
    elif regime is not None and prob_win < gates[REGIME_NAMES.index(regime)]:
        reason = f"below_gate_{regime}"
    elif not net > 0.0:
        reason = "exp_pnl_net_nonpositive"
    return EntryCheck(reason is None, reason, regime, prob_win, tp, sl, exp_pnl, net)


def score_size(score: float, per_name_limit: float) -> float:
    """``position_size = bucket_limit * 2 * |score - 0.5|`` with ``bucket_limit`` read as the per-name
    limit of the instrument's bucket (a fraction of NAV), so the score scales the size below the cap."""
    return per_name_limit * 2.0 * abs(score - 0.5)
