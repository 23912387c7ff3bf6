"""Checks a replay makes before it loads any data or builds an engine.

A tampered or missing model, a bad models directory or a recording without bars is then one clear error
before anything slow happens, instead of a failure inside the strategy's ``on_start`` (where Nautilus logs
its own traceback first).
"""

from __future__ import annotations

from pathlib import Path

from adapters.recorded import open_recording
from aureus.paths import resolve_repo_path
from engine.config import AureusConfig
from engine.errors import EngineError
from engine.models.runtime import ModelBundle, load_optional


def check_models(config: AureusConfig) -> None:
    """Load and verify the strategy's models (manifest, sha256, feature schema) on the CPU, then drop them.

    Raises
    ------
    ModelManifestError
        A model is missing, tampered with or built for other features.
    """
    models_dir = resolve_repo_path(config.models.dir)
    if not models_dir.is_dir():
        raise EngineError(f"models.dir {config.models.dir!r} is not a directory ({models_dir})")
    providers = ["CPUExecutionProvider"]
    ModelBundle.load(models_dir, params=config.features, providers=providers)
    load_optional(models_dir, "ppo_size_hint", params=config.features, providers=providers)


def check_recording(data: Path) -> None:
    """Open and verify a recording and require bars.

    Raises
    ------
    RecordingError
        Missing, unreadable or tampered recording.
    EngineError
        No ``md.bars`` topic (``aureus data bars`` makes them from quotes or trades).
    """
    recording = open_recording(data)
    recording.verify()
    if "md.bars" not in recording.topics:
        raise EngineError(
            f"{data}: recording has no md.bars topic (has {list(recording.topics)}); the strategy trades "
            f"bars: run `aureus data bars {data} --interval 1m` to build them from quotes or trades"
        )


def preflight_replay(config: AureusConfig, data: Path | None) -> None:
    """Every check a replay can make before loading data: the recording (when given), then the models."""
    if data is not None:
        check_recording(data)
    check_models(config)
