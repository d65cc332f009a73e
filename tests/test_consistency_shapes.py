"""Shapes that catch wrong links and impossible facts (shapes/consistency.ttl, reference.ttl).

Each case breaks a real build of the sample page in one way a graph can be wrong although
every value has the right form (a council said to be its own area, an incident after the
review's publication, a Welsh area with an English GSS code, ...), then checks that
`reviewgraph validate` names the entity and the problem, and that the fast engine reports
exactly what pyshacl does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import OWL, SH, XSD

from reviewgraph.build import build
from reviewgraph.cli import main
from reviewgraph.paths import SOURCES_DIR
from reviewgraph.places import Places
from reviewgraph.terms import DEFAULT_BASE_IRI, ONS_GEOGRAPHY, RG
from reviewgraph.validation import compile_shapes, load_shapes, query_iris, validate

B = DEFAULT_BASE_IRI
SAMPLE = SOURCES_DIR / "nspcc-new-in-the-collection-2025.txt"
IVY = URIRef(B + "review/2025-hertfordshire-ivy")
ELI_AND_MICAH = URIRef(B + "review/2025-kent-eli-and-micah")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    out = tmp_path_factory.mktemp("build")
    build([SAMPLE], out)
    return Graph().parse(out / "reviewgraph.ttl")


def locality(name: str) -> URIRef:
    return URIRef(f"{B}locality/{name}")


def council_of(graph: Graph, name: str) -> URIRef:
    council = graph.value(locality(name), RG.council)
    assert isinstance(council, URIRef)
    return council


def _one(graph: Graph, subject: URIRef, predicate: URIRef) -> URIRef:
    value = graph.value(subject, predicate)
    assert isinstance(value, URIRef), f"{subject} has no {predicate}"
    return value


@dataclass(frozen=True)
class Break:
    name: str
    message: str
    # Breaks the graph; returns the entity the report must name.
    apply: Callable[[Graph], URIRef]


def council_same_as_area(graph: Graph) -> URIRef:
    council = council_of(graph, "kent")
    graph.add((council, OWL.sameAs, ONS_GEOGRAPHY[str(graph.value(locality("kent"),
                                                                  RG.gssCode))]))
    return council


def council_same_as_area_item(graph: Graph) -> URIRef:
    council = council_of(graph, "swansea")
    graph.add((council, OWL.sameAs, _one(graph, locality("swansea"), RG.wikidataArea)))
    return council


def locality_same_as_other_gss(graph: Graph) -> URIRef:
    kent = locality("kent")
    graph.remove((kent, OWL.sameAs, None))
    graph.add((kent, OWL.sameAs, ONS_GEOGRAPHY["E10000015"]))  # Hertfordshire's
    return kent


def council_item_as_area_item(graph: Graph) -> URIRef:
    birmingham = locality("birmingham")
    graph.set((birmingham, RG.wikidataArea,
               _one(graph, council_of(graph, "birmingham"), RG.wikidataOrganisation)))
    return birmingham


def year_in_future(graph: Graph) -> URIRef:
    next_year = str(date.today().year + 1)
    graph.set((IVY, RG.year, Literal(next_year, datatype=XSD.gYear)))
    graph.set((IVY, URIRef("http://purl.org/dc/terms/issued"),
               Literal(next_year, datatype=XSD.gYear)))
    return IVY


def incident_after_publication(graph: Graph) -> URIRef:
    incident = _one(graph, ELI_AND_MICAH, RG.incident)
    graph.set((incident, RG.incidentDate, Literal("2026", datatype=XSD.gYear)))
    return ELI_AND_MICAH


def age_band_contradicts_age(graph: Graph) -> URIRef:
    wrong = URIRef(B + "age-band/15-17")
    child = min(c for c in graph.subjects(RG.age, None)
                if (c, RG.ageBand, None) in graph and (c, RG.ageBand, wrong) not in graph)
    graph.set((child, RG.ageBand, wrong))
    return child


def child_count_below_children(graph: Graph) -> URIRef:
    assert len(set(graph.objects(ELI_AND_MICAH, RG.concernsChild))) == 2
    graph.set((ELI_AND_MICAH, RG.childCount, Literal(1, datatype=XSD.nonNegativeInteger)))
    return ELI_AND_MICAH


def learning_points_share_a_position(graph: Graph) -> URIRef:
    points = sorted(graph.objects(IVY, RG.hasLearningPoint),
                    key=lambda p: int(graph.value(p, RG.position)))
    graph.set((points[1], RG.position, graph.value(points[0], RG.position)))
    return IVY


def extract_beyond_last_line(graph: Graph) -> URIRef:
    extract = _one(graph, IVY, RG.sourceExtract)
    graph.set((extract, RG.lastLine, Literal(60, datatype=XSD.positiveInteger)))
    return extract


def welsh_locality_with_english_gss(graph: Graph) -> URIRef:
    swansea = locality("swansea")
    assert str(graph.value(swansea, RG.gssCode)) == "W06000011"
    graph.set((swansea, RG.gssCode, Literal("E06000011")))
    return swansea


def gss_code_of_another_area(graph: Graph) -> URIRef:
    kent = locality("kent")
    graph.set((kent, RG.gssCode, Literal("E10000015")))  # Hertfordshire's
    return kent


def partnership_covers_unlisted_area(graph: Graph) -> URIRef:
    partnership = next(p for p in graph.subjects(RG.covers, locality("swansea")))
    graph.add((partnership, RG.covers, locality("kent")))
    return partnership


BREAKS = [
    Break("council sameAs its area's ONS code",
          "a council is said to be the same as an area (an ONS statistical geography or a "
          "locality's Wikidata area item): a council is the organisation, not the area it "
          "governs", council_same_as_area),
    Break("council sameAs its area's Wikidata item",
          "a council is said to be the same as an area (an ONS statistical geography or a "
          "locality's Wikidata area item): a council is the organisation, not the area it "
          "governs", council_same_as_area_item),
    Break("locality sameAs another area's GSS code",
          "a locality is the same as (owl:sameAs) the ONS geography of another GSS code than "
          "its own (rg:gssCode)", locality_same_as_other_gss),
    Break("council's Wikidata item given as the area's",
          "a locality's Wikidata area item (rg:wikidataArea) is a council's Wikidata item "
          "(rg:wikidataOrganisation): the organisation, not the area",
          council_item_as_area_item),
    Break("publication year in the future",
          "a case review's publication year (rg:year) is in the future", year_in_future),
    Break("incident after publication",
          "a case review's incident date (rg:incidentDate) is after the review was published "
          "(rg:year, rg:month)", incident_after_publication),
    Break("age band contradicting the stated age",
          "a child's age band (rg:ageBand) does not hold the child's stated age (rg:age)",
          age_band_contradicts_age),
    Break("child count below the children listed",
          "a case review's child count (rg:childCount) is below the number of children it "
          "lists (rg:concernsChild)", child_count_below_children),
    Break("two learning points at one position",
          "two learning points of a case review have the same position (rg:position)",
          learning_points_share_a_position),
    Break("extract line beyond the page's last line",
          "a source extract ends (rg:lastLine) after the last line of its page "
          "(rg:lineCount)", extract_beyond_last_line),
    Break("Welsh locality with an English GSS code",
          "a locality's GSS code (rg:gssCode) is of another nation than the place list's code "
          "for its local authority (E England, W Wales, S Scotland, N Northern Ireland)",
          welsh_locality_with_english_gss),
    Break("GSS code of another area of the same nation",
          "a locality's GSS code (rg:gssCode) is not the place list's code for its local "
          "authority (rg:localAuthorityCode)", gss_code_of_another_area),
    Break("partnership covering an area the reference data does not give it",
          "a safeguarding partnership covers (rg:covers) an area that partnerships.csv does "
          "not give it", partnership_covers_unlisted_area),
]


def test_the_real_build_conforms_to_every_shape(built: Graph) -> None:
    for engine in ("fast", "pyshacl"):
        report = validate(built, engine=engine)
        assert report.conforms and not report.results, report.text()


@pytest.mark.parametrize("case", BREAKS, ids=[case.name for case in BREAKS])
def test_validate_names_the_entity_and_the_problem(built: Graph, case: Break, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    graph = Graph()
    graph += built
    entity = case.apply(graph)
    broken = tmp_path / "broken.ttl"
    graph.serialize(broken, format="turtle")
    assert main(["validate", str(broken)]) == 1
    output = capsys.readouterr()
    printed = output.out + output.err
    lines = [line for line in printed.splitlines() if case.message in line]
    assert lines, f"{case.message!r} not reported:\n{printed}"
    assert any(f"<{entity}>" in line for line in lines), printed
    label = graph.value(entity, RDFS.label)
    if label is not None:
        assert any(str(label) in line for line in lines), printed
    # The fast engine (used by validate) reports exactly what pyshacl does.
    assert validate(graph, engine="fast") == validate(graph, engine="pyshacl")


def test_every_sparql_constraint_has_a_break() -> None:
    shapes = load_shapes()
    messages = {str(shapes.value(c, SH.message)) for c in shapes.objects(None, SH.sparql)}
    covered = {case.message for case in BREAKS}
    # The one constraint without a break of its own: recommendations sharing a position,
    # the same query as for learning points.
    missing = messages - covered - {
        "two recommendations of a case review have the same position (rg:position)"}
    assert not missing, sorted(missing)


def test_the_fast_engine_runs_every_sparql_constraint() -> None:
    compiled = compile_shapes(load_shapes())
    assert compiled.fallback is None
    assert sum(len(check.sparql) for check in compiled.checks) == len(
        list(load_shapes().objects(None, SH.sparql)))


def test_reference_shapes_are_made_from_the_reference_data() -> None:
    # shapes/reference.ttl is generated (scripts/reference-shapes): it must be up to date.
    written = (Path(__file__).parents[1] / "shapes" / "reference.ttl").read_text("utf-8")
    assert written == Places.load().reference_shapes()


def test_recommendations_sharing_a_position_are_caught(built: Graph) -> None:
    graph = Graph()
    graph += built
    review = next(r for r in graph.subjects(RDF.type, RG.CaseReview)
                  if len(set(graph.objects(r, RG.hasRecommendation))) > 1)
    first, second = sorted(graph.objects(review, RG.hasRecommendation),
                           key=lambda p: int(graph.value(p, RG.position)))[:2]
    graph.set((second, RG.position, graph.value(first, RG.position)))
    report = validate(graph)
    assert {r.entity for r in report.violations} == {str(review)}
    assert report == validate(graph, engine="pyshacl")


def test_the_fast_engine_loads_what_a_query_may_read() -> None:
    prefix = "PREFIX ex: <http://example.org/#>\n"
    found = query_iris(prefix + "SELECT $this WHERE { $this a ex:C ; ex:p ?v . # ex:q\n"
                                "  FILTER(?v > 'ex:r' && 1 < 2) }")
    assert found == {RDF.type, URIRef("http://example.org/#C"), URIRef("http://example.org/#p")}
    # A variable that may stand for a predicate: the query may read any triple.
    assert query_iris(prefix + "SELECT $this WHERE { $this ?p ?o }") is None
    assert query_iris(prefix + "SELECT $this WHERE { $this ex:p ?o ; ?q ?r }") is None
