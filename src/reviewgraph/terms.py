"""Namespaces and the ReviewGraph ontology's own terms.

`RG` is a closed namespace built from the terms `ontology/reviewgraph.ttl` defines, so code can
only name terms that the ontology defines, labels and comments (a typo fails at once with an
AttributeError instead of minting an undefined IRI).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache

from rdflib import OWL, RDF, Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, SDO, SKOS, VOID, XSD, ClosedNamespace

from reviewgraph.paths import ONTOLOGY_FILE

RG_IRI = "https://reviewgraph.example/def/"
DEFAULT_BASE_IRI = "https://reviewgraph.example/id/"

ORG = Namespace("http://www.w3.org/ns/org#")
FABIO = Namespace("http://purl.org/spar/fabio/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SCHEMA = SDO
WD = Namespace("http://www.wikidata.org/entity/")
ONS_GEOGRAPHY = Namespace("http://statistics.data.gov.uk/id/statistical-geography/")
DBPEDIA = Namespace("http://dbpedia.org/resource/")
GOVUK_ORGANISATION = Namespace("https://www.gov.uk/government/organisations/")

PREFIXES: dict[str, str] = {
    "rg": RG_IRI,
    "rdf": str(RDF),
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": str(OWL),
    "xsd": str(XSD),
    "dcterms": str(DCTERMS),
    "skos": str(SKOS),
    "schema": str(SDO),
    "fabio": str(FABIO),
    "org": str(ORG),
    "prov": str(PROV),
    "foaf": str(FOAF),
    "dcat": str(DCAT),
    "void": str(VOID),
    "wd": str(WD),
}


_LONGEST_FIRST = tuple(sorted(PREFIXES.items(), key=lambda item: -len(item[1])))


def curie(iri: str, prefixes: Mapping[str, str] | None = None) -> str:
    """'rg:CaseReview' for an IRI in a namespace of `prefixes` (default: PREFIXES; the
    longest namespace that matches) whose local name is letters, digits, '_', '-' and '.'
    only, so the CURIE needs no escaping in Turtle or JSON-LD; the IRI itself otherwise."""
    return _curie(iri, None if prefixes is None else tuple(prefixes.items()))


@lru_cache(maxsize=1 << 14)
def _curie(iri: str, prefixes: tuple[tuple[str, str], ...] | None) -> str:
    ordered = _LONGEST_FIRST if prefixes is None else sorted(prefixes, key=lambda p: -len(p[1]))
    for prefix, namespace in ordered:
        local = iri[len(namespace):]
        if iri.startswith(namespace) and local and all(c.isalnum() or c in "_-." for c in local):
            return f"{prefix}:{local}"
    return iri


@cache
def ontology_graph() -> Graph:
    """The ontology as an rdflib graph (read once per process)."""
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def _defined_terms() -> list[str]:
    graph = ontology_graph()
    names = set()
    for subject in graph.subjects(RDF.type, None):
        if isinstance(subject, URIRef) and str(subject).startswith(RG_IRI):
            name = str(subject)[len(RG_IRI):]
            if name and "/" not in name:
                names.add(name)
    return sorted(names)


RG = ClosedNamespace(RG_IRI, _defined_terms())

__all__ = [
    "DBPEDIA", "DCAT", "DCTERMS", "DEFAULT_BASE_IRI", "FABIO", "FOAF", "GOVUK_ORGANISATION",
    "ONS_GEOGRAPHY", "ORG", "OWL", "PREFIXES", "PROV", "RDF", "RG", "RG_IRI", "SCHEMA", "SKOS",
    "VOID", "WD", "XSD", "curie", "ontology_graph",
]
