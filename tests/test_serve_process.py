"""A real `reviewgraph serve` as a person meets it: a port in use is refused (held by another
program, or by another serve), Ctrl-C and SIGTERM stop it within 5 s at any moment with one line
and nothing left running, bad flags get one clear message, and a new build of the served
folder (`reviewgraph add`) is served without a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from helpers import REVIEWGRAPH, free_port, processes_mentioning, wait_for_http

PAGES = Path(__file__).parent / "fixtures" / "pages"
STOP_LIMIT = 5.0  # seconds from the signal to the command's exit


@dataclass
class Run:
    process: subprocess.Popen
    port: int
    log: Path
    folder: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def start(folder: Path, *args: str, port: int | None = None, env: dict | None = None) -> Run:
    """`reviewgraph serve` in a session of its own (as a terminal's job is its own group)."""
    port = port or free_port()
    log = folder / f"serve-{port}-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(REVIEWGRAPH), "serve", "--port", str(port), "--workers", "1",
             "--executors", "1", "--quiet", *args],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=folder, env=env)
    return Run(process, port, log, folder)


def stop(run: Run, signum: int = signal.SIGTERM) -> float:
    """Send `signum` as a terminal would (Ctrl-C: to the job's process group); return the
    seconds until the command exited."""
    sent = time.monotonic()
    os.killpg(run.process.pid, signum)
    try:
        run.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(run.process.pid, signal.SIGKILL)
        run.process.wait()
    return time.monotonic() - sent


