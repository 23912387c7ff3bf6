"""``DailyValueTracker`` tells a bar of the current day by its day's time range, not by dividing the
timestamp: the same days, sums and averages as the division, at day edges and for late bars too."""

from collections import deque

from hypothesis import given
from hypothesis import strategies as st

from engine.metrics import NS_PER_DAY
from engine.risk.penny import DailyValueTracker

DAY0 = 19_417 * NS_PER_DAY  # 2023-03-01


class _ByDivision:
    """The rule itself: a bar at ``ts`` belongs to day ``(ts - 1) // NS_PER_DAY``; earlier days are
    ignored."""

    def __init__(self, adv_days: int) -> None:
        self.days: deque[float] = deque(maxlen=adv_days)
        self.day: int | None = None
        self.value = 0.0
        self.adv = float("nan")

    def update(self, ts: int, price: float, volume: float) -> None:
        value = price * volume
        if not 0.0 <= value < float("inf"):
            return
        day = (ts - 1) // NS_PER_DAY
        if day == self.day:
            self.value += value
        elif self.day is None or day > self.day:
            if self.day is not None:
                self.days.append(self.value)
                self.adv = sum(self.days) / len(self.days)
            self.day, self.value = day, value


# offsets around day edges (the bar at exactly midnight closes the previous day) and inside days
_edges = st.sampled_from([-NS_PER_DAY, -1, 0, 1, 60 * 10**9, NS_PER_DAY - 1, NS_PER_DAY, NS_PER_DAY + 1])
_bars = st.lists(
    st.tuples(
        st.integers(0, 6), _edges, st.floats(0.5, 200.0), st.sampled_from([0.0, 1.0, 3.5, float("nan")])
    ),
    min_size=1,
    max_size=80,
)


@given(_bars, st.integers(1, 4))
def test_day_range_gives_what_the_division_gives(bars, adv_days):
    fast, plain = DailyValueTracker(adv_days), _ByDivision(adv_days)
    for day, offset, price, volume in bars:
        ts = DAY0 + day * NS_PER_DAY + offset
        fast.update(ts, price, volume)
        plain.update(ts, price, volume)
        assert fast.completed_days == len(plain.days)
        assert fast.adv == plain.adv or (fast.adv != fast.adv and plain.adv != plain.adv)
        assert fast.today_value == plain.value
