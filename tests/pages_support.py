"""Shared by the page tests: build a graph through the real pipeline and serve the pages.

`served_build(pages, folder)` runs `reviewgraph.build.build` on listing pages, loads the
N-Triples into the embedded Oxigraph store, registers the pages on a Flask app and serves it
on 127.0.0.1 (a real HTTP server in a thread). Until the web app factory exists this makes a
small local app; when `reviewgraph.web.create_app` exists the lead swaps it in here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from flask import Flask
from werkzeug.serving import make_server

from reviewgraph.build import build
from reviewgraph.paths import SOURCES_DIR
from reviewgraph.terms import DEFAULT_BASE_IRI
from reviewgraph.web.pages import Site, register_pages

SAMPLE_PAGE = SOURCES_DIR / "nspcc-new-in-the-collection-2025.txt"


@dataclass(frozen=True)
class PageSettings:
    base_iri: str
    build_dir: Path


@dataclass
class Served:
    url: str
    build_dir: Path
    store: pyoxigraph.Store
    site: Site
    app: Flask


def load_store(build_dir: Path) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.bulk_load(path=str(build_dir / "reviewgraph.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def make_app(build_dir: Path, base_iri: str = DEFAULT_BASE_IRI) -> tuple[Flask, Site,
                                                                            pyoxigraph.Store]:
    store = load_store(build_dir)
    app = Flask("reviewgraph-pages-test")
    site = register_pages(app, store, PageSettings(base_iri, build_dir))
    return app, site, store


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
                 base_iri: str = DEFAULT_BASE_IRI) -> Iterator[Served]:
    build_dir = folder / "build"
    build(pages=list(pages), out_dir=build_dir, base_iri=base_iri)
    app, site, store = make_app(build_dir, base_iri)
    with serve(app) as url:
        yield Served(url, build_dir, store, site, app)
