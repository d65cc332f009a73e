"""Helpers the tests share: free ports, the installed command, waiting for a server, and
finding the processes a test started."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REVIEWGRAPH = Path(sys.executable).parent / "reviewgraph"


def free_port() -> int:
    """A loopback port nothing listens on now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen | None = None, limit: float = 60.0,
                  log: Path | None = None) -> None:
    """Wait until `url` answers 200; fail early if `process` exits first."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            text = log.read_text(errors="replace") if log and log.exists() else ""
            raise RuntimeError(f"the process exited ({process.returncode}) before {url} "
                               f"answered:\n{text}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {limit} s")


def processes_mentioning(text: str) -> list[int]:
    """Ids of the processes whose command line or environment holds `text` (a test's own
    temporary folder): what is left of a server the test started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            # Zombies (exited, not yet reaped) hold no memory and are not running.
            if (entry / "stat").read_text().split(") ", 1)[1].startswith("Z"):
                continue
            if any(text.encode() in (entry / part).read_bytes()
                   for part in ("cmdline", "environ")):
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found
