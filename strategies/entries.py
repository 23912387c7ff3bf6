"""Per-instrument decisions and entries of the meta-ensemble strategy: ensemble, clamp, bracket, trailing.

A mixin of :class:`strategies.meta_ensemble.MetaEnsembleStrategy`, called from its portfolio step. Each
decision is emitted on ``signals``; each entry is a bracket (stop-market at ``stop_multipliers.atr`` x ATR,
take-profit limit at ``stop_multipliers.take_profit`` x ATR, one cancels the other) with deterministic
client order ids, emitted on ``orders``; once ``stop_multipliers.trailing`` x ATR in profit the stop
trails the best close. The
escalation-tunable parts of the policy act here (:mod:`engine.policy.effects`): disabled features,
news switched off, the do-not-trade list and ``max_position_pct``. Before an entry, the research
checks (:mod:`engine.research.entry`) skip it with a ``skip_<reason>`` counter when its take-profit does
not clear the instrument's round-trip fee (its asset class's taker fee, ``[fees.*]``), its calibrated
P(win) is under its regime's gate or its E[PnL] net of fees is not positive; the ensemble size is
scaled by the bucket's per-name limit (README "Sizing").
"""

from __future__ import annotations

import math

import msgspec
from nautilus_trader.model.enums import OrderSide, OrderType
from nautilus_trader.model.identifiers import ClientId

from engine.asset_classes import round_trip_fee
from engine.ensemble import decide_with, terms_for
from engine.ensemble_kernel import TERMS_ID, DecisionCodes, next_terms_id
from engine.policy.effects import capped_size, entry_blocked, masked_features, sentiment_in_use
from engine.research.entry import EntryCheck, check_entry
from engine.shorting import may_short
from schemas.orders import OrderIntent
from schemas.signals import EnsembleDecision
from strategies.order_ids import EntryRecord, client_order_id, entry_tag
from strategies.risk_actions import quantity_for


