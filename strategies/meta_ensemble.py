"""The meta-ensemble strategy: bars -> numba features -> ONNX models -> ensemble -> risk clamp -> brackets.

Thin Nautilus wiring around the pure engine core. Exits rest at the venue as real orders: each entry is a
bracket (stop-market at 1.8×ATR, take-profit limit at 2.5×ATR, one cancels the other); once the trade is
``trailing_atr``×ATR in profit the stop is ratcheted to ``trailing_atr``×ATR behind the best close.

Risk (see :mod:`strategies.risk_desk`): every price update marks the book; the kill switch cancels every
working order, flattens every position and halts trading for the rest of the UTC day; every entry is
clamped before submit; positions that drift above their caps are trimmed; a stalled feed cancels pending
entries and keeps stops. Every decision reads time from the bar (engine clock) only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import msgspec
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import OrderSide, OrderType
from nautilus_trader.model.events import PositionClosed, PositionOpened
from nautilus_trader.model.identifiers import ClientId, InstrumentId
from nautilus_trader.trading.strategy import Strategy

from engine.config import AureusConfig
from engine.ensemble import EnsembleInputs, decide
from engine.exposure import exposure
from engine.features.vector import IncrementalCorrelation, IncrementalFeatures
from engine.journal import EquityRow
from engine.models.runtime import ModelBundle, load_optional
from engine.news_state import DecayedSentiment
from engine.portfolio_step import TimestampBatch
from engine.sink import EventSink
from engine.state import StateStore
from schemas.orders import OrderIntent
from schemas.recording import InstrumentSpec
from schemas.signals import EnsembleDecision
from strategies.news_data import NEWS_CLIENT_ID, NEWS_DATA_TYPE, ScoredNewsData
from strategies.outputs import StrategyOutputs
from strategies.risk_actions import RiskActionsMixin, quantity_for
from strategies.risk_desk import RiskDesk
from strategies.trade_journal import model_summary, trade_entry

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


class MetaEnsembleStrategy(RiskActionsMixin, Strategy):
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
        self._ppo = None
        self._venue_currency: dict = {}
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
        self._trim_ids: set = set()
        self._stall_timeout: dict[InstrumentId, int] = {}
        self._started_ts = 0
        self._batch = TimestampBatch(s.instrument_id for s in self.specs.values())
        self._grace_ns = self.cfg.node.bar_grace_ms * 1_000_000

    def bind_trading_state(self, setter: Callable[[str], None]) -> None:
        """Give the strategy the node's risk-engine trading state (``"ACTIVE"`` / ``"HALTED"``).

        Nautilus offers no component API for it, so the runtime that owns the kernel binds it."""
        self._set_trading_state = setter

    # ------------------------------------------------------------------ lifecycle
    def on_start(self) -> None:
        models_dir = Path(self.config.models_dir)
        providers = None if self.cfg.models.prefer_gpu else ["CPUExecutionProvider"]
        self._models = ModelBundle.load(models_dir, params=self.cfg.features, providers=providers)
        self._ppo = load_optional(models_dir, "ppo_size_hint", params=self.cfg.features, providers=providers)
        if self._ppo is None:
            self.outputs.alerts(self.risk.failsafe.rl_missing(self.clock.timestamp_ns()))
            self.log.warning("RL size-hint model missing: predictors only, sizes halved")
        for bar_type in self._bar_types:
            instrument_id = bar_type.instrument_id
            instrument = self.cache.instrument(instrument_id)
            if instrument is None:
                raise RuntimeError(f"instrument {instrument_id} not in cache")
            self._state[instrument_id] = _InstrumentState(self.specs[instrument_id.value], self.cfg)
            currency = instrument.quote_currency
            self._venue_currency.setdefault(instrument_id.venue, currency)
            self.subscribe_bars(bar_type)
        if self.config.subscribe_news:
            self.subscribe_data(NEWS_DATA_TYPE, client_id=NEWS_CLIENT_ID)
        self._buckets = {st.spec.instrument_id: st.spec.bucket for st in self._state.values()}
        self._batch = TimestampBatch(i.value for i in self._state)
        self._start_stall_timer()
        if self.risk.halted:  # restarted on a kill day: stay halted until the next UTC day
            self._trading_state("HALTED")

    def on_stop(self) -> None:
        if self._batch.pending_ts is not None:  # the last timestamp's book work, without new orders
            self._step(*self._batch.take(), trade=False)
        self.outputs.flush()
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

    def model_summary(self) -> dict:
        """Name -> version, provider and sha256 of every model in use (``None`` for an absent one)."""
        return model_summary(self._models, self._ppo)

    # ------------------------------------------------------------------ data
    def on_data(self, data) -> None:
        if isinstance(data, ScoredNewsData):
            st = self._state.get(InstrumentId.from_str(data.instrument))
            self.journal.news += 1
            if st is None:
                self.journal.counters["news_unknown_instrument"] += 1
                return
            st.news.add(data.ts_event, data.sentiment, data.relevance)

    def on_bar(self, bar: Bar) -> None:
        """Per-instrument work for one bar; the portfolio step runs once the timestamp is due."""
        instrument_id = bar.bar_type.instrument_id
        ts = bar.ts_event
        if self._batch.overtaken_by(ts):  # the clock moved past a timestamp with bars missing
            self._step(*self._batch.take())
        arrival = self._batch.add(ts, instrument_id.value)
        if arrival == "duplicate":
            self.journal.counters["duplicate_bars"] += 1
            return
        st = self._state[instrument_id]
        close = bar.close.as_double()
        volume = bar.volume.as_double()
        st.row = st.features.update(
            bar.open.as_double(), bar.high.as_double(), bar.low.as_double(), close, volume
        )
        st.ret = math.log(close / st.prev_close) if st.prev_close > 0.0 else math.nan
        st.prev_close = st.last_close = close
        st.last_bar_ts = ts
        self.risk.adv[instrument_id.value].update(ts, close, volume)
        self.risk.resume(ts, instrument_id.value)
        self.journal.bars += 1
        if arrival == "late":  # its timestamp's step already ran: decide it on its own
            self.journal.counters["late_bars"] += 1
            self._late_bar(instrument_id, st, ts)
        elif arrival == "complete":
            self._cancel_grace_timer()
            self._step(*self._batch.take())
        elif arrival == "first":
            self.clock.set_time_alert_ns(_STEP_TIMER, ts + self._grace_ns, callback=self._grace_passed)

    def _grace_passed(self, event) -> None:
        if self._batch.pending_ts is not None and event.ts_event >= self._batch.pending_ts + self._grace_ns:
            self._step(*self._batch.take())

    def _cancel_grace_timer(self) -> None:
        if _STEP_TIMER in self.clock.timer_names:
            self.clock.cancel_timer(_STEP_TIMER)

    # ------------------------------------------------------------------ portfolio step
    def _step(self, ts: int, instruments: tuple[str, ...], *, trade: bool = True) -> None:
        """Book-level work once per timestamp, after its bars: fills and trades held since the last step,
        correlations, the mark and kill switch, stops, trims, decisions (instruments sorted), equity."""
        self.outputs.flush()
        ids = [InstrumentId.from_str(i) for i in instruments]
        correlations = self._correlations(ids)
        nav = self._nav()
        update = self.risk.mark(ts, nav)  # every price update marks the book (kill switch)
        if update.trading_state is not None and update.trading_state != "HALTED":
            self._trading_state(update.trading_state)
        if trade and (update.flatten or self.risk.supervisor.flatten_pending):  # pending: killed, restarted
            self._kill(ts)
        notionals = self._signed_notionals()  # positions change on fills, never inside this handler
        if trade and not self.risk.halted:
            for instrument_id in ids:
                st = self._state[instrument_id]
                if st.stop_order is not None:
                    self._trail_stop(instrument_id, st, st.last_close)
            self._trim_drift(ts, nav, notionals)
            for instrument_id in ids:
                st = self._state[instrument_id]
                if st.features.ready:
                    correlation = correlations[instrument_id]
                    self._decide_and_act(instrument_id, st, st.row, correlation, st.last_close, ts)
        self._record_equity(ts, nav, notionals)

    def _late_bar(self, instrument_id: InstrumentId, st: _InstrumentState, ts: int) -> None:
        if self.risk.halted:
            return
        if st.stop_order is not None:
            self._trail_stop(instrument_id, st, st.last_close)
        if st.features.ready:
            correlation = st.corr.value if self._reference and instrument_id.value != self._reference else 1.0
            self._decide_and_act(instrument_id, st, st.row, correlation, st.last_close, ts)

    def _correlations(self, ids: list[InstrumentId]) -> dict[InstrumentId, float]:
        """Return correlation to the reference instrument, updated only with both returns of this step."""
        if not self._reference:
            return {i: 1.0 for i in ids}
        ref = InstrumentId.from_str(self._reference)
        ref_ret = self._state[ref].ret if ref in ids else math.nan
        out = {}
        for instrument_id in ids:
            st = self._state[instrument_id]
            if instrument_id == ref:
                out[instrument_id] = 1.0
            elif math.isfinite(st.ret) and math.isfinite(ref_ret):
                out[instrument_id] = st.corr.update(st.ret, ref_ret)
            else:
                out[instrument_id] = st.corr.value
        return out

    # ------------------------------------------------------------------ decision
    def _decide_and_act(self, instrument_id, st, row, correlation, close, ts) -> None:
        p_short, p_mid = self._models.predict_row(row)
        ppo_hint = float(self._ppo.predict(row[None, :])[0]) if self._ppo is not None else None
        policy = self.cfg.policy
        bucket = st.spec.bucket
        decision = decide(
            EnsembleInputs(
                p_short=p_short,
                p_mid=p_mid,
                ppo_hint=ppo_hint,
                vol_z=st.features.vol_z,
                sentiment=st.news.value(ts),
                liquidity=st.features.liquidity,
                correlation=correlation,
            ),
            policy,
            bucket_limit_pct=getattr(policy.bucket_limit_pct, bucket),
        )
        self.outputs.decision(
            EnsembleDecision(
                instrument=instrument_id.value,
                ts_event=ts,
                p_short=p_short,
                p_mid=p_mid,
                ppo_hint=ppo_hint,
                base=decision.base,
                penalties=decision.penalties,
                score=decision.score,
                action=decision.action,
                size=decision.size,
                reason_tags=decision.reason_tags,
                policy_version=policy.version,
                weights=decision.weights,
                rl_available=decision.rl_available,
            )
        )
        if decision.action == "HOLD":
            return
        position_side = self._position_sign(instrument_id)
        wants = 1 if decision.action == "BUY" else -1
        if position_side == wants:
            return
        if position_side != 0:
            self._flatten(instrument_id, st, "signal_reversal", ts)
            return
        if wants < 0 and not policy.allow_short:
            self.journal.counters["short_blocked"] += 1
            return
        if self.cache.orders_open(instrument_id=instrument_id, strategy_id=self.id):
            return
        self._enter(instrument_id, st, decision, wants, close, ts)

    def _enter(self, instrument_id, st, decision, wants: int, close: float, ts: int) -> None:
        nav = self.risk.sizing_nav(self._nav())
        book = self.risk.book(nav, self._signed_notionals())
        verdict = self.risk.assess_entry(ts, instrument_id.value, wants, decision.size, close, book)
        if verdict.status == "rejected":
            return
        instrument = self.cache.instrument(instrument_id)
        quantity = quantity_for(instrument, verdict.approved * nav / close)
        if quantity is None:
            self.journal.counters["entry_too_small"] += 1
            return
        atr = st.features.atr
        exits = self.cfg.policy.exits
        stop = close - wants * exits.initial_stop_atr * atr
        target = close + wants * exits.take_profit_atr * atr
        if stop <= 0.0 or target <= 0.0:
            self.journal.counters["entry_bad_exit_price"] += 1
            return
        bracket = self.order_factory.bracket(
            instrument_id=instrument_id,
            order_side=OrderSide.BUY if wants > 0 else OrderSide.SELL,
            quantity=quantity,
            sl_trigger_price=instrument.make_price(stop),
            tp_price=instrument.make_price(target),
        )
        clamped = (f"clamp_{verdict.binding}",) if verdict.status == "reduced" else ()
        st.entry = {
            "size_pre": decision.size,
            "size_post": verdict.approved,
            "reason_tags": decision.reason_tags + clamped,
            "mode": self.risk.mode,
        }
        st.stop_order = next(o for o in bracket.orders if o.order_type == OrderType.STOP_MARKET)
        st.best_close = close
        st.entry_atr = atr
        route = self.risk.route
        st.route = ClientId(route.client_id) if route.client_id else None
        self.submit_order_list(bracket, client_id=st.route)
        self._emit_intent(
            instrument_id,
            ts,
            bracket.first.client_order_id.value,
            wants,
            decision.size,
            verdict.approved,
            close,
            st.entry["reason_tags"],
        )
        self.risk.budget.record(ts)
        self.journal.counters["entries"] += 1
        self.journal.counters[f"entries_{'live' if route.live else 'paper'}"] += 1

    def _emit_intent(self, instrument_id, ts, client_order_id, side, size_pre, size_post, price, tags):
        self.outputs.order(
            OrderIntent(
                instrument=instrument_id.value,
                ts_event=ts,
                client_order_id=client_order_id,
                side="BUY" if side > 0 else "SELL",
                size_pre=size_pre,
                size_post_risk=size_post,
                price_ref=price,
                reason_tags=tuple(tags),
                policy_version=self.cfg.policy.version,
                mode=self.risk.mode,
            )
        )

    def _trail_stop(self, instrument_id, st: _InstrumentState, close: float) -> None:
        order = self.cache.order(st.stop_order.client_order_id)
        if order is None or order.is_closed:
            st.stop_order = None
            return
        sign = 1 if order.side == OrderSide.SELL else -1  # a SELL stop protects a long
        st.best_close = max(st.best_close, close) if sign > 0 else min(st.best_close, close)
        distance = self.cfg.policy.exits.trailing_atr * st.entry_atr
        entry_px = self._entry_price(instrument_id)
        if entry_px is None or sign * (st.best_close - entry_px) < distance:
            return
        candidate = st.best_close - sign * distance
        current = order.trigger_price.as_double()
        if sign * (candidate - current) <= 0.0 or not order.is_open:
            return
        instrument = self.cache.instrument(instrument_id)
        new_trigger = instrument.make_price(candidate)
        if new_trigger != order.trigger_price:
            self.modify_order(order, trigger_price=new_trigger, client_id=st.route)
            self.journal.counters["stop_trails"] += 1

    def _flatten(self, instrument_id, st, reason: str, ts: int) -> None:
        self.cancel_all_orders(instrument_id, client_id=st.route)
        self.close_all_positions(instrument_id, client_id=st.route, tags=[reason])
        self.risk.budget.record(ts)
        st.stop_order = None
        self.journal.counters[f"flatten_{reason}"] += 1

    # ------------------------------------------------------------------ positions and trade log
    def on_position_opened(self, event: PositionOpened) -> None:
        st = self._state[event.instrument_id]
        if st.entry is None:  # opened by something other than our entry: log it, never hide it
            self.journal.counters["position_opened_without_entry"] += 1

    def on_position_closed(self, event: PositionClosed) -> None:
        st = self._state[event.instrument_id]
        position = self.cache.position(event.position_id)
        self._log_trade(
            st,
            event.position_id.value,
            event.entry,
            event.avg_px_open,
            event.avg_px_close,
            event.ts_opened,
            event.ts_closed,
            event.realized_pnl.as_double(),
            position,
        )
        st.entry = None
        st.stop_order = None

    def _log_trade(
        self, st, position_id, entry_side, entry_px, exit_px, ts_opened, ts_closed, pnl, position=None
    ) -> None:
        st.trades += 1
        self.outputs.hold_trade(
            ts_opened if ts_closed is None else ts_closed,
            st.spec.instrument_id,
            trade_entry(
                st.spec,
                st.entry,
                mode=self.risk.mode,
                policy_version=self.cfg.policy.version,
                trade_id=f"{position_id}-{st.trades}",
                entry_side=entry_side,
                entry_px=entry_px,
                exit_px=exit_px,
                ts_opened=ts_opened,
                ts_closed=ts_closed,
                pnl=pnl,
                position=position,
            ),
        )

    # ------------------------------------------------------------------ accounting
    def _position_sign(self, instrument_id) -> int:
        qty = self.portfolio.net_position(instrument_id)
        return 0 if qty == 0 else (1 if qty > 0 else -1)

    def _entry_price(self, instrument_id) -> float | None:
        positions = self.cache.positions_open(instrument_id=instrument_id, strategy_id=self.id)
        return positions[0].avg_px_open if positions else None

    def _signed_notionals(self) -> dict[str, float]:
        out = {}
        for instrument_id, st in self._state.items():
            qty = float(self.portfolio.net_position(instrument_id))
            out[st.spec.instrument_id] = qty * st.last_close if qty else 0.0
        return out

    def _nav(self) -> float:
        nav = 0.0
        for venue, currency in self._venue_currency.items():
            nav += self.portfolio.account(venue).balance_total(currency).as_double()
        for position in self.cache.positions_open(strategy_id=self.id):
            last = self._state[position.instrument_id].last_close
            nav += position.signed_qty * (last - position.avg_px_open)
        return nav

    def _record_equity(self, ts: int, nav: float, notionals: dict[str, float]) -> None:
        expo = exposure(notionals, self._buckets, nav)
        self.outputs.equity(
            EquityRow(
                ts=ts,
                nav=nav,
                day_pnl_pct=self.risk.supervisor.day_pnl * 100.0,  # against the supervisor's start-of-day NAV
                gross_exposure_pct=expo.gross_pct,
                net_exposure_pct=expo.net_pct,
                max_name_exposure_pct=expo.max_name_pct,
                bucket_core_pct=expo.bucket_pct["core"],
                bucket_penny_pct=expo.bucket_pct["penny"],
                bucket_fno_pct=expo.bucket_pct["fno"],
                mode=self.risk.mode,
                halted=int(self.risk.halted),
            )
        )
