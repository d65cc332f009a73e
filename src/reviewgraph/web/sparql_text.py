"""Reading a query's text before it runs: its form, and whether it is an update or federated.

A small tokenizer that skips strings, IRIs and comments the way the SPARQL grammar does, so
`"SERVICE"`, `<http://x/SERVICE>` and `# SERVICE` are not mistaken for the keyword while
`service <x> {}` in any case is. It gives friendly, early answers (the right 4xx, the right
result formats to negotiate); it is not the only guard: the processes that run queries cannot
open a network socket at all (see executor.py), so a query that slipped past this reading
still could not connect anywhere.
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
        first = _TOKEN.match(text, _BEFORE_KEYWORD.match(text).end())
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


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
