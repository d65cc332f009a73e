"""The per-year charts of the home, place, agency, theme, keyword and outcome pages link the
query behind them and their data as CSV (web/year_charts.py), as the insight charts do: on the
sample build served by the real app, the CSV follows the index's filters and the query, run on
the build itself, gives the same figures."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pyoxigraph
import pytest
import requests
from pages_support import SAMPLE_PAGE, Served, served_build

REVIEW_COUNT = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rg: <https://reviewgraph.example/def/>
SELECT (COUNT(DISTINCT ?review) AS ?n) WHERE { ?review a rg:CaseReview . %s }"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_build([SAMPLE_PAGE], tmp_path_factory.mktemp("year-charts")) as served:
        yield served


def get(served: Served, path: str) -> requests.Response:
    return served.get_ok(path)


def chart_links(html: str) -> tuple[str, str]:
    """(query link, CSV link) under the page's per-year chart."""
    section = re.search(r"<figure class=\"chart\".*?</ul>", html, re.S)
    assert section, "no per-year chart with links"
    query = re.search(r'<a href="([^"]*)">The query behind this chart</a>', section.group(0))
    data = re.search(r'<a href="([^"]*)" type="text/csv" download>The chart', section.group(0))
    assert query and data
    return unescape(query.group(1)), unescape(data.group(1))


def count(served: Served, pattern: str = "") -> int:
    solutions = served.store.query(REVIEW_COUNT % pattern)
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    return int(next(iter(solutions))["n"].value)


def csv_years(served: Served, path: str) -> dict[str, int]:
    response = get(served, path)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["year", "reviews"]
    return {year: int(reviews) for year, reviews in rows[1:]}


def query_years(served: Served, link: str) -> dict[str, int]:
    text = parse_qs(urlsplit(link).query)["query"][0]
    solutions = served.store.query(text)
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    return {row["year"].value: int(row["reviews"].value) for row in solutions}


@pytest.mark.parametrize(("path", "pattern"), [
    ("/", ""),
    ("/page/keyword/domestic-abuse",
     "?review dcterms:subject <https://reviewgraph.example/id/keyword/domestic-abuse>"),
    ("/page/locality/birmingham",
     "?review rg:locality <https://reviewgraph.example/id/locality/birmingham>"),
    ("/page/agency/schools", ""),
])
def test_per_year_chart_links_its_query_and_csv(served: Served, path: str,
                                                pattern: str) -> None:
    page = get(served, path).text
    query_link, csv_link = chart_links(page)
    assert query_link.startswith("/sparql?query=")
    assert "reviews-per-year.rq" in page
    from_csv = csv_years(served, csv_link)
    from_query = query_years(served, query_link)
    assert {year: n for year, n in from_csv.items() if n} == from_query
    if pattern or path == "/":
        assert sum(from_csv.values()) == count(served, pattern)
    editor = requests.get(served.url + query_link, headers={"Accept": "text/html"}, timeout=60)
    assert editor.status_code == 200 and "<textarea" in editor.text


def test_per_year_csv_follows_the_index_filters(served: Served) -> None:
    everything = csv_years(served, "/reviews/per-year.csv")
    keyword = csv_years(served, "/reviews/per-year.csv?keyword=domestic-abuse")
    assert sum(everything.values()) == count(served)
    assert 0 < sum(keyword.values()) < sum(everything.values())
    assert all(keyword.get(year, 0) <= n for year, n in everything.items())
