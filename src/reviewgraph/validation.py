"""SHACL validation of a graph against shapes/*.ttl, reported so a person can act on it.

Each result names the entity (its label and IRI), the source page and lines the entity was read
from (through the review's rg:sourceExtract), the property and value at fault, and what is wrong
(the shape's sh:message). Only violations fail; warnings and infos are reported.

pyshacl runs without inference (the shapes target the classes the graph states explicitly),
which keeps validation of a large graph to a single pass over targeted shapes.

Two engines give the same report (tests/test_validation.py runs every case through both):

- The fast engine (`validate_fast`, the default, used by `reviewgraph build`, `add` and
  `validate`) compiles the SHACL Core subset the shapes use (class targets, predicate and
  inverse paths, min/maxCount, datatype, nodeKind, pattern, class, in, hasValue,
  min/maxInclusive, min/maxLength, lessThanOrEquals, or of value tests, closed with
  ignoredProperties, message, severity) into plain checks over a subject -> predicate ->
  values index of the triples, evaluated as pyshacl evaluates them. SHACL-SPARQL constraints
  (sh:sparql with sh:select, on a node shape with targets) run once each in an in-memory
  Oxigraph store holding the triples of the predicates the query names, with $this unbound;
  the rows whose $this is a focus node are the results (the same as pre-binding $this to each
  focus node, for queries whose every solution binds $this through the pattern, as the
  project's do). A shape using anything else is validated by pyshacl (never skipped); so is
  the whole graph when a result involves a blank node. For a large graph the compiled shapes
  run in two halves, one in a forked process.
- pyshacl (`engine="pyshacl"`), the reference, driven as below. It parses a SPARQL
  constraint's query once per focus node; the graph handed to it parses each query text once.

Validation at scale with pyshacl keeps every shape and changes only how pyshacl is driven:

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
import pickle
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, TypeAlias

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from pyshacl.rdfutil.compare import compare_literal
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection as RDFList
from rdflib.namespace import DCTERMS, PROV, SH, SKOS
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from reviewgraph.errors import Problem, ReviewGraphError
from reviewgraph.paths import SHAPES_DIR
from reviewgraph.terms import RG, curie

SEVERITIES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
LABEL_PROPERTIES = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
# The classes of a review's own parts: nodes of these classes are validated in their review's
# group; every other node is shared (validated with every group).
REVIEW_PART_CLASSES = frozenset({
    RG.CaseReview, RG.Child, RG.Incident, RG.LearningPoint, RG.Recommendation,
    RG.ReportDocument, RG.SourceExtract, RG.ReviewVersion,
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

# An rdflib term (URIRef, BNode, Literal): rdflib's Node has no order, which sorted() needs,
# and the graphs hold mixed terms, so the terms and the triples the checks pass around are Any.
RdfTerm: TypeAlias = Any
Triple = tuple[RdfTerm, RdfTerm, RdfTerm]


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
    """A CURIE for a report's text; an IRI with none, in <...>."""
    text = curie(str(term))
    return f"<{text}>" if text == str(term) else text


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

    def extract_of(self, node: RdfTerm) -> URIRef | None:
        g = self.graph
        if (node, RG.firstLine, None) in g:
            return node  # type: ignore[return-value]
        own = self._extracts(node)
        if own:
            return own[0]
        for review in sorted(g.subjects(None, node)):  # type: ignore[type-var]
            if (review, RDF.type, RG.CaseReview) in g and self._extracts(review):
                return self._extracts(review)[0]
        return None

    def _extracts(self, review: RdfTerm) -> list[URIRef]:
        # rg:sourceExtract, or failing that the prov:wasDerivedFrom it refines.
        for predicate in (RG.sourceExtract, PROV.wasDerivedFrom):
            found = sorted(e for e in self.graph.objects(review, predicate)
                           if isinstance(e, URIRef) and (e, RG.firstLine, None) in self.graph)
            if found:
                return found
        return []

    def where(self, node: RdfTerm) -> tuple[str | None, int | None, int | None]:
        extract = self.extract_of(node)
        if extract is None:
            return None, None, None
        g = self.graph
        page = g.value(extract, DCTERMS.isPartOf)
        name = g.value(page, RG.fileName) if page is not None else None
        first, last = g.value(extract, RG.firstLine), g.value(extract, RG.lastLine)

        def number(value: RdfTerm) -> int | None:
            try:
                return int(str(value)) if value is not None else None
            except ValueError:
                return None

        return (str(name) if name is not None else None), number(first), number(last)


def _label(graph: Graph, node: RdfTerm) -> str | None:
    for predicate in LABEL_PROPERTIES:
        for value in sorted(graph.objects(node, predicate)):  # type: ignore[type-var]
            if str(value).strip():
                return str(value)
    return None


def validate(
    graph: Graph,
    shapes: Graph | None = None,
    workers: int | None = None,
    batch_reviews: int = BATCH_REVIEWS,
    engine: str = "fast",
) -> ValidationReport:
    """Validate the graph against the project's shapes (or the given ones), with the fast
    engine (default) or pyshacl (`engine="pyshacl"`); both give the same report."""
    # A Graph is a collection of its triples.
    return validate_triples(graph, shapes, workers, batch_reviews, engine)  # type: ignore[arg-type]


def validate_triples(
    triples: Collection[Triple],
    shapes: Graph | None = None,
    workers: int | None = None,
    batch_reviews: int = BATCH_REVIEWS,
    engine: str = "fast",
) -> ValidationReport:
    """Validate a graph given as triples (or an rdflib Graph).

    The fast engine (default) compiles the shapes to checks over an index of the triples and
    leaves to pyshacl only what it does not compile (see validate_fast). With pyshacl:
    large graphs (or any graph when `workers` is given) are validated in batches of
    `batch_reviews` review groups, in `workers` processes (default: one per core), as the
    module docstring explains; small ones in one pyshacl call here."""
    if engine == "fast":
        return validate_fast(triples, shapes, workers, batch_reviews)
    if engine != "pyshacl":
        raise ValueError(f"unknown validation engine {engine!r} (fast or pyshacl)")
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
    return _validate_batch([*_WORK["shared"], *batch],  # type: ignore[misc]
                           _WORK["shapes"])  # type: ignore[arg-type]


