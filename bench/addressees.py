"""Recommendation addressees on the sample: how many resolve to a node of the graph.

    python bench/addressees.py [PAGE ...]        # default: every page in data/sources/

Parses the pages, builds their graph with the reference places (partnerships), and prints:
the share of recommendations whose every addressee is resolved (rg:addressedTo), the share
with at least one, what each addressee as written resolved to, and the addressees that did
not resolve (the build warns about each). "both partnerships" counts as resolved when the
review's own partnership is found; a mentioned place without a partnership in the reference
data is listed as partial.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from rdflib import URIRef

from reviewgraph.agencies import ALL_PARTNERSHIPS, partnership_reference
from reviewgraph.concepts import load_vocabularies
from reviewgraph.graph import build_graph, review_label, review_slug
from reviewgraph.parser import load_known_places, parse_file
from reviewgraph.paths import SOURCES_DIR
from reviewgraph.places import Places
from reviewgraph.terms import DEFAULT_BASE_IRI, RG

UNRESOLVED = re.compile(r"addressee (?P<who>'[^']*'|\"[^\"]*\") of recommendations? "
                        r"(?P<numbers>[\d, ]+) is neither")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="*", type=Path)
    args = parser.parse_args(argv)
    pages = args.pages or sorted(SOURCES_DIR.glob("*.txt")) + sorted(SOURCES_DIR.glob("*.html"))
    known = load_known_places()
    records = [record for page in pages for record in parse_file(page, known).records]
    places = Places.load()
    result = build_graph(records, load_vocabularies(), places.for_graph())
    graph = result.graph

    # The build's own warnings say which addressees did not resolve, and where.
    unresolved: set[tuple[str, int, str]] = set()  # (review label, recommendation, addressee)
    for warning in result.warnings:
        match = UNRESOLVED.match(warning.message)
        if match:
            for number in match["numbers"].split(", "):
                unresolved.add((warning.entity or "", int(number), match["who"][1:-1]))
    total = every = some = 0
    resolved_to: dict[str, Counter[str]] = defaultdict(Counter)
    partial: set[tuple[str, str]] = set()
    for record in records:
        label, slug = review_label(record), review_slug(record)
        for number, recommendation in enumerate(record.recommendations, start=1):
            total += 1
            node = URIRef(f"{DEFAULT_BASE_IRI}recommendation/{slug}-{number}")
            targets = sorted(str(t).removeprefix(DEFAULT_BASE_IRI)
                             for t in graph.objects(node, RG.addressedTo))
            missed = {who for review, n, who in unresolved if (review, n) == (label, number)}
            every += bool(recommendation.addressees) and not missed
            some += bool(targets)
            if targets:
                # Several addressees share the recommendation's targets: shown together.
                resolved_to[" + ".join(repr(a) for a in recommendation.addressees
                                       if a not in missed)].update(targets)
            for addressee in recommendation.addressees:
                if partnership_reference(addressee) == ALL_PARTNERSHIPS:
                    missing = [name for name in record.places_mentioned
                               if places.resolve(name, year=record.year).partnership is None]
                    if missing:
                        partial.add((addressee, f"{record.title}: no partnership of "
                                     f"{', '.join(missing)} in the reference data"))

    print(f"pages: {', '.join(page.name for page in pages)}")
    print(f"recommendations: {total}")
    print(f"with every addressee resolved: {every}/{total} = {every / max(total, 1):.1%}")
    print(f"with at least one addressee resolved: {some}/{total} = {some / max(total, 1):.1%}")
    print("\naddressee as written -> what it resolved to (recommendations)")
    for addressee in sorted(resolved_to, key=str.casefold):
        shown = ", ".join(f"{t} ({n})" for t, n in sorted(resolved_to[addressee].items()))
        print(f"  {addressee} -> {shown}")
    print(f"\nunresolved ({len(unresolved)}):" + ("" if unresolved else " none"))
    for title, number, addressee in sorted(unresolved):
        print(f"  {title}, recommendation {number}: {addressee!r}")
    print(f"\npartly resolved ({len(set(partial))}):" + ("" if partial else " none"))
    for addressee, why in sorted(partial):
        print(f"  {addressee!r} ({why})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
