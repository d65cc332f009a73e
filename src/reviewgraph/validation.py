"""SHACL validation of a graph against shapes/*.ttl, reported so a person can act on it.

Each result names the entity (its label and IRI), the source page and lines the entity was read
from (through the review's rg:sourceExtract), the property and value at fault, and what is wrong
(the shape's sh:message). Only violations fail; warnings and infos are reported.

pyshacl runs without inference (the shapes target the classes the graph states explicitly),
which keeps validation of a large graph to a single pass over targeted shapes.

Validation at scale keeps every shape and changes only how pyshacl is driven:

- Lifted property shapes (`executable_shapes`). pyshacl checks a node shape's sh:property
  shapes once per focus node, building every constraint anew each time; a property shape
  that carries the node shape's targets itself is checked once for all of them. The SHACL
  meaning is the same (a property shape of a node shape applies to exactly the node shape's
  focus nodes; results name the same focus node, path, value, message and source shape), and
  a closed node shape keeps the property paths it allowed as sh:ignoredProperties.
- Partitioned, parallel validation (`validate_triples`). Every node of a review's own parts
  (the classes in REVIEW_PART_CLASSES) is joined to the nodes it links to or is linked from
  among those parts, so a review, its children, incident, learning points, recommendations,
  report and source extract form one group (a link between two reviews' parts merges their
  groups: cross-review constraints such as "a child is concerned by exactly one review" see
  both). Everything else (vocabularies, places, agencies, source pages, the dataset) is
  shared. Batches of groups are validated together with all shared triples, in worker
  processes; the union of the batches is the whole graph, every triple of or about a part
  node lies in its batch, and the types of whatever it links to are in its batch or shared,
  so each focus node is checked against exactly what a whole-graph run would see. This holds
  for shapes that look one step from the focus node (predicate and inverse paths, value
  type, datatype, pattern, cardinality, class, closed, or-of-value-checks): `_partition_safe`
  checks that of the shapes, and anything else is validated as one graph.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection as RDFList
from rdflib.namespace import DCTERMS, PROV, SH, SKOS

from reviewgraph.errors import Problem, ReviewGraphError
from reviewgraph.paths import SHAPES_DIR
from reviewgraph.terms import PREFIXES, RG

SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
LABEL_PROPERTIES = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
# The classes of a review's own parts: nodes of these classes are validated in their review's
# group; every other node is shared (validated with every group).
REVIEW_PART_CLASSES = frozenset({
    RG.CaseReview, RG.Child, RG.Incident, RG.LearningPoint, RG.Recommendation,
    RG.ReportDocument, RG.SourceExtract,
})
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# Shape parameters that look no further than the focus node, its values along a predicate or
# inverse path, and the values' types: what the partition keeps together (see the docstring).
PARTITION_SAFE_PARAMETERS = frozenset({
    RDF.type, RDFS.label, RDFS.comment, SH.path, SH.inversePath, SH.property, SH.targetClass,
    SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.nodeKind, SH.closed,
    SH.ignoredProperties, SH.message, SH.severity, SH.name, SH.description, SH.minCount,
    SH.maxCount, SH.datatype, SH.pattern, SH.flags, SH["class"], SH["in"], SH.hasValue,
    SH["or"], SH.minLength, SH.maxLength, SH.minInclusive, SH.maxInclusive, SH.minExclusive,
    SH.maxExclusive, SH.lessThan, SH.lessThanOrEquals, SH.equals, SH.disjoint,
    SH.languageIn, SH.uniqueLang, SH.deactivated, RDF.first, RDF.rest,
})
# Groups (reviews) per pyshacl call: large enough that the shared triples validated with
# each batch cost little, small enough that a batch graph stays small.
BATCH_REVIEWS = 1000
# Below this many triples, one pyshacl call in this process beats starting workers.
PARALLEL_FROM_TRIPLES = 60_000

Triple = tuple[object, object, object]


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


def executable_shapes(shapes: Graph) -> Graph:
    """The same shapes with each node shape's property shapes lifted to carry its targets
    (see the module docstring): same constraints, same results, checked in one pass per
    property shape instead of once per focus node."""
    lifted = Graph()
    for triple in shapes:
        lifted.add(triple)
    for node in sorted(set(shapes.subjects(SH.property, None)), key=str):
        targets = [(p, o) for p in TARGETS for o in shapes.objects(node, p)]
        if not targets:
            continue  # reached only through other shapes: leave as written
        properties = sorted(shapes.objects(node, SH.property), key=str)
        if any(len(set(shapes.subjects(SH.property, prop))) != 1 for prop in properties):
            continue  # a property shape shared by several node shapes: leave as written
        if (node, SH.closed, Literal(True)) in shapes:
            # sh:closed allows the predicate paths of the node's property shapes: keep them
            # allowed explicitly once the property shapes no longer hang off the node.
            ignored_list = shapes.value(node, SH.ignoredProperties)
            ignored = list(RDFList(shapes, ignored_list)) if ignored_list is not None else []
            ignored += sorted({path for prop in properties
                               if isinstance(path := shapes.value(prop, SH.path), URIRef)},
                              key=str)
            lifted.remove((node, SH.ignoredProperties, None))
            head = BNode()
            RDFList(lifted, head, list(dict.fromkeys(ignored)))
            lifted.add((node, SH.ignoredProperties, head))
        for prop in properties:
            lifted.remove((node, SH.property, prop))
            for predicate, target in targets:
                lifted.add((prop, predicate, target))
    return lifted


@cache
def _executable_cached(directory: str) -> tuple[Graph, bool]:
    shapes = _shapes_cached(directory)
    return executable_shapes(shapes), _partition_safe(shapes)


def _partition_safe(shapes: Graph) -> bool:
    """True if every shape only looks one step from its focus node (module docstring)."""
    if not all(p in PARTITION_SAFE_PARAMETERS for p in shapes.predicates(None, None)
               if str(p).startswith(str(SH))):
        return False
    # The members of an sh:or test the value itself; one with a path would look further.
    for members in shapes.objects(None, SH["or"]):
        for member in RDFList(shapes, members):
            if (member, SH.path, None) in shapes or (member, SH.property, None) in shapes:
                return False
    return True


@dataclass(frozen=True)
class Partition:
    """A graph split for validation: triples shared by every batch, and groups of triples of
    review parts (normally one review and its parts each), in a fixed order."""

    shared: list[Triple]
    groups: list[list[Triple]]

    def batches(self, size: int = BATCH_REVIEWS) -> list[list[Triple]]:
        """The groups' triples, `size` groups a batch."""
        return [[t for group in self.groups[start:start + size] for t in group]
                for start in range(0, len(self.groups), size)]


