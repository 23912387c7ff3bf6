"""Shared parsing of model answers."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def strip_fence(text: str) -> bytes:
    """The answer without a surrounding Markdown code fence (some models add one despite the schema)."""
    match = _FENCE.match(text)
    return (match.group(1) if match else text.strip()).encode()
