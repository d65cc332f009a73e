"""The query page in a real headless Chromium against the real server: examples, results,
highlighting, prefix completion, share links, downloads, no console errors, no axe-core
violations at WCAG 2.2 A/AA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from store_servers import embedded_only

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# The page is the same whatever store answers its queries (test_endpoint_* cover every
# store kind), so the browser runs against the embedded store only.
pytestmark = [pytest.mark.skipif(not CHROMIUM.exists() or not AXE.exists(),
                                 reason="needs Debian's chromium and the axe-core npm package"),
              embedded_only]


@pytest.fixture(scope="module")
def page(server) -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.errors = []
        tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: tab.errors.append(str(e)))
        try:
            yield tab
        finally:
            browser.close()


@pytest.fixture(autouse=True)
def fresh_errors(page):
    page.errors.clear()


def axe_violations(tab) -> list[str]:
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [f"{v['id']}: {v['help']}" for v in result["violations"]]


def test_examples_run_and_show_a_table(page, server):
    page.goto(server.endpoint)
    assert page.title() == "Query with SPARQL · ReviewGraph"
    assert page.locator("header.site nav a[aria-current='page']").inner_text() == "SPARQL"
    page.locator("button.example").first.click()
    page.wait_for_selector("#results table tbody tr")
    assert "result" in page.locator("#results caption").inner_text()
    assert page.locator("#highlight .tok-keyword").count() > 0  # highlighted
    # The graph's own IRIs link to this site's pages, wherever it runs.
    assert page.locator("#results table a[href^='/page/']").count() > 0
    assert page.locator("#results table a[href^='https://reviewgraph.example/']").count() == 0
    # The share link and the address bar reproduce the query.
    shared = page.locator("#share").get_attribute("href")
    query = parse_qs(urlsplit(shared).query)["query"][0]
    assert query == page.locator("#query").input_value()
    assert "query=" in page.url
    # Downloads offer every result format, each a working link.
    links = page.locator("#downloads a")
    assert links.count() == 4
    for index in range(links.count()):
        href = links.nth(index).get_attribute("href")
        response = requests.get(server.base_url + href, timeout=30)
        assert response.status_code == 200
    assert not axe_violations(page)
    assert not page.errors


def test_shared_link_opens_and_runs_the_query(page, server):
    page.goto(server.endpoint + "?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D")
    page.wait_for_selector("#results .boolean")
    assert page.locator("#results .boolean").inner_text() == "Yes (true)"
    assert not page.errors


def test_prefix_completion_adds_the_declaration(page, server):
    page.goto(server.endpoint)
    editor = page.locator("#query")
    editor.fill("")
    editor.focus()
    page.keyboard.type("SELECT * WHERE { ?s sk")
    page.wait_for_selector("#completions li")
    assert page.locator("#completions li").first.inner_text().startswith("skos:")
    page.keyboard.press("Tab")
    text = editor.input_value()
    assert text.startswith("PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n")
    assert text.endswith("?s skos:")
    page.keyboard.type("prefLabel ?o }")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#results table")
    assert not page.errors


def test_errors_are_shown_to_the_person(page, server):
    page.goto(server.endpoint)
    page.locator("#query").fill("SELECT * WHERE { ?s ?p }")
    page.locator("#run").click()
    page.wait_for_function(
        "document.getElementById('status').textContent.includes('line 1')")
    assert "400" in page.locator("#status").inner_text()
