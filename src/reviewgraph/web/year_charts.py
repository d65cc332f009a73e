"""What the per-year charts of the home, locality, agency, theme, keyword and outcome pages
link to, as every insight chart does: the query behind the chart (queries/insights/
reviews-per-year.rq with the page's filter written in, opened in the query editor) and the
chart's data as CSV.

    /reviews/per-year.csv     reviews per year, for the reviews the index's filters select

The pages' templates call `year_chart_links(index_link)` under the chart, with the link to
the index filtered to the page's reviews (none: the whole collection).
"""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, Flask, Response, request, url_for
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from reviewgraph.web.collection import parse_filters
from reviewgraph.web.insights import (
    Selection,
    _queries,
    bound_query,
    csv_download,
    remembered,
    selection_of,
)
from reviewgraph.web.site import Site

QUERY = "reviews-per-year"


def per_year_csv(selection: Selection) -> str:
    """Year and reviews, one row a year from the first to the last (years without a review
    included, as the chart shows them)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["year", "reviews"])
    writer.writerows(selection.collection.per_year(selection.members))
    return out.getvalue()


def register_year_charts(app: Flask, site: Site) -> None:
    """Add the per-year CSV route and the `year_chart_links` template global to `app`."""
    app.register_blueprint(create_blueprint(site))


def create_blueprint(site: Site) -> Blueprint:
    bp = Blueprint("year_charts", __name__)

    @bp.app_template_global("year_chart_links")
    def year_chart_links(index_link: str = "") -> Markup:
        """The chart's query and CSV links, for the reviews `index_link` selects."""
        query, chosen = parse_filters(MultiDict(parse_qsl(urlsplit(index_link).query)))
        selection = Selection(site.collection, site, query, chosen)
        text = bound_query(_queries(site).texts[QUERY], selection)
        query_href = request.script_root + "/sparql?" + urlencode({"query": text})
        params = selection.params()
        csv_href = url_for("year_charts.per_year") + ("?" + urlencode(params) if params else "")
        return Markup(
            '<ul class="inline insight-links">\n'
            f'  <li><a href="{escape(query_href)}">The query behind this chart</a> '
            f'<span class="muted">({QUERY}.rq, opens in the query editor)</span></li>\n'
            f'  <li><a href="{escape(csv_href)}" type="text/csv" download>'
            "The chart's data as CSV</a></li>\n</ul>")

    @bp.route("/reviews/per-year.csv")
    def per_year() -> Response:
        key = ("per-year-csv", request.query_string.decode("latin-1"))
        return remembered(site, key, lambda: csv_download(per_year_csv(selection_of(site)),
                                                          "reviews-per-year.csv"))

    return bp


__all__ = ["register_year_charts"]
