"""Answers as sets: the learning and recommendations of the reviews the index's filters select,
on one page, and as CSV.

    /reviews/answers                       grouped by review (paged), or `?by=addressee`:
                                           each addressee's recommendations (`&addressee=`
                                           one addressee, paged)
    /reviews/answers/reviews.csv           the selected reviews (the columns of reviews.csv)
    /reviews/answers/recommendations.csv   their recommendations: review, addressees, text

Filters are the index's (`collection.parse_filters`); the parts of every review are read
once per build by `answers-parts.rq`.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, render_template, request, url_for

from reviewgraph.web.insights import (
    PARTNERSHIP,
    QUERIES_DIR,
    Selection,
    bit_planes,
    csv_download,
    per_build,
    remembered,
    selection_of,
)
from reviewgraph.web.page_queries import PageQueries
from reviewgraph.web.site import Site
from reviewgraph.web.tables import csv_cell, reviews_csv

PAGE_SIZE = 20  # reviews a page, or recommendations a page of one addressee
_FEW_MEMBERS = 5_000  # a selection this small is tested as a set of positions
GROUP_PREVIEW = 5  # recommendations shown under each addressee before "all N"
PARTNERSHIP_KEY = "partnership"
OTHER_KEY = "other"
NONE_KEY = "none"
GROUP_LABELS = {PARTNERSHIP_KEY: "the safeguarding partnership",
                OTHER_KEY: "other addressees", NONE_KEY: "no addressee named"}


@dataclass
class Part:
    """A learning point or recommendation of one review."""

    href: str | None
    text: str
    position: int
    agencies: dict[str, str] = field(default_factory=dict)  # IRI -> label
    addressees: list[str] = field(default_factory=list)  # as written

    def groups(self) -> list[str]:
        """The addressee groups of a recommendation (as the addressees insight counts)."""
        found = list(self.agencies)
        if any(PARTNERSHIP.search(text) for text in self.addressees):
            found.append(PARTNERSHIP_KEY)
        elif not self.agencies:
            found.append(OTHER_KEY if self.addressees else NONE_KEY)
        return found


@dataclass
class ReviewParts:
    learning: list[Part] = field(default_factory=list)
    recommendations: list[Part] = field(default_factory=list)


class PartsTable:
    """Every review's learning points and recommendations, read once per build."""

    def __init__(self, site: Site) -> None:
        collection = site.collection
        self.parts: dict[int, ReviewParts] = defaultdict(ReviewParts)
        self.labels: dict[str, str] = {}
        found: dict[str, Part] = {}
        queries = PageQueries(QUERIES_DIR)
        for row in site.sparql.select(queries.bind("answers-parts")):
            entry = collection.by_iri.get(str(row["review"]))
            if entry is None or row["part"] is None:
                continue
            iri = str(row["part"])
            part = found.get(iri)
            if part is None:
                position = str(row.get("position") or "0")
                part = Part(site.href(iri), str(row.get("text") or ""),
                            int(position) if position.isdigit() else 0)
                found[iri] = part
                reviews = self.parts[entry.position]
                (reviews.learning if str(row["kind"]) == "learning"
                 else reviews.recommendations).append(part)
            if row.get("agency") is not None:
                agency = str(row["agency"])
                label = str(row.get("agencyLabel") or site.label(agency))
                part.agencies[agency] = label
                self.labels[agency] = label
            addressee = row.get("addressee")
            if addressee is not None and str(addressee) not in part.addressees:
                part.addressees.append(str(addressee))
        for reviews in self.parts.values():
            reviews.learning.sort(key=lambda p: (p.position, p.text))
            reviews.recommendations.sort(key=lambda p: (p.position, p.text))
        # Each addressee's recommendations, newest review first, and how many each review
        # makes as bit planes: a filtered count is then a few big-int ANDs, and a preview
        # reads only until it has enough.
        self.by_group: dict[str, list[tuple[int, Part]]] = defaultdict(list)
        per_review: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for review in sorted(self.parts):
            for part in self.parts[review].recommendations:
                for group in part.groups():
                    self.by_group[group].append((review, part))
                    per_review[group][review] += 1
        self.planes = {group: bit_planes(counts) for group, counts in per_review.items()}
        self._last_few: tuple[int, set[int]] | None = None

    def count(self, group: str, members: int) -> int:
        return sum((members & plane).bit_count() << bit
                   for bit, plane in enumerate(self.planes.get(group, [])))

    def items(self, group: str, members: int, start: int, stop: int
              ) -> list[tuple[int, Part]]:
        """The group's recommendations among `members`, newest first, [start:stop]."""
        found = []
        index = 0
        # A few reviews chosen (a narrow filter): look them up in a set, since the walk may
        # pass every one of the group's tens of thousands of recommendations and testing a bit
        # of a 100,000-bit number shifts all of it. Many chosen: the walk stops early.
        few = self._few(members)
        for position, part in self.by_group.get(group, []):
            if position in few if few is not None else members >> position & 1:
                if index >= start:
                    found.append((position, part))
                    if len(found) >= stop - start:
                        break
                index += 1
        return found

    def _few(self, members: int) -> set[int] | None:
        """`members` as a set of positions when they are few (the last set made is kept: a
        page asks for every group's items with the same selection)."""
        if members.bit_count() > _FEW_MEMBERS:
            return None
        last = self._last_few
        if last is None or last[0] != members:
            last = (members, set(_positions(members)))
            self._last_few = last
        return last[1]

    def label(self, key: str) -> str:
        return GROUP_LABELS.get(key) or self.labels.get(key, key)


