"""Applying ``control`` messages: the node is the one writer of its risk state and its policy.

A mixin of :class:`strategies.meta_ensemble.MetaEnsembleStrategy`. Operators and the escalation worker
send :class:`~schemas.control.RiskCommand` and :class:`~schemas.control.PolicyUpdate` messages on
``control``. Commands are applied at the engine clock through the risk desk (which persists the new state
version); policy updates through :class:`engine.policy.controller.PolicyController`. A message that does
not decode, or an invalid command, goes to ``dlq.control`` with its error and a warning alert; nothing
else is lost and nothing raises.
"""

from __future__ import annotations

import msgspec

from engine.errors import RiskInputError
from engine.policy.controller import apply_policy_control
from engine.risk.notices import alert
from schemas import codec
from schemas.control import PolicyUpdate, RiskCommand
from schemas.dlq import DeadLetter, dead_letter_from
from schemas.errors import SchemaDecodeError
from schemas.topics import CONTROL, CONTROL_KEY, dlq_topic
from strategies.control_data import ControlData


class ControlMixin:
    """``apply_control`` and the ``on_data`` branch for :class:`~strategies.control_data.ControlData`."""

    def apply_control(self, message: str | bytes | RiskCommand | PolicyUpdate) -> bool:
        """Apply one ``control`` message (encoded, or already decoded); True when it was applied.

        Risk commands change the risk state (override, SANITY_JUDGE approval, force_demo), once per
        ``command_id``. Policy updates become a new policy version through the node's policy controller
        (bounded, whole or not at all, recorded in the state store); a rejected one is alerted.
        """
        ts = self.clock.timestamp_ns()
        raw = message.encode() if isinstance(message, str) else message
        if isinstance(raw, bytes):
            try:
                message = codec.decode(CONTROL, raw)
            except SchemaDecodeError as e:
                self._control_rejected(ts, dead_letter_from(e, key=CONTROL_KEY, ts_event=ts, topic=CONTROL))
                return False
        if isinstance(message, PolicyUpdate):
            return self._apply_policy(message)
        if message.command_id in self.risk.supervisor.state.commands:  # redelivered: applied already
            self.journal.counters["control_duplicates"] += 1
            return False
        try:
            update = self.risk.apply_command(ts, message)
        except RiskInputError as e:
            raw = raw if isinstance(raw, bytes) else codec.encode(CONTROL, message)
            letter = DeadLetter(topic=CONTROL, key=CONTROL_KEY, raw=raw, error=str(e), ts_event=ts)
            self._control_rejected(ts, letter)
            return False
        self.journal.counters[f"control_{message.kind}"] += 1
        if update.trading_state is not None and update.trading_state != "HALTED":
            self._trading_state(update.trading_state)
        return True

    def _apply_policy(self, update: PolicyUpdate) -> bool:
        """A new policy version, whole or not at all (engine.policy); decisions use it from the next bar."""
        result, risk_update = apply_policy_control(self._policy, self.risk.supervisor, update)
        self.outputs.alerts(result.alerts)
        if risk_update is not None:  # a GPT-5 SANITY_JUDGE decision carried by the update
            self.risk.absorb(risk_update)
        if not result.applied:
            self.journal.counters["policy_updates_not_applied"] += 1
            return False
        self.journal.counters["policy_updates"] += 1
        self.cfg = msgspec.structs.replace(self.cfg, policy=result.policy)
        self.risk.cfg = self.cfg
        return True

    def _control_rejected(self, ts: int, letter: DeadLetter) -> None:
        self.journal.counters["control_rejected"] += 1
        self.outputs.sink.emit(dlq_topic(CONTROL), letter)
        self.outputs.alert(
            alert(ts, "warning", "control_rejected", f"control message rejected: {letter.error}")
        )

    def _on_control_data(self, data: ControlData) -> None:
        self.apply_control(data.payload)
