"""Dereferencing: how entity IRIs map onto this server's URLs, and which representation to send.

The graph's entities have IRIs under a configurable base (default
``https://reviewgraph.example/id/``). Wherever the server runs, the part after the base becomes a
local path, so one IRI resolves the same way on localhost and behind a proxy:

    {base}locality/kent  ->  /id/locality/kent        the thing (303 or conneg)
                             /page/locality/kent      its HTML page
                             /data/locality/kent.ttl  its description (also .nt .jsonld .rdf)
                             /data/locality/kent      its description by Accept (Vary: Accept)

Things that are not documents (a locality, an agency, a child, a concept, ...) answer
``303 See Other`` to the page or the data by ``Accept``; documents (a review, a source page, a
learning point, a recommendation) are served straight from their IRI with content negotiation.
Redirects are relative to the request's own root (``request.script_root``), so they never name
an internal host, and they survive any proxy that keeps the path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

import pyoxigraph
from flask import Request, Response

from reviewgraph.terms import DEFAULT_BASE_IRI, RG_IRI
from reviewgraph.web import conneg
from reviewgraph.web.conneg import GRAPH_FORMATS, Format
from reviewgraph.web.conneg import HTML as HTML_FORMAT


@dataclass(frozen=True)
class RdfFormat:
    """One RDF serialisation a client can ask for."""

    suffix: str
    media_type: str
    name: str
    oxigraph: pyoxigraph.RdfFormat


RDF_FORMATS: dict[str, RdfFormat] = {
    "ttl": RdfFormat("ttl", "text/turtle", "Turtle", pyoxigraph.RdfFormat.TURTLE),
    "nt": RdfFormat("nt", "application/n-triples", "N-Triples", pyoxigraph.RdfFormat.N_TRIPLES),
    "jsonld": RdfFormat("jsonld", "application/ld+json", "JSON-LD", pyoxigraph.RdfFormat.JSON_LD),
    "rdf": RdfFormat("rdf", "application/rdf+xml", "RDF/XML", pyoxigraph.RdfFormat.RDF_XML),
}

# Other spellings people and tools use for ?format=.
FORMAT_ALIASES = {
    "turtle": "ttl", "ntriples": "nt", "n-triples": "nt", "json-ld": "jsonld", "json": "jsonld",
    "xml": "rdf", "rdfxml": "rdf", "rdf-xml": "rdf", "html": "html",
}

HTML = "html"

# What /data, /id and the pages offer, in order (HTML first: a browser's */* gets the page),
# and the key each format has here. Chosen by the one negotiator (conneg.negotiate), as /sparql.
_OFFERS: tuple[Format, ...] = (HTML_FORMAT, *(f for f in GRAPH_FORMATS
                                              if f.name in ("turtle", "ntriples", "jsonld",
                                                            "rdfxml")))
_KEYS = {"html": HTML, "turtle": "ttl", "ntriples": "nt", "jsonld": "jsonld", "rdfxml": "rdf"}

# Path categories whose entities are documents (information resources): served with conneg
# from the IRI itself. Everything else is a thing in the world or a concept: 303.
DOCUMENT_CATEGORIES = frozenset(
    {"review", "source", "learning", "recommendation", "report", "reference"}
)

# A local path we are willing to turn back into an IRI: segments of unreserved characters and
# percent escapes only, so an IRI built from it can never break out of <...> in a query.
_LOCAL_PATH_CHARS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~%/-]*")


def _is_local_path(text: str) -> bool:
    return (_LOCAL_PATH_CHARS.fullmatch(text) is not None and "//" not in text
            and "/./" not in text and "/../" not in text and not text.endswith(("/.", "/..")))


def negotiate(request: Request) -> str:
    """The format key ("html", "ttl", ...) for this request: ?format= first, then Accept."""
    asked = request.args.get("format", "").strip().lower()
    if asked:
        key = FORMAT_ALIASES.get(asked, asked)
        if key == HTML or key in RDF_FORMATS:
            return key
    chosen = conneg.negotiate(request.headers.get("Accept"), _OFFERS)
    return _KEYS[chosen[0].name] if chosen is not None else HTML


def format_from_query(request: Request) -> str | None:
    """The ?format= the request names, if it names one we serve."""
    asked = request.args.get("format", "").strip().lower()
    if not asked:
        return None
    key = FORMAT_ALIASES.get(asked, asked)
    return key if key == HTML or key in RDF_FORMATS else None


@dataclass(frozen=True)
class IriMap:
    """Maps entity IRIs under `base_iri` (and ontology IRIs) onto this server's paths."""

    base_iri: str = DEFAULT_BASE_IRI
    ontology_iri: str = RG_IRI

    def local(self, iri: str) -> str | None:
        """'locality/kent' for `{base}locality/kent`; None for an IRI outside the base."""
        if iri.startswith(self.base_iri):
            rest = iri[len(self.base_iri):]
            return rest if _is_local_path(rest) else None
        return None

    def iri(self, local: str) -> str | None:
        """The entity IRI a local path stands for; None when the path is not a safe local path."""
        return self.base_iri + local if _is_local_path(local) else None

    @staticmethod
    def category(local: str) -> str:
        return local.split("/", 1)[0]

    def is_document(self, local: str) -> bool:
        return self.category(local) in DOCUMENT_CATEGORIES

    def page_path(self, iri: str) -> str | None:
        """Root-relative path of the HTML page about `iri`, if it is ours."""
        local = self.local(iri)
        if local is not None:
            return "/page/" + local
        if iri.startswith(self.ontology_iri):
            term = iri[len(self.ontology_iri):]
            return "/ontology#" + term if term else "/ontology"
        return None

    def page_prefixes(self) -> dict[str, str]:
        """What `page_path` does, as {IRI prefix: root-relative path prefix}: the query page's
        script links the IRIs in results with it."""
        return {self.base_iri: "/page/", self.ontology_iri: "/ontology#"}

    @staticmethod
    def data_path(local: str, suffix: str) -> str:
        return f"/data/{local}.{suffix}"


