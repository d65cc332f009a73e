"""Records -> an rdflib Graph with stable, readable IRIs.

Entity IRIs are built from what the listing says, under a configurable base IRI, so the same
input always gives the same IRIs:

    {base}review/{year}-{locality slug or "anonymous"}-{title slug}
    {base}child/{review-slug}-{n}          {base}learning/{review-slug}-{n}
    {base}recommendation/{review-slug}-{n} {base}incident/{review-slug}
    {base}report/{review-slug}             {base}source/{file stem}
    {base}source/{file stem}/lines-{first}-{last}
    {base}locality/{slug}  {base}keyword/{slug}  {base}theme/{slug}  {base}agency/{id} ...

Places (issue 5) plug in through the `Places` protocol: graph building asks it for the IRI of
each locality named and adds the triples it returns; without one, localities are minted from
their names (`MintedPlaces`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import PurePath
from typing import Protocol, runtime_checkable

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, SKOS, VOID

from reviewgraph.agencies import AGENCIES_FILE, AgencyMatcher, default_matcher
from reviewgraph.concepts import Triple, Vocabularies, slugify
from reviewgraph.errors import Problem, ReviewGraphError
from reviewgraph.links import concept_mapping_triples
from reviewgraph.records import Record
from reviewgraph.terms import FABIO, PREFIXES, RG, RG_IRI, SCHEMA


class _TermCache:
    """A namespace whose terms are looked up once: rdflib makes each term anew on every
    attribute access, and a large build reads its terms millions of times."""

    def __init__(self, namespace: object) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        term = getattr(self._namespace, name)
        setattr(self, name, term)  # found in the instance from now on
        return term


RG, RDF, RDFS, XSD, DCTERMS, PROV, SCHEMA, FABIO = (  # type: ignore[assignment]
    _TermCache(namespace) for namespace in (RG, RDF, RDFS, XSD, DCTERMS, PROV, SCHEMA, FABIO))
DCAT, SKOS, VOID = (_TermCache(namespace) for namespace in (DCAT, SKOS, VOID))  # type: ignore[assignment]

SEXES = {"female": SCHEMA.Female, "male": SCHEMA.Male}
DATASET_PATH = "dataset"  # {base}dataset: the VoID/DCAT description of the whole graph


@runtime_checkable
class Places(Protocol):
    """What graph building needs from the places stage (src/reviewgraph/places.py).

    - resolve(name): the locality IRI for a place named in a listing, or None with a warning
      (the review then keeps rg:localityAsWritten but no rg:locality link);
    - triples(): every triple about the localities, councils and partnerships resolved so far
      (called once, after every record);
    - optional review_triples(review_iri, record): extra triples about one review (e.g. its
      rg:partnership), called for each review.
    """

    def resolve(self, name: str) -> tuple[URIRef | None, Problem | None]: ...

    def triples(self) -> Iterable[Triple]: ...


class MintedPlaces:
    """Default places: one rg:Locality per distinct name, IRI {base}locality/{slug}."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._names: dict[URIRef, str] = {}

    def resolve(self, name: str) -> tuple[URIRef | None, Problem | None]:
        slug = slugify(name)
        if not slug:
            return None, Problem(f"locality {name!r} gives no IRI")
        iri = URIRef(f"{self.base}locality/{slug}")
        self._names.setdefault(iri, name)
        return iri, None

    def triples(self) -> Iterable[Triple]:
        for iri in sorted(self._names):
            yield (iri, RDF.type, RG.Locality)
            yield (iri, RDFS.label, Literal(self._names[iri]))


@dataclass
class GraphResult:
    """The built graph as a set of triples (building an rdflib Graph costs more than building
    the triples, and the build writes and validates straight from them); `graph` gives the
    rdflib Graph, made on first use."""

    triples: frozenset[Triple]
    warnings: list[Problem] = field(default_factory=list)
    localities: dict[str, str | None] = field(default_factory=dict)  # name -> IRI (None: unmatched)
    reviews: dict[str, str] = field(default_factory=dict)  # review IRI -> label
    pages: dict[str, PageGraph] = field(default_factory=dict)  # source file -> its part
    shared: frozenset[Triple] = frozenset()  # the triples no page owns
    sources: dict[str, str] = field(default_factory=dict)  # source file -> source page IRI
    _graph: Graph | None = field(default=None, repr=False, compare=False)

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            self._graph = triples_graph(self.triples)
        return self._graph


