"""The web application factory: `create_app(settings)` wires the store, endpoint and pages.

Request flow (outermost first): RequestLog (timing) -> path dispatch: /sparql goes to the
plain-WSGI SPARQL endpoint (endpoint.py), update-ish sibling URLs are refused, everything else
(and browsers asking /sparql for HTML) goes to Flask and its blueprints.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from flask import Flask, jsonify

from reviewgraph.store import OxigraphStore
from reviewgraph.terms import PREFIXES
from reviewgraph.web.endpoint import UPDATE_PATHS, RequestLog, SparqlEndpoint
from reviewgraph.web.executor import QueryPool, TripleCount, store_spec
from reviewgraph.web.settings import Settings

EXTENSION = "reviewgraph"


@dataclass
class Service:
    """What blueprints reach through `current_app.extensions["reviewgraph"]`."""

    settings: Settings
    pool: QueryPool
    triple_count: TripleCount  # its value is None while an external store is being counted


def create_app(settings: Settings) -> Flask:
    if settings.store_url is not None:
        spec = external_spec(settings)
    else:
        store_dir = settings.resolved_store_dir()
        if settings.graph_file is not None:
            OxigraphStore.prepare(settings.graph_file, store_dir)  # no-op when already current
        spec = store_spec(store_dir, PREFIXES,
                          settings.executor_graph_file or settings.graph_file)
    pool = QueryPool(spec, settings.executors, settings.query_timeout, settings.max_rows,
                     PREFIXES)
    try:
        triple_count = pool.check(wait=COUNT_WAIT)
    except BaseException:
        pool.close()
        raise
    atexit.register(pool.close)

    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    app.extensions[EXTENSION] = Service(settings, pool, triple_count)
    _register_blueprints(app, settings, spec, pool)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", triples=triple_count.value)  # null: not yet counted

    endpoint = SparqlEndpoint(settings, pool, app.wsgi_app, triple_count)
    dispatched = _Dispatch(endpoint, app.wsgi_app)
    app.wsgi_app = RequestLog(dispatched) if settings.log_requests else dispatched  # type: ignore[method-assign]
    return app


PAGES_LIMIT = 300.0  # seconds a page's own query may take on an external store
# Seconds start-up waits for an external store's triple count: a small store starts with it
# known, a large one (seconds at 100,000 reviews, more on a busy store) starts serving at
# once and gives the count once taken.
COUNT_WAIT = 2.0


def external_spec(settings: Settings) -> dict:
    """How the query processes (and the pages) reach an external store."""
    return {"kind": "sparql", "url": settings.store_url, "base_iri": settings.base_iri,
            "timeout": settings.query_timeout, "prefixes": PREFIXES}


def _register_blueprints(app: Flask, settings: Settings, spec: dict, pool: QueryPool) -> None:
    """Every blueprint of the site, in one place."""
    from reviewgraph.web.answers import register_answers
    from reviewgraph.web.insights import register_insights
    from reviewgraph.web.query_page import blueprint as query_page
    from reviewgraph.web.views import register_pages
    from reviewgraph.web.year_charts import register_year_charts

    app.register_blueprint(query_page)
    # Pages query the store in-process: their queries are our own named .rq files, cheap and
    # trusted, so they skip the killable query processes that guard /sparql.
    external = pool.external_store
    if external is not None:
        # No build folder: the whole-graph downloads and the pages' validators then come
        # from the store itself, never from files that may not match it.
        pages_settings = SimpleNamespace(base_iri=settings.base_iri,
                                         build_dir=Path(os.devnull))
        # Page queries get PAGES_LIMIT, not the /sparql limit: as on the embedded store (where
        # nothing stops them), they are our own, and the per-build reviews index they make at
        # start-up reads every review (a minute on an external store of 100,000 reviews).
        # They use the store the query slots opened: opening it again means finding its
        # graphs again (about 10 s on Virtuoso at 100,000 reviews, in every worker).
        site = register_pages(app, external.pages_view(PAGES_LIMIT), pages_settings)
    else:
        site = register_pages(app, OxigraphStore.open(Path(spec["path"])), settings)
    register_insights(app, site)
    register_answers(app, site)
    register_year_charts(app, site)


class _Dispatch:
    def __init__(self, endpoint: SparqlEndpoint, flask_app: Callable):
        self.endpoint = endpoint
        self.flask_app = flask_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/sparql" or path == "/sparql/":
            return self.endpoint(environ, start_response)
        if path.rstrip("/") in UPDATE_PATHS:
            return self.endpoint.refuse_update_path(environ, start_response)
        return self.flask_app(environ, start_response)
