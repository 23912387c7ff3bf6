"""DecayedSentiment names the news items behind its value."""

from engine.news_state import DecayedSentiment

HOUR = 3600 * 10**9


def test_contributors_rank_by_decayed_push_and_forget_faded_items():
    s = DecayedSentiment(half_life_s=3600.0)
    s.add(0, -0.8, 1.0, "old-bad")
    s.add(2 * HOUR, 0.3, 1.0, "recent-good")
    s.add(2 * HOUR, 0.1, 0.5, "weak-link")
    assert s.contributors(2 * HOUR) == ("recent-good", "old-bad", "weak-link")
    assert s.contributors(12 * HOUR) == ()  # everything decayed below 0.01
    assert s.value(2 * HOUR) == -0.8 / 4 + 0.3 + 0.05


def test_idle_means_neutral_and_unattributed_until_the_first_item():
    """A decision reads ``idle`` instead of value() and contributors(): they must agree while it is set."""
    news = DecayedSentiment(half_life_s=3600.0)
    assert news.idle
    assert news.value(10**15) == 0.0 and news.contributors(10**15) == ()
    news.add(10**12, 0.0, 1.0, "flat")  # even an item that moves nothing ends it
    assert not news.idle
    assert news.contributors(10**12) == ()
