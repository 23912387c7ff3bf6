"""Nightly post-mortem of one UTC day (seed 001 "Post-Mortems"): facts from the trade log, risk events
and escalations in a deterministic template; the local model adds root cause and recommendations; on
escalation days GPT-5's deltas are appended.

The model is asked for structured output (:class:`Narrative`) and its answer is validated like any other;
with no model reachable, or an answer that does not decode, the facts are still written, with a line
saying so. Model text is shown as quoted text under its own heading, never mixed into the facts.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import msgspec

from engine.escalation.errors import ReasonerError
from engine.escalation.ports import Reasoner
from engine.escalation.processor import EscalationOutcome, utc_day
from engine.escalation.prompt import inline_schema
from schemas.escalation import EscalationRequest
from schemas.risk import KillSwitchTriggered, RiskEvent
from schemas.tradelog import TradeLogEntry


class Narrative(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the local model contributes: a root cause and recommendations."""

    root_cause: str
    recommendations: tuple[str, ...]


MAX_NARRATIVE_CHARS = 2000
_NARRATIVE = msgspec.json.Decoder(Narrative)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text[:MAX_NARRATIVE_CHARS].splitlines() or [""])


def day_facts(
    day: str,
    trades: list[TradeLogEntry],
    risk_events: list[RiskEvent],
    outcomes: list[EscalationOutcome],
    requests: list[EscalationRequest] = (),
) -> dict[str, Any]:
    """The day's facts: trades closed that day, risk events, the escalations the node requested and what
    came of them (all by their engine-clock day)."""
    closed = [t for t in trades if (t.exit_timestamp or "").startswith(day)]
    opened = [t for t in trades if t.timestamp.startswith(day)]
    pnl = [t.realized_pnl for t in closed if t.realized_pnl is not None]
    events = [e for e in risk_events if utc_day(e.ts_event) == day]
    kills = [e for e in events if isinstance(e, KillSwitchTriggered)]
    escalations = [o for o in outcomes if utc_day(o.ts_event) == day]
    asked = Counter(f"{r.trigger or '-'} -> {r.call_type}" for r in requests if utc_day(r.ts_event) == day)
    return {
        "day": day,
        "trades_opened": len(opened),
        "trades_closed": len(closed),
        "wins": sum(1 for x in pnl if x > 0),
        "losses": sum(1 for x in pnl if x < 0),
        "realized_pnl": sum(pnl),
        "pnl_by_symbol": dict(sorted(Counter({t.symbol: 0.0 for t in closed}).items()))
        | {
            s: sum(t.realized_pnl or 0.0 for t in closed if t.symbol == s)
            for s in sorted({t.symbol for t in closed})
        },
        "policy_versions": sorted({t.policy_version for t in opened + closed}),
        "risk_events": dict(sorted(Counter(type(e).__struct_config__.tag for e in events).items())),
        "kill_switch": [{"reason": k.reason, "daily_pnl": k.daily_pnl} for k in kills],
        "escalations_requested": dict(sorted(asked.items())),
        "escalations": [
            {
                "request_id": o.request_id,
                "call_type": o.call_type,
                "status": o.status,
                "source": o.source,
                "version": o.update.version if o.update else "",
            }
            for o in escalations
        ],
        "gpt5_deltas": [
            {"version": o.update.version, "deltas": o.update.deltas, "overrides": o.update.overrides}
            for o in escalations
            if o.update is not None and o.source == "gpt5"
        ],
    }


def render_facts(facts: dict[str, Any]) -> str:
    """The deterministic part of the post-mortem, as Markdown."""
    lines = [
        f"# Post-mortem {facts['day']} (UTC)",
        "",
        "## Facts",
        "",
        f"- trades opened: {facts['trades_opened']}, closed: {facts['trades_closed']} "
        f"({facts['wins']} won, {facts['losses']} lost), realized P&L {facts['realized_pnl']:+.2f}",
    ]
    for symbol, pnl in facts["pnl_by_symbol"].items():
        lines.append(f"  - {symbol}: {pnl:+.2f}")
    lines.append(f"- policy versions trading: {', '.join(facts['policy_versions']) or '-'}")
    risk = ", ".join(f"{kind} {n}" for kind, n in facts["risk_events"].items())
    lines.append(f"- risk events: {risk or 'none'}")
    for kill in facts["kill_switch"]:
        lines.append(f"- kill switch: {kill['reason']} (day P&L {kill['daily_pnl']:+.2%})")
    asked = ", ".join(f"{k} x{n}" for k, n in facts["escalations_requested"].items())
    lines.append(f"- escalations requested: {asked or 'none'}")
    if facts["escalations"]:
        lines += [
            "",
            "## Escalations",
            "",
            "| request | call type | status | source | version |",
            "|---|---|---|---|---|",
        ]
        for e in facts["escalations"]:
            cells = (e["request_id"], e["call_type"], e["status"], e["source"] or "-", e["version"] or "-")
            lines.append("| " + " | ".join(cells) + " |")
    if facts["gpt5_deltas"]:
        lines += ["", "## GPT-5 deltas", ""]
        for d in facts["gpt5_deltas"]:
            changes = [f"{k} {v:+g}" for k, v in d["deltas"].items()] + [
                f"{k} = {msgspec.json.encode(v).decode()}" for k, v in d["overrides"].items()
            ]
            lines.append(f"- {d['version']}: {', '.join(changes) or 'no parameter change'}")
    return "\n".join(lines) + "\n"


def write_postmortem(facts: dict[str, Any], reasoner: Reasoner | None) -> tuple[str, str]:
    """The post-mortem Markdown, and who wrote the analysis (``ollama`` or ``template``)."""
    text = render_facts(facts)
    if reasoner is None:
        return text + "\n## Analysis\n\nNo model configured: facts only.\n", "template"
    messages = [
        {
            "role": "system",
            "content": "You write the nightly post-mortem of a trading system. From the JSON facts, give the "
            "most likely root cause of the day's result and up to five concrete recommendations. "
            "Answer with JSON following the schema.",
        },
        {"role": "user", "content": msgspec.json.encode(facts).decode()},
    ]
    schema = inline_schema(msgspec.json.schema(Narrative))
    try:
        narrative = _NARRATIVE.decode(reasoner.ask(messages, schema, "postmortem"))
    except (ReasonerError, msgspec.DecodeError) as e:
        return text + f"\n## Analysis\n\nNo model answer ({type(e).__name__}): facts only.\n", "template"
    recs = "\n".join(f"{i}. {r[:400]}" for i, r in enumerate(narrative.recommendations[:5], 1))
    analysis = f"\n## Analysis ({reasoner.name})\n\n### Root cause\n\n{_quote(narrative.root_cause)}\n"
    return text + analysis + f"\n### Recommendations\n\n{recs or '-'}\n", reasoner.name