class _QueryCachingGraph(Graph):
    """A graph that parses each SPARQL query text once: pyshacl hands it a SPARQL
    constraint's query once per focus node, and parsing is most of the cost."""

    def query(self, query_object, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        if isinstance(query_object, str):
            query_object = _prepared_query(query_object)
        return super().query(query_object, *args, **kwargs)


@cache
def _prepared_query(text: str) -> Query:
    return prepareQuery(text)


def _validate_batch(triples: Iterable[Triple], shapes: Graph) -> list[ValidationResult]:
    if isinstance(triples, Graph):
        graph: Graph = _QueryCachingGraph(store=triples.store, identifier=triples.identifier,
                                          namespace_manager=triples.namespace_manager)
    else:
        graph = _QueryCachingGraph()
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


# --- the fast engine: the shapes compiled to checks over an index of the triples ---------------
#
# pyshacl is the reference. The fast engine compiles each shape whose parameters it knows (the
# SHACL Core subset in FAST_NODE_PARAMETERS and FAST_PROPERTY_PARAMETERS, as pyshacl evaluates
# them: same value nodes, same comparisons, same messages) into plain Python checks over a
# subject -> predicate -> values index, built once. A shape using anything else is validated by
# pyshacl (never skipped), and so is the whole graph if a result involves a blank node (whose
# identity pyshacl's report would rename). tests/test_validation.py runs every violation case
# through both engines and asserts identical reports.

_SH_IRI, _SH_LITERAL = SH.IRI, SH.Literal
_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = URIRef(_XSD + "string")
_RDF_LANGSTRING = RDF.langString
# Terms the engine's inner loops use, looked up once (a namespace attribute is a Python call).
_RDF_TYPE, _RDFS_SUBCLASS_OF = RDF.type, RDFS.subClassOf
_RDFS_LITERAL, _RDFS_DATATYPE = RDFS.Literal, RDFS.Datatype
# Node kinds: which of IRI, blank node, literal each sh:nodeKind value admits.
_NODE_KINDS = {
    SH.IRI: (True, False, False), SH.BlankNode: (False, True, False),
    SH.Literal: (False, False, True), SH.BlankNodeOrIRI: (True, True, False),
    SH.BlankNodeOrLiteral: (False, True, True), SH.IRIOrLiteral: (True, False, True),
}
_ANNOTATIONS = frozenset({RDF.type, RDFS.label, RDFS.comment, SH.name, SH.description,
                          SH.message, SH.severity, SH.order, SH.group})
FAST_NODE_PARAMETERS = _ANNOTATIONS | {
    SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.nodeKind,
    SH.closed, SH.ignoredProperties, SH.property, SH.sparql}
# What a SPARQL constraint (the object of sh:sparql) may say.
FAST_SPARQL_PARAMETERS = frozenset({RDF.type, RDFS.comment, SH.message, SH.prefixes,
                                    SH.select, SH.deactivated})
FAST_PROPERTY_PARAMETERS = _ANNOTATIONS | {
    SH.path, SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind, SH.pattern, SH["class"],
    SH["in"], SH.hasValue, SH.minInclusive, SH.maxInclusive, SH.minLength, SH.maxLength,
    SH.lessThanOrEquals, SH["or"]}
# What an sh:or member may say (it tests the value node itself).
FAST_MEMBER_PARAMETERS = frozenset({RDF.type, SH.datatype, SH.nodeKind, SH["class"]})
_SINGLE = (SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind, SH.minInclusive,
           SH.maxInclusive, SH.minLength, SH.maxLength, SH.path, SH.closed, SH["in"],
           SH["or"], SH.severity)


class _Unsupported(Exception):
    """A shape the fast engine does not compile (pyshacl validates it)."""


class TripleIndex:
    """The triples as subject -> predicate -> values (and, lazily, object -> subjects), with
    the few graph methods _SourceFinder and _label use. What the fast engine validates; the
    parallel build also reads what a chunk owns and links to from it."""

    def __init__(self, triples: Iterable[Triple] = frozenset(), *more: Iterable[Triple]) -> None:
        """The index of the triples and of each further part in `more` (a chunk's pages and
        shared triples), each part indexed on its own and then joined node by node, values
        already there left out. When every part is a set, each node's values are distinct as
        indexed, and need not be made distinct again at each look-up (which compares terms
        in Python)."""
        self.out = _indexed(triples)
        self.distinct = isinstance(triples, (set, frozenset))
        self._inverse: dict[object, dict[object, list]] = {}
        self._linked_from: dict[object, list] | None = None
        self._terms: dict[object, object] | None = None
        self._predicates: set = set()
        self.rdf_type, self.sub_class_of = _RDF_TYPE, _RDFS_SUBCLASS_OF
        # Oxigraph stores of some of the triples, for SHACL-SPARQL constraints (_sparql_store),
        # each with the literals put in it (None: not yet looked for, see _sparql_literals).
        self.sparql_stores: dict[frozenset | None, tuple[ox.Store, list[Literal] | None]] = {}
        # The N-Triples of the triples with sparql_predicates(), where a caller has them
        # written already (the parallel build): the store is then read from them.
        self.sparql_ntriples: bytes | None = None
        for part in more:
            self.add(part)

    def add(self, part: Iterable[Triple]) -> None:
        """Index further triples."""
        out = self.out
        for s, by_predicate in _indexed(part).items():
            have = out.get(s)
            if have is None:
                out[s] = by_predicate
                continue
            for p, values in by_predicate.items():
                existing = have.get(p)
                if existing is None:
                    have[p] = values
                else:
                    existing.extend(value for value in values if value not in existing)
        self.distinct = self.distinct and isinstance(part, (set, frozenset))
        self._inverse, self._linked_from, self._terms = {}, None, None  # made again if asked
        self.sparql_stores, self.sparql_ntriples = {}, None

    def predicates(self) -> set:
        """Every predicate of the triples."""
        self.canonical(_RDF_TYPE)
        return self._predicates

    def canonical(self, term: object) -> object:
        """The index's own object for a predicate or class equal to `term` (a shape's term):
        dict and list look-ups find an identical key at once, but compare an equal one in
        Python (rdflib's __eq__), which was most of the engine's time."""
        if self._terms is None:
            terms: dict[RdfTerm, RdfTerm] = {}
            for by_predicate in self.out.values():
                for predicate in by_predicate:
                    if predicate not in terms:
                        terms[predicate] = predicate
            self._predicates = set(terms)
            self.rdf_type = terms.get(_RDF_TYPE, _RDF_TYPE)
            self.sub_class_of = terms.get(_RDFS_SUBCLASS_OF, _RDFS_SUBCLASS_OF)
            for by_predicate in self.out.values():
                for cls in by_predicate.get(self.rdf_type, ()):
                    if cls not in terms:
                        terms[cls] = cls
            self._terms = terms
        return self._terms.get(term, term)

    def values(self, node: object, predicate: object) -> list:
        values = self.out.get(node, _EMPTY).get(predicate, ())
        if self.distinct or len(values) < 2:
            return list(values)
        # Distinct values, as a graph holds them (a list of triples may repeat one).
        return list(dict.fromkeys(values))

    def inverse(self, predicate: object) -> dict[object, list]:
        predicate = self.canonical(predicate)
        found = self._inverse.get(predicate)
        if found is None:
            self.make_inverses([predicate])
            found = self._inverse[predicate]
        return found

    def make_inverses(self, predicates: Iterable[object]) -> None:
        """Index these predicates' triples object -> subjects, all in one pass over the
        triples (a pass each cost a validation a tenth of its time)."""
        wanted = {self.canonical(p) for p in predicates} - self._inverse.keys()
        if not wanted:
            return
        made: dict[object, dict[object, list]] = {predicate: {} for predicate in wanted}
        for s, by_predicate in self.out.items():
            for predicate in wanted.intersection(by_predicate):
                found = made[predicate]
                for o in by_predicate[predicate]:
                    found.setdefault(o, []).append(s)
        self._inverse.update(made)

    def instances(self, cls: object) -> set:
        """Nodes typed `cls` or a subclass of it (rdfs:subClassOf in the data, as pyshacl)."""
        cls = self.canonical(cls)
        classes = {cls}
        sub = self.inverse(_RDFS_SUBCLASS_OF)
        todo = [cls]
        while todo:
            for c in sub.get(todo.pop(), ()):
                if c not in classes:
                    classes.add(c)
                    todo.append(c)
        typed = self.inverse(_RDF_TYPE)
        return {s for c in classes for s in typed.get(c, ())}

    def has_class(self, node: object, cls: object) -> bool:
        """Whether the node has the class or a subclass of it (fastest with `cls` and the
        index's terms canonical: see canonical())."""
        types = self.out.get(node, _EMPTY).get(self.rdf_type, ())
        if cls in types:
            return True
        seen, todo = set(), list(types)
        while todo:
            c = todo.pop()
            if c == cls:
                return True
            if c not in seen:
                seen.add(c)
                todo.extend(self.out.get(c, _EMPTY).get(self.sub_class_of, ()))
        return False

    # The rdflib Graph methods _SourceFinder and _label call.
    def __contains__(self, triple: Triple) -> bool:
        s, p, o = triple
        values = self.out.get(s, _EMPTY).get(p, ())
        return bool(values) if o is None else o in values

    def objects(self, node: object, predicate: object) -> list:
        return self.values(node, predicate)

    def value(self, node: object, predicate: object) -> object:
        values = self.values(node, predicate)
        return values[0] if values else None

    def subjects(self, predicate: None, node: object) -> list:
        if self._linked_from is None:
            linked: dict[object, list] = {}
            for s, by_predicate in self.out.items():
                for values in by_predicate.values():
                    for o in values:
                        linked.setdefault(o, []).append(s)
            self._linked_from = linked
        return list(dict.fromkeys(self._linked_from.get(node, ())))


_EMPTY: dict = {}


def _indexed(triples: Iterable[Triple]) -> dict[object, dict[object, list]]:
    """subject -> predicate -> objects, in the order given."""
    out: dict[object, dict[object, list]] = {}
    for s, p, o in triples:
        by_predicate = out.get(s)
        if by_predicate is None:
            out[s] = {p: [o]}
        else:
            values = by_predicate.get(p)
            if values is None:
                by_predicate[p] = [o]
            else:
                values.append(o)
    return out


@dataclass
class _Found:
    """One result of the fast engine, as pyshacl's report would hold it."""

    severity: URIRef
    focus: object
    path: object | None  # a predicate IRI, or ("^", predicate) for an inverse path
    value: object | None
    messages: tuple[str, ...]


def _literal_is(value: Literal, datatype: URIRef) -> bool:
    """pyshacl's sh:datatype test of one literal."""
    if value.datatype == datatype:
        if getattr(value, "ill_typed", None) is True:
            return False
        return _actual_datatype(value, datatype)
    if datatype == _RDFS_LITERAL:
        return True
    if datatype == _RDFS_DATATYPE and value.datatype:
        return True
    if value.datatype is None and value.language is None and datatype == _XSD_STRING:
        return _actual_datatype(value, datatype)
    if datatype == _RDF_LANGSTRING and value.language:
        return _actual_datatype(value, datatype)
    return False


# The Python types pyshacl expects a literal's value to have, by datatype (others: any).
_PYTHON_TYPES: dict[URIRef, object] = {
    _XSD_STRING: (str, bytes), _RDF_LANGSTRING: (str, bytes), URIRef(_XSD + "integer"): int,
    URIRef(_XSD + "float"): float, URIRef(_XSD + "decimal"): Decimal,
    URIRef(_XSD + "boolean"): bool, URIRef(_XSD + "date"): date, URIRef(_XSD + "time"): time,
    URIRef(_XSD + "dateTime"): datetime}


def _actual_datatype(value: Literal, datatype: URIRef) -> bool:
    expected = _PYTHON_TYPES.get(datatype)
    return True if expected is None else isinstance(value.value, expected)  # type: ignore[arg-type]


def _value_check(shapes: Graph, shape: RdfTerm, parameter: RdfTerm, argument: RdfTerm):
    """A test of one value node for one constraint parameter (None: not a value test)."""
    if parameter == SH.datatype:
        if not isinstance(argument, URIRef):
            raise _Unsupported
        # The test depends only on these four of a literal: memoised on them (the literals
        # of a build are many, their kinds few).
        memo: dict[tuple, bool] = {}

        def datatype_test(v: RdfTerm) -> bool:
            if not isinstance(v, Literal):
                return False
            # rdflib's own slots: its properties cost a Python call each (a build checks
            # millions of values).
            kind = (v._datatype, v._language, type(v._value), v._ill_typed)
            result = memo.get(kind)
            if result is None:
                result = memo[kind] = _literal_is(v, argument)  # type: ignore[arg-type]
            return result
        return datatype_test
    if parameter == SH.nodeKind:
        kinds = _NODE_KINDS.get(argument)
        if kinds is None:
            raise _Unsupported
        iri, blank, literal = kinds
        return lambda v: (iri if isinstance(v, URIRef) else literal if isinstance(v, Literal)
                          else blank if isinstance(v, BNode) else False)
    if parameter == SH["class"]:
        return None  # needs the index: see _compile_property
    if parameter == SH.pattern:
        matcher = re.compile(str(argument))  # sh:flags is not compiled: pyshacl does those
        return lambda v: not isinstance(v, BNode) and matcher.search(str(v)) is not None
    if parameter == SH["in"]:
        members = set(RDFList(shapes, argument))
        return lambda v: v in members
    if parameter in (SH.minLength, SH.maxLength):
        if not isinstance(argument, Literal) or not isinstance(argument.value, int):
            raise _Unsupported
        bound = argument.value
        # len(str(v)), as pyshacl: rdflib's terms are strings (their text) already.
        if parameter == SH.minLength:
            return lambda v: bound == 0 or (not isinstance(v, BNode) and len(v) >= bound)
        return lambda v: not isinstance(v, BNode) and len(v) <= bound
    if parameter in (SH.minInclusive, SH.maxInclusive):
        if not isinstance(argument, Literal):
            raise _Unsupported
        bound_is_string = isinstance(argument.value, str)
        lower = parameter == SH.minInclusive

        def in_range(v: RdfTerm) -> bool:
            if not isinstance(v, Literal) or isinstance(v.value, str) != bound_is_string:
                return False
            try:
                order = compare_literal(v, argument)
            except (TypeError, NotImplementedError):
                return False
            return order >= 0 if lower else order <= 0
        return in_range
    return None


@dataclass
class _PropertyCheck:
    shape: RdfTerm
    path: RdfTerm  # predicate IRI or ("^", predicate)
    severity: URIRef
    messages: tuple[str, ...]
    min_count: int | None
    max_count: int | None
    value_tests: list  # callables value -> bool
    classes: list
    has_values: list
    less_or_equal: list
    alternatives: list  # sh:or: list of lists of value tests (and classes)


def _messages(shapes: Graph, shape: RdfTerm) -> tuple[str, ...]:
    return tuple(str(m) for m in shapes.objects(shape, SH.message))


def _severity(shapes: Graph, shape: RdfTerm) -> URIRef:
    severity = shapes.value(shape, SH.severity)
    if severity is None:
        return SH.Violation
    if severity not in SEVERITIES:
        raise _Unsupported
    return severity  # type: ignore[return-value]


def _check_parameters(shapes: Graph, shape: RdfTerm, allowed: frozenset) -> None:
    for predicate in set(shapes.predicates(shape, None)):
        if predicate not in allowed:
            raise _Unsupported
        if predicate in _SINGLE and len(list(shapes.objects(shape, predicate))) > 1:
            raise _Unsupported
    for cls in shapes.objects(shape, RDF.type):
        if cls not in (SH.NodeShape, SH.PropertyShape, SH.Shape):
            raise _Unsupported  # e.g. an implicit class target


def _compile_property(shapes: Graph, shape: RdfTerm) -> _PropertyCheck:
    _check_parameters(shapes, shape, FAST_PROPERTY_PARAMETERS)
    raw_path = shapes.value(shape, SH.path)
    if isinstance(raw_path, URIRef):
        path: RdfTerm = raw_path
    elif isinstance(raw_path, BNode) and set(shapes.predicate_objects(raw_path)) and all(
            p == SH.inversePath and isinstance(o, URIRef)
            for p, o in shapes.predicate_objects(raw_path)) \
            and len(list(shapes.objects(raw_path, SH.inversePath))) == 1:
        path = ("^", shapes.value(raw_path, SH.inversePath))
    else:
        raise _Unsupported
    messages = _messages(shapes, shape)
    if not messages:
        raise _Unsupported  # pyshacl's generic messages are its own: let it word them

    def count(parameter: RdfTerm) -> int | None:
        value = shapes.value(shape, parameter)
        if value is None:
            return None
        if not isinstance(value, Literal) or not isinstance(value.value, int):
            raise _Unsupported
        return value.value

    tests = []
    for parameter, argument in shapes.predicate_objects(shape):
        test = _value_check(shapes, shape, parameter, argument)
        if test is not None:
            tests.append(test)
    alternatives = []
    for members in shapes.objects(shape, SH["or"]):
        options = []
        for member in RDFList(shapes, members):
            if not isinstance(member, BNode):
                raise _Unsupported
            for parameter in shapes.predicates(member, None):
                if parameter not in FAST_MEMBER_PARAMETERS:
                    raise _Unsupported
            member_tests = [t for p, o in shapes.predicate_objects(member)
                            if (t := _value_check(shapes, member, p, o)) is not None]
            options.append((member_tests, list(shapes.objects(member, SH["class"]))))
        alternatives.append(options)
    less_or_equal = list(shapes.objects(shape, SH.lessThanOrEquals))
    if not all(isinstance(p, URIRef) for p in less_or_equal):
        raise _Unsupported
    return _PropertyCheck(
        shape=shape, path=path, severity=_severity(shapes, shape), messages=messages,
        min_count=count(SH.minCount), max_count=count(SH.maxCount), value_tests=tests,
        classes=list(shapes.objects(shape, SH["class"])),
        has_values=list(shapes.objects(shape, SH.hasValue)), less_or_equal=less_or_equal,
        alternatives=alternatives)


@dataclass
class _SparqlCheck:
    """One SHACL-SPARQL constraint: its query (with the PREFIX lines of its sh:prefixes) and
    the predicates whose triples it reads (None: it may read any)."""

    query: str
    messages: tuple[str, ...]
    predicates: frozenset | None


@dataclass
class _NodeCheck:
    shape: RdfTerm
    severity: URIRef
    messages: tuple[str, ...]
    targets: list[tuple[RdfTerm, RdfTerm]]
    node_kind: RdfTerm | None
    closed_allowed: frozenset | None
    properties: list[_PropertyCheck]
    sparql: list[_SparqlCheck] = field(default_factory=list)


def _prefix_lines(shapes: Graph, constraint: Node) -> str:
    """The PREFIX declarations of a constraint's sh:prefixes (sh:declare), as pyshacl adds them."""
    lines = []
    for ontology in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(ontology, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is None or namespace is None:
                raise _Unsupported
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines)))


