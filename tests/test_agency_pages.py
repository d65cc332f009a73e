"""What an agency page lists (web/queries/pages/agency-recommendations.rq and
agency-organisations.rq, indexed once per build by `index_agency_recommendations`) on a made-up
build: recommendations addressed to an agency and those whose text names it, each labelled, and
for a kind of service (police) those of its organisations (a named force), saying which."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
from rdflib import Graph

from reviewgraph.agencies import default_matcher
from reviewgraph.concepts import load_vocabularies
from reviewgraph.graph import build_graph
from reviewgraph.records import Recommendation, Record, SourceRef
from reviewgraph.terms import DEFAULT_BASE_IRI
from reviewgraph.web.collection import Iri
from reviewgraph.web.page_queries import Text, Value
from reviewgraph.web.site import AgencyRecommendations, index_agency_recommendations

QUERIES = Path(__file__).parent.parent / "src" / "reviewgraph" / "web" / "queries" / "pages"


def _index(graph: Graph) -> AgencyRecommendations:
    store = pyoxigraph.Store()
    store.load(graph.serialize(format="nt").encode("utf-8"), pyoxigraph.RdfFormat.N_TRIPLES)

    def select(name: str) -> list[dict[str, Value | None]]:
        text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
        solutions = store.query(text)
        names = [variable.value for variable in solutions.variables]  # type: ignore[union-attr]
        return [{name: None if term is None else (Iri(term.value) if isinstance(
                    term, pyoxigraph.NamedNode) else Text(term.value))
                 for name, term in zip(names, solution, strict=True)}
                for solution in solutions]  # type: ignore[union-attr]

    return index_agency_recommendations(select("agency-recommendations"),
                                        select("agency-organisations"))


def _rows(index: AgencyRecommendations, agency: str) -> list[tuple[str, str, str | None]]:
    """(recommendation number, relation, organisation it came through) on the agency's page."""
    iri = f"{DEFAULT_BASE_IRI}agency/{agency}"
    via = {recommendation: organisation.rsplit("/", 1)[1]
           for (kind, recommendation), organisation in index.via.items() if kind == iri}
    return [(recommendation.rsplit("-", 1)[1], relation, via.get(recommendation))
            for relation, recommendations in index.listed.get(iri, {}).items()
            for recommendation in recommendations]


def test_kind_and_force_pages_list_addressed_and_named_recommendations() -> None:
    recommendations = [
        Recommendation("Kent Police to review its domestic abuse training", ["Kent Police"]),
        Recommendation("the police and Kent Police to share records", ["the partnership"]),
        Recommendation("train all general practitioners in risk assessment", ["the ICS"]),
        Recommendation("Kent Police to audit its referrals", ["the police"]),
    ]
    text = " ".join(r.text for r in recommendations)
    record = Record(title="Child Q", year=2020, locality="Kent", source=SourceRef("q.txt", 1, 5),
                    recommendations=recommendations, agencies=default_matcher().find(text))
    index = _index(build_graph([record], load_vocabularies()).graph)
    assert sorted(_rows(index, "kent-police")) == [
        ("1", "addressed", None), ("2", "named", None), ("4", "named", None)]
    # The kind's page: addressed to it (4), or to one of its forces (1, saying which); named
    # (2, once: the kind itself, not again through the force).
    assert sorted(_rows(index, "police")) == [
        ("1", "addressed", "kent-police"), ("2", "named", None), ("4", "addressed", None)]
    assert _rows(index, "general-practitioners") == [("3", "named", None)]
