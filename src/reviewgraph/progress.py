"""Progress of a long command on a terminal (rich), and nothing at all when not on one.

    with progress("harvesting", total=len(pages)) as bar:
        for page in pages:
            ...
            bar.advance()          # one step done
            bar.describe("page 3") # or say what is being done now

Without `total` it shows a spinner and the time taken. Output goes to stderr, so it never
mixes with what a command prints on stdout; logs and CI (no TTY) get no progress lines.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class Progress:
    """What a command tells its progress display; does nothing when there is none."""

    def __init__(self, bar: Any = None, task: Any = None) -> None:
        self._bar = bar
        self._task = task

    def advance(self, steps: float = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, steps)

    def describe(self, description: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def total(self, total: float | None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, total=total)


@contextmanager
def progress(description: str, total: float | None = None,
             stream: TextIO | None = None) -> Iterator[Progress]:
    """A progress display on `stream` (default stderr) while the block runs, if it is a
    terminal; it is cleared when the block ends."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield Progress()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import (
        Progress as RichProgress,
    )

    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    with RichProgress(*columns, console=Console(file=stream), transient=True) as bar:
        yield Progress(bar, bar.add_task(description, total=total))