def _compile_sparql(shapes: Graph, constraint: Node, shape_messages: tuple[str, ...]
                    ) -> _SparqlCheck | None:
    for predicate in shapes.predicates(constraint, None):
        if predicate not in FAST_SPARQL_PARAMETERS:
            raise _Unsupported
    if shapes.value(constraint, SH.deactivated) == Literal(True):
        return None
    select = shapes.value(constraint, SH.select)
    if not isinstance(select, Literal):
        raise _Unsupported
    query = _prefix_lines(shapes, constraint) + "\n" + str(select)
    messages = _messages(shapes, constraint) or shape_messages
    if not messages or any(re.search(r"\{[$?]", m) for m in messages):
        raise _Unsupported  # pyshacl's wording, or its {?var} substitution: let it report
    return _SparqlCheck(query, messages, query_iris(query))


# Strings and comments of a SPARQL query (stripped before looking at its terms), its PREFIX
# declarations, its IRIs and prefixed names, and the places a variable could be a predicate
# (after a subject term, or after ";").
_QUERY_STRINGS = re.compile(r"(<[^<>\"{}|^`\\\s]*>)"  # an IRI: kept
                            r"|'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'"
                            r'|"(?:[^"\\\n]|\\.)*"|#[^\n]*', re.S)
_QUERY_PREFIX = re.compile(r"PREFIX\s+([\w.-]*):\s*<([^>]*)>", re.I)
_QUERY_TERM = re.compile(r"<([^>\s]*)>|(?<![\w?$])([A-Za-z][\w.-]*)?:([\w.-]*)")
_VARIABLE_PREDICATE = re.compile(
    r"(?:[{.]\s*(?:[?$]\w+|<[^>]*>|[A-Za-z][\w.-]*:[\w.-]*|_:\w+)|;)\s+[?$]\w+")
