"""The audit worker: ``orders``, ``fills``, ``risk``, ``control`` (``audit.topics``) -> ledger -> ``audit``.

The ledger file is the source of truth. Each event is appended (a redelivered one is recognised by its
kind and canonical bytes and not appended again), the ledger is flushed and fsynced, and only then are
the new records published to ``audit`` and the offsets allowed to move on. At start the worker publishes
any ledger record the ``audit`` topic does not have (a crash between the flush and the publish), so the
topic can hold records out of ``seq`` order; readers order by ``seq``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import faust
import structlog

from adapters.audit.ledger import LedgerWriter, read_ledger
from engine.config import AureusConfig
from schemas.audit import AuditRecord
from schemas.codec import decode, encode
from schemas.dlq import DeadLetter
from schemas.errors import SchemaDecodeError
from streams.audit.processor import audit_entry
from streams.faust_app import DeadLetterOutbox, create_base_app, read_topic, topic, topic_prefix

log = structlog.get_logger("aureus.audit")
WORKER = "audit"


async def publish_missing(app: faust.App, config: AureusConfig, ledger: Path) -> int:
    """Publish every ledger record the ``audit`` topic lacks (gaps included: without an idempotent
    producer a failed batch can be missing while a later one arrived); returns how many."""
    present = set()
    for raw in await read_topic(config, "audit"):
        try:
            present.add(decode("audit", raw).seq)
        except SchemaDecodeError:
            continue
    out = topic(app, config, "audit")
    pending = []
    for record in read_ledger(ledger) if ledger.exists() else ():
        if record.seq not in present:
            pending.append(await out.send(key=b"ledger", value=encode("audit", record)))
    await asyncio.gather(*pending)
    return len(pending)


def create_app(config: AureusConfig) -> faust.App:
    """Build the audit worker app (the ledger writer is opened here, once)."""
    app = create_base_app(WORKER, config)
    ledger_path = Path(config.audit.ledger_path)
    writer = LedgerWriter(ledger_path)
    sources = app.topic(
        *(topic_prefix(config) + t for t in config.audit.topics),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    audit_topic = topic(app, config, "audit")
    state = {"caught_up": False}
    unpublished: dict[int, AuditRecord] = {}
    dead_letters = DeadLetterOutbox(app, config, WORKER)

    @app.agent(sources)
    async def record(stream):
        async for events in stream.take_events(256, within=0.2):
            if not state["caught_up"]:
                await audit_topic.maybe_declare()
                await dead_letters.restore(list(config.audit.topics))
                sent = await publish_missing(app, config, ledger_path)
                state["caught_up"] = True
                log.info("audit_worker_caught_up", republished=sent, last_seq=writer.last and writer.last.seq)
            appended: list[AuditRecord] = []
            for event in events:
                name = event.message.topic.removeprefix(topic_prefix(config))
                entry = audit_entry(name, event.key, event.value)
                if isinstance(entry, DeadLetter):
                    await dead_letters.send(
                        SchemaDecodeError(entry.error, topic=name, raw=event.value), event
                    )
                    continue
                rec = writer.append(ts_event=entry.ts_event, kind=entry.kind, payload=entry.payload)
                if rec is not None:
                    appended.append(rec)
            writer.flush()
            unpublished.update((rec.seq, rec) for rec in appended)
            # Acked before the offsets may be committed. A failed send keeps its records for the next batch:
            # the ledger already holds them, so a redelivered event would not bring them back.
            batch = sorted(unpublished.items())
            try:
                pending = [await audit_topic.send(key=b"ledger", value=encode("audit", r)) for _, r in batch]
                await asyncio.gather(*pending)
            except Exception as e:  # noqa: BLE001 - any producer failure: retried with the next batch
                log.warning("audit_publish_failed", error=str(e), pending=len(unpublished))
            else:
                for seq, _ in batch:
                    unpublished.pop(seq, None)
            log.info(
                "audit_batch",
                appended=len(appended),
                last_seq=writer.last and writer.last.seq,
                unpublished=len(unpublished),
            )
            yield len(appended)

    return app
