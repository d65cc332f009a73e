"""A public read-only endpoint: no updates, no outbound connections, time and row limits."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CROSS_JOIN = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
              "?m ?n2 ?o }")
MARKER = "ASK { <http://attacker.example/s> ?p ?o }"


class Listener:
    """A TCP listener on loopback that records every connection made to it."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture
def listener():
    running = Listener()
    yield running
    running.close()


def count(endpoint: str) -> int:
    response = requests.get(endpoint, params={"query": COUNT}, timeout=30,
                            headers={"Accept": "application/sparql-results+json"})
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def ask(endpoint: str, query: str) -> bool:
    response = requests.get(endpoint, params={"query": query}, timeout=30,
                            headers={"Accept": "application/sparql-results+json"})
    return response.json()["boolean"]


# --- no outbound connections ------------------------------------------------------------------
def test_service_load_and_from_never_connect(limited_server, listener):
    endpoint = limited_server.endpoint
    target = listener.url
    refused_queries = [
        f"SELECT * WHERE {{ SERVICE <{target}/sparql> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{target}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?x ?y ?z . SeRvIcE <{target}/> {{ ?s ?p ?o }} }}",
        f"PREFIX : <{target}/>\nSELECT * WHERE {{ SERVICE:x {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{target}/> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{\n  # a comment\n  SERVICE <{target}/sparql> {{ ?s ?p ?o }}\n}}",
        f"LOAD <{target}/data.ttl>",
        f"LOAD SILENT <{target}/data.ttl> INTO GRAPH <http://g>",
    ]
    for query in refused_queries:
        response = requests.get(endpoint, params={"query": query}, timeout=30)
        assert response.status_code == 400, (query, response.text)
        response = requests.post(endpoint, data=query.encode(), timeout=30,
                                 headers={"Content-Type": "application/sparql-query"})
        assert response.status_code == 400, (query, response.text)
    assert "SERVICE (federated query) at line 3, column 3" in requests.get(
        endpoint, params={"query": refused_queries[5]}, timeout=30).text
    for update in (f"LOAD <{target}/data.ttl>",):
        response = requests.post(endpoint, data={"update": update}, timeout=30)
        assert response.status_code == 403
    # FROM and FROM NAMED name graphs in the store; they are never fetched.
    allowed_queries = [
        f"SELECT * FROM <{target}/data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{target}/data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} FROM <{target}/x.rdf> WHERE {{ ?s ?p ?o }}",
    ]
    for query in allowed_queries:
        response = requests.get(endpoint, params={"query": query}, timeout=30)
        assert response.status_code == 200, (query, response.text)
    response = requests.get(endpoint, timeout=30, params={
        "query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": f"{target}/data.ttl",
        "named-graph-uri": f"{target}/named.ttl"})
    assert response.status_code == 200
    # Strings, IRIs and comments that merely contain the word are fine.
    harmless = ('SELECT * WHERE { ?s ?p "SERVICE <x> {}" . '
                '?s <http://example.org/service> ?o } # SERVICE <y> {}')
    assert requests.get(endpoint, params={"query": harmless}, timeout=30).status_code == 200
    time.sleep(0.5)
    assert listener.connections == 0


def test_store_built_in_functions_never_connect(limited_server, listener, store_kind):
    """Virtuoso runs functions named `bif:...` as its own built-ins, and `bif:http_get` fetches
    a URL from the store's server. The adapter refuses such queries before they reach any
    external store, however the IRI is written; the embedded store knows no such function."""
    target = listener.url
    built_ins = [
        f"SELECT (<bif:http_get>('{target}/x') AS ?page) WHERE {{}}",
        f"SELECT (<BIF:http_get>('{target}/x') AS ?page) WHERE {{}}",
        f"SELECT (<\\u0062if:http_get>('{target}/x') AS ?page) WHERE {{}}",
        f"PREFIX v: <http://www.openlinksw.com/schemas/bif#>\n"
        f"SELECT (v:http_get('{target}/x') AS ?page) WHERE {{}}",
        "SELECT (<sql:some_procedure>() AS ?x) WHERE {}",
    ]
    for query in built_ins:
        response = requests.get(limited_server.endpoint, params={"query": query}, timeout=30)
        if store_kind != "embedded":
            assert response.status_code == 400, (query, response.text)
            assert "bif: or sql: IRIs" in response.text
    harmless = "SELECT * WHERE { ?s ?p \"<bif:http_get>\" } # <sql:x>"
    assert requests.get(limited_server.endpoint, params={"query": harmless},
                        timeout=30).status_code == 200
    time.sleep(0.5)
    assert listener.connections == 0


