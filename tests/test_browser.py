"""The pages in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against a real server on the sample build: a reader's path through the site, no console
errors, no axe-core violations at WCAG 2.2 levels A and AA, keyboard use, a phone-sized
screen; a screenshot of every page goes to tests/artifacts/screenshots/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pages_support import SAMPLE_PAGE, Served, served_build

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

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
        self.page = self.context.new_page()
        self.served = served
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.shots: list[Path] = []

    def check(self, name: str) -> None:
        """Screenshot, then axe-core: no violations at A/AA; no console errors so far."""
        self.page.wait_for_load_state("load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(node["target"][0] if isinstance(node["target"][0], str)
                        else str(node["target"]) for node in v["nodes"][:3])
            for v in result["violations"]
        ]
        assert not violations, f"{name} ({self.page.url}): " + "\n".join(violations)
        assert not self.errors, f"console errors on {name}: {self.errors}"

    def close(self) -> None:
        self.context.close()


def test_reader_path_through_the_site(browser: object, served: Served) -> None:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    reader = Reader(browser, served)
    page = reader.page
    try:
        page.goto(served.url + "/")
        assert "NSPCC Helpline on 0808 800 5000" in page.content()
        reader.check("01-home")

        page.get_by_label("Search the reviews").fill("domestic")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/reviews?q=domestic*")
        assert page.locator("mark").count() > 0
        reader.check("02-search")
        searched = int(page.locator("#results-heading").inner_text().split()[0])

        page.locator("#facet-outcome + ul a").first.click()
        page.wait_for_url("**outcome=*")
        page.locator("#facet-theme + ul a").first.click()
        page.wait_for_url("**theme=*")
        assert "outcome=" in page.url and "theme=" in page.url
        narrowed = int(page.locator("#results-heading").inner_text().split()[0])
        assert 0 < narrowed <= searched
        assert page.locator(".chosen .chip").count() == 2
        reader.check("03-two-facets")

        page.locator("ol.results-list h3 a").first.click()
        page.wait_for_url("**/page/review/**")
        review_url = page.url
        assert page.locator("h1").inner_text()
        assert "NSPCC Helpline on 0808 800 5000" in page.content()
        reader.check("04-review")

        # The query behind the review's parts opens in the editor, bound to this review.
        page.locator("#queries-heading + ul li", has_text="review-parts.rq").locator(
            "a").click()
        page.wait_for_url("**/sparql?query=*")
        editor_text = page.locator("textarea#query").input_value()
        assert "rg:concernsChild" in editor_text
        assert review_url.rsplit("/page/", 1)[1] in editor_text  # review/<slug> of its IRI
        page.go_back()
        page.wait_for_url(review_url)
        reader.errors.clear()  # the query editor is the endpoint's page, checked by its tests

        for name, selector in (("05-locality", "dt:text-is('Locality') + dd a"),
                               ("06-agency", "dt:text-is('Agencies named') + dd a"),
                               ("07-theme", "#learning-heading ~ ol .tags a")):
            page.goto(review_url)
            page.locator(selector).first.click()
            page.wait_for_load_state("load")
            assert "/page/" in page.url and page.url != review_url
            reader.check(name)
            page.go_back()
            page.wait_for_url(review_url)
            assert page.url == review_url

        for name, path in (("08-keyword", "/page/keyword/domestic-abuse"),
                           ("09-reviews-index", "/reviews"),
                           ("10-ontology", "/ontology"), ("11-shapes", "/shapes"),
                           ("12-data", "/downloads"), ("13-not-found", "/page/locality/nowhere")):
            page.goto(served.url + path)
            if name == "13-not-found":
                reader.errors.clear()  # the 404 status itself is logged as a console error
            reader.check(name)
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


def test_pages_on_a_phone(browser: object, served: Served) -> None:
    reader = Reader(browser, served, width=375, height=740)
    page = reader.page
    try:
        for name, path in (("20-phone-home", "/"), ("21-phone-review",
                                                    "/page/review/2025-kent-eli-and-micah"),
                           ("22-phone-index", "/reviews?q=abuse")):
            page.goto(served.url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"
            reader.check(name)
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


INSIGHT_PATHS = ["/insights", "/insights/themes-over-time", "/insights/theme-pairs",
                 "/insights/addressees", "/insights/outcomes-by-age", "/insights/map",
                 "/insights/per-year", "/insights/per-year?by=type",
                 "/insights/themes-over-time?keyword=domestic-abuse&year=2024&year=2025"]


@pytest.mark.parametrize("width", [390, 1280])
def test_insight_pages(browser: object, served: Served, width: int) -> None:
    """/insights and every insight, on a phone and a desktop: no sideways scrolling, the
    helpline, and a chart with its table, query link and CSV link (screenshots 30-...)."""
    from reviewgraph.web.insights import INSIGHTS

    assert {f"/insights/{insight.name}" for insight in INSIGHTS} <= set(INSIGHT_PATHS)
    reader = Reader(browser, served, width=width, height=900)
    page = reader.page
    try:
        for number, path in enumerate(INSIGHT_PATHS):
            page.goto(served.url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
            assert "NSPCC Helpline on 0808 800 5000" in page.locator(".helpline").inner_text()
            if path != "/insights":
                figure = page.locator("figure.insight")
                assert figure.locator("svg title").count() >= 1
                assert figure.locator("svg").first.bounding_box()["width"] <= width
                assert page.locator("table.insight-table tbody tr").count() > 0
                main = page.locator("main")
                assert main.get_by_role("link", name="The query behind this chart").count() == 1
                assert main.get_by_role("link", name="The chart's data as CSV").count() == 1
            slug = path.strip("/").replace("/", "-").replace("?", "-").replace("&", "-")
            reader.check(f"30-{number:02d}-{slug.replace('=', '-')}-{width}")
    finally:
        reader.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_answers_pages(browser: object, served: Served, width: int) -> None:
    """The learning and recommendations of filtered reviews, by review and by addressee."""
    reader = Reader(browser, served, width=width, height=900)
    page = reader.page
    try:
        for number, path in enumerate(["/reviews/answers?keyword=domestic-abuse",
                                       "/reviews/answers?by=addressee"]):
            page.goto(served.url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
            assert "NSPCC Helpline on 0808 800 5000" in page.locator(".helpline").inner_text()
            assert page.locator("main ol.points li").count() > 0
            reader.check(f"31-{number:02d}-answers-{width}")
    finally:
        reader.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """1,500 made-up reviews (bench/synthetic.py through the real build): charts with spread."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "bench" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("synthetic", path)
    assert spec is not None and spec.loader is not None
    synthetic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic)
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