_TYPE_KEYWORD = re.compile(r"(?<![\w?$:])a(?![\w:])")


def query_iris(query: str) -> frozenset | None:
    """Every IRI a SPARQL query names (a superset of the predicates it reads), rdf:type if it
    says "a"; None if a variable may stand for a predicate (the query may read any triple).
    Read from the text: parsing the query with rdflib costs far more than running it."""
    text = _QUERY_STRINGS.sub(lambda match: match.group(1) or " ", query)
    prefixes = {name: iri for name, iri in _QUERY_PREFIX.findall(text)}
    body = _QUERY_PREFIX.sub(" ", text)
    if _VARIABLE_PREDICATE.search(body):
        return None
    found: set = set()
    for iri, prefix, local in _QUERY_TERM.findall(body):
        if iri:
            found.add(URIRef(iri))
        elif (prefix or "") in prefixes:
            found.add(URIRef(prefixes[prefix or ""] + local))
    if _TYPE_KEYWORD.search(body):
        found.add(RDF.type)
    return frozenset(found)


def _compile_node(shapes: Graph, shape: RdfTerm) -> _NodeCheck:
    _check_parameters(shapes, shape, FAST_NODE_PARAMETERS)
    messages = _messages(shapes, shape)
    node_kind = shapes.value(shape, SH.nodeKind)
    if node_kind is not None and node_kind not in _NODE_KINDS:
        raise _Unsupported
    property_shapes = sorted(shapes.objects(shape, SH.property), key=str)
    closed = shapes.value(shape, SH.closed)
    closed_allowed = None
    if closed is not None:
        if not isinstance(closed, Literal) or not isinstance(closed.value, bool):
            raise _Unsupported
        if closed.value:
            if not messages:
                raise _Unsupported
            ignored = shapes.value(shape, SH.ignoredProperties)
            allowed = set(RDFList(shapes, ignored)) if ignored is not None else set()
            allowed |= {shapes.value(p, SH.path) for p in property_shapes}
            closed_allowed = frozenset(allowed)
    targets = [(p, o) for p in TARGETS for o in shapes.objects(shape, p)]
    sparql = [check for constraint in sorted(shapes.objects(shape, SH.sparql),  # type: ignore[arg-type]
                                             key=str)
              if (check := _compile_sparql(shapes, constraint, messages)) is not None]
    if sparql and not targets:
        raise _Unsupported
    return _NodeCheck(shape=shape, severity=_severity(shapes, shape), messages=messages,
                      targets=targets, node_kind=node_kind, closed_allowed=closed_allowed,
                      properties=[_compile_property(shapes, p) for p in property_shapes],
                      sparql=sparql)