def partition(triples: Iterable[Triple]) -> Partition:
    """Split the triples into shared triples and groups of review parts (module docstring)."""
    triples = list(triples)
    parts = {s for s, p, o in triples if p == RDF.type and o in REVIEW_PART_CLASSES}
    parent: dict[object, object] = {}

    def root(node: object) -> object:
        while (up := parent.get(node, node)) is not node:
            parent[node] = parent.get(up, up)  # path halving
            node = up
        return node

    for s, _, o in triples:
        if s in parts and o in parts and s != o:
            a, b = root(s), root(o)
            if a is not b:
                # The smaller IRI leads the group, so the order does not depend on the input.
                if str(b) < str(a):
                    a, b = b, a
                parent[b] = a
    shared: list[Triple] = []
    groups: dict[object, list[Triple]] = {}
    for triple in triples:
        subject = triple[0]
        if subject in parts:
            groups.setdefault(root(subject), []).append(triple)
        else:
            # Shared triples go with every batch, including any from a shared node to a part.
            shared.append(triple)
    return Partition(shared, [groups[key] for key in sorted(groups, key=str)])


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


def validate(
    graph: Graph,
    shapes: Graph | None = None,
    workers: int | None = None,
    batch_reviews: int = BATCH_REVIEWS,
) -> ValidationReport:
    """Validate the graph against the project's shapes (or the given ones)."""
    return validate_triples(graph, shapes, workers, batch_reviews)


