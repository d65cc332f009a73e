"""What a review's page shows: its children, learning, recommendations, incident, sources,
reports, provenance and related reviews (review-parts.rq), and its schema.org description."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rdflib.namespace import DCTERMS

from reviewgraph.terms import RG_IRI, SCHEMA
from reviewgraph.web.collection import Iri, ReviewEntry
from reviewgraph.web.provenance import review_provenance
from reviewgraph.web.render import human_age
from reviewgraph.web.site import Description, Site, entry_view

REVIEW_SHOWN = {
    str(DCTERMS.title), str(DCTERMS.abstract), RG_IRI + "background",
    RG_IRI + "concernsChild", RG_IRI + "hasLearningPoint", RG_IRI + "hasRecommendation",
    str(DCTERMS.subject), RG_IRI + "locality", RG_IRI + "partnership", RG_IRI + "year",
    RG_IRI + "incident", RG_IRI + "sourceExtract", RG_IRI + "hasReport",
    RG_IRI + "mentionsAgency", RG_IRI + "reviewType", RG_IRI + "reportType",
    RG_IRI + "mentionsPlace",
}


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
    reports: list[dict[str, Any]] = [{"href": site.href(r["iri"]),
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
        "issued": description.first(str(DCTERMS.issued)),  # 2024-02: "February 2024"
        "summary": description.first(str(DCTERMS.abstract)),
        "background": description.first(RG_IRI + "background"),
        "locality": views(RG_IRI + "locality"),
        "place": place_as_written(description, views(RG_IRI + "locality")),
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


def place_as_written(description: Description, localities: list[dict[str, Any]]
                     ) -> str | None:
    """The place as the review names it ("West Glamorgan") when that is not simply its one
    locality: the page then names it so, with its areas beneath."""
    written = description.first(RG_IRI + "localityAsWritten")
    if written is None:
        return None
    if len(localities) == 1 and localities[0]["label"] == str(written):
        return None
    return str(written)


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
