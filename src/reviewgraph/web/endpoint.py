"""The SPARQL 1.1 Protocol at /sparql (queries only), as a plain WSGI application.

Why not a Flask view: the endpoint is the hot path, and measured on this machine under granian
Flask's own per-request work caps a hello-world at 8,300 requests/s against 22,700 for a plain
WSGI callable, i.e. below the throughput target before a query even runs. So the protocol is
handled here directly on the WSGI environ (still inside the Flask app: create_app mounts it
in front of Flask's dispatcher) and Flask serves the human side: the query page at the same
URL for browsers, static files, entity pages.

Every response from here carries `Vary: Accept` and the CORS headers; every refusal is a 4xx
with a plain-text message that says what to do instead.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import pyoxigraph as ox

from reviewgraph.sparql_text import shape_of
from reviewgraph.web import conneg
from reviewgraph.web.conneg import GRAPH_FORMATS, HTML, RESULT_FORMATS, Format
from reviewgraph.web.executor import Outcome, QueryPool, TripleCount
from reviewgraph.web.results import GRAPH_WRITERS
from reviewgraph.web.settings import Settings

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]
log = logging.getLogger("reviewgraph.web")

ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
QUERY_MEDIA_TYPE = "application/sparql-query"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
UPDATE_MEDIA_TYPE = "application/sparql-update"
TRUNCATED_HEADER = "ReviewGraph-Truncated"
# URLs where other servers take updates or Graph Store Protocol writes; here all refuse.
UPDATE_PATHS = frozenset({"/update", "/sparql/update", "/sparql-update", "/statements",
                          "/sparql/statements", "/store", "/data", "/sparql/data", "/gsp",
                          "/sparql/gsp", "/graph-store", "/rdf-graph-store"})

_STATUS = {200: "200 OK", 204: "204 No Content", 400: "400 Bad Request",
           403: "403 Forbidden", 404: "404 Not Found", 405: "405 Method Not Allowed",
           406: "406 Not Acceptable", 413: "413 Content Too Large",
           415: "415 Unsupported Media Type", 500: "500 Internal Server Error",
           503: "503 Service Unavailable"}


class Refusal(Exception):
    """A request we answer with a 4xx and a message (never a stack trace)."""

    def __init__(self, status: int, message: str, headers: tuple = ()):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


class SparqlEndpoint:
    def __init__(self, settings: Settings, pool: QueryPool, page_app: WSGIApp,
                 triple_count: TripleCount):
        self.settings = settings
        self.pool = pool
        self.page_app = page_app  # Flask: the query page for browsers
        self.triple_count = triple_count
        self._common = (
            ("Vary", "Accept"),
            ("Access-Control-Allow-Origin", settings.cors_allow_origin),
            ("Access-Control-Expose-Headers", f"{TRUNCATED_HEADER}, Content-Type"),
        )
        self._descriptions: dict[tuple[str, str, int | None], bytes] = {}
        self.cache = ResponseCache(settings.cache_bytes)

    # --- entry ---------------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            return self._handle(environ, start_response)
        except Refusal as refusal:
            return self._text(start_response, refusal.status, refusal.message, refusal.headers,
                              head=environ["REQUEST_METHOD"] == "HEAD")
        except Exception:  # a bug of ours: log it, answer 500 without internals
            log.exception("error handling %s %s", environ["REQUEST_METHOD"],
                          environ.get("PATH_INFO"))
            return self._text(start_response, 500, "internal error; it has been logged.")

    def refuse_update_path(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        return self._text(start_response, 403, (
            "this is a read-only SPARQL endpoint: updates and Graph Store Protocol writes are "
            "not accepted at any URL. Queries go to /sparql."))

    def _handle(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method == "OPTIONS":
            return self._respond(start_response, 204, b"", (
                ("Allow", ALLOWED_METHODS),
                ("Access-Control-Allow-Methods", ALLOWED_METHODS),
                ("Access-Control-Allow-Headers", "Accept, Content-Type"),
                ("Access-Control-Max-Age", "86400")))
        if method not in ("GET", "HEAD", "POST"):
            raise Refusal(405, f"{method} is not supported here: send queries with GET or "
                               "POST (this endpoint is read-only).",
                          (("Allow", ALLOWED_METHODS),))
        url_params = _parse_params(environ.get("QUERY_STRING", "").encode("latin-1"), "URL")
        if method == "POST":
            query, params = self._read_post(environ, url_params)
        else:
            if "update" in url_params:
                raise _update_refusal()
            queries = url_params.get("query", [])
            if len(queries) > 1:
                raise Refusal(400, "two queries were given (the 'query' parameter appears "
                                   f"{len(queries)} times); send one query per request.")
            if not queries:
                if "default-graph-uri" in url_params or "named-graph-uri" in url_params:
                    raise Refusal(400, "default-graph-uri / named-graph-uri were given but no "
                                       "query: add query=... (a GET with no parameters gives "
                                       "the service description).")
                return self._describe(environ, start_response, url_params)
            query, params = queries[0], url_params
        return self._run(environ, start_response, query, params)

    # --- reading the request -------------------------------------------------------------------
    def _read_post(self, environ: dict, url_params: dict[str, list[str]]
                   ) -> tuple[str, dict[str, list[str]]]:
        raw_type = environ.get("CONTENT_TYPE", "")
        media_type, _, parameters = raw_type.partition(";")
        media_type = media_type.strip().lower()
        charset = _charset(parameters)
        if "update" in url_params or media_type == UPDATE_MEDIA_TYPE:
            raise _update_refusal()
        if not media_type:
            raise Refusal(415, "the POST has no Content-Type: send the query as "
                               f"'{QUERY_MEDIA_TYPE}' or as a '{FORM_MEDIA_TYPE}' form with a "
                               "'query' field.")
        if media_type not in (QUERY_MEDIA_TYPE, FORM_MEDIA_TYPE):
            raise Refusal(415, f"cannot read a POST body of type '{media_type}': send the query "
                               f"as '{QUERY_MEDIA_TYPE}' or as a '{FORM_MEDIA_TYPE}' form.")
        if charset not in (None, "utf-8", "utf8"):
            raise Refusal(415, f"the body's charset is '{charset}': queries must be UTF-8 "
                               "(say charset=utf-8 or nothing).")
        body = self._read_body(environ, media_type)
        if media_type == FORM_MEDIA_TYPE:
            form = _parse_params(body, "form body")
            if "update" in form:
                raise _update_refusal()
            if "query" in url_params and "query" in form:
                raise Refusal(400, "the query was given both in the URL and in the body; send "
                                   "it in one place only.")
            queries = form.get("query", []) or url_params.get("query", [])
            if len(queries) > 1:
                raise Refusal(400, "two queries were given (the 'query' field appears "
                                   f"{len(queries)} times); send one query per request.")
            if not queries:
                raise Refusal(400, "no query: the form has no 'query' field. Send "
                                   "query=SELECT... (URL-encoded).")
            params = {**url_params, **form}
            return queries[0], params
        if "query" in url_params:
            raise Refusal(400, "the query was given both in the URL and in the body; with "
                               f"'{QUERY_MEDIA_TYPE}' the body is the query and the URL carries "
                               "only default-graph-uri / named-graph-uri.")
        return _decode(body, "the query"), url_params

    def _read_body(self, environ: dict, media_type: str) -> bytes:
        limit = self.settings.max_query_bytes
        if media_type == FORM_MEDIA_TYPE:
            limit = limit * 3 + 4096  # URL-encoding can triple a query's size
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            length = -1
        if length > limit:
            raise self._too_large()
        stream = environ["wsgi.input"]
        body = stream.read(length) if length >= 0 else stream.read(limit + 1)
        if len(body) > limit:
            raise self._too_large()
        return body

    def _too_large(self) -> Refusal:
        return Refusal(413, f"the query is larger than the limit of "
                            f"{self.settings.max_query_bytes} bytes; shorten it.")

    # --- running a query -----------------------------------------------------------------------
    def _run(self, environ: dict, start_response: Callable, query: str,
             params: dict[str, list[str]]) -> Iterable[bytes]:
        if not query.strip():
            raise Refusal(400, "the query is empty: give a SPARQL query (SELECT, ASK, "
                               "CONSTRUCT or DESCRIBE).")
        if len(query) > self.settings.max_query_bytes // 4 and \
                len(query.encode()) > self.settings.max_query_bytes:
            raise self._too_large()
        shape = shape_of(query)
        if shape.update_word:
            raise Refusal(400, f"this is a SPARQL Update ({shape.update_word}), not a query, "
                               "and this endpoint is read-only: it runs SELECT, ASK, CONSTRUCT "
                               "and DESCRIBE queries only.")
        if shape.service_at:
            line, column = shape.service_at
            raise Refusal(400, f"SERVICE (federated query) at line {line}, column {column} is "
                               "not allowed: this endpoint never contacts other servers. Query "
                               "the other endpoint yourself and combine the results.")
        graph_form = shape.form in ("CONSTRUCT", "DESCRIBE")
        offers = GRAPH_FORMATS if graph_form else RESULT_FORMATS
        chosen = self._choose(environ, params, offers, allow_html=environ["REQUEST_METHOD"]
                              in ("GET", "HEAD"))
        if chosen[0] is HTML:
            return self.page_app(environ, start_response)
        fmt, media_type = chosen
        key = (query, fmt.name, _graph_iris(params, "default-graph-uri"),
               _graph_iris(params, "named-graph-uri"))
        outcome = self.cache.get(key)
        if outcome is None:
            outcome = self.pool.query(query, fmt.name, key[2], key[3],
                                      base_iri=self.settings.base_iri)
            if outcome.status != 200:
                return self._text(start_response, outcome.status, outcome.message,
                                  head=environ["REQUEST_METHOD"] == "HEAD")
            self.cache.put(key, outcome)
        headers: list[tuple[str, str]] = [("Content-Type", f"{media_type}; charset=utf-8")]
        if outcome.truncated:
            headers.append((TRUNCATED_HEADER, f"true; limit={self.settings.max_rows}"))
        body = b"" if environ["REQUEST_METHOD"] == "HEAD" else outcome.body
        return self._respond(start_response, 200, body, headers,
                             length=len(outcome.body))

    def _choose(self, environ: dict, params: dict[str, list[str]], offers: tuple[Format, ...],
                allow_html: bool) -> tuple[Format, str]:
        requested = (params.get("format") or params.get("output") or [""])[0]
        if requested:
            fmt = conneg.by_name(requested, offers)
            if fmt is None:
                known = conneg.by_name(requested, RESULT_FORMATS + GRAPH_FORMATS + (HTML,))
                if known is None:
                    raise Refusal(400, f"unknown format '{requested}'; use one of "
                                       f"{conneg.all_names(offers)} (or an Accept header).")
                if known is HTML and allow_html:
                    return HTML, HTML.media_type
                raise Refusal(406, f"this query's results cannot be given as '{requested}'; "
                                   f"use one of {conneg.all_names(offers)}.")
            return fmt, fmt.media_type
        candidates = offers + (HTML,) if allow_html else offers
        chosen = conneg.negotiate(environ.get("HTTP_ACCEPT"), candidates)
        if chosen is None:
            types = ", ".join(f.media_type for f in offers)
            raise Refusal(406, "none of the types in the Accept header can be given for this "
                               f"query. Available: {types} (or add ?format=NAME).")
        return chosen

    # --- service description -------------------------------------------------------------------
    def _describe(self, environ: dict, start_response: Callable,
                  params: dict[str, list[str]]) -> Iterable[bytes]:
        fmt, media_type = self._choose(environ, params, GRAPH_FORMATS, allow_html=True)
        if fmt is HTML:
            return self.page_app(environ, start_response)
        endpoint = _endpoint_url(environ)
        triples = self.triple_count.value  # None until an external store has been counted
        key = (endpoint, fmt.name, triples)
        body = self._descriptions.get(key)
        if body is None:
            body = self._service_description(endpoint, fmt.name, triples)
            if len(self._descriptions) < 64:
                self._descriptions[key] = body
        if environ["REQUEST_METHOD"] == "HEAD":
            return self._respond(start_response, 200, b"",
                                 (("Content-Type", f"{media_type}; charset=utf-8"),),
                                 length=len(body))
        return self._respond(start_response, 200, body,
                             (("Content-Type", f"{media_type}; charset=utf-8"),))

    def _service_description(self, endpoint: str, fmt: str, triples: int | None) -> bytes:
        """The description, as triples; `void:triples` only once the count is known (it is
        optional)."""
        s = self.settings
        service = ox.NamedNode(endpoint)
        dataset, graph = ox.BlankNode(), ox.BlankNode()
        statements: list[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode,
                               ox.NamedNode | ox.BlankNode | ox.Literal]] = [
            (service, RDF_TYPE, SD.Service),
            (service, SD.endpoint, service),
            (service, SD.supportedLanguage, SD.SPARQL11Query),
            *((service, SD.resultFormat, ox.NamedNode(f"http://www.w3.org/ns/formats/{name}"))
              for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                           "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML",
                           "N-Quads", "TriG")),
            (service, DCTERMS_TITLE, ox.Literal("ReviewGraph SPARQL endpoint", language="en")),
            (service, RDFS_COMMENT, ox.Literal(
                "Read-only SPARQL 1.1 Query endpoint over the ReviewGraph knowledge graph of "
                "child safeguarding case reviews. Updates and SERVICE are refused; queries "
                f"stop after {s.query_timeout:g} s; results are cut at {s.max_rows} rows "
                f"(the {TRUNCATED_HEADER} response header says so). Relative IRIs in a query "
                f"resolve against {s.base_iri}.", language="en")),
            (service, SD.defaultDataset, dataset),
            (dataset, RDF_TYPE, SD.Dataset),
            (dataset, SD.defaultGraph, graph),
            (graph, RDF_TYPE, SD.Graph),
            (graph, RDF_TYPE, VOID.Dataset),
            (graph, VOID.uriSpace, ox.Literal(s.base_iri)),
        ]
        if triples is not None:
            statements.append((graph, VOID.triples, ox.Literal(str(triples),
                                                              datatype=XSD_INTEGER)))
        rdf_format = GRAPH_WRITERS[fmt]
        terms: list = [ox.Quad(*statement) if rdf_format.supports_datasets
                       else ox.Triple(*statement) for statement in statements]
        prefixes = {"sd": SD.iri, "void": VOID.iri, "dcterms": "http://purl.org/dc/terms/"}
        options: dict[str, Any] = {"prefixes": prefixes} if fmt in ("turtle", "trig",
                                                                     "rdfxml") else {}
        return ox.serialize(terms, format=rdf_format, **options) or b""

    # --- writing responses ---------------------------------------------------------------------
    def _respond(self, start_response: Callable, status: int, body: bytes,
                 headers: Iterable[tuple[str, str]] = (), length: int | None = None
                 ) -> list[bytes]:
        start_response(_STATUS[status], [
            *headers, *self._common,
            ("Content-Length", str(len(body) if length is None else length))])
        return [body]

    def _text(self, start_response: Callable, status: int, message: str,
              headers: Iterable[tuple[str, str]] = (), head: bool = False) -> list[bytes]:
        body = (message.rstrip() + "\n").encode()
        return self._respond(start_response, status, b"" if head else body,
                             (("Content-Type", "text/plain; charset=utf-8"), *headers),
                             length=len(body))


def _update_refusal() -> Refusal:
    return Refusal(403, "this is a read-only SPARQL endpoint: SPARQL Update is not accepted "
                        "(by any method or URL). Send queries (SELECT, ASK, CONSTRUCT, "
                        "DESCRIBE) only.")


def _graph_iris(params: dict[str, list[str]], name: str) -> tuple[str, ...]:
    """The dataset IRIs given as `name`, each checked to be an absolute IRI (pyoxigraph's
    parser), so every store is handed the same valid IRIs or none."""
    iris = tuple(params.get(name, ()))
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError as error:
            raise Refusal(400, f"{name} '{iri[:200]}' is not an absolute IRI ({error}).") \
                from error
    return iris


def _parse_params(raw: bytes, where: str) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    if not raw:
        return params
    for pair in raw.split(b"&"):
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition(b"=")
        key = _decode(_unquote(raw_key), f"a {where} parameter name")
        value = _decode(_unquote(raw_value), f"the {where} parameter '{key}'")
        params.setdefault(key, []).append(value)
    return params


def _unquote(raw: bytes) -> bytes:
    """Form decoding ('+' is a space, %XX a byte), exactly as urllib's unquote_to_bytes, by
    Python's own escape decoder: %XX becomes \\xXX (backslashes already there doubled) and
    the `unicode_escape` codec turns each into its byte in C. A query's text in a URL is
    mostly escapes (37 in a lookup): urllib's loop over them took 6 us a lookup, this 1.5."""
    raw = raw.replace(b"+", b" ")
    if b"%" not in raw:
        return raw
    try:
        return raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x").decode(
            "unicode_escape").encode("latin-1")
    except UnicodeDecodeError:  # a % without two hex digits: urllib keeps it as it is
        return unquote_to_bytes(raw)


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refusal(400, f"{what} is not valid UTF-8 (bad byte at offset {error.start}); "
                           "queries must be UTF-8.") from error


