"""The one exception type the command line turns into a clear message instead of a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class ReviewGraphError(Exception):
    """A problem a person can act on; the message names what is wrong and where."""


@dataclass(frozen=True)
class Problem:
    """A warning or violation tied to where it came from (file, line, entity)."""

    message: str
    file: str | None = None
    line: int | None = None
    entity: str | None = None

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line) if part is not None)
        prefix = f"{where}: " if where else ""
        suffix = f" [{self.entity}]" if self.entity else ""
        return f"{prefix}{self.message}{suffix}"
