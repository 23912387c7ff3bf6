"""Put/call open-interest ratios from a yfinance option-chain snapshot CSV (``contractSymbol``,
``optionType``, ``openInterest``, ...), the event-heat input of the escalation matrix.

Rows that cannot be read (bad symbol, option type or open interest) are returned as rejects with their
1-based line numbers; nothing is dropped silently. A missing open interest counts as zero (yfinance leaves
it empty for contracts without any).
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import msgspec

from adapters.importers.errors import UnreadableFileError
from engine.escalation.triggers import put_call_oi_ratio
from schemas.options import PutCallOpenInterest

_OCC = re.compile(r"^([A-Z][A-Z0-9.]{0,9})(\d{6})([CP])(\d{8})$")


class OptionsReject(msgspec.Struct, frozen=True, kw_only=True):
    """A row left out of the ratios, with why."""

    line: int
    reason: str


class PutCallSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Put/call open-interest ratio per underlying and over the whole snapshot."""

    ratios: dict[str, float]
    overall: float | None
    contracts: int
    rejects: tuple[OptionsReject, ...]
    open_interest: dict[str, tuple[float, float, int]] = {}
    """Per underlying: summed put open interest, call open interest, contracts."""

    def messages(self, ts_event: int) -> list[PutCallOpenInterest]:
        """The ``md.options_oi`` messages of this snapshot taken at ``ts_event``, one per underlying."""
        return [
            PutCallOpenInterest(instrument=u, ts_event=ts_event, put_oi=p, call_oi=c, contracts=n)
            for u, (p, c, n) in sorted(self.open_interest.items())
        ]


def read_put_call_snapshot(path: Path) -> PutCallSnapshot:
    """Read a snapshot file and compute its ratios (underlyings without call open interest are omitted).

    Raises
    ------
    UnreadableFileError
        The file is missing, unreadable or lacks the needed columns.
    """
    kinds: dict[str, list[str]] = {}
    interest: dict[str, list[float]] = {}
    rejects: list[OptionsReject] = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = {"contractSymbol", "optionType", "openInterest"} - set(reader.fieldnames or ())
            if missing:
                raise UnreadableFileError(f"{path}: missing columns {sorted(missing)}")
            for row in reader:
                line = reader.line_num
                match = _OCC.match(row["contractSymbol"] or "")
                kind = (row["optionType"] or "").strip()
                if match is None or kind not in ("C", "P") or match.group(3) != kind:
                    rejects.append(
                        OptionsReject(line=line, reason=f"bad contract {row['contractSymbol']!r}/{kind!r}")
                    )
                    continue
                text = (row["openInterest"] or "").strip()
                try:
                    oi = float(text) if text else 0.0
                except ValueError:
                    oi = math.nan
                if not math.isfinite(oi) or oi < 0:
                    rejects.append(OptionsReject(line=line, reason=f"bad openInterest {text!r}"))
                    continue
                underlying = match.group(1)
                kinds.setdefault(underlying, []).append(kind)
                interest.setdefault(underlying, []).append(oi)
    except OSError as e:
        raise UnreadableFileError(f"{path}: {e}") from e
    ratios = {}
    for underlying in sorted(kinds):
        ratio = put_call_oi_ratio(kinds[underlying], interest[underlying])
        if ratio is not None:
            ratios[underlying] = ratio
    all_kinds = [k for u in kinds for k in kinds[u]]
    all_oi = [x for u in interest for x in interest[u]]
    open_interest = {
        u: (
            math.fsum(x for k, x in zip(kinds[u], interest[u], strict=True) if k == "P"),
            math.fsum(x for k, x in zip(kinds[u], interest[u], strict=True) if k == "C"),
            len(kinds[u]),
        )
        for u in sorted(kinds)
    }
    return PutCallSnapshot(
        ratios=ratios,
        overall=put_call_oi_ratio(all_kinds, all_oi),
        contracts=len(all_kinds),
        rejects=tuple(rejects),
        open_interest=open_interest,
    )
