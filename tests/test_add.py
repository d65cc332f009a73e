"""`reviewgraph add`: a page added to a finished build gives what a full build of all the pages
gives, adding it twice changes nothing, a failed add changes nothing and names the review, and
the report and the per-named-graph change say what was added, changed and left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reviewgraph.build import (
    NQUADS_FILE,
    NTRIPLES_FILE,
    PAGES_FILE,
    BuildFailed,
    add_page,
    add_pages,
    build,
    read_nquads,
    read_report,
)
from reviewgraph.errors import ReviewGraphError

B = "https://reviewgraph.example/id/"
# Made-up pages (not copied from any listing).
JANUARY = """2024 – Kent - Child Z
Death of a 4-month-old boy in March 2023 after an unsafe sleeping arrangement.
Learning includes: safe sleep advice; and engagement with fathers.
Keywords: infants, sleeping behaviour
> Read the overview report
2024 – Leeds - Child Y
Serious injury of a 3-year-old girl in 2023.
Learning includes: information sharing between agencies.
Keywords: physical abuse
> Read the overview report
"""
FEBRUARY = """2024 – Devon - Child X
Death of a 15-year-old boy in 2023 by suicide.
Learning includes: access to mental health services; and school attendance.
Keywords: suicide, mental health
> Read the executive summary
2024 – West Glamorgan - Child W
Neglect of a 7-year-old girl in 2022.
Learning includes: recognising neglect.
Keywords: neglect
> Read the overview report
"""
FEBRUARY_REVISED = FEBRUARY.replace("recognising neglect", "recognising chronic neglect").replace(
    "2024 – Devon - Child X", "2024 – Devon - Child V")
# The heading year before 1990 parses, but the shapes reject it.
INVALID = """2024 – Kent - Child U
Death of a baby in 2023.
Learning includes: safe sleep.
Keywords: infants
> Read the overview report
1985 – Kent - Child T
Serious injury of a 3-year-old girl in 1984.
Learning includes: information sharing.
Keywords: injuries
> Read the overview report
"""
COMPARED = (NTRIPLES_FILE, NQUADS_FILE, "reviewgraph.ttl", "reviewgraph.jsonld", PAGES_FILE)


def page(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture()
def january_build(tmp_path: Path) -> Path:
    out = tmp_path / "build"
    build([page(tmp_path, "january.txt", JANUARY)], out)
    return out


def test_add_gives_what_a_full_build_gives(tmp_path: Path, january_build: Path) -> None:
    february = page(tmp_path, "february.txt", FEBRUARY)
    report = add_page(january_build, february)
    assert report.written
    assert report.changes.added == [B + "review/2024-devon-child-x",
                                    B + "review/2024-west-glamorgan-child-w"]
    assert report.changes.changed == report.changes.unchanged == report.changes.removed == []
    assert (report.changes.left_alone, report.changes.other_pages) == (2, 1)
    full = tmp_path / "full"
    build([tmp_path / "january.txt", february], full)
    added, built = snapshot(january_build), snapshot(full)
    for name in COMPARED:
        assert added[name] == built[name], name
    summary = read_report(january_build)
    assert summary["reviews"] == 4
    assert summary["changes"]["page"] == "february.txt"
    assert summary["changes"]["added"] == 2 and summary["changes"]["left_alone"] == 2
    assert summary["localities_matched"] == 4  # West Glamorgan (a partnership) counts


def test_adding_the_same_page_twice_changes_nothing(tmp_path: Path,
                                                    january_build: Path) -> None:
    february = page(tmp_path, "february.txt", FEBRUARY)
    add_page(january_build, february)
    before = snapshot(january_build)
    again = add_page(january_build, february)
    assert not again.written
    assert snapshot(january_build) == before
    assert len(again.changes.unchanged) == 2 and not again.changes.added
    assert all(not c.insert and not c.remove for c in again.graphs.values())
    # And a page already built (not added) is just as unchanged.
    assert not add_page(january_build, tmp_path / "january.txt").written


def test_a_failed_add_changes_nothing_and_names_the_review(tmp_path: Path,
                                                          january_build: Path) -> None:
    before = snapshot(january_build)
    with pytest.raises(BuildFailed) as failure:
        add_page(january_build, page(tmp_path, "march.txt", INVALID))
    violations = failure.value.report.violations
    assert {(v.file, v.line, v.label) for v in violations} == {
        ("march.txt", 6, "Child T (Kent, 1985)")}
    assert any("publication year" in v.message for v in violations)
    assert snapshot(january_build) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "january.txt", "march.txt"]


def test_replacing_a_page_reports_changes_and_the_triples_per_named_graph(
        tmp_path: Path, january_build: Path) -> None:
    february = page(tmp_path, "february.txt", FEBRUARY)
    add_page(january_build, february)
    old_graphs = read_nquads((january_build / NQUADS_FILE).read_text(encoding="utf-8"))
    february.write_text(FEBRUARY_REVISED, encoding="utf-8")
    report = add_page(january_build, february)
    assert report.changes.added == [B + "review/2024-devon-child-v"]
    assert report.changes.changed == [B + "review/2024-west-glamorgan-child-w"]
    assert report.changes.removed == [B + "review/2024-devon-child-x"]
    graph = B + "graph/february"
    assert set(report.graphs) == {graph, B + "graph/_shared"}
    assert any("child-x" in line for line in report.graphs[graph].remove)
    assert any("chronic neglect" in line for line in report.graphs[graph].insert)
    # Applying the change to the old named graphs gives the new ones.
    new_graphs = read_nquads((january_build / NQUADS_FILE).read_text(encoding="utf-8"))
    for name, change in report.graphs.items():
        applied = (set(old_graphs.get(name, [])) - set(change.remove)) | set(change.insert)
        assert applied == set(new_graphs[name]), name
    assert new_graphs[B + "graph/january"] == old_graphs[B + "graph/january"]
    # The N-Quads hold exactly the N-Triples' triples.
    nt = (january_build / NTRIPLES_FILE).read_text(encoding="utf-8").splitlines()
    assert sorted(set().union(*map(set, new_graphs.values()))) == nt


def test_add_needs_a_build(tmp_path: Path) -> None:
    with pytest.raises(ReviewGraphError, match="no build to add to"):
        add_page(tmp_path / "nothing", page(tmp_path, "february.txt", FEBRUARY))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewgraph.cli", *args], capture_output=True,
                          text=True, env={**os.environ}, timeout=300)


def test_cli_add(tmp_path: Path, january_build: Path) -> None:
    february = page(tmp_path, "february.txt", FEBRUARY)
    result = run_cli("add", str(february), "--out", str(january_build))
    assert result.returncode == 0, result.stderr
    assert "2 review(s) added, 0 changed, 0 unchanged, 0 removed; 2 review(s) on 1 other " \
           "page(s) left alone" in result.stdout
    again = run_cli("add", str(february), "--out", str(january_build))
    assert again.returncode == 0 and "nothing changed" in again.stdout
    before = snapshot(january_build)
    bad = run_cli("add", str(page(tmp_path, "march.txt", INVALID)), "--out", str(january_build))
    assert bad.returncode == 1
    assert "march.txt:6-10: violation: Child T (Kent, 1985)" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout
    assert snapshot(january_build) == before
    assert read_report(january_build)["reviews"] == 4


# --- adding captures of pages the build already lists (a harvest) -----------------------------
HARVEST = Path(__file__).parent / "fixtures" / "harvest"


def _harvest_copy(folder: Path) -> tuple[list[Path], list[Path]]:
    """A copy of the made-up harvest: its earliest capture, and the later ones."""
    folder.mkdir()
    for path in HARVEST.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    pages = sorted(p for p in folder.iterdir() if p.suffix in {".html", ".txt"})
    times = {p: json.loads(p.with_suffix(".json").read_text())["captures"][0]["capture_time"]
             for p in pages}
    pages.sort(key=times.__getitem__)
    return pages[:1], pages[1:]


def test_adding_later_captures_gives_what_a_full_build_gives(tmp_path: Path) -> None:
    first, later = _harvest_copy(tmp_path / "harvest")
    out = tmp_path / "build"
    build(first, out)
    before = read_nquads((out / NQUADS_FILE).read_text(encoding="utf-8"))
    report = add_pages(out, later)
    assert report.written
    assert report.changes.changed  # Baby T's corrected summary, the siblings' new keyword
    full = tmp_path / "full"
    build([tmp_path / "harvest"], full)
    assert {n: snapshot(out)[n] for n in COMPARED} == {n: snapshot(full)[n] for n in COMPARED}
    # the per-graph changes (what `add --store` sends) take the old graphs to the new ones
    after = read_nquads((out / NQUADS_FILE).read_text(encoding="utf-8"))
    for graph in set(before) | set(after):
        change = report.graphs.get(graph)
        lines = set(before.get(graph, ()))
        if change is not None:
            lines = (lines - set(change.remove)) | set(change.insert)
        assert lines == set(after.get(graph, ())), graph


def test_adding_one_later_capture_rebuilds_the_reviews_it_lists(tmp_path: Path) -> None:
    first, later = _harvest_copy(tmp_path / "harvest")
    out = tmp_path / "build"
    build(first, out)
    report = add_page(out, later[0])  # May: Baby T corrected
    assert report.written
    assert f"{B}review/2025-norfolk-baby-t" in report.changes.changed
    full = tmp_path / "full"
    build([first[0], later[0]], full)
    assert {n: snapshot(out)[n] for n in COMPARED} == {n: snapshot(full)[n] for n in COMPARED}


def test_cli_add_accepts_a_folder(tmp_path: Path) -> None:
    first, _ = _harvest_copy(tmp_path / "harvest")
    out = tmp_path / "build"
    build(first, out)
    result = subprocess.run([sys.executable, "-m", "reviewgraph.cli", "add",
                             str(tmp_path / "harvest"), "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "conflict: 2025-norfolk-baby-t" in result.stdout
    assert "now 4 reviews" in result.stdout


def test_an_add_keeps_what_the_build_found_about_other_pages(tmp_path: Path) -> None:
    first, later = _harvest_copy(tmp_path / "harvest")
    out = tmp_path / "build"
    build([tmp_path / "harvest"], out)
    identity = read_report(out)["identity"]
    assert identity["conflicts"] and identity["decisions"]
    add_page(out, page(tmp_path, "february.txt", FEBRUARY))  # lists none of their reviews
    assert read_report(out)["identity"] == identity
