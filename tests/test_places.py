"""Places: UK localities, councils and partnerships from data/reference/, and name matching."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import ORG, OWL, RDF, SKOS, XSD

from reviewgraph.errors import ReviewGraphError
from reviewgraph.paths import REFERENCE_DIR
from reviewgraph.places import Places, known_place_names, normalise
from reviewgraph.records import Record, SourceRef
from reviewgraph.terms import ONS_GEOGRAPHY, PREFIXES, RG, WD

BASE = "https://reviewgraph.example/id/"

# Sample localities: GSS, area Wikidata (and how it is linked), council Wikidata, partnership.
SAMPLE = {
    "Birmingham": ("E08000025", "Q20986424", "wikidataArea", "Q4916650",
                   "birmingham-safeguarding-children-partnership"),
    "Bristol": ("E06000023", "Q21693433", "wikidataArea", "Q16953796",
                "keeping-bristol-safe-partnership"),
    "Haringey": ("E09000014", "Q213560", "wikidataArea", "Q5657624",
                 "haringey-safeguarding-children-partnership"),
    "Hertfordshire": ("E10000015", "Q3410", "closeMatch", "Q5744765",
                      "hertfordshire-safeguarding-children-partnership"),
    "Kent": ("E10000016", "Q23298", "closeMatch", "Q6386127",
             "kent-safeguarding-children-multi-agency-partnership"),
    "Oxfordshire": ("E10000025", "Q23169", "closeMatch", "Q6386253",
                    "oxfordshire-safeguarding-children-board"),
    "Warrington": ("E06000007", "Q894095", "wikidataArea", "Q17033474",
                   "warrington-safeguarding-partnership"),
    # West Glamorgan's two areas; their councils' QIDs are not verified.
    "Swansea": ("W06000011", "Q10996863", "wikidataArea", None,
                "west-glamorgan-safeguarding-board"),
    "Neath Port Talbot": ("W06000012", "Q748078", "wikidataArea", None,
                          "west-glamorgan-safeguarding-board"),
}


@pytest.fixture(scope="module")
def places() -> Places:
    return Places.load(BASE)


@pytest.fixture(scope="module")
def graph(places: Places) -> Graph:
    g = Graph()
    for prefix, namespace in PREFIXES.items():
        g.bind(prefix, namespace)
    for triple in places.triples():
        g.add(triple)
    return g


def locality(name: str) -> URIRef:
    slug = {"Bristol": "bristol", "Neath Port Talbot": "neath-port-talbot"}.get(
        name, name.lower().replace(" ", "-"))
    return URIRef(f"{BASE}locality/{slug}")


def test_loads_every_uk_local_authority(places: Places) -> None:
    assert len(places.authorities) == 470
    assert sum(a.current for a in places.authorities.values()) == 397
    assert len(places.by_gss) == 445  # 25 Northern Irish districts abolished in 2015 have none
    assert len({a.slug for a in places.authorities.values()}) == 470


@pytest.mark.parametrize("name", sorted(SAMPLE))
def test_sample_locality_links(places: Places, graph: Graph, name: str) -> None:
    gss, area_qid, relation, council_qid, partnership = SAMPLE[name]
    resolution = places.resolve(name, source=("page.txt", 4), year=2025)
    assert resolution.kind == "locality" and resolution.problem is None
    iri = resolution.iri
    assert iri == locality(name)
    assert graph.value(iri, RG.gssCode) == Literal(gss)
    assert set(graph.objects(iri, OWL.sameAs)) == {ONS_GEOGRAPHY[gss]}
    predicate = RG.wikidataArea if relation == "wikidataArea" else RG.relatedItem
    assert (iri, predicate, WD[area_qid]) in graph
    council = graph.value(iri, RG.council)
    assert (council, RDF.type, RG.Council) in graph
    assert (council, RG.governs, iri) in graph
    council_links = set(graph.objects(council, RG.wikidataOrganisation))
    assert council_links == ({WD[council_qid]} if council_qid else set())
    assert resolution.partnership == URIRef(f"{BASE}partnership/{partnership}")
    assert (resolution.partnership, RG.covers, iri) in graph
    assert (resolution.partnership, ORG.hasMember, council) in graph


def test_west_glamorgan_is_a_board_covering_exactly_swansea_and_neath_port_talbot(
        places: Places, graph: Graph) -> None:
    resolution = places.resolve("West Glamorgan", source=("page.txt", 40), year=2025)
    assert resolution.kind == "partnership"
    board = resolution.iri
    assert board == URIRef(f"{BASE}partnership/west-glamorgan-safeguarding-board")
    assert resolution.partnership == board
    assert set(resolution.localities) == {locality("Swansea"), locality("Neath Port Talbot")}
    assert set(graph.objects(board, RG.covers)) == set(resolution.localities)
    councils = {graph.value(area, RG.council) for area in resolution.localities}
    assert set(graph.objects(board, ORG.hasMember)) == councils
    assert (board, RDF.type, RG.SafeguardingPartnership) in graph
    assert (RG.SafeguardingPartnership, RDF.type, None) not in graph  # ontology is separate


@pytest.mark.parametrize("board, areas", [
    ("Cwm Taf Morgannwg", {"W06000016", "W06000024", "W06000013"}),
    ("Mid and West Wales", {"W06000010", "W06000008", "W06000009", "W06000023"}),
    ("Cardiff and Vale", {"W06000015", "W06000014"}),
    ("Cambridgeshire and Peterborough", {"E10000003", "E06000031"}),
])
def test_other_partnerships_cover_their_areas(places: Places, board: str, areas: set) -> None:
    resolution = places.resolve(board, year=2024)
    assert resolution.kind == "partnership"
    covered = {places.by_iri(iri).gss for iri in resolution.localities}
    assert covered == areas


def test_croydon_resolves(places: Places, graph: Graph) -> None:
    resolution = places.resolve("Croydon", source=("page.txt", 30), year=2025)
    assert resolution.kind == "locality" and not resolution.historic
    assert graph.value(resolution.iri, RG.gssCode) == Literal("E09000008")
    council = graph.value(resolution.iri, RG.council)
    assert (council, RG.wikidataOrganisation, WD.Q5189676) in graph


def test_northamptonshire_is_historic_with_successors(places: Places, graph: Graph) -> None:
    resolution = places.resolve("Northamptonshire", source=("page.txt", 20), year=2025)
    assert resolution.kind == "locality" and resolution.historic
    iri = resolution.iri
    assert graph.value(iri, RG.gssCode) == Literal("E10000021")
    assert graph.value(iri, RG.endDate) == Literal("2021-04-01", datatype=XSD.date)
    successors = {URIRef(f"{BASE}locality/north-northamptonshire"),
                  URIRef(f"{BASE}locality/west-northamptonshire")}
    assert set(graph.objects(iri, RG.replacedBy)) == successors == set(resolution.successors)
    assert {graph.value(s, RG.gssCode) for s in successors} == {
        Literal("E06000061"), Literal("E06000062")}
    assert graph.value(graph.value(iri, RG.council), RG.wikidataOrganisation) == WD.Q14942414
    assert (URIRef(f"{BASE}locality/north-northamptonshire"), RG.relatedItem,
            WD.Q60790121) in graph


def test_no_same_as_between_council_and_area_and_no_shared_gss(graph: Graph) -> None:
    ask_council_same_as = """
        ASK { ?council a rg:Council .
              { ?council owl:sameAs ?other } UNION { ?other owl:sameAs ?council } }"""
    assert not graph.query(ask_council_same_as).askAnswer
    ask_locality_to_council = """
        ASK { ?area a rg:Locality ; owl:sameAs ?x .
              ?council a rg:Council ; rg:wikidataOrganisation ?x }"""
    assert not graph.query(ask_locality_to_council).askAnswer
    shared_gss = """
        SELECT ?gss (COUNT(DISTINCT ?l) AS ?n) WHERE { ?l a rg:Locality ; rg:gssCode ?gss }
        GROUP BY ?gss HAVING (COUNT(DISTINCT ?l) > 1)"""
    assert list(graph.query(shared_gss)) == []
    shared_same_as = """
        SELECT ?x WHERE { ?a owl:sameAs ?x . ?b owl:sameAs ?x FILTER(?a != ?b) }"""
    assert list(graph.query(shared_same_as)) == []
    only_ons = """
        SELECT ?x WHERE { ?a owl:sameAs ?x
            FILTER(!STRSTARTS(STR(?x), "http://statistics.data.gov.uk/id/statistical-geography/"))
        }"""
    assert list(graph.query(only_ons)) == []
    council_items = set(graph.objects(None, RG.wikidataOrganisation))
    area_items = set(graph.objects(None, RG.wikidataArea)) | {
        o for o in graph.objects(None, RG.relatedItem) if str(o).startswith(str(WD))}
    assert council_items and area_items and not council_items & area_items


@pytest.mark.parametrize("written, expected", [
    ("Anglesey", "isle-of-anglesey"), ("Isle of Anglesey", "isle-of-anglesey"),
    ("Brighton and Hove", "brighton-and-hove"), ("Brighton & Hove", "brighton-and-hove"),
    ("Bristol", "bristol"), ("City of Bristol", "bristol"), ("Bristol, City of", "bristol"),
    ("Hull", "kingston-upon-hull"), ("Kingston upon Hull", "kingston-upon-hull"),
    ("kingston-upon-hull", "kingston-upon-hull"), ("  KENT ", "kent"),
    ("London Borough of Haringey", "haringey"), ("Kent County Council", "kent"),
    ("Swansea", "swansea"), ("City and County of Swansea", "swansea"),
])
def test_name_variants(places: Places, written: str, expected: str) -> None:
    resolution = places.resolve(written, source=("page.txt", 1))
    assert resolution.kind == "locality", resolution.problem
    assert resolution.iri == URIRef(f"{BASE}locality/{expected}")


@pytest.mark.parametrize("written", ["Anonymous", "anonymous", "ANONYMOUS"])
def test_anonymous_is_no_place_and_no_warning(places: Places, written: str) -> None:
    resolution = places.resolve(written, source=("page.txt", 9))
    assert (resolution.iri, resolution.kind, resolution.problem) == (None, "anonymous", None)


def test_unmatched_name_is_a_warning_with_its_line_never_a_guess(places: Places) -> None:
    for name in ("Atlantis", "London", "Westeros Borough"):
        resolution = places.resolve(name, source=("page.txt", 17))
        assert resolution.iri is None and resolution.kind == "unmatched"
        assert resolution.problem.file == "page.txt" and resolution.problem.line == 17
        assert name in str(resolution.problem)
    assert places.resolve(None).kind == places.resolve("  ").kind == "none"


def test_shared_names_pick_the_authority_in_force(places: Places) -> None:
    assert places.resolve("Somerset", year=2025).iri == URIRef(f"{BASE}locality/somerset")
    old = places.resolve("Somerset", year=2020)
    assert old.iri == URIRef(f"{BASE}locality/somerset-county") and old.historic
    assert places.resolve("Somerset").iri == URIRef(f"{BASE}locality/somerset")  # current


def test_partnerships_attach_only_from_2019(places: Places) -> None:
    assert places.resolve("Kent", year=2018).partnership is None
    assert places.resolve("Kent", year=2019).partnership is not None
    assert places.resolve("West Glamorgan", year=2017).partnership is None


def test_used_only_keeps_what_the_graph_needs(places: Places) -> None:
    board = places.resolve("West Glamorgan").iri
    northants = places.resolve("Northamptonshire").iri
    g = Graph()
    for triple in places.triples(used_only=[board, northants]):
        g.add(triple)
    localities = set(g.subjects(RDF.type, RG.Locality))
    assert {places.by_iri(iri).gss for iri in localities} == {
        "W06000011", "W06000012", "E10000021", "E06000061", "E06000062"}
    assert len(set(g.subjects(RDF.type, RG.Council))) == 5
    assert set(g.subjects(RDF.type, RG.SafeguardingPartnership)) == {board}


def test_linksets_describe_every_link_with_its_source(graph: Graph, places: Places) -> None:
    linksets = {str(s).rsplit("/", 1)[1]: s for s in graph.subjects(RDF.type, URIRef(
        "http://rdfs.org/ns/void#Linkset")) if str(s).count("/") == 5}
    assert set(linksets) == {"ons", "wikidata", "dbpedia", "govuk"}
    void = "http://rdfs.org/ns/void#"
    counts = places.link_counts()
    for key, linkset in linksets.items():
        assert int(graph.value(linkset, URIRef(void + "triples"))) == counts[key]
        assert list(graph.objects(linkset, URIRef(void + "linkPredicate")))
        for subset in graph.objects(linkset, URIRef(void + "subset")):
            predicate = graph.value(subset, URIRef(void + "linkPredicate"))
            source = graph.value(subset, RG.linkSource)
            assert predicate is not None and str(source).startswith("data/reference/")
            derived = graph.value(subset, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))
            assert graph.value(derived, RG.fileName) == source
    ons = linksets["ons"]
    assert set(graph.objects(ons, URIRef(void + "linkPredicate"))) == {OWL.sameAs}
    # GOV.UK pages of single bodies: Cafcass, Ofsted, the Probation Service, HMPPS, PSNI.
    assert counts["ons"] == 445 and counts["govuk"] == 5
    # every council QID comes from Digital Land's English list
    assert 370 <= counts["wikidata"] <= 400


def test_reference_files_carry_licence_and_attribution(graph: Graph) -> None:
    mysociety = URIRef(f"{BASE}reference/mysociety_uk_local_authorities.csv")
    assert graph.value(mysociety, URIRef("http://purl.org/dc/terms/license")) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/")
    assert "mySociety" in str(graph.value(mysociety, URIRef(
        "http://purl.org/dc/terms/bibliographicCitation")))


def test_start_dates_skip_register_entry_dates(places: Places, graph: Graph) -> None:
    bristol = places.resolve("Bristol").iri  # register entry 2005-06-18: not a start date
    assert graph.value(bristol, RG.startDate) is None
    swansea = places.resolve("Swansea").iri
    assert graph.value(swansea, RG.startDate) == Literal("1996-04-01", datatype=XSD.date)


def test_types_form_a_concept_scheme(places: Places, graph: Graph) -> None:
    kent_type = graph.value(places.resolve("Kent").iri, RG.localAuthorityType)
    assert (kent_type, RDF.type, RG.LocalAuthorityType) in graph
    assert graph.value(kent_type, SKOS.notation) == Literal("CTY")
    assert graph.value(kent_type, SKOS.inScheme) is not None


def test_known_place_names_for_the_parser() -> None:
    names = known_place_names()
    for name in ("Kent", "Croydon", "Northamptonshire", "West Glamorgan", "Hull", "Anglesey",
                 "Brighton and Hove", "City of Bristol"):
        assert name in names
    assert "London" not in names and "City" not in names
    assert all(len(a) >= len(b) for a, b in zip(names, names[1:], strict=False))


def test_graph_places_protocol(places: Places) -> None:
    adapter = places.for_graph()
    iri, problem = adapter.resolve("Kent")
    assert iri == URIRef(f"{BASE}locality/kent") and problem is None
    assert adapter.resolve("West Glamorgan") == (None, None)
    iri, problem = adapter.resolve("Atlantis")
    assert iri is None and problem is not None
    record = Record(title="Child A", year=2025, source=SourceRef("page.txt", 40, 45),
                    locality="West Glamorgan", places_mentioned=["Cwm Taf Morgannwg"])
    review = URIRef(f"{BASE}review/x")
    extra = set(adapter.review_triples(review, record))
    board = URIRef(f"{BASE}partnership/west-glamorgan-safeguarding-board")
    assert (review, RG.partnership, board) in extra
    assert {o for _, p, o in extra if p == RG.locality} == {
        locality("Swansea"), locality("Neath Port Talbot")}
    assert len({o for _, p, o in extra if p == RG.mentionsPlace}) == 3
    g = Graph()
    for triple in adapter.triples():
        g.add(triple)
    assert {places.by_iri(i).gss for i in g.subjects(RDF.type, RG.Locality)} == {
        "E10000016", "W06000011", "W06000012", "W06000016", "W06000024", "W06000013"}


def test_normalise() -> None:
    assert normalise("The Vale of Glamorgan") == "vale of glamorgan"
    assert normalise("Ynys Môn") == "ynys mon"
    assert normalise("Brighton & Hove") == "brighton and hove"


def _copy_reference(tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, target)
    return target


def test_bad_partnership_row_names_file_and_line(tmp_path: Path) -> None:
    reference = _copy_reference(tmp_path)
    path = reference / "partnerships.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("W06000012", "W06999999", 1),
                    encoding="utf-8")
    with pytest.raises(ReviewGraphError, match=r"partnerships\.csv:\d+: unknown GSS"):
        Places.load(BASE, reference)


def test_missing_reference_file_is_a_clear_error(tmp_path: Path) -> None:
    reference = _copy_reference(tmp_path)
    (reference / "locality-links.csv").unlink()
    with pytest.raises(ReviewGraphError, match="reference file missing"):
        Places.load(BASE, reference)


def test_base_iri_is_configurable() -> None:
    other = Places.load("http://example.org/rg/")
    assert other.resolve("Kent").iri == URIRef("http://example.org/rg/locality/kent")
