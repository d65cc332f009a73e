"""How the pages say things: labels for terms, ages and dates in words, JSON for scripts,
and the HTML fragments pages repeat in loops (made in Python, not Jinja macros: a macro call
costs tens of microseconds), installed as template globals (`TEMPLATE_GLOBALS`)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from markupsafe import Markup, escape
from rdflib import URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS, VOID

from reviewgraph.concepts import DATE_DURATION
from reviewgraph.terms import PREFIXES, RG_IRI, SCHEMA, ontology_graph
from reviewgraph.terms import curie as terms_curie

HELPLINE = (
    "Case reviews describe children and young people's experiences of abuse and neglect. "
    "If you have any concerns about children or need support, please contact the NSPCC "
    "Helpline on 0808 800 5000 or email help@nspcc.org.uk."
)


@dataclass
class Statement:
    """One row of a page's table of statements: a property and its values' views."""

    prop: str
    prop_label: str
    values: list[dict[str, Any]] = field(default_factory=list)
    # Said in words (a labelled property, its values text or labelled links): it may show in
    # the body of a page; otherwise it goes under "Data and identifiers".
    readable: bool = True


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


def vocabulary_labels() -> dict[str, str]:
    labels = dict(_EXTRA_LABELS)
    graph = ontology_graph()
    for subject, label in graph.subject_objects(RDFS.label):
        if isinstance(subject, URIRef) and str(subject).startswith(RG_IRI):
            labels[str(subject)] = str(label)
    return labels


_CURIE_PREFIXES = {**PREFIXES, "sh": str(SH), "vann": "http://purl.org/vocab/vann/"}


curie = partial(terms_curie, prefixes=_CURIE_PREFIXES)


def human_age(duration: str) -> str:
    """'8 days' for P8D, '3 months' for P3M, '16 years' for P16Y, 'birth' for a zero age
    (P0D, PT0S); the text itself otherwise."""
    if _ZERO_DURATION.match(duration):
        return "birth"
    match = DATE_DURATION.match(duration)
    if not match:
        return duration
    parts = []
    for amount, unit in zip(match.groups(), ("year", "month", "week", "day"), strict=True):
        if amount:
            parts.append(f"{int(amount)} {unit}{'' if int(amount) == 1 else 's'}")
    return ", ".join(parts) or duration


_ZERO_DURATION = re.compile(r"^P(?:0[YMWD])*(?:T(?:0[HMS])*)?$|^PT0S$")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T.*|Z|[+-]\d{2}:\d{2})?$")


def date_in_words(text: object) -> str:
    """'February 2024' for 2024-02, '3 February 2024' for 2024-02-03 (or a date-time), the
    year for 2024; the text itself when it is not such a date."""
    value = str(text)
    match = _DATE.match(value)
    if not match:
        return value
    year, month, day = match.groups()
    if month is None:
        return year
    if not 1 <= int(month) <= 12:
        return value
    words = f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day)} {words}" if day else words


def number(count: object) -> str:
    """A count with thousands separators: 1,500."""
    try:
        return f"{int(str(count)):,}"
    except ValueError:
        return str(count)


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 review', '1,500 reviews'."""
    return f"{number(count)} {one if count == 1 else (many or one + 's')}"


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
    rows = "".join(f'<tr><td>{b["year"]}</td><td class="num">{number(b["count"])}</td></tr>'
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
            f'href="{escape(view["index"])}" aria-label="{number(count)} '
            f'review{"" if count == 1 else "s"} with {label}">{number(count)}</a></li>\n')
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
        f'</a></td><td class="num">{number(row["here"])}</td><td class="num">{row["share_here"]}%'
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


def concept_tree_html(items: list[Mapping[str, Any]], level: int = 2) -> Markup:
    """A directory or scheme's members: A–Z under letter headings (with links to each letter),
    narrower members nested beneath; or, for grouped members, under each group's heading."""
    if not items:
        return Markup('<p class="muted">None yet.</p>')
    heading = f"h{level}"
    if items[0].get("group"):
        return Markup("".join(
            f'<section class="concept-group"><{heading}>'
            + (f'<a href="{escape(group["href"])}">{escape(group["label"])}</a>'
               if group["href"] else str(escape(group["label"])))
            + f"</{heading}>\n{_concept_items(group['children'])}</section>\n"
            for group in items))
    letters: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        letters.setdefault(item["letter"], []).append(item)
    jump = "".join(f'<li><a href="#letter-{escape(letter)}">{escape(letter)}</a></li>'
                   for letter in letters)
    parts = [f'<nav class="az" aria-label="Jump to a letter"><ul class="inline">{jump}</ul>'
             f"</nav>\n"] if len(letters) > 1 else []
    for letter, members in letters.items():
        parts.append(f'<{heading} id="letter-{escape(letter)}" class="letter">{escape(letter)}'
                     f"</{heading}>\n{_concept_items(members)}")
    return Markup("".join(parts))


def _concept_items(items: Iterable[Mapping[str, Any]]) -> str:
    rows = []
    for item in items:
        count = item["count"]
        counted = (f' <span class="count">{escape(plural(count, "review"))}</span>' if count
                   else ' <span class="muted">no reviews yet</span>')
        label = escape(item["label"])
        link = f'<a href="{escape(item["href"])}">{label}</a>' if item["href"] else label
        nested = _concept_items(item["children"]) if item["children"] else ""
        rows.append(f"<li>{link}{counted}{nested}</li>\n")
    return '<ul class="concepts">\n' + "".join(rows) + "</ul>\n"


TEMPLATE_GLOBALS: dict[str, Any] = {
    "alternate_links": alternate_links, "format_items": format_items,
    "query_items": query_items,
    "list_items": list_items, "fact_rows": fact_rows, "profile_rows": profile_rows,
    "value": value_html, "value_list": value_list_html, "helpline_notice": helpline_notice,
    "chart": chart_html, "concept_tree": concept_tree_html, "counted_list": counted_list_html,
    "review_list": review_list_html,
}



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

