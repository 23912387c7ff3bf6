"""The research simulator: the meta-ensemble strategy's execution in one numba pass.

``build_decisions`` (features -> models -> ensemble over whole arrays) and ``simulate`` (the execution
kernel) reproduce what ``aureus replay`` does inside Nautilus, fast enough for hyperparameter search
and walk-forward tournaments. ``aureus sim`` runs both and writes the replay's output files.

How Nautilus 1.228 executes a bar (``OrderMatchingEngine.process_bar`` with LAST bars and
``bar_adaptive_high_low_ordering=True``, as ``aureus.runtime.backtest`` configures the venue), which
the kernel follows:

1. The bar's volume is cut into quarters (rounded down to the size increment, at least one increment);
   the close gets what is left after three quarters.
2. Four trade prices are played in order: **open**, then **high and low, the one nearer the open first**
   (high first only when ``|high - open| < |low - open|`` in ticks; a tie plays the low first), then
   **close**. A price point is skipped when it does not move the market: the open when it equals the
   last price, the high unless above it, the low unless below it, the close when equal to it.
3. At each point resting orders are matched: a stop-market sell triggers at ``price <= trigger`` (buy:
   ``>=``), a limit sell fills at ``price >= limit`` (buy: ``<=``). At the open (a gap from the last
   price) a stop fills at the open price; at high, low and close it fills at its trigger price; a stop
   fill larger than the point's L1 size fills the rest one tick worse. A limit always fills at its limit
   price, even through a gap (filling gaps at the open instead moved stocknet's total P&L by 6.7 %): the
   point's L1 size when the price only touches the limit (the rest stays open), all of it when the price
   moves through (two fills: the L1 size, then the rest, each booked and rounded on its own). A limit
   filled through the price leaves that side of the venue's quote at the limit until the next price
   point. When the strategy modifies the stop (trailing), the venue syncs its one-updates-other
   partner: a take-profit that already filled the position's remaining size is cancelled. Take-profit
   fills pay the maker fee, every other fill the taker fee.
4. The bar then reaches the strategy (``on_bar``). Orders are queued and filled after the handler at
   the venue's bid/ask: a market order takes the L1 size of the last price point and the rest one tick
   worse; a bracket whose stop is already in the market is rejected with its take-profit (the position
   then has no resting exits, as in the replay). When the step sent any order, the venue matches its
   resting orders once more: a take-profit the last price only touched fills that point's L1 size again.
   Every fill's commission is ``Money(Money(qty * px) * fee)`` (the notional rounded to the cent first).

The strategy (``MetaEnsembleStrategy``) does per-instrument work per bar and book-level work once per
timestamp, after that timestamp's bars (its portfolio step): mark NAV (realised + unrealised at the last
close of every instrument) -> first mark of a UTC day closes the previous day (SIP share of a profitable
day set aside from sizing NAV; post-kill and quarantine demo days) -> kill switch at ``-daily_loss_pct``
of start-of-day NAV (flatten everything, halt for the rest of the day) -> trail the stops -> drift trims
-> decisions in instrument-id order (a reversal closes the position; a flat instrument enters with a
bracket sized by the clamp's per-name and bucket caps, the penny rule and the mode's F&O and long-only
gates; a SELL on a flat instrument that ``[shorting]`` keeps long only, spot by default, is skipped as
``short_blocked``). Every fill pays its instrument's asset-class fee (``[fees.*]``). A timestamp missing
an instrument's bar steps at its grace timer (``node.bar_grace_ms`` later).

Not modelled (refused with :class:`SimUnsupportedError` when configured): the portfolio limits of the
``guardrails`` and ``long_short`` profiles, ``risk.do_not_trade`` and the policy's do-not-trade list,
disabled features and position cap. Data stalls have no effect on bar data (a bar always resumes its
instrument before the decision), and late or duplicate bars cannot occur in a time-sorted recording.
"""

from engine.sim.decisions import (
    Decisions,
    EventBars,
    build_decisions,
    decision_at,
    ensemble_arrays,
    redecide,
)
from engine.sim.errors import SimError, SimUnsupportedError
from engine.sim.simulator import SimResult, simulate

__all__ = [
    "Decisions",
    "EventBars",
    "SimError",
    "SimResult",
    "SimUnsupportedError",
    "build_decisions",
    "decision_at",
    "ensemble_arrays",
    "redecide",
    "simulate",
]
