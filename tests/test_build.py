"""The build: data/ builds and validates; output is deterministic and atomic; the command line
gives clear messages and exit codes for bad input."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, PROV

from reviewgraph.build import (
    JSONLD_FILE,
    NTRIPLES_FILE,
    OUTPUT_FILES,
    REPORT_FILE,
    TURTLE_FILE,
    BuildFailed,
    build,
    default_pages,
    load_build,
    read_report,
)
from reviewgraph.errors import ReviewGraphError
from reviewgraph.paths import PROJECT_ROOT
from reviewgraph.terms import RG, SCHEMA

# Made-up pages (not copied from any listing).
GOOD_PAGE = """2019 – Kent - Child Z
Death of a 4-month-old boy in March 2018 after an unsafe sleeping arrangement.
Learning includes: safe sleep advice; and engagement with fathers.
Keywords: infants, sleeping behaviour
> Read the overview report
"""
# A heading year before 1990 parses, but the shapes reject it as implausible.
IMPLAUSIBLE_YEAR_PAGE = """1985 – Kent - Child Y
Serious injury of a 3-year-old girl in 1984.
Learning includes: information sharing.
Keywords: injuries
> Read the overview report
"""
NO_KEYWORDS_PAGE = """2019 – Kent - Child W
Death of a baby in 2018.
Learning includes: safe sleep.
> Read the overview report
"""


def page(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def run_cli(*args: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-m", "reviewgraph.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def data_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("builds") / "build"
    build(out_dir=out)
    return out


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_build_of_data_validates_and_writes_every_file(data_build: Path) -> None:
    assert sorted(p.name for p in data_build.iterdir()) == sorted(OUTPUT_FILES)
    report = read_report(data_build)
    assert report["reviews"] == 8
    assert report["validation"] == {"conforms": True, "violations": 0, "warnings": []}
    assert report["warnings"] == []
    assert report["pages"] == ["data/sources/nspcc-new-in-the-collection-2025.txt"]
    assert report["classes"]["rg:CaseReview"] == 8
    assert report["classes"]["rg:SourceExtract"] == 8
    assert report["localities_matched"] == 10
    assert report["ontology_version"]
    graph = load_build(data_build)
    assert len(graph) == report["triples"]
    for name, fmt in ((TURTLE_FILE, "turtle"), (JSONLD_FILE, "json-ld")):
        assert isomorphic(graph, Graph().parse(data_build / name, format=fmt)), name


def test_ntriples_are_sorted_and_reports_hash_the_files(data_build: Path) -> None:
    import hashlib

    lines = (data_build / NTRIPLES_FILE).read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)
    report = read_report(data_build)
    for name in (TURTLE_FILE, NTRIPLES_FILE, JSONLD_FILE):
        assert report["files"][name] == hashlib.sha256(
            (data_build / name).read_bytes()).hexdigest()


def test_two_builds_are_byte_identical(tmp_path: Path, data_build: Path) -> None:
    # A separate process with another hash seed: set and dict orders differ, files must not.
    again = tmp_path / "again"
    result = run_cli("build", "--out", str(again), seed="12345")
    assert result.returncode == 0, result.stderr
    assert snapshot(again) == snapshot(data_build)
    assert "built 8 reviews" in result.stdout


def test_rebuild_replaces_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([page(tmp_path, "first.txt", GOOD_PAGE)], out)
    assert read_report(out)["pages"][0].endswith("first.txt")
    build([page(tmp_path, "second.txt", GOOD_PAGE)], out)
    assert read_report(out)["pages"][0].endswith("second.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.txt", "out", "second.txt"]


@pytest.mark.parametrize(("name", "content", "strict", "error"), [
    ("empty.txt", "", False, ReviewGraphError),
    ("binary.txt", b"\x00\x01\x02\xff\xfe" * 20, False, ReviewGraphError),
    ("no-keywords.txt", NO_KEYWORDS_PAGE, True, ReviewGraphError),
    ("implausible.txt", IMPLAUSIBLE_YEAR_PAGE, False, BuildFailed),
])
def test_failed_build_leaves_previous_output(tmp_path: Path, name: str, content: str | bytes,
                                             strict: bool, error: type) -> None:
    out = tmp_path / "out"
    build([page(tmp_path, "good.txt", GOOD_PAGE)], out)
    before = snapshot(out)
    with pytest.raises(error):
        build([page(tmp_path, name, content)], out, strict=strict)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["good.txt", name, "out"])


def test_build_refuses_to_replace_a_folder_it_did_not_write(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ReviewGraphError, match="not a previous build"):
        build([page(tmp_path, "good.txt", GOOD_PAGE)], precious)
    assert (precious / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_base_iri_option(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("build", str(page(tmp_path, "good.txt", GOOD_PAGE)), "--out", str(out),
                     "--base", "http://example.org/cases/")
    assert result.returncode == 0, result.stderr
    nt = (out / NTRIPLES_FILE).read_text(encoding="utf-8")
    assert "<http://example.org/cases/review/2019-kent-child-z>" in nt
    assert "https://reviewgraph.example/id/" not in nt
    assert read_report(out)["base_iri"] == "http://example.org/cases/"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["build", "{tmp}/empty.txt"], 2, "empty"),
    (["build", "{tmp}/binary.txt"], 2, "binary.txt"),
    (["build", "{tmp}/missing.txt"], 2, "missing.txt"),
    (["build", "{tmp}/no-keywords.txt", "--strict"], 2, "entry has no keywords"),
    (["build", "{tmp}/good.txt", "--base", "not-an-iri"], 2, "base IRI"),
    (["build", "{tmp}/implausible.txt"], 1, "publication year (rg:year), an xsd:gYear from 1990"),
])
def test_cli_build_errors(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    page(tmp_path, "empty.txt", "")
    page(tmp_path, "binary.txt", b"\x00\x01\x02\xff\xfe" * 20)
    page(tmp_path, "no-keywords.txt", NO_KEYWORDS_PAGE)
    page(tmp_path, "good.txt", GOOD_PAGE)
    page(tmp_path, "implausible.txt", IMPLAUSIBLE_YEAR_PAGE)
    out = tmp_path / "out"
    result = run_cli(*[a.format(tmp=tmp_path) for a in args], "--out", str(out))
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()


def test_cli_build_warnings_go_to_stderr_and_exit_non_zero(tmp_path: Path) -> None:
    result = run_cli("build", str(page(tmp_path, "nokw.txt", NO_KEYWORDS_PAGE)),
                     "--out", str(tmp_path / "out"))
    assert result.returncode == 3  # built, but bad input is never silent
    assert "nokw.txt:4: entry has no keywords" in result.stderr
    assert "warning: Child W (Kent, 2019)" in result.stderr
    assert "1 warning(s)" in result.stdout


@pytest.mark.parametrize("name", [TURTLE_FILE, NTRIPLES_FILE, JSONLD_FILE])
def test_cli_validate_a_good_build(data_build: Path, name: str) -> None:
    result = run_cli("validate", str(data_build / name))
    assert result.returncode == 0, result.stderr
    assert "conforms: 0 violation(s), 0 warning(s)" in result.stdout


def test_cli_validate_reports_entity_source_line_and_problem(tmp_path: Path,
                                                             data_build: Path) -> None:
    broken = tmp_path / "broken.nt"
    text = (data_build / NTRIPLES_FILE).read_text(encoding="utf-8")
    ivy = "<https://reviewgraph.example/id/review/2025-hertfordshire-ivy>"
    year = f'{ivy} <https://reviewgraph.example/def/year> "2025"^^'
    assert year in text
    broken.write_text(text.replace(year, f'{ivy} <https://reviewgraph.example/def/year> "20x5"^^'),
                      encoding="utf-8")
    result = run_cli("validate", str(broken))
    assert result.returncode == 1
    assert ("nspcc-new-in-the-collection-2025.txt:22-27: violation: Ivy (Hertfordshire, 2025) "
            f"{ivy}: a case review needs exactly one publication year (rg:year)") in result.stdout
    assert "does not conform: 1 violation(s)" in result.stdout
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.ttl", None, "no such graph file"),
    ("garbage.ttl", "this is not turtle <", "cannot read the graph as turtle"),
    ("graph.xyz", "", "unknown graph format"),
])
def test_cli_validate_bad_files(tmp_path: Path, name: str, content: str | None,
                                message: str) -> None:
    if content is not None:
        page(tmp_path, name, content)
    result = run_cli("validate", str(tmp_path / name))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_load_build_without_a_build(tmp_path: Path) -> None:
    with pytest.raises(ReviewGraphError, match="no build found"):
        load_build(tmp_path)


def test_report_json_is_plain_json(data_build: Path) -> None:
    text = (data_build / REPORT_FILE).read_text(encoding="utf-8")
    assert json.loads(text)["base_iri"] == "https://reviewgraph.example/id/"
    assert str(PROJECT_ROOT) not in text  # no machine-specific paths


def test_every_locality_of_the_sample_is_matched(data_build: Path) -> None:
    # West Glamorgan names a partnership: it resolves to the localities it covers, and counts.
    report = read_report(data_build)
    assert report["localities_unmatched"] == []
    assert report["localities_matched"] == len(report["localities"]) == 10
    assert "/partnership/west-glamorgan" in report["localities"]["West Glamorgan"]


def test_nquads_hold_each_page_in_its_named_graph(tmp_path: Path, data_build: Path) -> None:
    from reviewgraph.build import NQUADS_FILE, read_nquads

    graphs = read_nquads((data_build / NQUADS_FILE).read_text(encoding="utf-8"))
    base = "https://reviewgraph.example/id/"
    page_graph = base + "graph/nspcc-new-in-the-collection-2025"
    assert set(graphs) == {page_graph, base + "graph/_shared"}
    nt = (data_build / NTRIPLES_FILE).read_text(encoding="utf-8").splitlines()
    assert sorted(set().union(*map(set, graphs.values()))) == nt
    assert all("/review/" in line or "/source/" in line for line in graphs[page_graph]
               if "/review/" in line.split(" ", 1)[0])
    assert not any(line.startswith(f"<{base}review/") for line in graphs[base + "graph/_shared"])


def test_parallel_validation_gives_the_same_build(tmp_path: Path, data_build: Path) -> None:
    # Validation in batches of reviews in two worker processes: same files, byte for byte.
    out = tmp_path / "parallel"
    build(out_dir=out, workers=2)
    assert snapshot(out) == snapshot(data_build)


def test_writers_escape_literals_and_turtle_parses(tmp_path: Path) -> None:
    from rdflib import Literal, URIRef

    from reviewgraph.build import jsonld, nt_lines, turtle

    s = URIRef("https://reviewgraph.example/id/review/x")
    p = URIRef("https://reviewgraph.example/def/background")
    triples = {(s, p, Literal('a "quoted"\\ line\nand\r\ttab é')),
               (s, p, Literal("^^<not a datatype>")),
               (s, p, Literal("chat", lang="fr")),
               (s, p, Literal("5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))),
               (s, URIRef("https://schema.org/url"), URIRef("https://example.org/a.b?c=d"))}
    lines = nt_lines(triples)
    expected = Graph()
    for triple in triples:
        expected.add(triple)
    for text, fmt in ((ntriples_text(lines), "nt"), (turtle(lines), "turtle"),
                      (jsonld(lines), "json-ld")):
        assert isomorphic(Graph().parse(data=text, format=fmt), expected), fmt


def test_merged_lines_are_sorted_and_distinct() -> None:
    from reviewgraph.build import _merged

    assert _merged([["<a> <p> 1 .", "<c> <p> 3 ."], ["<b> <p> 2 .", "<c> <p> 3 ."], []]) == \
        ["<a> <p> 1 .", "<b> <p> 2 .", "<c> <p> 3 ."]
    assert _merged([["<z> <p> 1 .", "<a> <p> 1 ."]]) == ["<a> <p> 1 .", "<z> <p> 1 ."]
    assert _merged([]) == []


def ntriples_text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


# --- the parallel build (chunks of pages in forked workers) -----------------------------------
def _many_pages(tmp_path: Path, bad_page: int | None = None, count: int = 6) -> list[Path]:
    """`count` made-up pages of three reviews each; page `bad_page` also lists a review the
    shapes reject (an implausible year)."""
    paths = []
    for number in range(count):
        text = "".join(GOOD_PAGE.replace("Child Z", f"Child {chr(65 + number)}{chr(97 + n)}")
                       for n in range(3))
        if number == bad_page:
            text += IMPLAUSIBLE_YEAR_PAGE.replace("Child Y", f"Child Y{chr(97 + number)}")
        paths.append(page(tmp_path, f"month-{number + 1:02d}.txt", text))
    return paths


@pytest.fixture
def parallel_outcomes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Build small page sets the parallel way (as large ones are), recording how each parallel
    build ended ("built", or the exception's name), so a test knows it was not built another
    way."""
    import reviewgraph.build as build_module

    monkeypatch.setattr(build_module, "PARALLEL_PARSE_FROM_BYTES", 0)
    outcomes: list[str] = []
    original = build_module._parallel_build

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            result = original(*args, **kwargs)
        except BaseException as error:
            outcomes.append(type(error).__name__)
            raise
        outcomes.append("built")
        return result

    monkeypatch.setattr(build_module, "_parallel_build", recording)
    return outcomes


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parallel build forks")
def test_parallel_build_gives_the_same_files(tmp_path: Path,
                                              parallel_outcomes: list[str]) -> None:
    pages = _many_pages(tmp_path)
    build(pages, tmp_path / "parallel", workers=2)
    assert parallel_outcomes == ["built"]
    build(pages, tmp_path / "one", workers=1)
    assert parallel_outcomes == ["built"]  # workers=1: the one-process build
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "one")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parallel build forks")
@pytest.mark.parametrize("bad_page", [0, 2, 5])  # the first, a middle and the last page
def test_parallel_build_catches_a_violation_on_any_page(
        tmp_path: Path, parallel_outcomes: list[str], bad_page: int) -> None:
    pages = _many_pages(tmp_path, bad_page)
    out = tmp_path / "out"
    with pytest.raises(BuildFailed) as parallel:
        build(pages, out, workers=2)
    assert parallel_outcomes == ["BuildFailed"]  # found by the chunk workers themselves
    assert not out.exists()
    with pytest.raises(BuildFailed) as one_process:
        build(pages, out, workers=1)
    assert parallel.value.report == one_process.value.report
    violations = parallel.value.report.violations
    assert violations
    for violation in violations:
        assert violation.file == f"month-{bad_page + 1:02d}.txt"
        assert "1985" in violation.entity


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parallel build forks")
def test_parallel_build_keeps_the_pages_of_a_review_in_one_chunk(
        tmp_path: Path, parallel_outcomes: list[str]) -> None:
    # The same review on the first and the last page (as the captures of a listing hold it):
    # the two pages are built in one chunk, so the parallel build applies, with the files
    # of the one-process build.
    pages = _many_pages(tmp_path)
    pages[-1].write_text(pages[-1].read_text(encoding="utf-8")
                         + GOOD_PAGE.replace("Child Z", "Child Aa"), encoding="utf-8")
    report = build(pages, tmp_path / "parallel", workers=2)
    assert parallel_outcomes == ["built"] and report.fallback is None
    build(pages, tmp_path / "one", workers=1)
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "one")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parallel build forks")
def test_a_page_names_the_localities_given_a_value_in_another_chunk_before_it(
        tmp_path: Path, parallel_outcomes: list[str]) -> None:
    # b.txt names Kent only in an earlier listing of a review that c.txt lists last (no
    # locality is resolved for it there); a.txt, in another chunk, resolved Kent before it:
    # b.txt lists Kent among its localities, as in the one-process build.
    devon = GOOD_PAGE.replace("Kent", "Devon").replace("Child Z", "Child Y")
    pages = [page(tmp_path, "a.txt", GOOD_PAGE.replace("Child Z", "Child X")),
             page(tmp_path, "b.txt", devon + GOOD_PAGE),
             page(tmp_path, "c.txt", GOOD_PAGE)]
    build(pages, tmp_path / "parallel", workers=2)
    assert parallel_outcomes == ["built"]
    build(pages, tmp_path / "one", workers=1)
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "one")
    states = json.loads((tmp_path / "one" / "pages.json").read_text(encoding="utf-8"))
    b_localities = next(state["localities"] for state in states["pages"]
                        if state["file"].endswith("b.txt"))
    assert set(b_localities) == {"Devon", "Kent"}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parallel build forks")
