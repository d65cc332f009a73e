"""Reading a query's text before it runs: the project's one SPARQL lexer (in Python; the
browser editor has its own in JavaScript).

A small tokenizer that skips strings, IRIs and comments the way the SPARQL grammar does, so
`"SERVICE"`, `<http://x/SERVICE>` and `# SERVICE` are not mistaken for the keyword while
`service <x> {}` in any case is. From it: a query's form and whether it is an update or
federated (`shape_of`, for the endpoint's early, friendly answers), its keywords outside
strings, IRIs and comments (`keywords`, for the external store adapter), its text with strings
and comments blanked (`blank_literals`), the order its variables first appear in (`SELECT *`
keeps it), and its FROM / FROM NAMED clauses (`without_dataset_clauses`).

It is not the only guard: the processes that run queries cannot open a network socket at all
(see web/executor.py), so a query that slipped past this reading still could not connect
anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from reviewgraph.store import QueryForm

# The lexemes, in the order the tokenizer tries them.
_LEXEMES = (
    ("space", r"\s+"),
    ("comment", r"\#[^\n\r]*"),
    ("string", "|".join((r'\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"',
                         r"'''(?:[^'\\]|\\.|'(?!''))*'''",
                         r'"(?:[^"\\\n\r]|\\.)*"',
                         r"'(?:[^'\\\n\r]|\\.)*'"))),
    ("iri", r"""<[^<>"{}|^`\\\x00-\x20]*>"""),
    ("var", r"[?$][\w\u00B7\u00C0-\uFFFF]*"),
    ("pname", r"""(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?
                  :(?:[\w\-:.%\u00B7\u00C0-\uFFFF]|\\.)*"""),
    ("bnode", r"_:[\w.\-\u00B7\u00C0-\uFFFF]*"),
    ("word", r"[A-Za-z_][\w]*"),
    ("other", r"."),
)
_TOKEN = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _LEXEMES),
                    re.VERBOSE | re.DOTALL)
# All the tokenizer reads before a query's first keyword, in one match: any token but a
# word, or the whole word PREFIX or BASE, tried in the tokenizer's order (`other` is any
# character that cannot start a word). For ASCII text, where matching PREFIX and BASE in any
# case is exactly comparing the upper-cased word, the first keyword starts where it ends.
_BEFORE_KEYWORD = re.compile("(?:" + "|".join(
    r"(?i:PREFIX|BASE)(?!\w)" if name == "word" else "[^A-Za-z_]" if name == "other"
    else f"(?:{pattern})" for name, pattern in _LEXEMES) + ")*+", re.VERBOSE | re.DOTALL)

QUERY_FORMS: frozenset[str] = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_WORDS: frozenset[str] = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})


@dataclass(frozen=True)
class QueryShape:
    form: QueryForm | None  # None when the text starts with no query keyword
    update_word: str | None  # the update keyword it starts with, if it is an update
    service_at: tuple[int, int] | None  # (line, column) of a SERVICE keyword, if any


@lru_cache(maxsize=2048)
def shape_of(text: str) -> QueryShape:
    form: QueryForm | None = None
    update_word: str | None = None
    service_at: tuple[int, int] | None = None
    first_word_seen = False
    # Past the first keyword only SERVICE matters, and each word is compared upper-cased, so
    # a text whose upper case holds no "SERVICE" has none: then reading stops at the first
    # keyword (most of a query's text comes after it), which in ASCII text is found in one
    # match. (A lookup through /sparql spent 11 us here reading every token, now 3 us.)
    may_have_service = "SERVICE" in text.upper()
    if not may_have_service and text.isascii():
        first = _TOKEN.match(text, _prologue_end(text))
        word = first.group().upper() if first is not None else None
        return QueryShape(form=word if word in QUERY_FORMS else None,  # type: ignore[arg-type]
                          update_word=word if word in UPDATE_WORDS else None, service_at=None)
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word":
            word = match.group().upper()
        elif kind == "pname":
            # `SERVICE:x` can be read by the real grammar as SERVICE then `:x`; be careful.
            word = match.group().partition(":")[0].upper()
            if not word.startswith("SERVICE"):
                continue
        else:
            continue
        if word.startswith("SERVICE") and service_at is None:
            service_at = _line_column(text, match.start())
        if first_word_seen or word in ("PREFIX", "BASE"):
            continue
        first_word_seen = True
        if word in QUERY_FORMS:
            form = word  # type: ignore[assignment]
        elif word in UPDATE_WORDS:
            update_word = word
        if not may_have_service:
            break
    return QueryShape(form=form, update_word=update_word, service_at=service_at)


