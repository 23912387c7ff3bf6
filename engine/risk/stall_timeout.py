"""How long an instrument may be silent before its feed counts as stalled.

``timeout_bars`` (``risk.data_stall.timeout_bars``) intervals of the instrument's *typical* spacing: the
larger of its bar interval and the 99th percentile of the spacing observed in its data
(:attr:`~schemas.recording.InstrumentSpec.gap_p99_s`). A market with sparse minutes (Kraken writes a bar
only when something traded) or with sessions then raises a stall when it is silent for much longer than
usual, not at every quiet minute.
"""

from __future__ import annotations

from schemas.recording import InstrumentSpec

NS_PER_S = 1_000_000_000


def stall_timeout_ns(spec: InstrumentSpec, timeout_bars: float) -> int:
    """Silence, in nanoseconds, after which ``spec``'s feed counts as stalled."""
    typical_s = max(spec.bar_interval_s, spec.gap_p99_s)
    return int(typical_s * NS_PER_S * timeout_bars)
