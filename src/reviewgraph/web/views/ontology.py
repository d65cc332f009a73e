"""The ontology and the shapes: /def/{term} (303 to /ontology#term or the ontology as RDF),
/ontology (every class and property), /ontology.{suffix}, /shapes and /shapes/{file}."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pyoxigraph
from flask import Response, request, url_for
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from reviewgraph.paths import ONTOLOGY_FILE, SHAPES_DIR
from reviewgraph.terms import PREFIXES, RG_IRI, ontology_graph
from reviewgraph.web.linkeddata import HTML, RDF_FORMATS, conditional, negotiate, see_other
from reviewgraph.web.render import curie
from reviewgraph.web.site import Site
from reviewgraph.web.views.common import current_site, not_found, query_links, render


def ontology_term(term: str = "") -> Response:
    fmt = negotiate(request)
    if term and (term not in ontology_terms() or not re.fullmatch(r"[A-Za-z0-9_-]+", term)):
        response = not_found(RG_IRI + term, fmt)
        response.vary.add("Accept")
        return response
    if fmt == HTML:
        return see_other(request, "/ontology" + (f"#{term}" if term else ""))
    return see_other(request, f"/ontology.{fmt}")

def ontology() -> Response:
    site = current_site()

    def produce() -> Response:
        return render("ontology.html", title="ReviewGraph ontology",
                      **ontology_context(site),
                      alternates=[{"name": f.name, "type": f.media_type,
                                   "href": url_for("pages.ontology_file", suffix=f.suffix)}
                                  for f in RDF_FORMATS.values()],
                      queries=query_links(site, ("Classes and properties", "ontology-terms",
                                           None)),
                      jsonld={"@context": "https://schema.org/", "@type": "DefinedTermSet",
                              "@id": RG_IRI, "name": "ReviewGraph ontology"})

    return conditional(request, site.stamp, ("ontology",), produce)

def ontology_file(suffix: str) -> Response:
    site = current_site()
    if suffix not in RDF_FORMATS:
        return not_found(f"/ontology.{suffix}", suffix)
    fmt = RDF_FORMATS[suffix]

    def produce() -> Response:
        if suffix == "ttl":
            body: bytes | None = ONTOLOGY_FILE.read_bytes()
        else:
            body = pyoxigraph.serialize(
                pyoxigraph.parse(path=str(ONTOLOGY_FILE),
                                 format=pyoxigraph.RdfFormat.TURTLE),
                format=fmt.oxigraph, prefixes=PREFIXES)
        return Response(body, mimetype=fmt.media_type)

    return conditional(request, site.stamp, ("ontology-file", suffix), produce)

def shapes() -> Response:
    site = current_site()

    def produce() -> Response:
        files = shapes_context(site)
        return render("shapes.html", title="SHACL shapes", files=files,
                      alternates=[{"name": f"{f['name']} (Turtle)", "type": "text/turtle",
                                   "href": f["href"]} for f in files],
                      jsonld={"@context": "https://schema.org/", "@type": "WebPage",
                              "name": "ReviewGraph SHACL shapes",
                              "url": request.url_root.rstrip("/") + request.path})

    return conditional(request, site.stamp, ("shapes",), produce)

def shape_file(name: str) -> Response:
    site = current_site()
    path = SHAPES_DIR / name
    if not re.fullmatch(r"[\w.-]+\.ttl", name) or not path.is_file():
        return not_found(f"/shapes/{name}")
    return conditional(request, site.stamp, ("shape-file", name),
                       lambda: Response(path.read_bytes(), mimetype="text/turtle"))


@cache
def ontology_terms() -> frozenset[str]:  # noqa: N802 - a constant read once, on first use
    graph = ontology_graph()
    return frozenset(str(s)[len(RG_IRI):] for s in graph.subjects(RDF.type, None)
                     if isinstance(s, URIRef) and str(s).startswith(RG_IRI))


def ontology_context(site: Site) -> dict[str, Any]:
    graph = ontology_graph()
    kinds = [("Classes", OWL.Class), ("Object properties", OWL.ObjectProperty),
             ("Datatype properties", OWL.DatatypeProperty)]
    sections = []
    for heading, kind in kinds:
        terms = []
        for term in sorted(set(graph.subjects(RDF.type, kind)), key=str):
            if not isinstance(term, URIRef) or not str(term).startswith(RG_IRI):
                continue

            def links(prop: URIRef, subject: Node = term) -> list[dict[str, Any]]:
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
            properties: list[dict[str, Any]] = []
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
