"""The pages' SPARQL: named `.rq` files bound to an entity, run on the store's page source.

Every SPARQL query a page runs lives in `queries/pages/*.rq`; each page links to the queries
behind it, bound to the page's entity, opened in the query editor at /sparql. `Sparql` runs
them through the store's `PageSource` (pyoxigraph's own answers: the embedded store answers
directly, the fast path) and turns rows into dicts of Iri / Text / Blank values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

import pyoxigraph

from reviewgraph.store import PageSource
from reviewgraph.web.collection import Iri

WEB_DIR = Path(__file__).resolve().parent
QUERIES_DIR = WEB_DIR / "queries" / "pages"

_VALUES_THIS = "VALUES ?this { UNDEF }"
_VALUES_PROPERTY = "VALUES ?property { UNDEF }"
# Placeholder IRIs bound into a query's text once, then replaced by the entity's IRI.
_THIS_MARK = "urn:x-reviewgraph-bind:this"
_PROPERTY_MARK = "urn:x-reviewgraph-bind:property"
_THIS_MARK_ENCODED = "urn%3Ax-reviewgraph-bind%3Athis"


# --- query results as Python values ---------------------------------------------------------
class Text(str):
    """A literal from query results: its lexical form, with language and datatype."""

    __slots__ = ("language", "datatype")

    language: str | None
    datatype: str | None

    def __new__(cls, value: str, language: str | None = None,
                datatype: str | None = None) -> Text:
        text = super().__new__(cls, value)
        text.language = language
        text.datatype = datatype
        return text


class Blank(str):
    """A blank node from query results."""

    __slots__ = ()


Value = Iri | Text | Blank


def _convert(term: Any) -> Value | None:
    kind = type(term)
    if kind is pyoxigraph.NamedNode:
        return Iri(term.value)
    if kind is pyoxigraph.Literal:
        language = term.language
        if language:
            return Text(term.value, language, None)
        return Text(term.value, None, term.datatype.value)
    if term is None:
        return None
    if kind is pyoxigraph.BlankNode:
        return Blank(term.value)
    return Text(str(term))


class Sparql:
    """Runs the pages' queries on a store's `PageSource` and turns rows into dicts of
    Iri / Text values."""

    def __init__(self, source: PageSource) -> None:
        self._source = source

    def select(self, text: str) -> list[dict[str, Value | None]]:
        solutions = self._source.page_query(text)
        if not isinstance(solutions, pyoxigraph.QuerySolutions):
            raise TypeError("a page's SELECT query gave no solutions")
        names = [variable.value for variable in solutions.variables]
        # A solution iterates over its values in the order of `variables` (much cheaper than
        # looking each one up by name).
        return [dict(zip(names, map(_convert, solution), strict=True))
                for solution in solutions]

    def construct(self, text: str) -> list[pyoxigraph.Triple]:
        answer = self._source.page_query(text)
        if isinstance(answer, (pyoxigraph.QuerySolutions, pyoxigraph.QueryBoolean, bool)):
            raise TypeError("a page's CONSTRUCT query gave no triples")
        return list(answer)

    def triples(self) -> Iterable[pyoxigraph.Triple]:
        """Every triple of the default graph (for the whole-graph downloads without a build)."""
        return self._source.default_graph_triples()


class PageQueries:
    """The named .rq files. Each names the entity it is about `?this` and declares it unbound
    (`VALUES ?this { UNDEF }`, so the file runs as it is). Binding writes the entity's IRI in
    place of the variable, or, in files marked `# binding: values`, into the VALUES line;
    the query editor shows the bound text. Oxigraph plans each file best one way or the
    other (entity-data: 0.6 ms inlined against 250 ms in VALUES; concept-reviews: 6 ms in
    VALUES against 3.7 s inlined), so each file says which."""

    def __init__(self, folder: Path = QUERIES_DIR) -> None:
        self.texts = {path.stem: path.read_text(encoding="utf-8")
                      for path in sorted(folder.glob("*.rq"))}
        # Bound texts with placeholder IRIs, per (name, what is bound, paging): binding an
        # entity is then one str.replace instead of regular expressions over the file.
        self._templates: dict[tuple[str, bool, bool, int | None, int | None], str] = {}
        self._links: dict[str, str] = {}

    def bind(self, name: str, this: str | None = None, prop: str | None = None,
             limit: int | None = None, offset: int | None = None) -> str:
        text = self._template(name, this is not None, prop is not None, limit, offset)
        if this is not None:
            text = text.replace(_THIS_MARK, safe_iri(this))
        if prop is not None:
            text = text.replace(_PROPERTY_MARK, safe_iri(prop))
        return text

    def bind_values(self, name: str, variable: str, iris: Iterable[str]) -> str:
        """`name` with its `VALUES ?variable { UNDEF }` line listing `iris` instead: a page of
        entities chosen by the site (one page of an agency's recommendations)."""
        declaration = f"VALUES ?{variable} {{ UNDEF }}"
        text = self.texts[name]
        if declaration not in text:
            raise ValueError(f"{name}.rq has no line {declaration!r} to bind")
        listed = " ".join(f"<{safe_iri(iri)}>" for iri in iris)
        return text.replace(declaration, f"VALUES ?{variable} {{ {listed} }}")

    def link(self, name: str, this: str | None = None) -> str:
        """`query=...` (form-encoded) for the editor link of `name` bound to `this`."""
        encoded = self._links.get(name)
        if encoded is None:
            encoded = urlencode({"query": self._template(name, True, False, None, None)})
            self._links[name] = encoded
        if this is None:
            return urlencode({"query": self.bind(name)})
        # Form encoding is character by character, so the placeholder's encoding can be
        # swapped for the entity's.
        return encoded.replace(_THIS_MARK_ENCODED, quote_plus(safe_iri(this)))

    def _template(self, name: str, this: bool, prop: bool, limit: int | None,
                  offset: int | None) -> str:
        key = (name, this, prop, limit, offset)
        text = self._templates.get(key)
        if text is None:
            text = self._bind_text(self.texts[name], _THIS_MARK if this else None,
                                   _PROPERTY_MARK if prop else None, limit, offset)
            if len(self._templates) > 10_000:  # offsets come from requests: stay bounded
                self._templates.clear()
            self._templates[key] = text
        return text

    @staticmethod
    def _bind_text(text: str, this: str | None, prop: str | None, limit: int | None,
                   offset: int | None) -> str:
        in_values = "# binding: values" in text
        if this is not None:
            text = _bind(text, _VALUES_THIS, "this", this, in_values)
        if prop is not None:
            text = _bind(text, _VALUES_PROPERTY, "property", prop, in_values)
        if limit is not None:
            # The file's (first) LIMIT is the page size; a file without one pages at the end.
            paging = f"LIMIT {int(limit)}" + (f" OFFSET {int(offset)}" if offset else "")
            text, found = re.subn(r"\bLIMIT \d+(?: OFFSET \d+)?", paging, text, count=1)
            if not found:
                text = text.rstrip() + "\n" + paging + "\n"
        return text


def _bind(text: str, declaration: str, variable: str, iri: str, in_values: bool) -> str:
    if declaration not in text:
        return text
    if in_values:
        return text.replace(declaration, f"VALUES ?{variable} {{ <{safe_iri(iri)}> }}")
    text = re.sub(r"[ \t]*" + re.escape(declaration) + r"[ \t]*\n?", "", text)
    return re.sub(r"\?" + variable + r"\b", lambda _: f"<{safe_iri(iri)}>", text)


def safe_iri(iri: str) -> str:
    # IRIs we bind come from the graph or from a checked local path; refuse anything that
    # could end the IRI reference early.
    if any(c in iri for c in '<>"{}|^`\\ \n\r\t'):
        raise ValueError(f"unsafe IRI {iri!r}")
    return iri

