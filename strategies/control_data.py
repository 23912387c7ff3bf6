"""``control`` messages as Nautilus custom data, so the node hands them to the strategy on its own loop.

The Kafka data client wraps each ``control`` record as ``ControlData(payload=<the record's JSON>)``; the
strategy decodes and applies it (:meth:`strategies.meta_ensemble.MetaEnsembleStrategy.apply_control`).

No ``from __future__ import annotations`` here: ``customdataclass`` needs real annotation types.
"""

from nautilus_trader.core.data import Data
from nautilus_trader.model.custom import customdataclass
from nautilus_trader.model.data import DataType
from nautilus_trader.model.identifiers import ClientId

CONTROL_CLIENT_ID = ClientId("CONTROL")


@customdataclass
class ControlData(Data):
    """One ``control`` record, still encoded (JSON text of a ``schemas.control.Control`` message)."""

    payload: str = ""


CONTROL_DATA_TYPE = DataType(ControlData)
