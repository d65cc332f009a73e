"""Reading page files: plain text and saved HTML become numbered lines; bad files are clear
errors naming the file."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest

from reviewgraph.errors import ReviewGraphError
from reviewgraph.paths import SOURCES_DIR
from reviewgraph.sources import (
    HtmlLineCache,
    NumberedLine,
    _parse_html,
    html_lines,
    page_files,
    read_captures,
    read_page,
)

PAGES = Path(__file__).parent / "fixtures" / "pages"
SAMPLE = SOURCES_DIR / "nspcc-new-in-the-collection-2025.txt"


def test_text_page_keeps_its_line_numbers(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("First line\n\n   \nSecond  line\twith tabs \n", encoding="utf-8")
    result = read_page(page)
    assert result.lines == [NumberedLine(1, "First line"), NumberedLine(4, "Second line with tabs")]
    assert (result.encoding, result.is_html, result.file) == ("utf-8", False, str(page))


def test_sample_page_reads_every_line():
    page = read_page(SAMPLE)
    assert len(page.lines) == 51
    assert page.lines[3] == NumberedLine(4, "2025 – Birmingham - Baby A")


def test_html_blocks_become_lines_with_their_element_line():
    html = (
        "<html><head><title>T</title><style>p{}</style><script>var x = '<p>no</p>';</script>"
        "</head>\n<body>\n<header><nav><a>Home</a></nav></header>\n"
        "<h2>2023 &ndash; Kent - Child Q</h2>\n"
        "<p>First <strong>bold</strong> and\n   wrapped   text.</p>\n"
        "<ul><li>one</li>\n<li>two<br>three</li></ul>\n"
        "<div role=\"navigation\">Breadcrumb</div>\n"
        "<footer>Footer text</footer>\n<p>Last&nbsp;para</p></body></html>\n"
    )
    assert html_lines(html) == [
        NumberedLine(4, "2023 – Kent - Child Q", "h2"),
        NumberedLine(5, "First bold and wrapped text.", "p"),
        NumberedLine(7, "one", "li"),
        NumberedLine(8, "two", "li"),
        NumberedLine(8, "three", "li"),
        NumberedLine(11, "Last para", "p"),
    ]


def test_saved_html_page_drops_scripts_styles_and_navigation():
    page = read_page(PAGES / "collection-page.html")
    texts = [line.text for line in page.lines]
    assert page.is_html
    assert "Skip to main content" in texts  # a bare link: left for the parser's furniture rules
    assert not any("dataLayer" in text or "font-family" in text for text in texts)
    assert not any(text in {"Home", "Library", "Training"} for text in texts)  # nav
    assert not any("Registered charity" in text for text in texts)  # footer
    heading = next(line for line in page.lines if line.text == "2023 – Norfolk - Baby E")
    assert heading.tag == "h3" and heading.number == 33


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("2025 – Kent – Child’s page".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "2025 – Kent".encode(), "utf-8"),
        ("2025 – Kent – Child’s page".encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + "2025 – Kent".encode("utf-16-be"), "utf-16"),
        ("2025 – Kent – Child’s page".encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_that_decode(tmp_path, data, encoding):
    page = tmp_path / "page.txt"
    page.write_bytes(data)
    result = read_page(page)
    assert result.encoding == encoding
    assert result.lines[0].text.startswith("2025 – Kent")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.txt", "the file is empty"),
        ("binary-page.txt", "looks like a binary file"),
        ("bad-encoding.txt", "cannot read the text encoding: not UTF-8"),
    ],
)
def test_bad_files_are_clear_errors(name, message):
    path = PAGES / "bad" / name
    with pytest.raises(ReviewGraphError) as error:
        read_page(path)
    assert str(error.value).startswith(f"{path}: {message}")


def test_undecodable_error_says_which_encodings_were_tried():
    with pytest.raises(ReviewGraphError) as error:
        read_page(PAGES / "bad" / "bad-encoding.txt")
    assert "UTF-16" in str(error.value) and "Windows-1252" in str(error.value)
    assert "0x81" in str(error.value)


def test_missing_folder_whitespace_and_control_characters(tmp_path):
    with pytest.raises(ReviewGraphError, match="no such file"):
        read_page(tmp_path / "missing.txt")
    with pytest.raises(ReviewGraphError, match="is a folder"):
        read_page(tmp_path)
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\t\n", encoding="utf-8")
    with pytest.raises(ReviewGraphError, match="empty"):
        read_page(blank)
    controls = tmp_path / "controls.txt"
    controls.write_bytes(bytes(range(1, 9)) * 10)
    with pytest.raises(ReviewGraphError, match="binary"):
        read_page(controls)
    only_markup = tmp_path / "markup.html"
    only_markup.write_text("<html><script>x()</script></html>", encoding="utf-8")
    with pytest.raises(ReviewGraphError, match="no readable text"):
        read_page(only_markup)


def test_text_lines_collapse_every_kind_of_white_space():
    import re

    from reviewgraph.sources import text_lines

    spaces = [chr(code) for code in range(0x3000 + 1) if chr(code).isspace()]
    text = "\n".join(f"{space}a{space}{space}b{space}" for space in spaces) + "\n\u00a0\n x \t y"
    expected = [line for line in (re.sub(r"\s+", " ", raw.replace("\u00a0", " ")).strip()
                                  for raw in text.splitlines()) if line]
    assert [line.text for line in text_lines(text)] == expected


# --- folders, sidecars, links ---------------------------------------------------------------
HARVEST = Path(__file__).parent / "fixtures" / "harvest"


def test_a_folder_gives_its_pages_at_any_depth_skipping_dot_folders(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".harvest").mkdir()
    for name in ("a/one.txt", "a/b/two.HTML", "a/b/three.htm", ".harvest/skip.html",
                 "a/notes.json", "a/b/readme.md"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = page_files([tmp_path / "a", tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a/b/three.htm", "a/b/two.HTML", "a/one.txt"]
    assert page_files([tmp_path / "a" / "one.txt", tmp_path / "a"]) == found  # no repeats


def test_a_folder_without_pages_is_an_error(tmp_path):
    with pytest.raises(ReviewGraphError, match="no pages"):
        page_files([tmp_path])


def test_a_harvested_page_reads_its_sidecar_title_and_links():
    page = next(p for p in sorted(HARVEST.glob("*.html"))
                if len(read_captures(p)) == 2)  # March, captured again unchanged in April
    result = read_page(page)
    assert [c.capture_time for c in result.captures] == ["2025-03-04T12:00:00Z",
                                                          "2025-04-04T12:00:00Z"]
    assert result.captures[0].archive == "Internet Archive"
    assert result.captures[0].replay_url.startswith("https://web.archive.org/web/20250304")
    assert result.address == "https://learning.nspcc.org.uk/case-reviews/monthly-case-reviews-update"
    assert result.title == "Case reviews update"
    links = [link for line in result.lines for link in line.links]
    assert ("Read the overview report",
            "https://library.nspcc.org.uk/HeritageScripts/Hapi.dll/search2?searchTerm0=C9001") \
        in links


def test_relative_links_resolve_against_the_capture_address(tmp_path):
    (tmp_path / "p.html").write_text('<p><a href="/r/1.pdf">Read the report</a></p>',
                                     encoding="utf-8")
    (tmp_path / "p.json").write_text(
        '{"captures": [{"url": "https://example.org/list/", "archive": "live", '
        '"capture_time": "2025-01-01T00:00:00Z", "replay_url": null}]}', encoding="utf-8")
    (line,) = read_page(tmp_path / "p.html").lines
    assert line.links == (("Read the report", "https://example.org/r/1.pdf"),)


@pytest.mark.parametrize("sidecar, message", [
    ("not json", "cannot read the page's sidecar"),
    ('{"captures": {}}', "a list of \"captures\""),
    ('{"captures": [{"url": "ftp://x", "archive": "live", '
     '"capture_time": "2025-01-01T00:00:00Z"}]}', "capture 1: \"url\""),
    ('{"captures": [{"url": "https://x.org/", "archive": "", '
     '"capture_time": "2025-01-01T00:00:00Z"}]}', "capture 1: \"archive\""),
    ('{"captures": [{"url": "https://x.org/", "archive": "live", '
     '"capture_time": "1 March 2025"}]}', "capture 1: \"capture_time\""),
])
def test_bad_sidecars_are_errors_naming_the_file(tmp_path, sidecar, message):
    (tmp_path / "p.txt").write_text("2025 – Kent - Child Q\n", encoding="utf-8")
    (tmp_path / "p.json").write_text(sidecar, encoding="utf-8")
    with pytest.raises(ReviewGraphError, match=re.escape(message)) as error:
        read_page(tmp_path / "p.txt")
    assert "p.json" in str(error.value)


def test_a_page_without_a_sidecar_has_no_captures():
    assert read_captures(SAMPLE) == () and read_page(SAMPLE).captures == ()


# --- the HTML line cache (many captures of one page) -----------------------------------------
CAPTURE_HEAD = ("<!DOCTYPE html>\n<html><head><title>Case reviews\n published</title>\n"
                "<script>var s = '<p>';\n</script></head>\n<body><nav><a href=\"/\">Home</a>"
                "</nav>\n<main>\n<h1>Case reviews</h1>\n")
CAPTURE_ENTRIES = [
    "<h3>2023 &ndash; Kent - Child Q</h3>\n<p>A made-up account\nover two lines.</p>\n"
    "<p><a href=\"report-q.pdf\">Read the\noverview report</a></p>\n",
    "<h3>2024 – Devon - Child R</h3>\n<ul><li>one</li>\n<li>two</li></ul>\n<p>Text &amp; more"
    "\n</p><!-- a\ncomment -->\n<p>Keywords: neglect</p>\n",
    "<div><p>Open <strong>across\n</strong>lines</div>\n<p>Last</p>\n",
]


def test_html_lines_read_again_from_the_cache_give_what_reading_the_page_gives(tmp_path):
    """Made-up captures of one page as it grows (entries added above and below, the rest
    moved down) read through one cache give the lines and title each gives read alone."""
    cache = HtmlLineCache()
    captures = [[0], [0, 1], [1, 0, 2], [2, 1, 0], [0, 1, 2]]
    for number, entries in enumerate(captures):
        page = tmp_path / f"capture-{number}.html"
        page.write_text(CAPTURE_HEAD + "".join(CAPTURE_ENTRIES[e] for e in entries)
                        + "</main></body></html>\n", encoding="utf-8")
        assert read_page(page, cache) == read_page(page), page.name
    assert read_page(page).title == "Case reviews"
    assert cache.hits > 20


def test_the_title_is_the_same_however_the_page_is_fed():
    for html in ("<title>Case\nreviews</title><p>x</p>", "<title>\n</title><h1>y</h1>",
                 "<title><script>s</script>later</title>", "<title>A<!-- c -->B</title>"):
        cache = HtmlLineCache()
        fed_whole = _parse_html(html)
        assert (_parse_html(html, cache).title, _parse_html(html, cache).title) == \
            (fed_whole.title, fed_whole.title)
        assert _parse_html(html, cache).lines == fed_whole.lines
