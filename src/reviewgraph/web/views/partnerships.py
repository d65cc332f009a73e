"""What a safeguarding partnership's page shows: what it is, the areas it covers, its member
councils, and the reviews it published (partnership-reviews.rq), newest first, with their
years and themes."""

from __future__ import annotations

from typing import Any

from rdflib.namespace import RDFS, SKOS

from reviewgraph.terms import RG_IRI
from reviewgraph.web.render import paging, year_chart
from reviewgraph.web.site import PAGE_SIZE, Description, Site, entry_view, review_value
from reviewgraph.web.views.common import positive_int

_ORG_HAS_MEMBER = "http://www.w3.org/ns/org#hasMember"
ALL = 1 << 30  # a partnership's few reviews: every theme and keyword they have, none cut


def partnership_context(site: Site, iri: str, description: Description) -> dict[str, Any]:
    def views(prop: str) -> list[dict[str, Any]]:
        return sorted((site.value_view(v, label) for v, label in description.all(prop)),
                      key=lambda view: str(view["label"]).casefold())

    collection = site.collection
    members = 0
    for row in site.cached_select("partnership-reviews", iri):
        entry = collection.by_iri.get(str(row["review"]))
        if entry is not None:
            members |= 1 << entry.position
    total = members.bit_count()
    page_number = max(1, positive_int("page", 1))
    entries = collection.page(members, "newest", (page_number - 1) * PAGE_SIZE, PAGE_SIZE)
    about = description.first(str(SKOS.definition), str(RDFS.comment))
    return {
        "about": str(about) if about is not None else None,
        "alt_labels": sorted({str(v) for v, _ in description.all(str(SKOS.altLabel))}),
        "areas": views(RG_IRI + "covers"),
        "councils": views(_ORG_HAS_MEMBER),
        "reviews": [entry_view(site, e) for e in entries],
        "reviews_total": total,
        "reviews_paging": paging(page_number, total, PAGE_SIZE),
        "index_link": None, "answers_link": None,
        "year_counts": year_chart(collection.per_year(members)) if total else None,
        "cooccurring": {facet: [(review_value(site, v), n) for v, n in
                                collection.cooccurring(members, facet, None, ALL)]
                        for facet in ("theme", "keyword")} if total else None,
        "cooccurring_more": {},
    }
