"""Trade-by-trade agreement of two trade logs (the simulator's against a replay's).

Trades are matched by (symbol, entry timestamp). A matched pair is *identical* when exit timestamp,
direction and size agree (size: ``size_post_risk`` equal within 1e-12, and the entry price within
``price_tol`` relative, which pins the quantity the same fill produced). Differences are listed with the
fields that differ so each one can be explained.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from engine.sim.errors import SimError
from schemas.tradelog import TradeLogEntry, decode_trade_log_line


class TradeDiff(msgspec.Struct, frozen=True, kw_only=True):
    """One trade that is not identical in both logs (``None`` on the side that lacks it)."""

    symbol: str
    timestamp: str
    fields: tuple[str, ...]
    replay: TradeLogEntry | None
    sim: TradeLogEntry | None


class Agreement(msgspec.Struct, frozen=True, kw_only=True):
    """Summary of a comparison; ``identical_pct`` is over the union of trades of both logs."""

    replay_trades: int
    sim_trades: int
    identical: int
    identical_pct: float
    replay_pnl: float
    sim_pnl: float
    pnl_diff_pct: float
    diffs: tuple[TradeDiff, ...]


def read_trades(path: Path) -> list[TradeLogEntry]:
    """Decode a trades.jsonl file.

    Raises
    ------
    SimError
        The file is missing, unreadable or has a line that is not a trade-log entry (named with its number).
    """
    out = []
    try:
        with Path(path).open("rb") as f:
            for number, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        out.append(decode_trade_log_line(line))
                    except Exception as e:  # msgspec's decode and validation errors
                        raise SimError(f"{path}:{number}: not a trade-log entry: {e}") from e
    except OSError as e:
        raise SimError(f"{path}: cannot read the trade log: {e}") from e
    return out


def compare(replay: list[TradeLogEntry], sim: list[TradeLogEntry], *, price_tol: float = 1e-4) -> Agreement:
    """Compare two trade logs trade by trade (see the module docstring)."""
    by_key = {(t.symbol, t.timestamp): t for t in sim}
    seen = set()
    identical = 0
    diffs = []
    for r in replay:
        key = (r.symbol, r.timestamp)
        s = by_key.get(key)
        if s is None:
            diffs.append(
                TradeDiff(
                    symbol=r.symbol, timestamp=r.timestamp, fields=("missing_in_sim",), replay=r, sim=None
                )
            )
            continue
        seen.add(key)
        fields = []
        if r.exit_timestamp != s.exit_timestamp:
            fields.append("exit_timestamp")
        if r.direction != s.direction:
            fields.append("direction")
        if abs(r.size_post_risk - s.size_post_risk) > 1e-12:
            fields.append("size_post_risk")
        if abs(r.entry_price - s.entry_price) > price_tol * abs(r.entry_price):
            fields.append("entry_price")
        if fields:
            diffs.append(
                TradeDiff(symbol=r.symbol, timestamp=r.timestamp, fields=tuple(fields), replay=r, sim=s)
            )
        else:
            identical += 1
    for s in sim:
        if (s.symbol, s.timestamp) not in seen:
            diffs.append(
                TradeDiff(
                    symbol=s.symbol, timestamp=s.timestamp, fields=("missing_in_replay",), replay=None, sim=s
                )
            )
    union = identical + len(diffs)
    r_pnl = sum(t.realized_pnl or 0.0 for t in replay)
    s_pnl = sum(t.realized_pnl or 0.0 for t in sim)
    return Agreement(
        replay_trades=len(replay),
        sim_trades=len(sim),
        identical=identical,
        identical_pct=100.0 * identical / union if union else 100.0,
        replay_pnl=r_pnl,
        sim_pnl=s_pnl,
        pnl_diff_pct=100.0 * abs(s_pnl - r_pnl) / abs(r_pnl) if r_pnl else 0.0,
        diffs=tuple(diffs),
    )


class DecisionAgreement(msgspec.Struct, frozen=True, kw_only=True):
    """The replay's decisions.jsonl against the simulator's decision stream, decision by decision."""

    replay_decisions: int
    identical: int  # same action and bit-identical size
    identical_scores: int  # bit-identical p_short and p_mid
    missing_in_sim: int  # a replay decision on a bar the simulator has no decision for


def compare_decisions(path: Path, bars, decisions) -> DecisionAgreement:
    """Compare a replay's ``decisions.jsonl`` with :func:`engine.sim.build_decisions` output."""
    index = {
        (bars.instruments[int(j)], int(t)): e for e, (j, t) in enumerate(zip(bars.inst, bars.ts, strict=True))
    }
    code = {"BUY": 1, "SELL": -1, "HOLD": 0}
    n = same = scores = missing = 0
    decoder = msgspec.json.Decoder()
    try:
        with Path(path).open("rb") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    r = decoder.decode(line)
                    e = index.get((r["instrument"], r["ts_event"]))
                    action, size, p_short, p_mid = code[r["action"]], r["size"], r["p_short"], r["p_mid"]
                except (msgspec.DecodeError, KeyError, TypeError) as err:
                    raise SimError(f"{path}:{number}: not an ensemble decision: {err}") from err
                n += 1
                if e is None or decisions.action[e] not in (-1, 0, 1):
                    missing += 1
                    continue
                same += int(decisions.action[e] == action and decisions.size[e] == size)
                scores += int(decisions.p_short[e] == p_short and decisions.p_mid[e] == p_mid)
    except OSError as err:
        raise SimError(f"{path}: cannot read the decisions: {err}") from err
    return DecisionAgreement(
        replay_decisions=n, identical=same, identical_scores=scores, missing_in_sim=missing
    )