def keywords(text: str) -> frozenset[str]:
    """The words of the query outside strings, IRIs and comments, upper-cased; a prefixed
    name's prefix counts as a word too (`SERVICE:x` may be read as SERVICE then `:x`)."""
    found = set()
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word":
            found.add(match.group().upper())
        elif kind == "pname":
            found.add(match.group().partition(":")[0].upper())
    return frozenset(found)


def blank_literals(text: str, *, keep_iris: bool = False) -> str:
    """The text with every string and comment (and IRI, unless `keep_iris`) replaced by a
    space: what is left can be searched for keywords and names."""
    blanked = ("string", "comment") if keep_iris else ("string", "comment", "iri")
    return _TOKEN.sub(lambda m: " " if m.lastgroup in blanked else m.group(), text)


_SELECT_STAR = re.compile(r"(?i:SELECT)(?:\s+(?i:DISTINCT|REDUCED))?\s*\*")


@lru_cache(maxsize=512)
def select_star_order(text: str) -> tuple[str, ...] | None:
    """For a `SELECT *` query, its variable names in the order they first appear in the text
    (`?x` and `$x` are one variable); None for any other query. SPARQL leaves the order of
    `SELECT *` columns to the engine, and Oxigraph sorts them by name; people expect the
    order they wrote."""
    if "*" not in text:
        return None
    start = _prologue_end(text) if text.isascii() else 0
    tokens = _TOKEN.finditer(text, start)
    star = False
    for match in tokens:
        if match.lastgroup == "word":
            star = _SELECT_STAR.match(text, match.start()) is not None
            break
    if not star:
        return None
    order: dict[str, None] = {}
    for match in tokens:
        if match.lastgroup == "var" and len(match.group()) > 1:
            order.setdefault(match.group()[1:], None)
    return tuple(order)


# An IRI token (as the lexer reads one) that has no scheme: a relative IRI.
_RELATIVE_IRI = re.compile(r'<(?![A-Za-z][A-Za-z0-9+.-]*:)[^<>"{}|^`\\\x00-\x20]*>')


def may_have_relative_iri(text: str) -> bool:
    """Whether the text may hold a relative IRI: one regex search, not a full reading, as it
    runs on every query to an external store; a string or comment that looks like one only
    makes the caller add a BASE, which changes nothing for absolute IRIs."""
    return _RELATIVE_IRI.search(text) is not None


def without_dataset_clauses(text: str) -> str | None:
    """The query with its FROM and FROM NAMED clauses removed (blanked, so line and column
    numbers stay), or None when it has none. For a store that lets a query's own FROM win over
    the protocol's dataset (Virtuoso), unlike the standard."""
    pieces: list[tuple[int, int]] = []
    significant = [m for m in _TOKEN.finditer(text) if m.lastgroup not in ("space", "comment")]
    index = 0
    while index < len(significant):
        match = significant[index]
        if match.lastgroup == "word" and match.group().upper() == "FROM":
            end = index + 1
            if end < len(significant) and significant[end].group().upper() == "NAMED":
                end += 1
            if end < len(significant) and significant[end].lastgroup in ("iri", "pname"):
                pieces.append((match.start(), significant[end].end()))
                index = end + 1
                continue
        elif match.lastgroup == "other" and match.group() == "{":
            break  # dataset clauses come before the WHERE clause
        index += 1
    if not pieces:
        return None
    parts, at = [], 0
    for start, end in pieces:
        parts.append(text[at:start])
        parts.append(re.sub(r"[^\n]", " ", text[start:end]))
        at = end
    parts.append(text[at:])
    return "".join(parts)


def _prologue_end(text: str) -> int:
    """Where an ASCII query's first keyword starts (see _BEFORE_KEYWORD; it always matches)."""
    match = _BEFORE_KEYWORD.match(text)
    return match.end() if match is not None else 0


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
