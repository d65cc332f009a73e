"""The pages in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against a real server on the sample build.

The walk (`test_walk`) opens every kind of page at 390 px (a phone) and 1280 px and asserts
on each: no sideways scrolling, no console errors, no axe-core violations at WCAG 2.2 A/AA,
the helpline notice where case content shows, and every chart with its table, the query
behind it and its data as CSV. The other tests follow a reader's path, the keyboard and a
page without JavaScript. Screenshots of every page walked go to tests/artifacts/screenshots/
(git-ignored)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from pages_support import SAMPLE_PAGE, Served, served_build, synthetic_module

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
HELPLINE = "NSPCC Helpline on 0808 800 5000"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists() or not AXE.exists(),
                                reason="needs Debian's chromium and the axe-core npm package "
                                       "(scripts/setup --test installs both)")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_build([SAMPLE_PAGE], tmp_path_factory.mktemp("browser")) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Reader:
    """One browser tab that records console errors and checks every page it lands on."""

    def __init__(self, browser: object, served: Served, width: int = 1280,
                 height: int = 900) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.add_init_script(path=str(AXE))  # in every page: faster than a script tag
        self.page = self.context.new_page()
        self.served = served
        self.width = width
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.shots: list[Path] = []

    def overflow(self) -> int:
        """How far the page scrolls sideways (0: it fits the viewport)."""
        return self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")

    def check(self, name: str) -> None:
        """Screenshot; then no sideways scrolling, no axe-core violations at A/AA and no
        console errors so far."""
        self.page.wait_for_load_state("load")
        path = SCREENSHOTS / f"{name}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        # JPEG: a third of PNG's time on long pages, and plenty to see a page by.
        self.page.screenshot(path=str(path), full_page=True, type="jpeg", quality=70)
        self.shots.append(path)
        overflow = self.overflow()
        assert overflow <= 0, f"{name} ({self.page.url}) scrolls sideways by {overflow}px"
        # resultTypes: only the violations are collected in full (axe runs faster).
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
            "resultTypes: ['violations']})", AXE_TAGS)
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(node["target"][0] if isinstance(node["target"][0], str)
                        else str(node["target"]) for node in v["nodes"][:3])
            for v in result["violations"]
        ]
        assert not violations, f"{name} ({self.page.url}): " + "\n".join(violations)
        assert not self.errors, f"console errors on {name}: {self.errors}"

    def assert_no_errors(self, name: str) -> None:
        assert not self.errors, f"console errors on {name}: {self.errors}"

    def close(self) -> None:
        self.context.close()


def test_reader_path_through_the_site(browser: object, served: Served) -> None:
    """Search, two facets, a review, the query behind it and the pages it links to, as a
    reader clicks through them (each kind of page is checked in full by the walk)."""
    reader = Reader(browser, served)
    page = reader.page
    try:
        page.goto(served.url + "/")
        assert "NSPCC Helpline on 0808 800 5000" in page.content()
        reader.assert_no_errors("01-home")

        page.get_by_label("Search the reviews").fill("domestic")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/reviews?q=domestic*")
        assert page.locator("mark").count() > 0
        reader.assert_no_errors("02-search")
        searched = int(page.locator("#results-heading").inner_text().split()[0])

        page.locator("#facet-outcome + ul a").first.click()
        page.wait_for_url("**outcome=*")
        page.locator("#facet-theme + ul a").first.click()
        page.wait_for_url("**theme=*")
        assert "outcome=" in page.url and "theme=" in page.url
        narrowed = int(page.locator("#results-heading").inner_text().split()[0])
        assert 0 < narrowed <= searched
        assert page.locator(".chosen .chip").count() == 2
        reader.assert_no_errors("03-two-facets")

        page.locator("ol.results-list h3 a").first.click()
        page.wait_for_url("**/page/review/**")
        review_url = page.url
        assert page.locator("h1").inner_text()
        assert "NSPCC Helpline on 0808 800 5000" in page.content()
        reader.assert_no_errors("04-review")

        # The query behind the review's parts opens in the editor, bound to this review.
        page.locator("#queries-heading + ul li", has_text="review-parts.rq").locator(
            "a").click()
        page.wait_for_url("**/sparql?query=*")
        editor_text = page.locator("textarea#query").input_value()
        assert "rg:concernsChild" in editor_text
        assert review_url.rsplit("/page/", 1)[1] in editor_text  # review/<slug> of its IRI
        page.wait_for_selector("#results table")
        reader.assert_no_errors("review-parts query")
        page.go_back()
        page.wait_for_url(review_url)

        for name, selector in (("05-locality", "dt:text-is('Locality') + dd a"),
                               ("06-agency", "dt:text-is('Agencies named') + dd a"),
                               ("07-theme", "#learning-heading ~ ol .tags a")):
            page.goto(review_url)
            page.locator(selector).first.click()
            page.wait_for_load_state("load")
            assert "/page/" in page.url and page.url != review_url
            reader.assert_no_errors(name)
            page.go_back()
            page.wait_for_url(review_url)
            assert page.url == review_url

    finally:
        reader.close()


def test_keyboard_skip_link_and_focus(browser: object, served: Served) -> None:
    reader = Reader(browser, served)
    page = reader.page
    try:
        page.goto(served.url + "/reviews")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused.strip() == "Skip to main content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "q"  # the search box comes first
        page.keyboard.type("neglect")
        page.keyboard.press("Enter")
        page.wait_for_url("**q=neglect*")
        assert page.locator("mark").count() > 0
    finally:
        reader.close()


def test_pages_on_a_narrow_phone(browser: object, served: Served) -> None:
    """At 375 px, narrower than the walk's 390: nothing scrolls sideways."""
    reader = Reader(browser, served, width=375, height=740)
    page = reader.page
    try:
        for path in ("/", "/page/review/2025-kent-eli-and-micah", "/reviews?q=abuse",
                     "/reviews/answers?keyword=domestic-abuse", "/insights/map"):
            page.goto(served.url + path)
            overflow = reader.overflow()
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
        reader.assert_no_errors("narrow phone")
    finally:
        reader.close()


