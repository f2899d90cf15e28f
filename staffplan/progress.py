"""Progress reporting from library code (issue 18): a plain callback, never printing.

Long-running library functions take ``progress: Progress | None``; they call ``progress(task, done, total)``
as work advances (``task`` is a short Chinese label such as 「区县求解」; ``done`` out of ``total`` steps).  The
CLI passes a callback that draws a rich progress bar, or nothing with ``--quiet``/``--json``.
"""
from __future__ import annotations

from typing import Callable, Optional

Progress = Callable[[str, int, int], None]


def report(progress: Optional[Progress], task: str, done: int, total: int) -> None:
    """Call ``progress`` when one was given."""
    if progress is not None:
        progress(task, done, total)


def phases(progress: Optional[Progress], task: str, total: int) -> Callable[[], None]:
    """A step counter for ``total`` phases of ``task``: reports 0 now, and done + 1 at each call."""
    state = {"done": 0}
    report(progress, task, 0, total)

    def step() -> None:
        state["done"] += 1
        report(progress, task, state["done"], total)

    return step
