"""Directory pages, as a vocabulary browser has them: /page/theme/, /page/keyword/,
/page/agency/, /page/locality/ (Places) and /page/partnership/ list every entity of their
kind A–Z, each once, with how many reviews it has, narrower concepts beneath broader ones and
agencies under their kind. A scheme's page lists its concepts the same way (`concept_list`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import Response, request

from reviewgraph.web.collection import Iri
from reviewgraph.web.linkeddata import conditional
from reviewgraph.web.page_queries import Value
from reviewgraph.web.site import Site, describe
from reviewgraph.web.views.common import (
    alternates_for,
    current_site,
    query_links,
    remembered,
    render,
)


@dataclass(frozen=True)
class Directory:
    kind: str  # the IRIs' first path segment, and the URL: /page/{kind}/
    title: str
    facet: str | None  # the reviews index facet that counts its reviews (None: the query does)
    lede: str
    grouped: bool = False  # `group` is a grouping (agency kind), not a broader member


DIRECTORIES = {d.kind: d for d in (
    Directory("theme", "Learning themes", "theme",
              "Themes of learning that recur across reviews, matched in their learning points "
              "and recommendations."),
    Directory("keyword", "Keywords", "keyword",
              "Subject keywords the NSPCC Library gives each review."),
    Directory("agency", "Agencies", "agency",
              "Services, organisations and multi-agency arrangements that reviews name or "
              "address recommendations to, under the kind of agency each is.", grouped=True),
    Directory("locality", "Places", "locality",
              "The local authority areas reviews come from, under their nation.", grouped=True),
    Directory("partnership", "Partnerships", None,
              "Safeguarding partnerships and boards, with the reviews they published."),
)}


def directory(kind: str) -> Response:
    site = current_site()
    found = DIRECTORIES[kind]
    key = ("directory", kind)

    def produce() -> Response:
        rows = site.cached_select(f"directory-{kind}")
        items = concept_list(site, rows, found.facet, grouped=found.grouped)
        # A directory that is also an entity (the agencies scheme is {base}agency/) offers
        # that entity's data.
        iri = site.iris.iri(f"{kind}/")
        described = iri is not None and describe(site, iri) is not None
        jsonld: dict[str, Any] = {
            "@context": "https://schema.org/", "@type": "DefinedTermSet", "name": found.title,
            "url": request.url_root.rstrip("/") + request.path}
        if described:
            jsonld["@id"] = iri
        return render("directory.html", title=found.title, directory=found, items=items,
                      total=len(rows), jsonld=jsonld,
                      alternates=alternates_for(site, f"{kind}/") if described else [],
                      queries=query_links(site, (found.title, f"directory-{kind}", None)))

    return conditional(request, site.stamp, key, lambda: remembered(site, key, produce))


def concept_list(site: Site, rows: list[dict[str, Value | None]], facet: str | None,
                 grouped: bool = False) -> list[dict[str, Any]]:
    """Members A–Z, each once, with its count of reviews; members whose `group` is another
    member sit beneath it (narrower under broader). With `grouped`, members go under their
    group (an agency kind) instead, the groups A–Z."""
    labels: dict[str, str] = {}
    groups: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = {}
    group_labels: dict[str, str] = {}  # groups' labels (an IRI's, or a nation's name)
    for row in rows:
        subject = row["member"]
        if not isinstance(subject, Iri):
            continue
        labels.setdefault(subject, str(row.get("label") or site.label(subject)))
        group = row.get("group")
        if isinstance(group, Iri):
            groups[subject].add(group)
            if row.get("groupLabel") is not None:
                group_labels[group] = str(row["groupLabel"])
        elif group is not None and grouped:  # a group named by text (a nation)
            groups[subject].add(str(group))
            group_labels[str(group)] = str(group)
        if row.get("reviews") is not None:
            counts[subject] = int(str(row["reviews"]))
    collection = site.collection
    for member in labels:
        if member not in counts:
            value = (collection.value_for_iri(facet, member) if facet
                     else collection.any_value_for_iri(member))
            counts[member] = value.count if value is not None else 0

    def item(member: str, children: list[dict[str, Any]]) -> dict[str, Any]:
        view = site.value_view(Iri(member), labels[member])
        label = labels[member]
        return {"label": label, "href": view["href"], "count": counts[member],
                "letter": _letter(label), "children": children}

    def by_label(members: set[str] | list[str]) -> list[str]:
        return sorted(members, key=lambda m: (labels[m].casefold(), m))

    if grouped:
        kinds: dict[str | None, list[str]] = defaultdict(list)
        for member in labels:
            kind = min(groups[member], default=None)
            kinds[kind].append(member)
        def group_label(kind: str | None) -> str:
            if kind is None:
                return "Other"
            return group_labels.get(kind) or site.label(kind)

        result = []
        for kind in sorted(kinds, key=lambda k: (k is None, group_label(k).casefold())):
            heading = group_label(kind)
            result.append({"label": heading[:1].upper() + heading[1:],
                           "href": site.href(kind) if isinstance(kind, Iri) else None,
                           "count": None,
                           "letter": _letter(heading), "group": True,
                           "children": [item(m, []) for m in by_label(kinds[kind])]})
        return result
    narrower: dict[str, list[str]] = defaultdict(list)
    top = []
    for member in labels:
        parents = [g for g in groups[member] if g in labels and g != member]
        if parents:
            for parent in parents:
                narrower[parent].append(member)
        else:
            top.append(member)

    def tree(member: str, seen: frozenset[str]) -> dict[str, Any]:
        children = [tree(child, seen | {child}) for child in by_label(narrower[member])
                    if child not in seen]
        return item(member, children)

    return [tree(member, frozenset({member})) for member in by_label(top)]


def _letter(label: str) -> str:
    first = label[:1].upper()
    return first if first.isalpha() else "#"