def test_pages_work_without_javascript(browser: object, served: Served) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(served.url + "/reviews")
        page.fill("#q", "abuse")
        page.press("#q", "Enter")
        page.wait_for_url("**q=abuse*")
        page.locator("#facet-year + ul a").first.click()
        page.wait_for_url("**year=*")
        assert page.locator("ol.results-list > li").count() > 0
    finally:
        context.close()


# --- the walk: every kind of page, on a phone and a desktop -----------------------------------
REVIEW = "2025-west-glamorgan-wg-s71-2023-child-a"
SELECT_QUERY = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rg: <https://reviewgraph.example/def/>
SELECT ?review ?year ?title ?summary WHERE {
  ?review a rg:CaseReview ; rg:year ?year ; dcterms:title ?title ; dcterms:abstract ?summary .
  FILTER(CONTAINS(STR(?review), "west-glamorgan"))
}"""
CONSTRUCT_QUERY = """PREFIX rg: <https://reviewgraph.example/def/>
CONSTRUCT { ?review ?property ?value } WHERE { ?review a rg:CaseReview ; ?property ?value }"""
INSIGHT_PATHS = ["/insights", "/insights/themes-over-time", "/insights/theme-pairs",
                 "/insights/addressees", "/insights/outcomes-by-age", "/insights/map",
                 "/insights/per-year", "/insights/per-year?by=type",
                 "/insights/themes-over-time?keyword=domestic-abuse&year=2024&year=2025"]
# (name, path, whether it shows case content: accounts of children's deaths and harm)
WALK: list[tuple[str, str, bool]] = [
    ("home", "/", True),
    ("reviews-index", "/reviews", True),
    ("filtered-index", "/reviews?keyword=domestic-abuse&year=2025", True),
    ("search", "/reviews?q=domestic", True),
    ("answers", "/reviews/answers?keyword=domestic-abuse", True),
    ("answers-by-addressee", "/reviews/answers?by=addressee", True),
    *[("insight-" + (path.removeprefix("/insights").strip("/").replace("?", "-")
                     .replace("&", "-").replace("=", "-") or "index"), path, True)
      for path in INSIGHT_PATHS],
    ("review", f"/page/review/{REVIEW}", True),
    ("child", f"/page/child/{REVIEW}-1", True),
    ("learning-point", f"/page/learning/{REVIEW}-6", True),
    ("recommendation", f"/page/recommendation/{REVIEW}-5", True),
    ("report", f"/page/report/{REVIEW}", True),
    ("agency", "/page/agency/schools", True),
    ("theme", "/page/theme/multi-agency-working", True),
    ("keyword", "/page/keyword/domestic-abuse", True),
    ("outcome", "/page/outcome/death", True),
    ("locality", "/page/locality/birmingham", True),
    ("partnership", "/page/partnership/birmingham-safeguarding-children-partnership", True),
    ("council", "/page/council/birmingham", False),
    *[(f"directory-{kind}", f"/page/{kind}/", False)
      for kind in ("theme", "keyword", "agency", "locality", "partnership")],
    ("concept-scheme", "/page/scheme/learning-themes", False),
    ("ontology", "/ontology", False),
    ("shapes", "/shapes", False),
    ("downloads", "/downloads", False),
    ("query-select", "/sparql?" + urlencode({"query": SELECT_QUERY}), True),
    ("query-construct", "/sparql?" + urlencode({"query": CONSTRUCT_QUERY}), True),
    ("not-found", "/page/locality/nowhere", False),
]
WALK_IDS = [name for name, _, _ in WALK]

# Every chart (a figure holding an svg): whether it has its figures as a table, the query
# behind it and its data as CSV, in the figure or in the section (else the main) holding it.
CHARTS_JS = """() => Array.from(document.querySelectorAll("main figure"))
  .filter(f => f.querySelector("svg")).map(f => {
    const scope = f.closest("section") || f.closest("main");
    const link = text => Array.from(scope.querySelectorAll("a"))
      .find(a => a.textContent.trim() === text);
    const query = link("The query behind this chart");
    const data = link("The chart's data as CSV");
    return {caption: (f.querySelector("figcaption") || f).textContent.trim().slice(0, 60),
            table: !!(f.querySelector("table") || scope.querySelector("table tbody tr")),
            query: query ? query.href : null, csv: data ? data.href : null};
  })"""


@pytest.fixture(scope="module")
def walk_readers(browser: object, served: Served) -> Iterator[dict[int, Reader]]:
    """One tab a width, shared by the walk's pages (a context per page costs more)."""
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    readers: dict[int, Reader] = {}
    try:
        yield readers
    finally:
        for reader in readers.values():
            reader.close()


