"""The ontology: it parses, is versioned, and defines (with label and comment) every rg: term
that code, shapes, vocabularies and queries use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef

from reviewgraph.paths import ONTOLOGY_FILE, PROJECT_ROOT, SHAPES_DIR, VOCABULARIES_DIR
from reviewgraph.terms import RG, RG_IRI, ontology_graph

SOURCE_DIR = PROJECT_ROOT / "src" / "reviewgraph"
TERM_KINDS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}


def defined_terms() -> set[str]:
    graph = ontology_graph()
    return {str(s)[len(RG_IRI):] for kind in TERM_KINDS for s in graph.subjects(RDF.type, kind)
            if str(s).startswith(RG_IRI) and "/" not in str(s)[len(RG_IRI):]}


def test_ontology_parses_and_is_versioned() -> None:
    graph = Graph().parse(ONTOLOGY_FILE, format="turtle")
    ontology = URIRef(RG_IRI)
    assert (ontology, RDF.type, OWL.Ontology) in graph
    version = graph.value(ontology, OWL.versionInfo)
    assert version is not None and re.fullmatch(r"\d+\.\d+\.\d+", str(version))
    assert graph.value(ontology, OWL.versionIRI) == URIRef(f"{RG_IRI}{version}")
    assert graph.value(ontology, RDFS.label) is not None
    assert graph.value(ontology, RDFS.comment) is not None


def test_every_term_is_labelled_and_commented_in_english() -> None:
    graph = ontology_graph()
    for name in sorted(defined_terms()):
        term = URIRef(RG_IRI + name)
        for predicate in (RDFS.label, RDFS.comment):
            values = list(graph.objects(term, predicate))
            assert len(values) == 1, f"rg:{name} needs exactly one {predicate}"
            assert values[0].language == "en" and str(values[0]).strip(), f"rg:{name} {predicate}"


def test_every_rg_subject_is_a_declared_term() -> None:
    graph = ontology_graph()
    for subject in set(graph.subjects()):
        if isinstance(subject, URIRef) and str(subject).startswith(RG_IRI):
            name = str(subject)[len(RG_IRI):]
            if name and "/" not in name:
                assert set(graph.objects(subject, RDF.type)) & TERM_KINDS, f"rg:{name} untyped"


def test_properties_have_domain_or_range_from_the_ontology() -> None:
    graph = ontology_graph()
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for prop in graph.subjects(RDF.type, kind):
            if str(prop).startswith(RG_IRI):
                has = graph.value(prop, RDFS.range) or graph.value(prop, RDFS.subPropertyOf)
                assert has is not None, f"{prop} has neither range nor super-property"


def test_closed_namespace_rejects_undefined_terms() -> None:
    assert RG.CaseReview == URIRef(RG_IRI + "CaseReview")
    with pytest.raises(AttributeError):
        RG.NoSuchTerm  # noqa: B018


def _used_in_python() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for path in sorted(SOURCE_DIR.rglob("*.py")):
        for name in re.findall(r"\bRG\.([A-Za-z_]\w*)", path.read_text(encoding="utf-8")):
            used.setdefault(name, []).append(str(path.relative_to(PROJECT_ROOT)))
    return used


def _used_in_rdf_and_queries() -> dict[str, list[str]]:
    files = [*SHAPES_DIR.glob("*.ttl"), *VOCABULARIES_DIR.glob("*.ttl"),
             *SOURCE_DIR.rglob("*.rq"), *(PROJECT_ROOT / "queries").rglob("*.rq")]
    used: dict[str, list[str]] = {}
    for path in sorted(files):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"(?<![\w:/])rg:([A-Za-z_][\w-]*)", text):
            used.setdefault(name, []).append(str(path.relative_to(PROJECT_ROOT)))
        for name in re.findall(re.escape(RG_IRI) + r"([A-Za-z_]\w*)(?=>)", text):
            used.setdefault(name, []).append(str(path.relative_to(PROJECT_ROOT)))
    return used


@pytest.mark.parametrize("where", ["python", "rdf and queries"])
def test_every_rg_term_used_is_defined(where: str) -> None:
    used = _used_in_python() if where == "python" else _used_in_rdf_and_queries()
    assert used, "found no rg: terms at all: the scan is broken"
    undefined = {name: files for name, files in used.items() if name not in defined_terms()}
    assert not undefined, f"rg: terms used but not defined in the ontology: {undefined}"


def test_code_never_spells_out_ontology_iris() -> None:
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in SOURCE_DIR.rglob("*.py")
        if path.name != "terms.py" and RG_IRI in path.read_text(encoding="utf-8")
    ]
    assert not offenders, f"use reviewgraph.terms.RG instead of the IRI in {offenders}"


def test_reused_terms_are_declared_for_owl2() -> None:
    graph = ontology_graph()
    text = Path(ONTOLOGY_FILE).read_text(encoding="utf-8")
    for curie in ("dcterms:title", "dcterms:issued", "schema:text", "prov:wasDerivedFrom"):
        assert f"{curie} a owl:" in text
    assert (URIRef("http://purl.org/dc/terms/title"), RDF.type, OWL.DatatypeProperty) in graph


def test_one_curie_for_every_stage():
    from reviewgraph.terms import curie

    assert curie("https://reviewgraph.example/def/CaseReview") == "rg:CaseReview"
    assert curie("http://purl.org/dc/terms/title") == "dcterms:title"
    # A local name that would need escaping, or none: the IRI itself.
    assert curie("http://purl.org/dc/terms/a/b") == "http://purl.org/dc/terms/a/b"
    assert curie("http://purl.org/dc/terms/") == "http://purl.org/dc/terms/"
    assert curie("http://example.org/x") == "http://example.org/x"
    shapes = {"sh": "http://www.w3.org/ns/shacl#"}
    assert curie("http://www.w3.org/ns/shacl#Violation", shapes) == "sh:Violation"
