"""Everything the strategy reports goes through here to its one :class:`~engine.sink.EventSink`.

Decisions, order intents, risk events, alerts and the equity row are emitted when they happen, inside the
portfolio step (whose order is fixed: instruments sorted by id). Fills and closed trades arrive from
Nautilus callbacks whose order within one timestamp follows the arrival order of that timestamp's bars;
they are held and emitted at the next portfolio step (or at stop) sorted by time, instrument and the
instrument's own sequence, so the streams never depend on arrival order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from engine.journal import EquityRow, RunJournal
from engine.sink import TRADES, CollectingSink, EventSink, direct_emitter, equity_emitter
from schemas.alerts import Alert
from schemas.orders import Fill, OrderIntent
from schemas.signals import EnsembleDecision
from schemas.topics import ALERTS, FILLS, ORDERS, RISK, SIGNALS


class StrategyOutputs:
    """The strategy's outputs: the sink for messages, the journal for counters.

    Parameters
    ----------
    sink : EventSink, optional
        Where outputs go; ``None`` keeps them in a :class:`~engine.sink.CollectingSink`.
    """

    def __init__(self, sink: EventSink | None = None) -> None:
        self.sink: EventSink = sink if sink is not None else CollectingSink()
        # per step: the sink's own emit_equity where it has one, so no channel dispatch (engine.sink)
        self.equity: Callable[[EquityRow], None] = equity_emitter(self.sink)
        """Emit the portfolio's row for one timestamp (on the ``equity`` channel)."""
        self.decision: Callable[[EnsembleDecision], None] = direct_emitter(
            self.sink, SIGNALS, "emit_decision"
        )
        """Emit one meta-ensemble decision (on the ``signals`` channel)."""
        self.journal = RunJournal()
        self._held: list[tuple[int, str, int, str, Any]] = []
        self._sequence: dict[str, int] = {}

    @property
    def counters(self):
        """Named counters of the run (``collections.Counter``)."""
        return self.journal.counters

    def alert(self, alert: Alert) -> None:
        """Emit one :class:`~schemas.alerts.Alert` (the one path alerts take to the ``alerts`` topic)."""
        self.sink.emit(ALERTS, alert)

    def alerts(self, alerts: Iterable[Alert]) -> None:
        """Emit every alert of a risk-layer result, in order."""
        for alert in alerts:
            self.sink.emit(ALERTS, alert)

    def risk(self, event: Any) -> None:
        """Emit one ``schemas.risk`` event."""
        self.sink.emit(RISK, event)

    def order(self, intent: OrderIntent) -> None:
        """Emit one order intent on ``orders``."""
        self.sink.emit(ORDERS, intent)

    def hold_fill(self, fill: Fill) -> None:
        """Hold a fill until the next :meth:`flush`."""
        self._hold(fill.ts_event, fill.instrument, FILLS, fill)

    def hold_trade(self, ts: int, instrument: str, entry: Any) -> None:
        """Hold a trade-log entry (closed at ``ts``) until the next :meth:`flush`."""
        self._hold(ts, instrument, TRADES, entry)

    def _hold(self, ts: int, instrument: str, channel: str, message: Any) -> None:
        seq = self._sequence.get(instrument, 0)
        self._sequence[instrument] = seq + 1
        self._held.append((ts, instrument, seq, channel, message))

    def flush(self) -> None:
        """Emit held fills and trades in (time, instrument, per-instrument sequence) order."""
        if not self._held:
            return
        held, self._held = self._held, []
        held.sort(key=lambda item: item[:3])
        for _, _, _, channel, message in held:
            self.sink.emit(channel, message)
