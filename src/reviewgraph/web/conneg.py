"""Content negotiation: Accept headers with q-values, wildcards and any letter case.

Each offer is (media type, format name). The quality of an offer is the q of the MOST
SPECIFIC range that matches it (RFC 9110 §12.5.1), so `text/*;q=0.1, text/csv` gives CSV
q=1 and TSV q=0.1; ties go to the server's order. A q of 0 means "not acceptable".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


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
HTML = Format("html", "text/html")


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """Specificity of the match: 3 exact, 2 type/*, 1 */*, 0 none."""
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 1
        if self.type != main:
            return 0
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == sub else 0


@lru_cache(maxsize=512)
def _ranges(accept: str) -> tuple[_Range, ...]:
    ranges = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        if media == "*":  # some clients send a bare "*"
            media = "*/*"
        main, slash, sub = media.partition("/")
        if not slash or not main or not sub:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        ranges.append(_Range(main, sub, q))
    return tuple(ranges)


def quality(media_type: str, accept: str) -> float:
    best_specificity, best_q = 0, 0.0
    for accepted in _ranges(accept):
        specificity = accepted.matches(media_type)
        if specificity > best_specificity or (
                specificity == best_specificity and specificity and accepted.q > best_q):
            best_specificity, best_q = specificity, accepted.q
    return best_q if best_specificity else 0.0


@lru_cache(maxsize=1024)
def negotiate(accept: str | None, offers: tuple[Format, ...]) -> tuple[Format, str] | None:
    """The best (format, media type to label with), or None when nothing is acceptable."""
    accept = (accept or "*/*").strip() or "*/*"
    best: tuple[float, Format, str] | None = None
    for offer in offers:
        for media_type in (offer.media_type, *offer.aliases):
            q = quality(media_type, accept)
            # Aliases only win when named exactly; a wildcard always means the canonical type.
            if media_type != offer.media_type and _specificity(media_type, accept) < 3:
                continue
            if q > 0 and (best is None or q > best[0]):
                best = (q, offer, media_type)
    return (best[1], best[2]) if best else None


def _specificity(media_type: str, accept: str) -> int:
    return max((r.matches(media_type) for r in _ranges(accept)), default=0)


def by_name(name: str, offers: tuple[Format, ...]) -> Format | None:
    """A `format=` value: a short name ("json", "ttl") or a media type."""
    wanted = name.strip().lower()
    for offer in offers:
        if wanted in (offer.name, *offer.short_names, offer.media_type, *offer.aliases):
            return offer
    return None


def all_names(offers: tuple[Format, ...]) -> str:
    return ", ".join(offer.name for offer in offers)
