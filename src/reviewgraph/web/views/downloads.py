"""Downloads: /downloads (files, VoID + DCAT description, licences and attribution; not
/data, a Graph Store path the endpoint refuses), /downloads/{file} (the whole graph and
reviews.csv) and /.well-known/void (the VoID + DCAT description as RDF)."""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph
from flask import Response, request, url_for
from markupsafe import Markup, escape
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, VOID, XSD

from reviewgraph.paths import DATA_DIR
from reviewgraph.terms import PREFIXES
from reviewgraph.web.collection import Iri
from reviewgraph.web.linkeddata import (
    HTML,
    RDF_FORMATS,
    conditional,
    format_from_query,
    negotiate,
    split_suffix,
)
from reviewgraph.web.page_queries import Text
from reviewgraph.web.site import Site, serialisation_prefixes
from reviewgraph.web.tables import reviews_csv
from reviewgraph.web.views.common import current_site, not_found, query_links, render
from reviewgraph.web.views.home import home_jsonld

REFERENCE_README = DATA_DIR / "reference" / "README.md"

def data_page() -> Response:
    site = current_site()

    def produce() -> Response:
        return render("data.html", title="Data and downloads", **data_context(site),
                      alternates=[{"name": f.name, "type": f.media_type,
                                   "href": url_for("pages.void", format=f.suffix)}
                                  for f in RDF_FORMATS.values()],
                      queries=query_links(site, ("Entities per class (VoID)", "data-void", None),
                                          ("Reference data", "data-references", None)),
                      jsonld=home_jsonld(site, len(site.collection.reviews)))

    return conditional(request, site.stamp, ("data-page",), produce)

def download(name: str) -> Response:
    site = current_site()

    def produce() -> Response:
        if name == "reviews.csv":
            response = Response(reviews_csv(site), mimetype="text/csv")
        else:
            stem, suffix = split_suffix(name)
            if stem != "reviewgraph" or suffix is None:
                return not_found(f"/downloads/{name}", "txt")
            response = whole_graph(site, suffix)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    return conditional(request, site.stamp, ("download", name), produce)

def void() -> Response:
    site = current_site()
    fmt = format_from_query(request) or negotiate(request)
    if fmt == HTML:
        fmt = "ttl"  # the description is RDF; a browser gets Turtle it can read

    def produce() -> Response:
        graph = void_graph(site, request.url_root)
        body = graph.serialize(format={"ttl": "turtle", "nt": "nt", "jsonld": "json-ld",
                                       "rdf": "xml"}[fmt])
        return Response(body, mimetype=RDF_FORMATS[fmt].media_type)

    return conditional(request, site.stamp, ("void", request.url_root, fmt), produce,
                       vary_accept=True)


def whole_graph(site: Site, suffix: str) -> Response:
    fmt = RDF_FORMATS[suffix]
    built = site.build_dir / f"reviewgraph.{suffix}"
    if built.is_file():
        return Response(built.read_bytes(), mimetype=fmt.media_type)
    body = pyoxigraph.serialize(site.sparql.triples(), format=fmt.oxigraph,
                                prefixes=serialisation_prefixes(site))
    return Response(body, mimetype=fmt.media_type)


