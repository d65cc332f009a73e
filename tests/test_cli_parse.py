"""`reviewgraph parse` through the real entry point: output, JSON, --strict, exit codes and
clear messages for bad input (never a traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reviewgraph.cli import main
from reviewgraph.paths import SOURCES_DIR

SAMPLE = str(SOURCES_DIR / "nspcc-new-in-the-collection-2025.txt")
PAGES = Path(__file__).parent / "fixtures" / "pages"
BAD = PAGES / "bad"
RECORD_KEYS = {
    "title", "year", "month", "locality", "publisher_note", "summary", "background", "model",
    "learning", "learning_about", "recommendations", "keywords", "report_type", "report_url",
    "review_type",
    "children",
    "outcome", "incident_date", "agencies", "places_mentioned", "source",
}


def test_parse_prints_readable_records(capsys):
    assert main(["parse", SAMPLE]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("\n2025 – ") == 7 and out.startswith("2025 – Birmingham – Baby A")
    assert "  recommendations (8):" in out
    assert "    3. [the ICS] the ICS should ensure information requests" in out


def test_parse_json_is_one_list_of_records(capsys):
    assert main(["parse", "--json", SAMPLE]) == 0
    records = json.loads(capsys.readouterr().out)
    assert isinstance(records, list) and len(records) == 8
    assert all(set(record) == RECORD_KEYS for record in records)
    kent = records[4]
    assert kent["title"] == "Eli and Micah" and kent["year"] == 2025
    assert kent["children"] == {"count": 2, "children": [
        {"pseudonym": "Eli", "age": None, "sex": None, "outcome": "death", "date": "2022"},
        {"pseudonym": "Micah", "age": None, "sex": None, "outcome": "serious harm",
         "date": None},
    ]}
    assert kent["incident_date"] is None
    assert kent["learning_about"][-1] == ["Eli", "Micah"]
    assert kent["recommendations"][2] == {
        "text": "the ICS should ensure information requests contain accurate family details, "
                "and there is recorded evidence of follow up/escalation when information is not "
                "received",
        "addressees": ["the ICS"],
    }
    assert kent["source"] == {"file": SAMPLE, "first_line": 28, "last_line": 33,
                              "page_lines": 51}


def test_several_pages_make_one_list(capsys):
    pages = [SAMPLE, str(PAGES / "collection-page.html"), str(PAGES / "anonymous-dhr.txt")]
    assert main(["parse", "--json", *pages]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 8 + 2 + 3
    assert {record["source"]["file"] for record in records} == set(pages)


@pytest.mark.parametrize(
    "name",
    ["older-month-headings.txt", "run-in-year-wales.txt", "anonymous-dhr.txt",
     "one-paragraph.txt", "background-model-bullets.txt", "collection-page.html"],
)
def test_made_up_pages_parse_cleanly_even_when_strict(capsys, name):
    assert main(["parse", "--strict", "--json", str(PAGES / name)]) == 0
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.txt", "the file is empty"),
        ("binary-page.txt", "looks like a binary file"),
        ("bad-encoding.txt", "cannot read the text encoding"),
        ("no-entries.txt", "no case-review entries found"),
        ("missing.txt", "no such file"),
    ],
)
def test_unreadable_input_is_one_clear_error_line(capsys, name, message):
    path = str(BAD / name)
    assert main(["parse", path]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"reviewgraph parse: error: {path}: {message}" + err.split(message, 1)[1]
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "warnings"),
    [
        ("truncated-entry.txt", [":8: entry has no keywords", ":8: entry ends mid-sentence"]),
        ("no-keywords.txt", [":5: entry has no keywords"]),
    ],
)
def test_warnings_exit_1_and_strict_makes_them_fail(capsys, name, warnings):
    path = str(BAD / name)
    assert main(["parse", "--json", path]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)  # the records are still printed
    lines = err.splitlines()
    assert len(lines) == len(warnings)
    for line, expected in zip(lines, warnings, strict=True):
        assert line.startswith(path + expected)
    assert main(["parse", "--strict", path]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1].startswith("reviewgraph parse: error: ")
    assert "--strict" in err


def test_installed_command_in_a_subprocess():
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    bad = subprocess.run(
        [sys.executable, "-m", "reviewgraph.cli", "parse", str(BAD / "binary-page.txt")],
        capture_output=True, text=True, env=environment, timeout=60,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert "looks like a binary file" in bad.stderr and "Traceback" not in bad.stderr
    good = subprocess.run(
        [sys.executable, "-m", "reviewgraph.cli", "parse", "--json", SAMPLE],
        capture_output=True, text=True, env=environment, timeout=60,
    )
    assert good.returncode == 0 and len(json.loads(good.stdout)) == 8
