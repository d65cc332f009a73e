"""Page latency (p50/p95) per page type on the embedded Oxigraph store.

    python bench/pages.py --build bench/work/build-10000        # a `reviewgraph build` folder
    python bench/pages.py --ntriples bench/out/synthetic-10000.nt
    python bench/pages.py --store /tmp/store   # an on-disk Oxigraph store (quicker to open)

Requests go through the whole WSGI stack (Flask test client: routing, queries, templates,
validators) in one process, so the numbers are the server's own time without the network.
Each page type is measured over many different entities, first without the per-build caches
("cold": every entity seen for the first time; only the per-build index, made when the server
starts, is there) and then again ("warm"); "cpu" is the thread's CPU time, which a busy
machine does not inflate as it does wall time. Targets (issue 4): review, locality, theme and
keyword pages p50 <= 5 ms; the facet index p50 <= 50 ms; (issue 14) every page type p95 <=
50 ms at 100,000 reviews.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from flask import Flask

from reviewgraph.store import OxigraphStore
from reviewgraph.terms import DEFAULT_BASE_IRI
from reviewgraph.web.answers import register_answers
from reviewgraph.web.insights import INSIGHTS, register_insights
from reviewgraph.web.views import register_pages


@dataclass(frozen=True)
class Settings:
    base_iri: str
    build_dir: Path | None


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def entities(store: pyoxigraph.Store, cls: str, limit: int, rng: random.Random) -> list[str]:
    rows = list(store.query(f"SELECT ?e WHERE {{ ?e a <{cls}> }}"))
    iris = sorted(row[0].value for row in rows)
    rng.shuffle(iris)
    return iris[:limit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, help="a build folder (reviewgraph.nt inside)")
    parser.add_argument("--ntriples", type=Path, help="an N-Triples file")
    parser.add_argument("--store", type=Path, help="an on-disk Oxigraph store, opened read-only "
                                                   "(for quick runs while working; figures of "
                                                   "record use the in-memory store)")
    parser.add_argument("--requests", type=int, default=200, help="requests per page type")
    parser.add_argument("--only", help="measure only page types whose name contains one of these "
                                       "(comma-separated, e.g. insight,answers)")
    args = parser.parse_args(argv)
    source = args.build / "reviewgraph.nt" if args.build else args.ntriples
    if source is None and args.store is None:
        parser.error("give --build, --ntriples or --store")

    started = time.perf_counter()
    if args.store is not None:
        store = pyoxigraph.Store.read_only(str(args.store))
        source = args.store
    else:
        store = pyoxigraph.Store()
        store.bulk_load(path=str(source), format=pyoxigraph.RdfFormat.N_TRIPLES)
    print(f"loaded {source} in {time.perf_counter() - started:.1f} s")
    app = Flask("bench")
    site = register_pages(app, OxigraphStore(store), Settings(DEFAULT_BASE_IRI, args.build))
    register_insights(app, site)
    register_answers(app, site)
    client = app.test_client()
    started = time.perf_counter()
    collection = site.collection
    print(f"index of {len(collection.reviews)} reviews built in "
          f"{time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    for thread in threading.enumerate():  # what the server makes once per build at start-up
        if thread.name == "reviewgraph-index":
            thread.join()
    print(f"then the rest made once per build at start-up (agencies' recommendations, "
          f"{len(site.agency_recommendations)} agencies; counts per class; the sitemap's "
          f"entities) in {time.perf_counter() - started:.1f} s")

    rng = random.Random(4)
    rg = "https://reviewgraph.example/def/"
    n = args.requests

    def pages(cls: str) -> list[str]:
        return ["/page/" + iri[len(DEFAULT_BASE_IRI):] for iri in entities(store, cls, n, rng)
                if iri.startswith(DEFAULT_BASE_IRI)]

    def most_linked(cls: str, prop: str, count: int) -> list[str]:
        # The entities of `cls` with the most subjects linking to them through `prop`.
        rows = store.query(f"SELECT ?e (COUNT(*) AS ?n) WHERE {{ ?e a <{cls}> . ?s <{prop}> ?e }}"
                           f" GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT {count}")
        return ["/page/" + row[0].value[len(DEFAULT_BASE_IRI):] for row in rows
                if row[0].value.startswith(DEFAULT_BASE_IRI)]

    keywords = [v for v in collection.facets["keyword"].values()]
    themes = [v for v in collection.facets["theme"].values()]
    localities = [v for v in collection.facets["locality"].values()]
    words = ["abuse", "neglect", "school", "domestic violence", "health visitor", "risk",
             "mental health", "police", "sleep", "curiosity"]

    def index_url(i: int) -> str:
        # A mix: plain, search, one facet, two facets, search + facets, later pages.
        kind = i % 6
        if kind == 0:
            return f"/reviews?page={1 + i % 5}"
        if kind == 1:
            return f"/reviews?q={words[i % len(words)]}"
        if kind == 2 and keywords:
            return f"/reviews?keyword={keywords[i % len(keywords)].key}"
        if kind == 3 and themes and keywords:
            return (f"/reviews?keyword={keywords[i % len(keywords)].key}"
                    f"&theme={themes[i % len(themes)].key}")
        if kind == 4 and localities:
            return (f"/reviews?q={words[i % len(words)]}"
                    f"&locality={localities[i % len(localities)].key}&sort=title")
        return f"/reviews?year={2015 + i % 11}&page=2"

    skos = "http://www.w3.org/2004/02/skos/core#"
    agencies = pages(rg + "Agency")
    # The agencies with the most recommendations, on later pages of their recommendations.
    busiest = most_linked(rg + "Agency", rg + "addressedTo", 10)
    groups = {
        "review": pages(rg + "CaseReview"),
        "locality": pages(rg + "Locality"),
        "theme": pages(rg + "LearningTheme"),
        "keyword": pages(rg + "Keyword"),
        "agency": agencies,
        "agency, later pages": [f"{url}?addressed={2 + i % 20}" for i, url in
                                enumerate(busiest * (n // max(1, len(busiest)) or 1))][:n],
        "partnership": pages(rg + "SafeguardingPartnership"),
        "scheme": pages(skos + "ConceptScheme"),
        "directory (A-Z)": [f"/page/{kind}/" for kind in
                            ("theme", "keyword", "agency", "locality", "partnership")],
        "recommendation": pages(rg + "Recommendation"),
        "learning point": pages(rg + "LearningPoint"),
        "child": pages(rg + "Child"),
        "report": pages(rg + "ReportDocument"),
        "incident": pages(rg + "Incident"),
        "source page": pages(rg + "SourcePage"),
        "other concepts (outcome, type, age)": [
            url for cls in ("Outcome", "ReviewType", "ReportType", "AgeBand", "AgencyKind")
            for url in pages(rg + cls)][:n],
        "downloads page": ["/downloads"] * 5,
        "VoID": ["/.well-known/void"] * 5,
        "ontology": ["/ontology"] * 5,
        "ontology term": [f"/def/{term}" for term in ("CaseReview", "Recommendation",
                                                      "addressedTo", "Agency", "locality")],
        "sitemap": ["/sitemap.xml"] * 5,
        "reviews index (facets)": [index_url(i) for i in range(n)],
        "home": ["/"] * min(n, 20),
        "data (RDF, Turtle)": [p.replace("/page/", "/data/") + ".ttl"
                               for p in pages(rg + "CaseReview")],
    }
    def insight_url(path: str, i: int) -> str:
        # A mix of the index's filters: none, a keyword, a keyword and years, a theme and a
        # locality, a search.
        kind = i % 5
        if kind == 1 and keywords:
            return f"{path}?keyword={keywords[i % len(keywords)].key}"
        if kind == 2 and keywords:
            return (f"{path}?keyword={keywords[i % len(keywords)].key}&"
                    + "&".join(f"year={year}" for year in range(2019, 2026)))
        if kind == 3 and themes and localities:
            return (f"{path}?theme={themes[i % len(themes)].key}"
                    f"&locality={localities[i % len(localities)].key}")
        if kind == 4:
            return f"{path}?q={words[i % len(words)]}"
        return path

    def with_param(url: str, param: str) -> str:
        return url + ("&" if "?" in url else "?") + param if param else url

    # Each insight page is one question over the filtered reviews: the URLs differ by filter.
    groups["insights (list)"] = [insight_url("/insights", i) for i in range(n)]
    for insight in INSIGHTS:
        groups[f"insight: {insight.name}"] = [insight_url(f"/insights/{insight.name}", i)
                                              for i in range(n)]
    groups["insight CSV: themes-over-time"] = [
        insight_url("/insights/themes-over-time.csv", i) for i in range(n)]
    groups["answers (by review, by addressee)"] = [
        with_param(insight_url("/reviews/answers", i), "by=addressee" if i % 2 else "")
        for i in range(n)]
    if args.only:
        wanted = args.only.split(",")
        groups = {name: urls for name, urls in groups.items()
                  if any(part in name for part in wanted)}
    client.get("/insights/addressees")  # the per-build tables, made once like the index
    client.get("/reviews/answers")

    print(f"{'page type':34} {'n':>5} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} "
          f"{'warm p95':>9} {'cpu cold p50':>12} {'cpu cold p95':>12} {'cpu warm p50':>12} "
          f"{'cpu warm p95':>12}  (ms)")
    for name, urls in groups.items():
        if not urls:
            print(f"{name[:34]:34} (none in this graph)")
            continue
        timings, cpu = [], []
        for name_of_pass in ("cold", "prime", "warm"):
            # Cold: no query results or pages remembered (only the per-build index, made once
            # when the server starts). Warm: everything the priming pass remembered.
            site.cache.resize(0 if name_of_pass == "cold" else 4096)  # query results
            site.pages.resize(0 if name_of_pass == "cold" else 1024)
            run, run_cpu = [], []
            for url in urls:
                started, started_cpu = time.perf_counter(), time.thread_time()
                response = client.get(url)
                run.append((time.perf_counter() - started) * 1000)
                run_cpu.append((time.thread_time() - started_cpu) * 1000)
                if response.status_code != 200:
                    print(f"  {url}: {response.status_code}", file=sys.stderr)
            if name_of_pass != "prime":
                timings.append(run)
                cpu.append(run_cpu)
        cold, warm = timings
        print(f"{name[:34]:34} {len(urls):5} {statistics.median(cold):9.2f} "
              f"{percentile(cold, 0.95):9.2f} {statistics.median(warm):9.2f} "
              f"{percentile(warm, 0.95):9.2f} {statistics.median(cpu[0]):12.2f} "
              f"{percentile(cpu[0], 0.95):12.2f} {statistics.median(cpu[1]):12.2f} "
              f"{percentile(cpu[1], 0.95):12.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
