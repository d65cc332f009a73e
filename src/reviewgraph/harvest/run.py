"""One harvest: for each address, the live page and every distinct archived capture, stored
in the harvest folder; what was found, fetched, unchanged, skipped or failed, counted.

A capture is new when its replay URL is in no sidecar. Captures an archive lists with the same
content digest are fetched once: the others are recorded as captures of the same body without a
request. Captures found not to be listing pages are remembered (by digest) as skipped, so a
re-run neither refetches them nor stores them; failures are retried by the next run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

from reviewgraph.harvest.cdx import Archive, CdxRow, address_variants, group_by_digest, parse_cdx
from reviewgraph.harvest.checks import capture_problem, redirect_problem
from reviewgraph.harvest.http import FetchFailed, HttpClient, Response, Robots
from reviewgraph.harvest.storage import Capture, HarvestFolder

LIVE = "live"
ROBOTS_AGENT = "ReviewGraph-harvest"
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class HarvestOptions:
    addresses: list[str]
    out_dir: Path
    archives: list[Archive]
    live: bool = True
    dry_run: bool = False
    delay: float = 2.0
    timeout: float = 30.0
    contact: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A capture that was skipped or failed, and why."""

    url: str
    archive: str
    capture_time: str | None
    reason: str

    def __str__(self) -> str:
        when = f", {self.capture_time}" if self.capture_time else ""
        return f"{self.url} ({self.archive}{when}): {self.reason}"


@dataclass
class HarvestReport:
    found: int = 0       # captures listed by the archives, plus one per live address
    fetched: int = 0     # bodies fetched and stored (new pages or new captures of stored ones)
    new_pages: int = 0   # of which bodies not stored before
    same_digest: int = 0  # captures recorded without a request: same digest as one fetched
    unchanged: int = 0   # harvested by an earlier run, or live and unchanged (304 / same body)
    skipped: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)  # archives that could not be listed
    would_fetch: list[str] = field(default_factory=list)  # --dry-run
    leftovers_removed: int = 0  # temp files and lone sidecars of an interrupted run

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unreachable


Progress = Callable[[HarvestReport, str], None]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _follow(client: HttpClient, url: str, page_url: str, robots: Robots | None,
            headers: dict[str, str] | None = None,
            same_page: Callable[[str], str | None] | None = None) -> Response | str:
    """GET url, following redirects that stay on the same page; a str is why it was not
    followed (the capture is then skipped). FetchFailed propagates."""
    for _ in range(MAX_REDIRECTS + 1):
        answer = client.get(url, headers)
        if answer.status not in REDIRECTS or not answer.location:
            return answer
        target = urljoin(url, answer.location)
        problem = same_page(target) if same_page else redirect_problem(target, page_url)
        if problem:
            return problem
        if robots is not None and not robots.allows(target):
            return f"redirects to {target}, which robots.txt disallows"
        url = target
    raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")


