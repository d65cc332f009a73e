"""SHACL shapes: the sample graph conforms, and every shape catches data that violates it.

Each case breaks one thing in a valid graph (hand-written records of the sample page, with the
real vocabularies and places) and checks that the report names the entity, the problem (the
shape's own message) and, for what was read from a page, the source lines. A meta-test checks
that every property shape and every closed node shape in shapes/ has a case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib import namespace as ns
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, SH, SKOS, VOID, XSD
from sample_records import SAMPLE, sample_records

from reviewgraph import terms
from reviewgraph.concepts import load_vocabularies
from reviewgraph.graph import build_graph
from reviewgraph.paths import ONTOLOGY_FILE
from reviewgraph.places import Places
from reviewgraph.records import SourceRef
from reviewgraph.sources import Capture
from reviewgraph.terms import DEFAULT_BASE_IRI, RG, WD
from reviewgraph.validation import (
    REVIEW_PART_CLASSES,
    ValidationReport,
    _partition_safe,
    _report,
    _validate_batch,
    compile_shapes,
    executable_shapes,
    load_shapes,
    partition,
    validate,
)

B = DEFAULT_BASE_IRI
REVIEW = URIRef(B + "review/2025-hertfordshire-ivy")
CHILD = URIRef(B + "child/2025-hertfordshire-ivy-1")
INCIDENT = URIRef(B + "incident/2025-hertfordshire-ivy")
LEARNING = URIRef(B + "learning/2025-hertfordshire-ivy-1")
RECOMMENDATION = URIRef(B + "recommendation/2025-hertfordshire-ivy-2")
REPORT = URIRef(B + "report/2025-hertfordshire-ivy")
EXTRACT = URIRef(B + "source/nspcc-new-in-the-collection-2025/lines-22-27")
PAGE = URIRef(B + "source/nspcc-new-in-the-collection-2025")
KEYWORD = URIRef(B + "keyword/filicide")
THEME = URIRef(B + "theme/safe-sleep")
REVIEW_TYPE = URIRef(B + "review-type/thematic-review")
OUTCOME = URIRef(B + "outcome/death")
REPORT_TYPE = URIRef(B + "report-type/overview-report")
AGE_BAND = URIRef(B + "age-band/1-4")
AGENCY = URIRef(B + "agency/cafcass")
SCHEME = URIRef(B + "scheme/outcomes")
DATASET = URIRef(B + "dataset")
LOCALITY = URIRef(B + "locality/hertfordshire")
VERSION = URIRef(B + "version/2025-bristol-serious-youth-violence-2")
RIGHTS = URIRef(B + "rights/nspcc-text")
EARLIER = "earlier-listing.txt"  # a made-up earlier capture listing one sample review
# Entities whose problems must be reported with the source lines of the Ivy entry.
FROM_IVY_ENTRY = {REVIEW, CHILD, INCIDENT, LEARNING, RECOMMENDATION, REPORT, EXTRACT}


def _records_and_captures() -> tuple[list, dict[str, tuple[Capture, ...]]]:
    """The sample records, with captures of the sample page and an earlier capture of another
    page listing "Serious youth violence" with a corrected summary (an earlier version)."""
    records = sample_records()
    earlier = replace(records[1], source=SourceRef(EARLIER, 3, 8),
                      summary=records[1].summary.replace("three separate", "three"))
    address = "https://learning.example.org/case-reviews/recently-published"
    captures = {
        SAMPLE: (Capture(address, "Internet Archive", "2025-03-04T12:00:00Z",
                         f"https://archive.example.org/web/20250304120000id_/{address}"),
                 Capture(address, "live", "2025-06-01T09:00:00Z")),
        EARLIER: (Capture(address, "Internet Archive", "2025-02-01T08:00:00Z",
                          f"https://archive.example.org/web/20250201080000id_/{address}"),),
    }
    return [*records, earlier], captures


@pytest.fixture(scope="module")
def valid_graph() -> Graph:
    vocabularies = load_vocabularies()
    records, captures = _records_and_captures()
    result = build_graph(records, vocabularies, Places.load().for_graph(), captures=captures,
                         titles={SAMPLE: "Recently published case reviews"})
    return result.graph


def _places_nodes(graph: Graph) -> dict[str, URIRef]:
    """Nodes the places stage mints, found through the graph rather than by their IRIs."""
    def one(value: object, what: str) -> URIRef:
        assert isinstance(value, URIRef), f"the sample graph has no {what}"
        return value

    linkset = one(min(graph.subjects(RDF.type, VOID.Linkset), default=None), "void:Linkset")
    return {
        "council": one(graph.value(LOCALITY, RG.council), "rg:council of Hertfordshire"),
        "partnership": one(graph.value(REVIEW, RG.partnership), "rg:partnership of Ivy"),
        "authority_type": one(graph.value(LOCALITY, RG.localAuthorityType),
                              "rg:localAuthorityType of Hertfordshire"),
        "reference": one(graph.value(LOCALITY, PROV.wasDerivedFrom),
                         "prov:wasDerivedFrom of Hertfordshire"),
        "linkset": linkset,
        "external": one(graph.value(linkset, VOID.objectsTarget), "void:objectsTarget"),
        "agency_kind": one(graph.value(AGENCY, RG.agencyKind), "rg:agencyKind of CAFCASS"),
        "capture": one(min(graph.objects(PAGE, RG.capture), default=None), "rg:capture"),
    }


Mutation = Callable[[Graph, URIRef], None]


def drop(predicate: URIRef) -> Mutation:
    return lambda g, entity: g.remove((entity, predicate, None))


def put(predicate: URIRef, value: object) -> Mutation:
    return lambda g, entity: g.set((entity, predicate, value))


def add(predicate: URIRef, value: object) -> Mutation:
    return lambda g, entity: g.add((entity, predicate, value))


def unlink(predicate: URIRef, subject: URIRef = REVIEW) -> Mutation:
    """Remove the link from the review (or `subject`) to the entity."""
    return lambda g, entity: g.remove((subject, predicate, entity))


def untype(cls: URIRef) -> Mutation:
    return lambda g, entity: g.remove((entity, RDF.type, cls))


@dataclass(frozen=True)
class Case:
    shape: str  # local name of the node shape
    message: str  # the shape's sh:message the report must carry
    entity: URIRef | str  # the entity (or a key of _places_nodes)
    mutate: Mutation
    check_source: bool = True  # False where the mutation breaks the source lines themselves

    @property
    def id(self) -> str:
        return f"{self.shape}: {self.message[:60]}"


def s(text: str) -> Literal:
    return Literal(text)


def en(text: str) -> Literal:
    return Literal(text, lang="en")


CASES = [
    # --- case reviews -------------------------------------------------------------------------
    Case("CaseReviewShape", "a case review needs exactly one non-empty label (rdfs:label)",
         REVIEW, drop(RDFS.label)),
    Case("CaseReviewShape", "a case review needs exactly one non-empty title (dcterms:title)",
         REVIEW, put(DCTERMS.title, s("  "))),
    Case("CaseReviewShape", "a case review needs exactly one publication year (rg:year), an "
         "xsd:gYear from 1990 to 2100",
         REVIEW, put(RG.year, Literal("1899", datatype=ns.XSD.gYear))),
    Case("CaseReviewShape", "a case review needs exactly one publication date (dcterms:issued), "
         "an xsd:gYear or xsd:gYearMonth from 1990 to 2100",
         REVIEW, put(DCTERMS.issued, s("2025"))),
    Case("CaseReviewShape", "a case review has at most one publication month (rg:month), an "
         "xsd:integer from 1 to 12", REVIEW, put(RG.month, Literal(13))),
    Case("CaseReviewShape", "a case review has at most one non-empty locality as written "
         "(rg:localityAsWritten)", REVIEW, add(RG.localityAsWritten, s("Herts"))),
    Case("CaseReviewShape", "a case review's locality (rg:locality) must be an rg:Locality (a "
         "heading naming a partnership gives one per locality it covers)",
         REVIEW, add(RG.locality, KEYWORD)),
    Case("CaseReviewShape", "a place a case review mentions (rg:mentionsPlace) must be an "
         "rg:Locality", REVIEW, add(RG.mentionsPlace, KEYWORD)),
    Case("CaseReviewShape", "a case review's partnership (rg:partnership) must be an "
         "rg:SafeguardingPartnership", REVIEW, add(RG.partnership, LOCALITY)),
    Case("CaseReviewShape", "a case review has at most one non-empty publisher note "
         "(rg:publisherNote)", REVIEW, add(RG.publisherNote, s(""))),
    Case("CaseReviewShape", "a case review has at most one non-empty summary (dcterms:abstract)",
         REVIEW, add(DCTERMS.abstract, s("A second summary."))),
    Case("CaseReviewShape", "a case review has at most one non-empty background (rg:background)",
         REVIEW, add(RG.background, s(" "))),
    Case("CaseReviewShape", "a case review has at most one non-empty review model "
         "(rg:reviewModel)", REVIEW, add(RG.reviewModel, Literal(5))),
    Case("CaseReviewShape", "a case review's review type (rg:reviewType) must be one "
         "rg:ReviewType concept", REVIEW, add(RG.reviewType, OUTCOME)),
    Case("CaseReviewShape", "a case review's report (rg:hasReport) must be one "
         "rg:ReportDocument", REVIEW, add(RG.hasReport, LEARNING)),
    Case("CaseReviewShape", "a child a case review concerns (rg:concernsChild) must be an "
         "rg:Child", REVIEW, add(RG.concernsChild, LEARNING)),
    Case("CaseReviewShape", "a case review has at most one child count (rg:childCount), an "
         "xsd:nonNegativeInteger", REVIEW, put(RG.childCount, s("two"))),
    Case("CaseReviewShape", "a case review's incident (rg:incident) must be an rg:Incident "
         "(one, or one per child where the text gives each child their own)",
         REVIEW, add(RG.incident, CHILD)),
    Case("CaseReviewShape", "a learning point of a case review (rg:hasLearningPoint) must be an "
         "rg:LearningPoint", REVIEW, add(RG.hasLearningPoint, CHILD)),
    Case("CaseReviewShape", "a recommendation of a case review (rg:hasRecommendation) must be an "
         "rg:Recommendation", REVIEW, add(RG.hasRecommendation, LEARNING)),
    Case("CaseReviewShape", "a case review's keyword (dcterms:subject) must be an rg:Keyword "
         "concept", REVIEW, add(DCTERMS.subject, THEME)),
    Case("CaseReviewShape", "a case review has no keywords (dcterms:subject)",
         REVIEW, drop(DCTERMS.subject)),
    Case("CaseReviewShape", "an agency a case review mentions (rg:mentionsAgency) must be an "
         "rg:Agency concept of the agency vocabulary",
         REVIEW, add(RG.mentionsAgency, URIRef(B + "agency/no-such-agency"))),
    Case("CaseReviewShape", "a case review needs a source extract (rg:sourceExtract): the lines "
         "it was read from", REVIEW, drop(RG.sourceExtract)),
    Case("CaseReviewShape", "a case review must be derived from (prov:wasDerivedFrom) the "
         "rg:SourceExtract it was read from", REVIEW, drop(PROV.wasDerivedFrom)),
    Case("CaseReviewShape", "a case review needs its primary source (prov:hadPrimarySource), an "
         "rg:SourcePage", REVIEW, drop(PROV.hadPrimarySource)),
    Case("CaseReviewShape", "a case review must be an IRI and use only the properties its shape "
         "describes", REVIEW, add(RG.pseudonym, s("Ivy"))),
    # --- children -----------------------------------------------------------------------------
    Case("ChildShape", "a child needs exactly one non-empty label (rdfs:label)",
         CHILD, add(RDFS.label, s("Another label"))),
    Case("ChildShape", "a child must be concerned by exactly one case review (rg:concernsChild)",
         CHILD, unlink(RG.concernsChild)),
    Case("ChildShape", "a child has at most one non-empty pseudonym (rg:pseudonym)",
         CHILD, add(RG.pseudonym, s("Child I"))),
    Case("ChildShape", "a child needs exactly one position (rg:position), an "
         "xsd:positiveInteger", CHILD, drop(RG.position)),
    Case("ChildShape", "a child has at most one age (rg:age), an xsd:duration of years, months, "
         "weeks or days such as P8D, P3M or P16Y", CHILD, put(RG.age, Literal("2 years"))),
    Case("ChildShape", "a child's age band (rg:ageBand) must be one rg:AgeBand concept",
         CHILD, put(RG.ageBand, OUTCOME)),
    Case("ChildShape", "a child's sex (schema:gender) must be schema:Female or schema:Male",
         CHILD, put(terms.SCHEMA.gender, s("girl"))),
    Case("ChildShape", "a child's outcome (rg:outcome) must be an rg:Outcome concept",
         CHILD, add(RG.outcome, KEYWORD)),
    Case("ChildShape", "a child must be an IRI and use only the properties its shape describes",
         CHILD, add(DCTERMS.title, s("Ivy"))),
    # --- incidents ----------------------------------------------------------------------------
    Case("IncidentShape", "an incident needs exactly one non-empty label (rdfs:label)",
         INCIDENT, drop(RDFS.label)),
    Case("IncidentShape", "an incident must belong to exactly one case review (rg:incident)",
         INCIDENT, unlink(RG.incident)),
    Case("IncidentShape", "an incident has at most one date (rg:incidentDate), an xsd:gYear, "
         "xsd:gYearMonth or xsd:date from 1900 to 2100",
         INCIDENT, put(RG.incidentDate, Literal("1850", datatype=ns.XSD.gYear))),
    Case("IncidentShape", "an incident's outcome (rg:outcome) must be an rg:Outcome concept",
         INCIDENT, add(RG.outcome, KEYWORD)),
    Case("IncidentShape", "an incident must be an IRI and use only the properties its shape "
         "describes", INCIDENT, add(RG.year, Literal("2024", datatype=ns.XSD.gYear))),
    Case("IncidentShape", "an incident happens to at most one child (rg:incidentChild), an "
         "rg:Child", INCIDENT, add(RG.incidentChild, LEARNING)),
    # --- learning points ------------------------------------------------------------------------
    Case("LearningPointShape", "a learning point needs exactly one non-empty label (rdfs:label)",
         LEARNING, drop(RDFS.label)),
    Case("LearningPointShape", "a learning point must belong to exactly one case review "
         "(rg:hasLearningPoint)", LEARNING, unlink(RG.hasLearningPoint)),
    Case("LearningPointShape", "a learning point needs exactly one non-empty text (schema:text)",
         LEARNING, put(terms.SCHEMA.text, s(""))),
    Case("LearningPointShape", "a learning point needs exactly one position (rg:position), an "
         "xsd:positiveInteger", LEARNING, put(RG.position, Literal(1))),
    Case("LearningPointShape", "a learning point's theme (rg:learningTheme) must be an "
         "rg:LearningTheme concept", LEARNING, add(RG.learningTheme, KEYWORD)),
    Case("LearningPointShape", "a learning point must be an IRI and use only the properties its "
         "shape describes", LEARNING, add(RG.addressee, s("the partnership"))),
    Case("LearningPointShape", "why a learning point has a theme (rg:themeMatch) must read "
         "'theme: \u201cthe words matched\u201d'", LEARNING, add(RG.themeMatch, s("safe sleep"))),
    Case("LearningPointShape", "a child a learning point is specific to (rg:specificToChild) "
         "must be an rg:Child", LEARNING, add(RG.specificToChild, REVIEW)),
    # --- recommendations ------------------------------------------------------------------------
    Case("RecommendationShape", "a recommendation needs exactly one non-empty label "
         "(rdfs:label)", RECOMMENDATION, drop(RDFS.label)),
    Case("RecommendationShape", "a recommendation must belong to exactly one case review "
         "(rg:hasRecommendation)", RECOMMENDATION, unlink(RG.hasRecommendation)),
    Case("RecommendationShape", "a recommendation needs exactly one non-empty text "
         "(schema:text)", RECOMMENDATION, drop(terms.SCHEMA.text)),
    Case("RecommendationShape", "a recommendation needs exactly one position (rg:position), an "
         "xsd:positiveInteger", RECOMMENDATION,
         add(RG.position, Literal(3, datatype=ns.XSD.positiveInteger))),
    Case("RecommendationShape", "a recommendation's addressee as written (rg:addressee) must be "
         "non-empty text", RECOMMENDATION, add(RG.addressee, s(" "))),
    Case("RecommendationShape", "what a recommendation is addressed to (rg:addressedTo) must be "
         "an rg:Agency of the agency vocabulary or an rg:SafeguardingPartnership", RECOMMENDATION,
         add(RG.addressedTo, KEYWORD)),
    Case("RecommendationShape", "an agency a recommendation's text names (rg:namesAgency) must "
         "be an rg:Agency of the agency vocabulary", RECOMMENDATION,
         add(RG.namesAgency, KEYWORD)),
    Case("RecommendationShape", "a recommendation's theme (rg:learningTheme) must be an "
         "rg:LearningTheme concept", RECOMMENDATION, add(RG.learningTheme, OUTCOME)),
    Case("RecommendationShape", "a recommendation must be an IRI and use only the properties its "
         "shape describes", RECOMMENDATION, add(RG.pseudonym, s("x"))),
    # --- report documents ---------------------------------------------------------------------
    Case("ReportDocumentShape", "a report document needs exactly one non-empty label "
         "(rdfs:label)", REPORT, drop(RDFS.label)),
    Case("ReportDocumentShape", "a report document must belong to exactly one case review "
         "(rg:hasReport)", REPORT, unlink(RG.hasReport)),
    Case("ReportDocumentShape", "a report document needs exactly one report type "
         "(rg:reportType), an rg:ReportType concept", REPORT, put(RG.reportType, OUTCOME)),
    Case("ReportDocumentShape", "a report document has at most one web address (schema:url), an "
         "http(s) IRI", REPORT, add(terms.SCHEMA.url, URIRef("ftp://example.org/report.pdf"))),
    Case("ReportDocumentShape", "a report document must be an IRI and use only the properties "
         "its shape describes", REPORT, add(DCTERMS.title, s("Overview report"))),
    # --- provenance -----------------------------------------------------------------------------
    Case("SourceExtractShape", "a source extract needs exactly one non-empty label (rdfs:label)",
         EXTRACT, drop(RDFS.label)),
    Case("SourceExtractShape", "a source extract must be the source of a case review "
         "(rg:sourceExtract)", EXTRACT, unlink(RG.sourceExtract)),
    Case("SourceExtractShape", "a source extract needs exactly one first line (rg:firstLine), a "
         "positive integer no greater than its last line", EXTRACT,
         put(RG.firstLine, Literal(40, datatype=ns.XSD.positiveInteger)), check_source=False),
    Case("SourceExtractShape", "a source extract needs exactly one last line (rg:lastLine), a "
         "positive integer", EXTRACT, put(RG.lastLine, Literal("27"))),
    Case("SourceExtractShape", "a source extract must be part of (dcterms:isPartOf) exactly one "
         "rg:SourcePage", EXTRACT, put(DCTERMS.isPartOf, KEYWORD), check_source=False),
    Case("SourceExtractShape", "a source extract must be an IRI and use only the properties its "
         "shape describes", EXTRACT, add(RG.fileName, s("page.txt"))),
    Case("SourcePageShape", "a source page needs exactly one non-empty label (rdfs:label)",
         PAGE, drop(RDFS.label)),
    Case("SourcePageShape", "a source page needs exactly one file name (rg:fileName) without "
         "folders", PAGE, put(RG.fileName, s("data/sources/page.txt"))),
    Case("SourcePageShape", "a source page has at most one line count (rg:lineCount), a "
         "positive integer", PAGE, put(RG.lineCount, s("51"))),
    Case("SourcePageShape", "a source page must be an IRI and use only the properties its shape "
         "describes", PAGE, add(RG.firstLine, Literal(1, datatype=ns.XSD.positiveInteger))),
    Case("SourcePageShape", "a source page has at most one non-empty title (dcterms:title)",
         PAGE, add(DCTERMS.title, s("Another title"))),
    Case("SourcePageShape", "a capture of a source page (rg:capture) must be an rg:Capture",
         PAGE, add(RG.capture, KEYWORD)),
    # --- captures, earlier versions, rights -----------------------------------------------------
    Case("CaseReviewShape", "a capture that listed a case review (rg:listedIn) must be an "
         "rg:Capture", REVIEW, add(RG.listedIn, KEYWORD)),
    Case("CaseReviewShape", "a case review has at most one first-seen time (rg:firstSeen), an "
         "xsd:dateTime no later than its last-seen time", REVIEW,
         put(RG.firstSeen, Literal("2030-01-01T00:00:00Z", datatype=ns.XSD.dateTime))),
    Case("CaseReviewShape", "a case review has at most one last-seen time (rg:lastSeen), an "
         "xsd:dateTime", REVIEW, put(RG.lastSeen, s("2025-06-01"))),
    Case("CaseReviewShape", "a case review needs its source (dcterms:source): the addresses of "
         "the pages that listed it, or the saved page", REVIEW, drop(DCTERMS.source)),
    Case("CaseReviewShape", "a case review needs exactly one rights statement (dcterms:rights), "
         "a dcterms:RightsStatement", REVIEW, put(DCTERMS.rights, KEYWORD)),
    Case("CaseReviewShape", "an earlier version of a case review (prov:wasRevisionOf) must be "
         "an rg:ReviewVersion", REVIEW, add(PROV.wasRevisionOf, KEYWORD)),
    Case("CaptureShape", "a capture needs exactly one non-empty label (rdfs:label)", "capture",
         drop(RDFS.label)),
    Case("CaptureShape", "a capture needs exactly one original address (dcterms:source), an "
         "http(s) IRI", "capture", put(DCTERMS.source, URIRef("urn:x-page"))),
    Case("CaptureShape", "a capture needs exactly one non-empty archive name (rg:archive)",
         "capture", put(RG.archive, s(" "))),
    Case("CaptureShape", "a capture has at most one replay address (rg:replayUrl), an http(s) "
         "IRI", "capture", put(RG.replayUrl, s("web.archive.org"))),
    Case("CaptureShape", "a capture needs exactly one capture time (prov:generatedAtTime), an "
         "xsd:dateTime", "capture", put(PROV.generatedAtTime, s("March 2025"))),
    Case("CaptureShape", "a capture has at most one non-empty page title (dcterms:title)",
         "capture", add(DCTERMS.title, s("Another title"))),
    Case("CaptureShape", "a capture must be an IRI and use only the properties its shape "
         "describes", "capture", add(RG.fileName, s("page.html"))),
    Case("ReviewVersionShape", "an earlier version of a review needs exactly one non-empty "
         "label (rdfs:label)", VERSION, drop(RDFS.label)),
    Case("ReviewVersionShape", "an earlier version must be revised by exactly one case review "
         "(prov:wasRevisionOf)", VERSION, lambda g, entity: g.remove((None, PROV.wasRevisionOf,
                                                                       entity))),
    Case("ReviewVersionShape", "an earlier version of a review needs exactly one non-empty "
         "title (dcterms:title)", VERSION, drop(DCTERMS.title)),
    Case("ReviewVersionShape", "an earlier version of a review has at most one non-empty "
         "summary (dcterms:abstract)", VERSION, add(DCTERMS.abstract, s("Another summary."))),
    Case("ReviewVersionShape", "an earlier version of a review needs the parts that changed "
         "(rg:changedField), non-empty strings", VERSION, drop(RG.changedField)),
    Case("ReviewVersionShape", "an earlier version of a review must be derived from "
         "(prov:wasDerivedFrom) the rg:SourceExtract it was read from", VERSION,
         put(PROV.wasDerivedFrom, KEYWORD)),
    Case("ReviewVersionShape", "an earlier version of a review must be an IRI and use only the "
         "properties its shape describes", VERSION, add(RG.position, Literal(1))),
    Case("RightsStatementShape", "a rights statement needs exactly one non-empty label "
         "(rdfs:label)", RIGHTS, drop(RDFS.label)),
    Case("RightsStatementShape", "a rights statement needs exactly one non-empty description "
         "(dcterms:description) with a language tag", RIGHTS,
         put(DCTERMS.description, s("NSPCC text"))),
    Case("RightsStatementShape", "a rights statement must be an IRI and use only the properties "
         "its shape describes", RIGHTS, add(DCTERMS.title, s("Rights"))),
    Case("DatasetShape", "the dataset needs exactly one rights statement (dcterms:rights), a "
         "dcterms:RightsStatement", DATASET, drop(DCTERMS.rights)),
    # --- concepts and schemes -------------------------------------------------------------------
    Case("ConceptShape", "a concept needs exactly one non-empty preferred label (skos:prefLabel) "
         "with a language tag", KEYWORD, put(SKOS.prefLabel, s("filicide"))),
    Case("ConceptShape", "a concept's exact match (skos:exactMatch) must be an IRI",
         KEYWORD, add(SKOS.exactMatch, s("Q3410"))),
    Case("ConceptShape", "a concept's close match (skos:closeMatch) must be an IRI",
         KEYWORD, add(SKOS.closeMatch, s("Q3410"))),
    Case("ConceptShape", "a concept's broader match (skos:broadMatch) must be an IRI",
         KEYWORD, add(SKOS.broadMatch, s("Q3410"))),
    Case("ConceptShape", "a concept's narrower match (skos:narrowMatch) must be an IRI",
         KEYWORD, add(SKOS.narrowMatch, s("Q3410"))),
    Case("ConceptShape", "a concept's alternative label (skos:altLabel) must be non-empty text "
         "with a language tag", KEYWORD, add(SKOS.altLabel, s("child killing"))),
    Case("ConceptShape", "a concept's hidden label (skos:hiddenLabel) must be non-empty text with "
         "a language tag", KEYWORD, add(SKOS.hiddenLabel, en(" "))),
    Case("ConceptShape", "a concept has at most one non-empty definition (skos:definition) with "
         "a language tag", THEME, add(SKOS.definition, en("Another definition."))),
    Case("ConceptShape", "a concept has at most one non-empty notation (skos:notation)",
         AGE_BAND, add(SKOS.notation, s("1to4"))),
    Case("ConceptShape", "a concept must be in a concept scheme (skos:inScheme)",
         KEYWORD, drop(SKOS.inScheme)),
    Case("ConceptShape", "a concept can only be a top concept of (skos:topConceptOf) a "
         "skos:ConceptScheme", KEYWORD, add(SKOS.topConceptOf, OUTCOME)),
    Case("ConceptShape", "a broader concept (skos:broader) must be a skos:Concept",
         KEYWORD, add(SKOS.broader, PAGE)),
    Case("ConceptShape", "a narrower concept (skos:narrower) must be a skos:Concept",
         KEYWORD, add(SKOS.narrower, PAGE)),
    Case("ConceptSchemeShape", "a concept scheme needs exactly one non-empty preferred label "
         "(skos:prefLabel) with a language tag", SCHEME, drop(SKOS.prefLabel)),
    Case("ConceptSchemeShape", "a concept scheme has at most one non-empty definition "
         "(skos:definition) with a language tag", SCHEME, add(SKOS.definition, en("Another."))),
    Case("ConceptSchemeShape", "a concept scheme has at most one non-empty title "
         "(dcterms:title) with a language tag", SCHEME, add(DCTERMS.title, s("Outcomes"))),
    Case("ConceptSchemeShape", "a top concept of a scheme (skos:hasTopConcept) must be a "
         "skos:Concept", SCHEME, add(SKOS.hasTopConcept, PAGE)),
    Case("KeywordShape", "a keyword must also be a skos:Concept", KEYWORD, untype(SKOS.Concept)),
    Case("LearningThemeShape", "a learning theme must also be a skos:Concept",
         THEME, untype(SKOS.Concept)),
    Case("LearningThemeShape", "a learning theme needs a definition (skos:definition)",
         THEME, drop(SKOS.definition)),
    Case("LearningThemeShape", "a learning theme needs at least one non-empty match pattern "
         "(rg:matchPattern)", THEME, drop(RG.matchPattern)),
    Case("ReviewTypeShape", "a review type must also be a skos:Concept",
         REVIEW_TYPE, untype(SKOS.Concept)),
    Case("OutcomeShape", "an outcome must also be a skos:Concept", OUTCOME, untype(SKOS.Concept)),
    Case("ReportTypeShape", "a report type must also be a skos:Concept",
         REPORT_TYPE, untype(SKOS.Concept)),
    Case("AgeBandShape", "an age band must also be a skos:Concept",
         AGE_BAND, untype(SKOS.Concept)),
    Case("AgeBandShape", "an age band needs exactly one lower bound (rg:ageFrom), an "
         "xsd:duration such as P1Y", AGE_BAND, drop(RG.ageFrom)),
    Case("AgeBandShape", "an age band has at most one upper bound (rg:ageBelow), an "
         "xsd:duration such as P5Y", AGE_BAND, put(RG.ageBelow, s("5 years"))),
    Case("AgencyShape", "an agency needs exactly one non-empty preferred label (skos:prefLabel) "
         "with a language tag", AGENCY, drop(SKOS.prefLabel)),
    Case("AgencyShape", "the kind of service an organisation runs (org:classification) must be "
         "a kind of service of the agency vocabulary (a skos:Concept)", AGENCY,
         add(terms.ORG.classification, REVIEW)),
    Case("AgencyShape", "an agency's kind (rg:agencyKind) must be an rg:AgencyKind concept",
         AGENCY, add(RG.agencyKind, KEYWORD)),
    Case("AgencyKindShape", "an agency kind must also be a skos:Concept",
         "agency_kind", untype(SKOS.Concept)),
    # --- the dataset ----------------------------------------------------------------------------
    Case("DatasetShape", "the dataset must also be a void:Dataset", DATASET, untype(VOID.Dataset)),
    Case("DatasetShape", "the dataset needs exactly one non-empty label (rdfs:label)",
         DATASET, drop(RDFS.label)),
    Case("DatasetShape", "the dataset needs exactly one non-empty title (dcterms:title) with a "
         "language tag", DATASET, put(DCTERMS.title, s("ReviewGraph"))),
    Case("DatasetShape", "the dataset needs exactly one non-empty description "
         "(dcterms:description) with a language tag", DATASET, drop(DCTERMS.description)),
    Case("DatasetShape", "the dataset needs exactly one URI space (void:uriSpace), an http(s) "
         "IRI ending in / or #", DATASET, put(VOID.uriSpace, s("urn:reviewgraph"))),
    Case("DatasetShape", "the dataset needs the vocabularies it uses (void:vocabulary) as IRIs",
         DATASET, drop(VOID.vocabulary)),
    Case("DatasetShape", "the dataset's sources (dcterms:source) must be rg:SourcePage entities, "
         "at least one", DATASET, add(DCTERMS.source, KEYWORD)),
    Case("DatasetShape", "a theme taxonomy of the dataset (dcat:themeTaxonomy) must be a "
         "skos:ConceptScheme", DATASET, add(ns.DCAT.themeTaxonomy, KEYWORD)),
    Case("DatasetShape", "an example resource of the dataset (void:exampleResource) must be an "
         "IRI", DATASET, add(VOID.exampleResource, s("Ivy"))),
    Case("DatasetShape", "the dataset needs exactly one triple count (void:triples), an "
         "xsd:nonNegativeInteger", DATASET, put(VOID.triples, s("many"))),
    # --- places -------------------------------------------------------------------------------
    Case("LocalityShape", "a locality needs exactly one non-empty label (rdfs:label)",
         LOCALITY, drop(RDFS.label)),
    Case("LocalityShape", "a locality has at most one GSS code (rg:gssCode): a letter E, K, N, S "
         "or W and eight digits, such as E10000016", LOCALITY, put(RG.gssCode, s("E1000001"))),
    Case("LocalityShape", "a former GSS code (rg:formerGssCode) must be a letter E, K, N, S or W "
         "and eight digits", LOCALITY, add(RG.formerGssCode, s("X10000015"))),
    Case("LocalityShape", "a locality has at most one local authority code "
         "(rg:localAuthorityCode), three or four capitals or digits such as KEN",
         LOCALITY, put(RG.localAuthorityCode, s("herts"))),
    Case("LocalityShape", "a locality's local authority type (rg:localAuthorityType) must be one "
         "rg:LocalAuthorityType concept", LOCALITY, put(RG.localAuthorityType, KEYWORD)),
    Case("LocalityShape", "a locality's council (rg:council) must be an rg:Council",
         LOCALITY, add(RG.council, KEYWORD)),
    Case("LocalityShape", "a locality's successor (rg:replacedBy) must be an rg:Locality",
         LOCALITY, add(RG.replacedBy, KEYWORD)),
    Case("LocalityShape", "a locality or partnership has at most one start date (rg:startDate), "
         "an xsd:date", LOCALITY, put(RG.startDate, s("1974"))),
    Case("LocalityShape", "a locality or partnership has at most one end date (rg:endDate), an "
         "xsd:date", LOCALITY, put(RG.endDate, s("never"))),
    Case("LocalityShape", "a locality is the same as (owl:sameAs) only its ONS statistical "
         "geography IRI", LOCALITY, add(OWL.sameAs, WD.Q3410)),
    Case("LocalityShape", "a locality has at most one Wikidata area item (rg:wikidataArea), an "
         "IRI http://www.wikidata.org/entity/Q...", LOCALITY,
         put(RG.wikidataArea, URIRef("https://www.wikidata.org/wiki/Q3410"))),
    Case("LocalityShape", "a related item (rg:relatedItem) must be an IRI",
         LOCALITY, add(RG.relatedItem, s("Hertfordshire"))),
    Case("LocalityShape", "a place or council is not a SKOS concept: link a near match with "
         "rg:relatedItem, not skos:closeMatch", LOCALITY, add(SKOS.closeMatch, WD.Q3410)),
    Case("LocalityShape", "a place or council is not a SKOS concept: state identity with "
         "owl:sameAs or rg:wikidataArea, not skos:exactMatch",
         LOCALITY, add(SKOS.exactMatch, WD.Q3410)),
    Case("LocalityShape", "a locality, council or partnership is derived from "
         "(prov:wasDerivedFrom) a reference file (prov:Entity)",
         LOCALITY, add(PROV.wasDerivedFrom, KEYWORD)),
    Case("CouncilShape", "a council needs exactly one non-empty label (rdfs:label)",
         "council", drop(RDFS.label)),
    Case("CouncilShape", "a council must govern (rg:governs) at least one rg:Locality",
         "council", drop(RG.governs)),
    Case("CouncilShape", "a council has at most one Wikidata organisation item "
         "(rg:wikidataOrganisation), an IRI http://www.wikidata.org/entity/Q...",
         "council", put(RG.wikidataOrganisation, s("Q5744765"))),
    Case("CouncilShape", "a related item (rg:relatedItem) must be an IRI",
         "council", add(RG.relatedItem, s("Hertfordshire County Council"))),
    Case("CouncilShape", "a place or council is not a SKOS concept: link a near match with "
         "rg:relatedItem, not skos:closeMatch", "council", add(SKOS.closeMatch, WD.Q5744765)),
    Case("CouncilShape", "a place or council is not a SKOS concept: state identity with "
         "owl:sameAs or rg:wikidataArea, not skos:exactMatch",
         "council", add(SKOS.exactMatch, WD.Q5744765)),
    Case("CouncilShape", "a locality, council or partnership is derived from "
         "(prov:wasDerivedFrom) a reference file (prov:Entity)",
         "council", add(PROV.wasDerivedFrom, KEYWORD)),
    Case("SafeguardingPartnershipShape", "a safeguarding partnership needs exactly one non-empty "
         "label (rdfs:label)", "partnership", drop(RDFS.label)),
    Case("SafeguardingPartnershipShape", "a safeguarding partnership must cover (rg:covers) at "
         "least one rg:Locality", "partnership", drop(RG.covers)),
    Case("SafeguardingPartnershipShape", "a partnership's other name (skos:altLabel) must be "
         "non-empty text", "partnership", add(SKOS.altLabel, en(""))),
    Case("SafeguardingPartnershipShape", "a partnership has at most one non-empty comment "
         "(rdfs:comment)", "partnership", add(RDFS.comment, en(" "))),
    Case("SafeguardingPartnershipShape", "a partnership's member (org:hasMember) must be an IRI "
         "(a council or other organisation)", "partnership",
         add(URIRef("http://www.w3.org/ns/org#hasMember"), s("the police"))),
    Case("SafeguardingPartnershipShape", "a locality or partnership has at most one start date "
         "(rg:startDate), an xsd:date", "partnership", put(RG.startDate, s("2019"))),
    Case("SafeguardingPartnershipShape", "a locality or partnership has at most one end date "
         "(rg:endDate), an xsd:date", "partnership", put(RG.endDate, s("later"))),
    Case("SafeguardingPartnershipShape", "a locality, council or partnership is derived from "
         "(prov:wasDerivedFrom) a reference file (prov:Entity)",
         "partnership", add(PROV.wasDerivedFrom, KEYWORD)),
    Case("LocalAuthorityTypeShape", "a local authority type must also be a skos:Concept",
         "authority_type", untype(SKOS.Concept)),
    Case("LocalAuthorityTypeShape", "a local authority type has at most one non-empty label "
         "(rdfs:label)", "authority_type", add(RDFS.label, s("shire county"))),
    Case("AgencyLinksShape", "an agency has at most one GOV.UK organisation page "
         "(rg:govukOrganisation), https://www.gov.uk/government/organisations/...",
         AGENCY, put(RG.govukOrganisation, URIRef("https://www.cafcass.gov.uk/"))),
    Case("GovukOrganisationShape", "only an organisation (org:Organization, one body) has a "
         "GOV.UK organisation page (rg:govukOrganisation): a kind of service, an arrangement or "
         "a group stands for many bodies", URIRef(B + "agency/prison-service"),
         put(RG.govukOrganisation, URIRef("https://www.gov.uk/government/organisations/"
                                          "hm-prison-service"))),
    Case("ExternalDatasetShape", "a dataset needs exactly one non-empty label (rdfs:label)",
         "external", drop(RDFS.label)),
    Case("ExternalDatasetShape", "a dataset has at most one URI space (void:uriSpace), an http(s) "
         "IRI prefix", "external", put(VOID.uriSpace, s("wd:"))),
    Case("ExternalDatasetShape", "a dataset has at most one home page (foaf:homepage), an IRI",
         "external", put(URIRef("http://xmlns.com/foaf/0.1/homepage"), s("wikidata.org"))),
    Case("ExternalDatasetShape", "a subset of a dataset (void:subset) must be an IRI",
         "external", add(VOID.subset, s("links"))),
    Case("LinksetShape", "a linkset needs exactly one non-empty label (rdfs:label)",
         "linkset", drop(RDFS.label)),
    Case("LinksetShape", "a linkset needs its link predicates (void:linkPredicate), IRIs",
         "linkset", drop(VOID.linkPredicate)),
    Case("LinksetShape", "a linkset needs exactly one subjects target (void:subjectsTarget), a "
         "void:Dataset", "linkset", put(VOID.subjectsTarget, KEYWORD)),
    Case("LinksetShape", "a linkset needs exactly one objects target (void:objectsTarget), a "
         "void:Dataset", "linkset", drop(VOID.objectsTarget)),
    Case("LinksetShape", "a linkset needs exactly one link count (void:triples), a non-negative "
         "integer", "linkset", put(VOID.triples, Literal(-1))),
    Case("LinksetShape", "a subset of a linkset (void:subset) must be a void:Linkset",
         "linkset", add(VOID.subset, KEYWORD)),
    Case("LinksetShape", "a linkset has at most one non-empty link source (rg:linkSource)",
         "linkset", add(RG.linkSource, s(""))),
    Case("LinksetShape", "a linkset is derived from (prov:wasDerivedFrom) a reference file "
         "(prov:Entity)", "linkset", add(PROV.wasDerivedFrom, KEYWORD)),
    Case("ReferenceFileShape", "a reference file needs exactly one non-empty label (rdfs:label)",
         "reference", drop(RDFS.label)),
    Case("ReferenceFileShape", "a reference file has at most one non-empty title "
         "(dcterms:title)", "reference", add(DCTERMS.title, s("Another title"))),
    Case("ReferenceFileShape", "a reference file needs exactly one file name (rg:fileName)",
         "reference", drop(RG.fileName)),
    Case("ReferenceFileShape", "a reference file has at most one non-empty citation "
         "(dcterms:bibliographicCitation)", "reference",
         add(DCTERMS.bibliographicCitation, s(" "))),
    Case("ReferenceFileShape", "a reference file has at most one licence (dcterms:license), an "
         "IRI", "reference", add(DCTERMS.license, s("OGL"))),
]


ENGINES = ("pyshacl", "fast")


@pytest.mark.parametrize("engine", ENGINES)
def test_sample_graph_conforms(valid_graph: Graph, engine: str) -> None:
    report = validate(valid_graph, engine=engine)
    assert report.conforms, report.text()
    assert report.results == ()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_shape_reports_the_entity_and_the_problem(valid_graph: Graph, case: Case,
                                                       engine: str) -> None:
    graph = Graph()
    graph += valid_graph
    entity = case.entity if isinstance(case.entity, URIRef) else _places_nodes(graph)[case.entity]
    case.mutate(graph, entity)
    report = validate(graph, engine=engine)
    matching = [r for r in report.results if r.entity == str(entity) and r.message == case.message]
    assert matching, f"no result for {entity} with {case.message!r}:\n{report.text()}"
    result = matching[0]
    text = report.text()
    assert str(entity) in text and case.message in text
    if result.label:
        assert result.label in str(result)
    still_linked = entity == REVIEW or any(graph.subjects(None, entity))
    if entity in FROM_IVY_ENTRY and still_linked and case.check_source:
        assert (result.file, result.line, result.last_line) == (SAMPLE, 22, 27)
        assert str(result).startswith(f"{SAMPLE}:22-27: ")
    severity = "warning" if "has no keywords" in case.message else "violation"
    assert result.severity == severity
    assert report.conforms == (severity != "violation")


def _shape_messages() -> set[tuple[str, str]]:
    """(node shape, message) of every property shape and every closed node shape."""
    shapes = load_shapes()
    found = set()
    for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
        name = str(node_shape).rsplit("/", 1)[-1]
        for property_shape in shapes.objects(node_shape, SH.property):
            messages = list(shapes.objects(property_shape, SH.message))
            assert len(messages) == 1, f"{name}: a property shape without one sh:message"
            found.add((name, str(messages[0])))
        if shapes.value(node_shape, SH.closed) is not None:
            found.add((name, str(shapes.value(node_shape, SH.message))))
    return found


def test_every_shape_has_a_violation_case() -> None:
    cases = {(case.shape, case.message) for case in CASES}
    missing = _shape_messages() - cases
    assert not missing, f"shapes without a test case: {sorted(missing)}"
    stale = cases - _shape_messages()
    assert not stale, f"cases for shapes that no longer exist: {sorted(stale)}"


def test_every_predicate_and_class_of_the_graph_has_a_shape(valid_graph: Graph) -> None:
    shapes = load_shapes()
    paths = set()
    for property_shape in shapes.objects(None, SH.property):
        path = shapes.value(property_shape, SH.path)
        if isinstance(path, URIRef):
            paths.add(path)
    targets = set(shapes.objects(None, SH.targetClass))
    unshaped = sorted({p for p in valid_graph.predicates() if p not in paths} - {RDF.type})
    assert not unshaped, f"properties without a shape: {unshaped}"
    untargeted = set()
    for subject in set(valid_graph.subjects(RDF.type, None)):
        types = set(valid_graph.objects(subject, RDF.type))
        if not types & targets:
            untargeted |= types
    assert not untargeted, f"classes without a shape: {sorted(untargeted)}"


def test_sample_graph_conforms_with_the_ontologys_rdfs_entailments(valid_graph: Graph) -> None:
    # pyshacl adds what the ontology's RDFS semantics entail (super-properties, domains and
    # ranges, super-classes) before validating: the graph must conform then too.
    ontology = Graph().parse(ONTOLOGY_FILE)
    conforms, _, text = pyshacl_validate(valid_graph, shacl_graph=load_shapes(),
                                         ont_graph=ontology, inference="rdfs")
    assert conforms, text


def test_skos_mapping_properties_link_only_concepts(valid_graph: Graph) -> None:
    # Under SKOS semantics a mapping property makes its subject a skos:Concept: only concepts
    # may carry one (places and councils use owl:sameAs, rg:wikidataArea, rg:relatedItem).
    ontology = Graph().parse(ONTOLOGY_FILE)
    mapping = {SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch,
               SKOS.relatedMatch, SKOS.mappingRelation}
    assert not [p for p, o in ontology.subject_objects(RDFS.subPropertyOf) if o in mapping]
    for predicate in mapping:
        for subject in valid_graph.subjects(predicate, None):
            assert (subject, RDF.type, SKOS.Concept) in valid_graph, subject


def test_ontology_does_not_claim_to_be_owl2_dl() -> None:
    # It uses datatypes outside the OWL 2 datatype map (xsd:gYear, ...): it says it is OWL 2
    # under the RDF-Based Semantics, and nowhere that it is OWL 2 DL.
    text = ONTOLOGY_FILE.read_text(encoding="utf-8")
    assert "not OWL 2 DL" in text
    assert text.count("OWL 2 DL") == text.count("not OWL 2 DL")
    ontology = Graph().parse(ONTOLOGY_FILE)
    assert {XSD.gYear, XSD.duration} & set(ontology.objects(None, RDFS.range))


@pytest.mark.parametrize("engine", ENGINES)
def test_report_is_readable_and_ordered(valid_graph: Graph, engine: str) -> None:
    graph = Graph()
    graph += valid_graph
    graph.set((REVIEW, RG.year, Literal("3000", datatype=ns.XSD.gYear)))
    graph.remove((URIRef(B + "review/2025-kent-eli-and-micah"), DCTERMS.subject, None))
    report = validate(graph, engine=engine)
    assert not report.conforms
    # The year 3000 breaks the year's form and lies in the future (shapes/consistency.ttl).
    assert [r.severity for r in report.results] == ["violation", "violation", "warning"]
    lines = report.text().splitlines()
    assert lines.pop(1) == (
        f"{SAMPLE}:22-27: violation: Ivy (Hertfordshire, 2025) <{REVIEW}>: a case review's "
        'publication year (rg:year) is in the future (property rg:year, value "3000"^^xsd:gYear)')
    assert lines[0] == (
        f"{SAMPLE}:22-27: violation: Ivy (Hertfordshire, 2025) <{REVIEW}>: a case review needs "
        "exactly one publication year (rg:year), an xsd:gYear from 1990 to 2100 "
        '(property rg:year, value "3000"^^xsd:gYear)'
    )
    assert lines[1].startswith(f"{SAMPLE}:28-33: warning: Eli and Micah (Kent, 2025)")
    assert lines[-1] == "does not conform: 2 violation(s), 1 warning(s)"
    problem = report.violations[0].to_problem()
    assert (problem.file, problem.line, problem.entity) == (SAMPLE, 22, "Ivy (Hertfordshire, 2025)")


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_graph_conforms_and_report_is_empty(engine: str) -> None:
    assert validate(Graph(), engine=engine) == ValidationReport(())


# --- validation at scale: lifted shapes, partition, parallel batches --------------------------
def _original_report(graph: Graph) -> ValidationReport:
    """pyshacl on the shapes exactly as written, over the whole graph in one call."""
    return _report(_validate_batch(graph, load_shapes()))


def _mutated(valid_graph: Graph, case: Case) -> Graph:
    graph = Graph()
    graph += valid_graph
    entity = case.entity if isinstance(case.entity, URIRef) else _places_nodes(graph)[case.entity]
    case.mutate(graph, entity)
    return graph


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_lifted_and_partitioned_validation_report_what_the_shapes_as_written_do(
        valid_graph: Graph, case: Case) -> None:
    # The same results, however the validation is driven: shapes as written over the whole
    # graph; lifted shapes over the whole graph; lifted shapes in batches of two reviews
    # (worker processes are exercised by test_a_violation_is_caught_wherever_it_sits).
    # The fast engine (shapes compiled to checks over an index) gives the same report too:
    # same focus nodes, paths, values, severities, messages and source lines.
    graph = _mutated(valid_graph, case)
    original = _original_report(graph)
    assert original.results, "the case must break something"
    assert validate(graph, engine="pyshacl") == original
    assert validate(graph, workers=1, batch_reviews=2, engine="pyshacl") == original
    assert validate(graph, engine="fast") == original


def test_executable_shapes_keep_every_constraint() -> None:
    shapes, lifted = load_shapes(), executable_shapes(load_shapes())
    # Every property shape keeps its constraints and gains its node shape's targets; every
    # closed node shape allows the same properties as before.
    for node in shapes.subjects(SH.property, None):
        targets = set(shapes.objects(node, SH.targetClass))
        for prop in shapes.objects(node, SH.property):
            assert set(shapes.predicate_objects(prop)) <= set(lifted.predicate_objects(prop))
            assert set(lifted.objects(prop, SH.targetClass)) == targets
        if shapes.value(node, SH.closed) is not None:
            allowed = {shapes.value(p, SH.path) for p in shapes.objects(node, SH.property)}
            allowed = {p for p in allowed if isinstance(p, URIRef)} | set(
                Collection(shapes, shapes.value(node, SH.ignoredProperties)))
            listed = set(Collection(lifted, lifted.value(node, SH.ignoredProperties)))
            assert listed == allowed


def _sample_triples(valid_graph: Graph) -> set:
    return set(valid_graph)


def test_partition_covers_every_triple_once(valid_graph: Graph) -> None:
    triples = _sample_triples(valid_graph)
    split = partition(triples)
    grouped = [t for group in split.groups for t in group]
    assert len(grouped) == len(set(grouped))  # no triple in two groups
    assert set(grouped).isdisjoint(split.shared)
    assert set(grouped) | set(split.shared) == triples  # nothing left unvalidated
    assert set().union(*map(set, split.batches(3))) | set(split.shared) == triples
    # One group per review; each group holds its review's parts and nothing shared.
    reviews = set(valid_graph.subjects(RDF.type, RG.CaseReview))
    assert len(split.groups) == len(reviews) > 3
    for group in split.groups:
        subjects = {s for s, _, _ in group}
        assert len(subjects & reviews) == 1
        for subject in subjects:
            types = set(valid_graph.objects(subject, RDF.type))
            assert types & REVIEW_PART_CLASSES
    ivy = next(g for g in split.groups if (REVIEW, RDF.type, RG.CaseReview) in g)
    assert {s for s, _, _ in ivy} >= {REVIEW, CHILD, INCIDENT, LEARNING, RECOMMENDATION, REPORT,
                                      EXTRACT}


def _group_review(group: list) -> URIRef:
    return next(s for s, p, o in group if p == RDF.type and o == RG.CaseReview)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("where", ["first review", "middle batch", "last review",
                                   "vocabulary concept", "places", "cross-review"])
def test_a_violation_is_caught_wherever_it_sits(valid_graph: Graph, where: str,
                                                engine: str) -> None:
    # The sample's reviews in batches of two (three batches) in two worker processes.
    graph = Graph()
    graph += valid_graph
    groups = partition(set(graph)).groups
    year_message = ("a case review needs exactly one publication year (rg:year), an xsd:gYear "
                    "from 1990 to 2100")
    if where in ("first review", "middle batch", "last review"):
        index = {"first review": 0, "middle batch": len(groups) // 2, "last review": -1}[where]
        entity, message = _group_review(groups[index]), year_message
        # The same year, untyped: only the year's form is wrong (no year is in the future
        # or before an incident).
        graph.set((entity, RG.year, Literal(str(graph.value(entity, RG.year)))))
    elif where == "vocabulary concept":
        entity = THEME
        message = "a concept needs exactly one non-empty preferred label (skos:prefLabel) with " \
                  "a language tag"
        graph.remove((THEME, SKOS.prefLabel, None))
    elif where == "places":
        entity, message = LOCALITY, "a locality needs exactly one non-empty label (rdfs:label)"
        graph.remove((LOCALITY, RDFS.label, None))
    else:
        # The first review also claims a child of the last review with children (in another
        # batch): the child then belongs to two reviews, which neither batch alone would show.
        children = [o for group in groups[:0:-1] for s, p, o in group if p == RG.concernsChild]
        entity = children[0]
        graph.add((_group_review(groups[0]), RG.concernsChild, entity))
        message = "a child must be concerned by exactly one case review (rg:concernsChild)"
    report = validate(graph, workers=2, batch_reviews=2, engine=engine)
    assert [r.message for r in report.violations if r.entity == str(entity)] == [message]
    assert report == _original_report(graph)


def test_shapes_that_look_further_are_validated_as_one_graph(valid_graph: Graph) -> None:
    shapes = Graph()
    shapes += load_shapes()
    # SPARQL constraints may look anywhere: a graph is then validated whole by pyshacl.
    assert not _partition_safe(shapes)
    for constraint in list(shapes.objects(None, SH.sparql)):
        shapes.remove((constraint, None, None))
    for declaration in list(shapes.objects(None, SH.declare)):
        shapes.remove((declaration, None, None))
    shapes.remove((None, SH.sparql, None))
    shapes.remove((None, SH.declare, None))
    assert _partition_safe(shapes)
    # A node shape reached through sh:node looks two steps away: no partition then.
    deep = URIRef("https://reviewgraph.example/def/shapes/DeepShape")
    shapes.add((deep, RDF.type, SH.NodeShape))
    shapes.add((deep, SH.targetClass, RG.CaseReview))
    shapes.add((deep, SH.node, URIRef("https://reviewgraph.example/def/shapes/ChildShape")))
    assert not _partition_safe(shapes)
    expected = _report(_validate_batch(valid_graph, executable_shapes(shapes)))
    assert validate(valid_graph, shapes, workers=2, batch_reviews=2, engine="pyshacl") == \
        expected
    # The fast engine does not compile sh:node: pyshacl validates that shape, never skipped.
    compiled = compile_shapes(shapes)
    assert compiled.fallback is not None and (deep, SH.node, None) in compiled.fallback
    assert deep not in {check.shape for check in compiled.checks}
    assert validate(valid_graph, shapes, workers=2, batch_reviews=2, engine="fast") == expected
