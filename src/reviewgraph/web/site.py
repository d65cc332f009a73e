"""What the pages share, made once per app by the factory (`Site`): the store's page source,
the IRI map, the named queries, the build's reviews index and stamp, and per-build caches;
and how an entity is described from it (its statements, what links to it, its kind).
"""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import request, url_for
from markupsafe import Markup, escape
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from reviewgraph.paths import DEFAULT_BUILD_DIR
from reviewgraph.store import PageSource
from reviewgraph.terms import DEFAULT_BASE_IRI, PREFIXES, RG_IRI, SCHEMA
from reviewgraph.web.collection import Collection, FacetValue, Iri, ReviewEntry
from reviewgraph.web.linkeddata import BuildStamp, IriMap
from reviewgraph.web.page_queries import PageQueries, Sparql, Text, Value, safe_iri
from reviewgraph.web.render import (
    Statement,
    curie,
    date_in_words,
    human_age,
    number,
    vocabulary_labels,
)

PAGE_SIZE = 20
T = TypeVar("T")
BACKLINK_PAGE = 10

_MISSING = object()
_EXTERNAL = ' rel="external"'
_XSD_DURATION = str(XSD.duration)
_XSD_STRING = str(XSD.string)
_XSD_ANY_URI = str(XSD.anyURI)
# Literals shown in words: dates ("February 2024") and counts ("1,500").
_XSD_DATES = frozenset(str(t) for t in (XSD.date, XSD.dateTime, XSD.gYearMonth))
_XSD_COUNTS = frozenset(str(t) for t in (XSD.integer, XSD.nonNegativeInteger,
                                         XSD.positiveInteger, XSD.int, XSD.long))
# Facets whose reviews are exactly the subjects linking to the value through one property.
_FACET_OF_PROPERTY = {RG_IRI + "locality": "locality", str(DCTERMS.subject): "keyword",
                      RG_IRI + "reviewType": "type"}
# Properties whose subjects are an agency's recommendations (agency-recommendations.rq).
_RELATION_OF_PROPERTY = {RG_IRI + "addressedTo": "addressed", RG_IRI + "namesAgency": "named"}


@dataclass
class Description:
    iri: str
    rows: list[dict[str, Value | None]]
    by_property: dict[str, list[tuple[Value, str | None]]]

    def first(self, *properties: str) -> Value | None:
        for prop in properties:
            for value, _ in self.by_property.get(prop, []):
                return value
        return None

    def all(self, prop: str) -> list[tuple[Value, str | None]]:
        return self.by_property.get(prop, [])

    @property
    def types(self) -> set[str]:
        return {str(value) for value, _ in self.by_property.get(str(RDF.type), [])}