def split_suffix(local: str) -> tuple[str, str | None]:
    """('locality/kent', 'ttl') for 'locality/kent.ttl'; suffix None when it has none we serve."""
    stem, dot, suffix = local.rpartition(".")
    if dot and suffix in RDF_FORMATS:
        return stem, suffix
    return local, None


@dataclass(frozen=True)
class BuildStamp:
    """Identifies one build of the graph: validators for every response depend on it."""

    token: str
    modified: datetime

    @classmethod
    def of(cls, fingerprint: bytes, modified: datetime | None = None) -> BuildStamp:
        token = hashlib.sha256(fingerprint).hexdigest()[:16]
        when = (modified or datetime.now(UTC)).replace(microsecond=0)
        return cls(token, when)

    def etag(self, *parts: str) -> str:
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
        return f"{self.token}-{digest}"


def conditional(
    request: Request,
    stamp: BuildStamp,
    key: tuple[str, ...],
    produce: Callable[[], Response],
    vary_accept: bool = False,
) -> Response:
    """Answer 304 when the client's copy is current, else produce the response; set validators.

    The check happens before `produce` runs, so a revalidation costs no query and no rendering.
    """
    etag = stamp.etag(*key)
    not_modified = False
    if request.if_none_match:
        not_modified = request.if_none_match.contains(etag)
    elif request.if_modified_since is not None:
        not_modified = request.if_modified_since >= stamp.modified
    response = Response(status=304) if not_modified else produce()
    if response.status_code in (200, 304):  # a 404 gets no validators to revalidate against
        response.set_etag(etag)
        response.headers["Last-Modified"] = format_datetime(stamp.modified, usegmt=True)
    if vary_accept:
        response.vary.add("Accept")
    response.headers.setdefault("Cache-Control", "public, max-age=300")
    return response


def see_other(request: Request, path: str, vary_accept: bool = True) -> Response:
    """A 303 to a path on this server, relative to the request's root (never an absolute host)."""
    response = Response(status=303)
    response.headers["Location"] = request.script_root + path
    response.autocorrect_location_header = False
    if vary_accept:
        response.vary.add("Accept")
    return response
