"""bench.profile_shares: the loop's share outside Nautilus, with and without the strategy's start/stop."""

from bench.profile_shares import outside_nautilus

_RUN = "_run_chunk (aureus/replay.py:300)"
_NT = "run (nautilus_trader/backtest/engine.pyx:10)"
_BAR = "MetaEnsembleStrategy.on_bar (strategies/meta_ensemble.py:320)"
_START = "MetaEnsembleStrategy.on_start (strategies/meta_ensemble.py:210)"


def test_start_samples_count_in_the_loop_but_not_per_bar(tmp_path):
    lines = [
        f"main (x.py:1);{_RUN};{_NT} 6",  # Nautilus's own work
        f"main (x.py:1);{_RUN};{_NT};{_BAR} 2",  # our per-bar work
        f"main (x.py:1);{_RUN};{_NT};{_START};load (onnxruntime/session.py:5) 2",  # one-time start
        "main (x.py:1);import (x.py:2) 50",  # outside the engine's run: ignored
    ]
    raw = tmp_path / "prof.txt"
    raw.write_text("\n".join(lines) + "\n")
    every, per_bar = outside_nautilus(str(raw))
    assert every == 4 / 10
    assert per_bar == 2 / 8
