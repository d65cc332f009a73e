"""The store interface and the embedded Oxigraph store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from reviewgraph.errors import ReviewGraphError
from reviewgraph.store import OxigraphStore, PageSource, QueryFailed, Store, open_store

TITLES = "SELECT ?t WHERE { ?r <http://purl.org/dc/terms/title> ?t } ORDER BY ?t"


@pytest.fixture(scope="module")
def store(graph_file) -> OxigraphStore:
    return OxigraphStore.in_memory(graph_file)


def test_is_a_store(store):
    assert isinstance(store, Store)


def test_is_the_pages_source_through_its_public_api(store, graph_file):
    # The pages' fast path: pyoxigraph's own answers, no private attributes reached into.
    assert isinstance(store, PageSource)
    answer = store.page_query(TITLES)
    assert isinstance(answer, ox.QuerySolutions)
    assert [s["t"].value for s in answer] == ["Baby Q", "Child R", "Jo", "Sibling group"]
    assert len(list(store.default_graph_triples())) == store.triple_count()


def test_triple_count(store, graph_file):
    assert store.triple_count() == len(list(ox.parse(path=str(graph_file))))


def test_select_is_lazy_solutions(store, expected_titles):
    result = store.query(TITLES)
    assert result.variables == ["t"] and result.boolean is None and not result.is_graph
    assert [s["t"].value for s in result.solutions] == ["Baby Q", "Child R", "Jo",
                                                        "Sibling group"]


def test_ask_and_construct(store, expected_titles):
    assert store.query("ASK { ?s ?p ?o }").boolean is True
    assert store.query("ASK { <http://nothing> ?p ?o }").boolean is False
    result = store.query("CONSTRUCT WHERE { ?r <http://purl.org/dc/terms/title> ?t }")
    assert result.is_graph and len(list(result.triples)) == len(expected_titles)


def test_syntax_error_names_line_and_column(store):
    with pytest.raises(QueryFailed, match=r"line 2, column \d+") as caught:
        store.query("SELECT *\nWHERE { ?s ?p }")
    assert caught.value.syntax


def test_updates_are_not_queries(store):
    before = store.triple_count()
    with pytest.raises(QueryFailed):
        store.query("INSERT DATA { <http://a> <http://b> <http://c> }")
    assert store.triple_count() == before


def test_dataset_parameters(store):
    nothing = "https://reviewgraph.example/no-such-graph"
    assert list(store.query(TITLES, default_graph_uris=[nothing]).solutions) == []
    named = store.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graph_uris=[nothing])
    assert list(named.solutions) == []


def test_prepare_on_disk_is_reused_and_refreshed(graph_file, tmp_path):
    folder = tmp_path / "store"
    OxigraphStore.prepare(graph_file, folder)
    stamp = (folder / "reviewgraph-source.json").stat().st_mtime_ns
    OxigraphStore.prepare(graph_file, folder)  # same build: reused as is
    assert (folder / "reviewgraph-source.json").stat().st_mtime_ns == stamp
    first = OxigraphStore.open(folder)
    second = OxigraphStore.open(folder)  # read-only opens can share the folder
    assert first.triple_count() == second.triple_count() > 0
    changed = tmp_path / "changed.ttl"
    shutil.copy(graph_file, changed)
    with changed.open("a") as handle:
        handle.write("<http://example.org/extra> <http://example.org/p> 1 .\n")
    OxigraphStore.prepare(changed, folder)  # a new build: reloaded
    assert OxigraphStore.open(folder).triple_count() == first.triple_count() + 1


def test_open_store_from_a_spec(graph_file, tmp_path):
    assert open_store({"kind": "oxigraph", "files": [str(graph_file)]}).triple_count() > 0
    OxigraphStore.prepare(graph_file, tmp_path / "s")
    assert open_store({"kind": "oxigraph", "path": str(tmp_path / "s")}).triple_count() > 0
    with pytest.raises(ReviewGraphError, match="unknown store kind"):
        open_store({"kind": "nope"})


def test_bad_files_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://a> <http://b> .\n")
    with pytest.raises(ReviewGraphError, match="bad.ttl: not valid Turtle"):
        OxigraphStore.in_memory(bad)
    with pytest.raises(ReviewGraphError, match="bad.ttl: not valid"):
        OxigraphStore.prepare(bad, tmp_path / "store")
    assert not (tmp_path / "store").exists()
    with pytest.raises(ReviewGraphError, match="cannot load a .csv file"):
        OxigraphStore.in_memory(tmp_path / "x.csv")
    with pytest.raises(ReviewGraphError, match="no such graph file"):
        OxigraphStore.prepare(tmp_path / "missing.nt", tmp_path / "store")
    with pytest.raises(ReviewGraphError, match="cannot open the store"):
        OxigraphStore.open(tmp_path / "no-store")


def test_store_module_never_imports_a_later_stage():
    """store.py is the stage before external.py and the web: no import of either, even
    inside a function (the cycle store -> external -> store is gone)."""
    import ast

    import reviewgraph.store

    tree = ast.parse(Path(reviewgraph.store.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert not {name for name in imported if name and name.startswith(
        ("reviewgraph.external", "reviewgraph.web", "reviewgraph.sparql_text"))}
