"""The agency page's recommendations, a page at a time (views/agency.py), against a real
server on a build of 200 made-up reviews (bench/synthetic.py through the real parser and
build): each list is newest first as the graph orders it, page 2 lists the next ones, the
pages together list every recommendation once, and the totals say how many there are."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
import requests
from pages_support import Served, served_build, synthetic_module

from reviewgraph.terms import DEFAULT_BASE_IRI, RG_IRI
from reviewgraph.web.views.agency import RECOMMENDATION_PAGE

BROWSER_ACCEPT = "text/html,application/xhtml+xml"
RELATIONS = {"addressed": ("addressedTo", "recs-heading", "named-heading"),
             "named": ("namesAgency", "named-heading", "</section>")}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("agency-synthetic")
    pages = synthetic_module().write_pages(200, folder / "pages", per_page=200)
    with served_build(pages, folder) as served:
        yield served


def _expected(served: Served, agency: str, prop: str) -> list[str]:
    """The agency's recommendations through `prop`, newest (highest IRI) first, from the
    graph itself."""
    rows = served.store.query(f"SELECT DISTINCT ?r WHERE {{ ?r <{RG_IRI}{prop}> <{agency}> }} "
                              "ORDER BY DESC(?r)")
    return [row[0].value for row in rows]


def _section(page: str, relation: str) -> str:
    _, start, end = RELATIONS[relation]
    return page.split(f'id="{start}"', 1)[1].split(end, 1)[0]


def _listed(section: str) -> list[str]:
    return [DEFAULT_BASE_IRI + path for path in
            re.findall(r'<li><p><a href="/page/(recommendation/[^"]+)"', section)]


def _page(served: Served, agency: str, query: str = "") -> str:
    path = "/page/" + agency[len(DEFAULT_BASE_IRI):] + query
    response = requests.get(served.url + path, headers={"Accept": BROWSER_ACCEPT}, timeout=60)
    assert response.status_code == 200, (path, response.status_code)
    return html.unescape(response.text)


def _busiest_agency(served: Served, prop: str = "addressedTo") -> str:
    rows = served.store.query(
        f"SELECT ?a (COUNT(*) AS ?n) WHERE {{ ?a a <{RG_IRI}Agency> . ?r <{RG_IRI}{prop}> ?a }}"
        " GROUP BY ?a ORDER BY DESC(?n) ?a LIMIT 1")
    return next(iter(rows))[0].value


def test_page_two_lists_the_next_recommendations(corpus: Served) -> None:
    agency = _busiest_agency(corpus)
    expected = _expected(corpus, agency, "addressedTo")
    assert len(expected) > 2 * RECOMMENDATION_PAGE, "the corpus gives an agency three pages"
    first = _section(_page(corpus, agency), "addressed")
    second = _section(_page(corpus, agency, "?addressed=2"), "addressed")
    assert _listed(first) == expected[:RECOMMENDATION_PAGE]
    assert _listed(second) == expected[RECOMMENDATION_PAGE:2 * RECOMMENDATION_PAGE]
    total = f"{len(expected):,}"
    assert f"({total})" in first
    assert f"Showing 1–{RECOMMENDATION_PAGE} of {total}, newest first." in first
    assert (f"Showing {RECOMMENDATION_PAGE + 1}–{2 * RECOMMENDATION_PAGE} of {total}"
            in second)
    # The cut list links to the rest: next from page 1, previous and next from page 2.
    assert 'href="?addressed=2#recs-heading" rel="next"' in first
    assert 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'href="?addressed=3#recs-heading" rel="next"' in second


@pytest.mark.parametrize("relation", ["addressed", "named"])
def test_the_pages_together_list_every_recommendation_once(corpus: Served, relation: str
                                                            ) -> None:
    agency = _busiest_agency(corpus, RELATIONS[relation][0])
    expected = _expected(corpus, agency, RELATIONS[relation][0])
    assert len(expected) > RECOMMENDATION_PAGE
    pages = max(1, -(-len(expected) // RECOMMENDATION_PAGE))
    listed: list[str] = []
    for number in range(1, pages + 1):
        section = _section(_page(corpus, agency, f"?{relation}={number}"), relation)
        shown = _listed(section)
        assert len(shown) == min(RECOMMENDATION_PAGE, len(expected) - len(listed))
        if number == pages:
            assert 'rel="next"' not in section
        listed += shown
    assert listed == expected  # every one once, in order: the counts add up
    # Past the last page: the last page; the other list stays on its first page.
    beyond = _page(corpus, agency, f"?{relation}={pages + 5}")
    assert _listed(_section(beyond, relation)) == expected[(pages - 1) * RECOMMENDATION_PAGE:]
    other = "named" if relation == "addressed" else "addressed"
    first_of_other = _expected(corpus, agency, RELATIONS[other][0])[:RECOMMENDATION_PAGE]
    assert _listed(_section(beyond, other)) == first_of_other


def test_what_links_here_pages_through_the_same_recommendations(corpus: Served) -> None:
    """The "What links here" list through addressedTo comes from the same per-build index:
    newest first, ten at a time, each with its label from the graph."""
    agency = _busiest_agency(corpus)
    expected = _expected(corpus, agency, "addressedTo")
    for start in (0, 10):
        page = _page(corpus, agency, f"?via=rg:addressedTo&from={start}")
        section = page.split('id="links-heading-', 1)[1]
        through = next(part for part in section.split("<h3 ")[1:]
                       if "Addressed to" in part.split("</h3>", 1)[0]
                       or "addressed to" in part.split("</h3>", 1)[0])
        listed = [DEFAULT_BASE_IRI + path for path in
                  re.findall(r'href="/page/(recommendation/[^"]+)"', through.split("</ul>")[0])]
        assert listed == expected[start:start + 10]
        label = str(next(iter(corpus.store.query(
            f"SELECT ?l WHERE {{ <{expected[start]}> <http://www.w3.org/2000/01/rdf-schema#label>"
            " ?l }")))[0].value)
        assert f">{label}</a>" in through
