"""State stores: the embedded file store (local runs) and Redis (the daemon), behind
:class:`engine.state.StateStore`; :func:`open_store` picks one from the config."""

from __future__ import annotations

from pathlib import Path

from adapters.state.file_store import EmbeddedFileStore
from adapters.state.redis_store import RedisStateStore
from engine.config import StoreConfig
from engine.errors import StateStoreError
from engine.state import StateStore

__all__ = ["EmbeddedFileStore", "RedisStateStore", "open_store"]


def open_store(cfg: StoreConfig, *, path: Path | None = None) -> StateStore:
    """Open the store the config names.

    Parameters
    ----------
    cfg : StoreConfig
        ``backend`` ``"file"`` (directory ``path or cfg.path``) or ``"redis"`` (``cfg.redis_url`` with
        ``cfg.key_prefix``).
    path : Path, optional
        Directory that replaces ``cfg.path`` for the file backend (e.g. a run directory); ignored by Redis.
        Relative paths resolve against the current working directory.

    Returns
    -------
    StateStore

    Raises
    ------
    StateStoreError
        The directory cannot be created, the Redis URL is invalid, or the backend is unknown.
    """
    if cfg.backend == "file":
        root = Path(path if path is not None else cfg.path)
        return EmbeddedFileStore(root if root.is_absolute() else Path.cwd() / root)
    if cfg.backend == "redis":
        return RedisStateStore(cfg.redis_url, cfg.key_prefix)
    raise StateStoreError(f"store.backend: unknown backend {cfg.backend!r} (expected file or redis)")
