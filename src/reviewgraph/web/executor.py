"""Running queries where they can be stopped: a pool of executor processes.

pyoxigraph has no query timeout and evaluates in native code, so a runaway query can only be
stopped by ending the process running it. Each web worker owns a few executor processes;
each loads the served graph file into memory (engine-bound queries run faster there than on
the read-only RocksDB folder: see Settings.executor_graph_file) or, with no file, opens the
prepared folder read-only, and answers one request at a time over a pair of pipes. A request that
is not answered within the time limit gets its executor SIGKILLed (the CPU is free at once)
and a fresh executor started in its place; the others keep serving meanwhile.

Executors also cannot reach the network: before reading any query each installs a seccomp
filter that makes socket() fail, so SERVICE, remote FROM or anything else that would connect
cannot, whatever the query text looks like (sparql_text.py refuses SERVICE politely first).

The executor does the serialisation too, so a worker only moves finished bytes.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import pickle
import platform
import queue
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reviewgraph.errors import ReviewGraphError
from reviewgraph.store import QueryFailed
from reviewgraph.web.results import write

if TYPE_CHECKING:
    from reviewgraph.external import ExternalSparqlStore

_HEADER = struct.Struct("!I")
# Seconds the start-up check may take (an executor opening the store, then counting its
# triples), and the limit of each query of an external store's count in the background (a
# store's own lower limit still applies); not a user's query.
STARTUP_LIMIT = 300.0


@dataclass(frozen=True)
class Outcome:
    """What an executor said: a body, or an HTTP status with a message."""

    status: int
    body: bytes = b""
    message: str = ""
    truncated: bool = False
    rows: int = 0


class ExecutorStopped(Exception):
    pass


class TripleCount:
    """How many triples the served graph holds, once known (None until then).

    The embedded store knows its size at once. An external store must count our graphs, which
    reads every triple (`ExternalSparqlStore.triple_count`: seconds at 100,000 reviews, more on
    a busy or slow store). So the app never waits for that count to start serving; it is taken
    in the background and shown when known (the service description, the query page and
    /healthz leave it out until then). A count that fails (e.g. the store's own time limit is
    shorter) stays unknown: never a guess."""

    def __init__(self, value: int | None = None):
        self._value = value
        self._known = threading.Event()
        if value is not None:
            self._known.set()

    @property
    def value(self) -> int | None:
        return self._value

    def set(self, value: int) -> None:
        self._value = value
        self._known.set()

    def wait(self, seconds: float) -> int | None:
        """The count, after waiting at most `seconds` for it."""
        self._known.wait(seconds)
        return self._value


# --- the worker side --------------------------------------------------------------------------
class _Executor:
    def __init__(self, spec: dict):
        parent_read, child_write = os.pipe()
        child_read, parent_write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reviewgraph.web.executor", json.dumps(spec),
             str(child_read), str(child_write)],
            pass_fds=(child_read, child_write), stdin=subprocess.DEVNULL, close_fds=True)
        os.close(child_read)
        os.close(child_write)
        self.read_fd, self.write_fd = parent_read, parent_write
        self.poller = select.poll()
        self.poller.register(parent_read, select.POLLIN)
        self.ready = False

    def call(self, request: tuple, deadline: float) -> tuple:
        if not self.ready:
            reply = self._receive(time.monotonic() + STARTUP_LIMIT)
            if reply[0] != "ready":
                raise ExecutorStopped(reply[1] if len(reply) > 1 else "executor failed")
            self.ready = True
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            os.write(self.write_fd, _HEADER.pack(len(payload)) + payload)
        except OSError as error:
            raise ExecutorStopped(f"executor stopped: {error}") from error
        return self._receive(deadline)

    def _receive(self, deadline: float) -> tuple:
        # One request is outstanding at a time, so whatever arrives belongs to one frame:
        # usually a single read holds all of it.
        buffer = b""
        needed = _HEADER.size
        while len(buffer) < needed:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.poller.poll(remaining * 1000):
                raise TimeoutError
            chunk = os.read(self.read_fd, max(needed - len(buffer), 1 << 16))
            if not chunk:
                code = self.process.poll()
                raise ExecutorStopped(f"executor stopped (exit status {code})")
            buffer += chunk
            if needed == _HEADER.size and len(buffer) >= _HEADER.size:
                needed += _HEADER.unpack_from(buffer)[0]
        return pickle.loads(memoryview(buffer)[_HEADER.size:needed])

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for fd in (self.read_fd, self.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class QueryPool:
    """A fixed number of executor processes shared by one web worker's threads; or, for an
    external store, that many query slots in the worker's own threads (`_StoreSlots`)."""

    def __init__(self, spec: dict, size: int, timeout: float, max_rows: int,
                 prefixes: dict[str, str] | None = None):
        self.spec, self.size, self.timeout, self.max_rows = spec, size, timeout, max_rows
        self.prefixes = prefixes or {}
        self._idle: queue.LifoQueue[_Executor] = queue.LifoQueue()
        self._all: set[_Executor] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._slots: _StoreSlots | None = None
        if spec.get("kind") == "sparql":
            self._slots = _StoreSlots(spec, size, timeout, self.prefixes)
            return
        for _ in range(size):
            self._idle.put(self._spawn())

    @property
    def external_store(self) -> ExternalSparqlStore | None:
        """The external store the query slots query (None: the embedded store)."""
        return self._slots.store if self._slots is not None else None

    def _spawn(self) -> _Executor:
        executor = _Executor(self.spec)
        with self._lock:
            self._all.add(executor)
        return executor

    def _replace(self, executor: _Executor) -> None:
        executor.kill()
        with self._lock:
            self._all.discard(executor)
            closed = self._closed
        if not closed:
            self._idle.put(self._spawn())

    def check(self, wait: float) -> TripleCount:
        """Wait until the store can be queried; return its triple count. An executor opens
        the embedded store and counts it at once. An external store was opened (and its
        graphs found) by `_StoreSlots`; it is counted in the background (`TripleCount`),
        waited for at most `wait` seconds, so a small store starts with its count known."""
        if self._slots is not None:
            return self._slots.count_in_background(wait)
        outcome = self._run(("count",), STARTUP_LIMIT)
        if outcome.status != 200:
            raise ReviewGraphError(f"cannot serve the store: {outcome.message}")
        return TripleCount(outcome.rows)

    def query(self, text: str, fmt: str, default_graph_uris: tuple[str, ...] = (),
              named_graph_uris: tuple[str, ...] = (), max_rows: int | None = None) -> Outcome:
        request = ("query", text, default_graph_uris, named_graph_uris, fmt,
                   self.max_rows if max_rows is None else max_rows)
        return self._run(request, self.timeout)

    def _run(self, request: tuple, limit: float) -> Outcome:
        if self._slots is not None:
            return _outcome(self._slots.run(request, limit), self.size, limit)
        started = time.monotonic()
        try:
            executor = self._idle.get(timeout=limit)
        except queue.Empty:
            return Outcome(503, message=f"all {self.size} query workers stayed busy for "
                                        f"{limit:g} s; try again shortly")
        deadline = started + limit
        try:
            reply = executor.call(request, deadline)
        except TimeoutError:
            self._replace(executor)
            return Outcome(503, message=(
                f"query stopped: it ran longer than the {limit:g} s time limit. Narrow it "
                "(more specific patterns, fewer OPTIONALs, LIMIT) and try again."))
        except ExecutorStopped as error:
            self._replace(executor)
            return Outcome(500, message=f"the query could not be run: {error}")
        except BaseException:
            self._replace(executor)
            raise
        self._idle.put(executor)
        return _outcome(reply, self.size, limit)

    def close(self) -> None:
        if self._slots is not None:
            self._slots.close()
        with self._lock:
            self._closed = True
            executors = list(self._all)
            self._all.clear()
        for executor in executors:
            executor.kill()


