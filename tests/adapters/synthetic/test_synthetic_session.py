"""Synthetic sessions: byte determinism, OHLC consistency, correlation regimes, the crash day, news shocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adapters.errors import AdapterError
from adapters.recorded import MANIFEST_FILE, open_recording
from adapters.synthetic import START_NS, SyntheticSession, generate_session, synthesize
from adapters.synthetic.market import BREAKDOWN, CALM, MINUTES_PER_DAY
from schemas.market import Bar, NewsRaw, NewsScored


@pytest.fixture(scope="module")
def session() -> SyntheticSession:
    return generate_session(11)


def files_of(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = synthesize(7, tmp_path / "a", days=3)
    second = synthesize(7, tmp_path / "b", days=3)
    other = synthesize(8, tmp_path / "c", days=3)

    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    assert first == second
    assert other.content_hash != first.content_hash
    assert files_of(tmp_path / "a")["md.bars.jsonl.gz"] != files_of(tmp_path / "c")["md.bars.jsonl.gz"]


def test_default_recording_layout(tmp_path: Path) -> None:
    manifest = synthesize(3, tmp_path / "rec")

    assert manifest.synthetic is True and manifest.source == "synthetic:seed=3"
    ids = [s.instrument_id for s in manifest.instruments]
    assert ids == ["SYNA.SIM", "SYNB.SIM", "SYNC.SIM", "SYND.SIM"]
    assert {s.bucket for s in manifest.instruments} == {"core", "penny"}
    assert all(s.kind == "crypto_spot" and s.quote_currency == "USD" for s in manifest.instruments)
    counts = {t.topic: t.records for t in manifest.topics}
    assert counts["md.bars"] == 4 * 8 * MINUTES_PER_DAY <= 50_000
    assert counts["news.raw"] > 0 and counts["news.scored"] >= counts["news.raw"]
    assert START_NS < manifest.start_ns <= START_NS + 60 * 10**9
    assert manifest.end_ns == START_NS + 8 * MINUTES_PER_DAY * 60 * 10**9
    assert "crash on 2024-01-" in manifest.notes
    assert (tmp_path / "rec" / MANIFEST_FILE).exists()
    assert open_recording(tmp_path / "rec").verify() == manifest


def test_bars_are_consistent_and_rounded_to_the_instrument_precision(session: SyntheticSession) -> None:
    bars = [p for p in session.payloads if isinstance(p, Bar)]
    precision = {s.instrument_id: s.price_precision for s in session.instruments}

    assert all(b.high >= max(b.open, b.close) and b.low <= min(b.open, b.close) and b.low > 0 for b in bars)
    assert all(b.volume > 0 for b in bars)
    assert all(round(b.close, precision[b.instrument]) == b.close for b in bars)
    by_instrument: dict[str, list[Bar]] = {}
    for bar in bars:
        by_instrument.setdefault(bar.instrument, []).append(bar)
    for series in by_instrument.values():
        assert all(a.close == b.open for a, b in zip(series, series[1:], strict=False))
        assert [b.ts_event for b in series] == [START_NS + (t + 1) * 60 * 10**9 for t in range(len(series))]


def _shock_mask(session: SyntheticSession) -> np.ndarray:
    mask = np.zeros(session.paths.regimes.shape[0], dtype=bool)
    for event in session.news:
        if event.jump != 0.0:
            mask[event.minute : event.minute + 8] = True
    return mask


def test_calm_regime_returns_are_correlated_and_breakdown_decorrelates(session: SyntheticSession) -> None:
    returns = np.diff(np.log(session.paths.close), axis=0)
    regimes = session.paths.regimes[1:]
    quiet = ~_shock_mask(session)[1:]
    upper = np.triu_indices(returns.shape[1], 1)

    calm = np.corrcoef(returns[(regimes == CALM) & quiet].T)[upper]
    breakdown = np.corrcoef(returns[(regimes == BREAKDOWN) & quiet].T)[upper]

    assert calm.min() > 0.3
    assert breakdown.mean() < calm.mean() - 0.3


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_crash_day_has_a_drawdown_over_8_percent(seed: int) -> None:
    session = generate_session(seed)
    day = session.crash.day
    window = slice(day * MINUTES_PER_DAY, (day + 1) * MINUTES_PER_DAY)
    high, low = session.paths.high[window], session.paths.low[window]

    drawdown = 1.0 - (low / np.maximum.accumulate(high, axis=0)).min(axis=0)
    volume = session.paths.volume
    crash = slice(session.crash.start_minute, session.crash.start_minute + session.crash.minutes)

    assert drawdown.max() > 0.08
    assert -0.163 < session.crash.log_move < -0.094  # a -9 % to -15 % market move
    assert (volume[crash].mean(axis=0) > 2.0 * volume.mean(axis=0)).all()  # volume surge


def test_news_shocks_precede_or_accompany_jumps(session: SyntheticSession) -> None:
    scored = [p for p in session.payloads if isinstance(p, NewsScored)]
    raw = [p for p in session.payloads if isinstance(p, NewsRaw)]
    log_close = np.log(session.paths.close)
    shocks = [e for e in session.news if e.jump != 0.0]

    assert len(shocks) >= 10 and len(raw) == len(session.news)
    assert all(-1.0 <= s.sentiment <= 1.0 and s.source == "synthetic" for s in scored)
    moves = [log_close[e.minute + 6, e.instrument] - log_close[e.minute - 1, e.instrument] for e in shocks]
    agree = [np.sign(move) == np.sign(e.sentiment) for move, e in zip(moves, shocks, strict=True)]
    assert np.mean(agree) > 0.85
    for event in shocks:
        ts = START_NS + event.minute * 60 * 10**9 + event.offset_s * 10**9
        first_jump_bar_close = START_NS + (event.minute + 1) * 60 * 10**9
        score = next(s for s in scored if s.headline == event.headline and s.ts_event >= ts)
        assert ts < score.ts_event < first_jump_bar_close
    crash_news = [r for r in raw if len(r.instruments) == len(session.instruments)]
    assert len(crash_news) == 1 and "selloff" in crash_news[0].headline


def test_more_instruments_and_argument_checks() -> None:
    six = generate_session(5, days=2, n_instruments=6)

    assert [s.instrument_id for s in six.instruments][4:] == ["SYNE.SIM", "SYNF.SIM"]
    assert six.paths.close.shape == (2 * MINUTES_PER_DAY, 6)
    with pytest.raises(AdapterError, match="days >= 2"):
        generate_session(1, days=1)
    with pytest.raises(AdapterError, match="exceeds"):
        generate_session(1, days=400, n_instruments=10)
