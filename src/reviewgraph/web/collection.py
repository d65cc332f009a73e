"""The reviews index of one build: facets, full-text search, counts and related reviews.

The graph is read-only between builds, so the pages compute the things every listing needs
(facet counts that combine, search, per-year counts, co-occurrence, related reviews) from an
index built once per build from three named queries (`collection-*.rq`). Sets of reviews are
Python ints used as bit sets: bit i is the i-th review in newest-first order, so intersecting
two sets is one `&`, counting is `int.bit_count()` and the newest-first page of a result is its
lowest set bits.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from markupsafe import Markup, escape

from reviewgraph.web.search import SearchIndex, stems_of

# (facet key, heading): the order the index page shows them in.
FACETS: list[tuple[str, str]] = [
    ("year", "Year"),
    ("locality", "Locality"),
    ("region", "Region or nation"),
    ("keyword", "Keyword"),
    ("theme", "Learning theme"),
    ("agency", "Agency"),
    ("outcome", "Outcome"),
    ("age", "Child's age"),
    ("type", "Review type"),
    ("report", "Report type"),
]
FACET_NAMES = dict(FACETS)

# Facets whose values have pages, and the facets those pages show co-occurring values of.
PAGE_FACETS = ("locality", "keyword", "theme", "agency", "outcome", "age", "type", "report")
COOCCURRING_FACETS = ("theme", "keyword")
_TOP_KEPT = 11  # the ten a page shows, and one more in case the value itself is among them

# Facets a review has one value of: selecting several means any of them.
ANY_OF_FACETS = frozenset({"year"})
QUERY_LIMIT = 200  # characters of a search kept
VALUES_LIMIT = 10  # values of one facet kept

SORTS = {"newest": "Newest first", "oldest": "Oldest first", "title": "Title A to Z"}

# Fields searched, in the order snippets are taken from them (web/search.py searches them all,
# with the alternative labels of the values as well).
SEARCH_FIELDS = ("title", "summary", "learning", "recommendations", "background", "keyword",
                 "theme", "locality", "agency")
FIELD_NAMES = {
    "title": "Title", "summary": "Summary", "learning": "Learning",
    "recommendations": "Recommendations", "background": "Background", "keyword": "Keywords",
    "theme": "Learning themes", "locality": "Locality", "agency": "Agencies",
}
# Facets whose values' labels are part of a review's searchable text.
SEARCHED_FACETS = ("keyword", "theme", "locality", "agency")
# Facets a typed topic is compared with (a page says when the search finds more).
TOPIC_FACETS = SEARCHED_FACETS  # only these: the search then finds all their reviews


class Iri(str):
    """An IRI among query results (a plain str is a literal's lexical form)."""

    __slots__ = ()


@dataclass
class ReviewEntry:
    """One review as the index knows it. `position` is its bit in every review set."""

    iri: str
    title: str
    label: str
    year: int
    month: int | None
    summary: str
    texts: dict[str, list[str]] = field(default_factory=dict)
    position: int = 0
    # The place as the review names it ("West Glamorgan", a partnership covering several
    # localities); None when the listing names just its locality.
    place: str | None = None


@dataclass
class FacetValue:
    facet: str
    key: str  # what the URL carries (?keyword=domestic-abuse)
    iri: str | None
    label: str
    members: int = 0  # bit set of reviews
    positions: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.positions)


@dataclass(frozen=True)
class FacetCount:
    value: FacetValue
    count: int
    selected: bool


@dataclass(frozen=True)
class Result:
    """A search and facet selection applied: which reviews, and the counts for refining it."""

    members: int
    total: int
    terms: list[str]
    selected: dict[str, list[FacetValue]]


def parse_filters(args: Any) -> tuple[str, dict[str, list[str]]]:
    """The search words and facet selection of a query string (a werkzeug MultiDict): what
    the reviews index and every page that follows its filters read from the URL."""
    query = args.get("q", "")[:QUERY_LIMIT]
    selection = {name: [v for v in args.getlist(name) if v][:VALUES_LIMIT]
                 for name, _ in FACETS if args.getlist(name)}
    return query, selection


def _key_for(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] or iri


