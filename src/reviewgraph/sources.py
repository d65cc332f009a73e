"""Read a saved listing page (plain text or HTML) into numbered lines of text.

Plain text keeps its own line numbers. HTML saved from the website becomes one line per block
element (paragraph, heading, list item, table cell ...), numbered by the line of the element in
the HTML file, with scripts, styles and page navigation (nav, header, footer) dropped. Every way a
file can be unreadable is a ReviewGraphError naming the file, never a traceback.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from reviewgraph.errors import ReviewGraphError


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Elements whose start or end breaks the text into a new line.
BLOCK_TAGS = _word_set(
    "address article aside blockquote body br dd details dialog div dl dt fieldset figcaption "
    "figure h1 h2 h3 h4 h5 h6 hr li main ol p pre section summary table tbody td tfoot th thead "
    "tr ul caption"
)
# Elements whose whole content is not page text: code, styling and site navigation.
SKIPPED_TAGS = _word_set(
    "script style nav header footer noscript template svg head iframe object button form select "
    "canvas"
)
VOID_TAGS = _word_set(
    "area base br col embed hr img input link meta param source track wbr"
)

# C0 control characters other than tab, newline, carriage return and form feed: a text page
# never holds them, a binary file almost always does.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class NumberedLine:
    """One non-blank line of page text and where it came from (1-based line in the file)."""

    number: int
    text: str
    tag: str | None = None  # the HTML block element it came from ("h2", "p", "li"); None for text
    # The line's links as (link text, target as written); () for text pages.
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Capture:
    """One capture of a page, as the harvester's sidecar records it (docs/harvest-folder.md)."""

    url: str  # the page's original address
    archive: str  # "live", "Internet Archive" or the name of another archive
    capture_time: str  # ISO 8601 UTC, "2025-03-04T12:00:00Z" (for live: when retrieved)
    replay_url: str | None = None  # the archive's address of the capture; None for live
    retrieved: str | None = None
    status: int | None = None


@dataclass(frozen=True)
class SourcePage:
    """A page's readable text: its non-blank lines, in order."""

    file: str  # the path as given, for messages and provenance
    encoding: str  # the encoding the bytes decoded with
    is_html: bool
    lines: list[NumberedLine]
    title: str | None = None  # an HTML page's first h1 (else its <title>); None for text
    captures: tuple[Capture, ...] = ()  # from the sidecar <stem>.json; () without one

    @property
    def address(self) -> str | None:
        """The original address of the page's latest capture (None without a sidecar)."""
        return self.captures[-1].url if self.captures else None


def decode_page(data: bytes, file: str) -> tuple[str, str]:
    """Decode a page's bytes: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252.

    Returns (text, encoding). Raises ReviewGraphError for empty, binary or undecodable bytes.
    """
    if not data.strip():
        raise ReviewGraphError(f"{file}: the file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise ReviewGraphError(
                f"{file}: starts with a UTF-16 byte order mark but is not valid UTF-16 "
                f"(byte {error.start})"
            ) from None
    elif b"\x00" in data:
        raise ReviewGraphError(f"{file}: looks like a binary file (it contains NUL bytes), "
                               "not a saved text or HTML page")
    else:
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError as utf8_error:
            try:
                # cp1252 leaves five byte values undefined, so it fails on most non-text bytes.
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError as cp_error:
                raise ReviewGraphError(
                    f"{file}: cannot read the text encoding: not UTF-8 (bad byte 0x"
                    f"{data[utf8_error.start]:02x} at offset {utf8_error.start}), not UTF-16 "
                    f"(no byte order mark), not Windows-1252 (undefined byte 0x"
                    f"{data[cp_error.start]:02x} at offset {cp_error.start}); save the page "
                    "as UTF-8"
                ) from None
    controls = len(_CONTROL.findall(text))
    if controls and controls * 100 >= len(text) or controls > 20:
        raise ReviewGraphError(
            f"{file}: looks like a binary file ({controls} control characters after decoding as "
            f"{encoding}), not a saved text or HTML page"
        )
    if not text.strip():
        raise ReviewGraphError(f"{file}: the file is empty (only white space)")
    return text, encoding


