"""`reviewgraph query`: send one query to any SPARQL endpoint (SPARQLWrapper) and print it."""

from __future__ import annotations

import ast
import html
import json
import re
import sys
import urllib.error
import warnings
from pathlib import Path
from typing import TextIO

from SPARQLWrapper import CSV, JSON, JSONLD, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from reviewgraph.errors import ReviewGraphError

GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")
QUERY_FILE_SUFFIXES = (".rq", ".sparql", ".txt")


def read_query(argument: str) -> str:
    """The query text: `@FILE`, a path to an existing .rq/.sparql file, or the text itself."""
    path: Path | None = None
    if argument.startswith("@"):
        path = Path(argument[1:])
    elif argument.endswith(QUERY_FILE_SUFFIXES) and "\n" not in argument:
        path = Path(argument)
    if path is None:
        return argument
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ReviewGraphError(f"{path}: no such query file") from error
    except UnicodeDecodeError as error:
        raise ReviewGraphError(f"{path}: not UTF-8 text (byte {error.start})") from error
    except OSError as error:
        raise ReviewGraphError(f"{path}: cannot read: {error.strerror}") from error


def run_query(argument: str, endpoint: str, output: str, out: TextIO, timeout: float = 60.0
              ) -> int:
    text = read_query(argument)
    if not text.strip():
        raise ReviewGraphError("the query is empty")
    client = SPARQLWrapper(endpoint)
    client.setMethod(POST)  # no URL length limit; SPARQLWrapper sends a form
    client.setTimeout(int(timeout))
    with warnings.catch_warnings():
        # SPARQLWrapper warns (with its file path) of a query form it cannot tell; the
        # endpoint's own message says what is wrong with the query.
        warnings.simplefilter("ignore")
        client.setQuery(text)
    form = client.queryType
    graph = form in GRAPH_FORMS
    if output == "csv" and graph:
        raise ReviewGraphError(f"--format csv is for SELECT and ASK; a {form} query gives "
                               "triples: use --format turtle or json")
    if output == "turtle" and not graph:
        raise ReviewGraphError(f"--format turtle is for CONSTRUCT and DESCRIBE; a {form} "
                               "query gives a table: use --format table, csv or json")
    client.setReturnFormat({"table": TURTLE if graph else JSON, "csv": CSV,
                            "json": JSONLD if graph else JSON, "turtle": TURTLE}[output])
    body = _fetch(client, endpoint)
    if output == "table" and not graph:
        out.write(_table(json.loads(body)))
    elif output == "json" and not graph:
        out.write(json.dumps(json.loads(body), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(body.decode("utf-8"))
        if body and not body.endswith(b"\n"):
            out.write("\n")
    return 0


def _fetch(client: SPARQLWrapper, endpoint: str) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the same, of the answer's format
            response = client.query().response
        body = response.read()
    except SPARQLWrapperException as error:
        # SPARQLWrapper puts the server's message after "Response:"; show just that.
        detail = _concise(_server_message(str(error)), endpoint)
        raise ReviewGraphError(f"{endpoint} refused the query: {detail}") from error
    except urllib.error.HTTPError as error:
        detail = _concise(error.read().decode("utf-8", errors="replace"), endpoint)
        raise ReviewGraphError(f"{endpoint} answered {error.code}: {detail}") from error
    except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise ReviewGraphError(f"cannot reach {endpoint}: {reason} "
                               "(is `reviewgraph serve` running?)") from error
    kind = response.headers.get("Content-Type", "")
    if kind.startswith(("text/html", "application/xhtml")):
        raise ReviewGraphError(f"{endpoint} answered with a web page, not SPARQL results: "
                               f"{_concise(body.decode('utf-8', errors='replace'), endpoint)}")
    truncated = response.headers.get("ReviewGraph-Truncated")
    if truncated:
        print(f"reviewgraph query: warning: results were cut by the server ({truncated})",
              file=sys.stderr)
    return body


MESSAGE_CHARACTERS = 300  # of a server's message shown; the rest is cut
# A parser's list of character ranges it expected (e.g. ['\u{10000}'..='\u{effff}']).
_CHARACTER_RANGES = re.compile(r"(?:\[?'[^']{1,12}'\s*\.\.=?\s*'[^']{1,12}'\]?(?:,\s*)?)+")


def _concise(message: str, endpoint: str) -> str:
    """A server's error body as one readable line: a web page's title (a wrong URL, e.g. not
    the /sparql one), a parser's list of character ranges summed up, and at most
    MESSAGE_CHARACTERS characters."""
    text = message.strip()
    if re.match(r"(?is)\s*(<!doctype html|<html)", text):
        title = re.search(r"(?is)<title>(.*?)</title>", text) or re.search(
            r"(?is)<h1>(.*?)</h1>", text)
        page = html.unescape(re.sub(r"<[^>]+>", "", title.group(1))).strip() if title \
            else "a web page"
        return f"{page} (a web page, not a SPARQL endpoint's answer: is {endpoint} the " \
               "endpoint's URL?)"
    text = _CHARACTER_RANGES.sub("a character of a name, ", text)
    text = " ".join(text.split())
    if len(text) > MESSAGE_CHARACTERS:
        text = text[:MESSAGE_CHARACTERS].rstrip() + " ..."
    return text


def _server_message(message: str) -> str:
    """SPARQLWrapper's exception text ends with "Response:" and the body's repr; decode it."""
    head, marker, body = message.partition("\n\nResponse:\n")
    if not marker:
        return message
    try:
        raw = ast.literal_eval(body.strip())
    except (ValueError, SyntaxError):
        return body.strip()
    return (raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)).strip()


def _cell(term: dict | None) -> str:
    if term is None:
        return ""
    if term["type"] == "literal" and "xml:lang" in term:
        return f'{term["value"]}@{term["xml:lang"]}'
    if term["type"] == "bnode":
        return f'_:{term["value"]}'
    return term["value"]


def _table(document: dict) -> str:
    if "boolean" in document:
        return ("true" if document["boolean"] else "false") + "\n"
    names = document["head"]["vars"]
    rows = [[_cell(b.get(n)) for n in names] for b in document["results"]["bindings"]]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"
