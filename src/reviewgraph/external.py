"""External SPARQL 1.1 stores (Oxigraph server, Virtuoso, others) behind the Store interface.

Querying. `ExternalSparqlStore.query` sends one query to the store's query URL and reads the
answer into pyoxigraph's types (`parse_query_results`, `parse`), so the endpoint and pages
cannot tell it from the embedded store. Every query runs against the union of OUR named graphs
(`{base}graph/...`, found when the store is opened), never against the store's own default
graph: Virtuoso's holds system triples, and another dataset may share the store. Normally that
union is given as `default-graph-uri` (and `named-graph-uri`) parameters. An Oxigraph server run
with `--union-default-graph` that holds only our graphs (and nothing in its own default graph)
already serves exactly that union as its default graph: then queries go without a dataset,
which Oxigraph answers several times faster at one graph per page (`_serves_our_union`).

Passing answers on. A SELECT or ASK answer of Oxigraph server in SPARQL JSON is also kept as
the store wrote it (`QueryResult.results_json`), once read whole and found a complete document
of the standard's shape (`_standard_results`: not cut short, nothing after it, which is how
Oxigraph server reports a time-out in an answer it has begun streaming); when the client asks
for JSON and its rows are within the cap, the endpoint sends those bytes on
(`web.results.write`), rather than reading every term into pyoxigraph's types and writing it
again (11 us of CPU for a lookup's answer; checking it whole takes 3). Its solutions are there,
read only if needed (another format, or more rows than the cap). Virtuoso's answers are never
passed on: they need the fix-ups below, and its JSON differs from the standard's in places.

Finding our graphs and counting them. Oxigraph server lists its named graphs at once; Virtuoso
only by scanning its quads (about 10 s at 100,000 reviews), so the web app opens the store
once per worker and its pages reuse it. Counting our triples (`triple_count`) goes graph by
graph: 2.7 s on Virtuoso at 100,000 reviews with two workers counting at once, where one COUNT
over the union took 40 s; the web app still takes that count in the background and never waits
for it to start (`web.executor.TripleCount`).

HTTP. Every request to the store, queries and loading alike, goes through the project's one
small HTTP/1.1 client (`reviewgraph.http_client`, which says why it is not SPARQLWrapper or
requests: this is the hot path of /sparql and of every page).

Store quirks handled here, never in callers (Oxigraph server's: see `http_client.Client`):
- Virtuoso never answers a POST with `Content-Type: application/sparql-query`: queries go by GET,
  or as a form POST when the URL would be long.
- Virtuoso gives ASK as a one-row table in CSV/TSV: we always ask for SPARQL JSON and, if a
  table comes back for an ASK, read its one value as the boolean.
- Virtuoso's default graph includes system graphs: hence the explicit dataset above. (A query's
  own FROM still wins over the dataset parameters in Virtuoso, unlike the standard; FROM can
  only name graphs of the store, which fetches nothing.)
- Virtuoso's `timeout` parameter (ms) makes it stop a query itself; if it then answers with a
  partial result it says so in `X-SQL-State`, and we fail the query rather than return it.
  It does not always say so (a COUNT given 8 s came back after 14 s, short, with no header),
  but such an answer comes after the limit it was given, when we have stopped waiting.
- Virtuoso also stops every query at its own MaxQueryExecutionTime, and then answers with
  what it has and no sign of it: no query here is given longer (`_read_ceiling`).
- Virtuoso runs functions named by `bif:` and `sql:` IRIs as its own built-ins, and
  `bif:http_get` fetched a URL from the store's server: such queries are refused.
- Virtuoso stores xsd:duration as a number and returns that number as the literal's text;
  `_virtuoso_durations` writes it back as the ISO duration it was loaded as.
- Virtuoso cuts SELECT results at its ResultSetMaxRows (10,000 by default) without saying so:
  its configuration must allow more rows than the endpoint's cap (docs/deployment.md).

Safety. The endpoint refuses updates and SERVICE before a query gets here; this adapter also
refuses SERVICE itself and checks every query with Oxigraph's parser (on an empty in-memory
store, with SERVICE already ruled out, so nothing is fetched), which rejects updates and
store-specific extensions (Virtuoso's `DEFINE` pragmas) and gives the same syntax messages as
the embedded store. For Oxigraph server that parse is its own (the same parser, at a URL that
takes only queries; its 400 is read as the syntax error), so it is not repeated here. Time
limit: one deadline covers sending the query and reading the whole answer, and the store is
told to stop the query itself (Virtuoso's `timeout`; Oxigraph server's `--timeout-s`). The
web app runs these queries in its own threads (`reviewgraph.web.executor._StoreSlots`): the
kernel-level network guard (seccomp) of the query processes is for the embedded store only.

Loading. `load_graphs` puts each named graph of a build's N-Quads in the store with the Graph
Store Protocol (PUT replaces the graph, then POSTs add the rest, in batches) and drops our graphs
the build no longer has; `apply_changes` replaces the graphs an incremental add touched.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pyoxigraph as ox

from reviewgraph.errors import ReviewGraphError
from reviewgraph.http_client import Answer, Client, Target
from reviewgraph.sparql_text import (
    blank_literals,
    keywords,
    may_have_relative_iri,
    without_dataset_clauses,
)
from reviewgraph.store import NativeAnswer, QueryFailed, QueryResult, _syntax_message
from reviewgraph.terms import DEFAULT_BASE_IRI

RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
EITHER = f"{RESULTS_JSON}, {NTRIPLES};q=0.9"  # a query's answer, whichever its form
MAX_GET_URL = 4000  # longer requests go as a form POST (proxies and servers cap URL length)
BATCH_TRIPLES = 20_000  # triples per Graph Store Protocol request when loading
# Answers up to this size are checked whole to be passed on as they are (`_standard_results`);
# larger ones are read term by term up to the row cap, as reading them whole into Python
# objects would take several times their size in memory.
PASS_ON_BYTES = 4 << 20

_GRAPH_FORMATS = {"application/n-triples": ox.RdfFormat.N_TRIPLES,
                  "text/plain": ox.RdfFormat.N_TRIPLES,
                  "text/turtle": ox.RdfFormat.TURTLE,
                  "application/n-quads": ox.RdfFormat.N_QUADS,
                  "application/rdf+xml": ox.RdfFormat.RDF_XML,
                  "application/ld+json": ox.RdfFormat.JSON_LD}

# Virtuoso runs functions named by `bif:` and `sql:` IRIs (or its namespaces for them) as its
# own SQL built-ins, some of which contact other servers (`bif:http_get`) or read its settings.
_BUILT_IN = re.compile(r"<\s*(?:bif|sql):|openlinksw\.com/schemas/(?:bif|sql)#", re.I)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# Whether a query may name a built-in, in its upper case: one of these texts, or a codepoint
# escape (which could spell one). Looked for with str.find, not a regex, as are the words
# SERVICE and GRAPH (one search with re.I for them all took 10 us of a lookup).
_BUILT_IN_HINTS = ("BIF:", "SQL:", "OPENLINKSW.COM/SCHEMAS/", "\\U")


@dataclass(frozen=True)
class Flavour:
    """Where a kind of server takes queries, updates and Graph Store Protocol writes."""

    name: str
    update_path: str  # relative to the server root
    update_parameter: str  # the form field an update goes in
    gsp_path: str
    gsp_graph_parameter: str
    timeout_parameter: str | None = None  # the server's own time limit, in milliseconds


OXIGRAPH = Flavour("oxigraph", "/update", "update", "/store", "graph")
VIRTUOSO = Flavour("virtuoso", "/sparql", "query", "/sparql-graph-crud", "graph-uri",
                   timeout_parameter="timeout")
GENERIC = Flavour("generic", "/update", "update", "/data", "graph")  # Fuseki-like layout


@dataclass(frozen=True)
class StoreRequest:
    """One HTTP request to the store's query URL (`query`: what goes after its `?`)."""

    method: str
    query: str
    body: bytes | None
    headers: dict[str, str]