def void_graph(site: Site, root: str) -> Graph:
    """VoID + DCAT: the build's own dataset description, plus where this server serves it."""
    dataset = URIRef(site.iris.base_iri + "dataset")
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for row in site.cached_select("entity-describe", str(dataset)):
        value = row["value"]
        if isinstance(value, Iri):
            obj: Any = URIRef(value)
        elif isinstance(value, Text):
            obj = Literal(str(value), lang=value.language,
                          datatype=URIRef(value.datatype) if value.datatype
                          and not value.language else None)
        else:
            continue
        graph.add((dataset, URIRef(str(row["property"])), obj))
    root = root.rstrip("/")
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, RDF.type, DCAT.Dataset))
    if (dataset, DCTERMS.title, None) not in graph:
        graph.add((dataset, DCTERMS.title, Literal("ReviewGraph", lang="en")))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(f"{root}/sparql")))
    graph.add((dataset, VOID.uriLookupEndpoint, URIRef(f"{root}/id/")))
    graph.add((dataset, VOID.rootResource, URIRef(f"{root}/")))
    graph.add((dataset, FOAF.homepage, URIRef(f"{root}/")))
    graph.add((dataset, DCAT.landingPage, URIRef(f"{root}/downloads")))
    for fmt in RDF_FORMATS.values():
        if fmt.suffix == "rdf":
            continue
        url = URIRef(f"{root}/downloads/reviewgraph.{fmt.suffix}")
        graph.add((dataset, VOID.dataDump, url))
        distribution = URIRef(f"{site.iris.base_iri}dataset/distribution/{fmt.suffix}")
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(f"ReviewGraph in {fmt.name}", lang="en")))
        graph.add((distribution, DCAT.downloadURL, url))
        graph.add((distribution, DCAT.mediaType,
                   URIRef(f"https://www.iana.org/assignments/media-types/{fmt.media_type}")))
    service = URIRef(f"{site.iris.base_iri}dataset/sparql")
    graph.add((dataset, DCAT.distribution, URIRef(f"{site.iris.base_iri}dataset/distribution/csv")))
    csv_distribution = URIRef(f"{site.iris.base_iri}dataset/distribution/csv")
    graph.add((csv_distribution, RDF.type, DCAT.Distribution))
    graph.add((csv_distribution, DCTERMS.title, Literal("Case reviews as CSV", lang="en")))
    graph.add((csv_distribution, DCAT.downloadURL, URIRef(f"{root}/downloads/reviews.csv")))
    graph.add((csv_distribution, DCAT.mediaType,
               URIRef("https://www.iana.org/assignments/media-types/text/csv")))
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, DCAT.endpointURL, URIRef(f"{root}/sparql")))
    graph.add((service, DCAT.servesDataset, dataset))
    graph.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    entities = 0
    for index, row in enumerate(class_counts(site)):
        count = int(str(row["entities"]))
        entities += count
        partition = URIRef(f"{site.iris.base_iri}dataset/class/{index + 1}")
        graph.add((dataset, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], URIRef(str(row["class"]))))
        graph.add((partition, VOID.entities, Literal(count, datatype=XSD.integer)))
    graph.add((dataset, VOID.entities, Literal(entities, datatype=XSD.integer)))
    return graph


def class_counts(site: Site) -> list[dict[str, Any]]:
    """data-void's entities per class: counting every typed entity takes seconds at 100,000
    reviews, so it is done once per build."""
    return site.per_build("data-void", lambda: site.select("data-void"))


def data_context(site: Site) -> dict[str, Any]:
    downloads = []
    for fmt in RDF_FORMATS.values():
        if fmt.suffix == "rdf":
            continue
        built = site.build_dir / f"reviewgraph.{fmt.suffix}"
        downloads.append({"name": fmt.name, "type": fmt.media_type,
                          "href": url_for("pages.download", name=f"reviewgraph.{fmt.suffix}"),
                          "size": built.stat().st_size if built.is_file() else None})
    downloads.append({"name": "CSV of reviews", "type": "text/csv",
                      "href": url_for("pages.download", name="reviews.csv"), "size": None})
    references = [{
        "title": str(r.get("title") or r["fileName"]), "file": str(r["fileName"]),
        "citation": str(r.get("citation") or ""),
        "licence": site.value_view(r["licence"]) if r.get("licence") is not None else None,
        "origin": str(r["origin"]) if r.get("origin") is not None else None,
    } for r in site.cached_select("data-references")]
    readme = REFERENCE_README.read_text(encoding="utf-8") if REFERENCE_README.is_file() else None
    classes = [{"class": site.value_view(r["class"]), "count": int(str(r["entities"]))}
               for r in class_counts(site)]
    return {"downloads": downloads, "references": references,
            "reference_tables": markdown_tables(readme) if readme else [],
            "reference_text": readme, "classes": classes,
            "total_reviews": len(site.collection.reviews)}


_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def markdown_inline(text: str) -> Markup:
    """A Markdown table cell as HTML: escaped, with [text](https://...) links made links."""
    parts: list[Markup] = []
    cursor = 0
    for match in _MARKDOWN_LINK.finditer(text):
        parts.append(escape(text[cursor:match.start()]))
        parts.append(Markup('<a href="{}" rel="external">{}</a>').format(match.group(2),
                                                                          match.group(1)))
        cursor = match.end()
    parts.append(escape(text[cursor:]))
    return Markup("").join(parts)


def markdown_tables(text: str) -> list[dict[str, Any]]:
    """The pipe tables of a Markdown file (header + rows), for showing attribution as tables."""
    tables: list[dict[str, Any]] = []
    current: list[list[Markup]] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|"):
            cells = [markdown_inline(cell.strip().strip("`"))
                     for cell in stripped[1:-1].split("|")]
            if all(set(cell) <= set("-: ") for cell in cells):
                continue
            current.append(cells)
        elif current:
            tables.append({"header": current[0], "rows": current[1:]})
            current = []
    return tables
