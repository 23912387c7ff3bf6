"""``aureus sim``: a recording through the research simulator, written like a replay's outputs.

Loads the recording's bars (at the instrument precisions the replay's Nautilus bars have), builds the
decision stream (:func:`engine.sim.build_decisions`), runs the execution kernel and writes
``report.json``, ``trades.jsonl`` and ``equity.csv`` with the replay's columns and keys.
"""

from __future__ import annotations

import time
from pathlib import Path

import msgspec
import numpy as np

from adapters.recorded import open_recording
from aureus.model_sets import models_dir_for
from aureus.paths import code_version
from aureus.report import run_id_for, write_equity_csv, write_trade_log
from aureus.runtime.backtest import venue_currencies
from engine.config import AureusConfig, config_hash
from engine.errors import EngineError
from engine.metrics import SHARPE_METHOD, daily_returns, hit_rate, max_drawdown, sharpe_daily
from engine.sim import EventBars, build_decisions, decision_at, simulate
from engine.sim import kernels as k
from engine.sim.simulator import EXIT_REASONS, SimResult
from schemas.market import Bar, NewsScored
from schemas.tradelog import TradeLogEntry, iso_utc

_JSON = msgspec.json.Encoder()


def load_bars(path: Path) -> tuple[EventBars, tuple, list, object]:
    """Bars of a recording as event arrays in file order, prices rounded to the instrument precision.

    Returns ``(bars, specs, news, manifest)``; ``news`` is ``[(ts, instrument index, sentiment, relevance)]``.
    """
    recording = open_recording(path)
    manifest = recording.verify()
    if "md.bars" not in recording.topics:
        raise EngineError(f"{path}: recording has no md.bars topic (has {list(recording.topics)})")
    specs = manifest.instruments
    index = {s.instrument_id: j for j, s in enumerate(specs)}
    cols: list[list] = [[], [], [], [], [], [], []]
    for record in recording.iter_topic("md.bars"):
        b = record.payload
        if not isinstance(b, Bar):
            continue
        for col, v in zip(
            cols, (b.ts_event, index[b.instrument], b.open, b.high, b.low, b.close, b.volume), strict=True
        ):
            col.append(v)
    ts = np.asarray(cols[0], dtype=np.int64)
    inst = np.asarray(cols[1], dtype=np.int64)
    # by time, then instrument id: the order the portfolio step decides a timestamp's instruments in
    rank = np.argsort(np.argsort([s.instrument_id for s in specs], kind="stable"))
    order = np.lexsort((rank[inst], ts))
    ts, inst = ts[order], inst[order]
    price_prec = np.array([s.price_precision for s in specs])[inst]
    size_prec = np.array([s.size_precision for s in specs])[inst]
    fields = [_round(np.asarray(c, dtype=np.float64)[order], price_prec) for c in cols[2:6]]
    volume = _round(np.asarray(cols[6], dtype=np.float64)[order], size_prec)
    bars = EventBars(
        ts=ts,
        inst=inst,
        open=fields[0],
        high=fields[1],
        low=fields[2],
        close=fields[3],
        volume=volume,
        instruments=tuple(s.instrument_id for s in specs),
    )
    news = []
    if "news.scored" in recording.topics:
        for record in recording.iter_topic("news.scored"):
            n = record.payload
            if isinstance(n, NewsScored) and n.instrument in index:
                news.append((n.ts_event, index[n.instrument], n.sentiment, n.relevance))
        news.sort(key=lambda x: x[0])
    return bars, specs, news, manifest


def _round(x: np.ndarray, precision: np.ndarray) -> np.ndarray:
    # Nautilus Price/Quantity(value, precision): nearest increment, halves away from zero
    scale = 10.0**precision
    return np.floor(np.abs(x) * scale + 0.5) / scale * np.sign(x)


def reference_index(config: AureusConfig, specs) -> int:
    """Index of the correlation reference instrument, as the replay picks it (-1 for one instrument)."""
    if len(specs) < 2:
        return -1
    ref_id = config.replay.reference_instrument or specs[0].instrument_id
    ids = [s.instrument_id for s in specs]
    if ref_id not in ids:
        raise EngineError(f"replay.reference_instrument {ref_id!r} is not in the recording")
    return ids.index(ref_id)


