"""Direction accuracy of the strategy's own decisions (the model-decay trigger's input)."""

from __future__ import annotations

import random

import msgspec
import pytest
from test_escalation_sink import MIN, T, decision, row

from engine.config import AureusConfig
from engine.escalation.accuracy import DirectionScorer
from engine.escalation.sink import EscalationSink
from engine.sink import EQUITY, CollectingSink
from schemas.topics import ESCALATIONS, SIGNALS


def test_a_decision_is_scored_once_its_horizon_has_passed_from_closes_up_to_then():
    scorer = DirectionScorer(5 * MIN)
    for i, close in enumerate([100.0, 101.0, 99.0, 99.0, 98.0, 97.0, 103.0, 103.0, 104.0, 104.0]):
        scorer.on_close("A", T + i * MIN, close)  # fed ahead of the clock, as replay does per chunk
    scorer.on_decision("A", T, "SELL")  # 100 -> 97 at T+5: hit
    scorer.on_decision("A", T + MIN, "BUY")  # 101 -> 103 at T+6: hit
    scorer.on_decision("A", T + 2 * MIN, "BUY")  # 99 -> 103 at T+7: hit
    scorer.on_decision("A", T + 3 * MIN, "SELL")  # 99 -> 104: miss
    scorer.on_decision("A", T + 4 * MIN, "HOLD")  # never scored
    scorer.on_decision("A", T + 4 * MIN, "BUY")  # 98 -> 104 at T+9: hit
    assert scorer.score(T + 4 * MIN) == []  # no horizon over yet: later closes are not looked at
    assert scorer.score(T + 5 * MIN) == [True]
    assert scorer.score(T + 8 * MIN) == [True, True, False]
    assert scorer.score(T + 9 * MIN) == [True]
    assert scorer.score(T + 20 * MIN) == []


def test_flat_returns_and_unknown_instruments_are_not_scored():
    scorer = DirectionScorer(MIN)
    scorer.on_close("A", T, 10.0)
    scorer.on_close("A", T + MIN, 10.0)
    scorer.on_decision("A", T, "BUY")
    scorer.on_decision("B", T, "SELL")
    assert scorer.score(T + MIN) == []
    with pytest.raises(ValueError, match="before the last one"):
        scorer.on_close("A", T, 11.0)


def test_accuracy_falling_7_points_under_its_baseline_raises_model_decay():
    config = msgspec.structs.replace(AureusConfig().escalation, accuracy_horizon_s=60.0)
    inner = CollectingSink()
    sink = EscalationSink(inner, config, {"A.SIM": "core"})
    n_right, n_wrong = 300, 40
    for i in range(n_right + n_wrong + 1):
        sink.on_close("A.SIM", T + i * MIN, 100.0 + i)  # rising every minute
    fired_at = None
    for i in range(n_right + n_wrong):
        action = "BUY" if i < n_right else "SELL"  # right, then wrong
        made = msgspec.structs.replace(decision("A.SIM", 0.0, 1.0, ts=T + i * MIN), action=action)
        sink.emit(SIGNALS, made)
        sink.emit(EQUITY, row(T + i * MIN, 100_000.0, 0.0))
        decays = [r for r in inner.get(ESCALATIONS) if r.trigger == "model_decay"]
        if decays and fired_at is None:
            fired_at = i
            assert decays[0].call_type == "REWARD_ENGINEER"
    # decision i is scored at step i + 1; the recent window is 200 decisions, the baseline all before it:
    # 100 % until the SELLs, 7 points down after 14-15 wrong ones
    assert fired_at is not None and n_right + 14 <= fired_at <= n_right + 16
    state = sink.tracker.snapshot(T + (n_right + n_wrong) * MIN)
    assert state.baseline_accuracy == 1.0
    assert state.ensemble_accuracy == pytest.approx((200 - (n_wrong - 1)) / 200)


def test_the_not_due_shortcut_scores_exactly_as_the_full_loop():
    fast, plain = DirectionScorer(7 * MIN), DirectionScorer(7 * MIN)
    skipped = 0
    for now in _feed_both(random.Random(5), (fast, plain), 5_000, longest_gap=9, decision_rate=0.2):
        skipped += now < fast._due
        plain._due = -1  # the full loop every step, as before the shortcut
        assert fast.score(now) == plain.score(now)
    assert 0 < skipped < 5_000  # both paths were taken


