"""Controlled vocabularies (SKOS) and the matchers that link records to them.

The vocabularies live in data/vocabularies/ as Turtle with IRIs relative to the graph's base IRI
(<theme/safe-sleep> becomes {base}theme/safe-sleep), so a graph built under another base IRI
carries its own copy. Records name concepts by label; this module resolves those labels:

- keywords: every keyword a listing gives becomes a concept; keyword-mapping.csv (variant,concept)
  folds wording drift ("parents with X" / "parents who have X", singular / plural) into one
  concept whose other wordings are skos:altLabels. The mapping is explicit so a person reviews it;
  `suggest_keyword_variants` only proposes entries for it.
- learning themes: each theme publishes its rg:matchPattern regular expressions; a learning point
  links to every theme one of whose patterns it contains, unless the text says it was absent
  ("no evidence of domestic abuse"); the words that matched are kept as the reason.
- review types, outcomes, report types: labels and altLabels, matched ignoring case.
- age bands: an ISO 8601 duration falls in the band whose [rg:ageFrom, rg:ageBelow) holds it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from re import _constants as regex_ops  # type: ignore[attr-defined]  # the stdlib's own
from re import _parser as regex_parser  # type: ignore[attr-defined]  # regex parser
from typing import cast

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from reviewgraph.agencies import word_alternation
from reviewgraph.errors import ReviewGraphError
from reviewgraph.paths import VOCABULARIES_DIR
from reviewgraph.terms import DEFAULT_BASE_IRI, RG

KEYWORD_MAPPING_FILE = "keyword-mapping.csv"
# Vocabulary files loaded as they are (keywords.ttl holds the keyword scheme; its concepts
# are generated from the keywords seen).
VOCABULARY_FILES = (
    "keywords.ttl",
    "themes.ttl",
    "review-types.ttl",
    "outcomes.ttl",
    "report-types.ttl",
    "age-bands.ttl",
)
KEYWORD_SCHEME = "scheme/keywords"

Triple = tuple[URIRef, URIRef, URIRef | Literal]


def slugify(text: str) -> str:
    """A readable IRI segment: lower case ASCII words joined by hyphens ("Eli and Micah" ->
    "eli-and-micah"); apostrophes vanish so "child's" gives "childs"."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", text.lower().replace("'", "")).strip("-")


_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_LABEL_SPACING = re.compile(r"[\s\-_]+")


def _label_key(label: str) -> str:
    """How labels are compared: case, apostrophes, hyphens and spacing do not matter."""
    text = label.casefold().replace("\u2019", "'").replace("\u2010", "-")
    return _LABEL_SPACING.sub(" ", text).strip().rstrip(".")


@dataclass(frozen=True)
class Concept:
    iri: URIRef
    pref_label: str


@dataclass
class ConceptScheme:
    """A scheme read from Turtle: its concepts, findable by any of their labels or their slug."""

    iri: URIRef
    concept_class: URIRef
    concepts: dict[URIRef, Concept] = field(default_factory=dict)
    _by_label: dict[str, URIRef] = field(default_factory=dict)

    @classmethod
    def from_graph(cls, graph: Graph, scheme: URIRef, concept_class: URIRef) -> ConceptScheme:
        result = cls(iri=scheme, concept_class=concept_class)
        for concept in sorted(graph.subjects(SKOS.inScheme, scheme)):  # type: ignore[type-var]
            if not isinstance(concept, URIRef):
                continue
            pref = graph.value(concept, SKOS.prefLabel)
            result.concepts[concept] = Concept(concept, str(pref) if pref else str(concept))
            labels = [str(concept).rsplit("/", 1)[-1]]
            labels += [str(x) for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
                       for x in graph.objects(concept, p)]
            for label in labels:
                result._by_label.setdefault(_label_key(label), concept)
        return result

    def find(self, label: str) -> Concept | None:
        """The concept with this label, altLabel or id (ignoring case), or None."""
        iri = self._by_label.get(_label_key(label))
        return self.concepts[iri] if iri is not None else None


@dataclass(frozen=True)
class ThemeMatch:
    theme: URIRef
    pattern: str  # the rg:matchPattern that matched
    matched: str  # the text it matched