def test_parallel_build_falls_back_when_pages_share_a_review(
        tmp_path: Path, parallel_outcomes: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Were the pages listing one review built in different chunks (here every page is a chunk
    # of its own), the last page would only add a source extract to the review, which a
    # chunk built on its own cannot know; the build notices and builds in one process, with
    # the same result as asked for that way.
    import reviewgraph.build as build_module

    monkeypatch.setattr(build_module, "_review_chunks",
                        lambda paths, slugs, sizes, count: [[path] for path in paths])
    pages = _many_pages(tmp_path)
    pages[-1].write_text(pages[-1].read_text(encoding="utf-8")
                         + GOOD_PAGE.replace("Child Z", "Child Aa"), encoding="utf-8")
    report = build(pages, tmp_path / "parallel", workers=2)
    assert parallel_outcomes == ["_Fallback"]
    assert report.fallback is not None and "describe the same node" in report.fallback
    one = build(pages, tmp_path / "one", workers=1)
    assert one.fallback is None  # the parallel build did not apply: no reason to give
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "one")


def _failing_chunk_work(paths: list[Path]) -> None:
    raise ZeroDivisionError("a bug in a chunk worker")


def _bad_input_chunk_work(paths: list[Path]) -> None:
    raise ReviewGraphError(f"{paths[0].name}: cannot read the page")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parallel build forks")
def test_a_worker_exception_fails_the_parallel_build_loudly(
        tmp_path: Path, parallel_outcomes: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """No quiet second build in one process: a bug in a worker fails the build with the
    worker's exception, and bad input with its own clear error; nothing is written."""
    import reviewgraph.build as build_module

    pages = _many_pages(tmp_path)
    out = tmp_path / "out"
    monkeypatch.setattr(build_module, "_chunk_work", _failing_chunk_work)  # the fork inherits
    with pytest.raises(ZeroDivisionError, match="a bug in a chunk worker"):
        build(pages, out, workers=2)
    assert parallel_outcomes == ["ZeroDivisionError"]
    monkeypatch.setattr(build_module, "_chunk_work", _bad_input_chunk_work)
    with pytest.raises(ReviewGraphError, match="month-01.txt: cannot read the page"):
        build(pages, out, workers=2)
    assert parallel_outcomes == ["ZeroDivisionError", "ReviewGraphError"]
    assert not out.exists()


# --- many captures, one review (a made-up harvest folder, tests/fixtures/make_harvest.py) ------
HARVEST = Path(__file__).parent / "fixtures" / "harvest"
REVIEW_IRI = "https://reviewgraph.example/id/review/"


@pytest.fixture(scope="module")
def harvest_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("harvest") / "build"
    build([HARVEST], out)
    return out


def _harvest_pages() -> list[Path]:
    return sorted(p for p in HARVEST.iterdir() if p.suffix in {".html", ".txt"})


def test_a_harvest_folder_gives_one_review_per_distinct_review(harvest_build: Path) -> None:
    report = read_report(harvest_build)
    assert report["reviews"] == 4
    assert report["validation"]["conforms"]
    assert len(report["pages"]) == 4  # the .harvest/ folder (an error page) is never read
    graph = load_build(harvest_build)
    reviews = {str(s) for s in graph.subjects(RDF.type, RG.CaseReview)}
    assert reviews == {REVIEW_IRI + slug for slug in (
        "2025-kent-child-a", "2025-kent-child-a-2", "2025-norfolk-baby-t",
        "2025-bristol-sibling-group")}


def test_a_harvest_build_conforms_to_the_shapes_by_pyshacl_too(harvest_build: Path) -> None:
    from reviewgraph.validation import validate

    report = validate(load_build(harvest_build), engine="pyshacl")
    assert report.conforms, report.text()


def test_the_latest_capture_wins_and_earlier_versions_stay_recorded(harvest_build: Path
                                                                    ) -> None:
    graph = load_build(harvest_build)
    baby_t = URIRef(REVIEW_IRI + "2025-norfolk-baby-t")
    assert "received safe sleep advice" in str(graph.value(baby_t, DCTERMS.abstract))
    (earlier,) = graph.objects(baby_t, PROV.wasRevisionOf)
    assert "recieved" in str(graph.value(earlier, DCTERMS.abstract))
    assert {str(o) for o in graph.objects(earlier, RG.changedField)} == {"summary"}
    siblings = URIRef(REVIEW_IRI + "2025-bristol-sibling-group")
    assert str(graph.value(siblings, DCTERMS.title)) == "Sibling Group"  # the live page's
    assert len(set(graph.objects(siblings, DCTERMS.subject))) == 3  # the extra keyword
    assert len(set(graph.objects(siblings, PROV.wasRevisionOf))) == 2


def test_conflicts_and_identity_decisions_are_reported_with_both_sources(harvest_build: Path
                                                                         ) -> None:
    identity = read_report(harvest_build)["identity"]
    conflicts = {(c["review"], tuple(c["fields"])): c for c in identity["conflicts"]}
    assert set(conflicts) == {("2025-bristol-sibling-group", ("title", "keywords")),
                              ("2025-bristol-sibling-group", ("title",)),
                              ("2025-norfolk-baby-t", ("summary",))}
    baby_t = conflicts[("2025-norfolk-baby-t", ("summary",))]
    assert baby_t["latest"]["capture_time"] == "2025-06-02T10:00:00Z"
    assert baby_t["earlier"]["capture_time"] == "2025-04-04T12:00:00Z"
    assert baby_t["latest"]["file"].endswith(".txt") and baby_t["earlier"]["file"].endswith(
        ".html")
    apart = [d for d in identity["decisions"] if d["decision"] == "different reviews"]
    assert [d["review"] for d in apart] == ["2025-kent-child-a"]
    assert {item["url"].rsplit("/", 1)[-1] for item in apart[0]["listings"]} == {
        "monthly-case-reviews-update", "recently-published-case-reviews"}


def test_every_review_records_where_and_when_it_was_listed(harvest_build: Path) -> None:
    graph = load_build(harvest_build)
    child_a = URIRef(REVIEW_IRI + "2025-kent-child-a")
    captures = set(graph.objects(child_a, RG.listedIn))
    assert len(captures) == 4  # March and April (unchanged), May, live June
    assert {str(graph.value(c, RG.archive)) for c in captures} == {"Internet Archive", "live"}
    nt = (harvest_build / NTRIPLES_FILE).read_text(encoding="utf-8")
    for seen, time in ((RG.firstSeen, "2025-03-04T12:00:00Z"),
                       (RG.lastSeen, "2025-06-01T09:00:00Z")):  # as the sidecars wrote them
        assert f'<{child_a}> <{seen}> "{time}"^^' in nt
    assert {str(o) for o in graph.objects(child_a, DCTERMS.source)} == {
        "https://learning.nspcc.org.uk/case-reviews/monthly-case-reviews-update"}
    assert graph.value(child_a, DCTERMS.rights) is not None
    report = graph.value(child_a, RG.hasReport)
    assert str(graph.value(report, SCHEMA.url)).startswith("https://library.nspcc.org.uk/")
    # each statement still traces back to its page and lines
    for extract in graph.objects(child_a, RG.sourceExtract):
        assert graph.value(extract, RG.firstLine) is not None
        assert graph.value(graph.value(extract, DCTERMS.isPartOf), RG.capture) is not None


def test_a_harvest_build_is_the_same_whatever_order_its_pages_come_in(
        tmp_path: Path, harvest_build: Path) -> None:
    expected = snapshot(harvest_build)
    pages = _harvest_pages()
    for seed in range(3):
        shuffled = pages[:]
        random.Random(seed).shuffle(shuffled)
        out = tmp_path / f"shuffled-{seed}"
        build(shuffled, out)
        assert snapshot(out) == expected, f"order {seed} gave another build"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parallel build forks")
def test_a_harvest_builds_the_same_the_parallel_way(tmp_path: Path, harvest_build: Path,
                                                   parallel_outcomes: list[str]) -> None:
    build([HARVEST], tmp_path / "parallel", workers=2)
    # One review on several pages: they are built in one chunk, the parallel way.
    assert parallel_outcomes == ["built"]
    assert snapshot(tmp_path / "parallel") == snapshot(harvest_build)


def test_cli_build_reads_folders_and_prints_conflicts(tmp_path: Path) -> None:
    result = run_cli("build", str(HARVEST), "--out", str(tmp_path / "out"))
    assert result.returncode == 3, result.stderr  # the second Child A is a warning
    assert "identity: 2025-kent-child-a: different reviews" in result.stdout
    conflict = [line for line in result.stdout.splitlines()
                if line.startswith("conflict: 2025-norfolk-baby-t")]
    assert len(conflict) == 1 and "summary differs" in conflict[0]
    assert "built 4 reviews" in result.stdout


def test_a_folder_without_pages_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli("build", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "no pages" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_sidecar_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "harvest"
    folder.mkdir()
    (folder / "abc.txt").write_text(GOOD_PAGE, encoding="utf-8")
    (folder / "abc.json").write_text('{"captures": [{"url": "x"}]}', encoding="utf-8")
    result = run_cli("build", str(folder), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "abc.json: capture 1" in result.stderr and "url" in result.stderr


def test_default_pages_are_everything_under_the_sources_folder(tmp_path: Path) -> None:
    (tmp_path / "harvested" / ".harvest").mkdir(parents=True)
    for name in ("saved.txt", "harvested/abc.html", "harvested/abc.json",
                 "harvested/.harvest/skipped.html"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in default_pages(tmp_path)] == [
        "harvested/abc.html", "saved.txt"]
    with pytest.raises(ReviewGraphError, match="no pages"):
        default_pages(tmp_path / "missing")


def test_parse_workers_get_every_capture_of_an_address_together(tmp_path: Path) -> None:
    # Captures of one address repeat their entries: one parse worker reads them all, so its
    # entry cache reads each entry once. Variants of the address (scheme, www.) count as one.
    from reviewgraph.build import _parse_groups

    paths = []
    for number, url in enumerate(["https://www.example.org/list/", "http://example.org/list",
                                  "https://example.org/other", None, "https://example.org/list"]):
        path = page(tmp_path, f"capture-{number}.txt", GOOD_PAGE)
        if url is not None:
            path.with_suffix(".json").write_text(json.dumps({"captures": [{
                "url": url, "archive": "live", "capture_time": "2025-03-04T12:00:00Z"}]}),
                encoding="utf-8")
        paths.append(path)
    parts = _parse_groups(paths, [100] * len(paths), 4)
    assert sorted(page for part in parts for page in part) == [0, 1, 2, 3, 4]
    assert [0, 1, 4] in parts and [2] in parts and [3] in parts


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parallel build forks")
def test_parallel_build_reports_a_sparql_violation_as_the_one_process_build(
        tmp_path: Path, parallel_outcomes: list[str]) -> None:
    # An incident after the review was published: a SHACL-SPARQL constraint, which the chunk
    # workers check on a store read from the triples they have written.
    pages = _many_pages(tmp_path)
    pages[3].write_text(pages[3].read_text(encoding="utf-8") + GOOD_PAGE.replace(
        "Child Z", "Child V").replace("in March 2018", "in March 2021"), encoding="utf-8")
    with pytest.raises(BuildFailed) as parallel:
        build(pages, tmp_path / "out", workers=2)
    assert parallel_outcomes == ["BuildFailed"]
    with pytest.raises(BuildFailed) as one_process:
        build(pages, tmp_path / "out", workers=1)
    assert parallel.value.report == one_process.value.report
    (violation,) = parallel.value.report.violations
    assert "incident" in violation.message and "child-v" in violation.entity
    assert violation.value is not None and "2021-03" in violation.value
