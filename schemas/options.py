"""Option-chain wire type: ``md.options_oi``, the put/call open interest of one underlying (event heat)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from schemas.common import SCHEMA_VERSION, TimestampNs

OpenInterest = Annotated[float, msgspec.Meta(ge=0.0)]


class PutCallOpenInterest(msgspec.Struct, tag="put_call_oi", frozen=True, kw_only=True):
    """Open interest of one underlying's puts and calls at one snapshot.

    Parameters
    ----------
    instrument : str
        The underlying (``DIA``); also the topic key.
    ts_event : int
        Nanoseconds, UTC: when the snapshot was taken.
    put_oi, call_oi : float
        Summed open interest of the underlying's puts and calls (contracts).
    contracts : int
        Option contracts summed.
    """

    schema_version: int = SCHEMA_VERSION
    instrument: str
    ts_event: TimestampNs
    put_oi: OpenInterest
    call_oi: OpenInterest
    contracts: Annotated[int, msgspec.Meta(ge=0)]

    @property
    def ratio(self) -> float | None:
        """Put/call open-interest ratio; ``None`` without call open interest."""
        return self.put_oi / self.call_oi if self.call_oi > 0 else None
