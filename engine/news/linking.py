"""Link headlines to instruments: the source's own tags, cashtags, tickers and company names.

Strong links: the source named the instrument, a cashtag (``$AAPL``, and the tokenised ``$ aapl`` of the
StockNet tweets), or the company's name. Weak links (seed 004, micro error 2: broad symbol matches that
inflate coverage): a bare ticker word, and every cashtag of a post that lists more than
``max_strong_cashtags`` of them. Weak links are published and marked; training excludes them by default.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import msgspec

_CASHTAG = re.compile(r"\$\s?([A-Za-z][A-Za-z.\-]{0,5})\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z&'.\-]*")
_NAME_SUFFIXES = {
    "inc",
    "inc.",
    "corp",
    "corp.",
    "corporation",
    "company",
    "co",
    "co.",
    "plc",
    "ltd",
    "ltd.",
    "group",
    "holdings",
    "the",
    "incorporated",
    "limited",
    "n.v.",
    "sa",
    "s.a.",
    "ag",
    "&",
}


class Link(msgspec.Struct, frozen=True):
    """One instrument a headline refers to, how it was found and whether the link is weak."""

    symbol: str
    method: str
    weak: bool


def _name_key(company: str) -> str:
    words = [w for w in company.lower().replace(",", " ").split() if w not in _NAME_SUFFIXES]
    return " ".join(words)


class InstrumentLinker:
    """Symbol and company-name tables, built once.

    Parameters
    ----------
    companies : dict[str, tuple[str, ...]]
        Ticker symbol (upper case) to its company names (one per table that lists it).
    max_strong_cashtags : int
        A post with more cashtags than this links each of them weakly.
    """

    def __init__(self, companies: dict[str, tuple[str, ...]], *, max_strong_cashtags: int = 3) -> None:
        self.symbols = frozenset(companies)
        self.max_strong_cashtags = max_strong_cashtags
        self._names: dict[str, str] = {}
        for symbol, names in companies.items():
            for company in names:
                key = _name_key(company)
                # One-word names ("Target", "Apple") collide with ordinary words only in lower case; matching
                # needs a capital first letter, so "apple pie" does not link but "Apple" does.
                if key and len(key) >= 3:
                    self._names.setdefault(key, symbol)
        # First word of a name -> the word counts of the names it starts, longest first: a headline word that
        # starts no name (almost all of them) costs one dict lookup instead of one join per possible length.
        lengths: dict[str, set[int]] = {}
        for key in self._names:
            words = key.split()
            lengths.setdefault(words[0], set()).add(len(words))
        self._name_lengths = {w: tuple(sorted(n, reverse=True)) for w, n in lengths.items()}

    @classmethod
    def from_files(cls, paths: list[Path], *, max_strong_cashtags: int = 3) -> InstrumentLinker:
        """Read ``constituents.csv`` (Symbol, Security) and ``StockTable.tsv`` (Symbol as ``$T``, Company)."""
        companies: dict[str, tuple[str, ...]] = {}
        for path in paths:
            delimiter = "\t" if path.suffix == ".tsv" else ","
            with path.open(newline="", encoding="utf-8") as f:
                for row in csv.DictReader(f, delimiter=delimiter):
                    symbol = row["Symbol"].strip().lstrip("$").upper()
                    name = (row.get("Security") or row.get("Company") or "").strip()
                    if symbol:
                        companies[symbol] = (*companies.get(symbol, ()), name)
        return cls(companies, max_strong_cashtags=max_strong_cashtags)

    def link(self, text: str, tagged: tuple[str, ...] = ()) -> list[Link]:
        """Links of one headline, strongest method per symbol, in first-seen order.

        Parameters
        ----------
        text : str
            The headline (and body, if any).
        tagged : tuple of str
            Instruments the source attached (``AAPL.NASDAQ`` or ``AAPL``); always strong.
        """
        found: dict[str, Link] = {}
        for tag in tagged:
            symbol = tag.split(".", 1)[0].upper() if tag.count(".") == 1 else tag.upper()
            found.setdefault(symbol, Link(symbol, "source", False))
        cashtags = [m.upper() for m in _CASHTAG.findall(text) if m.upper() in self.symbols]
        broad = len(set(cashtags)) > self.max_strong_cashtags
        for symbol in cashtags:
            found.setdefault(symbol, Link(symbol, "cashtag", broad))
        words = _WORD.findall(text)
        name_lengths = self._name_lengths
        for i, word in enumerate(words):
            if not word[0].isupper():
                continue
            candidates = name_lengths.get(word.lower().rstrip(".'"))
            if candidates is None:
                continue
            for n in candidates:
                if n > len(words) - i:
                    continue
                symbol = self._names.get(" ".join(w.lower().rstrip(".'") for w in words[i : i + n]))
                if symbol is not None:
                    found.setdefault(symbol, Link(symbol, "name", False))
                    break
        symbols = self.symbols
        for word in words:
            if word in symbols and word.isupper():
                found.setdefault(word, Link(word, "ticker", True))
        return list(found.values())
