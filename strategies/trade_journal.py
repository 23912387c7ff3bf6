"""Trade-log entries and model summaries for the meta-ensemble strategy (no Nautilus state of its own)."""

from __future__ import annotations

import math

from nautilus_trader.model.enums import OrderSide

from schemas.orders import Fill
from schemas.recording import InstrumentSpec
from schemas.tradelog import TradeLogEntry, iso_utc
from strategies.order_ids import EntryRecord

NO_ENTRY = EntryRecord(size_pre=math.nan, size_post=math.nan, reason_tags=(), mode="", route="", atr=math.nan)


def trade_entry(
    spec: InstrumentSpec,
    entry: EntryRecord | None,
    *,
    mode: str,
    policy_version: str,
    trade_id: str,
    entry_side,
    entry_px,
    exit_px,
    ts_opened: int,
    ts_closed: int | None,
    pnl: float | None,
    position=None,
) -> TradeLogEntry:
    """One immutable trade-log line; ``entry`` is the decision that opened the position (``None`` if unknown).

    The mode is the one the position was opened in (demo on quarantine and post-kill days). ``position``
    (the Nautilus position of this trade) gives its quantity, fees and fill count.
    """
    entry = entry or NO_ENTRY
    digits = spec.price_precision + 2  # average of fills: keep 2 extra digits
    return TradeLogEntry(
        timestamp=iso_utc(ts_opened),
        mode=entry.mode or mode,
        symbol=spec.instrument_id,
        direction="BUY" if entry_side == OrderSide.BUY else "SELL",
        size_pre=entry.size_pre,
        size_post_risk=entry.size_post,
        entry_price=round(float(entry_px), digits),
        exit_price=None if exit_px is None else round(float(exit_px), digits),
        reason_tags=tuple(entry.reason_tags),
        policy_version=policy_version,
        trade_id=trade_id,
        exit_timestamp=None if ts_closed is None else iso_utc(ts_closed),
        realized_pnl=pnl,
        quantity=None if position is None else float(position.peak_qty),
        fees=None if position is None else float(sum(m.as_decimal() for m in position.commissions())),
        fill_count=None if position is None else position.event_count,
    )


def fill_message(event, position_id: str) -> Fill:
    """The ``fills`` topic message of a Nautilus ``OrderFilled`` event."""
    return Fill(
        instrument=event.instrument_id.value,
        ts_event=event.ts_event,
        client_order_id=event.client_order_id.value,
        venue_order_id=event.venue_order_id.value,
        side="BUY" if event.order_side == OrderSide.BUY else "SELL",
        quantity=float(event.last_qty),
        price=float(event.last_px),
        commission=event.commission.as_double(),
        position_id=position_id,
    )


def model_summary(models, ppo) -> dict:
    """Name -> version, provider and sha256 of every model in use (``None`` for an absent one)."""
    summary: dict = {}
    for name in models.names:
        m = models.manifest(name)
        summary[name] = {"version": m.version, "provider": models.providers[name], "sha256": m.onnx_sha256}
    summary["ppo_size_hint"] = (
        None
        if ppo is None
        else {"version": ppo.manifest.version, "provider": ppo.provider, "sha256": ppo.manifest.onnx_sha256}
    )
    return summary
