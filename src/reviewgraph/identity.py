"""Many listings, one review: which entries of which captures are the same review, which
version of it wins, and what differed.

The same review is listed on many pages (the monthly page, that year's list) and in many
captures of each. Entries are the same review when their year, locality and normalised title
(the review IRI's slug) agree and their accounts do not clearly differ: two anonymous "Child A"
reviews of one year are told apart by comparing their text: the Jaccard similarity of the sets
of consecutive word pairs of their summaries (of their learning and recommendations where a
summary is missing). Word pairs rather than single words: two different accounts of a child's
death share most of their words but few of their word pairs, while a corrected or extended
summary keeps most of its pairs (bench/identity_bench.py measures both on a labelled set).

Of the listings of one review, the latest capture's text wins (a page's rank is its latest
capture time; a page without a sidecar ranks before every dated capture, ties broken by path
and line), and every earlier differing version is kept, with its listings, as a conflict.
A report's address is not part of the text: text pages have no links, so the review keeps the
address of its latest listing that gives one.

Everything here depends only on the records and captures, never on the order they came in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields

from reviewgraph.concepts import slugify
from reviewgraph.records import Record
from reviewgraph.sources import Capture

# Two accounts whose word-pair sets share less than this (Jaccard) are different reviews.
SAME_REVIEW_SIMILARITY = 0.4
# The record fields a conflict names (the others are read from these).
COMPARED_FIELDS = ("title", "month", "publisher_note", "summary", "background", "model",
                   "learning", "recommendations", "keywords", "report_type", "review_type")
_WORD = re.compile(r"\w+")


def review_slug(record: Record) -> str:
    """The review's identity and IRI slug: year, locality (or "anonymous") and title."""
    place = (slugify(record.locality) if record.locality else "") or "anonymous"
    title = slugify(record.title)
    return f"{record.year}-{place}-{title}" if title else f"{record.year}-{place}"


@dataclass(frozen=True)
class Listing:
    """One entry of one page: the record and the captures of the page it was read from."""

    record: Record
    captures: tuple[Capture, ...] = ()

    @property
    def rank(self) -> tuple[str, str, int]:
        """Later listings rank higher: by the page's latest capture time ("" without a
        sidecar), then path and line."""
        latest = self.captures[-1].capture_time if self.captures else ""
        return (latest, self.record.source.file, self.record.source.first_line)

    @property
    def key(self) -> tuple[str, int]:
        return (self.record.source.file, self.record.source.first_line)

    def describe(self) -> dict:
        """Where the listing was read, for the build report."""
        source = self.record.source
        latest = self.captures[-1] if self.captures else None
        return {"file": source.file, "first_line": source.first_line,
                "last_line": source.last_line,
                "capture_time": latest.capture_time if latest else None,
                "archive": latest.archive if latest else None,
                "url": latest.url if latest else None}


@dataclass
class Version:
    """One distinct text of a review (every listing of it says the same)."""

    number: int  # 1 for the winning (latest) version; 2, 3 ... for earlier ones, newest first
    listings: list[Listing]  # by rank, latest last
    changed: list[str] = field(default_factory=list)  # fields differing from the winner


@dataclass
class ReviewPlan:
    """One review: its slug, its versions (the winner first) and every capture listing it."""

    slug: str
    versions: list[Version]
    key: str = ""  # the slug of its year, locality and title ("" : the slug itself)

    @property
    def renamed(self) -> bool:
        """Another review of the same year, locality and title came first: a numbered slug."""
        return bool(self.key) and self.key != self.slug

    @property
    def winner(self) -> Listing:
        return self.versions[0].listings[-1]

    @property
    def listings(self) -> list[Listing]:
        return sorted((item for version in self.versions for item in version.listings),
                      key=lambda listing: listing.rank)

    @property
    def report_url(self) -> str | None:
        """The report's address from the latest listing that links to it."""
        linked = [item for item in self.listings if item.record.report_url]
        return linked[-1].record.report_url if linked else None

    @property
    def captures(self) -> list[Capture]:
        """Every capture of every page listing the review, by time (archive, address)."""
        found = {capture for listing in self.listings for capture in listing.captures}
        return sorted(found, key=lambda c: (c.capture_time, c.archive, c.url, c.replay_url or ""))

    @property
    def seen(self) -> tuple[str, str] | None:
        """First and last capture time of the review (None: no page had a sidecar)."""
        captures = self.captures
        return (captures[0].capture_time, captures[-1].capture_time) if captures else None


