"""Entity pages and Linked Data publishing: every entity dereferences, for people and machines.

`register_pages(app, store, settings)` adds a blueprint with:

    /                       home: what the collection holds, newest reviews, search box
    /reviews                reviews index: full-text search, combinable facets, sorting, paging
    /reviews.csv            the reviews as CSV
    /id/{path}              an entity IRI ({base}{path}): 303 to its page or data by Accept
                            (documents: review, source, learning, recommendation, report are
                            served from the IRI itself with content negotiation, Vary: Accept)
    /page/{path}            the HTML page about an entity
    /data/{path}[.ttl|.nt|.jsonld|.rdf]   its RDF description (no suffix: by Accept or ?format=)
    /def/{term}             an ontology term: 303 to /ontology#{term} (or the ontology as RDF)
    /ontology, /shapes      every class and property; the SHACL shapes
    /downloads              downloads, VoID + DCAT description, licences and attribution
                            (not /data: the endpoint refuses that Graph Store path)
    /downloads/{file}       the whole graph (Turtle, N-Triples, JSON-LD) and reviews.csv
    /.well-known/void       the VoID + DCAT description (RDF)
    /sitemap.xml

Every SPARQL query a page runs lives in `queries/pages/*.rq`; each page links to the queries
behind it, bound to the page's entity, opened in the query editor at /sparql. The reviews
index, home page, facet counts, charts, co-occurrence and related reviews are computed from an
index built once per build (`collection.py`) by the `collection-*.rq` queries, and so are the
"What links here" counts of reviews and facet values (and the lists the index already knows);
the equivalent SPARQL for a figure is linked beside it.

A cold entity page (about 2-3 ms at 10,000 reviews) runs two or three small queries; the
fragments pages repeat in loops are made in Python (`TEMPLATE_GLOBALS`), not Jinja macros.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
import math
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import pyoxigraph
from flask import Blueprint, Flask, Response, render_template, request, url_for
from markupsafe import Markup, escape
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD

from reviewgraph.concepts import DATE_DURATION
from reviewgraph.links import target_of
from reviewgraph.paths import DATA_DIR, DEFAULT_BUILD_DIR, ONTOLOGY_FILE, SHAPES_DIR
from reviewgraph.terms import DEFAULT_BASE_IRI, PREFIXES, RG_IRI, SCHEMA, ontology_graph
from reviewgraph.terms import curie as terms_curie
from reviewgraph.web.collection import (
    FACET_NAMES,
    FACETS,
    SORTS,
    Collection,
    FacetValue,
    Iri,
    ReviewEntry,
    parse_filters,
)
from reviewgraph.web.linkeddata import (
    HTML,
    RDF_FORMATS,
    BuildStamp,
    IriMap,
    conditional,
    format_from_query,
    negotiate,
    see_other,
    split_suffix,
)
from reviewgraph.web.provenance import review_provenance

WEB_DIR = Path(__file__).resolve().parent
QUERIES_DIR = WEB_DIR / "queries" / "pages"
REFERENCE_README = DATA_DIR / "reference" / "README.md"

HELPLINE = (
    "Case reviews describe children and young people's experiences of abuse and neglect. "
    "If you have any concerns about children or need support, please contact the NSPCC "
    "Helpline on 0808 800 5000 or email help@nspcc.org.uk."
)
PAGE_SIZE = 20
BACKLINK_PAGE = 10

_MISSING = object()
_EXTERNAL = ' rel="external"'
_XSD_DURATION = str(XSD.duration)
_XSD_STRING = str(XSD.string)
# Facets whose reviews are exactly the subjects linking to the value through one property.
_FACET_OF_PROPERTY = {RG_IRI + "locality": "locality", str(DCTERMS.subject): "keyword",
                      RG_IRI + "reviewType": "type"}
_VALUES_THIS = "VALUES ?this { UNDEF }"
_VALUES_PROPERTY = "VALUES ?property { UNDEF }"
# Placeholder IRIs bound into a query's text once, then replaced by the entity's IRI.
_THIS_MARK = "urn:x-reviewgraph-bind:this"
_PROPERTY_MARK = "urn:x-reviewgraph-bind:property"
_THIS_MARK_ENCODED = "urn%3Ax-reviewgraph-bind%3Athis"


# --- query results as Python values ---------------------------------------------------------
class Text(str):
    """A literal from query results: its lexical form, with language and datatype."""

    __slots__ = ("language", "datatype")

    language: str | None
    datatype: str | None

    def __new__(cls, value: str, language: str | None = None,
                datatype: str | None = None) -> Text:
        text = super().__new__(cls, value)
        text.language = language
        text.datatype = datatype
        return text


class Blank(str):
    """A blank node from query results."""

    __slots__ = ()


Value = Iri | Text | Blank


def _convert(term: Any) -> Value | None:
    kind = type(term)
    if kind is pyoxigraph.NamedNode:
        return Iri(term.value)
    if kind is pyoxigraph.Literal:
        language = term.language
        if language:
            return Text(term.value, language, None)
        return Text(term.value, None, term.datatype.value)
    if term is None:
        return None
    if kind is pyoxigraph.BlankNode:
        return Blank(term.value)
    return Text(str(term))


class Sparql:
    """Runs the pages' queries on the store (the embedded Oxigraph store, or anything with a
    pyoxigraph-compatible `query(text)`), and turns rows into dicts of Iri / Text values."""

    def __init__(self, store: Any) -> None:
        inner = store
        # The project's Store wraps a pyoxigraph.Store: use it directly, it is the fast path.
        for name in ("raw", "oxigraph", "store", "_store", "inner"):
            candidate = getattr(store, name, None)
            if isinstance(candidate, pyoxigraph.Store):
                inner = candidate
                break
        self._store = inner

    def _run(self, text: str) -> Any:
        return self._store.query(text)

    def select(self, text: str) -> list[dict[str, Value | None]]:
        solutions = self._run(text)
        names = [variable.value for variable in solutions.variables]
        # A solution iterates over its values in the order of `variables` (much cheaper than
        # looking each one up by name).
        return [dict(zip(names, map(_convert, solution), strict=True))
                for solution in solutions]

    def construct(self, text: str) -> list[pyoxigraph.Triple]:
        return list(self._run(text))

    def triples(self) -> Iterable[pyoxigraph.Triple]:
        """Every triple of the default graph (for the whole-graph downloads without a build)."""
        return (quad.triple for quad in self._store.quads_for_pattern(
            None, None, None, pyoxigraph.DefaultGraph()))


class PageQueries:
    """The named .rq files. Each names the entity it is about `?this` and declares it unbound
    (`VALUES ?this { UNDEF }`, so the file runs as it is). Binding writes the entity's IRI in
    place of the variable, or, in files marked `# binding: values`, into the VALUES line;
    the query editor shows the bound text. Oxigraph plans each file best one way or the
    other (entity-data: 0.6 ms inlined against 250 ms in VALUES; concept-reviews: 6 ms in
    VALUES against 3.7 s inlined), so each file says which."""

    def __init__(self, folder: Path = QUERIES_DIR) -> None:
        self.texts = {path.stem: path.read_text(encoding="utf-8")
                      for path in sorted(folder.glob("*.rq"))}
        # Bound texts with placeholder IRIs, per (name, what is bound, paging): binding an
        # entity is then one str.replace instead of regular expressions over the file.
        self._templates: dict[tuple[str, bool, bool, int | None, int | None], str] = {}
        self._links: dict[str, str] = {}

    def bind(self, name: str, this: str | None = None, prop: str | None = None,
             limit: int | None = None, offset: int | None = None) -> str:
        text = self._template(name, this is not None, prop is not None, limit, offset)
        if this is not None:
            text = text.replace(_THIS_MARK, _safe_iri(this))
        if prop is not None:
            text = text.replace(_PROPERTY_MARK, _safe_iri(prop))
        return text

    def link(self, name: str, this: str | None = None) -> str:
        """`query=...` (form-encoded) for the editor link of `name` bound to `this`."""
        encoded = self._links.get(name)
        if encoded is None:
            encoded = urlencode({"query": self._template(name, True, False, None, None)})
            self._links[name] = encoded
        if this is None:
            return urlencode({"query": self.bind(name)})
        # Form encoding is character by character, so the placeholder's encoding can be
        # swapped for the entity's.
        return encoded.replace(_THIS_MARK_ENCODED, quote_plus(_safe_iri(this)))

    def _template(self, name: str, this: bool, prop: bool, limit: int | None,
                  offset: int | None) -> str:
        key = (name, this, prop, limit, offset)
        text = self._templates.get(key)
        if text is None:
            text = self._bind_text(self.texts[name], _THIS_MARK if this else None,
                                   _PROPERTY_MARK if prop else None, limit, offset)
            if len(self._templates) > 10_000:  # offsets come from requests: stay bounded
                self._templates.clear()
            self._templates[key] = text
        return text

    @staticmethod
    def _bind_text(text: str, this: str | None, prop: str | None, limit: int | None,
                   offset: int | None) -> str:
        in_values = "# binding: values" in text
        if this is not None:
            text = _bind(text, _VALUES_THIS, "this", this, in_values)
        if prop is not None:
            text = _bind(text, _VALUES_PROPERTY, "property", prop, in_values)
        if limit is not None:
            # The file's (first) LIMIT is the page size; a file without one pages at the end.
            paging = f"LIMIT {int(limit)}" + (f" OFFSET {int(offset)}" if offset else "")
            text, found = re.subn(r"\bLIMIT \d+(?: OFFSET \d+)?", paging, text, count=1)
            if not found:
                text = text.rstrip() + "\n" + paging + "\n"
        return text


def _bind(text: str, declaration: str, variable: str, iri: str, in_values: bool) -> str:
    if declaration not in text:
        return text
    if in_values:
        return text.replace(declaration, f"VALUES ?{variable} {{ <{_safe_iri(iri)}> }}")
    text = re.sub(r"[ \t]*" + re.escape(declaration) + r"[ \t]*\n?", "", text)
    return re.sub(r"\?" + variable + r"\b", lambda _: f"<{_safe_iri(iri)}>", text)


def _safe_iri(iri: str) -> str:
    # IRIs we bind come from the graph or from a checked local path; refuse anything that
    # could end the IRI reference early.
    if any(c in iri for c in '<>"{}|^`\\ \n\r\t'):
        raise ValueError(f"unsafe IRI {iri!r}")
    return iri


# --- labels ---------------------------------------------------------------------------------
_EXTRA_LABELS = {
    str(RDF.type): "type", str(RDFS.label): "label", str(RDFS.comment): "comment",
    str(OWL.sameAs): "same as",
    str(RDFS.seeAlso): "see also", str(DCTERMS.title): "title",
    str(DCTERMS.abstract): "summary", str(DCTERMS.subject): "keyword",
    str(DCTERMS.issued): "issued", str(DCTERMS.isPartOf): "part of",
    str(DCTERMS.source): "source", str(DCTERMS.description): "description",
    str(DCTERMS.license): "licence", str(DCTERMS.bibliographicCitation): "attribution",
    str(SKOS.prefLabel): "preferred label", str(SKOS.altLabel): "also known as",
    str(SKOS.hiddenLabel): "hidden label", str(SKOS.definition): "definition",
    str(SKOS.broader): "broader", str(SKOS.narrower): "narrower", str(SKOS.related): "related",
    str(SKOS.inScheme): "in scheme", str(SKOS.topConceptOf): "top concept of",
    str(SKOS.hasTopConcept): "top concept", str(SKOS.notation): "notation",
    str(SKOS.exactMatch): "exact match", str(SKOS.closeMatch): "close match",
    str(SKOS.ConceptScheme): "concept scheme", str(SKOS.Concept): "concept",
    str(SCHEMA.text): "text", str(SCHEMA.url): "web address", str(SCHEMA.gender): "sex",
    str(SCHEMA.Female): "female", str(SCHEMA.Male): "male",
    str(PROV.wasDerivedFrom): "derived from", str(PROV.hadPrimarySource): "primary source",
    str(PROV.Entity): "entity (provenance)", str(FOAF.homepage): "home page",
    str(PROV.wasRevisionOf): "revision of", str(PROV.generatedAtTime): "captured at",
    str(DCTERMS.rights): "rights", str(DCTERMS.RightsStatement): "rights statement",
    str(VOID.Dataset): "dataset", str(DCAT.Dataset): "dataset (DCAT)",
    str(VOID.Linkset): "linkset", str(VOID.triples): "triples",
    "http://purl.org/spar/fabio/CaseReport": "case report",
    "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/":
        "Open Government Licence v3.0",
    "https://creativecommons.org/licenses/by/4.0/": "CC BY 4.0",
    "http://www.w3.org/ns/org#OrganizationalCollaboration": "organisational collaboration",
    "http://www.w3.org/ns/org#Organization": "organisation",
    "http://www.w3.org/ns/org#hasMember": "has member",
}


def _vocabulary_labels() -> dict[str, str]:
    labels = dict(_EXTRA_LABELS)
    graph = ontology_graph()
    for subject, label in graph.subject_objects(RDFS.label):
        if isinstance(subject, URIRef) and str(subject).startswith(RG_IRI):
            labels[str(subject)] = str(label)
    return labels


_CURIE_PREFIXES = {**PREFIXES, "sh": str(SH), "vann": "http://purl.org/vocab/vann/"}


curie = partial(terms_curie, prefixes=_CURIE_PREFIXES)


def human_age(duration: str) -> str:
    """'8 days' for P8D, '3 months' for P3M, '16 years' for P16Y; the text itself otherwise."""
    match = DATE_DURATION.match(duration)
    if not match:
        return duration
    parts = []
    for amount, unit in zip(match.groups(), ("year", "month", "week", "day"), strict=True):
        if amount:
            parts.append(f"{int(amount)} {unit}{'' if int(amount) == 1 else 's'}")
    return ", ".join(parts) or duration


def script_json(data: Any) -> Markup:
    """JSON for a <script> element: <, > and & escaped so the data can never end the element."""
    # No indent: json's C encoder only serves compact output, and it is several times faster.
    text = json.dumps(data, ensure_ascii=False)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return Markup(text)


# --- HTML fragments made in Python ----------------------------------------------------------
# The fragments pages repeat in loops (a value, a list of values, the per-year chart, counted
# lists, lists of reviews). Jinja macro calls cost tens of microseconds each; these build the
# same markup with escaped f-strings, and the templates call them as globals.
def value_html(view: Mapping[str, Any]) -> Markup:
    """One value (a `value_view`): a link to its page, or its text."""
    return view["html"]


def value_list_html(values: Iterable[Mapping[str, Any]], empty: str = "") -> Markup:
    """Values separated by commas; `empty` (muted) when there are none."""
    htmls = [view["html"] for view in values]
    if htmls:
        return Markup('<span class="values">' + ", ".join(htmls) + "</span>")
    if empty:
        return Markup(f'<span class="muted">{escape(empty)}</span>')
    return Markup("")


def helpline_notice() -> Markup:
    return _HELPLINE_NOTICE


_HELPLINE_NOTICE = Markup(f'<aside class="helpline" aria-label="Helpline">\n'
                          f"  <p>{escape(HELPLINE)}</p>\n</aside>")


def chart_html(chart: Mapping[str, Any] | None, caption: str, ident: str) -> Markup:
    """An inline SVG bar chart of `year_chart` bars, with the same figures as a table."""
    if not chart:
        return Markup("")
    ident = escape(ident)
    caption = escape(caption)
    width, height, baseline = chart["width"], chart["height"], chart["baseline"]
    bars = chart["bars"]
    figures = ", ".join(f"{b['year']}: {b['count']}" for b in bars)
    parts = [
        f'<figure class="chart" aria-labelledby="{ident}-caption">\n'
        f'  <svg role="img" aria-labelledby="{ident}-title" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" preserveAspectRatio="xMinYMin meet" '
        f'focusable="false">\n'
        f'    <title id="{ident}-title">{caption}: {figures}</title>\n'
        f'    <line x1="0" x2="{width}" y1="{baseline}" y2="{baseline}" class="axis"></line>\n'
    ]
    for b in bars:
        middle = b["x"] + b["width"] / 2
        count = (f'      <text x="{middle}" y="{b["y"] - 4}" class="count" '
                 f'text-anchor="middle">{b["count"]}</text>\n') if b["count"] else ""
        parts.append(
            f'    <g>\n      <rect x="{b["x"]}" y="{b["y"]}" width="{b["width"]}" '
            f'height="{b["height"]}" class="bar"></rect>\n{count}'
            f'      <text x="{middle}" y="{baseline + 16}" class="year" '
            f'text-anchor="middle">&#39;{b["year"] % 100:02d}</text>\n    </g>\n')
    rows = "".join(f'<tr><td>{b["year"]}</td><td class="num">{b["count"]}</td></tr>'
                   for b in bars)
    parts.append(
        f"  </svg>\n"
        f'  <figcaption id="{ident}-caption">{caption}</figcaption>\n'
        f"  <details>\n    <summary>As a table</summary>\n"
        f'    <table class="compact">\n'
        f'      <thead><tr><th scope="col">Year</th><th scope="col">Reviews</th></tr></thead>\n'
        f"      <tbody>{rows}</tbody>\n    </table>\n  </details>\n</figure>")
    return Markup("".join(parts))


def counted_list_html(pairs: Iterable[tuple[Mapping[str, Any], int]]) -> Markup:
    """Values with how many reviews have each, the count linking to those reviews."""
    items = []
    for view, count in pairs:
        label = escape(view["label"])
        items.append(
            f'  <li><a href="{escape(view["href"])}">{label}</a> <a class="count" '
            f'href="{escape(view["index"])}" aria-label="{count} '
            f'review{"" if count == 1 else "s"} with {label}">{count}</a></li>\n')
    return Markup('<ul class="counted">\n' + "".join(items) + "</ul>")


def review_list_html(items: Iterable[Mapping[str, Any]]) -> Markup:
    """Reviews (`entry_view`s), each a link with its year and locality."""
    return Markup('<ol class="reviews">\n' + "".join(
        _review_item_html(item["href"], item["label"], item["year"], item["locality"])
        for item in items) + "</ol>")


def _review_item_html(href: str, label: str, year: int, locality: str | None) -> Markup:
    where = f" · {escape(locality)}" if locality else ""
    return Markup(f'  <li>\n    <a href="{escape(href)}">{escape(label)}</a>\n'
                  f'    <span class="meta">{escape(year)}{where}</span>\n  </li>\n')


def list_items(views: Iterable[Mapping[str, Any]]) -> Markup:
    """Values as the items of a list (<li>)."""
    return Markup("".join([f"<li>{view['html']}</li>" for view in views]))


def fact_rows(facts: Iterable[Statement]) -> Markup:
    """The rows of the table of every statement: property, then its values one per line."""
    return Markup("".join([
        f'<tr><th scope="row">{escape(fact.prop_label)}</th>'
        f'<td>{"<br>".join([view["html"] for view in fact.values])}</td></tr>\n'
        for fact in facts]))


def profile_rows(rows: list[Mapping[str, Any]]) -> Markup:
    """The rows of a locality's profile table (value, reviews here, shares here and overall)."""
    if not rows:
        return Markup('<tr><td colspan="4" class="muted">None.</td></tr>')
    return Markup("".join([
        f'<tr><td><a href="{escape(row["value"]["href"])}">{escape(row["value"]["label"])}'
        f'</a></td><td class="num">{row["here"]}</td><td class="num">{row["share_here"]}%'
        f'</td><td class="num">{row["share_all"]}%</td></tr>\n' for row in rows]))


