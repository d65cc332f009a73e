"""Records -> an rdflib Graph with stable, readable IRIs.

Entity IRIs are built from what the listing says, under a configurable base IRI, so the same
input always gives the same IRIs:

    {base}review/{year}-{locality slug or "anonymous"}-{title slug}
    {base}child/{review-slug}-{n}          {base}learning/{review-slug}-{n}
    {base}recommendation/{review-slug}-{n} {base}incident/{review-slug}
    {base}incident/{review-slug}-child-{n} (a child's own outcome, where the text gives one)
    {base}report/{review-slug}             {base}source/{file stem}
    {base}source/{file stem}/lines-{first}-{last}
    {base}capture/{archive}-{time}-{address hash}   {base}version/{review-slug}-{n}
    {base}rights/nspcc-text
    {base}locality/{slug}  {base}keyword/{slug}  {base}theme/{slug}  {base}agency/{id} ...

Which listings (on which pages, in which captures) are one review, and which text wins, is
decided by identity.py before any triple is made; the review's triples go to the page of its
winning listing, each other listing adds its source extract (and, for an earlier differing
text, an rg:ReviewVersion) to its own page.

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

from reviewgraph.agencies import (
    AGENCIES_FILE,
    ALL_PARTNERSHIPS,
    OWN_PARTNERSHIP,
    AgencyMatcher,
    default_matcher,
    partnership_reference,
)
from reviewgraph.concepts import Triple, Vocabularies, slugify
from reviewgraph.errors import Problem, ReviewGraphError
from reviewgraph.identity import Assignment, Identities, plan_reviews, review_slug
from reviewgraph.links import concept_mapping_triples
from reviewgraph.records import Record
from reviewgraph.sources import Capture
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


RG, RDF, RDFS, XSD, DCTERMS, PROV, SCHEMA, FABIO = (  # type: ignore[assignment, misc]
    _TermCache(namespace) for namespace in (RG, RDF, RDFS, XSD, DCTERMS, PROV, SCHEMA, FABIO))
DCAT, SKOS, VOID = (_TermCache(namespace) for namespace in (DCAT, SKOS, VOID))  # type: ignore[assignment, misc]

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
    # Which listings are one review, and the conflicts between captures (identity.py).
    identities: Identities | None = None
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


__all__ = ["review_slug"]  # re-exported: the slug is the review's identity (identity.py)
RIGHTS_PATH = "rights/nspcc-text"  # {base}rights/nspcc-text: whose the listing text is
RIGHTS_LABEL = "NSPCC text"
RIGHTS_DESCRIPTION = (
    "The titles, summaries, learning and recommendations of the reviews are the NSPCC's text, "
    "quoted from the NSPCC National Collection of Case Reviews listing pages (NSPCC Learning, "
    "learning.nspcc.org.uk), where the NSPCC announces newly published case reviews. "
    "\u00a9 NSPCC. The reports themselves belong to the bodies that published them.")


def plain_literal(text: str) -> Literal:
    """Literal(text) for a plain string (no language, no datatype), made directly: rdflib's
    constructor checks and converts each value it is given (3 µs, a build's texts are
    hundreds of thousands), and for a plain string each check passes and the value is the
    string itself (tests/test_graph.py compares the two)."""
    if type(text) is not str:  # a str subclass (a Literal): rdflib's own way
        return Literal(text)
    literal = str.__new__(Literal, text)
    literal._language = literal._datatype = literal._ill_typed = None  # type: ignore[attr-defined]
    literal._value = text  # type: ignore[attr-defined]
    return literal


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
        # Which review and version each listing is (identity.py); None: each record on its own.
        self.identities: Identities | None = None
        self.captures: dict[str, tuple[Capture, ...]] = {}  # source file -> its captures
        self.titles: dict[str, str] = {}  # source file -> the page's title
        self._theme_matches: dict[tuple[URIRef, str], Literal] = {}  # see theme_match()
        self._capture_iris: dict[Capture, URIRef] = {}  # see capture_iri()

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

    def time(self, text: str) -> Literal:
        """An xsd:dateTime as the sidecar wrote it ("2025-03-04T12:00:00Z"; rdflib would
        rewrite the Z as +00:00)."""
        key = (text, XSD.dateTime)
        literal = self._typed.get(key)
        if literal is None:
            literal = self._typed[key] = Literal(text, datatype=XSD.dateTime, normalize=False)
        return literal

    def text(self, subject: URIRef, predicate: URIRef, value: str | None) -> None:
        if value is not None:
            value = value.strip()
            if value:
                self.triples.add((subject, predicate, plain_literal(value)))

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
        title = self.titles.get(file)
        captures = self.captures.get(file, ())
        if captures:  # a harvested body, named by its hash: named for people by what it is
            first, last = captures[0].capture_time[:10], captures[-1].capture_time[:10]
            self.text(page, RDFS.label, f"{title or 'Listing page'}, captured {first}"
                      + (f" to {last}" if last != first else ""))
        else:
            self.text(page, RDFS.label, name)
        self.text(page, RG.fileName, name)
        self.text(page, DCTERMS.title, title)
        for capture in self.captures.get(file, ()):
            node = self.capture_iri(capture)
            self.add(page, RG.capture, node)
            self.add(node, RDF.type, RG.Capture)
            kind = "live copy" if capture.archive == "live" else f"{capture.archive} capture"
            self.text(node, RDFS.label, f"{kind.capitalize()} of {title or name}, "
                      f"{capture.capture_time[:10]}")
            self.text(node, DCTERMS.title, title)
            self.add(node, DCTERMS.source, URIRef(capture.url))
            self.text(node, RG.archive, capture.archive)
            if capture.replay_url:
                self.add(node, RG.replayUrl, URIRef(capture.replay_url))
            self.add(node, PROV.generatedAtTime, self.time(capture.capture_time))
        return page

    def capture_iri(self, capture: Capture) -> URIRef:
        """{base}capture/{archive}-{time}-{hash of the address}: one capture of an address
        by an archive at a time, whatever page file holds its body (made once: every review
        a capture lists links to it)."""
        node = self._capture_iris.get(capture)
        if node is None:
            stamp = re.sub(r"\D", "", capture.capture_time)
            digest = hashlib.sha256(capture.url.encode("utf-8")).hexdigest()[:10]
            node = self._capture_iris[capture] = self.iri(
                "capture", f"{slugify(capture.archive) or 'archive'}-{stamp}-{digest}")
        return node

    def source_extract(self, review: URIRef, record: Record, derived: bool = True) -> URIRef:
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
        if derived:  # an earlier version's listing: the review's statements are not from it
            self.add(review, PROV.wasDerivedFrom, extract)
        self.add(review, PROV.hadPrimarySource, page)
        return extract

    def listing(self, record: Record, assignment: Assignment) -> bool:
        """A listing that is not the review's winning one: its extract (and, for an earlier
        differing text, that version); True if the record was such a listing."""
        plan = assignment.plan
        if plan.winner.key == (record.source.file, record.source.first_line):
            return False
        review = self.iri("review", plan.slug)
        extract = self.source_extract(review, record, derived=assignment.is_winner)
        if not assignment.is_winner:
            version = self.version_iri(plan.slug, assignment.version.number)
            winner = plan.winner.record
            self.add(version, RDF.type, RG.ReviewVersion)
            self.text(version, RDFS.label, f"Earlier version {assignment.version.number - 1} "
                      f"of {review_label(winner)}")
            self.text(version, DCTERMS.title, record.title)
            self.text(version, DCTERMS.abstract, record.summary)
            for name in assignment.version.changed or ["text"]:
                self.text(version, RG.changedField, name.replace("_", " "))
            self.add(version, PROV.wasDerivedFrom, extract)
        return True

    def version_iri(self, slug: str, number: int) -> URIRef:
        return self.iri("version", f"{slug}-{number}")

    def provenance(self, review: URIRef, record: Record, assignment: Assignment | None) -> None:
        """Where the review was listed (every capture of every page listing it, first and
        last seen), its earlier versions, and the source and rights of its text."""
        self.add(review, DCTERMS.rights, self.term(self.base + RIGHTS_PATH))
        plan = assignment.plan if assignment is not None else None
        captures = plan.captures if plan is not None else list(
            self.captures.get(record.source.file, ()))
        for capture in captures:
            self.add(review, RG.listedIn, self.capture_iri(capture))
        addresses = sorted({capture.url for capture in captures})
        for address in addresses:
            self.add(review, DCTERMS.source, URIRef(address))
        if not addresses:
            self.add(review, DCTERMS.source, self.source_page(record.source.file))
        if captures:
            self.add(review, RG.firstSeen, self.time(captures[0].capture_time))
            self.add(review, RG.lastSeen, self.time(captures[-1].capture_time))
        if plan is not None:
            for version in plan.versions[1:]:
                self.add(review, PROV.wasRevisionOf, self.version_iri(plan.slug, version.number))

    # --- one review ---------------------------------------------------------------------------
    def review(self, record: Record) -> None:
        assignment = None
        if self.identities is not None:
            assignment = self.identities.assignments.get(
                (record.source.file, record.source.first_line))
        if assignment is not None and self.listing(record, assignment):
            return
        if assignment is not None and record.report_url != assignment.plan.report_url:
            record = replace(record, report_url=assignment.plan.report_url)
        slug = assignment.plan.slug if assignment is not None else review_slug(record)
        review = self.iri("review", slug)
        content = _fingerprint(record)
        if assignment is not None and assignment.plan.renamed:
            self.warn(record, f"another review has the same year, place and title; this one "
                      f"is {slug}", review_label(record))
        if review in self._contents:
            if self._contents[review] == content:
                # The same review listed again (e.g. on a yearly page and "new in the
                # collection"): one review, read from two places.
                self.source_extract(review, record)
                for capture in self.captures.get(record.source.file, ()):
                    self.add(review, RG.listedIn, self.capture_iri(capture))
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
        self.provenance(review, record, assignment)

        if record.locality:
            self.text(review, RG.localityAsWritten, record.locality)
            self.add(review, RG.locality, self.locality(record, record.locality, label))
        for place in record.places_mentioned:
            self.add(review, RG.mentionsPlace, self.locality(record, place, label))
        extra = getattr(self.places, "review_triples", None)
        partnerships: list[URIRef] = []  # the review's own, for recommendations addressed to it
        if extra is not None:
            added = list(extra(review, record))
            partnerships = sorted(o for s, p, o in added if p == RG.partnership)  # type: ignore[misc]
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

        children = {child.pseudonym: self.iri("child", f"{slug}-{number}")
                    for number, child in enumerate(record.children.children, start=1)
                    if child.pseudonym}
        for number, text in enumerate(record.learning, start=1):
            point = self.iri("learning", f"{slug}-{number}")
            self.add(review, RG.hasLearningPoint, point)
            self.add(point, RDF.type, RG.LearningPoint)
            self.text(point, RDFS.label, f"Learning point {number} of {label}")
            self.text(point, SCHEMA.text, text)
            self.add(point, RG.position, self.typed(number, XSD.positiveInteger))
            for theme, words in self.vocabularies.themes.matched_words(text):
                self.add(point, RG.learningTheme, theme)
                # The reason, for people: which words of the point gave the theme.
                self.add(point, RG.themeMatch, self.theme_match(theme, words))
            about = record.learning_about[number - 1] if number <= len(record.learning_about) \
                else []
            for name in about:
                if name in children:
                    self.add(point, RG.specificToChild, children[name])

        unresolved: dict[str, list[int]] = {}  # addressee as written -> its recommendations
        for number, recommendation in enumerate(record.recommendations, start=1):
            node = self.iri("recommendation", f"{slug}-{number}")
            self.add(review, RG.hasRecommendation, node)
            self.add(node, RDF.type, RG.Recommendation)
            self.text(node, RDFS.label, f"Recommendation {number} of {label}")
            self.text(node, SCHEMA.text, recommendation.text)
            self.add(node, RG.position, self.typed(number, XSD.positiveInteger))
            addressed: set[URIRef] = set()
            for addressee in recommendation.addressees:
                self.text(node, RG.addressee, addressee)
                targets = self.addressee(record, addressee, partnerships)
                if not targets and not self.reference_gap(record, addressee, partnerships):
                    unresolved.setdefault(addressee, []).append(number)
                for target in targets:
                    addressed.add(target)
                    self.add(node, RG.addressedTo, target)
            for agency in self.agencies.find(recommendation.text):
                if self.iri("agency", agency) not in addressed:
                    self.add(node, RG.namesAgency, self.iri("agency", agency))
            for theme in self.vocabularies.themes.themes(recommendation.text):
                self.add(node, RG.learningTheme, theme)
        for addressee, numbers in unresolved.items():
            self.warn(record, f"addressee {addressee!r} of recommendation"
                      f"{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))} is "
                      "neither a safeguarding partnership of the reference data nor an agency "
                      "of the vocabulary: kept as written", label)

    def addressee(self, record: Record, text: str,
                  partnerships: list[URIRef]) -> list[URIRef]:
        """What an addressee as written means: a stated group, the review's partnership(s),
        a partnership by place, or agencies of the vocabulary; [] if none."""
        reference = partnership_reference(text)
        if reference is None:
            return [self.iri("agency", agency) for agency in self.agencies.addressee(text)]
        partnership_of = getattr(self.places, "partnership", None)
        of_places = {name: None if partnership_of is None else partnership_of(name, record.year)
                     for name in record.places_mentioned}
        mentioned = [iri for iri in of_places.values() if iri is not None]
        if reference == OWN_PARTNERSHIP:
            return partnerships
        if reference == ALL_PARTNERSHIPS or isinstance(reference, str):
            # A mentioned place without a partnership in the reference data (Northamptonshire)
            # leaves the partnerships found: bench/addressees.py lists such partial ones.
            return sorted(set(partnerships) | set(mentioned)) if partnerships else []
        kind, value = reference
        if kind == "LA":  # LA1: the review's own area; LA2...: the places it mentions, in order
            number = int(value) - 1
            if number == 0:
                return partnerships
            return [mentioned[number - 1]] if number <= len(mentioned) else []
        found = None if partnership_of is None else partnership_of(str(value), record.year)
        return [found] if found is not None else []

    def reference_gap(self, record: Record, text: str, partnerships: list[URIRef]) -> bool:
        """Whether an unresolved addressee names a partnership that partnerships.csv does not
        hold yet (the review's own, or one by name): a gap in the reference data, not in the
        page, so it is kept as written without a warning. An LA number beyond the places the
        page names is the page's own problem."""
        reference = partnership_reference(text)
        if reference is None:
            return False
        if isinstance(reference, tuple) and reference[0] == "LA" and int(reference[1]) > 1:
            return int(reference[1]) - 1 <= len(record.places_mentioned)
        return True

    def theme_match(self, theme: URIRef, words: str) -> Literal:
        """'safe sleep: “safe sleeping”', made once (the same words recur)."""
        literal = self._theme_matches.get((theme, words))
        if literal is None:
            pref = self.vocabularies.graph.value(theme, SKOS.prefLabel)
            literal = self._theme_matches[(theme, words)] = Literal(
                f"{pref if pref is not None else theme}: \u201c{words}\u201d")
        return literal

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
            outcome = self.outcome(record, child.outcome, label) if child.outcome else None
            self.add(node, RG.outcome, outcome)
            if (child.outcome or child.date) and len(record.children.children) > 1:
                # The text gives this child their own outcome (and perhaps date): their own
                # incident, dated only if their clause dates it.
                self.add_incident(review, f"{slug}-child-{number}", record, label,
                                  [outcome] if outcome is not None else [], child.date,
                                  f"Incident of {name}, child {number} of {label}", node)

    def incident(self, review: URIRef, slug: str, record: Record, label: str) -> None:
        own = {child.outcome for child in record.children.children if child.outcome} \
            if len(record.children.children) > 1 else set()
        # What several children's own incidents state is theirs, not the review's.
        outcomes = [iri for value in record.outcome if value not in own
                    if (iri := self.outcome(record, value, label)) is not None]
        self.add_incident(review, slug, record, label, outcomes, record.incident_date,
                          f"Incident of {label}")

    def add_incident(self, review: URIRef, slug: str, record: Record, label: str,
                     outcomes: list[URIRef], when: str | None, name: str,
                     child: URIRef | None = None) -> None:
        date = None
        if when:
            date = _date_literal(when)
            if date is None:
                self.warn(record, f"incident date {when!r} is not YYYY, "
                          "YYYY-MM or YYYY-MM-DD", label)
        if not outcomes and date is None:
            return
        node = self.iri("incident", slug)
        self.add(review, RG.incident, node)
        self.add(node, RDF.type, RG.Incident)
        self.text(node, RDFS.label, name)
        self.add(node, RG.incidentDate, date)
        self.add(node, RG.incidentChild, child)
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
    shared.update(vocabularies.graph)  # type: ignore[arg-type]  # a Graph is its triples
    shared.update(agency_graph(base))  # type: ignore[arg-type]
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
    rights = URIRef(base + RIGHTS_PATH)
    add((dataset, DCTERMS.rights, rights))
    add((rights, RDF.type, DCTERMS.RightsStatement))
    add((rights, RDFS.label, Literal(RIGHTS_LABEL)))
    add((rights, DCTERMS.description, Literal(RIGHTS_DESCRIPTION, lang="en")))
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
    captures: dict[str, tuple[Capture, ...]] | None = None,
    titles: dict[str, str] | None = None,
) -> GraphResult:
    """The RDF graph of the records, their vocabularies' concepts and a dataset description.

    `agencies` resolves recommendation addressees to agency concepts (default: the project's
    agency vocabulary, whose triples the graph includes); `places` resolves localities
    (default: minted from their names). `captures` and `titles` give, per source file, the
    captures its sidecar lists and the page's title: the listings of one review across pages
    and captures become one review (identity.py), whose latest text wins."""
    if not vocabularies.base.endswith(("/", "#")):
        raise ReviewGraphError(f"base IRI {vocabularies.base!r} must end with '/' or '#'")
    builder = _planned_builder(vocabularies, places or MintedPlaces(vocabularies.base),
                               agencies, records, captures, titles)
    for record in records:
        builder.read(record)
    shared = builder.finish()
    triples = frozenset(shared.union(*(page.triples for page in builder.pages.values())))
    return GraphResult(triples, builder.warnings, builder.localities, builder.reviews,
                       pages=builder.pages, shared=frozenset(shared),
                       sources={file: str(iri) for file, iri in builder.sources.items()},
                       identities=builder.identities)


