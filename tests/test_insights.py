"""Insight pages against a real server: on the sample build and on a synthetic corpus of
1,500 made-up reviews (bench/synthetic.py, through the real parser and build), so the charts
have real spread.

Every insight has its chart (SVG with a title and a description), its table, the query behind
it (which opens in the query editor and, run on the build, gives the CSV's numbers, with the
page's filters written in) and its CSV; filters narrow every figure; shares resting on fewer
than five reviews are shown as counts.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph
import pytest
import requests
from pages_support import SAMPLE_PAGE, Served, served_build, synthetic_module

from reviewgraph.web.insights import INSIGHTS, share_text

ROOT = Path(__file__).resolve().parents[1]
NAMES = [insight.name for insight in INSIGHTS]
SYNTHETIC_REVIEWS = 1500
YEARS = "&".join(f"year={year}" for year in range(2019, 2026))
FILTERED = "keyword=domestic-abuse&" + YEARS  # "Domestic abuse, 2019 to 2025"


synthetic = synthetic_module()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_build([SAMPLE_PAGE], tmp_path_factory.mktemp("insights-sample")) as served:
        yield served


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("insights-synthetic")
    pages = synthetic.write_pages(SYNTHETIC_REVIEWS, folder / "pages", per_page=500)
    with served_build(pages, folder) as served:
        yield served


@pytest.fixture(params=["sample", "corpus"])
def served(request: pytest.FixtureRequest) -> Served:
    return request.getfixturevalue(request.param)


def get(served: Served, path: str) -> requests.Response:
    return served.get_ok(path)


def links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]*)"', html)]


def query_link(html: str) -> str:
    found = re.search(r'<a href="([^"]*)">The query behind this chart</a>', html)
    assert found, "no query link"
    return unescape(found.group(1))


def csv_link(html: str) -> str:
    found = re.search(r'<a href="([^"]*)" type="text/csv" download>', html)
    assert found, "no CSV link"
    return unescape(found.group(1))


def csv_rows(served: Served, path: str) -> list[dict[str, str]]:
    response = get(served, path)
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def run_query(served: Served, link: str) -> list[dict[str, str]]:
    """The query behind a chart, taken from its editor link, run on the build itself."""
    text = parse_qs(urlsplit(link).query)["query"][0]
    solutions = served.store.query(text)
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [{name: (term.value if term is not None else "") for name, term
             in zip(names, solution, strict=True)} for solution in solutions]


# --- pages ------------------------------------------------------------------------------------
def test_insights_index_is_in_the_menu_and_on_the_home_page(sample: Served) -> None:
    home = get(sample, "/").text
    assert re.search(r'<nav aria-label="Main">.*?href="/insights"', home, re.S)
    page = get(sample, "/insights").text
    assert "NSPCC Helpline on 0808 800 5000" in page
    for name in NAMES:
        assert f'href="/insights/{name}"' in page
    # From the index, its filters carry over.
    index = get(sample, "/reviews?keyword=domestic-abuse").text
    assert 'href="/insights?keyword=domestic-abuse"' in index


@pytest.mark.parametrize("name", NAMES)
def test_each_insight_has_chart_table_query_and_csv(served: Served, name: str) -> None:
    page = get(served, f"/insights/{name}").text
    assert "NSPCC Helpline on 0808 800 5000" in page
    svg = re.search(r"<svg[^>]*>(.*?)</svg>", page, re.S)
    assert svg, "no chart"
    assert re.search(r'viewBox="0 0 \d+ \d+" width="100%"', svg.group(0))
    assert re.search(r"<title id=[^>]*>[^<]+</title>", svg.group(1))
    assert re.search(r"<desc id=[^>]*>[^<]+</desc>", svg.group(1))
    assert "<table" in page and "<figcaption" in page
    # No IRIs, CURIEs or datatypes in the body.
    body = re.sub(r"<(script|footer)\b.*?</\1>", "", page, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    assert "https://reviewgraph.example" not in text and "xsd:" not in text
    link = query_link(page)
    assert link.startswith("/sparql?query=")
    editor = requests.get(served.url + link, headers={"Accept": "text/html"}, timeout=60)
    assert editor.status_code == 200 and "<textarea" in editor.text
    assert run_query(served, link)
    rows = csv_rows(served, csv_link(page))
    assert rows


def test_unknown_insight_is_404(sample: Served) -> None:
    assert requests.get(sample.url + "/insights/nothing", timeout=30).status_code == 404
    assert requests.get(sample.url + "/insights/nothing.csv", timeout=30).status_code == 404


# --- the numbers ------------------------------------------------------------------------------
def _pairs_from_csv(name: str, rows: list[dict[str, str]]) -> Counter:
    found: Counter = Counter()
    for row in rows:
        if name == "themes-over-time":
            if row["reviews with the theme"] != "0":
                found[(row["year"], row["theme"], int(row["reviews with the theme"]),
                       int(row["reviews that year"]))] += 1
        elif name == "theme-pairs":
            found[(frozenset((row["theme"], row["other theme"])),
                   int(row["reviews with both"]))] += 1
        elif name == "addressees":
            found[(row["addressed to"], int(row["recommendations"]), int(row["reviews"]))] += 1
        elif name == "outcomes-by-age":
            found[(row["age band"], row["outcome"], int(row["reviews"]))] += 1
        elif name == "map":
            found[(row["area"], row["GSS code"], int(row["reviews"]))] += 1
        elif name == "per-year":
            found[(row["year"], row.get("nation", row.get("review type", "")),
                   int(row["reviews"]))] += 1
    return found


def _pairs_from_query(name: str, rows: list[dict[str, str]]) -> Counter:
    found: Counter = Counter()
    for row in rows:
        if name == "themes-over-time":
            found[(row["year"], row["themeLabel"], int(row["reviews"]),
                   int(row["yearReviews"]))] += 1
        elif name == "theme-pairs":
            found[(frozenset((row["themeLabel"], row["otherLabel"])), int(row["reviews"]))] += 1
        elif name == "addressees":
            found[(row["addresseeLabel"], int(row["recommendations"]),
                   int(row["reviews"]))] += 1
        elif name == "outcomes-by-age":
            found[(row["ageBandLabel"], row["outcomeLabel"], int(row["reviews"]))] += 1
        elif name == "map":
            found[(row["localityLabel"], row["gss"], int(row["reviews"]))] += 1
        elif name == "per-year":
            found[(row["year"], row.get("nation", row.get("typeLabel", "")),
                   int(row["reviews"]))] += 1
    return found


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("filters", ["", FILTERED])
def test_csv_numbers_equal_the_query_behind_the_chart(served: Served, name: str,
                                                      filters: str) -> None:
    """The figures are counted from the index; the SPARQL behind the chart, with the page's
    filters written into it, counts them again from the graph: the same numbers."""
    page = get(served, f"/insights/{name}" + (f"?{filters}" if filters else "")).text
    if "nothing to chart" in page:
        return
    from_csv = _pairs_from_csv(name, csv_rows(served, csv_link(page)))
    from_query = _pairs_from_query(name, run_query(served, query_link(page)))
    assert from_csv == from_query


def test_numbers_match_the_made_up_records(corpus: Served) -> None:
    """Independent of the graph: the synthetic corpus's own reviews, counted in Python."""
    made = list(synthetic.reviews(SYNTHETIC_REVIEWS))
    per_year = Counter(review.year for review in made)
    rows = csv_rows(corpus, "/insights/per-year.csv")
    from_csv: Counter = Counter()
    for row in rows:
        from_csv[int(row["year"])] += int(row["reviews"])  # one nation a review here
    assert from_csv == per_year
    per_area = Counter(review.locality for review in made)
    rows = csv_rows(corpus, "/insights/map.csv")
    assert len(rows) > 100
    for row in rows:
        assert int(row["reviews"]) == per_area[row["area"]], row
    # A name the build does not match is left off the map, and the page counts it.
    missing = SYNTHETIC_REVIEWS - sum(int(row["reviews"]) for row in rows)
    if missing:
        page = get(corpus, "/insights/map").text
        assert f"{missing:,} review{'' if missing == 1 else 's'} name no locality" in page
    domestic = [r for r in made if "domestic abuse" in r.keywords and r.year >= 2019]
    filtered = csv_rows(corpus, f"/insights/per-year.csv?{FILTERED}")
    assert sum(int(row["reviews"]) for row in filtered) == len(domestic)