def _bits_low_first(members: int) -> Iterator[int]:
    while members:
        low = members & -members
        yield low.bit_length() - 1
        members ^= low


def _bits_high_first(members: int) -> Iterator[int]:
    while members:
        top = members.bit_length() - 1
        yield top
        members ^= 1 << top


class Collection:
    """Everything the listing pages need, computed once from the rows of the collection queries."""

    def __init__(
        self,
        review_rows: Iterable[Mapping[str, object]],
        facet_rows: Iterable[Mapping[str, object]],
        text_rows: Iterable[Mapping[str, object]],
        label_rows: Iterable[Mapping[str, object]] = (),
    ) -> None:
        label_rows = list(label_rows)
        labels = {str(row["value"]): str(row["valueLabel"]) for row in label_rows
                  if row.get("valueLabel") is not None}
        # Other names of the values (skos:altLabel): searched, and matched with a topic.
        self.alt_labels: dict[str, list[str]] = defaultdict(list)
        for row in label_rows:
            if row.get("altLabel") is not None:
                self.alt_labels[str(row["value"])].append(str(row["altLabel"]))
        entries: dict[str, ReviewEntry] = {}
        for row in review_rows:
            iri = str(row["review"])
            if iri in entries:
                continue
            title = str(row.get("title") or row.get("label") or _key_for(iri))
            label = str(row.get("label") or title)
            month = row.get("month")
            entries[iri] = ReviewEntry(
                iri=iri, title=title, label=label, year=int(str(row["year"])[:4]),
                month=int(str(month)) if month is not None and str(month).isdigit() else None,
                summary=str(row.get("summary") or ""),
                place=str(row["place"]) if row.get("place") is not None else None,
            )
        # Newest first, then by label: bit i of every set is reviews[i].
        self.reviews = sorted(
            entries.values(), key=lambda r: (-r.year, -(r.month or 0), r.label.casefold(), r.iri)
        )
        for position, entry in enumerate(self.reviews):
            entry.position = position
        self.by_iri = {entry.iri: entry for entry in self.reviews}
        self.everything = (1 << len(self.reviews)) - 1

        self.facets: dict[str, dict[str, FacetValue]] = {name: {} for name, _ in FACETS}
        self._by_value_iri: dict[str, FacetValue] = {}
        self.values_of: list[list[FacetValue]] = [[] for _ in self.reviews]
        for entry in self.reviews:
            self._add(entry, "year", str(entry.year), None, str(entry.year))
        for row in facet_rows:
            reviewed = self.by_iri.get(str(row["review"]))
            if reviewed is None:
                continue
            value = row["value"]
            facet = str(row["facet"])
            if isinstance(value, Iri):
                label = str(row.get("valueLabel") or labels.get(value) or _key_for(value))
                self._add(reviewed, facet, None, str(value), label)
            else:  # a literal value (the nation of a locality): its text is key and label
                self._add(reviewed, facet, str(value), None,
                          str(row.get("valueLabel") or value))
        for values in self.facets.values():
            for value in values.values():
                value.positions.sort()
        # The locality each review names (shown beside it in lists of reviews).
        # The place as the review names it when that is not one of its localities (a
        # partnership's area), else the locality.
        self.locality_of: list[str | None] = []
        for entry, of in zip(self.reviews, self.values_of, strict=True):
            localities = [v.label for v in of if v.facet == "locality"]
            if entry.place and (len(localities) != 1 or entry.place not in localities):
                self.locality_of.append(entry.place)
            else:
                self.locality_of.append(localities[0] if localities else entry.place)
        # Per facet, each review's value keys: counting the values of a few reviews from
        # these is cheaper than intersecting every value's bit set with them.
        self._keys_of: dict[str, list[tuple[str, ...]]] = {
            name: [tuple(v.key for v in of if v.facet == name) for of in self.values_of]
            for name in self.facets}
        self._keys_per_review = {
            name: sum(map(len, keys)) / (len(keys) or 1) for name, keys in self._keys_of.items()}

        for row in text_rows:
            reviewed = self.by_iri.get(str(row["review"]))
            if reviewed is not None:
                reviewed.texts.setdefault(str(row["field"]), []).append(str(row["text"]))
        for entry in self.reviews:
            for value in self.values_of[entry.position]:
                if value.facet in SEARCHED_FACETS:
                    entry.texts.setdefault(value.facet, []).append(value.label)
            for texts in entry.texts.values():
                texts.sort()

        self._search = SearchIndex([list(self._searchable(entry)) for entry in self.reviews])
        # What occurs with each value that has a page (the most frequent themes and keywords
        # in its reviews), counted once per build: every such page shows it.
        self._top_with: dict[tuple[str, str, str], list[tuple[FacetValue, int]]] = {}
        for source in PAGE_FACETS:
            for value in self.facets.get(source, {}).values():
                for target in COOCCURRING_FACETS:
                    self._top_with[(source, value.key, target)] = self.cooccurring(
                        value.members, target, None, _TOP_KEPT, value.positions)
        self.title_order = sorted(
            range(len(self.reviews)), key=lambda i: (self.reviews[i].title.casefold(), i)
        )

    def _add(self, entry: ReviewEntry, facet: str, key: str | None, iri: str | None,
             label: str) -> None:
        values = self.facets.setdefault(facet, {})
        value = self._by_value_iri.get(f"{facet} {iri}") if iri else values.get(key or "")
        if value is None:
            key = key or _key_for(iri or "")
            while key in values:  # two IRIs ending alike: keep both reachable
                key += "-"
            value = FacetValue(facet, key, iri, label)
            values[key] = value
            if iri:
                self._by_value_iri[f"{facet} {iri}"] = value
        bit = 1 << entry.position
        if not value.members & bit:
            value.members |= bit
            value.positions.append(entry.position)
            self.values_of[entry.position].append(value)

    def _searchable(self, entry: ReviewEntry) -> Iterator[str]:
        yield entry.title
        yield entry.label
        yield entry.summary
        for texts in entry.texts.values():
            yield from texts
        for value in self.values_of[entry.position]:
            if value.facet in SEARCHED_FACETS and value.iri:
                yield from self.alt_labels.get(value.iri, ())

    # --- lookups --------------------------------------------------------------------------
    def value_for_iri(self, facet: str, iri: str) -> FacetValue | None:
        return self._by_value_iri.get(f"{facet} {iri}")

    def any_value_for_iri(self, iri: str) -> FacetValue | None:
        for facet, _ in FACETS:
            value = self._by_value_iri.get(f"{facet} {iri}")
            if value is not None:
                return value
        return None

    def sorted_values(self, facet: str) -> list[FacetValue]:
        values = list(self.facets.get(facet, {}).values())
        if facet == "year":
            return sorted(values, key=lambda v: v.key, reverse=True)
        return sorted(values, key=lambda v: (-v.count, v.label.casefold()))

    # --- search and facets ----------------------------------------------------------------
    def search(self, query: str) -> tuple[int, list[str]]:
        """Reviews containing every word of `query` (by stem, or as the start of a word) in
        their text or in the labels of their keywords, themes, locality and agencies."""
        return self._search.search(query)

    def topics(self, query: str) -> list[FacetValue]:
        """The keywords, themes, localities and agencies the query names (by their
        label or another name, word for word by stem): a search for a topic finds the reviews
        that have it, and those whose text mentions it as well."""
        wanted = stems_of(query)
        if not wanted:
            return []
        found = []
        for facet in TOPIC_FACETS:
            for value in self.facets.get(facet, {}).values():
                names = (value.label, *self.alt_labels.get(value.iri or "", ()))
                if any(stems_of(name) == wanted for name in names):
                    found.append(value)
        return found

    def apply(self, query: str, selection: Mapping[str, Iterable[str]]) -> Result:
        """Search, then narrow by every selected facet value (each one refines the result),
        except years: a review has one year, so several years mean any of them (2019-2025)."""
        members, terms = self.search(query) if query.strip() else (self.everything, [])
        selected: dict[str, list[FacetValue]] = {}
        for facet, keys in selection.items():
            values = self.facets.get(facet, {})
            any_of = 0
            for key in keys:
                value = values.get(key)
                if value is None:
                    if facet not in ANY_OF_FACETS:
                        members = 0  # an unknown value matches nothing, visibly
                    selected.setdefault(facet, []).append(FacetValue(facet, key, None, key))
                    continue
                if facet in ANY_OF_FACETS:
                    any_of |= value.members
                else:
                    members &= value.members
                selected.setdefault(facet, []).append(value)
            if facet in ANY_OF_FACETS and keys:
                members &= any_of
        return Result(members, members.bit_count(), terms, selected)

    def facet_counts(self, result: Result, facet: str) -> list[FacetCount]:
        """Each value of `facet` with how many of the result's reviews it would leave."""
        chosen = {value.key for value in result.selected.get(facet, [])}
        counts = []
        for value in self.facets.get(facet, {}).values():
            count = (result.members & value.members).bit_count()
            if count or value.key in chosen:
                counts.append(FacetCount(value, count, value.key in chosen))
        if facet == "year":
            counts.sort(key=lambda c: c.value.key, reverse=True)
        else:
            counts.sort(key=lambda c: (-c.count, c.value.label.casefold()))
        return counts

    def page(self, members: int, sort: str, offset: int, limit: int) -> list[ReviewEntry]:
        if sort == "title":
            found = []
            skipped = 0
            for position in self.title_order:
                if members >> position & 1:
                    if skipped < offset:
                        skipped += 1
                        continue
                    found.append(self.reviews[position])
                    if len(found) == limit:
                        break
            return found
        bits = _bits_high_first(members) if sort == "oldest" else _bits_low_first(members)
        found = []
        for index, position in enumerate(bits):
            if index >= offset + limit:
                break
            if index >= offset:
                found.append(self.reviews[position])
        return found

    # --- per-entity figures ---------------------------------------------------------------
    def per_year(self, members: int) -> list[tuple[int, int]]:
        """(year, reviews) for every year of the collection, oldest first, zeros included."""
        years = sorted(self.facets["year"].values(), key=lambda v: v.key)
        return [(int(v.key), (members & v.members).bit_count()) for v in years]

    def cooccurring(self, members: int, facet: str, exclude: FacetValue | None,
                    limit: int = 10, positions: list[int] | None = None
                    ) -> list[tuple[FacetValue, int]]:
        """The values of `facet` the reviews in `members` have, with how many have each, most
        first (`positions`: the same reviews as a list, when the caller has it)."""
        values = self.facets.get(facet, {})
        size = len(positions) if positions is not None else members.bit_count()
        # Counting the few reviews' values costs about a twelfth of intersecting one value's
        # bit set with them: take whichever does less work.
        if size * self._keys_per_review.get(facet, 0) < 12 * len(values):
            keys_of = self._keys_of[facet]
            counts = Counter(chain.from_iterable(
                keys_of[position] for position in
                (positions if positions is not None else _bits_low_first(members))))
            found = [(values[key], count) for key, count in counts.items()
                     if values[key] is not exclude]
        else:
            found = []
            for value in values.values():
                if value is exclude:
                    continue
                count = (members & value.members).bit_count()
                if count:
                    found.append((value, count))
        found.sort(key=lambda pair: (-pair[1], pair[0].label.casefold(), pair[0].key))
        return found[:limit]

    def cooccurring_with(self, value: FacetValue, facet: str, exclude_self: bool = True,
                         limit: int = 10) -> list[tuple[FacetValue, int]]:
        """`cooccurring` for the reviews of one value (from the per-build table when it
        holds enough), leaving the value itself out unless `exclude_self` is false."""
        kept = self._top_with.get((value.facet, value.key, facet))
        if kept is not None and (len(kept) < _TOP_KEPT or limit + exclude_self <= _TOP_KEPT):
            return [pair for pair in kept if not (exclude_self and pair[0] is value)][:limit]
        return self.cooccurring(value.members, facet, value if exclude_self else None, limit,
                                value.positions)

    def related(self, entry: ReviewEntry, limit: int = 5) -> list[tuple[ReviewEntry, list[str]]]:
        """Reviews sharing the most themes and keywords with `entry` (the newest first among
        equals), and what they share.

        Counting is bit-sliced: every review's number of shared values is held across a few
        bit sets (bit plane i = bit i of each count), so adding one value's reviews to all
        counts is a handful of big-int operations whatever the size of the collection."""
        shared_values = [value for value in self.values_of[entry.position]
                         if value.facet in ("theme", "keyword")]
        planes: list[int] = []
        for value in shared_values:
            carry = value.members
            for index, plane in enumerate(planes):
                planes[index], carry = plane ^ carry, plane & carry
                if not carry:
                    break
            if carry:
                planes.append(carry)
        others = self.everything & ~(1 << entry.position)
        found: list[int] = []
        for score in range(2 ** len(planes) - 1, 0, -1):
            exact = others
            for index, plane in enumerate(planes):
                exact &= plane if score >> index & 1 else ~plane
                if not exact:
                    break
            for position in _bits_low_first(exact):
                found.append(position)
                if len(found) == limit:
                    break
            if len(found) == limit:
                break
        related = []
        for position in found:
            bit = 1 << position
            labels = {value.label for value in shared_values if value.members & bit}
            related.append((self.reviews[position], sorted(labels, key=str.casefold)))
        return related

    def counts(self, facet: str, limit: int | None = None) -> list[tuple[FacetValue, int]]:
        pairs = [(value, value.count) for value in self.sorted_values(facet)]
        return pairs[:limit] if limit else pairs

    # --- snippets -------------------------------------------------------------------------
    def snippets(self, entry: ReviewEntry, terms: list[str], width: int = 90,
                 most: int = 3) -> list[tuple[str, Markup]]:
        """Escaped extracts around the first match in each field, the matches in <mark>."""
        pattern = self._search.pattern(terms) if terms else None
        if pattern is None:
            return []
        found: list[tuple[str, Markup]] = []
        for name in SEARCH_FIELDS:
            if name == "title":
                texts = [entry.title]
            elif name == "summary":
                texts = [entry.summary]
            else:
                texts = entry.texts.get(name, [])
            for text in texts:
                match = pattern.search(text)
                if match is None:
                    continue
                start, end = word_bounds(text, max(0, match.start() - width),
                                         min(len(text), match.end() + width),
                                         match.start(), match.end())
                found.append((FIELD_NAMES[name], highlight(text, pattern, start, end)))
                break
            if len(found) >= most:
                break
        return found

    def profile(self, members: int | FacetValue, facet: str, limit: int = 10
                ) -> list[tuple[FacetValue, int, float, float]]:
        """(value, reviews here, share here, share in the whole collection) for a subset (the
        reviews of a facet value, or a bit set of reviews)."""
        if isinstance(members, FacetValue):
            here_total = members.count or 1
            pairs = self.cooccurring_with(members, facet, False, limit)
        else:
            here_total = members.bit_count() or 1
            pairs = self.cooccurring(members, facet, None, limit)
        everywhere_total = len(self.reviews) or 1
        rows = []
        for value, count in pairs:
            rows.append((value, count, count / here_total, value.count / everywhere_total))
        return rows

    def counter(self, facet: str) -> Counter[str]:
        return Counter({value.key: value.count for value in self.facets.get(facet, {}).values()})


def word_bounds(text: str, start: int, end: int, first: int, last: int) -> tuple[int, int]:
    """An extract text[start:end] moved in to whole words: it starts after a space and ends
    before one (never cutting into the match, text[first:last])."""
    if start > 0 and not text[start - 1].isspace():
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    if end < len(text) and not text[end].isspace():
        space = text.rfind(" ", last, end)
        end = space if space != -1 else end
    return start, end


def highlight(text: str, pattern: re.Pattern[str], start: int, end: int) -> Markup:
    """text[start:end] escaped, every match of `pattern` wrapped in <mark>, ellipses at cuts."""
    parts: list[Markup | str] = []
    if start > 0:
        parts.append("… ")
    cursor = start
    for match in pattern.finditer(text, start, end):
        parts.append(escape(text[cursor:match.start()]))
        parts.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        cursor = match.end()
    parts.append(escape(text[cursor:end]))
    if end < len(text):
        parts.append(" …")
    return Markup("").join(escape(part) for part in parts)