def parts_table(site: Site) -> PartsTable:
    return per_build(site, "_answers_parts", lambda: PartsTable(site))


def _positions(members: int) -> list[int]:
    """The set's reviews, newest first (bit i is the i-th newest)."""
    found = []
    while members:
        low = members & -members
        found.append(low.bit_length() - 1)
        members ^= low
    return found


def recommendations_csv(site: Site, members: int) -> str:
    collection = site.collection
    table = parts_table(site)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["review", "review title", "year", "addressed to", "addressees as written",
                     "recommendation"])
    for position in _positions(members):
        entry = collection.reviews[position]
        for part in table.parts[position].recommendations:
            addressed = sorted({table.label(key) for key in part.groups()}, key=str.casefold)
            writer.writerow([csv_cell(entry.iri), csv_cell(entry.title), entry.year,
                             csv_cell("; ".join(addressed)), csv_cell("; ".join(part.addressees)),
                             csv_cell(part.text)])
    return out.getvalue()


def register_answers(app: Flask, site: Site) -> None:
    app.register_blueprint(create_blueprint(site))


def create_blueprint(site: Site) -> Blueprint:
    bp = Blueprint("answers", __name__, template_folder="templates")

    def selection() -> Selection:
        return selection_of(site)

    def cached(key: tuple[str, ...], produce: Callable[[], Response]) -> Response:
        return remembered(site, ("answers", *key), produce)

    def page_number() -> int:
        try:
            return max(1, int(request.args.get("page", 1)))
        except ValueError:
            return 1

    @bp.route("/reviews/answers")
    def answers() -> Response:
        key = ("answers", request.query_string.decode("latin-1"))
        return cached(key, build_answers)

    def build_answers() -> Response:
        chosen = selection()
        table = parts_table(site)
        collection = site.collection
        by = "addressee" if request.args.get("by") == "addressee" else "review"
        only = request.args.get("addressee")
        number = page_number()
        context: dict[str, Any] = {"by": by, "reviews": [], "groups": [], "paging": None}

        def link(**extra: str) -> str:
            pairs = chosen.params([(k, v) for k, v in extra.items() if v])
            return url_for("answers.answers") + ("?" + urlencode(pairs) if pairs else "")

        def review_view(position: int) -> dict[str, Any]:
            entry = collection.reviews[position]
            return {"title": entry.title, "href": site.href(entry.iri), "year": entry.year,
                    "locality": collection.locality_of[position]}

        if by == "review":
            pages = max(1, math.ceil(chosen.total / PAGE_SIZE))
            for entry in collection.page(chosen.members, "newest", (number - 1) * PAGE_SIZE,
                                         PAGE_SIZE):
                position = entry.position
                parts = table.parts.get(position, ReviewParts())
                context["reviews"].append({
                    "review": review_view(position), "learning": parts.learning,
                    "recommendations": [addressed(table, part)
                                        for part in parts.recommendations]})
            context["paging"] = _paging(number, pages, lambda n: link(page=str(n)))
        else:
            counts = {group: table.count(group, chosen.members) for group in table.by_group}
            order = sorted((g for g, n in counts.items() if n),
                           key=lambda g: (-counts[g], table.label(g).casefold()))
            if only:
                order = [g for g in order if g == only]
            for group in order:
                count = counts[group]
                if only:
                    pages = max(1, math.ceil(count / PAGE_SIZE))
                    shown = table.items(group, chosen.members, (number - 1) * PAGE_SIZE,
                                        number * PAGE_SIZE)
                    context["paging"] = _paging(number, pages, lambda n: link(
                        by="addressee", addressee=only, page=str(n)))
                else:
                    shown = table.items(group, chosen.members, 0, GROUP_PREVIEW)
                context["groups"].append({
                    "label": table.label(group), "count": count,
                    "href": site.href(group) if group in table.labels else None,
                    "all": link(by="addressee", addressee=group)
                    if not only and count > GROUP_PREVIEW else None,
                    "items": [{"review": review_view(position), "text": part.text,
                               "part_href": part.href} for position, part in shown]})
        body = render_template(
            "insights/answers.html", title="Learning and recommendations",
            narrow_what="these lists",
            filters=chosen.describe(), total=chosen.total, everything=chosen.everything,
            index_link=chosen.reviews(), clear_link=url_for("answers.answers"),
            by_review=link(), by_addressee=link(by="addressee"),
            all_groups=link(by="addressee") if only else None,
            reviews_csv=url_for("answers.reviews_download") + _query(chosen),
            recommendations_csv=url_for("answers.recommendations_download") + _query(chosen),
            alternates=[{"name": "CSV (these reviews)", "type": "text/csv",
                         "href": url_for("answers.reviews_download") + _query(chosen)},
                        {"name": "CSV (their recommendations)", "type": "text/csv",
                         "href": url_for("answers.recommendations_download") + _query(chosen)}],
            queries=[{"title": "Learning points and recommendations (read once per build)",
                      "name": "answers-parts.rq",
                      "href": request.script_root + "/sparql?" + urlencode(
                          {"query": PageQueries(QUERIES_DIR).texts["answers-parts"]})}],
            jsonld=None, **context)
        return Response(body, mimetype="text/html")

    @bp.route("/reviews/answers/reviews.csv")
    def reviews_download() -> Response:
        key = ("answers-reviews-csv", request.query_string.decode("latin-1"))

        return cached(key, lambda: csv_download(reviews_csv(site, selection().members),
                                                "reviews.csv"))

    @bp.route("/reviews/answers/recommendations.csv")
    def recommendations_download() -> Response:
        key = ("answers-recommendations-csv", request.query_string.decode("latin-1"))

        return cached(key, lambda: csv_download(recommendations_csv(site, selection().members),
                                                "recommendations.csv"))

    return bp


def addressed(table: PartsTable, part: Part) -> dict[str, Any]:
    return {"text": part.text, "href": part.href,
            "to": sorted({table.label(key) for key in part.groups()}, key=str.casefold)}


def _query(chosen: Selection) -> str:
    pairs = chosen.params()
    return "?" + urlencode(pairs) if pairs else ""


def _paging(number: int, pages: int, link: Callable[[int], str]) -> dict[str, Any]:
    return {"page": number, "pages": pages,
            "previous": link(number - 1) if number > 1 else None,
            "next": link(number + 1) if number < pages else None}
