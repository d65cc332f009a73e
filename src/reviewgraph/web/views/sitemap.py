"""/sitemap.xml: the home page, index, downloads, ontology, shapes and every entity page
(parts of a review, on its page, are left out)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request

from reviewgraph.web.linkeddata import conditional
from reviewgraph.web.site import Site
from reviewgraph.web.views.common import current_site

SITEMAP_SKIPS = frozenset({"learning", "recommendation", "child", "incident", "report",
                           "linkset", "external"})

def entity_paths(site: Site) -> list[str]:
    """/page/{path} of every entity with a page of its own, once per build (the sitemap query
    reads every typed entity: seconds at 100,000 reviews)."""

    def produce() -> list[str]:
        paths = []
        for row in site.select("sitemap"):
            local = site.iris.local(str(row["entity"]))
            # Parts of a review (its learning points, children, ...) are on its page.
            if local is not None and site.iris.category(local) not in SITEMAP_SKIPS:
                paths.append(f"/page/{local}")
        return paths

    return site.per_build("sitemap", produce)


def sitemap() -> Response:
    site = current_site()

    def produce() -> Response:
        root = request.url_root.rstrip("/")
        lastmod = site.stamp.modified.date().isoformat()
        paths = ["/", "/reviews", "/downloads", "/ontology", "/shapes", *entity_paths(site)]
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for path in paths[:50000]:
            location = (root + quote(path, safe="/%#-._~")).replace("&", "&amp;")
            lines.append(f"<url><loc>{location}</loc><lastmod>{lastmod}</lastmod></url>")
        lines.append("</urlset>")
        return Response("\n".join(lines) + "\n", mimetype="application/xml")

    return conditional(request, site.stamp, ("sitemap", request.url_root), produce)
