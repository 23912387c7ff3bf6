"""Alert sinks. Each has ``name`` and ``async send(alert, alert_id)``; failures raise
:class:`~adapters.alerts.errors.SinkTemporaryError` (retry) or :class:`~adapters.alerts.errors.SinkError`.
"""

from __future__ import annotations

import httpx
import msgspec
from rich.console import Console

from adapters.alerts.errors import SinkError, SinkRateLimitedError, SinkTemporaryError
from schemas.alerts import Alert

_STYLE = {"info": "cyan", "warning": "yellow", "critical": "bold red"}


def alert_text(alert: Alert) -> str:
    """One-line text of an alert: ``[SEVERITY] code: message #tags``; the message is kept word for word."""
    tags = " ".join(f"#{t}" for t in alert.tags)
    return f"[{alert.severity.upper()}] {alert.code}: {alert.message}" + (f" {tags}" if tags else "")


class ConsoleSink:
    """Prints alerts with rich (colour by severity)."""

    def __init__(self, console: Console | None = None, name: str = "console") -> None:
        self.console = console or Console()
        self.name = name

    async def send(self, alert: Alert, alert_id: str) -> None:
        """Print one alert."""
        self.console.print(alert_text(alert), style=_STYLE[alert.severity], markup=False, highlight=False)


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.status_code < 300:
        return
    retry_after = None
    try:
        body = response.json()
        retry_after = body.get("parameters", {}).get("retry_after") if isinstance(body, dict) else None
    except ValueError:
        pass
    if retry_after is None and "retry-after" in response.headers:
        try:
            retry_after = float(response.headers["retry-after"])
        except ValueError:
            retry_after = None
    message = f"{what}: HTTP {response.status_code} {response.text[:200]}"
    if response.status_code == 429:
        raise SinkRateLimitedError(message, retry_after=retry_after)
    if response.status_code >= 500:
        raise SinkTemporaryError(message, retry_after=retry_after)
    raise SinkError(message)


class _HttpSink:
    def __init__(self, timeout_s: float, client: httpx.AsyncClient | None) -> None:
        self._client = client or httpx.AsyncClient(timeout=timeout_s)

    async def _post(self, url: str, what: str, **kwargs) -> httpx.Response:
        try:
            response = await self._client.post(url, **kwargs)
        except httpx.TransportError as e:  # connect/read/write errors and timeouts
            raise SinkTemporaryError(f"{what}: {type(e).__name__}: {e}") from e
        _raise_for(response, what)
        return response

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


class WebhookSink(_HttpSink):
    """POSTs the alert as JSON (its wire form plus ``id`` and ``text``) with an ``Idempotency-Key`` header,
    so a receiver can drop a repeat delivered after a crash.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 5.0,
        client: httpx.AsyncClient | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(timeout_s, client)
        self.url = url
        self.name = name or f"webhook:{url}"

    async def send(self, alert: Alert, alert_id: str) -> None:
        """POST one alert."""
        body = msgspec.to_builtins(alert) | {"id": alert_id, "text": alert_text(alert)}
        await self._post(self.url, self.name, json=body, headers={"Idempotency-Key": alert_id})


class TelegramSink(_HttpSink):
    """Telegram Bot API: ``POST {api}/bot<token>/sendMessage`` with ``chat_id`` and ``text``."""

    def __init__(
        self,
        token: str,
        chat_id: str,
        *,
        api_url: str = "https://api.telegram.org",
        timeout_s: float = 5.0,
        client: httpx.AsyncClient | None = None,
        name: str = "telegram",
    ) -> None:
        if not token or not chat_id:
            raise SinkError(
                "telegram sink needs a bot token and a chat id (config alerts.telegram_* or "
                "AUREUS_TELEGRAM_TOKEN / AUREUS_TELEGRAM_CHAT_ID)"
            )
        super().__init__(timeout_s, client)
        self._url = f"{api_url.rstrip('/')}/bot{token}/sendMessage"
        self.chat_id = chat_id
        self.name = name

    async def send(self, alert: Alert, alert_id: str) -> None:
        """Send one alert as a message; Telegram's ``{"ok": false}`` counts as a failure."""
        response = await self._post(
            self._url, self.name, json={"chat_id": self.chat_id, "text": alert_text(alert)}
        )
        try:
            ok = response.json().get("ok") is True
        except ValueError:
            ok = False
        if not ok:
            raise SinkError(f"{self.name}: Bot API answered without ok=true: {response.text[:200]}")