class _Lru:
    """A small least-recently-used cache; one per build, so nothing in it is ever stale."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, produce: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = produce()
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def forget(self, key: Any) -> None:
        with self._lock:
            self._items.pop(key, None)

    def resize(self, size: int) -> None:
        with self._lock:
            self.size = size
            while len(self._items) > size:
                self._items.popitem(last=False)


class Site:
    """What the pages share: the store, the IRI map, the queries, the build's index and stamp."""

    def __init__(self, source: PageSource, settings: Any) -> None:
        self.sparql = Sparql(source)
        base = (getattr(settings, "base_iri", None) or getattr(settings, "base", None)
                or DEFAULT_BASE_IRI)
        self.iris = IriMap(str(base))
        build = getattr(settings, "build_dir", None) or getattr(settings, "build", None)
        graph_file = getattr(settings, "graph_file", None)
        if build:
            self.build_dir = Path(build)
        elif graph_file:
            self.build_dir = Path(graph_file).parent  # the build folder the server serves
        else:
            self.build_dir = DEFAULT_BUILD_DIR
        self.queries = PageQueries()
        self.labels = vocabulary_labels()
        self._collection: Collection | None = None
        self._index_backlinks: dict[str, list[tuple[str, int]]] = {}
        self._index_few: dict[tuple[str, str], list[tuple[Iri, str | None]]] = {}
        self._iri_rank: list[int] = []
        self._lock = threading.Lock()
        self._agency_recommendations: AgencyRecommendations | None = None
        self._agency_lock = threading.Lock()
        self._per_build: dict[str, Any] = {}
        self._per_build_lock = threading.Lock()
        self.cache = _Lru(4096)  # query results and link texts of this build
        self.pages = _Lru(1024)  # rendered pages of this build
        self.views = _Lru(200_000)  # link texts and views of index entries (fixed per build)
        self._hrefs: dict[tuple[str, str], str | None] = {}
        self._iri_views: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        # What every page repeats (navigation, links home and to the stylesheet), per root.
        self.fragments: dict[tuple[str, ...], Any] = {}
        self.stamp = self._stamp()

    # The build's identity: validators (ETag, Last-Modified) of every response derive from it.
    def _stamp(self) -> BuildStamp:
        for name in ("report.json", "reviewgraph.nt"):
            path = self.build_dir / name
            if path.is_file():
                stat = path.stat()
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                return BuildStamp.of(path.read_bytes() if name == "report.json"
                                     else f"{stat.st_size}:{stat.st_mtime_ns}".encode(),
                                     modified)
        # No build files (an external store): the build's own description of the dataset
        # (its triple count and source pages, in the shared graph) identifies the data, read
        # at once; counting every triple instead took minutes at 100,000 reviews. Only a
        # store holding no such description (not a ReviewGraph build) is counted.
        dataset = safe_iri(self.iris.base_iri + "dataset")  # graph.DATASET_PATH
        described = sorted(f"{row['p']} {row['o']}" for row in self.sparql.select(
            f"SELECT ?p ?o WHERE {{ <{dataset}> ?p ?o }}"))
        if not described:
            count = self.sparql.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            described = [str(count[0]["n"])]
        return BuildStamp.of("\n".join([self.iris.base_iri, *described]).encode())

    @property
    def collection(self) -> Collection:
        if self._collection is None:
            with self._lock:
                if self._collection is None:
                    collection = Collection(
                        self.sparql.select(self.queries.bind("collection-reviews")),
                        self.sparql.select(self.queries.bind("collection-facets")),
                        self.sparql.select(self.queries.bind("collection-text")),
                        self.sparql.select(self.queries.bind("collection-labels")),
                    )
                    self._index_backlinks = index_backlink_counts(
                        self.sparql.select(self.queries.bind("collection-backlink-counts")))
                    self._index_few = index_backlinks_few(
                        self.sparql.select(self.queries.bind("collection-backlinks-few")))
                    # Reviews in descending IRI order (entity-backlinks' ORDER BY DESC).
                    by_iri = sorted(range(len(collection.reviews)),
                                    key=lambda i: collection.reviews[i].iri, reverse=True)
                    self._iri_rank = [0] * len(by_iri)
                    for rank, position in enumerate(by_iri):
                        self._iri_rank[position] = rank
                    self._collection = collection
        return self._collection

    @property
    def agency_recommendations(self) -> AgencyRecommendations:
        """Every agency's recommendations, each list newest (highest IRI) first:
        agency-recommendations run once for every agency, so that a page of an agency's
        recommendations is a slice, not a sort of thousands per request."""
        if self._agency_recommendations is None:
            with self._agency_lock:
                if self._agency_recommendations is None:
                    self._agency_recommendations = index_agency_recommendations(
                        self.select("agency-recommendations"),
                        self.select("agency-organisations"))
        return self._agency_recommendations

    def per_build(self, name: str, produce: Callable[[], T]) -> T:
        """A value the same all build long that reads the whole graph (the entities per class,
        the sitemap's entities): made once, when the server starts (`register_pages`) or at
        its first use, and kept; callers must not change it."""
        if name not in self._per_build:
            with self._per_build_lock:
                if name not in self._per_build:
                    self._per_build[name] = produce()
        return cast(T, self._per_build[name])

    def backlink_counts(self, iri: str) -> list[tuple[str, int]]:
        """(property, how many subjects link to `iri` through it), most first: from the
        per-build counts for the values the index facets by, else entity-backlink-counts."""
        collection = self._collection
        if collection is not None:
            found = self._index_backlinks.get(iri)
            if found is not None:
                return found
            if iri in collection.by_iri:  # a review (rg:CaseReview): the counts cover it
                return []
        return [(str(row["property"]), int(str(row["count"])))
                for row in self.cached_select("entity-backlink-counts", iri)]

    def index_backlinks(self, iri: str, prop: str, count: int, start: int
                        ) -> list[dict[str, Any]] | None:
        """One page of what links to `iri` through `prop`, newest (highest IRI) first, from the
        per-build index when it knows them; None when the page must ask the store.

        Known: the few subjects of a much-linked value (collection-backlinks-few), the
        reviews that link to a locality, keyword or review type, which are exactly the
        reviews of its facet value, and the recommendations addressed to or naming an agency
        (their number is checked against the count)."""
        if self._collection is None:
            return None
        relation = _RELATION_OF_PROPERTY.get(prop)
        if relation is not None and self._agency_recommendations is not None:
            # An agency's recommendations, newest first: tens of thousands at 100,000
            # reviews, where even the store's unordered first ten took 25 ms.
            listed = self._agency_recommendations.direct.get(iri, {}).get(relation)
            if listed is not None and len(listed) == count:
                page = listed[start:start + BACKLINK_PAGE]
                labels = {str(row["subject"]): row.get("label") for row in self.sparql.select(
                    self.queries.bind_values("subject-labels", "subject", page))}
                return [self.value_view(subject, labels.get(subject)) for subject in page]
        few = self._index_few.get((iri, prop))
        if few is not None and start == 0 and count <= BACKLINK_PAGE:
            return [self.value_view(subject, label) for subject, label in few]
        facet = _FACET_OF_PROPERTY.get(prop)
        value = self._collection.value_for_iri(facet, iri) if facet else None
        if value is None or value.count != count:
            return None
        rank = self._iri_rank
        chosen = heapq.nsmallest(start + BACKLINK_PAGE, value.positions,
                                 key=rank.__getitem__)[start:]
        reviews = self._collection.reviews
        return [self.value_view(Iri(reviews[position].iri)) for position in chosen]

    def select(self, name: str, this: str | None = None, prop: str | None = None,
               limit: int | None = None, offset: int | None = None
               ) -> list[dict[str, Value | None]]:
        return self.sparql.select(self.queries.bind(name, this, prop, limit, offset))

    def cached_select(self, name: str, this: str | None = None, prop: str | None = None,
                      limit: int | None = None, offset: int | None = None
                      ) -> list[dict[str, Value | None]]:
        return self.cache.get((name, this, prop, limit, offset),
                              lambda: self.select(name, this, prop, limit, offset))

    # --- labels and links -------------------------------------------------------------------
    def label(self, iri: str, known: str | None = None) -> str:
        if known:
            return str(known)
        if iri in self.labels:
            return self.labels[iri]
        entry = self.collection.by_iri.get(iri) if self._collection else None
        if entry is not None:
            return entry.label
        short = curie(iri)
        if short != iri:
            return short
        return iri

    def href(self, iri: str) -> str | None:
        """Where a link to `iri` goes: our page for our entities and terms, else the IRI."""
        key = (request.script_root, iri)
        found = self._hrefs.get(key, _MISSING)
        if found is _MISSING:
            path = self.iris.page_path(iri)
            if path is not None:
                found = request.script_root + path
            elif iri.startswith(("http://", "https://")):
                found = iri
            else:
                found = None
            if len(self._hrefs) > 500_000:  # bounded: a build has finitely many IRIs
                self._hrefs.clear()
            self._hrefs[key] = found
        return found  # type: ignore[return-value]

    def value_view(self, value: Value | None, label: str | None = None) -> dict[str, Any]:
        """What a template needs to show one value: text, link, whether it is external, and
        its HTML (`html`); an unbound value shows as an unnamed node. Views of IRIs are the
        same all build long, so each is made once; callers must not change them."""
        if isinstance(value, Iri):
            key = (request.script_root, value, label)
            view = self._iri_views.get(key)
            if view is None:
                view = self._iri_view(value, label)
                if self._collection is not None:  # labels fall back on the index
                    if len(self._iri_views) > 500_000:  # bounded: finitely many IRIs
                        self._iri_views.clear()
                    self._iri_views[key] = view
            return view
        if isinstance(value, Text):
            text = str(value)
            if value.datatype == _XSD_DURATION:
                text = human_age(text)
            elif value.datatype in _XSD_DATES:
                text = date_in_words(text)
            elif value.datatype in _XSD_COUNTS:
                text = number(text)
            language = value.language
            # Words: not an address, and not a duration that could not be put in words.
            words = value.datatype != _XSD_ANY_URI and (value.datatype != _XSD_DURATION
                                                        or text != str(value))
            return {"kind": "literal", "label": text, "language": language, "words": words,
                    "datatype": curie(value.datatype) if value.datatype
                    and value.datatype != _XSD_STRING else None,
                    "html": Markup(f'<span lang="{escape(language)}">{escape(text)}</span>'
                                   if language else f"<span>{escape(text)}</span>")}
        return {"kind": "blank", "label": "(unnamed node)",
                "html": Markup("<span>(unnamed node)</span>")}

    def _iri_view(self, value: Iri, label: str | None) -> dict[str, Any]:
        href = self.href(value)
        text = self.label(value, label)
        external = href == str(value)
        if href:
            html = (f'<a href="{escape(href)}"{_EXTERNAL if external else ""}>'
                    f"{escape(text)}</a>")
        else:
            html = f"<span>{escape(text)}</span>"
        return {"kind": "iri", "iri": str(value), "label": text, "href": href,
                "external": external, "html": Markup(html)}