def alternate_links(alternates: Iterable[Mapping[str, str]]) -> Markup:
    """<link rel="alternate"> for each other representation of the page."""
    return Markup("".join([
        f'<link rel="alternate" type="{escape(alt["type"])}" href="{escape(alt["href"])}" '
        f'title="{escape(alt["name"])}">\n' for alt in alternates]))


def format_items(alternates: Iterable[Mapping[str, str]]) -> Markup:
    """The page's other representations as list items with links."""
    return Markup("".join([
        f'<li><a href="{escape(alt["href"])}" type="{escape(alt["type"])}">'
        f'{escape(alt["name"])}</a></li>' for alt in alternates]))


def query_items(queries: Iterable[Mapping[str, str]]) -> Markup:
    """The queries behind the page as list items, each opening the query editor."""
    return Markup("".join([
        f'<li><a href="{escape(query["href"])}">{escape(query["title"])}</a> '
        f'<span class="muted">({escape(query["name"])}, opens in the query editor)</span>'
        f"</li>\n" for query in queries]))


TEMPLATE_GLOBALS: dict[str, Any] = {
    "alternate_links": alternate_links, "format_items": format_items,
    "query_items": query_items,
    "list_items": list_items, "fact_rows": fact_rows, "profile_rows": profile_rows,
    "value": value_html, "value_list": value_list_html, "helpline_notice": helpline_notice,
    "chart": chart_html, "counted_list": counted_list_html, "review_list": review_list_html,
}


