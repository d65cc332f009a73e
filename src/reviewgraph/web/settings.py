"""Everything the web app is configured with, in one value (no globals, no environment reads)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from reviewgraph.terms import DEFAULT_BASE_IRI


@dataclass(frozen=True)
class Settings:
    graph_file: Path | None = None  # the build to serve (.nt / .ttl); prepared into store_dir
    store_dir: Path | None = None  # on-disk store; default: "store" beside graph_file
    # An external SPARQL store's query URL: when set, /sparql and every page are answered
    # from it and the app holds no graph (graph_file and store_dir are not used).
    store_url: str | None = None
    # The graph file the query processes load into memory (set by `serve` for its workers;
    # graph_file is used when this is None). Measured at 10,000 reviews, in-memory answers
    # lookups ~25% and GROUP BY ~15% faster than the read-only on-disk store, at ~370 MB a
    # process; None with no graph_file: the processes open store_dir read-only instead.
    executor_graph_file: Path | None = None
    base_iri: str = DEFAULT_BASE_IRI  # base of the graph's entity IRIs (links in results)
    query_timeout: float = 10.0  # seconds; the query's process is killed after this
    max_rows: int = 10_000  # result row (or triple) cap; cut results say so
    max_query_bytes: int = 65_536  # larger queries get 413
    executors: int = 3  # query processes per web worker
    cache_bytes: int = 32 << 20  # answers kept per worker (the store is read-only); 0: off
    cors_allow_origin: str = "*"
    log_requests: bool = True

    def resolved_store_dir(self) -> Path:
        if self.store_url is not None:
            raise ValueError("an external store (store_url) has no store folder")
        if self.store_dir is not None:
            return Path(self.store_dir)
        if self.graph_file is None:
            raise ValueError("Settings need a graph_file or a store_dir")
        return Path(self.graph_file).parent / "store"

    def to_json(self) -> str:
        values = asdict(self)
        for name in ("graph_file", "store_dir", "executor_graph_file"):
            if values[name] is not None:
                values[name] = str(values[name])
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        values = json.loads(text)
        known = {f.name for f in fields(cls)}
        settings = cls(**{k: v for k, v in values.items() if k in known})
        return replace(
            settings,
            graph_file=Path(settings.graph_file) if settings.graph_file else None,
            store_dir=Path(settings.store_dir) if settings.store_dir else None,
            executor_graph_file=(Path(settings.executor_graph_file)
                                 if settings.executor_graph_file else None),
        )
