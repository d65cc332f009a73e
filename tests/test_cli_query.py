"""`reviewgraph query` with SPARQLWrapper against the real server (and a dead port)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import rdflib
from helpers import free_port

from reviewgraph.cli import main

TITLES = ("PREFIX dcterms: <http://purl.org/dc/terms/>\n"
          "SELECT ?title WHERE { ?r dcterms:title ?title } ORDER BY ?title")
CONSTRUCT = ("CONSTRUCT { ?r <http://purl.org/dc/terms/title> ?t } "
             "WHERE { ?r <http://purl.org/dc/terms/title> ?t }")


REVIEWGRAPH = Path(sys.executable).parent / "reviewgraph"


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["query", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_table(endpoint, capsys, expected_titles):
    status, out, _ = run(capsys, TITLES, "--endpoint", endpoint)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].strip() == "title" and set(lines[1]) == {"-"}
    assert [line.strip() for line in lines[2:-1]] == expected_titles
    assert lines[-1] == f"({len(expected_titles)} rows)"


def test_csv_and_json(endpoint, capsys, expected_titles):
    status, out, _ = run(capsys, TITLES, "--endpoint", endpoint, "--format", "csv")
    assert status == 0
    assert list(csv.reader(io.StringIO(out)))[1:] == [[t] for t in expected_titles]
    status, out, _ = run(capsys, TITLES, "--endpoint", endpoint, "--format", "json")
    assert status == 0
    assert len(json.loads(out)["results"]["bindings"]) == len(expected_titles)


def test_ask(endpoint, capsys):
    status, out, _ = run(capsys, "ASK { ?s ?p ?o }", "--endpoint", endpoint)
    assert (status, out) == (0, "true\n")


def test_construct_as_turtle_and_json_ld(endpoint, capsys, expected_titles):
    status, out, _ = run(capsys, CONSTRUCT, "--endpoint", endpoint, "--format", "turtle")
    assert status == 0
    assert len(rdflib.Graph().parse(data=out, format="turtle")) == len(expected_titles)
    status, out, _ = run(capsys, CONSTRUCT, "--endpoint", endpoint, "--format", "json")
    assert status == 0
    assert len(rdflib.Graph().parse(data=out, format="json-ld")) == len(expected_titles)


def test_query_from_a_file(endpoint, capsys, tmp_path, expected_titles):
    query_file = tmp_path / "titles.rq"
    query_file.write_text(TITLES, encoding="utf-8")
    for argument in (str(query_file), f"@{query_file}"):
        status, out, _ = run(capsys, argument, "--endpoint", endpoint)
        assert status == 0 and expected_titles[-1] in out


def test_errors_are_one_line_and_exit_2(endpoint, capsys, tmp_path):
    status, _, err = run(capsys, "SELECT ?x WHERE { ?x }", "--endpoint", endpoint)
    assert status == 2
    assert "refused the query: malformed query at line 1, column" in err
    assert "Traceback" not in err
    status, _, err = run(capsys, str(tmp_path / "missing.rq"), "--endpoint", endpoint)
    assert status == 2 and "missing.rq: no such query file" in err
    status, _, err = run(capsys, TITLES, "--endpoint", endpoint, "--format", "turtle")
    assert status == 2 and "--format turtle is for CONSTRUCT" in err
    status, _, err = run(capsys, CONSTRUCT, "--endpoint", endpoint, "--format", "csv")
    assert status == 2 and "--format csv is for SELECT" in err
    dead = f"http://127.0.0.1:{free_port()}/sparql"
    status, _, err = run(capsys, TITLES, "--endpoint", dead)
    assert status == 2 and f"cannot reach {dead}" in err


def test_truncation_is_reported(limited_server, capsys):
    status, out, err = run(capsys, "SELECT * WHERE { ?s ?p ?o }",
                           "--endpoint", limited_server.endpoint, "--format", "csv")
    assert status == 0
    assert len(out.strip().splitlines()) == 6  # header and the 5-row cap
    assert "results were cut by the server (true; limit=5)" in err


def test_the_installed_command(endpoint, expected_titles):
    result = subprocess.run([str(REVIEWGRAPH), "query", TITLES, "--endpoint", endpoint,
                             "--format", "csv"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert list(csv.reader(io.StringIO(result.stdout)))[1:] == [[t] for t in expected_titles]


def query_command(*args: str) -> subprocess.CompletedProcess:
    """The installed command: library warnings would reach its stderr (pytest keeps them from
    an in-process run)."""
    return subprocess.run([str(REVIEWGRAPH), "query", *args], capture_output=True, text=True,
                          timeout=60)


def test_a_query_of_no_known_form_gives_the_endpoints_message_alone(endpoint):
    result = query_command("SELEC ?x WHERE { ?x ?p ?o }", "--endpoint", endpoint)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"reviewgraph query: error: {endpoint} ")
    assert "Warning" not in result.stderr and ".py" not in result.stderr


def test_a_server_message_is_one_short_line(endpoint):
    # A character no SPARQL name may hold: parsers answer with the ranges they expected.
    result = query_command("SELECT ?x WHERE { ?x ?p ?o } LIMIT \u00a71", "--endpoint", endpoint)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 500
    assert "\\u{" not in lines[0]


def test_a_wrong_endpoint_url_is_named_without_its_html(server):
    for url in (f"{server.base_url}/", f"{server.base_url}/no-such-page"):
        result = query_command("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "--endpoint", url)
        assert result.returncode == 2
        assert "<" not in result.stderr
        assert f"is {url} the endpoint's URL?" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
