"""Is a fetched capture a listing page at all? Conservative checks: each names one clear sign of
a page that is not (an error page, a cookie wall, a redirect to another page, no content) and
lets everything else through, because a real listing page wrongly skipped is lost silently
while a stray page reaches the parser's warnings.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
# Titles and main headings of error pages; a listing page's title never says these.
_ERROR_TITLE = re.compile(
    r"\b(404|410|500|502|503|page not found|not found|page cannot be found|no longer available"
    r"|server error|internal error|access denied|forbidden|service unavailable|bad gateway"
    r"|error occurred|something went wrong)\b", re.I)
_COOKIE_WALL = re.compile(
    r"\b(cookie (consent|settings|preferences)|accept (all )?cookies|we use cookies"
    r"|before you continue|your privacy choices|cookies)\b", re.I)
COOKIE_WALL_MAX_WORDS = 400  # and a wall holds little more than its question


class _Enough(Exception):
    """Everything the checks look at has been read: the rest of a long page is not parsed."""


class _Reading(HTMLParser):
    """The few things the checks look at: title, h1, meta refresh, canonical link, visible
    words (counted up to a cookie wall's most)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.heading = ""
        self.refresh: str | None = None
        self.canonical: str | None = None
        self.words = 0
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            match = re.search(r"url\s*=\s*['\"]?([^'\"\s>]+)", values.get("content", ""), re.I)
            if match:
                self.refresh = match.group(1)
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.canonical = values.get("href") or None
        if tag in ("title", "h1", "script", "style", "noscript", "template"):
            self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            while self._in and self._in.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        inside = self._in[-1] if self._in else None
        if inside == "title":
            self.title += data
        elif inside in ("script", "style", "noscript", "template"):
            return
        if inside == "h1" and not self.heading.strip():
            self.heading += data
        if inside != "title":
            self.words += len(data.split())
        if self.words > COOKIE_WALL_MAX_WORDS and self.title and self.heading.strip() \
                and inside != "h1":
            raise _Enough


def _decode(body: bytes, content_type: str) -> str:
    match = re.search(r"charset=([\w-]+)", content_type, re.I)
    try:
        return body.decode(match.group(1) if match else "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _elsewhere(target: str, page_url: str) -> str | None:
    """'the home page' or 'another page' when target is not (a variant of) page_url."""
    absolute = urlsplit(urljoin(page_url, target))
    here = urlsplit(page_url)
    if absolute.path.strip("/") == "":
        return f"the home page ({urljoin(page_url, target)})"
    # Hosts compared without www. and port (archives list old captures as host:80).
    same_site = (absolute.hostname or "").removeprefix("www.") == \
        (here.hostname or "").removeprefix("www.")
    if same_site and absolute.path.rstrip("/").lower() == here.path.rstrip("/").lower():
        return None
    return f"another page ({urljoin(page_url, target)})"


def redirect_problem(target: str, page_url: str) -> str | None:
    """Why an HTTP redirect from page_url to target is not the listing page (None: it is the
    same page under another form of its address, and may be followed)."""
    elsewhere = _elsewhere(target, page_url)
    return f"redirects to {elsewhere}" if elsewhere else None


def capture_problem(body: bytes, content_type: str | None, page_url: str) -> str | None:
    """Why this body is not a listing page, or None if it may be one."""
    if not body.strip():
        return "empty body"
    media = (content_type or "").split(";")[0].strip().lower()
    if media and media not in PAGE_TYPES:
        return f"not a web page (content type {media})"
    if not media and b"\0" in body[:4096]:
        return "not a web page (binary content)"
    text = _decode(body, content_type or "")
    looks_html = media in ("text/html", "application/xhtml+xml") or (
        not media and re.search(r"<(html|body|head|!doctype)", text[:2048], re.I) is not None)
    if not looks_html:
        return None
    page = _Reading()
    try:
        page.feed(text)
        page.close()
    except _Enough:
        pass
    if page.refresh and (elsewhere := _elsewhere(page.refresh, page_url)):
        return f"redirects (meta refresh) to {elsewhere}"
    if page.canonical and (elsewhere := _elsewhere(page.canonical, page_url)) \
            and elsewhere.startswith("the home page"):
        return f"its canonical address is {elsewhere}"
    for label, value in (("title", page.title), ("heading", page.heading)):
        value = " ".join(value.split())
        if value and _ERROR_TITLE.search(value):
            return f"an error page ({label} {value[:80]!r})"
    # A cookie wall is a short page whose own title or heading is about cookies; a banner on a
    # listing page is not (the listing's title and heading are its own).
    if page.words <= COOKIE_WALL_MAX_WORDS and _COOKIE_WALL.search(
            f"{page.title} {page.heading}"):
        return "a cookie wall (a short page asking about cookies)"
    if page.words == 0:
        return "no text"
    return None
