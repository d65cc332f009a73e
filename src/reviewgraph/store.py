"""Where the graph is queried from: a narrow Store interface and the embedded Oxigraph store.

The web layer only ever asks a store to run one read-only SPARQL query and to count its
triples. Results use pyoxigraph's term and solution types whatever the store, because an
external store's answers can be read into the same types with `pyoxigraph.parse_query_results`
and `pyoxigraph.parse` (`reviewgraph.external.ExternalSparqlStore` does exactly that; it
imports this module, never the other way round).

Loading is not part of the interface: the embedded store is prepared from a build file once
(`OxigraphStore.prepare`), then opened read-only by every process that serves queries.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import pyoxigraph as ox

from reviewgraph.errors import ReviewGraphError

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

# The build writes these; the store reads them (by extension).
_LOADABLE = {".nt": ox.RdfFormat.N_TRIPLES, ".ttl": ox.RdfFormat.TURTLE,
             ".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}


@dataclass
class QueryResult:
    """One query's answer: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE).

    `solutions` and `triples` are lazy iterators: the caller decides how many to read (the
    row cap) so a huge result is never materialised.

    `results_json`, when set, is a SELECT or ASK answer exactly as an external store wrote it
    in SPARQL 1.1 JSON, read whole and found standard and complete, with its `rows`: asked
    for JSON, the endpoint sends those bytes on as they are while `rows` is within its cap,
    rather than reading every term and writing it again (`reviewgraph.external`).
    """

    variables: list[str] = field(default_factory=list)
    solutions: Iterator[ox.QuerySolution] | None = None
    boolean: bool | None = None
    triples: Iterator[ox.Triple] | None = None
    results_json: bytes | None = None
    rows: int = 0

    @property
    def is_graph(self) -> bool:
        return self.triples is not None


class QueryFailed(Exception):
    """The store could not run the query; `message` says why (syntax errors give line:col).
    `status` is the HTTP status to answer with when it is not 400 (syntax) or 500 (other):
    503 when an external store stopped the query at its time limit."""

    def __init__(self, message: str, *, syntax: bool = False, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.syntax = syntax
        self.status = status


@runtime_checkable
class Store(Protocol):
    """What the endpoint and pages need from a store: read-only queries and a size."""

    def query(self, text: str, *, default_graph_uris: Sequence[str] = (),
              named_graph_uris: Sequence[str] = (), base_iri: str | None = None
              ) -> QueryResult:
        """Run one SPARQL query (never an update) on the protocol's dataset if one is given:
        with only named graphs the default graph is empty, with only default graphs there
        are no named graphs (SPARQL 1.1 Protocol, 2.1.4). Relative IRIs resolve against
        `base_iri`. Raises QueryFailed."""
        ...

    def triple_count(self) -> int: ...

    def close(self) -> None: ...


# pyoxigraph's own answer to a query: what the pages read (an external store's answers are
# parsed into the same types; it may answer CONSTRUCT with a list and ASK with a bool).
NativeAnswer = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | list[ox.Triple] | bool


@runtime_checkable
class PageSource(Protocol):
    """What the pages need from a store: pyoxigraph's own answers to their trusted, read-only
    queries (no QueryResult wrapping and no query process: the fast path), and the default
    graph's triples (the whole-graph downloads when no build file is at hand).

    `OxigraphStore` is one; an external store gives one with `pages_view(limit)`."""

    def page_query(self, text: str) -> NativeAnswer:
        """Run one of the pages' own queries. Raises RuntimeError when the store fails."""
        ...

    def default_graph_triples(self) -> Iterator[ox.Triple]: ...


