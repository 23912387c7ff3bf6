"""``orders`` and ``fills`` topics, keyed by instrument.

Sizes before and after risk are fractions of NAV, as in the immutable trade log; quantities and prices in
fills are venue units. ``client_order_id`` is deterministic, so a restarted node recognises its orders.
"""

from __future__ import annotations

import msgspec

from schemas.common import SCHEMA_VERSION, Mode, NavFraction, Side, TimestampNs


class OrderIntent(msgspec.Struct, tag="order_intent", frozen=True, kw_only=True):
    """An order the node decided to send, after risk clamps.

    Parameters
    ----------
    instrument : str
        Instrument id.
    ts_event : int
        Nanoseconds, UTC, of the decision.
    client_order_id : str
        Deterministic client order id.
    side : {"BUY", "SELL"}
        Direction.
    size_pre : float
        Size (fraction of NAV) the ensemble asked for.
    size_post_risk : float
        Size (fraction of NAV) after risk clamps; never above ``size_pre``.
    price_ref : float
        Reference price (last close or mid) the size was converted at.
    reason_tags : tuple[str, ...]
        Tags from the decision and the clamps.
    policy_version : str
        Policy epoch.
    mode : {"demo", "micro", "limited", "full"}
        Where the order goes.
    """

    schema_version: int = SCHEMA_VERSION
    instrument: str
    ts_event: TimestampNs
    client_order_id: str
    side: Side
    size_pre: NavFraction
    size_post_risk: NavFraction
    price_ref: float
    reason_tags: tuple[str, ...]
    policy_version: str
    mode: Mode


class Fill(msgspec.Struct, tag="fill", frozen=True, kw_only=True):
    """One execution of an order.

    Parameters
    ----------
    instrument : str
        Instrument id.
    ts_event : int
        Nanoseconds, UTC, of the execution.
    client_order_id, venue_order_id : str
        Order ids on our side and the venue's.
    side : {"BUY", "SELL"}
        Direction.
    quantity : float
        Executed quantity, venue units.
    price : float
        Execution price.
    commission : float
        Commission charged, in the instrument's quote currency.
    position_id : str
        Nautilus position id the fill belongs to.
    """

    schema_version: int = SCHEMA_VERSION
    instrument: str
    ts_event: TimestampNs
    client_order_id: str
    venue_order_id: str
    side: Side
    quantity: float
    price: float
    commission: float
    position_id: str


OrderEvent = OrderIntent
"""Value type of the ``orders`` topic."""

FillEvent = Fill
"""Value type of the ``fills`` topic."""
