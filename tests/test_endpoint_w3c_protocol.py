"""The W3C SPARQL 1.1 Protocol test suite, run against `reviewgraph serve` on every store kind.

The manifests (tests/fixtures/w3c-protocol/, with their licence) are read as they are: each
test's requests are sent over HTTP as the manifest writes them (method, path with `/sparql/`
replaced by our `/sparql`, headers, body in its character encoding) and each answer is checked
against the manifest's expected status class, result format and boolean. The dataset is built
from the suite's data files: each file's triples in the named graph the test's `ut:graphData`
names.

The update tests (`update_*`) ask for SPARQL Update, which a read-only query endpoint does not
offer: they are not applicable here, and instead each of their update requests must be refused
with a 4xx and leave the data as it was.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
import requests
from conftest import FIXTURES_DIR, Server, start_server, stop_server
from rdflib import RDF, RDFS, Namespace
from rdflib.collection import Collection
from store_servers import StoreFarm, load

from reviewgraph.terms import DEFAULT_BASE_IRI

SUITE = FIXTURES_DIR / "w3c-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
SPARQL_RESULTS = "{http://www.w3.org/2005/sparql-results#}"
# Our own graph in an external store (the stores serve only graphs under {base}graph/); in the
# embedded store the same triple is in the default graph, as a build's are.
OUR_GRAPH = f"{DEFAULT_BASE_IRI}graph/w3c-protocol"
MARKER = (f"<{OUR_GRAPH}> <http://www.w3.org/2000/01/rdf-schema#comment> "
          '"W3C SPARQL 1.1 Protocol test dataset"')

# Why each test that does not apply to a read-only query endpoint does not; the runner checks
# that each of its update requests is refused (4xx) and that the data is unchanged after it.
NOT_APPLICABLE = {
    name: "SPARQL Update: this endpoint is read-only, so the update must be refused (4xx) "
          "and change nothing"
    for name in ("update_dataset_default_graph", "update_dataset_default_graphs",
                 "update_dataset_named_graphs", "update_dataset_full", "update_post_form",
                 "update_post_direct", "update_base_uri")
}


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str  # with our endpoint's path
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[str]  # "2xx", "3xx", "4xx", ...
    expected_format: str | None  # "boolean", "tabular", "RDF"
    expected_boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    graphs: dict[str, Path]  # graph IRI -> data file
    exchanges: tuple[Exchange, ...]


def _read_manifest() -> list[ProtocolTest]:
    graph = rdflib.Graph().parse(SUITE / "manifest.ttl", format="turtle",
                                 publicID=(SUITE / "manifest.ttl").as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for test in Collection(graph, graph.value(manifest, MF.entries)):
        graphs = {str(graph.value(data, RDFS.label)): Path(
            str(graph.value(data, UT.graph)).removeprefix("file://"))
            for data in graph.objects(test, UT.graphData)}
        action = graph.value(test, MF.action)
        exchanges = []
        for request in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(request, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName))] = str(
                        graph.value(header, HT.fieldValue))
            body = None
            content = graph.value(request, HT.body)
            if content is not None:
                encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(content, CNT.chars)).encode(encoding)
            response = graph.value(request, HT.resp)
            expected_boolean = graph.value(response, MF.expectedBoolean)
            expected_format = graph.value(response, MF.expectedFormat)
            path = str(graph.value(request, HT.absolutePath))
            exchanges.append(Exchange(
                method=str(graph.value(request, HT.methodName)),
                path="/sparql" + path.removeprefix("/sparql/"),
                headers=headers, body=body,
                statuses=frozenset(str(s).removeprefix(HTS) for s in
                                   graph.objects(response, MF.expectedStatus)),
                expected_format=str(expected_format) if expected_format else None,
                expected_boolean=expected_boolean.toPython() if expected_boolean is not None
                else None))
        tests.append(ProtocolTest(str(test).rpartition("#")[2],
                                  str(graph.value(test, MF.name)), graphs, tuple(exchanges)))
    return tests


TESTS = _read_manifest()
APPLICABLE = [t for t in TESTS if t.name not in NOT_APPLICABLE]
UPDATES = [t for t in TESTS if t.name in NOT_APPLICABLE]


def _dataset_lines(in_our_graph: bool) -> list[str]:
    """N-Quads: every data file's triples in the graph the manifest names, and our marker."""
    lines = [f"{MARKER} <{OUR_GRAPH}> ." if in_our_graph else f"{MARKER} ."]
    seen = set()
    for test in TESTS:
        for iri, file in test.graphs.items():
            if iri in seen:
                continue
            seen.add(iri)
            for triple in (SUITE / file.name).read_text().splitlines():
                if triple.strip():
                    lines.append(f"{triple.rstrip().removesuffix('.').rstrip()} <{iri}> .")
    return lines


