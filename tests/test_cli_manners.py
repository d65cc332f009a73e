"""The command line as a person meets it: --version, help that says what a command does, its
defaults and exit statuses, progress only on a terminal, warnings capped per page, `add` saying
a review was already there, and `validate` refusing an empty graph."""

from __future__ import annotations

import importlib.metadata
import os
import pty
import re
import subprocess
from pathlib import Path

import pytest
from helpers import REVIEWGRAPH

from reviewgraph.cli import WARNINGS_PER_PAGE, build_parser

PAGES = Path(__file__).parent / "fixtures" / "pages"
PAGE = PAGES / "one-paragraph.txt"


def command(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(REVIEWGRAPH), *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_version() -> None:
    result = command("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"reviewgraph {importlib.metadata.version('reviewgraph')}"


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", subcommands())
def test_every_command_has_help_with_a_description_defaults_and_exit_statuses(name: str
                                                                              ) -> None:
    result = command(name, "--help")
    assert result.returncode == 0
    text = result.stdout
    description = text.split("\n\n")[1]  # after the usage
    assert len(description) > 40, text
    assert "Exit status" in text, text
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    sub = action.choices[name]  # type: ignore[index]
    flat = " ".join(text.split())  # as help wraps lines
    for option in sub._actions:
        if option.option_strings and option.default not in (None, False, "==SUPPRESS=="):
            assert re.search(rf"{re.escape(option.option_strings[-1])}.*?default: "
                             rf"{re.escape(str(option.default))}\)", flat), option


def junk_page(tmp_path: Path, lines: int) -> Path:
    page = tmp_path / "junk.txt"
    junk = "".join(f"zq{i} %% ## ~~ not a listing line {i}\n" for i in range(lines))
    page.write_text(PAGE.read_text(encoding="utf-8") + junk, encoding="utf-8")
    return page


@pytest.mark.parametrize("name", ["parse", "build"])
def test_warnings_are_capped_per_page_with_a_count_of_the_rest(tmp_path: Path, name: str
                                                               ) -> None:
    page = junk_page(tmp_path, 500)
    args = [name, str(page)] + (["--out", str(tmp_path / "build")] if name == "build" else [])
    result = command(*args)
    assert result.returncode == (1 if name == "parse" else 3), result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(page))]
    assert len(lines) == WARNINGS_PER_PAGE + 1
    assert lines[-1] == (f"{page}: ... and {500 - WARNINGS_PER_PAGE} more warning(s) like "
                         f"these (only the first {WARNINGS_PER_PAGE} of a page are shown)")


def test_add_says_which_reviews_were_already_there(tmp_path: Path) -> None:
    build = tmp_path / "build"
    assert command("build", str(PAGE), "--out", str(build)).returncode == 0
    again = tmp_path / "the-same-reviews.txt"
    again.write_bytes(PAGE.read_bytes())
    result = command("add", str(again), "--out", str(build))
    assert result.returncode == 0, result.stderr
    assert (f"{again}: 2 of its review(s) were already in {build} from other pages"
            in result.stdout)
    assert "2 already there from other pages" in result.stdout


def test_validate_of_an_empty_graph_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ttl"
    empty.write_text("@prefix ex: <http://example.org/> .\n", encoding="utf-8")
    result = command("validate", str(empty))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"reviewgraph validate: error: {empty}: the graph is empty "
                                     "(no triples to validate)")
    assert "conforms" not in result.stdout


def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    # Not a terminal (a pipe, as in CI and logs): no progress at all.
    piped = command("build", str(PAGE), "--out", str(tmp_path / "piped"))
    assert piped.returncode == 0
    assert "\x1b" not in piped.stderr and "building" not in piped.stderr
    # A terminal: stderr is a pseudo-terminal.
    controller, terminal = pty.openpty()
    process = subprocess.Popen([str(REVIEWGRAPH), "build", str(PAGE), "--out",
                                str(tmp_path / "tty")], stdout=subprocess.DEVNULL,
                               stderr=terminal, env=dict(os.environ, COLUMNS="100"))
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the command has exited and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.wait(timeout=300) == 0
    assert b"building" in shown