def decisions_for(config: AureusConfig, bars: EventBars, specs, news, manifest):
    """:func:`engine.sim.build_decisions` with the models and reference instrument the replay would use
    (``aureus.model_sets.models_dir_for``: a real recording may load its asset class's promoted set)."""
    models_dir, _ = models_dir_for(config, specs, synthetic=manifest.synthetic)
    return build_decisions(
        bars,
        config,
        buckets=[s.bucket for s in specs],
        models_dir=str(models_dir),
        news=news,
        reference=reference_index(config, specs),
    )


def run_sim(config: AureusConfig, *, data: Path, out: Path) -> dict:
    """Simulate a recording and write report.json, trades.jsonl and equity.csv into ``out``.

    Returns
    -------
    dict
        The report, with ``timings_s`` split into load, decisions and kernel.
    """
    t0 = time.perf_counter()
    bars, specs, news, manifest = load_bars(Path(data))
    venue_currencies(specs)  # what the replay refuses (NAV over several currencies), the sim refuses too
    t1 = time.perf_counter()
    decisions = decisions_for(config, bars, specs, news, manifest)
    t2 = time.perf_counter()
    result = simulate(bars, decisions, specs, config)
    t3 = time.perf_counter()
    trades = trade_log(result, bars, decisions, specs, config)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_trade_log(out / "trades.jsonl", trades)
    write_equity_csv(out / "equity.csv", equity_rows(result, bars, config))
    report = build_report(
        result,
        bars,
        manifest,
        config,
        Path(data),
        trades,
        decisions,
        timings={"load": t1 - t0, "decisions": t2 - t1, "kernel": t3 - t2},
    )
    (out / "report.json").write_bytes(msgspec.json.format(_JSON.encode(report), indent=2) + b"\n")
    return report


_AT_STEP = (k.EXIT_REVERSAL, k.EXIT_KILL, k.EXIT_TRIM, k.EXIT_STOP_THROUGH)  # exits sent by the step


def trade_log(result: SimResult, bars: EventBars, decisions, specs, config: AureusConfig) -> list:
    """Trade-log entries (``schemas.tradelog.TradeLogEntry``) in entry order, like the replay's."""
    entries = []
    counts = [0] * len(specs)
    for row in result.trades:
        j = int(row[k.T_INST])
        e_in = int(row[k.T_ENTRY_EVENT])
        e_out = int(row[k.T_EXIT_EVENT])
        spec = specs[j]
        digits = spec.price_precision + 2
        decision = decision_at(decisions, e_in, config.policy)
        tags = decision.reason_tags + (("clamp_per_name_cap",) if row[k.T_REDUCED] else ())
        counts[j] += 1
        closed = e_out >= 0
        # orders of the portfolio step fill at its time; resting exits when the venue moves the market
        at_step = int(row[k.T_EXIT_REASON]) in _AT_STEP or row[k.T_EXIT_AT_STEP] != 0.0
        exit_ts = int(result.step_ts[e_out] if at_step else bars.ts[e_out]) if closed else 0
        entries.append(
            TradeLogEntry(
                timestamp=iso_utc(int(result.step_ts[e_in])),
                mode="demo" if row[k.T_DEMO] else config.mode,
                symbol=spec.instrument_id,
                direction="BUY" if row[k.T_SIDE] > 0 else "SELL",
                size_pre=float(row[k.T_SIZE_PRE]),
                size_post_risk=float(row[k.T_SIZE_POST]),
                entry_price=round(float(row[k.T_ENTRY_PX]), digits),
                exit_price=round(float(row[k.T_EXIT_PX]), digits) if closed else None,
                reason_tags=tags,
                policy_version=config.policy.version,
                trade_id=f"{spec.instrument_id}-sim-{counts[j]}",
                exit_timestamp=iso_utc(exit_ts) if closed else None,
                realized_pnl=float(row[k.T_PNL]) if closed else None,
            )
        )
    return entries


def equity_rows(result: SimResult, bars: EventBars, config: AureusConfig) -> list[tuple]:
    """The replay's equity.csv rows (``engine.journal.EQUITY_COLUMNS``), one per bar event."""
    eq = result.equity
    rows = []
    for e in last_per_timestamp(bars.ts):
        r = eq[e]
        rows.append(
            (
                int(bars.ts[e]),
                float(r[k.E_NAV]),
                float(r[k.E_DAY_PNL]),
                float(r[k.E_GROSS]),
                float(r[k.E_NET]),
                float(r[k.E_MAX_NAME]),
                float(r[k.E_BUCKET0]),
                float(r[k.E_BUCKET0 + 1]),
                float(r[k.E_BUCKET0 + 2]),
                "demo" if r[k.E_DEMO] else config.mode,
                int(r[k.E_HALTED]),
            )
        )
    return rows


