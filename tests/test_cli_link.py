"""`reviewgraph link` against a real local SPARQL server (oxigraph) holding a Wikidata-shaped
fixture: items with wdt:P836 (GSS code) and labels."""

from __future__ import annotations

import csv
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from helpers import free_port
from rdflib import Graph

import reviewgraph.paths
from reviewgraph.cli import main
from reviewgraph.errors import ReviewGraphError
from reviewgraph.links import PlaceToLink, wikidata_candidates
from reviewgraph.places import Places

FIXTURE = Path(__file__).parent / "fixtures" / "links" / "wikidata-gss.ttl"
OXIGRAPH = shutil.which("oxigraph") or str(Path(__file__).parents[1] / ".venv/bin/oxigraph")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("oxigraph")
    subprocess.run([OXIGRAPH, "load", "--location", str(store), "--file", str(FIXTURE)],
                   check=True, capture_output=True, timeout=60)
    port = free_port()
    server = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(store), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url, params={"query": "ASK {}"}, timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("oxigraph did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def no_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default build folder at an empty temporary one."""
    build = tmp_path / "build"
    monkeypatch.setattr(reviewgraph.paths, "DEFAULT_BUILD_DIR", build)
    return build


def reference_files() -> list[bytes]:
    return sorted(p.read_bytes() for p in reviewgraph.paths.REFERENCE_DIR.rglob("*")
                  if p.is_file())


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_link_writes_candidates_for_review(endpoint: str, no_build: Path,
                                           tmp_path: Path) -> None:
    out = tmp_path / "candidates.csv"
    reference_before = reference_files()
    assert main(["link", "--endpoint", endpoint, "--out", str(out)]) == 0
    rows = read_rows(out)
    by_gss: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_gss.setdefault(row["gss_code"], []).append(row)
    assert len(by_gss) == 445  # every locality with a GSS code, from the reference data
    (birmingham,) = by_gss["E08000025"]
    assert birmingham["candidate"] == "http://www.wikidata.org/entity/Q20986424"
    assert birmingham["candidate_label"] == "Birmingham"
    assert birmingham["status"] == "same as current link"
    (kent,) = by_gss["E10000016"]
    assert kent["candidate"].endswith("/Q900000001")
    assert kent["status"] == "differs from current link"
    swansea = by_gss["W06000011"]
    assert {r["candidate"].rsplit("/", 1)[1] for r in swansea} == {"Q900000002", "Q900000003"}
    (haringey,) = by_gss["E09000014"]  # the fixture's non-Wikidata subject is ignored
    assert haringey["candidate"] == "" and haringey["status"] == "no candidate"
    assert all(row["decision"] == "" for row in rows)
    # nothing asserted: the reference data is untouched
    assert reference_files() == reference_before


def test_link_uses_the_built_graph_when_there_is_one(endpoint: str, no_build: Path,
                                                     tmp_path: Path) -> None:
    places = Places.load()
    used = [places.resolve("Bristol").iri, places.resolve("Croydon").iri]
    graph = Graph()
    for triple in places.triples(used_only=used):
        graph.add(triple)
    no_build.mkdir()
    graph.serialize(no_build / "reviewgraph.ttl", format="turtle")
    assert main(["link", "--endpoint", endpoint]) == 0
    rows = read_rows(no_build / "wikidata-candidates.csv")
    assert [(r["gss_code"], r["status"]) for r in rows] == [
        ("E06000023", "same as current link"), ("E09000008", "no candidate")]


def test_unreachable_endpoint_is_a_clear_error(no_build: Path, capsys) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    assert main(["link", "--endpoint", url, "--out", "-"]) == 2
    assert "SPARQL endpoint" in capsys.readouterr().err
    with pytest.raises(ReviewGraphError):
        wikidata_candidates(url, [PlaceToLink("E08000025", "x", "Birmingham")])
