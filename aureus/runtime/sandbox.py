"""The paper (demo) execution client: Nautilus's sandbox, made to also see bars.

The upstream sandbox subscribes to ``data.*.{venue}.*``, which never matches ``data.bars.<bar type>``, so
with bars only every order is rejected "no market" (notes/nautilus-1.228.md). The factory subclass keeps
the class name ``SandboxLiveExecClientFactory``: the node builder injects ``portfolio`` by that name.
"""

from __future__ import annotations

from nautilus_trader.adapters.sandbox.execution import SandboxExecutionClient
from nautilus_trader.adapters.sandbox.factory import SandboxLiveExecClientFactory as _UpstreamFactory


class BarSandboxExecutionClient(SandboxExecutionClient):
    """Sandbox execution client whose simulated exchange also matches on this venue's bars."""

    def connect(self) -> None:
        super().connect()
        self._msgbus.subscribe(f"data.bars.*.{self.venue}-*", handler=self.on_data)


class SandboxLiveExecClientFactory(_UpstreamFactory):
    """Builds :class:`BarSandboxExecutionClient` (name kept on purpose, see the module docstring)."""

    @staticmethod
    def create(loop, name, config, portfolio, msgbus, cache, clock):  # type: ignore[override]
        return BarSandboxExecutionClient(
            loop=loop, clock=clock, portfolio=portfolio, msgbus=msgbus, cache=cache, config=config
        )
