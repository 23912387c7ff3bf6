"""Session-wide fixtures: a real Kafka-protocol broker (tansu), started once and only when a test asks."""

from __future__ import annotations

import uuid

import pytest
from kafka_broker import start_broker


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    """A running tansu broker on a free loopback port (in-memory storage), stopped after the session."""
    broker = start_broker(log_path=tmp_path_factory.mktemp("tansu") / "tansu.log")
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker) -> str:
    """``host:port`` of the session's broker."""
    return kafka_broker.bootstrap


@pytest.fixture
def topic_prefix() -> str:
    """A fresh topic prefix per test, so tests sharing the session broker never see each other's data."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture(autouse=True)
def _structlog_reset():
    """A test that runs the CLI in-process configures structlog onto its captured stream, which pytest
    closes after the test: reset, so later tests never log into a closed file."""
    yield
    import structlog

    structlog.reset_defaults()