class ThemeMatcher:
    """Links text to learning themes by the themes' published patterns (nothing else)."""

    def __init__(self, patterns: dict[URIRef, list[str]]) -> None:
        self._patterns: list[tuple[URIRef, str, re.Pattern[str]]] = []
        for theme in sorted(patterns):
            for pattern in sorted(patterns[theme]):
                try:
                    compiled = re.compile(rf"(?<![\w-])(?:{pattern})", re.IGNORECASE)
                except re.error as error:
                    raise ReviewGraphError(
                        f"themes.ttl: pattern {pattern!r} of {theme} is not a valid regular "
                        f"expression: {error}"
                    ) from None
                self._patterns.append((theme, pattern, compiled))
        self._theme_patterns: dict[URIRef, list[tuple[str, re.Pattern[str]]]] = {}
        for theme, pattern, compiled in self._patterns:
            self._theme_patterns.setdefault(theme, []).append((pattern, compiled))
        # themes() only asks whether a theme matches: one search of its patterns joined.
        self._by_theme: list[tuple[URIRef, re.Pattern[str]]] = []
        for theme in sorted(patterns):
            joined = "|".join(f"(?:{pattern})" for pattern in sorted(patterns[theme]))
            try:
                self._by_theme.append((theme, re.compile(rf"(?<![\w-])(?:{joined})",
                                                         re.IGNORECASE)))
            except re.error:  # e.g. a group name used by two patterns: one by one
                self._by_theme.extend((theme, compiled) for t, _, compiled in self._patterns
                                      if t == theme)

        # The texts (lower case) the matches of a theme's patterns begin with, each with the
        # searches of _by_theme it calls for; the searches of a theme one of whose patterns can
        # begin anywhere are always made. An ASCII text is searched only for the themes whose
        # beginnings it contains: ~90 substring tests cost far less than 25 searches.
        beginnings: dict[URIRef, frozenset[str] | None] = {}
        for theme in sorted(patterns):
            each = [_beginnings(pattern) for pattern in patterns[theme]]
            beginnings[theme] = None if None in each else frozenset().union(*each)  # type: ignore[arg-type]
        self._always = frozenset(index for index, (theme, _) in enumerate(self._by_theme)
                                 if beginnings[theme] is None)
        searches_of: dict[str, set[int]] = {}
        for index, (theme, _) in enumerate(self._by_theme):
            for text in beginnings[theme] or ():
                searches_of.setdefault(text, set()).add(index)
        self._beginnings = [(text, frozenset(searches_of[text])) for text in sorted(searches_of)]
        # The same as one scan: at each place a match can begin (as the patterns' own
        # look-behind says), the longest beginning there, and with it every beginning that is
        # a prefix of it (those begin there too).
        self._indices_of = {
            text: frozenset().union(*(indices for other, indices in self._beginnings
                                      if text.startswith(other)))
            for text in searches_of}
        self._beginning_scan = re.compile(
            rf"(?<![\w-])(?=({word_alternation(searches_of)}))") if searches_of else None

        # Every pattern joined: finds nothing exactly when no single pattern matches.
        self._any: re.Pattern[str] | None = None
        if self._patterns:
            joined = "|".join(f"(?:{pattern})" for _, pattern, _ in self._patterns)
            try:
                self._any = re.compile(rf"(?<![\w-])(?:{joined})", re.IGNORECASE)
            except re.error:
                self._any = None

    def matches(self, text: str) -> list[ThemeMatch]:
        """Every (theme, pattern) that matches, the first match of each pattern."""
        found = []
        for theme, pattern, compiled in self._patterns:
            match = compiled.search(text)
            if match:
                found.append(ThemeMatch(theme, pattern, match.group(0)))
        return found

    def themes(self, text: str) -> list[URIRef]:
        """The sorted themes the text is about: those with a match that the text does not
        negate ("there was no evidence of domestic abuse", "alcohol was ruled out")."""
        return [theme for theme, _ in self.matched_words(text)]

    def matched_words(self, text: str) -> list[tuple[URIRef, str]]:
        """(theme, the words of its first match the text does not negate), sorted by theme."""
        return [(theme, match.group(0)) for theme, match in self._first_matches(text)]

    def assignments(self, text: str) -> list[ThemeMatch]:
        """As matched_words, with which of the theme's patterns matched: the full reason."""
        return [ThemeMatch(theme, next((p for p, c in self._theme_patterns[theme]
                                        if c.match(text, match.start())), ""), match.group(0))
                for theme, match in self._first_matches(text)]

    def _first_matches(self, text: str) -> list[tuple[URIRef, re.Match[str]]]:
        first: dict[int, re.Match[str]] = {}  # index in _by_theme -> its first kept match
        negatable: bool | None = None  # looked at once, when a theme first matches
        for index, start in self._attempts(text):
            if index in first:
                continue
            compiled = self._by_theme[index][1]
            for match in (compiled.finditer(text) if start is None
                          else filter(None, (compiled.match(text, start),))):
                if negatable is None:
                    negatable = _MAY_NEGATE.search(text) is not None
                if not (negatable and _negated(text, match.start(), match.end())):
                    first[index] = match
                    break
        found: list[tuple[URIRef, re.Match[str]]] = []
        for index in sorted(first):
            theme = self._by_theme[index][0]
            if not found or found[-1][0] is not theme:  # a theme split into several searches
                found.append((theme, first[index]))  # (see __init__) keeps its first
        return found

    def _attempts(self, text: str) -> Iterable[tuple[int, int | None]]:
        """(index in _by_theme, where to try it: a position, or None for anywhere), in the
        text's order. An ASCII text is tried only where one of a theme's beginnings begins
        (one scan of the text, then anchored matches); other texts are searched whole."""
        if text.isascii():
            # Case-insensitive matching of an ASCII text is matching of its lower case (in
            # other texts a non-ASCII letter can match an ASCII one: the long s matches "s"),
            # and lower-casing keeps every position.
            for index in self._always:
                yield index, None
            if self._beginning_scan is not None:
                indices_of = self._indices_of
                for hit in self._beginning_scan.finditer(text.lower()):
                    start = hit.start()
                    for index in indices_of[hit.group(1)]:
                        yield index, start
            return
        if self._any is not None and not self._any.search(text):
            return  # no pattern matches anywhere: one search, not 25
        for index in range(len(self._by_theme)):
            yield index, None


