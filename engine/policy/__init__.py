"""The versioned, bounded policy: the one table of tunables and their hard bounds (``bounds``), applying a
``control`` update as a new version (``apply``), turning a model's answer into an update (``answers``), and
the version history with diff and rollback (``versions``)."""
