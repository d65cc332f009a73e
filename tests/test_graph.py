"""Records -> graph: stable readable IRIs, typed values, provenance, vocabularies, places hook."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib import namespace as ns
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, PROV, SKOS
from sample_records import SAMPLE, sample_records

from reviewgraph import terms
from reviewgraph.agencies import default_matcher
from reviewgraph.concepts import load_vocabularies
from reviewgraph.errors import Problem, ReviewGraphError
from reviewgraph.graph import MintedPlaces, Places, build_graph, review_slug
from reviewgraph.parser import load_known_places, parse_file
from reviewgraph.paths import SOURCES_DIR
from reviewgraph.places import Places as ReferencePlaces
from reviewgraph.records import Child, Children, Recommendation, Record, SourceRef
from reviewgraph.terms import DEFAULT_BASE_IRI, FABIO, RG
from reviewgraph.validation import validate

B = DEFAULT_BASE_IRI
IVY = URIRef(B + "review/2025-hertfordshire-ivy")


@pytest.fixture(scope="module")
def vocabularies():
    return load_vocabularies()


@pytest.fixture(scope="module")
def graph(vocabularies) -> Graph:
    return build_graph(sample_records(), vocabularies).graph


def iri(path: str) -> URIRef:
    return URIRef(B + path)


def test_review_slugs_are_readable() -> None:
    slugs = [review_slug(record) for record in sample_records()]
    assert slugs == [
        "2025-birmingham-baby-a",
        "2025-bristol-serious-youth-violence",
        "2025-hertfordshire-ivy",
        "2025-kent-eli-and-micah",
        "2016-anonymous-children-f-g-and-h",
    ]


def test_entity_iris(graph: Graph) -> None:
    reviews = sorted(graph.subjects(RDF.type, RG.CaseReview))
    assert reviews == sorted(iri("review/" + review_slug(r)) for r in sample_records())
    assert list(graph.objects(IVY, RG.concernsChild)) == [iri("child/2025-hertfordshire-ivy-1")]
    assert sorted(graph.objects(IVY, RG.hasRecommendation)) == [
        iri("recommendation/2025-hertfordshire-ivy-1"),
        iri("recommendation/2025-hertfordshire-ivy-2")]
    assert list(graph.objects(IVY, RG.hasLearningPoint)) == [
        iri("learning/2025-hertfordshire-ivy-1")]
    assert graph.value(IVY, RG.incident) == iri("incident/2025-hertfordshire-ivy")
    assert graph.value(IVY, RG.hasReport) == iri("report/2025-hertfordshire-ivy")
    assert graph.value(IVY, RG.locality) == iri("locality/hertfordshire")
    assert graph.value(IVY, RG.mentionsPlace) == iri("locality/northamptonshire")


def test_same_input_gives_the_same_graph(vocabularies, graph: Graph) -> None:
    again = build_graph(sample_records(), load_vocabularies()).graph
    assert isomorphic(graph, again)
    assert sorted(graph) == sorted(again)


def test_base_iri_is_configurable() -> None:
    base = "http://cases.example.org/kb/"
    result = build_graph(sample_records(), load_vocabularies(base))
    # Every subject is ours, but for the concepts of other vocabularies the subject concepts
    # are mapped to (their labels are given, links/concept-mappings.csv).
    mapped = {str(o) for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch,
                               SKOS.narrowMatch) for o in result.graph.objects(None, p)}
    ours = {str(s) for s in result.graph.subjects()
            if not str(s).startswith("https://schema") and str(s) not in mapped}
    assert ours and all(s.startswith(base) for s in ours)
    assert (URIRef(base + "review/2025-hertfordshire-ivy"), RDF.type, RG.CaseReview) in (
        result.graph)
    assert validate(result.graph).conforms


def test_base_iri_must_end_with_a_separator() -> None:
    with pytest.raises(ReviewGraphError, match="must end with"):
        build_graph([], load_vocabularies("http://example.org/id"))


def test_review_properties_are_typed(graph: Graph) -> None:
    assert (IVY, RDF.type, FABIO.CaseReport) in graph
    assert graph.value(IVY, DCTERMS.title) == Literal("Ivy")
    assert graph.value(IVY, RDFS.label) == Literal("Ivy (Hertfordshire, 2025)")
    assert graph.value(IVY, RG.year) == Literal("2025", datatype=ns.XSD.gYear)
    assert graph.value(IVY, DCTERMS.issued) == Literal("2025", datatype=ns.XSD.gYear)
    assert graph.value(IVY, RG.childCount) == Literal(1, datatype=ns.XSD.nonNegativeInteger)
    anonymous = iri("review/2016-anonymous-children-f-g-and-h")
    assert graph.value(anonymous, DCTERMS.issued) == Literal("2016-12", datatype=ns.XSD.gYearMonth)
    assert graph.value(anonymous, RG.month) == Literal(12, datatype=ns.XSD.integer)
    assert graph.value(anonymous, RG.locality) is None
    assert graph.value(anonymous, RG.publisherNote) == Literal("NSPCC on behalf of unnamed LSCB")
    assert graph.value(anonymous, RG.reviewType) == iri("review-type/serious-case-review")


def test_children_incident_and_outcomes(graph: Graph) -> None:
    child = iri("child/2025-hertfordshire-ivy-1")
    assert graph.value(child, RG.pseudonym) == Literal("Ivy")
    assert graph.value(child, RG.age) == Literal("P2Y", datatype=ns.XSD.duration)
    assert graph.value(child, RG.ageBand) == iri("age-band/1-4")
    assert graph.value(child, terms.SCHEMA.gender) == terms.SCHEMA.Female
    assert graph.value(child, RG.outcome) == iri("outcome/death")
    assert graph.value(child, RG.position) == Literal(1, datatype=ns.XSD.positiveInteger)
    incident = iri("incident/2025-hertfordshire-ivy")
    assert graph.value(incident, RG.incidentDate) == Literal("2024-04", datatype=ns.XSD.gYearMonth)
    # "Eli died in 2022 ... and Micah suffered significant harm": each child their own
    # incident, only Eli's dated; what both suffered (brain injuries) stays the review's.
    kent = iri("incident/2025-kent-eli-and-micah")
    assert graph.value(kent, RG.incidentDate) is None
    assert set(graph.objects(kent, RG.outcome)) == {iri("outcome/serious-injury")}
    review = iri("review/2025-kent-eli-and-micah")
    eli, micah = iri("child/2025-kent-eli-and-micah-1"), iri("child/2025-kent-eli-and-micah-2")
    eli_incident = iri("incident/2025-kent-eli-and-micah-child-1")
    micah_incident = iri("incident/2025-kent-eli-and-micah-child-2")
    assert set(graph.objects(review, RG.incident)) == {kent, eli_incident, micah_incident}
    assert graph.value(eli_incident, RG.incidentChild) == eli
    assert graph.value(eli_incident, RG.outcome) == iri("outcome/death")
    assert graph.value(eli_incident, RG.incidentDate) == Literal("2022", datatype=ns.XSD.gYear)
    assert graph.value(micah_incident, RG.incidentChild) == micah
    assert graph.value(micah_incident, RG.outcome) == iri("outcome/serious-harm")
    assert graph.value(micah_incident, RG.incidentDate) is None
    assert graph.value(micah, RG.outcome) == iri("outcome/serious-harm")
    assert graph.value(micah, RG.age) is None
    # "Learning themes specific to Eli and Micah include: ..." belong to those two children.
    assert set(graph.objects(iri("learning/2025-kent-eli-and-micah-2"),
                             RG.specificToChild)) == {eli, micah}
    assert graph.value(iri("learning/2025-kent-eli-and-micah-1"), RG.specificToChild) is None


def test_provenance(graph: Graph) -> None:
    extract = iri("source/nspcc-new-in-the-collection-2025/lines-22-27")
    page = iri("source/nspcc-new-in-the-collection-2025")
    assert graph.value(IVY, RG.sourceExtract) == extract
    assert graph.value(IVY, PROV.wasDerivedFrom) == extract
    assert graph.value(IVY, PROV.hadPrimarySource) == page
    assert graph.value(extract, RG.firstLine) == Literal(22, datatype=ns.XSD.positiveInteger)
    assert graph.value(extract, RG.lastLine) == Literal(27, datatype=ns.XSD.positiveInteger)
    assert graph.value(extract, DCTERMS.isPartOf) == page
    assert graph.value(page, RG.fileName) == Literal(SAMPLE)
    assert (page, RDF.type, RG.SourcePage) in graph


def test_keywords_learning_and_recommendations(graph: Graph) -> None:
    kent = iri("review/2025-kent-eli-and-micah")
    concept = iri("keyword/parents-who-have-a-mental-health-problem")
    assert (kent, DCTERMS.subject, concept) in graph
    anonymous = iri("review/2016-anonymous-children-f-g-and-h")
    assert (anonymous, DCTERMS.subject, concept) in graph  # "parents with ..." folded
    assert (concept, SKOS.altLabel, Literal("parents with a mental health problem", lang="en")
            ) in graph
    point = iri("learning/2025-kent-eli-and-micah-1")
    assert graph.value(point, terms.SCHEMA.text) == Literal("safe sleep advice")
    assert graph.value(point, RG.learningTheme) == iri("theme/safe-sleep")
    recommendation = iri("recommendation/2025-hertfordshire-ivy-2")
    assert set(graph.objects(recommendation, RG.addressee)) == {Literal("CAFCASS"),
                                                                 Literal("ADCS")}
    assert set(graph.objects(recommendation, RG.addressedTo)) == {iri("agency/cafcass"),
                                                                  iri("agency/adcs")}
    assert set(graph.objects(IVY, RG.mentionsAgency)) == {iri("agency/cafcass"),
                                                          iri("agency/adcs")}
    assert (iri("agency/cafcass"), RDF.type, RG.Agency) in graph


def test_report_document(graph: Graph) -> None:
    report = iri("report/2025-hertfordshire-ivy")
    assert graph.value(report, RG.reportType) == iri("report-type/overview-report")
    assert graph.value(report, RDFS.label) == Literal(
        "Overview report of Ivy (Hertfordshire, 2025)")


def test_vocabularies_and_dataset_are_in_the_graph(graph: Graph) -> None:
    for scheme in ("keywords", "learning-themes", "review-types", "outcomes", "report-types",
                   "age-bands"):
        assert (iri("scheme/" + scheme), RDF.type, SKOS.ConceptScheme) in graph
    dataset = iri("dataset")
    assert graph.value(dataset, DCTERMS.source) is not None
    assert int(graph.value(dataset, URIRef("http://rdfs.org/ns/void#triples"))) == len(graph)


def test_the_sample_graph_conforms(graph: Graph) -> None:
    assert validate(graph).conforms


def _record(**changes) -> Record:
    base = Record(title="Child Q", year=2020, locality="Kent", keywords=["neglect"],
                  source=SourceRef("other.txt", 10, 12))
    return replace(base, **changes)


def test_the_same_review_on_two_pages_is_one_review_with_two_extracts(vocabularies) -> None:
    first = _record()
    second = _record(source=SourceRef("yearly.txt", 40, 44))
    result = build_graph([first, second], vocabularies)
    review = iri("review/2020-kent-child-q")
    assert len(set(result.graph.objects(review, RG.sourceExtract))) == 2
    assert len(set(result.graph.objects(review, PROV.hadPrimarySource))) == 2
    assert result.warnings == []
    assert validate(result.graph).conforms


def test_different_reviews_with_one_slug_are_told_apart(vocabularies) -> None:
    result = build_graph([_record(), _record(summary="Another review.",
                                             source=SourceRef("other.txt", 20, 22))],
                         vocabularies)
    assert (iri("review/2020-kent-child-q-2"), RDF.type, RG.CaseReview) in result.graph
    assert [(w.file, w.line) for w in result.warnings] == [("other.txt", 20)]
    assert "2020-kent-child-q-2" in result.warnings[0].message
    assert validate(result.graph).conforms


def test_values_outside_the_vocabularies_are_warnings_not_triples(vocabularies) -> None:
    record = _record(review_type="annual report", report_type="press release",
                     outcome=["hurt feelings"], incident_date="spring 2020",
                     children=Children(1, [Child("Q", age="two years", sex="unknown")]))
    result = build_graph([record], vocabularies)
    messages = " | ".join(w.message for w in result.warnings)
    for fragment in ("review type 'annual report'", "report type 'press release'",
                     "outcome 'hurt feelings'", "incident date 'spring 2020'",
                     "age 'two years'", "sex 'unknown'"):
        assert fragment in messages
    assert all((w.file, w.line, w.entity) == ("other.txt", 10, "Child Q (Kent, 2020)")
               for w in result.warnings)
    review = iri("review/2020-kent-child-q")
    for predicate in (RG.reviewType, RG.hasReport, RG.incident):
        assert result.graph.value(review, predicate) is None
    assert validate(result.graph).conforms


class FixedPlaces:
    """A places stage that knows one place, to show the hook is used."""

    def __init__(self) -> None:
        self.locality = URIRef(B + "locality/E10000016")

    def resolve(self, name: str) -> tuple[URIRef | None, Problem | None]:
        if name == "Kent":
            return self.locality, None
        return None, Problem(f"no locality called {name!r}")

    def review_triples(self, review, record):
        yield review, RG.localityAsWritten, Literal(record.locality + " (checked)")

    def triples(self):
        yield self.locality, RDF.type, RG.Locality
        yield self.locality, RDFS.label, Literal("Kent")
        yield self.locality, RG.gssCode, Literal("E10000016")


def test_places_hook_supplies_locality_iris_and_triples(vocabularies) -> None:
    places = FixedPlaces()
    assert isinstance(places, Places)
    record = _record(places_mentioned=["Atlantis"])
    result = build_graph([record], vocabularies, places)
    review = iri("review/2020-kent-child-q")
    assert result.graph.value(review, RG.locality) == places.locality
    assert result.graph.value(review, RG.mentionsPlace) is None
    assert (places.locality, RG.gssCode, Literal("E10000016")) in result.graph
    assert Literal("Kent (checked)") in set(result.graph.objects(review, RG.localityAsWritten))
    assert result.localities == {"Kent": str(places.locality), "Atlantis": None}
    assert [(w.message, w.file, w.line) for w in result.warnings] == [
        ("no locality called 'Atlantis'", "other.txt", 10)]


def test_minted_places_by_default(vocabularies) -> None:
    places = MintedPlaces(B)
    assert places.resolve("Cambridgeshire and Peterborough") == (
        iri("locality/cambridgeshire-and-peterborough"), None)
    assert list(places.triples())[1] == (iri("locality/cambridgeshire-and-peterborough"),
                                         RDFS.label, Literal("Cambridgeshire and Peterborough"))


def test_sample_page_through_parser_places_and_graph(vocabularies) -> None:
    parsed = parse_file(SOURCES_DIR / "nspcc-new-in-the-collection-2025.txt",
                        load_known_places())
    result = build_graph(parsed.records, vocabularies, ReferencePlaces.load().for_graph())
    assert len(result.reviews) == 8
    assert result.warnings == []
    report = validate(result.graph)
    assert report.conforms, report.text()
    # West Glamorgan is a partnership: the review gets its two localities.
    west_glamorgan = next(r for r in result.graph.subjects(RG.localityAsWritten,
                                                           Literal("West Glamorgan")))
    assert len(set(result.graph.objects(west_glamorgan, RG.locality))) == 2
    # Every recommendation of the sample is addressed to something the graph knows.
    graph = result.graph
    recommendations = set(graph.subjects(RDF.type, RG.Recommendation))
    assert len(recommendations) == 56
    assert all(graph.value(r, RG.addressedTo) is not None for r in recommendations)

    def addressed(slug: str) -> set[URIRef]:
        return set(graph.objects(iri("recommendation/" + slug), RG.addressedTo))

    hertfordshire = iri("partnership/hertfordshire-safeguarding-children-partnership")
    assert addressed("2025-hertfordshire-ivy-1") == {hertfordshire}  # "the partnership"
    assert addressed("2025-hertfordshire-ivy-3") == {iri("agency/cafcass")}
    assert addressed("2025-west-glamorgan-wg-s71-2023-child-a-3") == {
        iri("partnership/west-glamorgan-safeguarding-board"), iri("agency/all-agencies")}
    assert addressed("2025-haringey-nic-6") == {iri("agency/partner-agencies")}
    assert (iri("agency/all-agencies"), RDF.type, RG.AgencyGroup) in graph
    # "train all general practitioners": names GPs, is not addressed to them.
    nic_6 = iri("recommendation/2025-haringey-nic-6")
    assert set(graph.objects(nic_6, RG.namesAgency)) == {iri("agency/general-practitioners")}
    # The ICS is addressed, so it is not also "named" by the same recommendation.
    assert graph.value(iri("recommendation/2025-kent-eli-and-micah-3"), RG.namesAgency) is None


def test_an_unresolved_addressee_stays_as_text_with_a_warning(vocabularies) -> None:
    record = _record(recommendations=[
        Recommendation("the review panel to meet again", ["the review panel"]),
        Recommendation("the review panel to report back", ["the review panel"]),
        Recommendation("all agencies to audit their records", ["all agencies"])])
    result = build_graph([record], vocabularies)
    assert [(w.file, w.line, w.entity) for w in result.warnings] == [
        ("other.txt", 10, "Child Q (Kent, 2020)")]
    assert "addressee 'the review panel' of recommendations 1, 2" in result.warnings[0].message
    first = iri("recommendation/2020-kent-child-q-1")
    assert result.graph.value(first, RG.addressee) == Literal("the review panel")
    assert result.graph.value(first, RG.addressedTo) is None
    assert result.graph.value(iri("recommendation/2020-kent-child-q-3"), RG.addressedTo) == \
        iri("agency/all-agencies")
    assert validate(result.graph).conforms


QUERIES = {
    "reviews per learning theme": ("""
        SELECT ?theme (COUNT(DISTINCT ?review) AS ?reviews) WHERE {
          ?review a rg:CaseReview ; rg:hasLearningPoint/rg:learningTheme ?t .
          ?t skos:prefLabel ?theme .
        } GROUP BY ?theme ORDER BY DESC(?reviews) ?theme""", "domestic abuse"),
    "reviews of deaths of babies": ("""
        SELECT ?title WHERE {
          ?review rg:concernsChild ?child ; dcterms:title ?title .
          ?child rg:ageBand/skos:notation "0" ; rg:outcome/skos:prefLabel "death"@en .
        }""", "Baby A"),
    "source lines of a review": ("""
        SELECT ?file ?first ?last WHERE {
          ?review dcterms:title "Ivy" ; rg:sourceExtract ?x .
          ?x rg:firstLine ?first ; rg:lastLine ?last ; dcterms:isPartOf/rg:fileName ?file .
        }""", SAMPLE),
    "recommendations addressed to an agency": ("""
        SELECT ?text WHERE {
          ?rec rg:addressedTo/skos:altLabel "CAFCASS"@en ; schema:text ?text .
        }""", "CAFCASS to provide training"),
    "reviews by keyword, any wording": ("""
        SELECT ?title WHERE {
          ?review dcterms:subject ?k ; dcterms:title ?title .
          ?k skos:prefLabel|skos:altLabel "parents with a mental health problem"@en .
        }""", "Eli and Micah"),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_example_queries(graph: Graph, name: str) -> None:
    from reviewgraph.terms import PREFIXES

    query, expected = QUERIES[name]
    prologue = "".join(f"PREFIX {p}: <{n}>\n" for p, n in PREFIXES.items())
    rows = [" ".join(str(v) for v in row) for row in graph.query(prologue + query)]
    assert any(expected in row for row in rows), rows


class PartnershipPlaces(MintedPlaces):
    """Minted places whose reviews have a partnership, and partnerships for two other places."""

    PARTNERSHIPS = {"Kent": URIRef(B + "partnership/kent"),
                    "Medway": URIRef(B + "partnership/medway"),
                    "Luton": URIRef(B + "partnership/luton")}

    def review_triples(self, review, record):
        yield review, RG.partnership, self.PARTNERSHIPS[record.locality]

    def partnership(self, name, year):
        return self.PARTNERSHIPS.get(name)

    def triples(self):
        yield from super().triples()
        for name, iri in self.PARTNERSHIPS.items():
            yield iri, RDF.type, RG.SafeguardingPartnership
            yield iri, RDFS.label, Literal(f"{name} partnership")


def test_partnership_addressees_resolve_against_the_review_and_the_places_it_names(
        vocabularies) -> None:
    record = _record(places_mentioned=["Medway", "Luton"], recommendations=[
        Recommendation("agree a protocol", ["the partnership"]),
        Recommendation("share the learning", ["both partnerships"]),
        Recommendation("audit strategy discussions", ["LA1 partnership"]),
        Recommendation("review guidance", ["LA3 partnership"]),
        Recommendation("commission training", ["Luton Safeguarding Children Partnership"]),
        Recommendation("report back", ["LA4 partnership"]),
    ])
    result = build_graph([record], vocabularies, PartnershipPlaces(B))
    kent, medway, luton = PartnershipPlaces.PARTNERSHIPS.values()

    def addressed(number: int) -> set[URIRef]:
        return set(result.graph.objects(iri(f"recommendation/2020-kent-child-q-{number}"),
                                        RG.addressedTo))

    assert [addressed(n) for n in range(1, 7)] == [
        {kent}, {kent, medway, luton}, {kent}, {luton}, {luton}, set()]
    assert [w.message for w in result.warnings] == [
        "addressee 'LA4 partnership' of recommendation 6 is neither a safeguarding partnership "
        "of the reference data nor an agency of the vocabulary: kept as written"]


def test_a_named_police_force_is_an_organisation_of_the_police_kind(vocabularies) -> None:
    summary = "Kent Police attended the home; children's social care visited."
    record = _record(summary=summary, agencies=default_matcher().find(summary),
                     recommendations=[Recommendation(
                         "Greater Manchester Police to review how the police share records",
                         ["Greater Manchester Police"])])
    result = build_graph([record], vocabularies)
    graph, review = result.graph, iri("review/2020-kent-child-q")
    kent_police = iri("agency/kent-police")
    assert set(graph.objects(review, RG.mentionsAgency)) == {
        kent_police, iri("agency/childrens-social-care")}
    assert (kent_police, RDF.type, terms.ORG.Organization) in graph
    assert (kent_police, RDF.type, SKOS.Concept) not in graph
    assert graph.value(kent_police, terms.ORG.classification) == iri("agency/police")
    recommendation = iri("recommendation/2020-kent-child-q-1")
    assert graph.value(recommendation, RG.addressedTo) == iri("agency/greater-manchester-police")
    assert graph.value(recommendation, RG.namesAgency) == iri("agency/police")
    assert result.warnings == []
    assert validate(result.graph).conforms


@pytest.mark.parametrize("text", ["A plain text", "", "ünïcode “quoted”", "tab\tand\nline",
                                  "x\x00y", "12", "true"])
def test_plain_literals_are_what_rdflib_makes(text: str) -> None:
    from reviewgraph.graph import plain_literal

    made, expected = plain_literal(text), Literal(text)
    assert type(made) is Literal and made == expected and hash(made) == hash(expected)
    assert (str(made), made.language, made.datatype, made.value, made.ill_typed) == \
        (str(expected), expected.language, expected.datatype, expected.value, expected.ill_typed)
    assert made.n3() == expected.n3()
