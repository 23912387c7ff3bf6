"""The news processor without a broker: normalise, link, deduplicate, quality, fake sentiment."""

from __future__ import annotations

import csv

import pytest

from aureus.paths import REPO_ROOT
from engine.config import NewsWorkerConfig
from engine.news.dedup import Deduplicator, near_words
from engine.news.errors import NewsInputError
from engine.news.linking import InstrumentLinker
from engine.news.processor import NewsProcessor, normalise, training_items
from engine.news.quality import quality_score
from schemas.market import NewsRaw

DATA = REPO_ROOT.parent / "shared" / "data"
TABLES = [DATA / "sp500_sectors" / "constituents.csv", DATA / "stocknet_daily_88" / "StockTable.tsv"]
T0 = 1_577_836_800 * 10**9  # 2020-01-01
MINUTE = 60 * 10**9


class FakeScorer:
    """Scores by keyword: enough to see the processor pass the right texts in the right order."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def score(self, texts: list[str]) -> list[float]:
        self.calls.append(list(texts))
        return [0.5 if "beats" in t else -0.5 if "misses" in t else 0.0 for t in texts]


@pytest.fixture(scope="module")
def linker() -> InstrumentLinker:
    return InstrumentLinker.from_files(TABLES)


def _processor(linker, **overrides) -> tuple[NewsProcessor, FakeScorer]:
    scorer = FakeScorer()
    return NewsProcessor(NewsWorkerConfig(**overrides), linker, scorer), scorer


def test_normalise_collapses_space_and_lowercases_source():
    item = normalise(NewsRaw(source=" Benzinga ", ts_event=T0, headline="  Apple   beats\nestimates "))
    assert (item.source, item.text) == ("benzinga", "Apple beats estimates")


@pytest.mark.parametrize(
    "raw, why",
    [
        (NewsRaw(source="x", ts_event=T0, headline="   "), "empty headline"),
        (NewsRaw(source="", ts_event=T0, headline="a"), "empty source"),
        (NewsRaw(source="x", ts_event=1_577_836_800, headline="a"), "not UTC nanoseconds"),
    ],
)
def test_normalise_rejects_bad_items(raw, why):
    with pytest.raises(NewsInputError, match=why):
        normalise(raw)


def test_linker_reads_both_tables(linker):
    with (DATA / "stocknet_daily_88" / "StockTable.tsv").open() as f:
        stocknet = {row["Symbol"].lstrip("$") for row in csv.DictReader(f, delimiter="\t")}
    assert stocknet <= linker.symbols and {"MMM", "AAPL", "XOM"} <= linker.symbols


def test_cashtags_in_both_spellings_are_strong(linker):
    links = linker.link("$AAPL up, $ goog flat")
    assert [(k.symbol, k.method, k.weak) for k in links] == [
        ("AAPL", "cashtag", False),
        ("GOOG", "cashtag", False),
    ]


def test_a_post_listing_many_cashtags_links_each_weakly(linker):
    links = linker.link("review $ aapl $ bp $ csco $ cvx $ goog")
    assert len(links) == 5 and all(k.weak and k.method == "cashtag" for k in links)


def test_company_name_needs_its_capital_and_bare_tickers_are_weak(linker):
    assert [(k.symbol, k.method) for k in linker.link("Exxon Mobil raises dividend")] == [("XOM", "name")]
    assert linker.link("exxon mobil raises dividend") == []
    assert [(k.symbol, k.weak) for k in linker.link("Why AAPL fell")] == [("AAPL", True)]


def test_source_tag_wins_over_text_methods(linker):
    links = linker.link("Apple beats", tagged=("AAPL.NASDAQ",))
    assert [(k.symbol, k.method, k.weak) for k in links] == [("AAPL", "source", False)]


def test_exact_and_near_duplicates_inside_the_window_only():
    dedup = Deduplicator(window_ns=10 * MINUTE, threshold=0.8)
    assert dedup.check("Apple beats estimates", ["AAPL"], T0) is None
    assert dedup.check("apple  BEATS estimates", ["AAPL"], T0 + MINUTE) == "exact"
    assert dedup.check("rt AT_USER Apple beats estimates URL", ["AAPL"], T0 + 2 * MINUTE) == "near"
    assert dedup.check("Apple beats estimates", ["AAPL"], T0 + 30 * MINUTE) is None


def test_similar_headlines_on_one_instrument_are_near_duplicates():
    dedup = Deduplicator(window_ns=10 * MINUTE, threshold=0.8)
    first = "apple beats estimates on strong iphone sales in china and europe"
    second = "apple beats estimates on strong iphone sales in china and europe today"
    assert dedup.check(first, ["AAPL"], T0) is None
    assert dedup.check(second, ["MSFT"], T0 + 1) is None
    assert dedup.check(second + " again", ["AAPL"], T0 + 2) == "near"


def test_near_words_strips_retweet_noise():
    assert near_words("rt AT_USER $ aapl up! URL https://x.co/1") == ("$", "aapl", "up")


def test_quality_formula():
    assert quality_score(1, 10, False) == 1.0
    assert quality_score(3, 2, True) == pytest.approx(0.6 * 0.7 * 0.6)


def test_processor_end_to_end_with_fake_scorer(linker):
    proc, scorer = _processor(linker)
    batch = [
        NewsRaw(
            source="benzinga", ts_event=T0, headline="Apple beats estimates", instruments=("AAPL.NASDAQ",)
        ),
        NewsRaw(
            source="benzinga", ts_event=T0 + 1, headline="Apple beats estimates", instruments=("AAPL.NASDAQ",)
        ),
        NewsRaw(source="stocknet", ts_event=T0 + 2, headline="rt AT_USER $ msft misses , $ aapl too"),
        NewsRaw(source="stocknet", ts_event=T0 + 3, headline="weather is nice"),
        NewsRaw(source="stocknet", ts_event=T0 + 4, headline=""),
    ]
    result = proc.process(batch)
    assert scorer.calls == [["Apple beats estimates", "rt AT_USER $ msft misses , $ aapl too"]]
    got = [(s.instrument, s.sentiment, s.source_tier, s.link, s.weak_link, s.quality) for s in result.scored]
    assert got == [
        ("AAPL.NASDAQ", 0.5, 1, "source", False, 0.7),
        ("MSFT.NASDAQ", -0.5, 3, "cashtag", False, 0.6),
        ("AAPL.NASDAQ", -0.5, 3, "cashtag", False, 0.6),
    ]
    assert result.scored[1].news_id == result.scored[2].news_id != result.scored[0].news_id
    assert [why for _, why in result.rejected] == ["empty headline"]
    assert result.counts["duplicate_exact"] == 1 and result.counts["unlinked"] == 1
    assert result.counts["received"] == 5


def test_weak_links_are_published_but_kept_out_of_training(linker):
    proc, _ = _processor(linker)
    result = proc.process(
        [NewsRaw(source="stocknet", ts_event=T0, headline="review $ aapl $ bp $ csco $ cvx")]
    )
    assert len(result.scored) == 4 and all(s.weak_link and s.relevance == 0.5 for s in result.scored)
    assert training_items(result.scored) == []
    assert training_items(result.scored, include_weak_links=True) == result.scored


def test_recording_instrument_map_restricts_links(linker):
    proc = NewsProcessor(NewsWorkerConfig(), linker, FakeScorer(), instruments={"AAPL": "AAPL.XNAS"})
    result = proc.process([NewsRaw(source="stocknet", ts_event=T0, headline="$ aapl and $ msft beats")])
    assert [s.instrument for s in result.scored] == ["AAPL.XNAS"]


def test_benzinga_sample_duplicates(linker):
    """33 rows repeat an earlier row's title, time and ticker; 112 repeat title and ticker within a day
    (116 once case and spacing are normalised; a few headlines also name other instruments, which makes
    them different items)."""
    from adapters.importers.benzinga import parse_news_time

    path = next((DATA / "news_benzinga_sample").glob("*.csv"))
    items = []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if len(row) != 4 or row[1] == "title":
                continue
            try:
                ts = parse_news_time(row[2])
            except Exception:
                continue
            items.append(NewsRaw(source="benzinga", ts_event=ts, headline=row[1], instruments=(row[3],)))
    items.sort(key=lambda i: i.ts_event)
    same_time, _ = _processor(linker, dedup_window_s=1e-9)
    assert same_time.process(items).counts["duplicate_exact"] == 33
    one_day, _ = _processor(linker, dedup_window_s=86400.0)
    assert 112 <= one_day.process(items).counts["duplicate_exact"] <= 116