def test_skipping_score_before_next_due_loses_no_hit_and_still_prunes():
    every, skipping = DirectionScorer(7 * MIN), DirectionScorer(7 * MIN)
    hits_every, hits_skipping, calls, longest = [], [], 0, 0
    for now in _feed_both(random.Random(9), (every, skipping), 20_000, longest_gap=30, decision_rate=0.05):
        scored = every.score(now)
        hits_every += scored
        if now >= skipping.next_due:  # what the escalation sink does
            calls += 1
            hits_skipping += skipping.score(now)
        else:
            assert scored == []  # nothing was due
        longest = max(longest, *(len(t) for t, _ in skipping._series.values()))
    assert hits_skipping == hits_every and len(hits_every) > 300
    assert calls < 20_000 // 2  # most steps skipped
    assert longest < 1_100  # closes were still pruned (once 1024 no longer needed ones piled up)


def _feed_both(rng, scorers, steps: int, *, longest_gap: int, decision_rate: float):
    """Feed the same random closes and decisions (of two instruments) to every scorer; yield each step's
    time after its inputs went in."""
    now = T
    for _ in range(steps):
        now += MIN * rng.choice((1, 1, 1, 2, longest_gap))
        instrument, close = rng.choice(("A", "B")), rng.choice((99.0, 100.0, 101.0))
        for s in scorers:
            s.on_close(instrument, now, close)
        if rng.random() < decision_rate:
            action, ts = rng.choice(("BUY", "SELL", "HOLD")), now - MIN * rng.randint(0, 3)
            for s in scorers:
                s.on_decision(instrument, ts, action)
        yield now


class _Plain:
    """The scoring rule spelled out over every close ever fed: what :class:`DirectionScorer` must return."""

    def __init__(self, horizon_ns: int) -> None:
        self.horizon_ns, self.closes, self.pending = horizon_ns, {}, []

    def on_close(self, instrument: str, ts: int, close: float) -> None:
        self.closes.setdefault(instrument, []).append((ts, close))

    def on_decision(self, instrument: str, ts: int, action: str) -> None:
        if action != "HOLD":
            self.pending.append((ts, instrument, 1 if action == "BUY" else -1))

    def score(self, now: int) -> list[bool]:
        def close_at(instrument: str, ts: int) -> float | None:
            before = [c for t, c in self.closes.get(instrument, ()) if t <= ts]
            return before[-1] if before else None

        hits = []
        while self.pending and self.pending[0][0] + self.horizon_ns <= now:
            ts, instrument, direction = self.pending.pop(0)
            start, end = close_at(instrument, ts), close_at(instrument, ts + self.horizon_ns)
            if start is not None and end is not None and end != start:
                hits.append((end > start) == (direction > 0))
        return hits


def test_scores_equal_the_rule_over_every_close_with_pruning_and_late_decisions():
    scorer, plain = DirectionScorer(7 * MIN), _Plain(7 * MIN)
    hits = []
    for now in _feed_both(random.Random(13), (scorer, plain), 6_000, longest_gap=30, decision_rate=0.3):
        if now >= scorer.next_due:
            scored = scorer.score(now)
            assert scored == plain.score(now)
            hits += scored
        if now % (40 * MIN) == 0:  # a decision before any close of its instrument: never scored
            scorer.on_decision("C", now, "BUY")
            plain.on_decision("C", now, "BUY")
    assert len(hits) > 500 and 0 < sum(hits) < len(hits)
    assert max(len(times) for times, _ in scorer._series.values()) < 1_100  # pruned meanwhile


def test_a_decision_before_its_instruments_first_close_is_not_scored():
    scorer = DirectionScorer(5 * MIN)
    scorer.on_decision("A", T, "BUY")  # no close of A at or before T
    scorer.on_decision("A", T + MIN, "BUY")  # 100 -> 102 at T+6: hit
    for i, close in [(1, 100.0), (3, 101.0), (6, 102.0), (30, 90.0)]:  # fed ahead of the clock
        scorer.on_close("A", T + i * MIN, close)
    assert scorer.score(T + 5 * MIN) == []
    assert scorer.score(T + 6 * MIN) == [True]
