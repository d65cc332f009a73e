"""The harvest folder (docs/harvest-folder.md): each body once, named by its sha256, with a
sidecar of its captures; the harvester's own state under DIR/.harvest/.

Nothing is ever half-written: every file is written to DIR/.harvest/tmp/ and moved into place
with os.replace. A new body's sidecar goes in before the body, so every page file in DIR has its
sidecar at every moment (an interrupted harvest can leave only a sidecar without a page, which
the build ignores and the next run removes). State (ETags, digests seen, skips) is written after
the page it describes is in place, so an interruption costs at most a refetch.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reviewgraph.errors import ReviewGraphError

STATE_DIR = ".harvest"
_SHA_NAME = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Capture:
    """One capture of a page, as the sidecar records it."""

    url: str
    archive: str  # "live", "Internet Archive" or an --archive source's name
    replay_url: str | None
    capture_time: str
    retrieved: str
    status: int

    def sort_key(self) -> tuple[str, str, str]:
        return (self.capture_time, self.archive, self.url)


def extension_for(content_type: str | None) -> str:
    return "txt" if (content_type or "").split(";")[0].strip().lower() == "text/plain" \
        else "html"


class HarvestFolder:
    """DIR with its bodies, sidecars and state."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state_dir = root / STATE_DIR
        self._tmp = self.state_dir / "tmp"
        self._sidecars: dict[str, dict[str, Any]] = {}

    # --- opening: clean up what an interrupted run left, read what is there ---------------
    def open(self, *, read_only: bool = False) -> int:
        """Read the stored sidecars. Unless read_only, create the folders and drop temp files
        and sidecars without a page; return how many leftovers were removed."""
        if read_only and not self.root.is_dir():
            return 0
        removed = 0
        if not read_only:
            self._tmp.mkdir(parents=True, exist_ok=True)
            self._lock()
            for leftover in self._tmp.iterdir():
                leftover.unlink()
                removed += 1
        pages = {path.stem: path for path in self.root.iterdir()
                 if path.suffix in (".html", ".txt") and _SHA_NAME.fullmatch(path.stem)}
        for sidecar in self.root.glob("*.json"):
            if not _SHA_NAME.fullmatch(sidecar.stem):
                continue
            if sidecar.stem not in pages:
                if not read_only:
                    sidecar.unlink()
                    removed += 1
                continue
            try:
                data = json.loads(sidecar.read_text(encoding="utf-8"))
                if not isinstance(data.get("captures"), list):
                    raise ValueError("no 'captures' list")
            except (ValueError, UnicodeDecodeError, AttributeError) as error:
                raise ReviewGraphError(f"{sidecar}: not a harvest sidecar ({error}); move it "
                                       "and its page away to harvest again") from None
            self._sidecars[sidecar.stem] = data
        return removed

    def _lock(self) -> None:
        """One harvest at a time in a folder (a cron run overlapping a slow one would remove
        its temp files); the lock goes with the process, however it ends."""
        self._lock_file = open(self.state_dir / "lock", "w")  # noqa: SIM115 - held until exit
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise ReviewGraphError(f"{self.root}: another harvest is running into this "
                                   "folder") from None

    def close(self) -> None:
        if getattr(self, "_lock_file", None):
            self._lock_file.close()

    def known_replays(self) -> set[str]:
        """Replay URLs of every archived capture already stored."""
        return {capture["replay_url"] for sidecar in self._sidecars.values()
                for capture in sidecar["captures"] if capture.get("replay_url")}

    def has_body(self, sha256: str) -> bool:
        return sha256 in self._sidecars

    def pages(self) -> list[Path]:
        return sorted(self.root / f"{sha}.{extension_for(sidecar.get('content_type'))}"
                      for sha, sidecar in self._sidecars.items())

    # --- writing ------------------------------------------------------------------------
    def store(self, body: bytes, content_type: str | None, captures: list[Capture]) -> \
            tuple[str, bool]:
        """Record captures of body; returns (sha256, whether the body is new)."""
        sha = hashlib.sha256(body).hexdigest()
        return sha, self._record(sha, body, content_type, captures)

    def add_captures(self, sha: str, captures: list[Capture]) -> None:
        """More captures of a body already stored (the archive lists the same digest)."""
        self._record(sha, None, None, captures)

    def _record(self, sha: str, body: bytes | None, content_type: str | None,
                captures: list[Capture]) -> bool:
        new = sha not in self._sidecars
        if new and body is None:
            raise KeyError(sha)
        sidecar = self._sidecars.get(sha) or {
            "sha256": sha, "content_type": content_type or "text/html", "captures": []}
        entries = {tuple(sorted(entry.items())): entry for entry in sidecar["captures"]}
        for capture in captures:
            entry = asdict(capture)
            entries.setdefault(tuple(sorted(entry.items())), entry)
        merged = sorted(entries.values(),
                        key=lambda e: (e["capture_time"], e["archive"], e["url"],
                                       e["replay_url"] or ""))
        if not new and merged == sidecar["captures"]:
            return False
        updated = dict(sidecar, captures=merged)
        ext = extension_for(updated["content_type"])
        self.write_atomic(self.root / f"{sha}.json", _json_bytes(updated))
        if body is not None and new:
            self.write_atomic(self.root / f"{sha}.{ext}", body)
        self._sidecars[sha] = updated
        return new

    def write_atomic(self, path: Path, data: bytes) -> None:
        temp = self._tmp / f"{path.name}.{os.getpid()}.part"
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)

    # --- the harvester's state: one JSON file per kind under .harvest/ ----------------------
    def read_state(self, name: str) -> dict[str, Any]:
        path = self.state_dir / f"{name}.json"
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            return {}  # state is a cache: a damaged one only costs refetches
        return data if isinstance(data, dict) else {}

    def write_state(self, name: str, data: dict[str, Any]) -> None:
        self.write_atomic(self.state_dir / f"{name}.json", _json_bytes(data))


def _json_bytes(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
