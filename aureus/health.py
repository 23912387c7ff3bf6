"""The daemon's HTTP endpoint: ``/healthz`` (alive), ``/readyz`` (trading), ``/metrics`` (Prometheus)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest


async def start_http(host: str, port: int, ready: Callable[[], tuple[bool, str]]) -> web.AppRunner:
    """Serve the endpoints on ``host:port`` (port 0: any free port; see ``runner.addresses``).

    ``ready()`` returns ``(is_ready, reason)``; ``/readyz`` answers 200 or 503 with the reason.
    """

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(_: web.Request) -> web.Response:
        ok, reason = ready()
        return web.Response(status=200 if ok else 503, text=reason + "\n")

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.add_routes([web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", metrics)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
