"""What a locality, agency or concept page adds: its reviews (paged), reviews per year,
what co-occurs with it or how its profile compares, its place in its scheme, its mappings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import url_for
from rdflib import URIRef
from rdflib.namespace import RDFS, SKOS

from reviewgraph.links import target_of
from reviewgraph.terms import RG_IRI
from reviewgraph.web.collection import FacetValue
from reviewgraph.web.render import paging, year_chart
from reviewgraph.web.site import (
    PAGE_SIZE,
    Backlinks,
    Description,
    Site,
    entry_view,
    index_link,
    review_value,
)
from reviewgraph.web.views.common import positive_int


def partnerships(site: Site, iri: str, links: Backlinks) -> list[dict[str, Any]]:
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
            for facet in COOCCURRING}
    return {
        "reviews": [entry_view(site, e) for e in entries],
        "reviews_total": value.count,
        "reviews_paging": paging(page_number, value.count, PAGE_SIZE),
        "index_link": index_link(value.facet, value.key),
        "answers_link": url_for("answers.answers") + "?"
        + urlencode({value.facet: value.key}),
        "year_counts": chart,
        "cooccurring": cooccurring,
        "cooccurring_more": {facet: more_values(site, value, facet) for facet in COOCCURRING},
    }


COOCCURRING = ("theme", "keyword")
SHOWN = 10  # values a co-occurrence list or profile shows


def more_values(site: Site, value: FacetValue, facet: str) -> dict[str, Any] | None:
    """How many more values of `facet` the reviews of `value` have than a list of SHOWN
    shows, and a link to all of them (the reviews index, that facet in full); None if none."""
    collection = site.collection
    total = len(collection.cooccurring(value.members, facet, value, len(collection.reviews)
                                       + len(collection.facets.get(facet, {})),
                                       value.positions))
    if total <= SHOWN:
        return None
    params: dict[str, Any] = {value.facet: value.key, "more": facet}
    return {"count": total - SHOWN, "total": total,
            "href": url_for("pages.reviews", **params) + f"#facet-{facet}"}


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