def _outcome(reply: tuple, size: int, limit: float) -> Outcome:
    if reply[0] == "ok":
        _, body, truncated, rows = reply
        return Outcome(200, body=body, truncated=truncated, rows=rows)
    if reply[0] == "busy":
        return Outcome(503, message=f"all {size} query workers stayed busy for {limit:g} s; "
                                    "try again shortly")
    _, status, message = reply
    return Outcome(status, message=message)


class _StoreSlots:
    """An external store queried from the web worker's own threads, at most `size` at once.

    Why no executor processes here: they exist to stop a query of the embedded engine, which
    only ending its process can do, and to keep it off the network. A query on an external
    store runs in the store's process: all ours does is wait on a socket, which the adapter
    bounds by the time limit (`ExternalSparqlStore` gives up when the limit has passed, and
    the store stops the query itself with its own limit), then read at most the row cap. The
    hop to another process and back (two pickles, two pipes, two process switches a query)
    cost more CPU than the rest of our work on a lookup, and on this 2-core machine that
    halved the lookups a second through /sparql (bench/stores.py).
    """

    def __init__(self, spec: dict, size: int, timeout: float, prefixes: dict[str, str]):
        from reviewgraph.external import ExternalSparqlStore

        # The adapter keeps one connection per thread, so the threads share it safely.
        self.store = ExternalSparqlStore.from_spec({**spec, "timeout": timeout})
        if not self.store.graphs:
            self.store.close()
            base_iri = spec.get("base_iri") or ""
            raise ReviewGraphError(
                f"the store at {spec['url']} holds no ReviewGraph graphs (none under "
                f"{base_iri}graph/); fill it with `reviewgraph load --store URL`")
        self.prefixes = prefixes
        # One token per slot (a SimpleQueue: C code, a tenth of a semaphore's cost a query).
        self._free: queue.SimpleQueue[int] = queue.SimpleQueue()
        for slot in range(size):
            self._free.put(slot)

    def count_in_background(self, wait: float) -> TripleCount:
        """Count the store's triples in a thread of its own (not one of the query slots, which
        stay free for /sparql); return at once, or when counted if that takes under `wait`."""
        count = TripleCount()

        def take() -> None:
            self.store.within(STARTUP_LIMIT)  # this thread's queries only
            try:
                count.set(self.store.triple_count())
            except (QueryFailed, ReviewGraphError, OSError) as error:
                message = error.message if isinstance(error, QueryFailed) else str(error)
                print(f"reviewgraph serve: the store's triples could not be counted "
                      f"({message}); the service description and /healthz leave the count "
                      "out", file=sys.stderr)

        threading.Thread(target=take, name="reviewgraph-count", daemon=True).start()
        count.wait(wait)
        return count

    def run(self, request: tuple, limit: float) -> tuple:
        started = time.monotonic()
        try:
            slot = self._free.get(timeout=limit)
        except queue.Empty:
            return ("busy",)
        try:
            # The limit covers the wait for a turn too, as with the query processes.
            self.store.within(max(limit - (time.monotonic() - started), 0.001))
            return answer(self.store, request, self.prefixes)
        finally:
            self.store.within(None)
            self._free.put(slot)

    def close(self) -> None:
        self.store.close()


