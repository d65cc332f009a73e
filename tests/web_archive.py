"""A real web archive on loopback for the harvest tests and bench: WARC files written with
warcio, indexed and replayed by pywb (`wb-manager`, `wayback`).

pywb lives in its own virtualenv (.venv-pywb, made by `scripts/setup --test`): it pins
werkzeug 2.2, which Flask 3 cannot share. REVIEWGRAPH_PYWB names another folder holding its
`wayback` and `wb-manager`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PROJECT = Path(__file__).resolve().parents[1]
PYWB_BIN = Path(os.environ.get("REVIEWGRAPH_PYWB", PROJECT / ".venv-pywb" / "bin"))
COLLECTION = "nspcc"


@dataclass(frozen=True)
class ArchivedResponse:
    """One capture to write: what the crawler met at `url` at `timestamp` (14 digits)."""

    url: str
    timestamp: str
    body: bytes
    content_type: str | None = "text/html; charset=utf-8"
    status: str = "200 OK"
    location: str | None = None


def write_warc(path: Path, captures: list[ArchivedResponse]) -> None:
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for capture in captures:
            headers = [("Content-Length", str(len(capture.body)))]
            if capture.content_type:
                headers.append(("Content-Type", capture.content_type))
            if capture.location:
                headers.append(("Location", capture.location))
            when = datetime.strptime(capture.timestamp, "%Y%m%d%H%M%S")
            record = writer.create_warc_record(
                capture.url, "response", payload=BytesIO(capture.body),
                http_headers=StatusAndHeaders(capture.status, headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")})
            writer.write_record(record)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Pywb:
    process: subprocess.Popen
    port: int
    folder: Path

    @property
    def cdx_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{COLLECTION}/cdx"

    @property
    def replay_prefix(self) -> str:
        return f"http://127.0.0.1:{self.port}/{COLLECTION}/"

    @property
    def archive_option(self) -> str:
        """The value of `reviewgraph harvest --archive`."""
        return f"{self.cdx_url}={self.replay_prefix}"

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def add_warcs(folder: Path, warcs: list[Path]) -> None:
    """Copy WARC files into the collection and index them (a running pywb sees them at once)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "pywb.log").open("ab") as log:
        if not (folder / "collections" / COLLECTION).exists():
            subprocess.run([str(PYWB_BIN / "wb-manager"), "init", COLLECTION], cwd=folder,
                           check=True, stdout=log, stderr=log)
        subprocess.run([str(PYWB_BIN / "wb-manager"), "add", COLLECTION,
                        *(str(warc.resolve()) for warc in warcs)],
                       cwd=folder, check=True, stdout=log, stderr=log)


def start_pywb(folder: Path, warcs: list[Path]) -> Pywb:
    """Index the WARC files into a collection in `folder` and serve it on a free port."""
    for tool in ("wayback", "wb-manager"):
        if not (PYWB_BIN / tool).exists():
            raise RuntimeError(f"pywb's {tool} is not in {PYWB_BIN}: run scripts/setup --test")
    add_warcs(folder, warcs)
    log = (folder / "pywb.log").open("ab")
    port = free_port()
    process = subprocess.Popen([str(PYWB_BIN / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
                               cwd=folder, stdout=log, stderr=log, start_new_session=True)
    server = Pywb(process, port, folder)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pywb exited: {(folder / 'pywb.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{server.cdx_url}?url=example.org", timeout=2):
                return server
        except OSError as error:
            if getattr(error, "code", None):  # any HTTP answer: the server is up
                return server
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("pywb did not start within 60 s")
