"""/sitemap.xml: the home page, index, downloads, ontology, shapes and every entity page
(parts of a review, on its page, are left out). Past 50,000 URLs (the protocol's limit per
file) it is a sitemap index of parts, /sitemap.xml?part=N, of 50,000 each."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request
from markupsafe import escape

from reviewgraph.web.linkeddata import conditional
from reviewgraph.web.site import Site
from reviewgraph.web.views.common import current_site, not_found, positive_int

SITEMAP_SKIPS = frozenset({"learning", "recommendation", "child", "incident", "report",
                           "linkset", "external"})
SITEMAP_PART = 50_000  # URLs per file (sitemaps.org)
_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def entity_paths(site: Site) -> list[str]:
    """Every path the sitemap lists, quoted and escaped for XML, once per build (the sitemap
    query reads every typed entity: seconds at 100,000 reviews)."""

    def produce() -> list[str]:
        paths = ["/", "/reviews", "/downloads", "/ontology", "/shapes"]
        for row in site.select("sitemap"):
            local = site.iris.local(str(row["entity"]))
            # Parts of a review (its learning points, children, ...) are on its page.
            if local is not None and site.iris.category(local) not in SITEMAP_SKIPS:
                paths.append(f"/page/{local}")
        return [str(escape(quote(path, safe="/%#-._~"))) for path in paths]

    return site.per_build("sitemap", produce)


def sitemap() -> Response:
    site = current_site()
    paths = entity_paths(site)
    parts = -(-len(paths) // SITEMAP_PART)
    part = positive_int("part", 0)
    if part > parts or (part and parts == 1):
        return not_found(request.full_path, "txt")

    def produce() -> Response:
        root = str(escape(request.url_root.rstrip("/")))
        lastmod = site.stamp.modified.date().isoformat()
        if parts > 1 and not part:
            lines = [f'<sitemapindex xmlns="{_NAMESPACE}">',
                     *(f"<sitemap><loc>{root}/sitemap.xml?part={number}</loc>"
                       f"<lastmod>{lastmod}</lastmod></sitemap>"
                       for number in range(1, parts + 1)),
                     "</sitemapindex>"]
        else:
            start = (max(part, 1) - 1) * SITEMAP_PART
            after = f"</loc><lastmod>{lastmod}</lastmod></url>"
            lines = [f'<urlset xmlns="{_NAMESPACE}">',
                     *(f"<url><loc>{root}{path}{after}"
                       for path in paths[start:start + SITEMAP_PART]),
                     "</urlset>"]
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + "\n".join(lines) + "\n"
        return Response(body, mimetype="application/xml")

    return conditional(request, site.stamp, ("sitemap", request.url_root, str(part)), produce)
