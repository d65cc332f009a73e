"""Answers as sets against a real server on the sample build: the learning and
recommendations of the reviews the index's filters select, by review or by addressee, and
their CSVs (reviews; recommendations with review, addressees and text), checked against
SPARQL counts on the build itself."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html import unescape

import pytest
import requests
from pages_support import SAMPLE_PAGE, Served, served_build

from reviewgraph.terms import DEFAULT_BASE_IRI

KEYWORD = "domestic-abuse"
PREFIXES = """PREFIX rg: <https://reviewgraph.example/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_build([SAMPLE_PAGE], tmp_path_factory.mktemp("answers")) as served:
        yield served


def get(served: Served, path: str) -> requests.Response:
    return served.get_ok(path)


def rows_of(served: Served, path: str) -> list[dict[str, str]]:
    response = get(served, path)
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def sparql(served: Served, text: str) -> list[list[str]]:
    return [[term.value if term is not None else "" for term in solution]
            for solution in served.store.query(PREFIXES + text)]


def test_index_links_to_the_answers_and_csvs_with_its_filters(served: Served) -> None:
    page = get(served, f"/reviews?keyword={KEYWORD}").text
    assert f'href="/reviews/answers?keyword={KEYWORD}"' in page
    assert f'href="/reviews/answers/reviews.csv?keyword={KEYWORD}"' in page
    assert f'href="/reviews/answers/recommendations.csv?keyword={KEYWORD}"' in page


def test_reviews_csv_honours_the_filters(served: Served) -> None:
    expected = {row[0] for row in sparql(served, f"""
        SELECT ?review WHERE {{ ?review a rg:CaseReview ;
                                dcterms:subject <{DEFAULT_BASE_IRI}keyword/{KEYWORD}> }}""")}
    rows = rows_of(served, f"/reviews/answers/reviews.csv?keyword={KEYWORD}")
    assert {row["iri"] for row in rows} == expected
    assert 0 < len(expected) < len(rows_of(served, "/reviews/answers/reviews.csv"))


def test_recommendations_csv_has_review_addressees_and_text(served: Served) -> None:
    expected = sorted((row[0], row[1]) for row in sparql(served, f"""
        SELECT ?review ?text WHERE {{
          ?review dcterms:subject <{DEFAULT_BASE_IRI}keyword/{KEYWORD}> ;
                  rg:hasRecommendation ?recommendation .
          ?recommendation schema:text ?text }}"""))
    rows = rows_of(served, f"/reviews/answers/recommendations.csv?keyword={KEYWORD}")
    assert list(rows[0]) == ["review", "review title", "year", "addressed to",
                             "addressees as written", "recommendation"]
    assert sorted((row["review"], row["recommendation"].lstrip("'")) for row in rows) == expected
    assert all(row["addressed to"] for row in rows)


def test_by_review_shows_every_learning_point_and_recommendation(served: Served) -> None:
    page = unescape(get(served, f"/reviews/answers?keyword={KEYWORD}").text)
    assert "NSPCC Helpline on 0808 800 5000" in page
    texts = sparql(served, f"""
        SELECT ?text WHERE {{
          ?review dcterms:subject <{DEFAULT_BASE_IRI}keyword/{KEYWORD}> ;
                  rg:hasLearningPoint|rg:hasRecommendation ?part .
          ?part schema:text ?text }}""")
    assert texts
    for (text,) in texts:
        assert text in page
    assert "Keyword: domestic abuse" in page


def test_by_addressee_groups_and_lists_all_of_a_group(served: Served) -> None:
    page = get(served, "/reviews/answers?by=addressee").text
    groups = re.findall(r'<h2 id="group-\d+">(.*?)</h2>', page, re.S)
    assert any("safeguarding partnership" in group.lower() for group in groups)
    # Addressees by name, partnerships (named by rdfs:label) as agencies (skos:prefLabel).
    assert not [group for group in groups if DEFAULT_BASE_IRI in re.sub(r"<[^>]+>", "", group)]
    assert any(">Warrington Safeguarding Partnership</a>" in group for group in groups)
    counts = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) recommendations?</span>",
                                                          page)]
    total = int(sparql(served, "SELECT (COUNT(?r) AS ?n) WHERE { ?x rg:hasRecommendation ?r }"
                       )[0][0])
    assert sum(counts) >= total  # a recommendation to two addressees is under each
    more = re.search(r'<a href="([^"]*addressee=partnership[^"]*)">All ([\d,]+)', page)
    assert more
    whole = get(served, unescape(more.group(1))).text
    listed = len(re.findall(r"<li><p>", whole))
    assert listed == min(20, int(more.group(2).replace(",", "")))
