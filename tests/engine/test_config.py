from pathlib import Path

import msgspec
import pytest

from engine.config import AureusConfig, config_hash, load_config
from engine.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_default_toml_equals_builtin_defaults():
    assert load_config(REPO / "configs" / "default.toml") == AureusConfig()


def test_set_overrides_parse_toml_literals():
    cfg = load_config(
        overrides=[
            "policy.thresholds.buy=0.7",
            "policy.allow_short=false",
            "policy.version=v2",
            "risk.caps.per_name_pct.core=2.5",
        ]
    )
    assert cfg.policy.thresholds.buy == 0.7
    assert cfg.policy.allow_short is False
    assert cfg.policy.version == "v2"
    assert cfg.risk.caps.per_name_pct.core == 2.5


def test_unknown_key_names_the_path():
    with pytest.raises(ConfigError, match=r"policy\.thresholds"):
        load_config(overrides=["policy.thresholds.bye=0.7"])


def test_out_of_range_value_names_the_path():
    with pytest.raises(ConfigError, match=r"policy\.thresholds\.buy"):
        load_config(overrides=["policy.thresholds.buy=1.7"])


@pytest.mark.parametrize("bad", ["novalue", "=3", "a..b=1", "policy.version.x=1"])
def test_malformed_override(bad):
    with pytest.raises(ConfigError):
        load_config(overrides=["policy.version=v", bad] if bad.startswith("policy.version.") else [bad])


def test_bad_toml_file(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[policy\nversion=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(p)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_config_hash_is_stable_and_sensitive():
    a, b = load_config(), load_config()
    assert config_hash(a) == config_hash(b)
    assert config_hash(load_config(overrides=["policy.thresholds.buy=0.68"])) != config_hash(a)


def test_config_is_frozen():
    cfg = load_config()
    with pytest.raises(AttributeError):
        cfg.mode = "live"
    assert msgspec.json.decode(msgspec.json.encode(cfg), type=AureusConfig) == cfg


def test_presentation_flags_do_not_change_the_config_hash():
    base = config_hash(load_config())
    assert config_hash(load_config(overrides=["replay.progress=false"])) == base
    assert config_hash(load_config(overrides=["replay.chunk_events=20000"])) != base  # not presentation