@dataclass(frozen=True)
class Assignment:
    """What one listing is to the graph: the review it lists and its version there."""

    plan: ReviewPlan
    version: Version

    @property
    def is_winner(self) -> bool:
        return self.version.number == 1


@dataclass
class Identities:
    """Every review planned, every listing's assignment, and the findings for the report:
    how each pair of same-named entries with different text was decided, and each conflict."""

    reviews: list[ReviewPlan]
    assignments: dict[tuple[str, int], Assignment]
    decisions: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)


# What a record says: every field but where it was read (and the report's address, which text
# pages cannot give).
_CONTENT_FIELDS = tuple(item.name for item in fields(Record)
                        if item.name not in ("source", "report_url"))


def _same_text(a: Record, b: Record) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in _CONTENT_FIELDS)


def _texts(listings: Iterable[Listing]) -> dict[tuple[str, int], int]:
    """Each listing's text, as a number: listings with the same number say the same (every
    field but where they were read is equal). Compared field by field, never written out: a
    review listed in many captures has many copies of one text."""
    texts: dict[tuple, list[tuple[Record, int]]] = {}
    numbers: dict[tuple[str, int], int] = {}
    distinct = 0
    for listing in listings:
        record = listing.record
        alike = texts.setdefault((record.title, record.year, record.month, record.summary), [])
        number = next((n for other, n in alike if _same_text(other, record)), None)
        if number is None:
            number, distinct = distinct, distinct + 1
            alike.append((record, number))
        numbers[listing.key] = number
    return numbers


def _tokens(record: Record) -> frozenset[object]:
    """The account's consecutive word pairs (its one word, if it has only one)."""
    text = record.summary or " ".join(
        [record.background or "", *record.learning, *(r.text for r in record.recommendations)])
    words = [word.casefold() for word in _WORD.findall(text)]
    if len(words) < 2:
        return frozenset(words)
    return frozenset(zip(words, words[1:], strict=False))


def similarity(a: Record, b: Record) -> float:
    """Jaccard similarity of the word pairs of two entries' accounts; 1.0 where either has
    none (nothing to tell them apart by)."""
    left, right = _tokens(a), _tokens(b)
    if not left or not right:
        return 1.0
    return len(left & right) / len(left | right)


def changed_fields(a: Record, b: Record) -> list[str]:
    return [name for name in COMPARED_FIELDS if getattr(a, name) != getattr(b, name)]


def plan_reviews(records: Iterable[Record],
                 captures: dict[str, tuple[Capture, ...]] | None = None) -> Identities:
    """Group the records into reviews (see the module's docstring)."""
    captures = captures or {}
    groups: dict[str, list[Listing]] = {}
    for record in records:
        listing = Listing(record, captures.get(record.source.file, ()))
        groups.setdefault(review_slug(record), []).append(listing)
    identities = Identities([], {})
    # Each listing's text, made once (a review listed in many captures is compared often).
    contents = _texts(listing for listings in groups.values() if len(listings) > 1
                      for listing in listings)
    taken = set(groups)
    for key in sorted(groups):
        listings = groups[key]
        if len(listings) == 1:  # most reviews: listed once, nothing to compare
            identities.reviews.append(ReviewPlan(key, [Version(1, listings)]))
            continue
        clusters = _clusters(sorted(listings, key=lambda item: item.rank), identities, contents)
        for number, cluster in enumerate(clusters, start=1):
            slug = key
            if number > 1:
                suffix = number
                while f"{key}-{suffix}" in taken:
                    suffix += 1
                slug = f"{key}-{suffix}"
                taken.add(slug)
            plan = _plan(slug, cluster, identities, contents)
            plan.key = key
            identities.reviews.append(plan)
    for plan in identities.reviews:
        for version in plan.versions:
            for listing in version.listings:
                identities.assignments[listing.key] = Assignment(plan, version)
    return identities


