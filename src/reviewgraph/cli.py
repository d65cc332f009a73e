"""The `reviewgraph` command line: the top of the pipeline.

Every command turns a ReviewGraphError into one clear line on stderr and exit status 2, so
bad input never shows a traceback. Each command's work lives in the stage module it names;
the handlers here only read arguments and print.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from reviewgraph.errors import ReviewGraphError

Handler = Callable[[argparse.Namespace], int]


# --- parse (sources -> records) -------------------------------------------------------------
def cmd_parse(args: argparse.Namespace) -> int:
    raise ReviewGraphError("parse: not implemented yet")


# --- build / validate (records -> graph -> validation) --------------------------------------
def cmd_build(args: argparse.Namespace) -> int:
    raise ReviewGraphError("build: not implemented yet")


def cmd_validate(args: argparse.Namespace) -> int:
    raise ReviewGraphError("validate: not implemented yet")


# --- serve / query (store -> web; SPARQL client) --------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    raise ReviewGraphError("serve: not implemented yet")


def cmd_query(args: argparse.Namespace) -> int:
    raise ReviewGraphError("query: not implemented yet")


# --- link (external identifiers) ------------------------------------------------------------
def cmd_link(args: argparse.Namespace) -> int:
    raise ReviewGraphError("link: not implemented yet")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewgraph",
        description="Turn NSPCC case-review listing pages into a validated RDF graph and serve it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    p = commands.add_parser("validate", help="validate a graph against the SHACL shapes")
    p.add_argument("graph", nargs="?", metavar="GRAPH", help="default: build/reviewgraph.ttl")
    p.set_defaults(handler=cmd_validate)

    p = commands.add_parser("serve", help="serve the graph: SPARQL endpoint and pages")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--build", metavar="DIR", help="build folder (default: build/)")
    p.add_argument("--base", metavar="IRI", help="base IRI of the graph's entities")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--timeout", type=float, default=10.0, help="query time limit, seconds")
    p.add_argument("--max-rows", type=int, default=10000, help="result row cap")
    p.add_argument("--max-query-bytes", type=int, default=65536)
    p.set_defaults(handler=cmd_serve)

    p = commands.add_parser("query", help="run a SPARQL query against an endpoint")
    p.add_argument("query", metavar="QUERY", help="query text, or @FILE / a path to a .rq file")
    p.add_argument("--endpoint", default="http://127.0.0.1:8000/sparql")
    p.add_argument("--format", choices=["table", "csv", "json", "turtle"], default="table")
    p.set_defaults(handler=cmd_query)

    p = commands.add_parser("link", help="ask an endpoint for candidate identifiers of places")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--out", metavar="FILE", help="mapping file to write for review")
    p.set_defaults(handler=cmd_link)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ReviewGraphError as error:
        print(f"reviewgraph {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