def _node_kind_message(shapes: Graph, node_kind: RdfTerm) -> str:
    """pyshacl's own wording for a node kind result of a shape without sh:message."""
    return f"Value is not of Node Kind {shapes.namespace_manager.normalizeUri(node_kind)}"


@dataclass
class CompiledShapes:
    """The shapes split into what the fast engine checks and what pyshacl validates."""

    checks: list[_NodeCheck]
    fallback: Graph | None  # the shapes (with what they reach) left to pyshacl
    node_kind_messages: dict[object, str]
    # The predicates every SPARQL constraint reads, together (None: any): one store for all.
    sparql_predicates: frozenset | None = frozenset()


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Compile every top-level shape (one with a target, or any node shape) the fast engine
    supports; put the others, with every triple reachable from them, in `fallback`."""
    top = set(shapes.subjects(RDF.type, SH.NodeShape))
    for predicate in TARGETS:
        top |= set(shapes.subjects(predicate, None))
    referenced = set(shapes.objects(None, SH.property))
    checks, unsupported = [], []
    for shape in sorted(top, key=str):
        try:
            if shape in referenced:
                raise _Unsupported  # a shape both top-level and a property of another
            if (shape, SH.path, None) in shapes:
                # A property shape with its own targets: the node shape it amounts to.
                check = _NodeCheck(shape=shape, severity=_severity(shapes, shape), messages=(),
                                   targets=[(p, o) for p in TARGETS
                                            for o in shapes.objects(shape, p)],
                                   node_kind=None, closed_allowed=None,
                                   properties=[_compile_property(
                                       shapes, shape)])
            else:
                check = _compile_node(shapes, shape)
            checks.append(check)
        except _Unsupported:
            unsupported.append(shape)
    fallback = None
    if unsupported:
        fallback = Graph()
        for prefix, namespace in shapes.namespaces():
            fallback.bind(prefix, namespace)
        seen, todo = set(), list(unsupported)
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for p, o in shapes.predicate_objects(node):
                fallback.add((node, p, o))
                if isinstance(o, (BNode, URIRef)) and (o, None, None) in shapes:
                    todo.append(o)
    messages = {check.node_kind: _node_kind_message(shapes, check.node_kind)
                for check in checks if check.node_kind is not None}
    read = [sparql.predicates for check in checks for sparql in check.sparql]
    predicates = None if None in read else frozenset().union(*read)  # type: ignore[arg-type]
    return CompiledShapes(checks, fallback, messages, predicates)


@cache
def _compiled_cached(directory: str) -> CompiledShapes:
    return compile_shapes(_shapes_cached(directory))


def _focus_nodes(index: TripleIndex, targets: list[tuple[object, object]]) -> list:
    found: set = set()
    for predicate, target in targets:
        if predicate == SH.targetClass:
            found |= index.instances(target)
        elif predicate == SH.targetNode:
            found.add(target)
        elif predicate == SH.targetSubjectsOf:
            predicate_term = index.canonical(target)
            found |= {s for s, by_p in index.out.items() if predicate_term in by_p}
        else:  # sh:targetObjectsOf
            found |= set(index.inverse(target))
    return list(found)


def _run_properties(index: TripleIndex, checks: Sequence[_PropertyCheck],
                    focus_nodes: Iterable, found: list[_Found]) -> None:
    """A node shape's property checks, focus node by focus node (each node's predicates are
    looked up once for all of its checks; results are sorted in the report)."""
    out, distinct = index.out, index.distinct
    prepared = []
    for check in checks:
        # Forward paths read the node's own predicates; an inverse path its inverse index.
        inverse = index.inverse(check.path[1]) if isinstance(check.path, tuple) else None
        prepared.append((
            inverse, None if inverse is not None else index.canonical(check.path), check.path,
            check.messages, check.severity, check.min_count, check.max_count,
            check.value_tests, [index.canonical(cls) for cls in check.classes],
            [[(member_tests, [index.canonical(c) for c in member_classes])
              for member_tests, member_classes in options] for options in check.alternatives],
            check.has_values, check.less_or_equal))
    for focus in focus_nodes:
        by_predicate = out.get(focus, _EMPTY)
        for (inverse, predicate, path, messages, severity, min_count, max_count, tests,
             classes, alternatives, has_values, less_or_equal) in prepared:
            if inverse is None:
                values = by_predicate.get(predicate, ())
                if not distinct and len(values) > 1:
                    values = list(dict.fromkeys(values))
            else:
                values = inverse.get(focus, ())
                if len(values) > 1:
                    values = list(dict.fromkeys(values))
            if min_count is not None and len(values) < min_count:
                found.append(_Found(severity, focus, path, None, messages))
            if max_count is not None and len(values) > max_count:
                found.append(_Found(severity, focus, path, None, messages))
            if values:  # each constraint over the values (results are sorted in the report)
                for test in tests:
                    for value in values:
                        if not test(value):
                            found.append(_Found(severity, focus, path, value, messages))
                for cls in classes:
                    for value in values:
                        if isinstance(value, Literal) or not index.has_class(value, cls):
                            found.append(_Found(severity, focus, path, value, messages))
                for options in alternatives:
                    for value in values:
                        if not any(all(t(value) for t in member_tests) and all(
                                not isinstance(value, Literal) and index.has_class(value, c)
                                for c in member_classes)
                                for member_tests, member_classes in options):
                            found.append(_Found(severity, focus, path, value, messages))
            for required in has_values:
                if required not in values:
                    found.append(_Found(severity, focus, path, None, messages))
            for other in less_or_equal:
                bounds = index.values(focus, other)
                for value in values:
                    if isinstance(value, BNode) or any(isinstance(b, BNode) for b in bounds):
                        raise _Unsupported  # pyshacl refuses these: let it say so
                    for bound in bounds:
                        if not _less_or_equal(value, bound):
                            found.append(_Found(severity, focus, path, value, messages))


def _less_or_equal(value: object, bound: object) -> bool:
    """pyshacl's sh:lessThanOrEquals comparison."""
    def plain(term: object) -> tuple[object, bool]:
        if isinstance(term, URIRef):
            return str(term), True
        if isinstance(term, Literal) and isinstance(term.value, str):
            return term.value, True
        return term, False

    (left, left_is_string), (right, right_is_string) = plain(value), plain(bound)
    if left_is_string != right_is_string:
        return False
    return bool(left <= right)  # type: ignore[operator]


