"""The agency vocabulary (SKOS + ORG, relative IRIs) and the matcher that finds agencies."""

from __future__ import annotations

import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SKOS

from reviewgraph.agencies import (
    AGENCIES_FILE,
    Agency,
    AgencyMatcher,
    default_matcher,
    is_acronym,
    load_agencies,
)
from reviewgraph.errors import ReviewGraphError

RG_AGENCY = URIRef("https://reviewgraph.example/def/Agency")


def test_vocabulary_resolves_against_the_configured_base():
    base = "http://example.org/kg/"
    graph = Graph().parse(AGENCIES_FILE, format="turtle", publicID=base)
    scheme = URIRef(base + "agency/")
    assert (scheme, RDF.type, SKOS.ConceptScheme) in graph
    concepts = set(graph.subjects(SKOS.inScheme, scheme))
    assert URIRef(base + "agency/cafcass") in concepts
    for concept in concepts:
        assert (concept, RDF.type, SKOS.Concept) in graph
        assert (concept, RDF.type, RG_AGENCY) in graph
        assert graph.value(concept, SKOS.prefLabel) is not None
        assert graph.value(concept, SKOS.definition) is not None
    ids = [agency.id for agency in load_agencies(base=base)]
    assert ids == sorted(ids) and "cafcass" in ids


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("CAFCASS and Cafcass", ["cafcass"]),
        ("ADCS", ["adcs"]),
        ("MAPPA, MARAC and MACE", ["mace", "mappa", "marac"]),
        ("the ICS", ["ics"]),
        ("integrated children's services", ["ics"]),
        ("GPs and general practitioners", ["general-practitioners"]),
        ("health visitors", ["health-visitors"]),
        ("midwives", ["midwives"]),
        ("probation services", ["probation-service"]),
        ("Police", ["police"]),
        ("schools and education", ["schools"]),
        ("children’s social care", ["childrens-social-care"]),
        ("social services", ["childrens-social-care"]),
        ("early help", ["early-help"]),
        ("child and adolescent mental health services", ["camhs"]),
        ("child mental health services", ["camhs"]),
        ("CAMHS", ["camhs"]),
        ("the third sector", ["third-sector"]),
        ("NHS", ["health-services"]),
        ("healthcare services", ["health-services"]),
        ("the neonatal intensive care unit", ["hospitals"]),
        ("emergency services", ["emergency-services"]),
        ("reporting to court", ["courts"]),
        ("Croydon’s front door service", ["front-door-service"]),
        ("the MASH", ["front-door-service"]),
        ("prison and prisoners", ["prison-service"]),
        ("youth offending team", ["youth-offending"]),
        ("a neighbouring local authority", ["local-authority"]),
    ],
)
def test_the_bodies_the_issue_lists_are_found(text, ids):
    assert default_matcher().find(text) == ids


def test_acronyms_are_case_sensitive_and_on_word_boundaries():
    matcher = default_matcher()
    assert matcher.find("physics and ethics") == []
    assert matcher.find("the ics team") == []
    assert matcher.find("ICSs") == []
    assert matcher.find("ICS.") == ["ics"]
    assert matcher.find("a gp surgery") == []  # "GP" is an acronym: case-sensitive


def test_other_labels_are_case_insensitive():
    assert default_matcher().find("General Practitioners and HEALTH VISITORS") == [
        "general-practitioners", "health-visitors"
    ]


def test_longest_label_wins():
    matcher = default_matcher()
    assert matcher.matches("child mental health services") == [
        ("child mental health services", "camhs")
    ]
    assert matcher.find("adult social care") == ["adult-social-care"]
    assert matcher.find("schoolchildren") == []


def test_ids_are_sorted_and_unique():
    text = "police, the police, CAFCASS, police officers, ADCS"
    assert default_matcher().find(text) == ["adcs", "cafcass", "police"]


def test_acronym_rule():
    assert is_acronym("ICS") and is_acronym("GPs") and is_acronym("A&E")
    assert not is_acronym("Cafcass") and not is_acronym("early help")


def test_a_label_shared_by_two_agencies_is_an_error():
    agencies = [Agency("a", "Alpha", ("Alpha", "shared")), Agency("b", "Beta", ("Beta", "Shared"))]
    with pytest.raises(ReviewGraphError, match="belongs to both"):
        AgencyMatcher(agencies)


def test_unreadable_vocabulary_is_a_clear_error(tmp_path):
    broken = tmp_path / "agencies.ttl"
    broken.write_text("<agency/x> a <", encoding="utf-8")
    with pytest.raises(ReviewGraphError, match="cannot read the agency vocabulary"):
        load_agencies(broken)
    with pytest.raises(ReviewGraphError, match="not found"):
        load_agencies(tmp_path / "missing.ttl")
