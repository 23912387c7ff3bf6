"""GPT-5 through the official ``openai`` client (chat completions with a strict JSON-schema response format).

Retries are off (``max_retries=0``): every HTTP request is one call of the daily budget, and the processor,
not the client, decides what to do after a failure. Library exceptions become the engine's reasoner errors
here, at the edge.
"""

from __future__ import annotations

from typing import Any

import openai

from adapters.llm.parsing import strip_fence
from engine.escalation.errors import ReasonerRefusedError, ReasonerUnavailableError


class OpenAIReasoner:
    """:class:`~engine.escalation.ports.Reasoner` on the OpenAI chat-completions API.

    Parameters
    ----------
    model : str
        Model name (``escalation.openai_model``, ``gpt-5``).
    api_key : str
        API key (``OPENAI_API_KEY``).
    base_url : str or None
        API base URL; ``None`` uses ``OPENAI_BASE_URL`` or the OpenAI default.
    timeout_s : float
        Per-request timeout.
    """

    name = "gpt5"

    def __init__(self, *, model: str, api_key: str, base_url: str | None, timeout_s: float) -> None:
        self.model = model
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)

    def ask(self, messages: list[dict[str, str]], schema: dict[str, Any], schema_name: str) -> bytes:
        """One chat completion; the answer's JSON bytes.

        Raises
        ------
        ReasonerUnavailableError
            Timeout, connection failure, 429 or any other HTTP error status.
        ReasonerRefusedError
            The model refused, or stopped without content.
        """
        try:
            completion = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": schema_name, "strict": True, "schema": schema},
                },
            )
        except openai.APITimeoutError as e:
            raise ReasonerUnavailableError(f"{self.model}: timeout") from e
        except openai.RateLimitError as e:
            raise ReasonerUnavailableError(f"{self.model}: HTTP 429 rate limited", retry_after=60.0) from e
        except openai.APIStatusError as e:
            raise ReasonerUnavailableError(f"{self.model}: HTTP {e.status_code}") from e
        except openai.APIError as e:  # connection errors, undecodable responses
            raise ReasonerUnavailableError(f"{self.model}: {type(e).__name__}: {e}") from e
        if not completion.choices:
            raise ReasonerRefusedError(f"{self.model}: no choices in the response")
        message = completion.choices[0].message
        if getattr(message, "refusal", None):
            raise ReasonerRefusedError(f"{self.model} refused: {message.refusal[:200]}")
        if not message.content:
            raise ReasonerRefusedError(
                f"{self.model}: empty answer (finish {completion.choices[0].finish_reason})"
            )
        return strip_fence(message.content)

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()