# --- the per-build state --------------------------------------------------------------------
@dataclass
class Statement:
    prop: str
    prop_label: str
    values: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Description:
    iri: str
    rows: list[dict[str, Value | None]]
    by_property: dict[str, list[tuple[Value, str | None]]]

    def first(self, *properties: str) -> Value | None:
        for prop in properties:
            for value, _ in self.by_property.get(prop, []):
                return value
        return None

    def all(self, prop: str) -> list[tuple[Value, str | None]]:
        return self.by_property.get(prop, [])

    @property
    def types(self) -> set[str]:
        return {str(value) for value, _ in self.by_property.get(str(RDF.type), [])}


class _Lru:
    """A small least-recently-used cache; one per build, so nothing in it is ever stale."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, produce: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = produce()
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def forget(self, key: Any) -> None:
        with self._lock:
            self._items.pop(key, None)

    def resize(self, size: int) -> None:
        with self._lock:
            self.size = size
            while len(self._items) > size:
                self._items.popitem(last=False)


class Site:
    """What the pages share: the store, the IRI map, the queries, the build's index and stamp."""

    def __init__(self, store: Any, settings: Any) -> None:
        self.sparql = Sparql(store)
        base = (getattr(settings, "base_iri", None) or getattr(settings, "base", None)
                or DEFAULT_BASE_IRI)
        self.iris = IriMap(str(base))
        build = getattr(settings, "build_dir", None) or getattr(settings, "build", None)
        graph_file = getattr(settings, "graph_file", None)
        if build:
            self.build_dir = Path(build)
        elif graph_file:
            self.build_dir = Path(graph_file).parent  # the build folder the server serves
        else:
            self.build_dir = DEFAULT_BUILD_DIR
        self.queries = PageQueries()
        self.labels = _vocabulary_labels()
        self._collection: Collection | None = None
        self._index_backlinks: dict[str, list[tuple[str, int]]] = {}
        self._index_few: dict[tuple[str, str], list[tuple[Iri, str | None]]] = {}
        self._iri_rank: list[int] = []
        self._lock = threading.Lock()
        self.cache = _Lru(4096)  # query results and link texts of this build
        self.pages = _Lru(1024)  # rendered pages of this build
        self.views = _Lru(200_000)  # link texts and views of index entries (fixed per build)
        self._hrefs: dict[tuple[str, str], str | None] = {}
        self._iri_views: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        self.stamp = self._stamp()

    # The build's identity: validators (ETag, Last-Modified) of every response derive from it.
    def _stamp(self) -> BuildStamp:
        for name in ("report.json", "reviewgraph.nt"):
            path = self.build_dir / name
            if path.is_file():
                stat = path.stat()
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                return BuildStamp.of(path.read_bytes() if name == "report.json"
                                     else f"{stat.st_size}:{stat.st_mtime_ns}".encode(),
                                     modified)
        # No build files (an external store): the build's own description of the dataset
        # (its triple count and source pages, in the shared graph) identifies the data, read
        # at once; counting every triple instead took minutes at 100,000 reviews. Only a
        # store holding no such description (not a ReviewGraph build) is counted.
        dataset = _safe_iri(self.iris.base_iri + "dataset")  # graph.DATASET_PATH
        described = sorted(f"{row['p']} {row['o']}" for row in self.sparql.select(
            f"SELECT ?p ?o WHERE {{ <{dataset}> ?p ?o }}"))
        if not described:
            count = self.sparql.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            described = [str(count[0]["n"])]
        return BuildStamp.of("\n".join([self.iris.base_iri, *described]).encode())

    @property
    def collection(self) -> Collection:
        if self._collection is None:
            with self._lock:
                if self._collection is None:
                    collection = Collection(
                        self.sparql.select(self.queries.bind("collection-reviews")),
                        self.sparql.select(self.queries.bind("collection-facets")),
                        self.sparql.select(self.queries.bind("collection-text")),
                        self.sparql.select(self.queries.bind("collection-labels")),
                    )
                    self._index_backlinks = index_backlink_counts(
                        self.sparql.select(self.queries.bind("collection-backlink-counts")))
                    self._index_few = index_backlinks_few(
                        self.sparql.select(self.queries.bind("collection-backlinks-few")))
                    # Reviews in descending IRI order (entity-backlinks' ORDER BY DESC).
                    by_iri = sorted(range(len(collection.reviews)),
                                    key=lambda i: collection.reviews[i].iri, reverse=True)
                    self._iri_rank = [0] * len(by_iri)
                    for rank, position in enumerate(by_iri):
                        self._iri_rank[position] = rank
                    self._collection = collection
        return self._collection

    def backlink_counts(self, iri: str) -> list[tuple[str, int]]:
        """(property, how many subjects link to `iri` through it), most first: from the
        per-build counts for the values the index facets by, else entity-backlink-counts."""
        collection = self._collection
        if collection is not None:
            found = self._index_backlinks.get(iri)
            if found is not None:
                return found
            if iri in collection.by_iri:  # a review (rg:CaseReview): the counts cover it
                return []
        return [(str(row["property"]), int(str(row["count"])))
                for row in self.cached_select("entity-backlink-counts", iri)]

    def index_backlinks(self, iri: str, prop: str, count: int, start: int
                        ) -> list[dict[str, Any]] | None:
        """One page of what links to `iri` through `prop`, newest (highest IRI) first, from the
        per-build index when it knows them; None when the page must ask the store.

        Known: the few subjects of a much-linked value (collection-backlinks-few), and the
        reviews that link to a locality, keyword or review type, which are exactly the
        reviews of its facet value (their number is checked against the count)."""
        if self._collection is None:
            return None
        few = self._index_few.get((iri, prop))
        if few is not None and start == 0 and count <= BACKLINK_PAGE:
            return [self.value_view(subject, label) for subject, label in few]
        facet = _FACET_OF_PROPERTY.get(prop)
        value = self._collection.value_for_iri(facet, iri) if facet else None
        if value is None or value.count != count:
            return None
        rank = self._iri_rank
        chosen = heapq.nsmallest(start + BACKLINK_PAGE, value.positions,
                                 key=rank.__getitem__)[start:]
        reviews = self._collection.reviews
        return [self.value_view(Iri(reviews[position].iri)) for position in chosen]

    def select(self, name: str, this: str | None = None, prop: str | None = None,
               limit: int | None = None, offset: int | None = None
               ) -> list[dict[str, Value | None]]:
        return self.sparql.select(self.queries.bind(name, this, prop, limit, offset))

    def cached_select(self, name: str, this: str | None = None, prop: str | None = None,
                      limit: int | None = None, offset: int | None = None
                      ) -> list[dict[str, Value | None]]:
        return self.cache.get((name, this, prop, limit, offset),
                              lambda: self.select(name, this, prop, limit, offset))

    # --- labels and links -------------------------------------------------------------------
    def label(self, iri: str, known: str | None = None) -> str:
        if known:
            return str(known)
        if iri in self.labels:
            return self.labels[iri]
        entry = self.collection.by_iri.get(iri) if self._collection else None
        if entry is not None:
            return entry.label
        short = curie(iri)
        if short != iri:
            return short
        return iri

    def href(self, iri: str) -> str | None:
        """Where a link to `iri` goes: our page for our entities and terms, else the IRI."""
        key = (request.script_root, iri)
        found = self._hrefs.get(key, _MISSING)
        if found is _MISSING:
            path = self.iris.page_path(iri)
            if path is not None:
                found = request.script_root + path
            elif iri.startswith(("http://", "https://")):
                found = iri
            else:
                found = None
            if len(self._hrefs) > 500_000:  # bounded: a build has finitely many IRIs
                self._hrefs.clear()
            self._hrefs[key] = found
        return found  # type: ignore[return-value]

    def value_view(self, value: Value, label: str | None = None) -> dict[str, Any]:
        """What a template needs to show one value: text, link, whether it is external, and
        its HTML (`html`). Views of IRIs are the same all build long, so each is made once;
        callers must not change them."""
        if isinstance(value, Iri):
            key = (request.script_root, value, label)
            view = self._iri_views.get(key)
            if view is None:
                view = self._iri_view(value, label)
                if self._collection is not None:  # labels fall back on the index
                    if len(self._iri_views) > 500_000:  # bounded: finitely many IRIs
                        self._iri_views.clear()
                    self._iri_views[key] = view
            return view
        if isinstance(value, Text):
            text = str(value)
            if value.datatype == _XSD_DURATION:
                text = human_age(text)
            language = value.language
            return {"kind": "literal", "label": text, "language": language,
                    "datatype": curie(value.datatype) if value.datatype
                    and value.datatype != _XSD_STRING else None,
                    "html": Markup(f'<span lang="{escape(language)}">{escape(text)}</span>'
                                   if language else f"<span>{escape(text)}</span>")}
        return {"kind": "blank", "label": "(unnamed node)",
                "html": Markup("<span>(unnamed node)</span>")}

    def _iri_view(self, value: Iri, label: str | None) -> dict[str, Any]:
        href = self.href(value)
        text = self.label(value, label)
        external = href == str(value)
        if href:
            html = (f'<a href="{escape(href)}"{_EXTERNAL if external else ""}>'
                    f"{escape(text)}</a>")
        else:
            html = f"<span>{escape(text)}</span>"
        return {"kind": "iri", "iri": str(value), "label": text, "href": href,
                "external": external, "html": Markup(html)}


# --- describing an entity -------------------------------------------------------------------
def describe(site: Site, iri: str) -> Description | None:
    rows = site.cached_select("entity-describe", iri)
    if not rows and not site.cached_select("entity-incoming", iri):
        return None
    by_property: dict[str, list[tuple[Value, str | None]]] = defaultdict(list)
    seen = set()
    for row in rows:
        prop, value = str(row["property"]), row["value"]
        if value is None or (prop, value, type(value)) in seen:
            continue
        seen.add((prop, value, type(value)))
        label = row.get("valueLabel")
        by_property[prop].append((value, str(label) if label is not None else None))
    for values in by_property.values():
        values.sort(key=lambda pair: (pair[1] or str(pair[0])).casefold())
    return Description(iri, rows, dict(by_property))


_HIDDEN_IN_FACTS = {str(RDF.type), str(RDFS.label), str(SKOS.prefLabel), str(SKOS.hiddenLabel)}


