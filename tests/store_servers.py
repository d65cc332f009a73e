"""Real external SPARQL stores on loopback, for the tests and the benchmark.

`start_oxigraph_server(folder)` runs `oxigraph serve` (the PyPI package's CLI) and
`start_virtuoso(folder)` a private Virtuoso (`virtuoso-t +foreground` with its own ini and
database in `folder`), each on free ports; `stop_store_server` ends them (only the processes
started here). Both answer SPARQL queries and take Graph Store Protocol writes, which is how
`reviewgraph load` fills them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from helpers import free_port

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
VIRTUOSO_INI = Path("/usr/share/virtuoso-opensource-7/virtuoso.ini")


@dataclass
class StoreServer:
    kind: str  # "oxigraph-server" or "virtuoso"
    query_url: str  # SPARQL query endpoint
    process: subprocess.Popen
    folder: Path
    log_path: Path

    @property
    def store_url(self) -> str:
        """What `reviewgraph load/serve/add --store` take."""
        return self.query_url

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def virtuoso_available() -> bool:
    return shutil.which("virtuoso-t") is not None and VIRTUOSO_INI.is_file()


def _wait_for(url: str, server: StoreServer, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.kind} exited:\n{server.log()}")
        try:
            answer = requests.get(url, params={"query": "ASK {}"}, timeout=2,
                                  headers={"Accept": "application/sparql-results+json"})
            if answer.status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    stop_store_server(server)
    raise RuntimeError(f"{server.kind} did not answer within {limit:g} s:\n{server.log()}")


def start_oxigraph_server(folder: Path, timeout: int = 3, *, union: bool = False,
                          port: int | None = None) -> StoreServer:
    """Oxigraph server with its own query time limit: a query the app abandons (its process
    killed at the app's limit) would otherwise run on in the server, using a core. With
    `union`, run as docs/deployment.md recommends (`--union-default-graph`), so the adapter
    queries it without listing every page's graph."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = folder / "oxigraph.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(OXIGRAPH), "serve", "--location", str(folder / "data"),
             "--bind", f"127.0.0.1:{port}", "--timeout-s", str(timeout),
             *(["--union-default-graph"] if union else [])],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = StoreServer("oxigraph-server", f"http://127.0.0.1:{port}/query", process, folder,
                         log_path)
    _wait_for(server.query_url, server, 30)
    return server


def start_virtuoso(folder: Path) -> StoreServer:
    """A private Virtuoso: its own database in `folder`, SQL and HTTP on free loopback ports,
    SPARQL updates (and so the Graph Store Protocol) allowed for the anonymous SPARQL user —
    on loopback, for loading; the ReviewGraph endpoint in front never passes updates on."""
    folder = folder.absolute()
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = VIRTUOSO_INI.read_text()
    ini = ini.replace("/var/lib/virtuoso-opensource-7/db/", f"{folder}/")
    ini = ini.replace("/var/lib/virtuoso-opensource-7/vsp", str(folder))
    ini = re.sub(r"^ServerPort(\s*)=\s*1111", f"ServerPort\\1= 127.0.0.1:{sql_port}", ini,
                 flags=re.M)
    ini = re.sub(r"^ServerPort(\s*)=\s*8890", f"ServerPort\\1= 127.0.0.1:{http_port}", ini,
                 flags=re.M)
    ini = re.sub(r"^DirsAllowed\s*=.*$", f"DirsAllowed = ., {folder}", ini, flags=re.M)
    # Virtuoso silently stops SELECT results at ResultSetMaxRows (10,000 by default): raise it
    # above any row cap the endpoint uses, so the endpoint's cap is the one that shows.
    ini = re.sub(r"^ResultSetMaxRows\s*=.*$", "ResultSetMaxRows = 1000000", ini, flags=re.M)
    ini_path = folder / "virtuoso.ini"
    ini_path.write_text(ini)
    log_path = folder / "virtuoso.out"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["virtuoso-t", "+configfile", str(ini_path), "+foreground"], cwd=folder,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = StoreServer("virtuoso", f"http://127.0.0.1:{http_port}/sparql", process, folder,
                         log_path)
    _wait_for(server.query_url, server, 60)
    grant = subprocess.run(
        ["isql-vt", f"127.0.0.1:{sql_port}", "dba", "dba",
         "exec=grant SPARQL_UPDATE to \"SPARQL\";"],
        capture_output=True, text=True, timeout=30)
    if grant.returncode != 0:
        stop_store_server(server)
        raise RuntimeError(f"isql-vt grant failed: {grant.stdout}{grant.stderr}")
    return server


def stop_process_group(process: subprocess.Popen, timeout: float) -> None:
    """End a server started in its own session: its whole process group (workers, query
    processes), all started by these fixtures; SIGKILL if SIGTERM is not enough in time."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def stop_store_server(server: StoreServer) -> None:
    stop_process_group(server.process, timeout=20)


# --- for the test suite -------------------------------------------------------------------------
STORE_KINDS = ("embedded", "oxigraph-server", "virtuoso")

# For tests about the embedded engine itself (or too slow to repeat per store): run them on
# the embedded store only. Put it on the test (or as `pytestmark`) of a test using `server`.
embedded_only = pytest.mark.parametrize("store_kind", ["embedded"], indirect=True)


class StoreFarm:
    """External store servers for the session, started on first use, one per (kind, purpose):
    the endpoint tests and the page tests each get their own, so loading one never changes
    what the other serves.

    The endpoint tests' Oxigraph server serves the union of its graphs as its default graph
    (`--union-default-graph`, as docs/deployment.md recommends), so the adapter queries it
    with no dataset; the page and loading tests' servers do not, so there the adapter sends
    every graph of ours as the dataset. Both ways are thus held to the same behaviour."""

    UNION_PURPOSES = frozenset({"endpoint"})

    def __init__(self, folder: Path):
        self.folder = folder
        self._running: dict[tuple[str, str], StoreServer] = {}
        self._loaded: dict[tuple[str, str], tuple[str, ...]] = {}

    def get(self, kind: str, purpose: str) -> StoreServer:
        key = (kind, purpose)
        if key not in self._running:
            folder = self.folder / f"{kind}-{purpose}"
            if kind == "virtuoso":
                self._running[key] = start_virtuoso(folder)
            else:
                self._running[key] = start_oxigraph_server(
                    folder, union=purpose in self.UNION_PURPOSES)
        return self._running[key]

    def loaded(self, kind: str, purpose: str, *load_args: str) -> str:
        """The store's URL after `reviewgraph load --store URL *load_args` (run once)."""
        server = self.get(kind, purpose)
        if self._loaded.get((kind, purpose)) != load_args:
            load(server.store_url, *load_args)
            self._loaded[(kind, purpose)] = load_args
        return server.store_url

    def stop_all(self) -> None:
        for server in self._running.values():
            stop_store_server(server)
        self._running.clear()


def load(store_url: str, *args: str) -> None:
    """`reviewgraph load --store URL ...` (the real command, in this process)."""
    from reviewgraph.cli import main

    status = main(["load", "--store", store_url, *args])
    if status != 0:
        raise RuntimeError(f"reviewgraph load --store {store_url} {' '.join(args)}: "
                           f"exit status {status}")
