"""External links: reference copies, agency links, concept mappings, linkset descriptions."""

from __future__ import annotations

import hashlib

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from reviewgraph.agencies import load_agencies
from reviewgraph.errors import ReviewGraphError
from reviewgraph.links import (
    AGENCY_KINDS,
    REFERENCE_FILES,
    Link,
    linkset_triples,
    load_agency_links,
    load_concept_mappings,
)
from reviewgraph.paths import REFERENCE_DIR
from reviewgraph.places import Places
from reviewgraph.terms import GOVUK_ORGANISATION, RG

BASE = "https://reviewgraph.example/id/"

# sha256 of the byte-for-byte copies, as published in the reference README.
COPIES = {
    "mysociety_uk_local_authorities.csv":
        "1ef7c9caf57e4a8d8caabf2927c29fdda248a41ff1af76c639d11a62fcd9f2c5",
    "digital_land_local_authority.csv":
        "793d5d3b894bc6c1512174505351f9b87d162eb11731aebb15afca5d9de4a7c8",
    "govuk_register_government_organisation.csv":
        "cf49bc748be86776f0879995dab3a501c2a8af729782f4a58109d2097bdf0c2c",
}


@pytest.mark.parametrize("name, digest", sorted(COPIES.items()))
def test_reference_copies_are_byte_for_byte(name: str, digest: str) -> None:
    assert hashlib.sha256((REFERENCE_DIR / name).read_bytes()).hexdigest() == digest


def test_every_reference_file_is_described_in_the_readme() -> None:
    readme = (REFERENCE_DIR / "README.md").read_text(encoding="utf-8")
    for name, ref in REFERENCE_FILES.items():
        assert (REFERENCE_DIR / name).exists()
        assert name in readme
        if ref.commit:
            assert ref.commit in readme
    assert "CC BY 4.0" in readme and "Open Government Licence v3.0" in readme


def test_agency_links_use_vocabulary_ids_and_known_kinds() -> None:
    rows = load_agency_links()
    vocabulary = {agency.id for agency in load_agencies()}
    assert {row.agency_id for row in rows} <= vocabulary
    assert vocabulary <= {row.agency_id for row in rows}, "every agency needs a kind"
    assert {row.kind for row in rows} <= set(AGENCY_KINDS)


def test_cafcass_and_other_verified_govuk_pages() -> None:
    g = Graph()
    for triple in Places.load(BASE).triples():
        g.add(triple)
    cafcass = URIRef(f"{BASE}agency/cafcass")
    assert g.value(cafcass, RG.govukOrganisation) == GOVUK_ORGANISATION[
        "children-and-family-court-advisory-and-support-service"]
    assert g.value(cafcass, RG.agencyKind) == URIRef(f"{BASE}agency-kind/court-service")
    assert g.value(URIRef(f"{BASE}agency/ofsted"), RG.govukOrganisation) == \
        GOVUK_ORGANISATION["ofsted"]
    mappa = URIRef(f"{BASE}agency/mappa")
    assert g.value(mappa, RG.agencyKind) == URIRef(f"{BASE}agency-kind/process-or-meeting")
    assert g.value(mappa, RG.govukOrganisation) is None  # nothing verified
    kind = URIRef(f"{BASE}agency-kind/court-service")
    assert (kind, RDF.type, RG.AgencyKind) in g and g.value(kind, SKOS.prefLabel)
    # no Wikidata item was verified for any agency in the vocabulary
    assert not set(g.objects(cafcass, RG.wikidataOrganisation))


def test_govuk_links_are_in_the_register_copy() -> None:
    register = (REFERENCE_DIR / "govuk_register_government_organisation.csv").read_text(
        encoding="utf-8")
    for row in load_agency_links():
        if row.govuk_url:
            assert f'"{row.govuk_url}"' in register


def test_concept_mappings_are_empty_until_verified() -> None:
    assert load_concept_mappings() == []


def test_linkset_rejects_links_to_unknown_targets() -> None:
    link = Link(URIRef(f"{BASE}locality/x"), SKOS.closeMatch, URIRef("http://example.org/x"),
                "locality-links.csv")
    with pytest.raises(ReviewGraphError, match="no known target"):
        list(linkset_triples(BASE, [link]))
