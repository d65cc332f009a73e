"""Pages written for people (web/views/, web/render.py), against a real server on the sample.

Directories (/page/theme/ ... /page/partnership/) and scheme pages list every member once,
A to Z, with counts; partnership pages list their reviews; a review names its partnership as
the listing does; parts of a review (child, learning point, recommendation, report) read as
pages; no IRI, CURIE, datatype or pattern shows outside the collapsed "Data and identifiers";
the helpline notice is on every page with case content; cut lists say how many more there
are; dates, counts and ages are in words; search snippets end at word boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
import requests
from pages_support import SAMPLE_PAGE, Served, served_build

from reviewgraph.terms import DEFAULT_BASE_IRI
from reviewgraph.web.collection import word_bounds
from reviewgraph.web.render import date_in_words, human_age, number

BASE = DEFAULT_BASE_IRI
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
HELPLINE = "NSPCC Helpline on 0808 800 5000"
WEST_GLAMORGAN = "/page/review/2025-west-glamorgan-wg-s71-2023-child-a"
PART = "2025-west-glamorgan-wg-s71-2023-child-a"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, page_store_url: str | None
           ) -> Iterator[Served]:
    with served_build([SAMPLE_PAGE], tmp_path_factory.mktemp("views"),
                      store_url=page_store_url) as served:
        yield served


def page(served: Served, path: str) -> str:
    response = requests.get(served.url + path, timeout=30, allow_redirects=False)
    assert response.status_code == 200, path
    return response.text


class _Reading(HTMLParser):
    """What a person reads in <main> with "Data and identifiers" left collapsed, and the
    links (href, text) they see there."""

    VOID = frozenset({"br", "img", "input", "link", "meta", "hr", "wbr", "source"})

    def __init__(self, fragment: bool = False) -> None:
        super().__init__()
        self.fragment = fragment  # a piece of a page: all of it is read
        self.stack: list[tuple[str, bool]] = []
        self.text: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.details: list[dict[str, str | None]] = []
        self._href: str | None = None
        self._anchor: list[str] = []

    @property
    def hidden(self) -> bool:
        return any(hide for _, hide in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        attributes = dict(attrs)
        identifiers = tag == "details" and "identifiers" in (attributes.get("class") or "")
        if identifiers:
            self.details.append(attributes)
        self.stack.append((tag, identifiers or tag in ("script", "style", "head")))
        if tag == "a" and not self.hidden and self.in_main:
            self._href, self._anchor = attributes.get("href") or "", []

    @property
    def in_main(self) -> bool:
        return self.fragment or any(tag == "main" for tag, _ in self.stack)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._anchor).split())))
            self._href = None
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self.in_main and not self.hidden:
            self.text.append(data)
            if self._href is not None:
                self._anchor.append(data)


def reading(html: str) -> _Reading:
    parsed = _Reading(fragment="<main" not in html)
    parsed.feed(html)
    return parsed


def read_text(html: str) -> str:
    return " ".join(" ".join(reading(html).text).split())


JARGON = re.compile(
    r"(?i:https?://)|\b(?:rg|xsd|skos|dcterms|void|dcat|wd|owl|rdfs?|schema|prov|foaf|sh|org|"
    r"fabio):[A-Za-z]|\bP(?:T?\d+[YMWDHS])+\b|\\b|\(\?<?[!=]|\[\\w|\bIRI\b")


def sample_pages(served: Served) -> list[str]:
    return ["/", "/reviews", "/reviews?q=foster", "/page/theme/", "/page/keyword/",
            "/page/agency/", "/page/locality/", "/page/partnership/", WEST_GLAMORGAN,
            f"/page/child/{PART}-1", f"/page/learning/{PART}-1",
            f"/page/recommendation/{PART}-1", f"/page/report/{PART}",
            "/page/partnership/west-glamorgan-safeguarding-board", "/page/scheme/keywords",
            "/page/scheme/learning-themes", "/page/theme/assessment",
            "/page/keyword/domestic-abuse", "/page/outcome/death", "/page/age-band/under-1",
            "/page/agency/health-visitors", "/page/locality/neath-port-talbot",
            "/page/dataset", "/page/council/neath-port-talbot", "/insights",
            "/insights/addressees", "/reviews/answers",
            "/reviews/answers?keyword=child-sexual-abuse&by=addressee"]


# --- no identifiers in the body ---------------------------------------------------------------
def test_no_iris_curies_datatypes_or_patterns_in_the_body_of_a_page(served: Served) -> None:
    for path in sample_pages(served):
        html = page(served, path)
        found = JARGON.findall(read_text(html))
        assert not found, (path, found)


def test_identifiers_are_in_a_collapsed_data_and_identifiers_section(served: Served) -> None:
    for path in (WEST_GLAMORGAN, "/page/theme/assessment", f"/page/recommendation/{PART}-1",
                 "/page/dataset"):
        html = page(served, path)
        details = reading(html).details
        assert len(details) == 1, path
        assert "open" not in details[0], path  # collapsed by default
        section = html.split('<details class="identifiers"', 1)[1].split("</details>", 1)[0]
        assert "<summary>Data and identifiers</summary>" in section
        assert BASE in section  # the IRI, for those who want it
    theme = page(served, "/page/theme/assessment")
    patterns = theme.split('<details class="identifiers"', 1)[1]
    assert "thresholds?" in patterns  # the matcher's patterns: there, and only there
    assert "thresholds?" not in read_text(theme)


# --- parts of a review, written as pages ------------------------------------------------------
def test_recommendation_page_reads_text_then_whom_then_review_then_theme(served: Served) -> None:
    html = page(served, f"/page/recommendation/{PART}-1")
    text = read_text(html)
    order = [text.index(what) for what in (
        "seek assurance that practitioners", "For West Glamorgan Safeguarding Board",
        "From the review WG S71 2023 (Child A)", "Theme private fostering and family courts")]
    assert order == sorted(order), text
    assert HELPLINE in text
    assert '<table class="facts">' not in html.split('<details class="identifiers"', 1)[0]
    assert (f"/page/review/{PART}", "WG S71 2023 (Child A) (West Glamorgan, 2025)"
            ) in reading(html).links


def test_child_learning_and_report_pages_are_written_as_pages(served: Served) -> None:
    child = read_text(page(served, f"/page/child/{PART}-1"))
    assert "Child A" in child and "(female)" in child and "Review WG S71 2023" in child
    assert HELPLINE in child
    learning = read_text(page(served, f"/page/learning/{PART}-1"))
    assert learning.index("home conditions and presentation of children") < learning.index(
        "From the review")
    assert "Theme neglect" in learning and "Theme matched by neglect" in learning
    assert HELPLINE in learning
    report = read_text(page(served, f"/page/report/{PART}"))
    assert "Kind of report executive summary" in report
    assert "Report of the review WG S71 2023" in report


# --- the helpline -----------------------------------------------------------------------------
def test_helpline_on_every_page_with_case_content(served: Served) -> None:
    for path in ["/", "/reviews", "/reviews?q=foster", WEST_GLAMORGAN,
                 f"/page/child/{PART}-1", f"/page/learning/{PART}-1",
                 f"/page/recommendation/{PART}-1", "/page/theme/assessment",
                 "/page/keyword/domestic-abuse", "/page/outcome/death",
                 "/page/agency/health-visitors", "/page/locality/neath-port-talbot",
                 "/page/partnership/west-glamorgan-safeguarding-board", "/insights",
                 "/reviews/answers"]:
        assert read_text(page(served, path)).count(HELPLINE) == 1, path


# --- directories and schemes ------------------------------------------------------------------
def _graph_labels(served: Served, rdf_class: str) -> set[str]:
    rows = served.store.query(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        f"SELECT ?label WHERE {{ ?s a <{rdf_class}> . OPTIONAL {{ ?s skos:prefLabel ?p }} "
        "OPTIONAL { ?s rdfs:label ?r } BIND(COALESCE(?p, ?r) AS ?label) }")
    return {row["label"].value for row in rows}


def _listed(html: str, kind: str) -> list[tuple[str, str]]:
    return [(href, text) for href, text in reading(html).links
            if re.fullmatch(rf"/page/{kind}/[^/]+", href)]


@pytest.mark.parametrize(("kind", "rdf_class", "menu"), [
    ("theme", "LearningTheme", "Themes"), ("keyword", "Keyword", "Keywords"),
    ("locality", "Locality", "Places"), ("partnership", "SafeguardingPartnership",
                                         "Partnerships")])
def test_directory_lists_every_member_once_a_to_z_with_counts(
        served: Served, kind: str, rdf_class: str, menu: str) -> None:
    html = page(served, f"/page/{kind}/")
    listed = _listed(html, kind)
    labels = [text for _, text in listed]
    groups = html.split('<section class="concept-group">')[1:] or [html]
    for group in groups:  # A to Z (within each group: places under their nation)
        within = [text for _, text in _listed(group.split("</section>", 1)[0], kind)]
        assert within == sorted(within, key=str.casefold)
    assert len(set(labels)) == len(labels) == len(_graph_labels(served, BASE.replace(
        "/id/", "/def/") + rdf_class))
    assert set(labels) == _graph_labels(served, BASE.replace("/id/", "/def/") + rdf_class)
    assert re.search(r'class="count">\d[\d,]* reviews?</span>', html)
    assert f'aria-current="page">{menu}</a>' in html  # in the menu, marked as here
    assert f'href="/page/{kind}/"' in page(served, "/")  # the menu on every page


def test_directory_counts_match_the_index(served: Served) -> None:
    html = page(served, "/page/theme/")
    counted = dict(re.findall(r'<a href="/page/theme/([^"]+)">[^<]+</a> <span class="count">'
                              r"(\d+) reviews?</span>", html))
    assert counted
    for key, count in counted.items():
        index = page(served, f"/reviews?theme={key}")
        assert f">{count} review" in index, key


def test_places_directory_groups_places_under_their_nation(served: Served) -> None:
    html = page(served, "/page/locality/")
    wales = html.split("<h2>Wales</h2>", 1)[1].split("</section>", 1)[0]
    assert [text for _, text in _listed(wales, "locality")] == ["Neath Port Talbot", "Swansea"]
    assert "<h2>England</h2>" in html


def test_agencies_directory_groups_agencies_under_their_kind(served: Served) -> None:
    html = page(served, "/page/agency/")
    assert '<section class="concept-group"><h2><a href="/page/agency-kind/health">Health' in html
    health = html.split('href="/page/agency-kind/health"', 1)[1].split("</section>", 1)[0]
    assert "Health visitors" in health
    assert len(_listed(html, "agency")) == len({href for href, _ in _listed(html, "agency")})


def test_scheme_page_lists_each_concept_once_a_to_z_without_paging(served: Served) -> None:
    html = page(served, "/page/scheme/keywords")
    section = html.split('id="concepts-heading"', 1)[1].split("</section>", 1)[0]
    listed = [text for _, text in _listed(section, "keyword")]
    keywords = _graph_labels(served, BASE.replace("/id/", "/def/") + "Keyword")
    assert listed == sorted(keywords, key=str.casefold)
    assert 'rel="next"' not in section and "from=10" not in read_text(html)


def test_unknown_directory_is_404(served: Served) -> None:
    assert requests.get(served.url + "/page/nothing/", timeout=30).status_code == 404


# --- partnerships -----------------------------------------------------------------------------
def test_partnership_page_lists_its_reviews_and_areas(served: Served) -> None:
    html = page(served, "/page/partnership/west-glamorgan-safeguarding-board")
    text = read_text(html)
    assert "Reviews (1)" in text
    assert (f"/page/review/{PART}", "WG S71 2023 (Child A)") in reading(html).links
    assert "Areas it covers Neath Port Talbot , Swansea" in text


def test_review_names_its_partnership_as_the_listing_does(served: Served) -> None:
    html = page(served, WEST_GLAMORGAN)
    lede = html.split('<p class="lede">', 1)[1].split("</p>", 1)[0]
    assert 'href="/page/partnership/west-glamorgan-safeguarding-board">West Glamorgan</a>' in lede
    assert "Neath Port Talbot" not in lede
    areas = html.split('<p class="areas">', 1)[1].split("</p>", 1)[0]
    assert "Neath Port Talbot" in areas and "Swansea" in areas
    index = page(served, "/reviews?q=WG+S71")
    results = index.split('class="results-list"', 1)[1]
    entry = results.split("WG S71 2023 (Child A)", 1)[1].split("</li>", 1)[0]
    assert "West Glamorgan" in entry and "Neath Port Talbot" not in entry


# --- cut lists, numbers, dates, snippets ------------------------------------------------------
def test_a_cut_list_says_how_many_more_and_links_to_all(served: Served) -> None:
    html = page(served, "/")
    keywords = html.split('id="keywords-heading"', 1)[1].split("</section>", 1)[0]
    total = len(served.site.collection.sorted_values("keyword"))
    assert total > 12
    assert (f"{total - 12} more keywords: " in read_text(keywords)
            and f'<a href="/page/keyword/">all {total}</a>' in keywords)
    theme = page(served, "/page/keyword/child-deaths")
    more = re.search(r"(\d+) more learning themes: <a href=\"([^\"]+)\">all (\d+)</a>", theme)
    if more:  # the co-occurring themes of a keyword are cut at ten
        assert int(more.group(3)) - int(more.group(1)) == 10
        assert "more=theme" in more.group(2)


def test_numbers_dates_and_ages_in_words() -> None:
    assert number(1500) == "1,500" and number(12) == "12"
    assert date_in_words("2024-02") == "February 2024"
    assert date_in_words("2024-02-03") == "3 February 2024"
    assert date_in_words("2023-05-01T10:00:00Z") == "1 May 2023"
    assert date_in_words("2024") == "2024" and date_in_words("soon") == "soon"
    assert human_age("P8D") == "8 days" and human_age("P1Y6M") == "1 year, 6 months"
    assert human_age("PT0S") == "birth" and human_age("P0D") == "birth"


def test_search_snippets_end_at_word_boundaries(served: Served) -> None:
    text = "the quick brown fox jumps over the lazy dog"
    start, end = word_bounds(text, 6, 22, 10, 15)
    assert text[start:end] == "brown fox"
    collection = served.site.collection
    seen = 0
    for entry in collection.reviews:
        for _, snippet in collection.snippets(entry, ["foster"], width=30):
            plain = re.sub(r"</?mark>", "", str(snippet)).replace("&#39;", "'")
            inner = plain.removeprefix("… ").removesuffix(" …")
            sources = [entry.title, entry.summary, *sum(entry.texts.values(), [])]
            source = next(s for s in sources if inner in s)
            at = source.index(inner)
            assert at == 0 or source[at - 1].isspace(), plain
            after = at + len(inner)
            assert after == len(source) or source[after].isspace(), plain
            seen += 1
    assert seen
