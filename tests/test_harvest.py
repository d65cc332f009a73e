"""`reviewgraph harvest` against a real web archive (pywb on loopback, holding WARC files
written with warcio) and a local HTTP server playing the live site. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import harvest_pages as pages
import pytest
from web_archive import ArchivedResponse, Pywb, add_warcs, free_port, start_pywb, write_warc

from reviewgraph.cli import main
from reviewgraph.harvest import (
    DEFAULT_PAGES,
    HarvestOptions,
    harvest,
    parse_archive_option,
    read_addresses,
)
from reviewgraph.harvest.cdx import address_variants, group_by_digest, parse_cdx
from reviewgraph.harvest.checks import capture_problem, redirect_problem
from reviewgraph.harvest.storage import HarvestFolder

REVIEWGRAPH = Path(sys.executable).parent / "reviewgraph"
FIXTURE_PAGES = Path(__file__).parent / "fixtures" / "pages"
CONTRACT_KEYS = {"url", "archive", "replay_url", "capture_time", "retrieved", "status"}


# --- the archive ----------------------------------------------------------------------------
def _captures() -> list[ArchivedResponse]:
    http_variant = "http://learning.nspcc.org.uk/case-reviews/monthly-case-reviews-update/"
    return [
        ArchivedResponse(pages.MONTHLY, "20250304120000", pages.monthly("v1")),
        ArchivedResponse(pages.MONTHLY, "20250404120000", pages.monthly("v1")),  # unchanged
        ArchivedResponse(pages.MONTHLY, "20250504120000", pages.monthly("v2")),  # changed
        ArchivedResponse(pages.MONTHLY, "20250604120000", pages.monthly("v2-corrected")),
        ArchivedResponse(pages.MONTHLY, "20250704120000", pages.error_page()),
        ArchivedResponse(pages.MONTHLY, "20250804120000", pages.home_page_refresh()),
        ArchivedResponse(pages.MONTHLY, "20250904120000", b"", None, "302 Found",
                         "https://learning.nspcc.org.uk/"),  # not a 200: never listed
        ArchivedResponse(http_variant, "20251004120000", pages.monthly("v2-corrected")),
        ArchivedResponse(pages.MONTHLY, "20251104120000", pages.cookie_wall()),
        ArchivedResponse(pages.MONTHLY, "20251204120000", b""),
        ArchivedResponse(pages.YEARLY_2014, "20150101000000", pages.yearly_2014()),
        ArchivedResponse(pages.YEARLY_2014, "20160101000000", pages.yearly_2014()),
        ArchivedResponse(pages.INFORM_2012, "20130101000000", pages.inform_2012()),
        ArchivedResponse(pages.RECENT, "20230601000000", pages.recent_2023_text(),
                         "text/plain; charset=utf-8"),
        ArchivedResponse(pages.RECENT, "20240601000000", pages.recent_2024()),
        ArchivedResponse(pages.RECENT, "20240701000000", b"%PDF-1.4 made up", "application/pdf"),
    ]


STORED_BODIES = 7  # v1, v2, v2-corrected, 2014, 2012, 2023 text, 2024
SKIPPED = 5  # error page, meta refresh home, cookie wall, empty body, pdf
LISTED = 15  # every 200 capture (the 302 is filtered out)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pywb]:
    folder = tmp_path_factory.mktemp("pywb")
    warc = folder / "captures.warc.gz"
    write_warc(warc, _captures())
    server = start_pywb(folder, [warc])
    yield server
    server.stop()


@pytest.fixture()
def pages_csv(tmp_path: Path) -> Path:
    path = tmp_path / "pages.csv"
    path.write_text("url,era\n" + "".join(f"{url},made up\n" for url in (
        pages.MONTHLY, pages.YEARLY_2014, pages.INFORM_2012, pages.RECENT)))
    return path


def _sidecars(folder: Path) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}


def _assert_whole(folder: Path) -> None:
    """Every page in the folder is complete, named by its sha256, with its sidecar."""
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        assert path.suffix in (".html", ".txt", ".json"), path
        if path.suffix != ".json":
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.stem, path
            sidecar = json.loads(path.with_suffix(".json").read_text())
            assert sidecar["sha256"] == path.stem


class ReplayCounter:
    """Passes replay requests on to pywb and keeps their paths: what the archive was asked."""

    def __init__(self, archive: Pywb) -> None:
        self.paths: list[str] = []
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                counter.paths.append(self.path)
                upstream = http.client.HTTPConnection("127.0.0.1", archive.port, timeout=10)
                upstream.request("GET", self.path)
                answer = upstream.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for name in ("Content-Type", "Location"):
                    if answer.getheader(name):
                        self.send_header(name, answer.getheader(name))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                upstream.close()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.prefix = f"http://127.0.0.1:{self.server.server_port}/nspcc/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def replays(archive: Pywb) -> Iterator[ReplayCounter]:
    counter = ReplayCounter(archive)
    yield counter
    counter.stop()


def test_archive_harvest_stores_each_distinct_capture_once(archive: Pywb, pages_csv: Path,
                                                           replays: ReplayCounter,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "harvested"
    options = HarvestOptions(read_addresses(pages_csv), out,
                             [parse_archive_option(f"{archive.cdx_url}={replays.prefix}")],
                             live=False, delay=0, timeout=10)
    report = harvest(options)
    # One request per distinct digest (stored or skipped), never one per capture.
    assert len(replays.paths) == len(set(replays.paths)) == STORED_BODIES + SKIPPED
    assert (report.found, report.fetched, report.new_pages) == (LISTED, STORED_BODIES,
                                                               STORED_BODIES)
    assert report.same_digest == 3 and not report.failed and not report.unreachable
    reasons = sorted(outcome.reason for outcome in report.skipped)
    assert len(reasons) == SKIPPED
    assert any(r.startswith("an error page (title 'Page not found')") for r in reasons)
    assert any(r.startswith("redirects (meta refresh) to the home page") for r in reasons)
    assert "a cookie wall (a short page asking about cookies)" in reasons
    assert "empty body" in reasons
    assert "not a web page (content type application/pdf)" in reasons

    _assert_whole(out)
    sidecars = _sidecars(out)
    assert len(sidecars) == STORED_BODIES
    bodies = {path.read_bytes() for path in out.iterdir() if path.suffix in (".html", ".txt")}
    assert bodies == {pages.monthly("v1"), pages.monthly("v2"), pages.monthly("v2-corrected"),
                      pages.yearly_2014(), pages.inform_2012(), pages.recent_2023_text(),
                      pages.recent_2024()}
    text_sha = hashlib.sha256(pages.recent_2023_text()).hexdigest()
    assert (out / f"{text_sha}.txt").exists()
    assert sidecars[text_sha]["content_type"] == "text/plain; charset=utf-8"

    v1 = sidecars[hashlib.sha256(pages.monthly("v1")).hexdigest()]
    assert [c["capture_time"] for c in v1["captures"]] == ["2025-03-04T12:00:00Z",
                                                          "2025-04-04T12:00:00Z"]
    capture = v1["captures"][0]
    assert set(capture) == CONTRACT_KEYS and capture["status"] == 200
    assert capture["archive"] == f"127.0.0.1:{archive.port}/nspcc"
    assert capture["replay_url"] == f"{replays.prefix}20250304120000id_/{pages.MONTHLY}"
    corrected = sidecars[hashlib.sha256(pages.monthly("v2-corrected")).hexdigest()]
    assert [c["url"] for c in corrected["captures"]] == [
        pages.MONTHLY, "http://learning.nspcc.org.uk/case-reviews/monthly-case-reviews-update/"]
    state = json.loads((out / ".harvest" / "skipped.json").read_text())
    assert sorted(entry["reason"] for entry in state.values()) == reasons

    # A re-run fetches nothing: every capture is already harvested or known to be skipped.
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name[0] != "."}
    replays.paths.clear()
    again = harvest(options)
    assert replays.paths == []
    assert (again.found, again.fetched, again.unchanged, len(again.skipped)) == (
        LISTED, 0, LISTED, 0)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name[0] != "."} == before

    # A new capture in the archive is the only thing the next run fetches.
    newer = archive.folder / "newer.warc.gz"
    january = pages.monthly("v2").replace(b"4 March 2025", b"5 January 2026")
    write_warc(newer, [ArchivedResponse(pages.MONTHLY, "20260105120000", january)])
    add_warcs(archive.folder, [newer])
    third = harvest(options)
    assert (third.found, third.fetched, third.new_pages) == (LISTED + 1, 1, 1)
    assert replays.paths == [f"/nspcc/20260105120000id_/{pages.MONTHLY}"]


def test_dry_run_fetches_nothing(archive: Pywb, pages_csv: Path, tmp_path: Path) -> None:
    site = LiveSite()
    try:
        out = tmp_path / "harvested"
        addresses = read_addresses(pages_csv) + [site.url("/etag")]
        report = harvest(HarvestOptions(addresses, out,
                                        [parse_archive_option(archive.archive_option)],
                                        dry_run=True, delay=0, timeout=10))
        assert not out.exists() and site.requests == []
        assert report.fetched == 0
        assert f"{site.url('/etag')}  (live, if robots.txt allows)" in report.would_fetch
        replays = [line for line in report.would_fetch if "id_/" in line]
        assert len(replays) == len(_digests(archive, addresses[:-1]))  # one per distinct digest
    finally:
        site.stop()


def _digests(archive: Pywb, addresses: list[str]) -> set[str]:
    """The distinct digests of 200 captures, asked of pywb directly (not through our code)."""
    digests = set()
    for address in addresses:
        query = urllib.parse.urlencode({"url": address, "output": "json"})
        with urllib.request.urlopen(f"{archive.cdx_url}?{query}", timeout=10) as answer:
            rows = [json.loads(line) for line in answer.read().decode().splitlines()]
        digests |= {row["digest"] for row in rows if row["status"] == "200"}
    return digests


# --- the live site --------------------------------------------------------------------------
def _live_page(name: str) -> bytes:
    return pages.recent_2024().replace(b"</main>", f"<!-- {name} --></main>".encode())


class LiveSite:
    """The NSPCC's site as the harvester meets it, with every misbehaviour the issue names."""

    def __init__(self, page_pause: float = 0.0) -> None:
        self.requests: list[tuple[str, float, dict[str, str]]] = []
        self.hits: dict[str, int] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
                self.send_response(status)
                headers.setdefault("Content-Type", "text/html; charset=utf-8")
                headers.setdefault("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                path = self.path
                site.requests.append((path, time.monotonic(), dict(self.headers)))
                hit = site.hits[path] = site.hits.get(path, 0) + 1
                # The harvester timing out hangs up: a slow server then writes to no one.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer(path, hit)

            def _answer(self, path: str, hit: int) -> None:
                if path == "/robots.txt":
                    return self._send(200, b"User-agent: *\nDisallow: /private/\n",
                                      Content_Type="text/plain")
                if path == "/busy" and hit == 1:
                    return self._send(429, b"slow down", Retry_After="1")
                if path == "/flaky" and hit == 1:
                    return self._send(503, b"try later")
                if path == "/moved":
                    return self._send(301, Location="/moved/")
                if path == "/gone":
                    return self._send(302, Location="/")
                if path == "/slow":
                    time.sleep(2.5)
                if path == "/truncated":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", "4000")
                    self.end_headers()
                    self.wfile.write(_live_page("truncated")[:200])
                    self.wfile.flush()
                    self.close_connection = True
                    return None
                if path == "/etag":
                    if self.headers.get("If-None-Match") == '"v1"':
                        return self._send(304, ETag='"v1"')
                    return self._send(200, _live_page(path), ETag='"v1"')
                if path == "/missing":
                    return self._send(404, b"<title>Page not found</title>")
                if path.startswith("/list/"):
                    time.sleep(site.page_pause)
                return self._send(200, _live_page(path))

        self.page_pause = page_pause
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_live_site(tmp_path: Path) -> None:
    site = LiveSite()
    try:
        out = tmp_path / "harvested"
        addresses = [site.url(path) for path in (
            "/busy", "/flaky", "/moved", "/gone", "/slow", "/truncated", "/etag",
            "/private/list", "/missing")]
        options = HarvestOptions(addresses, out, [], delay=0, timeout=1,
                                 contact="harvest-tests@example.org")
        report = harvest(options)
        reasons = {outcome.url.rsplit("/", 1)[-1] or "moved": outcome.reason
                   for outcome in report.skipped + report.failed}
        assert reasons == {
            "gone": f"redirects to the home page ({site.url('/')})",
            "slow": f"127.0.0.1:{site.server.server_port} did not answer in time",
            "truncated": "truncated body (fewer bytes than its Content-Length)",
            "list": "disallowed by robots.txt",
            "missing": "answered HTTP 404",
        }
        assert [o.url.rsplit("/", 1)[-1] for o in report.failed] == ["slow", "truncated"]
        assert (report.fetched, report.new_pages) == (4, 4)  # busy, flaky, moved/, etag
        assert "/private/list" not in site.paths()
        busy = [when for path, when, _ in site.requests if path == "/busy"]
        assert len(busy) == 2 and busy[1] - busy[0] >= 0.9  # waited for Retry-After: 1
        assert site.paths().count("/flaky") == 2
        agent = site.requests[0][2]["User-Agent"]
        assert "ReviewGraph" in agent and "harvest-tests@example.org" in agent
        _assert_whole(out)
        urls = sorted(c["url"] for sidecar in _sidecars(out).values()
                      for c in sidecar["captures"])
        assert urls == sorted(site.url(p) for p in ("/busy", "/flaky", "/moved/", "/etag"))
        capture = next(iter(_sidecars(out).values()))["captures"][0]
        assert capture["archive"] == "live" and capture["replay_url"] is None
        assert capture["capture_time"] == capture["retrieved"]

        # Again: the ETag costs a 304, unchanged bodies are not stored twice.
        site.requests.clear()
        again = harvest(HarvestOptions(addresses[:4] + addresses[6:7], out, [], delay=0,
                                       timeout=1))
        assert (again.fetched, again.unchanged) == (0, 4)
        etag = [headers for path, _, headers in site.requests if path == "/etag"]
        assert etag[0].get("If-None-Match") == '"v1"'
    finally:
        site.stop()


def test_killed_harvest_resumes_with_nothing_half_written(tmp_path: Path) -> None:
    site = LiveSite(page_pause=0.25)
    try:
        csv = tmp_path / "pages.csv"
        csv.write_text("url\n" + "".join(site.url(f"/list/{n}") + "\n" for n in range(20)))
        out = tmp_path / "harvested"
        command = [str(REVIEWGRAPH), "harvest", "--no-archives", "--pages", str(csv),
                   "--out", str(out), "--delay", "0", "--timeout", "5"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(list(out.glob("*.html"))) < 3:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        stored = len(list(out.glob("*.html")))
        assert 3 <= stored < 20, "the harvest was not killed part-way"
        _assert_whole(out)

        finished = subprocess.run(command, capture_output=True, text=True)
        assert finished.returncode == 0, finished.stderr
        _assert_whole(out)
        assert not list((out / ".harvest" / "tmp").iterdir())
        assert {p.stem for p in out.glob("*.json")} == {p.stem for p in out.glob("*.html")}
        expected = {hashlib.sha256(_live_page(f"/list/{n}")).hexdigest() for n in range(20)}
        assert {p.stem for p in out.glob("*.html")} == expected
        assert "/robots.txt" in site.paths()
    finally:
        site.stop()


# --- the command line: clear errors, never a traceback ----------------------------------------
@pytest.mark.parametrize(("csv_text", "message"), [
    ("address\nhttps://example.org/\n", "pages.csv:1: no 'url' column"),
    ("url\nhttps://example.org/a\nftp://example.org/b\n",
     "pages.csv:3: not an http(s) address: 'ftp://example.org/b'"),
    ("url\n\n", "pages.csv: no addresses"),
])
def test_bad_pages_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], csv_text: str,
                        message: str) -> None:
    csv = tmp_path / "pages.csv"
    csv.write_text(csv_text)
    assert main(["harvest", "--pages", str(csv), "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_one_harvest_at_a_time(tmp_path: Path, pages_csv: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    running = HarvestFolder(tmp_path)
    running.open()
    try:
        assert main(["harvest", "--no-archives", "--pages", str(pages_csv), "--out",
                     str(tmp_path)]) == 2
        assert f"{tmp_path}: another harvest is running into this folder" in \
            capsys.readouterr().err
    finally:
        running.close()


def test_bad_archive_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["harvest", "--archive", "web.archive.org"]) == 2
    assert "--archive 'web.archive.org': expected CDX_URL=REPLAY_PREFIX" in \
        capsys.readouterr().err


def test_unreachable_archive(tmp_path: Path, pages_csv: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    code = main(["harvest", "--no-live", "--pages", str(pages_csv), "--out", str(tmp_path),
                 "--delay", "0", "--archive",
                 f"http://127.0.0.1:{port}/x/cdx=http://127.0.0.1:{port}/x/"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"unreachable: 127.0.0.1:{port}/x (http://127.0.0.1:{port}/x/cdx): cannot connect " \
           f"to 127.0.0.1:{port}; its captures were not listed" in err
    assert "Traceback" not in err


# --- the parts ------------------------------------------------------------------------------
def test_default_list_is_the_attributed_copy() -> None:
    readme = (DEFAULT_PAGES.parent / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(DEFAULT_PAGES.read_bytes()).hexdigest()
    assert "## NSPCC listing pages (`nspcc-listing-pages.csv`)" in readme and digest in readme
    addresses = read_addresses(DEFAULT_PAGES)
    assert len(addresses) == 10 and pages.MONTHLY in addresses and pages.INFORM_2012 in addresses


def test_both_cdx_dialects() -> None:
    internet_archive = json.dumps([
        ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
        ["org,nspcc)/x", "20200101000000", "https://www.nspcc.org.uk/x", "text/html", "200",
         "AAA", "10"],
        ["org,nspcc)/x", "20210101000000", "http://nspcc.org.uk/x/", "text/html", "200",
         "AAA", "10"],
        ["org,nspcc)/x", "20220101000000", "https://www.nspcc.org.uk/x", "text/html", "200",
         "BBB", "12"]])
    pywb_lines = "\n".join(json.dumps({"urlkey": "org,nspcc)/x", "timestamp": t,
                                       "url": "https://www.nspcc.org.uk/x", "mime": "text/html",
                                       "status": "200", "digest": d})
                           for t, d in (("20200101000000", "AAA"), ("20220101000000", "BBB")))
    ia_rows, pywb_rows = parse_cdx(internet_archive), parse_cdx(pywb_lines)
    assert [r.digest for r in ia_rows] == ["AAA", "AAA", "BBB"]
    assert pywb_rows[0].capture_time == "2020-01-01T00:00:00Z"
    groups = group_by_digest(ia_rows + pywb_rows)  # rows listed twice count once
    assert [[r.timestamp for r in g] for g in groups] == [
        ["20200101000000", "20210101000000"], ["20220101000000"]]
    assert parse_cdx("[]") == [] and parse_cdx("") == []


def test_address_variants() -> None:
    variants = address_variants("https://learning.nspcc.org.uk/case-reviews/x")
    assert variants[0] == "https://learning.nspcc.org.uk/case-reviews/x"
    assert {"http://www.learning.nspcc.org.uk/case-reviews/x/",
            "https://learning.nspcc.org.uk/case-reviews/x/"} <= set(variants)
    assert len(variants) == len(set(variants)) == 8


def test_archive_option_names() -> None:
    archive = parse_archive_option("UK Web Archive=https://www.webarchive.org.uk/wayback/"
                                   "archive/cdx=https://www.webarchive.org.uk/wayback/archive")
    assert archive.name == "UK Web Archive"
    assert archive.replay_url("2020", "https://x.org/") == \
        "https://www.webarchive.org.uk/wayback/archive/2020id_/https://x.org/"
    assert parse_archive_option("https://web.archive.org/cdx/search/cdx="
                                "https://web.archive.org/web/").name == "Internet Archive"


def test_checks_let_every_listing_page_through() -> None:
    """Conservative: real-shaped listing pages are never skipped, whatever words they hold."""
    for body in (pages.inform_2012(), pages.yearly_2014(), pages.monthly("v2"),
                 pages.recent_2024(), (FIXTURE_PAGES / "collection-page.html").read_bytes()):
        assert capture_problem(body, "text/html; charset=utf-8", pages.MONTHLY) is None
    for text_page in FIXTURE_PAGES.glob("*.txt"):
        assert capture_problem(text_page.read_bytes(), "text/plain", pages.MONTHLY) is None
    # A cookie banner on a full listing page, and "not found" in a summary: still a listing.
    banner = pages.monthly("v2").replace(
        b"<main>", b"<div>We use cookies. <button>Accept all cookies</button></div><main>")
    assert capture_problem(banner, "text/html", pages.MONTHLY) is None
    summary = pages.monthly("v1").replace(b"unexplained collapse",
                                          b"collapse; the cause was not found")
    assert capture_problem(summary, "text/html", pages.MONTHLY) is None
    # The page's own address in another form is the same page.
    assert capture_problem(pages.monthly("v1").replace(
        b"<title>", b'<link rel="canonical" href="' + pages.MONTHLY.encode() + b'/"><title>'),
        "text/html", pages.MONTHLY) is None


def test_checks_name_what_is_not_a_listing_page() -> None:
    assert capture_problem(b"  \n", "text/html", pages.MONTHLY) == "empty body"
    assert capture_problem(b"\x89PNG\0\0", None, pages.MONTHLY) == \
        "not a web page (binary content)"
    assert capture_problem(pages.error_page(), "text/html", pages.MONTHLY) == \
        "an error page (title 'Page not found')"
    assert capture_problem(b"<html><body><h1>Service unavailable</h1></body></html>",
                           "text/html", pages.MONTHLY).startswith("an error page (heading")
    assert capture_problem(pages.cookie_wall(), "text/html", pages.MONTHLY) == \
        "a cookie wall (a short page asking about cookies)"
    assert capture_problem(b'<html><head><link rel="canonical" href="/"></head><body>'
                           b"<p>Welcome</p></body></html>", "text/html", pages.MONTHLY) == \
        "its canonical address is the home page (https://learning.nspcc.org.uk/)"
    assert redirect_problem("/case-reviews/monthly-case-reviews-update/", pages.MONTHLY) is None
    assert redirect_problem("http://www.learning.nspcc.org.uk/case-reviews/"
                            "monthly-case-reviews-update", pages.MONTHLY) is None
    assert redirect_problem("http://www.nspcc.org.uk/x/", "http://www.nspcc.org.uk:80/x") is None
    assert redirect_problem("/search", pages.MONTHLY) == \
        "redirects to another page (https://learning.nspcc.org.uk/search)"
