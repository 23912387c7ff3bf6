"""The node's running state for the escalation triggers, fed from what the strategy already has.

:class:`NodeStateTracker` is updated once per portfolio step (NAV, day P&L, bucket exposure), per bar of
the reference instrument (vol z-score, correlation), per closed trade, per scored decision and per scored
feature, and produces the :class:`~engine.escalation.triggers.NodeState` the triggers read. Everything is
keyed on engine-clock time, so replay builds the same state every run.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from engine.escalation.triggers import NodeState
from engine.metrics import NS_PER_DAY, sharpe_daily, utc_day, utc_day_span
from schemas.escalation import BucketUsage, PnlDecomposition, RecentTrade, TurnoverStats
from schemas.tradelog import TradeLogEntry

DRAWDOWN_DAYS = 5
SHARPE_DAYS = 30
MIN_SHARPE_DAYS = 5
ACCURACY_WINDOW = 200
MIN_SCORED = 50
RECENT_TRADES = 10
BUCKETS = ("core", "penny", "fno")
_isfinite = math.isfinite


class NodeStateTracker:
    """Running inputs of the escalation matrix.

    Parameters
    ----------
    recent_trades : int
        How many closed trades SANITY_JUDGE sees.
    accuracy_window : int
        Scored decisions in the recent accuracy; the baseline is every scored decision before them.
    """

    def __init__(self, *, recent_trades: int = RECENT_TRADES, accuracy_window: int = ACCURACY_WINDOW) -> None:
        self._day: int | None = None
        self._day_close: dict[int, float] = {}
        self._day_peak: dict[int, float] = {}
        self.nav = 0.0
        self.sod_nav = 0.0
        self.day_pnl = 0.0
        self.bucket_usage = {b: 0.0 for b in BUCKETS}
        self.vol_z = 0.0
        self.correlation = 1.0
        self._trades: deque[RecentTrade] = deque(maxlen=recent_trades)
        self._bucket_pnl = {b: 0.0 for b in BUCKETS}
        self._turnover: dict[int, float] = {}
        self._recent_hits: deque[bool] = deque(maxlen=accuracy_window)
        self._recent_sum = 0  # hits in _recent_hits, kept as they enter and leave
        self._baseline_hits = 0
        self._baseline_n = 0
        self._feature_hits: dict[str, list[int]] = {}
        # snapshot() runs on every portfolio step; these inputs rarely change between steps (a flat book
        # keeps its NAV, turnover moves only on a trade), so their results are kept until they do
        self._sharpe_memo: tuple[tuple, float | None] | None = None
        self._turnover_memo: tuple[tuple, TurnoverStats] | None = None
        self._trades_seen = 0
        self._last_day: int | None = None  # the latest day seen (self._day only differs after a rewind)
        self._closes_memo: tuple[int, tuple[float, ...]] | None = None  # (today, closes of earlier days)
        self._peak_memo: tuple[int, float] | None = None  # (today, highest NAV of the 4 days before it)
        self._sharpe_today: tuple | None = None  # (closes memo, today's close, Sharpe) of the last step
        self._usage_in: dict[str, float] | None = None  # the bucket usage dict last copied in on_equity
        # the drawdown and Sharpe of trigger_inputs(), each kept from when first asked until a row moves
        self._drawdown_kept: float | None = None
        self._sharpe_kept: tuple[float | None] | None = None
        self.sip = 0.0
        # bumped whenever an input of trigger_inputs() other than vol_z/correlation may have moved, so a
        # per-step check can re-test the risk and model_decay conditions only then
        self.revision = 0
        # utc_day_span of self._day while it is the latest day (else empty): a step in there with an
        # unchanged NAV is a flat book's repeat
        self._flat_after = self._flat_until = 0

    def on_equity(self, ts: int, nav: float, day_pnl: float, bucket_usage: dict[str, float]) -> None:
        """One portfolio step: marked NAV, day P&L (fraction of start-of-day NAV), exposure per bucket.

        ``bucket_usage`` is copied in, except when it is the very dict of the previous call: pass a new
        dict when the usage changed, never the same one mutated."""
        if self._flat_after < ts <= self._flat_until and nav == self.nav:
            # the same NAV again on the latest day (a flat book): its close and peak already hold it
            if day_pnl != self.day_pnl:  # NaN always counts as moved; 0.0 and -0.0 test alike
                self.revision += 1
            self.day_pnl = day_pnl  # even when equal: -0.0 stays -0.0 in a request body
            if bucket_usage is not self._usage_in:
                self._copy_usage(bucket_usage)
            return
        self._drawdown_kept = self._sharpe_kept = None  # the drawdown and Sharpe can move
        self.revision += 1
        day = (ts - 1) // NS_PER_DAY  # utc_day, inlined
        if day != self._day:
            self._day = day
            self._bucket_pnl = {b: 0.0 for b in BUCKETS}
            self.sod_nav = nav / (1.0 + day_pnl) if day_pnl > -1.0 else nav
        self.nav = nav
        self.day_pnl = day_pnl
        if self._last_day is None or day > self._last_day:
            self._last_day = day
        elif day < self._last_day:  # a rewound day may rewrite earlier closes and peaks: drop the kept ones
            self._closes_memo = self._peak_memo = None
        self._day_close[day] = nav
        self._day_peak[day] = max(nav, self._day_peak.get(day, nav))
        if bucket_usage is not self._usage_in:  # the sink passes its unchanged dict again
            self._copy_usage(bucket_usage)
        if day == self._last_day:  # the latest day: the same NAV again within it changes nothing
            self._flat_after, self._flat_until = utc_day_span(day)
        else:
            self._flat_after = self._flat_until = 0

    def _copy_usage(self, bucket_usage: dict[str, float]) -> None:
        for b in BUCKETS:
            self.bucket_usage[b] = float(bucket_usage.get(b, 0.0))
        self._usage_in = bucket_usage

    def on_market(self, volatility_zscore: float | None, correlation: float | None) -> None:
        """The reference instrument's latest vol z-score and correlation (``None`` or non-finite values, as a
        decision carries them, are ignored)."""
        if volatility_zscore is not None and _isfinite(volatility_zscore):
            self.vol_z = volatility_zscore
        if correlation is not None and _isfinite(correlation):
            self.correlation = correlation

    def on_trade(self, ts: int, trade: TradeLogEntry, bucket: str) -> None:
        """A closed trade: recent trades, P&L per bucket and turnover (entry and exit) of its day."""
        nav = self.nav or 1.0
        pnl = (trade.realized_pnl or 0.0) / nav
        self._trades.append(
            RecentTrade(symbol=trade.symbol, action=trade.direction, size=trade.size_post_risk, pnl=pnl)
        )
        if bucket in self._bucket_pnl:
            self._bucket_pnl[bucket] += pnl
        day = utc_day(ts)
        self._turnover[day] = self._turnover.get(day, 0.0) + 2.0 * trade.size_post_risk
        self._trades_seen += 1

    def on_sip(self, balance_fraction: float) -> None:
        """The SIP bucket's balance as a fraction of NAV."""
        self.sip = balance_fraction

    def on_scored_decision(self, hit: bool) -> None:
        """A decision whose direction was checked against the realised return."""
        if len(self._recent_hits) == self._recent_hits.maxlen:
            oldest = int(self._recent_hits[0])
            self._baseline_hits += oldest
            self._recent_sum -= oldest
            self._baseline_n += 1
        self._recent_hits.append(hit)
        self._recent_sum += int(hit)
        self.revision += 1

    def on_scored_feature(self, name: str, hit: bool) -> None:
        """A feature whose sign was checked against the realised return."""
        counts = self._feature_hits.setdefault(name, [0, 0])
        counts[0] += int(hit)
        counts[1] += 1

    def _drawdown_5d(self) -> float:
        if self._day is None:
            return 0.0
        day = self._day
        if day == self._last_day:  # no later day exists: earlier days' peaks are final, kept per day
            memo = self._peak_memo
            if memo is None or memo[0] != day:
                earlier = [p for d, p in self._day_peak.items() if 0 < day - d < DRAWDOWN_DAYS]
                memo = self._peak_memo = (day, max(earlier, default=-math.inf))
            peak = max(memo[1], self._day_peak[day])
        else:
            peak = max(p for d, p in self._day_peak.items() if self._day - d < DRAWDOWN_DAYS)
        return max(0.0, 1.0 - self.nav / peak) if peak > 0 else 0.0

    def _sharpe(self) -> float | None:
        day = self._day
        memo = self._closes_memo
        if day is not None and day == self._last_day and memo is not None and memo[0] == day:
            # earlier days' closes are those memo holds (kept per day): only today's close can differ
            close = self._day_close[day]
            last = self._sharpe_today
            if last is not None and last[0] is memo and last[1] == close:
                return last[2]
            value = self._sharpe_of(self._sharpe_key())
            self._sharpe_today = (memo, close, value)
            return value
        return self._sharpe_of(self._sharpe_key())

    def _sharpe_of(self, key: tuple[float, ...]) -> float | None:
        if len(key) < MIN_SHARPE_DAYS + 1:
            return None
        if self._sharpe_memo is not None and self._sharpe_memo[0] == key:
            return self._sharpe_memo[1]
        closes = np.array(key)
        value = sharpe_daily(closes[1:] / closes[:-1] - 1.0)
        self._sharpe_memo = (key, value)
        return value

    def _baseline(self) -> float | None:
        return self._baseline_hits / self._baseline_n if self._baseline_n >= MIN_SCORED else None

    def _sharpe_key(self) -> tuple[float, ...]:
        """Closes of the last ``SHARPE_DAYS + 1`` days, oldest first. Earlier days' closes no longer change
        once a later day began, so they are kept per day and only today's close is appended per step."""
        day = self._day
        if day is None or day != self._last_day:  # empty, or rewound to an earlier day: the plain way
            days = sorted(self._day_close)[-(SHARPE_DAYS + 1) :]
            return tuple(self._day_close[d] for d in days)
        memo = self._closes_memo
        if memo is None or memo[0] != day:
            earlier = sorted(d for d in self._day_close if d < day)[-SHARPE_DAYS:]
            memo = self._closes_memo = (day, tuple(self._day_close[d] for d in earlier))
        return memo[1] + (self._day_close[day],)

    def _turnover_stats(self) -> TurnoverStats:
        day = self._day if self._day is not None else 0
        key = (day, self._trades_seen)
        if self._turnover_memo is not None and self._turnover_memo[0] == key:
            return self._turnover_memo[1]
        stats = self._turnover_window_stats(day)
        self._turnover_memo = (key, stats)
        return stats

    def _turnover_window_stats(self, day: int) -> TurnoverStats:
        def window(n: int) -> float:
            return sum((v for d, v in self._turnover.items() if day - d < n), 0.0)

        return TurnoverStats(daily_turnover=window(1), weekly_turnover=window(7), monthly_turnover=window(30))

    def trigger_inputs(self) -> tuple[float, float, float, float, float | None, float | None, float | None]:
        """What :meth:`scalars` fills, as a tuple in :meth:`TriggerEvaluator.fired_on` order (drawdown, day
        P&L, vol z-score, correlation, accuracy, baseline, Sharpe): the per-step check without a state."""
        accuracy, baseline = self.accuracies()
        return (
            self.drawdown(),
            self.day_pnl,
            self.vol_z,
            self.correlation,
            accuracy,
            baseline,
            self.rolling_sharpe(),
        )

    def drawdown(self) -> float:
        """The 5-day drawdown of :meth:`trigger_inputs` (a repeated row of a flat book keeps it)."""
        drawdown = self._drawdown_kept
        if drawdown is None:
            drawdown = self._drawdown_kept = self._drawdown_5d()
        return drawdown

    def rolling_sharpe(self) -> float | None:
        """The rolling Sharpe of :meth:`trigger_inputs` (a numpy reduction, ~10-70 µs: a per-step check asks
        for it only when the accuracy alone does not decide model_decay; a repeated row keeps it)."""
        kept = self._sharpe_kept
        if kept is None:
            kept = self._sharpe_kept = (self._sharpe(),)
        return kept[0]

    def accuracies(self) -> tuple[float | None, float | None]:
        """(recent ensemble accuracy, baseline accuracy) of :meth:`trigger_inputs`; ``None`` for either with
        too few scored decisions."""
        recent = len(self._recent_hits)
        return (
            self._recent_sum / recent if recent >= MIN_SCORED else None,
            self._baseline_hits / self._baseline_n if self._baseline_n >= MIN_SCORED else None,  # _baseline()
        )

    def scalars(self, ts: int, *, put_call_ratio: float | None = None) -> NodeState:
        """The state at ``ts`` with only the numbers :meth:`TriggerEvaluator.fired` reads (the request bodies'
        parts keep their defaults): enough to tell whether any trigger is due, on every step."""
        recent = len(self._recent_hits)
        return NodeState(
            ts_event=ts,
            net_liquidity=self.nav,
            daily_pnl=self.day_pnl,
            drawdown_5d=self._drawdown_5d(),
            volatility_zscore=self.vol_z,
            correlation=self.correlation,
            ensemble_accuracy=self._recent_sum / recent if recent >= MIN_SCORED else None,
            baseline_accuracy=self._baseline(),
            rolling_sharpe=self._sharpe(),
            put_call_ratio=put_call_ratio,
        )

    def snapshot(
        self,
        ts: int,
        *,
        kill_switch_reason: str = "",
        headlines: tuple[str, ...] = (),
        put_call_ratio: float | None = None,
    ) -> NodeState:
        """The state the triggers read at ``ts``."""
        recent = len(self._recent_hits)
        accuracy = self._recent_sum / recent if recent >= MIN_SCORED else None
        baseline = self._baseline()
        return NodeState(
            ts_event=ts,
            net_liquidity=self.nav,
            daily_pnl=self.day_pnl,
            drawdown_5d=self._drawdown_5d(),
            volatility_zscore=self.vol_z,
            correlation=self.correlation,
            bucket_usage=BucketUsage(**self.bucket_usage),
            pnl_decomposition=PnlDecomposition(**self._bucket_pnl, sip=self.sip),
            turnover=self._turnover_stats(),
            feature_performance={k: h / n for k, (h, n) in sorted(self._feature_hits.items()) if n},
            ensemble_accuracy=accuracy,
            baseline_accuracy=baseline,
            rolling_sharpe=self._sharpe(),
            put_call_ratio=put_call_ratio,
            kill_switch_reason=kill_switch_reason,
            recent_trades=tuple(self._trades),
            headlines=headlines,
        )
