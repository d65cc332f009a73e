"""Insight pages: questions answered across reviews, each a chart, a sentence, its query and
its data.

    /insights                 what the insights are, for the reviews the filters select
    /insights/{name}          one insight: chart (charts.py), what it shows and how it was
                              counted, a table of the same figures, the query behind it
    /insights/{name}.csv      the chart's data

Every insight follows the reviews index's filters (`?keyword=domestic-abuse&year=2019&...`,
read by `collection.parse_filters`): the figures are counted from the index's sets of reviews
(collection.py), and "the query behind this chart" (queries/insights/{name}.rq) is the same
count in SPARQL with those filters written into it, opened in the query editor. A share that
rests on fewer than SMALL reviews is shown as counts, and the page says so.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, render_template, request, url_for
from markupsafe import Markup, escape

from reviewgraph.paths import REFERENCE_DIR
from reviewgraph.web import charts
from reviewgraph.web.charts import Bar, Hex, Panel, Stack
from reviewgraph.web.collection import (
    FACET_NAMES,
    FACETS,
    Collection,
    FacetValue,
    Result,
    parse_filters,
)
from reviewgraph.web.linkeddata import conditional
from reviewgraph.web.page_queries import WEB_DIR, PageQueries
from reviewgraph.web.site import Site
from reviewgraph.web.tables import csv_cell

QUERIES_DIR = WEB_DIR / "queries" / "insights"
MAP_FILE = REFERENCE_DIR / "maps" / "uk-local-authority-districts-2023.hexjson"
AUTHORITIES_FILE = REFERENCE_DIR / "mysociety_uk_local_authorities.csv"
SMALL = 5  # a share resting on fewer reviews than this is shown as counts
CHART_BARS = 12  # bars a ranked chart shows (its table and CSV have every row)
CHART_PANELS = 8  # themes the small multiples show
# Addressees naming the safeguarding partnership (or, before 2019, a safeguarding board):
# the same pattern as in recommendation-addressees.rq.
PARTNERSHIP = re.compile(r"partnership|safeguarding (children )?board|LSCB", re.IGNORECASE)
NATION_LETTERS = {"England": "E", "Wales": "W", "Scotland": "S", "Northern Ireland": "N"}
NOT_RECORDED = "not recorded"

# How each facet of the index selects reviews, in SPARQL (as collection-facets.rq defines
# the facets): written into an insight's query for each filter of the page.
_FILTER_PATHS = {
    "locality": "rg:locality",
    "keyword": "dcterms:subject",
    "theme": "(rg:hasLearningPoint|rg:hasRecommendation)/rg:learningTheme",
    "agency": "rg:mentionsAgency|rg:hasRecommendation/rg:addressedTo",
    "outcome": "rg:outcome|rg:incident/rg:outcome|rg:concernsChild/rg:outcome",
    "age": "rg:concernsChild/rg:ageBand",
    "type": "rg:reviewType",
    "report": "rg:reportType|rg:hasReport/rg:reportType",
}
_FILTERS_MARK = re.compile(r"^([ \t]*)# filters[ \t]*$", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- what a page is made of -------------------------------------------------------------------
@dataclass
class Figure:
    """One insight computed for a set of reviews: the chart, its table and its CSV."""

    chart: Markup
    sentence: str
    head: list[str]
    rows: list[list[Any]]  # table cells: text (escaped when shown) or Markup
    csv_head: list[str]
    csv_rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)
    extra: Markup = field(default_factory=lambda: Markup(""))
    text_columns: frozenset[int] = frozenset({0})  # the others hold numbers (right-aligned)
    lead: Markup = field(default_factory=lambda: Markup(""))  # above the chart (a switch)


@dataclass(frozen=True)
class Insight:
    name: str
    title: str
    question: str
    query: str  # its .rq file, without .rq
    draw: Callable[[Selection], Figure]


def share_text(count: int, base: int) -> str:
    """A share for people: a percentage, or "2 of 3" when it rests on fewer than SMALL."""
    if base < SMALL:
        return f"{count:,} of {base:,}"
    return f"{round(100 * count / base)}%" if base else ""


def _plural(count: int, word: str = "review") -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _link(href: str, text: str) -> Markup:
    return Markup(f'<a href="{escape(href)}">{escape(text)}</a>')


def _years_text(years: list[str]) -> str:
    """2019, 2020, 2021 -> "2019 to 2021" (runs of consecutive years joined)."""
    numbers = sorted({int(y) for y in years if y.isdigit()})
    runs: list[list[int]] = []
    for year in numbers:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    parts = [str(run[0]) if len(run) == 1 else f"{run[0]} to {run[-1]}" for run in runs]
    parts += [y for y in years if not y.isdigit()]
    return ", ".join(parts)


class Selection:
    """The request's filters applied to the index: which reviews, described for people, and
    links that keep the filters."""

    def __init__(self, collection: Collection, site: Site, query: str,
                 selection: dict[str, list[str]]) -> None:
        self.collection = collection
        self.site = site
        self.query = query
        self.selection = selection
        self.result: Result = collection.apply(query, selection)
        self.members = self.result.members
        self.total = self.result.total
        self.everything = len(collection.reviews)

    @property
    def filtered(self) -> bool:
        return bool(self.query.strip() or self.selection)

    def params(self, extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
        pairs = [("q", self.query)] if self.query else []
        for name, _ in FACETS:
            pairs += [(name, key) for key in self.selection.get(name, [])]
        for pair in extra:
            if pair not in pairs:
                pairs.append(pair)
        return pairs

    def href(self, endpoint: str, extra: Iterable[tuple[str, str]] = (), **values: Any) -> str:
        params = self.params(extra)
        return url_for(endpoint, **values) + ("?" + urlencode(params) if params else "")

    def reviews(self, *extra: tuple[str, str]) -> str:
        """The reviews index, filtered as this page is and by `extra` facet values."""
        return self.href("pages.reviews", extra)

    def describe(self) -> list[str]:
        """The filters in words, one a line ("Keyword: domestic abuse")."""
        lines = []
        if self.query:
            lines.append(f"Search: {self.query}")
        for name, values in self.result.selected.items():
            if name == "year":
                lines.append(f"Year: {_years_text([v.key for v in values])}")
            else:
                lines.append(f"{FACET_NAMES.get(name, name)}: "
                             + ", ".join(v.label for v in values))
        return lines


# --- the per-build tables insights need beyond the index --------------------------------------
@dataclass
class AddresseeGroup:
    key: str
    label: str
    href: str | None  # the agency's page
    planes: list[int] = field(default_factory=list)  # bit planes of recommendations a review

    def recommendations(self, members: int) -> int:
        return sum((members & plane).bit_count() << bit for bit, plane in enumerate(self.planes))

    def reviews(self, members: int) -> int:
        return (members & (self.planes_union())).bit_count()

    def planes_union(self) -> int:
        union = 0
        for plane in self.planes:
            union |= plane
        return union


def bit_planes(counts: dict[int, int]) -> list[int]:
    """Per-review counts as bit planes: plane k has review i's bit when its count has bit k,
    so the count over any set of reviews is a few big-int ANDs."""
    planes: list[int] = []
    for position, count in counts.items():
        bit = 0
        while count:
            if count & 1:
                while len(planes) <= bit:
                    planes.append(0)
                planes[bit] |= 1 << position
            count >>= 1
            bit += 1
    return planes


@dataclass
class MapArea:
    gss: str
    name: str
    q: int
    r: int
    county: str | None  # the county's GSS code, for a district of a two-tier county


class BuildTables:
    """What the insights read once per build besides the index: the recommendations'
    addressees and the localities' GSS codes; and the hex map, read once."""

    def __init__(self, site: Site, queries: PageQueries) -> None:
        collection = site.collection
        self.addressees = self._addressees(site, queries, collection)
        self.gss_of: dict[str, str] = {}
        for row in site.sparql.select(queries.bind("locality-codes")):
            if row["locality"] is not None and row["gss"] is not None:
                self.gss_of.setdefault(str(row["locality"]), str(row["gss"]))
        self.layout, self.areas = read_map()

    @staticmethod
    def _addressees(site: Site, queries: PageQueries, collection: Collection
                    ) -> list[AddresseeGroup]:
        agencies: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        texts: dict[str, list[str]] = defaultdict(list)
        review_of: dict[str, int] = {}
        labels: dict[str, str] = {}
        partnered: set[str] = set()  # recommendations addressed to a partnership it resolved
        for row in site.sparql.select(queries.bind("addressee-rows")):
            entry = collection.by_iri.get(str(row["review"]))
            if entry is None or row["recommendation"] is None:
                continue
            recommendation = str(row["recommendation"])
            review_of[recommendation] = entry.position
            # EXISTS gives true; Virtuoso writes the boolean as 1.
            if str(row.get("partnership")) in ("true", "1"):
                partnered.add(recommendation)
            elif row.get("agency") is not None:
                agency = str(row["agency"])
                agencies[recommendation]["agency"].add(agency)
                if row.get("agencyLabel") is not None:
                    labels[agency] = str(row["agencyLabel"])
            if row.get("text") is not None:
                texts[recommendation].append(str(row["text"]))
        counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for recommendation, position in review_of.items():
            to_agencies = agencies[recommendation]["agency"]
            partnership = recommendation in partnered or any(
                PARTNERSHIP.search(text) for text in texts[recommendation])
            for agency in to_agencies:
                counts[agency][position] += 1
            if partnership:
                counts["partnership"][position] += 1
            elif not to_agencies and texts[recommendation]:
                counts["other"][position] += 1
        groups = []
        for key, per_review in counts.items():
            if key == "partnership":
                group = AddresseeGroup(key, "the safeguarding partnership", None)
            elif key == "other":
                group = AddresseeGroup(key, "other addressees", None)
            else:
                group = AddresseeGroup(key, labels.get(key) or site.label(key), None)
            group.planes = bit_planes(per_review)
            groups.append(group)
        return groups


