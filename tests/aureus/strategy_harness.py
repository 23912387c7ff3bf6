"""A replay assembled by hand, so a test can reorder bars or reach the strategy and engine afterwards.

Same parts as :func:`aureus.replay.run_replay` (engine, strategy, trading-state binding, a collecting sink);
the caller chooses the bar order within each timestamp and may patch the strategy before the run.
"""

from itertools import groupby
from pathlib import Path

import msgspec

from adapters.nautilus_data import BarConverter
from adapters.recorded import open_recording
from adapters.state import EmbeddedFileStore
from aureus.replay import build_strategy, trading_state_setter
from aureus.runtime.backtest import bar_type_for, build_backtest_engine
from engine.config import load_config
from engine.sink import CollectingSink
from schemas.market import Bar

_JSON = msgspec.json.Encoder()


class Harness:
    """Engine, strategy and sink of one hand-assembled replay; :meth:`run` feeds the bars."""

    def __init__(
        self, data: Path, state: Path, *overrides: str, max_bars: int | None = None, control: bool = False
    ) -> None:
        # tests read closed orders back from Nautilus's cache after the run: no purge unless asked for
        self.cfg = load_config(
            overrides=["replay.progress=false", "node.replay_cache_purge_interval_s=0", *overrides]
        )
        recording = open_recording(data)
        specs = recording.verify().instruments
        self.engine = build_backtest_engine(self.cfg, specs)
        self.sink = CollectingSink()
        self.store = EmbeddedFileStore(state)
        self.strategy = build_strategy(
            self.cfg, specs, news=False, store=self.store, sink=self.sink, control=control
        )
        self.engine.add_strategy(self.strategy)
        self.strategy.bind_trading_state(trading_state_setter(self.engine.kernel.risk_engine))
        self.converters = {s.instrument_id: BarConverter(bar_type_for(s), s) for s in specs}
        self.bars = [r.payload for r in recording.iter_all() if isinstance(r.payload, Bar)][:max_bars]

    def run(self, reorder=lambda group: group) -> None:
        fed = []
        for _, group in groupby(self.bars, key=lambda b: b.ts_event):
            fed.extend(reorder(list(group)))
        self.engine.add_data([self.converters[b.instrument](b) for b in fed])
        self.engine.run()
        self.engine.end()

    def streams(self) -> dict[str, bytes]:
        """Every channel the sink saw, encoded one message per line."""
        return {
            channel: b"".join(_JSON.encode(m) + b"\n" for m in messages)
            for channel, messages in self.sink.channels.items()
        }
