"""Scored news as Nautilus custom data (``news.scored`` inside the engine).

No ``from __future__ import annotations`` here: ``customdataclass`` needs real annotation types.
"""

from nautilus_trader.core.data import Data
from nautilus_trader.model.custom import customdataclass
from nautilus_trader.model.data import DataType
from nautilus_trader.model.identifiers import ClientId

NEWS_CLIENT_ID = ClientId("NEWS")


@customdataclass
class ScoredNewsData(Data):
    """One scored headline for one instrument; ``sentiment`` in [-1, 1], ``relevance`` in [0, 1]."""

    instrument: str = ""
    sentiment: float = 0.0
    relevance: float = 1.0
    news_id: str = ""


NEWS_DATA_TYPE = DataType(ScoredNewsData)
