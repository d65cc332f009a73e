"""The endpoint's pure parts: reading query text, content negotiation, result writers, the
service description."""

from __future__ import annotations

import csv
import io
import json
import random
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox
import pytest
import rdflib

from reviewgraph.sparql_text import shape_of
from reviewgraph.store import QueryResult
from reviewgraph.web.conneg import GRAPH_FORMATS, HTML, RESULT_FORMATS, by_name, negotiate
from reviewgraph.web.endpoint import SparqlEndpoint, _unquote
from reviewgraph.web.executor import TripleCount
from reviewgraph.web.results import write
from reviewgraph.web.settings import Settings


@pytest.mark.parametrize(("text", "form"), [
    ("SELECT * {}", "SELECT"), ("  ask {}", "ASK"), ("PREFIX a: <x:>\nCONSTRUCT {} WHERE {}",
                                                     "CONSTRUCT"),
    ("BASE <http://x/> PREFIX : <y> DESCRIBE <z>", "DESCRIBE"),
    ("# SELECT in a comment\nASK {}", "ASK"), ("nonsense", None)])
def test_query_form(text, form):
    assert shape_of(text).form == form


@pytest.mark.parametrize("text", [
    "INSERT DATA {}", "PREFIX ex: <x:> delete where { ?s ?p ?o }", "LOAD <http://x>",
    "clear all", "DROP GRAPH <g>", "CREATE GRAPH <g>", "ADD <a> TO <b>", "MOVE <a> TO <b>",
    "COPY <a> TO <b>", "WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"])
def test_updates_are_recognised(text):
    assert shape_of(text).update_word is not None


@pytest.mark.parametrize("text", [
    "SELECT * { SERVICE <http://x> {} }", "select * { service silent <http://x> {} }",
    "SELECT * {\n  ?s ?p ?o .\n  SeRvIcE ?x { } }",
    "PREFIX : <http://x/> SELECT * { SERVICE:a {} }",
    "SELECT * { SERVICE<http://x>{} }"])
def test_service_is_found(text):
    assert shape_of(text).service_at is not None


@pytest.mark.parametrize("text", [
    'SELECT * { ?s ?p "SERVICE <x> {}" }', "SELECT * { ?s ?p '''SERVICE\n<x> {}''' }",
    "SELECT * { <http://x/SERVICE> ?p ?o }", "SELECT * { ?s ?p ?o } # SERVICE <x> {}",
    "PREFIX ex: <x:> SELECT * { ?s ex:SERVICE ?service }", "SELECT ?service {}"])
def test_service_in_strings_iris_comments_and_names_is_not_a_service(text):
    assert shape_of(text).service_at is None


def test_service_position():
    assert shape_of("SELECT * {\n  ?s ?p ?o .\n  SERVICE <x> {} }").service_at == (3, 3)


def test_reading_up_to_the_first_keyword_agrees_with_reading_every_token():
    """A text with no SERVICE is read only up to its first keyword (in one match, for ASCII);
    with a SERVICE in a comment at its end, every token is read. Both must agree."""
    pieces = ["PREFIX", "prefix", "BASE", "base", "PREFIXx", "BASE:", "prefix:", "ex:",
              "ex:a", ":b", "_:b1", "_x", "a", "?v", "$w", "<http://x/>", "<a b>", "<",
              '"s"', "'t'", '"""x"y"""', "'''a'''", '"', "'", "#c\n", "#", " ", "\n", "\t",
              "{", "}", ".", "-", "%", "\\", "1", "SELECT", "ask", "Construct", "describe",
              "INSERT", "delete", "WITH", "load", "é"]
    rng = random.Random(6)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert shape_of(text) == shape_of(text + "\n# SERVICE"), text


@pytest.mark.parametrize("raw", [
    b"", b"plain", b"a+b", b"%41%42%43", b"%e2%82%ac+%E2%82%AC", b"100%", b"%4", b"%zz%41",
    b"back\\slash%5Cx", b"%5C%78%34%31", b"\\x41", b"quote%27%22'\"", b"%00%ff\xff",
    b"query=PREFIX%20ex%3A%20%3Chttp%3A%2F%2Fx%2F%3E%20SELECT%20*%20%7B%7D"])
def test_form_decoding_is_urllibs(raw):
    assert _unquote(raw) == unquote_to_bytes(raw.replace(b"+", b" "))


@pytest.mark.parametrize(("accept", "offers", "expected"), [
    (None, RESULT_FORMATS, "application/sparql-results+json"),
    ("", RESULT_FORMATS, "application/sparql-results+json"),
    ("text/csv;q=0.4,text/tab-separated-values;q=0.5", RESULT_FORMATS,
     "text/tab-separated-values"),
    ("TEXT/CSV", RESULT_FORMATS, "text/csv"),
    ("text/*;q=0.9, text/csv;q=0.1", RESULT_FORMATS, "text/tab-separated-values"),
    ("application/json", GRAPH_FORMATS, "application/json"),
    ("*/*", GRAPH_FORMATS, "text/turtle"),
    ("*", GRAPH_FORMATS, "text/turtle"),
    ("text/html,*/*;q=0.8", GRAPH_FORMATS + (HTML,), "text/html"),
    ("*/*", GRAPH_FORMATS + (HTML,), "text/turtle"),
    ("application/rdf+xml;q=0.5, text/turtle;q=0.5", GRAPH_FORMATS, "text/turtle"),
])
def test_negotiate(accept, offers, expected):
    chosen = negotiate(accept, offers)
    assert chosen is not None and chosen[1] == expected


