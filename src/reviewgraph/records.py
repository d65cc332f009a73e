"""Plain records: what the parser reads out of one entry of a listing page.

These dataclasses are the contract between the parser and the graph builder, and their
`to_json()` form is the documented `reviewgraph parse --json` format (README).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SourceRef:
    """Where an entry sits: the page file (name as given), its first and last line (1-based)
    and how many lines the page has."""

    file: str
    first_line: int
    last_line: int
    page_lines: int | None = None  # the page's last line number (None: not known)


@dataclass(frozen=True)
class Recommendation:
    """One recommendation and the bodies it makes responsible, as written ("CAFCASS", "the ICS")."""

    text: str
    addressees: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Child:
    """A child the review is about, named only by the review's pseudonym (or None)."""

    pseudonym: str | None = None
    age: str | None = None  # ISO 8601 duration: P8D, P3M, P16Y
    sex: str | None = None  # "female" | "male" where stated
    outcome: str | None = None  # outcome concept id for this child where stated per child
    date: str | None = None  # when that outcome happened, where this child's clause dates it


@dataclass(frozen=True)
class Children:
    count: int | None = None
    children: list[Child] = field(default_factory=list)


@dataclass
class Record:
    """One case review as published on a listing page."""

    title: str
    year: int
    source: SourceRef
    month: int | None = None
    locality: str | None = None
    publisher_note: str | None = None
    summary: str | None = None
    background: str | None = None
    model: str | None = None
    learning: list[str] = field(default_factory=list)
    # Per learning point, the pseudonyms of the children its list's label says it is specific
    # to ("Learning themes specific to Eli and Micah include:"); empty when no label does.
    learning_about: list[list[str]] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    report_type: str | None = None  # "overview report" | "executive summary" | None
    report_url: str | None = None  # the link line's target in an HTML page (the report document)
    review_type: str | None = None  # e.g. "child safeguarding practice review"
    children: Children = field(default_factory=Children)
    outcome: list[str] = field(default_factory=list)  # e.g. ["death"], ["serious injury"]
    incident_date: str | None = None  # as precise as stated: "2021-09", "2023"
    agencies: list[str] = field(default_factory=list)  # agency vocabulary ids, e.g. "cafcass"
    places_mentioned: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