def _charset(parameters: str) -> str | None:
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


class _Vocabulary:
    def __init__(self, iri: str):
        self.iri = iri

    def __getattr__(self, name: str) -> ox.NamedNode:
        return ox.NamedNode(self.iri + name)


SD = _Vocabulary("http://www.w3.org/ns/sparql-service-description#")
VOID = _Vocabulary("http://rdfs.org/ns/void#")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
DCTERMS_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
# A Host header as RFC 9110 allows it: a name or IPv4 address, or an IPv6 address in
# brackets, and a port. Anything else (a client's mistake, or an attempt to write into the
# description) is not used: the server's own name and port are.
_HOST = re.compile(r"(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def _endpoint_url(environ: dict) -> str:
    """This endpoint's URL as the client addressed it (the Host header), for sd:endpoint."""
    scheme = "https" if environ.get("wsgi.url_scheme") == "https" else "http"
    path = quote(environ.get("SCRIPT_NAME", "")) + "/sparql"
    host = environ.get("HTTP_HOST", "")
    if _HOST.fullmatch(host):
        try:
            return ox.NamedNode(f"{scheme}://{host}{path}").value
        except ValueError:
            pass
    name = environ.get("SERVER_NAME", "localhost")
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"
    return f"{scheme}://{name}:{int(environ.get('SERVER_PORT') or 80)}{path}"


class ResponseCache:
    """Finished answers by (query, format, dataset), least recently used out first.

    Exact, not a heuristic: the store is read-only while the app runs (a new build means a
    restart), so the same request always has the same answer. Errors and time-outs are
    never cached. Bounded by total body bytes; 0 turns it off.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 16
        self._entries: OrderedDict[tuple, Outcome] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Outcome | None:
        if not self.max_bytes:
            return None
        with self._lock:
            outcome = self._entries.get(key)
            if outcome is not None:
                self._entries.move_to_end(key)
            return outcome

    def put(self, key: tuple, outcome: Outcome) -> None:
        size = len(outcome.body) + len(key[0])
        if not self.max_bytes or size > self.max_entry:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = outcome
            self._bytes += size
            while self._bytes > self.max_bytes:
                old_key, old = self._entries.popitem(last=False)
                self._bytes -= len(old.body) + len(old_key[0])


class RequestLog:
    """Outermost WSGI layer: one log line per request with its status and time taken."""

    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        status_seen: list[str] = []

        def recording_start_response(status: str, headers: list, exc_info=None):
            status_seen.append(status)
            return start_response(status, headers, exc_info)

        result = self.app(environ, recording_start_response)
        if log.isEnabledFor(logging.INFO):
            log.info("%s %s %s %.2fms", environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                     status_seen[0][:3] if status_seen else "-",
                     (time.perf_counter() - started) * 1000)
        return result
