"""Fixtures for escalation tests: the scripted LLM server and a Redis key prefix cleaned up after.

Import them into a test module (``from llm_fixtures import llm_server, redis_prefix``) rather than from the
shared conftest, so this file stays local to the escalation work.
"""

from __future__ import annotations

import uuid

import pytest
import redis
from llm_server import ScriptedLlmServer

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def llm_server():
    """A scripted OpenAI + Ollama HTTP server on loopback (see ``tests/llm_server.py``)."""
    server = ScriptedLlmServer().start()
    yield server
    server.stop()


@pytest.fixture
def redis_prefix():
    """A fresh Redis key prefix on the local server; every key under it is deleted after the test."""
    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()
