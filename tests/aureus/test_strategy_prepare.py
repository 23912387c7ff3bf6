"""``MetaEnsembleStrategy.prepare()`` loads the models before the engine runs; ``on_start`` then uses them.

Replay and the daemon call ``prepare()`` so the engine's first run does not pay for model loading and
kernel compilation inside its loop. The outputs must not depend on where the models were loaded.
"""

from pathlib import Path

import pytest

from engine.models import runtime
from tests.aureus.strategy_harness import Harness


@pytest.fixture(scope="module")
def two_instruments(tmp_path_factory) -> Path:
    from adapters.synthetic import synthesize

    path = tmp_path_factory.mktemp("synth") / "rec"
    synthesize(11, path, days=2, n_instruments=2)
    return path


def _counted_loads(monkeypatch) -> list[Path]:
    loads: list[Path] = []
    original = runtime.ModelBundle.load.__func__

    def counting(cls, models_dir, **kwargs):
        loads.append(Path(models_dir))
        return original(cls, models_dir, **kwargs)

    monkeypatch.setattr(runtime.ModelBundle, "load", classmethod(counting))
    return loads


def test_prepare_loads_once_before_the_run_and_changes_no_output(two_instruments, tmp_path, monkeypatch):
    loads = _counted_loads(monkeypatch)
    plain = Harness(two_instruments, tmp_path / "plain", max_bars=800)
    plain.run()
    assert len(loads) == 1  # on_start loaded them

    prepared = Harness(two_instruments, tmp_path / "prepared", max_bars=800)
    prepared.strategy.prepare()
    prepared.strategy.prepare()  # idempotent until used
    assert len(loads) == 2
    models = prepared.strategy._prepared[0]
    prepared.run()
    assert len(loads) == 2  # on_start took the prepared models instead of loading again
    assert prepared.strategy._models is models
    assert prepared.strategy._prepared is None
    streams = prepared.streams()
    assert streams["signals"] and streams == plain.streams()
