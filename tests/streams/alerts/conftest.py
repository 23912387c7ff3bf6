import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from loopback import Loopback  # noqa: E402


@pytest.fixture
async def loopback():
    server = Loopback()
    await server.start()
    yield server
    await server.stop()
