"""Harvest benchmark: a real pywb archive of listing-page captures, harvested with
`reviewgraph harvest`, then built, against a build of the same reviews from pages that each hold
them once.

    python bench/harvest_bench.py                    # 1,500 reviews, about 220 captures
    python bench/harvest_bench.py --reviews 3000 --keep bench/work/harvest

The archive: bench/synthetic.py's made-up reviews (its word stock; no real text), one yearly
list per year 2015-2025, captured every month as it grows (a review appears from its month on),
plus an identical second capture every other month and an error page now and then; lists up to
2018 in the nspcc.org.uk format ("Month YYYY – Place - Title", Learning:, "Read the overview
report"), 2019-2024 in the "recently published" format (Learning includes:, "> Read ..."), 2025
in the monthly "Case reviews update" format, on one more address captured month by month with
that month's reviews. Everything is HTML with report links, served by pywb (.venv-pywb) on
127.0.0.1 from WARC files written with warcio.

Reported: captures/s of `reviewgraph harvest --no-live --archive ... --delay 0`; then seconds
and peak memory of `reviewgraph build` of the harvest folder against `reviewgraph build` of the
final list of each year (every review once), and their ratio (target: at most 1.3x): medians
of --repeat builds each way, run alternately, with their CPU seconds (the machine is shared:
wall time follows its load, CPU time much less). The build
of a folder needs the folder-reading build (issue 12, point 2); where it is missing the script
says so and reports the harvest alone. Writes bench/results/harvest.json.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import synthetic  # noqa: E402
from web_archive import ArchivedResponse, start_pywb, write_warc  # noqa: E402

REVIEWGRAPH = Path(sys.executable).parent / "reviewgraph"
YEARLY = "https://www.nspcc.org.uk/preventing-abuse/child-protection-system/case-reviews/{}/"
RECENT = "https://learning.nspcc.org.uk/case-reviews/recently-published-case-reviews"
MONTHLY = "https://learning.nspcc.org.uk/case-reviews/monthly-case-reviews-update"
LIBRARY = "https://library.example.org/record/"


def _entry(review: synthetic.Review, era: str) -> str:
    """One review in an era's HTML format."""
    e = html.escape
    if era == "2014":
        heading = f"{synthetic._MONTHS[review.month]} {review.year} – {review.locality} - " \
                  f"{review.title}"
        learning, recommendations, link = "Learning:", "Recommendations:", ""
    elif era == "recent":
        heading = f"{review.year} – {review.locality} - {review.title}"
        learning, recommendations, link = "Learning includes:", "Recommendations include:", "> "
    else:
        heading = f"{review.year} – {review.locality} - {review.title}"
        learning = "Learning themes include:"
        recommendations, link = "Recommendations to the partnership include:", "> "
    first = review.page_text().split("\n")[1]  # the summary paragraph, as synthetic writes it
    return (f"<h3>{e(heading)}</h3>\n<p>{e(first)}</p>\n"
            f"<p><strong>{learning}</strong> {e(synthetic._listing(review.learning))}.</p>\n"
            f"<p><strong>{recommendations}</strong> "
            f"{e(synthetic._listing(review.recommendations))}.</p>\n"
            f"<p><strong>Keywords:</strong> {e(', '.join(review.keywords))}</p>\n"
            f"<p><a href=\"{LIBRARY}{review.slug}\">{e(link)}Read the {review.report}</a></p>\n")


def _page(title: str, reviews: list[synthetic.Review], era: str, updated: str) -> bytes:
    entries = "".join(_entry(review, era) for review in reviews)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{title}</title></head>\n<body><nav><a href=\"/\">Home</a></nav><main>\n"
            f"<h1>{title}</h1>\n<p>Last updated: {updated}</p>\n{entries}</main></body></html>\n"
            ).encode()


def _era(year: int) -> str:
    return "2014" if year <= 2018 else "recent" if year <= 2024 else "monthly"


def corpus(count: int) -> tuple[list[ArchivedResponse], dict[str, bytes], list[str]]:
    """(captures for the archive, each year's final list, the addresses)."""
    reviews = list(synthetic.reviews(count))
    captures: list[ArchivedResponse] = []
    finals: dict[str, bytes] = {}
    addresses = [YEARLY.format(year) for year in range(2015, 2019)] + [RECENT, MONTHLY]
    error = b"<html><head><title>Page not found</title></head><body>Sorry.</body></html>"
    for year in range(2015, 2026):
        of_year = [r for r in reviews if r.year == year]
        address = YEARLY.format(year) if year <= 2018 else RECENT
        title = f"Case reviews published in {year}"
        for month in range(12):
            listed = [r for r in of_year if r.month <= month]
            body = _page(title, listed, _era(year), f"{month + 1} {synthetic._MONTHS[month]}")
            stamp = f"{year}{month + 1:02d}15120000"
            captures.append(ArchivedResponse(address, stamp, body))
            if month % 2 == 0:  # captured again, unchanged
                captures.append(ArchivedResponse(address, stamp[:6] + "25120000", body))
            if year <= 2018 and month == 6:
                captures.append(ArchivedResponse(address, stamp[:6] + "28120000", error))
            if year == 2025:
                this_month = [r for r in of_year if r.month == month]
                monthly = _page("Case reviews update", this_month, "monthly",
                                f"1 {synthetic._MONTHS[month]}")
                captures.append(ArchivedResponse(MONTHLY, stamp[:6] + "02120000", monthly))
        finals[f"{year}.html"] = body
    return captures, finals, addresses