def statements(site: Site, description: Description, skip: Iterable[str] = ()
               ) -> list[Statement]:
    skipped = set(skip) | _HIDDEN_IN_FACTS
    found = []
    for prop, values in description.by_property.items():
        if prop in skipped:
            continue
        statement = Statement(prop, site.label(prop))
        statement.values = [site.value_view(value, label) for value, label in values]
        found.append(statement)
    found.sort(key=lambda s: s.prop_label.casefold())
    return found


@dataclass
class Backlinks:
    counts: list[dict[str, Any]]
    lists: dict[str, list[dict[str, Any]]]
    total: int


def backlinks(site: Site, iri: str, via: str | None, offset: int) -> Backlinks:
    """What links to `iri`: counts per property and one page of subjects per property."""
    counts = []
    lists: dict[str, list[dict[str, Any]]] = {}
    for prop, count in site.backlink_counts(iri)[:12]:
        start = offset if via == curie(prop) else 0
        views = site.index_backlinks(iri, prop, count, start)
        if views is None:
            # Sorting hundreds of subjects costs more than this list is worth (entity pages
            # list their reviews newest first above it): past a hundred, the store's order.
            query = "entity-backlinks" if count <= 100 else "entity-backlinks-unordered"
            subjects = site.cached_select(query, iri, prop, BACKLINK_PAGE, start)
            views = [site.value_view(s["subject"], s.get("label")) for s in subjects
                     if s["subject"] is not None]
        lists[prop] = views
        counts.append({"prop": prop, "curie": curie(prop), "label": site.label(prop),
                       "count": count, "offset": start,
                       "next": start + BACKLINK_PAGE if start + BACKLINK_PAGE < count else None,
                       "previous": max(0, start - BACKLINK_PAGE) if start else None})
    return Backlinks(counts, lists, sum(c["count"] for c in counts))


def index_backlinks_few(rows: Iterable[Mapping[str, Value | None]]
                        ) -> dict[tuple[str, str], list[tuple[Iri, str | None]]]:
    """collection-backlinks-few rows by (entity, property), subjects in descending order."""
    found: dict[tuple[str, str], list[tuple[Iri, str | None]]] = defaultdict(list)
    for row in rows:
        subject = row["subject"]
        if isinstance(subject, Iri):
            label = row.get("label")
            found[(str(row["this"]), str(row["property"]))].append(
                (subject, str(label) if label is not None else None))
    for subjects in found.values():
        subjects.sort(key=lambda pair: pair[0], reverse=True)
    return dict(found)


def index_backlink_counts(rows: Iterable[Mapping[str, Value | None]]
                          ) -> dict[str, list[tuple[str, int]]]:
    """collection-backlink-counts rows by entity, in entity-backlink-counts' order (most
    first, then by property)."""
    counts: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in rows:
        counts[str(row["this"])].append((str(row["property"]), int(str(row["count"]))))
    for pairs in counts.values():
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
    return dict(counts)


def page_kind(iri: str, description: Description, site: Site) -> str:
    types = description.types
    rg = RG_IRI
    if rg + "CaseReview" in types:
        return "review"
    if rg + "Locality" in types:
        return "locality"
    if rg + "Agency" in types:
        return "agency"
    concept_types = {rg + name for name in ("LearningTheme", "Keyword", "Outcome", "ReviewType",
                                            "ReportType", "AgeBand", "AgencyKind")}
    if types & concept_types or str(SKOS.Concept) in types:
        return "concept"
    return "entity"


# --- JSON-LD for pages (schema.org) ---------------------------------------------------------
def _schema_type(kind: str) -> str:
    return {"review": "Report", "locality": "AdministrativeArea", "agency": "DefinedTerm",
            "concept": "DefinedTerm"}.get(kind, "Thing")


def page_jsonld(site: Site, kind: str, iri: str, name: str, description: Description,
                extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": _schema_type(kind),
        "@id": iri,
        "name": name,
        "url": request.url_root.rstrip("/") + request.path,
    }
    definition = description.first(str(SKOS.definition), str(DCTERMS.abstract),
                                    str(RDFS.comment))
    if definition is not None:
        data["description"] = str(definition)
    if extra:
        data.update(extra)
    return data


# --- the blueprint --------------------------------------------------------------------------
def register_pages(app: Flask, store: Any, settings: Any = None) -> Site:
    """Add the entity pages and Linked Data routes to `app`; returns the shared Site."""
    site = Site(store, settings)
    blueprint = create_blueprint(site)
    app.register_blueprint(blueprint)
    app.extensions["reviewgraph.pages"] = site
    # Build the reviews index now, beside the server starting (seconds at 10,000 reviews);
    # a request that needs it before it is ready waits for it. Compile the templates too, so
    # the first page of each type does not pay for it.
    def prepare() -> None:
        for template in sorted((WEB_DIR / "templates" / "pages").glob("*.html")):
            app.jinja_env.get_template(f"pages/{template.name}")
        site.collection  # noqa: B018 - builds the index

    threading.Thread(target=prepare, name="reviewgraph-index", daemon=True).start()
    return site


