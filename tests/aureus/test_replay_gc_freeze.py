"""feed_recording freezes the heap that exists before the run without a full collection first (one full
scan of the setup heap, ~130 ms on the replay's, costs BTCUSDT 4.3 µs a bar), and unfreezes it after."""

from __future__ import annotations

import gc

import aureus.replay as replay


def test_feed_recording_freezes_without_a_full_collection(monkeypatch):
    seen = {}

    def fake_feed(engine, recording, converters, chunk_events, on_progress, prices, on_bar):
        seen["frozen"] = gc.get_freeze_count()
        return {}

    full = []

    def on_gc(phase, info):
        if phase == "start" and info["generation"] == 2:
            full.append(info)

    monkeypatch.setattr(replay, "_feed", fake_feed)
    gc.callbacks.append(on_gc)
    try:
        replay.feed_recording(None, None, [], chunk_events=1)
    finally:
        gc.callbacks.remove(on_gc)
    assert seen["frozen"] > 0  # the run saw the setup heap frozen
    assert full == []  # and no full collection was paid for it
    assert gc.get_freeze_count() == 0  # handed back to the GC after the run
