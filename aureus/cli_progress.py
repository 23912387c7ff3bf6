"""A step spinner for long CLI jobs that report their steps through an ``on_step(message)`` callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


@contextmanager
def step_progress(console: Console) -> Iterator[Callable[[str], None]]:
    """A spinner whose description is the current step; finished steps are printed with a tick."""
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("starting", total=None)
        last: list[str] = []

        def on_step(message: str) -> None:
            if last:
                progress.console.print(f"[green]✓[/green] {last[-1]}")
            last.append(message)
            progress.update(task, description=message)

        yield on_step
        if last:
            progress.console.print(f"[green]✓[/green] {last[-1]}")
        progress.update(task, description="done")