def graph_prefix(base_iri: str) -> str:
    """Every named graph ReviewGraph writes is under this IRI."""
    return f"{base_iri}graph/"


class ExternalSparqlStore:
    """A SPARQL 1.1 store reached over HTTP; only our named graphs are ever queried."""

    def __init__(self, query_url: str, *, base_iri: str = DEFAULT_BASE_IRI,
                 timeout: float = 10.0, graphs: Sequence[str] | None = None,
                 flavour: str | None = None, gsp_url: str | None = None,
                 update_url: str | None = None):
        parts = urlsplit(query_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ReviewGraphError(f"store URL {query_url!r}: give the store's SPARQL query "
                                   "URL, e.g. http://127.0.0.1:7878/query")
        self.query_url = query_url
        self.base_iri = base_iri
        self.timeout = timeout
        self._http = Client()
        self._query_target = Target.of(query_url)
        self._checker = ox.Store()  # always empty: only parses (see the module comment)
        self.flavour = self._flavour(flavour)
        # The longest any query may run here (None: no limit of the store's own to respect).
        self.ceiling: float | None = self._read_ceiling()
        root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        self.gsp_url = gsp_url or root + self.flavour.gsp_path
        self.update_url = update_url or root + self.flavour.update_path
        self._gsp_target, self._update_target = Target.of(self.gsp_url), \
            Target.of(self.update_url)
        self._left = threading.local()  # `within`: time left for this thread's queries
        self._encoded_datasets: dict[tuple, str] = {}  # (graphs, named, limit) -> URL-encoded
        self.union = False  # whether queries go without a dataset (see `_serves_our_union`)
        if graphs is not None:
            self.graphs: list[str] = list(graphs)
        else:
            self.refresh_graphs()

    def within(self, seconds: float | None) -> None:
        """Give this thread's next queries at most `seconds` each (None: the store's time
        limit again): what is left of a request's limit after it waited for a turn, or the
        longer limit of the start-up check (counting every triple of a large store)."""
        self._left.seconds = seconds if seconds is not None else self.timeout

    def refresh_graphs(self) -> None:
        """Find our named graphs again, and whether the store serves their union itself."""
        self.graphs = self.our_graphs()
        self.union = self._serves_our_union()

    @classmethod
    def from_spec(cls, spec: dict) -> ExternalSparqlStore:
        return cls(spec["url"], base_iri=spec.get("base_iri") or DEFAULT_BASE_IRI,
                   timeout=float(spec.get("timeout", 10.0)), flavour=spec.get("flavour"),
                   gsp_url=spec.get("gsp_url"), update_url=spec.get("update_url"))

    def spec(self) -> dict:
        return {"kind": "sparql", "url": self.query_url, "base_iri": self.base_iri,
                "timeout": self.timeout, "flavour": self.flavour.name,
                "gsp_url": self.gsp_url, "update_url": self.update_url}

    def _flavour(self, named: str | None) -> Flavour:
        known = {f.name: f for f in (OXIGRAPH, VIRTUOSO, GENERIC)}
        if named:
            if named not in known:
                raise ReviewGraphError(f"unknown store flavour {named!r}; use one of "
                                       f"{', '.join(known)}")
            return known[named]
        # Ask once; the Server header says which server this is.
        response = self._get({"query": "ASK {}"}, RESULTS_JSON)
        server = response.headers.get("server", "").lower()
        if "virtuoso" in server:
            return VIRTUOSO
        if "oxigraph" in server:
            return OXIGRAPH
        return GENERIC

    def _read_ceiling(self) -> float | None:
        """Virtuoso stops every query at its own MaxQueryExecutionTime and then answers with
        what it has, an aggregate silently short (measured at 100,000 reviews: a COUNT of
        8,947,873 triples given a 300 s limit came back at 67 s as 5,811,041, with a 200 and
        no X-SQL-State). So no query is given longer than that: read it from the server, and
        keep a second below it, so our own deadline ends the wait first."""
        if self.flavour is not VIRTUOSO:
            return None
        text = ("SELECT (<bif:virtuoso_ini_item_value>('SPARQL', 'MaxQueryExecutionTime') "
                "AS ?seconds) WHERE {}")
        response = self._get({"query": text}, RESULTS_JSON)
        try:
            for solution in _solutions(response.content):
                seconds = float(solution["seconds"].value)
                return max(seconds - 1.0, 1.0) if seconds > 0 else None
        except (SyntaxError, ValueError, KeyError, TypeError) as error:
            raise ReviewGraphError(f"cannot read the time limit (MaxQueryExecutionTime) of "
                                   f"the Virtuoso at {self.query_url}: {error}") from error
        return None

    def _limits(self) -> tuple[float, float]:
        """(how long this thread waits for its next answer, the limit the store is told).
        The wait is the thread's (`within`) or the store's time limit; the store is told the
        longer of the two, so a request's shorter remainder keeps the encoding reused (and a
        store never stops a query, answering in part, before we have stopped waiting). Both
        stay within the store's own ceiling."""
        wait = getattr(self._left, "seconds", self.timeout)
        told = max(self.timeout, wait)
        if self.ceiling is not None:
            return min(wait, self.ceiling), min(told, self.ceiling)
        return wait, told

    # --- HTTP ------------------------------------------------------------------------------------
    def _get(self, params: dict, accept: str) -> Answer:
        """A GET of the query URL with `params`, before the store is known (no fix-ups)."""
        try:
            return self._http.request(self._query_target, "GET", urlencode(params), None,
                                      {"Accept": accept}, self.timeout)
        except TimeoutError as error:
            raise QueryFailed(f"the store did not answer within {self.timeout:g} s") from error
        except OSError as error:
            raise ReviewGraphError(f"cannot reach the store at {self.query_url}: {error}") \
                from error

    def request_for(self, text: str, default_graph_uris: Sequence[str] = (),
                    named_graph_uris: Sequence[str] = ()) -> StoreRequest:
        """The HTTP request `query` sends the store for this query (bench/stores.py sends the
        store exactly these to compare querying it directly with querying it through us)."""
        _, text, default, named, accept = self._prepare(text, default_graph_uris,
                                                        named_graph_uris, None)
        return self._request(text, default, named, accept)

    def _prepare(self, text: str, default_graph_uris: Sequence[str],
                 named_graph_uris: Sequence[str], base_iri: str | None
                 ) -> tuple[str | None, str, list[str], list[str], str]:
        """(form, text to send, default graphs, named graphs, Accept) for a query.

        The dataset, as the SPARQL protocol has it: the protocol's graphs when given (with
        only named graphs the default graph is empty, with only default graphs there are no
        named graphs: a graph that cannot exist stands for "none", as the store's own would
        otherwise be used); else the query's own FROM / FROM NAMED; else the union of our
        graphs. Virtuoso lets a query's FROM win over the protocol's graphs, so there the
        clauses are taken out of the text. Relative IRIs resolve against `base_iri`."""
        form, uses_graph, has_from = self._inspect(text, base_iri=base_iri)
        if default_graph_uris or named_graph_uris:
            nothing = [graph_prefix(self.base_iri) + "_none"]
            default = list(default_graph_uris) or nothing
            named = list(named_graph_uris) or (nothing if uses_graph else [])
            if has_from and self.flavour is VIRTUOSO:
                text = without_dataset_clauses(text) or text
        elif has_from:
            default, named = [], []
        else:
            default = self._dataset()
            # Named graphs matter only to GRAPH patterns; leaving them out of other queries
            # spares the store the work (Oxigraph server answers a lookup ~2x faster).
            named = self._dataset() if uses_graph else []
        if base_iri and may_have_relative_iri(text) and \
                not ("BASE" in text.upper() and "BASE" in keywords(text)):
            # On line 1, so later lines keep their numbers; never a second BASE (Virtuoso
            # refuses two, and the query's own wins anyway).
            text = f"BASE {_iri(base_iri)} {text}"
        accept = {"CONSTRUCT": NTRIPLES, None: EITHER}.get(form, RESULTS_JSON)
        return form, text, default, named, accept

    def _request(self, text: str, default_graphs: Sequence[str],
                 named_graphs: Sequence[str], accept: str) -> StoreRequest:
        """How a query goes: to Oxigraph server the query itself as the body of a POST
        (`application/sparql-query`: nothing to percent-encode, which for a lookup cost more
        CPU than the rest of our request), the dataset in the URL; to the others, or with a
        dataset too long for a URL, a GET, or a form POST when the URL would be long
        (Virtuoso never answers the direct POST)."""
        dataset = self._encoded_dataset(default_graphs, named_graphs)
        if self.flavour is OXIGRAPH and len(self.query_url) + len(dataset) < MAX_GET_URL:
            return StoreRequest("POST", dataset[1:], text.encode(),
                                {"Accept": accept, "Content-Type": QUERY_TYPE})
        body = urlencode((("query", text),)) + dataset
        if len(self.query_url) + len(body) < MAX_GET_URL:
            return StoreRequest("GET", body, None, {"Accept": accept})
        return StoreRequest("POST", "", body.encode(), {"Accept": accept, "Content-Type": FORM})

    def _send_query(self, text: str, default_graphs: Sequence[str],
                    named_graphs: Sequence[str], accept: str, parsed: bool = True) -> Answer:
        """The store's answer; with `parsed` False (the query was not parsed here), a 400 is
        the store's parser refusing the query: a syntax error, as if found here."""
        request = self._request(text, default_graphs, named_graphs, accept)
        try:
            response = self._http.request(self._query_target, request.method, request.query,
                                          request.body, request.headers, self._limits()[0])
        except TimeoutError as error:
            raise self._stopped() from error
        except OSError as error:
            raise QueryFailed(f"the store at {self.query_url} could not be reached: "
                              f"{error}") from error
        if response.headers.get("x-sql-state"):  # Virtuoso: an "anytime" partial answer
            raise self._stopped()
        if response.status != 200:
            message = response.text.strip()
            if "timeout" in message.lower() or "time limit" in message.lower() \
                    or response.status in (503, 504):
                raise self._stopped()
            first = " ".join(message.split())[:300]
            if not parsed and response.status == 400:
                raise QueryFailed(_syntax_message(first), syntax=True)
            raise QueryFailed(f"the store refused the query ({response.status}): {first}")
        return response

    def _encoded_dataset(self, default_graphs: Sequence[str],
                         named_graphs: Sequence[str]) -> str:
        """`&default-graph-uri=...&named-graph-uri=...` (and the store's own time limit),
        URL-encoded once per dataset: with a graph per page, encoding them again for every
        query cost more CPU than the rest of a lookup (2 ms a query at 100 pages)."""
        limit = int(self._limits()[1] * 1000)
        key = (tuple(default_graphs), tuple(named_graphs), limit)
        encoded = self._encoded_datasets.get(key)
        if encoded is None:
            params = [("default-graph-uri", g) for g in default_graphs]
            params += [("named-graph-uri", g) for g in named_graphs]
            if self.flavour.timeout_parameter:
                params.append((self.flavour.timeout_parameter, str(limit)))
            encoded = "&" + urlencode(params) if params else ""
            if len(self._encoded_datasets) < 32:  # ours, and a few a client gave
                self._encoded_datasets[key] = encoded
        return encoded

    def _solutions_when_read(self, content: bytes) -> Iterator[ox.QuerySolution]:
        """The solutions of a SPARQL JSON answer, parsed only if someone reads them (not when
        the answer is passed on as it is)."""
        answer = self._read("SELECT", RESULTS_JSON, content)
        if not isinstance(answer, ox.QuerySolutions):  # a SELECT answer is always solutions
            raise QueryFailed("the store answered a SELECT query without solutions")
        yield from self._guarded(answer)

    def _guarded(self, solutions: ox.QuerySolutions) -> Iterator[ox.QuerySolution]:
        """Solutions are read as the caller iterates; an answer that breaks off (Oxigraph
        server writes its time-out message into a result it has begun streaming) fails the
        query instead of the process reading it."""
        try:
            yield from solutions
        except (SyntaxError, ValueError, OSError) as error:
            raise QueryFailed(f"the store's answer broke off ({error}); the store may have "
                              "stopped the query at its own time limit") from error

    def _stopped(self) -> QueryFailed:
        # The same words and status (503) as the embedded store's query processes give. The
        # limit named is ours, or the longer one this thread was given (`within`: the pages'
        # queries, the start-up count); a request's shorter remainder still names ours.
        limit = self._limits()[1]
        return QueryFailed(f"query stopped: it ran longer than the {limit:g} s time "
                           "limit. Narrow it (more specific patterns, fewer OPTIONALs, LIMIT) "
                           "and try again.", status=503)

    # --- the Store interface -------------------------------------------------------------------
    def check(self, text: str) -> str:
        """The query's form, after checking it is one standard SPARQL query without SERVICE."""
        return self._inspect(text, parse=True)[0] or "SELECT"

    def _inspect(self, text: str, parse: bool = False, base_iri: str | None = None
                 ) -> tuple[str | None, bool, bool]:
        """(form, whether the query names graphs with GRAPH, whether it has FROM clauses);
        refuses what `check` refuses.

        The form is None when the query was not parsed here: Oxigraph server parses it with
        this very parser (the same Oxigraph), refuses anything but one standard query at its
        query URL with the same messages (a 400, read as a syntax error), and answers with a
        media type that says the form; parsing it here too cost a sixth of a lookup's time
        in the app. SERVICE is refused here whatever the store."""
        uses_graph = has_from = False
        upper = text.upper()
        # The query is read with the lexer only if the words appear at all (most queries
        # have none): in strings, IRIs and comments they are not keywords.
        if _has_word(upper, "SERVICE") or _has_word(upper, "GRAPH") or _has_word(upper, "FROM"):
            words = keywords(text)
            if "SERVICE" in words:
                raise QueryFailed("SERVICE (federated query) is not allowed: this store "
                                  "adapter never lets a query contact other servers",
                                  syntax=True)
            uses_graph, has_from = "GRAPH" in words, "FROM" in words
        if any(hint in upper for hint in _BUILT_IN_HINTS):
            _refuse_built_ins(text)
        if self.flavour is OXIGRAPH and not parse:
            return None, uses_graph, has_from
        try:
            answer = self._checker.query(text, base_iri=base_iri)
        except SyntaxError as error:
            raise QueryFailed(_syntax_message(str(error)), syntax=True) from error
        except (OSError, ValueError, RuntimeError) as error:
            raise QueryFailed(str(error)) from error
        if isinstance(answer, ox.QuerySolutions):
            return "SELECT", uses_graph, has_from
        if isinstance(answer, ox.QueryBoolean):
            return "ASK", uses_graph, has_from
        return "CONSTRUCT", uses_graph, has_from  # or DESCRIBE: both answer with triples

    def native_query(self, text: str, default_graph_uris: Sequence[str] = (),
                     named_graph_uris: Sequence[str] = ()) -> NativeAnswer:
        """The answer as pyoxigraph gives it: QuerySolutions, QueryBoolean (or a bool, for
        an ASK answered as a table) or a list of triples."""
        form, media_type, content = self._fetch(text, default_graph_uris, named_graph_uris)
        return self._read(form, media_type, content)

    def _fetch(self, text: str, default_graph_uris: Sequence[str],
               named_graph_uris: Sequence[str], base_iri: str | None = None
               ) -> tuple[str, str, bytes]:
        """(form, media type, content) of the store's answer, Virtuoso's quirks undone."""
        form, text, default, named, accept = self._prepare(text, default_graph_uris,
                                                           named_graph_uris, base_iri)
        response = self._send_query(text, default, named, accept, parsed=form is not None)
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if form is None:  # not parsed here: the answer's media type says what it is
            form = "CONSTRUCT" if media_type in _GRAPH_FORMATS else "SELECT"
        content = response.content
        if self.flavour is VIRTUOSO and DURATION.encode() in content:
            content = _virtuoso_durations(content, form == "CONSTRUCT")
        return form, media_type, content

    def _read(self, form: str, media_type: str, content: bytes) -> NativeAnswer:
        try:
            if form == "CONSTRUCT":
                rdf_format = _GRAPH_FORMATS.get(media_type, ox.RdfFormat.N_TRIPLES)
                return [quad.triple for quad in ox.parse(content, format=rdf_format)]
            answer = ox.parse_query_results(content, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as error:
            raise QueryFailed(f"the store's answer could not be read ({media_type}): "
                              f"{error}") from error
        if form == "ASK" and isinstance(answer, ox.QuerySolutions):
            return _table_boolean(answer)
        return answer

    def query(self, text: str, *, default_graph_uris: Sequence[str] = (),
              named_graph_uris: Sequence[str] = (), base_iri: str | None = None
              ) -> QueryResult:
        form, media_type, content = self._fetch(text, default_graph_uris, named_graph_uris,
                                                base_iri)
        if self.flavour is OXIGRAPH and media_type == RESULTS_JSON \
                and len(content) <= PASS_ON_BYTES:
            whole = _standard_results(content)
            if whole is not None:
                variables, boolean, rows = whole
                return QueryResult(variables=variables, boolean=boolean,
                                   solutions=None if boolean is not None else
                                   self._solutions_when_read(content),
                                   results_json=content, rows=rows)
        answer = self._read(form, media_type, content)
        if isinstance(answer, ox.QuerySolutions):
            return QueryResult(variables=[v.value for v in answer.variables],
                               solutions=self._guarded(answer))
        if isinstance(answer, (ox.QueryBoolean, bool)):
            return QueryResult(boolean=bool(answer))
        return QueryResult(triples=iter(answer))

    def triple_count(self) -> int:
        """Triples in our graphs. Counted graph by graph unless the store serves their union
        itself: each triple of a build is in exactly one of its graphs (its N-Quads hold as
        many lines as its N-Triples), and each graph's count is a short query, where one
        count over the union reads every triple at once (at 100,000 reviews, 21 s on Virtuoso
        alone and 40 s with two app workers counting)."""
        if self.union or not self.graphs:
            return self._count(self._dataset())
        return sum(self._count([graph]) for graph in self.graphs)

    def close(self) -> None:
        self._http.close()

    def _dataset(self) -> list[str]:
        if self.union:  # the store's default graph and named graphs are exactly ours
            return []
        # No graph of ours yet: a graph that cannot exist, so nothing else is ever read.
        return self.graphs or [graph_prefix(self.base_iri) + "_none"]

    def _serves_our_union(self) -> bool:
        """Whether this store, queried with no dataset, already gives what the explicit
        dataset gives: Oxigraph server run with `--union-default-graph` (its default graph is
        then the union of all its graphs), holding no named graph but ours and nothing in its
        own default graph. Then queries go without default-graph-uri / named-graph-uri, which
        Oxigraph answers much faster than a dataset of one graph per page (at 100 pages a
        lookup took 5x as long: each pattern is looked up in every graph of the list).

        Checked when the store is opened (and after each load or add); the deployment guide
        says to serve a store that holds only ReviewGraph's graphs this way, and to restart
        the app after loading. Any doubt (another server, another graph, triples in the
        default graph, a failed probe) keeps the explicit dataset, which is always right."""
        if self.flavour is not OXIGRAPH or not self.graphs:
            return False
        prefix = graph_prefix(self.base_iri)
        try:
            listed = self._send_query("SELECT ?g WHERE { GRAPH ?g { } }", [], [], RESULTS_JSON)
            named = [s["g"].value for s in _solutions(listed.content)]
            if not named or any(not g.startswith(prefix) for g in named):
                return False
            if not self._own_default_graph_empty():
                return False
            # Own default graph empty, yet triples without a dataset: the union is served.
            seen = self._send_query("ASK { ?s ?p ?o }", [], [], RESULTS_JSON)
            return bool(ox.parse_query_results(seen.content,
                                               format=ox.QueryResultsFormat.JSON))
        except (QueryFailed, ReviewGraphError, SyntaxError, ValueError, KeyError):
            return False

    def _own_default_graph_empty(self) -> bool:
        """The store's real default graph (Graph Store Protocol `?default`) has no triple;
        reads one byte of it at most."""
        try:
            response = self._http.request(self._gsp_target, "GET", "default", None,
                                          {"Accept": NTRIPLES}, self.timeout, max_body=0)
        except OSError:
            return False
        return response.status == 404 or response.status in (200, 204) and not response.content

    def our_graphs(self) -> list[str]:
        """The named graphs under {base}graph/ in the store, sorted."""
        prefix = graph_prefix(self.base_iri)
        # `GRAPH ?g {}` lists the named graphs without reading them (Oxigraph: instant at any
        # size). Virtuoso answers it with nothing; there the scan below is fast (its GS index)
        # with the prefix as a FILTER: 15 s at 100,000 reviews. Without the FILTER it took 10 s
        # on a store loaded long before, but over 120 s on one just loaded (10,000 reviews).
        queries = ["SELECT ?g WHERE { GRAPH ?g { } }",
                   "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                   f"FILTER(STRSTARTS(STR(?g), {ox.Literal(prefix)})) }}"]
        if self.flavour is VIRTUOSO:
            queries.pop(0)
        saved, self.timeout = self.timeout, max(self.timeout, 120.0)
        try:
            for text in queries:
                response = self._send_query(text, [], [], RESULTS_JSON)
                graphs = sorted(g for g in (s["g"].value for s in _solutions(response.content))
                                if g.startswith(prefix))
                if graphs:
                    return graphs
        finally:
            self.timeout = saved
        return []

    def pages_view(self, limit: float | None = None) -> PagesView:
        """What the pages query through; `limit`: their own time limit, if not the store's."""
        return PagesView(self, limit)

    # --- writing (load / add); never used by the web app ---------------------------------------
    def put_graph(self, graph: str, lines: Sequence[str], batch: int = BATCH_TRIPLES) -> None:
        """Replace `graph` with `lines` (N-Triples): PUT the first batch, POST the rest."""
        where = urlencode({self.flavour.gsp_graph_parameter: graph})
        for start in range(0, max(len(lines), 1), batch):
            body = "".join(line + "\n" for line in lines[start:start + batch]).encode()
            method = "PUT" if start == 0 else "POST"
            try:
                response = self._http.request(self._gsp_target, method, where, body,
                                              {"Content-Type": NTRIPLES},
                                              max(60.0, self.timeout))
            except OSError as error:  # also TimeoutError
                raise ReviewGraphError(f"cannot write graph {graph} to {self.gsp_url}: "
                                       f"{error or 'no answer in time'}") from error
            if response.status not in (200, 201, 204):
                raise ReviewGraphError(
                    f"the store refused to write graph {graph} ({method} {self.gsp_url}: "
                    f"{response.status} {' '.join(response.text.split())[:300]})")

    def update(self, text: str) -> None:
        """Run one SPARQL Update (loading only; the web app never calls this)."""
        body = urlencode({self.flavour.update_parameter: text}).encode()
        try:
            response = self._http.request(self._update_target, "POST", "", body,
                                          {"Content-Type": FORM}, max(60.0, self.timeout))
        except OSError as error:  # also TimeoutError
            raise ReviewGraphError(f"cannot update the store at {self.update_url}: "
                                   f"{error or 'no answer in time'}") from error
        if response.status not in (200, 201, 204):
            raise ReviewGraphError(f"the store refused the update ({response.status}): "
                                   f"{' '.join(response.text.split())[:300]}")

    def drop_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH {_iri(graph)}")

    def graph_size(self, graph: str) -> int:
        return self._count([graph])

    def _count(self, default_graphs: Sequence[str]) -> int:
        """Triples in the union of `default_graphs` (none: the store's default graph)."""
        response = self._send_query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                    default_graphs, [], RESULTS_JSON)
        for solution in _solutions(response.content):
            return int(solution["n"].value)
        return 0


