"""The web side of ReviewGraph: SPARQL endpoint, query page and (later) entity pages.

Names are imported lazily so that the query executor processes (`python -m
reviewgraph.web.executor`) start without importing Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewgraph.web.app import create_app
    from reviewgraph.web.settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from reviewgraph.web.app import create_app

        return create_app
    if name == "Settings":
        from reviewgraph.web.settings import Settings

        return Settings
    raise AttributeError(name)
