"""Escalation fixtures: the scripted LLM server and a Redis key prefix."""

from llm_fixtures import llm_server, redis_prefix  # noqa: F401