DURATION = "http://www.w3.org/2001/XMLSchema#duration"
_NT_DURATION = re.compile(rb'"(-?[0-9.eE+-]+)"\^\^<' + re.escape(DURATION.encode()) + rb">")


def _virtuoso_durations(content: bytes, graph: bool) -> bytes:
    """Virtuoso stores an xsd:duration as a number and gives that number back as the
    literal's text: months (an integer) for year-month durations, seconds (a decimal) for
    day-time ones. Write them as the ISO 8601 durations they were loaded as."""
    if graph:
        return _NT_DURATION.sub(
            lambda m: f'"{iso_duration(m[1].decode())}"^^<{DURATION}>'.encode(), content)

    document = json.loads(content)
    for binding in document.get("results", {}).get("bindings", []):
        for value in binding.values():
            if value.get("datatype") == DURATION:
                value["value"] = iso_duration(value["value"])
    return json.dumps(document).encode()


def iso_duration(text: str) -> str:
    """'60' (months) -> 'P5Y', '3' -> 'P3M', '691200.0' (seconds) -> 'P8D'; ISO text as it is."""
    if text.lstrip("-").startswith("P"):
        return text
    sign = "-" if text.startswith("-") else ""
    number = text.lstrip("-")
    try:
        if "." not in number and "e" not in number.lower():
            years, months = divmod(int(number), 12)
            parts = (f"{years}Y" if years else "") + (f"{months}M" if months else "")
            return f"{sign}P{parts or '0M'}"
        seconds = float(number)
    except ValueError:
        return text
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    date = f"{int(days)}D" if days else ""
    time_part = (f"{int(hours)}H" if hours else "") + (f"{int(minutes)}M" if minutes else "") \
        + (f"{rest:g}S" if rest else "")
    if not date and not time_part:
        return f"{sign}P0D"
    return f"{sign}P{date}" + (f"T{time_part}" if time_part else "")


