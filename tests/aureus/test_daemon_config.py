"""The daemon's configuration: env overrides below --set, Redis URL parsing, demo and live node configs."""

from __future__ import annotations

import pytest

from aureus.cli_run import load_daemon_config
from aureus.paths import REPO_ROOT, resolve_repo_path
from aureus.runtime.node import load_instrument_specs, node_config, redis_database
from engine.errors import ConfigError


def test_env_overrides_the_file_and_set_overrides_the_env(monkeypatch):
    monkeypatch.setenv("AUREUS_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("AUREUS_REDIS_URL", "redis://redis:6380/0")
    cfg = load_daemon_config(None, [])
    assert cfg.kafka.bootstrap_servers == "kafka:9092" and cfg.store.redis_url == "redis://redis:6380/0"
    cfg = load_daemon_config(None, ['kafka.bootstrap_servers="other:1"'])
    assert cfg.kafka.bootstrap_servers == "other:1"


def test_redis_database_from_url():
    db = redis_database("redis://user:pw@example:6390/0")
    assert (db.host, db.port, db.username, db.password, db.ssl) == ("example", 6390, "user", "pw", False)
    with pytest.raises(ConfigError, match="store.redis_url"):
        redis_database("http://nope")


def test_demo_node_has_kafka_data_and_a_sandbox_per_venue():
    cfg = load_daemon_config(None, ['daemon.instruments="configs/instruments/btcusdt-binance.json"'])
    specs = load_instrument_specs(resolve_repo_path(cfg.daemon.instruments))
    nc = node_config(cfg, specs, "demo", log_level="ERROR")
    assert list(nc.data_clients) == ["KAFKA"] and list(nc.exec_clients) == ["BINANCE"]
    sandbox = nc.exec_clients["BINANCE"]
    assert sandbox.starting_balances == ["100000.00 USDT"] and sandbox.bar_execution
    assert nc.data_clients["KAFKA"].bar_types == ("BTCUSDT.BINANCE-1-MINUTE-LAST-EXTERNAL",)
    assert nc.cache.database.host == "127.0.0.1"


def test_shipped_live_testnet_config_validates_and_builds():
    cfg = load_daemon_config(REPO_ROOT / "configs" / "live-binance-testnet.toml", [])
    specs = load_instrument_specs(resolve_repo_path(cfg.daemon.instruments))
    nc = node_config(cfg, specs, "live", log_level="ERROR")
    client = nc.exec_clients["BINANCE"]
    assert client.environment.value == "TESTNET" and client.account_type.value == "SPOT"


def test_live_without_an_adapter_is_refused():
    cfg = load_daemon_config(None, ['daemon.instruments="configs/instruments/btcusdt-binance.json"'])
    specs = load_instrument_specs(resolve_repo_path(cfg.daemon.instruments))
    with pytest.raises(ConfigError, match="daemon.live.adapter"):
        node_config(cfg, specs, "live", log_level="ERROR")


def test_instruments_must_be_named():
    with pytest.raises(ConfigError, match="daemon.instruments"):
        load_instrument_specs("")