def answer(store, request: tuple, prefixes: dict[str, str]) -> tuple:
    """One request of the pool answered by `store`: ("ok", body, truncated, rows) or
    ("error", status, message)."""
    if request[0] == "count":
        return ("ok", b"", False, store.triple_count())
    _, text, default_graphs, named_graphs, fmt, max_rows = request
    try:
        result = store.query(text, default_graph_uris=default_graphs,
                             named_graph_uris=named_graphs)
        body, truncated, rows = write(result, fmt, max_rows, prefixes)
    except QueryFailed as error:
        return ("error", error.status or (400 if error.syntax else 500), error.message)
    return ("ok", body, truncated, rows)


def store_spec(store_dir: Path, prefixes: dict[str, str] | None = None,
               memory_file: Path | None = None) -> dict:
    """The embedded store at `store_dir`; with `memory_file`, executors load that file into
    memory instead (the same graph: the folder is prepared from it) and only the pages open
    the folder."""
    spec = {"kind": "oxigraph", "path": str(store_dir), "prefixes": prefixes or {}}
    if memory_file is not None:
        spec["memory_file"] = str(memory_file)
    return spec


# --- the executor side ------------------------------------------------------------------------
_SECCOMP_ARCH = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}


def deny_network() -> bool:
    """Make socket() (and io_uring) fail with EPERM in this process from now on.

    A seccomp filter is irreversible and inherited, needs no privileges (only
    no_new_privs) and is enforced by the kernel. Returns False where it cannot be installed
    (another architecture or kernel), in which case the tokenizer is the only guard.
    """
    machine = platform.machine()
    if machine not in _SECCOMP_ARCH or not sys.platform.startswith("linux"):
        return False
    arch, nr_socket, nr_io_uring_setup = _SECCOMP_ARCH[machine]

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                    ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    ld_w_abs, jeq_k, jge_k, ret_k = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EPERM
    program = [
        SockFilter(ld_w_abs, 0, 0, 4),  # A = seccomp_data.arch
        SockFilter(jeq_k, 1, 0, arch),  # our architecture? go on : deny
        SockFilter(ret_k, 0, 0, deny),
        SockFilter(ld_w_abs, 0, 0, 0),  # A = seccomp_data.nr
        SockFilter(jge_k, 3, 0, 0x40000000),  # x32 ABI numbers: deny
        SockFilter(jeq_k, 2, 0, nr_socket),
        SockFilter(jeq_k, 1, 0, nr_io_uring_setup),
        SockFilter(ret_k, 0, 0, allow),
        SockFilter(ret_k, 0, 0, deny),
    ]
    filters = (SockFilter * len(program))(*program)
    fprog = SockFprog(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) == 0


