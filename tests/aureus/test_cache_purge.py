"""Nautilus's cache stays small in a long replay: closed orders and positions are purged once reported,
and the report's order and fill counts (the strategy's own) do not change with the purge."""

from pathlib import Path

import msgspec
import pytest
from nautilus_trader.model.events import OrderFilled

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

    path = tmp_path_factory.mktemp("purge") / "rec"
    synthesize(11, path, days=3)
    return path


def _run(data: Path, state: Path, purge_s: float) -> dict:
    """A replay fed in small chunks; the cache's order count is read after each chunk."""
    cfg = load_config(
        overrides=[
            "replay.progress=false",
            "shorting.spot=true",
            f"node.replay_cache_purge_interval_s={purge_s}",
        ]
    )
    rec = open_recording(data)
    specs = rec.verify().instruments
    engine = build_backtest_engine(cfg, specs)
    sink = CollectingSink()
    strategy = build_strategy(cfg, specs, news=False, store=EmbeddedFileStore(state), sink=sink)
    engine.add_strategy(strategy)
    strategy.bind_trading_state(trading_state_setter(engine.kernel.risk_engine))
    sizes: list[int] = []
    feed_recording(
        engine, rec, specs, chunk_events=1_000, on_progress=lambda _: sizes.append(len(engine.cache.orders()))
    )
    engine.end()
    orders = engine.cache.orders()
    return {
        "sizes": sizes,
        "journal": (strategy.journal.orders, strategy.journal.fills),
        "cache": (len(orders), sum(1 for o in orders for e in o.events if isinstance(e, OrderFilled))),
        "snapshots": len(engine.cache.position_snapshots()),
        "streams": {c: b"".join(_JSON.encode(m) + b"\n" for m in ms) for c, ms in sink.channels.items()},
        "purges": strategy.journal.counters["cache_purges"],
    }


def test_purge_keeps_the_cache_bounded_and_changes_no_output(recording, tmp_path):
    kept = _run(recording, tmp_path / "kept", 0.0)
    purged = _run(recording, tmp_path / "purged", 600.0)

    # without the purge the cache holds every order ever sent: the strategy's counts equal the cache's
    assert kept["journal"] == kept["cache"]
    sent, _ = kept["journal"]
    assert sent > 100 and kept["sizes"][-1] == sent and kept["purges"] == 0
    # with it the cache holds only recent orders, however long the run, and the counts are unchanged
    assert purged["purges"] > 100
    assert purged["journal"] == kept["journal"]
    assert max(purged["sizes"]) < sent / 4
    assert purged["cache"][0] < sent / 10
    # a NETTING position id reopened after its purge starts afresh: no pickled snapshot of the closed one
    assert kept["snapshots"] > 50 and purged["snapshots"] < kept["snapshots"] / 10
    # every output stream (decisions, orders, fills, trades, equity, risk) byte-identical
    assert purged["streams"].keys() == kept["streams"].keys()
    for channel, data in kept["streams"].items():
        assert purged["streams"][channel] == data, channel
