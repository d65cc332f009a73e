"""The build: pages -> records -> graph -> validation -> files, deterministic and atomic.

Output folder (default build/), read by the server and by `reviewgraph validate`:

    reviewgraph.ttl     the graph as Turtle
    reviewgraph.nt      the graph as N-Triples, lines sorted
    reviewgraph.jsonld  the graph as JSON-LD (flattened, nodes and values sorted)
    report.json         counts per class, warnings, localities matched, validation summary

Two builds of the same input give byte-identical files (no timestamps; everything sorted).
The files are written into a temporary folder beside the output folder, which then replaces
it, so a failed build leaves the previous output as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph

from reviewgraph.concepts import load_vocabularies
from reviewgraph.errors import Problem, ReviewGraphError
from reviewgraph.graph import build_graph
from reviewgraph.paths import DEFAULT_BUILD_DIR, PROJECT_ROOT, SOURCES_DIR
from reviewgraph.terms import DEFAULT_BASE_IRI, PREFIXES, ontology_graph
from reviewgraph.validation import ValidationReport, validate

TURTLE_FILE = "reviewgraph.ttl"
NTRIPLES_FILE = "reviewgraph.nt"
JSONLD_FILE = "reviewgraph.jsonld"
REPORT_FILE = "report.json"
OUTPUT_FILES = (TURTLE_FILE, NTRIPLES_FILE, JSONLD_FILE, REPORT_FILE)
PAGE_SUFFIXES = (".txt", ".html", ".htm")


class BuildFailed(ReviewGraphError):
    """The graph did not pass validation; nothing was written."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(
            f"the graph does not conform to the shapes ({len(report.violations)} violation(s)); "
            "the previous build was left in place"
        )
        self.report = report


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

    def to_json(self) -> dict:
        validation = self.validation or ValidationReport(())
        return {
            "base_iri": self.base_iri,
            "ontology_version": _ontology_version(),
            "pages": self.pages,
            "reviews": self.reviews,
            "triples": self.triples,
            "classes": self.classes,
            "warnings": [
                {"message": w.message, "file": w.file, "line": w.line, "entity": w.entity}
                for w in self.warnings
            ],
            "localities": self.localities,
            "localities_matched": sum(1 for iri in self.localities.values() if iri),
            "localities_unmatched": sorted(n for n, iri in self.localities.items() if not iri),
            "validation": {
                "conforms": validation.conforms,
                "violations": len(validation.violations),
                "warnings": [str(result) for result in validation.warnings],
            },
        }


def _ontology_version() -> str | None:
    from rdflib import OWL

    from reviewgraph.terms import RG_IRI

    version = ontology_graph().value(URIRef(RG_IRI), OWL.versionInfo)
    return str(version) if version is not None else None


def default_pages(directory: Path = SOURCES_DIR) -> list[Path]:
    pages = sorted(p for p in directory.iterdir() if p.suffix.lower() in PAGE_SUFFIXES) \
        if directory.is_dir() else []
    if not pages:
        raise ReviewGraphError(f"{directory}: no pages (*.txt, *.html) to build from")
    return pages


def _curie(iri: str) -> str:
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        local = iri[len(namespace):]
        if iri.startswith(namespace) and local and all(c.isalnum() or c in "_-." for c in local):
            return f"{prefix}:{local}"
    return iri


def _canonical(graph: Graph) -> Graph:
    """The graph with blank nodes (if any) relabelled deterministically."""
    if any(isinstance(term, BNode) for triple in graph for term in triple):
        return to_canonical_graph(graph)
    return graph


def ntriples(graph: Graph) -> str:
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "\n".join(sorted(line for line in lines if line.strip())) + "\n"


def turtle(graph: Graph) -> str:
    # rdflib's Turtle writer sorts subjects, predicates and objects; a fresh graph built from
    # sorted triples with fixed prefixes makes the output independent of insertion order.
    ordered = Graph()
    for prefix, namespace in sorted(PREFIXES.items()):
        ordered.bind(prefix, namespace, override=True, replace=True)
    for triple in sorted(graph):
        ordered.add(triple)
    return ordered.serialize(format="turtle")