# Negation: a theme the text says was absent. Only the absence of the thing itself ("no
# evidence of domestic abuse", "substance misuse was not a feature", "alcohol was ruled out");
# a missing action or service ("no safe sleep advice was given") is still about the theme.
_MAY_NEGATE = re.compile(r"\b(?:no|not|ruled|unrelated|absence)\b", re.IGNORECASE)
_NEGATED_BEFORE = re.compile(
    r"\b(?:no (?:evidence|history|indication|sign|suggestion|concerns?|known history) "
    r"(?:of|about|that)|ruled out|unrelated to|absence of any)"
    r"\s+(?:[\w'’-]+\s+){0,2}$", re.IGNORECASE)
_NEGATED_AFTER = re.compile(
    r"[^.;,]{0,30}?\b(?:was|were|is|are|had been) (?:not (?:a |an )?(?:factor|feature|"
    r"concern|present|issue|relevant|identified)|ruled out)\b", re.IGNORECASE)


def _negated(text: str, start: int, end: int) -> bool:
    """Whether the text says that what it matched at [start, end) was absent."""
    return bool(_NEGATED_BEFORE.search(text, max(0, start - 60), start)
                or _NEGATED_AFTER.match(text, end))


def _beginnings(pattern: str) -> frozenset[str] | None:
    """Texts (ASCII, lower case) one of which every match of the pattern begins with, case
    ignored; None if that cannot be told (the pattern can match anywhere, as far as we know)."""
    try:
        items = list(regex_parser.parse(pattern, re.IGNORECASE))
    except re.error:
        return None
    found = _item_beginnings(items)
    return found if found is not None and all(text.isascii() for text in found) else None


def _item_beginnings(items: list) -> frozenset[str] | None:
    """_beginnings of a parsed pattern (the regex parser's items), read from its start."""
    prefix: list[str] = []
    for index, (operation, argument) in enumerate(items):
        if operation is regex_ops.LITERAL:
            prefix.append(chr(argument))
            continue
        if operation is regex_ops.AT:  # \b and the like match no text
            continue
        if prefix:
            break
        if operation is regex_ops.SUBPATTERN:
            return _item_beginnings(list(argument[-1]))
        if operation is regex_ops.BRANCH:
            branches = [_item_beginnings(list(branch)) for branch in argument[1]]
            return None if None in branches else frozenset().union(*branches)  # type: ignore[arg-type]
        if operation in (regex_ops.MAX_REPEAT, regex_ops.MIN_REPEAT):
            least, _, repeated = argument
            found = _item_beginnings(list(repeated))
            if least == 0 and found is not None:  # or the match begins after it
                after = _item_beginnings(items[index + 1:])
                found = None if after is None else found | after
            return found
        return None
    text = "".join(prefix).lower()
    return frozenset({text}) if text else None


