"""Writing a query's answer in the negotiated format, cut at the row cap (never silently).

Solutions are read one at a time up to the cap plus one, so the cap bounds the work and the
memory and we know whether anything was cut. Graph results go through pyoxigraph's own
writers; SELECT/ASK results are written here (pyoxigraph's writers only take a whole result).
An external store's SPARQL JSON that needs no change (`QueryResult.results_json`) is passed
on as it is when JSON is asked for and its rows are within the cap.
"""

from __future__ import annotations

import json
from itertools import islice
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from reviewgraph.store import QueryResult

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

GRAPH_WRITERS = {
    "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML,
    "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
}


def truncation_note(max_rows: int) -> str:
    return (f"Results cut at the row limit of {max_rows}: there are more. "
            "Add LIMIT and OFFSET (with ORDER BY) to page through them.")


def write(result: QueryResult, fmt: str, max_rows: int,
          prefixes: dict[str, str] | None = None) -> tuple[bytes, bool, int]:
    """(body, truncated, rows) for `result` in format `fmt` (a conneg Format name)."""
    if fmt == "json" and result.results_json is not None and result.rows <= max_rows:
        return result.results_json, False, result.rows  # the store's own answer, as it is
    if result.boolean is not None:
        return _boolean(result.boolean, fmt), False, 1
    if result.triples is not None:
        triples = list(islice(result.triples, max_rows + 1))
        truncated = len(triples) > max_rows
        del triples[max_rows:]
        return _graph(triples, fmt, truncated, max_rows, prefixes), truncated, len(triples)
    rows = [tuple(solution) for solution in islice(result.solutions or (), max_rows + 1)]
    truncated = len(rows) > max_rows
    del rows[max_rows:]
    writer = {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv}[fmt]
    return writer(result.variables, rows, truncated, max_rows), truncated, len(rows)


# --- SELECT -----------------------------------------------------------------------------------
def _json_term(term) -> dict:
    kind = type(term)
    if kind is ox.NamedNode:
        return {"type": "uri", "value": term.value}
    if kind is ox.Literal:
        if term.language:
            return {"type": "literal", "value": term.value, "xml:lang": term.language}
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return {"type": "literal", "value": term.value}
        return {"type": "literal", "value": term.value, "datatype": datatype}
    if kind is ox.BlankNode:
        return {"type": "bnode", "value": term.value}
    return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                        "predicate": _json_term(term.predicate),
                                        "object": _json_term(term.object)}}


def _json(variables: list[str], rows: list[tuple], truncated: bool, max_rows: int) -> bytes:
    bindings = [
        {name: _json_term(value) for name, value in zip(variables, row, strict=True)
         if value is not None}
        for row in rows
    ]
    document: dict = {"head": {"vars": variables}, "results": {"bindings": bindings}}
    if truncated:
        # Extra top-level members are ignored by SPARQL JSON readers; people see them.
        document["truncated"] = True
        document["note"] = truncation_note(max_rows)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _xml_term(term) -> str:
    kind = type(term)
    if kind is ox.NamedNode:
        return f"<uri>{escape(term.value)}</uri>"
    if kind is ox.Literal:
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value == XSD_STRING:
            return f"<literal>{escape(term.value)}</literal>"
        return (f"<literal datatype={quoteattr(term.datatype.value)}>"
                f"{escape(term.value)}</literal>")
    if kind is ox.BlankNode:
        return f"<bnode>{escape(term.value)}</bnode>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>")


_XML_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n')


def _xml(variables: list[str], rows: list[tuple], truncated: bool, max_rows: int) -> bytes:
    parts = [_XML_HEAD]
    if truncated:
        parts.append(f"<!-- {escape(truncation_note(max_rows))} -->\n")
    parts.append("<head>")
    parts.extend(f"<variable name={quoteattr(name)}/>" for name in variables)
    parts.append("</head>\n<results>\n")
    for row in rows:
        parts.append("<result>")
        for name, value in zip(variables, row, strict=True):
            if value is not None:
                parts.append(f"<binding name={quoteattr(name)}>{_xml_term(value)}</binding>")
        parts.append("</result>\n")
    parts.append("</results>\n</sparql>\n")
    return "".join(parts).encode()


def _csv_value(term) -> str:
    if term is None:
        return ""
    text = f"_:{term.value}" if type(term) is ox.BlankNode else (
        str(term) if type(term) is ox.Triple else term.value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv(variables: list[str], rows: list[tuple], truncated: bool, max_rows: int) -> bytes:
    lines = [",".join(variables)]
    lines.extend(",".join(_csv_value(value) for value in row) for row in rows)
    return ("\r\n".join(lines) + "\r\n").encode()


def _tsv(variables: list[str], rows: list[tuple], truncated: bool, max_rows: int) -> bytes:
    # TSV writes terms in SPARQL/Turtle syntax; str() of a pyoxigraph term is exactly that.
    lines = ["\t".join(f"?{name}" for name in variables)]
    lines.extend("\t".join("" if value is None else str(value) for value in row)
                 for row in rows)
    return ("\n".join(lines) + "\n").encode()


# --- ASK --------------------------------------------------------------------------------------
def _boolean(value: bool, fmt: str) -> bytes:
    text = "true" if value else "false"
    if fmt == "json":
        return f'{{"head":{{}},"boolean":{text}}}'.encode()
    if fmt == "xml":
        return f"{_XML_HEAD}<head/>\n<boolean>{text}</boolean>\n</sparql>\n".encode()
    return f"{text}\n".encode()  # CSV/TSV have no boolean form; Oxigraph and Jena write this


# --- CONSTRUCT / DESCRIBE ---------------------------------------------------------------------
def _graph(triples: list, fmt: str, truncated: bool, max_rows: int,
           prefixes: dict[str, str] | None) -> bytes:
    rdf_format = GRAPH_WRITERS[fmt]
    if rdf_format.supports_datasets:
        triples = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    options: dict[str, Any] = {}
    if prefixes and fmt in ("turtle", "trig", "rdfxml"):
        options["prefixes"] = prefixes
    body = ox.serialize(triples, format=rdf_format, **options) or b""
    if truncated:
        note = truncation_note(max_rows)
        if fmt in ("turtle", "ntriples", "nquads", "trig"):
            body = f"# {note}\n".encode() + body
        elif fmt == "rdfxml":
            declaration, newline, rest = body.partition(b"\n")
            body = declaration + newline + f"<!-- {escape(note)} -->\n".encode() + rest
        # JSON-LD has no comments and any extra member would be data: the header says it.
    return body