def _exit_with_parent() -> None:
    """Stop if the web worker that started us goes away, even in the middle of a query."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _send(fd: int, message: tuple) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _receive(fd: int) -> tuple | None:
    buffer = b""
    needed = _HEADER.size
    while len(buffer) < needed:
        chunk = os.read(fd, max(needed - len(buffer), 1 << 16))
        if not chunk:
            return None
        buffer += chunk
        if needed == _HEADER.size and len(buffer) >= _HEADER.size:
            needed += _HEADER.unpack_from(buffer)[0]
    return pickle.loads(memoryview(buffer)[_HEADER.size:needed])


def serve_requests(spec: dict, read_fd: int, write_fd: int) -> int:
    # Imported here so the web worker that only manages the pool stays light.
    from reviewgraph.store import OxigraphStore, Store, open_store

    if spec.get("kind", "oxigraph") == "oxigraph" and not deny_network():
        print("reviewgraph executor: warning: could not block network access; "
              "SERVICE is refused by the query reader only", file=sys.stderr)
    try:
        if spec.get("memory_file"):
            # Faster than the read-only on-disk store for engine-bound queries (GROUP BY,
            # lookups): see Settings.executor_graph_file.
            store: Store = OxigraphStore.in_memory(Path(spec["memory_file"]))
        else:
            store = open_store(spec)
    except Exception as error:  # noqa: BLE001 - reported to the pool, which reports it
        _send(write_fd, ("fatal", str(error)))
        return 1
    prefixes = spec.get("prefixes") or {}
    _exit_with_parent()
    _send(write_fd, ("ready",))
    while (request := _receive(read_fd)) is not None:
        _send(write_fd, answer(store, request, prefixes))
    return 0


if __name__ == "__main__":
    sys.exit(serve_requests(json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
