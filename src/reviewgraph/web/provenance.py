"""A review's provenance in plain words: the captures of the listing pages that listed it,
its first and last sighting, its earlier versions, whose text it is and its report's address.

review_provenance() reads the parts review-parts.rq finds (kinds "capture" and "version") and
the review's own description; the review page (templates/pages/review.html) words them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from reviewgraph.terms import RG_IRI

DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def month_year(time: str | None) -> str | None:
    """"2025-03-04T12:00:00Z" -> "March 2025"; None for anything else."""
    if not time or len(time) < 7 or not time[:4].isdigit() or not time[5:7].isdigit():
        return None
    month = int(time[5:7])
    return f"{MONTHS[month - 1]} {time[:4]}" if 1 <= month <= 12 else None


def report_source(url: str) -> str:
    """Where a report's link goes, as a reader would name it: "NSPCC Library", "PDF" or
    the site's host name."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    if host.startswith("library.nspcc.org.uk") or host == "library.nspcc.org.uk":
        return "NSPCC Library"
    if parts.path.lower().endswith(".pdf"):
        return f"PDF, {host}" if host else "PDF"
    return host or "web"


def _first(part: Mapping[str, Any], prop: str) -> str | None:
    values = part["props"].get(prop)
    return str(values[0][0]) if values else None


def _all(part: Mapping[str, Any], prop: str) -> list[str]:
    return sorted(str(value) for value, _ in part["props"].get(prop, []))


def review_provenance(href: Any, captures: Sequence[Mapping[str, Any]],
                      versions: Sequence[Mapping[str, Any]], first_seen: object,
                      last_seen: object, report_urls: Sequence[str]) -> dict[str, Any]:
    """The template's view of a review's provenance (`href` maps an IRI to its page)."""
    listings = []
    for part in captures:
        time = _first(part, PROV + "generatedAtTime")
        archive = _first(part, RG_IRI + "archive") or "live"
        listings.append({
            "href": href(part["iri"]),
            "title": _first(part, DCTERMS + "title"),
            "address": _first(part, DCTERMS + "source"),
            "archive": archive,
            "live": archive == "live",
            "replay": _first(part, RG_IRI + "replayUrl"),
            "time": time,
            "when": month_year(time) or time,
        })
    listings.sort(key=lambda item: (item["time"] or "", item["archive"], item["address"] or ""))
    earlier = [{
        "href": href(part["iri"]),
        "title": _first(part, DCTERMS + "title"),
        "summary": _first(part, DCTERMS + "abstract"),
        "changed": _all(part, RG_IRI + "changedField"),
    } for part in sorted(versions, key=lambda part: part["iri"])]
    latest = listings[-1] if listings else None
    return {
        "listings": listings,
        "earlier_versions": earlier,
        "first_seen": month_year(str(first_seen)) if first_seen is not None else None,
        "last_seen": month_year(str(last_seen)) if last_seen is not None else None,
        "text_from": latest,
        "report_sources": {url: report_source(url) for url in report_urls},
    }
