"""Entity pages and Linked Data publishing against a real server on the real sample build.

For one entity of every kind the build mints: the IRI dereferences (303 for things, content
negotiation for documents, Vary: Accept), every RDF format by Accept and by plain link parses
with rdflib and has triples about the IRI, browsers get HTML; unknown IRIs give 404;
validators give 304s. Then the pages themselves: home, index (search, facets, paging), review,
locality, agency, concepts, ontology, shapes, data, VoID, sitemap, and the queries they link.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph
import pytest
import requests
from pages_support import SAMPLE_PAGE, Served, served_build
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, VOID

from reviewgraph.terms import DEFAULT_BASE_IRI, ontology_graph

BASE = DEFAULT_BASE_IRI
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDF_ACCEPTS = {
    "ttl": ("text/turtle", "turtle"),
    "nt": ("application/n-triples", "nt"),
    "jsonld": ("application/ld+json", "json-ld"),
    "rdf": ("application/rdf+xml", "xml"),
}
DOCUMENTS = {"review", "source", "learning", "recommendation", "report", "reference"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, page_store_url: str | None
           ) -> Iterator[Served]:
    # Once per store kind (conftest.py): embedded, Oxigraph server, Virtuoso.
    with served_build([SAMPLE_PAGE], tmp_path_factory.mktemp("pages"),
                      store_url=page_store_url) as served:
        yield served


def _entities(served: Served) -> dict[str, str]:
    """The first entity IRI of every path category in the build (review, locality, ...)."""
    found: dict[str, str] = {}
    for line in (served.build_dir / "reviewgraph.nt").read_text(encoding="utf-8").splitlines():
        match = re.match(r"<(" + re.escape(BASE) + r"([a-z-]+)/[^>]*)>", line)
        if match and match.group(2) not in found:
            found[match.group(2)] = match.group(1)
    return found


CATEGORIES = ["review", "child", "learning", "recommendation", "incident", "report", "source",
              "locality", "partnership", "council", "agency", "agency-kind", "keyword", "theme",
              "review-type", "outcome", "report-type", "age-band", "local-authority-type",
              "scheme", "reference", "linkset"]


def local(iri: str) -> str:
    return iri[len(BASE):]


def get(served: Served, path: str, accept: str | None = None, **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if accept:
        headers["Accept"] = accept
    return requests.get(served.url + path, headers=headers, allow_redirects=False, timeout=30,
                        **kwargs)


def parse(body: bytes, fmt: str) -> Graph:
    return Graph().parse(data=body, format=RDF_ACCEPTS[fmt][1], publicID=BASE)


def about(graph: Graph, iri: str) -> int:
    node = URIRef(iri)
    return len(list(graph.triples((node, None, None)))) + len(list(graph.triples((None, None,
                                                                                  node))))


# --- dereferencing ------------------------------------------------------------------------------
@pytest.mark.parametrize("category", CATEGORIES)
def test_browser_gets_html_and_things_303(served: Served, category: str) -> None:
    iri = _entities(served).get(category)
    assert iri, f"the sample build has no {category}"
    response = get(served, "/id/" + local(iri), BROWSER_ACCEPT)
    assert "Accept" in response.headers.get("Vary", "")
    if category in DOCUMENTS:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/html")
    else:
        assert response.status_code == 303
        location = response.headers["Location"]
        assert location == "/page/" + local(iri)  # relative: never an internal host
        response = get(served, location, BROWSER_ACCEPT)
        assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>" in response.text


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("fmt", list(RDF_ACCEPTS))
def test_rdf_by_accept_and_by_plain_link(served: Served, category: str, fmt: str) -> None:
    iri = _entities(served)[category]
    media_type = RDF_ACCEPTS[fmt][0]
    response = get(served, "/id/" + local(iri), media_type)
    assert "Accept" in response.headers.get("Vary", "")
    if category not in DOCUMENTS:
        assert response.status_code == 303
        assert response.headers["Location"] == f"/data/{local(iri)}.{fmt}"
        response = get(served, response.headers["Location"])
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media_type)
    assert about(parse(response.content, fmt), iri) > 0

    plain = get(served, f"/data/{local(iri)}.{fmt}")  # no Accept at all
    assert plain.status_code == 200
    assert plain.headers["Content-Type"].startswith(media_type)
    assert about(parse(plain.content, fmt), iri) > 0

    by_query = get(served, f"/data/{local(iri)}?format={fmt}", BROWSER_ACCEPT)
    assert by_query.status_code == 200
    assert by_query.headers["Content-Type"].startswith(media_type)


def test_data_without_suffix_negotiates(served: Served) -> None:
    iri = _entities(served)["locality"]
    response = get(served, "/data/" + local(iri), "application/n-triples")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/n-triples")
    assert "Accept" in response.headers["Vary"]
    assert about(parse(response.content, "nt"), iri) > 0


def test_id_with_format_parameter_redirects_to_that_format(served: Served) -> None:
    iri = _entities(served)["keyword"]
    response = get(served, f"/id/{local(iri)}?format=jsonld", BROWSER_ACCEPT)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/data/{local(iri)}.jsonld"


def test_rdflib_dereferences_an_iri_by_itself(served: Served) -> None:
    # rdflib sends its own Accept header and follows the 303, like any linked-data client.
    iri = _entities(served)["locality"]
    graph = Graph().parse(served.url + "/id/" + local(iri))
    assert about(graph, iri) > 0


def test_review_data_includes_its_parts(served: Served) -> None:
    iri = _entities(served)["review"]
    graph = parse(get(served, f"/data/{local(iri)}.ttl").content, "ttl")
    children = list(graph.objects(URIRef(iri), URIRef("https://reviewgraph.example/def/"
                                                      "concernsChild")))
    assert children
    assert list(graph.triples((children[0], None, None)))


@pytest.mark.parametrize("path", ["/id/locality/no-such-place", "/page/keyword/no-such-word",
                                  "/data/review/no-such-review.ttl", "/id/nothing",
                                  "/id/review/a%20b", "/data/theme/x%3Ey.ttl"])
def test_unknown_iri_is_404(served: Served, path: str) -> None:
    html = get(served, path, BROWSER_ACCEPT)
    assert html.status_code == 404
    if html.headers["Content-Type"].startswith("text/html"):
        assert "Not found" in html.text
    rdf = get(served, path, "text/turtle")
    assert rdf.status_code == 404


def test_redirects_never_name_a_host_even_behind_a_proxy(served: Served) -> None:
    iri = _entities(served)["agency"]
    response = get(served, "/id/" + local(iri), BROWSER_ACCEPT,
                   headers={"Host": "internal.example:9999", "X-Forwarded-Host": "evil.example",
                            "X-Forwarded-Proto": "http"})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/page/") and "//" not in location


def test_etag_and_last_modified_give_304(served: Served) -> None:
    iri = _entities(served)["theme"]
    for path in ["/page/" + local(iri), f"/data/{local(iri)}.ttl", "/", "/reviews?q=abuse"]:
        first = get(served, path, BROWSER_ACCEPT)
        assert first.status_code == 200
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        again = get(served, path, BROWSER_ACCEPT, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["ETag"] == etag
        since = get(served, path, BROWSER_ACCEPT, headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        changed = get(served, path, BROWSER_ACCEPT, headers={"If-None-Match": '"other"'})
        assert changed.status_code == 200
    # Different representations of one thing have different validators.
    ttl = get(served, f"/data/{local(iri)}.ttl").headers["ETag"]
    nt = get(served, f"/data/{local(iri)}.nt").headers["ETag"]
    assert ttl != nt


# --- what every page carries ---------------------------------------------------------------
class _PageParts(HTMLParser):
    """Collects alternate links, JSON-LD blocks, anchors and ids of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.alternates: list[dict[str, str]] = []
        self.scripts: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self._script: list[str] | None = None
        self._anchor: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "link" and attributes.get("rel") == "alternate":
            self.alternates.append(attributes)
        if tag == "script" and attributes.get("type") == "application/ld+json":
            self._script = []
        if tag == "a":
            self._anchor, self._href = [], attributes.get("href", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None
        if tag == "a" and self._anchor is not None:
            self.links.append((self._href, "".join(self._anchor).strip()))
            self._anchor = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
        if self._anchor is not None:
            self._anchor.append(data)


def page_parts(html: str) -> _PageParts:
    parts = _PageParts()
    parts.feed(html)
    return parts


def entity_pages(served: Served) -> list[str]:
    entities = _entities(served)
    return ["/", "/reviews", "/reviews?q=domestic", "/ontology", "/downloads", "/shapes"] + [
        "/page/" + local(entities[c]) for c in ("review", "locality", "agency", "keyword",
                                                  "theme", "child", "partnership", "outcome")]


def test_every_page_has_alternates_jsonld_and_its_queries(served: Served) -> None:
    for path in entity_pages(served):
        response = get(served, path, BROWSER_ACCEPT)
        assert response.status_code == 200, path
        parts = page_parts(response.text)
        assert parts.alternates, path
        for alternate in parts.alternates:
            linked = get(served, alternate["href"])
            assert linked.status_code == 200, (path, alternate)
            assert linked.headers["Content-Type"].startswith(alternate["type"]), alternate
        assert len(parts.scripts) == 1, path
        data = json.loads(parts.scripts[0])
        assert data["@context"] == "https://schema.org/"
        query_links = [href for href, _ in parts.links if href.startswith("/sparql?query=")]
        if path == "/shapes":
            continue  # the shapes page shows files, not query results
        assert query_links, f"{path} has no 'query behind this page' link"
        for href in query_links:
            text = parse_qs(urlsplit(href).query)["query"][0]
            assert "UNDEF" not in text or "VALUES ?this" not in text.split("UNDEF")[0][-30:]
            served.store.query(text)  # every linked query is valid SPARQL that runs
        editor = get(served, query_links[0], BROWSER_ACCEPT)  # opens in the query editor
        assert editor.status_code == 200 and editor.headers["Content-Type"].startswith(
            "text/html")
        first_line = parse_qs(urlsplit(query_links[0]).query)["query"][0].splitlines()[0]
        assert html.escape(first_line, quote=False) in editor.text


def test_entity_links_show_labels_not_iris(served: Served) -> None:
    for path in entity_pages(served):
        parts = page_parts(get(served, path, BROWSER_ACCEPT).text)
        for href, text in parts.links:
            if href.startswith("/page/"):
                assert not text.startswith(("http://", "https://")), (path, href, text)
                assert text, (path, href)


def test_helpline_on_home_and_review_pages(served: Served) -> None:
    notice = ("please contact the NSPCC Helpline on 0808 800 5000 or email "
              "help@nspcc.org.uk.")
    review = _entities(served)["review"]
    for path in ["/", "/page/" + local(review)]:
        assert notice in get(served, path, BROWSER_ACCEPT).text


# --- the pages ----------------------------------------------------------------------------------
def test_home_shows_counts_newest_and_search(served: Served) -> None:
    html = get(served, "/", BROWSER_ACCEPT).text
    assert "8 case reviews" in html
    assert 'action="/reviews"' in html and 'name="q"' in html
    for heading in ("Newest reviews", "Reviews per year", "By review type", "By outcome",
                    "Most frequent learning themes", "Most frequent keywords"):
        assert heading in html
    assert "<svg" in html


def test_index_search_highlights_and_facets_combine(served: Served) -> None:
    everything = get(served, "/reviews", BROWSER_ACCEPT).text
    assert "8 reviews" in everything
    searched = get(served, "/reviews?q=domestic", BROWSER_ACCEPT).text
    count = int(re.search(r"(\d+) reviews? matching", searched).group(1))
    assert 0 < count < 8
    assert "<mark>domestic</mark>" in searched.lower() or "<mark>Domestic</mark>" in searched
    one = get(served, "/reviews?q=domestic&outcome=death", BROWSER_ACCEPT).text
    one_count = int(re.search(r"(\d+) reviews? matching", one).group(1))
    two = get(served, "/reviews?q=domestic&outcome=death&keyword=infant-deaths",
              BROWSER_ACCEPT).text
    two_count = int(re.search(r"(\d+) reviews? matching", two).group(1))
    assert 0 < two_count <= one_count <= count
    assert "Keyword: infant deaths" in two  # the chosen filters, each removable
    assert get(served, "/reviews?keyword=no-such-keyword", BROWSER_ACCEPT).status_code == 200


def test_index_sorts_and_pages(served: Served) -> None:
    def titles(query: str) -> list[str]:
        html = get(served, "/reviews" + query, BROWSER_ACCEPT).text
        return re.findall(r'<h3><a href="/page/review/[^"]+">([^<]+)</a></h3>', html)

    by_title = titles("?sort=title")
    assert len(by_title) == 8
    assert by_title == sorted(by_title, key=lambda t: t.split(" (")[0].casefold())
    assert titles("?sort=oldest") == list(reversed(titles("?sort=newest")))


def test_review_page_sections(served: Served) -> None:
    html = get(served, "/page/review/2025-birmingham-baby-a", BROWSER_ACCEPT).text
    for heading in ("What happened", "The children", "Learning", "Recommendations",
                    "Keywords, agencies and places", "Report and source", "Related reviews",
                    "What links here"):
        assert heading in html, heading
    assert "8 days" in html and "Baby A" in html
    assert "lines 4 to 9" in html
    assert 'href="/page/locality/birmingham"' in html
    assert 'href="/page/keyword/domestic-abuse"' in html


def test_locality_agency_and_concept_pages(served: Served) -> None:
    locality = get(served, "/page/locality/birmingham", BROWSER_ACCEPT).text
    assert "E08000025" in locality and "Safeguarding partnership" in locality
    assert "compared with the whole collection" in locality
    agency = get(served, "/page/agency/cafcass", BROWSER_ACCEPT).text
    assert "Recommendations addressed to it" in agency and "CAFCASS" in agency
    # "train all general practitioners": named by a recommendation, addressed by none.
    gps = get(served, "/page/agency/general-practitioners", BROWSER_ACCEPT).text
    addressed, named = gps.split("Recommendations that name it", 1)
    assert "No recommendation is addressed to it" in addressed
    assert "train all general practitioners in suicide risk assessment" in named
    group = get(served, "/page/agency/all-agencies", BROWSER_ACCEPT).text
    addressed, named = group.split("Recommendations that name it", 1)
    assert "all agencies to record that practitioners are documenting valid consent" in addressed
    keyword = get(served, "/page/keyword/domestic-abuse", BROWSER_ACCEPT).text
    assert "Reviews per year" in keyword and "Occurs with" in keyword
    assert "<svg" in keyword


def test_review_page_gives_each_child_their_own_outcome_and_date(served: Served) -> None:
    html = get(served, "/id/review/2025-kent-eli-and-micah", BROWSER_ACCEPT).text
    children = html.split("The children", 1)[1].split("</table>", 1)[0]
    eli, micah = children.split("Eli", 1)[1].split("Micah", 1)
    assert "death" in eli and "(2022)" in eli
    assert "serious harm" in micah and "(20" not in micah
    happened = html.split("What happened", 1)[1].split("The children", 1)[0]
    assert "serious injury" in happened and "When" not in happened


def test_learning_point_page_says_which_words_gave_its_themes(served: Served) -> None:
    html = get(served, "/id/learning/2025-birmingham-baby-a-2", BROWSER_ACCEPT).text
    assert "theme matched by" in html.lower()
    assert "domestic abuse: \u201cdomestic violence\u201d" in html
    # Eli and Micah's own learning points say they belong to those two children.
    point = get(served, "/id/learning/2025-kent-eli-and-micah-8", BROWSER_ACCEPT).text
    assert "specific to child" in point.lower() and "Micah" in point


def test_backlinks_are_counted_and_paged(served: Served) -> None:
    html = get(served, "/page/scheme/keywords", BROWSER_ACCEPT).text
    assert "What links here" in html
    match = re.search(r'href="(\?via=[^"#]+&amp;from=10)#', html)
    assert match, "a concept scheme with many members pages its backlinks"
    second = get(served, "/page/scheme/keywords" + match.group(1).replace("&amp;", "&"),
                 BROWSER_ACCEPT).text
    assert "11 to" in second


def test_ontology_page_anchors_every_term(served: Served) -> None:
    html = get(served, "/ontology", BROWSER_ACCEPT).text
    ids = page_parts(html).ids
    graph = ontology_graph()
    terms = {str(s)[len("https://reviewgraph.example/def/"):]
             for s in graph.subjects(RDF.type, None)
             if str(s).startswith("https://reviewgraph.example/def/") and str(s)[-1] != "/"}
    assert terms and terms <= ids
    assert get(served, "/def/CaseReview", BROWSER_ACCEPT).headers["Location"] == \
        "/ontology#CaseReview"
    assert get(served, "/def/NoSuchTerm", BROWSER_ACCEPT).status_code == 404
    turtle = get(served, "/def/CaseReview", "text/turtle")
    assert turtle.headers["Location"] == "/ontology.ttl"
    assert len(parse(get(served, "/ontology.ttl").content, "ttl")) > 100


def test_shapes_page(served: Served) -> None:
    html = get(served, "/shapes", BROWSER_ACCEPT).text
    assert "SHACL shapes" in html
    for path in sorted(Path(__file__).parents[1].joinpath("shapes").glob("*.ttl")):
        assert path.name in html


def test_data_page_downloads_void_and_sitemap(served: Served) -> None:
    html = get(served, "/downloads", BROWSER_ACCEPT).text
    assert "Licence and attribution" in html
    for fmt in ("ttl", "nt", "jsonld"):
        response = get(served, f"/downloads/reviewgraph.{fmt}")
        assert response.status_code == 200
        assert len(parse(response.content, fmt)) > 1000
    rows = list(csv.DictReader(io.StringIO(get(served, "/downloads/reviews.csv").text)))
    assert len(rows) == 8 and rows[0]["iri"].startswith(BASE + "review/")
    void = get(served, "/.well-known/void", "text/turtle")
    assert void.status_code == 200 and "Accept" in void.headers["Vary"]
    graph = parse(void.content, "ttl")
    dataset = URIRef(BASE + "dataset")
    assert (dataset, RDF.type, VOID.Dataset) in graph
    assert graph.value(dataset, VOID.sparqlEndpoint) == URIRef(served.url + "/sparql")
    assert list(graph.objects(dataset, VOID.classPartition))
    sitemap = ET.fromstring(get(served, "/sitemap.xml").content)
    locations = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert served.url + "/page/review/2025-birmingham-baby-a" in locations


def test_index_figures_match_their_sparql(served: Served) -> None:
    """The per-year chart and co-occurrence come from the build's index; the SPARQL linked
    beside them gives the same numbers."""
    site = served.site
    for iri in (BASE + "keyword/domestic-abuse", BASE + "theme/professional-curiosity"):
        value = site.collection.any_value_for_iri(iri)
        from_index = {y: n for y, n in site.collection.per_year(value.members) if n}
        rows = site.select("concept-per-year", iri)
        assert from_index == {int(str(r["year"])): int(str(r["reviews"])) for r in rows}
        rows = site.select("concept-cooccurring", iri)
        from_sparql = {(str(r["kind"]), str(r["other"])): int(str(r["reviews"])) for r in rows}
        for facet in ("theme", "keyword"):
            for other, count in site.collection.cooccurring(value.members, facet, value, 40):
                assert from_sparql[(facet, other.iri)] == count


def test_index_backlinks_match_their_sparql(served: Served) -> None:
    """Reviews and the values the index facets by take their "What links here" counts (and,
    where the index knows them, the lists) from per-build queries; the per-entity queries the
    page links to give the same."""
    site = served.site
    collection = site.collection
    entities = [entry.iri for entry in collection.reviews]
    entities += [value.iri for values in collection.facets.values() for value in values.values()
                 if value.iri]
    listed = 0
    for iri in entities:
        counts = site.backlink_counts(iri)
        rows = site.select("entity-backlink-counts", iri)
        assert sorted(counts) == sorted((str(r["property"]), int(str(r["count"])))
                                        for r in rows), iri
        assert [n for _, n in counts] == sorted((n for _, n in counts), reverse=True)
        for prop, count in counts:
            with served.app.test_request_context("/"):
                views = site.index_backlinks(iri, prop, count, 0)
                if views is None:
                    continue
                listed += 1
                # All of them, ordered here: stores differ in how they order IRIs (Virtuoso
                # does not compare their text, as SPARQL says to).
                rows = site.select("entity-backlinks", iri, prop, count, 0)
                expected = [site.value_view(r["subject"], r.get("label")) for r in rows]
            expected.sort(key=lambda view: view["iri"], reverse=True)
            assert [(v["iri"], v["label"]) for v in views] == \
                [(v["iri"], v["label"]) for v in expected[:10]], (iri, prop)
    assert listed, "the index lists what links to some values"


def test_cooccurrence_table_matches_counting(served: Served) -> None:
    collection = served.site.collection
    for facet in ("locality", "keyword", "theme", "agency"):
        for value in collection.facets[facet].values():
            for other in ("theme", "keyword"):
                assert collection.cooccurring_with(value, other) == collection.cooccurring(
                    value.members, other, value)
                assert collection.cooccurring_with(value, other, False, 3) == \
                    collection.cooccurring(value.members, other, None, 3)


def test_queries_are_named_files_bound_to_the_entity(served: Served) -> None:
    folder = Path(__file__).parents[1] / "src/reviewgraph/web/queries/pages"
    names = {p.stem for p in folder.glob("*.rq")}
    assert {"entity-describe", "entity-backlinks", "review-parts", "collection-facets"} <= names
    for name in names:
        text = served.site.queries.bind(name, BASE + "keyword/domestic-abuse",
                                        BASE + "def-not-used")
        result = served.store.query(text)
        assert isinstance(result, pyoxigraph.QuerySolutions | pyoxigraph.QueryTriples |
                          pyoxigraph.QueryBoolean)


# --- a harvest: provenance, earlier versions, attribution and report links on the review page --
HARVEST = Path(__file__).parent / "fixtures" / "harvest"


@pytest.fixture(scope="module")
def harvest_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served_build([HARVEST], tmp_path_factory.mktemp("harvest-pages")) as served:
        yield served


def _text(page: str) -> str:
    """The page's text as a reader sees it (tags dropped, white space collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def test_review_page_says_where_and_when_the_review_was_listed(harvest_served: Served) -> None:
    page = get(harvest_served, "/page/review/2025-kent-child-a", BROWSER_ACCEPT).text
    text = _text(page)
    assert "Where it was listed" in text
    assert ("Listed on the NSPCC 'Case reviews update', March 2025 (Internet Archive capture)"
            in text)
    assert "Listed on the NSPCC 'Case reviews update', June 2025 (live site)" in text
    assert "First seen March 2025; last seen June 2025." in text
    assert ('href="https://web.archive.org/web/20250304120000id_/https://learning.nspcc.org.uk/'
            'case-reviews/monthly-case-reviews-update"') in page
    assert 'href="https://learning.nspcc.org.uk/case-reviews/monthly-case-reviews-update"' in page


def test_review_page_links_to_the_report(harvest_served: Served) -> None:
    page = get(harvest_served, "/page/review/2025-norfolk-baby-t", BROWSER_ACCEPT).text
    assert "Read the report (NSPCC Library)" in _text(page)
    assert ('href="https://library.nspcc.org.uk/HeritageScripts/Hapi.dll/search2?searchTerm0=C9002"'
            in html.unescape(page))


def test_review_page_attributes_nspcc_text_and_shows_earlier_versions(harvest_served: Served
                                                                      ) -> None:
    text = _text(get(harvest_served, "/page/review/2025-norfolk-baby-t", BROWSER_ACCEPT).text)
    assert ("Summary: NSPCC text, from the NSPCC's 'Recently published case reviews'"
            not in text)  # the yearly text page has no title: named as a listing page
    assert "Summary: NSPCC text, from the NSPCC's listing page, June 2025. © NSPCC." in text
    assert "Learning: NSPCC text" in text and "Recommendations: NSPCC text" in text
    assert "received safe sleep advice" in text
    assert "Earlier versions" in text and "differed in: summary" in text
    assert "recieved safe sleep advice" in text  # the earlier text, kept and shown as such
    assert "Earlier versions: NSPCC text, from earlier captures" in text
    siblings = _text(get(harvest_served, "/page/review/2025-bristol-sibling-group",
                         BROWSER_ACCEPT).text)
    assert "Earlier version 1 differed in: title. Its title was “Sibling group”." in siblings
    assert "Earlier version 2 differed in: keywords, title." in siblings
    assert "Its summary read" not in siblings  # the summary never changed


def test_a_saved_page_without_captures_says_so(served: Served) -> None:
    text = _text(get(served, "/page/review/2025-birmingham-baby-a", BROWSER_ACCEPT).text)
    assert "Read from a saved listing page; when it was captured is not recorded." in text
    assert ("Summary: NSPCC text, from an NSPCC National Collection of Case Reviews listing "
            "page. © NSPCC.") in text