def check_charts(reader: Reader, name: str) -> int:
    charts = reader.page.evaluate(CHARTS_JS)
    for chart in charts:
        assert chart["table"], f"{name}: the chart {chart['caption']!r} has no table"
        assert chart["query"] and "/sparql?query=" in chart["query"], (
            f"{name}: the chart {chart['caption']!r} has no link to its query")
        assert chart["csv"], f"{name}: the chart {chart['caption']!r} has no CSV link"
        response = requests.get(chart["csv"], timeout=30)
        assert response.status_code == 200, chart["csv"]
        assert response.headers["Content-Type"].startswith("text/csv")
        assert len(response.text.splitlines()) >= 2, f"{chart['csv']}: no rows"
    return len(charts)


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize(("name", "path", "case_content"), WALK, ids=WALK_IDS)
def test_walk(walk_readers: dict[int, Reader], browser: object, served: Served, name: str,
              path: str, case_content: bool, width: int) -> None:
    """One page at one width: fits the viewport, no console errors, axe-core clean, the
    helpline where case content shows, every chart with its table, query and CSV
    (screenshot: tests/artifacts/screenshots/walk-<width>/<nn>-<name>.jpg)."""
    reader = walk_readers.get(width)
    if reader is None:
        reader = walk_readers[width] = Reader(browser, served, width=width, height=900)
    page = reader.page
    reader.errors.clear()
    response = page.goto(served.url + path)
    assert response is not None
    assert response.status == (404 if name == "not-found" else 200), path
    if name == "not-found":
        reader.errors.clear()  # the 404 status itself is logged as a console error
    if name.startswith("query-"):
        check_query_page(reader, name)
    helpline = any(HELPLINE in text for text in page.locator(".helpline").all_inner_texts())
    if name in ("reviews-index", "filtered-index", "search"):
        check_filters_at_the_top(reader)
    charts = check_charts(reader, name)
    if path.startswith("/insights/"):
        check_insight(reader, width, charts)
    if name in ("home", "agency", "theme", "keyword", "outcome", "locality"):
        assert charts >= 1, f"{name}: no per-year chart"
    reader.check(f"walk-{width}/{WALK_IDS.index(name):02d}-{name}")
    assert helpline or not case_content, f"{name}: no helpline notice"


