"""What every page view uses: the app's Site, rendering a page, the navigation, links to the
page's queries and other formats, per-build response caching, and the not-found page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, render_template, request, url_for
from markupsafe import Markup, escape

from reviewgraph.web.linkeddata import HTML, RDF_FORMATS
from reviewgraph.web.render import HELPLINE
from reviewgraph.web.site import Site

SITE_EXTENSION = "reviewgraph.pages"
# The site menu: (endpoint, its arguments, label).
NAVIGATION: list[tuple[str, dict[str, Any], str]] = [
    ("pages.home", {}, "Home"), ("pages.reviews", {}, "Reviews"),
    ("insights.index", {}, "Insights"),
    ("pages.directory", {"kind": "theme"}, "Themes"),
    ("pages.directory", {"kind": "keyword"}, "Keywords"),
    ("pages.directory", {"kind": "agency"}, "Agencies"),
    ("pages.directory", {"kind": "locality"}, "Places"),
    ("pages.directory", {"kind": "partnership"}, "Partnerships"),
    ("pages.data_page", {}, "Data"), ("pages.ontology", {}, "Ontology"),
    ("pages.shapes", {}, "Shapes")]
_CURRENT = ' aria-current="page"'


def current_site() -> Site:
    """The pages' shared state of the app handling this request (made by its factory)."""
    site: Site = current_app.extensions[SITE_EXTENSION]
    return site


def template_context() -> dict[str, Any]:
    return {"helpline": HELPLINE, "site_name": "ReviewGraph"}


def navigation() -> Markup:
    """The site menu, the current page marked (made once per root and page type)."""
    site = current_site()
    here = request.endpoint or ""
    kind = str((request.view_args or {}).get("kind", "")) if here == "pages.directory" else ""
    key = ("navigation", request.script_root, here, kind)
    found = site.fragments.get(key)
    if found is None:
        items = [f'        <li><a href="{escape(url_for(endpoint, **args))}"'
                 f'{_CURRENT if endpoint == here and args.get("kind", "") == kind else ""}>'
                 f"{label}</a></li>\n"
                 for endpoint, args, label in NAVIGATION]
        query_page = here == "query_page.query_page"
        items.append(f'        <li><a href="{escape(request.script_root)}/sparql"'
                     f'{_CURRENT if query_page else ""}>SPARQL</a></li>\n')
        found = Markup("<ul>\n" + "".join(items) + "      </ul>")
        remember_fragment(site, key, found)
    return found  # type: ignore[no-any-return]


def site_links() -> dict[str, str]:
    """Links every page has: home, the reviews index, the stylesheet."""
    site = current_site()
    key = ("links", request.script_root)
    found = site.fragments.get(key)
    if found is None:
        found = {"home": url_for("pages.home"), "reviews": url_for("pages.reviews"),
                 "stylesheet": url_for("pages.static", filename="pages.css")}
        remember_fragment(site, key, found)
    return found  # type: ignore[no-any-return]


def remember_fragment(site: Site, key: tuple[str, ...], value: Any) -> None:
    if len(site.fragments) > 1000:  # roots come from requests (proxies): stay bounded
        site.fragments.clear()
    site.fragments[key] = value


def render(template: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("alternates", [])
    context.setdefault("queries", [])
    context.setdefault("jsonld", None)
    body = render_template(f"pages/{template}", **context)
    return Response(body, status=status, mimetype="text/html")


def alternates_for(site: Site, local: str) -> list[dict[str, str]]:
    """The entity's RDF representations, for <link rel="alternate"> and the formats list."""
    return [{"name": fmt.name, "type": fmt.media_type,
             "href": request.script_root + site.iris.data_path(local, fmt.suffix)}
            for fmt in RDF_FORMATS.values()]


def query_links(site: Site, *pairs: tuple[str, str, str | None]) -> list[dict[str, str]]:
    """[(title, query name, bound IRI)] -> links that open each query in the editor."""
    editor = request.script_root + "/sparql?"
    return [{"title": title, "name": f"{name}.rq",
             "href": editor + site.queries.link(name, this)}
            for title, name, this in pairs]


def remembered(site: Site, key: tuple[str, ...], produce: Callable[[], Response]) -> Response:
    """The response for `key`, made once per build: pages only change with the build.
    Keys carry the request's root, since pages link to it."""
    full_key = ("body", request.url_root, *key)

    def make() -> tuple[bytes, int, str]:
        response = produce()
        return response.get_data(), response.status_code, response.mimetype or "text/html"

    body, status, mimetype = site.pages.get(full_key, make)
    if status != 200:
        site.pages.forget(full_key)
    return Response(body, status=status, mimetype=mimetype)


def not_found(what: str, fmt: str = HTML) -> Response:
    if fmt != HTML:
        return Response(f"Not found: {what}\n", status=404, mimetype="text/plain")
    return render("not_found.html", status=404, what=what, title="Not found")


def positive_int(name: str, default: int = 0) -> int:
    """A whole-number request argument, at least 0; `default` when it is not a number."""
    try:
        return max(0, int(request.args.get(name, default)))
    except ValueError:
        return default
