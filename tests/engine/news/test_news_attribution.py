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
