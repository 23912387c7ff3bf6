"""Build the reasoners and the budget from the config and the standard environment variables."""

from __future__ import annotations

import os

from adapters.llm.budget import RedisCallBudget
from adapters.llm.ollama_client import OllamaReasoner
from adapters.llm.openai_client import OpenAIReasoner
from engine.config import AureusConfig

REDIS_URL_ENV = "AUREUS_REDIS_URL"


def build_reasoners(config: AureusConfig) -> tuple[OpenAIReasoner, OllamaReasoner]:
    """GPT-5 and the local reasoner: endpoints from ``escalation.*`` or else ``OPENAI_BASE_URL`` /
    ``OLLAMA_HOST``; the key from ``OPENAI_API_KEY`` (a missing key makes every GPT-5 call fail with
    HTTP 401, which falls back to the local reasoner like any other GPT-5 failure)."""
    e = config.escalation
    gpt5 = OpenAIReasoner(
        model=e.openai_model,
        api_key=os.environ.get("OPENAI_API_KEY", "") or "missing-OPENAI_API_KEY",
        base_url=e.openai_base_url or os.environ.get("OPENAI_BASE_URL") or None,
        timeout_s=e.openai_timeout_s,
    )
    local = OllamaReasoner(
        model=e.ollama_model,
        host=e.ollama_host or os.environ.get("OLLAMA_HOST") or None,
        timeout_s=e.ollama_timeout_s,
    )
    return gpt5, local


def redis_url(config: AureusConfig) -> str:
    """``AUREUS_REDIS_URL`` if set, else the configured store's Redis URL."""
    return os.environ.get(REDIS_URL_ENV) or config.store.redis_url


def build_budget(config: AureusConfig) -> RedisCallBudget:
    """The shared GPT-5 budget in Redis."""
    return RedisCallBudget(redis_url(config), config.store.key_prefix, config.escalation.gpt5_calls_per_day)