def read_map() -> tuple[str, list[MapArea]]:
    """The hex map's areas, each with the county it lies in (for two-tier counties)."""
    data = json.loads(MAP_FILE.read_text(encoding="utf-8"))
    county_code: dict[str, str] = {}
    gss_of_code: dict[str, str] = {}
    with AUTHORITIES_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["gss-code"]:
                gss_of_code[row["local-authority-code"]] = row["gss-code"]
                if row["county-la"]:
                    county_code[row["gss-code"]] = row["county-la"]
    areas = [MapArea(gss, str(hexagon.get("n") or gss), int(hexagon["q"]), int(hexagon["r"]),
                     gss_of_code.get(county_code.get(gss, "")))
             for gss, hexagon in data["hexes"].items()]
    return str(data.get("layout", "odd-r")), areas


# --- the insights -----------------------------------------------------------------------------
def _ordered_values(collection: Collection, facet: str, members: int
                    ) -> list[tuple[FacetValue, int]]:
    """Values of `facet` among `members`, with their counts, most first."""
    found = [(value, (members & value.members).bit_count())
             for value in collection.facets.get(facet, {}).values()]
    found = [(value, count) for value, count in found if count]
    found.sort(key=lambda pair: (-pair[1], pair[0].label.casefold()))
    return found


