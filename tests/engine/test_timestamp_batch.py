"""Grouping bar arrivals into one portfolio step per timestamp (pure bookkeeping)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.portfolio_step import TimestampBatch


def test_the_last_expected_bar_completes_the_timestamp_in_any_order():
    batch = TimestampBatch(["B.X", "A.X", "C.X"])

    assert batch.add(60, "C.X") == "first"
    assert batch.add(60, "A.X") == "waiting"
    assert batch.add(60, "B.X") == "complete"
    assert batch.take() == (60, ("A.X", "B.X", "C.X"))
    assert batch.pending_ts is None


def test_a_later_bar_overtakes_an_incomplete_timestamp():
    batch = TimestampBatch(["A.X", "B.X"])
    batch.add(60, "B.X")

    assert batch.overtaken_by(120)
    assert not batch.overtaken_by(60)
    assert batch.take() == (60, ("B.X",))
    assert batch.add(120, "A.X") == "first"


def test_late_and_duplicate_bars_are_not_part_of_a_batch():
    batch = TimestampBatch(["A.X", "B.X"])
    batch.add(60, "A.X")
    assert batch.add(60, "A.X") == "duplicate"
    batch.take()

    assert batch.add(60, "B.X") == "late"
    batch.add(180, "A.X")
    assert batch.add(120, "B.X") == "late"  # older than the pending timestamp
    assert batch.take() == (180, ("A.X",))


def test_adding_a_newer_bar_without_taking_the_pending_one_is_refused():
    batch = TimestampBatch(["A.X", "B.X"])
    batch.add(60, "A.X")
    with pytest.raises(ValueError, match="pending"):
        batch.add(120, "B.X")
    with pytest.raises(ValueError, match="no timestamp"):
        TimestampBatch(["A.X"]).take()


@given(st.permutations(["A.X", "B.X", "C.X", "D.X"]))
def test_the_batch_taken_does_not_depend_on_arrival_order(order):
    batch = TimestampBatch(order)
    arrivals = [batch.add(5, i) for i in order]

    assert arrivals == ["first", "waiting", "waiting", "complete"]
    assert batch.take() == (5, ("A.X", "B.X", "C.X", "D.X"))


def test_a_complete_timestamp_returns_the_batchs_own_sorted_tuple_and_a_partial_one_its_own():
    batch = TimestampBatch(["B.X", "A.X", "C.X"])
    assert batch.everything == ("A.X", "B.X", "C.X")
    for i in ("C.X", "A.X", "B.X"):
        batch.add(100, i)
    ts, instruments = batch.take()
    assert (ts, instruments) == (100, ("A.X", "B.X", "C.X")) and instruments is batch.everything
    batch.add(200, "C.X")
    batch.add(200, "B.X")
    assert batch.take() == (200, ("B.X", "C.X"))
    batch.add(300, "A.X")  # the set of a taken timestamp starts empty again
    assert batch.take() == (300, ("A.X",))
