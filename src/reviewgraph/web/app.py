"""The web application factory: `create_app(settings)` wires the store, endpoint and pages.

Request flow (outermost first): RequestLog (timing) -> path dispatch: /sparql goes to the
plain-WSGI SPARQL endpoint (endpoint.py), update-ish sibling URLs are refused, everything else
(and browsers asking /sparql for HTML) goes to Flask and its blueprints.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, jsonify

from reviewgraph.store import OxigraphStore
from reviewgraph.terms import PREFIXES
from reviewgraph.web.endpoint import UPDATE_PATHS, RequestLog, SparqlEndpoint
from reviewgraph.web.executor import QueryPool, store_spec
from reviewgraph.web.settings import Settings

EXTENSION = "reviewgraph"


@dataclass
class Service:
    """What blueprints reach through `current_app.extensions["reviewgraph"]`."""

    settings: Settings
    pool: QueryPool
    triple_count: int


def create_app(settings: Settings) -> Flask:
    store_dir = settings.resolved_store_dir()
    if settings.graph_file is not None:
        OxigraphStore.prepare(settings.graph_file, store_dir)  # no-op when already current
    pool = QueryPool(store_spec(store_dir, PREFIXES), settings.executors,
                     settings.query_timeout, settings.max_rows, PREFIXES)
    try:
        triple_count = pool.check()
    except BaseException:
        pool.close()
        raise
    atexit.register(pool.close)

    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    app.extensions[EXTENSION] = Service(settings, pool, triple_count)
    _register_blueprints(app, settings, store_dir)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", triples=triple_count)

    endpoint = SparqlEndpoint(settings, pool, app.wsgi_app, triple_count)
    dispatched = _Dispatch(endpoint, app.wsgi_app)
    app.wsgi_app = RequestLog(dispatched) if settings.log_requests else dispatched  # type: ignore[method-assign]
    return app


def _register_blueprints(app: Flask, settings: Settings, store_dir) -> None:
    """Every blueprint of the site, in one place."""
    from reviewgraph.web.pages import register_pages
    from reviewgraph.web.query_page import blueprint as query_page

    app.register_blueprint(query_page)
    # Pages query the read-only store in-process: their queries are our own named .rq files,
    # cheap and trusted, so they skip the killable query processes that guard /sparql.
    register_pages(app, OxigraphStore.open(store_dir), settings)


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
