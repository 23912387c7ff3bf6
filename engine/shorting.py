"""Whether an instrument may be sold short: spot is long only unless the config says otherwise."""

from __future__ import annotations

from engine.config import ShortingConfig

SPOT_KINDS = ("crypto_spot", "equity")


def may_short(kind: str, shorting: ShortingConfig) -> bool:
    """True for a margin kind (``shorting.margin_kinds``), or for a spot kind when ``shorting.spot``."""
    if kind in shorting.margin_kinds:
        return True
    return shorting.spot and kind in SPOT_KINDS
