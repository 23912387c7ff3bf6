"""The daily kill switch (numba), as ``engine.risk.killswitch`` and the quarantine supervisor run it at
each portfolio mark: the first mark of a UTC day closes the previous one (SIP share of a profitable
day, post-kill and quarantine demo days), then a loss of ``daily_loss_pct`` of the start-of-day NAV
halts the day. The caller flattens the book when :func:`mark` reports the kill."""

from __future__ import annotations

import numpy as np
from numba import njit

from engine.sim.layout import (
    C_KILLS,
    C_SIP_DAYS,
    K_CUR_DAY,
    K_DEMO_PENDING,
    K_DEMO_TODAY,
    K_HALTED,
    K_LAST_NAV,
    K_N_DAYS,
    K_Q_REMAINING,
    K_QUARANTINE_TODAY,
    K_SIP,
    K_SIZE,
    K_SOD_NAV,
    P_Q_DAYS,
    P_Q_KILLS,
    P_SIP,
)


@njit(cache=True, inline="always")
def new_state():
    """A fresh day state (``layout.K_*``): no day seen yet."""
    ks = np.zeros(K_SIZE)
    ks[K_CUR_DAY] = -1.0
    return ks


@njit(cache=True)
def roll_day(ks, kill_ring, day, nav, params, counters):
    """The first mark of UTC day ``day`` closes the previous day: its SIP share when profitable, the new
    start-of-day NAV, the demo calendar (a post-kill day, quarantine days) and the halt lifted.

    ``kill_ring`` holds the kill flag of the last ``quarantine_window_days`` trading days.
    """
    if ks[K_CUR_DAY] >= 0:
        closed = ks[K_LAST_NAV] - ks[K_SOD_NAV]
        if closed > 0.0 and params[P_SIP] > 0.0:
            ks[K_SIP] += closed * params[P_SIP]
            counters[C_SIP_DAYS] += 1
        ks[K_SOD_NAV] = ks[K_LAST_NAV]
    else:
        ks[K_SOD_NAV] = nav
    ks[K_CUR_DAY] = day
    ks[K_N_DAYS] += 1
    n_days = int(ks[K_N_DAYS])
    kill_ring[n_days % kill_ring.shape[0]] = False
    post_kill = ks[K_DEMO_PENDING] != 0.0
    ks[K_DEMO_PENDING] = 0.0
    quarantine_today = ks[K_Q_REMAINING] > 0
    ks[K_QUARANTINE_TODAY] = 1.0 if quarantine_today else 0.0
    ks[K_DEMO_TODAY] = 1.0 if (post_kill or quarantine_today) else 0.0
    if ks[K_Q_REMAINING] > 0:
        ks[K_Q_REMAINING] -= 1
    ks[K_HALTED] = 0.0


@njit(cache=True)
def fire(ks, kill_ring, params, counters):
    """The kill switch fires: halt for the rest of the day, a post-kill demo day next, and a quarantine
    when this makes ``quarantine_kill_days`` kill days within the window."""
    ks[K_HALTED] = 1.0
    ks[K_DEMO_PENDING] = 1.0
    counters[C_KILLS] += 1
    n_days = int(ks[K_N_DAYS])
    kill_ring[n_days % kill_ring.shape[0]] = True
    if params[P_Q_DAYS] > 0 and ks[K_Q_REMAINING] == 0:
        kills = 0
        for d in range(kill_ring.shape[0]):
            if kill_ring[d] and d <= n_days:
                kills += 1
        if kills >= params[P_Q_KILLS]:
            ks[K_Q_REMAINING] = int(params[P_Q_DAYS])
