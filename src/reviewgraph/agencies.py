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
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SKOS

from reviewgraph.errors import ReviewGraphError
from reviewgraph.paths import VOCABULARIES_DIR
from reviewgraph.terms import DEFAULT_BASE_IRI, RG

AGENCIES_FILE = VOCABULARIES_DIR / "agencies.ttl"
SCHEME_PATH = "agency/"  # agencies are {base}agency/{id}


# The sorts of agency the vocabulary holds, by the class that tells them apart.
KIND, ORGANISATION, ARRANGEMENT, GROUP = "kind", "organisation", "arrangement", "group"
SORT_CLASSES = {
    KIND: SKOS.Concept,
    ORGANISATION: URIRef("http://www.w3.org/ns/org#Organization"),
    ARRANGEMENT: RG.MultiAgencyArrangement,
    GROUP: RG.AgencyGroup,
}


@dataclass(frozen=True)
class Agency:
    id: str
    pref_label: str
    labels: tuple[str, ...]  # every label the matcher looks for, prefLabel first
    definition: str | None = None
    sort: str = KIND  # kind | organisation | arrangement | group (see SORT_CLASSES)


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
# The characters outside ASCII whose casefold is ASCII (long s, Kelvin sign, sharp s, the
# ff/fi/fl/st ligatures): a word holding one may casefold to an ASCII label word although it is
# not ASCII itself. tests/test_agencies.py checks this list against every code point.
FOLDS_INTO_ASCII = "\u00df\u017f\u1e9e\u212a\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"
_FOLDS_INTO_ASCII = re.compile(f"[{FOLDS_INTO_ASCII}]")


def word_alternation(
    words: Iterable[str],
    ascii_case_insensitive: bool = False,
    after_first: str = "",
    after_word: dict[str, str] | None = None,
) -> str:
    """A regex matching exactly the given words, written as a trie of nested groups: the
    engine then follows one branch per character instead of trying every word in turn, which
    for hundreds of words is what makes one scan of a text cheap. Where one word is the start
    of another ("child", "children"), the longer is tried first.

    ascii_case_insensitive: the words are lower-case ASCII and each letter matches either case
    (only ASCII case: re.IGNORECASE would also match e.g. the Kelvin sign).
    after_first: put after each first character (a look-behind that must hold there): with it
    there, and no case folding, the pattern starts with plain characters, so a search skips
    straight to the characters that can begin a word instead of trying every position.
    after_word: a pattern that must follow a word, by word (none where missing).
    """
    # A node maps each next character to its node, and "" (where a word ends) to the
    # pattern that follows that word.
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = (after_word or {}).get(word, "")

    def atom(char: str) -> str:
        if ascii_case_insensitive and char.isascii() and char.upper() != char:
            return f"[{char}{char.upper()}]"
        return re.escape(char)

    def render(node: dict[str, Any], after_char: str = "") -> str:
        alternatives = [atom(char) + after_char + render(child)
                        for char, child in sorted(node.items()) if char]
        if "" in node:
            alternatives.append(node[""])  # last: a longer word is tried first
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    return render(tree, after_first) if tree else r"(?!x)x"


