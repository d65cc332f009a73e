"""The collection as CSV tables: the reviews (all, or those the index's filters chose)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from reviewgraph.web.site import Site


def csv_cell(text: str) -> str:
    # Spreadsheets run cells that start with these as formulas: keep them text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def reviews_csv(site: Site, members: int | None = None) -> str:
    """The reviews as CSV: all, or those of the bit set `members` (the index's filters)."""
    collection = site.collection
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = ["iri", "title", "year", "locality", "region", "review type", "report type",
               "outcome", "child age band", "keywords", "themes", "agencies", "summary"]
    writer.writerow(columns)
    for entry in collection.reviews:
        if members is not None and not members >> entry.position & 1:
            continue
        values: dict[str, list[str]] = defaultdict(list)
        for value in collection.values_of[entry.position]:
            values[value.facet].append(value.label)
        row = [entry.iri, entry.title, str(entry.year)]
        row += ["; ".join(sorted(values[f])) for f in
                ("locality", "region", "type", "report", "outcome", "age", "keyword", "theme",
                 "agency")]
        row.append(entry.summary)
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()