def triples_graph(triples: Iterable[Triple]) -> Graph:
    """An rdflib Graph of the triples, with the project's prefixes bound."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.addN((s, p, o, graph) for s, p, o in triples)
    return graph


def review_slug(record: Record) -> str:
    place = slugify(record.locality) if record.locality else "anonymous"
    return "-".join(part for part in (str(record.year), place or "anonymous",
                                      slugify(record.title)) if part)


def review_label(record: Record) -> str:
    return f"{record.title} ({record.locality or 'anonymous'}, {record.year})"


def _date_literal(text: str) -> Literal | None:
    """'2023' -> xsd:gYear, '2021-09' -> xsd:gYearMonth, '2021-09-14' -> xsd:date."""
    for pattern, datatype in ((r"\d{4}", XSD.gYear), (r"\d{4}-\d{2}", XSD.gYearMonth),
                              (r"\d{4}-\d{2}-\d{2}", XSD.date)):
        if re.fullmatch(pattern, text):
            return Literal(text, datatype=datatype)
    return None


def _fingerprint(record: Record) -> str:
    """What a record says, without where it was read: two listings of one review compare equal."""
    # The dataclass repr holds every field, nested ones too, in a fixed order (and is much
    # cheaper than asdict).
    content = repr(replace(record, source=None))  # type: ignore[arg-type]
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


@dataclass
class PageGraph:
    """What one source page gave the graph: the triples read from it (its named graph), its
    reviews (IRI -> label) and their fingerprints, the keywords and places its reviews use,
    the localities it named and the warnings it raised."""

    file: str
    triples: set[Triple] = field(default_factory=set)
    reviews: dict[str, str] = field(default_factory=dict)
    contents: dict[str, str] = field(default_factory=dict)
    keywords: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    localities: dict[str, str | None] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


class _Builder:
    def __init__(self, vocabularies: Vocabularies, places: Places,
                 agencies: AgencyMatcher) -> None:
        self.base = vocabularies.base
        self.vocabularies = vocabularies
        self.places = places
        self.agencies = agencies
        self.triples: set[Triple] = set()  # the triples of the page being read
        self.pages: dict[str, PageGraph] = {}  # source file as given -> what it gave
        self.warnings: list[Problem] = []
        self.localities: dict[str, str | None] = {}
        self.reviews: dict[str, str] = {}
        self.keywords_seen: set[str] = set()
        self.sources: dict[str, URIRef] = {}  # source file as given -> source page IRI
        self._source_files: dict[URIRef, str] = {}
        self._contents: dict[URIRef, str] = {}  # review IRI -> fingerprint of what it says
        self._typed: dict[tuple[object, URIRef], Literal] = {}  # see typed()
        self._iris: dict[str, URIRef] = {}  # see term()

    def seed(self, contents: dict[str, str], sources: dict[str, str]) -> None:
        """Know the reviews (IRI -> fingerprint) and source pages (file name -> page IRI) of
        pages built before, so a page added later gives the IRIs a full build would."""
        self._contents.update({URIRef(iri): fingerprint for iri, fingerprint in contents.items()})
        self._source_files.update({URIRef(iri): name for name, iri in sources.items()})

    def page(self, file: str) -> PageGraph:
        """What a page gave so far; triples added while reading its records go there."""
        if file not in self.pages:
            self.pages[file] = PageGraph(file)
        return self.pages[file]

    def read(self, record: Record) -> None:
        """One record, its triples and side findings attributed to its page."""
        page = self.page(record.source.file)
        self.triples = page.triples
        warnings, reviews = len(self.warnings), len(self.reviews)
        # The places the record uses, on their own (GraphPlaces collects them in `used`).
        used = getattr(self.places, "used", None)
        if isinstance(used, set):
            self.places.used = set()  # type: ignore[attr-defined]
        try:
            self.review(record)
        finally:
            if isinstance(used, set):
                page.places.update(str(iri) for iri in self.places.used)  # type: ignore[attr-defined]
                used |= self.places.used  # type: ignore[attr-defined]
                self.places.used = used  # type: ignore[attr-defined]
        page.warnings += self.warnings[warnings:]
        for name in (record.locality, *record.places_mentioned):
            if name and name in self.localities:
                page.localities[name] = self.localities[name]
        page.keywords.update(keyword for keyword in record.keywords if keyword.strip())
        # self.reviews only grows (dicts keep insertion order): the new ones are at its end.
        for iri in islice(reversed(self.reviews), len(self.reviews) - reviews):
            page.reviews[iri] = self.reviews[iri]
            page.contents[iri] = self._contents[self.term(iri)]

    def iri(self, *parts: str) -> URIRef:
        return self.term(self.base + "/".join(parts))

    def term(self, iri: str) -> URIRef:
        """One URIRef object for each IRI the builder mints: a node is then the same object
        wherever it occurs, and sets, dicts and the validation index find it by identity
        (rdflib compares two equal URIRef objects in Python)."""
        term = self._iris.get(iri)
        if term is None:
            term = self._iris[iri] = URIRef(iri)
        return term

    def add(self, subject: URIRef, predicate: URIRef, value: URIRef | Literal | None) -> None:
        if value is not None:
            self.triples.add((subject, predicate, value))

    def typed(self, value: object, datatype: URIRef) -> Literal:
        """The typed literal, made once: positions, line numbers, years and ages recur, and
        rdflib checks and converts a typed value each time it makes one."""
        key = (value, datatype)
        literal = self._typed.get(key)
        if literal is None:
            literal = self._typed[key] = Literal(value, datatype=datatype)
        return literal

    def text(self, subject: URIRef, predicate: URIRef, value: str | None) -> None:
        if value is not None and value.strip():
            self.triples.add((subject, predicate, Literal(value.strip())))

    def warn(self, record: Record, message: str, entity: str) -> None:
        self.warnings.append(Problem(message, record.source.file, record.source.first_line, entity))

    # --- provenance -------------------------------------------------------------------------
    def source_page(self, file: str) -> URIRef:
        if file in self.sources:
            return self.sources[file]
        name = PurePath(file).name
        stem = slugify(PurePath(file).stem) or "page"
        page = self.iri("source", stem)
        if page in self._source_files and self._source_files[page] != name:
            # Two pages with one stem (page.txt and page.html): keep both, told apart by suffix.
            page = self.iri("source", slugify(name))
        self._source_files[page] = name
        self.sources[file] = page
        self.add(page, RDF.type, RG.SourcePage)
        self.text(page, RDFS.label, name)
        self.text(page, RG.fileName, name)
        return page

    def source_extract(self, review: URIRef, record: Record) -> None:
        page = self.source_page(record.source.file)
        first, last = record.source.first_line, record.source.last_line
        extract = self.term(f"{page}/lines-{first}-{last}")
        self.add(extract, RDF.type, RG.SourceExtract)
        self.text(extract, RDFS.label, f"{PurePath(record.source.file).name} lines {first}-{last}")
        self.add(extract, RG.firstLine, self.typed(first, XSD.positiveInteger))
        self.add(extract, RG.lastLine, self.typed(last, XSD.positiveInteger))
        self.add(extract, DCTERMS.isPartOf, page)
        if record.source.page_lines:
            self.add(page, RG.lineCount, self.typed(record.source.page_lines, XSD.positiveInteger))
        self.add(review, RG.sourceExtract, extract)
        self.add(review, PROV.wasDerivedFrom, extract)
        self.add(review, PROV.hadPrimarySource, page)

    # --- one review ---------------------------------------------------------------------------
    def review(self, record: Record) -> None:
        slug = review_slug(record)
        review = self.iri("review", slug)
        content = _fingerprint(record)
        if review in self._contents:
            if self._contents[review] == content:
                # The same review listed again (e.g. on a yearly page and "new in the
                # collection"): one review, read from two places.
                self.source_extract(review, record)
                return
            number = 2
            while self.iri("review", f"{slug}-{number}") in self._contents:
                number += 1
            slug = f"{slug}-{number}"
            self.warn(record, f"another review has the same year, place and title; this one "
                      f"is {slug}", review_label(record))
            review = self.iri("review", slug)
        self._contents[review] = content
        label = review_label(record)
        self.reviews[str(review)] = label

        self.add(review, RDF.type, RG.CaseReview)
        self.add(review, RDF.type, FABIO.CaseReport)
        self.text(review, RDFS.label, label)
        self.text(review, DCTERMS.title, record.title)
        self.add(review, RG.year, self.typed(f"{record.year:04d}", XSD.gYear))
        if record.month:
            self.add(review, RG.month, self.typed(record.month, XSD.integer))
            issued = self.typed(f"{record.year:04d}-{record.month:02d}", XSD.gYearMonth)
        else:
            issued = self.typed(f"{record.year:04d}", XSD.gYear)
        self.add(review, DCTERMS.issued, issued)
        self.source_extract(review, record)

        if record.locality:
            self.text(review, RG.localityAsWritten, record.locality)
            self.add(review, RG.locality, self.locality(record, record.locality, label))
        for place in record.places_mentioned:
            self.add(review, RG.mentionsPlace, self.locality(record, place, label))
        extra = getattr(self.places, "review_triples", None)
        if extra is not None:
            added = list(extra(review, record))
            self.triples.update(added)
            if record.locality and self.localities.get(record.locality) is None:
                # A heading naming a partnership (West Glamorgan) resolves to no single locality
                # but to the localities it covers: matched, reported as the partnership.
                linked = sorted(o for s, p, o in added if p == RG.partnership) or sorted(
                    o for s, p, o in added if p == RG.locality)
                if linked:
                    self.localities[record.locality] = str(linked[0])

        self.text(review, RG.publisherNote, record.publisher_note)
        self.text(review, DCTERMS.abstract, record.summary)
        self.text(review, RG.background, record.background)
        self.text(review, RG.reviewModel, record.model)

        if record.review_type:
            concept = self.vocabularies.review_types.find(record.review_type)
            if concept is None:
                self.warn(record, f"review type {record.review_type!r} is not in "
                          "review-types.ttl", label)
            else:
                self.add(review, RG.reviewType, concept.iri)
        if record.report_type:
            self.report(review, slug, record, label)

        self.children(review, slug, record, label)
        self.incident(review, slug, record, label)

        for keyword in record.keywords:
            if keyword.strip():
                self.keywords_seen.add(keyword)
                self.add(review, DCTERMS.subject, self.vocabularies.keywords.concept(keyword).iri)
        for agency in sorted(set(record.agencies)):
            self.add(review, RG.mentionsAgency, self.iri("agency", agency))

        for number, text in enumerate(record.learning, start=1):
            point = self.iri("learning", f"{slug}-{number}")
            self.add(review, RG.hasLearningPoint, point)
            self.add(point, RDF.type, RG.LearningPoint)
            self.text(point, RDFS.label, f"Learning point {number} of {label}")
            self.text(point, SCHEMA.text, text)
            self.add(point, RG.position, self.typed(number, XSD.positiveInteger))
            for theme in self.vocabularies.themes.themes(text):
                self.add(point, RG.learningTheme, theme)

        for number, recommendation in enumerate(record.recommendations, start=1):
            node = self.iri("recommendation", f"{slug}-{number}")
            self.add(review, RG.hasRecommendation, node)
            self.add(node, RDF.type, RG.Recommendation)
            self.text(node, RDFS.label, f"Recommendation {number} of {label}")
            self.text(node, SCHEMA.text, recommendation.text)
            self.add(node, RG.position, self.typed(number, XSD.positiveInteger))
            for addressee in recommendation.addressees:
                self.text(node, RG.addressee, addressee)
                for agency in self.agencies.find(addressee):
                    self.add(node, RG.addressedTo, self.iri("agency", agency))
            for theme in self.vocabularies.themes.themes(recommendation.text):
                self.add(node, RG.learningTheme, theme)

    def locality(self, record: Record, name: str, label: str) -> URIRef | None:
        iri, problem = self.places.resolve(name)
        if iri is not None or self.localities.get(name) is None:
            self.localities[name] = str(iri) if iri is not None else None
        if problem is not None:
            self.warnings.append(Problem(problem.message, record.source.file,
                                         record.source.first_line, problem.entity or label))
        return iri

    def report(self, review: URIRef, slug: str, record: Record, label: str) -> None:
        concept = self.vocabularies.report_types.find(record.report_type or "")
        if concept is None:
            self.warn(record, f"report type {record.report_type!r} is not in report-types.ttl",
                      label)
            return
        report = self.iri("report", slug)
        self.add(review, RG.hasReport, report)
        self.add(report, RDF.type, RG.ReportDocument)
        self.text(report, RDFS.label, f"{concept.pref_label.capitalize()} of {label}")
        self.add(report, RG.reportType, concept.iri)
        url = getattr(record, "report_url", None)
        if url:
            self.add(report, SCHEMA.url, URIRef(url))

    def outcome(self, record: Record, value: str, label: str) -> URIRef | None:
        concept = self.vocabularies.outcomes.find(value)
        if concept is None:
            self.warn(record, f"outcome {value!r} is not in outcomes.ttl", label)
            return None
        return concept.iri

    def children(self, review: URIRef, slug: str, record: Record, label: str) -> None:
        if record.children.count is not None:
            self.add(review, RG.childCount,
                     self.typed(record.children.count, XSD.nonNegativeInteger))
        for number, child in enumerate(record.children.children, start=1):
            node = self.iri("child", f"{slug}-{number}")
            self.add(review, RG.concernsChild, node)
            self.add(node, RDF.type, RG.Child)
            name = child.pseudonym or f"Child {number}"
            self.text(node, RDFS.label, f"{name}, child {number} of {label}"
                      if child.pseudonym else f"{name} of {label}")
            self.text(node, RG.pseudonym, child.pseudonym)
            self.add(node, RG.position, self.typed(number, XSD.positiveInteger))
            if child.age:
                band = self.vocabularies.age_band(child.age)
                if band is None:
                    self.warn(record, f"age {child.age!r} of child {number} is not an ISO 8601 "
                              "duration like P8D, P3M or P16Y", label)
                else:
                    self.add(node, RG.age, self.typed(child.age, XSD.duration))
                    self.add(node, RG.ageBand, band)
            if child.sex:
                sex = SEXES.get(child.sex.lower())
                if sex is None:
                    self.warn(record, f"sex {child.sex!r} of child {number} is neither "
                              "'female' nor 'male'", label)
                self.add(node, SCHEMA.gender, sex)
            if child.outcome:
                self.add(node, RG.outcome, self.outcome(record, child.outcome, label))

    def incident(self, review: URIRef, slug: str, record: Record, label: str) -> None:
        outcomes = [iri for value in record.outcome
                    if (iri := self.outcome(record, value, label)) is not None]
        date = None
        if record.incident_date:
            date = _date_literal(record.incident_date)
            if date is None:
                self.warn(record, f"incident date {record.incident_date!r} is not YYYY, "
                          "YYYY-MM or YYYY-MM-DD", label)
        if not outcomes and date is None:
            return
        node = self.iri("incident", slug)
        self.add(review, RG.incident, node)
        self.add(node, RDF.type, RG.Incident)
        self.text(node, RDFS.label, f"Incident of {label}")
        self.add(node, RG.incidentDate, date)
        for outcome in outcomes:
            self.add(node, RG.outcome, outcome)

    # --- the rest ------------------------------------------------------------------------------
    def finish(self) -> set[Triple]:
        """The shared triples: vocabularies, places, keywords and the dataset description."""
        pages = {triple for page in self.pages.values() for triple in page.triples}
        return shared_triples(self.vocabularies, self.places, self.keywords_seen,
                              self.sources.values(), self.reviews, len(pages))


def shared_triples(
    vocabularies: Vocabularies,
    places: Places,
    keywords_seen: Iterable[str],
    sources: Iterable[URIRef],
    reviews: Iterable[str],
    page_triples: int,
) -> set[Triple]:
    """What no single page owns: the places used, the keywords seen, the vocabularies, the
    agencies and a minimal VoID/DCAT description of the whole graph (whose triple count adds
    `page_triples`, the distinct triples of the pages)."""
    base = vocabularies.base
    keywords_seen = set(keywords_seen)
    shared: set[Triple] = set(places.triples())
    shared.update(vocabularies.keywords.triples(keywords_seen))
    shared.update(vocabularies.graph)
    shared.update(agency_graph(base))
    dataset = URIRef(base + DATASET_PATH)
    shared.update(concept_mapping_triples(vocabularies, keywords_seen, dataset))
    add = shared.add
    add((dataset, RDF.type, VOID.Dataset))
    add((dataset, RDF.type, DCAT.Dataset))
    add((dataset, RDFS.label, Literal("ReviewGraph")))
    add((dataset, DCTERMS.title, Literal("ReviewGraph: child safeguarding case reviews",
                                         lang="en")))
    add((dataset, DCTERMS.description, Literal(
        "Case reviews into the death or serious harm of children, read from NSPCC National "
        "Collection of Case Reviews listing pages, with their learning, recommendations, "
        "keywords, agencies and places.", lang="en")))
    add((dataset, VOID.uriSpace, Literal(base)))
    add((dataset, VOID.vocabulary, URIRef(RG_IRI)))
    for page in sorted(set(sources)):
        add((dataset, DCTERMS.source, page))
    schemes = {s for s, p, o in shared if p == RDF.type and o == SKOS.ConceptScheme}
    for scheme in sorted(schemes):
        add((dataset, DCAT.themeTaxonomy, scheme))
    for review in sorted(reviews)[:1]:
        add((dataset, VOID.exampleResource, URIRef(review)))
    # Count last, and count this triple too.
    count = len(shared | set()) + page_triples + 1
    add((dataset, VOID.triples, Literal(count, datatype=XSD.nonNegativeInteger)))
    return shared


def agency_graph(base: str) -> Graph:
    """The agency vocabulary's triples under the given base IRI."""
    try:
        return Graph().parse(AGENCIES_FILE, format="turtle", publicID=base)
    except FileNotFoundError:
        raise ReviewGraphError(f"{AGENCIES_FILE}: agency vocabulary not found") from None


