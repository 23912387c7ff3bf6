"""Demo orders never reach a live execution client: two clients in one engine, routed by mode."""

from pathlib import Path

import pytest
from nautilus_trader.execution.client import ExecutionClient
from nautilus_trader.execution.messages import SubmitOrder, SubmitOrderList
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import ClientId, Venue

from aureus.replay import run_replay
from engine.config import ExecutionConfig, load_config
from engine.errors import EngineError
from engine.risk.routing import RoutingError, route_for


class RecordingLiveClient(ExecutionClient):
    """A real Nautilus execution client standing in for a live venue adapter: it records every command
    it is handed and sends nothing anywhere (orders it receives stay unacknowledged)."""

    def __init__(self, engine) -> None:
        super().__init__(
            client_id=ClientId("LIVE"),
            venue=Venue("LIVE"),
            oms_type=OmsType.NETTING,
            account_type=AccountType.MARGIN,
            base_currency=None,
            msgbus=engine.kernel.msgbus,
            cache=engine.kernel.cache,
            clock=engine.kernel.clock,
        )
        self.commands: list = []

    def submit_order(self, command) -> None:
        self.commands.append(command)

    def submit_order_list(self, command) -> None:
        self.commands.append(command)

    def modify_order(self, command) -> None:
        self.commands.append(command)

    def cancel_order(self, command) -> None:
        self.commands.append(command)

    def cancel_all_orders(self, command) -> None:
        self.commands.append(command)

    def batch_cancel_orders(self, command) -> None:
        self.commands.append(command)


@pytest.fixture(scope="module")
def synthetic_two_days(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth-routing") / "rec"
    synthesize(11, path, days=2)
    return path


def _replay_with_live_client(data: Path, out: Path, mode: str) -> tuple[dict, RecordingLiveClient]:
    live: list[RecordingLiveClient] = []

    def add_live_client(engine) -> None:
        live.append(RecordingLiveClient(engine))
        engine.kernel.exec_engine.register_client(live[0])

    cfg = load_config(overrides=["replay.progress=false", f"mode={mode}", "execution.live_client_id=LIVE"])
    report = run_replay(cfg, data=data, out=out, engine_hook=add_live_client)
    return report, live[0]


def test_demo_orders_go_to_the_paper_venue_only(synthetic_two_days, tmp_path):
    report, live = _replay_with_live_client(synthetic_two_days, tmp_path / "demo", "demo")
    assert live.commands == []
    assert report["counters"]["entries_paper"] > 0 and "entries_live" not in report["counters"]
    assert report["fills"] > 0  # the paper (backtest) venue filled them


def test_full_mode_orders_go_to_the_live_client(synthetic_two_days, tmp_path):
    report, live = _replay_with_live_client(synthetic_two_days, tmp_path / "full", "full")
    submits = [c for c in live.commands if isinstance(c, SubmitOrder | SubmitOrderList)]
    assert len(submits) == report["counters"]["entries_live"] > 0
    assert all(c.client_id == ClientId("LIVE") for c in submits)
    assert report["fills"] == 0  # nothing reached the simulated venue


def test_unregistered_client_id_is_refused_before_any_order(synthetic_two_days, tmp_path):
    cfg = load_config(overrides=["replay.progress=false", "execution.live_client_id=NOPE"])
    with pytest.raises(EngineError, match="live_client_id"):
        run_replay(cfg, data=synthetic_two_days, out=tmp_path / "x")


def test_route_for_refuses_demo_that_would_fall_back_to_a_live_venue():
    with pytest.raises(RoutingError, match="paper_client_id"):
        route_for("demo", ExecutionConfig(), venue_is_paper=False)
    assert (
        route_for("demo", ExecutionConfig(paper_client_id="SANDBOX"), venue_is_paper=False).client_id
        == "SANDBOX"
    )
    assert route_for("micro", ExecutionConfig(live_client_id="IB"), venue_is_paper=False).live is True
    with pytest.raises(RoutingError):
        route_for("full", ExecutionConfig(paper_client_id="X", live_client_id="X"), venue_is_paper=True)