class AgencyMatcher:
    """Finds the agencies a text names, by the vocabulary's labels."""

    def __init__(self, agencies: list[Agency]) -> None:
        # Stated groups ("all agencies") are found only as a whole addressee (see addressee()),
        # never in running text.
        self.groups = {agency.id: agency for agency in agencies if agency.sort == GROUP}
        self._groups = {_addressee_key(label): agency.id for agency in self.groups.values()
                        for label in agency.labels}
        agencies = [agency for agency in agencies if agency.sort != GROUP]
        self.agencies = {agency.id: agency for agency in agencies}
        self._exact: dict[str, str] = {}  # acronym label -> id
        self._folded: dict[str, str] = {}  # casefolded label -> id
        alternatives: list[tuple[int, str, str, bool]] = []  # length, pattern, label, acronym
        for agency in agencies:
            for label in agency.labels:
                label = _normalise(label)
                acronym = is_acronym(label)
                if acronym:
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
                    alternatives.append((len(label), pattern, label, acronym))
        # Longest first, so at any position the longest label is tried first.
        alternatives.sort(key=lambda item: (-item[0], item[1]))
        body = "|".join(pattern for _, pattern, _, _ in alternatives) or r"(?!x)x"
        self._pattern = re.compile(rf"(?<![\w&])(?:{body})(?![\w&])")
        # The same alternatives grouped by their first word (case-folded), in the same
        # order, so each word start tries only the labels that can begin there; None if a
        # label does not begin with a word character (then the one pattern is used).
        by_first_word: dict[str, list[str]] | None = {}
        # Per first word, what must follow it for each of those labels, in the same order:
        # the rest of the label, and for an acronym a look-behind at its first word's case.
        rest_by_first_word: dict[str, list[str]] = {}
        ascii_first_words = True
        for _, pattern, label, acronym in alternatives:
            first = _FIRST_WORD.match(label)
            if first is None:
                by_first_word = None
                break
            word = first.group(0)
            ascii_first_words = ascii_first_words and word.isascii()
            by_first_word.setdefault(word.casefold(), []).append(pattern)  # type: ignore[union-attr]
            rest = re.escape(label[first.end():])
            rest_by_first_word.setdefault(word.casefold(), []).append(
                f"(?<={re.escape(word)}){rest}" if acronym else f"(?i:{rest})" if rest else ""
            )
        # One pattern per first word, its labels in that order: an alternation takes its
        # first alternative that matches, as trying the labels one by one did, in one call.
        self._by_first_word: dict[str, re.Pattern[str]] | None = None if by_first_word is None \
            else {word: re.compile(rf"(?<![\w&])(?:{'|'.join(patterns)})(?![\w&])")
                  for word, patterns in by_first_word.items()}
        # All of it as one pattern (see _mentions): a trie of the first words, ASCII letters
        # in either case, each followed by its labels' rests, in order. Built where every
        # label's first word is ASCII.
        self._labels_after_first_word: re.Pattern[str] | None = None
        if by_first_word is not None and ascii_first_words:
            first_words = word_alternation(
                rest_by_first_word, ascii_case_insensitive=True,
                after_word={word: f"(?:{'|'.join(rests)})"
                            for word, rests in rest_by_first_word.items()},
            )
            self._labels_after_first_word = re.compile(rf"(?<![\w&]){first_words}(?![\w&])")
        # find() of a text already seen: addressees ("the local authority") repeat a lot.
        self._found: dict[str, tuple[str, ...]] = {}

    def matches(self, text: str) -> list[tuple[str, str]]:
        """(matched text, agency id) for every mention, in order of appearance."""
        found = []
        text = _normalise(text)
        for match in self._mentions(text):
            label = match.group(0)
            agency_id = self._exact.get(label) or self._folded.get(label.casefold())
            if agency_id and not _names_a_place(agency_id, text, match):
                found.append((label, agency_id))
        return found

    def addressee(self, text: str) -> list[str]:
        """The agencies (or the stated group) a recommendation's addressee as written means:
        "all agencies" -> the group, "CAFCASS and ADCS" -> both, "the ICS" -> the ICS."""
        group = self._groups.get(_addressee_key(text))
        return [group] if group else self.find(text)

    def _mentions(self, text: str) -> Iterable[re.Match[str]]:
        """What the one pattern's finditer gives: at each word start, the first alternative
        (longest label first) that matches there; the scan resumes after a match."""
        if self._by_first_word is None:
            yield from self._pattern.finditer(text)
            return
        if self._labels_after_first_word is not None and not _FOLDS_INTO_ASCII.search(text):
            # The loop below as one scan of one pattern, several times faster on long texts
            # (each word costs a Python step in the loop). Same matches: without the characters
            # of FOLDS_INTO_ASCII, a word that casefolds to a first word (all ASCII) is ASCII,
            # and an ASCII word casefolds to it exactly where the pattern's first word in
            # either ASCII case matches it; then come that word's labels in the loop's order,
            # the first that matches wins, and the scan goes on after the match, as the loop.
            yield from self._labels_after_first_word.finditer(text)
            return
        resume = 0
        for word in _WORD_START.finditer(text):
            start = word.start()
            if start < resume:
                continue
            labels = self._by_first_word.get(word.group(0).casefold())
            if labels is not None:
                match = labels.match(text, start)
                if match:
                    yield match
                    resume = match.end()

    def find(self, text: str) -> list[str]:
        """The sorted ids of the agencies the text names."""
        found = self._found.get(text)
        if found is None:
            found = tuple(sorted({agency_id for _, agency_id in self.matches(text)}))
            if len(self._found) < FIND_CACHE_SIZE:
                self._found[text] = found
        return list(found)


# Addressees that mean safeguarding partnerships rather than agencies (graph.py resolves them
# against the review's partnership and the partnerships of the places it mentions).
OWN_PARTNERSHIP, ALL_PARTNERSHIPS = "own", "all"
_PARTNERSHIP_NOUN = (r"(?:safeguarding\s+)?(?:children(?:'s)?\s+)?(?:(?:and|&)\s+adults\s+)?"
                     r"(?:multi-agency\s+)?(?:partnership|board|partnership board|"
                     r"safeguarding arrangements)")
