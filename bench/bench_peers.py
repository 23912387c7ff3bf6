"""(e) Aureus against its peers on the same real bars, in one invocation.

On the 30,240 real BTCUSDT 1-minute bars: the Nautilus do-nothing floor, the Aureus replay (full
pipeline), backtrader 1.9.78 running an EMA cross with bracket exits, vectorbt ``Portfolio.from_signals``
with an EMA cross and stop-loss/take-profit, and the Aureus research simulator (execution kernel on the
decision stream, and decisions + kernel). Every figure is bars per second; ratios are against backtrader
(1.00) measured in this same run, plus simulator/replay and simulator/vectorbt.

The EMA cross (12/48, the strategy's own EMA spans) trades long on a fast-over-slow cross and exits on
the opposite cross, a 1.8 % stop or a 2.5 % take-profit in both peers: the same rule, not the same
trades (backtrader fills brackets on the next bar, vectorbt within the bar).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from bench.common import BTCUSDT_CSV, best_of, btcusdt_recording

FAST, SLOW = 12, 48
STOP, TAKE = 0.018, 0.025


def _bars() -> pd.DataFrame:
    df = pd.read_csv(BTCUSDT_CSV)
    df.index = pd.to_datetime(df.pop("open_time"), utc=True).dt.tz_localize(None)
    return df


def backtrader_bars_per_s(df: pd.DataFrame, repeats: int = 1) -> tuple[float, int]:
    """backtrader EMA cross with a stop/take-profit bracket per entry."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        import backtrader as bt

    class EmaCrossBracket(bt.Strategy):
        def __init__(self) -> None:
            self.cross = bt.ind.CrossOver(bt.ind.EMA(period=FAST), bt.ind.EMA(period=SLOW))
            self.trades = 0

        def next(self) -> None:
            if not self.position and not self.broker.get_orders_open() and self.cross > 0:
                close = self.data.close[0]
                self.buy_bracket(
                    size=0.05,
                    exectype=bt.Order.Market,
                    stopprice=close * (1 - STOP),
                    limitprice=close * (1 + TAKE),
                )
                self.trades += 1
            elif self.position and self.cross < 0:
                for order in self.broker.get_orders_open():
                    self.cancel(order)
                self.close()

    trades = 0

    def run() -> None:
        nonlocal trades
        cerebro = bt.Cerebro(stdstats=False)
        cerebro.adddata(bt.feeds.PandasData(dataname=df))
        cerebro.addstrategy(EmaCrossBracket)
        cerebro.broker.setcash(100_000.0)
        cerebro.broker.setcommission(commission=0.001)
        trades = cerebro.run()[0].trades

    return len(df) / best_of(run, repeats), trades


def vectorbt_bars_per_s(df: pd.DataFrame, repeats: int = 3) -> tuple[float, int]:
    """vectorbt from_signals EMA cross with stop-loss and take-profit (EMA included in the timing)."""
    import vectorbt as vbt

    close = df["close"]
    trades = 0

    def run() -> None:
        nonlocal trades
        fast = close.ewm(span=FAST, adjust=False).mean()
        slow = close.ewm(span=SLOW, adjust=False).mean()
        above = fast > slow
        entries = above & ~above.shift(1, fill_value=False)
        exits = ~above & above.shift(1, fill_value=False)
        pf = vbt.Portfolio.from_signals(
            close, entries, exits, open=df["open"], high=df["high"], low=df["low"], sl_stop=STOP,
            tp_stop=TAKE, fees=0.001, init_cash=100_000.0, size=0.05,
        )  # fmt: skip
        trades = int(pf.trades.count())

    run()  # numba compilation is not throughput
    return len(df) / best_of(run, repeats), trades


def nautilus_floor_and_replay_bars_per_s() -> tuple[float, float, int]:
    """The BacktestEngine with a do-nothing strategy, and the full Aureus replay, on the same recording."""
    from adapters.recorded import open_recording
    from aureus.runtime.backtest import bar_type_for
    from bench.bench_pipeline import NullStrategy, NullStrategyConfig, _run, replay_strategy
    from engine.config import load_config

    config = load_config(overrides=["replay.progress=false"])
    recording = open_recording(btcusdt_recording())
    specs = recording.manifest.instruments
    bar_types = tuple(str(bar_type_for(s)) for s in specs)
    t_null, events = _run(config, recording, specs, NullStrategy(NullStrategyConfig(bar_types=bar_types)))
    t_full, _ = _run(config, recording, specs, replay_strategy(config, specs))
    return events / t_null, events / t_full, events