def _clusters(listings: Sequence[Listing], identities: Identities,
              contents: dict[tuple[str, int], int]) -> list[list[Listing]]:
    """The listings of one slug, by rank, grouped into reviews: each distinct text joins the
    review whose texts are most like it, or starts a new one when none is alike enough."""
    texts: dict[int, list[Listing]] = {}
    for listing in listings:  # texts in order of their first listing
        texts.setdefault(contents[listing.key], []).append(listing)
    clusters: list[list[Listing]] = []
    for text_listings in texts.values():
        first = text_listings[0]
        best, best_score, best_match = None, -1.0, None
        for cluster in clusters:
            if any(item.record.source.file == first.record.source.file for item in cluster):
                continue  # a page lists a review once: two entries of one page are two reviews
            for other in {contents[item.key]: item for item in cluster}.values():
                score = similarity(first.record, other.record)
                if score > best_score:
                    best, best_score, best_match = cluster, score, other
        if best is not None and best_match is not None:
            same = best_score >= SAME_REVIEW_SIMILARITY
            identities.decisions.append({
                "review": review_slug(first.record),
                "decision": "same review" if same else "different reviews",
                "similarity": round(best_score, 3),
                "threshold": SAME_REVIEW_SIMILARITY,
                "listings": [best_match.describe(), first.describe()],
            })
            if same:
                best.extend(text_listings)
                continue
        clusters.append(list(text_listings))
    return clusters


def _plan(slug: str, listings: list[Listing], identities: Identities,
          contents: dict[tuple[str, int], int]) -> ReviewPlan:
    """One review's versions: the text of its latest listing wins; earlier differing texts,
    newest first, are conflicts with the winner."""
    listings = sorted(listings, key=lambda item: item.rank)
    by_text: dict[int, list[Listing]] = {}
    for listing in listings:
        by_text.setdefault(contents[listing.key], []).append(listing)
    ordered = sorted(by_text.values(), key=lambda items: items[-1].rank, reverse=True)
    versions = [Version(number, items) for number, items in enumerate(ordered, start=1)]
    plan = ReviewPlan(slug, versions)
    winner = plan.winner
    for version in versions[1:]:
        earlier = version.listings[-1]
        version.changed = changed_fields(winner.record, earlier.record)
        identities.conflicts.append({
            "review": slug,
            "fields": version.changed,
            "decision": "the latest capture's text wins",
            "latest": winner.describe(),
            "earlier": earlier.describe(),
        })
    return plan


def decision_line(decision: dict) -> str:
    """A printed line for one identity decision."""
    a, b = decision["listings"]
    return (f"{decision['review']}: {decision['decision']} (accounts "
            f"{decision['similarity']:.0%} alike, threshold {decision['threshold']:.0%}): "
            f"{_where(a)} and {_where(b)}")


def conflict_line(conflict: dict) -> str:
    """A printed line for one conflict between captures."""
    return (f"{conflict['review']}: {', '.join(conflict['fields']) or 'text'} differs; "
            f"{_where(conflict['latest'])} (latest, wins) over {_where(conflict['earlier'])}")


def _where(listing: dict) -> str:
    where = f"{listing['file']}:{listing['first_line']}-{listing['last_line']}"
    if listing.get("capture_time"):
        where += f" ({listing['archive']} capture {listing['capture_time']})"
    return where
