"""`reviewgraph serve`: prepare the store once, then run the app under granian's workers."""

from __future__ import annotations

import os
from dataclasses import replace

from reviewgraph.errors import ReviewGraphError
from reviewgraph.store import OxigraphStore
from reviewgraph.web.settings import Settings
from reviewgraph.web.wsgi import SETTINGS_VARIABLE


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve until interrupted. Blocks."""
    from granian import Granian
    from granian.constants import Interfaces

    if settings.store_url is not None:  # an external store: nothing to prepare here
        worker_settings = replace(settings, graph_file=None, store_dir=None)
    else:
        store_dir = settings.resolved_store_dir()
        if settings.graph_file is not None:
            # Load once here rather than in every worker; workers only open it read-only.
            OxigraphStore.prepare(settings.graph_file, store_dir)
        # Workers open the prepared store (pages); their query processes load the file.
        worker_settings = replace(
            settings, graph_file=None, store_dir=store_dir,
            executor_graph_file=settings.executor_graph_file or settings.graph_file)
    os.environ[SETTINGS_VARIABLE] = worker_settings.to_json()
    try:
        server = Granian(
            "reviewgraph.web.wsgi:app_from_environment",
            factory=True,
            interface=Interfaces.WSGI,
            address=host,
            port=port,
            workers=workers,
            # One thread per executor, plus one so pages that need no query never wait.
            blocking_threads=settings.executors + 1,
            respawn_failed_workers=True,
            websockets=False,
            log_access=False,  # our RequestLog logs every request with its time
        )
    except Exception as error:  # granian validates its options on construction
        raise ReviewGraphError(f"cannot start the server: {error}") from error
    server.serve()
