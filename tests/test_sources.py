"""Reading page files: plain text and saved HTML become numbered lines; bad files are clear
errors naming the file."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from reviewgraph.errors import ReviewGraphError
from reviewgraph.paths import SOURCES_DIR
from reviewgraph.sources import NumberedLine, html_lines, read_page

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