_OWN_PARTNERSHIP = re.compile(
    rf"^(?:the\s+)?(?:whole\s+)?(?:(?:local|regional|area)\s+)?(?:{_PARTNERSHIP_NOUN}|"
    r"L?SCBs?|L?SCPs?|RSCBs?|RSBs?|LSCB partners)$", re.I)
_ALL_PARTNERSHIPS = re.compile(
    r"^(?:both|the two|all|each|all three|the three|the)\s+(?:of the\s+)?(?:safeguarding\s+)?"
    r"(?:children(?:'s)?\s+)?(?:partnerships|boards|LSCBs|SCPs)$", re.I)
_NUMBERED_PARTNERSHIP = re.compile(rf"^(?:the\s+)?LA(?P<n>\d+)(?:'s)?\s+(?:{_PARTNERSHIP_NOUN}|"
                                   r"LSCB|SCP)$", re.I)
_PLACE_PARTNERSHIP = re.compile(rf"^(?:the\s+)?(?P<place>[A-Z][\w' -]+?)(?:'s)?\s+"
                                rf"(?i:{_PARTNERSHIP_NOUN})$")


@lru_cache(maxsize=4096)  # addressees recur: "the partnership", "both partnerships"
def partnership_reference(text: str) -> str | tuple[str, str] | tuple[str, int] | None:
    """What a partnership addressee refers to: OWN_PARTNERSHIP ("the partnership", "the
    LSCB"), ALL_PARTNERSHIPS ("both partnerships": the review's and those of the places it
    mentions), ("LA", n) for an anonymised "LA1 partnership" (LA1 is the review's own, LA2 the
    first other place it mentions), ("place", name) for "Hertfordshire Safeguarding Children
    Partnership"; None if it names no partnership."""
    text = " ".join(_normalise(text).split())
    if _OWN_PARTNERSHIP.match(text):
        return OWN_PARTNERSHIP
    if _ALL_PARTNERSHIPS.match(text):
        return ALL_PARTNERSHIPS
    numbered = _NUMBERED_PARTNERSHIP.match(text)
    if numbered:
        return ("LA", int(numbered["n"]))
    place = _PLACE_PARTNERSHIP.match(text)
    if place:
        return ("place", place["place"])
    return None


def _addressee_key(text: str) -> str:
    """How a group's label and an addressee are compared: case, spacing and a leading "the"
    do not matter ("the partners" is "partners")."""
    return " ".join(_normalise(text).casefold().split()).removeprefix("the ")


# A council named as a place, not as a body: "local authority boundaries", "other local
# authority areas", "in a neighbouring local authority". Only agencies that are also places.
PLACE_LIKE_AGENCIES = frozenset({"local-authority"})
_PLACE_AFTER = re.compile(r"\s+(?:areas?|boundar(?:y|ies)|borders?|footprints?)\b", re.I)
_PLACE_BEFORE = re.compile(
    r"\b(?:in|into|across|between|within|from|other|another|neighbouring|different|"
    r"moved to|moving to|move to)\s+(?:(?:a|an|the|another|other|neighbouring|different|"
    r"two|several|many)\s+)*$", re.I)


def _names_a_place(agency_id: str, text: str, match: re.Match[str]) -> bool:
    if agency_id not in PLACE_LIKE_AGENCIES:
        return False
    return bool(_PLACE_AFTER.match(text, match.end())
                or _PLACE_BEFORE.search(text, max(0, match.start() - 40), match.start()))


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
    for concept in sorted(set(graph.subjects(RDF.type, RG.Agency))
                          | set(graph.subjects(SKOS.inScheme, scheme)), key=str):
        iri = str(concept)
        if not iri.startswith(str(scheme)):
            raise ReviewGraphError(f"{path}: agency {iri} is outside {scheme}")
        sorts = [sort for sort, cls in SORT_CLASSES.items() if (concept, RDF.type, cls) in graph]
        if len(sorts) != 1 or (concept, RDF.type, RG.Agency) not in graph:
            raise ReviewGraphError(
                f"{path}: agency {iri} must be an rg:Agency and exactly one of skos:Concept (a "
                "kind of service), org:Organization, rg:MultiAgencyArrangement or rg:AgencyGroup")
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
                sort=sorts[0],
            )
        )
    if not agencies:
        raise ReviewGraphError(f"{path}: no agencies in scheme {scheme}")
    return agencies


@cache
def default_matcher() -> AgencyMatcher:
    """The matcher for the project's vocabulary (read once per process; it is immutable)."""
    return AgencyMatcher(load_agencies())
