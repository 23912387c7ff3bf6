"""Keeps numba's on-disk cache honest for kernels that inline code from other modules.

numba's ``cache=True`` invalidates a cached function only when *its own* source file changes. The vector
kernel inlines the step functions of ``kernels.py`` and ``rolling_kernels.py``, so after an edit there it
would silently load stale machine code. ``flush_if_dependencies_changed`` stores a digest of the dependency
sources next to the cache and flushes the listed dispatchers' caches when the digest differs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from numba.core.registry import CPUDispatcher


def flush_if_dependencies_changed(
    namespace: dict[str, object], dependencies: Iterable[Path], tag: str
) -> None:
    """Flush the numba cache of every dispatcher in ``namespace`` if any dependency source changed.

    Parameters
    ----------
    namespace : dict
        A module's ``globals()``; its numba dispatchers are the ones flushed.
    dependencies : iterable of pathlib.Path
        Source files whose code the dispatchers inline.
    tag : str
        Name of the digest file (``<tag>.deps`` in the cache directory).
    """
    dispatchers = [d for d in namespace.values() if isinstance(d, CPUDispatcher) and d._cache is not None]
    if not dispatchers:
        return
    digest = hashlib.sha256(b"".join(Path(p).read_bytes() for p in dependencies)).hexdigest()
    stamp = Path(dispatchers[0]._cache._cache_path) / f"{tag}.deps"
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    for dispatcher in dispatchers:
        dispatcher._cache.flush()
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest)
    except OSError:
        pass  # read-only location: numba cannot cache there either, so nothing stale can be loaded later
