"""Store benchmark: loading each store, and /sparql on an external store beside the store itself.

    .venv/bin/python bench/stores.py --reviews 10000 --reuse-build      # both stores
    .venv/bin/python bench/stores.py --reviews 1000 --stores oxigraph-server --seconds 3

1. Corpus: the build in bench/work/load-N/build (made by this script or bench/load.py) with
   `--reuse-build`, else a new one from bench/synthetic.py's listing pages through the real
   pipeline.
2. Load time into each store, same build: the embedded store (`OxigraphStore.prepare`, what
   `reviewgraph serve` does on a new build), Oxigraph server and Virtuoso (`reviewgraph load`:
   Graph Store Protocol PUT/POST, one named graph per page, 20,000 triples a request), and for
   reference `oxigraph load` (the server's own bulk loader, straight into its files). Each store
   is checked to hold exactly the build's triple count afterwards.
3. Lookups (title and year of one review, cycling through every review) with 8 closed-loop
   clients (bench/loadgen.py), in interleaved rounds:
   - the store queried directly with exactly the requests our adapter sends it
     (`ExternalSparqlStore.request_for`: method, URL, headers, body; for Oxigraph server run
     with --union-default-graph, as docs/deployment.md recommends, a POST of the query alone
     as application/sparql-query; for Virtuoso, or with `--no-union`, the query plus one
     default-graph-uri per named graph, as a GET or, when that is too long, a form POST), and
   - `reviewgraph serve --store URL` in front of that same store with its answer cache off
     (every query goes to the store: the acceptance figure), and with `--cache-on` also on.
   Target (issue 6): through /sparql at least 0.5x direct. CPU seconds used by the store's
   processes and by the app's processes during each measurement are recorded too (the
   machine is shared, so CPU per query is steadier than wall-clock throughput).
4. Writes bench/results/stores-N.json (N = reviews; `--results` to change) and, unless
   `--no-write`, the table into bench/RESULTS.md between the stores markers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent / "tests"))

import load as endpoint_bench  # noqa: E402
import loadgen  # noqa: E402
import results_md  # noqa: E402
import store_servers  # noqa: E402

VENV_BIN = Path(sys.executable).parent
RESULTS_DIR = BENCH_DIR / "results"
STORE_KINDS = ("oxigraph-server", "virtuoso")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
START, END = "<!-- stores:start -->", "<!-- stores:end -->"


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def counted_triples(health_url: str, wait: float = 600.0) -> int | None:
    """The triple count /healthz reports, once the app has taken it (None if not in time)."""
    deadline = time.monotonic() + wait
    while True:
        with urllib.request.urlopen(health_url, timeout=30) as response:
            triples = json.load(response).get("triples")
        if triples is not None or time.monotonic() > deadline:
            return triples
        time.sleep(1.0)


def load_external(server: store_servers.StoreServer, build_dir: Path) -> float:
    seconds, _ = timed(lambda: store_servers.load(server.store_url, "--build", str(build_dir)))
    return seconds


def count_in_graphs(query_url: str, graphs: list[str]) -> int:
    """Triples in the union of `graphs`, asked of the store through the adapter (which copes
    with each store's answers: Virtuoso's to a query naming 100 graphs has more header lines
    than urllib accepts)."""
    from reviewgraph.external import ExternalSparqlStore

    store = ExternalSparqlStore(query_url, timeout=300, graphs=graphs)
    try:
        return store.triple_count()
    finally:
        store.close()


def session_cpu(session: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a session: a server
    started in its own session, with its workers and query processes."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # fields after the name: state ppid pgrp session ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def direct_requests(query_url: str, lookups: list[str]) -> tuple[list[bytes], str]:
    """(requests, description): the HTTP requests the adapter sends the store for these
    lookups, taken from the adapter itself (`ExternalSparqlStore.request_for`: method, URL,
    headers and body) so the comparison stays fair."""
    from reviewgraph.external import ExternalSparqlStore

    url = urllib.parse.urlsplit(query_url)
    store = ExternalSparqlStore(query_url)
    try:
        sent = [store.request_for(text) for text in lookups]
        mode = ("no dataset: the store serves the union of our graphs" if store.union
                else f"one default-graph-uri per named graph ({len(store.graphs)})")
    finally:
        store.close()
    raw = []
    for request in sent:
        target = "?".join(part for part in (url.path, "&".join(
            q for q in (url.query, request.query) if q)) if part)
        headers = {"User-Agent": "reviewgraph", **request.headers}
        raw.append(loadgen.raw_request(url.hostname, url.port, request.method, target,
                                       headers, request.body))
    first = sent[0]
    how = first.method + (f" {first.headers['Content-Type']}" if first.body else "")
    return raw, f"{how}, {mode}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    # On an external store the app's query slots are threads (no processes): 2 workers x 4
    # keep 8 queries in flight, as the 8 clients keep 8 in flight when querying directly.
    parser.add_argument("--executors", type=int, default=4)
    parser.add_argument("--work", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--reuse-build", action="store_true",
                        help="use bench/work/load-N/build if it is there")
    parser.add_argument("--stores", nargs="+", choices=STORE_KINDS, default=list(STORE_KINDS),
                        help="external stores to run (default: both)")
    parser.add_argument("--no-virtuoso", action="store_true", help="same as --stores "
                        "oxigraph-server")
    parser.add_argument("--no-union", action="store_true",
                        help="run Oxigraph server without --union-default-graph (the adapter "
                        "then sends every named graph as the dataset)")
    parser.add_argument("--store-timeout", type=int, default=1,
                        help="Oxigraph server's --timeout-s (default 1). Oxigraph 0.5 keeps a "
                        "thread per query for that long (oxigraph/oxigraph#1874), so at "
                        "thousands of lookups a second 10 s runs it out of threads")
    parser.add_argument("--cache-on", action="store_true",
                        help="also measure the app with its answer cache on")
    parser.add_argument("--results", type=Path, default=None,
                        help="JSON figures (default bench/results/stores-N.json)")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    kinds = [k for k in args.stores if not (args.no_virtuoso and k == "virtuoso")]
    results_json = args.results or RESULTS_DIR / f"stores-{args.reviews}.json"

    from reviewgraph.build import NQUADS_FILE, read_nquads
    from reviewgraph.store import OxigraphStore

    load_before = " ".join(f"{v:.2f}" for v in os.getloadavg())
    work = args.work / f"load-{args.reviews}"
    build_dir = work / "build"
    described = work / "corpus.txt"
    if args.reuse_build and (build_dir / NQUADS_FILE).is_file() and described.is_file():
        corpus = described.read_text(encoding="utf-8").strip() + " (reused)"
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        print(f"corpus: {args.reviews:,} reviews ...", flush=True)
        _, corpus = endpoint_bench.make_corpus(args.reviews, work, direct=False)
        described.write_text(corpus + "\n", encoding="utf-8")
    graph_file = build_dir / "reviewgraph.nt"
    graphs = sorted(read_nquads((build_dir / NQUADS_FILE).read_text(encoding="utf-8")))
    triples = sum(1 for _ in graph_file.open(encoding="utf-8"))
    iris = endpoint_bench.review_iris(graph_file)
    lookups = [endpoint_bench.LOOKUP % iri for iri in iris]
    print(f"  {corpus}: {triples:,} triples in {len(graphs)} named graphs", flush=True)

    stores_dir = work / "stores"
    shutil.rmtree(stores_dir, ignore_errors=True)
    stores_dir.mkdir(parents=True)
    loads: dict[str, float] = {}
    seconds, _ = timed(lambda: OxigraphStore.prepare(graph_file, stores_dir / "embedded"))
    loads["embedded Oxigraph (OxigraphStore.prepare, bulk load)"] = seconds
    seconds, _ = timed(lambda: subprocess.run(
        [str(VENV_BIN / "oxigraph"), "load", "--location", str(stores_dir / "oxigraph-bulk"),
         "--file", str(graph_file)], check=True, capture_output=True))
    loads["Oxigraph server files (`oxigraph load`, reference)"] = seconds
    shutil.rmtree(stores_dir / "oxigraph-bulk", ignore_errors=True)

    rows: list[dict] = []
    requests_sent: dict[str, str] = {}
    with ExitStack() as stack:
        servers = {}
        if "oxigraph-server" in kinds:
            # A long limit while loading and counting (a COUNT of every triple takes
            # seconds); restarted with --store-timeout for the lookups (below).
            servers["oxigraph-server"] = store_servers.start_oxigraph_server(
                stores_dir / "oxigraph-server", timeout=300, union=not args.no_union)
        if "virtuoso" in kinds and store_servers.virtuoso_available():
            servers["virtuoso"] = store_servers.start_virtuoso(stores_dir / "virtuoso")
        for server in servers.values():
            stack.callback(store_servers.stop_store_server, server)
        for kind, server in servers.items():
            print(f"loading {kind} ...", flush=True)
            loads[f"{kind} (`reviewgraph load`, GSP)"] = load_external(server, build_dir)
            held = count_in_graphs(server.query_url, graphs)
            assert held == triples, (kind, held, triples)
        print("\n".join(f"  {name}: {s:.1f} s" for name, s in loads.items()), flush=True)

        # label -> (port, requests, store's session, app's session or None)
        targets: dict[str, tuple[int, list[bytes], int, int | None]] = {}
        for kind, server in servers.items():
            port = urllib.parse.urlsplit(server.query_url).port
            raw, sent = direct_requests(server.query_url, lookups)
            requests_sent[kind] = sent
            store_session = os.getsid(server.process.pid)
            targets[f"{kind} direct"] = (port, raw, store_session, None)
            for cache in ("cache off", "cache on") if args.cache_on else ("cache off",):
                port = endpoint_bench.free_port()
                folder = stores_dir / f"serve-{kind}-{cache.split()[1]}"
                folder.mkdir(exist_ok=True)
                command = [str(VENV_BIN / "reviewgraph"), "serve", "--store", server.store_url,
                           "--build", str(folder), "--port", str(port), "--quiet",
                           "--workers", str(args.workers), "--executors", str(args.executors),
                           *(["--no-cache"] if cache == "cache off" else [])]
                app = stack.enter_context(endpoint_bench.running(
                    command, f"http://127.0.0.1:{port}/healthz", folder / "serve.log"))
                # The app counts the store in the background once up (a minute at 100,000
                # reviews): measure only after that, and check its count.
                served = counted_triples(f"http://127.0.0.1:{port}/healthz")
                assert served == triples, (kind, served, triples)
                targets[f"reviewgraph serve --store {kind} ({cache})"] = (
                    port, [loadgen.raw_request("127.0.0.1", port, "GET", path, {
                        "Accept": "application/sparql-results+json"}, None)
                        for path in endpoint_bench.get_paths("/sparql", lookups)],
                    store_session, os.getsid(app.pid))
        for kind, sent in requests_sent.items():
            print(f"  direct requests to {kind}: {sent}", flush=True)
        if "oxigraph-server" in servers:
            # The same store, now with the short limit, on the same port: the apps'
            # kept-alive connections break and they reconnect on their first query.
            old = servers["oxigraph-server"]
            store_servers.stop_store_server(old)
            port = urllib.parse.urlsplit(old.query_url).port
            new = store_servers.start_oxigraph_server(
                old.folder, timeout=args.store_timeout, union=not args.no_union, port=port)
            old.process = new.process  # stopped at the end with the others
            store_session = os.getsid(new.process.pid)
            for label, (port, raw, _, app_session) in list(targets.items()):
                if "oxigraph-server" in label:
                    targets[label] = (port, raw, store_session, app_session)

        samples: dict[str, list[tuple[loadgen.LoadResult, float, float]]] = {}
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number} of {args.rounds}", flush=True)
            for label, (port, raw, store_session, app_session) in targets.items():
                before = (session_cpu(store_session),
                          session_cpu(app_session) if app_session else 0.0)
                result = loadgen.run("127.0.0.1", port, [], clients=args.clients,
                                     seconds=args.seconds, raw=raw)
                # CPU per query over warm-up and measurement (queries counted in both).
                queries = max(result.throughput * (args.seconds + 1.0), 1.0)
                store_ms = (session_cpu(store_session) - before[0]) / queries * 1000
                app_ms = ((session_cpu(app_session) - before[1]) / queries * 1000
                          if app_session else 0.0)
                print(f"  {label:52} {result.throughput:9,.1f} q/s  p50 {result.p50_ms:6.2f} "
                      f"ms  p95 {result.p95_ms:6.2f} ms  errors {result.errors}  CPU/query: "
                      f"store {store_ms:.3f} ms, app {app_ms:.3f} ms", flush=True)
                samples.setdefault(label, []).append((result, store_ms, app_ms))
    for label, measured in samples.items():
        result = endpoint_bench.median_result([m[0] for m in measured])
        kind = label.split()[3] if label.startswith("reviewgraph") else label.split()[0]
        rows.append({"server": label, "store": kind, "throughput": result.throughput,
                     "p50_ms": result.p50_ms, "p95_ms": result.p95_ms,
                     "errors": result.errors,
                     "store_cpu_ms_per_query": statistics.median(m[1] for m in measured),
                     "app_cpu_ms_per_query": statistics.median(m[2] for m in measured)})
    for row in rows:
        direct = next(r for r in rows if r["server"] == f"{row['store']} direct")
        row["vs_direct"] = row["throughput"] / direct["throughput"] if direct["throughput"] \
            else 0.0

    summary = {
        "run": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "bench/stores.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": endpoint_bench.machine(), "load_average_before": load_before,
        "reviews": args.reviews, "corpus": corpus, "triples": triples,
        "named_graphs": len(graphs), "clients": args.clients, "seconds": args.seconds,
        "rounds": args.rounds, "workers": args.workers, "executors": args.executors,
        "oxigraph_server_timeout_s": args.store_timeout, "union": not args.no_union,
        "direct_requests": requests_sent, "load_seconds": loads, "lookups": rows,
    }
    results_json.parent.mkdir(parents=True, exist_ok=True)
    results_json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    section = render(summary)
    print(section)
    print(f"figures: {results_json}")
    if not args.no_write:
        write_section(section)
    return 0


def render(summary: dict) -> str:
    lines = [
        START,
        "## External stores: loading and /sparql in front of a store (issue 6)",
        "",
        f"Run {summary['run']} with `{summary['command']}` on {summary['machine']}; stores, "
        "app and load generator share the machine (load average before: "
        f"{summary['load_average_before']}). Raw figures: "
        f"bench/results/stores-{summary['reviews']}.json.",
        "",
        f"- Corpus: {summary['corpus']}; {summary['triples']:,} triples in "
        f"{summary['named_graphs']} named graphs (one per page, plus the shared one).",
        "",
        "| load into | seconds |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in summary["load_seconds"].items()]
    sent = "; ".join(f"{kind}: {how}" for kind, how in summary["direct_requests"].items())
    lines += [
        "",
        f"Lookups (title and year of one review, every review in a fixed shuffle): "
        f"{summary['clients']} closed-loop clients, one keep-alive connection each, "
        f"{summary['seconds']:g} s per measurement after 1 s warm-up, {summary['rounds']} "
        "interleaved rounds, medians. *Direct* sends the store exactly the requests our "
        f"adapter sends it ({sent}); *reviewgraph serve* (clients send a GET with the query) "
        f"is the app ({summary['workers']} workers x {summary['executors']} query slots, "
        "10 s limit, 10,000-row cap) in front of that same store, with its answer cache off "
        "(every query goes to the store) and, where shown, on (repeated identical queries "
        "answered from the worker's memory). Oxigraph server runs with "
        f"`--timeout-s {summary['oxigraph_server_timeout_s']}`"
        f"{' and `--union-default-graph`' if summary['union'] else ''} (it keeps a thread per "
        "query for its time limit, so a longer one runs it out of threads at these rates). "
        "CPU per query: CPU seconds of the store's and "
        "the app's processes over the measurement and its warm-up, per query.",
        "",
        "| server | throughput (q/s) | p50 (ms) | p95 (ms) | errors | store CPU/q (ms) | "
        "app CPU/q (ms) | vs direct |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['server']} | {r['throughput']:,.0f} | {r['p50_ms']:.2f} | "
              f"{r['p95_ms']:.2f} | {r['errors']} | {r['store_cpu_ms_per_query']:.3f} | "
              f"{r['app_cpu_ms_per_query']:.3f} | {r['vs_direct']:.2f}x |"
              for r in summary["lookups"]]
    lines += ["", "Target (issue 6): lookups through /sparql on the external Oxigraph store at "
              "least 0.5x the throughput of querying Oxigraph server directly.", END]
    return "\n".join(lines) + "\n"


def write_section(section: str) -> None:
    results_md.write_section(START, END, section)


if __name__ == "__main__":
    sys.exit(main())