def create_blueprint(site: Site) -> Blueprint:
    bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static/pages")

    @bp.app_template_filter("script_json")
    def _script_json(data: Any) -> Markup:
        return script_json(data)

    @bp.app_context_processor
    def _context() -> dict[str, Any]:
        return {"helpline": HELPLINE, "site_name": "ReviewGraph"}

    # What every page repeats (the navigation, links to the home page and the stylesheet) is
    # the same for every request with the same root: made once per root and page type.
    fragments: dict[tuple[str, ...], Any] = {}

    def navigation() -> Markup:
        key = ("navigation", request.script_root, request.endpoint or "")
        found = fragments.get(key)
        if found is None:
            items = [f'        <li><a href="{escape(url_for(endpoint))}"'
                     f'{_CURRENT if endpoint == request.endpoint else ""}>{label}</a></li>\n'
                     for endpoint, label in NAVIGATION]
            query_page = request.endpoint == "query_page.query_page"
            items.append(f'        <li><a href="{escape(request.script_root)}/sparql"'
                         f'{_CURRENT if query_page else ""}>SPARQL</a></li>\n')
            found = Markup("<ul>\n" + "".join(items) + "      </ul>")
            remember_fragment(key, found)
        return found

    def site_links() -> dict[str, str]:
        key = ("links", request.script_root)
        found = fragments.get(key)
        if found is None:
            found = {"home": url_for("pages.home"), "reviews": url_for("pages.reviews"),
                     "stylesheet": url_for("pages.static", filename="pages.css")}
            remember_fragment(key, found)
        return found

    def remember_fragment(key: tuple[str, ...], value: Any) -> None:
        if len(fragments) > 1000:  # roots come from requests (proxies): stay bounded
            fragments.clear()
        fragments[key] = value

    @bp.record_once
    def _install_globals(state: Any) -> None:
        state.app.jinja_env.globals.update(TEMPLATE_GLOBALS, navigation=navigation,
                                           site_links=site_links)

    def render(template: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("alternates", [])
        context.setdefault("queries", [])
        context.setdefault("jsonld", None)
        body = render_template(f"pages/{template}", **context)
        return Response(body, status=status, mimetype="text/html")

    def alternates_for(local: str) -> list[dict[str, str]]:
        return [{"name": fmt.name, "type": fmt.media_type,
                 "href": request.script_root + site.iris.data_path(local, fmt.suffix)}
                for fmt in RDF_FORMATS.values()]

    def query_links(*pairs: tuple[str, str, str | None]) -> list[dict[str, str]]:
        """[(title, query name, bound IRI)] -> links that open each query in the editor."""
        editor = request.script_root + "/sparql?"
        return [{"title": title, "name": f"{name}.rq",
                 "href": editor + site.queries.link(name, this)}
                for title, name, this in pairs]

    def remembered(key: tuple[str, ...], produce: Callable[[], Response]) -> Response:
        """The response for `key`, made once per build: pages only change with the build.
        Keys carry the request's root, since pages link to it."""
        full_key = ("body", request.url_root, *key)

        def make() -> tuple[bytes, int, str]:
            response = produce()
            return response.get_data(), response.status_code, response.mimetype

        body, status, mimetype = site.pages.get(full_key, make)
        if status != 200:
            site.pages.forget(full_key)
        return Response(body, status=status, mimetype=mimetype)

    def not_found(what: str, fmt: str = HTML) -> Response:
        if fmt != HTML:
            return Response(f"Not found: {what}\n", status=404, mimetype="text/plain")
        return render("not_found.html", status=404, what=what, title="Not found")

    def positive_int(name: str, default: int = 0) -> int:
        try:
            return max(0, int(request.args.get(name, default)))
        except ValueError:
            return default

    # --- dereferencing ----------------------------------------------------------------------
    @bp.route("/id/<path:local>")
    def thing(local: str) -> Response:
        iri = site.iris.iri(local)
        fmt = negotiate(request)
        if iri is None or describe(site, iri) is None:
            response = not_found(site.iris.base_iri + local, fmt)
            response.vary.add("Accept")
            return response
        if site.iris.is_document(local):
            # A document: its representations are served right here, chosen by Accept.
            response = entity_page(local, iri) if fmt == HTML else entity_data(local, iri, fmt)
            response.vary.add("Accept")
            response.headers["Content-Location"] = request.script_root + (
                f"/page/{local}" if fmt == HTML else site.iris.data_path(local, fmt))
            return response
        target = f"/page/{local}" if fmt == HTML else site.iris.data_path(local, fmt)
        return see_other(request, target)

    @bp.route("/page/<path:local>")
    def page(local: str) -> Response:
        iri = site.iris.iri(local)
        fmt = format_from_query(request)
        if fmt not in (None, HTML):
            return see_other(request, site.iris.data_path(local, fmt), vary_accept=False)
        if iri is None:
            return not_found(local)
        return entity_page(local, iri)

    @bp.route("/data/<path:local>")
    def data(local: str) -> Response:
        stem, suffix = split_suffix(local)
        iri = site.iris.iri(stem)
        if suffix is None:
            fmt = negotiate(request)
            if fmt == HTML:
                fmt = format_from_query(request) or "ttl"
                if fmt == HTML:
                    return see_other(request, f"/page/{stem}")
            if iri is None:
                return not_found(stem, fmt)
            response = entity_data(stem, iri, fmt)
            response.vary.add("Accept")
            return response
        if iri is None:
            return not_found(stem, suffix)
        return entity_data(stem, iri, suffix)

    def entity_data(local: str, iri: str, fmt: str) -> Response:
        rdf_format = RDF_FORMATS[fmt]

        def produce() -> Response:
            triples = site.sparql.construct(site.queries.bind("entity-data", iri))
            if not triples:
                return not_found(iri, fmt)
            body = pyoxigraph.serialize(triples, format=rdf_format.oxigraph,
                                        prefixes=_serialisation_prefixes(site))
            return Response(body, mimetype=rdf_format.media_type)

        return conditional(request, site.stamp, ("data", local, fmt), produce)

    def entity_page(local: str, iri: str) -> Response:
        key = ("page", local, request.query_string.decode("latin-1"))
        return conditional(request, site.stamp, key,
                           lambda: remembered(key, lambda: build_entity_page(local, iri)))

    def build_entity_page(local: str, iri: str) -> Response:
        description = describe(site, iri)
        if description is None:
            return not_found(iri)
        kind = page_kind(iri, description, site)
        name = site.label(iri, _own_label(description))
        via = request.args.get("via")
        context: dict[str, Any] = {
            "iri": iri, "local": local, "kind": kind, "name": name,
            "title": name,
            "types": [site.value_view(v, label) for v, label in
                      description.all(str(RDF.type))],
            "alternates": alternates_for(local),
            "backlinks": backlinks(site, iri, via, positive_int("from")),
            "via": via,
        }
        queries = [("What this page says about it", "entity-describe", iri),
                   ("What links to it", "entity-backlink-counts", iri)]
        extra_jsonld: dict[str, Any] = {}
        skip: set[str] = set()
        collection = site.collection
        if kind == "review":
            context.update(review_context(site, iri, description))
            skip |= REVIEW_SHOWN
            queries.insert(1, ("Its children, learning, recommendations and source",
                               "review-parts", iri))
            entry = collection.by_iri.get(iri)
            extra_jsonld = review_jsonld(site, description, entry)
        elif kind in ("locality", "agency", "concept"):
            facet_value = collection.any_value_for_iri(iri)
            context.update(subset_context(site, facet_value, kind))
            if kind == "locality":
                context["profile"] = locality_profile(site, facet_value)
                queries += [("Its reviews", "locality-reviews", iri),
                            ("Its theme and keyword profile", "locality-profile", iri)]
                gss = description.first(RG_IRI + "gssCode")
                if gss:
                    extra_jsonld["identifier"] = str(gss)
                context["partnerships"] = partnerships(iri, context["backlinks"])
            else:
                queries += [("Its reviews", "concept-reviews", iri),
                            ("Reviews per year", "concept-per-year", iri),
                            ("Themes and keywords in the same reviews",
                             "concept-cooccurring", iri)]
            if kind == "agency":
                recs = site.cached_select("agency-recommendations", iri)
                context["recommendations"] = [
                    {"text": str(r["text"] or ""), "href": site.href(r["recommendation"]),
                     "review": site.value_view(r["review"], r.get("reviewLabel")),
                     "year": str(r["year"]), "named": str(r.get("relation")) == "named"}
                    for r in recs]
                context["acronyms"] = [str(v) for v, _ in description.all(str(SKOS.altLabel))]
                queries.insert(1, ("Recommendations addressed to it",
                                   "agency-recommendations", iri))
            context["concept"] = concept_context(site, description)
            skip |= {str(SKOS.definition), str(SKOS.altLabel), str(SKOS.broader),
                     str(SKOS.narrower), str(SKOS.related)}
            extra_jsonld.update(concept_jsonld(site, description, kind))
        context["facts"] = statements(site, description, skip)
        context["jsonld"] = page_jsonld(site, kind, iri, name, description, extra_jsonld)
        context["queries"] = query_links(*queries)
        template = {"review": "review.html", "locality": "locality.html",
                    "agency": "agency.html", "concept": "concept.html"}.get(kind, "entity.html")
        return render(template, **context)

    def partnerships(iri: str, links: Backlinks) -> list[dict[str, Any]]:
        """The partnerships covering a locality: what links to it through rg:covers (the
        backlinks already list them all when there are few)."""
        covers = RG_IRI + "covers"
        count = next((c for c in links.counts if c["prop"] == covers), None)
        if count is None and len(links.counts) < 12:  # all counts shown: none covers it
            return []
        if count is not None and count["offset"] == 0 and count["next"] is None:
            return links.lists[covers]
        return [site.value_view(s["subject"], s.get("label"))
                for s in site.cached_select("entity-backlinks", iri, covers, 20, 0)]

    def subset_context(site: Site, value: FacetValue | None, kind: str) -> dict[str, Any]:
        if value is None:
            return {"reviews": None, "year_counts": None, "cooccurring": None}
        collection = site.collection
        page_number = max(1, positive_int("page", 1))
        entries = collection.page(value.members, "newest", (page_number - 1) * PAGE_SIZE,
                                  PAGE_SIZE)
        chart = year_chart(collection.per_year(value.members))
        cooccurring = None
        if kind != "locality":  # a locality compares its profile with the collection instead
            cooccurring = {
                facet: [(review_value(site, v), n)
                        for v, n in collection.cooccurring_with(value, facet)]
                for facet in ("theme", "keyword")}
        return {
            "reviews": [entry_view(site, e) for e in entries],
            "reviews_total": value.count,
            "reviews_paging": paging(page_number, value.count, PAGE_SIZE),
            "index_link": url_for("pages.reviews", **{value.facet: value.key}),
            "answers_link": url_for("answers.answers") + "?"
            + urlencode({value.facet: value.key}),
            "year_counts": chart,
            "cooccurring": cooccurring,
        }

    def locality_profile(site: Site, value: FacetValue | None) -> dict[str, Any] | None:
        if value is None:
            return None
        collection = site.collection
        return {facet: [{"value": review_value(site, v), "here": here,
                         "share_here": round(share_here * 100),
                         "share_all": round(share_all * 100)}
                        for v, here, share_here, share_all in
                        collection.profile(value, facet)]
                for facet in ("theme", "keyword")}

    # --- home, index, CSV -------------------------------------------------------------------
    @bp.route("/")
    def home() -> Response:
        def produce() -> Response:
            collection = site.collection
            newest = collection.page(collection.everything, "newest", 0, 8)
            context = {
                "title": "ReviewGraph",
                "total": len(collection.reviews),
                "by_year": year_chart(collection.per_year(collection.everything)),
                "by_type": [(review_value(site, v), n)
                            for v, n in collection.counts("type", 12)],
                "by_outcome": [(review_value(site, v), n)
                               for v, n in collection.counts("outcome", 12)],
                "newest": [entry_view(site, e) for e in newest],
                "themes": [(review_value(site, v), n)
                           for v, n in collection.counts("theme", 12)],
                "keywords": [(review_value(site, v), n)
                             for v, n in collection.counts("keyword", 12)],
                "alternates": alternates_for("dataset"),
                "queries": query_links(("Counts by year, review type and outcome",
                                        "home-counts", None),
                                       ("Reviews (the index)", "collection-reviews", None),
                                       ("Facet values (the index)", "collection-facets", None)),
                "jsonld": home_jsonld(site, len(collection.reviews)),
            }
            return render("home.html", **context)

        return conditional(request, site.stamp, ("home",),
                           lambda: remembered(("home",), produce))

    @bp.route("/reviews")
    def reviews() -> Response:
        key = ("reviews", request.query_string.decode("latin-1"))
        return conditional(request, site.stamp, key, lambda: remembered(key, build_reviews))

    def build_reviews() -> Response:
        collection = site.collection
        query, selection = parse_filters(request.args)
        sort = request.args.get("sort", "newest")
        if sort not in SORTS:
            sort = "newest"
        page_number = max(1, positive_int("page", 1))
        result = collection.apply(query, selection)
        entries = collection.page(result.members, sort, (page_number - 1) * PAGE_SIZE,
                                  PAGE_SIZE)
        more = request.args.get("more")
        state = _IndexState(query, selection, sort)
        facets = []
        for name, heading in FACETS:
            counts = collection.facet_counts(result, name)
            if not counts:
                continue
            limit = None if more == name else 8
            facets.append({
                "name": name, "heading": heading, "total": len(counts),
                "options": [{"label": c.value.label, "count": c.count, "selected": c.selected,
                            "href": state.toggle(name, c.value.key)}
                           for c in (counts if limit is None else counts[:limit])],
                "more": state.with_more(name) if limit is not None and len(counts) > limit
                else None,
                "fewer": state.with_more(None) if limit is None else None,
            })
        chosen = [{"facet": FACET_NAMES.get(name, name), "label": value.label,
                   "href": state.toggle(name, value.key)}
                  for name, values in result.selected.items() for value in values]
        # A typed topic that is also a keyword, theme, ...: say how the two differ.
        topics = [{"facet": FACET_NAMES.get(v.facet, v.facet).lower(), "label": v.label,
                   "count": v.count, "href": url_for("pages.reviews", **{v.facet: v.key})}
                  for v in collection.topics(query)] if query.strip() else []
        items = []
        for entry in entries:
            view = entry_view(site, entry)
            view["snippets"] = collection.snippets(entry, result.terms)
            items.append(view)
        jsonld = {
            "@context": "https://schema.org/", "@type": "SearchResultsPage",
            "name": "Case reviews", "url": request.url,
            "mainEntity": {"@type": "ItemList", "numberOfItems": result.total,
                           "itemListElement": [
                               {"@type": "ListItem", "position": i + 1 + (page_number - 1)
                                * PAGE_SIZE, "url": request.url_root.rstrip("/") + v["href"],
                                "name": v["label"]}
                               for i, v in enumerate(items)]},
        }
        return render(
            "reviews.html", title="Case reviews" + (f": {query}" if query else ""),
            query=query, sort=sort, sorts=SORTS, total=result.total, items=items,
            facets=facets, chosen=chosen, state=state, topics=topics,
            paging=paging(page_number, result.total, PAGE_SIZE, state.at_page),
            alternates=[{"name": "CSV (these reviews)", "type": "text/csv",
                         "href": url_for("answers.reviews_download") + _query_of(state)},
                        {"name": "CSV (their recommendations)", "type": "text/csv",
                         "href": url_for("answers.recommendations_download")
                         + _query_of(state)},
                        {"name": "CSV (all reviews)", "type": "text/csv",
                         "href": url_for("pages.download", name="reviews.csv")}],
            queries=query_links(("Reviews (the index)", "collection-reviews", None),
                                ("Facet values (the index)", "collection-facets", None),
                                ("Searchable texts (the index)", "collection-text", None)),
            jsonld=jsonld,
        )

    # --- ontology, shapes, data, VoID, sitemap ----------------------------------------------
    @bp.route("/def/")
    @bp.route("/def/<term>")
    def ontology_term(term: str = "") -> Response:
        fmt = negotiate(request)
        if term and (term not in ontology_terms() or not re.fullmatch(r"[A-Za-z0-9_-]+", term)):
            response = not_found(RG_IRI + term, fmt)
            response.vary.add("Accept")
            return response
        if fmt == HTML:
            return see_other(request, "/ontology" + (f"#{term}" if term else ""))
        return see_other(request, f"/ontology.{fmt}")

    @bp.route("/ontology")
    def ontology() -> Response:
        def produce() -> Response:
            return render("ontology.html", title="ReviewGraph ontology",
                          **ontology_context(site),
                          alternates=[{"name": f.name, "type": f.media_type,
                                       "href": url_for("pages.ontology_file", suffix=f.suffix)}
                                      for f in RDF_FORMATS.values()],
                          queries=query_links(("Classes and properties", "ontology-terms",
                                               None)),
                          jsonld={"@context": "https://schema.org/", "@type": "DefinedTermSet",
                                  "@id": RG_IRI, "name": "ReviewGraph ontology"})

        return conditional(request, site.stamp, ("ontology",), produce)

    @bp.route("/ontology.<suffix>")
    def ontology_file(suffix: str) -> Response:
        if suffix not in RDF_FORMATS:
            return not_found(f"/ontology.{suffix}", suffix)
        fmt = RDF_FORMATS[suffix]

        def produce() -> Response:
            if suffix == "ttl":
                body = ONTOLOGY_FILE.read_bytes()
            else:
                body = pyoxigraph.serialize(
                    pyoxigraph.parse(path=str(ONTOLOGY_FILE),
                                     format=pyoxigraph.RdfFormat.TURTLE),
                    format=fmt.oxigraph, prefixes=PREFIXES)
            return Response(body, mimetype=fmt.media_type)

        return conditional(request, site.stamp, ("ontology-file", suffix), produce)

    @bp.route("/shapes")
    def shapes() -> Response:
        def produce() -> Response:
            files = shapes_context(site)
            return render("shapes.html", title="SHACL shapes", files=files,
                          alternates=[{"name": f"{f['name']} (Turtle)", "type": "text/turtle",
                                       "href": f["href"]} for f in files],
                          jsonld={"@context": "https://schema.org/", "@type": "WebPage",
                                  "name": "ReviewGraph SHACL shapes",
                                  "url": request.url_root.rstrip("/") + request.path})

        return conditional(request, site.stamp, ("shapes",), produce)

    @bp.route("/shapes/<name>")
    def shape_file(name: str) -> Response:
        path = SHAPES_DIR / name
        if not re.fullmatch(r"[\w.-]+\.ttl", name) or not path.is_file():
            return not_found(f"/shapes/{name}")
        return conditional(request, site.stamp, ("shape-file", name),
                           lambda: Response(path.read_bytes(), mimetype="text/turtle"))

    @bp.route("/downloads")
    def data_page() -> Response:
        def produce() -> Response:
            return render("data.html", title="Data and downloads", **data_context(site),
                          alternates=[{"name": f.name, "type": f.media_type,
                                       "href": url_for("pages.void", format=f.suffix)}
                                      for f in RDF_FORMATS.values()],
                          queries=query_links(("Entities per class (VoID)", "data-void", None),
                                              ("Reference data", "data-references", None)),
                          jsonld=home_jsonld(site, len(site.collection.reviews)))

        return conditional(request, site.stamp, ("data-page",), produce)

    @bp.route("/downloads/<name>")
    def download(name: str) -> Response:
        def produce() -> Response:
            if name == "reviews.csv":
                response = Response(reviews_csv(site), mimetype="text/csv")
            else:
                stem, suffix = split_suffix(name)
                if stem != "reviewgraph" or suffix is None:
                    return not_found(f"/downloads/{name}", "txt")
                response = whole_graph(site, suffix)
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
            return response

        return conditional(request, site.stamp, ("download", name), produce)

    @bp.route("/.well-known/void")
    def void() -> Response:
        fmt = format_from_query(request) or negotiate(request)
        if fmt == HTML:
            fmt = "ttl"  # the description is RDF; a browser gets Turtle it can read

        def produce() -> Response:
            graph = void_graph(site, request.url_root)
            body = graph.serialize(format={"ttl": "turtle", "nt": "nt", "jsonld": "json-ld",
                                           "rdf": "xml"}[fmt])
            return Response(body, mimetype=RDF_FORMATS[fmt].media_type)

        return conditional(request, site.stamp, ("void", request.url_root, fmt), produce,
                           vary_accept=True)

    @bp.route("/sitemap.xml")
    def sitemap() -> Response:
        def produce() -> Response:
            root = request.url_root.rstrip("/")
            lastmod = site.stamp.modified.date().isoformat()
            paths = ["/", "/reviews", "/downloads", "/ontology", "/shapes"]
            for row in site.cached_select("sitemap"):
                local = site.iris.local(str(row["entity"]))
                # Parts of a review (its learning points, children, ...) are on its page.
                if local is not None and site.iris.category(local) not in SITEMAP_SKIPS:
                    paths.append(f"/page/{local}")
            lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                     '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
            for path in paths[:50000]:
                location = (root + quote(path, safe="/%#-._~")).replace("&", "&amp;")
                lines.append(f"<url><loc>{location}</loc><lastmod>{lastmod}</lastmod></url>")
            lines.append("</urlset>")
            return Response("\n".join(lines) + "\n", mimetype="application/xml")

        return conditional(request, site.stamp, ("sitemap", request.url_root), produce)

    return bp


NAVIGATION = [("pages.home", "Home"), ("pages.reviews", "Reviews"),
              ("insights.index", "Insights"), ("pages.data_page", "Data"),
              ("pages.ontology", "Ontology"), ("pages.shapes", "Shapes")]
_CURRENT = ' aria-current="page"'


# --- page helpers ---------------------------------------------------------------------------
SITEMAP_SKIPS = frozenset({"learning", "recommendation", "child", "incident", "report",
                           "linkset", "external"})


@cache
def ontology_terms() -> frozenset[str]:  # noqa: N802 - a constant read once, on first use
    graph = ontology_graph()
    return frozenset(str(s)[len(RG_IRI):] for s in graph.subjects(RDF.type, None)
                     if isinstance(s, URIRef) and str(s).startswith(RG_IRI))


REVIEW_SHOWN = {
    str(DCTERMS.title), str(DCTERMS.abstract), RG_IRI + "background",
    RG_IRI + "concernsChild", RG_IRI + "hasLearningPoint", RG_IRI + "hasRecommendation",
    str(DCTERMS.subject), RG_IRI + "locality", RG_IRI + "partnership", RG_IRI + "year",
    RG_IRI + "incident", RG_IRI + "sourceExtract", RG_IRI + "hasReport",
    RG_IRI + "mentionsAgency", RG_IRI + "reviewType", RG_IRI + "reportType",
    RG_IRI + "mentionsPlace",
}


def _own_label(description: Description) -> str | None:
    for prop in (str(SKOS.prefLabel), str(RDFS.label), str(DCTERMS.title),
                 RG_IRI + "pseudonym"):
        value = description.first(prop)
        if value is not None:
            return str(value)
    return None


def review_value(site: Site, value: FacetValue) -> dict[str, Any]:
    """A facet value as a link to its page and to the reviews index filtered by it (the same
    for every request of this build, so made once)."""

    def make() -> dict[str, Any]:
        index = url_for("pages.reviews", **{value.facet: value.key})
        return {"label": value.label,
                "href": site.href(value.iri) if value.iri else index, "index": index}

    return site.views.get(("facet-value", request.script_root, value.facet, value.key), make)


def entry_view(site: Site, entry: ReviewEntry) -> dict[str, Any]:
    def make() -> dict[str, Any]:
        locality = site.collection.locality_of[entry.position]
        href = site.href(entry.iri) or entry.iri
        return {"label": entry.title, "full_label": entry.label, "year": entry.year,
                "href": href, "summary": entry.summary, "locality": locality}

    # Callers add to the dict (search snippets), so each gets its own copy.
    return dict(site.views.get(("entry", request.script_root, entry.iri), make))


def year_chart(counts: list[tuple[int, int]]) -> dict[str, Any] | None:
    """Bars for an inline SVG chart (coordinates computed here, drawn by the template)."""
    if not counts:
        return None
    highest = max(n for _, n in counts) or 1
    bar, gap, height = 28, 8, 120
    bars = []
    for index, (year, count) in enumerate(counts):
        h = 0 if not count else max(2, round(count / highest * height))
        bars.append({"year": year, "count": count, "x": index * (bar + gap),
                     "y": height - h + 20, "height": h, "width": bar})
    return {"bars": bars, "width": len(counts) * (bar + gap), "height": height + 44,
            "baseline": height + 20, "highest": highest}


def paging(page_number: int, total: int, size: int,
           link: Callable[[int], str] | None = None) -> dict[str, Any]:
    pages = max(1, math.ceil(total / size))
    link = link or (lambda n: f"?page={n}")
    return {"page": page_number, "pages": pages,
            "previous": link(page_number - 1) if page_number > 1 else None,
            "next": link(page_number + 1) if page_number < pages else None,
            "first": (page_number - 1) * size + 1 if total else 0,
            "last": min(total, page_number * size)}


def _query_of(state: _IndexState) -> str:
    """The index's search and facets as a query string (for pages that follow its filters)."""
    pairs = ([("q", state.query)] if state.query else []) + state.hidden_fields()
    return "?" + urlencode(pairs) if pairs else ""


class _IndexState:
    """The reviews index's query string: links that toggle one facet value keep the rest."""

    def __init__(self, query: str, selection: dict[str, list[str]], sort: str) -> None:
        self.query = query
        self.selection = selection
        self.sort = sort

    def _params(self, selection: Mapping[str, list[str]], page_number: int = 1,
                more: str | None = None) -> str:
        params: list[tuple[str, str]] = []
        if self.query:
            params.append(("q", self.query))
        for name, _ in FACETS:
            params.extend((name, value) for value in selection.get(name, []))
        if self.sort != "newest":
            params.append(("sort", self.sort))
        if page_number > 1:
            params.append(("page", str(page_number)))
        if more:
            params.append(("more", more))
        return url_for("pages.reviews") + ("?" + urlencode(params) if params else "")

    def toggle(self, facet: str, key: str) -> str:
        selection = {name: list(values) for name, values in self.selection.items()}
        values = selection.setdefault(facet, [])
        if key in values:
            values.remove(key)
        else:
            values.append(key)
        return self._params(selection)

    def at_page(self, page_number: int) -> str:
        return self._params(self.selection, page_number, request.args.get("more"))

    def with_more(self, facet: str | None) -> str:
        return self._params(self.selection, 1, facet)

    def hidden_fields(self) -> list[tuple[str, str]]:
        """The facet selection as hidden form fields, so a new search keeps the facets."""
        return [(name, value) for name, _ in FACETS for value in self.selection.get(name, [])]


def review_context(site: Site, iri: str, description: Description) -> dict[str, Any]:
    rows = site.cached_select("review-parts", iri)
    parts: dict[str, dict[str, Any]] = {}
    for row in rows:
        part = str(row["part"])
        record = parts.setdefault(part, {"kind": str(row["kind"]), "iri": part,
                                         "props": defaultdict(list)})
        value = row["value"]
        label = row.get("valueLabel")
        pair = (value, str(label) if label is not None else None)
        if pair not in record["props"][str(row["property"])]:
            record["props"][str(row["property"])].append(pair)

    def first(record: dict[str, Any], prop: str) -> Any:
        values = record["props"].get(prop)
        return values[0][0] if values else None

    def links(record: dict[str, Any], prop: str) -> list[dict[str, Any]]:
        return sorted((site.value_view(v, label) for v, label in record["props"].get(prop, [])
                       if isinstance(v, Iri)), key=lambda view: view["label"].casefold())

    def position(record: dict[str, Any]) -> int:
        value = first(record, RG_IRI + "position")
        return int(value) if value is not None and str(value).isdigit() else 0

    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in parts.values():
        by_kind[record["kind"]].append(record)
    for records in by_kind.values():
        records.sort(key=lambda r: (position(r), r["iri"]))

    text_prop = str(SCHEMA.text)
    children = []
    for record in by_kind["child"]:
        age = first(record, RG_IRI + "age")
        children.append({
            "iri": str(record["iri"]), "date": None,
            "href": site.href(record["iri"]),
            "pseudonym": str(first(record, RG_IRI + "pseudonym") or "Not named"),
            "age": human_age(str(age)) if age is not None else None,
            "age_band": links(record, RG_IRI + "ageBand"),
            "outcome": links(record, RG_IRI + "outcome"),
            "sex": [view["label"] for view in links(record, str(SCHEMA.gender))],
        })
    learning = [{"href": site.href(r["iri"]), "text": str(first(r, text_prop) or ""),
                 "themes": links(r, RG_IRI + "learningTheme")} for r in by_kind["learning"]]
    recommendations = [{
        "href": site.href(r["iri"]), "text": str(first(r, text_prop) or ""),
        "agencies": links(r, RG_IRI + "addressedTo"),
        "addressees": sorted(str(v) for v, _ in r["props"].get(RG_IRI + "addressee", [])),
        "themes": links(r, RG_IRI + "learningTheme"),
    } for r in by_kind["recommendation"]]
    incident = None
    for record in by_kind["incident"]:
        date = first(record, RG_IRI + "incidentDate")
        child = first(record, RG_IRI + "incidentChild")
        if child is not None:  # a child's own incident: its date goes with the child
            for view in children:
                if date is not None and view["iri"] == str(child):
                    view["date"] = str(date)
            continue
        incident = {"date": str(date) if date is not None else None,
                    "outcome": links(record, RG_IRI + "outcome")}
    sources = []
    for record in by_kind["source"]:
        sources.append({
            "href": site.href(record["iri"]),
            "page": links(record, str(DCTERMS.isPartOf)),
            "first": first(record, RG_IRI + "firstLine"),
            "last": first(record, RG_IRI + "lastLine"),
        })
    reports = [{"href": site.href(r["iri"]),
                "type": links(r, RG_IRI + "reportType"),
                "url": str(first(r, str(SCHEMA.url)) or "") or None}
               for r in by_kind["report"]]

    def views(prop: str) -> list[dict[str, Any]]:
        return [site.value_view(v, label) for v, label in description.all(prop)]

    collection = site.collection
    entry = collection.by_iri.get(iri)
    related = []
    if entry is not None:
        related = [{"review": entry_view(site, other), "shared": shared}
                   for other, shared in collection.related(entry)]
    provenance = review_provenance(  # listings, earlier versions, rights, report links
        site.href, by_kind["capture"], by_kind["version"],
        description.first(RG_IRI + "firstSeen"), description.first(RG_IRI + "lastSeen"),
        [r["url"] for r in reports if r["url"]])
    return {
        **provenance,
        "title_text": str(description.first(str(DCTERMS.title)) or ""),
        "year": description.first(RG_IRI + "year"),
        "summary": description.first(str(DCTERMS.abstract)),
        "background": description.first(RG_IRI + "background"),
        "locality": views(RG_IRI + "locality"),
        "partnership": views(RG_IRI + "partnership"),
        "places": views(RG_IRI + "mentionsPlace"),
        "keywords": views(str(DCTERMS.subject)),
        "agencies": views(RG_IRI + "mentionsAgency"),
        "review_type": views(RG_IRI + "reviewType"),
        "report_type": views(RG_IRI + "reportType"),
        "children": children, "learning": learning, "recommendations": recommendations,
        "incident": incident, "sources": sources, "reports": reports, "related": related,
        "show_helpline": True,
    }


def review_jsonld(site: Site, description: Description, entry: ReviewEntry | None
                  ) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": ["Report", "CreativeWork"]}
    title = description.first(str(DCTERMS.title))
    if title is not None:
        data["headline"] = str(title)
    year = description.first(RG_IRI + "year")
    if year is not None:
        data["datePublished"] = str(year)
    summary = description.first(str(DCTERMS.abstract))
    if summary is not None:
        data["abstract"] = str(summary)
    keywords = [site.label(v, label) for v, label in description.all(str(DCTERMS.subject))]
    if keywords:
        data["keywords"] = keywords
    places = [{"@type": "AdministrativeArea", "@id": str(v), "name": site.label(v, label)}
              for v, label in description.all(RG_IRI + "locality")]
    if places:
        data["spatialCoverage"] = places
    data["isPartOf"] = {"@type": "Dataset", "name": "ReviewGraph"}
    return data


def concept_context(site: Site, description: Description) -> dict[str, Any]:
    def views(prop: str) -> list[dict[str, Any]]:
        return [site.value_view(v, label) for v, label in description.all(prop)]

    return {
        "definition": description.first(str(SKOS.definition), str(RDFS.comment)),
        "broader": views(str(SKOS.broader)),
        "narrower": views(str(SKOS.narrower)),
        "related": views(str(SKOS.related)),
        "scheme": views(str(SKOS.inScheme)),
        "alt_labels": sorted({str(v) for v, _ in description.all(str(SKOS.altLabel))}),
        "mappings": concept_mappings(description),
    }


# How a mapping to another vocabulary's concept reads, and the link text where that
# vocabulary's label is not published (HASSET and UNESCO labels are share-alike).
_MAPPINGS = {str(SKOS.exactMatch): ("", "the same concept"),
             str(SKOS.closeMatch): ("close", "a close concept"),
             str(SKOS.broadMatch): ("broader", "a broader concept"),
             str(SKOS.narrowMatch): ("narrower", "a narrower concept"),
             str(SKOS.relatedMatch): ("related", "a related concept")}


def concept_mappings(description: Description) -> list[dict[str, str]]:
    """The concept's matches in other vocabularies (concept-mappings.csv): vocabulary, the
    label there (or what the link is), and how close it is; exact matches first."""
    found = []
    for prop, (relation, unlabelled) in _MAPPINGS.items():
        for value, label in description.all(prop):
            target = target_of(URIRef(str(value)))
            found.append({"vocabulary": target.title.split(" (")[0] if target else "elsewhere",
                          "label": label or unlabelled, "href": str(value),
                          "relation": relation if label else ""})
    return found


def concept_jsonld(site: Site, description: Description, kind: str) -> dict[str, Any]:
    if kind == "locality":
        return {}
    data: dict[str, Any] = {}
    schemes = description.all(str(SKOS.inScheme))
    if schemes:
        value, label = schemes[0]
        data["inDefinedTermSet"] = {"@type": "DefinedTermSet", "@id": str(value),
                                    "name": site.label(value, label)}
    alt = [str(v) for v, _ in description.all(str(SKOS.altLabel))]
    if alt:
        data["alternateName"] = alt
    return data


def home_jsonld(site: Site, total: int) -> dict[str, Any]:
    root = request.url_root.rstrip("/")
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": site.iris.base_iri + "dataset",
        "name": "ReviewGraph: child safeguarding case reviews",
        "description": "Case reviews into the death or serious harm of children, read from "
                       "NSPCC National Collection of Case Reviews listing pages, as linked data.",
        "url": root + "/",
        "size": f"{total} case reviews",
        "distribution": [
            {"@type": "DataDownload", "encodingFormat": fmt.media_type,
             "contentUrl": f"{root}/downloads/reviewgraph.{fmt.suffix}"}
            for fmt in RDF_FORMATS.values() if fmt.suffix != "rdf"
        ],
        "potentialAction": {
            "@type": "SearchAction",
            "target": f"{root}/reviews?q={{search_term_string}}",
            "query-input": "required name=search_term_string",
        },
    }


