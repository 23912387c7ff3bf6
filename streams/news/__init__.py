"""News worker: ``news.raw`` -> ``news.scored``, and the same processors offline over a recording."""
