"""The SPARQL 1.1 Protocol over raw HTTP: every way of asking, every format, every refusal."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
import rdflib
import requests
from store_servers import embedded_only

from reviewgraph.web.conneg import GRAPH_FORMATS, by_name, negotiate

TITLES = "SELECT ?title WHERE { ?r <http://purl.org/dc/terms/title> ?title } ORDER BY ?title"
ASK = "ASK { ?r a <https://reviewgraph.example/def/CaseReview> }"
CONSTRUCT = ("CONSTRUCT { ?r <http://purl.org/dc/terms/title> ?t } "
             "WHERE { ?r <http://purl.org/dc/terms/title> ?t }")
SPARQL_NS = "{http://www.w3.org/2005/sparql-results#}"


def get(endpoint: str, query: str | None = None, accept: str | None = None, **params):
    if query is not None:
        params["query"] = query
    headers = {"Accept": accept} if accept else {}
    return requests.get(endpoint, params=params, headers=headers, timeout=30)


def assert_negotiated(response: requests.Response, status: int, media_type: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert response.headers["Vary"] == "Accept"


def titles_from(response: requests.Response) -> list[str]:
    media_type = response.headers["Content-Type"].split(";")[0]
    if media_type in ("application/sparql-results+json", "application/json"):
        document = response.json()
        assert document["head"]["vars"] == ["title"]
        return [b["title"]["value"] for b in document["results"]["bindings"]]
    if media_type in ("application/sparql-results+xml", "application/xml"):
        root = ET.fromstring(response.content)
        return [e.text for e in root.iter(f"{SPARQL_NS}literal")]
    if media_type == "text/csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
        assert rows[0] == ["title"]
        return [row[0] for row in rows[1:]]
    if media_type == "text/tab-separated-values":
        lines = response.content.decode("utf-8").splitlines()
        assert lines[0] == "?title"
        return [json.loads(line) for line in lines[1:]]  # "..." literals
    raise AssertionError(media_type)


# --- ways of sending a query ------------------------------------------------------------------
@pytest.mark.parametrize("media_type", [
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
    "text/tab-separated-values"])
def test_get_select_in_every_result_format(endpoint, media_type, expected_titles):
    response = get(endpoint, TITLES, media_type)
    assert_negotiated(response, 200, media_type)
    assert titles_from(response) == expected_titles


def test_post_form(endpoint, expected_titles):
    response = requests.post(endpoint, data={"query": TITLES},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert_negotiated(response, 200, "application/sparql-results+json")
    assert titles_from(response) == expected_titles


@pytest.mark.parametrize("content_type", [
    "application/sparql-query", "application/sparql-query; charset=utf-8",
    "Application/SPARQL-Query;Charset=UTF-8"])
def test_post_direct_with_and_without_charset(endpoint, content_type, expected_titles):
    response = requests.post(endpoint, data=TITLES.encode(), timeout=30, headers={
        "Content-Type": content_type, "Accept": "text/csv"})
    assert_negotiated(response, 200, "text/csv")
    assert titles_from(response) == expected_titles


def test_post_direct_keeps_dataset_parameters_in_the_url(endpoint):
    response = requests.post(
        endpoint, params={"default-graph-uri": "https://reviewgraph.example/no-such-graph"},
        data=TITLES.encode(), headers={"Content-Type": "application/sparql-query",
                                       "Accept": "application/sparql-results+json"},
        timeout=30)
    assert_negotiated(response, 200, "application/sparql-results+json")
    assert titles_from(response) == []


def test_non_ascii_query_text(endpoint):
    query = 'SELECT ?r WHERE { ?r ?p "Zoë’s café" }'
    for response in (get(endpoint, query, "application/sparql-results+json"),
                     requests.post(endpoint, data=query.encode(), timeout=30, headers={
                         "Content-Type": "application/sparql-query"})):
        assert response.status_code == 200
        assert response.json()["results"]["bindings"] == []


def test_ask_as_json_and_xml(endpoint):
    response = get(endpoint, ASK, "application/sparql-results+json")
    assert_negotiated(response, 200, "application/sparql-results+json")
    assert response.json()["boolean"] is True
    response = get(endpoint, ASK, "application/sparql-results+xml")
    assert_negotiated(response, 200, "application/sparql-results+xml")
    assert ET.fromstring(response.content).find(f"{SPARQL_NS}boolean").text == "true"


@pytest.mark.parametrize(("media_type", "rdflib_format"), [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"),
    ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml"),
    ("application/n-quads", "nquads"), ("application/trig", "trig")])
def test_construct_in_every_graph_format(endpoint, media_type, rdflib_format, expected_titles):
    response = get(endpoint, CONSTRUCT, media_type)
    assert_negotiated(response, 200, media_type)
    graph = rdflib.Dataset() if rdflib_format in ("nquads", "trig") else rdflib.Graph()
    graph.parse(data=response.content, format=rdflib_format)
    titles = sorted(str(o) for _, _, o, *_ in (
        graph.quads() if isinstance(graph, rdflib.Dataset) else graph))
    assert titles == expected_titles


def test_describe(endpoint, graph_facts):
    response = get(endpoint, f"DESCRIBE <{graph_facts.review}>", "text/turtle")
    assert_negotiated(response, 200, "text/turtle")
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    assert (rdflib.URIRef(graph_facts.review), rdflib.DCTERMS.title,
            rdflib.Literal(graph_facts.review_title)) in graph


def test_dataset_parameters(endpoint, graph_facts):
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    n = int(get(endpoint, everything, "application/json").json()
            ["results"]["bindings"][0]["n"]["value"])
    assert n == graph_facts.triples
    response = get(endpoint, everything, "application/json",
                   **{"default-graph-uri": "https://reviewgraph.example/no-such-graph"})
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "0"
    response = get(endpoint, "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "application/json",
                   **{"named-graph-uri": "https://reviewgraph.example/no-such-graph"})
    assert response.status_code == 200
    assert response.json()["results"]["bindings"] == []


# --- content negotiation ----------------------------------------------------------------------
@pytest.mark.parametrize(("accept", "expected"), [
    ("text/csv;q=0.5, application/sparql-results+json;q=0.9", "application/sparql-results+json"),
    ("application/sparql-results+json;q=0.1, text/tab-separated-values",
     "text/tab-separated-values"),
    ("text/*", "text/csv"),
    ("text/*;q=0.2, text/tab-separated-values", "text/tab-separated-values"),
    ("*/*", "application/sparql-results+json"),
    ("*/*;q=0.1, application/sparql-results+xml;q=0.2", "application/sparql-results+xml"),
    ("APPLICATION/SPARQL-RESULTS+XML", "application/sparql-results+xml"),
    ("application/json", "application/json"),
    ("image/png, text/csv;q=0.01", "text/csv"),
])
def test_accept_header_negotiation(endpoint, accept, expected, expected_titles):
    response = get(endpoint, TITLES, accept)
    assert_negotiated(response, 200, expected)
    assert titles_from(response) == expected_titles


def test_no_accept_header_gives_json(endpoint):
    response = requests.get(endpoint, params={"query": TITLES}, timeout=30,
                            headers={"Accept": None})
    assert_negotiated(response, 200, "application/sparql-results+json")


@pytest.mark.parametrize(("fmt", "expected"), [
    ("json", "application/sparql-results+json"), ("xml", "application/sparql-results+xml"),
    ("csv", "text/csv"), ("tsv", "text/tab-separated-values"),
    ("text/csv", "text/csv")])
def test_format_parameter_overrides_accept(endpoint, fmt, expected, expected_titles):
    response = get(endpoint, TITLES, "application/sparql-results+xml", format=fmt)
    assert_negotiated(response, 200, expected)
    assert titles_from(response) == expected_titles


@pytest.mark.parametrize(("fmt", "expected"), [
    ("turtle", "text/turtle"), ("ttl", "text/turtle"), ("ntriples", "application/n-triples"),
    ("jsonld", "application/ld+json"), ("rdfxml", "application/rdf+xml"),
    ("nquads", "application/n-quads"), ("trig", "application/trig")])
def test_format_parameter_for_graphs(endpoint, fmt, expected):
    assert_negotiated(get(endpoint, CONSTRUCT, format=fmt), 200, expected)


@pytest.mark.parametrize("accept", [
    "image/png", "text/turtle", "application/sparql-results+json;q=0"])
def test_406_when_nothing_acceptable_for_select(endpoint, accept):
    response = get(endpoint, TITLES, accept)
    assert response.status_code == 406
    assert response.headers["Vary"] == "Accept"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "application/sparql-results+json" in response.text


def test_406_when_nothing_acceptable_for_construct(endpoint):
    response = get(endpoint, CONSTRUCT, "application/sparql-results+json")
    assert response.status_code == 406
    assert "text/turtle" in response.text


def test_406_for_a_format_parameter_that_does_not_fit(endpoint):
    response = get(endpoint, TITLES, format="turtle")
    assert response.status_code == 406
    assert "json, xml, csv, tsv" in response.text


def test_unknown_format_parameter(endpoint):
    response = get(endpoint, TITLES, format="yaml")
    assert response.status_code == 400
    assert "unknown format 'yaml'" in response.text


# --- service description and the page ---------------------------------------------------------
@pytest.mark.parametrize(("accept", "rdflib_format"), [
    ("text/turtle", "turtle"), ("application/rdf+xml", "xml"),
    ("application/ld+json", "json-ld"), ("application/n-triples", "nt"), ("*/*", "turtle")])
def test_service_description(endpoint, accept, rdflib_format):
    response = requests.get(endpoint, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Vary"] == "Accept"
    graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = rdflib.URIRef(endpoint)
    assert (service, rdflib.RDF.type, sd.Service) in graph
    assert (service, sd.endpoint, service) in graph
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert (None, rdflib.URIRef("http://rdfs.org/ns/void#triples"), None) in graph


def test_browsers_get_the_query_page(endpoint):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = requests.get(endpoint, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'id="query"' in response.text
    # A shared link opens the page with the query in the editor.
    response = requests.get(endpoint, params={"query": TITLES}, headers={"Accept": accept},
                            timeout=30)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "?title" in response.text


def test_head_and_options(endpoint):
    response = requests.head(endpoint, params={"query": TITLES}, timeout=30,
                             headers={"Accept": "text/csv"})
    assert_negotiated(response, 200, "text/csv")
    assert int(response.headers["Content-Length"]) > 0 and response.content == b""
    response = requests.options(endpoint, timeout=30, headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_on_results(endpoint):
    response = get(endpoint, TITLES, "application/json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ReviewGraph-Truncated" in response.headers["Access-Control-Expose-Headers"]


def test_healthz(server):
    response = requests.get(f"{server.base_url}/healthz", timeout=30)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["triples"] > 0


def test_requests_are_logged_with_timings(server):
    get(server.endpoint, TITLES, "text/csv")
    assert any(" /sparql 200 " in line and line.endswith("ms")
               for line in server.log().splitlines())


# --- refusals: status, a plain-text message, Vary ---------------------------------------------
def assert_refused(response: requests.Response, status: int, *phrases: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Vary"] == "Accept"
    for phrase in phrases:
        assert phrase in response.text


def test_malformed_query_names_line_and_column(endpoint):
    response = get(endpoint, "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTR(?s) }")
    assert_refused(response, 400, "malformed query at line 3, column")


def test_post_form_without_query(endpoint):
    response = requests.post(endpoint, data={"default-graph-uri": "x"}, timeout=30)
    assert_refused(response, 400, "no query")


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_post_direct_with_empty_body(endpoint, body):
    response = requests.post(endpoint, data=body, timeout=30,
                             headers={"Content-Type": "application/sparql-query"})
    assert_refused(response, 400, "empty")


def test_two_queries(endpoint):
    response = requests.get(endpoint, params=[("query", TITLES), ("query", ASK)], timeout=30)
    assert_refused(response, 400, "two queries")
    response = requests.post(endpoint, data=[("query", TITLES), ("query", ASK)], timeout=30)
    assert_refused(response, 400, "two queries")


def test_query_in_url_and_body(endpoint):
    response = requests.post(endpoint, params={"query": TITLES}, data={"query": ASK},
                             timeout=30)
    assert_refused(response, 400, "both in the URL and in the body")
    response = requests.post(endpoint, params={"query": TITLES}, data=ASK.encode(), timeout=30,
                             headers={"Content-Type": "application/sparql-query"})
    assert_refused(response, 400, "both in the URL and in the body")


def test_post_without_content_type(endpoint):
    request = requests.Request("POST", endpoint, data=TITLES.encode()).prepare()
    request.headers.pop("Content-Type", None)
    response = requests.Session().send(request, timeout=30)
    assert_refused(response, 415, "no Content-Type", "application/sparql-query")


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "multipart/form-data"])
def test_post_with_wrong_content_type(endpoint, content_type):
    response = requests.post(endpoint, data=TITLES.encode(), timeout=30,
                             headers={"Content-Type": content_type})
    assert_refused(response, 415, content_type, "application/sparql-query")


def test_post_with_a_charset_other_than_utf8(endpoint):
    response = requests.post(endpoint, data=TITLES.encode("latin-1"), timeout=30, headers={
        "Content-Type": "application/sparql-query; charset=ISO-8859-1"})
    assert_refused(response, 415, "UTF-8")


def test_invalid_utf8(endpoint):
    bad = b"SELECT * WHERE { ?s ?p \"caf\xe9\" }"
    response = requests.post(endpoint, data=bad, timeout=30,
                             headers={"Content-Type": "application/sparql-query"})
    assert_refused(response, 400, "not valid UTF-8")
    response = requests.get(endpoint + "?query=SELECT%20%2A%20%7B%7D%20%E9", timeout=30)
    assert_refused(response, 400, "not valid UTF-8")
    response = requests.post(endpoint, data=b"query=SELECT%20%E9", timeout=30,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_refused(response, 400, "not valid UTF-8")


@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "PREFIX ex: <http://example.org/>\ndelete where { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/data.ttl>", "CLEAR ALL", "DROP DEFAULT",
    "CREATE GRAPH <http://g>"])
def test_update_sent_as_query(endpoint, update):
    response = get(endpoint, update)
    assert_refused(response, 400, "SPARQL Update", "read-only")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_unsupported_methods(endpoint, method):
    response = requests.request(method, endpoint, data=b"x", timeout=30)
    assert_refused(response, 405, method)
    assert response.headers["Allow"] == "GET, HEAD, POST, OPTIONS"


def test_huge_query_is_413(endpoint):
    huge = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 70_000
    response = requests.post(endpoint, data=huge.encode(), timeout=30,
                             headers={"Content-Type": "application/sparql-query"})
    assert_refused(response, 413, "65536 bytes")
    response = requests.post(endpoint, data={"query": huge}, timeout=30)
    assert_refused(response, 413)


# --- one negotiator: /sparql and /data answer one Accept alike --------------------------------
# Accept headers whose best format does not depend on the order a route lists its offers in
# (for `*/*` /sparql gives Turtle and /data the page, by design) nor on HTML (which /data
# answers with Turtle and /sparql with the query page): on these both must choose one format.
AGREEING_ACCEPTS = [
    "text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml",
    "application/json", "TEXT/TURTLE", "text/turtle; charset=utf-8", "application/x-turtle",
    "application/rdf+xml;q=0.5, text/turtle;q=0.9", "text/turtle;q=0.1, application/n-triples",
    "application/*;q=0.2, application/ld+json", "text/turtle;q=0, application/rdf+xml;q=0.3",
    "*/*;q=0.1, application/n-triples;q=0.5", "application/xml, text/turtle;q=0.5",
]


@embedded_only  # negotiation is the app's, whatever the store
@pytest.mark.parametrize("accept", AGREEING_ACCEPTS)
def test_sparql_and_data_negotiate_alike(server, graph_facts, accept):
    local = graph_facts.review.removeprefix("https://reviewgraph.example/id/")
    describe = f"DESCRIBE <{graph_facts.review}>"
    from_sparql = requests.get(server.endpoint, params={"query": describe}, timeout=30,
                               headers={"Accept": accept})
    from_data = requests.get(f"{server.base_url}/data/{local}", timeout=30,
                             headers={"Accept": accept}, allow_redirects=False)
    assert from_sparql.status_code == from_data.status_code == 200, from_sparql.text

    def chosen(response: requests.Response) -> str:
        # /sparql labels a format with the alias a client named (application/json), /data
        # always with its canonical type: the format is what must agree.
        media_type = response.headers["Content-Type"].split(";")[0]
        return by_name(media_type, GRAPH_FORMATS).name

    assert chosen(from_sparql) == chosen(from_data)
    assert chosen(from_data) == negotiate(accept, GRAPH_FORMATS)[0].name
