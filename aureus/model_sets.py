"""Which model directory a replay loads: a set's promoted version, by asset class for real data."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aureus.paths import resolve_repo_path
from engine.config import AureusConfig, ModelsConfig
from engine.research.registry import read_state, resolve_model_dir


def models_dir_for(config: AureusConfig, specs: Sequence, *, synthetic: bool) -> tuple[Path, str]:
    """The model directory to load and a one-line note on why.

    ``models.dir`` may name a version directory or a set (then its promoted version loads). For a real
    recording whose ``models.dir`` is the default, ``research.real_sets`` picks the set of the
    instruments' asset class (``kind``) when all share one and that set has a promoted version.
    """
    configured = resolve_model_dir(resolve_repo_path(config.models.dir))
    if synthetic or not config.research.use_real_sets or config.models.dir != ModelsConfig().dir:
        return configured, f"models.dir {config.models.dir}"
    kinds = {s.kind for s in specs}
    if len(kinds) != 1:
        return configured, f"mixed asset classes {sorted(kinds)}: models.dir {config.models.dir}"
    kind = kinds.pop()
    name = getattr(config.research.real_sets, kind, "")
    if not name:
        return configured, f"no real set for {kind}: models.dir {config.models.dir}"
    set_dir = resolve_repo_path(name)
    promoted = read_state(set_dir.parent, set_dir.name).promoted
    if promoted is None:
        return configured, f"real set {name} has no promoted version: models.dir {config.models.dir}"
    return set_dir / promoted, f"real set {name} promoted version {promoted}"
