"""The strategy's decision stream in one vectorised pass: features -> models -> ensemble, per bar event.

The same code as the replay's per-bar path: the feature matrix from the numba kernels that
``IncrementalFeatures`` runs (bit-identical rows), the same ONNX sessions scored on the whole matrix,
and :func:`engine.ensemble.decide`'s formula evaluated on arrays (:func:`ensemble_arrays`, checked
against ``decide`` row by row in the tests). Context the replay reads per bar (news sentiment, return
correlation to the reference instrument) is rebuilt with the replay's own incremental classes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
import numpy as np

from engine.config import AureusConfig, Policy
from engine.ensemble import EnsembleInputs, decide, effective_weights, sigmoid
from engine.features.vector import IncrementalCorrelation, compute_features_and_extras
from engine.models.runtime import ModelBundle, load_optional
from engine.news_state import DecayedSentiment
from engine.sim.ensemble_kernel import ensemble_kernel
from engine.sim.errors import SimUnsupportedError

NOT_READY = 2  # action code of a bar whose features are still warming up (no decision)


class EventBars(msgspec.Struct, frozen=True, kw_only=True):
    """Bar events by time, then instrument id (one timestamp's bars contiguous), prices at instrument
    precision.

    Attributes
    ----------
    ts : numpy.ndarray
        int64 bar time (ns, the bar's ``ts_event``).
    inst : numpy.ndarray
        int64 instrument index into ``instruments``.
    open, high, low, close, volume : numpy.ndarray
        float64 bar fields.
    instruments : tuple of str
        Instrument ids.
    """

    ts: np.ndarray
    inst: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    instruments: tuple[str, ...]


class Decisions(msgspec.Struct, frozen=True, kw_only=True):
    """Per-event decision inputs and outputs (arrays aligned with the events).

    ``action`` is 1 BUY, -1 SELL, 0 HOLD, ``NOT_READY`` during warm-up; ``size`` is the fraction of NAV
    before the clamp. The model scores and context are kept so an entry's reason tags can be rebuilt
    with :func:`engine.ensemble.decide` (:func:`decision_at`).
    """

    action: np.ndarray
    size: np.ndarray
    atr: np.ndarray
    p_short: np.ndarray
    p_mid: np.ndarray
    ppo_hint: np.ndarray | None
    vol_z: np.ndarray
    sentiment: np.ndarray
    liquidity: np.ndarray
    correlation: np.ndarray
    bucket_limit_pct: np.ndarray
    model_providers: dict[str, str]


def ensemble_arrays(
    p_short: np.ndarray,
    p_mid: np.ndarray,
    ppo_hint: np.ndarray | None,
    vol_z: np.ndarray,
    sentiment: np.ndarray,
    liquidity: np.ndarray,
    correlation: np.ndarray,
    bucket_limit_pct: np.ndarray,
    policy: Policy,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`engine.ensemble.decide` on arrays: returns ``(action, size)``.

    Same operations in the same order as ``decide`` (so the same float results); NaN context never
    triggers a penalty, exactly like the scalar comparisons. One numba pass
    (:mod:`engine.sim.ensemble_kernel`), bit-identical to :func:`ensemble_arrays_numpy`.
    """
    rl = ppo_hint is not None
    w = effective_weights(policy, rl)
    trig, pen = policy.triggers, policy.penalties
    arrays = [
        np.ascontiguousarray(a, dtype=np.float64)
        for a in (p_short, p_mid, vol_z, sentiment, liquidity, correlation, bucket_limit_pct)
    ]
    n = arrays[0].shape[0]
    action = np.empty(n, dtype=np.int8)
    size = np.empty(n)
    ensemble_kernel(
        arrays[0], arrays[1], _sigmoid(ppo_hint) if rl else arrays[0], rl, *arrays[2:],
        np.array([w["short"], w["mid"], w["rl"]]),
        np.array([trig.vol_z, trig.sentiment, trig.liquidity, trig.correlation], dtype=np.float64),
        np.array([pen.vol_spike, pen.news_negative, pen.low_liquidity, pen.correlation_breakdown], float),
        float(policy.thresholds.buy), float(policy.thresholds.sell), float(policy.rl_missing_size_factor),
        action, size,
    )  # fmt: skip
    return action, size


def ensemble_arrays_numpy(
    p_short: np.ndarray,
    p_mid: np.ndarray,
    ppo_hint: np.ndarray | None,
    vol_z: np.ndarray,
    sentiment: np.ndarray,
    liquidity: np.ndarray,
    correlation: np.ndarray,
    bucket_limit_pct: np.ndarray,
    policy: Policy,
) -> tuple[np.ndarray, np.ndarray]:
    """The numpy expression :func:`ensemble_arrays` computed before its numba pass (the tests' reference)."""
    rl = ppo_hint is not None
    w = effective_weights(policy, rl)
    base = w["short"] * p_short + w["mid"] * p_mid
    if rl:
        base = base + w["rl"] * _sigmoid(ppo_hint)
    trig, pen = policy.triggers, policy.penalties
    with np.errstate(invalid="ignore"):
        terms = (
            np.where(vol_z > trig.vol_z, pen.vol_spike, 0.0),
            np.where(sentiment < trig.sentiment, pen.news_negative, 0.0),
            np.where(liquidity < trig.liquidity, pen.low_liquidity, 0.0),
            np.where(correlation < trig.correlation, pen.correlation_breakdown, 0.0),
        )
    total = _python_sum(terms, base.shape)
    score = np.minimum(1.0, np.maximum(0.0, base - total))
    action = np.where(score >= policy.thresholds.buy, 1, np.where(score <= policy.thresholds.sell, -1, 0))
    size = bucket_limit_pct / 100.0 * 2.0 * np.abs(score - 0.5)
    if not rl:
        size = size * policy.rl_missing_size_factor
    size = np.where(action == 0, 0.0, size)
    return action.astype(np.int8), size


def _python_sum(terms, shape) -> np.ndarray:
    # CPython 3.12's sum() of floats (Neumaier compensation), element-wise; a 0.0 term is a no-op, so
    # penalties that did not apply may be summed as zeros.
    s = np.zeros(shape)
    c = np.zeros(shape)
    for x in terms:
        t = s + x
        c += np.where(np.abs(s) >= np.abs(x), (s - t) + x, (x - t) + s)
        s = t
    return np.where((c != 0.0) & np.isfinite(c), s + c, s)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # engine.ensemble.sigmoid element by element: numpy's exp may differ from libm's in the last bit
    return np.frompyfunc(sigmoid, 1, 1)(x).astype(np.float64)


def build_decisions(
    bars: EventBars,
    config: AureusConfig,
    *,
    buckets: Sequence[str],
    models_dir: str,
    news: Sequence[tuple[int, int, float, float]] = (),
    reference: int = -1,
    providers: Sequence[str] = ("CPUExecutionProvider",),
    models: ModelBundle | None = None,
) -> Decisions:
    """Every bar's decision, as the replay's strategy would take it.

    Parameters
    ----------
    bars : EventBars
        Bar events in processing order.
    config : AureusConfig
        Policy, feature windows, news half-life.
    buckets : sequence of str
        Risk bucket of each instrument.
    models_dir : str
        Directory of the ONNX models and manifests.
    news : sequence of (ts_ns, instrument index, sentiment, relevance)
        Scored news in time order; news at a bar's timestamp is applied after that bar.
    reference : int, default -1
        Index of the reference instrument for the correlation context (-1: none, correlation 1.0).
    providers : sequence of str
        onnxruntime providers for the models.
    models : ModelBundle, optional
        The ``p_short``/``p_mid`` bundle already loaded from ``models_dir`` (a search reuses one across
        runs); default: loaded here with ``config.models.cpu_runtime`` (numba's batch evaluator on the
        CPU when the models convert, the same scores as onnxruntime).
    """
    n_ev = bars.ts.shape[0]
    n_inst = len(bars.instruments)
    params = config.features
    features = extras = ready = None
    for j in range(n_inst):
        rows = np.flatnonzero(bars.inst == j)
        if rows.size == 0:
            continue
        args = (bars.open[rows], bars.high[rows], bars.low[rows], bars.close[rows], bars.volume[rows])
        matrix, extra, ok = compute_features_and_extras(*args, params)
        if rows.size == n_ev:  # one instrument: its rows are every event, in order
            features, extras, ready = matrix, extra, ok
            break
        if features is None:
            features, extras = np.full((n_ev, 11), np.nan), np.full((n_ev, 3), np.nan)
            ready = np.zeros(n_ev, dtype=bool)
        features[rows] = matrix
        extras[rows] = extra
        ready[rows] = ok
    if features is None:
        features, extras, ready = (
            np.full((n_ev, 11), np.nan),
            np.full((n_ev, 3), np.nan),
            np.zeros(n_ev, bool),
        )

    if models is None:
        models = ModelBundle.load(
            models_dir, params=params, providers=list(providers), cpu_runtime=config.models.cpu_runtime
        )
    ppo = load_optional(models_dir, "ppo_size_hint", params=params, providers=list(providers))
    for name in ("p_touch", "p_touch_short"):  # strategies.entries gates entries on them
        if load_optional(models_dir, name, params=params, providers=list(providers)) is not None:
            raise SimUnsupportedError(
                f"{models_dir}: first-touch model {name!r} (entry gates) is not simulated"
            )
    p_short = np.full(n_ev, np.nan)
    p_mid = np.full(n_ev, np.nan)
    ready_rows = np.flatnonzero(ready)
    if ready_rows.size:
        # after the warm-up every row is usually ready: a contiguous run is scored in place, not copied
        first, last = int(ready_rows[0]), int(ready_rows[-1]) + 1
        at = slice(first, last) if last - first == ready_rows.size else ready_rows
        scores = models.predict_batch(features[at], threads=config.models.batch_threads)
        p_short[at] = scores[:, 0]
        p_mid[at] = scores[:, 1]
    ppo_hint = None
    if ppo is not None:
        ppo_hint = np.full(n_ev, np.nan)
        if ready_rows.size:
            ppo_hint[ready_rows] = np.asarray(ppo.predict(features[ready_rows]), dtype=np.float64).reshape(-1)
    providers_used = dict(models.providers)
    if ppo is not None:
        providers_used["ppo_size_hint"] = ppo.provider

    sentiment = _sentiment(bars, news, config.news.half_life_s)
    correlation = _correlation(bars, reference, config.features.corr_window)
    # the strategy scales the ensemble size by the bucket's per-name cap (README "Sizing")
    limits = np.array([getattr(config.risk.caps.per_name_pct, b) for b in buckets])[bars.inst]
    action, size = ensemble_arrays(
        p_short, p_mid, ppo_hint, extras[:, 0], sentiment, extras[:, 2], correlation, limits, config.policy
    )
    action = np.where(ready, action, NOT_READY).astype(np.int8)
    return Decisions(
        action=action,
        size=size,
        atr=extras[:, 1],
        p_short=p_short,
        p_mid=p_mid,
        ppo_hint=ppo_hint,
        vol_z=extras[:, 0],
        sentiment=sentiment,
        liquidity=extras[:, 2],
        correlation=correlation,
        bucket_limit_pct=limits,
        model_providers=providers_used,
    )


def redecide(decisions: Decisions, policy: Policy, bucket_limit_pct: np.ndarray | None = None) -> Decisions:
    """The same bars' decisions under another policy, from the cached model scores and context.

    What a policy search needs: features and models do not depend on the policy, so only the ensemble
    reruns (vectorised, microseconds per thousand bars).
    """
    limits = decisions.bucket_limit_pct if bucket_limit_pct is None else bucket_limit_pct
    d = decisions
    action, size = ensemble_arrays(
        d.p_short, d.p_mid, d.ppo_hint, d.vol_z, d.sentiment, d.liquidity, d.correlation, limits, policy
    )
    action = np.where(d.action == NOT_READY, NOT_READY, action).astype(np.int8)
    return msgspec.structs.replace(d, action=action, size=size, bucket_limit_pct=limits)


def decision_at(decisions: Decisions, event: int, policy: Policy):
    """The full :class:`engine.ensemble.Decision` of one event (reason tags for the trade log)."""
    d = decisions
    return decide(
        EnsembleInputs(
            p_short=float(d.p_short[event]),
            p_mid=float(d.p_mid[event]),
            ppo_hint=None if d.ppo_hint is None else float(d.ppo_hint[event]),
            vol_z=float(d.vol_z[event]),
            sentiment=float(d.sentiment[event]),
            liquidity=float(d.liquidity[event]),
            correlation=float(d.correlation[event]),
        ),
        policy,
        bucket_limit_pct=float(d.bucket_limit_pct[event]),
    )


def _sentiment(bars: EventBars, news, half_life_s: float) -> np.ndarray:
    out = np.zeros(bars.ts.shape[0])
    if not news:
        return out
    states = [DecayedSentiment(half_life_s) for _ in bars.instruments]
    k = 0
    for e in range(bars.ts.shape[0]):
        t = int(bars.ts[e])
        while k < len(news) and news[k][0] < t:
            ts_n, j, s, r = news[k]
            states[j].add(ts_n, s, r)
            k += 1
        out[e] = states[int(bars.inst[e])].value(t)
    return out


def _correlation(bars: EventBars, reference: int, window: int) -> np.ndarray:
    # strategies.meta_ensemble._correlations: once per timestamp, with both returns of that timestamp
    n_ev = bars.ts.shape[0]
    out = np.ones(n_ev)
    if reference < 0 or len(bars.instruments) < 2:
        return out
    corr = [IncrementalCorrelation(window) for _ in bars.instruments]
    prev = np.full(len(bars.instruments), math.nan)
    rets = np.full(n_ev, math.nan)
    for e in range(n_ev):
        j = int(bars.inst[e])
        close = float(bars.close[e])
        rets[e] = math.log(close / prev[j]) if prev[j] > 0.0 else math.nan
        prev[j] = close
    start = 0
    for e in range(n_ev + 1):
        if e < n_ev and (e == start or bars.ts[e] == bars.ts[start]):
            continue
        group = range(start, e)
        ref_ret = next((rets[g] for g in group if bars.inst[g] == reference), math.nan)
        for g in group:
            j = int(bars.inst[g])
            if j == reference:
                continue
            if math.isfinite(rets[g]) and math.isfinite(ref_ret):
                out[g] = corr[j].update(rets[g], ref_ret)
            else:
                out[g] = corr[j].value
        start = e
    return out
