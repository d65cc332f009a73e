"""The agency vocabulary (data/vocabularies/agencies.ttl) and a matcher from text to agency ids.

Agencies are found only through the vocabulary's labels, so adding a body or a variant is an
edit to the Turtle file, not to code. Matching rules:
- labels are matched on word boundaries;
- a label written as an acronym (one word of capitals, maybe a plural "s": "ICS", "GPs", "A&E") is
  matched case-sensitively, so "ICS" never matches inside "physics" or the word "ics";
- every other label is matched case-insensitively;
- where labels overlap, the longest wins ("child mental health services" over "health services").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from reviewgraph.errors import ReviewGraphError
from reviewgraph.paths import VOCABULARIES_DIR
from reviewgraph.terms import DEFAULT_BASE_IRI

AGENCIES_FILE = VOCABULARIES_DIR / "agencies.ttl"
SCHEME_PATH = "agency/"  # agencies are {base}agency/{id}


@dataclass(frozen=True)
class Agency:
    id: str
    pref_label: str
    labels: tuple[str, ...]  # every label the matcher looks for, prefLabel first
    definition: str | None = None


def is_acronym(label: str) -> bool:
    """One word of capitals, perhaps with a plural "s" (ICS, GPs, A&E): matched case-sensitively."""
    if " " in label or sum(char.isupper() for char in label) < 2:
        return False
    return not any(char.islower() for char in label.removesuffix("s"))


def _normalise(text: str) -> str:
    # Pages use typographic apostrophes and dashes; labels are written with plain ones.
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2010", "-").replace(
        "\u2011", "-"
    )


_FIRST_WORD = re.compile(r"\w+")
_WORD_START = re.compile(r"(?<![\w&])\w+")
FIND_CACHE_SIZE = 100_000  # texts whose agencies a matcher remembers


class AgencyMatcher:
    """Finds the agencies a text names, by the vocabulary's labels."""

    def __init__(self, agencies: list[Agency]) -> None:
        self.agencies = {agency.id: agency for agency in agencies}
        self._exact: dict[str, str] = {}  # acronym label -> id
        self._folded: dict[str, str] = {}  # casefolded label -> id
        alternatives: list[tuple[int, str]] = []
        for agency in agencies:
            for label in agency.labels:
                label = _normalise(label)
                if is_acronym(label):
                    table, key, pattern = self._exact, label, re.escape(label)
                else:
                    key = label.casefold()
                    table, pattern = self._folded, f"(?i:{re.escape(label)})"
                if table.get(key, agency.id) != agency.id:
                    raise ReviewGraphError(
                        f"agency vocabulary: label {label!r} belongs to both "
                        f"{table[key]!r} and {agency.id!r}"
                    )
                if key not in table:
                    table[key] = agency.id
                    alternatives.append((len(label), pattern))
        # Longest first, so at any position the longest label is tried first.
        alternatives.sort(key=lambda item: (-item[0], item[1]))
        body = "|".join(pattern for _, pattern in alternatives) or r"(?!x)x"
        self._pattern = re.compile(rf"(?<![\w&])(?:{body})(?![\w&])")
        # The same alternatives looked up by their first word (case-folded), in the same
        # order, so each word start tries only the labels that can begin there; None if a
        # label does not begin with a word character (then the one pattern is used).
        self._by_first_word: dict[str, list[re.Pattern[str]]] | None = {}
        for _, pattern in alternatives:
            label = re.sub(r"\\(.)", r"\1", pattern.removeprefix("(?i:").removesuffix(")")
                           if pattern.startswith("(?i:") else pattern)
            first = _FIRST_WORD.match(label)
            if first is None:
                self._by_first_word = None
                break
            self._by_first_word.setdefault(first.group(0).casefold(), []).append(
                re.compile(rf"(?<![\w&])(?:{pattern})(?![\w&])"))
        # find() of a text already seen: addressees ("the local authority") repeat a lot.
        self._found: dict[str, tuple[str, ...]] = {}

    def matches(self, text: str) -> list[tuple[str, str]]:
        """(matched text, agency id) for every mention, in order of appearance."""
        found = []
        for match in self._mentions(_normalise(text)):
            label = match.group(0)
            agency_id = self._exact.get(label) or self._folded.get(label.casefold())
            if agency_id:
                found.append((label, agency_id))
        return found

    def _mentions(self, text: str) -> Iterable[re.Match[str]]:
        """What the one pattern's finditer gives: at each word start, the first alternative
        (longest label first) that matches there; the scan resumes after a match."""
        if self._by_first_word is None:
            yield from self._pattern.finditer(text)
            return
        resume = 0
        for word in _WORD_START.finditer(text):
            start = word.start()
            if start < resume:
                continue
            for pattern in self._by_first_word.get(word.group(0).casefold(), ()):
                match = pattern.match(text, start)
                if match:
                    yield match
                    resume = match.end()
                    break

    def find(self, text: str) -> list[str]:
        """The sorted ids of the agencies the text names."""
        found = self._found.get(text)
        if found is None:
            found = tuple(sorted({agency_id for _, agency_id in self.matches(text)}))
            if len(self._found) < FIND_CACHE_SIZE:
                self._found[text] = found
        return list(found)


def load_agencies(path: Path = AGENCIES_FILE, base: str = DEFAULT_BASE_IRI) -> list[Agency]:
    """Read the vocabulary; ids are the IRIs relative to {base}agency/."""
    try:
        graph = Graph().parse(path, format="turtle", publicID=base)
    except FileNotFoundError:
        raise ReviewGraphError(f"{path}: agency vocabulary not found") from None
    except Exception as error:  # rdflib raises several syntax error types
        raise ReviewGraphError(f"{path}: cannot read the agency vocabulary: {error}") from None
    scheme = URIRef(base + SCHEME_PATH)
    agencies = []
    for concept in sorted(graph.subjects(SKOS.inScheme, scheme)):
        iri = str(concept)
        if not iri.startswith(str(scheme)):
            raise ReviewGraphError(f"{path}: agency {iri} is outside {scheme}")
        pref = graph.value(concept, SKOS.prefLabel)
        if pref is None:
            raise ReviewGraphError(f"{path}: agency {iri} has no skos:prefLabel")
        labels = [str(pref)]
        for predicate in (SKOS.altLabel, SKOS.hiddenLabel):
            labels.extend(sorted(str(label) for label in graph.objects(concept, predicate)))
        definition = graph.value(concept, SKOS.definition)
        agencies.append(
            Agency(
                id=iri[len(str(scheme)):],
                pref_label=str(pref),
                labels=tuple(dict.fromkeys(labels)),
                definition=str(definition) if definition is not None else None,
            )
        )
    if not agencies:
        raise ReviewGraphError(f"{path}: no agencies in scheme {scheme}")
    return agencies


@cache
def default_matcher() -> AgencyMatcher:
    """The matcher for the project's vocabulary (read once per process; it is immutable)."""
    return AgencyMatcher(load_agencies())
