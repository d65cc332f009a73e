"""The `reviewgraph` command line: the top of the pipeline.

Every command turns a ReviewGraphError into one clear line on stderr and exit status 2, so
bad input never shows a traceback. Each command's work lives in the stage module it names;
the handlers here only read arguments and print.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from reviewgraph import __version__
from reviewgraph.errors import ReviewGraphError

Handler = Callable[[argparse.Namespace], int]
BUILT_WITH_WARNINGS = 3  # output written, but the input needs a person's look
# Warnings printed for one page; the rest are counted (a page followed by junk gave 429,718).
WARNINGS_PER_PAGE = 20


def print_warnings(problems: Iterable[object]) -> None:
    """Warnings on stderr, one a line, at most WARNINGS_PER_PAGE of each page (file), then
    one line saying how many more that page gave."""
    shown: Counter[str] = Counter()
    hidden: Counter[str] = Counter()
    for problem in problems:
        page = getattr(problem, "file", None) or ""
        if shown[page] < WARNINGS_PER_PAGE:
            shown[page] += 1
            print(problem, file=sys.stderr)
        else:
            hidden[page] += 1
    for page, count in hidden.items():
        print(f"{page or 'reviewgraph'}: ... and {count} more warning(s) like these "
              f"(only the first {WARNINGS_PER_PAGE} of a page are shown)", file=sys.stderr)


# --- parse (sources -> records) -------------------------------------------------------------
def cmd_parse(args: argparse.Namespace) -> int:
    """Print the records of the pages; warnings go to stderr as `file:line: message`.

    Exit status: 0 clean, 1 records printed but with warnings, 2 an error (or any warning
    with --strict, in which case nothing is printed on stdout).
    """
    import json
    import os

    from reviewgraph.parser import format_record, load_known_places, parse_file

    known_places = load_known_places()
    records, problems = [], []
    for page in args.pages:
        result = parse_file(page, known_places)
        records.extend(result.records)
        problems.extend(result.problems)
    print_warnings(problems)
    if problems and args.strict:
        raise ReviewGraphError(f"{len(problems)} warning(s) and --strict is set")
    if args.json:
        output = json.dumps([record.to_json() for record in records], ensure_ascii=False,
                            indent=2)
    else:
        output = "\n\n".join(format_record(record) for record in records)
    try:
        print(output)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's exit quiet
    return 1 if problems else 0


# --- build / validate (records -> graph -> validation) --------------------------------------
def _build_dir(args: argparse.Namespace) -> Path:
    """The build folder of `--out` (default build/), with rdflib's logging quietened: it logs
    a traceback for an ill-typed literal, which validation reports readably instead."""
    import logging

    from reviewgraph.paths import DEFAULT_BUILD_DIR

    logging.getLogger("rdflib").setLevel(logging.ERROR)
    return Path(args.out) if args.out else DEFAULT_BUILD_DIR


def _print_failure(failure: Exception, prefix: str) -> int:
    """A build or add that failed validation: the readable report, then one line; exit 1."""
    print(failure.report.text(), file=sys.stderr)  # type: ignore[attr-defined]
    print(f"{prefix}{failure}", file=sys.stderr)
    return 1


def cmd_build(args: argparse.Namespace) -> int:
    """Build, validate and write the graph; warnings go to stderr as `file:line: message`.

    Exit status: 0 built cleanly; 3 built, but the pages gave warnings (printed: bad input is
    never silent); 1 the graph failed validation (the report is printed and nothing is
    written); 2 an error (or any warning with --strict; nothing is written).
    """
    from reviewgraph.build import BuildFailed, build
    from reviewgraph.progress import progress
    from reviewgraph.terms import DEFAULT_BASE_IRI

    out_dir = _build_dir(args)
    try:
        with progress(f"building {out_dir}"):
            report = build(args.pages, out_dir, args.base or DEFAULT_BASE_IRI, args.strict)
    except BuildFailed as failure:
        return _print_failure(failure, "reviewgraph build: ")
    print_warnings(report.warnings)
    if report.validation is not None:
        print_warnings(report.validation.warnings)
    if getattr(report, "fallback", None):
        print(f"reviewgraph build: note: built in one process: {report.fallback}",
              file=sys.stderr)
    matched = sum(1 for iri in report.localities.values() if iri)
    print(f"built {report.reviews} reviews ({report.triples} triples) from "
          f"{len(report.pages)} page(s) into {out_dir}: {len(report.warnings)} warning(s), "
          f"{matched}/{len(report.localities)} localities matched; the graph conforms")
    return BUILT_WITH_WARNINGS if report.warnings else 0


def cmd_add(args: argparse.Namespace) -> int:
    """Add a page (a new month's listing) to a finished build, or replace what a page of the
    same name gave it; print what was added, changed and left alone.

    Exit status: 0 added (or nothing to change), 1 a review violates the shapes (the build is
    left as it was), 2 an error.
    """
    from reviewgraph.build import BuildFailed, add_page

    out_dir = _build_dir(args)
    try:
        report = add_page(out_dir, args.page, strict=args.strict)
    except BuildFailed as failure:
        return _print_failure(failure, f"reviewgraph add: {args.page}: ")
    print_warnings(report.warnings)
    if getattr(args, "store", None):
        _push_add(args.store, report, out_dir)
    already = getattr(report.changes, "already", [])
    if already:
        print(f"{args.page}: {len(already)} of its review(s) were already in {out_dir} from "
              "other pages (the page is recorded as another source of them)")
    if not report.written:
        print(f"{args.page}: already in {out_dir} as it is; nothing changed "
              f"({report.changes.summary()})")
        return 0
    build = report.build
    assert build is not None
    print(f"added {args.page} to {out_dir}: {report.changes.summary()}; now {build.reviews} "
          f"reviews ({build.triples} triples) from {len(build.pages)} page(s); the graph conforms")
    print(f"a `reviewgraph serve` of {out_dir} reloads it by itself within seconds; one "
          "serving it from an external store needs `reviewgraph load` (or `add --store`)")
    return 0


def _push_add(store_url: str, report, out_dir) -> None:
    """Replace, in an external store, the named graphs the add touched with what the build now
    holds (idempotent: the same page again writes the same graphs). A failed add raises
    before this, so the store is never touched by it."""
    from reviewgraph.build import read_report
    from reviewgraph.external import ExternalSparqlStore, apply_changes

    base_iri = read_report(out_dir)["base_iri"]
    store = ExternalSparqlStore(store_url, base_iri=base_iri, timeout=60.0)
    try:
        written = apply_changes(store, report.graphs, out_dir)
        print(f"{store_url}: {len(report.graphs)} graph(s) replaced ({written} triples); the "
              f"store's ReviewGraph graphs hold {store.triple_count()} triples",
              file=sys.stderr)
    finally:
        store.close()


def cmd_load(args: argparse.Namespace) -> int:
    """Push a build into an external SPARQL store: each named graph of the build (one per
    source page, plus the shared vocabularies) replaces the graph of that name in the store;
    our graphs that the build no longer has are dropped (unless --keep-other-graphs).

    Exit status: 0 loaded, 2 an error (the store unreachable or refusing, a bad build).
    """
    from pathlib import Path

    from reviewgraph.build import read_report
    from reviewgraph.external import ExternalSparqlStore, load_graphs, read_graphs
    from reviewgraph.paths import DEFAULT_BUILD_DIR
    from reviewgraph.terms import DEFAULT_BASE_IRI

    source = Path(args.graph or args.build or DEFAULT_BUILD_DIR)
    base_iri = args.base
    if base_iri is None and source.is_dir():
        base_iri = read_report(source).get("base_iri")
    base_iri = base_iri or DEFAULT_BASE_IRI
    if args.batch < 1:
        raise ReviewGraphError("--batch must be positive")
    from reviewgraph.progress import progress

    graphs = read_graphs(source, base_iri)
    store = ExternalSparqlStore(args.store, base_iri=base_iri, timeout=args.timeout)
    try:
        with progress(f"loading {source} into {args.store}"):
            report = load_graphs(store, graphs, prune=not args.keep_other_graphs,
                                 batch=args.batch)
            count = store.triple_count()
    finally:
        store.close()
    dropped = f"; dropped {len(report.dropped)} graph(s) no longer built" if report.dropped \
        else ""
    print(f"loaded {report.triples} triples in {len(report.graphs)} graph(s) into {args.store} "
          f"({store.flavour.name}) in {report.seconds:.1f} s{dropped}; the store's ReviewGraph "
          f"graphs hold {count} triples")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a graph file (default: the build's Turtle) and print the readable report.

    Exit status: 0 conforms, 1 violations, 2 the graph cannot be read or is empty.
    """
    import logging
    from pathlib import Path

    from reviewgraph.build import TURTLE_FILE
    from reviewgraph.paths import DEFAULT_BUILD_DIR
    from reviewgraph.validation import read_graph, validate

    logging.getLogger("rdflib").setLevel(logging.ERROR)
    path = Path(args.graph) if args.graph else DEFAULT_BUILD_DIR / TURTLE_FILE
    graph = read_graph(path)
    if len(graph) == 0:
        raise ReviewGraphError(f"{path}: the graph is empty (no triples to validate)")
    report = validate(graph)
    print(f"validating {path}")
    print(report.text())
    return 0 if report.conforms else 1


# --- harvest (the web -> data/sources/harvested/) ---------------------------------------------
def cmd_harvest(args: argparse.Namespace) -> int:
    """Fetch the NSPCC listing pages, live and from web archives, into a harvest folder that
    `reviewgraph build` reads: each page body once, named by its sha256, with a JSON sidecar of
    its captures (address, archive, capture and retrieval time, status, content type). A re-run
    fetches only what is new; an interrupted run resumes. Captures that are not listing pages
    (error pages, cookie walls, redirects to other pages, empty bodies) are skipped, with the
    reason.

    Exit status: 0 harvested (skipped captures are normal); 1 some captures failed or an archive
    could not be reached (the rest is stored; the next run retries); 2 bad input (nothing fetched).
    """
    import os

    from reviewgraph.harvest import (
        DEFAULT_PAGES,
        INTERNET_ARCHIVE,
        HarvestOptions,
        harvest,
        parse_archive_option,
        read_addresses,
    )
    from reviewgraph.harvest.display import counts, problems, summary
    from reviewgraph.paths import SOURCES_DIR

    archives = [parse_archive_option(value) for value in args.archive or []]
    if args.no_archives:
        archives = []
    elif not archives:
        archives = [INTERNET_ARCHIVE]
    if not archives and args.no_live:
        raise ReviewGraphError("--no-live and --no-archives together leave nothing to harvest")
    if args.delay < 0 or args.timeout <= 0:
        raise ReviewGraphError("--delay must be 0 or more and --timeout positive")
    contact = args.contact or os.environ.get("REVIEWGRAPH_CONTACT")
    if not contact and not args.dry_run:
        print("reviewgraph harvest: note: no --contact (or REVIEWGRAPH_CONTACT): the "
              "User-Agent names no one a site's operator could write to", file=sys.stderr)
    options = HarvestOptions(
        addresses=read_addresses(Path(args.pages) if args.pages else DEFAULT_PAGES),
        out_dir=Path(args.out) if args.out else SOURCES_DIR / "harvested",
        archives=archives, live=not args.no_live, dry_run=args.dry_run, delay=args.delay,
        timeout=args.timeout, contact=contact)
    from reviewgraph.progress import progress

    with progress("harvest: starting") as bar:
        report = harvest(options, lambda running, current: bar.describe(
            f"harvest: {counts(running)}  {current[:120]}"))
    print("\n".join(summary(report, options.out_dir, args.dry_run)))
    for line in problems(report):
        print(line, file=sys.stderr)
    return 0 if report.ok else 1


# --- serve / query (store -> web; SPARQL client) --------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the graph on one port: the SPARQL endpoint, a page for every entity, the query
    page. Builds first if there is no build (or remakes a build of data/sources/ whose pages
    changed since; a build with pages added by `reviewgraph add` is served as it is), loads it
    into the embedded store and serves until Ctrl-C or SIGTERM. A new build of the served
    folder (`reviewgraph build` or `add`) is loaded and served without a restart.

    Exit status: 0 stopped by SIGTERM, 130 stopped by Ctrl-C, 2 an error (a port in use, a
    bad flag, no graph to serve) or the server failed.
    """
    from reviewgraph.web.serve import ServerStopped, stop_on_signals

    stop_on_signals()  # from here a Ctrl-C or SIGTERM stops with one line, at any moment
    try:
        return _serve(args)
    except ServerStopped as stop:
        print(f"reviewgraph serve: stopped ({stop})", file=sys.stderr)
        return stop.exit_status


def _serve(args: argparse.Namespace) -> int:
    from reviewgraph.paths import DEFAULT_BUILD_DIR
    from reviewgraph.terms import DEFAULT_BASE_IRI
    from reviewgraph.web.serve import check_port_free, serve
    from reviewgraph.web.settings import Settings

    build_dir = Path(args.build) if args.build else DEFAULT_BUILD_DIR
    graph_file: Path | None = Path(args.graph) if args.graph else build_dir / "reviewgraph.nt"
    if args.store:
        if args.graph or args.store_dir:
            raise ReviewGraphError("--store serves an external store: leave out --graph and "
                                   "--store-dir (fill the store with `reviewgraph load`)")
        graph_file = None
    check_port_free(args.host, args.port)  # before a build that may take a while
    if graph_file is not None and not args.graph:
        stale = _stale_build(build_dir) if graph_file.is_file() else "no build yet"
        if stale:
            _build_for_serving(build_dir, args.base, stale)
    elif graph_file is not None and not graph_file.is_file():
        raise ReviewGraphError(f"{graph_file}: no such graph file")
    settings = Settings(
        graph_file=graph_file,
        store_dir=None if args.store else Path(args.store_dir or build_dir / "store"),
        store_url=args.store,
        base_iri=args.base or DEFAULT_BASE_IRI,
        query_timeout=args.timeout,
        max_rows=args.max_rows,
        max_query_bytes=args.max_query_bytes,
        executors=args.executors,
        cache_bytes=0 if args.no_cache else 32 << 20,
        log_requests=not args.quiet,
    )
    print(f"reviewgraph serve: http://{_url_host(args.host)}:{args.port}/ "
          f"({args.store or graph_file}, {args.workers} workers x {args.executors} query "
          "processes); Ctrl-C stops it", file=sys.stderr)
    return serve(settings, args.host, args.port, args.workers)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _stale_build(build_dir: Path) -> str | None:
    """Why a build made from data/sources/ should be made again before it is served (its
    pages there changed, or pages came or went), or None. A build holding any page from
    elsewhere (added with `reviewgraph add`) is never remade here: that would drop them."""
    from reviewgraph.build import REPORT_FILE, default_pages, read_report
    from reviewgraph.paths import PROJECT_ROOT, SOURCES_DIR

    try:
        built = {(PROJECT_ROOT / page).resolve() for page in read_report(build_dir)["pages"]}
        sources = {page.resolve() for page in default_pages()}
    except (ReviewGraphError, KeyError, TypeError):
        return None
    if not built or any(page.parent != SOURCES_DIR.resolve() for page in built):
        return None
    if built != sources:
        return f"the pages in {SOURCES_DIR} are not the ones {build_dir} was built from"
    built_at = (build_dir / REPORT_FILE).stat().st_mtime
    if any(page.stat().st_mtime > built_at for page in sources):
        return f"pages in {SOURCES_DIR} changed since {build_dir} was built"
    return None


def _build_for_serving(build_dir, base: str | None, reason: str = "no build yet") -> None:
    """`serve` with no build yet (or a stale build of data/sources/): build from
    data/sources/ first (as `reviewgraph build`)."""
    from reviewgraph.build import build
    from reviewgraph.progress import progress
    from reviewgraph.terms import DEFAULT_BASE_IRI

    print(f"reviewgraph serve: {reason}; building {build_dir} first", file=sys.stderr)
    with progress(f"building {build_dir}"):
        report = build(None, build_dir, base or DEFAULT_BASE_IRI)
    print_warnings(report.warnings)


def cmd_query(args: argparse.Namespace) -> int:
    """Run one query (text, @FILE or a .rq file) against any SPARQL 1.1 endpoint and print
    the answer: SELECT and ASK as a table, CSV or JSON; CONSTRUCT and DESCRIBE as Turtle or
    JSON-LD.

    Exit status: 0 answered, 2 an error (the endpoint unreachable, the query refused).
    """
    from reviewgraph.client import run_query

    return run_query(args.query, args.endpoint, args.format, sys.stdout)


# --- link (external identifiers) ------------------------------------------------------------
def cmd_link(args: argparse.Namespace) -> int:
    """Ask --endpoint for Wikidata items carrying each place's GSS code (P836) and write a
    mapping CSV for a person to review (--out, default build/wikidata-candidates.csv; "-" for
    stdout). The places are the built graph's (build/reviewgraph.ttl) if it exists, else every
    locality in the reference data. Nothing is asserted: reviewed rows go into
    data/reference/locality-links.csv by hand.

    Exit status: 0 written, 2 an error.
    """
    from pathlib import Path

    from rdflib import Graph

    from reviewgraph.links import wikidata_candidates, write_candidates
    from reviewgraph.paths import DEFAULT_BUILD_DIR
    from reviewgraph.places import Places, places_to_link

    built = DEFAULT_BUILD_DIR / "reviewgraph.ttl"
    graph = Graph()
    if built.exists():
        try:
            graph.parse(built, format="turtle")
        except Exception as error:  # rdflib raises several parser exception types
            raise ReviewGraphError(f"{built}: cannot read the graph: {error}") from error
        origin = str(built)
    else:
        for triple in Places.load().triples():
            graph.add(triple)
        origin = "the reference data (no build/reviewgraph.ttl)"
    places = places_to_link(graph)
    if not places:
        raise ReviewGraphError(f"no localities with a GSS code in {origin}")
    candidates = wikidata_candidates(args.endpoint, places)
    default_out = DEFAULT_BUILD_DIR / "wikidata-candidates.csv"
    out = None if args.out == "-" else Path(args.out or default_out)
    write_candidates(out, candidates)
    found = sum(1 for c in candidates if c.wikidata)
    differing = sum(1 for c in candidates if c.status == "differs from current link")
    print(f"{len(places)} places from {origin}: {found} candidate item(s), {differing} differing "
          f"from current links; {'written to ' + str(out) if out else 'printed'} for review "
          "(nothing asserted)", file=sys.stderr)
    return 0


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions as written (paragraphs, exit statuses); every option that has a default
    value says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        help_text = action.help or ""
        if (action.default not in (None, False, argparse.SUPPRESS) and action.option_strings
                and "default" not in help_text):
            help_text += " (default: %(default)s)"
        return help_text


def _port(text: str) -> int:
    """An argparse type: a TCP port number."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1 to 65535)")
    return port


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    """An argparse type: a positive int or float."""
    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} must be more than 0")
        return value
    convert.__name__ = kind.__name__
    return convert


