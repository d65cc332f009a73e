"""The home page: what the collection holds, the newest reviews, a search box."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from reviewgraph.web.linkeddata import RDF_FORMATS, conditional
from reviewgraph.web.render import year_chart
from reviewgraph.web.site import Site, entry_view, review_value
from reviewgraph.web.views.common import (
    alternates_for,
    current_site,
    query_links,
    remembered,
    render,
)


def home() -> Response:
    site = current_site()

    def produce() -> Response:
        collection = site.collection
        newest = collection.page(collection.everything, "newest", 0, 8)
        context: dict[str, Any] = {
            "title": "ReviewGraph",
            "total": len(collection.reviews),
            "by_year": year_chart(collection.per_year(collection.everything)),
            "by_type": [(review_value(site, v), n)
                        for v, n in collection.counts("type", SHOWN)],
            "by_outcome": [(review_value(site, v), n)
                           for v, n in collection.counts("outcome", SHOWN)],
            "newest": [entry_view(site, e) for e in newest],
            "themes": [(review_value(site, v), n)
                       for v, n in collection.counts("theme", SHOWN)],
            "keywords": [(review_value(site, v), n)
                         for v, n in collection.counts("keyword", SHOWN)],
            "alternates": alternates_for(site, "dataset"),
            "queries": query_links(site, ("Counts by year, review type and outcome",
                                    "home-counts", None),
                                   ("Reviews (the index)", "collection-reviews", None),
                                   ("Facet values (the index)", "collection-facets", None)),
            "jsonld": home_jsonld(site, len(collection.reviews)),
            "more": {facet: more_link(site, facet, SHOWN) for facet in HOME_LISTS},
        }
        return render("home.html", **context)

    return conditional(request, site.stamp, ("home",),
                       lambda: remembered(site, ("home",), produce))


SHOWN = 12  # values each of the home page's counted lists shows
HOME_LISTS = ("type", "outcome", "theme", "keyword")
# Where all of a list's values are: the directory pages, or the index's facet in full.
DIRECTORY_OF = {"theme": "theme", "keyword": "keyword"}


def more_link(site: Site, facet: str, shown: int) -> dict[str, Any] | None:
    """How many values of `facet` a list of `shown` leaves out, and where they all are."""
    total = len(site.collection.sorted_values(facet))
    if total <= shown:
        return None
    if facet in DIRECTORY_OF:
        href = url_for("pages.directory", kind=DIRECTORY_OF[facet])
    else:
        href = url_for("pages.reviews", more=facet) + f"#facet-{facet}"
    return {"count": total - shown, "total": total, "href": href}


def home_jsonld(site: Site, total: int) -> dict[str, Any]:
    root = request.url_root.rstrip("/")
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": site.iris.base_iri + "dataset",
        "name": "ReviewGraph: child safeguarding case reviews",
        "description": "Case reviews into the death or serious harm of children, read from "
                       "NSPCC National Collection of Case Reviews listing pages, as linked data.",
        "url": root + "/",
        "size": f"{total} case reviews",
        "distribution": [
            {"@type": "DataDownload", "encodingFormat": fmt.media_type,
             "contentUrl": f"{root}/downloads/reviewgraph.{fmt.suffix}"}
            for fmt in RDF_FORMATS.values() if fmt.suffix != "rdf"
        ],
        "potentialAction": {
            "@type": "SearchAction",
            "target": f"{root}/reviews?q={{search_term_string}}",
            "query-input": "required name=search_term_string",
        },
    }