def wait_until_left(folder: Path, limit: float = 3.0) -> list[int]:
    deadline = time.monotonic() + limit
    while (left := processes_mentioning(str(folder))) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a build of one made-up page."""
    folder = tmp_path_factory.mktemp("served")
    subprocess.run([str(REVIEWGRAPH), "build", str(PAGES / "one-paragraph.txt"), "--out",
                    str(folder / "build")], check=True, capture_output=True, timeout=120)
    return folder


@pytest.fixture
def running(built: Path) -> Iterator[Run]:
    run = start(built, "--build", str(built / "build"))
    wait_for_http(f"{run.url}/healthz", run.process, log=run.log)
    yield run
    if run.process.poll() is None:
        stop(run)


def assert_port_free(port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


# --- a port in use ---------------------------------------------------------------------------
def test_a_port_held_by_another_program_is_refused_with_one_line(built: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        run = start(built, "--build", str(built / "build"), port=port)
        assert run.process.wait(timeout=30) == 2
    lines = run.text().strip().splitlines()
    assert lines == [f"reviewgraph serve: error: port {port} on 127.0.0.1 is already in use; "
                     "choose another with --port"]


def test_a_second_serve_on_the_same_port_is_refused_and_the_first_serves_alone(
        built: Path, running: Run) -> None:
    second = start(built, "--build", str(built / "build"), port=running.port)
    assert second.process.wait(timeout=30) == 2
    assert f"port {running.port}" in second.text() and "Traceback" not in second.text()
    for _ in range(20):  # the first one still answers every request
        requests.get(f"{running.url}/healthz", timeout=5).raise_for_status()
    assert running.process.poll() is None


# --- stopping ---------------------------------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_running_server_stops_within_5s_with_one_line(running: Run, signum: int) -> None:
    seconds = stop(running, signum)
    assert seconds < STOP_LIMIT
    assert running.process.returncode == (130 if signum == signal.SIGINT else 0)
    text = running.text()
    assert "Traceback" not in text
    assert text.strip().splitlines()[-1] == (
        f"reviewgraph serve: stopped ({'Ctrl-C' if signum == signal.SIGINT else 'SIGTERM'})")
    assert wait_until_left(running.folder / "build") == []
    assert_port_free(running.port)


@pytest.mark.parametrize("delay", [0.0, 0.1, 0.3, 0.7, 1.5, 3.0])
def test_ctrl_c_during_start_up_stops_it_too(built: Path, delay: float) -> None:
    """From its first line on (before the store is loaded, granian started, its workers and
    their query processes spawned) until it serves. (Before that line, Python is still
    starting: pip's command wrapper imports `re` before our code runs.)"""
    # A fresh store folder each time, so start-up includes loading the graph.
    store = built / f"store-{delay}"
    run = start(built, "--build", str(built / "build"), "--store-dir", str(store))
    deadline = time.monotonic() + 30
    while b"reviewgraph serve: http" not in run.log.read_bytes():
        assert time.monotonic() < deadline and run.process.poll() is None, run.text()
        time.sleep(0.01)
    time.sleep(delay)
    seconds = stop(run, signal.SIGINT)
    assert seconds < STOP_LIMIT
    text = run.text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    assert run.process.returncode == 130
    assert text.strip().splitlines()[-1] == "reviewgraph serve: stopped (Ctrl-C)"
    assert wait_until_left(store) == []
    assert_port_free(run.port)


# --- flags ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("flags", "message"), [
    (["--port", "80000"], "argument --port: 80000 is not a port number (1 to 65535)"),
    (["--port", "http"], "argument --port: 'http' is not a port number"),
    (["--workers", "0"], "argument --workers: 0 must be more than 0"),
    (["--timeout", "soon"], "argument --timeout: 'soon' is not a number"),
    (["--host", "no-such-host.invalid"], "--host no-such-host.invalid:"),
])
def test_bad_flags_get_one_clear_message(built: Path, flags: list[str], message: str) -> None:
    result = subprocess.run([str(REVIEWGRAPH), "serve", "--build", str(built / "build"), *flags],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("reviewgraph serve: error: ")


# --- a new build --------------------------------------------------------------------------------
def triples(run: Run) -> int:
    return requests.get(f"{run.url}/healthz", timeout=5).json()["triples"]


def test_a_page_added_to_the_served_build_is_served_without_a_restart(tmp_path: Path) -> None:
    build = tmp_path / "build"
    subprocess.run([str(REVIEWGRAPH), "build", str(PAGES / "one-paragraph.txt"), "--out",
                    str(build)], check=True, capture_output=True, timeout=120)
    run = start(tmp_path, "--build", str(build))
    try:
        wait_for_http(f"{run.url}/healthz", run.process, log=run.log)
        before = triples(run)
        added = subprocess.run([str(REVIEWGRAPH), "add", str(PAGES / "anonymous-dhr.txt"),
                                "--out", str(build)], capture_output=True, text=True,
                               timeout=120)
        assert added.returncode == 0, added.stderr
        assert "reloads it by itself" in added.stdout
        # The new worker starts beside the old one, which stops a few seconds later: wait
        # until every answer comes from the new build.
        deadline = time.monotonic() + 60
        while not all(triples(run) > before for _ in range(10)):
            assert time.monotonic() < deadline, run.text()
            time.sleep(0.2)
        assert "reloaded" in run.text()
    finally:
        stop(run)


# --- scripts/serve's build ----------------------------------------------------------------------
def test_serve_keeps_pages_added_to_a_build_of_data_sources(tmp_path: Path) -> None:
    """`serve` (and so ./scripts/serve) remakes a build of data/sources/ that is out of date,
    but never one holding pages added with `reviewgraph add`."""
    sources = tmp_path / "data" / "sources"
    sources.mkdir(parents=True)
    (sources / "one.txt").write_bytes((PAGES / "one-paragraph.txt").read_bytes())
    env = dict(os.environ, REVIEWGRAPH_HOME=str(tmp_path))
    subprocess.run([str(REVIEWGRAPH), "build"], check=True, capture_output=True, env=env,
                   timeout=120)
    subprocess.run([str(REVIEWGRAPH), "add", str(PAGES / "anonymous-dhr.txt")], check=True,
                   capture_output=True, env=env, timeout=120)
    with_added = (tmp_path / "build" / "reviewgraph.nt").read_bytes().count(b"\n")
    os.utime(sources / "one.txt")  # a source newer than the build

    run = start(tmp_path, env=env)
    try:
        wait_for_http(f"{run.url}/healthz", run.process, log=run.log)
        assert triples(run) == with_added
        assert "building" not in run.text()
    finally:
        stop(run)

    # A build of data/sources/ only, with a source changed since: remade before serving.
    subprocess.run([str(REVIEWGRAPH), "build"], check=True, capture_output=True, env=env,
                   timeout=120)
    (sources / "two.txt").write_bytes((PAGES / "anonymous-dhr.txt").read_bytes())
    run = start(tmp_path, env=env)
    try:
        wait_for_http(f"{run.url}/healthz", run.process, log=run.log)
        assert "are not the ones" in run.text() and "building" in run.text()
        assert triples(run) == with_added
    finally:
        stop(run)