def build_graph(
    records: Sequence[Record],
    vocabularies: Vocabularies,
    places: Places | None = None,
    agencies: AgencyMatcher | None = None,
) -> GraphResult:
    """The RDF graph of the records, their vocabularies' concepts and a dataset description.

    `agencies` resolves recommendation addressees to agency concepts (default: the project's
    agency vocabulary, whose triples the graph includes); `places` resolves localities
    (default: minted from their names)."""
    if not vocabularies.base.endswith(("/", "#")):
        raise ReviewGraphError(f"base IRI {vocabularies.base!r} must end with '/' or '#'")
    builder = _Builder(vocabularies, places or MintedPlaces(vocabularies.base),
                       agencies or default_matcher())
    for record in records:
        builder.read(record)
    shared = builder.finish()
    triples = frozenset(shared.union(*(page.triples for page in builder.pages.values())))
    return GraphResult(triples, builder.warnings, builder.localities, builder.reviews,
                       pages=builder.pages, shared=frozenset(shared),
                       sources={file: str(iri) for file, iri in builder.sources.items()})


class _RecordingDict(dict):
    """A dict that remembers every value each key was given (see ChunkGraph.locality_values)."""

    def __init__(self) -> None:
        super().__init__()
        self.given: dict[object, set] = {}

    def __setitem__(self, key: object, value: object) -> None:
        self.given.setdefault(key, set()).add(value)
        super().__setitem__(key, value)


