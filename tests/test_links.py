"""External links: reference copies, agency links, concept mappings, linkset descriptions."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, VOID

from reviewgraph.agencies import load_agencies
from reviewgraph.concepts import load_vocabularies
from reviewgraph.errors import ReviewGraphError
from reviewgraph.links import (
    AGENCY_KINDS,
    REFERENCE_FILES,
    SHARE_ALIKE_TARGETS,
    Link,
    concept_mapping_links,
    concept_mapping_triples,
    linkset_triples,
    load_agency_links,
    load_concept_mappings,
    target_of,
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
    "concept-mappings.csv":
        "0aa5209bd593f0b305fdde7d2d9efdd09e84f6f8b780e04423dd694d89558a6d",
    "concept-mappings.md":
        "22941fcec8572a524d7298163be97dd058b94280d822641e239c85f1a135d668",
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


MAPPING_PREDICATES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch,
                      SKOS.relatedMatch)


def test_concept_mappings_are_the_370_verified_rows_each_with_its_source() -> None:
    mappings = load_concept_mappings()
    assert len(mappings) == 370
    assert {m.scheme for m in mappings} == {"keywords", "learning-themes", "outcomes"}
    assert all(m.source and target_of(URIRef(m.target_iri)) for m in mappings)
    counts = Counter(target_of(URIRef(m.target_iri)).key for m in mappings)  # type: ignore[union-attr]
    assert counts == {"wikidata": 66, "hasset": 85, "mesh": 81, "unesco": 49, "lcsh": 89}


def _mapping_graph(keywords: list[str]) -> Graph:
    graph = Graph()
    vocabularies = load_vocabularies(BASE)
    for triple in concept_mapping_triples(vocabularies, keywords, URIRef(BASE + "dataset")):
        graph.add(triple)
    return graph


def test_concepts_carry_skos_mappings_and_one_linkset_per_vocabulary() -> None:
    graph = _mapping_graph(["infants", "domestic abuse"])
    infants = URIRef(f"{BASE}keyword/infants")
    assert (infants, SKOS.exactMatch, URIRef("https://id.nlm.nih.gov/mesh/D007223")) in graph
    assert graph.value(URIRef("https://id.nlm.nih.gov/mesh/D007223"), RDFS.label) == \
        Literal("Infant", lang="en")
    assert graph.value(URIRef("http://www.wikidata.org/entity/Q998"), RDFS.label) == \
        Literal("infant", lang="en")
    # Every theme and outcome is in a graph, so their mappings are too.
    assert (URIRef(f"{BASE}outcome/death"), None, None) in graph
    links = [(s, p, o) for p in MAPPING_PREDICATES for s, o in graph.subject_objects(p)]
    linksets = {key: URIRef(f"{BASE}linkset/concepts-{key}")
                for key in ("wikidata", "hasset", "mesh", "unesco", "lcsh")}
    total = 0
    for key, linkset in linksets.items():
        assert (linkset, RDF.type, VOID.Linkset) in graph
        count = int(graph.value(linkset, VOID.triples))
        assert count == sum(1 for _, _, o in links if target_of(o).key == key)  # type: ignore[union-attr]
        total += count
    assert total == len(links) > 100


def test_share_alike_labels_are_not_published() -> None:
    graph = _mapping_graph(["infants"])
    for _, o in graph.subject_objects(SKOS.exactMatch):
        target = target_of(o)
        assert target is not None
        labelled = graph.value(o, RDFS.label) is not None
        assert labelled == (target.key not in SHARE_ALIKE_TARGETS), o
    assert any(target_of(o).key == "hasset"  # type: ignore[union-attr]
               for _, o in graph.subject_objects(SKOS.exactMatch))


def test_keyword_mappings_wait_until_a_page_uses_the_keyword() -> None:
    # "sudden infant deaths" is in the mapping file but not on the sample page.
    keyword = URIRef(f"{BASE}keyword/sudden-infant-deaths")
    assert (keyword, None, None) not in _mapping_graph(["infants"])
    assert (keyword, SKOS.closeMatch, None) in _mapping_graph(["sudden infant deaths"])


def test_a_mapping_row_naming_no_concept_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "concept-mappings.csv").write_text(
        "scheme,concept_label,relation,target_iri,target_label,source\n"
        "outcomes,no such outcome,exactMatch,http://www.wikidata.org/entity/Q1,x,checked\n",
        encoding="utf-8")
    mappings = load_concept_mappings(tmp_path)
    with pytest.raises(ReviewGraphError, match="no outcomes concept 'no such outcome'"):
        concept_mapping_links(load_vocabularies(BASE), [], mappings)
    (tmp_path / "concept-mappings.csv").write_text(
        "scheme,concept_label,relation,target_iri,target_label,source\n"
        "outcomes,death,sameAs,http://www.wikidata.org/entity/Q4,death,checked\n",
        encoding="utf-8")
    with pytest.raises(ReviewGraphError, match=":2: unknown relation 'sameAs'"):
        load_concept_mappings(tmp_path)


def test_linkset_rejects_links_to_unknown_targets() -> None:
    link = Link(URIRef(f"{BASE}locality/x"), SKOS.closeMatch, URIRef("http://example.org/x"),
                "locality-links.csv")
    with pytest.raises(ReviewGraphError, match="no known target"):
        list(linkset_triples(BASE, [link]))
