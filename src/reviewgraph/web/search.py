"""Full-text search of the reviews index: which reviews hold every word of a query.

A review's searchable text is its title, summary, learning points, recommendations and
background, and the labels (preferred and alternative) of its keywords, learning themes,
locality and agencies, so a topic typed as a search finds every review that has it as a
keyword or theme, and the reviews whose text mentions it too.

Words are compared case-insensitively and by stem (the Snowball English stemmer, Porter 2:
"infants" and "infant" are one stem, so are "death" and "deaths"; "died" and "dead" are
joined to "death" by hand, the stemmer cannot); a query word also matches
the words it begins ("safeg" finds "safeguarding"), so the search box works as you type.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 12  # words of a query that count
# Above this many words matched by one query word, highlighting marks every word it begins.
_MAX_HIGHLIGHTED_FORMS = 200

_STEMMER = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()  # a Snowball stemmer keeps its state while it works


def words(text: str) -> list[str]:
    """The words of a text, case-folded."""
    return _WORD.findall(text.casefold())


# Irregular forms the stemmer does not join, as one stem: "infant death" finds "Eli died".
_SAME_STEM = {"die": "death", "dy": "death", "dead": "death"}


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The English stem of a case-folded word ("infants" -> "infant", "died" -> "death")."""
    with _STEMMER_LOCK:
        found = str(_STEMMER.stemWord(word))
    return _SAME_STEM.get(found, found)


def query_terms(query: str) -> list[str]:
    """The distinct words of a query that count, in order."""
    return list(dict.fromkeys(words(query)))[:MAX_TERMS]


def stems_of(text: str) -> tuple[str, ...]:
    """The stems of a text's words, in order (how a label is compared with a query)."""
    return tuple(stem(word) for word in words(text))


class SearchIndex:
    """Which documents (bit i: document i) hold each word, findable by the word's stem or by
    its beginning."""

    def __init__(self, documents: Sequence[Iterable[str]]) -> None:
        postings: dict[str, int] = {}
        for position, texts in enumerate(documents):
            bit = 1 << position
            for word in set(words(" ".join(texts))):
                postings[word] = postings.get(word, 0) | bit
        self._postings = postings
        self._vocabulary = sorted(postings)
        self._by_stem: dict[str, list[str]] = {}
        for word in self._vocabulary:
            self._by_stem.setdefault(stem(word), []).append(word)
        self.everything = (1 << len(documents)) - 1

    def forms(self, term: str) -> list[str]:
        """The indexed words a query word matches: those with its stem, and those it begins."""
        found = dict.fromkeys(self._by_stem.get(stem(term), ()))
        start = bisect.bisect_left(self._vocabulary, term)
        for word in self._vocabulary[start:]:
            if not word.startswith(term):
                break
            found[word] = None
        return list(found)

    def search(self, query: str) -> tuple[int, list[str]]:
        """The documents holding every word of the query (as a bit set), and its words."""
        terms = query_terms(query)
        members = self.everything
        for term in terms:
            matched = 0
            for word in self.forms(term):
                matched |= self._postings[word]
            members &= matched
            if not members:
                break
        return members, terms

    def pattern(self, terms: Sequence[str]) -> re.Pattern[str] | None:
        """A regular expression finding, in a text, the words the query words matched."""
        alternatives: list[str] = []
        for term in terms:
            forms = self.forms(term)
            if len(forms) > _MAX_HIGHLIGHTED_FORMS:
                alternatives.append(re.escape(term) + r"[^\W_]*")
            else:
                alternatives += [re.escape(form) for form in forms]
        if not alternatives:
            return None
        alternatives.sort(key=len, reverse=True)  # the longest form first
        return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])",
                          re.IGNORECASE)
