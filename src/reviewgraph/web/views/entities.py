"""Dereferencing and entity pages: /id/{path} (303 or the document itself, by Accept),
/page/{path} (the HTML page about an entity), /data/{path} (its RDF description).

An entity's page is chosen by its kind: a review (review_page.py), a locality, agency or
concept (concepts.py), or any other entity (its statements and what links to it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyoxigraph
from flask import Response, request
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from reviewgraph.terms import RG_IRI
from reviewgraph.web.linkeddata import (
    HTML,
    RDF_FORMATS,
    conditional,
    format_from_query,
    negotiate,
    see_other,
    split_suffix,
)
from reviewgraph.web.site import (
    CASE_CONTENT_KINDS,
    PART_TYPES,
    Description,
    Site,
    backlinks,
    describe,
    in_words,
    own_label,
    page_kind,
    serialisation_prefixes,
    statements,
)
from reviewgraph.web.views.agency import agency_recommendations
from reviewgraph.web.views.common import (
    alternates_for,
    current_site,
    not_found,
    positive_int,
    query_links,
    remembered,
    render,
)
from reviewgraph.web.views.concepts import (
    concept_context,
    concept_jsonld,
    locality_profile,
    partnerships,
    subset_context,
)
from reviewgraph.web.views.directories import concept_list
from reviewgraph.web.views.partnerships import partnership_context
from reviewgraph.web.views.parts import part_context
from reviewgraph.web.views.review_page import REVIEW_SHOWN, review_context, review_jsonld


def thing(local: str) -> Response:
    site = current_site()
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

def page(local: str) -> Response:
    site = current_site()
    iri = site.iris.iri(local)
    fmt = format_from_query(request)
    if fmt is not None and fmt != HTML:
        return see_other(request, site.iris.data_path(local, fmt), vary_accept=False)
    if iri is None:
        return not_found(local)
    return entity_page(local, iri)

def data(local: str) -> Response:
    site = current_site()
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
    site = current_site()
    rdf_format = RDF_FORMATS[fmt]

    def produce() -> Response:
        triples = site.sparql.construct(site.queries.bind("entity-data", iri))
        if not triples:
            return not_found(iri, fmt)
        body = pyoxigraph.serialize(triples, format=rdf_format.oxigraph,
                                    prefixes=serialisation_prefixes(site))
        return Response(body, mimetype=rdf_format.media_type)

    return conditional(request, site.stamp, ("data", local, fmt), produce)

def entity_page(local: str, iri: str) -> Response:
    site = current_site()
    key = ("page", local, request.query_string.decode("latin-1"))
    return conditional(request, site.stamp, key,
                       lambda: remembered(site, key, lambda: build_entity_page(local, iri)))

def build_entity_page(local: str, iri: str) -> Response:
    site = current_site()
    description = describe(site, iri)
    if description is None:
        return not_found(iri)
    kind = page_kind(iri, description, site)
    name = site.label(iri, own_label(description))
    via = request.args.get("via")
    types = [site.value_view(v, label) for v, label in description.all(str(RDF.type))]
    context: dict[str, Any] = {
        "iri": iri, "local": local, "kind": kind, "name": name,
        "title": name,
        "types": [view for view in types if in_words(view)],
        "all_types": types,
        "alternates": alternates_for(site, local),
        "backlinks": backlinks(site, iri, via, positive_int("from")),
        "via": via,
        # Pages written for people keep every statement under "Data and identifiers".
        "written": kind != "entity",
        "case_content": kind in CASE_CONTENT_KINDS,
    }
    queries: list[tuple[str, str, str | None]] = [
        ("What this page says about it", "entity-describe", iri),
               ("What links to it", "entity-backlink-counts", iri)]
    extra_jsonld: dict[str, Any] = {}
    skip: set[str] = set()
    if kind == "review":
        context.update(review_context(site, iri, description))
        skip |= REVIEW_SHOWN
        queries.insert(1, ("Its children, learning, recommendations and source",
                           "review-parts", iri))
        extra_jsonld = review_jsonld(site, description, site.collection.by_iri.get(iri))
    elif kind in ("locality", "agency", "concept"):
        subject_page(site, iri, kind, description, context, extra_jsonld, queries)
        skip |= {str(SKOS.definition), str(SKOS.altLabel), str(SKOS.broader),
                 str(SKOS.narrower), str(SKOS.related)}
    elif kind in PART_TYPES:
        context.update(part_context(site, iri, description))
        queries.insert(1, ("The review it is part of", "part-review", iri))
    elif kind == "partnership":
        context.update(partnership_context(site, iri, description))
        queries.insert(1, ("Its reviews", "partnership-reviews", iri))
    elif kind == "scheme":
        context["concepts"] = concept_list(site, site.cached_select("scheme-concepts", iri),
                                           None)
        context["concept"] = concept_context(site, description)
        queries.insert(1, ("Its concepts", "scheme-concepts", iri))
    context["facts"] = statements(site, description, skip)
    context["jsonld"] = page_jsonld(site, kind, iri, name, description, extra_jsonld)
    context["queries"] = query_links(site, *queries)
    template = TEMPLATES.get(kind, "part.html" if kind in PART_TYPES else "entity.html")
    return render(template, **context)


TEMPLATES = {"review": "review.html", "locality": "locality.html", "agency": "agency.html",
             "concept": "concept.html", "partnership": "partnership.html",
             "scheme": "scheme.html"}


def subject_page(site: Site, iri: str, kind: str, description: Description,
                 context: dict[str, Any], extra_jsonld: dict[str, Any],
                 queries: list[tuple[str, str, str | None]]) -> None:
    """Fill in a locality's, agency's or concept's page (its reviews and what goes with
    them), and the queries behind it."""
    facet_value = site.collection.any_value_for_iri(iri)
    context.update(subset_context(site, facet_value, kind))
    if kind == "locality":
        context["profile"] = locality_profile(site, facet_value)
        queries += [("Its reviews", "locality-reviews", iri),
                    ("Its theme and keyword profile", "locality-profile", iri)]
        gss = description.first(RG_IRI + "gssCode")
        if gss:
            extra_jsonld["identifier"] = str(gss)
        context["partnerships"] = partnerships(site, iri, context["backlinks"])
    else:
        queries += [("Its reviews", "concept-reviews", iri),
                    ("Reviews per year", "concept-per-year", iri),
                    ("Themes and keywords in the same reviews",
                     "concept-cooccurring", iri)]
    if kind == "agency":
        context["recommendations"] = agency_recommendations(site, iri)
        context["acronyms"] = [str(v) for v, _ in description.all(str(SKOS.altLabel))]
        queries.insert(1, ("Recommendations addressed to it", "agency-recommendations", iri))
    context["concept"] = concept_context(site, description)
    extra_jsonld.update(concept_jsonld(site, description, kind))


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
