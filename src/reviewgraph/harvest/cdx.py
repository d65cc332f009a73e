"""Web archives: the addresses to ask for, CDX listings in either dialect, replay addresses.

CDX servers differ: the Internet Archive answers `output=json` with an array of rows under a
header row; pywb with one JSON object a line. Not every server honours `collapse=digest` or
the status filter, so both are applied here again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from reviewgraph.errors import ReviewGraphError


@dataclass(frozen=True)
class Archive:
    name: str
    cdx_url: str
    replay_prefix: str  # ends with "/"; a capture is replay_prefix + timestamp + "id_/" + url

    def query_url(self, address: str) -> str:
        query = urlencode({"url": address, "output": "json", "filter": "statuscode:200",
                           "collapse": "digest"})
        return f"{self.cdx_url}{'&' if '?' in self.cdx_url else '?'}{query}"

    def replay_url(self, timestamp: str, address: str) -> str:
        """The capture's raw bytes as archived (`id_`: no rewriting, no archive banner)."""
        return f"{self.replay_prefix}{timestamp}id_/{address}"

    def original_of(self, replay_url: str) -> str | None:
        """The original address a replay URL stands for (None if it is not one of ours)."""
        if not replay_url.startswith(self.replay_prefix):
            return None
        match = re.match(r"\d{1,14}[a-z]{0,2}_?/(.*)", replay_url[len(self.replay_prefix):])
        return match.group(1) if match else None


INTERNET_ARCHIVE = Archive("Internet Archive", "https://web.archive.org/cdx/search/cdx",
                           "https://web.archive.org/web/")
_KNOWN_NAMES = {"web.archive.org": "Internet Archive", "www.webarchive.org.uk": "UK Web Archive"}
_ARCHIVE_OPTION = re.compile(
    r"(?:(?P<name>(?!https?://)[^=]+)=)?(?P<cdx>https?://[^\s=]+(?:\?[^\s]*?)?)"
    r"=(?P<replay>https?://\S+)")


def parse_archive_option(value: str) -> Archive:
    """`[NAME=]CDX_URL=REPLAY_PREFIX`, as given to --archive."""
    match = _ARCHIVE_OPTION.fullmatch(value.strip())
    if not match:
        raise ReviewGraphError(
            f"--archive {value!r}: expected CDX_URL=REPLAY_PREFIX (or NAME=CDX_URL=REPLAY_PREFIX),"
            " e.g. http://127.0.0.1:8080/pages/cdx=http://127.0.0.1:8080/pages/")
    cdx, replay = match["cdx"], match["replay"]
    parts = urlsplit(cdx)
    if not parts.netloc:
        raise ReviewGraphError(f"--archive {value!r}: the CDX URL has no host")
    name = match["name"] or _KNOWN_NAMES.get(parts.netloc.lower()) or (
        parts.netloc + re.sub(r"/cdx(/search/cdx)?/?$", "", parts.path)).rstrip("/")
    return Archive(name.strip(), cdx, replay if replay.endswith("/") else replay + "/")


def address_variants(address: str) -> list[str]:
    """The address with http and https, with and without `www.`, with and without a trailing
    slash: archives hold a page under whichever form a crawler met."""
    parts = urlsplit(address)
    host = parts.netloc.lower()
    bare = host[4:] if host.startswith("www.") else host
    path = parts.path or "/"
    paths = {path, path.rstrip("/") or "/", path if path.endswith("/") else path + "/"}
    variants = [address]
    for scheme in ("https", "http"):
        for name in (f"www.{bare}", bare):
            for each in sorted(paths):
                variant = urlunsplit((scheme, name, each, parts.query, ""))
                if variant not in variants:
                    variants.append(variant)
    return variants


@dataclass(frozen=True, order=True)
class CdxRow:
    timestamp: str
    url: str
    status: str
    digest: str
    mime: str

    @property
    def capture_time(self) -> str:
        """ISO 8601 UTC from the 14-digit archive timestamp (shorter ones padded)."""
        t = (self.timestamp + "00000000000000")[:14]
        return f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


# Field names of the Internet Archive's header row -> ours (pywb already uses ours).
_FIELD_NAMES = {"original": "url", "statuscode": "status", "mimetype": "mime"}


def parse_cdx(text: str) -> list[CdxRow]:
    """Rows of a CDX answer in either dialect; ValueError if it is neither."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        table = json.loads(text)
        if not table:
            return []
        header = [_FIELD_NAMES.get(name, name) for name in table[0]]
        records = [dict(zip(header, row, strict=False)) for row in table[1:]]
    else:
        records = [{_FIELD_NAMES.get(k, k): v for k, v in json.loads(line).items()}
                   for line in text.splitlines() if line.strip()]
    rows = []
    for record in records:
        if not record.get("timestamp") or not record.get("url"):
            raise ValueError("a row without a timestamp or address")
        rows.append(CdxRow(str(record["timestamp"]), str(record["url"]),
                           str(record.get("status", "")), str(record.get("digest", "")),
                           str(record.get("mime", ""))))
    return rows


def group_by_digest(rows: list[CdxRow]) -> list[list[CdxRow]]:
    """Captures with the same content digest together, earliest first; rows the server listed
    twice (several address variants reach one canonical key) counted once. A row without a
    digest is its own group."""
    groups: dict[str, list[CdxRow]] = {}
    for row in sorted(set(rows)):
        key = row.digest or f"{row.timestamp} {row.url}"
        groups.setdefault(key, []).append(row)
    return sorted(groups.values())
