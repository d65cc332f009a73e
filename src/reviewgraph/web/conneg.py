"""Content negotiation for every route: the formats we write, and the one negotiator.

Each offer is a Format (media type, format name). The quality of an offer is the q of the
MOST SPECIFIC range that matches it (RFC 9110 §12.5.1), so `text/*;q=0.1, text/csv` gives CSV
q=1 and TSV q=0.1; a q of 0 means "not acceptable". The matching is werkzeug's (`negotiate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True)
class Format:
    name: str  # short name, also accepted as ?format=
    media_type: str  # what the response is labelled with
    aliases: tuple[str, ...] = ()  # other media types that mean the same bytes
    short_names: tuple[str, ...] = ()  # other ?format= values

    @property
    def content_type(self) -> str:
        # Text formats say their charset; SPARQL JSON/XML and JSON-LD are UTF-8 by definition
        # but clients are happier told.
        return f"{self.media_type}; charset=utf-8"


RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", ("application/json",)),
    Format("xml", "application/sparql-results+xml", ("application/xml", "text/xml")),
    Format("csv", "text/csv"),
    Format("tsv", "text/tab-separated-values"),
)
GRAPH_FORMATS: tuple[Format, ...] = (
    # "n3": SPARQLWrapper asks for N3 with format=n3; Turtle is N3 and it accepts Turtle.
    Format("turtle", "text/turtle", ("application/x-turtle",), ("ttl", "n3")),
    Format("ntriples", "application/n-triples", ("text/plain",), ("nt", "n-triples")),
    Format("jsonld", "application/ld+json", ("application/json",), ("json-ld",)),
    Format("rdfxml", "application/rdf+xml", ("application/xml", "text/xml"),
           ("rdf", "xml", "rdf+xml")),
    Format("nquads", "application/n-quads", (), ("nq", "n-quads")),
    Format("trig", "application/trig", ()),
)
HTML = Format("html", "text/html", ("application/xhtml+xml",))


@lru_cache(maxsize=1024)
def negotiate(accept: str | None, offers: tuple[Format, ...]) -> tuple[Format, str] | None:
    """The best (format, media type to label with), or None when nothing is acceptable.

    werkzeug's matching (the q of the most specific range that matches, q=0 refuses; at
    equal q the more specific range, then the first offer), as Flask's `accept_mimetypes`
    does for /data and the pages, so every route answers one Accept alike. Before it, what
    werkzeug reads differently from RFC 9110: a range's parameters other than q are dropped
    (werkzeug would match `text/turtle;charset=utf-8` to no offer) and a bare `*` is `*/*`.
    An alias (`application/json` for JSON-LD) is chosen only when named exactly; a wildcard
    means the canonical type.
    """
    accept = (accept or "").strip()
    if not accept:
        return offers[0], offers[0].media_type
    ranges = MIMEAccept([("*/*" if value == "*" else value.partition(";")[0].strip(), q)
                         for value, q in parse_accept_header(accept)])
    if not ranges:
        return None  # a header was sent, and nothing in it is a valid range
    candidates = {offer.media_type: offer for offer in reversed(offers)}
    exact = {value.lower() for value, q in ranges if q > 0}
    for offer in reversed(offers):
        for alias in offer.aliases:
            if alias in exact and alias not in candidates:
                candidates[alias] = offer
    order = [o.media_type for o in offers] + [m for m in candidates if m not in
                                              {o.media_type for o in offers}]
    best = ranges.best_match(order)
    return (candidates[best], best) if best is not None else None


def by_name(name: str, offers: tuple[Format, ...]) -> Format | None:
    """A `format=` value: a short name ("json", "ttl") or a media type."""
    wanted = name.strip().lower()
    for offer in offers:
        if wanted in (offer.name, *offer.short_names, offer.media_type, *offer.aliases):
            return offer
    return None


def all_names(offers: tuple[Format, ...]) -> str:
    return ", ".join(offer.name for offer in offers)
