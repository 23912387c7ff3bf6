"""The financial-direction features: a metric's move is good or bad by what the metric is, negation flips
it, and "from X to Y" comparisons are signed by the numbers, not by the words."""

from __future__ import annotations

import numpy as np
import pytest

from engine.news.sentiment import prepare_text
from engine.news.sentiment_features import FEATURE_NAMES, N_FEATURES, domain_features, domain_matrix


def features(text: str) -> dict[str, float]:
    return {n: v for n, v in zip(FEATURE_NAMES, domain_features(prepare_text(text)), strict=True) if v}


@pytest.mark.parametrize(
    ("text", "good", "bad"),
    [
        ("Operating profit rose to EUR 13.1 mn from EUR 8.7 mn .", "good_events", "bad_events"),
        ("Net loss narrowed to EUR 2 mn .", "good_events", "bad_events"),
        ("The net loss widened .", "bad_events", "good_events"),
        ("Net sales decreased by 5 % .", "bad_events", "good_events"),
        ("Costs rose 10 % .", "bad_events", "good_events"),
        ("Profit did not rise .", "bad_events", "good_events"),
        ("Costs did not rise .", "good_events", "bad_events"),
    ],
)
def test_direction_times_metric_times_negation(text, good, bad):
    f = features(text)
    assert f.get(good) == 1.0, f
    assert bad not in f, f


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Operating profit increased from EUR 8.7 mn to EUR 13.1 mn", "good_comparisons"),
        ("Operating profit was EUR 9.1 mn , up from EUR 8.7 mn", "good_comparisons"),
        ("Operating profit was EUR 13.1 mn , compared with EUR 18.7 mn a year earlier .", "bad_comparisons"),
        ("Sales changed to EUR 5 mn from EUR 8 mn .", "bad_comparisons"),
        ("The loss was EUR 1,200 mn versus EUR 950 mn .", "bad_comparisons"),
        ("The loss changed from EUR 3 mn to EUR 1.5 mn .", "good_comparisons"),
    ],
)
def test_numeric_comparisons_are_signed_by_the_numbers(text, want):
    f = features(text)
    other = "bad_comparisons" if want == "good_comparisons" else "good_comparisons"
    assert f.get(want) == 1.0, f
    assert other not in f, f


def test_neutral_text_has_no_features_and_matrix_shape():
    assert features("The company is based in Helsinki .") == {}
    m = domain_matrix([prepare_text("Sales fell 3 % ."), "", "no numbers here"])
    assert m.shape == (3, N_FEATURES)
    assert np.all(m >= 0) and m[0].any() and not m[1].any()
    assert domain_matrix([]).shape == (0, N_FEATURES)


def test_word_lists_are_disjoint():
    """domain_features gives each token one kind; a word in two lists would silently lose one meaning."""
    from itertools import combinations

    from engine.news import sentiment_features as sf

    lists = {
        "good": sf.GOOD_METRICS,
        "bad": sf.BAD_METRICS,
        "up": sf.UP,
        "down": sf.DOWN,
        "negation": sf.NEGATIONS,
        "compare": sf.COMPARE_BACK | {"to"},
    }
    for (a, wa), (b, wb) in combinations(lists.items(), 2):
        assert not wa & wb, (a, b, wa & wb)


def test_only_ascii_digits_are_numbers():
    want = {"good_events": 1.0, "up_words": 1.0, "good_metrics": 1.0}
    assert features("sales rose from ٦١٥ to ٧٠٠") == want
