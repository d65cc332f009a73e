"""UK localities, their councils and safeguarding partnerships, matched from names (issue 5).

Everything comes from the reference files copied into `data/reference/` (see its README for
origin, licence and attribution); nothing is read from anywhere else at run time.

Data model (IRIs under the base IRI):
- `{base}locality/{slug}` a rg:Locality: every UK local authority area in mySociety's list,
  current and historic (470). rdfs:label, rg:gssCode, rg:formerGssCode, rg:localAuthorityCode,
  rg:localAuthorityType (a concept `{base}local-authority-type/{slug}` in the scheme
  `{base}scheme/local-authority-types`), rg:startDate / rg:endDate (xsd:date; register-entry dates
  of 2005 are not start dates and are left out), rg:replacedBy its successors, rg:council its
  council. `owl:sameAs` ONLY the ONS statistical geography of its GSS code (true identity).
  Reviewed area links from `locality-links.csv`: rg:wikidataArea (the Wikidata item that carries
  the GSS code; a sub-property of schema:sameAs) or rg:relatedItem (a near match, not identity:
  e.g. a ceremonial county, or a single-source item). SKOS mapping properties are for concepts
  only: places and councils are not skos:Concepts.
- `{base}council/{slug}` a rg:Council: the local authority as an organisation, rg:governs its
  locality, rg:wikidataOrganisation its Wikidata item (Digital Land, England only) and
  rg:relatedItem the DBpedia resource of its en.wikipedia article (only titles naming a council,
  corporation or authority). Never owl:sameAs anything.
- `{base}partnership/{id}` a rg:SafeguardingPartnership (⊑ org:OrganizationalCollaboration) from
  `partnerships.csv`: rg:covers its localities, org:hasMember their councils.
- `{base}agency/{id}` (the agency vocabulary's concepts): rg:agencyKind (concepts
  `{base}agency-kind/{kind}`), rg:govukOrganisation / rg:wikidataOrganisation from
  `agency-links.csv`.
- VoID linksets `{base}linkset/{ons|wikidata|dbpedia|govuk}` describing the links (see links.py)
  and `{base}reference/{file}` describing the reference files (licence, attribution, origin).

API (used by graph.py and the parser):

    places = Places.load(base_iri)                    # reads data/reference/ once
    res = places.resolve("West Glamorgan", source=("page.txt", 42), year=2025)
    res.iri, res.kind, res.problem                     # kind: locality | partnership |
                                                       #   anonymous | none | unmatched | ambiguous
    res.localities, res.partnership, res.label         # localities the name stands for and the
                                                       #   partnership covering them (from 2019)
    graph_triples = places.triples(used_only=None, agency_ids=None, dataset=None)
    places.link_counts(...)                            # links per target, for build reports
    build_graph(records, vocabularies, places=places.for_graph())   # graph.py's protocol
    known_place_names()                                # names the parser may look for in text

`resolve` never guesses: an unknown name gives `iri=None` and a warning `Problem` carrying the
source line; a name two authorities share gives kind "ambiguous" unless the year (the one in
force then) or currency (the current one) decides. "Anonymous" gives kind "anonymous", no problem.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import ORG, PROV, RDF, RDFS, SKOS, XSD

from reviewgraph.concepts import slugify
from reviewgraph.errors import Problem, ReviewGraphError
from reviewgraph.links import (
    Link,
    PlaceToLink,
    Triple,
    agency_kind_iri,
    agency_kind_triples,
    agency_links,
    linkset_triples,
    load_agency_links,
    read_csv,
    reference_file_iri,
    reference_file_triples,
    target_of,
)
from reviewgraph.paths import REFERENCE_DIR
from reviewgraph.records import Record
from reviewgraph.terms import DBPEDIA, DEFAULT_BASE_IRI, ONS_GEOGRAPHY, OWL, RG, RG_IRI, WD

MYSOCIETY_FILE = "mysociety_uk_local_authorities.csv"
DIGITAL_LAND_FILE = "digital_land_local_authority.csv"
LOCALITY_LINKS_FILE = "locality-links.csv"
PARTNERSHIPS_FILE = "partnerships.csv"

GSS_PATTERN = re.compile(r"^[ENSW]\d{8}$")
QID_PATTERN = re.compile(r"^Q\d+$")
# A Wikipedia title usable in a DBpedia IRI, and one that names an organisation (Digital Land's
# column sometimes holds the area's article instead, e.g. "West_Northamptonshire").
WIKI_TITLE_PATTERN = re.compile(r"^[^\s<>\"{}|\\^`]+$")
ORGANISATION_TITLE_ENDINGS = ("_Council", "_Corporation", "_Authority")
# 2005 is no reorganisation year: those start dates are when a register entry was made.
REGISTER_ARTEFACT_YEAR = "2005"
# Types that are not principal local authorities: matched only if nothing else matches a name.
COMBINED_TYPES = {"COMB", "SRA"}
ANONYMOUS_NAMES = {"anonymous", "anon", "unnamed", "not named"}
# Derived name variants that would point at the wrong place ("London" is not the City of London).
REJECTED_DERIVED_NAMES = {"london", "city", "county", "borough"}
NAME_PREFIXES = (
    "city and county of ", "royal borough of ", "london borough of ", "borough of ",
    "city of ", "county of ",
)
NAME_SUFFIXES = (
    " metropolitan borough council", " county borough council", " city council",
    " borough council", " district council", " county council", " council", " city of",
    " city", " ua",
)
SMALL_WORDS = {"and", "of", "upon", "on", "the", "in", "under", "le", "with", "by"}
MOJIBAKE = re.compile(r"[\ufffd\u00ef\u00be\u00bf]")
PARTNERSHIPS_FROM_YEAR = 2019  # before 2019, reviews were by LSCBs (external-links.md §5.6)


REFERENCE_SHAPES = """\
# GENERATED from data/reference/ by scripts/reference-shapes (Places.reference_shapes): do not
# edit. The reference facts the shapes hold the graph to: GSS codes of mySociety's place list
# (mysociety_uk_local_authorities.csv) and partnership coverage (partnerships.csv).
# tests/test_places.py checks that this file is what the reference data gives.
@prefix sh:      <http://www.w3.org/ns/shacl#> .
@prefix rg:      <{rg}> .
@prefix rgsh:    <{rg}shapes/> .