def _serialisation_prefixes(site: Site) -> dict[str, str]:
    prefixes = {k: v for k, v in PREFIXES.items() if k != "wd"}
    prefixes["id"] = site.iris.base_iri
    return prefixes


def whole_graph(site: Site, suffix: str) -> Response:
    fmt = RDF_FORMATS[suffix]
    built = site.build_dir / f"reviewgraph.{suffix}"
    if built.is_file():
        return Response(built.read_bytes(), mimetype=fmt.media_type)
    body = pyoxigraph.serialize(site.sparql.triples(), format=fmt.oxigraph,
                                prefixes=_serialisation_prefixes(site))
    return Response(body, mimetype=fmt.media_type)


def _csv_cell(text: str) -> str:
    # Spreadsheets run cells that start with these as formulas: keep them text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def reviews_csv(site: Site, members: int | None = None) -> str:
    """The reviews as CSV: all, or those of the bit set `members` (the index's filters)."""
    collection = site.collection
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = ["iri", "title", "year", "locality", "region", "review type", "report type",
               "outcome", "child age band", "keywords", "themes", "agencies", "summary"]
    writer.writerow(columns)
    for entry in collection.reviews:
        if members is not None and not members >> entry.position & 1:
            continue
        values: dict[str, list[str]] = defaultdict(list)
        for value in collection.values_of[entry.position]:
            values[value.facet].append(value.label)
        row = [entry.iri, entry.title, str(entry.year)]
        row += ["; ".join(sorted(values[f])) for f in
                ("locality", "region", "type", "report", "outcome", "age", "keyword", "theme",
                 "agency")]
        row.append(entry.summary)
        writer.writerow([_csv_cell(cell) for cell in row])
    return out.getvalue()


