"""The agency page's query (web/queries/pages/agency-recommendations.rq) on a made-up build:
recommendations addressed to an agency and those whose text names it, each labelled, and for
a kind of service (police) those of its organisations (a named force), saying which."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
from rdflib import Graph

from reviewgraph.agencies import default_matcher
from reviewgraph.concepts import load_vocabularies
from reviewgraph.graph import build_graph
from reviewgraph.records import Recommendation, Record, SourceRef
from reviewgraph.terms import DEFAULT_BASE_IRI

QUERY = (Path(__file__).parent.parent / "src" / "reviewgraph" / "web" / "queries" / "pages"
         / "agency-recommendations.rq").read_text(encoding="utf-8")


def _store(graph: Graph) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(graph.serialize(format="nt").encode("utf-8"), pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def _rows(store: pyoxigraph.Store, agency: str) -> list[tuple[str, str, str | None]]:
    """(recommendation number, relation, organisation label) for the agency's page."""
    query = QUERY.replace("VALUES ?this { UNDEF }",
                          f"VALUES ?this {{ <{DEFAULT_BASE_IRI}agency/{agency}> }}")
    return [(row["recommendation"].value.rsplit("-", 1)[1], row["relation"].value,
             row["viaLabel"].value if row["viaLabel"] is not None else None)
            for row in store.query(query)]  # type: ignore[union-attr]


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
    store = _store(build_graph([record], load_vocabularies()).graph)
    assert sorted(_rows(store, "kent-police")) == [
        ("1", "addressed", None), ("2", "named", None), ("4", "named", None)]
    # The kind's page: addressed to it (4), or to one of its forces (1, saying which); named
    # (2, once: the kind itself, not again through the force).
    assert sorted(_rows(store, "police")) == [
        ("1", "addressed", "Kent Police"), ("2", "named", None), ("4", "addressed", None)]
    assert _rows(store, "general-practitioners") == [("3", "named", None)]