def _jsonld_value(term: object) -> object:
    if isinstance(term, Literal):
        if term.language:
            return {"@value": str(term), "@language": term.language}
        if term.datatype is None or str(term.datatype).endswith("#string"):
            return str(term)
        return {"@value": str(term), "@type": _curie(str(term.datatype))}
    if isinstance(term, BNode):
        return {"@id": f"_:{term}"}
    return {"@id": str(term)}


def jsonld(graph: Graph) -> str:
    """Flattened JSON-LD: one node object per subject, everything sorted."""
    nodes: dict[str, dict[str, list]] = {}
    for subject, predicate, obj in graph:
        node_id = f"_:{subject}" if isinstance(subject, BNode) else str(subject)
        node = nodes.setdefault(node_id, {})
        if predicate == RDF.type and isinstance(obj, URIRef):
            node.setdefault("@type", []).append(_curie(str(obj)))
        else:
            node.setdefault(_curie(str(predicate)), []).append(_jsonld_value(obj))

    def sort_key(value: object) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    document = {
        "@context": dict(sorted(PREFIXES.items())),
        "@graph": [
            {"@id": node_id, **{key: sorted(values, key=sort_key)
                                for key, values in sorted(nodes[node_id].items())}}
            for node_id in sorted(nodes)
        ],
    }
    return json.dumps(document, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def class_counts(graph: Graph) -> dict[str, int]:
    counts = Counter(_curie(str(cls)) for cls in graph.objects(None, RDF.type))
    return dict(sorted(counts.items()))


def _write_atomically(out_dir: Path, contents: dict[str, str]) -> None:
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
        for name, text in contents.items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
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


def build(
    pages: Sequence[Path | str] | None = None,
    out_dir: Path | str = DEFAULT_BUILD_DIR,
    base_iri: str = DEFAULT_BASE_IRI,
    strict: bool = False,
) -> BuildReport:
    """Parse the pages (default: every page in data/sources/), build and validate the graph and
    write it; raise ReviewGraphError (BuildFailed for validation) and write nothing on failure."""
    from reviewgraph.parser import load_known_places, parse_file
    from reviewgraph.places import Places

    if not base_iri.startswith(("http://", "https://")) or not base_iri.endswith(("/", "#")):
        raise ReviewGraphError(f"base IRI {base_iri!r} must be an http(s) IRI ending in / or #")
    page_paths = [Path(p) for p in pages] if pages else default_pages()
    known_places = load_known_places()
    records, problems = [], []
    for page in page_paths:
        result = parse_file(page, known_places)
        records.extend(result.records)
        problems.extend(result.problems)
    if strict and problems:
        raise ReviewGraphError(_strict_message(problems))

    vocabularies = load_vocabularies(base_iri)
    places = Places.load(base_iri).for_graph()
    result = build_graph(records, vocabularies, places)
    problems.extend(result.warnings)
    if strict and result.warnings:
        raise ReviewGraphError(_strict_message(result.warnings))

    graph = _canonical(result.graph)
    report = validate(graph)
    if not report.conforms:
        raise BuildFailed(report)

    build_report = BuildReport(
        out_dir=Path(out_dir),
        base_iri=base_iri,
        pages=[_display_path(page) for page in page_paths],
        reviews=len(result.reviews),
        triples=len(graph),
        classes=class_counts(graph),
        warnings=problems,
        localities=dict(sorted(result.localities.items())),
        validation=report,
    )
    contents = {
        TURTLE_FILE: turtle(graph),
        NTRIPLES_FILE: ntriples(graph),
        JSONLD_FILE: jsonld(graph),
    }
    build_report.files = {name: hashlib.sha256(text.encode("utf-8")).hexdigest()
                          for name, text in contents.items()}
    report_json = build_report.to_json() | {"files": build_report.files}
    contents[REPORT_FILE] = json.dumps(report_json, indent=2, ensure_ascii=False) + "\n"
    _write_atomically(Path(out_dir), contents)
    return build_report


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