def test_query_processes_cannot_open_sockets(tmp_path, graph_file, listener):
    """The kernel-level backstop: even SERVICE that reached pyoxigraph could not connect.

    Embedded store only: the guard is a seccomp filter in the query processes, which for an
    external store must reach the store (there the tokenizer and the store adapter refuse
    SERVICE, as test_service_load_and_from_never_connect checks on every store)."""
    script = f"""
import socket, pyoxigraph
from reviewgraph.web.executor import deny_network
assert deny_network()
try:
    socket.create_connection(("127.0.0.1", {listener.port}), timeout=2)
    print("connected")
except PermissionError:
    print("refused")
store = pyoxigraph.Store()
store.load(path={str(graph_file)!r})
try:
    list(store.query("SELECT * WHERE {{ SERVICE <{listener.url}/sparql> {{ ?s ?p ?o }} }}"))
    print("service answered")
except Exception as error:
    print("service failed")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["refused", "service", "failed"], result.stderr
    time.sleep(0.3)
    assert listener.connections == 0


# --- updates are refused and change nothing ---------------------------------------------------
INSERT = "INSERT DATA { <http://attacker.example/s> <http://attacker.example/p> 1 }"
DELETE = "DELETE WHERE { ?s ?p ?o }"


@pytest.mark.parametrize("path", ["/sparql", "/update", "/sparql/update", "/sparql-update",
                                  "/statements", "/store", "/data"])
def test_updates_by_every_method_and_url_change_nothing(server, path):
    before = count(server.endpoint)
    url = server.base_url + path
    attempts = [
        requests.get(url, params={"update": INSERT}, timeout=30),
        requests.get(url, params={"query": INSERT}, timeout=30),
        requests.post(url, data={"update": INSERT}, timeout=30),
        requests.post(url, data={"query": DELETE}, timeout=30),
        requests.post(url, data=INSERT.encode(), timeout=30,
                      headers={"Content-Type": "application/sparql-update"}),
        requests.post(url, data=DELETE.encode(), timeout=30,
                      headers={"Content-Type": "application/sparql-query"}),
        requests.put(url, data=b"<http://attacker.example/s> <http://a/p> 1 .", timeout=30,
                     headers={"Content-Type": "application/n-triples"}),
        requests.post(url, data=b"<http://attacker.example/s> <http://a/p> 1 .", timeout=30,
                      headers={"Content-Type": "text/turtle"}),
        requests.delete(url, timeout=30),
        requests.patch(url, data=INSERT.encode(), timeout=30),
    ]
    for response in attempts:
        assert 400 <= response.status_code < 500, (response.request.method, response.text)
    assert count(server.endpoint) == before
    assert ask(server.endpoint, MARKER) is False


# --- time limit -------------------------------------------------------------------------------
def test_runaway_query_is_stopped_within_the_limit(limited_server):
    endpoint = limited_server.endpoint
    started = time.monotonic()
    response = requests.get(endpoint, params={"query": CROSS_JOIN}, timeout=60,
                            headers={"Accept": "application/sparql-results+json"})
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "2 s time limit" in response.text
    assert elapsed < 2 + 1.5  # the limit plus a small margin
    # ... and the endpoint answers at once afterwards.
    assert count(endpoint) > 0


def test_cheap_queries_and_pages_answer_while_an_expensive_query_runs(limited_server):
    endpoint = limited_server.endpoint
    expensive_done = threading.Event()
    expensive_status: list[int] = []

    def expensive() -> None:
        response = requests.get(endpoint, params={"query": CROSS_JOIN}, timeout=60)
        expensive_status.append(response.status_code)
        expensive_done.set()

    thread = threading.Thread(target=expensive)
    thread.start()
    time.sleep(0.3)  # let it start
    answered_during = []
    for _ in range(5):
        answered_during.append(count(endpoint) > 0)
        page = requests.get(endpoint, headers={"Accept": "text/html"}, timeout=30)
        answered_during.append(page.status_code == 200)
        health = requests.get(f"{limited_server.base_url}/healthz", timeout=30)
        answered_during.append(health.status_code == 200)
    still_running = not expensive_done.is_set()
    thread.join()
    assert all(answered_during)
    assert still_running  # the cheap requests really overlapped the expensive one
    assert expensive_status == [503]


# --- row cap ----------------------------------------------------------------------------------
def test_row_cap_is_explicit_in_header_and_body(limited_server):
    endpoint = limited_server.endpoint
    response = requests.get(endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o }"},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["ReviewGraph-Truncated"] == "true; limit=5"
    document = response.json()
    assert len(document["results"]["bindings"]) == 5
    assert document["truncated"] is True and "row limit of 5" in document["note"]

    response = requests.get(endpoint, params={"query": "SELECT * WHERE { ?s ?p ?o }"},
                            headers={"Accept": "application/sparql-results+xml"}, timeout=30)
    assert response.headers["ReviewGraph-Truncated"] == "true; limit=5"
    assert b"row limit of 5" in response.content

    response = requests.get(endpoint, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                            headers={"Accept": "text/turtle"}, timeout=30)
    assert response.headers["ReviewGraph-Truncated"] == "true; limit=5"
    assert response.text.startswith("# Results cut at the row limit of 5")

    response = requests.get(endpoint, timeout=30, headers={"Accept": "text/csv"}, params={
        "query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
    assert "ReviewGraph-Truncated" not in response.headers  # exactly at the cap: nothing cut
    assert len(response.text.strip().splitlines()) == 6


def test_query_size_limit_is_configurable(limited_server):
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 3000
    response = requests.get(limited_server.endpoint, params={"query": query}, timeout=30)
    assert response.status_code == 413
    assert "2048 bytes" in response.text


def test_service_description_states_the_limits(limited_server):
    response = requests.get(limited_server.endpoint, headers={"Accept": "application/ld+json"},
                            timeout=30)
    text = json.dumps(response.json())
    assert "stop after 2 s" in text and "cut at 5 rows" in text
