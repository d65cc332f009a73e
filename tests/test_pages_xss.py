"""Hostile text renders as text: a made-up listing page whose title, summary, learning,
recommendations and keywords carry <script>, quotes, </script> and event handlers goes
through the real parser and build; every page, the embedded JSON-LD and the search snippets
show it as text, never as markup."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from pages_support import Served, served_build
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

FIXTURE = Path(__file__).parent / "fixtures" / "pages" / "hostile-script.txt"
BASE = "https://reviewgraph.example/id/"
TITLE = "Child \"Q\" <script>alert('title')</script>"
SUMMARY_PART = "</script><script>alert(\"summary\")</script>"
DANGEROUS = ("<script>alert", "</script><script>", "<img src", "<iframe", "<svg onload",
             "</textarea>", "<b>bold")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_build([FIXTURE], tmp_path_factory.mktemp("hostile")) as served:
        yield served


@pytest.fixture(scope="module")
def review_iri(served: Served) -> str:
    iris = [str(entry.iri) for entry in served.site.collection.reviews]
    assert len(iris) == 1
    return iris[0]


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: tuple[dict[str, str], list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script = (attributes, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script[1].append(data)


def assert_inert(html: str) -> _Elements:
    for fragment in DANGEROUS:
        assert fragment not in html, fragment
    elements = _Elements()
    elements.feed(html)
    for tag, attributes in elements.tags:
        assert tag not in ("img", "iframe", "textarea", "b"), tag
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
        if tag == "script":
            assert attributes.get("type") == "application/ld+json"
    return elements


def get(served: Served, path: str, **params: str) -> str:
    response = requests.get(served.url + path, params=params, timeout=30,
                            headers={"Accept": "text/html"})
    assert response.status_code == 200, path
    return response.text


def test_review_page_shows_hostile_text_as_text(served: Served, review_iri: str) -> None:
    html = get(served, "/page/" + review_iri[len(BASE):])
    assert_inert(html)
    assert "Child &#34;Q&#34; &lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
    assert "&lt;/script&gt;&lt;script&gt;alert(&#34;summary&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;iframe src=&#34;javascript:alert(2)&#34;&gt;" in html


def test_embedded_jsonld_cannot_end_its_script_element(served: Served, review_iri: str
                                                       ) -> None:
    html = get(served, "/page/" + review_iri[len(BASE):])
    elements = assert_inert(html)
    assert len(elements.scripts) == 1
    _, text = elements.scripts[0]
    raw = html[html.index('<script type="application/ld+json">'):]
    raw = raw[len('<script type="application/ld+json">'):raw.index("</script>")]
    assert raw == text  # the element ended where we ended it, not inside the data
    assert "<" not in raw and ">" not in raw and "&" not in raw
    data = json.loads(raw)
    assert data["headline"] == TITLE  # escaped for HTML, yet the same data for a JSON reader
    assert SUMMARY_PART in data["abstract"]


def test_search_snippets_escape_the_text_and_mark_only_matches(served: Served) -> None:
    html = get(served, "/reviews", q="script alert")
    assert_inert(html)
    assert "1 review matching" in html
    marks = re.findall(r"<mark>(.*?)</mark>", html)
    assert marks and {m.lower() for m in marks} <= {"script", "alert"}
    assert "&lt;<mark>script</mark>&gt;" in html


def test_hostile_search_terms_are_echoed_as_text(served: Served) -> None:
    html = get(served, "/reviews", q="<script>alert('q')</script>\"><img src=x>")
    assert_inert(html)
    assert "&lt;script&gt;alert(&#39;q&#39;)&lt;/script&gt;&#34;&gt;&lt;img src=x&gt;" in html


def test_every_page_around_the_review_is_inert(served: Served, review_iri: str) -> None:
    paths = ["/", "/reviews", "/reviews?q=quotes", "/downloads", "/sitemap.xml"]
    html = get(served, "/page/" + review_iri[len(BASE):])
    paths += sorted(set(re.findall(r'href="(/page/[^"?#]+)"', html)))
    for path in paths:
        text = get(served, path)
        if path.endswith(".xml"):
            assert "<script" not in text
        else:
            assert_inert(text)


def test_rdf_round_trips_the_hostile_text(served: Served, review_iri: str) -> None:
    for suffix, fmt in (("ttl", "turtle"), ("jsonld", "json-ld"), ("rdf", "xml"),
                        ("nt", "nt")):
        body = requests.get(f"{served.url}/data/{review_iri[len(BASE):]}.{suffix}",
                            timeout=30).content
        graph = Graph().parse(data=body, format=fmt)
        assert str(graph.value(URIRef(review_iri), DCTERMS.title)) == TITLE
