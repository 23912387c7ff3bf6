"""Escalation triggers (seed 001 "Escalation Matrix"), evaluated by the node on its own state.

Any trigger true → a request of its call type, with exactly the seed's fields, filled from the node's
numbers in :class:`NodeState`:

============  =============================================  ================
trigger       condition (``escalation.thresholds``)           call type
============  =============================================  ================
risk          5-day drawdown > 8 % or daily loss > 2.5 %      REWARD_ENGINEER
regime        |vol z| > 2 and correlation < 0.4               REGIME_AUDITOR
model_decay   accuracy 7 points under its baseline, or        REWARD_ENGINEER
              rolling Sharpe < 0.6
event_heat    put/call open-interest ratio > 1.6              REGIME_AUDITOR
kill_switch   the kill switch fired                           SANITY_JUDGE
============  =============================================  ================

Each trigger escalates at most once per ``escalation.trigger_window_s`` of engine time. Times come from
``NodeState.ts_event`` only, so replay produces the same requests every run.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import msgspec

from engine.config import EscalationConfig
from schemas.escalation import (
    BucketUsage,
    EscalationBody,
    EscalationRequest,
    JudgePortfolioState,
    PnlDecomposition,
    RecentTrade,
    RegimeAuditorRequest,
    RegimePortfolioState,
    RewardEngineerRequest,
    SanityJudgeRequest,
    TurnoverStats,
)

TRIGGERS = ("risk", "regime", "model_decay", "event_heat", "kill_switch")


class NodeState(msgspec.Struct, kw_only=True, frozen=True):
    """What the node knows at one portfolio step (fractions of NAV unless named otherwise).

    Parameters
    ----------
    ts_event : int
        Engine-clock nanoseconds.
    net_liquidity : float
        Marked NAV.
    daily_pnl : float
        Day P&L as a fraction of start-of-day NAV (negative = loss).
    drawdown_5d : float
        Drop from the highest NAV of the last 5 days (positive = loss).
    volatility_zscore, correlation : float
        The reference instrument's vol z-score and its return correlation with the book.
    sector_dispersion : dict[str, float]
        Cross-sectional return dispersion per sector (empty with one sector).
    bucket_usage : BucketUsage
        Exposure per bucket.
    pnl_decomposition : PnlDecomposition
        Day P&L per bucket.
    turnover : TurnoverStats
        Traded notional over a day, week and month.
    feature_performance : dict[str, float]
        A score per feature (e.g. hit rate of its sign against the next return).
    ensemble_accuracy, baseline_accuracy, rolling_sharpe : float or None
        Model-decay inputs; ``None`` until enough decisions were scored.
    put_call_ratio : float or None
        Put/call open-interest ratio of the latest options snapshot, if any.
    kill_switch_reason : str
        Non-empty at the step the kill switch fired.
    recent_trades : tuple[RecentTrade, ...]
        The last trades (size and P&L as fractions of NAV).
    headlines : tuple[str, ...]
        Recent outside text; sent only as untrusted data.
    """

    ts_event: int
    net_liquidity: float
    daily_pnl: float
    drawdown_5d: float = 0.0
    volatility_zscore: float = 0.0
    correlation: float = 1.0
    sector_dispersion: dict[str, float] = {}
    bucket_usage: BucketUsage = BucketUsage(penny=0.0, fno=0.0, core=0.0)
    pnl_decomposition: PnlDecomposition = PnlDecomposition(core=0.0, penny=0.0, fno=0.0, sip=0.0)
    turnover: TurnoverStats = TurnoverStats(daily_turnover=0.0, weekly_turnover=0.0, monthly_turnover=0.0)
    feature_performance: dict[str, float] = {}
    ensemble_accuracy: float | None = None
    baseline_accuracy: float | None = None
    rolling_sharpe: float | None = None
    put_call_ratio: float | None = None
    kill_switch_reason: str = ""
    recent_trades: tuple[RecentTrade, ...] = ()
    headlines: tuple[str, ...] = ()


def iso_utc(ts_ns: int) -> str:
    """``2025-10-05T10:00:00Z`` of engine-clock nanoseconds (second precision, as in the seed)."""
    return datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TriggerEvaluator:
    """Stateful evaluator: remembers when each trigger last escalated.

    Parameters
    ----------
    config : EscalationConfig
        Thresholds and the per-trigger window.
    """

    def __init__(self, config: EscalationConfig) -> None:
        self._t = t = config.thresholds
        self._limits = (
            t.drawdown_5d_pct,
            t.daily_loss_pct,
            t.vol_z,
            t.correlation,
            t.accuracy_drop_pp,
            t.sharpe_min,
            t.put_call_oi,
        )
        self._window_ns = int(config.trigger_window_s * 1e9)
        self._max_items = config.untrusted_max_items
        self.last_fired: dict[str, int] = {}  # written by evaluate() only (it counts each write)
        self.revision = 0  # how many times last_fired was written

    def fired(self, state: NodeState) -> list[str]:
        """Which triggers hold at ``state`` (before the window is applied), in :data:`TRIGGERS` order."""
        return self.fired_on(
            state.drawdown_5d,
            state.daily_pnl,
            state.volatility_zscore,
            state.correlation,
            state.ensemble_accuracy,
            state.baseline_accuracy,
            state.rolling_sharpe,
            state.put_call_ratio,
            state.kill_switch_reason,
        )

    def fired_on(
        self,
        drawdown_5d: float,
        daily_pnl: float,
        volatility_zscore: float,
        correlation: float,
        ensemble_accuracy: float | None,
        baseline_accuracy: float | None,
        rolling_sharpe: float | None,
        put_call_ratio: float | None,
        kill_switch_reason: str = "",
    ) -> list[str]:
        """:meth:`fired` on the trigger inputs themselves (the :class:`NodeState` fields of those names)."""
        out: list[str] = []
        if self.risk_holds(drawdown_5d, daily_pnl):
            out.append("risk")
        if self.regime_holds(volatility_zscore, correlation):
            out.append("regime")
        if self.decay_holds(ensemble_accuracy, baseline_accuracy, rolling_sharpe):
            out.append("model_decay")
        if self.heat_holds(put_call_ratio):
            out.append("event_heat")
        if kill_switch_reason:
            out.append("kill_switch")
        return out

    # one condition per trigger (kill_switch: a non-empty reason), shared by fired_on and the sink's
    # per-step StepCheck, which re-tests each only when its inputs moved
    def risk_holds(self, drawdown_5d: float, daily_pnl: float) -> bool:
        """The risk trigger's condition: 5-day drawdown or day loss over its limit."""
        return drawdown_5d * 100.0 > self._limits[0] or -daily_pnl * 100.0 > self._limits[1]

    def regime_holds(self, volatility_zscore: float, correlation: float) -> bool:
        """The regime trigger's condition: a vol z-score beyond its limit with the correlation under its."""
        return abs(volatility_zscore) > self._limits[2] and correlation < self._limits[3]

    def decay_holds(
        self, ensemble_accuracy: float | None, baseline_accuracy: float | None, rolling_sharpe: float | None
    ) -> bool:
        """The model_decay trigger's condition: accuracy down from its baseline, or the Sharpe low."""
        return self.accuracy_decayed(ensemble_accuracy, baseline_accuracy) or self.sharpe_low(rolling_sharpe)

    def accuracy_decayed(self, ensemble_accuracy: float | None, baseline_accuracy: float | None) -> bool:
        """The first half of :meth:`decay_holds`: accuracy down from its baseline by the limit or more (a
        per-step check tests it first, so it computes the Sharpe only when this does not hold)."""
        return (
            ensemble_accuracy is not None
            and baseline_accuracy is not None
            and (baseline_accuracy - ensemble_accuracy) * 100.0 >= self._limits[4]
        )

    def sharpe_low(self, rolling_sharpe: float | None) -> bool:
        """The second half of :meth:`decay_holds`: a rolling Sharpe under its limit."""
        return rolling_sharpe is not None and rolling_sharpe < self._limits[5]

    def heat_holds(self, put_call_ratio: float | None) -> bool:
        """The event_heat trigger's condition: a put/call open-interest ratio over its limit."""
        return put_call_ratio is not None and put_call_ratio > self._limits[6]

    @property
    def regime_limits(self) -> tuple[float, float]:
        """(|vol z| above, correlation under): :meth:`regime_holds`'s limits, for a check inlined per step."""
        return self._limits[2], self._limits[3]

    def due_at(self, trigger: str) -> float:
        """The earliest engine time at which ``trigger`` may escalate again (``-inf``: it never did)."""
        last = self.last_fired.get(trigger)
        return -math.inf if last is None else last + self._window_ns

    def due(self, state: NodeState) -> bool:
        """Whether :meth:`evaluate` would return any request for a state with these trigger inputs."""
        return self.due_among(state.ts_event, self.fired(state))

    def due_among(self, ts: int, fired: list[str]) -> bool:
        """Whether any of the ``fired`` triggers is outside its window at ``ts``."""
        for trigger in fired:
            last = self.last_fired.get(trigger)
            if last is None or ts - last >= self._window_ns:
                return True
        return False

    def evaluate(self, state: NodeState, *, only: tuple[str, ...] | None = None) -> list[EscalationRequest]:
        """Requests to publish on ``escalations`` at this step (each trigger at most once per window);
        ``only`` restricts the evaluation to those triggers."""
        requests = []
        for trigger in self.fired(state):
            if only is not None and trigger not in only:
                continue
            last = self.last_fired.get(trigger)
            if last is not None and state.ts_event - last < self._window_ns:
                continue
            self.last_fired[trigger] = state.ts_event
            self.revision += 1
            requests.append(
                EscalationRequest(
                    ts_event=state.ts_event,
                    request_id=f"{trigger}-{state.ts_event}",
                    body=build_body(trigger, state),
                    trigger=trigger,
                    untrusted_text=state.headlines[: self._max_items],
                )
            )
        return requests


