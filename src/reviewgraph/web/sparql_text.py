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

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
             | '''(?:[^'\\]|\\.|'(?!''))*'''
             | "(?:[^"\\\n\r]|\\.)*"
             | '(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00B7\u00C0-\uFFFF]*)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?
             :(?:[\w\-:.%\u00B7\u00C0-\uFFFF]|\\.)*)
  | (?P<bnode>_:[\w.\-\u00B7\u00C0-\uFFFF]*)
  | (?P<word>[A-Za-z_][\w]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

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
    return QueryShape(form=form, update_word=update_word, service_at=service_at)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