def _active_years(selection: Selection) -> list[tuple[int, int]]:
    """(year, reviews) from the first to the last year with a selected review."""
    years = selection.collection.per_year(selection.members)
    having = [index for index, (_, count) in enumerate(years) if count]
    return years[having[0]:having[-1] + 1] if having else []


def themes_over_time(selection: Selection) -> Figure:
    collection = selection.collection
    members = selection.members
    years = _active_years(selection)
    year_values = collection.facets["year"]
    themes = _ordered_values(collection, "theme", members)
    columns = [str(year) for year, _ in years]
    panels = []
    csv_rows: list[list[Any]] = []
    table_rows: list[list[Any]] = []
    small_years = [str(year) for year, count in years if 0 < count < SMALL]
    # Shares only when every year rests on enough reviews; else the chart draws counts.
    shares = not small_years
    for theme, total in themes:
        values: list[float | None] = []
        cells: list[Any] = [_link(selection.reviews(("theme", theme.key)), theme.label)]
        for year, base in years:
            count = (members & theme.members & year_values[str(year)].members).bit_count()
            values.append((count / base if base else None) if shares else float(count))
            csv_rows.append([year, theme.label, count, base,
                             f"{count / base:.4f}" if base >= SMALL else ""])
            cells.append(f"{count:,} ({share_text(count, base)})" if base else "–")
        shown = [(v, year) for v, (year, _) in zip(values, years, strict=True) if v is not None]
        peak = max(shown, default=None)
        if peak and peak[0]:
            most = f"{round(peak[0] * 100)}%" if shares else _plural(int(peak[0]))
            note = f"{_plural(total)}, most {most} in {peak[1]}"
        else:
            note = _plural(total)
        panels.append(Panel(theme.label, tuple(values), note))
        table_rows.append(cells)
    csv_rows.sort(key=lambda row: (row[0], -row[2], row[1]))
    notes = []
    if small_years:
        notes.append(f"Fewer than {SMALL} reviews in {_years_text(small_years)}: the table "
                     "shows those years' counts, not percentages, and the chart shows counts "
                     "for every year.")
    if len(panels) > CHART_PANELS:
        notes.append(f"The chart shows the {CHART_PANELS} most frequent of {len(panels)} "
                     "themes; the table and the CSV have them all.")
    what = "its share of each year's reviews" if shares else "how many reviews have it each year"
    chart = charts.small_multiples(
        "chart-themes-over-time", "Learning themes over time",
        f"For each of the most frequent learning themes, {what}, from "
        f"{columns[0] if columns else ''} to {columns[-1] if columns else ''}, on one scale.",
        columns, panels[:CHART_PANELS])
    return Figure(
        chart=chart,
        sentence=("For each learning theme, how many of each year's reviews have it, and what "
                  "share of that year's reviews that is. A review has a theme when one of its "
                  "learning points or recommendations has it; a review with several themes "
                  "counts for each."),
        head=["Theme", *[f"{year} ({base:,})" for year, base in years]],
        rows=table_rows,
        csv_head=["year", "theme", "reviews with the theme", "reviews that year", "share"],
        csv_rows=csv_rows, notes=notes,
        extra=_comparison(selection, themes))