def looks_like_html(text: str, path: Path) -> bool:
    if path.suffix.lower() in {".html", ".htm", ".xhtml"}:
        return True
    head = text.lstrip()[:500].lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head


def read_page(path: str | Path, cache: HtmlLineCache | None = None) -> SourcePage:
    """Read a saved page file into its non-blank lines (`cache`: HTML lines read before, see
    HtmlLineCache)."""
    file = str(path)
    path = Path(path)
    if not path.exists():
        raise ReviewGraphError(f"{file}: no such file")
    if path.is_dir():
        raise ReviewGraphError(f"{file}: is a folder, not a page file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReviewGraphError(f"{file}: cannot read the file ({error.strerror})") from None
    text, encoding = decode_page(data, file)
    captures = read_captures(path)
    title = None
    if looks_like_html(text, path):
        parser = _parse_html(text, cache)
        lines, is_html = parser.lines, True
        title = next((line.text for line in lines if line.tag == "h1"), None) or parser.title
        if captures:  # relative links are relative to the page's address
            base = captures[-1].url
            lines = [line if not line.links else NumberedLine(
                line.number, line.text, line.tag,
                tuple((text, _joined(base, href)) for text, href in line.links))
                for line in lines]
    else:
        lines = text_lines(text)
        is_html = False
    if not lines:
        raise ReviewGraphError(f"{file}: the page has no readable text")
    return SourcePage(file=file, encoding=encoding, is_html=is_html, lines=lines, title=title,
                      captures=captures)


@lru_cache(maxsize=65_536)
def _joined(base: str, href: str) -> str:
    """urljoin, kept: the captures of a page repeat its links."""
    return urljoin(base, href)


# --- folders and sidecars ---------------------------------------------------------------------
PAGE_SUFFIXES = (".txt", ".html", ".htm")
_CAPTURE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$")


def page_files(paths: Iterable[str | Path]) -> list[Path]:
    """The page files of the paths given: a file as it is, a folder's pages (.txt, .html,
    .htm) at any depth, skipping folders whose name starts with "." (the harvester's state).
    Sorted and without repeats, so the order the paths were given in does not matter."""
    found: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            folder_pages = [page for page in path.rglob("*")
                            if page.suffix.lower() in PAGE_SUFFIXES and page.is_file()
                            and not any(part.startswith(".")
                                        for part in page.relative_to(path).parts[:-1])]
            if not folder_pages:
                raise ReviewGraphError(f"{path}: no pages (*.txt, *.html, *.htm) in this folder")
            found.update(folder_pages)
        else:
            found.add(path)
    return sorted(found, key=lambda page: page.as_posix())


def read_captures(page: Path) -> tuple[Capture, ...]:
    """The captures of a page from its sidecar `<stem>.json` (docs/harvest-folder.md), sorted by
    (capture time, archive, address); () when the page has no sidecar."""
    sidecar = page.with_suffix(".json")
    if not sidecar.is_file():
        return ()
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ReviewGraphError(f"{sidecar}: cannot read the page's sidecar: {error}") from None
    entries = data.get("captures") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ReviewGraphError(f"{sidecar}: a sidecar needs a list of \"captures\"")
    captures = []
    for number, entry in enumerate(entries, start=1):
        where = f"{sidecar}: capture {number}"
        if not isinstance(entry, dict):
            raise ReviewGraphError(f"{where}: not a JSON object")
        url, archive, time = entry.get("url"), entry.get("archive"), entry.get("capture_time")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ReviewGraphError(f"{where}: \"url\" must be an http(s) address")
        if not isinstance(archive, str) or not archive.strip():
            raise ReviewGraphError(f"{where}: \"archive\" must name the archive (or \"live\")")
        if not isinstance(time, str) or not _CAPTURE_TIME.match(time):
            raise ReviewGraphError(f"{where}: \"capture_time\" must be like "
                                   "2025-03-04T12:00:00Z")
        replay = entry.get("replay_url")
        if replay is not None and (not isinstance(replay, str)
                                   or not replay.startswith(("http://", "https://"))):
            raise ReviewGraphError(f"{where}: \"replay_url\" must be an http(s) address or null")
        retrieved, status = entry.get("retrieved"), entry.get("status")
        captures.append(Capture(url, archive.strip(), time, replay,
                                retrieved if isinstance(retrieved, str) else None,
                                status if isinstance(status, int) else None))
    return tuple(sorted(captures, key=lambda c: (c.capture_time, c.archive, c.url)))


def text_lines(text: str) -> list[NumberedLine]:
    """Plain text: every non-blank line, white space collapsed, with its line number."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        # str.split() splits on exactly the characters \s matches (no-break space included),
        # so this is _SPACE.sub(" ", raw).strip() without a regex replacement per space.
        cleaned = " ".join(raw.split())
        if cleaned:
            lines.append(NumberedLine(number, cleaned))
    return lines


class _BlockTextParser(HTMLParser):
    """Collects the text of block elements as lines, skipping non-content elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[NumberedLine] = []
        self._parts: list[str] = []
        self._line: int | None = None  # line of the block element the current text belongs to
        self._tag: str | None = None
        self._block_stack: list[tuple[str, int]] = []
        self._skip_depth = 0
        self._skip_stack: list[str] = []
        self._links: list[tuple[str, str]] = []  # the links of the current line
        self._link: tuple[str, list[str]] | None = None  # an open <a href>: target, text
        self._in_title = False
        self._title_parts: list[str] = []
        self.title: str | None = None

    def _end_title(self) -> None:
        """At markup after some title text, or at </title>: the title is that text (as the
        parser gives it in one piece when fed the whole page, however the page was fed)."""
        if self._in_title:
            title = _SPACE.sub(" ", "".join(self._title_parts)).strip()
            self.title = title or None
            self._in_title = False
            self._title_parts = []

    def state(self, line: int | None = None) -> tuple | None:
        """Everything the rest of the page's reading depends on; None where the parser holds
        text it has not read yet. With `line`, line numbers from `line` on are written as
        offsets from it (see _moved)."""
        if self.rawdata or self.cdata_elem is not None:
            return None
        number, stack = self._line, tuple(self._block_stack)
        if line is not None:
            number = None if number is None else _moved(number, line)
            stack = tuple([(tag, _moved(at, line)) for tag, at in stack])
        return (tuple(self._parts), number, self._tag, stack, tuple(self._skip_stack),
                self._skip_depth, tuple(self._links),
                None if self._link is None else (self._link[0], tuple(self._link[1])),
                self._in_title, tuple(self._title_parts), self.title)

    def restore(self, state: tuple, line: int, next_line: int) -> None:
        """Continue from a state(line) taken at another line, now at `line`; the parser goes
        on at `next_line`."""
        (parts, number, self._tag, block_stack, skip_stack, self._skip_depth, links, link,
         self._in_title, title_parts, self.title) = state
        self._parts = list(parts)
        self._line = None if number is None else _placed(number, line)
        self._block_stack = [(tag, _placed(at, line)) for tag, at in block_stack]
        self._skip_stack = list(skip_stack)
        self._links = list(links)
        self._link = None if link is None else (link[0], list(link[1]))
        self._title_parts = list(title_parts)
        self.lineno, self.offset = next_line, 0

    def handle_comment(self, data: str) -> None:
        if self._title_parts:
            self._end_title()

    def handle_decl(self, decl: str) -> None:
        if self._title_parts:
            self._end_title()

    def handle_pi(self, data: str) -> None:
        if self._title_parts:
            self._end_title()

    def unknown_decl(self, data: str) -> None:
        if self._title_parts:
            self._end_title()

    def _flush(self) -> None:
        text = _SPACE.sub(" ", "".join(self._parts).replace("\u00a0", " ")).strip()
        if text:
            line = self._line if self._line is not None else self.getpos()[0]
            self.lines.append(NumberedLine(line, text, self._tag, tuple(self._links)))
        self._links = []
        self._parts = []
        self._line = None
        self._tag = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._title_parts:
            self._end_title()
        if tag == "title" and self.title is None:
            self._in_title = True
        if tag in SKIPPED_TAGS or _is_navigation(attrs):
            if tag not in VOID_TAGS:
                self._skip_stack.append(tag)
            return
        if self._skip_stack:
            return
        if tag == "a":
            href = dict(attrs).get("href")
            self._link = (href.strip(), []) if href and href.strip() else None
        if tag in BLOCK_TAGS:
            self._flush()
            if tag not in VOID_TAGS:
                self._block_stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._title_parts:
            self._end_title()
        if not self._skip_stack and tag in BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" or self._title_parts:
            self._end_title()
        if tag == "a" and self._link is not None and not self._skip_stack:
            href, parts = self._link
            text = _SPACE.sub(" ", "".join(parts)).strip()
            if text:
                self._links.append((text, href))
            self._link = None
        if self._skip_stack:
            if tag == self._skip_stack[-1]:
                self._skip_stack.pop()
            elif tag in self._skip_stack:  # tolerate unclosed children of a skipped element
                while self._skip_stack and self._skip_stack.pop() != tag:
                    pass
            return
        if tag in BLOCK_TAGS:
            self._flush()
            for index in range(len(self._block_stack) - 1, -1, -1):
                if self._block_stack[index][0] == tag:
                    del self._block_stack[index:]
                    break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_parts.append(data)
        if self._skip_stack:
            return
        if self._link is not None:
            self._link[1].append(data)
        if self._line is None and data.strip():
            if self._block_stack:
                self._tag, self._line = self._block_stack[-1]
            else:
                leading = data[: len(data) - len(data.lstrip())]
                self._line = self.getpos()[0] + leading.count("\n")
        self._parts.append(data)

    def close(self) -> None:
        super().close()
        self._end_title()
        self._flush()


def _is_navigation(attrs: list[tuple[str, str | None]]) -> bool:
    """ARIA roles that mark site navigation rather than content (a div acting as a nav)."""
    for name, value in attrs:
        if name == "role" and value in {"navigation", "banner", "contentinfo", "search"}:
            return True
    return False


def _moved(number: int, line: int) -> int:
    """A line number as the cache keeps it: before `line`, as it is (elements opened above);
    from `line` on, as a negative offset from it (found on the line itself)."""
    return number if number < line else line - number - 1


def _placed(kept: int, line: int) -> int:
    """The line number _moved(number, its line) kept, with the line now at `line`."""
    return kept if kept > 0 else line - kept - 1


class HtmlLineCache:
    """HTML lines read before, so that a line read again is not parsed again: a harvest holds
    many captures of one page, most of their lines word for word.

    The page is fed to the parser line by line (which reads it as fed whole: the parser keeps
    what it cannot read yet until the next line comes). A line met before, at a point where the
    parser had read everything and was in the same state (open elements, where they opened,
    links and text so far), gives the same lines of text and the same state after it, but for
    the line numbers of what the line itself opened: those are taken from the cache, moved to
    where the line is now. Bounded (emptied when full)."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        self.hits = 0
        self._lines: dict[tuple[str, tuple], tuple[tuple[NumberedLine, ...], tuple]] = {}

    def feed(self, parser: _BlockTextParser, text: str) -> None:
        start, number = 0, 1
        while start < len(text):
            end = text.find("\n", start) + 1
            if not end:  # the last line, without a line end: read as it is
                parser.feed(text[start:])
                return
            line = text[start:end]
            before = parser.state()
            if before is None:
                parser.feed(line)
            else:
                found = self._lines.get((line, before))
                if found is not None:
                    self.hits += 1
                    read, state = found
                    parser.lines.extend(NumberedLine(_placed(item.number, number), item.text,
                                                     item.tag, item.links) for item in read)
                    parser.restore(state, number, number + 1)
                else:
                    count = len(parser.lines)
                    parser.feed(line)
                    after = parser.state(number)
                    if after is not None:
                        if len(self._lines) >= self.limit:
                            self._lines.clear()
                        self._lines[line, before] = (tuple(
                            NumberedLine(_moved(item.number, number), item.text, item.tag,
                                         item.links) for item in parser.lines[count:]), after)
            start, number = end, number + 1


def _parse_html(text: str, cache: HtmlLineCache | None = None) -> _BlockTextParser:
    parser = _BlockTextParser()
    if cache is None:
        parser.feed(text)
    else:
        cache.feed(parser, text)
    parser.close()
    return parser


def html_lines(text: str) -> list[NumberedLine]:
    return _parse_html(text).lines