def _standard_results(content: bytes) -> tuple[list[str], bool | None, int] | None:
    """(variables, boolean, rows) of a SPARQL 1.1 JSON answer read whole, or None if it is
    not one: cut short or followed by anything (Oxigraph server writes its time-out message
    into an answer it has begun streaming), or not of the standard's shape. Oxigraph
    server's answers are, term for term, what the endpoint writes itself (`results.write`),
    so one that passes can be sent on as it is."""
    try:
        document = json.loads(content)
    except ValueError:  # also UnicodeDecodeError
        return None
    if not isinstance(document, dict) or not isinstance(document.get("head"), dict):
        return None
    boolean = document.get("boolean")
    if isinstance(boolean, bool):
        return [], boolean, 1
    variables = document["head"].get("vars")
    results = document.get("results")
    bindings = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(variables, list) or not isinstance(bindings, list):
        return None
    return variables, None, len(bindings)


def _has_word(upper: str, word: str) -> bool:
    """Whether `word` stands as a word (as regex \\b sees one) anywhere in `upper`, strings,
    IRIs and comments included; our own IRIs hold "reviewgraph", which is not GRAPH."""
    at = upper.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or not _word_character(upper[at - 1])) and \
                (end == len(upper) or not _word_character(upper[end])):
            return True
        at = upper.find(word, end)
    return False