class OxigraphStore:
    """The embedded store: pyoxigraph, in memory or on disk (RocksDB) at a folder."""

    def __init__(self, store: ox.Store):
        self._store = store

    # --- opening -----------------------------------------------------------------------------
    @classmethod
    def in_memory(cls, *files: Path) -> OxigraphStore:
        store = ox.Store()
        for path in files:
            _load(store, Path(path))
        return cls(store)

    @classmethod
    def open(cls, folder: Path, *, read_only: bool = True) -> OxigraphStore:
        """Open a prepared on-disk store. Read-only opens can be shared by many processes."""
        try:
            store = ox.Store.read_only(str(folder)) if read_only else ox.Store(str(folder))
        except OSError as error:
            raise ReviewGraphError(f"cannot open the store at {folder}: {error}") from error
        return cls(store)

    @staticmethod
    def prepare(graph_file: Path, folder: Path) -> Path:
        """Make `folder` an on-disk store holding exactly `graph_file`; reuse it if current.

        A stamp (file name, size, SHA-256) records what the folder holds, so a restart with
        the same build opens at once and a new build is reloaded. A file lock makes two
        processes preparing the same folder take turns instead of corrupting it.
        """
        graph_file = Path(graph_file)
        if not graph_file.is_file():
            raise ReviewGraphError(f"{graph_file}: no such graph file")
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        wanted = _stamp(graph_file)
        lock_path = folder.with_name(folder.name + ".lock")
        with lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            stamp_file = folder / "reviewgraph-source.json"
            if stamp_file.is_file() and json.loads(stamp_file.read_text()) == wanted:
                return folder
            # Load into a sibling folder and swap it in, so a failed load leaves nothing half.
            staging = folder.with_name(folder.name + ".loading")
            shutil.rmtree(staging, ignore_errors=True)
            store = ox.Store(str(staging))
            try:
                _load(store, graph_file, bulk=True)
                store.optimize()
                store.flush()
            except ReviewGraphError:
                del store
                shutil.rmtree(staging, ignore_errors=True)
                raise
            del store
            (staging / "reviewgraph-source.json").write_text(json.dumps(wanted))
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(staging, folder)
        return folder

    # --- the interface -----------------------------------------------------------------------
    def query(self, text: str, *, default_graph_uris: Sequence[str] = (),
              named_graph_uris: Sequence[str] = (), base_iri: str | None = None
              ) -> QueryResult:
        options: dict = {}
        # Protocol dataset parameters override the query's own FROM / FROM NAMED, and each
        # one given alone leaves the other part of the dataset empty. FROM never fetches
        # anything in Oxigraph: it names graphs inside this store.
        if default_graph_uris or named_graph_uris:
            try:
                options["default_graph"] = [ox.NamedNode(iri) for iri in default_graph_uris]
                options["named_graphs"] = [ox.NamedNode(iri) for iri in named_graph_uris]
            except ValueError as error:
                raise QueryFailed(f"a dataset graph is not an IRI: {error}", syntax=True) \
                    from error
        if base_iri:
            options["base_iri"] = base_iri
        try:
            answer = self._store.query(text, **options)
        except SyntaxError as error:
            raise QueryFailed(_syntax_message(str(error)), syntax=True) from error
        except (OSError, ValueError, RuntimeError) as error:
            raise QueryFailed(str(error)) from error
        if isinstance(answer, ox.QuerySolutions):
            return QueryResult(variables=[v.value for v in answer.variables],
                               solutions=_guarded(answer))
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult(boolean=bool(answer))
        return QueryResult(triples=_guarded(answer))

    def triple_count(self) -> int:
        return len(self._store)

    # --- the pages' source (PageSource) ------------------------------------------------------
    def page_query(self, text: str) -> NativeAnswer:
        return self._store.query(text)

    def default_graph_triples(self) -> Iterator[ox.Triple]:
        return (quad.triple for quad in
                self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()))

    def close(self) -> None:
        self._store = None  # type: ignore[assignment]

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store itself, for loading in tests and tools (not for the web)."""
        return self._store


def _guarded(iterator: Iterator) -> Iterator:
    """Turn evaluation errors raised while iterating into QueryFailed."""
    try:
        yield from iterator
    except (OSError, ValueError, RuntimeError) as error:
        raise QueryFailed(str(error)) from error


def _syntax_message(raw: str) -> str:
    # Oxigraph says "error at 3:14: expected ..."; say it the way a person reads it.
    if raw.startswith("error at ") and ":" in raw[9:]:
        where, _, rest = raw[9:].partition(": ")
        line, _, column = where.partition(":")
        if line.isdigit() and column.isdigit():
            return f"malformed query at line {line}, column {column}: {rest}"
    return f"malformed query: {raw}"


def _load(store: ox.Store, path: Path, *, bulk: bool = False) -> None:
    rdf_format = _LOADABLE.get(path.suffix.lower())
    if rdf_format is None:
        raise ReviewGraphError(
            f"{path}: cannot load a {path.suffix or 'extensionless'} file; "
            f"give one of {', '.join(sorted(_LOADABLE))}")
    try:
        if bulk:
            store.bulk_load(path=str(path), format=rdf_format)
        else:
            store.load(path=str(path), format=rdf_format)
    except SyntaxError as error:
        raise ReviewGraphError(f"{path}: not valid {rdf_format.name}: {error}") from error
    except OSError as error:
        raise ReviewGraphError(f"{path}: cannot read: {error}") from error


def _stamp(path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"file": path.name, "size": path.stat().st_size, "sha256": digest.hexdigest()}


def open_store(spec: dict) -> OxigraphStore:
    """Open the embedded store from its description, e.g. {"kind": "oxigraph", "path":
    "build/store"} or {"kind": "oxigraph", "files": ["build/reviewgraph.nt"]}.

    Descriptions are plain data so they can be handed to another process. An external store
    ({"kind": "sparql", ...}) is opened by `reviewgraph.external.ExternalSparqlStore.from_spec`:
    this module, the stage before it, never imports it.
    """
    kind = spec.get("kind", "oxigraph")
    if kind != "oxigraph":
        raise ReviewGraphError(f"unknown store kind {kind!r} (this opens the embedded store)")
    if spec.get("path"):
        return OxigraphStore.open(Path(spec["path"]))
    return OxigraphStore.in_memory(*(Path(f) for f in spec.get("files", ())))
