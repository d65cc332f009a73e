"""Deterministic synthetic corpus with the shape of the real listing pages.

    python bench/synthetic.py --reviews 10000 --out bench/out/synthetic-10000.txt
    python bench/synthetic.py --reviews 10000 --ntriples bench/out/synthetic-10000.nt

The default output is LISTING PAGE TEXT in the format of
data/sources/nspcc-new-in-the-collection-2025.txt (heading line "YEAR – Locality - Title",
summary paragraph, "Learning themes include: ...", "Recommendations ... include: ...",
"Keywords: ...", "> Read the ... report"), so it goes through the real parser and build.
`--ntriples` writes a graph of the same shape directly (about 60 triples a review), for
benchmarking the store and endpoint without the build. Same seed, same bytes, every run.

All text is made up from a small word stock: no real review's text is reproduced.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterator
from pathlib import Path

SEED = 20261126
LOCALITY_COUNT = 150
KEYWORD_COUNT = 300

BASE = "https://reviewgraph.example/id/"
RG = "https://reviewgraph.example/def/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"

_PLACE_STEMS = [
    "North", "South", "East", "West", "Upper", "Lower", "Great", "Little", "New", "Old",
]
_PLACE_ROOTS = [
    "Ashby", "Brookfield", "Carrow", "Dunmere", "Elmstead", "Farley", "Glenholm", "Harcombe",
    "Ivydale", "Kelby", "Langmoor", "Marsden", "Netherby", "Oakhurst", "Penwick", "Queensmere",
    "Rowan", "Stoneleigh", "Thornbury", "Ullswick", "Valemoor", "Westcombe", "Yarrow", "Zennor",
]
_WORDS = [
    "assessment", "practice", "agencies", "family", "health", "school", "police", "social",
    "care", "referral", "risk", "support", "concerns", "professional", "services", "information",
    "sharing", "plan", "protection", "home", "mother", "father", "sibling", "parents",
    "safeguarding", "review", "learning", "missed", "opportunity", "engagement", "neglect",
    "injury", "hospital", "visit", "mental", "domestic", "abuse", "violence", "escalation",
    "threshold", "supervision", "training", "guidance", "multi-agency", "early", "help",
    "education", "attendance", "housing", "substance", "misuse", "alcohol", "midwife", "health",
    "visitor", "general", "practitioner", "strategy", "meeting", "conference", "voice", "child",
    "lived", "experience", "curiosity", "challenge", "record", "decision",
]
_KEYWORD_HEADS = (
    "child", "infant", "adolescent", "parental", "domestic", "sexual", "physical", "emotional",
    "school", "online", "family", "foster", "youth", "mental", "substance", "sleep",
    "criminal", "neonatal", "private", "professional",
)
_KEYWORD_TAILS = (
    "abuse", "deaths", "neglect", "harm", "exploitation", "violence", "attendance",
    "care", "injuries", "health", "misuse", "curiosity", "proceedings", "safety", "behaviour",
)
_PSEUDONYMS = (
    "Child A", "Child B", "Baby C", "Child D", "Ava", "Ben", "Cara", "Dev", "Ela", "Finn",
    "Gia", "Hal", "Isla", "Jay", "Kit", "Lena", "Milo", "Nia", "Ola", "Remy", "Sami", "Tia",
)
_OUTCOMES = ("Death", "Serious injury", "Sexual abuse", "Death by suicide", "Neglect")
_AGES = [("8-day-old", "P8D"), ("3-month-old", "P3M"), ("10-month-old", "P10M"),
         ("2-year-old", "P2Y"), ("7-year-old", "P7Y"), ("12-year-old", "P12Y"),
         ("15-year-old", "P15Y"), ("16-year-old", "P16Y")]
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_REPORTS = ("overview report", "executive summary")
_ADDRESSEES = ("the partnership", "the police", "health visitors", "CAFCASS",
               "children's social care", "schools", "the ICB", "probation services")


def localities() -> list[str]:
    """150 real English local authority areas (so the build links them as it would real
    reviews), spread evenly over the alphabet; invented names if the reference file is absent.
    """
    reference = Path(__file__).resolve().parents[1] / "data" / "reference" / \
        "mysociety_uk_local_authorities.csv"
    names: list[str] = []
    if reference.is_file():
        with reference.open(encoding="utf-8", newline="") as handle:
            names = sorted({
                row["nice-name"] for row in csv.DictReader(handle)
                if row["nation"] == "England" and row["current-authority"] == "True"
                and not row["end-date"] and "," not in row["nice-name"]
                and " - " not in row["nice-name"]})
    if len(names) < LOCALITY_COUNT:
        names = sorted(f"{stem} {root}" for root in _PLACE_ROOTS for stem in _PLACE_STEMS)
        return names[:LOCALITY_COUNT]
    step = len(names) / LOCALITY_COUNT
    return [names[int(i * step)] for i in range(LOCALITY_COUNT)]


def keywords() -> list[str]:
    names = [f"{head} {tail}" for head in _KEYWORD_HEADS for tail in _KEYWORD_TAILS]
    return sorted(names)[:KEYWORD_COUNT]


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(low, high))]
    return words[0].capitalize() + " " + " ".join(words[1:])


def _clause(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 12)))


def _listing(items: list[str]) -> str:
    return "; ".join(items[:-1]) + "; and " + items[-1] if len(items) > 1 else items[0]


class Review:
    """One made-up review; the text and the triples come from the same draws."""

    def __init__(self, rng: random.Random, number: int, places: list[str], words: list[str]):
        self.year = rng.randint(2015, 2025)
        self.locality = rng.choice(places)
        self.pseudonym = rng.choice(_PSEUDONYMS)
        self.title = f"{self.pseudonym} {number}"
        self.age_text, self.age = rng.choice(_AGES)
        self.sex = rng.choice(("girl", "boy"))
        self.outcome = rng.choice(_OUTCOMES)
        self.month = rng.randrange(12)
        self.summary = ". ".join(_sentence(rng, 10, 24) for _ in range(rng.randint(3, 6))) + "."
        self.learning = [_clause(rng) for _ in range(rng.randint(2, 4))]
        self.recommendations = [
            f"{rng.choice(_ADDRESSEES)} to {_clause(rng)}" for _ in range(rng.randint(2, 4))
        ]
        self.keywords = rng.sample(words, 6)
        self.report = rng.choice(_REPORTS)
        self.slug = f"{self.year}-{_slug(self.locality)}-{_slug(self.title)}"

    def page_text(self) -> str:
        incident = f"{_MONTHS[self.month]} {self.year - 1}"
        first = (f"{self.outcome} of a {self.age_text} {self.sex} in {incident}. "
                 if self.outcome != "Sexual abuse"
                 else f"Sexual abuse of a {self.age_text} {self.sex} in {incident}. ")
        return "\n".join([
            f"{self.year} – {self.locality} - {self.title}",
            first + self.summary,
            f"Learning themes include: {_listing(self.learning)}.",
            f"Recommendations to the partnership include: {_listing(self.recommendations)}.",
            "Keywords: " + ", ".join(self.keywords),
            f"> Read the {self.report}",
        ])

    def triples(self) -> Iterator[str]:
        review = f"<{BASE}review/{self.slug}>"
        child = f"<{BASE}child/{self.slug}-1>"
        incident = f"<{BASE}incident/{self.slug}>"

        def lit(text: str) -> str:
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

        yield f"{review} <{RDF_TYPE}> <{RG}CaseReview> ."
        yield f"{review} <{DCT}title> {lit(self.title)} ."
        yield f"{review} <{RDFS_LABEL}> {lit(self.locality + ' - ' + self.title)}@en ."
        yield f'{review} <{RG}year> "{self.year}"^^<{XSD}gYear> .'
        yield f"{review} <{RG}localityAsWritten> {lit(self.locality)} ."
        yield f"{review} <{RG}locality> <{BASE}locality/{_slug(self.locality)}> ."
        yield f"{review} <{DCT}abstract> {lit(self.summary)} ."
        yield f"{review} <{RG}reportType> <{BASE}report-type/{_slug(self.report)}> ."
        yield f"{review} <{RG}childCount> \"1\"^^<{XSD}nonNegativeInteger> ."
        yield f"{review} <{RG}concernsChild> {child} ."
        yield f"{review} <{RG}incident> {incident} ."
        yield f"{review} <{RG}outcome> <{BASE}outcome/{_slug(self.outcome)}> ."
        yield f"{child} <{RDF_TYPE}> <{RG}Child> ."
        yield f"{child} <{RG}pseudonym> {lit(self.pseudonym)} ."
        yield f'{child} <{RG}age> "{self.age}"^^<{XSD}duration> .'
        yield f"{incident} <{RDF_TYPE}> <{RG}Incident> ."
        yield f'{incident} <{RG}incidentDate> "{self.year - 1}-{self.month + 1:02d}"^^<{XSD}gYearMonth> .'  # noqa: E501
        for position, text in enumerate(self.learning, 1):
            point = f"<{BASE}learning/{self.slug}-{position}>"
            yield f"{review} <{RG}hasLearningPoint> {point} ."
            yield f"{point} <{RDF_TYPE}> <{RG}LearningPoint> ."
            yield f"{point} <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> {lit(text)} ."
            yield f'{point} <{RG}position> "{position}"^^<{XSD}positiveInteger> .'
        for position, text in enumerate(self.recommendations, 1):
            rec = f"<{BASE}recommendation/{self.slug}-{position}>"
            yield f"{review} <{RG}hasRecommendation> {rec} ."
            yield f"{rec} <{RDF_TYPE}> <{RG}Recommendation> ."
            yield f"{rec} <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> {lit(text)} ."
            yield f'{rec} <{RG}position> "{position}"^^<{XSD}positiveInteger> .'
        for word in self.keywords:
            yield f"{review} <{DCT}subject> <{BASE}keyword/{_slug(word)}> ."


def reviews(count: int, seed: int = SEED) -> Iterator[Review]:
    rng = random.Random(seed)
    places, words = localities(), keywords()
    for number in range(1, count + 1):
        yield Review(rng, number, places, words)


PAGE_HEADER = (
    "New in the collection\n"
    "The NSPCC Library hosts the National Collection of Case Reviews. This synthetic page was "
    "generated for benchmarking and describes no real case.\n"
)


def write_page(count: int, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        handle.write(PAGE_HEADER)
        for review in reviews(count):
            handle.write(review.page_text() + "\n")


def write_pages(count: int, folder: Path, per_page: int = 100) -> list[Path]:
    """The corpus as listing pages of `per_page` reviews each (like monthly pages)."""
    folder.mkdir(parents=True, exist_ok=True)
    pages: list[Path] = []
    all_reviews = list(reviews(count))
    for start in range(0, count, per_page):
        page = folder / f"synthetic-{start // per_page + 1:05d}.txt"
        with page.open("w", encoding="utf-8") as handle:
            handle.write(PAGE_HEADER)
            for review in all_reviews[start:start + per_page]:
                handle.write(review.page_text() + "\n")
        pages.append(page)
    return pages


def write_ntriples(count: int, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for name in localities():
            node = f"<{BASE}locality/{_slug(name)}>"
            handle.write(f"{node} <{RDF_TYPE}> <{RG}Locality> .\n")
            handle.write(f'{node} <{RDFS_LABEL}> "{name}"@en .\n')
        for word in keywords():
            node = f"<{BASE}keyword/{_slug(word)}>"
            handle.write(f"{node} <{RDF_TYPE}> <{RG}Keyword> .\n")
            handle.write(f'{node} <{SKOS_PREF}> "{word}"@en .\n')
        for outcome in _OUTCOMES:
            node = f"<{BASE}outcome/{_slug(outcome)}>"
            handle.write(f"{node} <{RDF_TYPE}> <{RG}Outcome> .\n")
            handle.write(f'{node} <{SKOS_PREF}> "{outcome.lower()}"@en .\n')
        for review in reviews(count):
            handle.write("\n".join(review.triples()) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--out", type=Path, help="write a listing page (text) here")
    parser.add_argument("--ntriples", type=Path, help="write the graph directly here")
    args = parser.parse_args(argv)
    if not args.out and not args.ntriples:
        parser.error("give --out and/or --ntriples")
    if args.out:
        write_page(args.reviews, args.out)
    if args.ntriples:
        write_ntriples(args.reviews, args.ntriples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