def _describe_commands(commands: argparse._SubParsersAction) -> None:
    """Each subcommand's help page: its handler's docstring (what it does, exit statuses) and
    the defaults of its options. Done once here, so a command added above gets it too."""
    for parser in commands.choices.values():
        parser.formatter_class = _HelpFormatter
        handler = parser.get_default("handler")
        if parser.description is None and handler is not None and handler.__doc__:
            parser.description = inspect.cleandoc(handler.__doc__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewgraph",
        description="Turn NSPCC case-review listing pages into a validated RDF graph and serve "
                    "it. `reviewgraph COMMAND --help` describes a command, its options and its "
                    "exit statuses.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "harvest", help="fetch the listing pages, live and archived, into a harvest folder",
    )
    p.add_argument("--pages", metavar="FILE",
                   help="CSV with a 'url' column (default: data/reference/nspcc-listing-pages.csv)")
    p.add_argument("--out", metavar="DIR", help="harvest folder (default: data/sources/harvested/)")
    p.add_argument("--archive", action="append", metavar="[NAME=]CDX_URL=REPLAY_PREFIX",
                   help="a CDX/replay web archive (repeatable; default: the Internet Archive, "
                        "https://web.archive.org/cdx/search/cdx=https://web.archive.org/web/)")
    p.add_argument("--no-live", action="store_true", help="do not fetch the live pages")
    p.add_argument("--no-archives", action="store_true", help="do not ask any web archive")
    p.add_argument("--delay", type=float, default=2.0,
                   help="seconds between requests to the same host")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds to wait for a server to connect or answer")
    p.add_argument("--contact", metavar="EMAIL_OR_URL",
                   help="named in the User-Agent, so a site's operator can reach you "
                        "(default: $REVIEWGRAPH_CONTACT)")
    p.add_argument("--dry-run", action="store_true",
                   help="list the captures (CDX queries only) and what would be fetched; fetch "
                        "no page, write nothing")
    p.set_defaults(handler=cmd_harvest)

    p = commands.add_parser("parse", help="read listing pages and print their records")
    p.add_argument("pages", nargs="+", metavar="PAGE", help="a saved page (.txt or .html)")
    p.add_argument("--json", action="store_true", help="print one JSON list of records")
    p.add_argument("--strict", action="store_true", help="fail on any warning")
    p.set_defaults(handler=cmd_parse)

    p = commands.add_parser("build", help="build, validate and write the graph")
    p.add_argument("pages", nargs="*", metavar="PAGE", help="default: every page in data/sources/")
    p.add_argument("--out", metavar="DIR", help="output folder (default: build/)")
    p.add_argument("--base", metavar="IRI", help="base IRI of the graph's entities")
    p.add_argument("--strict", action="store_true", help="fail on any parser warning")
    p.set_defaults(handler=cmd_build)

    p = commands.add_parser("add", help="add a page to a finished build (or replace it)")
    p.add_argument("page", metavar="PAGE", help="a saved page (.txt or .html)")
    p.add_argument("--out", metavar="DIR", help="the build folder (default: build/)")
    p.add_argument("--strict", action="store_true", help="fail on any parser warning")
    p.add_argument("--store", metavar="URL",
                   help="also apply the change to this external store (its SPARQL query URL)")
    p.set_defaults(handler=cmd_add)

    p = commands.add_parser("load", help="push a build into an external SPARQL store")
    p.add_argument("--store", metavar="URL", required=True,
                   help="the store's SPARQL query URL (Oxigraph server: .../query, "
                        "Virtuoso: .../sparql)")
    p.add_argument("--build", metavar="DIR", help="build folder (default: build/)")
    p.add_argument("--graph", metavar="FILE",
                   help="load this .nq/.nt/.ttl file instead of a build (.nt/.ttl go into "
                        "{base}graph/{file stem})")
    p.add_argument("--base", metavar="IRI", help="base IRI (default: the build's)")
    p.add_argument("--batch", metavar="N", type=_positive(int), default=20000,
                   help="triples per request")
    p.add_argument("--timeout", metavar="SECONDS", type=_positive(float), default=60.0,
                   help="seconds per request")
    p.add_argument("--keep-other-graphs", action="store_true",
                   help="do not drop our graphs that the build no longer has")
    p.set_defaults(handler=cmd_load)

    p = commands.add_parser("validate", help="validate a graph against the SHACL shapes")
    p.add_argument("graph", nargs="?", metavar="GRAPH", help="default: build/reviewgraph.ttl")
    p.set_defaults(handler=cmd_validate)

    p = commands.add_parser("serve", help="serve the graph: SPARQL endpoint and pages")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=_port, default=8000, help="port to listen on")
    p.add_argument("--build", metavar="DIR", help="build folder (default: build/)")
    p.add_argument("--base", metavar="IRI", help="base IRI of the graph's entities")
    p.add_argument("--workers", metavar="N", type=_positive(int), default=2,
                   help="web worker processes")
    p.add_argument("--timeout", metavar="SECONDS", type=_positive(float), default=10.0,
                   help="query time limit, seconds")
    p.add_argument("--max-rows", metavar="N", type=_positive(int), default=10000,
                   help="result row cap")
    p.add_argument("--max-query-bytes", metavar="BYTES", type=_positive(int), default=65536,
                   help="larger queries get 413")
    p.add_argument("--executors", metavar="N", type=_positive(int), default=3,
                   help="query processes per worker (a query over the time limit is killed)")
    p.add_argument("--graph", metavar="FILE", help="serve this .nt/.ttl file instead of the build")
    p.add_argument("--store-dir", metavar="DIR",
                   help="the embedded store's folder (default: DIR/store of --build); kept "
                        "across restarts and reloaded only when the build changes")
    p.add_argument("--store", metavar="URL",
                   help="serve from this external SPARQL store (its query URL) instead of "
                        "the embedded one; fill it first with `reviewgraph load`")
    p.add_argument("--quiet", action="store_true", help="do not log every request")
    p.add_argument("--no-cache", action="store_true",
                   help="do not keep answers to repeated queries (for benchmarking the engine)")
    p.set_defaults(handler=cmd_serve)

    p = commands.add_parser("query", help="run a SPARQL query against an endpoint")
    p.add_argument("query", metavar="QUERY",
                   help="query text, or a file holding one (@FILE or a path to a .rq file)")
    p.add_argument("--endpoint", default="http://127.0.0.1:8000/sparql",
                   help="the SPARQL endpoint's URL")
    p.add_argument("--format", choices=["table", "csv", "json", "turtle"], default="table",
                   help="how to print the answer")
    p.set_defaults(handler=cmd_query)

    p = commands.add_parser("link", help="ask an endpoint for candidate identifiers of places")
    p.add_argument("--endpoint", required=True, help="a SPARQL endpoint holding Wikidata")
    p.add_argument("--out", metavar="FILE", help="mapping file to write for review")
    p.set_defaults(handler=cmd_link)

    _describe_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ReviewGraphError as error:
        print(f"reviewgraph {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`reviewgraph parse ... | head`): not an error of ours.
        sys.stderr.close()
        return 0
    except OSError as error:  # disk full, permission denied: name the file, no traceback
        where = f"{error.filename}: " if error.filename else ""
        print(f"reviewgraph {args.command}: error: {where}{error.strerror or error}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"reviewgraph {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