def _planned_builder(vocabularies: Vocabularies, places: Places, agencies: AgencyMatcher | None,
                     records: Sequence[Record], captures: dict[str, tuple[Capture, ...]] | None,
                     titles: dict[str, str] | None) -> _Builder:
    builder = _Builder(vocabularies, places, agencies or default_matcher())
    builder.captures = dict(captures or {})
    builder.titles = dict(titles or {})
    builder.identities = plan_reviews(records, builder.captures)
    return builder


class _RecordingDict(dict):
    """A dict that remembers every value each key was given (see ChunkGraph.locality_values)."""

    def __init__(self) -> None:
        super().__init__()
        self.given: dict[str, set] = {}
        self.touched: set[str] = set()  # the keys given a value while reading one page

    def __setitem__(self, key: str, value: object) -> None:
        self.given.setdefault(key, set()).add(value)
        self.touched.add(key)
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
    identities: Identities | None = None
    # Per page, the locality names its records gave a value (a page lists the names its
    # records name that were given one by then, on this page or before it).
    touched: dict[str, set[str]] = field(default_factory=dict)


def build_chunk_graph(
    records: Sequence[Record],
    vocabularies: Vocabularies,
    places: Places,
    agencies: AgencyMatcher | None = None,
    captures: dict[str, tuple[Capture, ...]] | None = None,
    titles: dict[str, str] | None = None,
) -> ChunkGraph:
    """The page graphs of the records of consecutive pages, as build_graph builds them when
    no page comes before (shared triples are left to `shared_triples`)."""
    builder = _planned_builder(vocabularies, places, agencies, records, captures, titles)
    localities = _RecordingDict()
    builder.localities = localities
    touched: dict[str, set[str]] = {}
    for record in records:
        localities.touched = touched.setdefault(record.source.file, set())
        builder.read(record)
    return ChunkGraph(builder.pages, {file: str(iri) for file, iri in builder.sources.items()},
                      builder.reviews, builder.keywords_seen, localities.given,
                      builder.warnings, builder.identities, touched)


def build_page_graph(
    records: Sequence[Record],
    vocabularies: Vocabularies,
    places: Places,
    contents: dict[str, str],
    sources: dict[str, str],
    agencies: AgencyMatcher | None = None,
    captures: dict[str, tuple[Capture, ...]] | None = None,
    titles: dict[str, str] | None = None,
) -> tuple[PageGraph, dict[str, str]]:
    """The graph of one page's records, added to a build whose other pages' reviews
    (IRI -> fingerprint) and source pages (file name -> page IRI) are given: its PageGraph
    and source files (as given -> page IRI). Shared triples are left to `shared_triples`."""
    builder = _planned_builder(vocabularies, places, agencies, records, captures, titles)
    builder.seed(contents, sources)
    for record in records:
        builder.read(record)
    files = {record.source.file for record in records}
    if len(files) != 1:
        raise ReviewGraphError("build_page_graph takes the records of one page")
    (page,) = builder.pages.values()
    return page, {file: str(iri) for file, iri in builder.sources.items()}
