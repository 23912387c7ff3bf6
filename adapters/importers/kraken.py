"""``kraken-ohlc``: Kraken OHLCVT CSV without header: ``unix_s,open,high,low,close,volume,count``.

Kraken only writes minutes with trades, so the file is sparse: bars exist only where trades happened
(no gap filling). The interval comes from the file name (``_1m_``) or else the median step. Symbol from
``--symbol`` or the file name (``kraken_BTCUSDC_1m...`` -> ``BTCUSDC``), venue ``KRAKEN``.
"""

from __future__ import annotations

from pathlib import Path

from adapters.importers.binance import crypto_series
from adapters.importers.common import ImportContext
from adapters.importers.ohlcv import FileStats, OhlcvLayout, interval_from_name, read_ohlcv_file

DEFAULT_VENUE = "KRAKEN"
LAYOUT = OhlcvLayout(time_column=0, value_columns=(1, 2, 3, 4, 5), min_fields=6, max_fields=8)


def read_file(path: Path, ctx: ImportContext) -> FileStats:
    """Import one Kraken OHLCVT file into ``ctx``."""
    series = crypto_series(
        path, ctx, default_venue=DEFAULT_VENUE, skip=("KRAKEN", "OHLC", "OHLCVT"),
        interval_s=interval_from_name(path),
    )  # fmt: skip
    ctx.note("kraken-ohlc: sparse minutes (no trades -> no bar), not gap-filled")
    times = ctx.times(path)
    return read_ohlcv_file(path, ctx, series, LAYOUT, lambda text: times.parse(text, "time"))
