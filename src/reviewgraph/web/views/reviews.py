"""The reviews index: full-text search, combinable facets with counts, sorting, paging."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Response, request, url_for

from reviewgraph.web.collection import FACET_NAMES, FACETS, SORTS, parse_filters
from reviewgraph.web.linkeddata import conditional
from reviewgraph.web.render import paging
from reviewgraph.web.site import PAGE_SIZE, entry_view, index_link
from reviewgraph.web.views.common import (
    current_site,
    positive_int,
    query_links,
    remembered,
    render,
)


def reviews() -> Response:
    site = current_site()
    key = ("reviews", request.query_string.decode("latin-1"))
    return conditional(request, site.stamp, key, lambda: remembered(site, key, build_reviews))

def build_reviews() -> Response:
    site = current_site()
    collection = site.collection
    query, selection = parse_filters(request.args)
    sort = request.args.get("sort", "newest")
    if sort not in SORTS:
        sort = "newest"
    page_number = max(1, positive_int("page", 1))
    result = collection.apply(query, selection)
    entries = collection.page(result.members, sort, (page_number - 1) * PAGE_SIZE,
                              PAGE_SIZE)
    more = request.args.get("more")
    state = _IndexState(query, selection, sort)
    facets = []
    for name, heading in FACETS:
        counts = collection.facet_counts(result, name)
        if not counts:
            continue
        limit = None if more == name else 8
        facets.append({
            "name": name, "heading": heading, "total": len(counts),
            "options": [{"label": c.value.label, "count": c.count, "selected": c.selected,
                        "href": state.toggle(name, c.value.key)}
                       for c in (counts if limit is None else counts[:limit])],
            "more": state.with_more(name) if limit is not None and len(counts) > limit
            else None,
            "fewer": state.with_more(None) if limit is None else None,
        })
    chosen = [{"facet": FACET_NAMES.get(name, name), "label": value.label,
               "href": state.toggle(name, value.key)}
              for name, values in result.selected.items() for value in values]
    # A typed topic that is also a keyword, theme, ...: say how the two differ.
    topics = [{"facet": FACET_NAMES.get(v.facet, v.facet).lower(), "label": v.label,
               "count": v.count, "href": index_link(v.facet, v.key)}
              for v in collection.topics(query)] if query.strip() else []
    items = []
    for entry in entries:
        view = entry_view(site, entry)
        view["snippets"] = collection.snippets(entry, result.terms)
        items.append(view)
    jsonld = {
        "@context": "https://schema.org/", "@type": "SearchResultsPage",
        "name": "Case reviews", "url": request.url,
        "mainEntity": {"@type": "ItemList", "numberOfItems": result.total,
                       "itemListElement": [
                           {"@type": "ListItem", "position": i + 1 + (page_number - 1)
                            * PAGE_SIZE, "url": request.url_root.rstrip("/") + v["href"],
                            "name": v["label"]}
                           for i, v in enumerate(items)]},
    }
    return render(
        "reviews.html", title="Case reviews" + (f": {query}" if query else ""),
        query=query, sort=sort, sorts=SORTS, total=result.total, items=items,
        facets=facets, chosen=chosen, state=state, topics=topics,
        paging=paging(page_number, result.total, PAGE_SIZE, state.at_page),
        alternates=[{"name": "CSV (these reviews)", "type": "text/csv",
                     "href": url_for("answers.reviews_download") + _query_of(state)},
                    {"name": "CSV (their recommendations)", "type": "text/csv",
                     "href": url_for("answers.recommendations_download")
                     + _query_of(state)},
                    {"name": "CSV (all reviews)", "type": "text/csv",
                     "href": url_for("pages.download", name="reviews.csv")}],
        queries=query_links(site, ("Reviews (the index)", "collection-reviews", None),
                            ("Facet values (the index)", "collection-facets", None),
                            ("Searchable texts (the index)", "collection-text", None)),
        jsonld=jsonld,
    )


def _query_of(state: _IndexState) -> str:
    """The index's search and facets as a query string (for pages that follow its filters)."""
    pairs = ([("q", state.query)] if state.query else []) + state.hidden_fields()
    return "?" + urlencode(pairs) if pairs else ""


class _IndexState:
    """The reviews index's query string: links that toggle one facet value keep the rest."""

    def __init__(self, query: str, selection: dict[str, list[str]], sort: str) -> None:
        self.query = query
        self.selection = selection
        self.sort = sort

    def _params(self, selection: Mapping[str, list[str]], page_number: int = 1,
                more: str | None = None) -> str:
        params: list[tuple[str, str]] = []
        if self.query:
            params.append(("q", self.query))
        for name, _ in FACETS:
            params.extend((name, value) for value in selection.get(name, []))
        if self.sort != "newest":
            params.append(("sort", self.sort))
        if page_number > 1:
            params.append(("page", str(page_number)))
        if more:
            params.append(("more", more))
        return url_for("pages.reviews") + ("?" + urlencode(params) if params else "")

    def toggle(self, facet: str, key: str) -> str:
        selection = {name: list(values) for name, values in self.selection.items()}
        values = selection.setdefault(facet, [])
        if key in values:
            values.remove(key)
        else:
            values.append(key)
        return self._params(selection)

    def at_page(self, page_number: int) -> str:
        return self._params(self.selection, page_number, request.args.get("more"))

    def with_more(self, facet: str | None) -> str:
        return self._params(self.selection, 1, facet)

    def hidden_fields(self) -> list[tuple[str, str]]:
        """The facet selection as hidden form fields, so a new search keeps the facets."""
        return [(name, value) for name, _ in FACETS for value in self.selection.get(name, [])]