def void_graph(site: Site, root: str) -> Graph:
    """VoID + DCAT: the build's own dataset description, plus where this server serves it."""
    dataset = URIRef(site.iris.base_iri + "dataset")
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for row in site.cached_select("entity-describe", str(dataset)):
        value = row["value"]
        if isinstance(value, Iri):
            obj: Any = URIRef(value)
        elif isinstance(value, Text):
            obj = Literal(str(value), lang=value.language,
                          datatype=URIRef(value.datatype) if value.datatype
                          and not value.language else None)
        else:
            continue
        graph.add((dataset, URIRef(str(row["property"])), obj))
    root = root.rstrip("/")
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, RDF.type, DCAT.Dataset))
    if (dataset, DCTERMS.title, None) not in graph:
        graph.add((dataset, DCTERMS.title, Literal("ReviewGraph", lang="en")))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(f"{root}/sparql")))
    graph.add((dataset, VOID.uriLookupEndpoint, URIRef(f"{root}/id/")))
    graph.add((dataset, VOID.rootResource, URIRef(f"{root}/")))
    graph.add((dataset, FOAF.homepage, URIRef(f"{root}/")))
    graph.add((dataset, DCAT.landingPage, URIRef(f"{root}/downloads")))
    for fmt in RDF_FORMATS.values():
        if fmt.suffix == "rdf":
            continue
        url = URIRef(f"{root}/downloads/reviewgraph.{fmt.suffix}")
        graph.add((dataset, VOID.dataDump, url))
        distribution = URIRef(f"{site.iris.base_iri}dataset/distribution/{fmt.suffix}")
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(f"ReviewGraph in {fmt.name}", lang="en")))
        graph.add((distribution, DCAT.downloadURL, url))
        graph.add((distribution, DCAT.mediaType,
                   URIRef(f"https://www.iana.org/assignments/media-types/{fmt.media_type}")))
    service = URIRef(f"{site.iris.base_iri}dataset/sparql")
    graph.add((dataset, DCAT.distribution, URIRef(f"{site.iris.base_iri}dataset/distribution/csv")))
    csv_distribution = URIRef(f"{site.iris.base_iri}dataset/distribution/csv")
    graph.add((csv_distribution, RDF.type, DCAT.Distribution))
    graph.add((csv_distribution, DCTERMS.title, Literal("Case reviews as CSV", lang="en")))
    graph.add((csv_distribution, DCAT.downloadURL, URIRef(f"{root}/downloads/reviews.csv")))
    graph.add((csv_distribution, DCAT.mediaType,
               URIRef("https://www.iana.org/assignments/media-types/text/csv")))
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, DCAT.endpointURL, URIRef(f"{root}/sparql")))
    graph.add((service, DCAT.servesDataset, dataset))
    graph.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    entities = 0
    for index, row in enumerate(site.cached_select("data-void")):
        count = int(str(row["entities"]))
        entities += count
        partition = URIRef(f"{site.iris.base_iri}dataset/class/{index + 1}")
        graph.add((dataset, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], URIRef(str(row["class"]))))
        graph.add((partition, VOID.entities, Literal(count, datatype=XSD.integer)))
    graph.add((dataset, VOID.entities, Literal(entities, datatype=XSD.integer)))
    return graph