# --- describing an entity -------------------------------------------------------------------
def describe(site: Site, iri: str) -> Description | None:
    rows = site.cached_select("entity-describe", iri)
    if not rows and not site.cached_select("entity-incoming", iri):
        return None
    by_property: dict[str, list[tuple[Value, str | None]]] = defaultdict(list)
    seen = set()
    for row in rows:
        prop, value = str(row["property"]), row["value"]
        if value is None or (prop, value, type(value)) in seen:
            continue
        seen.add((prop, value, type(value)))
        label = row.get("valueLabel")
        by_property[prop].append((value, str(label) if label is not None else None))
    for values in by_property.values():
        values.sort(key=lambda pair: (pair[1] or str(pair[0])).casefold())
    return Description(iri, rows, dict(by_property))


_HIDDEN_IN_FACTS = {str(RDF.type), str(RDFS.label), str(SKOS.prefLabel), str(SKOS.hiddenLabel)}


def statements(site: Site, description: Description, skip: Iterable[str] = ()
               ) -> list[Statement]:
    skipped = set(skip) | _HIDDEN_IN_FACTS
    found = []
    for prop, values in description.by_property.items():
        if prop in skipped:
            continue
        statement = Statement(prop, site.label(prop))
        statement.values = [site.value_view(value, label) for value, label in values]
        statement.readable = (prop in site.labels and prop not in IDENTIFYING
                              and all(in_words(view) for view in statement.values))
        found.append(statement)
    found.sort(key=lambda s: s.prop_label.casefold())
    return found


