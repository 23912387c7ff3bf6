"""A loopback HTTP server speaking a webhook receiver and the Telegram Bot API ``sendMessage``."""

from __future__ import annotations

import asyncio

from aiohttp import web

TOKEN = "123456:TEST-token"
CHAT_ID = "-100777"


class Loopback:
    """Records what it receives; ``fail_next`` scripts failures: ``[(status, retry_after), ...]``."""

    def __init__(self) -> None:
        self.webhook: list[dict] = []
        self.webhook_keys: list[str] = []
        self.telegram: list[dict] = []
        self.fail_next: dict[str, list[tuple[int, int | None]]] = {"webhook": [], "telegram": []}
        self.app = web.Application()
        self.app.router.add_post("/hook", self._hook)
        self.app.router.add_post(f"/bot{TOKEN}/sendMessage", self._send_message)
        self.delay_s = 0.0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def _scripted(self, which: str) -> web.Response | None:
        if not self.fail_next[which]:
            return None
        status, retry_after = self.fail_next[which].pop(0)
        if which == "telegram":
            body = {
                "ok": False,
                "error_code": status,
                "description": "Too Many Requests" if status == 429 else "err",
            }
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
            return web.json_response(body, status=status)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return web.Response(status=status, text="scripted failure", headers=headers)

    async def _hook(self, request: web.Request) -> web.Response:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if (failure := self._scripted("webhook")) is not None:
            return failure
        self.webhook.append(await request.json())
        self.webhook_keys.append(request.headers.get("Idempotency-Key", ""))
        return web.json_response({"received": True})

    async def _send_message(self, request: web.Request) -> web.Response:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if (failure := self._scripted("telegram")) is not None:
            return failure
        body = await request.json()
        if str(body.get("chat_id")) != CHAT_ID or not body.get("text"):
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request"}, status=400
            )
        self.telegram.append(body)
        return web.json_response(
            {"ok": True, "result": {"message_id": len(self.telegram), "text": body["text"]}}
        )