def _run_fast(index: TripleIndex, compiled: CompiledShapes,
              focus_filter: Callable[[object], bool] | None = None) -> list[_Found]:
    found: list[_Found] = []
    index.canonical(_RDF_TYPE)  # the index's own terms known before the checks look up
    index.make_inverses([_RDF_TYPE, _RDFS_SUBCLASS_OF, *(
        prop.path[1] for check in compiled.checks for prop in check.properties
        if isinstance(prop.path, tuple))])
    for check in compiled.checks:
        focus_nodes = _focus_nodes(index, check.targets)
        if focus_filter is not None:
            focus_nodes = [node for node in focus_nodes if focus_filter(node)]
        if check.node_kind is not None:
            iri, blank, literal = _NODE_KINDS[check.node_kind]
            messages = check.messages or (compiled.node_kind_messages[check.node_kind],)
            for focus in focus_nodes:
                if not (iri if isinstance(focus, URIRef) else literal
                        if isinstance(focus, Literal) else blank):
                    found.append(_Found(check.severity, focus, None, focus, messages))
        if check.closed_allowed is not None:
            allowed = frozenset(index.canonical(p) for p in check.closed_allowed)
            for focus in focus_nodes:
                for predicate, values in index.out.get(focus, _EMPTY).items():
                    if predicate not in allowed:
                        for value in dict.fromkeys(values):
                            found.append(_Found(check.severity, focus, predicate, value,
                                                check.messages))
        _run_properties(index, check.properties, focus_nodes, found)
        if check.sparql:
            focus_set = set(focus_nodes)
            for sparql in check.sparql:
                _run_sparql(index, sparql, compiled.sparql_predicates, check.severity,
                            focus_set, found)
    return found