# Properties whose values are identifiers, codes, patterns or provenance links: they go under
# "Data and identifiers", never in the body of a page.
IDENTIFYING = frozenset({
    RG_IRI + "matchPattern", RG_IRI + "gssCode", RG_IRI + "localAuthorityCode",
    RG_IRI + "wikidataArea", RG_IRI + "sourceExtract", RG_IRI + "position",
    str(OWL.sameAs), str(SKOS.notation), str(SKOS.exactMatch), str(SKOS.closeMatch),
    str(SKOS.broadMatch), str(SKOS.narrowMatch), str(SKOS.relatedMatch),
    str(PROV.wasDerivedFrom), str(PROV.hadPrimarySource), str(DCTERMS.source),
    str(RDFS.seeAlso), str(SCHEMA.url),
})


def in_words(view: Mapping[str, Any]) -> bool:
    """Whether a value view reads as words: text, or a link whose label is not its IRI or
    a CURIE."""
    if view["kind"] == "literal":
        return bool(view["words"])
    if view["kind"] == "iri":
        iri = view["iri"]
        return view["label"] not in (iri, curie(iri))
    return False


@dataclass
class Backlinks:
    counts: list[dict[str, Any]]
    lists: dict[str, list[dict[str, Any]]]
    total: int


def backlinks(site: Site, iri: str, via: str | None, offset: int) -> Backlinks:
    """What links to `iri`: counts per property and one page of subjects per property."""
    counts: list[dict[str, Any]] = []
    lists: dict[str, list[dict[str, Any]]] = {}
    for prop, count in site.backlink_counts(iri)[:12]:
        start = offset if via == curie(prop) else 0
        views = site.index_backlinks(iri, prop, count, start)
        if views is None:
            # Sorting hundreds of subjects costs more than this list is worth (entity pages
            # list their reviews newest first above it): past a hundred, the store's order.
            query = "entity-backlinks" if count <= 100 else "entity-backlinks-unordered"
            subjects = site.cached_select(query, iri, prop, BACKLINK_PAGE, start)
            views = [site.value_view(s["subject"], s.get("label")) for s in subjects
                     if s["subject"] is not None]
        lists[prop] = views
        label = site.label(prop)
        counts.append({"prop": prop, "curie": curie(prop), "label": label,
                       "index": len(counts) + 1, "readable": label not in (prop, curie(prop)),
                       "count": count, "offset": start,
                       "next": start + BACKLINK_PAGE if start + BACKLINK_PAGE < count else None,
                       "previous": max(0, start - BACKLINK_PAGE) if start else None})
    return Backlinks(counts, lists, sum(c["count"] for c in counts))


