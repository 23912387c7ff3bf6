"""Delivery logs that survive a restart: Redis (``SET NX`` with a TTL) or an append-only file (local runs).

``mark`` answers whether this call recorded the delivery (``False``: it was already recorded, e.g. by
another subscriber instance after a rebalance).
"""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis


class RedisDeliveryLog:
    """``SET <prefix>alerts:delivered:<sink>:<id> 1 NX EX <ttl_s>`` (default 7 days)."""

    def __init__(self, url: str, prefix: str, ttl_s: int = 7 * 86400) -> None:
        self._redis = aioredis.Redis.from_url(url)
        self._prefix = f"{prefix}alerts:delivered:"
        self._ttl = ttl_s

    def key(self, sink: str, alert_id: str) -> str:
        """The Redis key of one delivery."""
        return f"{self._prefix}{sink}:{alert_id}"

    async def seen(self, sink: str, alert_id: str) -> bool:
        return bool(await self._redis.exists(self.key(sink, alert_id)))

    async def mark(self, sink: str, alert_id: str) -> bool:
        return bool(await self._redis.set(self.key(sink, alert_id), b"1", nx=True, ex=self._ttl))

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

    async def mark(self, sink: str, alert_id: str) -> bool:
        if (sink, alert_id) in self._seen:
            return False
        self._seen.add((sink, alert_id))
        self._file.write(f"{sink}\t{alert_id}\n")
        self._file.flush()
        return True

    async def aclose(self) -> None:
        self._file.close()