COUNT_COLUMNS = {"themes-over-time": "reviews with the theme", "theme-pairs": "reviews with both",
                 "addressees": "recommendations", "outcomes-by-age": "reviews", "map": "reviews",
                 "per-year": "reviews"}


@pytest.mark.parametrize("name", NAMES)
def test_filters_narrow_every_insight_and_say_so(corpus: Served, name: str) -> None:
    everything = get(corpus, f"/insights/{name}").text
    narrowed = get(corpus, f"/insights/{name}?{FILTERED}").text
    assert "For all <strong>1,500</strong> reviews" in everything
    found = re.search(r"For the <strong>([\d,]+)</strong> of 1,500 reviews", narrowed)
    assert found and 0 < int(found.group(1).replace(",", "")) < SYNTHETIC_REVIEWS
    assert "Keyword: domestic abuse" in narrowed and "Year: 2019 to 2025" in narrowed
    column = COUNT_COLUMNS[name]
    total_all = sum(int(row[column]) for row in csv_rows(corpus, csv_link(everything)))
    total_narrowed = sum(int(row[column]) for row in csv_rows(corpus, csv_link(narrowed)))
    assert 0 < total_narrowed < total_all
    # The CSV and the query link carry the filters too.
    assert "keyword=domestic-abuse" in csv_link(narrowed)
    assert "FILTER EXISTS" in parse_qs(urlsplit(query_link(narrowed)).query)["query"][0]


