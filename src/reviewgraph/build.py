"""The build: pages -> records -> graph -> validation -> files, deterministic and atomic.

Output folder (default build/), read by the server and by `reviewgraph validate`:

    reviewgraph.ttl     the graph as Turtle
    reviewgraph.nt      the graph as N-Triples, lines sorted
    reviewgraph.nq      the same triples as N-Quads, each in the named graph of the page it was
                        read from ({base}graph/{page}) or, for what no page owns (vocabularies,
                        places, keywords, the dataset description), in {base}graph/_shared
    reviewgraph.jsonld  the graph as JSON-LD (flattened, nodes and values sorted)
    pages.json          per page: its reviews (and their fingerprints), keywords, places,
                        localities and warnings, so `add_page` can add or replace one page
                        without reading the others again
    report.json         counts per class, warnings, localities matched, validation summary,
                        and what the last build or add changed

Two builds of the same input give byte-identical files (no timestamps; everything sorted).
The files are written into a temporary folder beside the output folder, which then replaces
it, so a failed build leaves the previous output as it was.

The writers work on N-Triples lines, not on an rdflib Graph: the build formats each triple
once, and `add_page` merges a new page into the lines of a finished build without parsing it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import json
import mmap
import multiprocessing
import os
import pickle
import re
import shutil
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from functools import lru_cache
from json.encoder import encode_basestring as _json_text  # json.dumps' own, non-ASCII kept
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from reviewgraph.concepts import load_vocabularies
from reviewgraph.errors import Problem, ReviewGraphError
from reviewgraph.graph import (
    PageGraph,
    build_chunk_graph,
    build_graph,
    build_page_graph,
    shared_triples,
)
from reviewgraph.paths import DEFAULT_BUILD_DIR, PROJECT_ROOT, SOURCES_DIR
from reviewgraph.sources import page_files, read_captures
from reviewgraph.terms import DEFAULT_BASE_IRI, PREFIXES, curie, ontology_graph
from reviewgraph.validation import (
    TripleIndex,
    ValidationReport,
    collect,
    combine,
    fast_engine_covers,
    fork_call,
    sparql_predicates,
    validate_focus,
    validate_triples,
)

if TYPE_CHECKING:
    from reviewgraph.parser import EntryCache, ParseResult

TURTLE_FILE = "reviewgraph.ttl"
NTRIPLES_FILE = "reviewgraph.nt"
NQUADS_FILE = "reviewgraph.nq"
JSONLD_FILE = "reviewgraph.jsonld"
PAGES_FILE = "pages.json"
REPORT_FILE = "report.json"
OUTPUT_FILES = (TURTLE_FILE, NTRIPLES_FILE, NQUADS_FILE, JSONLD_FILE, PAGES_FILE, REPORT_FILE)
# A file's content to write: text, or its UTF-8 in parts.
# A piece of a file: bytes made here, or a view of a chunk worker's file (see _load_chunk).
Piece = bytes | memoryview
Content = str | list[Piece]
# What the build writes of its nodes, in columns: each node's subject as written, and for each
# of N-Triples, Turtle and JSON-LD (FORMATTED), its piece of that file, in the subjects' order.
_Columns = tuple[list[str], list[list[Piece]]]
FORMATTED = ("nt", "ttl", "jsonld")
SHARED_GRAPH = "graph/_shared"  # {base}graph/_shared; no page stem slugifies to "_shared"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_TYPE = str(RDF.type)


class BuildFailed(ReviewGraphError):
    """The graph did not pass validation; nothing was written."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(
            f"the graph does not conform to the shapes ({len(report.violations)} violation(s)); "
            "the previous build was left in place"
        )
        self.report = report


@dataclass
class Changes:
    """What a build or an add did to the reviews (IRIs, sorted)."""

    page: str | None = None  # the page added (None for a full build)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # held by the page before, gone now
    # Reviews the added page lists that other pages of the build already held (the page
    # becomes another source of them; they count as neither added nor changed).
    already: list[str] = field(default_factory=list)
    left_alone: int = 0  # reviews of the other pages, untouched
    other_pages: int = 0

    def to_json(self) -> dict:
        return {"page": self.page, "added": len(self.added), "changed": len(self.changed),
                "unchanged": len(self.unchanged), "removed": len(self.removed),
                "left_alone": self.left_alone, "other_pages": self.other_pages,
                "reviews_added": self.added, "reviews_changed": self.changed,
                "reviews_removed": self.removed, "reviews_already_there": self.already}

    def summary(self) -> str:
        already = f", {len(self.already)} already there from other pages" if self.already \
            else ""
        return (f"{len(self.added)} review(s) added, {len(self.changed)} changed, "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed{already}; "
                f"{self.left_alone} review(s) on {self.other_pages} other page(s) left alone")


@dataclass
class BuildReport:
    out_dir: Path
    base_iri: str
    pages: list[str]
    reviews: int
    triples: int
    classes: dict[str, int]
    warnings: list[Problem] = field(default_factory=list)
    localities: dict[str, str | None] = field(default_factory=dict)
    validation: ValidationReport | None = None
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    changes: Changes = field(default_factory=Changes)
    # How same-named entries with different text were decided, and the conflicts between
    # captures of one review (identity.py), sorted.
    decisions: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    # Seconds per stage (parse, graph, validate, write), for bench/; never in report.json,
    # which must not change from one build of the same input to the next.
    timings: dict[str, float] = field(default_factory=dict)
    # Why a build the parallel way applied to was made in one process (None: it was not).
    fallback: str | None = None

    def to_json(self) -> dict:
        validation = self.validation or ValidationReport(())
        return {
            "base_iri": self.base_iri,
            "ontology_version": _ontology_version(),
            "pages": self.pages,
            "reviews": self.reviews,
            "triples": self.triples,
            "classes": self.classes,
            "warnings": [_problem_json(w) for w in self.warnings],
            "localities": self.localities,
            "localities_matched": sum(1 for iri in self.localities.values() if iri),
            "localities_unmatched": sorted(n for n, iri in self.localities.items() if not iri),
            "validation": {
                "conforms": validation.conforms,
                "violations": len(validation.violations),
                "warnings": [str(result) for result in validation.warnings],
            },
            "changes": self.changes.to_json(),
            "identity": {"decisions": self.decisions, "conflicts": self.conflicts},
        }


def _problem_json(problem: Problem) -> dict:
    return {"message": problem.message, "file": problem.file, "line": problem.line,
            "entity": problem.entity}


def _ontology_version() -> str | None:
    from rdflib import OWL

    from reviewgraph.terms import RG_IRI

    version = ontology_graph().value(URIRef(RG_IRI), OWL.versionInfo)
    return str(version) if version is not None else None


def default_pages(directory: Path = SOURCES_DIR) -> list[Path]:
    """Every page under data/sources/, at any depth (harvested/ included)."""
    if not directory.is_dir():
        raise ReviewGraphError(f"{directory}: no pages (*.txt, *.html) to build from")
    return page_files([directory])


def _sorted_findings(findings: Iterable[dict]) -> list[dict]:
    """Identity decisions or conflicts in one order, whatever order the pages were read in."""
    return sorted(findings, key=lambda item: (item["review"], json.dumps(item, sort_keys=True)))


_PREFIXES_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


# --- N-Triples lines -------------------------------------------------------------------------
def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r"))


_UNESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
           "\\": "\\"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _UNESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)) if (m[1] or m[2])
                         else _ECHARS.get(m[3], m[3]), text)


_NEEDS_ESCAPE = re.compile(r'[\\"\n\r]')


def nt_term(term: object) -> str:
    """A term as N-Triples writes it (also valid Turtle)."""
    if type(term) is URIRef or isinstance(term, URIRef):  # (the first: no ABC check)
        return f"<{term}>"
    if isinstance(term, Literal):
        # rdflib's slots, not its properties (a build writes a million terms).
        text = f'"{_escape(term) if _NEEDS_ESCAPE.search(term) else term}"'
        if term._language:
            return f"{text}@{term._language}"
        if term._datatype is not None:
            return f"{text}^^<{term._datatype}>"
        return text
    if isinstance(term, BNode):
        raise ReviewGraphError(f"blank node _:{term} in the graph: every node needs an IRI")
    raise ReviewGraphError(f"cannot write {term!r} as an RDF term")


def nt_lines(triples: Iterable[tuple[object, object, object]]) -> list[str]:
    """The triples as sorted, distinct N-Triples lines (without line ends)."""
    # IRIs recur and are written once; literals rarely do (and hash slowly): written each time.
    iris: dict[object, str] = {}
    lines = set()
    for s, p, o in triples:
        subject = iris.get(s)
        if subject is None:
            subject = iris[s] = nt_term(s)
        predicate = iris.get(p)
        if predicate is None:
            predicate = iris[p] = nt_term(p)
        if type(o) is URIRef:
            value = iris.get(o)
            if value is None:
                value = iris[o] = nt_term(o)
        else:
            value = nt_term(o)
        lines.add(f"{subject} {predicate} {value} .")
    return sorted(lines)