# An ISO 8601 date duration (P8D, P3M, P16Y, P1Y6M, P2W): years, months, weeks, days.
DATE_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


def duration_days(duration: str) -> float | None:
    """An ISO 8601 date duration (P8D, P3M, P16Y, P1Y6M, P2W) in days; None if not one."""
    match = DATE_DURATION.match(duration)
    if not match or duration == "P":
        return None
    years, months, weeks, days = (int(part) if part else 0 for part in match.groups())
    return years * 365.25 + months * 30.4375 + weeks * 7 + days


@dataclass(frozen=True)
class AgeBand:
    iri: URIRef
    from_days: float
    below_days: float | None


@dataclass(frozen=True)
class KeywordConcept:
    iri: URIRef
    pref_label: str


KEYWORD_CACHE_SIZE = 100_000  # keywords (as written) whose concepts a vocabulary remembers


class KeywordVocabulary:
    """Keyword concepts: one per keyword seen, after the reviewed variant mapping."""

    def __init__(self, base: str, mapping: dict[str, str]) -> None:
        self.base = base
        self.scheme = URIRef(base + KEYWORD_SCHEME)
        self.mapping = mapping  # label key of a variant -> preferred label of its concept
        self._concepts: dict[str, KeywordConcept] = {}  # keyword as written -> its concept

    def concept(self, keyword: str) -> KeywordConcept:
        # Keywords recur from review to review: each is resolved once (and its concept's IRI
        # is then one object wherever it is used).
        concept = self._concepts.get(keyword)
        if concept is None:
            pref = self.mapping.get(_label_key(keyword), keyword.strip().rstrip("."))
            concept = KeywordConcept(URIRef(f"{self.base}keyword/{slugify(pref)}"), pref)
            if len(self._concepts) < KEYWORD_CACHE_SIZE:
                self._concepts[keyword] = concept
        return concept

    def triples(self, keywords_seen: Iterable[str]) -> list[Triple]:
        """The concepts of the keywords seen: prefLabel from the mapping (or the first wording
        in sorted order), every other wording seen or mapped as an altLabel."""
        wordings: dict[URIRef, set[str]] = {}
        prefs: dict[URIRef, str] = {}
        for keyword in sorted(set(keywords_seen)):
            concept = self.concept(keyword)
            prefs.setdefault(concept.iri, concept.pref_label)
            wordings.setdefault(concept.iri, set()).add(keyword.strip().rstrip("."))
        for variant_key, pref in self.mapping.items():
            iri = URIRef(f"{self.base}keyword/{slugify(pref)}")
            if iri in wordings:
                wordings[iri].add(variant_key)
        triples: list[Triple] = []
        for iri in sorted(prefs):
            pref = prefs[iri]
            triples += [
                (iri, RDF.type, RG.Keyword),
                (iri, RDF.type, SKOS.Concept),
                (iri, SKOS.prefLabel, Literal(pref, lang="en")),
                (iri, SKOS.inScheme, self.scheme),
                (iri, SKOS.topConceptOf, self.scheme),
                (self.scheme, SKOS.hasTopConcept, iri),
            ]
            alt_keys = {_label_key(pref)}
            for wording in sorted(wordings[iri]):
                if _label_key(wording) not in alt_keys:
                    alt_keys.add(_label_key(wording))
                    triples.append((iri, SKOS.altLabel, Literal(wording, lang="en")))
        return triples


def _singular(word: str) -> str:
    for plural, singular in (("ies", "y"), ("ses", "s"), ("s", "")):
        if word.endswith(plural) and len(word) > len(plural) + 2:
            return word[: -len(plural)] + singular
    return word


def _fold(label: str) -> str:
    """A loose form for spotting drift: singular words, 'parents with' = 'parents who have'."""
    text = _label_key(label)
    text = re.sub(r"\bwho (have|has)\b", "with", text)
    text = re.sub(r"\b(a|an|the)\b ", "", text)
    text = text.replace("-", " ")
    return " ".join(_singular(word) for word in text.split())


