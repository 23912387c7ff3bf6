"""Vocabulary shared by the wire types: schema version, sides, actions, modes, severities, call types.

Every topic message carries ``schema_version``; :data:`SUPPORTED_SCHEMA_VERSIONS` lists the values this
build decodes (the codec rejects any other with a clear message). Literal aliases are validated on
decode, so a misspelt side or mode is a decode error, not a silent string.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

SCHEMA_VERSION = 1
"""Schema version written by this build."""

SUPPORTED_SCHEMA_VERSIONS: frozenset[int] = frozenset({1})
"""Schema versions this build can decode."""

Side = Literal["BUY", "SELL"]
"""Order or trade direction."""

Action = Literal["BUY", "SELL", "HOLD"]
"""Meta-ensemble decision."""

Mode = Literal["demo", "micro", "limited", "full"]
"""Rollout stage (seed 001, Go-Live Runbook). ``demo`` orders go to the paper execution client only;
``micro`` trades live at 25 % of caps, long only, no F&O; ``limited`` has the full core bucket with penny
and F&O at half caps; ``full`` has every cap. Quarantine and the day after a kill force ``demo``."""

Severity = Literal["info", "warning", "critical"]
"""Alert severity; also the key of the ``alerts`` topic."""

CallType = Literal["REGIME_AUDITOR", "REWARD_ENGINEER", "SANITY_JUDGE"]
"""Escalation call type; also the key of the ``escalations`` topic."""

TradingState = Literal["ACTIVE", "REDUCING", "HALTED"]
"""Trading state, named as in NautilusTrader's ``TradingState``."""

TimestampNs = Annotated[int, msgspec.Meta(ge=0)]
"""Nanoseconds since the Unix epoch, UTC (Nautilus ``ts_event`` / ``ts_init``)."""

NavFraction = Annotated[float, msgspec.Meta(ge=0.0)]
"""A position size as a fraction of net asset value (0.012 is 1.2 % of NAV)."""

WILDCARD_INSTRUMENT = "*"
"""Instrument value (and ``risk`` topic key) of an event that concerns the whole portfolio."""