def last_per_timestamp(ts: np.ndarray) -> np.ndarray:
    """Indices of the last event of each distinct timestamp (the replay keeps one equity row per bar time)."""
    return np.flatnonzero(np.append(ts[1:] != ts[:-1], True))


def _days(ts: np.ndarray, mask: np.ndarray) -> list[str]:
    days = np.unique((ts[mask] - 1) // 86_400_000_000_000)  # engine.metrics.utc_day
    return [iso_utc(int(d) * 86_400_000_000_000)[:10] for d in days]


def build_report(result, bars, manifest, config, data_path, trades, decisions, *, timings) -> dict:
    start_nav = config.venue.starting_nav
    last = last_per_timestamp(bars.ts)
    nav = result.equity[last, k.E_NAV]
    rets = daily_returns(bars.ts[last], nav, start_nav)
    closed = [t.realized_pnl for t in trades if t.exit_price is not None]
    c = result.counters
    version = code_version()
    cfg_hash = config_hash(config)
    elapsed = sum(timings.values())
    exits: dict[str, int] = {}
    for row in result.trades:
        name = EXIT_REASONS[int(row[k.T_EXIT_REASON])]
        exits[name] = exits.get(name, 0) + 1
    return {
        "run_id": run_id_for(manifest.content_hash, cfg_hash, version),
        "engine": "sim",
        "data_path": str(data_path),
        "data_content_hash": manifest.content_hash,
        "data_source": manifest.source,
        "config_hash": cfg_hash,
        "code_version": version,
        "synthetic": manifest.synthetic,
        "mode": config.mode,
        "policy_version": config.policy.version,
        "instruments": list(bars.instruments),
        "events": int(bars.ts.shape[0]),
        "bars": int(bars.ts.shape[0]),
        "news": 0,
        "orders": 3 * c["entries"]
        + c["trims"]
        + exits.get("signal_reversal", 0)
        + exits.get("kill_switch", 0),
        "fills": None,  # the kernel counts order fills, not Nautilus's partial-fill events
        "trades": len(closed),
        "open_trades_at_end": len(trades) - len(closed),
        "starting_nav": start_nav,
        "final_nav": float(nav[-1]) if len(nav) else start_nav,
        "total_return": float(nav[-1] / start_nav - 1.0) if len(nav) else 0.0,
        "max_drawdown": max_drawdown(nav, start_nav),
        "sharpe_daily": sharpe_daily(rets),
        "sharpe_method": SHARPE_METHOD,
        "sharpe_annualization": "sqrt(365)",
        "observation_days": int(len(rets)),
        "hit_rate": hit_rate(closed),
        "kill_switch_activations": c["kill_switch_activations"],
        "clamp_reductions": c["clamp_reductions"],
        "clamp_rejections": c["clamp_rejections"],
        "kill_switch_days": _days(bars.ts, result.equity[:, k.E_KILLED] > 0),
        "kill_switch_threshold_pct": -config.risk.kill_switch.daily_loss_pct,
        "quarantine_days": _days(bars.ts, result.equity[:, k.E_DEMO] == 2),
        "demo_days": _days(bars.ts, result.equity[:, k.E_DEMO] > 0),
        "max_name_exposure_pct": float(result.equity[last, k.E_MAX_NAME].max()) if len(nav) else 0.0,
        "max_bucket_exposure_pct": float(result.equity[last, k.E_BUCKET0 : k.E_BUCKET0 + 3].max())
        if len(nav)
        else 0.0,
        "trims": c["trims"],
        "decisions": {a: c[a] for a in ("BUY", "HOLD", "SELL")},
        "counters": dict(sorted(c.items())),
        "exit_reasons": dict(sorted(exits.items())),
        "models": {n: {"provider": p} for n, p in decisions.model_providers.items()},
        "rl_model": "loaded" if decisions.ppo_hint is not None else "missing",
        "elapsed_s": round(elapsed, 3),
        "timings_s": {n: round(v, 4) for n, v in timings.items()},
        "events_per_s": round(bars.ts.shape[0] / elapsed, 1) if elapsed > 0 else None,
        "bars_per_s": round(bars.ts.shape[0] / elapsed, 1) if elapsed > 0 else None,
    }