def suggest_keyword_variants(
    keywords: Iterable[str], mapping: dict[str, str]
) -> list[tuple[str, str]]:
    """Pairs (variant, concept) of keywords that look like wording drift of each other but that
    the mapping does not fold yet: candidates for a person to add to keyword-mapping.csv."""
    vocabulary = KeywordVocabulary("", mapping)
    by_fold: dict[str, set[str]] = {}
    for keyword in set(keywords):
        by_fold.setdefault(_fold(keyword), set()).add(vocabulary.concept(keyword).pref_label)
    suggestions = []
    for labels in by_fold.values():
        if len(labels) > 1:
            concept, *variants = sorted(labels)
            suggestions += [(variant, concept) for variant in variants]
    return sorted(suggestions)


def read_keyword_mapping(path: Path) -> dict[str, str]:
    """variant,concept rows -> {label key of variant: concept preferred label}."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise ReviewGraphError(f"{path}: cannot read the keyword mapping: {error}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or [cell.strip() for cell in rows[0]] != ["variant", "concept"]:
        raise ReviewGraphError(f"{path}:1: the header must be 'variant,concept'")
    mapping: dict[str, str] = {}
    concepts = {_label_key(row[1]) for row in rows[1:] if len(row) == 2}
    for number, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise ReviewGraphError(f"{path}:{number}: expected two values 'variant,concept'")
        variant, concept = _label_key(row[0]), row[1].strip()
        if variant in concepts:
            raise ReviewGraphError(
                f"{path}:{number}: {row[0]!r} is itself a concept; map variants straight "
                "to the concept (no chains)"
            )
        if mapping.get(variant, concept) != concept:
            raise ReviewGraphError(
                f"{path}:{number}: {row[0]!r} is mapped to both {mapping[variant]!r} "
                f"and {concept!r}"
            )
        mapping[variant] = concept
    return mapping


@dataclass
class Vocabularies:
    """Every controlled vocabulary under one base IRI, ready to resolve record values."""

    base: str
    graph: Graph  # the static schemes' triples (themes, types, outcomes, age bands, ...)
    keywords: KeywordVocabulary
    themes: ThemeMatcher
    review_types: ConceptScheme
    outcomes: ConceptScheme
    report_types: ConceptScheme
    age_bands: list[AgeBand]

    def age_band(self, duration: str) -> URIRef | None:
        days = duration_days(duration)
        if days is None:
            return None
        for band in self.age_bands:
            if days >= band.from_days and (band.below_days is None or days < band.below_days):
                return band.iri
        return None


def load_vocabularies(
    base: str = DEFAULT_BASE_IRI, directory: Path = VOCABULARIES_DIR
) -> Vocabularies:
    """Read data/vocabularies/ under the given base IRI."""
    graph = Graph()
    for name in VOCABULARY_FILES:
        path = directory / name
        try:
            graph.parse(path, format="turtle", publicID=base)
        except FileNotFoundError:
            raise ReviewGraphError(f"{path}: vocabulary not found") from None
        except Exception as error:  # rdflib raises several syntax error types
            raise ReviewGraphError(f"{path}: cannot read the vocabulary: {error}") from None

    patterns: dict[URIRef, list[str]] = {}
    for theme in cast("Iterable[URIRef]", graph.subjects(RDF.type, RG.LearningTheme)):
        patterns[theme] = [str(p) for p in graph.objects(theme, RG.matchPattern)]
        if not patterns[theme]:
            raise ReviewGraphError(f"themes.ttl: theme {theme} has no rg:matchPattern")

    bands = []
    for band in cast("Iterable[URIRef]", graph.subjects(RDF.type, RG.AgeBand)):
        start = graph.value(band, RG.ageFrom)
        below = graph.value(band, RG.ageBelow)
        start_days = duration_days(str(start)) if start is not None else None
        if start_days is None:
            raise ReviewGraphError(f"age-bands.ttl: age band {band} needs an rg:ageFrom duration")
        bands.append(AgeBand(band, start_days, duration_days(str(below)) if below else None))

    return Vocabularies(
        base=base,
        graph=graph,
        keywords=KeywordVocabulary(base, read_keyword_mapping(directory / KEYWORD_MAPPING_FILE)),
        themes=ThemeMatcher(patterns),
        review_types=ConceptScheme.from_graph(
            graph, URIRef(base + "scheme/review-types"), RG.ReviewType
        ),
        outcomes=ConceptScheme.from_graph(graph, URIRef(base + "scheme/outcomes"), RG.Outcome),
        report_types=ConceptScheme.from_graph(
            graph, URIRef(base + "scheme/report-types"), RG.ReportType
        ),
        age_bands=sorted(bands, key=lambda band: band.from_days),
    )