def _timed(command: list[str]) -> dict:
    """Run a command; wall seconds, CPU seconds (user and system, its worker processes
    included), its exit status and the peak RSS of the largest child."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
               "print(r.returncode, time.perf_counter() - t, u.ru_maxrss, "
               "u.ru_utime + u.ru_stime); "
               "sys.stderr.write(r.stdout[-1500:] + r.stderr[-1500:])")
    run = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True,
                         text=True)
    code, seconds, rss, cpu = run.stdout.split()
    return {"exit": int(code), "seconds": round(float(seconds), 2),
            "cpu_seconds": round(float(cpu), 2), "peak_rss_mb": round(int(rss) / 1024, 1),
            "output": run.stderr.strip()}


def _median_of(runs: list[dict]) -> dict:
    """Several runs of one build: median wall and CPU seconds, the largest peak RSS, each
    run's seconds, and the last run's exit status and output."""
    return {**runs[-1], "seconds": statistics.median(run["seconds"] for run in runs),
            "cpu_seconds": statistics.median(run["cpu_seconds"] for run in runs),
            "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
            "runs_seconds": [run["seconds"] for run in runs]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=1500)
    parser.add_argument("--keep", type=Path, help="work here and keep it (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="build each way this many times, alternately; medians reported")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="harvest-bench-"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    captures, finals, addresses = corpus(args.reviews)
    warc = work / "captures.warc.gz"
    write_warc(warc, captures)
    pages_csv = work / "pages.csv"
    with pages_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url"])
        writer.writerows([address] for address in addresses)
    once = work / "once"
    once.mkdir()
    for name, body in finals.items():
        (once / name).write_bytes(body)

    archive = start_pywb(work / "pywb", [warc])
    try:
        harvested = work / "harvested"
        harvest = _timed([str(REVIEWGRAPH), "harvest", "--no-live", "--archive",
                          archive.archive_option, "--pages", str(pages_csv), "--out",
                          str(harvested), "--delay", "0"])
    finally:
        archive.stop()
    pages = len(list(harvested.glob("*.html")))
    result: dict = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.processor() or platform.machine()}, Python "
                   f"{platform.python_version()}",
        "reviews": args.reviews, "captures": len(captures), "distinct_pages": pages,
        "harvest": {**harvest, "captures_per_second": round(len(captures) /
                                                            harvest["seconds"], 1)},
    }
    print(f"harvest: {len(captures)} captures ({pages} distinct pages stored) in "
          f"{harvest['seconds']} s = {result['harvest']['captures_per_second']} captures/s, "
          f"peak {harvest['peak_rss_mb']} MB; exit {harvest['exit']}")
    print("  " + harvest["output"].splitlines()[0] if harvest["output"] else "")

    once_runs, harvest_runs = [], []
    for _ in range(max(1, args.repeat)):  # alternately, so both meet the same load
        once_runs.append(_timed([str(REVIEWGRAPH), "build",
                                 *map(str, sorted(once.glob("*.html"))),
                                 "--out", str(work / "build-once")]))
        harvest_runs.append(_timed([str(REVIEWGRAPH), "build", str(harvested), "--out",
                                    str(work / "build-harvest")]))
    baseline, from_harvest = _median_of(once_runs), _median_of(harvest_runs)
    result["build_once"] = baseline
    result["build_harvest"] = from_harvest
    print(f"build, each review once ({len(finals)} pages): median {baseline['seconds']} s "
          f"({baseline['cpu_seconds']} CPU s), peak {baseline['peak_rss_mb']} MB; exit "
          f"{baseline['exit']}")
    if from_harvest["exit"] in (0, 3) and baseline["exit"] in (0, 3):
        ratio = from_harvest["seconds"] / baseline["seconds"]
        result["ratio"] = round(ratio, 2)
        result["cpu_ratio"] = round(from_harvest["cpu_seconds"] / baseline["cpu_seconds"], 2)
        print(f"build from the harvest ({pages} pages): median {from_harvest['seconds']} s "
              f"({from_harvest['cpu_seconds']} CPU s), peak {from_harvest['peak_rss_mb']} MB; "
              f"{ratio:.2f}x the build of each review once (CPU {result['cpu_ratio']}x; "
              f"target <= 1.3x): {'met' if ratio <= 1.3 else 'NOT met'}")
    else:
        result["ratio"] = None
        print(f"build from the harvest: not available (exit {from_harvest['exit']}: "
              f"{from_harvest['output'].splitlines()[-1] if from_harvest['output'] else ''})")
    for build in (baseline, from_harvest):
        build["output"] = build["output"][-600:]
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "harvest.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(work)
    return 0 if harvest["exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