def _word_character(character: str) -> bool:
    return character.isalnum() or character == "_"


def _refuse_built_ins(text: str) -> None:
    """Refuse a query naming a Virtuoso built-in function (`_BUILT_IN`), after undoing the
    codepoint escapes (\\u0062if:...) SPARQL allows anywhere in a query; only strings and
    comments may hold the words."""
    decoded = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    kept = blank_literals(decoded, keep_iris=True)
    if _BUILT_IN.search(kept):
        raise QueryFailed("functions named by bif: or sql: IRIs (Virtuoso's built-in "
                          "functions) are not allowed: some of them contact other servers or "
                          "read the store's settings. Use SPARQL's own functions.",
                          syntax=True)


def _solutions(content: bytes) -> ox.QuerySolutions:
    """A SELECT answer in SPARQL JSON (SyntaxError or ValueError when it is not one)."""
    answer = ox.parse_query_results(content, format=ox.QueryResultsFormat.JSON)
    if not isinstance(answer, ox.QuerySolutions):
        raise ValueError("a boolean where a table was expected")
    return answer


def _iri(text: str) -> str:
    """An IRI written for a query or update: checked by pyoxigraph, which refuses anything
    that could end the <...> early, and written in its N-Triples form."""
    try:
        return str(ox.NamedNode(text))
    except ValueError as error:
        raise ReviewGraphError(f"not an IRI: {text!r} ({error})") from error


