"""The HTTP/1.1 client for external stores: every request ReviewGraph sends a store goes here.

Why our own small client, not SPARQLWrapper (the project's client for SPARQL endpoints:
`reviewgraph query` and `link`, and the tests) nor requests nor http.client: a store's query is
the hot path of /sparql and of every page, and on a lookup the client's own CPU decides the
throughput. Measured here against Oxigraph server (one lookup at a time): SPARQLWrapper opens a
new urllib connection per query and re-encodes every parameter (~350 us CPU a query, 1,400
q/s); http.client on a kept-alive connection ~110 us (its header parsing goes through the email
package), requests several times that; this client (one kept-alive socket per thread and
server, the request written in one send, Content-Length or chunked answers read from one
buffer) a fraction of that. It also gives what SPARQLWrapper does not: the raw bytes for
pyoxigraph's parsers and for passing answers on, the response headers (Virtuoso reports a query
cut short by its time limit only in `X-SQL-State`), exact control of method and body, and one
deadline for the whole answer, enforced with the kernel's socket timeouts rather than Python's
(which poll before every send and receive: see `_Connection`). Loading (Graph Store Protocol
PUTs and POSTs, updates) goes through the same client: one HTTP stack.

It asks only what a store's answers need: no redirects, no cookies, no proxies, no
decompression; plain HTTP, or HTTPS with the system's certificates.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

# Bytes asked of each receive: CPython allocates that much for every recv() before shrinking
# it, and at 256 KiB glibc maps and unmaps it each time (10.5 us a call on a socket pair here;
# 0.9 at 64 KiB).
RECEIVE_BYTES = 1 << 16


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class Unreachable(OSError):
    """The connection failed or broke off."""


_TIMEVAL = struct.Struct("@ll")  # struct timeval: seconds, microseconds
KERNEL_WAIT = 1.0  # seconds: the longest one send or receive waits before the deadline is checked


class _Connection:
    """One kept-alive HTTP/1.1 connection: a request written in one send, the answer read
    from one buffer (Content-Length, chunked, or up to the close).

    Plain HTTP connections are blocking sockets whose sends and receives the kernel stops
    after KERNEL_WAIT (SO_SNDTIMEO, SO_RCVTIMEO), or sooner when the deadline is nearer; a
    wait that runs out before the deadline is simply waited again. Why not Python's socket
    timeout: a socket with one polls before every send and every receive, two more system
    calls a query, each giving up the interpreter lock, which with several query threads in
    a worker means more waits for the lock and more context switches; and setting the
    kernel's timeout for every query's deadline would be two system calls made holding the
    lock. So the kernel's timeout changes only near a deadline. HTTPS keeps Python's timeout
    (TLS reads and writes do not map onto the kernel's)."""

    def __init__(self, host: str, port: int, https: bool, timeout: float):
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.kernel_timeouts = not https
        if https:
            import ssl

            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        else:
            sock.settimeout(None)  # blocking: the kernel's timeouts bound each call
        self.sock = sock
        self.buffer = bytearray()  # received, not yet read (bytearray: appends and reads
        # from the front are amortised O(1), where bytes copied it all each time)
        self._waits: dict[int, float] = {}  # the kernel's timeout now set, per option

    def _bound(self, deadline: float, option: int) -> None:
        """Make the next send (SO_SNDTIMEO) or receive (SO_RCVTIMEO) give up by the deadline
        at the latest; TimeoutError once it has passed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the store's answer took longer than the time limit")
        if not self.kernel_timeouts:
            self.sock.settimeout(remaining)
            return
        wait = min(remaining, KERNEL_WAIT)
        current = self._waits.get(option, 0.0)  # 0: none set yet (the kernel's "forever")
        if current == 0.0 or current > remaining or (current < wait == KERNEL_WAIT):
            seconds = int(wait)
            microseconds = max(int((wait - seconds) * 1_000_000), 1)  # 0 would be no limit
            self.sock.setsockopt(socket.SOL_SOCKET, option,
                                 _TIMEVAL.pack(seconds, microseconds))
            self._waits[option] = wait

    def send(self, head: bytes, body: bytes | None, deadline: float) -> None:
        data = memoryview(head + body if body else head)
        while data:
            self._bound(deadline, socket.SO_SNDTIMEO)
            try:
                sent = self.sock.send(data)
            except BlockingIOError:  # the kernel's wait ran out; the deadline decides
                continue
            data = data[sent:]

    def _more(self, deadline: float) -> None:
        while True:
            self._bound(deadline, socket.SO_RCVTIMEO)
            try:
                block = self.sock.recv(RECEIVE_BYTES)
                break
            except BlockingIOError:  # the kernel's wait ran out; the deadline decides
                continue
        if not block:
            raise Unreachable("the store closed the connection")
        self.buffer += block

    def _line(self, deadline: float) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            self._more(deadline)
        line = self._take(end)
        del self.buffer[:2]
        return line

    def _exactly(self, size: int, deadline: float) -> bytes:
        while len(self.buffer) < size:
            self._more(deadline)
        return self._take(size)

    def _take(self, size: int) -> bytes:
        """The first `size` bytes of the buffer, removed from it (copied once)."""
        with memoryview(self.buffer) as view:
            data = bytes(view[:size])
        del self.buffer[:size]
        return data

    def receive(self, deadline: float, max_body: int | None = None) -> tuple[Answer, bool]:
        """(answer, whether the connection can be used again). With `max_body`, at most that
        many bytes of the body are read (more means the connection is not reused)."""
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._more(deadline)
        head = self._take(end).decode("latin-1")
        del self.buffer[:4]
        status_line, *lines = head.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise Unreachable(f"not an HTTP answer: {status_line[:80]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            # Repeated headers (Virtuoso repeats one per graph) are joined, as HTTP allows.
            headers[name] = f"{headers[name]}, {value.strip()}" if name in headers \
                else value.strip()
        reusable = headers.get("connection", "").lower() != "close" \
            and parts[0] != "HTTP/1.0"
        limit = max_body if max_body is not None else float("inf")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            blocks, read = [], 0
            while size := int(self._line(deadline).split(b";")[0], 16):
                if read + size > limit:
                    blocks.append(self._exactly(min(size, int(limit) - read + 1), deadline))
                    return Answer(status, headers, b"".join(blocks)), False
                blocks.append(self._exactly(size, deadline))
                read += size
                self._exactly(2, deadline)
            while self._line(deadline):  # trailers, then the empty line
                pass
            content = b"".join(blocks)
        elif "content-length" in headers:
            length = int(headers["content-length"])
            if length > limit:
                return Answer(status, headers, self._exactly(int(limit) + 1, deadline)), False
            content = self._exactly(length, deadline)
        elif status in (204, 304) or 100 <= status < 200:
            content = b""
        else:  # the body runs to the close
            try:
                while len(self.buffer) <= limit:
                    self._more(deadline)
            except Unreachable:
                pass
            content, reusable = self._take(len(self.buffer)), False
        return Answer(status, headers, content), reusable

    def close(self) -> None:
        self.sock.close()


@dataclass(frozen=True)
class Target:
    """A URL taken apart once, so a request to it parses nothing."""

    https: bool
    host: str  # as the socket takes it (an IPv6 address without brackets)
    port: int
    path: str
    query: str  # the URL's own query string, kept before any request's parameters
    host_header: str  # as the URL writes it: an IPv6 address in brackets, and its port

    @classmethod
    def of(cls, url: str) -> Target:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        return cls(https, parts.hostname or "127.0.0.1", parts.port or (443 if https else 80),
                   parts.path or "/", parts.query, parts.netloc.rpartition("@")[2])


class Client:
    """Kept-alive HTTP connections, one per thread and server (the pages call from several
    request threads). Why not http.client, or requests: see the module's comment."""

    def __init__(self, user_agent: str = "reviewgraph"):
        self.user_agent = user_agent
        self._local = threading.local()

    def request(self, target: Target, method: str, query: str, body: bytes | None,
                headers: dict[str, str], timeout: float, max_body: int | None = None
                ) -> Answer:
        """One request; `query` goes after the URL's own query string. Raises Unreachable
        (or another OSError) when the connection fails, TimeoutError when the whole answer
        has not come within `timeout` seconds."""
        joined = "&".join(q for q in (target.query, query) if q)
        line = f"{method} {target.path}?{joined} HTTP/1.1" if joined else \
            f"{method} {target.path} HTTP/1.1"
        lines = [line, f"Host: {target.host_header}", f"User-Agent: {self.user_agent}",
                 *(f"{k}: {v}" for k, v in headers.items())]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        deadline = time.monotonic() + timeout
        key = (target.https, target.host, target.port)
        connections = self._connections()
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            connection = connections.get(key)
            reused = connection is not None
            try:
                if connection is None:
                    connection = _Connection(target.host, target.port, target.https, timeout)
                    connections[key] = connection
                connection.send(head, body, deadline)
                answer, reusable = connection.receive(deadline, max_body)
            except (Unreachable, ConnectionError) as error:
                self._drop(key)
                if attempt == 2 or not reused:
                    raise Unreachable(str(error)) from error
                continue
            except BaseException:
                self._drop(key)
                raise
            if reused and attempt == 1 and answer.status == 500 \
                    and b"(os error 11)" in answer.content:
                # Oxigraph server run with --timeout-s applies it to idle kept-alive
                # connections too, and answers the next request on one with this error.
                self._drop(key)
                continue
            if not reusable:
                self._drop(key)
            return answer
        raise AssertionError("unreachable")

    def _connections(self) -> dict[tuple[bool, str, int], _Connection]:
        connections = getattr(self._local, "connections", None)
        if connections is None:
            connections = self._local.connections = {}
        return connections

    def _drop(self, key: tuple[bool, str, int]) -> None:
        connection = self._connections().pop(key, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        """Close this thread's connections."""
        for key in list(self._connections()):
            self._drop(key)
