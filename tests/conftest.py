"""Shared fixtures: the graph under test and real servers started with `reviewgraph serve`.

`graph_file` is the one place that says which graph the endpoint tests serve; switching the
suite to the real build is a change to that fixture alone.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from helpers import REVIEWGRAPH, free_port
from store_servers import STORE_KINDS, StoreFarm, stop_process_group, virtuoso_available

TESTS_DIR = Path(__file__).parent
FIXTURES_DIR = TESTS_DIR / "fixtures"


@pytest.fixture(scope="session")
def graph_file() -> Path:
    """The graph the endpoint tests serve (switch to the real build here)."""
    return FIXTURES_DIR / "graph" / "small.ttl"


@dataclass(frozen=True)
class GraphFacts:
    """What the tests expect, read from the graph file itself (not through our code)."""

    titles: list[str]  # every dcterms:title, sorted as ORDER BY sorts plain strings
    review: str  # one review IRI
    review_title: str
    triples: int


@pytest.fixture(scope="session")
def graph_facts(graph_file: Path) -> GraphFacts:
    import pyoxigraph

    store = pyoxigraph.Store()
    store.load(path=str(graph_file))
    title = pyoxigraph.NamedNode("http://purl.org/dc/terms/title")
    review_class = pyoxigraph.NamedNode("https://reviewgraph.example/def/CaseReview")
    titles = sorted(q.object.value for q in store.quads_for_pattern(None, title, None))
    reviews = sorted(q.subject.value for q in store.quads_for_pattern(
        None, pyoxigraph.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        review_class))
    review_title = next(q.object.value for q in store.quads_for_pattern(
        pyoxigraph.NamedNode(reviews[0]), title, None))
    return GraphFacts(titles, reviews[0], review_title, len(store))


@pytest.fixture(scope="session")
def expected_titles(graph_facts: GraphFacts) -> list[str]:
    return graph_facts.titles


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/sparql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(graph: Path, build_dir: Path, *extra: str, store_url: str | None = None
                 ) -> Server:
    """Run the real `reviewgraph serve` on a free loopback port; wait for /healthz. With
    `store_url` it serves that external store (already loaded) instead of `graph`."""
    port = free_port()
    log_path = build_dir / "serve.log"
    build_dir.mkdir(parents=True, exist_ok=True)
    source = ["--store", store_url] if store_url else ["--graph", str(graph)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(REVIEWGRAPH), "serve", *source, "--build", str(build_dir),
             "--host", "127.0.0.1", "--port", str(port), "--workers", "1", *extra],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"reviewgraph serve exited:\n{server.log()}")
        try:
            if requests.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"reviewgraph serve did not become healthy:\n{server.log()}")


def stop_server(server: Server) -> None:
    stop_process_group(server.process, timeout=10)


# --- which store the app serves from --------------------------------------------------------
# Every test that uses `server`, `limited_server`, `endpoint` or `page_store_url` runs once per
# store kind: the embedded Oxigraph store, and the same data loaded (with `reviewgraph load`)
# into a real Oxigraph server and a real Virtuoso started here on loopback. Tests about the
# embedded engine itself use `embedded_only` (store_servers.py).
@pytest.fixture(scope="session", params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "virtuoso" and not virtuoso_available():
        pytest.skip("virtuoso-t is not installed (scripts/setup --test installs it)")
    return request.param


@pytest.fixture(scope="session")
def store_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreFarm]:
    farm = StoreFarm(tmp_path_factory.mktemp("stores"))
    yield farm
    farm.stop_all()


@pytest.fixture(scope="session")
def endpoint_store_url(store_kind: str, store_farm: StoreFarm, graph_file: Path) -> str | None:
    """None for the embedded store; else the query URL of an external store holding
    `graph_file` (loaded once per kind)."""
    if store_kind == "embedded":
        return None
    return store_farm.loaded(store_kind, "endpoint", "--graph", str(graph_file))


@pytest.fixture(scope="session")
def page_store_url(store_kind: str, store_farm: StoreFarm) -> str | None:
    """None for the embedded store; else an (empty) external store for the page tests, which
    `served_build` fills with each build it serves."""
    if store_kind == "embedded":
        return None
    return store_farm.get(store_kind, "pages").store_url


@pytest.fixture(scope="session")
def server(graph_file: Path, tmp_path_factory: pytest.TempPathFactory,
           endpoint_store_url: str | None) -> Iterator[Server]:
    """The endpoint with default limits (10 s, 10,000 rows, 64 KiB)."""
    running = start_server(graph_file, tmp_path_factory.mktemp("serve"), "--executors", "2",
                           store_url=endpoint_store_url)
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def limited_server(graph_file: Path, tmp_path_factory: pytest.TempPathFactory,
                   endpoint_store_url: str | None) -> Iterator[Server]:
    """The endpoint with small limits: 2 s, 5 rows, 2 KiB queries, no answer cache."""
    running = start_server(graph_file, tmp_path_factory.mktemp("serve-limited"),
                           "--timeout", "2", "--max-rows", "5", "--max-query-bytes", "2048",
                           "--executors", "2", "--no-cache", store_url=endpoint_store_url)
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def endpoint(server: Server) -> str:
    return server.endpoint


# --- in CI, a skipped server or browser test is a failure ------------------------------------
# CI installs every server and the browser the tests use (scripts/setup --test); a test skipped
# there for want of one would let CI pass with part of the suite gone.
SERVER_FIXTURES = {"server", "limited_server", "endpoint", "store_kind", "store_farm",
                   "endpoint_store_url", "page_store_url", "served", "browser"}
MISSING_PART = ("not installed", "chromium", "virtuoso", "axe-core", "playwright", "oxigraph",
                "server", "browser")
_skipped_in_ci: list[str] = []


def _needs_a_server(report: pytest.TestReport | pytest.CollectReport,
                    fixtures: set[str]) -> bool:
    # A skip's longrepr is (file, line, "Skipped: reason"): the reason alone is read.
    longrepr = report.longrepr
    reason = (longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)).lower()
    return bool(fixtures & SERVER_FIXTURES) or any(word in reason for word in MISSING_PART)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _needs_a_server(report, set(getattr(item, "fixturenames", ()))):
        _skipped_in_ci.append(f"{report.nodeid}: {report.longrepr}")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped and _needs_a_server(report, set()):  # a module skipped as a whole
        _skipped_in_ci.append(f"{report.nodeid}: {report.longrepr}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") and _skipped_in_ci and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if os.environ.get("CI") and _skipped_in_ci:
        terminalreporter.section("server or browser tests skipped in CI (a failure)",
                                 red=True)
        for line in _skipped_in_ci:
            terminalreporter.line(line)