def _table_boolean(answer: ox.QuerySolutions) -> bool:
    for solution in answer:
        for value in solution:
            if value is not None:
                return value.value.strip().lower() in ("1", "true")
    return False


class PagesView:
    """The pages' source on an external store (`reviewgraph.store.PageSource`): pyoxigraph's
    own result objects for the pages' queries, each within the pages' time limit, and the
    default graph's triples for the whole-graph downloads."""

    def __init__(self, store: ExternalSparqlStore, limit: float | None = None):
        self.external = store
        self.limit = limit  # seconds each query may take (None: the store's time limit)

    def page_query(self, text: str) -> NativeAnswer:
        try:
            return self._native_query(text)
        except QueryFailed as error:
            raise RuntimeError(error.message) from error

    def _native_query(self, text: str) -> NativeAnswer:
        # The whole answer has been read when native_query returns, so the limit is the
        # calling thread's for this query only.
        self.external.within(self.limit)
        try:
            return self.external.native_query(text)
        finally:
            self.external.within(None)

    def default_graph_triples(self) -> Iterator[ox.Triple]:
        answer = self._native_query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        if isinstance(answer, (ox.QuerySolutions, ox.QueryBoolean, bool)):
            raise RuntimeError("the store answered a CONSTRUCT query without triples")
        return iter(answer)


