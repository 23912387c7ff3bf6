"""What the node does with the escalation-tunable parts of a policy version, as small pure functions the
strategy calls (blend weights, bucket caps and stop multipliers are read where they always were).

* ``do_not_trade_list``: no new entry on a listed symbol until its entry ends;
* ``max_position_pct``: an entry's size is capped (0 leaves the risk configuration's caps alone);
* ``disabled_features``: those feature columns reach the models as 0 (their neutral value after
  normalisation), ``news`` as neutral sentiment;
* ``rl_only``: the blend runs on the RL size hint alone (see :func:`engine.ensemble.effective_weights`).
"""

from __future__ import annotations

import numpy as np

from engine.config import Policy
from engine.features.vector import FEATURE_NAMES
from engine.policy.bounds import NEWS_FEATURE

_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}


def entry_blocked(policy: Policy, symbol: str, ts_event: int) -> bool:
    """Whether ``symbol`` is on the policy's do-not-trade list at ``ts_event``."""
    return any(e.symbol == symbol and ts_event < e.until_ns for e in policy.do_not_trade_list)


def capped_size(policy: Policy, size: float) -> float:
    """``size`` (fraction of NAV) capped by ``max_position_pct`` when that is set."""
    cap = policy.max_position_pct
    return min(size, cap) if cap > 0.0 else size


def masked_features(policy: Policy, row: np.ndarray) -> np.ndarray:
    """The feature row with disabled features set to 0 (the row itself when none is disabled)."""
    if not policy.disabled_features:  # the per-bar case: nothing built
        return row
    columns = [_COLUMN[name] for name in policy.disabled_features if name in _COLUMN]
    if not columns:
        return row
    out = row.copy()
    out[..., columns] = 0.0
    return out


def sentiment_in_use(policy: Policy, sentiment: float) -> float:
    """News sentiment, or neutral (0) when the ``news`` feature is disabled."""
    return 0.0 if NEWS_FEATURE in policy.disabled_features else sentiment
