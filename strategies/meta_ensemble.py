"""The meta-ensemble strategy: bars -> numba features -> ONNX models -> ensemble -> risk clamp -> brackets.

Thin Nautilus wiring around the pure engine core. Features run per bar; the book-level work runs once
per timestamp in the portfolio step (:mod:`engine.portfolio_step`): the mark and kill switch, stop
trailing, drift trims, decisions and entries in instrument order (:mod:`strategies.entries`), the equity
row (:mod:`strategies.book`). Risk actions are in :mod:`strategies.risk_actions`, the restart rebuild in
:mod:`strategies.reconcile`, control commands in :mod:`strategies.control`. Every output goes through
one event sink (:mod:`strategies.outputs`). Every decision reads time from the engine clock only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import msgspec
import numpy as np
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.trading.strategy import Strategy

from engine.config import AureusConfig
from engine.features.vector import IncrementalCorrelation, IncrementalFeatures
from engine.models.fused_step import FusedBarStep, fused_step_for
from engine.models.runtime import ModelBundle, load_optional
from engine.news_state import DecayedSentiment
from engine.policy.bounds import PolicyLimits
from engine.policy.controller import PolicyController
from engine.policy.effects import masked_features
from engine.policy.versions import PolicyStore
from engine.portfolio_step import TimestampBatch
from engine.sink import EventSink
from engine.state import MemoryStateStore, StateStore
from schemas.recording import InstrumentSpec
from strategies.book import BookMixin
from strategies.control import ControlMixin
from strategies.control_data import CONTROL_CLIENT_ID, CONTROL_DATA_TYPE, ControlData
from strategies.entries import EntryMixin
from strategies.news_data import NEWS_CLIENT_ID, NEWS_DATA_TYPE, ScoredNewsData
from strategies.outputs import StrategyOutputs
from strategies.protection import ProtectionMixin
from strategies.reconcile import ReconcileMixin
from strategies.risk_actions import RiskActionsMixin
from strategies.risk_desk import RiskDesk
from strategies.trade_journal import model_summary

_SPECS = msgspec.json.Decoder(tuple[InstrumentSpec, ...])
_CONFIG = msgspec.json.Decoder(AureusConfig)


class MetaEnsembleConfig(StrategyConfig, frozen=True):
    """Strategy config: the Aureus config and instrument specs travel as JSON so the strategy can be
    built from config alone (backtest and live node alike)."""

    aureus_config_json: str
    instruments_json: str
    bar_types: tuple[str, ...]
    models_dir: str
    reference_instrument: str = ""
    subscribe_news: bool = True
    venue_is_paper: bool = True
    mark_persist_interval_s: float = 0.0
    subscribe_control: bool = False
    cache_purge_interval_s: float = 0.0


_STEP_TIMER = "aureus-portfolio-step"


class _InstrumentState:
    __slots__ = (
        "spec",
        "features",
        "corr",
        "news",
        "prev_close",
        "last_close",
        "entry",
        "stop_order",
        "best_close",
        "entry_atr",
        "trades",
        "route",
        "last_bar_ts",
        "interval_ns",
        "row",
        "ret",
        "reprotect_px",
        "reprotect_attempt",
        "fused",
        "scored_policy",
        "adv",
        "decide_ctx",
        "instrument_id",
        "ready",
        "correlation",
    )

    def __init__(self, spec: InstrumentSpec, cfg: AureusConfig) -> None:
        self.spec = spec
        self.features = IncrementalFeatures(cfg.features)
        self.corr = IncrementalCorrelation(cfg.features.corr_window)
        self.news = DecayedSentiment(cfg.news.half_life_s)
        self.prev_close = math.nan
        self.last_close = math.nan
        self.entry: dict | None = None  # the decision that opened the current position
        self.stop_order = None
        self.best_close = math.nan
        self.entry_atr = math.nan
        self.trades = 0
        self.route: ClientId | None = None  # where the open position's orders went
        self.last_bar_ts = -1
        self.interval_ns = spec.bar_interval_s * 1_000_000_000
        self.row = None  # the feature row of the latest bar
        self.ret = math.nan  # log return of the latest bar
        self.reprotect_px = math.nan  # level of a rejected protective stop (strategies.protection)
        self.reprotect_attempt = 0
        self.fused: FusedBarStep | None = None  # features + models in one call (engine.models.fused_step)
        self.scored_policy = None  # the policy whose masked row gave fused.scores (None: not scored)
        self.adv = None  # the risk desk's DailyValueTracker of this instrument (set on start)
        self.decide_ctx = None  # strategies.entries._DecisionContext of the config in force
        self.instrument_id: InstrumentId | None = None  # Nautilus's id (set on start)
        self.ready = False  # every column of the latest feature row is finite (features.ready, kept)
        self.correlation = 1.0  # to the reference instrument, as of the latest step that had this bar


def _warm_kernels(cfg: AureusConfig) -> None:
    """Load the numba feature kernels (``cache=True``: from the on-disk cache after the first run) when the
    strategy is built, so the engine's run never pays the ~0.6 s load on its first bar."""
    features = IncrementalFeatures(cfg.features)
    features.update(1.0, 1.0, 1.0, 1.0, 1.0)
    IncrementalCorrelation(cfg.features.corr_window).update(0.0, 0.0)


