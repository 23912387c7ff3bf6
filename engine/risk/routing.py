"""Which execution client an order goes to, by rollout stage: demo never reaches a live client.

Nautilus routes a command by its explicit ``client_id`` first and falls back to the venue's client when that
id is unknown or absent. A demo order therefore must name the paper client explicitly, unless every venue
client is itself paper (replay: the backtest venue simulates fills). :func:`route_for` refuses the one
dangerous combination rather than trusting the fallback.
"""

from __future__ import annotations

import msgspec

from engine.config import ExecutionConfig
from engine.errors import EngineError


class RoutingError(EngineError):
    """A configuration under which a demo order could reach a live execution client."""


class Route(msgspec.Struct, frozen=True, kw_only=True):
    """Target of an order: ``client_id`` ``None`` routes by venue."""

    client_id: str | None
    live: bool


def route_for(mode: str, execution: ExecutionConfig, *, venue_is_paper: bool) -> Route:
    """The execution route for new orders in ``mode``.

    Parameters
    ----------
    mode : {"demo", "micro", "limited", "full"}
        Effective rollout stage (quarantine and post-kill days are already ``demo``).
    execution : ExecutionConfig
        Configured paper and live client ids (empty: route by venue).
    venue_is_paper : bool
        Whether the venue clients are simulated (backtest replay, sandbox-only node).

    Raises
    ------
    RoutingError
        Demo with no paper client while venue routing reaches a live client, or the paper and live ids
        being the same client.
    """
    paper, live = execution.paper_client_id, execution.live_client_id
    if paper and paper == live:
        raise RoutingError(f"execution.paper_client_id and live_client_id are both {paper!r}")
    if mode == "demo":
        if paper:
            return Route(client_id=paper, live=False)
        if venue_is_paper:
            return Route(client_id=None, live=False)
        raise RoutingError(
            "demo mode needs execution.paper_client_id: venue routing would reach the live execution client"
        )
    return Route(client_id=live or None, live=not venue_is_paper or bool(live))
