"""Spot is long only by default; margin kinds may be shorted; the config can open spot shorting."""

import pytest

from engine.config import load_config
from engine.shorting import may_short


@pytest.mark.parametrize(("kind", "default", "spot_enabled"), [
    ("crypto_spot", False, True), ("equity", False, True), ("fx", True, True), ("future", True, True),
])  # fmt: skip
def test_may_short(kind: str, default: bool, spot_enabled: bool) -> None:
    assert may_short(kind, load_config().shorting) is default
    assert may_short(kind, load_config(overrides=["shorting.spot=true"]).shorting) is spot_enabled


def test_a_kind_can_be_taken_off_margin() -> None:
    assert not may_short("fx", load_config(overrides=['shorting.margin_kinds=["future"]']).shorting)
