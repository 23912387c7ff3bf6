"""LLM edges: the OpenAI (GPT-5) and Ollama (local reasoner) chat clients and the Redis call budget,
implementing the protocols of :mod:`engine.escalation.ports`; :func:`build_reasoners` reads the config."""

from adapters.llm.budget import RedisCallBudget
from adapters.llm.factories import build_budget, build_reasoners
from adapters.llm.ollama_client import OllamaReasoner
from adapters.llm.openai_client import OpenAIReasoner

__all__ = ["OllamaReasoner", "OpenAIReasoner", "RedisCallBudget", "build_budget", "build_reasoners"]
