"""The local reasoner (Qwen2.5-14B-Instruct by default) through the official ``ollama`` client.

The answer schema goes in ``format=``; Ollama's enforcement of it is known to slip on some models and
backends, so the processor validates every answer again with msgspec.
"""

from __future__ import annotations

from typing import Any

import httpx
import ollama

from adapters.llm.parsing import strip_fence
from engine.escalation.errors import ReasonerRefusedError, ReasonerUnavailableError


class OllamaReasoner:
    """:class:`~engine.escalation.ports.Reasoner` on Ollama's ``/api/chat``.

    Parameters
    ----------
    model : str
        Model tag (``escalation.ollama_model``).
    host : str or None
        Server URL; ``None`` uses ``OLLAMA_HOST`` or ``http://127.0.0.1:11434``.
    timeout_s : float
        Per-request timeout.
    """

    name = "ollama"

    def __init__(self, *, model: str, host: str | None, timeout_s: float) -> None:
        self.model = model
        self._client = ollama.Client(host=host, timeout=timeout_s)

    def ask(self, messages: list[dict[str, str]], schema: dict[str, Any], schema_name: str) -> bytes:
        """One chat turn at temperature 0; the answer's JSON bytes.

        Raises
        ------
        ReasonerUnavailableError
            Timeout, connection failure, or an HTTP error status from the server.
        ReasonerRefusedError
            An empty answer.
        """
        try:
            response = self._client.chat(
                model=self.model, messages=messages, format=schema, options={"temperature": 0}
            )
        except ollama.ResponseError as e:
            raise ReasonerUnavailableError(f"{self.model}: HTTP {e.status_code}: {e.error[:200]}") from e
        except httpx.TimeoutException as e:
            raise ReasonerUnavailableError(f"{self.model}: timeout") from e
        except (httpx.HTTPError, ConnectionError) as e:
            raise ReasonerUnavailableError(f"{self.model}: {type(e).__name__}: {e}") from e
        content = response.message.content if response.message else None
        if not content or not content.strip():
            raise ReasonerRefusedError(f"{self.model}: empty answer")
        return strip_fence(content)