# --- loading a build -----------------------------------------------------------------------------
@dataclass
class LoadReport:
    graphs: dict[str, int] = field(default_factory=dict)  # graph -> triples written
    dropped: list[str] = field(default_factory=list)  # our graphs no longer in the build
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def read_graphs(source: Path, base_iri: str) -> dict[str, list[str]]:
    """The named graphs to load: a build folder's reviewgraph.nq (each page in its graph), or
    one RDF file (.nq keeps its graphs; .nt/.ttl go into {base}graph/{file stem})."""
    from reviewgraph.build import NQUADS_FILE, read_nquads

    source = Path(source)
    if source.is_dir():
        source = source / NQUADS_FILE
    if not source.is_file():
        raise ReviewGraphError(f"{source}: no such file (run `reviewgraph build` first)")
    if source.suffix == ".nq":
        return read_nquads(source.read_text(encoding="utf-8"))
    formats = {".nt": ox.RdfFormat.N_TRIPLES, ".ttl": ox.RdfFormat.TURTLE}
    if source.suffix not in formats:
        raise ReviewGraphError(f"{source}: cannot load a {source.suffix} file; give a build "
                               "folder or a .nq, .nt or .ttl file")
    try:
        triples = list(ox.parse(path=str(source), format=formats[source.suffix]))
    except (SyntaxError, OSError) as error:
        raise ReviewGraphError(f"{source}: cannot read: {error}") from error
    lines = sorted({f"{t.subject} {t.predicate} {t.object} ." for t in triples})
    return {graph_prefix(base_iri) + _stem_slug(source.stem): lines}


