"""Cross-field checks of a loaded :class:`~engine.config.AureusConfig`.

Each field's own range is in its type (``msgspec.Meta``); these are the rules that tie fields together, so a
config that would silently never trade (buy threshold under sell) or mis-weight its score fails at load.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from nautilus_trader.model.objects import MONEY_MAX

from engine.features.vector import warmup_bars

if TYPE_CHECKING:
    from engine.config import AureusConfig

KILL_SWITCH_MAX_PCT = 50.0
MINUTES_PER_DAY = 1_440
WEIGHT_SUM_TOLERANCE = 1e-9


def config_problems(cfg: AureusConfig) -> list[str]:
    """Every cross-field rule ``cfg`` breaks, each naming the fields (empty when none)."""
    problems = []
    t = cfg.policy.thresholds
    if not t.buy > t.sell:
        problems.append(f"policy.thresholds.buy ({t.buy}) must be above policy.thresholds.sell ({t.sell})")
    w = cfg.policy.blend_weights
    total = w.short + w.mid + w.rl
    if not math.isclose(total, 1.0, abs_tol=WEIGHT_SUM_TOLERANCE):
        problems.append(
            f"policy.blend_weights short + mid + rl must sum to 1 "
            f"(got {w.short} + {w.mid} + {w.rl} = {total:.6g})"
        )
    loss = cfg.risk.kill_switch.daily_loss_pct
    if not 0.0 < loss <= KILL_SWITCH_MAX_PCT:
        problems.append(f"risk.kill_switch.daily_loss_pct ({loss}) must be within (0, {KILL_SWITCH_MAX_PCT}]")
    need = warmup_bars(cfg.features)
    have = cfg.replay.synthetic_days * MINUTES_PER_DAY
    if have <= need:
        problems.append(
            f"replay.synthetic_days ({cfg.replay.synthetic_days}) gives {have} one-minute bars, "
            f"not more than the {need} bars the features need to warm up"
        )
    nav = cfg.venue.starting_nav
    if nav > MONEY_MAX:
        # the replay venue's account balance is a Nautilus Money; a larger one fails deep inside the engine
        problems.append(f"venue.starting_nav ({nav:g}) must be at most Nautilus MONEY_MAX ({MONEY_MAX:g})")
    return problems
