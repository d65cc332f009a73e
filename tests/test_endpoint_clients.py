"""Real SPARQL clients against the real server: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import csv
import io
import xml.dom.minidom

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

TITLES = ("PREFIX dcterms: <http://purl.org/dc/terms/>\n"
          "SELECT ?title WHERE { ?r dcterms:title ?title } ORDER BY ?title")
CONSTRUCT = ("PREFIX dcterms: <http://purl.org/dc/terms/>\n"
             "CONSTRUCT { ?r dcterms:title ?t } WHERE { ?r dcterms:title ?t }")
WAYS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]


def client(endpoint: str, query: str, return_format: str, method: str, request_method: str
           ) -> SPARQLWrapper:
    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(return_format)
    sparql.setMethod(method)
    sparql.setRequestMethod(request_method)
    return sparql


@pytest.mark.parametrize(("method", "request_method"), WAYS)
@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(endpoint, return_format, method, request_method, expected_titles):
    converted = client(endpoint, TITLES, return_format, method, request_method).queryAndConvert()
    if return_format == JSON:
        titles = [b["title"]["value"] for b in converted["results"]["bindings"]]
    elif return_format == XML:
        assert isinstance(converted, xml.dom.minidom.Document)
        titles = [node.firstChild.data for node in converted.getElementsByTagName("literal")]
    elif return_format == CSV:
        rows = list(csv.reader(io.StringIO(converted.decode("utf-8"))))
        titles = [row[0] for row in rows[1:]]
    else:
        titles = [line.strip('"') for line in converted.decode("utf-8").splitlines()[1:]]
    assert titles == expected_titles


@pytest.mark.parametrize(("method", "request_method"), WAYS)
@pytest.mark.parametrize("return_format", [JSON, XML])
def test_sparqlwrapper_ask(endpoint, return_format, method, request_method):
    query = "ASK { ?r <http://purl.org/dc/terms/title> \"Jo\" }"
    converted = client(endpoint, query, return_format, method, request_method).queryAndConvert()
    if return_format == JSON:
        assert converted["boolean"] is True
    else:
        assert converted.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize(("method", "request_method"), WAYS)
@pytest.mark.parametrize("return_format", [TURTLE, N3, RDFXML, JSONLD, XML])
def test_sparqlwrapper_construct(endpoint, return_format, method, request_method, expected_titles):
    converted = client(endpoint, CONSTRUCT, return_format, method, request_method
                       ).queryAndConvert()
    graph = converted if isinstance(converted, rdflib.Graph) else rdflib.Graph().parse(
        data=converted, format={TURTLE: "turtle", N3: "turtle"}[return_format])
    assert sorted(str(o) for o in graph.objects()) == expected_titles


def test_sparqlwrapper_bad_query(endpoint):
    with pytest.raises(QueryBadFormed, match="line 1, column"):
        client(endpoint, "SELECT ?x WHERE { ?x }", JSON, GET, URLENCODED).query()


def test_rdflib_sparqlstore(endpoint, expected_titles, graph_facts):
    # rdflib's default return format ("xml") accepts SPARQL XML results and RDF/XML.
    graph = rdflib.Graph(store=SPARQLStore(endpoint))
    titles = [str(row.title) for row in graph.query(TITLES)]
    assert titles == expected_titles
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
    constructed = graph.query(CONSTRUCT).graph
    assert sorted(str(o) for o in constructed.objects()) == expected_titles
    review = rdflib.URIRef(graph_facts.review)
    assert graph.value(review, rdflib.DCTERMS.title) == rdflib.Literal(graph_facts.review_title)
    assert len(list(graph.triples((review, None, None)))) > 5
    assert len(graph) == graph_facts.triples


@pytest.mark.parametrize("return_format", ["json", "xml", "csv"])
@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_methods_and_formats(endpoint, method, return_format, expected_titles):
    store = SPARQLStore(endpoint, method=method, returnFormat=return_format)
    titles = [str(row.title) for row in rdflib.Graph(store=store).query(TITLES)]
    assert titles == expected_titles

