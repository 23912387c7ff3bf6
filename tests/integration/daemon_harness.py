"""Run ``aureus run`` as a subprocess against the test broker and Redis, and read what it published."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import redis
from aiokafka import AIOKafkaConsumer, TopicPartition
from typer.testing import CliRunner

from aureus.cli import _mount_subcommands, app
from aureus.paths import REPO_ROOT
from schemas import codec

BTCUSDT = (
    REPO_ROOT.parent / "shared" / "data" / "crypto_1m_2023-03_binanceus" / "BTCUSDT_1m_20230301_20230321.csv"
)
BARS = 2 * 1440

_mount_subcommands()


def invoke(*args: str) -> str:
    """Run the CLI in-process; fail the test on a non-zero exit."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Daemon:
    """One daemon configuration (its prefix, group, trader id and Redis keys are the test's own)."""

    bootstrap: str
    prefix: str
    instruments: Path
    out_dir: Path
    trader_id: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log: Path | None = None
    extra: tuple[str, ...] = ()
    """More ``key=value`` overrides, after the harness's own."""

    @property
    def group(self) -> str:
        return self.prefix + "node"

    def sets(self) -> list[str]:
        pairs = {
            "kafka.bootstrap_servers": f'"{self.bootstrap}"',
            "kafka.topic_prefix": f'"{self.prefix}"',
            "kafka.group_id": f'"{self.group}"',
            "kafka.enable_idempotence": "false",
            "daemon.instruments": f'"{self.instruments}"',
            "daemon.trader_id": f'"{self.trader_id}"',
            "daemon.out_dir": f'"{self.out_dir}"',
            "daemon.http_port": str(self.port),
            "store.backend": '"redis"',
            "store.key_prefix": f'"{self.prefix}"',
        }
        return [arg for k, v in pairs.items() for arg in ("--set", f"{k}={v}")] + [
            arg for kv in self.extra for arg in ("--set", kv)
        ]

    def start(self) -> None:
        self.log = self.out_dir.parent / f"{self.trader_id}-{time.monotonic_ns()}.log"
        handle = self.log.open("wb")
        cmd = [
            sys.executable,
            "-m",
            "aureus",
            "run",
            "--mode",
            "demo",
            "--log-level",
            "WARNING",
            *self.sets(),
        ]
        self.process = subprocess.Popen(
            cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=handle, env=os.environ
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError:
            return 0, ""

    def metric(self, name: str, **labels: str) -> float:
        want = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
        for line in self.get("/metrics")[1].splitlines():
            if line.startswith(want + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def wait(self, predicate, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(
                    f"daemon exited ({self.process.returncode}) waiting for {what}: {self.tail()}"
                )
            if predicate():
                return
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}: {self.tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 60) -> tuple[int, str]:
        assert self.process is not None
        self.process.send_signal(sig)
        out, _ = self.process.communicate(timeout=timeout_s)
        return self.process.returncode, out.decode()

    def tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log and self.log.exists() else ""

    def cleanup_redis(self) -> None:
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for pattern in (f"trader-{self.trader_id}:*", f"{self.prefix}*"):
            keys = list(client.scan_iter(pattern))
            if keys:
                client.delete(*keys)


def read_topic(bootstrap: str, topic: str, idle_s: float = 2.0) -> list:
    """Every message of ``topic`` (decoded), read until ``idle_s`` without a message."""

    async def go() -> list:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
        )
        await consumer.start()
        out, last = [], time.monotonic()
        try:
            while time.monotonic() - last < idle_s:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    out.extend(records)
                    last = time.monotonic()
        finally:
            await consumer.stop()
        return out

    return asyncio.run(go())


def committed(bootstrap: str, group: str, topic: str) -> int | None:
    async def go():
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            return await consumer.committed(TopicPartition(topic, 0))
        finally:
            await consumer.stop()

    return asyncio.run(go())


def decoded(bootstrap: str, prefix: str, topic: str) -> list:
    return [codec.decode(topic, r.value) for r in read_topic(bootstrap, prefix + topic)]


def summary(stdout: str) -> dict:
    return json.loads(stdout[stdout.index("{") :])