def build_body(trigger: str, state: NodeState) -> EscalationBody:
    """The seed's request body for ``trigger``, filled from ``state``."""
    timestamp = iso_utc(state.ts_event)
    if trigger in ("regime", "event_heat"):
        return RegimeAuditorRequest(
            timestamp=timestamp,
            portfolio_state=RegimePortfolioState(
                net_liquidity=state.net_liquidity,
                daily_pnl=state.daily_pnl,
                volatility_zscore=state.volatility_zscore,
                correlation_breakdown=state.correlation,
            ),
            sector_dispersion=dict(state.sector_dispersion),
            bucket_usage=state.bucket_usage,
        )
    if trigger in ("risk", "model_decay"):
        return RewardEngineerRequest(
            timestamp=timestamp,
            pnl_decomposition=state.pnl_decomposition,
            turnover_stats=state.turnover,
            feature_performance=dict(state.feature_performance),
        )
    if trigger == "kill_switch":
        return SanityJudgeRequest(
            timestamp=timestamp,
            kill_switch_reason=state.kill_switch_reason,
            recent_trades=state.recent_trades,
            portfolio_state=JudgePortfolioState(net_liquidity=state.net_liquidity, daily_pnl=state.daily_pnl),
        )
    raise ValueError(f"unknown trigger {trigger!r}; expected one of {TRIGGERS}")


def put_call_oi_ratio(option_types: list[str], open_interest: list[float]) -> float | None:
    """Put open interest over call open interest (``None`` without call open interest).

    ``option_types`` holds ``"P"``/``"C"`` per contract (yfinance's ``optionType``)."""
    puts = sum(oi for kind, oi in zip(option_types, open_interest, strict=True) if kind == "P")
    calls = sum(oi for kind, oi in zip(option_types, open_interest, strict=True) if kind == "C")
    return puts / calls if calls > 0 else None
