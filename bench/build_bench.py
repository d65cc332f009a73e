"""Build benchmark: `reviewgraph build` of the synthetic corpus at 1,000 and 10,000 reviews
(and 100,000 with --sizes), split into monthly-sized pages as the real collection is.

    python bench/build_bench.py                      # 1k and 10k, 3 runs each
    python bench/build_bench.py --sizes 1000 10000 100000 --runs 3

Each run is a fresh process (so peak memory is per run): it builds the corpus into a temporary
folder and reports seconds per stage (parse, graph, validate, write), the total, and peak RSS
of the build process and of its largest worker. Prints a table of medians and writes
bench/results/build.json. Timings live here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402  (bench/synthetic.py, the deterministic corpus)

# A parallel build parses, builds, validates its pages' own nodes and formats them in chunk
# workers ("chunks"), then validates the shared nodes ("validate") and writes; a one-process
# build has parse, graph, validate and write.
STAGES = ("parse", "graph", "chunks", "validate", "write")


def one_run(pages_dir: Path, out_dir: Path) -> dict:
    """Build once in this process; the measurements as a dict."""
    import logging

    from reviewgraph.build import build

    logging.getLogger("rdflib").setLevel(logging.ERROR)
    pages = sorted(pages_dir.glob("*.txt"))
    wall, cpu = time.perf_counter(), time.process_time()
    report = build(pages, out_dir)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "reviews": report.reviews,
        "triples": report.triples,
        "pages": len(pages),
        "seconds": round(wall, 3),
        "cpu_seconds_main": round(cpu, 3),
        "cpu_seconds_workers": round(children.ru_utime + children.ru_stime, 3),
        **{f"{stage}_seconds": round(report.timings.get(stage, 0.0), 3) for stage in STAGES},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_worker_mb": round(children.ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "build.json")
    parser.add_argument("--one-run", nargs=2, type=Path, metavar=("PAGES", "OUT"),
                        help=argparse.SUPPRESS)  # internal: a single measured build
    args = parser.parse_args(argv)
    if args.one_run:
        print(json.dumps(one_run(*args.one_run)))
        return 0

    results = []
    with tempfile.TemporaryDirectory(prefix="rg-build-bench-") as tmp:
        for size in args.sizes:
            pages_dir = Path(tmp) / f"pages-{size}"
            synthetic.write_pages(size, pages_dir)
            runs = []
            for run in range(args.runs):
                out_dir = Path(tmp) / f"build-{size}-{run}"
                done = subprocess.run(
                    [sys.executable, __file__, "--one-run", str(pages_dir), str(out_dir)],
                    capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    print(done.stderr, file=sys.stderr)
                    return 1
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
                print(f"  {size} reviews, run {run + 1}: {runs[-1]['seconds']} s", flush=True)
            median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            results.append({"size": size, "median": median, "runs": runs})
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(),
               "platform": platform.platform(),
               "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "results": results}, indent=1) + "\n",
                        encoding="utf-8")
    header = ("reviews", "triples", *(f"{stage} s" for stage in STAGES), "total s",
              "peak MB", "worker MB")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for item in results:
        m = item["median"]
        row = (item["size"], int(m["triples"]), *(m[f"{stage}_seconds"] for stage in STAGES),
               m["seconds"], m["peak_rss_mb"], m["peak_rss_worker_mb"])
        print("| " + " | ".join(str(v) for v in row) + " |")
    print(f"(medians of {args.runs} runs; {machine}; written to {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