def _comparison(selection: Selection, themes: list[tuple[FacetValue, int]]) -> Markup:
    """Each theme's share of the selected reviews beside its share of the whole collection,
    each side saying how many reviews it rests on."""
    if not selection.filtered:
        return Markup("")
    here, everything = selection.total, selection.everything
    rows = "".join(
        f"<tr><th scope=\"row\">{escape(theme.label)}</th>"
        f"<td class=\"num\">{count:,} ({escape(share_text(count, here))})</td>"
        f"<td class=\"num\">{theme.count:,} ({escape(share_text(theme.count, everything))})"
        f"</td></tr>" for theme, count in themes)
    note = (f"<p class=\"muted\">These reviews are fewer than {SMALL}: counts, not "
            "percentages.</p>" if here < SMALL else "")
    return Markup(
        f'<section aria-labelledby="comparison-heading"><h2 id="comparison-heading">These '
        f"reviews and the whole collection</h2>{note}"
        f'<div class="table-scroll" tabindex="0" role="region" aria-label="Comparison table">'
        f'<table class="compact"><thead><tr><th scope="col">Theme</th>'
        f'<th scope="col">These {escape(_plural(here))}</th>'
        f'<th scope="col">All {escape(_plural(everything))}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div></section>")


def theme_pairs(selection: Selection) -> Figure:
    collection = selection.collection
    members = selection.members
    themes = sorted((value for value, _ in _ordered_values(collection, "theme", members)),
                    key=lambda value: value.iri or value.key)
    pairs = []
    for index, first in enumerate(themes):
        both_first = members & first.members
        for second in themes[index + 1:]:
            count = (both_first & second.members).bit_count()
            if count:
                pairs.append((first, second, count))
    pairs.sort(key=lambda p: (-p[2], p[0].label.casefold(), p[1].label.casefold()))
    total = selection.total
    bars = [Bar(f"{a.label} + {b.label}", n, share_text(n, total) if total >= SMALL else "")
            for a, b, n in pairs[:CHART_BARS]]
    notes = []
    if total < SMALL:
        notes.append(f"These are fewer than {SMALL} reviews: counts, not percentages.")
    if len(pairs) > CHART_BARS:
        notes.append(f"The chart shows the {CHART_BARS} most frequent of {len(pairs):,} pairs; "
                     "the table and the CSV have them all.")
    rows = [[_link(selection.reviews(("theme", a.key), ("theme", b.key)),
                   f"{a.label} and {b.label}"), f"{n:,}", share_text(n, total)]
            for a, b, n in pairs]
    return Figure(
        chart=charts.bar_chart("chart-theme-pairs", "Learning themes that go together",
                               f"The {len(bars)} pairs of learning themes most often found in "
                               "the same review, with how many reviews have both.", bars),
        sentence=("Pairs of learning themes found in the same review, ranked by how many "
                  f"reviews have both (of the {_plural(total)} selected). Each pair links to "
                  "those reviews."),
        head=["Themes", "Reviews with both", f"Share of the {_plural(total)}"],
        rows=rows,
        csv_head=["theme", "other theme", "reviews with both", "reviews selected"],
        csv_rows=[[a.label, b.label, n, total] for a, b, n in pairs], notes=notes)


def addressees(selection: Selection) -> Figure:
    tables = _tables(selection.site)
    members = selection.members
    found = []
    for group in tables.addressees:
        recommendations = group.recommendations(members)
        if recommendations:
            found.append((group, recommendations, group.reviews(members)))
    found.sort(key=lambda g: (-g[1], g[0].label.casefold()))
    site = selection.site
    rows = []
    for group, recommendations, reviews in found:
        if group.key in ("partnership", "other"):
            name: Any = group.label
            reviews_cell: Any = f"{reviews:,}"
        else:
            href = site.href(group.key)
            name = _link(href + "#recs-heading", group.label) if href else group.label
            value = selection.collection.value_for_iri("agency", group.key)
            reviews_cell = (_link(selection.reviews(("agency", value.key)), f"{reviews:,}")
                            if value is not None else f"{reviews:,}")
        listed = selection.href("answers.answers", [("by", "addressee"),
                                                    ("addressee", group.key)])
        rows.append([name, _link(listed, f"{recommendations:,}"), reviews_cell])
    bars = [Bar(group.label, n) for group, n, _ in found[:CHART_BARS]]
    notes = []
    if len(found) > CHART_BARS:
        notes.append(f"The chart shows the {CHART_BARS} addressees with most recommendations "
                     f"of {len(found)}; the table and the CSV have them all.")
    return Figure(
        chart=charts.bar_chart("chart-addressees", "Whom recommendations are addressed to",
                               "Recommendations per addressee: agencies, the safeguarding "
                               "partnership and other addressees.", bars),
        sentence=("How many recommendations are addressed to each agency and to the "
                  "safeguarding partnership, and in how many reviews. A recommendation to "
                  "several addressees counts for each; \"other addressees\" are those not "
                  "matched to an agency or the partnership. Each count links to those "
                  "recommendations, each agency to its page."),
        head=["Addressed to", "Recommendations", "Reviews"],
        rows=rows,
        csv_head=["addressed to", "recommendations", "reviews"],
        csv_rows=[[group.label, n, reviews] for group, n, reviews in found], notes=notes)


def _age_order(value: FacetValue) -> tuple[int, str]:
    head = value.key.split("-", 1)[0]
    return (int(head) if head.isdigit() else -1 if head == "under" else 999, value.key)


def outcomes_by_age(selection: Selection) -> Figure:
    collection = selection.collection
    members = selection.members
    bands = sorted((v for v, _ in _ordered_values(collection, "age", members)), key=_age_order)
    outcomes = [v for v, _ in _ordered_values(collection, "outcome", members)]
    stacks = []
    rows = []
    csv_rows: list[list[Any]] = []
    counted = 0
    for band in bands:
        in_band = members & band.members
        parts = tuple((in_band & outcome.members).bit_count() for outcome in outcomes)
        stacks.append(Stack(band.label, parts, in_band.bit_count()))
        cells: list[Any] = [_link(selection.reviews(("age", band.key)), band.label)]
        for outcome, count in zip(outcomes, parts, strict=True):
            cells.append(_link(selection.reviews(("age", band.key), ("outcome", outcome.key)),
                               f"{count:,}") if count else "0")
            if count:
                csv_rows.append([band.label, outcome.label, count])
        rows.append(cells)
        for outcome in outcomes:
            counted |= in_band & outcome.members
    left_out = selection.total - counted.bit_count()
    notes = [f"{_plural(left_out)} of the {selection.total:,} record no age band or no "
             "outcome and are not counted."] if left_out else []
    return Figure(
        chart=charts.stacked_bar_chart(
            "chart-outcomes-by-age", "Outcomes by the child's age band",
            "Reviews per age band of the children they concern, each bar split by the "
            "outcome the review records.", [o.label for o in outcomes], stacks),
        sentence=("Reviews by the age band of the child they concern and the outcome they "
                  "record (for the child, the incident or the review). A review of children of "
                  "different ages, or with more than one outcome, counts under each."),
        head=["Age band", *[o.label for o in outcomes]],
        rows=rows,
        csv_head=["age band", "outcome", "reviews"], csv_rows=csv_rows, notes=notes)


def reviews_map(selection: Selection) -> Figure:
    collection = selection.collection
    tables = _tables(selection.site)
    site = selection.site
    localities = _ordered_values(collection, "locality", selection.members)
    by_gss: dict[str, tuple[FacetValue, int]] = {}
    for value, count in localities:
        gss = tables.gss_of.get(value.iri or "")
        if gss:
            by_gss[gss] = (value, count)
    highest = max((count for _, count in localities), default=0)
    bins = charts.count_bins(highest)
    on_map = {area.gss for area in tables.areas}
    shown_by_county = {area.county for area in tables.areas if area.county}
    hexes = []
    for area in tables.areas:
        own = by_gss.get(area.gss)
        county = by_gss.get(area.county) if area.county else None
        chosen = own or county
        if chosen is None:
            hexes.append(Hex(area.q, area.r, f"{area.name}: no reviews", charts.NONE_COLOUR))
            continue
        value, count = chosen
        where = area.name if chosen is own else f"{area.name} (in {value.label})"
        hexes.append(Hex(area.q, area.r, f"{where}: {_plural(count)}",
                         charts.bin_colour(count, bins),
                         site.href(value.iri) if value.iri else None))
    rows = []
    csv_rows = []
    not_shown = 0
    for value, count in localities:
        gss = tables.gss_of.get(value.iri or "", "")
        if gss in on_map:
            shown = "yes"
        elif gss in shown_by_county:
            shown = "as its districts"
        else:
            shown = "no (not on the 2023 map)"
            not_shown += count
        href = site.href(value.iri) if value.iri else None
        rows.append([_link(href, value.label) if href else value.label,
                     _link(selection.reviews(("locality", value.key)), f"{count:,}"), shown])
        csv_rows.append([value.label, gss, count])
    without = selection.total - (selection.members & _union(v for v, _ in localities)
                                 ).bit_count()
    notes = []
    if not_shown:
        notes.append(f"{_plural(not_shown)} are of areas the 2023 map does not show (former "
                     "areas): they are in the table.")
    if without:
        notes.append(f"{_plural(without)} name no locality (anonymous or unmatched) and are "
                     "not on the map.")
    return Figure(
        chart=charts.count_legend(bins) + Markup("\n") + charts.hex_map(
            "chart-map", "Reviews per area",
            "A hex map of UK local authority districts, each coloured by the number of "
            "reviews of its area; a county's districts show the county's reviews. Areas with "
            "reviews link to their pages.", tables.layout, hexes),
        sentence=("Reviews per local authority area, on a hex map of the UK's local authority "
                  "districts (every area the same size). A district of a two-tier county shows "
                  "its county's reviews; each coloured area links to its page. A review of "
                  "two areas counts for each."),
        head=["Area", "Reviews", "On the map"], rows=rows, text_columns=frozenset({0, 2}),
        csv_head=["area", "GSS code", "reviews"], csv_rows=csv_rows, notes=notes)


def _union(values: Iterable[FacetValue]) -> int:
    members = 0
    for value in values:
        members |= value.members
    return members


BREAKDOWNS = {"nation": ("region", "nation"), "type": ("type", "review type")}


def per_year(selection: Selection) -> Figure:
    by = request.args.get("by", "nation")
    if by not in BREAKDOWNS:
        by = "nation"
    facet, noun = BREAKDOWNS[by]
    collection = selection.collection
    members = selection.members
    series_values = [v for v, _ in _ordered_values(collection, facet, members)]
    recorded = _union(series_values)
    year_values = collection.facets["year"]
    stacks = []
    rows = []
    csv_rows: list[list[Any]] = []
    for year, total in reversed(_active_years(selection)):
        in_year = members & year_values[str(year)].members
        parts = [(in_year & value.members).bit_count() for value in series_values]
        parts.append((in_year & ~recorded).bit_count())
        stacks.append(Stack(str(year), tuple(parts), total))
        cells: list[Any] = [_link(selection.reviews(("year", str(year))), str(year))]
        for value, count in zip(series_values, parts, strict=False):
            cells.append(_link(selection.reviews(("year", str(year)), (facet, value.key)),
                               f"{count:,}") if count else "0")
            if count:
                csv_rows.append([year, value.label, count])
        cells.append(f"{parts[-1]:,}")
        if parts[-1]:
            csv_rows.append([year, "", parts[-1]])
        rows.append(cells)
    names = [v.label for v in series_values] + [NOT_RECORDED]
    choices = []
    for key, (_, label) in BREAKDOWNS.items():
        if key == by:
            choices.append(Markup(f"<strong>{escape(label)}</strong>"))
        else:
            choices.append(_link(selection.href("insights.insight", [("by", key)],
                                                name="per-year"), label))
    switch = Markup('<p class="switch">Split by: ') + Markup(" · ").join(choices) + \
        Markup("</p>")
    return Figure(
        chart=charts.stacked_bar_chart(
            f"chart-per-year-{by}", f"Reviews per year by {noun}",
            f"Reviews per year, newest first, each bar split by {noun}.", names, stacks,
            last_is_rest=True),
        sentence=(f"Reviews per year, split by {noun}"
                  + (" (from the locality's ONS code: England, Wales, Scotland or Northern "
                     "Ireland)" if by == "nation" else "")
                  + f". \"{NOT_RECORDED.capitalize()}\": reviews with no {noun} in the graph."),
        head=["Year", *names], rows=rows,
        csv_head=["year", noun, "reviews"], csv_rows=csv_rows, lead=switch)


INSIGHTS = [
    Insight("themes-over-time", "Learning themes over time",
            "Which learning themes keep coming back, and how does that change over the years?",
            "themes-over-time", themes_over_time),
    Insight("theme-pairs", "Themes that go together",
            "Which learning themes are found in the same reviews?", "theme-pairs", theme_pairs),
    Insight("addressees", "Whom recommendations are addressed to",
            "Which agencies, and how often the safeguarding partnership, do recommendations "
            "address?", "recommendation-addressees", addressees),
    Insight("outcomes-by-age", "Outcomes by the child's age",
            "What happened to children of each age band?", "outcomes-by-age", outcomes_by_age),
    Insight("map", "Reviews per area",
            "Where do reviews come from?", "reviews-per-area", reviews_map),
    Insight("per-year", "Reviews per year by nation and review type",
            "How many reviews each year, from which nation, of which type?",
            "reviews-per-year-by-nation", per_year),
]
BY_NAME = {insight.name: insight for insight in INSIGHTS}


# --- the query behind a chart -----------------------------------------------------------------
def filter_lines(selection: Selection) -> list[str]:
    """The page's filters as SPARQL lines about ?review (see _FILTER_PATHS)."""
    lines = []
    if selection.query.strip():
        words = _CONTROL.sub(" ", selection.query)
        lines.append(f"# and the search \"{words}\": the index's word search, not written "
                     "here in SPARQL")
    for name, values in selection.result.selected.items():
        if name == "year":
            years = ", ".join(f'"{int(v.key)}"' for v in values if v.key.isdigit())
            lines.append("FILTER EXISTS { ?review rg:year ?filterYear . "
                         f"FILTER(SUBSTR(STR(?filterYear), 1, 4) IN ({years})) }}")
            continue
        for value in values:
            if name == "region" and value.key in NATION_LETTERS:
                lines.append("FILTER EXISTS { ?review rg:locality/rg:gssCode ?filterCode . "
                             f'FILTER(STRSTARTS(?filterCode, "{NATION_LETTERS[value.key]}")) }}')
            elif name in _FILTER_PATHS and value.iri and not _CONTROL.search(value.iri) \
                    and not any(c in value.iri for c in '<>"{}|^`\\ '):
                lines.append(f"FILTER EXISTS {{ ?review {_FILTER_PATHS[name]} <{value.iri}> }}")
            else:
                lines.append("FILTER(false)  # a value the index does not know")
    return lines


def bound_query(text: str, selection: Selection) -> str:
    lines = filter_lines(selection)

    def replace(match: re.Match[str]) -> str:
        indent = match.group(1)
        if not lines:
            return f"{indent}# filters: none"
        return "\n".join(indent + line for line in lines)

    return _FILTERS_MARK.sub(replace, text)


# --- CSV --------------------------------------------------------------------------------------
def figure_csv(figure: Figure) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(figure.csv_head)
    for row in figure.csv_rows:
        writer.writerow([csv_cell(str(cell)) for cell in row])
    return out.getvalue()


# --- the blueprint ----------------------------------------------------------------------------
_PER_BUILD_LOCK = threading.RLock()
T = TypeVar("T")


def per_build(site: Site, attribute: str, make: Callable[[], T]) -> T:
    """What `make` makes, once for the site's build (kept on the site, which lives as long
    as the build it serves)."""
    found = getattr(site, attribute, None)
    if found is None:
        with _PER_BUILD_LOCK:
            found = getattr(site, attribute, None)
            if found is None:
                found = make()
                setattr(site, attribute, found)
    return found


def _tables(site: Site) -> BuildTables:
    return per_build(site, "_insight_tables", lambda: BuildTables(site, _queries(site)))


def _queries(site: Site) -> PageQueries:
    return per_build(site, "_insight_queries", lambda: PageQueries(QUERIES_DIR))


def selection_of(site: Site) -> Selection:
    """The request's filters (the index's, read by its own parser) applied."""
    query, chosen = parse_filters(request.args)
    return Selection(site.collection, site, query, chosen)


def remembered(site: Site, key: tuple[str, ...], produce: Callable[[], Response]) -> Response:
    """The response for `key`, made once per build (pages change only with the build); a
    client holding the current one gets 304 before anything is made."""

    def make() -> tuple[bytes, str, str | None]:
        response = produce()
        return (response.get_data(), response.mimetype or "text/html",
                response.headers.get("Content-Disposition"))

    def respond() -> Response:
        body, mimetype, disposition = site.pages.get((request.url_root, *key), make)
        response = Response(body, mimetype=mimetype)
        if disposition:
            response.headers["Content-Disposition"] = disposition
        return response

    return conditional(request, site.stamp, key, respond)


def csv_download(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def register_insights(app: Flask, site: Site) -> None:
    """Add /insights and the insight pages to `app`, over the pages' shared `site`."""
    app.register_blueprint(create_blueprint(site))


def create_blueprint(site: Site) -> Blueprint:
    bp = Blueprint("insights", __name__, template_folder="templates")
    queries = _queries(site)

    def selection() -> Selection:
        return selection_of(site)

    def cached(key: tuple[str, ...], produce: Callable[[], Response]) -> Response:
        return remembered(site, ("insights", *key), produce)

    def query_link(name: str, chosen: Selection) -> dict[str, str]:
        text = bound_query(queries.texts[name], chosen)
        return {"title": "The query behind this chart", "name": f"{name}.rq",
                "href": request.script_root + "/sparql?" + urlencode({"query": text})}

    @bp.route("/insights")
    def index() -> Response:
        key = ("index", request.query_string.decode("latin-1"))

        def produce() -> Response:
            chosen = selection()
            items = [{"title": i.title, "question": i.question,
                      "href": chosen.href("insights.insight", name=i.name)} for i in INSIGHTS]
            body = render_template("insights/index.html", title="Insights", items=items,
                                   filters=chosen.describe(), total=chosen.total,
                                   everything=chosen.everything,
                                   index_link=chosen.reviews(),
                                   clear_link=url_for("insights.index"),
                                   alternates=[], queries=[], jsonld=None)
            return Response(body, mimetype="text/html")

        return cached(key, produce)

    @bp.route("/insights/<name>")
    def insight(name: str) -> Response:
        found = BY_NAME.get(name.removesuffix(".csv"))
        if found is None:
            body = render_template("pages/not_found.html", what=f"/insights/{name}",
                                   title="Not found", alternates=[], queries=[], jsonld=None)
            return Response(body, status=404, mimetype="text/html")
        if name.endswith(".csv"):
            key = ("insight-csv", found.name, request.query_string.decode("latin-1"))
            return cached(key, lambda: csv_download(figure_csv(found.draw(selection())),
                                                    f"{found.name}.csv"))
        key = ("insight", name, request.query_string.decode("latin-1"))

        def produce() -> Response:
            chosen = selection()
            figure = found.draw(chosen)
            query_name = found.query
            if name == "per-year" and request.args.get("by") == "type":
                query_name = "reviews-per-year-by-type"
            query = query_link(query_name, chosen)
            extra = [("by", request.args["by"])] if request.args.get("by") in BREAKDOWNS else []
            csv_href = (url_for("insights.insight", name=f"{name}.csv") + "?"
                        + urlencode(chosen.params(extra))).rstrip("?")
            body = render_template(
                "insights/insight.html", title=found.title, insight=found, figure=figure,
                filters=chosen.describe(), total=chosen.total, everything=chosen.everything,
                index_link=chosen.reviews(), clear_link=url_for("insights.insight", name=name),
                all_link=chosen.href("insights.index"), query=query, csv_href=csv_href,
                table_rows=[[cell if isinstance(cell, Markup) else escape(cell)
                             for cell in row] for row in figure.rows],
                alternates=[{"name": "CSV (the chart's data)", "type": "text/csv",
                             "href": csv_href}],
                queries=[query], jsonld=None)
            return Response(body, mimetype="text/html")

        return cached(key, produce)

    return bp


__all__ = ["INSIGHTS", "register_insights", "share_text"]
