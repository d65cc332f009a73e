"""The harvester's one HTTP client: a urllib3 pool with retries, per-host politeness and
robots.txt.

Every request the harvester makes (robots.txt, CDX listings, archived and live pages) goes
through `HttpClient.get`, so the User-Agent, the wait between requests to a host, the retries
of 429 and 5xx (honouring Retry-After), the timeouts and the check that a body arrived whole
are applied once, here. Redirects are not followed: the caller decides whether a redirect still
leads to the page it asked for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from protego import Protego
from urllib3.exceptions import (
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    TimeoutError,
)
from urllib3.util import Retry

from reviewgraph import __version__

RETRY_STATUSES = (429, 500, 502, 503, 504)
RETRY_AFTER_MAX = 300  # seconds: a server asking for longer is treated as failing, not waited on


class FetchFailed(Exception):
    """A request that gave no usable answer; the message says why, for a person.
    `unreachable`: no connection could be made at all (not a slow or broken answer)."""

    def __init__(self, reason: str, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def location(self) -> str | None:
        return self.headers.get("location")


def user_agent(contact: str | None) -> str:
    """Names the project and, when given, whom a site's operator can write to."""
    about = f"; contact: {contact}" if contact else ""
    return f"ReviewGraph-harvest/{__version__} (case-review listing harvester{about})"


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


class HttpClient:
    """GET with retries and a minimum wait between requests to the same host."""

    def __init__(self, *, contact: str | None, delay: float, timeout: float,
                 retries: int = 3) -> None:
        self.delay = delay
        self._host_delay: dict[str, float] = {}
        self._last_request: dict[str, float] = {}
        retry = Retry(
            total=retries, connect=retries, read=1, status=retries, redirect=False,
            status_forcelist=RETRY_STATUSES, allowed_methods={"GET"},
            respect_retry_after_header=True, retry_after_max=RETRY_AFTER_MAX,
            backoff_factor=max(delay, 0.1), raise_on_status=False,
        )
        self._pool = urllib3.PoolManager(
            headers={"User-Agent": user_agent(contact)}, retries=retry,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
        )

    def slow_down(self, host: str, seconds: float) -> None:
        """A host asking for a longer wait (robots.txt Crawl-delay) gets it."""
        self._host_delay[host] = max(self.delay, seconds)

    def _wait_for(self, host: str) -> None:
        delay = self._host_delay.get(host, self.delay)
        last = self._last_request.get(host)
        if last is not None and delay > 0:
            pause = last + delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        self._last_request[host] = time.monotonic()

    def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        host = host_of(url)
        self._wait_for(host)
        try:
            answer = self._pool.request("GET", url, headers=headers, redirect=False,
                                        preload_content=True, enforce_content_length=True)
        except MaxRetryError as error:
            raise FetchFailed(_reason(error.reason, host),
                              isinstance(error.reason, NewConnectionError)) from None
        except (HTTPError, OSError) as error:
            raise FetchFailed(_reason(error, host),
                              isinstance(error, NewConnectionError)) from None
        finally:
            self._last_request[host] = time.monotonic()
        return Response(url, answer.status,
                        {name.lower(): value for name, value in answer.headers.items()},
                        answer.data)

    def close(self) -> None:
        self._pool.clear()


def _reason(error: BaseException | None, host: str) -> str:
    """A person's account of a failed request."""
    text = str(error)
    if isinstance(error, ProtocolError) and "IncompleteRead" in text:
        return "truncated body (fewer bytes than its Content-Length)"
    # NewConnectionError is a kind of TimeoutError in urllib3: ask about it first.
    if isinstance(error, NameResolutionError):
        return f"cannot resolve {host}"
    if isinstance(error, NewConnectionError):
        return f"cannot connect to {host}"
    if isinstance(error, TimeoutError):
        return f"{host} did not answer in time"
    if error is not None and "too many" in text and "responses" in text:
        return f"{host} kept answering with an error status"
    return f"{host}: {text}"


class Robots:
    """robots.txt of each host, read once per run (RFC 9309: 4xx = no rules; 5xx or no answer
    = everything disallowed for now)."""

    def __init__(self, client: HttpClient, agent: str) -> None:
        self._client = client
        self._agent = agent
        self._rules: dict[str, Protego | None] = {}

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        if site not in self._rules:
            self._rules[site] = self._read(site)
        rules = self._rules[site]
        return rules is None or rules.can_fetch(url, self._agent)

    def _read(self, site: str) -> Protego | None:
        url = f"{site}/robots.txt"
        try:
            for _ in range(5):  # RFC 9309: follow at least five redirects
                answer = self._client.get(url)
                if answer.status not in (301, 302, 303, 307, 308) or not answer.location:
                    break
                url = urljoin(url, answer.location)
        except FetchFailed:
            return Protego.parse("User-agent: *\nDisallow: /\n")
        if 400 <= answer.status < 500:
            return None
        if answer.status != 200:
            return Protego.parse("User-agent: *\nDisallow: /\n")
        rules = Protego.parse(answer.body.decode("utf-8", errors="replace"))
        crawl_delay = rules.crawl_delay(self._agent)
        if crawl_delay:
            self._client.slow_down(host_of(site), float(crawl_delay))
        return rules
