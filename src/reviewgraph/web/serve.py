"""`reviewgraph serve`: prepare the store once, then run the app under granian's workers.

This process supervises; granian runs in a child process in a session of its own, so a Ctrl-C
at the terminal reaches only this process, which stops the server (granian, its workers and
their query processes) within STOP_SECONDS and prints one line, never a traceback. The port
is checked here first: granian's workers bind with SO_REUSEPORT, so a second server on a port
in use would otherwise start and share it. While serving, this process watches the graph file:
a new build (or `reviewgraph add`) is prepared into the store and granian reloads its workers.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import IO

from reviewgraph.errors import ReviewGraphError
from reviewgraph.store import OxigraphStore
from reviewgraph.web.settings import Settings
from reviewgraph.web.wsgi import SETTINGS_VARIABLE

STOP_SECONDS = 5.0  # a stop request is done within this, whatever the server was doing
WATCH_SECONDS = 1.0  # how often the graph file is looked at for a new build


class ServerStopped(BaseException):
    """Ctrl-C (SIGINT) or SIGTERM reached `serve`: stop, say so in one line."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        # Ctrl-C: 130, as a shell reports an interrupted command; SIGTERM asks for a normal stop.
        return 130 if self.signum == signal.SIGINT else 0

    def __str__(self) -> str:
        return "Ctrl-C" if self.signum == signal.SIGINT else signal.Signals(self.signum).name


def _raise_stopped(signum: int, frame: object) -> None:
    raise ServerStopped(signum)


def stop_on_signals() -> None:
    """From now on SIGINT and SIGTERM raise ServerStopped (call first thing in `serve`)."""
    signal.signal(signal.SIGINT, _raise_stopped)
    signal.signal(signal.SIGTERM, _raise_stopped)


def serve(settings: Settings, host: str, port: int, workers: int) -> int:
    """Serve until Ctrl-C or SIGTERM (raised as ServerStopped) or until the server fails;
    return the exit status of a server that stopped by itself."""
    with port_reserved(host, port):
        worker_settings = _worker_settings(settings, workers)
        environment = dict(os.environ, **{SETTINGS_VARIABLE: worker_settings.to_json()})
        server = subprocess.Popen(
            [sys.executable, "-m", "reviewgraph.web.serve", host, str(port), str(workers),
             str(settings.executors + 1)],
            env=environment, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            return _supervise(server, settings)
        finally:
            _stop(server)


def _supervise(server: subprocess.Popen, settings: Settings) -> int:
    watched = settings.graph_file if settings.store_url is None else None
    seen = _file_state(watched)
    while True:
        try:
            status = server.wait(WATCH_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        else:
            raise ReviewGraphError(f"the server stopped (exit status {status}); see above")
        state = _file_state(watched)
        if watched is not None and state is not None and state != seen:
            seen = state
            _reload(server, settings, watched)


def _file_state(path: Path | None) -> tuple[int, int, int] | None:
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None  # between a build's swap of folders: look again next time
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _reload(server: subprocess.Popen, settings: Settings, graph_file: Path) -> None:
    """A new build: load it into the store, then have granian replace its workers (SIGHUP),
    which open the new store; the old workers serve until then."""
    try:
        OxigraphStore.prepare(graph_file, settings.resolved_store_dir())
    except (ReviewGraphError, OSError) as error:
        print(f"reviewgraph serve: warning: {graph_file} changed but cannot be loaded ({error}); "
              "still serving the previous graph", file=sys.stderr)
        return
    server.send_signal(signal.SIGHUP)
    print(f"reviewgraph serve: {graph_file} changed; reloaded", file=sys.stderr)


def _stop(server: subprocess.Popen) -> None:
    """Ask granian to stop (SIGTERM: it stops its workers gracefully); kill the whole session's
    process group if it has not stopped in time. Further signals are ignored meanwhile."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if server.poll() is None:
        server.terminate()
        with suppress(subprocess.TimeoutExpired):
            server.wait(STOP_SECONDS - 1.5)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(server.pid, signal.SIGKILL)  # workers or query processes left behind
    with suppress(subprocess.TimeoutExpired):
        server.wait(1.0)


# --- the port -------------------------------------------------------------------------------
@contextmanager
def port_reserved(host: str, port: int) -> Iterator[None]:
    """Refuse a port that another program listens on, or that another `reviewgraph serve`
    holds; hold a lock on it (for other `serve` runs) while the block runs."""
    lock_path = Path(tempfile.gettempdir()) / f"reviewgraph-serve-{port}.lock"
    lock: IO[str] = lock_path.open("a")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReviewGraphError(f"port {port} is in use by another `reviewgraph serve`; "
                                   "choose another with --port") from None
        check_port_free(host, port)
        yield
    finally:
        lock.close()


def check_port_free(host: str, port: int) -> None:
    """Bind the address once, without SO_REUSEPORT: that fails if anything listens on it (a
    SO_REUSEPORT listener included), where granian's own bind would share the port."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise ReviewGraphError(f"--host {host}: {error.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        # SO_REUSEADDR as every server sets: a closed server's connections in TIME_WAIT do not
        # hold the port, a listener does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ReviewGraphError(f"port {port} on {host} is already in use; choose "
                                       "another with --port") from None
            if error.errno == errno.EACCES:
                raise ReviewGraphError(f"port {port}: permission denied (ports below 1024 "
                                       "need root)") from None
            if error.errno == errno.EADDRNOTAVAIL:
                raise ReviewGraphError(f"--host {host}: not an address of this "
                                       "machine") from None
            raise ReviewGraphError(f"cannot listen on {host}:{port}: "
                                   f"{error.strerror}") from None


# --- what the workers are given -------------------------------------------------------------
def _worker_settings(settings: Settings, workers: int) -> Settings:
    if settings.store_url is not None:  # an external store: nothing to prepare here
        return replace(settings, graph_file=None, store_dir=None)
    store_dir = settings.resolved_store_dir()
    if settings.graph_file is not None:
        # Load once here rather than in every worker; workers only open it read-only.
        OxigraphStore.prepare(settings.graph_file, store_dir)
    # Workers open the prepared store (pages); their query processes load the file when
    # every copy fits in memory, and otherwise open the prepared store read-only too.
    return replace(settings, graph_file=None, store_dir=store_dir,
                   executor_graph_file=_in_memory_file(settings, workers))


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


# --- the server process ---------------------------------------------------------------------
def run_granian(host: str, port: int, workers: int, blocking_threads: int) -> None:
    """The child process: granian serving the app factory with the settings in the
    environment. It stops on SIGTERM (from `serve`) and reloads its workers on SIGHUP."""
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    Granian(
        "reviewgraph.web.wsgi:app_from_environment",
        factory=True,
        interface=Interfaces.WSGI,
        address=host,
        port=port,
        workers=workers,
        # One thread per executor, plus one so pages that need no query never wait.
        blocking_threads=blocking_threads,
        respawn_failed_workers=True,
        respawn_interval=3.0,  # a reload starts the new worker, then stops the old one
        workers_kill_timeout=2,  # within serve's STOP_SECONDS
        websockets=False,
        log_access=False,  # our RequestLog logs every request with its time
        log_level=LogLevels.error,  # `serve` says when it starts, reloads and stops
    ).serve()


def _stop_with_parent() -> None:
    """Stop (as on SIGTERM) if `serve` goes away without stopping us, e.g. killed."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


if __name__ == "__main__":
    # A SIGTERM before granian's own handlers are in place stops this process silently.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _stop_with_parent()
    try:
        run_granian(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    except KeyboardInterrupt:
        sys.exit(130)