# --- small numbers ----------------------------------------------------------------------------
def test_share_text_shows_counts_below_five() -> None:
    assert share_text(2, 3) == "2 of 3"
    assert share_text(0, 4) == "0 of 4"
    assert share_text(1, 5) == "20%"
    assert share_text(12, 120) == "10%"


def test_small_years_show_counts_not_percentages(sample: Served) -> None:
    """A selection with fewer than five reviews a year (a keyword of two to four sample
    reviews): its shares are counts, the page says so, the CSV leaves the share empty and the
    comparison with the collection names both sides' numbers."""
    keyword = next(value for value in sample.site.collection.facets["keyword"].values()
                   if 2 <= value.count < 5)
    page = get(sample, f"/insights/themes-over-time?keyword={keyword.key}").text
    assert "Fewer than 5 reviews in 2025" in page and "chart shows counts" in page
    assert re.search(r"\d+ \(\d+ of [234]\)", page), "small years show counts"
    assert not re.search(r"\d+ \(\d+%\)</td>", page.split("comparison-heading")[0])
    rows = csv_rows(sample, csv_link(page))
    assert rows and all(row["share"] == "" for row in rows)
    assert "fewer than 5: counts, not percentages" in page
    assert f"These {keyword.count} reviews</th>" in page and "All 8 reviews</th>" in page


def test_comparison_with_the_collection_names_both_sides(corpus: Served) -> None:
    page = get(corpus, f"/insights/themes-over-time?{FILTERED}").text
    assert "These reviews and the whole collection" in page
    assert re.search(r"These [\d,]+ reviews</th>", page)
    assert "All 1,500 reviews</th>" in page


# --- the map ----------------------------------------------------------------------------------
def test_map_colours_areas_and_links_them_to_their_pages(corpus: Served) -> None:
    page = get(corpus, "/insights/map").text
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)
    assert svg.count("<polygon") == 361  # every district of the 2023 map
    area_links = re.findall(r'<a href="(/page/locality/[^"]+)"><title>([^<]+)</title>', svg)
    assert len(area_links) > 100
    for href, title in area_links[:5]:
        assert re.search(r": [\d,]+ reviews?$", unescape(title))
        assert get(corpus, href).status_code == 200
    assert '<ul class="legend" aria-label="Key: reviews">' in page
    legend = re.search(r'<ul class="legend".*?</ul>', page, re.S).group(0)
    assert "none" in legend and len(re.findall("<li>", legend)) >= 3


def test_reviews_per_year_by_type_switches_query_and_csv(sample: Served) -> None:
    page = get(sample, "/insights/per-year?by=type").text
    assert "reviews-per-year-by-type.rq" in page
    assert "by=type" in csv_link(page)
    rows = csv_rows(sample, csv_link(page))
    assert "review type" in rows[0]


def test_map_copy_is_attributed_and_unchanged() -> None:
    import hashlib

    folder = ROOT / "data" / "reference" / "maps"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "MIT" in readme and (folder / "LICENSE-hexmaps").is_file()
    for name in ("uk-local-authority-districts-2023.hexjson", "LICENSE-hexmaps"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in readme


def test_addressee_counts_link_to_those_recommendations(corpus: Served) -> None:
    page = get(corpus, f"/insights/addressees?{FILTERED}").text
    found = re.findall(r'<td class="num"><a href="([^"]*by=addressee[^"]*)">([\d,]+)</a>', page)
    assert found
    for href, count in found[:3]:
        listed = get(corpus, unescape(href)).text
        assert "Keyword: domestic abuse" in listed
        assert re.search(rf"{count} recommendations?</span>", listed), href


@pytest.mark.parametrize("path", ["/insights", "/insights/map", "/insights/theme-pairs",
                                  "/reviews/answers"])
def test_filters_from_the_url_are_escaped(sample: Served, path: str) -> None:
    hostile = "q=%3Cscript%3Ealert(1)%3C/script%3E&keyword=%22%3E%3Cimg%20src=x%3E"
    page = get(sample, f"{path}?{hostile}").text
    assert "<script>alert" not in page and "<img src=x>" not in page
    assert "&lt;script&gt;" in page