class EntryMixin:
    """Decisions, entries and stop trailing (see the module docstring)."""

    def _decide_and_act(self, instrument_id, st, row, correlation, close, ts, scores=None) -> None:
        policy = self.cfg.policy
        ctx = st.decide_ctx
        if ctx is None or ctx.cfg is not self.cfg or ctx.ppo is not self._ppo:
            ctx = st.decide_ctx = _DecisionContext(self.cfg, self._ppo, st.spec, st.fused)
        if ctx.masked:  # escalation may disable features: they reach the models as 0
            row = masked_features(policy, row)
        kernel = None  # the fused kernel's decision (engine.ensemble_kernel), where its common case holds
        if scores is None and st.scored_policy is policy:  # the fused step scored this row, masked alike
            kernel = st.fused.decision.tolist()
            if kernel[TERMS_ID] != ctx.terms_id or correlation != 1.0 or not st.news.idle:
                kernel, scores = None, st.fused.scores.tolist()
        if kernel is not None:  # no RL hint, no news, correlation 1.0: the kernel template holds those
            p_short, p_mid, vol_z, base, score, size, code, _ = kernel
            penalties, action, tags = ctx.codes[int(code)]
            decision = _replace(
                ctx.kernel_template,
                ts_event=ts,
                p_short=p_short,
                p_mid=p_mid,
                base=base,
                penalties=penalties.copy(),  # each decision owns its dict, as decide_with's do
                score=score,
                action=action,
                size=size,
                reason_tags=tags,
                volatility_zscore=vol_z if _isfinite(vol_z) else None,
            )
        else:
            # scores: this row's (p_short, p_mid) from the step's batch call or the fused step, or scored now
            p_short, p_mid = scores if scores is not None else self._models.predict_row(row)
            ppo_hint = float(self._ppo.predict(row[None, :])[0]) if self._ppo is not None else None
            features = st.features
            vol_z = features.vol_z
            news = st.news
            if news.idle:  # no news for this instrument yet (every step of a replay without news)
                sentiment, news_ids = 0.0, ()
            else:  # news switched off: neutral sentiment, the news still named
                sentiment, news_ids = 0.0 if ctx.news_off else news.value(ts), news.contributors(ts)
            base, penalties, score, action, size, _, tags = decide_with(
                ctx.terms,
                p_short,
                p_mid,
                ppo_hint,
                vol_z,
                sentiment,
                features.liquidity,
                correlation,
                ctx.bucket_limit,  # README: sizing
            )
            # the policy's and instrument's fields come with the template (replace: ~4x cheaper than building
            # an 18-field keyword-only struct)
            decision = _replace(
                ctx.template,
                ts_event=ts,
                p_short=p_short,
                p_mid=p_mid,
                ppo_hint=ppo_hint,
                base=base,
                penalties=penalties,
                score=score,
                action=action,
                size=size,
                reason_tags=tags,
                volatility_zscore=vol_z if _isfinite(vol_z) else None,
                correlation=float(correlation) if _isfinite(correlation) else None,
                news_ids=news_ids,
            )
        self.outputs.decision(decision)
        if action == "HOLD":
            return
        position_side = self._position_sign(instrument_id)
        wants = 1 if decision.action == "BUY" else -1
        if position_side == wants:
            return
        if position_side != 0:
            self._flatten(instrument_id, st, "signal_reversal", ts)
            return
        if wants < 0 and not (policy.allow_short and may_short(st.spec.kind, self.cfg.shorting)):
            self.journal.counters["short_blocked"] += 1
            return
        if self.cache.orders_open(instrument_id=instrument_id, strategy_id=self.id):
            return
        if entry_blocked(policy, instrument_id.value, ts) or entry_blocked(
            policy, instrument_id.symbol.value, ts
        ):
            self.journal.counters["entries_do_not_trade"] += 1
            return
        check = self._entry_check(st, row, wants, close)
        if not check.take:
            self.journal.counters[f"skip_{check.reason}"] += 1
            return
        self._enter(instrument_id, st, decision, wants, close, ts)

    def _entry_check(self, st, row, wants: int, close: float) -> EntryCheck:
        """Gates and costs (engine.research.entry): with a first-touch model for this side, its calibrated
        P(win), regime gate and E[PnL] net of fees; without one, the take-profit must clear the fee. The
        fee is the instrument's own round trip at its asset class's taker fee, as its fills are charged."""
        policy = self.cfg.policy
        model = self._touch.get(wants)
        prob, thresholds = 1.0, None
        if model is not None and model.manifest.research:
            prob = float(model.predict(row[None, :])[0])
            thresholds = tuple(model.manifest.research["regime_thresholds"])
        return check_entry(
            prob,
            st.features.atr / close,
            take_profit_atr=policy.stop_multipliers.take_profit,
            stop_atr=policy.stop_multipliers.atr,
            round_trip_fee=round_trip_fee(st.spec.kind, self.cfg),
            thresholds=thresholds,
            gates=(policy.gates.low_vol, policy.gates.med_vol, policy.gates.high_vol),
        )

    def _enter(self, instrument_id, st, decision, wants: int, close: float, ts: int) -> None:
        nav = self.risk.sizing_nav(self._nav())
        book = self.risk.book(nav, self._signed_notionals())
        size = capped_size(self.cfg.policy, decision.size)  # the policy's max_position_pct, when set
        verdict = self.risk.assess_entry(ts, instrument_id.value, wants, size, close, book)
        if verdict.status == "rejected":
            return
        instrument = self.cache.instrument(instrument_id)
        quantity = quantity_for(instrument, verdict.approved * nav / close)
        if quantity is None:
            self.journal.counters["entry_too_small"] += 1
            return
        atr = st.features.atr
        stops = self.cfg.policy.stop_multipliers
        stop = close - wants * stops.atr * atr
        target = close + wants * stops.take_profit * atr
        if stop <= 0.0 or target <= 0.0:
            self.journal.counters["entry_bad_exit_price"] += 1
            return
        entry_id = self._order_id(instrument_id, ts, "entry")
        if entry_id is None:  # sent before a restart: never twice
            return
        route = self.risk.route
        clamped = (f"clamp_{verdict.binding}",) if verdict.status == "reduced" else ()
        if size < decision.size:
            clamped = ("policy_max_position", *clamped)
        record = EntryRecord(
            size_pre=decision.size,
            size_post=verdict.approved,
            reason_tags=decision.reason_tags + clamped,
            mode=self.risk.mode,
            route=route.client_id or "",
            atr=atr,
        )
        ids = self.id.value, instrument_id.value
        bracket = self.order_factory.bracket(
            instrument_id=instrument_id,
            order_side=OrderSide.BUY if wants > 0 else OrderSide.SELL,
            quantity=quantity,
            sl_trigger_price=instrument.make_price(stop),
            tp_price=instrument.make_price(target),
            entry_client_order_id=entry_id,
            sl_client_order_id=client_order_id(*ids, ts, "stop"),
            tp_client_order_id=client_order_id(*ids, ts, "take_profit"),
            entry_tags=["ENTRY", entry_tag(record)],
        )
        st.entry = record
        st.stop_order = next(o for o in bracket.orders if o.order_type == OrderType.STOP_MARKET)
        st.best_close = close
        st.entry_atr = atr
        st.route = ClientId(route.client_id) if route.client_id else None
        self.submit_order_list(bracket, client_id=st.route)
        self._emit_intent(
            instrument_id,
            ts,
            entry_id.value,
            wants,
            decision.size,
            verdict.approved,
            close,
            record.reason_tags,
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

    def _trail_stop(self, instrument_id, st, close: float) -> None:
        order = self.cache.order(st.stop_order.client_order_id)
        if order is None or order.is_closed:
            st.stop_order = None
            return
        sign = 1 if order.side == OrderSide.SELL else -1  # a SELL stop protects a long
        st.best_close = max(st.best_close, close) if sign > 0 else min(st.best_close, close)
        distance = self.cfg.policy.stop_multipliers.trailing * st.entry_atr
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


_isfinite = math.isfinite
_replace = msgspec.structs.replace


class _DecisionContext:
    """What an instrument's decisions read from one config (its policy) and RL model: looked up once,
    not on every bar. The template carries every decision field that is the same under them. Without an
    RL model the terms are loaded into the instrument's fused kernel (``fused``, if any), which then
    decides the common case itself; ``terms_id`` tells its results under these terms apart."""

    __slots__ = (
        "bucket_limit", "cfg", "codes", "kernel_template", "masked", "news_off", "ppo", "template", "terms",
        "terms_id",
    )  # fmt: skip

    def __init__(self, cfg, ppo, spec, fused=None) -> None:
        policy = cfg.policy
        self.cfg = cfg
        self.ppo = ppo
        self.masked = bool(policy.disabled_features)
        self.news_off = sentiment_in_use(policy, 1.0) == 0.0
        self.bucket_limit = getattr(cfg.risk.caps.per_name_pct, spec.bucket)
        self.terms = terms_for(policy, ppo is not None)
        self.template = EnsembleDecision(
            instrument=spec.instrument_id,
            ts_event=0,
            p_short=0.0,
            p_mid=0.0,
            ppo_hint=None,
            base=0.0,
            penalties={},
            score=0.0,
            action="HOLD",
            size=0.0,
            reason_tags=(),
            policy_version=policy.version,
            weights=self.terms.weights,  # what decide_with returns with these terms, every time
            rl_available=ppo is not None,
        )
        self.kernel_template = _replace(self.template, correlation=1.0)  # the kernel's decisions
        self.terms_id = -2.0  # no kernel result carries it (-1.0: a result without terms)
        self.codes = DecisionCodes(self.terms)
        if fused is not None:
            if ppo is None:
                terms_id = next_terms_id()
                fused.load_terms(self.terms, self.bucket_limit, terms_id)
                self.terms_id = float(terms_id)
            else:
                fused.unload_terms()
