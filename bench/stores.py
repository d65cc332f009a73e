"""Store benchmark: loading each store, and /sparql on an external store beside the store itself.

    .venv/bin/python bench/stores.py --reuse-build          # the 10,000-review corpus of load.py
    .venv/bin/python bench/stores.py --reviews 1000 --seconds 3

1. Corpus: the build bench/load.py made (bench/work/load-N/build, `--reuse-build`), or a new
   one from bench/synthetic.py's listing pages through the real pipeline.
2. Load time into each store, same build: the embedded store (`OxigraphStore.prepare`, what
   `reviewgraph serve` does on a new build), Oxigraph server and Virtuoso (`reviewgraph load`:
   Graph Store Protocol PUT/POST, one named graph per page, 20,000 triples a request), and for
   reference `oxigraph load` (the server's own bulk loader, straight into its files). Each store
   is checked to hold exactly the build's triple count afterwards.
3. Lookups (title and year of one review, cycling through every review) with 8 closed-loop
   clients (bench/loadgen.py), in interleaved rounds:
   - Oxigraph server queried directly with the request our adapter sends it (the query plus
     one default-graph-uri per named graph: the union of our graphs), and
   - `reviewgraph serve --store URL` (answer cache off) in front of that same server;
   and the same pair for Virtuoso. Target (issue 6): through /sparql at least 0.5x direct.
4. Writes bench/results/stores.json and the table into bench/RESULTS.md between the stores
   markers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
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
RESULTS_JSON = BENCH_DIR / "results" / "stores.json"
START, END = "<!-- stores:start -->", "<!-- stores:end -->"


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def load_external(server: store_servers.StoreServer, build_dir: Path) -> float:
    seconds, _ = timed(lambda: store_servers.load(server.store_url, "--build", str(build_dir)))
    return seconds


def count_in_graphs(query_url: str, graphs: list[str]) -> int:
    """Triples in the union of `graphs`, asked of the store itself (form POST)."""
    import urllib.request

    body = urllib.parse.urlencode([("query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
                                   *(("default-graph-uri", g) for g in graphs)]).encode()
    request = urllib.request.Request(query_url, data=body, headers={
        "Accept": "application/sparql-results+json",
        "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return int(json.load(response)["results"]["bindings"][0]["n"]["value"])


def dataset_query(graphs: list[str]) -> str:
    return "".join(f"&default-graph-uri={urllib.parse.quote(g, safe='')}" for g in graphs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executors", type=int, default=3)
    parser.add_argument("--work", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--reuse-build", action="store_true")
    parser.add_argument("--no-virtuoso", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

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

    rows: list[dict] = []
    with ExitStack() as stack:
        servers = {"oxigraph-server": store_servers.start_oxigraph_server(
            stores_dir / "oxigraph-server", timeout=10)}  # the app's time limit
        if not args.no_virtuoso and store_servers.virtuoso_available():
            servers["virtuoso"] = store_servers.start_virtuoso(stores_dir / "virtuoso")
        for server in servers.values():
            stack.callback(store_servers.stop_store_server, server)
        for kind, server in servers.items():
            print(f"loading {kind} ...", flush=True)
            loads[f"{kind} (`reviewgraph load`, GSP)"] = load_external(server, build_dir)
            held = count_in_graphs(server.query_url, graphs)
            assert held == triples, (kind, held, triples)
        print("\n".join(f"  {name}: {s:.1f} s" for name, s in loads.items()), flush=True)

        targets: dict[str, tuple[int, str, str]] = {}  # label -> (port, path, extra query)
        for kind, server in servers.items():
            url = urllib.parse.urlsplit(server.query_url)
            targets[f"{kind} direct"] = (url.port, url.path, dataset_query(graphs))
            for cache in ("cache off", "cache on"):
                port = endpoint_bench.free_port()
                folder = stores_dir / f"serve-{kind}-{cache.split()[1]}"
                folder.mkdir(exist_ok=True)
                command = [str(VENV_BIN / "reviewgraph"), "serve", "--store", server.store_url,
                           "--build", str(folder), "--port", str(port), "--quiet",
                           "--workers", str(args.workers), "--executors", str(args.executors),
                           *(["--no-cache"] if cache == "cache off" else [])]
                stack.enter_context(endpoint_bench.running(
                    command, f"http://127.0.0.1:{port}/healthz", folder / "serve.log"))
                served = endpoint_bench.count_triples(f"http://127.0.0.1:{port}/sparql")
                assert served == triples, (kind, served, triples)
                targets[f"reviewgraph serve --store {kind} ({cache})"] = (port, "/sparql", "")

        samples: dict[str, list[loadgen.LoadResult]] = {}
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number} of {args.rounds}", flush=True)
            for label, (port, path, extra) in targets.items():
                paths = [p + extra for p in endpoint_bench.get_paths(path, lookups)]
                # Direct requests carry one default-graph-uri per page: too long for a URL
                # (Oxigraph server refuses headers over 8 KiB), so they go as a form POST, as
                # the adapter sends them; clients of the app send a plain GET.
                result = loadgen.run("127.0.0.1", port, paths, clients=args.clients,
                                     seconds=args.seconds, post_form=bool(extra))
                print(f"  {label:40} {result.throughput:9,.1f} q/s  p50 {result.p50_ms:7.2f} "
                      f"ms  p95 {result.p95_ms:7.2f} ms  errors {result.errors}", flush=True)
                samples.setdefault(label, []).append(result)
    for label, results in samples.items():
        result = endpoint_bench.median_result(results)
        kind = label.split()[3] if label.startswith("reviewgraph") else label.split()[0]
        rows.append({"server": label, "store": kind, "throughput": result.throughput,
                     "p50_ms": result.p50_ms, "p95_ms": result.p95_ms,
                     "errors": result.errors})
    for row in rows:
        direct = next(r for r in rows if r["server"] == f"{row['store']} direct")
        row["vs_direct"] = row["throughput"] / direct["throughput"] if direct["throughput"] \
            else 0.0

    summary = {
        "run": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": endpoint_bench.machine(), "load_average_before": load_before,
        "corpus": corpus, "triples": triples, "named_graphs": len(graphs),
        "clients": args.clients, "seconds": args.seconds, "rounds": args.rounds,
        "workers": args.workers, "executors": args.executors,
        "load_seconds": loads, "lookups": rows,
    }
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    section = render(summary, args)
    print(section)
    if not args.no_write:
        write_section(section)
    return 0


def render(summary: dict, args: argparse.Namespace) -> str:
    lines = [
        START,
        "## External stores: loading and /sparql in front of a store (issue 6)",
        "",
        f"Run {summary['run']} with `bench/stores.py --reviews {args.reviews} --seconds "
        f"{args.seconds:g}{' --reuse-build' if args.reuse_build else ''}` on "
        f"{summary['machine']}; stores, app and load generator share the machine (load "
        f"average before: {summary['load_average_before']}). Raw figures: "
        "bench/results/stores.json.",
        "",
        f"- Corpus: {summary['corpus']}; {summary['triples']:,} triples in "
        f"{summary['named_graphs']} named graphs (one per page, plus the shared one).",
        "",
        "| load into | seconds |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in summary["load_seconds"].items()]
    lines += [
        "",
        f"Lookups (title and year of one review, every review in a fixed shuffle): "
        f"{summary['clients']} closed-loop clients, one keep-alive connection each, "
        f"{summary['seconds']:g} s per measurement after 1 s warm-up, {summary['rounds']} "
        "interleaved rounds, medians. *Direct* sends the store the request our adapter "
        "sends (the query and one default-graph-uri per named graph, as a form POST); "
        "*reviewgraph serve* (clients send a GET with the query) "
        f"is the app ({summary['workers']} workers x {summary['executors']} query processes, "
        "10 s limit, 10,000-row cap) in front of that same store, with its answer cache off "
        "(every query goes to the store) and on (the default: repeated identical queries "
        "answered from the worker's memory; exact while the store is unchanged, and the "
        "deployment guide restarts the app after each load or add).",
        "",
        "| server | throughput (q/s) | p50 (ms) | p95 (ms) | errors | vs direct |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['server']} | {r['throughput']:,.0f} | {r['p50_ms']:.2f} | "
              f"{r['p95_ms']:.2f} | {r['errors']} | {r['vs_direct']:.2f}x |"
              for r in summary["lookups"]]
    lines += ["", "Target (issue 6): lookups through /sparql on the external Oxigraph store at "
              "least 0.5x the throughput of querying Oxigraph server directly.", END]
    return "\n".join(lines) + "\n"


def write_section(section: str) -> None:
    results_md.write_section(START, END, section)


if __name__ == "__main__":
    sys.exit(main())