def validate_triples(
    triples: Collection[Triple],
    shapes: Graph | None = None,
    workers: int | None = None,
    batch_reviews: int = BATCH_REVIEWS,
) -> ValidationReport:
    """Validate a graph given as triples (or an rdflib Graph).

    Large graphs (or any graph when `workers` is given) are validated in batches of
    `batch_reviews` review groups, in `workers` processes (default: one per core), as the
    module docstring explains; small ones in one pyshacl call here."""
    if shapes is None:
        executable, safe = _executable_cached(str(SHAPES_DIR))
    else:
        executable, safe = executable_shapes(shapes), _partition_safe(shapes)
    parallel = workers is not None or len(triples) >= PARALLEL_FROM_TRIPLES
    if not parallel or not safe:
        return _report(_validate_batch(triples, executable))
    split = partition(triples)
    batches = split.batches(batch_reviews) or [[]]
    workers = workers or os.cpu_count() or 1
    workers = max(1, min(workers, len(batches)))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        found = [r for batch in batches
                 for r in _validate_batch([*split.shared, *batch], executable)]
        return _report(_shared_sources(found, split))
    # Forked workers inherit the batches and shapes (nothing is pickled on the way in); each
    # returns its readable results.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_init_worker,
                             initargs=(split.shared, batches, executable)) as pool:
        found = [r for results in pool.map(_validate_batch_number, range(len(batches)))
                 for r in results]
    return _report(_shared_sources(found, split))


def _shared_sources(found: list[ValidationResult], split: Partition) -> list[ValidationResult]:
    """Results about shared nodes (a source page, a keyword) with the source lines a
    whole-graph run gives them: each batch saw only its own reviews linking to the node, so
    find the lines again over every review (rarely needed: only for a failing graph)."""
    parts = {s for group in split.groups for s, _, _ in group}
    shared_focus = {r.entity for r in found if URIRef(r.entity) not in parts}
    if not shared_focus:
        return found
    # The triples the source finder follows: links to the nodes, the linking nodes' triples,
    # their extracts' and the extracts' pages'.
    everything = [*split.shared, *(t for group in split.groups for t in group)]
    wanted = {URIRef(entity) for entity in shared_focus}
    graph = Graph()
    for _ in range(3):
        step = [t for t in everything if t[0] in wanted or t[2] in wanted]
        graph.addN((s, p, o, graph) for s, p, o in step)
        wanted = {term for t in step for term in (t[0], t[2]) if isinstance(term, URIRef)}
    finder = _SourceFinder(graph)
    fixed = []
    for result in found:
        if result.entity in shared_focus:
            file, line, last_line = finder.where(URIRef(result.entity))
            result = replace(result, file=file, line=line, last_line=last_line)
        fixed.append(result)
    return fixed


# What a forked worker validates: set once per worker process by _init_worker, read by
# _validate_batch_number (a process pool passes work to a worker function by name only).
_WORK: dict[str, object] = {}


def _init_worker(shared: list[Triple], batches: list[list[Triple]], shapes: Graph) -> None:
    _WORK.update(shared=shared, batches=batches, shapes=shapes)


def _validate_batch_number(number: int) -> list[ValidationResult]:
    batch = _WORK["batches"][number]  # type: ignore[index]
    return _validate_batch([*_WORK["shared"], *batch], _WORK["shapes"])  # type: ignore[misc]


def _validate_batch(triples: Iterable[Triple], shapes: Graph) -> list[ValidationResult]:
    if isinstance(triples, Graph):
        graph = triples
    else:
        graph = Graph()
        graph.addN((s, p, o, graph) for s, p, o in triples)
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
    return found


def _report(found: Sequence[ValidationResult]) -> ValidationReport:
    order = {"violation": 0, "warning": 1, "info": 2}
    ordered = sorted(found, key=lambda r: (order[r.severity], r.file or "", r.line or 0,
                                           r.entity, r.path or "", r.message, r.value or ""))
    return ValidationReport(tuple(dict.fromkeys(ordered)))


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