def simulator_bars_per_s(repeats: int = 3) -> dict:
    """The research simulator (warm): kernel on the decision stream; ensemble re-decided from cached model
    scores + kernel; features + models + ensemble + kernel, with the model bundle loaded once (as a
    search reuses it) on each CPU runtime, and with the bundle loaded and verified in every run."""
    from aureus.paths import resolve_repo_path
    from aureus.sim_run import load_bars
    from engine.config import load_config
    from engine.models.runtime import ModelBundle
    from engine.sim import build_decisions, redecide, simulate

    config = load_config(overrides=["replay.progress=false"])
    bars, specs, _, _ = load_bars(btcusdt_recording())
    models = str(resolve_repo_path(config.models.dir))
    buckets = [s.bucket for s in specs]
    bundles = {
        rt: ModelBundle.load(
            models, params=config.features, providers=["CPUExecutionProvider"], cpu_runtime=rt
        )
        for rt in ("numba", "onnxruntime")
    }

    def decide(bundle=None):
        return build_decisions(bars, config, buckets=buckets, models_dir=models, models=bundle)

    decisions = decide(bundles["numba"])
    same = decide(bundles["onnxruntime"])
    assert all(
        np.array_equal(getattr(decisions, k), getattr(same, k), equal_nan=True)
        for k in ("action", "size", "p_short", "p_mid")
    ), "numba and onnxruntime decision streams differ"
    result = simulate(bars, decisions, specs, config)  # compile
    kernel = best_of(lambda: simulate(bars, decisions, specs, config), repeats)
    # a policy search: model scores cached, the ensemble reruns under the candidate policy
    policy = config.policy
    redo = best_of(lambda: simulate(bars, redecide(decisions, policy), specs, config), repeats)
    full = {
        rt: best_of(lambda b=b: simulate(bars, decide(b), specs, config), repeats)
        for rt, b in bundles.items()
    }
    full_load = best_of(lambda: simulate(bars, decide(), specs, config), repeats)
    n = len(bars.ts)
    return {
        "kernel": n / kernel,
        "redecide": n / redo,
        "full": n / full["numba"],
        "full_ort": n / full["onnxruntime"],
        "full_load": n / full_load,
        "n": n,
        "trades": len(result.trades),
    }


def main() -> dict:
    df = _bars()
    floor, replay, events = nautilus_floor_and_replay_bars_per_s()
    bt_rate, bt_trades = backtrader_bars_per_s(df)
    vbt_rate, vbt_trades = vectorbt_bars_per_s(df)
    sim = simulator_bars_per_s()
    rows = [
        ("Nautilus BacktestEngine, do-nothing strategy", floor),
        ("Aureus replay (full pipeline)", replay),
        (f"backtrader EMA cross + bracket ({bt_trades} entries)", bt_rate),
        (f"vectorbt from_signals EMA cross + SL/TP ({vbt_trades} trades)", vbt_rate),
        (f"Aureus sim: kernel on the decision stream ({sim['trades']} trades)", sim["kernel"]),
        ("Aureus sim: ensemble from cached model scores + kernel", sim["redecide"]),
        ("Aureus sim: features + models (numba) + ensemble + kernel", sim["full"]),
        ("Aureus sim: features + models (onnxruntime) + ensemble + kernel", sim["full_ort"]),
        ("Aureus sim: as above (numba) + model load/verify every run", sim["full_load"]),
    ]
    print(f"[e] peers on the same {events:,} real BTCUSDT 1m bars (bars/s; ratio vs backtrader):")
    for name, rate in rows:
        print(f"    {name:<66} {rate:>12,.0f}   {rate / bt_rate:8.2f}x")
    vs_replay = {k: sim[k] / replay for k in ("kernel", "redecide", "full", "full_ort", "full_load")}
    vs_vbt = {k: sim[k] / vbt_rate for k in vs_replay}
    for label, ratios, fmt in (("sim/replay", vs_replay, ",.0f"), ("sim/vectorbt", vs_vbt, ".2f")):
        print(
            f"    {label}: kernel {ratios['kernel']:{fmt}}x, cached scores {ratios['redecide']:{fmt}}x, "
            f"full {ratios['full']:{fmt}}x (onnxruntime {ratios['full_ort']:{fmt}}x, numba with load "
            f"{ratios['full_load']:{fmt}}x)"
        )
    return {
        "nautilus_floor": floor, "replay": replay, "backtrader": bt_rate, "vectorbt": vbt_rate,
        "sim_kernel": sim["kernel"], "sim_redecide": sim["redecide"], "sim_full": sim["full"],
        "sim_full_ort": sim["full_ort"], "sim_full_load": sim["full_load"], "n_sim": sim["n"],
    }  # fmt: skip


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"    ({time.perf_counter() - t0:.0f} s)")
