"""Replay's progress bar is redrawn by the feed after each chunk: no refresh thread competes with the engine
loop for the GIL (it cost about 5 % of a profiled BTCUSDT replay)."""

import io
import threading

from rich.console import Console

from aureus.replay import _progress


def test_the_replay_progress_bar_starts_no_refresh_thread():
    console = Console(file=io.StringIO(), force_terminal=True)
    before = {t.ident for t in threading.enumerate()}
    with _progress(console, enabled=True) as progress:
        task = progress.add_task("replay", total=10)
        progress.update(task, completed=5, refresh=True)
        started = [t for t in threading.enumerate() if t.ident not in before]
    assert started == []
    assert "5/10" in console.file.getvalue()