def _run_sparql(index: TripleIndex, check: _SparqlCheck, predicates: frozenset | None,
                severity: URIRef, focus_nodes: set, found: list[_Found]) -> None:
    """The constraint's query, run once over the triples of `predicates` (those it reads,
    with those of the other constraints); a result per distinct ($this, ?path, ?value) of a
    focus node, the value being the focus node where the query binds none (pyshacl's
    report for a node shape)."""
    if not focus_nodes:
        return
    store, terms = _sparql_store(index, predicates)
    seen = set()
    try:
        solutions = list(store.query(check.query))  # type: ignore[arg-type]
    except SyntaxError:
        raise _Unsupported from None  # pyshacl reports a malformed query in its own words
    if solutions and terms is None:
        terms = _sparql_literals(index, predicates)
    for solution in solutions:
        this = _from_oxigraph(solution["this"], terms)  # type: ignore[arg-type]
        if this is None or this not in focus_nodes:
            continue
        path = _from_oxigraph(solution["path"], terms)  # type: ignore[arg-type]
        value = _from_oxigraph(solution["value"], terms)  # type: ignore[arg-type]
        key = (this, path, value)
        if key not in seen:
            seen.add(key)
            found.append(_Found(severity, this, path, this if value is None else value,
                                check.messages))


def _sparql_store(index: TripleIndex, predicates: frozenset | None
                  ) -> tuple[ox.Store, list[Literal] | None]:
    """An in-memory Oxigraph store of the index's triples with these predicates (all triples
    for None), made once per index and predicate set, and the literals put in it (None when
    read from the index's sparql_ntriples: looked for when a result needs them)."""
    stores = index.sparql_stores
    made = stores.get(predicates)
    if made is None:
        store = ox.Store()
        if index.sparql_ntriples is not None:
            # The caller's N-Triples: Oxigraph reads them several times faster than it is
            # given the terms one by one.
            store.load(index.sparql_ntriples, format=ox.RdfFormat.N_TRIPLES)
            made = stores[predicates] = (store, None)
            return made
        # Terms are looked up by identity (rdflib's own hashing and equality run in Python,
        # and the index holds each term object for as long as the store is used).
        converted: dict[int, Any] = {}  # oxigraph terms of rdflib terms, by id
        literals: list[Literal] = []
        quads: list = []
        append, convert, make = quads.append, converted.get, ox.Quad
        for s, p, values in _sparql_triples(index, predicates):
            subject = convert(id(s)) or converted.setdefault(id(s), _to_oxigraph(s))
            predicate = convert(id(p)) or converted.setdefault(id(p), _to_oxigraph(p))
            for o in values:
                value = convert(id(o))
                if value is None:
                    value = converted[id(o)] = _to_oxigraph(o)
                    if isinstance(o, Literal):
                        literals.append(o)
                append(make(subject, predicate, value))
        store.bulk_extend(quads)
        made = stores[predicates] = (store, literals)
    return made


def _sparql_triples(index: TripleIndex, predicates: frozenset | None
                    ) -> Iterator[tuple[object, object, list]]:
    """(subject, predicate, values) of the index with these predicates (all for None)."""
    wanted_by_id: dict[int, bool] = {}
    for s, by_predicate in index.out.items():
        for p, values in by_predicate.items():
            wanted = wanted_by_id.get(id(p))
            if wanted is None:
                wanted = wanted_by_id[id(p)] = predicates is None or p in predicates
            if wanted:
                yield s, p, values


def _sparql_literals(index: TripleIndex, predicates: frozenset | None) -> list[Literal]:
    """The literals of the index's triples with these predicates (see _from_oxigraph)."""
    return list({id(o): o for _, _, values in _sparql_triples(index, predicates)
                 for o in values if isinstance(o, Literal)}.values())


def sparql_predicates() -> frozenset[str] | None:
    """The predicates (IRIs) whose triples the project's SHACL-SPARQL constraints read (None:
    any): what TripleIndex.sparql_ntriples must hold."""
    predicates = _compiled_cached(str(SHAPES_DIR)).sparql_predicates
    return None if predicates is None else frozenset(map(str, predicates))


