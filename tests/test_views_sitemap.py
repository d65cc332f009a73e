"""The sitemap (views/sitemap.py) on the sample build: one file while it fits, else an index
of parts that together list every page once. The part size is lowered here so the sample's
few hundred pages need several parts, as 100,000 reviews need several of 50,000."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from pages_support import sample_app

from reviewgraph.web.views import sitemap

LOC = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return sample_app(tmp_path_factory.mktemp("sitemap") / "build")


def _locations(app: Flask, path: str) -> tuple[str, list[str]]:
    response = app.test_client().get(path)
    assert response.status_code == 200, path
    root = ET.fromstring(response.data)
    return root.tag.split("}")[1], [element.text or "" for element in root.iter(LOC)]


def test_one_file_while_it_fits(app: Flask) -> None:
    kind, pages = _locations(app, "/sitemap.xml")
    assert kind == "urlset" and len(pages) == len(set(pages)) > 100
    assert "http://localhost/page/review/2025-birmingham-baby-a" in pages
    assert app.test_client().get("/sitemap.xml?part=1").status_code == 404


def test_an_index_of_parts_lists_every_page_once(app: Flask,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _, every = _locations(app, "/sitemap.xml")
    monkeypatch.setattr(sitemap, "SITEMAP_PART", 40)
    kind, parts = _locations(app, "/sitemap.xml")
    assert kind == "sitemapindex"
    assert parts == [f"http://localhost/sitemap.xml?part={n}"
                     for n in range(1, -(-len(every) // 40) + 1)]
    listed: list[str] = []
    for part in parts:
        kind, pages = _locations(app, part.removeprefix("http://localhost"))
        assert kind == "urlset" and len(pages) <= 40
        listed += pages
    assert listed == every
    assert app.test_client().get(f"/sitemap.xml?part={len(parts) + 1}").status_code == 404


def test_paths_are_made_once_per_build(app: Flask) -> None:
    site = app.extensions["reviewgraph.pages"]
    assert sitemap.entity_paths(site) is sitemap.entity_paths(site)
