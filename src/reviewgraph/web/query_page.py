"""The query page: an editor, the example library and results, at /sparql for browsers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request

from reviewgraph.terms import PREFIXES

EXAMPLES_DIR = Path(__file__).parent / "queries" / "examples"
blueprint = Blueprint("query_page", __name__)


@dataclass(frozen=True)
class Example:
    name: str  # file stem, used in URLs
    title: str
    description: str
    text: str


def read_example(path: Path) -> Example:
    """An example query file: '# title: ...' and '# description: ...' header comments."""
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        content = line[1:].strip()
        key, colon, value = content.partition(":")
        if colon and key.strip().lower() in ("title", "description"):
            current = key.strip().lower()
            fields[current] = value.strip()
        elif current and content:
            fields[current] += " " + content
    if "title" not in fields or "description" not in fields:
        raise ValueError(f"{path}: an example needs '# title:' and '# description:' lines")
    return Example(path.stem, fields["title"], fields["description"], text)


@cache
def examples() -> tuple[Example, ...]:
    return tuple(read_example(p) for p in sorted(EXAMPLES_DIR.glob("*.rq")))


@blueprint.get("/sparql")
def query_page() -> str:
    service = current_app.extensions["reviewgraph"]
    prefixes = current_app.extensions["reviewgraph.pages"].iris.page_prefixes()
    return render_template(
        "query.html",
        title="Query with SPARQL",
        alternates=[], queries=[], jsonld=None,  # the site's base template asks for these
        query=request.args.get("query", ""),
        examples=[e.__dict__ for e in examples()],
        prefixes=PREFIXES,
        settings=service.settings,
        triple_count=service.triple_count.value,  # None: not yet counted
        # The graph's own IRIs link to this site's pages wherever it runs (root-relative).
        page_prefixes={iri: request.script_root + path for iri, path in prefixes.items()},
    )


@blueprint.get("/sparql/examples/<name>.rq")
def example_file(name: str) -> Response:
    for example in examples():
        if example.name == name:
            return Response(example.text, mimetype="application/sparql-query")
    abort(404)