@dataclass
class ChunkGraph:
    """The graph of a run of consecutive pages built on their own, without the pages before
    them (build.py builds the chunks of a large build in parallel and checks, with what is
    recorded here, that no chunk's pages would have been built differently after the pages
    of the chunks before it)."""

    pages: dict[str, PageGraph]  # source file as given -> what it gave, in page order
    sources: dict[str, str]  # source file as given -> source page IRI
    reviews: dict[str, str]  # review IRI -> label, in reading order
    keywords_seen: set[str]
    # Every value each locality name was given while reading: a name given one value only
    # has it whatever pages came before.
    locality_values: dict[str, set]
    warnings: list[Problem]


def build_chunk_graph(
    records: Sequence[Record],
    vocabularies: Vocabularies,
    places: Places,
    agencies: AgencyMatcher | None = None,
) -> ChunkGraph:
    """The page graphs of the records of consecutive pages, as build_graph builds them when
    no page comes before (shared triples are left to `shared_triples`)."""
    builder = _Builder(vocabularies, places, agencies or default_matcher())
    localities = _RecordingDict()
    builder.localities = localities
    for record in records:
        builder.read(record)
    return ChunkGraph(builder.pages, {file: str(iri) for file, iri in builder.sources.items()},
                      builder.reviews, builder.keywords_seen, localities.given,
                      builder.warnings)


def build_page_graph(
    records: Sequence[Record],
    vocabularies: Vocabularies,
    places: Places,
    contents: dict[str, str],
    sources: dict[str, str],
    agencies: AgencyMatcher | None = None,
) -> tuple[PageGraph, dict[str, str]]:
    """The graph of one page's records, added to a build whose other pages' reviews
    (IRI -> fingerprint) and source pages (file name -> page IRI) are given: its PageGraph
    and source files (as given -> page IRI). Shared triples are left to `shared_triples`."""
    builder = _Builder(vocabularies, places, agencies or default_matcher())
    builder.seed(contents, sources)
    for record in records:
        builder.read(record)
    files = {record.source.file for record in records}
    if len(files) != 1:
        raise ReviewGraphError("build_page_graph takes the records of one page")
    (page,) = builder.pages.values()
    return page, {file: str(iri) for file, iri in builder.sources.items()}
