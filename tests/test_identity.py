"""Many listings, one review: identity by year, place and title, told apart by their text;
the latest capture's text wins; conflicts name both sources; the order of input never matters."""

from __future__ import annotations

import random
from dataclasses import replace

from reviewgraph.identity import (
    SAME_REVIEW_SIMILARITY,
    conflict_line,
    decision_line,
    plan_reviews,
    review_slug,
    similarity,
)
from reviewgraph.records import Record, SourceRef
from reviewgraph.sources import Capture

ADDRESS = "https://learning.example.org/case-reviews/update"
ACCOUNT = ("Child A, a four-month-old baby, suffered a skull fracture while in the care of his "
           "father; professionals had not asked who else lived in the home.")
OTHER_ACCOUNT = ("Child A, a 15-year-old girl, was sexually exploited by adults she met online "
                 "and was repeatedly reported missing from her children's home.")


def _record(file: str, line: int = 1, **changes: object) -> Record:
    base = Record(title="Child A", year=2025, locality="Kent", summary=ACCOUNT,
                  keywords=["infants"], source=SourceRef(file, line, line + 4))
    return replace(base, **changes)  # type: ignore[arg-type]


def _captured(time: str, archive: str = "Internet Archive") -> tuple[Capture, ...]:
    return (Capture(ADDRESS, archive, time),)


def test_the_same_review_in_several_captures_is_one_review() -> None:
    records = [_record("march.html"), _record("may.html"), _record("saved.txt")]
    captures = {"march.html": _captured("2025-03-04T12:00:00Z"),
                "may.html": _captured("2025-05-06T08:30:00Z")}
    found = plan_reviews(records, captures)
    assert [plan.slug for plan in found.reviews] == ["2025-kent-child-a"]
    plan = found.reviews[0]
    assert plan.winner.record.source.file == "may.html"  # latest capture (no sidecar: earliest)
    assert plan.seen == ("2025-03-04T12:00:00Z", "2025-05-06T08:30:00Z")
    assert found.conflicts == [] and found.decisions == []


def test_a_corrected_summary_wins_and_the_conflict_names_both_sources() -> None:
    corrected = ACCOUNT.replace("skull fracture", "fractured skull")
    records = [_record("may.html", summary=corrected, keywords=["infants", "fathers"]),
               _record("march.html")]
    captures = {"march.html": _captured("2025-03-04T12:00:00Z"),
                "may.html": _captured("2025-05-06T08:30:00Z", "live")}
    found = plan_reviews(records, captures)
    (plan,) = found.reviews
    assert plan.winner.record.summary == corrected
    assert [version.number for version in plan.versions] == [1, 2]
    (conflict,) = found.conflicts
    assert conflict["fields"] == ["summary", "keywords"]
    assert (conflict["latest"]["file"], conflict["earlier"]["file"]) == ("may.html", "march.html")
    assert conflict["latest"]["archive"] == "live"
    line = conflict_line(conflict)
    assert "may.html:1-5" in line and "march.html:1-5" in line and "wins" in line
    (decision,) = found.decisions
    assert decision["decision"] == "same review"
    assert decision["similarity"] >= SAME_REVIEW_SIMILARITY


def test_two_reviews_with_one_title_and_different_accounts_stay_apart() -> None:
    records = [_record("monthly.html"), _record("yearly.txt", 9, summary=OTHER_ACCOUNT)]
    captures = {"monthly.html": _captured("2025-03-04T12:00:00Z"),
                "yearly.txt": _captured("2025-06-02T10:00:00Z")}
    found = plan_reviews(records, captures)
    assert [plan.slug for plan in found.reviews] == ["2025-kent-child-a", "2025-kent-child-a-2"]
    assert found.reviews[1].winner.record.source.file == "yearly.txt"
    (decision,) = found.decisions
    assert decision["decision"] == "different reviews"
    assert decision["similarity"] < SAME_REVIEW_SIMILARITY
    assert [item["file"] for item in decision["listings"]] == ["monthly.html", "yearly.txt"]
    assert "different reviews" in decision_line(decision)
    assert found.conflicts == []


def test_two_entries_of_one_page_are_two_reviews() -> None:
    found = plan_reviews([_record("page.txt", 1), _record("page.txt", 20, summary=None)])
    assert [plan.slug for plan in found.reviews] == ["2025-kent-child-a", "2025-kent-child-a-2"]


def test_a_report_address_is_kept_from_the_latest_listing_that_gives_one() -> None:
    url = "https://library.example.org/record/1"
    records = [_record("monthly.html", report_url=url), _record("yearly.txt")]
    captures = {"monthly.html": _captured("2025-03-04T12:00:00Z"),
                "yearly.txt": _captured("2025-06-02T10:00:00Z")}
    found = plan_reviews(records, captures)
    (plan,) = found.reviews
    assert plan.winner.record.source.file == "yearly.txt"
    assert plan.report_url == url
    assert found.conflicts == []  # a text page has no links: not a conflict


def test_the_plan_does_not_depend_on_the_order_of_the_records() -> None:
    records = [_record("a.html"), _record("b.html", summary=ACCOUNT + " Corrected."),
               _record("c.txt", 3, summary=OTHER_ACCOUNT), _record("d.html", title="Child B"),
               _record("e.html", summary=OTHER_ACCOUNT + " Again.")]
    captures = {name: _captured(f"2025-0{n}-01T00:00:00Z")
                for n, name in enumerate(["a.html", "b.html", "c.txt", "d.html", "e.html"], 1)}

    def outcome(items: list[Record]) -> object:
        found = plan_reviews(items, captures)
        return ([(plan.slug, plan.winner.key, [[item.key for item in version.listings]
                                               for version in plan.versions])
                 for plan in found.reviews], found.decisions, found.conflicts)

    expected = outcome(records)
    for seed in range(5):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        assert outcome(shuffled) == expected


def test_similarity_compares_word_pairs() -> None:
    assert similarity(_record("a"), _record("b")) == 1.0
    assert similarity(_record("a"), _record("b", summary=OTHER_ACCOUNT)) < 0.2
    assert similarity(_record("a", summary=None), _record("b", summary=OTHER_ACCOUNT)) == 1.0
    # the same words in another order are another account
    shuffled = " ".join(sorted(ACCOUNT.split()))
    assert similarity(_record("a"), _record("b", summary=shuffled)) < SAME_REVIEW_SIMILARITY
    corrected = ACCOUNT.replace("skull fracture", "fractured skull")
    assert similarity(_record("a"), _record("b", summary=corrected)) >= SAME_REVIEW_SIMILARITY
    assert review_slug(_record("a", title="Child  A.")) == "2025-kent-child-a"
