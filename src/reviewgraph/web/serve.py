"""`reviewgraph serve`: prepare the store once, then run the app under granian's workers."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

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
        # Workers open the prepared store (pages); their query processes load the file when
        # every copy fits in memory, and otherwise open the prepared store read-only too.
        worker_settings = replace(
            settings, graph_file=None, store_dir=store_dir,
            executor_graph_file=_in_memory_file(settings, workers))
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


# Bytes of memory a query process holds per byte of the graph file it loads (measured at 10,000
# reviews: 370 MB for 159 MB of N-Triples; Turtle is about 2.3 times denser).
MEMORY_PER_FILE_BYTE = {".nt": 2.4, ".nq": 2.4, ".ttl": 5.5}


def _in_memory_file(settings: Settings, workers: int) -> Path | None:
    """The graph file the query processes should load into memory, or None if all of them
    (workers x executors copies) would take more than half the memory available now."""
    graph_file = settings.executor_graph_file or settings.graph_file
    if graph_file is None:
        return None
    factor = MEMORY_PER_FILE_BYTE.get(Path(graph_file).suffix, 5.5)
    needed = Path(graph_file).stat().st_size * factor * workers * settings.executors
    available = _available_memory()
    if available is None or needed <= available / 2:
        return Path(graph_file)
    print(f"reviewgraph serve: query processes open the on-disk store read-only: "
          f"{workers * settings.executors} in-memory copies of {graph_file} would need about "
          f"{needed / 2**30:.1f} GiB of the {available / 2**30:.1f} GiB available",
          file=sys.stderr)
    return None


def _available_memory() -> int | None:
    """MemAvailable from /proc/meminfo, in bytes (None where there is no such file)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None