def index_backlinks_few(rows: Iterable[Mapping[str, Value | None]]
                        ) -> dict[tuple[str, str], list[tuple[Iri, str | None]]]:
    """collection-backlinks-few rows by (entity, property), subjects in descending order."""
    found: dict[tuple[str, str], list[tuple[Iri, str | None]]] = defaultdict(list)
    for row in rows:
        subject = row["subject"]
        if isinstance(subject, Iri):
            label = row.get("label")
            found[(str(row["this"]), str(row["property"]))].append(
                (subject, str(label) if label is not None else None))
    for subjects in found.values():
        subjects.sort(key=lambda pair: pair[0], reverse=True)
    return dict(found)


@dataclass
class AgencyRecommendations:
    """Per agency and relation ("addressed", "named"), its recommendations newest first."""

    direct: dict[str, dict[str, list[Iri]]]  # what links to the agency itself
    # What its page lists: for a kind of service (police), also those addressed to or naming
    # its organisations (Kent Police), each once: addressed wins over named.
    listed: dict[str, dict[str, list[Iri]]]
    via: dict[tuple[str, Iri], Iri]  # (kind, recommendation): the organisation it came through


def index_agency_recommendations(rows: Iterable[Mapping[str, Value | None]],
                                 organisations: Iterable[Mapping[str, Value | None]]
                                 ) -> AgencyRecommendations:
    """agency-recommendations rows by agency and relation, with agency-organisations' kinds."""
    found: dict[str, dict[str, set[Iri]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        recommendation = row["recommendation"]
        if isinstance(recommendation, Iri):
            found[str(row["this"])][str(row["relation"])].add(recommendation)
    direct = {agency: {relation: sorted(recommendations, reverse=True)
                       for relation, recommendations in relations.items()}
              for agency, relations in found.items()}
    kinds: dict[str, list[str]] = defaultdict(list)
    for row in organisations:
        kinds[str(row["kind"])].append(str(row["organisation"]))
    listed = dict(direct)
    via: dict[tuple[str, Iri], Iri] = {}
    for kind, members in kinds.items():
        own = found.get(kind, {})
        addressed, named = set(own.get("addressed", ())), set(own.get("named", ()))
        # Addressed to one of its organisations first: that wins over the kind being named.
        passes: tuple[tuple[str, set[Iri], set[Iri]], ...] = (
            ("addressed", addressed, set()), ("named", named, addressed))
        for relation, into, before in passes:
            for organisation in sorted(members):
                for recommendation in found.get(organisation, {}).get(relation, ()):
                    if recommendation not in into and recommendation not in before:
                        into.add(recommendation)
                        via.setdefault((kind, recommendation), Iri(organisation))
        named -= addressed
        if addressed or named:
            listed[kind] = {relation: sorted(recommendations, reverse=True)
                            for relation, recommendations in (("addressed", addressed),
                                                              ("named", named))
                            if recommendations}
    return AgencyRecommendations(direct, listed, via)


def index_backlink_counts(rows: Iterable[Mapping[str, Value | None]]
                          ) -> dict[str, list[tuple[str, int]]]:
    """collection-backlink-counts rows by entity, in entity-backlink-counts' order (most
    first, then by property)."""
    counts: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in rows:
        counts[str(row["this"])].append((str(row["property"]), int(str(row["count"]))))
    for pairs in counts.values():
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
    return dict(counts)


def page_kind(iri: str, description: Description, site: Site) -> str:
    types = description.types
    rg = RG_IRI
    if rg + "CaseReview" in types:
        return "review"
    if rg + "Locality" in types:
        return "locality"
    if rg + "Agency" in types:
        return "agency"
    concept_types = {rg + name for name in ("LearningTheme", "Keyword", "Outcome", "ReviewType",
                                            "ReportType", "AgeBand", "AgencyKind")}
    if types & concept_types or str(SKOS.Concept) in types:
        return "concept"
    for kind, type_name in PART_TYPES.items():
        if rg + type_name in types:
            return kind
    if rg + "SafeguardingPartnership" in types:
        return "partnership"
    if str(SKOS.ConceptScheme) in types:
        return "scheme"
    return "entity"


# The parts of a review that have pages of their own, by page kind.
PART_TYPES = {"child": "Child", "learning": "LearningPoint", "recommendation": "Recommendation",
              "report": "ReportDocument"}
# Page kinds that show accounts of what happened to children: they carry the helpline notice.
CASE_CONTENT_KINDS = frozenset({"review", "locality", "agency", "concept", "partnership",
                                *PART_TYPES})



def own_label(description: Description) -> str | None:
    for prop in (str(SKOS.prefLabel), str(RDFS.label), str(DCTERMS.title),
                 RG_IRI + "pseudonym"):
        value = description.first(prop)
        if value is not None:
            return str(value)
    return None


def index_link(facet: str, key: str) -> str:
    """The reviews index filtered by one facet value."""
    filters: dict[str, Any] = {facet: key}
    return url_for("pages.reviews", **filters)


def review_value(site: Site, value: FacetValue) -> dict[str, Any]:
    """A facet value as a link to its page and to the reviews index filtered by it (the same
    for every request of this build, so made once)."""

    def make() -> dict[str, Any]:
        index = index_link(value.facet, value.key)
        return {"label": value.label,
                "href": site.href(value.iri) if value.iri else index, "index": index}

    return site.views.get(("facet-value", request.script_root, value.facet, value.key), make)


def entry_view(site: Site, entry: ReviewEntry) -> dict[str, Any]:
    def make() -> dict[str, Any]:
        locality = site.collection.locality_of[entry.position]
        href = site.href(entry.iri) or entry.iri
        return {"label": entry.title, "full_label": entry.label, "year": entry.year,
                "href": href, "summary": entry.summary, "locality": locality}

    # Callers add to the dict (search snippets), so each gets its own copy.
    return dict(site.views.get(("entry", request.script_root, entry.iri), make))



def serialisation_prefixes(site: Site) -> dict[str, str]:
    """Prefixes for the RDF the site writes: the vocabulary's, and `id:` for the entities."""
    prefixes = {k: v for k, v in PREFIXES.items() if k != "wd"}
    prefixes["id"] = site.iris.base_iri
    return prefixes
