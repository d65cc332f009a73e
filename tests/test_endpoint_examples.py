"""The example query library: named, described, and each answers on the served graph."""

from __future__ import annotations

import pytest
import rdflib
import requests

from reviewgraph.web.query_page import EXAMPLES_DIR, examples, read_example

EXAMPLES = examples()


def test_at_least_twelve_named_and_described_examples():
    assert len(EXAMPLES) >= 12
    assert len({e.title for e in EXAMPLES}) == len(EXAMPLES)
    for example in EXAMPLES:
        assert len(example.title) > 10 and len(example.description) > 40


def test_an_example_without_a_header_is_an_error(tmp_path):
    bare = tmp_path / "bare.rq"
    bare.write_text("SELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(ValueError, match="needs '# title:'"):
        read_example(bare)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_answers(endpoint, example):
    graph_query = "CONSTRUCT" in example.text.upper().split("WHERE")[0]
    accept = "text/turtle" if graph_query else "application/sparql-results+json"
    response = requests.post(endpoint, data=example.text.encode(), timeout=30, headers={
        "Content-Type": "application/sparql-query", "Accept": accept})
    assert response.status_code == 200, response.text
    if graph_query:
        assert len(rdflib.Graph().parse(data=response.content, format="turtle")) > 0
    else:
        assert response.json()["results"]["bindings"], f"{example.name} found nothing"


def test_examples_are_downloadable(server):
    example = EXAMPLES[0]
    response = requests.get(f"{server.base_url}/sparql/examples/{example.name}.rq", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/sparql-query")
    assert response.text == (EXAMPLES_DIR / f"{example.name}.rq").read_text()
    assert requests.get(f"{server.base_url}/sparql/examples/nope.rq",
                        timeout=30).status_code == 404


def test_the_page_lists_every_example(server):
    page = requests.get(server.endpoint, headers={"Accept": "text/html"}, timeout=30).text
    for example in EXAMPLES:
        assert example.title in page.replace("&#34;", '"').replace("&#39;", "'")