def _to_oxigraph(node: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    raise _Unsupported


_OX_STRING = ox.NamedNode(_XSD + "string")


def _from_oxigraph(node: object, literals: list[Literal]) -> object:
    """The rdflib term of a query result: a literal of the graph is the graph's own (Oxigraph
    reads xsd:nonNegativeInteger and the like as xsd:integer)."""
    if node is None:
        return None
    if isinstance(node, ox.NamedNode):
        return URIRef(node.value)
    if isinstance(node, ox.Literal):
        same = list({term for term in literals
                     if str(term) == node.value and term.language == node.language})
        if len(same) == 1:
            return same[0]
        if node.language:
            return Literal(node.value, lang=node.language)
        if node.datatype == _OX_STRING:
            return Literal(node.value)
        typed = Literal(node.value, datatype=URIRef(node.datatype.value))
        if same and typed not in same:
            raise _Unsupported  # which of the graph's literals it is: let pyshacl say
        return typed
    raise _Unsupported  # a blank node: pyshacl's report renames them


def _fast_results(index: TripleIndex, found: list[_Found]) -> list[ValidationResult]:
    finder = _SourceFinder(index)  # type: ignore[arg-type]
    results = []
    for item in found:
        if isinstance(item.focus, BNode) or isinstance(item.value, BNode):
            raise _Unsupported  # pyshacl's report renames blank nodes: let it report them
        path = item.path
        path_text = None if path is None else (
            "^" + _curie(path[1]) if isinstance(path, tuple) else _curie(path))  # type: ignore[arg-type]
        file, line, last_line = finder.where(item.focus)
        results.append(ValidationResult(
            severity=SEVERITIES[item.severity], entity=str(item.focus),
            label=_label(index, item.focus),  # type: ignore[arg-type]
            path=path_text, value=_value_text(item.value),
            message="; ".join(sorted(item.messages)) or "does not conform to its shape",
            file=file, line=line, last_line=last_line))
    return results


def _halves(index: TripleIndex, compiled: CompiledShapes) -> tuple[CompiledShapes, CompiledShapes]:
    """The checks in two parts of about equal work (focus nodes times property shapes)."""
    typed = index.inverse(RDF.type)
    costs = sorted(((sum(len(typed.get(o, ())) for p, o in check.targets
                         if p == SH.targetClass) * (len(check.properties) + 1), number)
                    for number, check in enumerate(compiled.checks)), reverse=True)
    parts: tuple[list[_NodeCheck], list[_NodeCheck]] = ([], [])
    loads = [0, 0]
    for cost, number in costs:
        lighter = 0 if loads[0] <= loads[1] else 1
        parts[lighter].append(compiled.checks[number])
        loads[lighter] += cost
    return (replace(compiled, checks=parts[0], fallback=None),
            replace(compiled, checks=parts[1], fallback=None))


def fork_call(function: Callable[[], object]) -> tuple[int, int]:
    """Run function() in a forked process (which shares this one's memory as it was);
    collect() gives its result. Only where os.fork exists."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send the result (or the exception) and leave at once
        status = 1
        try:
            os.close(read_end)
            try:
                payload = pickle.dumps((True, function()))
                status = 0
            except BaseException as error:  # noqa: BLE001 - re-raised by collect()
                payload = pickle.dumps((False, error))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def collect(child: tuple[int, int]) -> object:
    """The result of a fork_call (its exception is raised here)."""
    pid, read_end = child
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    os.waitpid(pid, 0)
    if not payload:
        raise ReviewGraphError("a worker process ended without a result")
    succeeded, value = pickle.loads(payload)
    if not succeeded:
        raise value
    return value


def validate_fast(
    triples: Collection[Triple],
    shapes: Graph | None = None,
    workers: int | None = None,
    batch_reviews: int = BATCH_REVIEWS,
) -> ValidationReport:
    """The fast engine (see above); pyshacl for whatever it does not compile."""
    compiled = _compiled_cached(str(SHAPES_DIR)) if shapes is None else compile_shapes(shapes)
    index = TripleIndex(triples)
    try:
        parallel = workers > 1 if workers is not None else len(triples) >= PARALLEL_FROM_TRIPLES
        if parallel and len(compiled.checks) > 1 and hasattr(os, "fork"):
            # Two halves of the shapes, one in a forked process sharing the index (nothing
            # is copied in; only the results come back).
            halves = _halves(index, compiled)
            other = fork_call(lambda: _fast_results(index, _run_fast(index, halves[1])))
            try:
                found, unsupported = _fast_results(index, _run_fast(index, halves[0])), None
            except _Unsupported as error:
                found, unsupported = [], error
            found += collect(other)  # type: ignore[arg-type]
            if unsupported is not None:
                raise unsupported
        else:
            found = _fast_results(index, _run_fast(index, compiled))
    except _Unsupported:
        return validate_triples(triples, shapes, workers, batch_reviews, engine="pyshacl")
    if compiled.fallback is not None:
        found += validate_triples(triples, compiled.fallback, workers, batch_reviews,
                                  engine="pyshacl").results
    return _report(found)


def fast_engine_covers(shapes: Graph | None = None) -> bool:
    """True if the fast engine checks every shape (none is left to pyshacl)."""
    compiled = _compiled_cached(str(SHAPES_DIR)) if shapes is None else compile_shapes(shapes)
    return compiled.fallback is None


def validate_focus(triples: Iterable[Triple] | TripleIndex,
                   focus_filter: Callable[[object], bool],
                   inverse_paths: bool = True, more: Sequence[Collection[Triple]] = ()
                   ) -> list[ValidationResult] | None:
    """The fast engine's results for the focus nodes `focus_filter` keeps, with the project's
    shapes: what validating the whole graph reports about those nodes, provided the triples
    hold everything the checks of those nodes read (build.py's parallel build makes sure of
    that), or their TripleIndex; `more` are further parts of them. None if the fast
    engine cannot report them (pyshacl must validate the graph), or, with inverse_paths=False,
    if a kept node has a shape looking along an inverse path (the triples linking to it may be
    missing)."""
    compiled = _compiled_cached(str(SHAPES_DIR))
    if compiled.fallback is not None:
        return None
    index = triples if isinstance(triples, TripleIndex) else TripleIndex(triples, *more)
    # A SHACL-SPARQL check reads what its query names; the project's queries read forward
    # from the focus node (a review's parts, a place's codes and links), never the triples
    # that link to a shared node from review parts, so they count as looking forward here.
    if not inverse_paths:
        for check in compiled.checks:
            if any(isinstance(prop.path, tuple) for prop in check.properties) and any(
                    focus_filter(node) for node in _focus_nodes(index, check.targets)):
                return None
    try:
        return _fast_results(index, _run_fast(index, compiled, focus_filter))
    except _Unsupported:
        return None


def combine(results: Iterable[ValidationResult]) -> ValidationReport:
    """One report of results found in parts (ordered, each once)."""
    return _report(list(results))


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
