"""Subject mappings as the site shows them: concept pages ("Also in MeSH: Infant"), the
licences on /downloads and the linksets in the VoID description (the real app, sample build)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from pages_support import sample_app
from rdflib import Graph, URIRef
from rdflib.namespace import VOID

from reviewgraph.terms import DEFAULT_BASE_IRI


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    return sample_app(tmp_path_factory.mktemp("build")).test_client()


def test_concept_page_lists_its_matches_in_other_vocabularies(client: FlaskClient) -> None:
    html = client.get("/page/keyword/infants").get_data(as_text=True)
    also = re.search(r"<dt>Also in</dt><dd>(.*?)</dd>", html, re.S)
    assert also, "no 'Also in' on the concept page"
    text = re.sub(r"<[^>]+>", "", also.group(1))
    assert "MeSH: Infant" in text and "Wikidata: infant" in text
    assert 'href="https://id.nlm.nih.gov/mesh/D007223"' in also.group(1)
    # HASSET's label is share-alike: the link is there, the label is not.
    assert "HASSET: the same concept" in text and "INFANTS" not in html


def test_downloads_state_the_vocabularies_licences(client: FlaskClient) -> None:
    html = client.get("/downloads").get_data(as_text=True)
    for licence in ("CC0 1.0", "CC BY-SA 4.0", "CC BY-SA 3.0 IGO", "public domain",
                    "U.S. National Library of Medicine", "UK Data Service"):
        assert licence in html, licence


def test_void_describes_one_linkset_per_vocabulary(client: FlaskClient) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    void = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    for key in ("wikidata", "hasset", "mesh", "unesco", "lcsh"):
        linkset = URIRef(f"{DEFAULT_BASE_IRI}linkset/concepts-{key}")
        assert (None, VOID.subset, linkset) in void, key
        data = client.get(f"/data/linkset/concepts-{key}.ttl").get_data(as_text=True)
        count = Graph().parse(data=data, format="turtle").value(linkset, VOID.triples)
        assert count is not None and int(count) > 0, key