def data_context(site: Site) -> dict[str, Any]:
    downloads = []
    for fmt in RDF_FORMATS.values():
        if fmt.suffix == "rdf":
            continue
        built = site.build_dir / f"reviewgraph.{fmt.suffix}"
        downloads.append({"name": fmt.name, "type": fmt.media_type,
                          "href": url_for("pages.download", name=f"reviewgraph.{fmt.suffix}"),
                          "size": built.stat().st_size if built.is_file() else None})
    downloads.append({"name": "CSV of reviews", "type": "text/csv",
                      "href": url_for("pages.download", name="reviews.csv"), "size": None})
    references = [{
        "title": str(r.get("title") or r["fileName"]), "file": str(r["fileName"]),
        "citation": str(r.get("citation") or ""),
        "licence": site.value_view(r["licence"]) if r.get("licence") is not None else None,
        "origin": str(r["origin"]) if r.get("origin") is not None else None,
    } for r in site.cached_select("data-references")]
    readme = REFERENCE_README.read_text(encoding="utf-8") if REFERENCE_README.is_file() else None
    classes = [{"class": site.value_view(r["class"]), "count": int(str(r["entities"]))}
               for r in site.cached_select("data-void")]
    return {"downloads": downloads, "references": references,
            "reference_tables": markdown_tables(readme) if readme else [],
            "reference_text": readme, "classes": classes,
            "total_reviews": len(site.collection.reviews)}


_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def markdown_inline(text: str) -> Markup:
    """A Markdown table cell as HTML: escaped, with [text](https://...) links made links."""
    parts: list[Markup] = []
    cursor = 0
    for match in _MARKDOWN_LINK.finditer(text):
        parts.append(escape(text[cursor:match.start()]))
        parts.append(Markup('<a href="{}" rel="external">{}</a>').format(match.group(2),
                                                                          match.group(1)))
        cursor = match.end()
    parts.append(escape(text[cursor:]))
    return Markup("").join(parts)


def markdown_tables(text: str) -> list[dict[str, Any]]:
    """The pipe tables of a Markdown file (header + rows), for showing attribution as tables."""
    tables: list[dict[str, Any]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|"):
            cells = [markdown_inline(cell.strip().strip("`"))
                     for cell in stripped[1:-1].split("|")]
            if all(set(cell) <= set("-: ") for cell in cells):
                continue
            current.append(cells)
        elif current:
            tables.append({"header": current[0], "rows": current[1:]})
            current = []
    return tables


def ontology_context(site: Site) -> dict[str, Any]:
    graph = ontology_graph()
    kinds = [("Classes", OWL.Class), ("Object properties", OWL.ObjectProperty),
             ("Datatype properties", OWL.DatatypeProperty)]
    sections = []
    for heading, kind in kinds:
        terms = []
        for term in sorted(set(graph.subjects(RDF.type, kind)), key=str):
            if not str(term).startswith(RG_IRI):
                continue

            def links(prop: URIRef, subject: URIRef = term) -> list[dict[str, Any]]:
                return [{"label": site.label(str(o)), "href": site.href(str(o)),
                         "iri": str(o)} for o in sorted(graph.objects(subject, prop), key=str)
                        if isinstance(o, URIRef)]

            name = str(term)[len(RG_IRI):]
            terms.append({
                "name": name, "iri": str(term),
                "label": str(graph.value(term, RDFS.label) or name),
                "comment": str(graph.value(term, RDFS.comment) or ""),
                "superclasses": links(RDFS.subClassOf), "superproperties":
                links(RDFS.subPropertyOf), "domain": links(RDFS.domain),
                "range": links(RDFS.range), "inverse": links(OWL.inverseOf),
                "characteristics": [site.label(str(t)) if str(t) in site.labels else curie(str(t))
                                    for t in graph.objects(term, RDF.type) if t != kind],
            })
        sections.append({"heading": heading, "terms": terms,
                         "id": heading.lower().replace(" ", "-")})
    ontology = URIRef(RG_IRI)
    return {"sections": sections, "ontology": {
        "iri": RG_IRI, "label": str(graph.value(ontology, RDFS.label) or "ReviewGraph ontology"),
        "comment": str(graph.value(ontology, RDFS.comment) or ""),
        "version": str(graph.value(ontology, OWL.versionInfo) or ""),
    }}


def shapes_context(site: Site) -> list[dict[str, Any]]:
    files = []
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        graph = Graph().parse(path, format="turtle")
        shapes = []
        for shape in sorted(set(graph.subjects(RDF.type, SH.NodeShape)), key=str):
            properties = []
            for prop_shape in graph.objects(shape, SH.property):
                path_node = graph.value(prop_shape, SH.path)
                constraint = []
                for label, predicate in (("at least", SH.minCount), ("at most", SH.maxCount)):
                    value = graph.value(prop_shape, predicate)
                    if value is not None:
                        constraint.append(f"{label} {value}")
                for label, predicate in (("datatype", SH.datatype), ("class", SH["class"]),
                                         ("node kind", SH.nodeKind), ("pattern", SH.pattern)):
                    value = graph.value(prop_shape, predicate)
                    if value is not None:
                        constraint.append(f"{label} {curie(str(value))}")
                properties.append({
                    "path": site.label(str(path_node)) if isinstance(path_node, URIRef)
                    else "(path expression)",
                    "path_iri": str(path_node) if isinstance(path_node, URIRef) else None,
                    "constraint": ", ".join(constraint),
                    "message": str(graph.value(prop_shape, SH.message) or ""),
                    "severity": curie(str(graph.value(prop_shape, SH.severity) or "")),
                })
            properties.sort(key=lambda p: p["path"].casefold())
            for sparql in graph.objects(shape, SH.sparql):  # what SHACL Core cannot say
                properties.append({"path": "(several)", "path_iri": None,
                                   "constraint": "SPARQL query",
                                   "message": str(graph.value(sparql, SH.message) or ""),
                                   "severity": ""})
            targets = [{"label": site.label(str(t)), "href": site.href(str(t))}
                       for t in graph.objects(shape, SH.targetClass)]
            shapes.append({"iri": str(shape), "name": curie(str(shape)), "targets": targets,
                           "properties": properties,
                           "comment": str(graph.value(shape, RDFS.comment) or "")})
        files.append({"name": path.name, "shapes": shapes,
                      "href": url_for("pages.shape_file", name=path.name)})
    return files


__all__ = ["HELPLINE", "Site", "create_blueprint", "register_pages", "script_json"]