@pytest.mark.parametrize("accept", ["image/png", "text/turtle;q=0", "text/csv;q=abc", "garbage"])
def test_nothing_acceptable(accept):
    assert negotiate(accept, RESULT_FORMATS) is None


def test_format_names():
    assert by_name("TTL", GRAPH_FORMATS).name == "turtle"
    assert by_name("n3", GRAPH_FORMATS).name == "turtle"
    assert by_name("application/sparql-results+xml", RESULT_FORMATS).name == "xml"
    assert by_name("yaml", RESULT_FORMATS) is None


def solutions(rows):
    store = ox.Store()
    for index, value in enumerate(rows):
        store.add(ox.Quad(ox.NamedNode(f"http://x/{index:03d}"), ox.NamedNode("http://x/p"),
                          value))
    answer = store.query("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s")
    return QueryResult(variables=["s", "o"], solutions=iter(answer))


def test_writers_round_trip_through_pyoxigraph():
    values = [ox.Literal("plain, with \"quotes\"\nand a newline"),
              ox.Literal("chat", language="fr"),
              ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
              ox.NamedNode("http://x/o"), ox.BlankNode("b1")]
    formats = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
               "tsv": ox.QueryResultsFormat.TSV}
    for name, rdf_format in formats.items():
        body, truncated, rows = write(solutions(values), name, 100)
        assert not truncated and rows == len(values)
        parsed = list(ox.parse_query_results(body, format=rdf_format))
        objects = [solution["o"] for solution in parsed]
        assert objects[:4] == values[:4] and isinstance(objects[4], ox.BlankNode)
    body, _, _ = write(solutions(values), "csv", 100)  # CSV keeps lexical forms only
    table = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert table[0] == ["s", "o"]
    assert [row[1] for row in table[1:]] == [values[0].value, "chat", "5", "http://x/o", "_:b1"]


def test_truncation_is_explicit():
    body, truncated, rows = write(solutions([ox.Literal(str(i)) for i in range(7)]), "json", 5)
    document = json.loads(body)
    assert truncated and rows == 5 and len(document["results"]["bindings"]) == 5
    assert document["truncated"] is True and "row limit of 5" in document["note"]
    _, truncated, _ = write(solutions([ox.Literal(str(i)) for i in range(5)]), "json", 5)
    assert not truncated


def describe(endpoint: SparqlEndpoint) -> rdflib.Graph:
    """The service description `endpoint` gives a client asking /sparql for Turtle."""
    answered: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/sparql", "QUERY_STRING": "",
               "HTTP_ACCEPT": "text/turtle", "HTTP_HOST": "rg.example", "wsgi.url_scheme": "http"}
    body = b"".join(endpoint(environ, lambda status, headers: answered.append(status)))
    assert answered == ["200 OK"]
    return rdflib.Graph().parse(data=body, format="turtle")


def test_the_service_description_gives_the_count_only_once_it_is_known():
    """An external store is counted in the background (minutes at 100,000 reviews): until
    then the description is whole but for void:triples, which it never guesses."""
    count = TripleCount()
    endpoint = SparqlEndpoint(Settings(), pool=None, page_app=None, triple_count=count)
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = rdflib.URIRef("http://rg.example/sparql")
    triples = rdflib.URIRef("http://rdfs.org/ns/void#triples")
    before = describe(endpoint)
    assert (service, rdflib.RDF.type, sd.Service) in before
    assert (None, sd.defaultGraph, None) in before
    assert not list(before.objects(None, triples))
    count.set(1234)
    assert count.wait(0) == 1234
    assert [int(n) for n in describe(endpoint).objects(None, triples)] == [1234]


def test_select_star_order():
    from reviewgraph.sparql_text import select_star_order

    assert select_star_order("PREFIX a: <x> SELECT * WHERE { ?z ?a $m . ?z <p> ?q }") == \
        ("z", "a", "m", "q")
    assert select_star_order("select distinct * { ?b ?a ?b }") == ("b", "a")
    assert select_star_order("SELECT ?a { ?x ?a 2 FILTER(?a * 2 > 1) }") is None
    assert select_star_order("ASK { ?a ?b ?c }") is None
    assert select_star_order('SELECT * { ?s ?p "?not" } # ?nor') == ("s", "p")


def test_dataset_clauses_taken_out_keep_lines_and_columns():
    from reviewgraph.sparql_text import without_dataset_clauses

    text = 'ASK FROM <http://x/a>\nFROM NAMED\n  ex:b { GRAPH ?g { <FROM> ?p "FROM <x>" } }'
    out = without_dataset_clauses(text)
    assert out is not None and out.splitlines()[2].endswith('{ GRAPH ?g { <FROM> ?p "FROM <x>" } }')
    assert [len(line) for line in out.splitlines()] == [len(line) for line in text.splitlines()]
    assert "FROM <http" not in out and "NAMED" not in out
    assert without_dataset_clauses("SELECT * { ?s ?p ?o }") is None


def test_keywords_ignore_strings_iris_and_comments():
    from reviewgraph.sparql_text import blank_literals, keywords

    words = keywords('SELECT * { ?s <http://x/GRAPH> "SERVICE" } # FROM')
    assert "SELECT" in words and not {"GRAPH", "SERVICE", "FROM"} & words
    assert "SERVICE" in keywords("SELECT * { SERVICE:x ?p ?o }")
    assert blank_literals('ASK { <bif:x> "bif:y" } # bif:z', keep_iris=True).count("bif:") == 1
