"""A small closed-loop HTTP load generator: N client processes, one keep-alive connection each.

Each client sends GET requests (cycling through the paths it is given) for a bounded time
and records every latency; the parent merges them. Processes rather than threads, so the
generator is not held back by one interpreter lock; raw sockets with prebuilt requests, so
the client side costs as little CPU as it can (it shares the machine with the server).
"""

from __future__ import annotations

import multiprocessing
import socket
import statistics
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _read_response(sock: socket.socket, buffer: bytearray) -> tuple[int, bytearray]:
    """Read one HTTP/1.1 response with Content-Length or chunked body; return (status, rest)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    head_end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:head_end]).decode("latin-1")
    status = int(head.split(" ", 2)[1])
    lower = head.lower()
    if "content-length:" in lower:
        start = lower.index("content-length:") + len("content-length:")
        length = int(lower[start:lower.index("\r\n", start)])
        while len(buffer) < head_end + length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            buffer += chunk
        return status, buffer[head_end + length:]
    # chunked: read until the terminating zero-length chunk
    position = head_end
    while True:
        while b"\r\n" not in buffer[position:]:
            buffer += sock.recv(65536)
        line_end = buffer.index(b"\r\n", position)
        size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
        needed = line_end + 2 + size + 2
        while len(buffer) < needed:
            buffer += sock.recv(65536)
        position = needed
        if size == 0:
            return status, buffer[position:]


def _client(host: str, port: int, requests: list[bytes], seconds: float, warmup: float,
            queue: multiprocessing.Queue) -> None:
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    latencies: list[float] = []
    errors = 0
    buffer = bytearray()
    start = time.perf_counter()
    measure_from = start + warmup
    stop = measure_from + seconds
    index = 0
    while True:
        sent = time.perf_counter()
        if sent >= stop:
            break
        sock.sendall(requests[index % len(requests)])
        index += 1
        status, buffer = _read_response(sock, buffer)
        done = time.perf_counter()
        if sent >= measure_from:
            if status == 200:
                latencies.append(done - sent)
            else:
                errors += 1
    sock.close()
    queue.put((latencies, errors))


def _post_form(host: str, port: int, path: str, accept: str) -> bytes:
    """`path?query` sent as a form POST of `query` (for requests too long for a URL)."""
    target, _, body = path.partition("?")
    return (f"POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: {accept}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body.encode())}\r\nConnection: keep-alive\r\n\r\n"
            f"{body}").encode()


def raw_request(host: str, port: int, method: str, target: str, headers: dict[str, str],
                body: bytes | None) -> bytes:
    """One HTTP/1.1 request as bytes (a method, a path with its query string, headers)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}",
             *(f"{name}: {value}" for name, value in headers.items())]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def run(host: str, port: int, paths: list[str], clients: int = 8, seconds: float = 10.0,
        warmup: float = 1.0, accept: str = "application/sparql-results+json",
        post_form: bool = False, raw: list[bytes] | None = None) -> LoadResult:
    """`raw`: prebuilt requests (see `raw_request`) to send instead of GETs of `paths`."""
    requests = raw or [
        _post_form(host, port, path, accept) if post_form else
        (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: {accept}\r\n"
         "Connection: keep-alive\r\n\r\n").encode()
        for path in paths
    ]
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = context.Queue()
    workers = [
        context.Process(target=_client,
                        args=(host, port, requests[i::clients] or requests, seconds, warmup, queue))
        for i in range(clients)
    ]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    errors = 0
    for _ in workers:
        worker_latencies, worker_errors = queue.get()
        latencies.extend(worker_latencies)
        errors += worker_errors
    for worker in workers:
        worker.join()
    latencies.sort()
    if not latencies:
        return LoadResult(0, errors, seconds, 0.0, 0.0)
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    return LoadResult(len(latencies), errors, seconds, statistics.median(latencies) * 1000,
                      p95 * 1000)