@pytest.fixture(scope="module")
def w3c_server(store_kind: str, store_farm: StoreFarm,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("w3c")
    dataset = folder / "w3c-protocol.nq"
    dataset.write_text("\n".join(_dataset_lines(store_kind != "embedded")) + "\n")
    store_url = None
    if store_kind != "embedded":
        store_url = store_farm.get(store_kind, "w3c").store_url
        load(store_url, "--graph", str(dataset))
    running = start_server(dataset, folder / "serve", "--executors", "1",
                           store_url=store_url)
    yield running
    stop_server(running)


def send(server: Server, exchange: Exchange) -> requests.Response:
    headers = {"Accept": None, **exchange.headers}  # no Accept unless the manifest gives one
    return requests.request(exchange.method, server.base_url + exchange.path,
                            data=exchange.body, headers=headers, timeout=30,
                            allow_redirects=False)


def status_class(response: requests.Response) -> str:
    return f"{response.status_code // 100}xx"


def read_boolean(response: requests.Response) -> bool:
    media_type = response.headers["Content-Type"].split(";")[0].strip()
    if media_type in ("application/sparql-results+json", "application/json"):
        return response.json()["boolean"]
    assert media_type in ("application/sparql-results+xml", "application/xml"), media_type
    element = ET.fromstring(response.content).find(f"{SPARQL_RESULTS}boolean")
    assert element is not None
    return element.text == "true"


def check_format(response: requests.Response, expected: str) -> None:
    media_type = response.headers["Content-Type"].split(";")[0].strip()
    if expected == "boolean":
        read_boolean(response)
    elif expected == "tabular":
        assert media_type in ("application/sparql-results+json", "application/sparql-results+xml",
                              "text/csv", "text/tab-separated-values"), media_type
        if media_type == "application/sparql-results+json":
            assert "vars" in json.loads(response.content)["head"]
        elif media_type == "application/sparql-results+xml":
            assert ET.fromstring(response.content).tag == f"{SPARQL_RESULTS}sparql"
    else:
        formats = {"application/rdf+xml": "xml", "text/turtle": "turtle",
                   "application/n-triples": "nt"}
        assert media_type in formats, media_type
        rdflib.Graph().parse(io.BytesIO(response.content), format=formats[media_type])


@pytest.mark.parametrize("test", APPLICABLE, ids=lambda t: t.name)
def test_protocol(w3c_server, test):
    for exchange in test.exchanges:
        response = send(w3c_server, exchange)
        assert status_class(response) in exchange.statuses, (
            f"{test.name}: {response.status_code} {response.text[:300]}")
        if exchange.expected_format:
            check_format(response, exchange.expected_format)
        if exchange.expected_boolean is not None:
            assert read_boolean(response) is exchange.expected_boolean, test.name


DATA_PRESENT = ("ASK { GRAPH <http://kasei.us/2009/09/sparql/data/data1.rdf> { "
                "<http://kasei.us/2009/09/sparql/data/data1.rdf> a ?type } "
                "GRAPH <http://kasei.us/2009/09/sparql/data/data3.rdf> { "
                "<http://kasei.us/2009/09/sparql/data/data3.rdf> a ?type } }")


@pytest.mark.parametrize("test", UPDATES, ids=lambda t: t.name)
def test_update_is_refused_and_changes_nothing(w3c_server, test):
    """Not applicable to a read-only endpoint (see NOT_APPLICABLE): refused, data unchanged."""
    for exchange in test.exchanges:
        if exchange.headers.get("content-type") == "application/sparql-query":
            continue  # the follow-up query would check the update's effect: there is none
        response = send(w3c_server, exchange)
        assert status_class(response) == "4xx", f"{test.name}: {response.status_code}"
        assert "read-only" in response.text
    check = requests.post(w3c_server.endpoint, data=DATA_PRESENT.encode(), timeout=30, params={
        "named-graph-uri": [f"http://kasei.us/2009/09/sparql/data/data{n}.rdf" for n in (1, 3)]
    }, headers={"Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json"})
    assert check.json()["boolean"] is True


def test_every_manifest_entry_is_run():
    assert len(TESTS) == 34
    assert {t.name for t in UPDATES} == set(NOT_APPLICABLE)
    # The service description manifest's three tests are the three test_service_description_*
    # functions below (its entries carry no requests: each is written out here).
    manifest = rdflib.Graph().parse(SUITE / "service-description-manifest.ttl")
    entries = manifest.value(next(manifest.subjects(RDF.type, MF.Manifest)), MF.entries)
    names = {str(entry).rpartition("#")[2] for entry in Collection(manifest, entries)}
    assert names == {"returns-rdf", "has-endpoint-triple", "conforms-to-schema"}
    for name in names:
        assert f"test_service_description_{name.replace('-', '_')}" in globals()


# --- the service description manifest -----------------------------------------------------------
def _service_description(server: Server) -> rdflib.Graph:
    response = requests.get(server.endpoint, timeout=30, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    return rdflib.Graph().parse(data=response.text, format="turtle")


def test_service_description_returns_rdf(w3c_server):
    """returns-rdf: a GET on the endpoint with no query gives RDF (in any RDF format asked)."""
    for accept, rdflib_format in (("text/turtle", "turtle"), ("application/rdf+xml", "xml"),
                                  ("application/n-triples", "nt"),
                                  ("application/ld+json", "json-ld")):
        response = requests.get(w3c_server.endpoint, headers={"Accept": accept}, timeout=30)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith(accept)
        assert len(rdflib.Graph().parse(data=response.content, format=rdflib_format)) > 5


def test_service_description_has_endpoint_triple(w3c_server):
    """has-endpoint-triple: an sd:endpoint whose object is the URL the description came from."""
    graph = _service_description(w3c_server)
    assert (None, SD.endpoint, rdflib.URIRef(w3c_server.endpoint)) in graph


def test_service_description_conforms_to_schema(w3c_server):
    """conforms-to-schema: an sd:Service with its endpoint, language, result formats and a
    default dataset whose default graph is an sd:Graph."""
    graph = _service_description(w3c_server)
    service = graph.value(None, RDF.type, SD.Service)
    assert service is not None
    assert graph.value(service, SD.supportedLanguage) == SD.SPARQL11Query
    assert len(list(graph.objects(service, SD.resultFormat))) >= 4
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in graph
    assert (graph.value(dataset, SD.defaultGraph), RDF.type, SD.Graph) in graph


# --- the dataset and the rest of the protocol, beyond the suite's own cases ---------------------
DATA = "http://kasei.us/2009/09/sparql/data/data{}.rdf"


def ask(server: Server, query: str, **params) -> bool:
    response = requests.post(server.endpoint, data=query.encode(), params=params, timeout=30,
                             headers={"Content-Type": "application/sparql-query",
                                      "Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


@pytest.mark.parametrize(("query", "params", "expected"), [
    # named-graph-uri alone: those named graphs, and an empty default graph
    ("ASK { ?s ?p ?o }", {"named-graph-uri": DATA.format(1)}, False),
    (f"ASK {{ GRAPH ?g {{ <{DATA.format(1)}> a ?t }} }}", {"named-graph-uri": DATA.format(1)},
     True),
    (f"ASK {{ GRAPH ?g {{ <{DATA.format(2)}> a ?t }} }}", {"named-graph-uri": DATA.format(1)},
     False),
    # default-graph-uri alone: those graphs merged, and no named graphs
    (f"ASK {{ <{DATA.format(1)}> a ?t . <{DATA.format(2)}> a ?t }}",
     {"default-graph-uri": [DATA.format(1), DATA.format(2)]}, True),
    ("ASK { GRAPH ?g { ?s ?p ?o } }", {"default-graph-uri": DATA.format(1)}, False),
    # the query's own FROM / FROM NAMED, with no protocol dataset
    (f"ASK FROM <{DATA.format(1)}> {{ <{DATA.format(1)}> a ?t }}", {}, True),
    (f"ASK FROM <{DATA.format(1)}> {{ <{DATA.format(2)}> a ?t }}", {}, False),
    (f"ASK FROM NAMED <{DATA.format(3)}> {{ GRAPH ?g {{ <{DATA.format(3)}> a ?t }} }}", {},
     True),
    # the protocol's dataset wins over FROM
    (f"ASK FROM <{DATA.format(1)}> {{ <{DATA.format(2)}> a ?t }}",
     {"default-graph-uri": DATA.format(2)}, True),
    (f"ASK FROM <{DATA.format(1)}> {{ <{DATA.format(1)}> a ?t }}",
     {"default-graph-uri": DATA.format(2)}, False),
    (f"ASK FROM NAMED <{DATA.format(1)}> {{ GRAPH ?g {{ <{DATA.format(1)}> a ?t }} }}",
     {"named-graph-uri": DATA.format(2)}, False),
])
def test_dataset(w3c_server, query, params, expected):
    assert ask(w3c_server, query, **params) is expected


def test_dataset_parameters_without_a_query_are_a_client_error(w3c_server):
    for params in ({"default-graph-uri": DATA.format(1)}, {"named-graph-uri": DATA.format(1)}):
        response = requests.get(w3c_server.endpoint, params=params, timeout=30,
                                headers={"Accept": "text/turtle"})
        assert response.status_code == 400
        assert "no query" in response.text


def test_select_star_keeps_the_query_variable_order(w3c_server):
    query = "SELECT * WHERE { ?zeta ?alpha ?mid } LIMIT 1"
    params = {"query": query, "default-graph-uri": DATA.format(1)}
    as_json = requests.get(w3c_server.endpoint, params=params, timeout=30,
                           headers={"Accept": "application/sparql-results+json"})
    assert as_json.json()["head"]["vars"] == ["zeta", "alpha", "mid"]
    binding = as_json.json()["results"]["bindings"][0]
    assert binding["zeta"]["value"] == DATA.format(1)
    assert binding["mid"]["value"] == "http://xmlns.com/foaf/0.1/Document"
    as_csv = requests.get(w3c_server.endpoint, params=params, timeout=30,
                          headers={"Accept": "text/csv"})
    header, row = as_csv.text.splitlines()[:2]
    assert header == "zeta,alpha,mid"
    assert row.startswith(DATA.format(1) + ",")


def test_relative_iris_resolve_against_the_base(w3c_server):
    response = requests.post(w3c_server.endpoint, timeout=30,
                             data=b"CONSTRUCT { <s> <p> 1 } WHERE {}",
                             headers={"Content-Type": "application/sparql-query",
                                      "Accept": "application/n-triples"})
    assert response.status_code == 200, response.text
    assert response.text.startswith(f"<{DEFAULT_BASE_IRI}s> <{DEFAULT_BASE_IRI}p> ")
    # A query's own BASE still wins.
    response = requests.get(w3c_server.endpoint, timeout=30, params={
        "query": "BASE <http://example.org/here/> SELECT (STR(<x>) AS ?v) {}"},
        headers={"Accept": "text/csv"})
    assert response.text.splitlines()[1] == "http://example.org/here/x"


@pytest.mark.parametrize(("host", "endpoint"), [
    ("evil> . <http://x/> <http://x/> <http://x/", None),
    ("a b", None),
    ('x"y', None),
    ("[::1]:8000", "http://[::1]:8000/sparql"),
    ("example.org", "http://example.org/sparql"),
])
def test_service_description_with_any_host_header(w3c_server, host, endpoint):
    """The description is built as triples: a malformed Host header is not used (never a
    500, never text written into the RDF); a well-formed one names the endpoint."""
    response = requests.get(w3c_server.endpoint, timeout=30,
                            headers={"Host": host, "Accept": "text/turtle"})
    assert response.status_code == 200, response.text
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    endpoints = {str(o) for o in graph.objects(None, SD.endpoint)}
    assert endpoints == {endpoint or w3c_server.endpoint}


@pytest.mark.parametrize("iri", ["not an iri", "relative/graph", "http://x/a>b"])
def test_a_dataset_graph_that_is_not_an_iri_is_a_client_error(w3c_server, iri):
    response = requests.get(w3c_server.endpoint, timeout=30,
                            params={"query": "ASK {}", "default-graph-uri": iri})
    assert response.status_code == 400
    assert "not an absolute IRI" in response.text
