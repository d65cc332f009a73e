"""What an agency page adds: the recommendations addressed to it and those that name it, each
list newest first and a page at a time (?addressed=N, ?named=N), saying how many there are.

Which recommendations an agency has comes from the per-build index (`Site.agency_recommendations`),
so a page of them is a slice of a list sorted once, and one bounded query
(agency-recommendation-details) reads that page's texts and reviews: at 100,000 reviews an
agency has up to tens of thousands of recommendations, and sorting them per request took 2 s.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode

from flask import request

from reviewgraph.web.collection import Iri
from reviewgraph.web.render import paging
from reviewgraph.web.site import Site
from reviewgraph.web.views.common import positive_int

RECOMMENDATION_PAGE = 20
RELATIONS = ("addressed", "named")


def agency_recommendations(site: Site, iri: str) -> dict[str, dict[str, Any]]:
    """Per relation ("addressed", "named"): one page of recommendations (text, link, review,
    year), their total, and the pager that links to the rest."""
    index = site.agency_recommendations
    listed = index.listed.get(iri, {})
    pages: dict[str, dict[str, Any]] = {}
    for relation in RELATIONS:
        recommendations = listed.get(relation, [])
        total = len(recommendations)
        last_page = max(1, -(-total // RECOMMENDATION_PAGE))
        number = min(last_page, max(1, positive_int(relation, 1)))
        start = (number - 1) * RECOMMENDATION_PAGE
        pages[relation] = {
            "iris": recommendations[start:start + RECOMMENDATION_PAGE], "total": total,
            "first": start + 1, "last": min(total, start + RECOMMENDATION_PAGE),
            "paging": paging(number, total, RECOMMENDATION_PAGE, partial(_page_link, relation))}
    shown = [recommendation for page in pages.values() for recommendation in page["iris"]]
    details = {str(row["recommendation"]): row for row in site.sparql.select(
        site.queries.bind_values("agency-recommendation-details", "recommendation", shown))
        } if shown else {}
    for page in pages.values():
        page["items"] = [_recommendation_view(site, details[recommendation],
                                              index.via.get((iri, recommendation)))
                         for recommendation in page.pop("iris") if recommendation in details]
    return pages


def _recommendation_view(site: Site, row: dict[str, Any], via: Iri | None) -> dict[str, Any]:
    """A recommendation as listed; `via`: the organisation of this kind it came through."""
    return {"text": str(row["text"] or ""), "href": site.href(str(row["recommendation"])),
            "review": site.value_view(row["review"], row.get("reviewLabel")),
            "year": str(row["year"]), "via": site.value_view(via) if via else None}


def _page_link(relation: str, number: int) -> str:
    """This page with the other arguments kept and `relation`'s list at page `number`."""
    args = {name: value for name, value in request.args.items() if name != relation}
    if number > 1:
        args[relation] = str(number)
    anchor = "#recs-heading" if relation == "addressed" else "#named-heading"
    if not args:
        return request.script_root + request.path + anchor
    return "?" + urlencode(args) + anchor