class MetaEnsembleStrategy(
    EntryMixin, BookMixin, RiskActionsMixin, ProtectionMixin, ReconcileMixin, ControlMixin, Strategy
):
    """Trades every configured instrument on its bars with the deterministic meta-ensemble."""

    def __init__(
        self, config: MetaEnsembleConfig, *, store: StateStore | None = None, sink: EventSink | None = None
    ) -> None:
        """``store`` persists risk state across restarts (``None``: in memory, lost at exit); ``sink``
        receives every output (``None``: kept in memory, see :attr:`outputs`)."""
        super().__init__(config)
        self.cfg: AureusConfig = _CONFIG.decode(config.aureus_config_json)
        self.specs = {s.instrument_id: s for s in _SPECS.decode(config.instruments_json)}
        self.outputs = StrategyOutputs(sink)
        self.journal = self.outputs.journal
        self._state: dict[InstrumentId, _InstrumentState] = {}
        self._bar_types = [BarType.from_str(b) for b in config.bar_types]
        self._reference = config.reference_instrument
        self._models: ModelBundle | None = None
        self._touch: dict = {}
        self._ppo = None
        self._prepared: tuple | None = None  # (models, PPO, touch models) loaded by prepare(), not yet used
        self._venue_currency: dict = {}
        # the book as last read from Nautilus (strategies.book): None = read it again
        self._cash: float | None = None
        self._held: list = []
        self._net: list | None = None
        self._flat_notionals: dict[str, float] | None = None
        self._buckets: dict[str, str] = {}
        self.risk = RiskDesk(
            self.cfg,
            self.specs,
            self.outputs,
            store=store,
            venue_is_paper=config.venue_is_paper,
            mark_persist_interval_ns=int(config.mark_persist_interval_s * 1_000_000_000),
        )
        self._set_trading_state: Callable[[str], None] | None = None
        self._flattening: str | None = None  # a flatten sent and not yet seen flat on the fills
        self._stall_timeout: dict[InstrumentId, int] = {}
        self._unprotected: set[InstrumentId] = set()  # positions whose protective stop failed
        self._started_ts = 0
        self._batch = TimestampBatch(s.instrument_id for s in self.specs.values())
        self._all_states: tuple[_InstrumentState, ...] = ()  # in the batch's order (sorted by name)
        self._by_name: dict[str, _InstrumentState] = {}
        self._only: _InstrumentState | None = None  # the one instrument of a one-bar-type portfolio
        self._one_instrument_path = True  # False: bars take the batched path even then (tests compare)
        policy_store = PolicyStore(store if store is not None else MemoryStateStore(), self.cfg.policy)
        limits = PolicyLimits.from_config(self.cfg.risk, self.cfg.escalation, frozenset(self.specs))
        self._policy = PolicyController(policy_store, limits)
        # a restarted node trades the last policy version it recorded (escalations, rollbacks survive)
        self.cfg = msgspec.structs.replace(self.cfg, policy=self._policy.policy)
        self.risk.cfg = self.cfg
        self._grace_ns = self.cfg.node.bar_grace_ms * 1_000_000
        self._grace_armed = False
        self._purge_ns = int(config.cache_purge_interval_s * 1_000_000_000)
        self._next_purge_ts = -1
        _warm_kernels(self.cfg)
        # restart: bars at or before an instrument's decided mark only warm its features (see commit_decided)
        self._decided: dict[str, int] = dict(self.risk.supervisor.state.decided)
        self._decided_pending: dict[str, int] = {}

    def resume_after(self, published: dict[str, int]) -> dict[str, int]:
        """Also treat as decided every bar at or before an instrument's last decision already published
        (read back from ``signals`` by the daemon: a crash mid-batch leaves decisions no mark covers).

        Returns the instrument -> event time up to which no bar is decided again.
        """
        for instrument, ts in published.items():
            if ts > self._decided.get(instrument, -1):
                self._decided[instrument] = ts
                self.journal.counters["resumed_after_published"] += 1
        return dict(self._decided)

    def commit_decided(self) -> None:
        """Record in the risk state (one write) that every bar stepped so far was decided.

        The daemon calls it after each batch once the step's outputs are acknowledged by the broker and
        before the batch's offsets are committed: a crash before it decides the batch again (its outputs
        may then appear twice), a crash after it replays the batch as warm-up only.
        """
        if self._decided_pending:
            pending, self._decided_pending = self._decided_pending, {}
            self.risk.supervisor.record_decided(max(pending.values()), pending)

    def bind_trading_state(self, setter: Callable[[str], None]) -> None:
        """Give the strategy the node's risk-engine trading state (``"ACTIVE"`` / ``"HALTED"``).

        Nautilus offers no component API for it, so the runtime that owns the kernel binds it."""
        self._set_trading_state = setter

    # ------------------------------------------------------------------ lifecycle
    def prepare(self) -> None:
        """Load the models and compile (or load from numba's cache) their fused bar kernel now, before the
        engine runs, so the first run's loop does not pay for it; :meth:`on_start` takes them from here (a
        restart loads them afresh). Optional: without it, :meth:`on_start` loads them itself."""
        if self._prepared is None:
            self._prepared = self._load_models()

    def _load_models(self) -> tuple:
        models_dir = Path(self.config.models_dir)
        providers = None if self.cfg.models.prefer_gpu else ["CPUExecutionProvider"]
        params = self.cfg.features
        runtime = self.cfg.models.cpu_runtime
        models = ModelBundle.load(models_dir, params=params, providers=providers, cpu_runtime=runtime)
        ppo = load_optional(models_dir, "ppo_size_hint", params=params, providers=providers)
        # optional first-touch models of a walk-forward set: calibrated P(win) of a long / short entry
        touch = {
            side: load_optional(models_dir, name, params=params, providers=providers)
            for side, name in ((1, "p_touch"), (-1, "p_touch_short"))
        }
        fused_step_for(IncrementalFeatures(params), models)  # compiles the kernel on a scratch state
        if len(self._bar_types) > 1:  # steps of several instruments score in one batch call: compile it too
            models.predict_batch(np.zeros((2, models.n_features)))
        return models, ppo, touch

    def on_start(self) -> None:
        prepared, self._prepared = self._prepared, None
        self._models, self._ppo, self._touch = prepared or self._load_models()
        if self._ppo is None:
            self.outputs.alerts(self.risk.failsafe.rl_missing(self.clock.timestamp_ns()))
            self.log.warning("RL size-hint model missing: predictors only, sizes halved")
        for bar_type in self._bar_types:
            instrument_id = bar_type.instrument_id
            instrument = self.cache.instrument(instrument_id)
            if instrument is None:
                raise RuntimeError(f"instrument {instrument_id} not in cache")
            st = self._state[instrument_id] = _InstrumentState(self.specs[instrument_id.value], self.cfg)
            st.fused = fused_step_for(st.features, self._models)
            if st.fused is not None:  # its row is one view, updated in place on every bar
                st.row = st.fused.row
            st.adv = self.risk.adv[instrument_id.value]
            currency = instrument.quote_currency
            self._venue_currency.setdefault(instrument_id.venue, currency)
            self.subscribe_bars(bar_type)
        if self.config.subscribe_news:
            self.subscribe_data(NEWS_DATA_TYPE, client_id=NEWS_CLIENT_ID)
        if self.config.subscribe_control:
            self.subscribe_data(CONTROL_DATA_TYPE, client_id=CONTROL_CLIENT_ID)
        self._buckets = {st.spec.instrument_id: st.spec.bucket for st in self._state.values()}
        self._batch = TimestampBatch(i.value for i in self._state)
        self._index_instruments()
        self._rebuild_from_cache()
        self._book_changed()
        self.msgbus.subscribe(topic="events.account.*", handler=self._book_changed)
        self._start_stall_timer()
        if self.risk.halted:  # restarted on a kill day: stay halted until the next UTC day
            self._trading_state("HALTED")

    def on_stop(self) -> None:
        if self._batch.pending_ts is not None:  # the last timestamp's book work, without new orders
            self._step(*self._batch.take(), trade=False)
        self.outputs.flush()
        self.msgbus.unsubscribe(topic="events.account.*", handler=self._book_changed)
        self.risk.supervisor.flush(self.clock.timestamp_ns())
        for instrument_id, st in self._state.items():
            for position in self.cache.positions_open(instrument_id=instrument_id, strategy_id=self.id):
                self._log_trade(
                    st,
                    position.id.value,
                    position.entry,
                    position.avg_px_open,
                    None,
                    position.ts_opened,
                    None,
                    None,
                    position,
                )
        self.outputs.flush()

    def submit_order(self, order, *args, **kwargs) -> None:
        self.journal.orders += 1  # counted here: the report must not depend on the (purged) cache
        super().submit_order(order, *args, **kwargs)

    def submit_order_list(self, order_list, *args, **kwargs) -> None:
        self.journal.orders += len(order_list.orders)
        super().submit_order_list(order_list, *args, **kwargs)

    def _purge_cache(self, ts: int) -> None:
        """Drop orders and positions closed at least one purge interval ago from Nautilus's cache: by then
        their fills and trades were reported, and a long replay's cache (and every query on it) stays
        small. A NETTING position id that opens again after its purge starts a fresh position."""
        buffer_s = self._purge_ns // 1_000_000_000
        self.cache.purge_closed_orders(ts, buffer_secs=buffer_s)
        self.cache.purge_closed_positions(ts, buffer_secs=buffer_s)
        self._next_purge_ts = ts + self._purge_ns
        self.journal.counters["cache_purges"] += 1

    def model_summary(self) -> dict:
        """Name -> version, provider and sha256 of every model in use (``None`` for an absent one)."""
        return model_summary(self._models, self._ppo)

    # ------------------------------------------------------------------ data
    def on_data(self, data) -> None:
        if isinstance(data, ControlData):
            self._on_control_data(data)
            return
        if isinstance(data, ScoredNewsData):
            st = self._state.get(InstrumentId.from_str(data.instrument))
            self.journal.news += 1
            if st is None:
                self.journal.counters["news_unknown_instrument"] += 1
                return
            st.news.add(data.ts_event, data.sentiment, data.relevance, data.news_id)

    def on_bar(self, bar: Bar) -> None:
        """Per-instrument work for one bar; the portfolio step runs once the timestamp is due."""
        ts = bar.ts_event
        st = self._only
        if st is not None:
            # one instrument: each bar is its timestamp's whole batch, so the step runs now. What the batch
            # would call late or a duplicate is at or before the instrument's own last bar: refused as such.
            if ts <= st.last_bar_ts:
                self.journal.counters["out_of_order_bars"] += 1
                return
            self._absorb_bar(st, bar, ts)
            self._step(ts, self._batch.everything)
            return
        instrument_id = bar.bar_type.instrument_id
        if self._batch.overtaken_by(ts):  # the clock moved past a timestamp with bars missing
            self._step(*self._batch.take())
        st = self._state[instrument_id]
        arrival = self._batch.add(ts, st.spec.instrument_id)  # InstrumentId.value builds a new str each time
        if arrival == "duplicate":
            self.journal.counters["duplicate_bars"] += 1
            return
        if ts <= st.last_bar_ts:  # older than this instrument's own last bar: its features moved on
            self.journal.counters["out_of_order_bars"] += 1
            return
        self._absorb_bar(st, bar, ts)
        if arrival == "late":  # its timestamp's step already ran: decide it on its own
            self.journal.counters["late_bars"] += 1
            self._late_bar(instrument_id, st, ts)
        elif arrival == "complete":
            if self._grace_armed:
                self._cancel_grace_timer()
            self._step(*self._batch.take())
        elif arrival == "first":
            self.clock.set_time_alert_ns(_STEP_TIMER, ts + self._grace_ns, callback=self._grace_passed)
            self._grace_armed = True

    def _absorb_bar(self, st: _InstrumentState, bar: Bar, ts: int) -> None:
        """The bar's own work: features (and the models' scores), return, ADV, a stalled feed resumed."""
        close = bar.close.as_double()
        volume = bar.volume.as_double()
        fused = st.fused
        if fused is not None:  # the models score the row here, masked by the policy now in force
            policy = self.cfg.policy
            if st.scored_policy is not policy:  # the mask changes only with the policy
                fused.mask(policy.disabled_features)
            ready = st.ready = fused.step(
                bar.open.as_double(), bar.high.as_double(), bar.low.as_double(), close, volume
            )
            st.scored_policy = policy if ready else None
        else:
            features = st.features
            st.row = features.update(
                bar.open.as_double(), bar.high.as_double(), bar.low.as_double(), close, volume
            )
            st.ready = features.ready
        if self._reference:  # only the correlation to the reference reads returns
            st.ret = math.log(close / st.prev_close) if st.prev_close > 0.0 else math.nan
        st.prev_close = st.last_close = close
        st.last_bar_ts = ts
        st.adv.update(ts, close, volume)
        if self.risk.stalled:
            self.risk.resume(ts, st.spec.instrument_id)
            if self._stall_alert_ts is None:  # every feed was stalled: this one is watched again
                self._arm_stall_check()
        self.journal.bars += 1

    def _grace_passed(self, event) -> None:
        self._grace_armed = False
        if self._batch.pending_ts is not None and event.ts_event >= self._batch.pending_ts + self._grace_ns:
            self._step(*self._batch.take())

    def _cancel_grace_timer(self) -> None:
        # a flag, not clock.timer_names: that builds a list of every timer on each bar
        if self._grace_armed:
            self._grace_armed = False
            if _STEP_TIMER in self.clock.timer_names:
                self.clock.cancel_timer(_STEP_TIMER)

    def _index_instruments(self) -> None:
        """Per-step lookups built once the instruments are known (on start): states in the batch's order,
        by name, the only one of a one-bar-type portfolio, each state's Nautilus id."""
        for instrument_id, st in self._state.items():
            st.instrument_id = instrument_id
        self._by_name = {st.spec.instrument_id: st for st in self._state.values()}
        self._all_states = tuple(self._by_name[name] for name in self._batch.everything)
        one = len(self._state) == 1 and len(self._bar_types) == 1 and self._one_instrument_path
        # its own correlation is 1.0; a reference it does not trade fails in _step as it always did
        one = one and self._reference in ("", *self._by_name)
        self._only = self._all_states[0] if one else None

    # ------------------------------------------------------------------ portfolio step
    def _step(self, ts: int, instruments: tuple[str, ...], *, trade: bool = True) -> None:
        """Book-level work once per timestamp, after its bars: fills and trades held since the last step,
        correlations, the mark and kill switch, stops, trims, decisions (instruments sorted), equity."""
        self.outputs.flush()
        if self._purge_ns and ts >= self._next_purge_ts:
            if self._next_purge_ts >= 0:
                self._purge_cache(ts)
            else:
                self._next_purge_ts = ts + self._purge_ns
        if instruments is self._batch.everything:  # every instrument's bar in: the states kept for it
            states = self._all_states
        else:
            states = [self._by_name[i] for i in instruments]
        if self._reference:
            self._update_correlations(states)
        decided = self._decided
        if decided:
            replayed = [st for st in states if ts <= decided.get(st.spec.instrument_id, -1)]
            if replayed:  # a restart's warm-up: these bars were decided before; features only
                self.journal.counters["bars_replayed_not_decided"] += len(replayed)
                if len(replayed) == len(states):
                    return
                states = [st for st in states if st not in replayed]
        if trade:
            pending = self._decided_pending
            for st in states:
                pending[st.spec.instrument_id] = ts
        nav = self._nav()
        supervisor = self.risk.supervisor
        update = self.risk.mark(ts, nav)  # every price update marks the book (kill switch)
        if update.trading_state is not None and update.trading_state != "HALTED":
            self._trading_state(update.trading_state)
        # flatten_pending: killed, then restarted before the flatten
        if trade and (update.flatten or (supervisor.flatten_pending and self._flattening is None)):
            self._kill(ts)
        notionals = self._signed_notionals()  # positions change on fills, never inside this handler
        if trade and not supervisor.halted:
            for st in states:
                if st.stop_order is not None:
                    self._trail_stop(st.instrument_id, st, st.last_close)
            if self._unprotected:
                self._reprotect_all(ts)
            if notionals is not self._flat_notionals:  # a flat book has nothing to trim
                self._trim_drift(ts, nav, notionals)
            policy = self.cfg.policy
            scores = self._score_ready(states, policy) if len(states) > 1 else None
            for st in states:
                if st.ready:
                    # scores hold only while the policy they were masked with is still the one in force
                    batch = scores.get(st) if scores and self.cfg.policy is policy else None
                    self._decide_and_act(
                        st.instrument_id, st, st.row, st.correlation, st.last_close, ts, batch
                    )
        if 0.0 < nav < math.inf:  # finite and positive (NaN fails both comparisons)
            self._record_equity(ts, nav, notionals)
        else:  # exposure in percent of such a NAV means nothing; the kill switch has fired
            self.journal.counters["equity_rows_nav_invalid"] += 1

    def _score_ready(self, states, policy) -> dict[_InstrumentState, tuple[float, ...]]:
        """Model scores of every ready instrument of a step in one batch call (the caller skips a step of
        one instrument: the bound single-row call is faster there), but those the fused step scored under
        ``policy``."""
        ready = [st for st in states if st.ready and st.scored_policy is not policy]
        if len(ready) < 2:
            return {}
        rows = np.stack([masked_features(policy, st.row) for st in ready])
        return {
            st: tuple(float(v) for v in r)
            for st, r in zip(ready, self._models.predict_batch(rows), strict=True)
        }

    def _late_bar(self, instrument_id: InstrumentId, st: _InstrumentState, ts: int) -> None:
        if ts <= self._decided.get(instrument_id.value, -1):
            self.journal.counters["bars_replayed_not_decided"] += 1
            return
        self._decided_pending[instrument_id.value] = ts  # per instrument, bars arrive in time order
        if self.risk.halted:
            return
        if st.stop_order is not None:
            self._trail_stop(instrument_id, st, st.last_close)
        if st.ready:
            correlation = st.corr.value if self._reference and instrument_id.value != self._reference else 1.0
            self._decide_and_act(instrument_id, st, st.row, correlation, st.last_close, ts)

    def _update_correlations(self, states) -> None:
        """Each state's correlation to the reference instrument, updated only with both returns of this
        step (the reference's own is 1.0)."""
        reference = self._by_name[self._reference]
        ref_ret = reference.ret if reference in states else math.nan
        for st in states:
            if st is reference:
                st.correlation = 1.0
            elif math.isfinite(st.ret) and math.isfinite(ref_ret):
                st.correlation = st.corr.update(st.ret, ref_ret)
            else:
                st.correlation = st.corr.value
