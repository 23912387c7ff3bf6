"""The strategy's fused per-bar step (features and models in one numba call, ``engine.models.fused_step``)
changes no output of a replay: every stream equals the one made with the plain two calls, on a
multi-instrument session (the step's batch path) with shorts, and with features disabled by the policy."""

from pathlib import Path

import msgspec
import pytest

import strategies.entries as entries
import strategies.meta_ensemble as meta_ensemble
from adapters.recorded import open_recording
from adapters.state import EmbeddedFileStore
from aureus.replay import build_strategy, feed_recording, trading_state_setter
from aureus.runtime.backtest import build_backtest_engine
from engine.config import load_config
from engine.sink import CollectingSink

_JSON = msgspec.json.Encoder()


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("fused") / "rec"
    synthesize(5, path, days=2, n_instruments=3)
    return path


def _run(data: Path, state: Path, overrides: list[str]) -> tuple[dict, int]:
    cfg = load_config(overrides=["replay.progress=false", "shorting.spot=true", *overrides])
    rec = open_recording(data)
    specs = rec.verify().instruments
    engine = build_backtest_engine(cfg, specs)
    sink = CollectingSink()
    strategy = build_strategy(cfg, specs, news=False, store=EmbeddedFileStore(state), sink=sink)
    engine.add_strategy(strategy)
    strategy.bind_trading_state(trading_state_setter(engine.kernel.risk_engine))
    feed_recording(engine, rec, specs, chunk_events=5_000)
    engine.end()
    fused = sum(st.fused is not None for st in strategy._state.values())
    streams = {c: b"".join(_JSON.encode(m) + b"\n" for m in ms) for c, ms in sink.channels.items()}
    return streams, fused


@pytest.mark.parametrize("overrides", [[], ['policy.disabled_features=["rsi_14", "ret_5"]']])
def test_fused_step_changes_no_output_stream(recording, tmp_path, monkeypatch, overrides):
    fused, n_fused = _run(recording, tmp_path / "fused", overrides)
    monkeypatch.setattr(meta_ensemble, "fused_step_for", lambda features, bundle: None)
    plain, n_plain = _run(recording, tmp_path / "plain", overrides)
    assert n_fused == 3 and n_plain == 0
    assert fused.keys() == plain.keys()
    decisions = fused["signals"].count(b"\n")
    assert decisions > 2_000 and fused["orders"].count(b"\n") > 5
    for channel, data in plain.items():
        assert fused[channel] == data, channel


@pytest.fixture(scope="module")
def one_instrument(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("fused-one") / "rec"
    synthesize(7, path, days=2, n_instruments=1)
    return path


def test_kernel_decisions_change_no_output_stream(one_instrument, tmp_path, monkeypatch):
    """One instrument, no RL model, no news: the fused kernel decides (engine.ensemble_kernel), and every
    stream equals the plain path's, where decide_with decides every bar."""
    calls = []
    decide_with = entries.decide_with
    monkeypatch.setattr(entries, "decide_with", lambda *args: calls.append(1) or decide_with(*args))
    fused, n_fused = _run(one_instrument, tmp_path / "fused", [])
    in_kernel = fused["signals"].count(b"\n") - len(calls)
    calls.clear()
    monkeypatch.setattr(meta_ensemble, "fused_step_for", lambda features, bundle: None)
    plain, _ = _run(one_instrument, tmp_path / "plain", [])
    assert n_fused == 1 and len(calls) == plain["signals"].count(b"\n")
    assert in_kernel > 1_000 and fused["orders"].count(b"\n") > 2
    assert fused.keys() == plain.keys()
    for channel, data in plain.items():
        assert fused[channel] == data, channel
