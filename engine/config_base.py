"""Shared building blocks of the config structs: constrained number types and the struct options
(frozen, keyword-only, unknown fields rejected)."""

from __future__ import annotations

from typing import Annotated

import msgspec

Fraction = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Percent = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]
Positive = Annotated[float, msgspec.Meta(gt=0.0)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]

_STRUCT = {"kw_only": True, "frozen": True, "forbid_unknown_fields": True}
