"""Book helpers: gross, net, per bucket, per sector, positions held, lookups."""

from __future__ import annotations

from engine.risk.book import Book, Holding

BOOK = Book(
    nav=100_000.0,
    holdings=(
        Holding(instrument="A", bucket="core", sector="tech", notional=1_500.0),
        Holding(instrument="B", bucket="core", sector="energy", notional=-1_000.0),
        Holding(instrument="C", bucket="penny", notional=400.0),
        Holding(instrument="D", bucket="fno", sector="tech", notional=-700.0),
        Holding(instrument="Z", bucket="core", sector="tech", notional=0.0),
    ),
)


def test_gross_and_net() -> None:
    assert BOOK.gross() == 3_600.0
    assert BOOK.net() == 200.0


def test_bucket_gross() -> None:
    assert BOOK.bucket_gross() == {"core": 2_500.0, "penny": 400.0, "fno": 700.0}


def test_sector_gross_and_net_skip_the_empty_sector() -> None:
    assert BOOK.sector_gross() == {"tech": 2_200.0, "energy": 1_000.0}
    assert BOOK.sector_net() == {"tech": 800.0, "energy": -1_000.0}


def test_zero_notional_is_not_a_position() -> None:
    assert BOOK.count_nonzero() == 4


def test_lookups() -> None:
    assert BOOK.get("B") == BOOK.holdings[1]
    assert BOOK.get("X") is None
    assert BOOK.notional_of("D") == -700.0
    assert BOOK.notional_of("X") == 0.0
    assert BOOK.exposure("A") == 0.015


def test_empty_book() -> None:
    empty = Book(nav=1.0)

    assert (empty.gross(), empty.net(), empty.count_nonzero(), empty.bucket_gross()) == (0.0, 0.0, 0, {})
