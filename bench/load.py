"""Load benchmark: our /sparql beside `oxigraph serve`, same data, same run, same clients.

    .venv/bin/python bench/load.py                      # 10,000 reviews, 10 s per measurement
    .venv/bin/python bench/load.py --reviews 1000 --seconds 3

1. Corpus: bench/synthetic.py writes a listing page of N made-up reviews; the real pipeline
   (`reviewgraph.build.build`: parser, graph, SHACL validation) turns it into
   reviewgraph.nt. `--direct` skips the pipeline and writes N-Triples of the same shape.
2. Servers: `oxigraph load` + `oxigraph serve` (PyPI `oxigraph`) on that file, and
   `reviewgraph serve --graph` on the same file (answer cache off, then on).
3. Load: 8 closed-loop clients on loopback (bench/loadgen.py: one process and one keep-alive
   connection each) for a bounded time per measurement, after a warm-up, for
   - lookup: title and year of one review, cycling through every review in a fixed shuffle;
   - group-by: reviews per locality, counted and sorted.
4. Writes the table into bench/RESULTS.md between the endpoint-load markers.

Everything runs on this machine at once (servers and clients share the cores), as the issue
asks; the machine is described in the report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import loadgen  # noqa: E402
import results_md  # noqa: E402
import synthetic  # noqa: E402

VENV_BIN = Path(sys.executable).parent
START, END = "<!-- endpoint-load:start -->", "<!-- endpoint-load:end -->"

PREFIXES = ("PREFIX dcterms: <http://purl.org/dc/terms/> "
            "PREFIX rg: <https://reviewgraph.example/def/> ")
LOOKUP = PREFIXES + "SELECT ?title ?year WHERE { <%s> dcterms:title ?title ; rg:year ?year }"
GROUP_BY = PREFIXES + ("SELECT ?locality (COUNT(?review) AS ?reviews) WHERE { "
                       "?review a rg:CaseReview ; rg:locality ?locality } "
                       "GROUP BY ?locality ORDER BY DESC(?reviews)")


REFERENCE = "oxigraph serve"
CACHE_OFF = "reviewgraph serve (cache off)"
CACHE_ON = "reviewgraph serve (cache on)"


@dataclass
class Row:
    server: str
    query: str
    result: loadgen.LoadResult


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {limit:g} s")


@contextmanager
def running(command: list[str], ready_url: str, log: Path):
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_until_up(ready_url, process)
        yield process
    finally:
        # Its own session: the group is this server and the processes it started.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def make_corpus(reviews: int, work: Path, direct: bool) -> tuple[Path, str]:
    """The N-Triples file to serve and how it was made."""
    if direct:
        graph = work / f"synthetic-{reviews}.nt"
        synthetic.write_ntriples(reviews, graph)
        return graph, "bench/synthetic.py --ntriples (direct, same shape; no parser/build)"
    from reviewgraph.build import build

    pages = synthetic.write_pages(reviews, work / "pages")
    started = time.perf_counter()
    report = build(pages, work / "build")
    seconds = time.perf_counter() - started
    return work / "build" / "reviewgraph.nt", (
        f"bench/synthetic.py listing pages ({len(pages)} of up to 100 reviews) -> "
        f"reviewgraph.build.build (parser, graph, SHACL "
        f"validation): {report.reviews:,} reviews, {report.triples:,} triples, "
        f"built in {seconds:.0f} s")


def review_iris(graph: Path) -> list[str]:
    marker = "> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> " \
             "<https://reviewgraph.example/def/CaseReview> ."
    with graph.open(encoding="utf-8") as handle:
        iris = [line[1:line.index(">")] for line in handle if line.rstrip().endswith(marker)]
    random.Random(synthetic.SEED).shuffle(iris)
    return iris


def get_paths(path: str, queries: list[str]) -> list[str]:
    return [f"{path}?query={urllib.parse.quote(q)}" for q in queries]


def count_triples(endpoint: str) -> int:
    query = urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    request = urllib.request.Request(f"{endpoint}?query={query}",
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return int(json.load(response)["results"]["bindings"][0]["n"]["value"])


def median_result(results: list[loadgen.LoadResult]) -> loadgen.LoadResult:
    middle = sorted(results, key=lambda r: r.throughput)[len(results) // 2]
    return loadgen.LoadResult(
        requests=middle.requests, errors=sum(r.errors for r in results), seconds=middle.seconds,
        p50_ms=statistics.median(r.p50_ms for r in results),
        p95_ms=statistics.median(r.p95_ms for r in results))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}"


def write_results(rows: list[Row], args: argparse.Namespace, corpus: str, triples: int,
                  load_before: str) -> str:
    by = {(r.server, r.query): r.result for r in rows}
    reference = REFERENCE
    lines = [
        START,
        "## SPARQL endpoint under load (issue 3)",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
        f"`bench/load.py --reviews {args.reviews} --seconds {args.seconds:g}` on {machine()}; "
        "servers and the load generator share the machine.",
        "",
        f"- Corpus: {corpus}; {triples:,} triples served.",
        f"- Load: {args.clients} closed-loop clients on loopback, one keep-alive connection "
        f"each, {args.seconds:g} s per measurement after 1 s warm-up (bench/loadgen.py); "
        f"{args.rounds} rounds interleaving the servers, medians shown. Load average before "
        f"the run: {load_before}.",
        "- lookup: title and year of one review, cycling through every review in a fixed "
        "shuffle; group-by: reviews per locality, counted and sorted.",
        f"- ReviewGraph: `reviewgraph serve` (granian, {args.workers} workers, "
        f"{args.executors} query processes each, 10 s limit, 10,000-row cap); "
        "answer cache off (the engine path) and on (repeated identical queries answered "
        "from memory; exact, since the store is read-only).",
        "",
        "| server | query | throughput (q/s) | p50 (ms) | p95 (ms) | "
        "throughput vs Oxigraph | p50 vs Oxigraph |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ref = by[(reference, row.query)]
        ratio = row.result.throughput / ref.throughput if ref.throughput else 0
        latency = row.result.p50_ms / ref.p50_ms if ref.p50_ms else 0
        lines.append(
            f"| {row.server} | {row.query} | {row.result.throughput:,.0f} | "
            f"{row.result.p50_ms:.2f} | {row.result.p95_ms:.2f} | {ratio:.3g}x | "
            f"{latency:.3g}x |")
    lines += ["", "Targets (issue 3): lookups at least 0.5x Oxigraph server's throughput; "
              "GROUP BY latency within 1.1x.", END]
    section = "\n".join(lines) + "\n"
    results_md.write_section(START, END, section)
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executors", type=int, default=3)
    parser.add_argument("--direct", action="store_true",
                        help="write N-Triples directly instead of running the build")
    parser.add_argument("--work", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--settle", type=float, default=30.0,
                        help="seconds to wait after the servers start, before measuring")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--reuse-build", action="store_true",
                        help="serve the corpus an earlier run built, if there is one")
    args = parser.parse_args(argv)

    load_before = " ".join(f"{v:.2f}" for v in os.getloadavg())
    work = args.work / f"load-{args.reviews}"
    reused = work / "build" / "reviewgraph.nt"
    described = work / "corpus.txt"
    if args.reuse_build and reused.is_file() and described.is_file():
        graph = reused
        corpus = described.read_text(encoding="utf-8").strip() + " (reused from an earlier run)"
        shutil.rmtree(work / "oxigraph", ignore_errors=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        print(f"corpus: {args.reviews:,} reviews ...", flush=True)
        graph, corpus = make_corpus(args.reviews, work, args.direct)
        described.write_text(corpus + "\n", encoding="utf-8")
    iris = review_iris(graph)
    lookups = [LOOKUP % iri for iri in iris]
    print(f"  {corpus}", flush=True)

    oxigraph_dir = work / "oxigraph"
    subprocess.run([str(VENV_BIN / "oxigraph"), "load", "--location", str(oxigraph_dir),
                    "--file", str(graph)], check=True, capture_output=True)
    servers: dict[str, tuple[int, str]] = {}
    with ExitStack() as stack:
        port = free_port()
        stack.enter_context(running(
            [str(VENV_BIN / "oxigraph"), "serve", "--location", str(oxigraph_dir),
             "--bind", f"127.0.0.1:{port}"], f"http://127.0.0.1:{port}/", work / "oxigraph.log"))
        servers[REFERENCE] = (port, "/query")
        triples = count_triples(f"http://127.0.0.1:{port}/query")
        for label, extra in ((CACHE_OFF, ["--no-cache"]), (CACHE_ON, [])):
            port = free_port()
            store = work / ("reviewgraph-" + ("nocache" if extra else "cache"))
            command = [str(VENV_BIN / "reviewgraph"), "serve", "--graph", str(graph),
                       "--build", str(store), "--port", str(port), "--quiet",
                       "--workers", str(args.workers), "--executors", str(args.executors),
                       *extra]
            stack.enter_context(running(command, f"http://127.0.0.1:{port}/healthz",
                                        work / f"{store.name}.log"))
            served = count_triples(f"http://127.0.0.1:{port}/sparql")
            assert served == triples, (served, triples)
            servers[label] = (port, "/sparql")
        # Each ReviewGraph worker builds the pages' reviews index in a thread at start-up
        # (seconds of CPU at 10,000 reviews); let that finish so it is not measured.
        time.sleep(args.settle)
        # Rounds interleave the servers, so a change in what else the machine is doing
        # affects all of them alike; the report gives the median of the rounds.
        samples: dict[tuple[str, str], list[loadgen.LoadResult]] = {}
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number} of {args.rounds}", flush=True)
            for name, queries in (("lookup", lookups), ("group-by", [GROUP_BY])):
                for label, (port, path) in servers.items():
                    result = loadgen.run("127.0.0.1", port, get_paths(path, queries),
                                         clients=args.clients, seconds=args.seconds)
                    print(f"  {label:30} {name:9} {result.throughput:9,.1f} q/s  "
                          f"p50 {result.p50_ms:8.2f} ms  p95 {result.p95_ms:8.2f} ms  "
                          f"errors {result.errors}", flush=True)
                    samples.setdefault((label, name), []).append(result)
    rows = [Row(label, name, median_result(results))
            for (label, name), results in samples.items()]
    rows.sort(key=lambda r: (r.query != "lookup", list(servers).index(r.server)))

    if not args.no_write:
        print(write_results(rows, args, corpus, triples, load_before))
    return 0


if __name__ == "__main__":
    sys.exit(main())
