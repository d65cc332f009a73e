"""The site's pages, one module per page kind, on one blueprint ("pages", so every endpoint
name, URL and template stays as it is):

    /                       home.py: what the collection holds, newest reviews, search box
    /reviews                reviews.py: full-text search, combinable facets, sorting, paging
    /id/{path}              entities.py: an entity IRI ({base}{path}): 303 to its page or data
                            by Accept (documents: review, source, learning, recommendation,
                            report are served from the IRI itself, Vary: Accept)
    /page/{path}            entities.py: the HTML page about an entity (review_page.py,
                            concepts.py say what a review's and a concept's pages add)
    /data/{path}[.ttl|.nt|.jsonld|.rdf]   entities.py: its RDF description
    /def/{term}, /ontology, /ontology.{suffix}, /shapes, /shapes/{file}   ontology.py
    /downloads, /downloads/{file}, /.well-known/void   downloads.py
    /sitemap.xml            sitemap.py

Each route is a module-level function reaching the app's shared `Site` through
`common.current_site()`; `register_pages` makes the Site (no global state) and registers it.
The reviews index, home page, facet counts and charts come from the per-build index
(`collection.py`); every SPARQL query a page runs is a named `.rq` file it links to.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Flask
from markupsafe import Markup

from reviewgraph.store import PageSource
from reviewgraph.web.page_queries import WEB_DIR
from reviewgraph.web.render import (
    TEMPLATE_GLOBALS,
    curie,
    date_in_words,
    number,
    script_json,
)
from reviewgraph.web.site import Site
from reviewgraph.web.views import (
    directories,
    downloads,
    entities,
    home,
    ontology,
    reviews,
    sitemap,
)
from reviewgraph.web.views.common import (
    SITE_EXTENSION,
    navigation,
    site_links,
    template_context,
)
from reviewgraph.web.views.directories import DIRECTORIES

ROUTES: list[tuple[str, Any]] = [
    ("/", home.home),
    ("/reviews", reviews.reviews),
    ("/id/<path:local>", entities.thing),
    ("/page/<path:local>", entities.page),
    ("/data/<path:local>", entities.data),
    # Directories, before /page/<path>: /page/theme/ lists every theme (not a 404).
    (f"/page/<any({','.join(DIRECTORIES)}):kind>/", directories.directory),
    ("/def/", ontology.ontology_term),
    ("/def/<term>", ontology.ontology_term),
    ("/ontology", ontology.ontology),
    ("/ontology.<suffix>", ontology.ontology_file),
    ("/shapes", ontology.shapes),
    ("/shapes/<name>", ontology.shape_file),
    ("/downloads", downloads.data_page),
    ("/downloads/<name>", downloads.download),
    ("/.well-known/void", downloads.void),
    ("/sitemap.xml", sitemap.sitemap),
]


def register_pages(app: Flask, source: PageSource, settings: Any = None) -> Site:
    """Add the entity pages and Linked Data routes to `app`; returns the shared Site."""
    site = Site(source, settings)
    app.extensions[SITE_EXTENSION] = site
    app.register_blueprint(create_blueprint())

    # Build the reviews index now, beside the server starting (seconds at 10,000 reviews);
    # a request that needs it before it is ready waits for it. Compile the templates too, so
    # the first page of each type does not pay for it.
    def prepare() -> None:
        for template in sorted((WEB_DIR / "templates" / "pages").glob("*.html")):
            app.jinja_env.get_template(f"pages/{template.name}")
        site.collection  # noqa: B018 - builds the index
        site.agency_recommendations  # noqa: B018 - and the agencies' recommendations
        downloads.class_counts(site)  # and what reads the whole graph once per build
        sitemap.entity_paths(site)

    threading.Thread(target=prepare, name="reviewgraph-index", daemon=True).start()
    return site


def create_blueprint() -> Blueprint:
    """The "pages" blueprint: every route of ROUTES, the templates, the stylesheet."""
    bp = Blueprint("pages", __name__, root_path=str(WEB_DIR), template_folder="templates",
                   static_folder="static", static_url_path="/static/pages")
    for rule, view in ROUTES:
        bp.add_url_rule(rule, view_func=view)

    bp.add_app_template_filter(number, "number")
    bp.add_app_template_filter(date_in_words, "date_words")
    bp.add_app_template_filter(curie, "curie")

    @bp.app_template_filter("script_json")
    def _script_json(data: Any) -> Markup:
        return script_json(data)

    bp.app_context_processor(template_context)

    @bp.record_once
    def _install_globals(state: Any) -> None:
        state.app.jinja_env.globals.update(TEMPLATE_GLOBALS, navigation=navigation,
                                           site_links=site_links)

    return bp


__all__ = ["Site", "create_blueprint", "register_pages"]