def ntriples(lines: Sequence[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""


def nquads(graphs: dict[str, Sequence[str]]) -> str:
    """Each graph's lines as N-Quads, graphs in IRI order, lines sorted within each."""
    out = []
    for graph in sorted(graphs):
        lines = graphs[graph]
        if lines:
            # Every line ends " ." and holds no other line end (N-Triples escapes them in
            # literals), so " .\n" occurs only at the line ends: put the graph there.
            out.append(("\n".join(lines) + "\n").replace(" .\n", f" <{graph}> .\n"))
    return "".join(out)


def read_nquads(text: str) -> dict[str, list[str]]:
    """reviewgraph.nq -> graph IRI -> its N-Triples lines."""
    graphs: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line:
            triple, graph, _ = line.rsplit(" ", 2)
            graphs.setdefault(graph[1:-1], []).append(triple + " .")
    return graphs


_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _turtle_iri(written: str, cache: dict[str, str]) -> str:
    text = cache.get(written)
    if text is None:
        text = written
        iri = written[1:-1]
        for prefix, namespace in _PREFIXES_LONGEST_FIRST:
            if iri.startswith(namespace) and _LOCAL.fullmatch(iri[len(namespace):]):
                text = f"{prefix}:{iri[len(namespace):]}"
                break
        cache[written] = text
    return text


def _turtle_object(written: str, cache: dict[str, str]) -> str:
    if written[-1] == '"':  # a plain string: as in N-Triples
        return written
    text = cache.get(written)  # IRIs and typed values recur
    if text is None:
        if written.startswith("<"):
            return _turtle_iri(written, cache)
        text = written
        head, sep, datatype = written.rpartition("^^")
        if sep and datatype.startswith("<") and datatype.endswith(">") and head.endswith('"'):
            text = f"{head}^^{_turtle_iri(datatype, cache)}"
        cache[written] = text
    return text


def _turtle_objects(objects: list[str], cache: dict[str, str]) -> str:
    if len(objects) == 1:
        return _turtle_object(objects[0], cache)
    return " ,\n        ".join([_turtle_object(o, cache) for o in objects])


def _by_subject(lines: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    """Sorted N-Triples lines -> subject -> predicate -> objects, all as written, in order."""
    by_subject: dict[str, dict[str, list[str]]] = {}
    for line in lines:
        subject, predicate, rest = line.split(" ", 2)
        by_subject.setdefault(subject, {}).setdefault(predicate, []).append(rest[:-2])
    return by_subject


_TYPE_PREDICATE = f"<{RDF_TYPE}>"
_TURTLE_HEADER = "".join(f"@prefix {prefix}: <{namespace}> .\n"
                         for prefix, namespace in sorted(PREFIXES.items()))


def _turtle_block(subject: str, predicates: dict[str, list[str]], cache: dict[str, str]) -> str:
    """One subject's Turtle: predicates and objects in N-Triples order, rdf:type first. The
    predicates and objects are in that order already (they come from sorted lines, and a
    line's predicate and object sort as the line does)."""
    parts = []
    types = predicates.get(_TYPE_PREDICATE)
    if types is not None:
        parts.append("a " + _turtle_objects(types, cache))
    for predicate, objects in predicates.items():
        if predicate != _TYPE_PREDICATE:
            parts.append(f"{cache.get(predicate) or _turtle_iri(predicate, cache)} "
                         f"{_turtle_objects(objects, cache)}")
    return f"\n{_turtle_iri(subject, cache)}\n    " + " ;\n    ".join(parts) + " .\n"


def turtle(lines: Sequence[str],
           by_subject: dict[str, dict[str, list[str]]] | None = None) -> str:
    """Turtle: fixed prefixes, one block per subject; subjects, predicates and objects in
    N-Triples order (rdf:type first), so the output depends only on the triples."""
    cache: dict[str, str] = {}
    by_subject = by_subject if by_subject is not None else _by_subject(lines)
    return _TURTLE_HEADER + "".join(_turtle_block(subject, by_subject[subject], cache)
                                    for subject in sorted(by_subject))


def _jsonld_value(written: str) -> object:
    if written.startswith("<"):
        return {"@id": written[1:-1]}
    close = written.rindex('"')
    value = _unescape(written[1:close])
    rest = written[close + 1:]
    if rest.startswith("@"):
        return {"@value": value, "@language": rest[1:]}
    if rest.startswith("^^<") and rest[3:-1] != XSD_STRING:
        return {"@value": value, "@type": curie(rest[3:-1])}
    return value


def _jsonld_node(subject: str, predicates: dict[str, list[str]], cache: dict[str, str]) -> str:
    """One subject's JSON-LD node object (one line), properties and values sorted: the text
    json.dumps(..., ensure_ascii=False) gives, written directly (a build has a million values).
    `cache` keeps the JSON of IRIs and CURIEs already written."""
    # Each key's values come from one predicate (no two predicates share a CURIE), in
    # N-Triples order already, as in Turtle.
    properties: dict[tuple[str, str], list[str]] = {}
    for predicate, objects in predicates.items():
        if predicate == _TYPE_PREDICATE:
            types = [_jsonld_key(o)[1] for o in objects if o.startswith("<")]
            if types:
                properties[_TYPE_KEY] = types
            values = [_jsonld_value_text(o, cache) for o in objects if not o.startswith("<")]
        else:
            values = [_jsonld_value_text(o, cache) for o in objects]
        if values:
            properties[_jsonld_key(predicate)] = values
    members = [f'"@id": {_json_text(subject[1:-1])}']
    for key in sorted(properties):
        members.append(f"{key[1]}: [{', '.join(properties[key])}]")
    return "{" + ", ".join(members) + "}"


@lru_cache(maxsize=1 << 12)
def _jsonld_key(written: str) -> tuple[str, str]:
    """An IRI as written in N-Triples -> its CURIE (the IRI where none) and that as JSON text:
    a build writes the same few predicates and classes a million times."""
    name = curie(written[1:-1])
    return name, _json_text(name)


_TYPE_KEY = ("@type", _json_text("@type"))


def _jsonld_value_text(written: str, cache: dict[str, str]) -> str:
    """The JSON text of _jsonld_value(written); kept in `cache` unless a plain string (IRIs,
    line numbers, years and dates recur; text rarely does)."""
    if written[-1] == '"':
        if "\\" not in written and written.isprintable():
            return written  # nothing to escape in JSON either: the N-Triples text as it is
    else:
        text = cache.get(written)
        if text is not None:
            return text
    if written.startswith("<"):
        text = '{"@id": ' + _json_text(written[1:-1]) + "}"
    else:
        value = _jsonld_value(written)
        if isinstance(value, str):
            return _json_text(value)
        text = "{" + ", ".join(f"{_json_text(k)}: {_json_text(v)}"
                               for k, v in cast(dict, value).items()) + "}"
    cache[written] = text
    return text


def _jsonld_document(nodes: Iterable[str]) -> str:
    context = json.dumps(dict(sorted(PREFIXES.items())), ensure_ascii=False)
    return ('{"@context": ' + context + ',\n "@graph": [\n'
            + ",\n".join(nodes) + "\n]}\n")


def jsonld(lines: Sequence[str],
           by_subject: dict[str, dict[str, list[str]]] | None = None) -> str:
    """Flattened JSON-LD: one node object per subject (one a line), everything sorted."""
    by_subject = by_subject if by_subject is not None else _by_subject(lines)
    cache: dict[str, str] = {}
    return _jsonld_document(_jsonld_node(subject, by_subject[subject], cache)
                            for subject in sorted(by_subject, key=_iri_of))


def _iri_of(written: str) -> str:
    return written[1:-1]


def class_counts_of_lines(lines: Iterable[str]) -> dict[str, int]:
    type_predicate = f" <{RDF_TYPE}> <"
    counts: Counter[str] = Counter()
    for line in lines:
        at = line.find(type_predicate)
        if at > 0:
            counts[curie(line[at + len(type_predicate):-3])] += 1
    return dict(sorted(counts.items()))


def _class_counts(by_subject: dict[str, dict[str, list[str]]]) -> dict[str, int]:
    """class_counts_of_lines, from the lines grouped by subject."""
    type_predicate = f"<{RDF_TYPE}>"
    counts: Counter[str] = Counter()
    for predicates in by_subject.values():
        for written in predicates.get(type_predicate, ()):
            if written.startswith("<"):
                counts[curie(written[1:-1])] += 1
    return dict(sorted(counts.items()))


def class_counts(graph: Graph) -> dict[str, int]:
    counts = Counter(curie(str(cls)) for cls in graph.objects(None, RDF.type))
    return dict(sorted(counts.items()))


@contextlib.contextmanager
def _staging(out_dir: Path) -> Iterator[Path]:
    """A temporary folder beside out_dir to write the files into; it replaces out_dir when
    the block ends, and is removed (out_dir left as it was) if the block fails."""
    out_dir = out_dir.absolute()
    if out_dir.exists():
        if not out_dir.is_dir():
            raise ReviewGraphError(f"{out_dir}: exists and is not a folder")
        if any(out_dir.iterdir()) and not (out_dir / REPORT_FILE).exists():
            # The folder is replaced as a whole: never do that to a folder we did not write.
            raise ReviewGraphError(
                f"{out_dir}: not empty and not a previous build (no {REPORT_FILE}); "
                "choose another --out folder"
            )
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp",
                                        dir=out_dir.parent))
    except OSError as error:
        raise ReviewGraphError(f"{out_dir}: cannot write the build: {error}") from None
    try:
        yield staging
        staging.chmod(0o755)
        if out_dir.exists():
            previous = out_dir.parent / f".{out_dir.name}.{os.getpid()}.old"
            out_dir.rename(previous)
            staging.rename(out_dir)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            staging.rename(out_dir)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReviewGraphError(f"{out_dir}: cannot write the build: {error}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a build runs: a build allocates millions of small
    objects (terms, triples, lines) that live to its end, and the collector would scan them
    again and again (a third of a 10,000-review build's time) to free nothing; the build
    makes no reference cycles it needs freed before it returns."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build(
    pages: Sequence[Path | str] | None = None,
    out_dir: Path | str = DEFAULT_BUILD_DIR,
    base_iri: str = DEFAULT_BASE_IRI,
    strict: bool = False,
    workers: int | None = None,
) -> BuildReport:
    """Parse the pages (default: every page in data/sources/), build and validate the graph and
    write it; raise ReviewGraphError (BuildFailed for validation) and write nothing on failure.
    `workers` is the number of validation processes (default: one per core for a large graph)."""
    with _collector_paused():
        return _build(pages, out_dir, base_iri, strict, workers)


def _build(pages: Sequence[Path | str] | None, out_dir: Path | str, base_iri: str, strict: bool,
           workers: int | None) -> BuildReport:
    from reviewgraph.places import Places

    _check_base(base_iri)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[stage] = now - started
        started = now

    page_paths = page_files(pages) if pages else default_pages()
    fallback = None
    if _parallel_applies(page_paths, workers):
        try:
            build_report = _parallel_build(page_paths, Path(out_dir), base_iri, strict,
                                           workers, lap)
            build_report.timings = timings
            return build_report
        except _Fallback as reason:
            fallback = str(reason)
            timings.clear()
            started = time.perf_counter()
    records, problems = [], []
    captures, titles = {}, {}
    for result in _parse_pages(page_paths, workers):
        records.extend(result.records)
        problems.extend(result.problems)
        if result.records:
            file = result.records[0].source.file
            captures[file] = result.captures
            if result.title:
                titles[file] = result.title
    if strict and problems:
        raise ReviewGraphError(_strict_message(problems))
    lap("parse")

    vocabularies = load_vocabularies(base_iri)
    places = Places.load(base_iri).for_graph()
    result = build_graph(records, vocabularies, places, captures=captures, titles=titles)
    if strict and result.warnings:
        raise ReviewGraphError(_strict_message(result.warnings))
    lap("graph")
    report = validate_triples(result.triples, workers=workers)
    if not report.conforms:
        raise BuildFailed(report)
    lap("validate")

    # Parser warnings of each page go with the page, before the graph's warnings.
    page_problems: dict[str, list[Problem]] = {}
    for problem in problems:
        page_problems.setdefault(problem.file or "", []).append(problem)
    states = [_page_state(page, result.sources, base_iri, page_problems.pop(file, []))
              for file, page in result.pages.items()]
    if states and page_problems:  # parser warnings not tied to a page's file: keep them too
        states[0].warnings[:0] = [p for problems in page_problems.values() for p in problems]
    shared_lines = nt_lines(result.shared)
    graphs = {state.graph: nt_lines(page.triples)
              for state, page in zip(states, result.pages.values(), strict=True)}
    reviews = sorted(result.reviews)
    changes = Changes(added=reviews)
    identities = result.identities
    build_report = _write_build(Path(out_dir), base_iri, states, graphs, shared_lines, report,
                                changes, identities.decisions if identities else [],
                                identities.conflicts if identities else [])
    lap("write")
    build_report.timings = timings
    build_report.fallback = fallback
    return build_report


# Parse pages in worker processes when there is this much text (bytes) and more than one page.
PARALLEL_PARSE_FROM_BYTES = 2_000_000


def _parse_pages(page_paths: list[Path], workers: int | None = None) -> list:
    """Each page's ParseResult, in page order; pages are parsed in forked worker processes
    (one per core) when there are several large ones. Each process keeps an EntryCache, so an
    entry listed word for word in many captures is read once per process."""
    from reviewgraph.parser import EntryCache, load_known_places, parse_file

    known_places = load_known_places()
    size = sum(path.stat().st_size for path in page_paths if path.is_file())
    workers = workers or os.cpu_count() or 1
    if (len(page_paths) < 2 or workers < 2 or size < PARALLEL_PARSE_FROM_BYTES
            or "fork" not in multiprocessing.get_all_start_methods()):
        cache = EntryCache()
        return [parse_file(page, known_places, cache=cache) for page in page_paths]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(page_paths)),
                             mp_context=context) as pool:
        return list(pool.map(_parse_cached, page_paths, [known_places] * len(page_paths),
                             chunksize=max(1, len(page_paths) // (4 * workers))))


# A worker process's entry cache (see _worker_cache): one per process, made on first use.
_WORKER_CACHE: dict[str, EntryCache] = {}


def _worker_cache() -> EntryCache:
    from reviewgraph.parser import EntryCache

    return _WORKER_CACHE.setdefault("cache", EntryCache())


def _parse_cached(path: Path, known_places: frozenset[str]) -> ParseResult:
    from reviewgraph.parser import parse_file

    return parse_file(path, known_places, cache=_worker_cache())


# --- the parallel build --------------------------------------------------------------------
#
# A large build runs in forked worker processes, one per core. They parse the pages first,
# each page into a file, and say which reviews (slugs) each page lists; the pages are then
# split into chunks of about CHUNK_BYTES (so a worker's memory does not grow with the corpus),
# every page listing a review in one chunk with the other pages listing it (a harvest's
# captures of one review, and the decision which text of it wins, stay in one worker). The
# workers take the chunks one after another: a worker reads a chunk's parsed pages, builds
# their graph as if no page came before,
# validates the nodes its pages describe against the shared nodes they link to (made in the
# worker from what the chunk uses) and formats its triples (N-Triples lines, Turtle blocks,
# JSON-LD nodes, N-Quads); this process then makes the shared triples of the whole graph
# (vocabularies, places, keywords, the dataset description) from what the chunks report,
# validates the shared nodes and joins the pieces. The files are byte-identical to those of
# the one-process build, because the build checks what makes that so and builds in one
# process otherwise (`_Fallback`):
#
# - no node is described (a triple's subject) by two chunks, or by a chunk and the shared
#   triples, and no chunk links to a node another chunk describes: then no chunk would have
#   built its pages differently after the other chunks' pages (the same review on two pages,
#   two reviews with one IRI, two pages with one stem all make one node described twice), and
#   each node's triples, and the triples linking to it, are in its chunk (or shared);
# - every locality name was given one value (its IRI or None) wherever it was read;
# - no chunk says rdfs:subClassOf (class membership then comes from the shared triples).
#
# Validation is then exact: a chunk validates with the fast engine the focus nodes its pages
# describe, over its triples and the shared ones, which hold everything those checks read
# (the node's triples, the triples linking to it, its values' types, their classes); this
# process validates the other focus nodes over the shared triples and the types of the nodes
# they link to, and builds in one process if such a node has a shape looking along an inverse
# path, or any result (a result names its source lines, found through the pages).


class _Fallback(Exception):
    """The parallel build cannot promise the one-process build's output: build that way. Its
    text says why (BuildReport.fallback; `reviewgraph build` prints it). Only these stated
    reasons fall back: an exception in a worker fails the build."""


def _parallel_applies(page_paths: list[Path], workers: int | None) -> bool:
    size = sum(path.stat().st_size for path in page_paths if path.is_file())
    workers = workers or os.cpu_count() or 1
    return (len(page_paths) >= 2 and workers >= 2 and size >= PARALLEL_PARSE_FROM_BYTES
            and "fork" in multiprocessing.get_all_start_methods() and fast_engine_covers())


# A chunk of the parallel build is about this much page text (bytes): small enough that a
# worker's memory stays bounded whatever the corpus size, large enough to keep its fixed costs
# (the shared nodes it validates against) small.
CHUNK_BYTES = 4_000_000


def _review_chunks(pages: list[int], slugs: list[list[str]], sizes: list[int],
                   count: int) -> list[list[int]]:
    """The pages (0, 1, ... by number) in at most `count` chunks of about equal size (bytes),
    every page listing a review (by its identity, the slug) in the chunk of every other page
    listing it: the captures of one review are built, and their identity decided, by one
    worker. Chunks hold their pages in order and come in the order of their first page."""
    group = list(pages)  # union-find over pages: a page's group

    def root(page: int) -> int:
        while group[page] != page:
            group[page] = group[group[page]]
            page = group[page]
        return page

    first_page: dict[str, int] = {}
    for page, page_slugs in enumerate(slugs):
        for slug in page_slugs:
            other = root(first_page.setdefault(slug, page))
            mine = root(page)
            if other != mine:
                group[max(other, mine)] = min(other, mine)
    groups: dict[int, list[int]] = {}
    for page in pages:
        groups.setdefault(root(page), []).append(page)
    return _packed(list(groups.values()), sizes, count)


def _packed(groups: list[list[int]], sizes: list[int], count: int) -> list[list[int]]:
    """Groups of pages (by number) put together in at most `count` parts of about equal size
    (bytes): the largest group first, each to the part with the fewest bytes so far (the first
    such part on a tie), a deterministic, near-even split. Parts hold their pages in order and
    come in the order of their first page."""
    loads = [0] * max(1, count)
    parts: list[list[int]] = [[] for _ in loads]
    for pages in sorted(groups, key=lambda pages: (-sum(sizes[p] for p in pages), pages[0])):
        lightest = loads.index(min(loads))
        parts[lightest].extend(pages)
        loads[lightest] += sum(sizes[p] for p in pages)
    return sorted((sorted(part) for part in parts if part), key=lambda part: part[0])


def _parse_groups(page_paths: list[Path], sizes: list[int], count: int) -> list[list[int]]:
    """The pages (by number) in at most `count` parts for the parse workers, the captures of
    one address in one year in one part: they repeat most of their entries, which one worker's
    EntryCache then reads once (not once in each worker). (A page rewritten yearly has few
    entries in common with the year before.)"""
    by_address: dict[tuple[str, str], list[int]] = {}
    for page, path in enumerate(page_paths):
        try:
            captures = read_captures(path)
        except ReviewGraphError:
            captures = ()  # its parser says what is wrong with it
        key = (_ADDRESS_VARIANT.sub("", captures[-1].url).rstrip("/"),
               captures[-1].capture_time[:4]) if captures else (f"page {page}", "")
        by_address.setdefault(key, []).append(page)
    return _packed(list(by_address.values()), sizes, count)


# What tells the variants of an address apart (scheme, "www."): one address to _parse_groups.
_ADDRESS_VARIANT = re.compile(r"^https?://(?:www\.)?", re.IGNORECASE)


def _largest_first(parts: list[list[int]], sizes: list[int]) -> list[int]:
    """The parts (of pages, by number) in the order a pool should take them: the largest first
    (bytes; the first on a tie), so that the last ones are small and the workers end together.
    """
    return sorted(range(len(parts)), key=lambda part: -sum(sizes[page] for page in parts[part]))


# Parts of the pages per parse worker: parsing a part has next to no cost of its own, and the
# smaller the last parts, the sooner the workers end together.
PARSE_PARTS_PER_WORKER = 4


def _parse_part(paths: list[Path]) -> list[tuple[list[str], int]]:
    return [_parse_to_file(path) for path in paths]


@dataclass
class _Shared:
    """What every chunk worker reads from this process's memory (inherited by the fork)."""

    base_iri: str
    known_places: frozenset[str]
    vocabularies: object
    places: object
    agencies: object
    # Where the parse step leaves each page's ParseResult for the chunk that builds it.
    parsed_dir: str | None = None


# The _Shared of a chunk worker process: set once per process by _init_chunk_worker (a process
# pool passes work to a worker function by name only; the fork hands over this value).
_CHUNK_SHARED: dict[str, _Shared] = {}


def _init_chunk_worker(shared: _Shared) -> None:
    _CHUNK_SHARED["shared"] = shared


@dataclass
class _ChunkResult:
    """What a chunk worker sends back: its pages' metadata and problems, what it owns and links
    to (for the parent's checks), its validation results and its formatted pieces."""

    problems: list[Problem]
    pages: dict[str, PageGraph]  # without their triples
    sources: dict[str, str]
    reviews: dict[str, str]
    keywords: set[str]
    locality_values: dict[str, set]
    warnings: list[Problem]
    owned: list[str]
    linked: list[str]
    sub_class: bool
    types: list  # rdf:type triples of its source pages and reviews (the shared nodes link there)
    validated: list | None  # None: the fast engine cannot report these nodes alone
    quads: dict[str, Piece]
    nodes: _Columns
    classes: Counter
    triples: int
    decisions: list[dict]
    conflicts: list[dict]
    # Per page, the locality names its records name and those its records gave a value.
    named: dict[str, set[str]] = field(default_factory=dict)
    touched: dict[str, set[str]] = field(default_factory=dict)


def _chunk_work(paths: list[Path]) -> _ChunkResult:
    """One chunk, start to end: parse its pages, build their graph, validate the nodes they
    own against the shared nodes they link to, and format their triples.

    The shared nodes are made here from what this chunk uses (its keywords, places and source
    pages), so no worker waits for the others. The checks of a chunk's nodes look one step
    from the node (validation's partition rule), so they read only the types and values of the
    shared nodes the chunk links to, which are the same as in the whole graph; the parent checks
    the shared nodes themselves once, with the whole graph's shared triples."""
    from reviewgraph.parser import parse_file

    shared = _CHUNK_SHARED["shared"]
    parsed = [_parsed(path, shared) or parse_file(path, shared.known_places) for path in paths]
    problems = [problem for result in parsed for problem in result.problems]
    places = shared.places
    places.used = set()  # type: ignore[attr-defined]  # a worker serves several chunks
    captures = {result.records[0].source.file: result.captures
                for result in parsed if result.records}
    titles = {result.records[0].source.file: result.title
              for result in parsed if result.records and result.title}
    chunk = build_chunk_graph([record for result in parsed for record in result.records],
                              shared.vocabularies, places, shared.agencies,  # type: ignore[arg-type]
                              captures=captures, titles=titles)
    named: dict[str, set[str]] = {}
    for result in parsed:
        for record in result.records:
            named.setdefault(record.source.file, set()).update(
                name for name in (record.locality, *record.places_mentioned) if name)
    del parsed
    # Each page's triples are a set; their union is never made (hashing every triple again):
    # the pages are indexed one by one (then counted by their distinct lines). What the chunk
    # describes (owns), links to and types is read from that index, before the shared
    # triples its nodes are validated against are added to it.
    index = TripleIndex(*(page.triples for page in chunk.pages.values()))
    owned = set(index.out)
    linked = {o for by_predicate in index.out.values() for values in by_predicate.values()
              for o in values if (type(o) is URIRef or isinstance(o, URIRef)) and o not in owned}
    sources = [URIRef(iri) for iri in chunk.sources.values()]
    rdf_type = index.canonical(RDF.type)
    types = [(node, rdf_type, cls) for node in {*sources, *map(URIRef, chunk.reviews)}
             for cls in index.values(node, rdf_type)]
    sub_class = RDFS.subClassOf in index.predicates()
    places.used = {URIRef(iri) for page in chunk.pages.values()  # type: ignore[attr-defined]
                   for iri in page.places}
    # The chunk's nodes as written, before the shared triples join the index.
    by_subject, subject_of = _written_by_subject(index.out)
    shared_part = shared_triples(shared.vocabularies, places, chunk.keywords_seen,  # type: ignore[arg-type]
                                 sources, chunk.reviews, 0)
    index.add(shared_part)
    index.sparql_ntriples = _sparql_ntriples(by_subject, shared_part)
    validated = validate_focus(index, owned.__contains__)
    del index

    metadata = {file: replace(page, triples=set()) for file, page in chunk.pages.items()}
    nodes, classes = _blocks(by_subject)
    count = sum(len(objects) for predicates in by_subject.values()
                for objects in predicates.values())
    del by_subject
    quads = _page_quads(chunk.pages, {file: graph_iri(shared.base_iri, iri)
                                      for file, iri in chunk.sources.items()},
                        subject_of, dict(zip(nodes[0], nodes[1][0], strict=True)))
    identities = chunk.identities
    return _ChunkResult(problems, metadata, chunk.sources, chunk.reviews, chunk.keywords_seen,
                        chunk.locality_values, chunk.warnings, [str(s) for s in owned],
                        [str(o) for o in linked], sub_class, types, validated, quads, nodes,
                        classes, count, identities.decisions if identities else [],
                        identities.conflicts if identities else [], named, chunk.touched)


def _parsed_file(path: Path, folder: str) -> Path:
    """Where the parse step leaves a page's ParseResult (named by the page's path)."""
    return Path(folder) / (hashlib.sha256(str(path).encode("utf-8")).hexdigest() + ".parsed")


def _parse_to_file(path: Path) -> tuple[list[str], int]:
    """Parse one page (with this process's EntryCache) into its file in the shared
    parsed_dir; the review identities (slugs) its entries list and the page's size, which
    decide the chunk that builds it."""
    from reviewgraph.identity import review_slug
    from reviewgraph.parser import parse_file

    shared = _CHUNK_SHARED["shared"]
    result = parse_file(path, shared.known_places, cache=_worker_cache())
    _parsed_file(path, cast(str, shared.parsed_dir)).write_bytes(
        pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return sorted({review_slug(record) for record in result.records}), path.stat().st_size


def _parsed(path: Path, shared: _Shared) -> ParseResult | None:
    """The ParseResult the parse step left for the page (the file removed), or None."""
    if shared.parsed_dir is None:
        return None
    file = _parsed_file(path, shared.parsed_dir)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        return None
    file.unlink()
    return pickle.loads(data)


def _chunk_to_file(paths: list[Path], folder: str) -> str:
    """_chunk_work, its result in new files in `folder`; their common name. One file holds
    the rest of the result pickled (with its pieces' lengths); one file per kind of piece
    (FORMATTED, and the N-Quads of the pages) holds those pieces one after another (~130 MB a
    chunk in all). The parent maps these files and writes the build's files from the maps,
    never copying the pieces into its memory (reading them from a pickle cost it more CPU
    than the rest of its work), and frees each kind once its file is written."""
    result = _chunk_work(paths)
    subjects, columns = result.nodes
    kinds = [*columns, list(result.quads.values())]
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".chunk", delete=False) as file:
        pickle.dump((replace(result, nodes=([], []), quads={}), subjects, list(result.quads),
                     [array("Q", map(len, pieces)) for pieces in kinds]), file,
                    protocol=pickle.HIGHEST_PROTOCOL)
    for kind, pieces in zip([*FORMATTED, "nq"], kinds, strict=True):
        with open(f"{file.name}.{kind}", "wb") as pieces_file:
            pieces_file.writelines(pieces)
    return file.name


def _scratch() -> str | None:
    """Where chunk results wait to be read: in memory (/dev/shm) where there is such a
    folder, as writing a new file there costs a sixth of the disk's here; else the default
    temporary folder. Results are read in order, each removed once read."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def _load_chunk(name: str) -> _ChunkResult:
    """A chunk's result from its files (see _chunk_to_file), its pieces views of the mapped
    files (which are removed: a file's memory is freed once no piece of it is left)."""
    with open(name, "rb") as file:
        result, subjects, graphs, lengths = pickle.load(file)
    os.unlink(name)
    kinds = []
    for kind, sizes in zip([*FORMATTED, "nq"], lengths, strict=True):
        path = f"{name}.{kind}"
        with open(path, "rb") as file:
            view = memoryview(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)) \
                if sum(sizes) else memoryview(b"")
        os.unlink(path)
        ends = list(itertools.accumulate(sizes))
        kinds.append([view[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)])
    result.nodes = (subjects, kinds[:len(FORMATTED)])
    result.quads = dict(zip(graphs, kinds[-1], strict=True))
    return result


def _merged(sorted_lists: Iterable[list[str]]) -> list[str]:
    """The distinct lines of the lists, sorted. Sorting their concatenation merges the lists'
    sorted runs (several times faster than sorting a set of them when they are sorted)."""
    lines = sorted(itertools.chain.from_iterable(sorted_lists))
    if len(set(lines)) == len(lines):
        return lines
    return [line for line, after in zip(lines, [*lines[1:], None], strict=True) if line != after]


def _subject_blocks(lines: list[str]) -> tuple[_Columns, Counter]:
    """Sorted, distinct N-Triples lines -> _blocks of them."""
    return _blocks(_by_subject(lines))


def _blocks(by_subject: dict[str, dict[str, list[str]]]) -> tuple[_Columns, Counter]:
    """Lines by subject (as _by_subject gives them) -> the subjects (as written) and, per
    subject, its lines, its Turtle block and its JSON-LD node, in UTF-8, each as it goes in its
    file (the lines with their line ends, the node after the ",\n" that comes before every
    node but the first), so that a file is its pieces one after another (a chunk worker's
    encoding them spares the parent from decoding and encoding them again); and the count of
    each class (as the report names it)."""
    turtle_cache: dict[str, str] = {}
    jsonld_cache: dict[str, str] = {}
    lines: list[Piece] = [
        "".join([f"{subject} {predicate} {value} .\n" for predicate, values
                 in predicates.items() for value in values]).encode("utf-8")
        for subject, predicates in by_subject.items()]
    blocks: list[Piece] = [_turtle_block(subject, predicates, turtle_cache).encode("utf-8")
                           for subject, predicates in by_subject.items()]
    nodes: list[Piece] = [(",\n" + _jsonld_node(subject, predicates, jsonld_cache)).encode("utf-8")
                          for subject, predicates in by_subject.items()]
    return (list(by_subject), [lines, blocks, nodes]), Counter(_class_counts(by_subject))


def _written_by_subject(out: dict[object, dict[object, list]]
                        ) -> tuple[dict[str, dict[str, list[str]]], dict[object, str]]:
    """An index's triples (subject -> predicate -> values, as TripleIndex.out holds them) as
    _by_subject gives their sorted, distinct N-Triples lines, without making the lines: a
    subject's lines sort as their (predicate, value) pairs do, as no predicate (ending in
    '>') is a prefix of another, and a value is one of another only where '^^' or '@' follows
    it, which sorts after the space that follows it in its line. Also each subject's text."""
    written: dict[int, str] = {}  # term (by identity: the index holds them) -> as written
    by_subject: dict[str, dict[str, list[str]]] = {}
    subject_of: dict[object, str] = {}
    for s, by_predicate in out.items():
        subject = subject_of[s] = f"<{s}>" if type(s) is URIRef else nt_term(s)
        predicates: dict[str, list[str]] = {}
        for p, values in by_predicate.items():
            predicate = written.get(id(p))
            if predicate is None:
                predicate = written[id(p)] = nt_term(p)
            objects = []
            for o in values:
                value = written.get(id(o))
                if value is None:
                    value = written[id(o)] = nt_term(o)
                objects.append(value)
            predicates[predicate] = sorted(set(objects)) if len(objects) > 1 else objects
        by_subject[subject] = dict(sorted(predicates.items())) if len(predicates) > 1 \
            else predicates
    return by_subject, subject_of


def _sparql_ntriples(by_subject: dict[str, dict[str, list[str]]],
                     more: Iterable[tuple[object, object, object]]) -> bytes:
    """The N-Triples of the triples (written, by subject, and more) with the predicates the
    SHACL-SPARQL constraints read (validation.sparql_predicates): the chunk's triples are
    written already, and Oxigraph reads text faster than it is given terms."""
    predicates = sparql_predicates()
    wanted = None if predicates is None else {f"<{predicate}>" for predicate in predicates}
    lines = [f"{subject} {predicate} {value} .\n" for subject, by_predicate in by_subject.items()
             for predicate in (by_predicate if wanted is None
                               else wanted.intersection(by_predicate))
             for value in by_predicate[predicate]]
    lines += [line + "\n" for line in nt_lines(
        triple for triple in more if predicates is None or str(triple[1]) in predicates)]
    return "".join(lines).encode("utf-8")


def _page_quads(pages: dict[str, PageGraph], graphs: dict[str, str],
                subject_of: dict[object, str], lines_of: dict[str, Piece]) -> dict[str, Piece]:
    """Each page's named graph (by IRI) as N-Quads, from its subjects' lines where no other
    page describes them (then a subject's lines are the page's own), else from its triples."""
    subjects = {file: {s for s, _, _ in page.triples} for file, page in pages.items()}
    seen: set = set()
    shared: set = set()
    for nodes in subjects.values():
        shared |= seen & nodes
        seen |= nodes
    quads: dict[str, Piece] = {}
    for file, page in pages.items():
        graph = graphs[file]
        if shared.isdisjoint(subjects[file]):
            written = sorted(subject_of[s] + " " for s in subjects[file])
            text = b"".join([lines_of[subject[:-1]] for subject in written])
            quads[graph] = text.replace(b" .\n", f" <{graph}> .\n".encode())
        else:
            quads[graph] = nquads({graph: nt_lines(page.triples)}).encode("utf-8")
    return quads


def _parallel_build(page_paths: list[Path], out_dir: Path, base_iri: str, strict: bool,
                    workers: int | None, lap: Callable[[str], None]) -> BuildReport:
    """The build in chunk workers (see _chunk_work); raises _Fallback where it cannot promise
    the one-process build's output (nothing is written then)."""
    from reviewgraph.agencies import default_matcher
    from reviewgraph.parser import load_known_places
    from reviewgraph.places import Places

    workers = min(workers or os.cpu_count() or 1, len(page_paths))
    size = sum(path.stat().st_size for path in page_paths if path.is_file())
    # At least two chunks a worker, so one finishing early finds more work.
    count = max(2 * workers, -(-size // CHUNK_BYTES))
    context = multiprocessing.get_context("fork")
    results: list[_ChunkResult] = []
    with tempfile.TemporaryDirectory(prefix="reviewgraph-chunks-", dir=_scratch()) as folder:
        try:
            # Pages are parsed first, so that the pages listing one review (its captures) can
            # be built in one chunk; a chunk's worker reads its pages' results. The parsers
            # start at once; this process loads what the chunks need meanwhile, and their
            # workers are forked once it has.
            parse = _Shared(base_iri, load_known_places(), None, None, None, parsed_dir=folder)
            with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                     initializer=_init_chunk_worker, initargs=(parse,)) as pool:
                sizes = [path.stat().st_size if path.is_file() else 0 for path in page_paths]
                groups = _parse_groups(page_paths, sizes, PARSE_PARTS_PER_WORKER * workers)
                parts = [groups[part] for part in _largest_first(groups, sizes)]
                parsed = pool.map(_parse_part, [[page_paths[page] for page in part]
                                                for part in parts])
                vocabularies = load_vocabularies(base_iri)
                places = Places.load(base_iri).for_graph()
                shared = replace(parse, vocabularies=vocabularies, places=places,
                                 agencies=default_matcher())
                listed: list[tuple[list[str], int]] = [([], 0)] * len(page_paths)
                for part, part_listed in zip(parts, parsed, strict=True):
                    for page, slugs_and_size in zip(part, part_listed, strict=True):
                        listed[page] = slugs_and_size
            lap("parse")
            chunks = _review_chunks(list(range(len(page_paths))),
                                    [slugs for slugs, _ in listed], sizes, count)
            # Results are taken in the chunks' order, whatever order they are built in.
            loaded: dict[int, _ChunkResult] = {}
            order = _largest_first(chunks, sizes)
            with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                     initializer=_init_chunk_worker, initargs=(shared,)) as pool:
                for chunk, name in zip(order, pool.map(
                        _chunk_to_file, [[page_paths[page] for page in chunks[chunk]]
                                         for chunk in order], itertools.repeat(folder)),
                                       strict=True):
                    loaded[chunk] = _load_chunk(name)  # while the workers go on
            results = [loaded[chunk] for chunk in range(len(chunks))]
        except BrokenProcessPool as error:  # a worker killed (out of memory?): loudly
            raise ReviewGraphError(f"a build worker process died ({error}); nothing was "
                                   "written") from error
        # Any other exception of a worker (bad input as ReviewGraphError, or a bug)
        # propagates as it is, with the worker's traceback: never a quiet second build.
    lap("chunks")  # parse, graph, validation of the chunks' own nodes and formatting

    problems = [p for result in results for p in result.problems]
    if strict and problems:
        raise _Fallback("--strict and the pages gave warnings: the one-process build reports "
                        "them as it does")
    pages: dict[str, PageGraph] = {}
    sources: dict[str, str] = {}
    reviews: dict[str, str] = {}
    keywords: set[str] = set()
    locality_values: dict[str, set] = {}
    owned: set[str] = set()
    page_triples = 0
    for result in results:
        if strict and result.warnings:
            raise _Fallback("--strict and the graph gave warnings: the one-process build "
                            "reports them as it does")
        if result.sub_class:
            raise _Fallback("a page's graph says rdfs:subClassOf, so class membership is not "
                            "in the shared triples alone")
        if result.validated is None:
            raise _Fallback("the shapes need pyshacl for a chunk's nodes (the fast engine "
                            "cannot check them alone)")
        if not owned.isdisjoint(result.owned):
            raise _Fallback("two runs of pages describe the same node (e.g. the same review "
                            "on two pages, or two pages with one name)")
        pages.update(result.pages)
        sources.update(result.sources)
        reviews.update(result.reviews)
        keywords |= result.keywords
        for name, given in result.locality_values.items():
            locality_values.setdefault(name, set()).update(given)
        owned.update(result.owned)
        page_triples += result.triples
    for result in results:
        # A chunk linking to another chunk's node: its checks did not see that node.
        if not owned.isdisjoint(set(result.linked).difference(result.owned)):
            raise _Fallback("a page links to a node that a page in another run describes")
    if any(len(given) > 1 for given in locality_values.values()):
        raise _Fallback("a locality name was matched to different places in different runs "
                        "of pages")
    _page_localities(page_paths, pages, locality_values, results)
    places.used = {URIRef(iri) for page in pages.values() for iri in page.places}
    shared_set = shared_triples(vocabularies, places, keywords,
                                [URIRef(iri) for iri in sources.values()], reviews,
                                page_triples)
    if any(str(s) in owned for s, _, _ in shared_set):
        raise _Fallback("a node of the shared triples is also described by a page")

    # The shared nodes, checked once with the whole graph's shared triples.
    owned_terms = {URIRef(iri) for iri in owned}
    types = [t for result in results for t in result.types]
    found = validate_focus([*shared_set, *types], lambda node: node not in owned_terms,
                           inverse_paths=False)
    if found is None:
        raise _Fallback("a shared node has a shape looking along an inverse path (the "
                        "triples linking to it are spread over the runs of pages)")
    for result in results:
        found.extend(result.validated)  # type: ignore[arg-type]
    report = combine(found)
    if not report.conforms:
        raise BuildFailed(report)
    lap("validate")

    shared_lines = nt_lines(shared_set)
    (subjects, columns), classes = _subject_blocks(shared_lines)
    quads = {base_iri + SHARED_GRAPH: nquads({base_iri + SHARED_GRAPH: shared_lines})
             .encode("utf-8")}
    triples = len(shared_lines)
    decisions = [item for result in results for item in result.decisions]
    conflicts = [item for result in results for item in result.conflicts]
    for result in results:
        quads.update(result.quads)
        subjects += result.nodes[0]
        for column, pieces in zip(columns, result.nodes[1], strict=True):
            column += pieces
        result.nodes, result.quads = ([], []), {}  # the pieces kept in `columns` only
        classes.update(result.classes)
        triples += result.triples
    del results

    page_problems: dict[str, list[Problem]] = {}
    for problem in problems:
        page_problems.setdefault(problem.file or "", []).append(problem)
    states = [_page_state(page, sources, base_iri, page_problems.pop(file, []))
              for file, page in pages.items()]
    if states and page_problems:
        states[0].warnings[:0] = [p for problems in page_problems.values() for p in problems]

    def graph_files(staging: Path, write: Callable[[str, Content], None]) -> dict[str, str]:
        # Every node's pieces are made; each file puts them in its own order (and is given
        # in parts, not copied once more to put its head and tail on).
        # Each file's pieces are dropped once it is written (see _load_chunk). The largest
        # files first: the writers, two at a time, then end at about the same time.
        graphs = sorted(quads)
        write(NQUADS_FILE, [quads.pop(graph) for graph in graphs])
        nt, ttl, jsonld = columns
        columns.clear()
        # Lines sort by their subject followed by a space (no IRI holds one), then within it.
        order = sorted(range(len(subjects)), key=lambda node: subjects[node] + " ")
        write(NTRIPLES_FILE, [nt[node] for node in order])
        del nt
        order.sort(key=subjects.__getitem__)
        write(TURTLE_FILE, [_TURTLE_HEADER.encode("utf-8"), *[ttl[node] for node in order]])
        del ttl
        order.sort(key=lambda node: subjects[node][1:-1])
        head, tail = _jsonld_document(["\0"]).encode("utf-8").split(b"\0")
        nodes = [jsonld[node] for node in order]
        del jsonld
        if nodes:
            nodes[0] = memoryview(nodes[0])[len(b",\n"):]  # no comma before the first
        write(JSONLD_FILE, [head, *nodes, tail])
        del nodes
        return {}

    report_ = _write_outputs(out_dir, base_iri, states, report, Changes(added=sorted(reviews)),
                             triples, dict(sorted(classes.items())), graph_files,
                             decisions, conflicts)
    lap("write")
    return report_


def _page_localities(page_paths: list[Path], pages: dict[str, PageGraph],
                     locality_values: dict[str, set], results: list[_ChunkResult]) -> None:
    """Give each page the localities the one-process build gives it: a name its records name
    is listed once a record has given it a value, on this page or on any page before it (in
    another chunk too: a page whose listings are all earlier versions of reviews names places
    without resolving them)."""
    order = {str(path): number for number, path in enumerate(page_paths)}
    first_touched: dict[str, int] = {}
    for result in results:
        for file, names in result.touched.items():
            for name in names:
                first_touched[name] = min(first_touched.get(name, order[file]), order[file])
    for result in results:
        for file, names in result.named.items():
            localities = pages[file].localities
            for name in names.difference(localities):
                if first_touched.get(name, len(order)) < order[file]:
                    (localities[name],) = locality_values[name]


@dataclass
class _PageState:
    """One page of a build as pages.json keeps it."""

    file: str  # as given when built
    display: str  # as the report names it
    page_iri: str
    graph: str
    reviews: dict[str, str]
    contents: dict[str, str]
    keywords: list[str]
    places: list[str]
    localities: dict[str, str | None]
    warnings: list[Problem]

    def to_json(self) -> dict:
        return {"file": self.file, "display": self.display, "page": self.page_iri,
                "graph": self.graph, "reviews": dict(sorted(self.reviews.items())),
                "contents": dict(sorted(self.contents.items())), "keywords": self.keywords,
                "places": self.places, "localities": dict(sorted(self.localities.items())),
                "warnings": [_problem_json(w) for w in self.warnings]}

    @classmethod
    def from_json(cls, data: dict) -> _PageState:
        return cls(data["file"], data["display"], data["page"], data["graph"], data["reviews"],
                   data["contents"], data["keywords"], data["places"], data["localities"],
                   [Problem(**w) for w in data["warnings"]])


def graph_iri(base_iri: str, page_iri: str) -> str:
    """The named graph of a source page: {base}graph/{its last IRI segment}."""
    return f"{base_iri}graph/{page_iri.rsplit('/', 1)[-1]}"


def _page_state(page: PageGraph, sources: dict[str, str], base_iri: str,
                problems: list[Problem]) -> _PageState:
    page_iri = sources[page.file]
    display = _display_path(Path(page.file))  # no machine-specific folders in pages.json
    return _PageState(
        file=display, display=display, page_iri=page_iri,
        graph=graph_iri(base_iri, page_iri), reviews=dict(page.reviews),
        contents=dict(page.contents), keywords=sorted(page.keywords),
        places=sorted(page.places), localities=dict(page.localities),
        warnings=[*problems, *page.warnings])


def _write_build(out_dir: Path, base_iri: str, states: list[_PageState],
                 graphs: dict[str, list[str]], shared_lines: list[str],
                 validation: ValidationReport, changes: Changes,
                 decisions: Sequence[dict] = (), conflicts: Sequence[dict] = ()) -> BuildReport:
    """Write every output file of a build from the pages' and the shared lines."""
    all_lines = _merged([shared_lines, *graphs.values()])
    by_subject = _by_subject(all_lines)
    named_graphs: dict[str, Sequence[str]] = {**graphs, base_iri + SHARED_GRAPH: shared_lines}

    def graph_files(staging: Path, write: Callable[[str, Content], None]) -> dict[str, str]:
        # The JSON-LD of a large build is made in a forked process while this one makes the
        # other files (each needs the lines by subject; the child groups them itself).
        jsonld_child = fork_call(lambda: _write_jsonld(staging / JSONLD_FILE, all_lines,
                                                         by_subject)) \
            if len(all_lines) >= FORK_WRITER_FROM_LINES and hasattr(os, "fork") else None
        write(TURTLE_FILE, turtle(all_lines, by_subject))
        write(NTRIPLES_FILE, ntriples(all_lines))
        write(NQUADS_FILE, nquads(named_graphs))
        if jsonld_child is None:
            write(JSONLD_FILE, jsonld(all_lines, by_subject))
            return {}
        return {JSONLD_FILE: str(collect(jsonld_child))}

    return _write_outputs(out_dir, base_iri, states, validation, changes, len(all_lines),
                          _class_counts(by_subject), graph_files, decisions, conflicts)


def _write_outputs(out_dir: Path, base_iri: str, states: list[_PageState],
                   validation: ValidationReport, changes: Changes, triples: int,
                   classes: dict[str, int],
                   graph_files: Callable[[Path, Callable[[str, Content], None]],
                                         dict[str, str]],
                   decisions: Sequence[dict] = (), conflicts: Sequence[dict] = (),
                   ) -> BuildReport:
    """Write the build's files atomically: graph_files(staging, write) writes the graph files
    (returning the sha256 of any it wrote itself), then pages.json and report.json."""
    # Pages in path order, whatever order they were given or added in.
    states = sorted(states, key=lambda state: state.display)
    localities: dict[str, str | None] = {}
    for state in states:
        for name, iri in state.localities.items():
            if iri is not None or localities.get(name) is None:
                localities[name] = iri
    reviews = {iri for state in states for iri in state.reviews}
    build_report = BuildReport(
        out_dir=out_dir,
        base_iri=base_iri,
        pages=[state.display for state in states],
        reviews=len(reviews),
        triples=triples,
        classes=classes,
        warnings=[w for state in states for w in state.warnings],
        localities=dict(sorted(localities.items())),
        validation=validation,
        changes=changes,
        decisions=_sorted_findings(decisions),
        conflicts=_sorted_findings(conflicts),
    )
    pages_json = json.dumps({"base_iri": base_iri, "pages": [state.to_json() for state in states]},
                            indent=1, ensure_ascii=False) + "\n"
    # Files are hashed and written in threads while the next is made (hashing and writing
    # let other threads run); at most WRITES_AHEAD files wait, so memory holds few at once.
    with _staging(out_dir) as staging, ThreadPoolExecutor(WRITES_AHEAD) as writers:
        hashes: dict[str, str] = {}
        pending: list[tuple[str, Future[str]]] = []

        def write(name: str, text: Content) -> None:
            data = [text.encode("utf-8")] if isinstance(text, str) else text
            if len(pending) >= WRITES_AHEAD:  # wait for the first to finish, whichever
                wait([future for _, future in pending], return_when=FIRST_COMPLETED)
                for done, future in [item for item in pending if item[1].done()]:
                    hashes[done] = future.result()
                    pending.remove((done, future))
            pending.append((name, writers.submit(_write_file, staging / name, data)))

        def written() -> None:
            hashes.update((name, future.result()) for name, future in pending)
            pending.clear()

        try:
            hashes.update(graph_files(staging, write))
            write(PAGES_FILE, pages_json)
            written()
            build_report.files = {name: hashes[name] for name in (
                TURTLE_FILE, NTRIPLES_FILE, NQUADS_FILE, JSONLD_FILE, PAGES_FILE)}
            report_json = build_report.to_json() | {"files": build_report.files}
            write(REPORT_FILE, json.dumps(report_json, indent=2, ensure_ascii=False) + "\n")
        finally:
            written()  # every file written (or its error raised) before the folder is swapped
    return build_report


# Files made and waiting to be written, at most (each as big as a quarter of the build's).
WRITES_AHEAD = 2


def _write_file(path: Path, parts: list[Piece]) -> str:
    """Write the parts as one file; its sha256. The parts go to the file as they are, many in
    one system call (a build's files are ~100,000 pieces each: joining them first copied
    them all once more)."""
    digest = hashlib.sha256()
    with path.open("wb", buffering=0) as file:
        for start in range(0, len(parts), WRITE_BATCH):
            batch = parts[start:start + WRITE_BATCH]
            for part in batch:
                digest.update(part)
            size = sum(map(len, batch))
            written = os.writev(file.fileno(), batch) if hasattr(os, "writev") else 0
            if written < size:  # a short write: the rest, part by part
                rest = memoryview(b"".join(batch))[written:]
                while rest:
                    rest = rest[file.write(rest) or 0:]
    return digest.hexdigest()


# Parts written in one system call (IOV_MAX on Linux and macOS).
WRITE_BATCH = 1024


# Builds with at least this many triples write their JSON-LD in a forked process.
FORK_WRITER_FROM_LINES = 200_000


def _write_jsonld(path: Path, lines: list[str],
                  by_subject: dict[str, dict[str, list[str]]]) -> str:
    """Write the JSON-LD of the lines; its sha256."""
    data = jsonld(lines, by_subject).encode("utf-8")
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _check_base(base_iri: str) -> None:
    if not base_iri.startswith(("http://", "https://")) or not base_iri.endswith(("/", "#")):
        raise ReviewGraphError(f"base IRI {base_iri!r} must be an http(s) IRI ending in / or #")


# --- adding a page to a build ------------------------------------------------------------------
@dataclass
class GraphChange:
    """The triples (N-Triples lines) to insert into and remove from one named graph."""

    insert: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)


@dataclass
class AddReport:
    """What `add_page` did: the reviews added, changed and left alone, the build report of the
    result (None if nothing changed and nothing was written), and per named graph the triples
    to insert and remove, so a store can apply the same change."""

    page: str
    changes: Changes
    graphs: dict[str, GraphChange]
    written: bool
    build: BuildReport | None
    warnings: list[Problem] = field(default_factory=list)
    validation: ValidationReport | None = None

    @property
    def unchanged_build(self) -> bool:
        return not self.written


def add_page(
    build_dir: Path | str,
    page: Path | str,
    strict: bool = False,
    write: bool = True,
) -> AddReport:
    """Add one page (a new month's listing) to a finished build, or replace what a page of the
    same name gave it before, without reading the other pages again: parse the page, build
    its reviews' triples, validate them with what they touch (the shared vocabularies and
    places, and any review of another page they link to), merge and write atomically.

    Adding the same page twice changes nothing (the second add writes nothing). A failed add
    (a parse error, --strict warnings, a review that violates the shapes) raises and leaves
    the build as it was; BuildFailed's report names the review, file and lines."""
    from reviewgraph.parser import load_known_places, parse_file
    from reviewgraph.places import Places

    out_dir = Path(build_dir)
    page_path = Path(page)
    state = _read_pages_state(out_dir)
    base_iri = state["base_iri"]
    states = [_PageState.from_json(item) for item in state["pages"]]
    try:
        graphs = read_nquads((out_dir / NQUADS_FILE).read_text(encoding="utf-8"))
    except OSError as error:
        raise ReviewGraphError(f"{out_dir / NQUADS_FILE}: cannot read the build: {error}") \
            from None

    parsed = parse_file(page_path, load_known_places())
    if strict and parsed.problems:
        raise ReviewGraphError(_strict_message(parsed.problems))
    vocabularies = load_vocabularies(base_iri)
    places = Places.load(base_iri).for_graph()

    # A page listing a review the build has (another capture of a listing, a yearly list):
    # which listing wins and what the review's provenance is depends on every page listing
    # it, so the build is made again from all its pages (as a full build would make it).
    name = page_path.name
    held = {iri.rsplit("/", 1)[-1] for s in states if Path(s.file).name != name
            for iri in s.reviews}
    listed = _held_reviews_listed(parsed.records, held)
    if listed:
        return _add_by_rebuild(out_dir, [page_path], strict, state, graphs, listed)

    # The page replaces a page of the same name (same source page IRI), if there is one.
    previous = [s for s in states if Path(s.file).name == name]
    others = [s for s in states if Path(s.file).name != name]
    contents = {iri: fp for s in others for iri, fp in s.contents.items()}
    sources = {Path(s.file).name: s.page_iri for s in others}
    file = parsed.records[0].source.file
    new_page, new_sources = build_page_graph(
        parsed.records, vocabularies, places, contents, sources,
        captures={file: parsed.captures}, titles={file: parsed.title} if parsed.title else {})
    if strict and new_page.warnings:
        raise ReviewGraphError(_strict_message(new_page.warnings))
    new_state = _page_state(new_page, new_sources, base_iri, list(parsed.problems))
    new_lines = nt_lines(new_page.triples)

    # Shared triples from every page's keywords, places, sources and reviews.
    places.used = {URIRef(iri) for s in [*others, new_state] for iri in s.places}
    keywords = {k for s in [*others, new_state] for k in s.keywords}
    page_lines = set(new_lines).union(*(graphs.get(s.graph, ()) for s in others))
    reviews = {iri for s in [*others, new_state] for iri in s.reviews}
    shared = shared_triples(vocabularies, places, keywords,
                            [URIRef(s.page_iri) for s in [*others, new_state]], reviews,
                            len(page_lines))

    # Validate the page's triples with the shared ones, the other pages' source page nodes
    # (the dataset description links to them) and the pages of any other review they link to
    # (the same review listed again adds a source extract to it).
    touched_iris = {str(term) for triple in new_page.triples for term in triple}
    touched = [s for s in others if touched_iris.intersection(s.reviews)]
    # (A source page's captures are described in its graph too: its link to them is checked.)
    captures = f"<{base_iri}capture/"
    lines = [line for other in others if other not in touched
             for line in graphs.get(other.graph, [])
             if line.startswith((f"<{other.page_iri}> ", captures))]
    lines += [line for other in touched for line in graphs.get(other.graph, [])]
    data: set = set(new_page.triples) | shared
    if lines:
        data |= set(Graph().parse(data=ntriples(lines), format="nt"))
    validation = validate_triples(data)
    if not validation.conforms:
        raise BuildFailed(validation)

    changes = _changes(name, previous, new_state, others)
    changes.already = sorted({iri for s in touched for iri in s.reviews
                              if iri in touched_iris and iri not in new_state.contents})
    shared_lines = nt_lines(shared)
    new_graphs = {s.graph: graphs.get(s.graph, []) for s in others}
    new_graphs[new_state.graph] = new_lines
    old_page_graphs = {s.graph: graphs.get(s.graph, []) for s in previous}
    graph_changes = _graph_changes(graphs, new_graphs, old_page_graphs, new_state.graph,
                                   base_iri + SHARED_GRAPH, shared_lines)
    report = AddReport(page=_display_path(page_path), changes=changes, graphs=graph_changes,
                       written=False, build=None, warnings=new_state.warnings,
                       validation=validation)
    if not any(c.insert or c.remove for c in graph_changes.values()):
        return report  # the same page again: nothing to do, nothing written
    if write:
        # What the build found about the other pages' reviews still holds; the new page's
        # own findings are those of its records alone (it lists no review the build holds).
        from reviewgraph.identity import plan_reviews

        identity = read_report(out_dir).get("identity") or {}
        found = plan_reviews(parsed.records, {file: parsed.captures})
        decisions = [*_findings_without(identity.get("decisions", []), name), *found.decisions]
        conflicts = [*_findings_without(identity.get("conflicts", []), name), *found.conflicts]
        report.build = _write_build(out_dir, base_iri, [*others, new_state], new_graphs,
                                    shared_lines, validation, changes, decisions, conflicts)
        report.written = True
    return report


def _findings_without(findings: list[dict], name: str) -> list[dict]:
    """The identity findings that involve no page of this file name."""
    def files(finding: dict) -> list[str]:
        listings = finding.get("listings") or [finding.get("latest"), finding.get("earlier")]
        return [Path(item["file"]).name for item in listings if item]
    return [finding for finding in findings if name not in files(finding)]


def _held_reviews_listed(records: Sequence[object], held: set[str]) -> set[str]:
    """The slugs of the build's reviews that these records list again (a record's slug, or its
    slug with a number added for another review of the same name)."""
    from reviewgraph.identity import review_slug

    listed = set()
    for record in records:
        key = review_slug(record)  # type: ignore[arg-type]
        listed |= {slug for slug in held if slug == key or (
            slug.startswith(key + "-") and slug[len(key) + 1:].isdigit())}
    return listed


def add_pages(build_dir: Path | str, pages: Sequence[Path | str],
              strict: bool = False) -> AddReport:
    """Add pages or folders of pages (a harvest) to a finished build: one page as `add_page`
    adds it; several are merged with the build's pages by building again from all of them
    (every page the build was made from must still be there)."""
    paths = page_files(pages)
    if len(paths) == 1:
        return add_page(build_dir, paths[0], strict=strict)
    out_dir = Path(build_dir)
    state = _read_pages_state(out_dir)
    try:
        graphs = read_nquads((out_dir / NQUADS_FILE).read_text(encoding="utf-8"))
    except OSError as error:
        raise ReviewGraphError(f"{out_dir / NQUADS_FILE}: cannot read the build: {error}") \
            from None
    return _add_by_rebuild(out_dir, paths, strict, state, graphs)


def _add_by_rebuild(out_dir: Path, new_paths: list[Path], strict: bool, state: dict,
                    old_graphs: dict[str, list[str]],
                    listed_held: set[str] | None = None) -> AddReport:
    """Build again from the build's pages and the new ones (a new page replaces a page of the
    same name); report what changed as an add does. A failed build leaves the build as it
    was. `listed_held`: the slugs of the build's reviews that the new pages list again."""
    states = [_PageState.from_json(item) for item in state["pages"]]
    new_names = {path.name for path in new_paths}
    kept = [s for s in states if Path(s.file).name not in new_names]
    kept_paths = []
    for kept_state in kept:
        path = Path(kept_state.file)
        path = path if path.is_absolute() else PROJECT_ROOT / path
        if not path.is_file():
            raise ReviewGraphError(
                f"{kept_state.file}: a page of the build in {out_dir} is no longer there; "
                "adding pages that list its reviews again needs every page the build was "
                "made from (or run `reviewgraph build` again)")
        kept_paths.append(path)
    report = build([*kept_paths, *new_paths], out_dir, state["base_iri"], strict)
    new_state = _read_pages_state(out_dir)
    new_states = [_PageState.from_json(item) for item in new_state["pages"]]
    graphs = read_nquads((out_dir / NQUADS_FILE).read_text(encoding="utf-8"))
    before = {iri: fp for s in states for iri, fp in s.contents.items()}
    after = {iri: fp for s in new_states for iri, fp in s.contents.items()}
    touched = {iri for s in new_states if Path(s.file).name in new_names for iri in s.contents}
    shown = ", ".join(_display_path(path) for path in new_paths[:3]) + (
        f" and {len(new_paths) - 3} more" if len(new_paths) > 3 else "")
    changes = Changes(page=shown, other_pages=len(kept))
    changes.added = sorted(set(after) - set(before))
    changes.changed = sorted(i for i in after if i in before and before[i] != after[i])
    changes.unchanged = sorted(i for i in touched if before.get(i) == after[i])
    changes.removed = sorted(set(before) - set(after))
    changes.already = sorted(iri for iri in after
                             if iri.rsplit("/", 1)[-1] in (listed_held or ()))
    changes.left_alone = len(after) - len(changes.added) - len(changes.changed) - len(
        changes.unchanged)
    graph_changes = {}
    for graph in sorted(set(old_graphs) | set(graphs)):
        old_lines, new_lines = set(old_graphs.get(graph, ())), set(graphs.get(graph, ()))
        if old_lines != new_lines:
            graph_changes[graph] = GraphChange(insert=sorted(new_lines - old_lines),
                                               remove=sorted(old_lines - new_lines))
    report.changes = changes
    return AddReport(page=shown, changes=changes, graphs=graph_changes,
                     written=bool(graph_changes), build=report, warnings=report.warnings,
                     validation=report.validation)


def _changes(name: str, previous: list[_PageState], new: _PageState,
             others: list[_PageState]) -> Changes:
    before = {iri: fp for s in previous for iri, fp in s.contents.items()}
    elsewhere = {iri for s in others for iri in s.reviews}
    changes = Changes(page=name, left_alone=len(elsewhere), other_pages=len(others))
    for iri, fingerprint in sorted(new.contents.items()):
        if iri not in before:
            changes.added.append(iri)
        elif before[iri] != fingerprint:
            changes.changed.append(iri)
        else:
            changes.unchanged.append(iri)
    changes.removed = sorted(set(before) - set(new.contents))
    return changes


def _graph_changes(old: dict[str, list[str]], new: dict[str, list[str]],
                   replaced: dict[str, list[str]], page_graph: str, shared_graph: str,
                   shared_lines: list[str]) -> dict[str, GraphChange]:
    changes: dict[str, GraphChange] = {}
    for graph, before in [*replaced.items(), (page_graph, old.get(page_graph, [])),
                          (shared_graph, old.get(shared_graph, []))]:
        after = shared_lines if graph == shared_graph else new.get(graph, [])
        before_set, after_set = set(before), set(after)
        change = GraphChange(insert=sorted(after_set - before_set),
                             remove=sorted(before_set - after_set))
        changes[graph] = change
    return {graph: change for graph, change in sorted(changes.items())}


def _read_pages_state(out_dir: Path) -> dict:
    path = out_dir / PAGES_FILE
    if not path.is_file():
        raise ReviewGraphError(f"{path}: no build to add to (run `reviewgraph build` first)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReviewGraphError(f"{path}: cannot read the build's pages: {error}") from None


def _display_path(path: Path) -> str:
    """A page as the report names it: relative to the project when inside it (so the report
    does not depend on where the checkout lives)."""
    try:
        return path.absolute().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def _strict_message(problems: Sequence[Problem]) -> str:
    shown = "\n  ".join(str(problem) for problem in problems[:20])
    more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
    return f"{len(problems)} warning(s) and --strict is set:\n  {shown}{more}"


def load_build(out_dir: Path | str = DEFAULT_BUILD_DIR) -> Graph:
    """The graph of a finished build (its N-Triples file)."""
    path = Path(out_dir) / NTRIPLES_FILE
    if not path.is_file():
        raise ReviewGraphError(f"{path}: no build found (run `reviewgraph build` first)")
    return Graph().parse(path, format="nt")


def read_report(out_dir: Path | str = DEFAULT_BUILD_DIR) -> dict:
    """The build report (report.json) of a finished build."""
    path = Path(out_dir) / REPORT_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReviewGraphError(f"{path}: cannot read the build report: {error}") from None