def check_filters_at_the_top(reader: Reader) -> None:
    """The index's filters are reachable from the top of the results: beside them on a
    desktop, through a link above them on a phone (where they follow the results)."""
    page = reader.page
    results = page.locator("ol.results-list").bounding_box()
    filters = page.locator("#filters").bounding_box()
    if filters["y"] > results["y"]:  # below the results: a link at their top leads there
        link = page.get_by_role("link", name="Filter these reviews")
        assert link.is_visible() and link.bounding_box()["y"] < results["y"]
        link.click()
        page.wait_for_function("location.hash === '#filters'")
        assert page.evaluate("window.scrollY") > 0
    else:
        assert filters["y"] < 900 and filters["x"] > results["x"]


def check_insight(reader: Reader, width: int, charts: int) -> None:
    from reviewgraph.web.insights import INSIGHTS

    assert {f"/insights/{insight.name}" for insight in INSIGHTS} <= set(INSIGHT_PATHS)
    page = reader.page
    figure = page.locator("figure.insight")
    assert charts == 1
    assert figure.locator("svg title").count() >= 1
    assert figure.locator("svg").first.bounding_box()["width"] <= width
    assert page.locator("table.insight-table tbody tr").count() > 0


def check_query_page(reader: Reader, name: str) -> None:
    """The query page is part of the site: its navigation, the site's own links for the
    graph's IRIs, literals for people, wide results scrolling in their own box."""
    page = reader.page
    current = page.locator("header.site nav a[aria-current='page']")
    assert current.count() == 1 and current.inner_text() == "SPARQL"
    if name == "query-select":
        page.wait_for_selector("#results table tbody tr")
        texts = page.locator("#results td").all_inner_texts()
        assert "2025" in texts and not any("xsd:" in text for text in texts)
        titles = page.evaluate("""() => Array.from(document.querySelectorAll("#results td"))
            .filter(td => td.textContent === "2025").map(td => td.title)""")
        assert titles and set(titles) == {"Datatype: xsd:gYear"}  # on hover, not in the cell
        link = page.locator("#results td a").first
        assert link.get_attribute("href") == f"/page/review/{REVIEW}"  # this site, wherever
        assert requests.get(link.evaluate("a => a.href"), timeout=30).ok
    else:  # a graph: a table of triples, terms shown as in SELECT results
        page.wait_for_selector("#results .result-box table tbody tr")
        assert page.locator("#results th").all_inner_texts() == ["subject", "predicate",
                                                                 "object"]
        texts = page.locator("#results td").all_inner_texts()
        assert not any("^^" in text or "xsd:" in text for text in texts)
        assert page.locator(f"#results td a[href='/page/review/{REVIEW}']").count() > 0
        assert page.locator("#results td a[href='/ontology#year']").count() > 0
    # However wide the answer (long literals, a graph), it scrolls in its own box.
    box = page.locator("#results .result-box")
    assert box.evaluate("b => getComputedStyle(b).overflowX") == "auto"
    assert box.evaluate("b => b.getBoundingClientRect().right") <= reader.width


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """1,500 made-up reviews (bench/synthetic.py through the real build): charts with spread."""
    synthetic = synthetic_module()
    folder = tmp_path_factory.mktemp("browser-corpus")
    pages = synthetic.write_pages(1500, folder / "pages", per_page=500)
    with served_build(pages, folder) as served:
        yield served


def test_insight_pages_with_spread_on_a_phone(browser: object, corpus: Served) -> None:
    """The insights of 1,500 reviews at 390 px: the map with every area linked, the small
    multiples and the ranked pairs, checked like every page (screenshots 32-...)."""
    reader = Reader(browser, corpus, width=390, height=900)
    page = reader.page
    try:
        for number, path in enumerate(["/insights/map", "/insights/themes-over-time",
                                       "/insights/theme-pairs", "/insights/outcomes-by-age"]):
            page.goto(corpus.url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
            assert page.locator("figure.insight svg title").count() >= 1
            if path == "/insights/map":
                assert page.locator("svg.map a").count() > 100
            reader.check(f"32-{number:02d}-spread-{path.rsplit('/', 1)[-1]}-390")
    finally:
        reader.close()
