"""One search: the search test set (tests/fixtures/search/questions.csv) against the real app
built from the sample page, facets and typed topics agreeing, and the search index itself."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from pages_support import sample_app

from reviewgraph.web.search import SearchIndex, stem, stems_of

QUESTIONS = Path(__file__).parent / "fixtures" / "search" / "questions.csv"
REVIEW_LINK = re.compile(r'<h3><a href="/page/review/2025-([^"]+)"')


def _questions() -> list[dict[str, str]]:
    with QUESTIONS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    return sample_app(tmp_path_factory.mktemp("build")).test_client()


def _found(client: FlaskClient, **args: str) -> list[str]:
    response = client.get("/reviews", query_string=args)
    assert response.status_code == 200
    return REVIEW_LINK.findall(response.get_data(as_text=True))


@pytest.mark.parametrize("row", _questions(), ids=[row["question"] for row in _questions()])
def test_search_test_set(client: FlaskClient, row: dict[str, str]) -> None:
    found = _found(client, q=row["question"])
    assert sorted(found) == sorted(row["expected"].split()), row["why"]
    assert len(found) == len(set(found))


def test_the_test_set_asks_the_issues_questions() -> None:
    questions = {row["question"] for row in _questions()}
    assert {"infant", "infants", "infant death", "domestic abuse"} <= questions
    assert len(questions) >= 15


@pytest.mark.parametrize("facet", ["keyword", "theme", "agency", "locality"])
def test_a_topic_typed_finds_every_review_the_facet_finds(client: FlaskClient,
                                                          facet: str) -> None:
    # Every value of the facet, typed as a search, finds at least the reviews that have it.
    page = client.get("/reviews", query_string={"more": facet}).get_data(as_text=True)
    section = page.split(f'id="facet-{facet}"', 1)[1].split("</section>", 1)[0]
    values = re.findall(rf'href="/reviews\?{facet}=([^"&]+)"[^>]*>([^<]+)</a>', section)
    assert values, f"no {facet} values on the page"
    for key, label in values:
        label = label.replace("&#39;", "'").replace("&amp;", "&")
        chosen = set(_found(client, **{facet: key}))
        typed = set(_found(client, q=label))
        assert chosen <= typed, (facet, label, chosen - typed)


def test_the_page_says_why_a_search_finds_more_than_a_keyword(client: FlaskClient) -> None:
    page = client.get("/reviews", query_string={"q": "domestic abuse"}).get_data(as_text=True)
    note = re.search(r'<p class="note" id="topic-note">(.*?)</p>', page, re.S)
    assert note, "no note on a topic that is also a keyword and a theme"
    text = re.sub(r"<[^>]+>", "", note.group(1))
    assert "the keyword domestic abuse (3 reviews)" in text
    assert "the learning theme domestic abuse" in text
    assert 'href="/reviews?keyword=domestic-abuse"' in note.group(1)
    # A search that names no topic has no note.
    page = client.get("/reviews", query_string={"q": "knife crime"}).get_data(as_text=True)
    assert 'id="topic-note"' not in page


def test_snippets_mark_the_words_a_stem_matched(client: FlaskClient) -> None:
    page = client.get("/reviews", query_string={"q": "infant death"}).get_data(as_text=True)
    assert "<mark>infant</mark> <mark>deaths</mark>" in page
    assert "<mark>died</mark>" in page  # Eli and Micah's summary


def test_stems_join_word_forms() -> None:
    assert stem("infants") == stem("infant")
    assert stem("deaths") == stem("death") == stem("died")
    assert stems_of("Infant Deaths") == stems_of("infant death")


def test_index_finds_by_stem_and_by_beginning() -> None:
    index = SearchIndex([["Infant deaths"], ["Safeguarding infants"], ["Older children"]])
    assert index.search("infant")[0] == 0b011
    assert index.search("INFANTS death")[0] == 0b001
    assert index.search("safeg")[0] == 0b010
    assert index.search("nothing")[0] == 0
    assert index.search("")[0] == 0b111
    pattern = index.pattern(["infant"])
    assert pattern is not None
    assert pattern.findall("Infant deaths; infants") == ["Infant", "infants"]
