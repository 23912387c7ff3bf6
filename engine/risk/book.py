"""The book the clamp sees: NAV and one signed delta-equivalent notional per held instrument.

The wiring builds a ``Book`` from the portfolio (positions marked at the last price, F&O multiplied by
delta) right before it asks the clamp about an order. Everything here is a plain loop over a tuple: the
clamp runs before every order, so there is no numpy and no allocation beyond the result.
"""

from __future__ import annotations

import msgspec


class Holding(msgspec.Struct, kw_only=True, frozen=True):
    """One held instrument.

    Parameters
    ----------
    instrument : str
        Instrument id (``"TD.TO"``).
    bucket : str
        Risk bucket: ``core``, ``penny`` or ``fno``.
    sector : str, default ""
        Sector for the sector limits; empty means no sector (never counted in one).
    notional : float
        Signed delta-equivalent notional in the quote currency: long > 0, short < 0.
    """

    instrument: str
    bucket: str
    sector: str = ""
    notional: float


class Book(msgspec.Struct, kw_only=True, frozen=True):
    """Net asset value and holdings; each instrument appears at most once.

    Parameters
    ----------
    nav : float
        Net asset value (net liquidity) in the quote currency.
    holdings : tuple[Holding, ...]
        Current holdings; zero-notional entries are allowed and count as not held.
    """

    nav: float
    holdings: tuple[Holding, ...] = ()

    def gross(self) -> float:
        """Sum of |notional| over all holdings (quote currency)."""
        total = 0.0
        for h in self.holdings:
            total += abs(h.notional)
        return total

    def net(self) -> float:
        """Sum of signed notional over all holdings (quote currency)."""
        total = 0.0
        for h in self.holdings:
            total += h.notional
        return total

    def bucket_gross(self) -> dict[str, float]:
        """Gross notional per bucket (quote currency); buckets without a holding are absent."""
        out: dict[str, float] = {}
        for h in self.holdings:
            out[h.bucket] = out.get(h.bucket, 0.0) + abs(h.notional)
        return out

    def sector_gross(self) -> dict[str, float]:
        """Gross notional per non-empty sector (quote currency)."""
        out: dict[str, float] = {}
        for h in self.holdings:
            if h.sector:
                out[h.sector] = out.get(h.sector, 0.0) + abs(h.notional)
        return out

    def sector_net(self) -> dict[str, float]:
        """Signed net notional per non-empty sector (quote currency)."""
        out: dict[str, float] = {}
        for h in self.holdings:
            if h.sector:
                out[h.sector] = out.get(h.sector, 0.0) + h.notional
        return out

    def count_nonzero(self) -> int:
        """How many holdings have a non-zero notional (the positions held)."""
        count = 0
        for h in self.holdings:
            if h.notional != 0.0:
                count += 1
        return count

    def get(self, instrument: str) -> Holding | None:
        """The holding of ``instrument``, or ``None`` when it is not in the book."""
        for h in self.holdings:
            if h.instrument == instrument:
                return h
        return None

    def notional_of(self, instrument: str) -> float:
        """Signed notional held in ``instrument`` (0.0 when not held)."""
        for h in self.holdings:
            if h.instrument == instrument:
                return h.notional
        return 0.0

    def exposure(self, instrument: str) -> float:
        """Signed exposure of ``instrument`` as a fraction of NAV (0.0 when not held)."""
        return self.notional_of(instrument) / self.nav