rgsh:LocalityReferenceShape a sh:NodeShape ;
    sh:targetClass rg:Locality ;
    sh:sparql [
        sh:message "{nation_message}" ;
        sh:prefixes rgsh:prefixes ;
        sh:select \"\"\"
            SELECT $this ?path ?value WHERE {{
                $this rg:localAuthorityCode ?code ; rg:gssCode ?value .
                BIND(rg:gssCode AS ?path)
                FILTER(!CONTAINS({nations},
                                 CONCAT("#", STR(?code), ":", SUBSTR(STR(?value), 1, 1), "#")))
            }}\"\"\" ] ,
    [   sh:message "{code_message}" ;
        sh:prefixes rgsh:prefixes ;
        sh:select \"\"\"
            SELECT $this ?path ?value WHERE {{
                $this rg:localAuthorityCode ?code ; rg:gssCode ?value .
                BIND(rg:gssCode AS ?path)
                FILTER(!CONTAINS({codes},
                                 CONCAT("#", STR(?code), ":", STR(?value), "#")))
            }}\"\"\" ] .

rgsh:PartnershipReferenceShape a sh:NodeShape ;
    sh:targetClass rg:SafeguardingPartnership ;
    sh:sparql [
        sh:message "{cover_message}" ;
        sh:prefixes rgsh:prefixes ;
        sh:select \"\"\"
            SELECT $this ?path ?value WHERE {{
                $this rg:covers ?value .
                BIND(rg:covers AS ?path)
                OPTIONAL {{ ?value rg:gssCode ?gss }}
                BIND(REPLACE(STR($this), "^.*/", "") AS ?partnership)
                FILTER(!BOUND(?gss) || !CONTAINS({covers},
                                                 CONCAT("#", ?partnership, ":", STR(?gss), "#")))
            }}\"\"\" ] .
"""


REFERENCE_MESSAGES = {
    "nation_message": "a locality's GSS code (rg:gssCode) is of another nation than the place "
                      "list's code for its local authority (E England, W Wales, S Scotland, "
                      "N Northern Ireland)",
    "code_message": "a locality's GSS code (rg:gssCode) is not the place list's code for its "
                    "local authority (rg:localAuthorityCode)",
    "cover_message": "a safeguarding partnership covers (rg:covers) an area that "
                     "partnerships.csv does not give it",
}


@dataclass(frozen=True)
class Authority:
    """One row of mySociety's list: an area and the council that governs it."""

    code: str
    gss: str | None
    name: str  # mySociety nice-name: the area
    official_name: str  # the council
    type_code: str
    type_name: str
    start_date: str | None
    end_date: str | None
    replaced_by: tuple[str, ...]
    former_gss: tuple[str, ...]
    current: bool
    names: tuple[str, ...]  # every name as written in the list (nice, official, alternatives)
    slug: str = ""
    council_wikidata: str | None = None
    council_wikipedia: str | None = None
    line: int = 0

    def in_force(self, year: int) -> bool:
        starts = int(self.start_date[:4]) if self.start_date else None
        ends = int(self.end_date[:4]) if self.end_date else None
        return (starts is None or starts <= year) and (ends is None or ends > year)


@dataclass(frozen=True)
class Partnership:
    id: str
    name: str
    acronym: str | None
    heading_names: tuple[str, ...]
    covers: tuple[str, ...]  # GSS codes
    members: tuple[str, ...]  # GSS codes of the areas whose councils are members
    from_year: int
    start_date: str | None
    notes: str | None
    line: int


@dataclass(frozen=True)
class AreaLink:
    gss: str
    iri: URIRef
    relation: str  # "wikidataArea" | "closeMatch"


@dataclass(frozen=True)
class Resolution:
    """What a place name stands for. `iri` is None unless the name matched."""

    iri: URIRef | None
    kind: str  # locality | partnership | anonymous | none | unmatched | ambiguous
    problem: Problem | None = None
    label: str | None = None
    slug: str | None = None
    localities: tuple[URIRef, ...] = ()
    partnership: URIRef | None = None
    successors: tuple[URIRef, ...] = ()
    historic: bool = False


@dataclass
class _NameIndex:
    """Normalised name -> keys, in tiers tried in order (the first tier with a hit decides)."""

    tiers: list[dict[str, set[str]]] = field(default_factory=lambda: [{} for _ in range(5)])

    def add(self, tier: int, name: str, key: str) -> None:
        if name:
            self.tiers[tier].setdefault(name, set()).add(key)

    def lookup(self, name: str) -> set[str]:
        for tier in self.tiers:
            if name in tier:
                return tier[name]
        return set()


class Places:
    """All UK localities, councils and partnerships, with name matching and triples."""

    def __init__(
        self,
        base: str,
        authorities: list[Authority],
        partnerships: list[Partnership],
        area_links: list[AreaLink],
        reference_dir: Path,
    ) -> None:
        self.base = base
        self.reference_dir = reference_dir
        self.authorities = {a.code: a for a in authorities}
        self.by_gss = {a.gss: a for a in authorities if a.gss}
        self.by_slug = {a.slug: a for a in authorities}
        self.partnerships = {p.id: p for p in partnerships}
        self.area_links = area_links
        self.index = _NameIndex()
        for partnership in partnerships:
            for name in (partnership.name, *partnership.heading_names):
                self.index.add(0, normalise(name), f"partnership:{partnership.id}")
        for authority in authorities:
            combined = authority.type_code in COMBINED_TYPES
            for name in authority.names:
                key = f"authority:{authority.code}"
                exact = normalise(name)
                self.index.add(3 if combined else 1, exact, key)
                for variant in derived_names(exact):
                    self.index.add(4 if combined else 2, variant, key)

    # --- loading -----------------------------------------------------------------------------
    @classmethod
    def load(cls, base_iri: str = DEFAULT_BASE_IRI,
             reference_dir: Path = REFERENCE_DIR) -> Places:
        """Read the reference files; a ReviewGraphError names any inconsistency."""
        authorities = _load_authorities(reference_dir)
        by_gss = {a.gss for a in authorities if a.gss}
        partnerships = _load_partnerships(reference_dir, by_gss)
        area_links = _load_area_links(reference_dir, by_gss)
        return cls(base_iri, authorities, partnerships, area_links, reference_dir)

    def for_graph(self, all_places: bool = False) -> GraphPlaces:
        """These places as graph.py's `Places` protocol (see GraphPlaces)."""
        return GraphPlaces(self, all_places)

    # --- IRIs ----------------------------------------------------------------------------------
    def locality_iri(self, authority: Authority) -> URIRef:
        return URIRef(f"{self.base}locality/{authority.slug}")

    def council_iri(self, authority: Authority) -> URIRef:
        return URIRef(f"{self.base}council/{authority.slug}")

    def partnership_iri(self, partnership: Partnership) -> URIRef:
        return URIRef(f"{self.base}partnership/{partnership.id}")

    def type_iri(self, authority: Authority) -> URIRef:
        return URIRef(f"{self.base}local-authority-type/{place_slug(authority.type_name)}")

    def by_iri(self, iri: URIRef) -> Authority | Partnership | None:
        text = str(iri)
        for prefix in ("locality/", "council/"):
            if text.startswith(self.base + prefix):
                return self.by_slug.get(text[len(self.base + prefix):])
        if text.startswith(self.base + "partnership/"):
            return self.partnerships.get(text[len(self.base + "partnership/"):])
        return None

    # --- matching ------------------------------------------------------------------------------
    def resolve(
        self,
        name: str | None,
        source: tuple[str, int] | None = None,
        year: int | None = None,
    ) -> Resolution:
        """The locality or partnership a place name stands for (see the module docstring)."""
        file, line = source if source else (None, None)
        if name is None or not name.strip():
            return Resolution(None, "none")
        key = normalise(name)
        if key in ANONYMOUS_NAMES:
            return Resolution(None, "anonymous")
        candidates = self.index.lookup(key)
        if not candidates:
            problem = Problem(
                f"place {name!r} matches no UK local authority or safeguarding partnership "
                "in the reference data; no locality linked", file, line, name)
            return Resolution(None, "unmatched", problem)
        chosen = self._choose(candidates, year)
        if chosen is None:
            labels = sorted(self._describe(key) for key in candidates)
            problem = Problem(
                f"place {name!r} could stand for several places ({'; '.join(labels)}); "
                "no locality linked", file, line, name)
            return Resolution(None, "ambiguous", problem)
        kind, _, ident = chosen.partition(":")
        if kind == "partnership":
            partnership = self.partnerships[ident]
            iri = self.partnership_iri(partnership)
            covered = tuple(self.locality_iri(self.by_gss[g]) for g in partnership.covers)
            return Resolution(iri, "partnership", None, partnership.name, partnership.id,
                              covered, iri if self._partnership_applies(partnership, year)
                              else None)
        authority = self.authorities[ident]
        iri = self.locality_iri(authority)
        return Resolution(
            iri, "locality", None, authority.name, authority.slug, (iri,),
            self._partnership_of(authority, year),
            tuple(self.locality_iri(s) for s in self.successors(authority)),
            not authority.current)

    def _choose(self, candidates: set[str], year: int | None) -> str | None:
        if len(candidates) == 1:
            return next(iter(candidates))
        authorities = [self.authorities[c.partition(":")[2]] for c in candidates
                       if c.startswith("authority:")]
        if len(authorities) != len(candidates):
            return None
        if year is not None:
            in_force = [a for a in authorities if a.in_force(year)]
            if len(in_force) == 1:
                return f"authority:{in_force[0].code}"
        current = [a for a in authorities if a.current]
        if len(current) == 1:
            return f"authority:{current[0].code}"
        return None

    def _describe(self, key: str) -> str:
        kind, _, ident = key.partition(":")
        if kind == "partnership":
            return self.partnerships[ident].name
        authority = self.authorities[ident]
        return f"{authority.official_name} {authority.gss or authority.code}"

    def _partnership_applies(self, partnership: Partnership, year: int | None) -> bool:
        return year is None or year >= partnership.from_year

    def _partnership_of(self, authority: Authority, year: int | None) -> URIRef | None:
        if not authority.gss:
            return None
        covering = [p for p in self.partnerships.values()
                    if authority.gss in p.covers and self._partnership_applies(p, year)]
        return self.partnership_iri(covering[0]) if len(covering) == 1 else None

    def successors(self, authority: Authority) -> list[Authority]:
        """Direct successors (mySociety's replaced-by)."""
        return [self.authorities[code] for code in authority.replaced_by]

    # --- triples -------------------------------------------------------------------------------
    def triples(
        self,
        used_only: Iterable[URIRef] | None = None,
        agency_ids: Iterable[str] | None = None,
        dataset: URIRef | None = None,
    ) -> Iterator[Triple]:
        """Localities, councils, partnerships, agency links, linksets and reference files.

        used_only: locality/partnership/council IRIs the graph needs (None: every authority and
        partnership). Their successors (transitively), covered localities, member councils and
        the councils of all emitted localities come along. agency_ids: agency vocabulary ids to
        give kinds and links (None: every row of agency-links.csv). dataset: the graph's
        void:Dataset, which the linksets become subsets of.
        """
        authorities, partnerships = self._selection(used_only)
        links: list[Link] = []
        yield from self._authority_triples(authorities, links)
        for partnership in partnerships:
            yield from self._partnership_triples(partnership)
        yield from self._type_triples(authorities)
        rows = load_agency_links(self.reference_dir)
        if agency_ids is not None:
            wanted = set(agency_ids)
            rows = [row for row in rows if row.agency_id in wanted]
        for row in rows:
            yield (URIRef(f"{self.base}agency/{row.agency_id}"), RG.agencyKind,
                   agency_kind_iri(self.base, row.kind))
        if rows:
            yield from agency_kind_triples(self.base, (row.kind for row in rows))
        links.extend(agency_links(self.base, rows))
        for link in links:
            yield link.triple()
        yield from linkset_triples(self.base, links, dataset)
        sources = {link.source for link in links} | {MYSOCIETY_FILE}
        if partnerships:
            sources.add(PARTNERSHIPS_FILE)
        yield from reference_file_triples(self.base, sources)

    def links(self, used_only: Iterable[URIRef] | None = None,
              agency_ids: Iterable[str] | None = None) -> list[Link]:
        """The external links `triples` would assert, each with its reference file."""
        authorities, _ = self._selection(used_only)
        links: list[Link] = []
        for _ in self._authority_triples(authorities, links):
            pass
        rows = load_agency_links(self.reference_dir)
        if agency_ids is not None:
            rows = [row for row in rows if row.agency_id in set(agency_ids)]
        return links + agency_links(self.base, rows)

    def link_counts(self, used_only: Iterable[URIRef] | None = None,
                    agency_ids: Iterable[str] | None = None) -> dict[str, int]:
        """Number of external links per target (ons, wikidata, dbpedia, govuk)."""
        counts: dict[str, int] = {}
        for link in set(self.links(used_only, agency_ids)):
            target = target_of(link.object)
            key = target.key if target else "other"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def _selection(
        self, used_only: Iterable[URIRef] | None
    ) -> tuple[list[Authority], list[Partnership]]:
        if used_only is None:
            return (sorted(self.authorities.values(), key=lambda a: a.slug),
                    sorted(self.partnerships.values(), key=lambda p: p.id))
        authorities: dict[str, Authority] = {}
        partnerships: dict[str, Partnership] = {}
        pending: list[Authority] = []
        for iri in used_only:
            found = self.by_iri(URIRef(iri))
            if isinstance(found, Partnership):
                partnerships[found.id] = found
                pending.extend(self.by_gss[g] for g in (*found.covers, *found.members))
            elif isinstance(found, Authority):
                pending.append(found)
        while pending:
            authority = pending.pop()
            if authority.code not in authorities:
                authorities[authority.code] = authority
                pending.extend(self.successors(authority))
        return (sorted(authorities.values(), key=lambda a: a.slug),
                sorted(partnerships.values(), key=lambda p: p.id))

    def _authority_triples(self, authorities: list[Authority],
                           links: list[Link]) -> Iterator[Triple]:
        area_links: dict[str, list[AreaLink]] = {}
        for link in self.area_links:
            area_links.setdefault(link.gss, []).append(link)
        mysociety = reference_file_iri(self.base, MYSOCIETY_FILE)
        for authority in authorities:
            locality = self.locality_iri(authority)
            council = self.council_iri(authority)
            yield locality, RDF.type, RG.Locality
            yield locality, RDFS.label, Literal(authority.name, lang="en")
            yield locality, RG.localAuthorityCode, Literal(authority.code)
            yield locality, RG.localAuthorityType, self.type_iri(authority)
            yield locality, RG.council, council
            yield locality, PROV.wasDerivedFrom, mysociety
            if authority.start_date:
                yield locality, RG.startDate, Literal(authority.start_date, datatype=XSD.date)
            if authority.end_date:
                yield locality, RG.endDate, Literal(authority.end_date, datatype=XSD.date)
            for successor in self.successors(authority):
                yield locality, RG.replacedBy, self.locality_iri(successor)
            for former in authority.former_gss:
                yield locality, RG.formerGssCode, Literal(former)
            if authority.gss:
                yield locality, RG.gssCode, Literal(authority.gss)
                links.append(Link(locality, OWL.sameAs, ONS_GEOGRAPHY[authority.gss],
                                  MYSOCIETY_FILE))
                for area in area_links.get(authority.gss, ()):
                    predicate = RG.wikidataArea if area.relation == "wikidataArea" \
                        else RG.relatedItem
                    links.append(Link(locality, predicate, area.iri, LOCALITY_LINKS_FILE))

            yield council, RDF.type, RG.Council
            yield council, RDFS.label, Literal(authority.official_name, lang="en")
            yield council, RG.governs, locality
            yield council, PROV.wasDerivedFrom, mysociety
            if authority.council_wikidata:
                links.append(Link(council, RG.wikidataOrganisation,
                                  WD[authority.council_wikidata], DIGITAL_LAND_FILE))
            if authority.council_wikipedia:
                links.append(Link(council, RG.relatedItem,
                                  DBPEDIA[authority.council_wikipedia], DIGITAL_LAND_FILE))

    def _partnership_triples(self, partnership: Partnership) -> Iterator[Triple]:
        iri = self.partnership_iri(partnership)
        yield iri, RDF.type, RG.SafeguardingPartnership
        yield iri, RDFS.label, Literal(partnership.name, lang="en")
        if partnership.acronym:
            yield iri, SKOS.altLabel, Literal(partnership.acronym, lang="en")
        for name in partnership.heading_names:
            yield iri, SKOS.altLabel, Literal(name, lang="en")
        if partnership.notes:
            yield iri, RDFS.comment, Literal(partnership.notes, lang="en")
        if partnership.start_date:
            yield iri, RG.startDate, Literal(partnership.start_date, datatype=XSD.date)
        for gss in partnership.covers:
            yield iri, RG.covers, self.locality_iri(self.by_gss[gss])
        for gss in partnership.members:
            yield iri, ORG.hasMember, self.council_iri(self.by_gss[gss])
        yield iri, PROV.wasDerivedFrom, reference_file_iri(self.base, PARTNERSHIPS_FILE)

    def _type_triples(self, authorities: list[Authority]) -> Iterator[Triple]:
        scheme = URIRef(f"{self.base}scheme/local-authority-types")
        label = Literal("Types of UK local authority area", lang="en")
        yield scheme, RDF.type, SKOS.ConceptScheme
        yield scheme, SKOS.prefLabel, label
        yield scheme, RDFS.label, label
        seen: set[str] = set()
        for authority in authorities:
            if authority.type_code in seen:
                continue
            seen.add(authority.type_code)
            concept = self.type_iri(authority)
            name = Literal(authority.type_name.lower()
                           if not authority.type_name.startswith(("NI", "Welsh", "Scottish"))
                           else authority.type_name, lang="en")
            yield concept, RDF.type, RG.LocalAuthorityType
            yield concept, RDF.type, SKOS.Concept
            yield concept, SKOS.prefLabel, name
            yield concept, RDFS.label, name
            yield concept, SKOS.notation, Literal(authority.type_code)
            yield concept, SKOS.inScheme, scheme
            yield concept, SKOS.topConceptOf, scheme
            yield scheme, SKOS.hasTopConcept, concept

    # --- the reference facts as shapes ----------------------------------------------------------
    def reference_shapes(self) -> str:
        """shapes/reference.ttl: SHACL-SPARQL constraints that hold the graph's localities and
        partnerships to this reference data (each locality's GSS code is the place list's for
        its local authority code; a partnership covers only the areas partnerships.csv gives
        it). SHACL queries may not use VALUES, so each list of facts is one string literal
        ("|ABC:N09000002|ABD:S12000034|...|", each line
        starting and ending with "|") that a query looks an item up in with CONTAINS:
        a long FILTER ... IN list would cost a query parser far more."""
        def listed(items: Iterable[str]) -> str:
            ordered = sorted(set(items))
            lines = ["#" + "#".join(ordered[start:start + 8]) + "#"
                     for start in range(0, len(ordered), 8)]
            return "'''" + f"\n{' ' * 20}".join(lines) + "'''"

        codes = listed(f"{a.code}:{a.gss}" for a in self.authorities.values() if a.gss)
        nations = listed(f"{a.code}:{a.gss[0]}" for a in self.authorities.values() if a.gss)
        covers = listed(f"{p.id}:{gss}" for p in self.partnerships.values() for gss in p.covers)
        return REFERENCE_SHAPES.format(codes=codes, nations=nations, covers=covers, rg=RG_IRI,
                                       **REFERENCE_MESSAGES)

    # --- names for the parser ------------------------------------------------------------------
    def place_names(self) -> tuple[str, ...]:
        """Every name a place may be written as, longest first (case as written, deduplicated
        case-insensitively). Look for them case-insensitively on word boundaries, then resolve."""
        names: dict[str, str] = {}

        def add(name: str) -> None:
            key = normalise(name)
            if key and key not in REJECTED_DERIVED_NAMES and len(key) > 2:
                current = names.get(key)
                if current is None or (current.islower() and not name.islower()):
                    names[key] = name

        for partnership in self.partnerships.values():
            for name in (partnership.name, *partnership.heading_names):
                add(name)
        for authority in self.authorities.values():
            for name in authority.names:
                add(name if not name.islower() else title_case(name))
                for variant in derived_names(normalise(name)):
                    add(title_case(variant))
        return tuple(sorted(names.values(), key=lambda n: (-len(n), n)))


@cache
def _default_places() -> Places:
    return Places.load()


def known_place_names() -> tuple[str, ...]:
    """Names of UK local authorities and partnerships to look for in text (see place_names)."""
    return _default_places().place_names()


# --- names -------------------------------------------------------------------------------------
def normalise(name: str) -> str:
    """Lower case, accents and punctuation dropped, "&" read as "and", "St." as "st"."""
    text = name
    if not text.isascii():  # (an ASCII name has no accents to drop)
        text = unicodedata.normalize("NFKD", name)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NOT_NAME.sub(" ", text.lower().replace("&", " and ")).strip()
    return text[4:] if text.startswith("the ") else text


_NOT_NAME = re.compile(r"[^a-z0-9]+")


def derived_names(name: str) -> set[str]:
    """Shorter forms of a normalised name: "hull city council" -> "hull" (one prefix and one
    suffix removed), never a rejected generic name."""
    variants = set()
    stems = {name}
    for prefix in NAME_PREFIXES:
        if name.startswith(prefix):
            stems.add(name[len(prefix):])
    for stem in list(stems):
        for suffix in NAME_SUFFIXES:
            if stem.endswith(suffix):
                stems.add(stem[: -len(suffix)])
    for stem in stems:
        stem = stem.strip()
        if stem != name and len(stem) > 2 and stem not in REJECTED_DERIVED_NAMES:
            variants.add(stem)
    return variants


def title_case(name: str) -> str:
    words = name.split()
    return " ".join(w if (i and w in SMALL_WORDS) else w[:1].upper() + w[1:]
                    for i, w in enumerate(words))


def place_slug(name: str) -> str:
    """A place's IRI segment: its name normalised (no leading "the", "&" read as "and",
    punctuation a break) and slugified."""
    return slugify(normalise(name))


# --- reading the reference files ---------------------------------------------------------------
def _split(value: str, separator: str = ",") -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(separator) if part.strip())


def _alternative_names(row: dict[str, str]) -> list[str]:
    """The list separates alternative names by commas, yet some names contain one
    ("Bournemouth, Christchurch and Poole", "Kingston upon Hull, City of"): fragments are joined
    again while they spell the start of a comma-holding name or are followed by "City of"."""
    fragments = [part.strip() for part in row["alt-names"].split(",")]
    comma_names = [n.lower() for n in (row["nice-name"], row["official-name"]) if "," in n]
    names: list[str] = []
    for fragment in fragments:
        if names:
            joined = f"{names[-1]}, {fragment}"
            if fragment.lower() == "city of" or any(
                    n.startswith(joined.lower()) for n in comma_names):
                names[-1] = joined
                continue
        names.append(fragment)
    return names


def _clean_names(row: dict[str, str]) -> tuple[str, ...]:
    names = [row["nice-name"], row["official-name"]]
    for alt in _alternative_names(row):
        if not normalise(alt) or MOJIBAKE.search(alt):  # mis-encoded Welsh names are dropped
            continue
        names.append(alt)
    seen: dict[str, str] = {}
    for name in names:
        name = re.sub(r"\s+", " ", name).strip()
        seen.setdefault(name, name)
    return tuple(seen)


def _load_authorities(reference_dir: Path) -> list[Authority]:
    path = reference_dir / MYSOCIETY_FILE
    rows = list(read_csv(path))
    council_links = _load_digital_land(reference_dir)
    codes = {row["local-authority-code"] for _, row in rows}
    seen_gss: dict[str, int] = {}
    drafts = []
    for line, row in rows:
        gss = row["gss-code"] or None
        if gss:
            if not GSS_PATTERN.match(gss):
                raise ReviewGraphError(f"{path}:{line}: malformed GSS code {gss!r}")
            if gss in seen_gss:
                raise ReviewGraphError(
                    f"{path}:{line}: GSS code {gss} also on line {seen_gss[gss]}")
            seen_gss[gss] = line
        replaced_by = _split(row["replaced-by"])
        for code in replaced_by:
            if code not in codes:
                raise ReviewGraphError(f"{path}:{line}: replaced-by code {code!r} is unknown")
        start = row["start-date"] or None
        if start and start.startswith(REGISTER_ARTEFACT_YEAR):
            start = None
        wikidata, wikipedia = council_links.get(gss or "", council_links.get(
            "name:" + row["official-name"], (None, None)))
        drafts.append((line, Authority(
            code=row["local-authority-code"], gss=gss, name=row["nice-name"].strip(),
            official_name=re.sub(r"\s+", " ", row["official-name"]).strip(),
            type_code=row["local-authority-type"], type_name=row["local-authority-type-name"],
            start_date=start, end_date=row["end-date"] or None, replaced_by=replaced_by,
            former_gss=_split(row["former-gss-codes"]),
            current=row["current-authority"] == "True", names=_clean_names(row),
            council_wikidata=wikidata, council_wikipedia=wikipedia, line=line)))
    # Readable slugs: GOV.UK's slug or the area name; when two areas share one (Somerset, the
    # county until 2023, and Somerset, the unitary authority since), the current one keeps it.
    slugs_by_code = {row["local-authority-code"]: row["gov-uk-slug"] for _, row in rows}
    authorities = []
    taken: set[str] = set()
    for line, draft in sorted(drafts, key=lambda d: (not d[1].current, d[1].code)):
        candidates = [slugs_by_code[draft.code] or place_slug(draft.name),
                      place_slug(re.sub(r"\s+Council$", "", draft.official_name)),
                      f"{place_slug(draft.name)}-{draft.code.lower()}"]
        slug = next(s for s in candidates if s and s not in taken)
        taken.add(slug)
        authorities.append((line, replace(draft, slug=slug)))
    return [a for _, a in sorted(authorities, key=lambda item: item[0])]


def _load_digital_land(reference_dir: Path) -> dict[str, tuple[str | None, str | None]]:
    """GSS (or "name:" + council name, for the GLA whose codes differ) -> (council QID, title)."""
    path = reference_dir / DIGITAL_LAND_FILE
    found: dict[str, set[tuple[str | None, str | None]]] = {}
    for line, row in read_csv(path):
        qid = row["wikidata"] or None
        if qid and not QID_PATTERN.match(qid):
            raise ReviewGraphError(f"{path}:{line}: malformed Wikidata id {qid!r}")
        title = row["wikipedia"] or None
        if title and not (WIKI_TITLE_PATTERN.match(title)
                          and title.endswith(ORGANISATION_TITLE_ENDINGS)):
            title = None  # blank, or the area's article rather than the council's
        for key in (row["statistical-geography"], "name:" + row["name"]):
            if key and key != "name:":
                found.setdefault(key, set()).add((qid, title))
    # A code with disagreeing rows gives no link rather than a guess.
    return {key: next(iter(values)) if len(values) == 1 else (None, None)
            for key, values in found.items()}


def _load_partnerships(reference_dir: Path, known_gss: set[str]) -> list[Partnership]:
    path = reference_dir / PARTNERSHIPS_FILE
    partnerships = []
    for line, row in read_csv(path):
        covers, members = _split(row["covers"], ";"), _split(row["members"], ";")
        for gss in (*covers, *members):
            if gss not in known_gss:
                raise ReviewGraphError(f"{path}:{line}: unknown GSS code {gss!r}")
        if not row["source"]:
            raise ReviewGraphError(f"{path}:{line}: a partnership needs its source")
        partnerships.append(Partnership(
            id=row["id"], name=row["name"], acronym=row["acronym"] or None,
            heading_names=_split(row["heading_names"], ";"), covers=covers, members=members,
            from_year=int(row["from_year"] or PARTNERSHIPS_FROM_YEAR),
            start_date=row["start_date"] or None, notes=row["notes"] or None, line=line))
    return partnerships


def _load_area_links(reference_dir: Path, known_gss: set[str]) -> list[AreaLink]:
    path = reference_dir / LOCALITY_LINKS_FILE
    links = []
    for line, row in read_csv(path):
        if row["gss_code"] not in known_gss:
            raise ReviewGraphError(f"{path}:{line}: unknown GSS code {row['gss_code']!r}")
        if row["relation"] not in {"wikidataArea", "closeMatch"}:
            raise ReviewGraphError(f"{path}:{line}: unknown relation {row['relation']!r}")
        iri = URIRef(row["iri"])
        if target_of(iri) is None:
            raise ReviewGraphError(f"{path}:{line}: {iri} is not a Wikidata or DBpedia IRI")
        if row["relation"] == "wikidataArea" and not str(iri).startswith(str(WD)):
            raise ReviewGraphError(f"{path}:{line}: wikidataArea needs a Wikidata item")
        links.append(AreaLink(row["gss_code"], iri, row["relation"]))
    return links


# --- plugging into graph building --------------------------------------------------------------
class GraphPlaces:
    """`Places` as graph.py's `Places` protocol: resolve(name) -> (locality IRI, problem),
    review_triples(review, record) and triples().

    A heading naming a partnership (West Glamorgan) gives no single locality: resolve returns
    (None, None) and review_triples adds rg:locality for each locality it covers. review_triples
    also adds rg:partnership (the partnership covering the review's locality in its year, from
    2019) and rg:mentionsPlace for partnerships' localities named in the text. triples() emits
    only what the reviews use (localities, their successors and councils, partnerships and their
    members) unless all_places is set.
    """

    def __init__(self, places: Places, all_places: bool = False) -> None:
        self.places = places
        self.all_places = all_places
        self.used: set[URIRef] = set()

    def resolve(self, name: str) -> tuple[URIRef | None, Problem | None]:
        resolution = self.places.resolve(name)
        if resolution.kind == "locality":
            self.used.add(resolution.iri)  # type: ignore[arg-type]
            return resolution.iri, None
        return None, resolution.problem

    def partnership(self, name: str, year: int | None) -> URIRef | None:
        """The partnership covering a place (or named by it) in a year, for recommendations
        addressed to it ("both partnerships"); None if there is not exactly one."""
        partnership = self.places.resolve(name, year=year).partnership
        if partnership is not None:
            self.used.add(partnership)
        return partnership

    def review_triples(self, review: URIRef, record: Record) -> Iterator[Triple]:
        if record.locality:
            resolution = self.places.resolve(record.locality, year=record.year)
            if resolution.kind == "partnership":
                for locality in resolution.localities:
                    self.used.add(locality)
                    yield review, RG.locality, locality
            if resolution.partnership is not None:
                self.used.add(resolution.partnership)
                yield review, RG.partnership, resolution.partnership
        for name in record.places_mentioned:
            resolution = self.places.resolve(name, year=record.year)
            if resolution.kind == "partnership":
                for locality in resolution.localities:
                    self.used.add(locality)
                    yield review, RG.mentionsPlace, locality

    def triples(self) -> Iterator[Triple]:
        used = None if self.all_places else sorted(self.used)
        yield from self.places.triples(used_only=used,
                                       dataset=URIRef(f"{self.places.base}dataset"))


def places_to_link(graph: Graph) -> list[PlaceToLink]:
    """The localities of a graph with a GSS code, and the Wikidata area link each has now."""
    wikidata = str(WD)
    places = []
    for locality, gss in sorted(graph.subject_objects(RG.gssCode)):
        label = graph.value(locality, RDFS.label)
        current = sorted(str(o) for p in (RG.wikidataArea, RG.relatedItem)
                         for o in graph.objects(locality, p) if str(o).startswith(wikidata))
        places.append(PlaceToLink(str(gss), str(locality), str(label or ""),
                                  current[0] if current else None))
    return places
