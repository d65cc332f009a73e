"""Shared by the page tests: build a graph through the real pipeline and serve the real app.

`served_build(pages, folder)` runs `reviewgraph.build.build` on listing pages, makes the web
app with the real factory (`create_app`: SPARQL endpoint, query page) and serves it on
127.0.0.1 from a thread, so the "query behind this page" links open in the real query
editor. The pages are registered here with `register_pages` until `create_app` does it
itself; once it does, this leaves them to it.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pyoxigraph
import requests
from flask import Flask
from store_servers import load
from werkzeug.serving import make_server

from reviewgraph.build import build
from reviewgraph.paths import SOURCES_DIR
from reviewgraph.terms import DEFAULT_BASE_IRI
from reviewgraph.web import Settings, create_app
from reviewgraph.web.site import Site

SAMPLE_PAGE = SOURCES_DIR / "nspcc-new-in-the-collection-2025.txt"
SYNTHETIC = Path(__file__).resolve().parents[1] / "bench" / "synthetic.py"


def synthetic_module() -> ModuleType:
    """bench/synthetic.py (the made-up corpus), which is a script, not a package module."""
    spec = importlib.util.spec_from_file_location("synthetic", SYNTHETIC)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Served:
    url: str
    build_dir: Path
    store: pyoxigraph.Store  # the build, for checking pages against the graph itself
    site: Site  # the pages' shared state (index, queries)
    app: Flask

    def get_ok(self, path: str) -> requests.Response:
        """GET a path of the served site, asserting it answers 200."""
        response = requests.get(self.url + path, timeout=60)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response


def make_app(build_dir: Path, base_iri: str = DEFAULT_BASE_IRI,
             store_url: str | None = None) -> tuple[Flask, Site]:
    """The app serving `build_dir` from the embedded store, or (with `store_url`) from an
    external store that already holds the build."""
    if store_url:
        settings = Settings(store_url=store_url, base_iri=base_iri, executors=1,
                            log_requests=False)
    else:
        settings = Settings(graph_file=build_dir / "reviewgraph.nt", base_iri=base_iri,
                            executors=1, log_requests=False)
    app = create_app(settings)
    return app, app.extensions["reviewgraph.pages"]


def sample_app(build_dir: Path) -> Flask:
    """The app serving a build of the sample page made into `build_dir`."""
    build([SAMPLE_PAGE], build_dir)
    return make_app(build_dir)[0]


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def served_build(pages: Sequence[Path], folder: Path,
                 base_iri: str = DEFAULT_BASE_IRI, store_url: str | None = None
                 ) -> Iterator[Served]:
    """Build `pages` and serve them; with `store_url` (the `page_store_url` fixture) the build
    is loaded into that external store with `reviewgraph load` and served from there."""
    build_dir = folder / "build"
    build(pages=list(pages), out_dir=build_dir, base_iri=base_iri)
    if store_url:
        load(store_url, "--build", str(build_dir))
    app, site = make_app(build_dir, base_iri, store_url)
    store = pyoxigraph.Store()
    store.bulk_load(path=str(build_dir / "reviewgraph.nt"),
                    format=pyoxigraph.RdfFormat.N_TRIPLES)
    with serve(app) as url:
        yield Served(url, build_dir, store, site, app)
