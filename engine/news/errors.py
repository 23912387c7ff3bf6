"""Errors of the news processing core."""

from schemas.errors import AureusError


class NewsError(AureusError):
    """Root of news-processing errors."""


class SentimentModelError(NewsError):
    """The sentiment model or its manifest is missing, unreadable or inconsistent."""


class NewsInputError(NewsError, ValueError):
    """A news item that cannot be processed (empty headline, bad time); the message says why."""
