"""External SPARQL stores: `reviewgraph load` and `reviewgraph add --store` against a real
Oxigraph server and a real Virtuoso (started on loopback by the session's StoreFarm).

The store must hold exactly what the build holds (the union of our named graphs, triple for
triple, whatever else the store has, e.g. Virtuoso's system graphs); loading again replaces
rather than appends; adding a page twice changes nothing; a failed add changes nothing and names
the review. The endpoint and page behaviour on these stores is the parametrised suite in
test_endpoint_*.py and test_pages.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from store_servers import StoreFarm, load, virtuoso_available

from reviewgraph.build import NQUADS_FILE, NTRIPLES_FILE, build, read_nquads
from reviewgraph.external import ExternalSparqlStore, _standard_results, iso_duration
from reviewgraph.paths import SOURCES_DIR
from reviewgraph.store import QueryFailed
from reviewgraph.terms import DEFAULT_BASE_IRI

REVIEWGRAPH = Path(sys.executable).parent / "reviewgraph"
SAMPLE_PAGE = SOURCES_DIR / "nspcc-new-in-the-collection-2025.txt"
B = DEFAULT_BASE_IRI

# Made-up listing pages, written for these tests.
APRIL = """2023 – Cornwall - Child Q
Death of a 2-month-old girl in 2022 after co-sleeping.
Learning includes: safe sleep messages for both parents.
Keywords: infants, sleeping behaviour
> Read the overview report
"""
MAY = """2023 – Norfolk - Child P
Serious injury of a 6-year-old boy in 2022.
Learning includes: escalation of concerns by schools; and multi-agency meetings.
Keywords: physical abuse
> Read the overview report
2023 – Bristol - Child O
Neglect of a 9-year-old girl in 2021.
Learning includes: recognising cumulative harm.
Keywords: neglect
> Read the executive summary
"""
# The shapes reject a review year before 1990 (the parser accepts it).
JUNE_INVALID = """2023 – Suffolk - Child N
Death of a 1-year-old boy in 2022.
Learning includes: health visiting.
Keywords: infants
> Read the overview report
1979 – Suffolk - Child M
Serious injury of a 4-year-old girl in 1978.
Learning includes: record keeping.
Keywords: injuries
> Read the overview report
"""

EXTERNAL_KINDS = ["oxigraph-server", "virtuoso"]


@pytest.fixture(params=EXTERNAL_KINDS)
def store_url(request: pytest.FixtureRequest, store_farm: StoreFarm) -> str:
    if request.param == "virtuoso" and not virtuoso_available():
        pytest.skip("virtuoso-t is not installed (scripts/setup --test installs it)")
    return store_farm.get(request.param, "loading").store_url


def write_page(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def canonical(triples) -> set[str]:
    """The triples as the embedded store holds them: Oxigraph keeps some literals in a
    canonical form of the same value ("1"^^xsd:positiveInteger as xsd:integer, P0D as PT0S),
    so both sides of a comparison go through it."""
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return {f"{q.subject} {q.predicate} {q.object} ." for q in store}


def store_triples(url: str) -> set[str]:
    """Everything the store shows us (the union of our graphs), as N-Triples lines."""
    store = ExternalSparqlStore(url)
    try:
        return canonical(store.query("CONSTRUCT WHERE { ?s ?p ?o }").triples or ())
    finally:
        store.close()


def build_triples(build_dir: Path) -> set[str]:
    text = (build_dir / NTRIPLES_FILE).read_text(encoding="utf-8")
    return canonical(ox.parse(text, format=ox.RdfFormat.N_TRIPLES))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REVIEWGRAPH), *args], capture_output=True, text=True,
                          timeout=300)


def test_load_puts_exactly_the_build_in_its_named_graphs(tmp_path: Path, store_url: str):
    out = tmp_path / "build"
    build([SAMPLE_PAGE], out)
    load(store_url, "--build", str(out))
    graphs = read_nquads((out / NQUADS_FILE).read_text(encoding="utf-8"))
    store = ExternalSparqlStore(store_url)
    try:
        assert store.graphs == sorted(graphs)
        assert B + "graph/nspcc-new-in-the-collection-2025" in store.graphs
        for graph, lines in graphs.items():
            assert store.graph_size(graph) == len(set(lines)), graph
        expected = build_triples(out)
        assert store.triple_count() == len(expected)  # no system triples, nothing twice
    finally:
        store.close()
    assert store_triples(store_url) == expected  # Virtuoso's durations read back as loaded
    load(store_url, "--build", str(out))  # again: each graph replaced, not appended to
    assert store_triples(store_url) == expected


def test_load_drops_graphs_of_pages_no_longer_built(tmp_path: Path, store_url: str):
    both = tmp_path / "both"
    april, may = write_page(tmp_path, "april.txt", APRIL), write_page(tmp_path, "may.txt", MAY)
    build([april, may], both)
    load(store_url, "--build", str(both))
    assert B + "graph/may" in ExternalSparqlStore(store_url).graphs
    one = tmp_path / "one"
    build([april], one)
    result = run_cli("load", "--store", store_url, "--build", str(one))
    assert result.returncode == 0, result.stderr
    assert "dropped 1 graph(s)" in result.stdout
    assert B + "graph/may" not in ExternalSparqlStore(store_url).graphs
    assert store_triples(store_url) == build_triples(one)


def test_add_to_a_store_twice_and_a_failed_add(tmp_path: Path, store_url: str):
    out = tmp_path / "build"
    build([write_page(tmp_path, "april.txt", APRIL)], out)
    load(store_url, "--build", str(out))
    may = write_page(tmp_path, "may.txt", MAY)

    first = run_cli("add", str(may), "--out", str(out), "--store", store_url)
    assert first.returncode == 0, first.stderr
    after_first = store_triples(store_url)
    assert after_first == build_triples(out)  # the store took exactly the build's change
    assert B + "graph/may" in ExternalSparqlStore(store_url).graphs

    second = run_cli("add", str(may), "--out", str(out), "--store", store_url)
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in second.stdout
    assert store_triples(store_url) == after_first  # same triples, same count

    bad = run_cli("add", str(write_page(tmp_path, "june.txt", JUNE_INVALID)), "--out",
                  str(out), "--store", store_url)
    assert bad.returncode == 1
    assert "Child M (Suffolk, 1979)" in bad.stderr  # names the review
    assert store_triples(store_url) == after_first  # and the store is as it was


def test_the_adapter_refuses_what_is_not_one_standard_query(store_url: str):
    store = ExternalSparqlStore(store_url)
    try:
        for text in ("INSERT DATA { <http://a.example/s> <http://a.example/p> 1 }",
                     "DEFINE sql:log-enable 3 SELECT * WHERE { ?s ?p ?o }",
                     "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
                     "SELECT * WHERE { ?s ?p }"):
            with pytest.raises(QueryFailed) as refused:
                store.query(text)
            assert refused.value.syntax, text
        assert store.query('ASK { ?s ?p "SERVICE <x> {}" }').boolean is not None
    finally:
        store.close()


@pytest.mark.parametrize(("stored", "iso"), [
    ("60", "P5Y"), ("3", "P3M"), ("12", "P1Y"), ("0.0", "P0D"), ("691200.0", "P8D"),
    ("90061.5", "P1DT1H1M1.5S"), ("P8D", "P8D")])
def test_virtuoso_durations_read_back_as_iso(stored: str, iso: str):
    assert iso_duration(stored) == iso


def test_an_ask_answered_as_a_table_reads_as_its_boolean(store_farm: StoreFarm):
    """Virtuoso gives ASK as a one-row table in CSV; the adapter reads such a table as the
    boolean (it asks for JSON, where Virtuoso gives a boolean, but does not rely on it)."""
    if not virtuoso_available():
        pytest.skip("virtuoso-t is not installed")
    import requests

    from reviewgraph.external import _table_boolean

    url = store_farm.get("virtuoso", "loading").store_url
    for query, expected in (("ASK { }", True), ("ASK { <http://a.example/x> ?p ?o }", False)):
        answer = requests.get(url, params={"query": query}, headers={"Accept": "text/csv"},
                              timeout=30)
        header, value = answer.text.split()  # the quirk itself: a table, '"bool"' and 1 or 0
        assert header == '"bool"' and value in ("0", "1")
        # The same table in SPARQL JSON (pyoxigraph reads no CSV), as a store could send it.
        document = {"head": {"vars": ["bool"]}, "results": {"bindings": [
            {"bool": {"type": "literal", "value": value,
                      "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]}}
        table = ox.parse_query_results(json.dumps(document).encode(),
                                       format=ox.QueryResultsFormat.JSON)
        assert _table_boolean(table) is expected


def test_no_query_outlasts_virtuosos_own_limit(store_farm: StoreFarm):
    """Virtuoso stops a query at its MaxQueryExecutionTime (60 s as Debian ships it) and then
    answers with what it has, a COUNT silently short. The adapter reads that limit and never
    gives a query longer, nor waits longer, whatever limit it was asked for."""
    if not virtuoso_available():
        pytest.skip("virtuoso-t is not installed")
    url = store_farm.get("virtuoso", "loading").store_url
    store = ExternalSparqlStore(url, timeout=10, graphs=[f"{B}graph/x"])
    try:
        assert store.ceiling == 59.0
        store.within(300)  # as the background count and the pages ask
        sent = store.request_for("SELECT * WHERE { ?s ?p ?o }")
        assert "timeout=59000" in sent.query + (sent.body or b"").decode()
        store.within(None)
        sent = store.request_for("SELECT * WHERE { ?s ?p ?o }")
        assert "timeout=10000" in sent.query + (sent.body or b"").decode()
    finally:
        store.close()


def test_many_named_graphs(tmp_path: Path, store_url: str):
    """A store with more pages than HTTP clients like headers (Virtuoso echoes each graph of
    the dataset as a response header) or than fit in a URL (queries then go as a form POST)."""
    quads = tmp_path / "many.nq"
    quads.write_text("".join(
        f'<{B}review/r{n}> <http://purl.org/dc/terms/title> "Review {n}" <{B}graph/page-{n}> .\n'
        for n in range(150)), encoding="utf-8")
    load(store_url, "--graph", str(quads))
    store = ExternalSparqlStore(store_url)
    try:
        assert len(store.graphs) == 150
        assert store.triple_count() == 150
        titles = store.query("SELECT ?t WHERE { ?r <http://purl.org/dc/terms/title> ?t }")
        assert len(list(titles.solutions or ())) == 150
    finally:
        store.close()


def test_a_store_serving_the_union_of_only_our_graphs_is_queried_without_a_dataset(
        tmp_path: Path):
    """Oxigraph server run with --union-default-graph (docs/deployment.md): while it holds our
    graphs only, queries go without default-graph-uri (its default graph is their union);
    once another graph is there, the adapter lists our graphs again, so that one is never
    read. Both ways give the same answers."""
    from store_servers import start_oxigraph_server, stop_store_server

    server = start_oxigraph_server(tmp_path / "union", union=True)
    try:
        quads = tmp_path / "ours.nq"
        quads.write_text("".join(
            f'<{B}review/r{n}> <http://purl.org/dc/terms/title> "Review {n}" <{B}graph/p{n}> .\n'
            for n in range(3)), encoding="utf-8")
        load(server.store_url, "--graph", str(quads))
        titles = "SELECT ?t WHERE { ?r <http://purl.org/dc/terms/title> ?t } ORDER BY ?t"
        store = ExternalSparqlStore(server.store_url)
        try:
            assert store.union and store.request_for(titles).query == ""
            union_answer = [s["t"].value for s in store.query(titles).solutions or ()]
            assert union_answer == ["Review 0", "Review 1", "Review 2"]
            assert store.triple_count() == 3
        finally:
            store.close()
        foreign = ExternalSparqlStore(server.store_url)
        foreign.put_graph("http://other.example/graph",
                          ['<http://other.example/x> <http://purl.org/dc/terms/title> "Other" .'])
        foreign.close()
        store = ExternalSparqlStore(server.store_url)
        try:
            assert not store.union and "default-graph-uri" in store.request_for(titles).query
            assert [s["t"].value for s in store.query(titles).solutions or ()] == union_answer
        finally:
            store.close()
    finally:
        stop_store_server(server)


@pytest.mark.parametrize(("answer", "read"), [
    (b'{"head":{"vars":["t"]},"results":{"bindings":[{"t":{"type":"literal","value":"a"}},'
     b'{}]}}', (["t"], None, 2)),
    (b'{"head":{},"boolean":false}', ([], False, 1)),
    (b'{"head":{"vars":[]},"results":{"bindings":[]}}', ([], None, 0)),
    # Oxigraph server writes its time-out message into an answer it has begun streaming.
    (b'{"head":{"vars":["t"]},"results":{"bindings":[{"t":{"type":"literal","value":"a"}}',
     None),
    (b'{"head":{"vars":["t"]},"results":{"bindings":[]}}Timeout', None),
    (b'{"head":{"vars":["t"]},"results":{"bindings":[]}}{}', None),
    (b'{"head":{"vars":["t"]}}', None), (b'[]', None), (b'\xff', None)])
def test_only_a_whole_standard_answer_is_passed_on_as_it_is(answer: bytes, read):
    """What the adapter may send on to a client without reading every term: a complete SPARQL
    JSON document of the standard's shape; anything cut short or followed by more is read
    term by term instead, and so fails as a broken-off answer."""
    assert _standard_results(answer) == read


def test_serving_a_store_without_our_graphs_says_so(tmp_path: Path):
    from store_servers import start_oxigraph_server, stop_store_server

    from reviewgraph.errors import ReviewGraphError
    from reviewgraph.web import Settings, create_app

    server = start_oxigraph_server(tmp_path / "empty")
    try:
        with pytest.raises(ReviewGraphError, match="holds no ReviewGraph graphs"):
            create_app(Settings(store_url=server.store_url, log_requests=False))
    finally:
        stop_store_server(server)


def test_an_ipv6_store_url(tmp_path: Path):
    """A store at an IPv6 address: the client connects to it and says `Host: [::1]:port`
    (the brackets are part of the name), and loading and querying work."""
    import socket
    import time

    from store_servers import OXIGRAPH, stop_process_group

    with socket.socket(socket.AF_INET6) as probe:
        probe.bind(("::1", 0))
        port = probe.getsockname()[1]
    with (tmp_path / "oxigraph.log").open("wb") as log:
        process = subprocess.Popen(
            [str(OXIGRAPH), "serve", "--location", str(tmp_path / "data"),
             "--bind", f"[::1]:{port}"], stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = f"http://[::1]:{port}/query"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("::1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "oxigraph.log").read_text()
                time.sleep(0.1)
        graph = tmp_path / "one.nt"
        graph.write_text(f"<{B}review/x> <http://purl.org/dc/terms/title> \"X\" .\n")
        load(url, "--graph", str(graph))
        store = ExternalSparqlStore(url)
        try:
            assert store._query_target.host_header == f"[::1]:{port}"
            result = store.query("SELECT ?t WHERE { ?r <http://purl.org/dc/terms/title> ?t }")
            assert [s["t"].value for s in result.solutions or ()] == ["X"]
        finally:
            store.close()
    finally:
        stop_process_group(process, timeout=10)


def test_graph_iris_in_updates_are_checked(store_farm: StoreFarm):
    """An IRI is never pasted into an update as it is: one that could end the <...> early is
    refused before anything is sent."""
    from reviewgraph.errors import ReviewGraphError

    store = ExternalSparqlStore(store_farm.get("oxigraph-server", "loading").store_url)
    try:
        with pytest.raises(ReviewGraphError, match="not an IRI"):
            store.drop_graph(B + "graph/x> } ; DROP ALL ; INSERT DATA { GRAPH <" + B + "graph/y")
    finally:
        store.close()
