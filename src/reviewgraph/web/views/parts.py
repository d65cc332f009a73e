"""What the page of a part of a review says, written as a page rather than a table: a
recommendation's or learning point's text first, then whom it is for, the review, its themes;
a child's pseudonym, age in words, sex, age band, outcome and when; a report's type and where
to read it. Each names the review it comes from (part-review.rq)."""

from __future__ import annotations

from typing import Any

from rdflib.namespace import DCTERMS

from reviewgraph.terms import RG_IRI, SCHEMA
from reviewgraph.web.render import human_age
from reviewgraph.web.site import Description, Site, entry_view

_TEXT = str(SCHEMA.text)


def part_context(site: Site, iri: str, description: Description) -> dict[str, Any]:
    def views(prop: str) -> list[dict[str, Any]]:
        return sorted((site.value_view(v, label) for v, label in description.all(prop)),
                      key=lambda view: str(view["label"]).casefold())

    def first(prop: str) -> str | None:
        value = description.first(prop)
        return str(value) if value is not None else None

    rows = site.cached_select("part-review", iri)
    review = None
    incident_date = None
    if rows:
        entry = site.collection.by_iri.get(str(rows[0]["review"]))
        if entry is not None:
            review = entry_view(site, entry)
        if rows[0].get("incidentDate") is not None:
            incident_date = str(rows[0]["incidentDate"])
    age = first(RG_IRI + "age")
    return {"part": {
        "text": first(_TEXT),
        "themes": views(RG_IRI + "learningTheme"),
        "theme_matches": sorted(str(v) for v, _ in description.all(RG_IRI + "themeMatch")),
        "children": views(RG_IRI + "specificToChild"),
        "agencies": views(RG_IRI + "addressedTo"),
        "addressees": sorted(str(v) for v, _ in description.all(RG_IRI + "addressee")),
        "review": review,
        "pseudonym": first(RG_IRI + "pseudonym"),
        "age": human_age(age) if age is not None else None,
        "sex": [view["label"] for view in views(str(SCHEMA.gender))],
        "age_band": views(RG_IRI + "ageBand"),
        "outcome": views(RG_IRI + "outcome"),
        "date": incident_date,
        "report_type": views(RG_IRI + "reportType"),
        "url": first(str(SCHEMA.url)),
        "description": first(str(DCTERMS.description)),
    }}