class Harvest:
    def __init__(self, options: HarvestOptions, progress: Progress | None = None) -> None:
        self.options = options
        self.report = HarvestReport()
        self._progress = progress or (lambda report, current: None)
        self.client = HttpClient(contact=options.contact, delay=options.delay,
                                 timeout=options.timeout)
        self.robots = Robots(self.client, ROBOTS_AGENT)
        self.folder = HarvestFolder(options.out_dir)
        self.live_state: dict = {}
        self.digests: dict = {}
        self.skipped_state: dict = {}
        self.known: set[str] = set()  # replay URLs already in a sidecar

    def run(self) -> HarvestReport:
        dry = self.options.dry_run
        self.report.leftovers_removed = self.folder.open(read_only=dry)
        self.live_state = self.folder.read_state("live")
        self.digests = self.folder.read_state("digests")
        self.skipped_state = self.folder.read_state("skipped")
        self.known = self.folder.known_replays()
        dead_archives: set[str] = set()
        try:
            for address in self.options.addresses:
                if self.options.live:
                    self._live(address)
                for archive in self.options.archives:
                    if archive.name not in dead_archives and not self._archived(archive,
                                                                                 address):
                        dead_archives.add(archive.name)
        finally:
            self.client.close()
            if not dry:
                self.folder.write_state("failed", {
                    "run": _now(), "failed": [vars(o) for o in self.report.failed],
                    "unreachable": self.report.unreachable})
            self.folder.close()
        return self.report

    def _tick(self, current: str) -> None:
        self._progress(self.report, current)

    def _skip(self, outcome: Outcome, key: str | None = None) -> None:
        self.report.skipped.append(outcome)
        if key and not self.options.dry_run:
            self.skipped_state[key] = vars(outcome)
            self.folder.write_state("skipped", self.skipped_state)
        self._tick(outcome.url)

    def _fail(self, outcome: Outcome) -> None:
        self.report.failed.append(outcome)
        self._tick(outcome.url)

    # --- live ------------------------------------------------------------------------------
    def _live(self, address: str) -> None:
        self.report.found += 1
        if self.options.dry_run:
            self.report.would_fetch.append(f"{address}  (live, if robots.txt allows)")
            return
        key = f"{LIVE} {address}"
        self._tick(address)
        try:
            if not self.robots.allows(address):
                return self._skip(Outcome(address, LIVE, None, "disallowed by robots.txt"), key)
            state = self.live_state.get(address, {})
            if not self.folder.has_body(state.get("sha256", "")):
                state = {}  # the page is not in the folder (any more): ask unconditionally
            headers = {}
            if state.get("etag"):
                headers["If-None-Match"] = state["etag"]
            if state.get("last_modified"):
                headers["If-Modified-Since"] = state["last_modified"]
            answer = _follow(self.client, address, address, self.robots, headers)
        except FetchFailed as failure:
            return self._fail(Outcome(address, LIVE, None, str(failure)))
        if isinstance(answer, str):
            return self._skip(Outcome(address, LIVE, None, answer), key)
        if answer.status == 304:
            self.report.unchanged += 1
            return self._tick(address)
        if answer.status != 200:
            outcome = Outcome(address, LIVE, None, f"answered HTTP {answer.status}")
            return self._skip(outcome, key) if answer.status < 500 else self._fail(outcome)
        problem = capture_problem(answer.body, answer.content_type, answer.url)
        if problem:
            return self._skip(Outcome(address, LIVE, None, problem), key)
        now = _now()
        sha = hashlib.sha256(answer.body).hexdigest()
        if state.get("sha256") == sha and self.folder.has_body(sha):
            self.report.unchanged += 1  # a server without validators sent the same page again
        else:
            _, new = self.folder.store(answer.body, answer.content_type,
                                       [Capture(answer.url, LIVE, None, now, now, 200)])
            self.report.fetched += 1
            self.report.new_pages += new
        self.live_state[address] = {"etag": answer.headers.get("etag"),
                                    "last_modified": answer.headers.get("last-modified"),
                                    "sha256": sha, "checked": now}
        self.folder.write_state("live", self.live_state)
        if self.skipped_state.pop(key, None):
            self.folder.write_state("skipped", self.skipped_state)
        self._tick(address)

    # --- archives ----------------------------------------------------------------------------
    def _archived(self, archive: Archive, address: str) -> bool:
        """Harvest one address's captures from one archive; False if the archive cannot be
        reached at all (its other addresses are then not tried this run)."""
        rows: list[CdxRow] = []
        for variant in address_variants(address):
            self._tick(f"{archive.name}: listing {variant}")
            try:
                answer = self.client.get(archive.query_url(variant))
            except FetchFailed as failure:
                if failure.unreachable:
                    self.report.unreachable.append(
                        f"{archive.name} ({archive.cdx_url}): {failure}")
                    return False
                self._fail(Outcome(variant, archive.name, None,
                                   f"CDX listing failed: {failure}"))
                continue
            if answer.status == 404 and b"No Captures" in answer.body:
                continue  # pywb's answer for an address it does not hold
            if answer.status != 200:
                self._fail(Outcome(variant, archive.name, None,
                                   f"the CDX server answered HTTP {answer.status}"))
                continue
            try:
                rows.extend(parse_cdx(answer.body.decode("utf-8")))
            except (ValueError, UnicodeDecodeError) as error:
                self._fail(Outcome(variant, archive.name, None,
                                   f"unreadable CDX answer ({error})"))
        rows = [row for row in rows if row.status in ("200", "")]  # not every server filters
        for group in group_by_digest(rows):
            self._capture_group(archive, group)
        return True

    def _capture_group(self, archive: Archive, group: list[CdxRow]) -> None:
        """Captures with one digest: fetch the first new one, record the rest with it."""
        self.report.found += len(group)
        new = [row for row in group if archive.replay_url(row.timestamp, row.url)
               not in self.known
               and archive.replay_url(row.timestamp, row.url) not in self.skipped_state]
        self.report.unchanged += len(group) - len(new)
        if not new:
            return self._tick(archive.name)
        digest_key = f"{archive.name} {group[0].digest}" if group[0].digest else None
        seen = self.digests.get(digest_key, {}) if digest_key else {}
        if seen.get("skipped"):
            for row in new:
                self._skip_row(archive, row, seen["skipped"])
            return None
        if seen.get("sha256") and self.folder.has_body(seen["sha256"]):
            if not self.options.dry_run:
                now = _now()
                self.folder.add_captures(seen["sha256"], [self._capture(archive, row, now)
                                                          for row in new])
                self._remember(archive, new)
            self.report.same_digest += len(new)
            return self._tick(archive.name)
        first = new[0]
        replay = archive.replay_url(first.timestamp, first.url)
        if self.options.dry_run:
            self.report.would_fetch.append(
                f"{replay}  ({archive.name} capture of {first.url}, {first.capture_time}"
                + (f"; {len(new) - 1} more with the same content" if len(new) > 1 else "")
                + ")")
            return None
        self._tick(replay)

        def same_page(target: str) -> str | None:
            original = archive.original_of(target)
            return redirect_problem(original or target, first.url)

        try:
            answer = _follow(self.client, replay, first.url, None, same_page=same_page)
        except FetchFailed as failure:
            return self._fail(Outcome(first.url, archive.name, first.capture_time,
                                      str(failure)))
        if isinstance(answer, str):
            problem: str | None = answer
        elif answer.status != 200:
            return self._fail(Outcome(first.url, archive.name, first.capture_time,
                                      f"the archive answered HTTP {answer.status}"))
        else:
            problem = capture_problem(answer.body, _content_type(answer, first), first.url)
        if problem:
            if digest_key:
                self.digests[digest_key] = {"skipped": problem}
                self.folder.write_state("digests", self.digests)
            for row in new:
                self._skip_row(archive, row, problem)
            return None
        assert not isinstance(answer, str)
        now = _now()
        sha, is_new = self.folder.store(answer.body, _content_type(answer, first),
                                        [self._capture(archive, row, now) for row in new])
        self._remember(archive, new)
        if digest_key:
            self.digests[digest_key] = {"sha256": sha}
            self.folder.write_state("digests", self.digests)
        self.report.fetched += 1
        self.report.new_pages += is_new
        self.report.same_digest += len(new) - 1
        self._tick(replay)

    def _capture(self, archive: Archive, row: CdxRow, retrieved: str) -> Capture:
        return Capture(row.url, archive.name, archive.replay_url(row.timestamp, row.url),
                       row.capture_time, retrieved, 200)

    def _remember(self, archive: Archive, rows: list[CdxRow]) -> None:
        self.known.update(archive.replay_url(row.timestamp, row.url) for row in rows)

    def _skip_row(self, archive: Archive, row: CdxRow, reason: str) -> None:
        replay = archive.replay_url(row.timestamp, row.url)
        self._skip(Outcome(row.url, archive.name, row.capture_time, reason),
                   None if self.options.dry_run else replay)


def _content_type(answer: Response, row: CdxRow) -> str | None:
    """The replay's Content-Type; failing that, the CDX row's media type when it is one (CDX
    servers also list "unk", "warc/revisit", "-")."""
    if answer.content_type:
        return answer.content_type
    return row.mime if "/" in row.mime and not row.mime.startswith("warc/") else None


def harvest(options: HarvestOptions, progress: Progress | None = None) -> HarvestReport:
    return Harvest(options, progress).run()


