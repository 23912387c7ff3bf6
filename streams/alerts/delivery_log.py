"""Delivery logs that survive a restart: Redis (the daemon) or an append-only file (local runs)."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis


class RedisDeliveryLog:
    """``SET <prefix>alerts:delivered:<sink>:<id>`` with a TTL (default 7 days)."""

    def __init__(self, url: str, prefix: str, ttl_s: int = 7 * 86400) -> None:
        self._redis = aioredis.Redis.from_url(url)
        self._prefix = f"{prefix}alerts:delivered:"
        self._ttl = ttl_s

    async def seen(self, sink: str, alert_id: str) -> bool:
        return bool(await self._redis.exists(f"{self._prefix}{sink}:{alert_id}"))

    async def mark(self, sink: str, alert_id: str) -> None:
        await self._redis.set(f"{self._prefix}{sink}:{alert_id}", b"1", ex=self._ttl)

    async def aclose(self) -> None:
        await self._redis.aclose()


class FileDeliveryLog:
    """One ``sink\\tid`` line per delivery, appended and flushed before the offset moves on."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._seen = set()
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                sink, _, ident = line.rpartition("\t")
                if ident:
                    self._seen.add((sink, ident))
        self._file = self.path.open("a")

    async def seen(self, sink: str, alert_id: str) -> bool:
        return (sink, alert_id) in self._seen

    async def mark(self, sink: str, alert_id: str) -> None:
        self._seen.add((sink, alert_id))
        self._file.write(f"{sink}\t{alert_id}\n")
        self._file.flush()

    async def aclose(self) -> None:
        self._file.close()
