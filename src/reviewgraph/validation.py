"""SHACL validation of a graph against shapes/*.ttl, reported so a person can act on it.

Each result names the entity (its label and IRI), the source page and lines the entity was read
from (through the review's rg:sourceExtract), the property and value at fault, and what is wrong
(the shape's sh:message). Only violations fail; warnings and infos are reported.

pyshacl runs without inference (the shapes target the classes the graph states explicitly),
which keeps validation of a large graph to a single pass over targeted shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SH, SKOS

from reviewgraph.errors import Problem, ReviewGraphError
from reviewgraph.paths import SHAPES_DIR
from reviewgraph.terms import PREFIXES, RG

SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
LABEL_PROPERTIES = (RDFS.label, SKOS.prefLabel, DCTERMS.title)


@dataclass(frozen=True)
class ValidationResult:
    severity: str  # "violation" | "warning" | "info"
    entity: str  # IRI (or blank node id) of the focus node
    label: str | None  # the entity's label, where it has one
    path: str | None  # the property at fault, as a prefixed name ("^p" for an inverse path)
    value: str | None  # the offending value, where there is one
    message: str
    file: str | None = None  # the source page the entity was read from
    line: int | None = None  # its first line there
    last_line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            lines = f"{self.line}" if self.last_line in (None, self.line) else (
                f"{self.line}-{self.last_line}")
            where = f"{self.file}:{lines}: " if self.line else f"{self.file}: "
        name = f"{self.label} <{self.entity}>" if self.label else f"<{self.entity}>"
        detail = ", ".join(part for part in (
            f"property {self.path}" if self.path else None,
            f"value {self.value}" if self.value is not None else None) if part)
        detail = f" ({detail})" if detail else ""
        return f"{where}{self.severity}: {name}: {self.message}{detail}"

    def to_problem(self) -> Problem:
        return Problem(self.message + (f" ({self.path})" if self.path else ""),
                       self.file, self.line, self.label or self.entity)


@dataclass(frozen=True)
class ValidationReport:
    results: tuple[ValidationResult, ...]

    @property
    def violations(self) -> list[ValidationResult]:
        return [result for result in self.results if result.severity == "violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [result for result in self.results if result.severity != "violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def text(self) -> str:
        """The readable report: one line per result, then a summary line."""
        lines = [str(result) for result in self.results]
        summary = (f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s)")
        lines.append(("conforms: " if self.conforms else "does not conform: ") + summary)
        return "\n".join(lines)


@cache
def _shapes_cached(directory: str) -> Graph:
    shapes = Graph()
    files = sorted(Path(directory).glob("*.ttl"))
    if not files:
        raise ReviewGraphError(f"{directory}: no SHACL shapes (*.ttl) found")
    for path in files:
        try:
            shapes.parse(path, format="turtle")
        except Exception as error:  # rdflib raises several syntax error types
            raise ReviewGraphError(f"{path}: cannot read the shapes: {error}") from None
    return shapes


def load_shapes(directory: Path = SHAPES_DIR) -> Graph:
    """Every shapes file in the folder, as one graph (read once per process)."""
    return _shapes_cached(str(directory))


def _curie(term: URIRef) -> str:
    text = str(term)
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        if text.startswith(namespace) and "/" not in text[len(namespace):]:
            return f"{prefix}:{text[len(namespace):]}"
    return f"<{text}>"


def _path_text(results: Graph, path: URIRef | BNode | None) -> str | None:
    if path is None:
        return None
    if isinstance(path, URIRef):
        return _curie(path)
    inverse = results.value(path, SH.inversePath)
    if isinstance(inverse, URIRef):
        return "^" + _curie(inverse)
    return "(complex path)"


def _value_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Literal):
        datatype = f"^^{_curie(value.datatype)}" if value.datatype else ""
        language = f"@{value.language}" if value.language else ""
        return f'"{value}"{language}{datatype}'
    if isinstance(value, URIRef):
        return f"<{value}>"
    return str(value)


class _SourceFinder:
    """Finds where an entity was read: its own source extract, or that of a review that links
    to it (children, learning points, ...)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def extract_of(self, node: object) -> URIRef | None:
        g = self.graph
        if (node, RG.firstLine, None) in g:
            return node  # type: ignore[return-value]
        own = self._extracts(node)
        if own:
            return own[0]
        for review in sorted(g.subjects(None, node)):
            if (review, RDF.type, RG.CaseReview) in g and self._extracts(review):
                return self._extracts(review)[0]
        return None

    def _extracts(self, review: object) -> list[URIRef]:
        # rg:sourceExtract, or failing that the prov:wasDerivedFrom it refines.
        for predicate in (RG.sourceExtract, PROV.wasDerivedFrom):
            found = sorted(e for e in self.graph.objects(review, predicate)
                           if isinstance(e, URIRef) and (e, RG.firstLine, None) in self.graph)
            if found:
                return found
        return []

    def where(self, node: object) -> tuple[str | None, int | None, int | None]:
        extract = self.extract_of(node)
        if extract is None:
            return None, None, None
        g = self.graph
        page = g.value(extract, DCTERMS.isPartOf)
        name = g.value(page, RG.fileName) if page is not None else None
        first, last = g.value(extract, RG.firstLine), g.value(extract, RG.lastLine)

        def number(value: object) -> int | None:
            try:
                return int(str(value)) if value is not None else None
            except ValueError:
                return None

        return (str(name) if name is not None else None), number(first), number(last)


def _label(graph: Graph, node: object) -> str | None:
    for predicate in LABEL_PROPERTIES:
        for value in sorted(graph.objects(node, predicate)):
            if str(value).strip():
                return str(value)
    return None


def validate(graph: Graph, shapes: Graph | None = None) -> ValidationReport:
    """Validate the graph against the project's shapes (or the given ones)."""
    shapes = shapes if shapes is not None else load_shapes()
    _, results, _ = shacl_validate(
        graph,
        shacl_graph=shapes,
        inference="none",
        allow_infos=True,
        allow_warnings=True,
        advanced=False,
        meta_shacl=False,
        js=False,
    )
    finder = _SourceFinder(graph)
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        severity = SEVERITIES.get(results.value(result, SH.resultSeverity), "violation")
        messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
        file, line, last_line = finder.where(focus)
        found.append(ValidationResult(
            severity=severity,
            entity=str(focus),
            label=_label(graph, focus),
            path=_path_text(results, results.value(result, SH.resultPath)),
            value=_value_text(results.value(result, SH.value)),
            message="; ".join(messages) or "does not conform to its shape",
            file=file,
            line=line,
            last_line=last_line,
        ))
    order = {"violation": 0, "warning": 1, "info": 2}
    found.sort(key=lambda r: (order[r.severity], r.file or "", r.line or 0, r.entity,
                              r.path or "", r.message, r.value or ""))
    return ValidationReport(tuple(dict.fromkeys(found)))


def read_graph(path: Path) -> Graph:
    """Read a graph file for `validate` (Turtle, N-Triples or JSON-LD, by its suffix)."""
    formats = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld"}
    fmt = formats.get(path.suffix.lower())
    if fmt is None:
        raise ReviewGraphError(f"{path}: unknown graph format (use .ttl, .nt or .jsonld)")
    if not path.is_file():
        raise ReviewGraphError(f"{path}: no such graph file (run `reviewgraph build` first?)")
    try:
        return Graph().parse(path, format=fmt)
    except Exception as error:  # rdflib raises several syntax error types
        raise ReviewGraphError(f"{path}: cannot read the graph as {fmt}: {error}") from None