def _stem_slug(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-") or "graph"


def load_graphs(store: ExternalSparqlStore, graphs: dict[str, list[str]], *,
                prune: bool = True, batch: int = BATCH_TRIPLES) -> LoadReport:
    """Put every graph in the store, replacing what each held; with `prune`, drop our graphs
    that are not in `graphs` (pages no longer in the build)."""
    started = time.perf_counter()
    report = LoadReport()
    existing = set(store.our_graphs())
    for graph in sorted(graphs):
        store.put_graph(graph, graphs[graph], batch)
        report.graphs[graph] = len(graphs[graph])
    if prune:
        prefix = graph_prefix(store.base_iri)
        for graph in sorted(existing - set(graphs)):
            if graph.startswith(prefix):
                store.drop_graph(graph)
                report.dropped.append(graph)
    store.refresh_graphs()
    report.seconds = time.perf_counter() - started
    return report


def apply_changes(store: ExternalSparqlStore, changes: dict, build_dir: Path) -> int:
    """Bring the graphs an incremental add touched (`AddReport.graphs`: the page's graph, any
    page it replaced, the shared graph) to what the build now holds: each is replaced whole
    with a Graph Store Protocol PUT (pages first, the shared graph last), or dropped if the
    build no longer has it. Idempotent, so an add repeated (or re-run after a failed push)
    leaves the store equal to the build. Returns the triples written.

    Why not the add's INSERT DATA / DELETE DATA difference in one update: Virtuoso merges
    equal-valued typed literals within an update ("1"^^xsd:positiveInteger and
    "1"^^xsd:nonNegativeInteger come back with one datatype), which the Graph Store Protocol
    load does not do; and whole graphs repair a store that had drifted from the build."""
    from reviewgraph.build import NQUADS_FILE, SHARED_GRAPH, read_nquads

    current = read_nquads((Path(build_dir) / NQUADS_FILE).read_text(encoding="utf-8"))
    shared = [g for g in changes if g.endswith("/" + SHARED_GRAPH)]
    written = 0
    for graph in [*sorted(set(changes) - set(shared)), *shared]:
        lines = current.get(graph)
        if lines:
            store.put_graph(graph, lines)
            written += len(lines)
        else:
            store.drop_graph(graph)
    store.refresh_graphs()
    return written


