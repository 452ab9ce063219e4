"""HTTP/1.1 for viewers: one asyncio protocol per connection, parsed with httptools.

Requests on a connection are answered in order. A handler answers a request either at once
(it returns None: a cache hit, written from memory without a task) or later (it returns a
coroutine, run as a task; requests pipelined behind it wait, and reading pauses). A handler
that must close the connection after its answer sets ``request.keep_alive = False``.
A request body is streamed to the handler as it arrives (``Body``), reading paused while the
handler is behind; responses honour the transport's write flow control (``drain``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from functools import lru_cache

import httptools

log = logging.getLogger("twin.cdn")
MAX_URL = 8192  # CloudFront's limit on a request's URL
BODY_HIGH_WATER = 4 * 1024 * 1024
IDLE_SECONDS = 5.0  # CloudFront's viewer keep-alive idle timeout


class Body:
    """A request body as it arrives: ``async for chunk in body``; reading from the viewer
    pauses while more than BODY_HIGH_WATER bytes wait here."""

    def __init__(self, conn: ViewerConnection) -> None:
        self._conn = conn
        self._chunks: deque[bytes] = deque()
        self._waiting = 0
        self._done = False
        self._wakeup: asyncio.Future | None = None

    def feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._waiting += len(chunk)
        if self._waiting > BODY_HIGH_WATER:
            self._conn.pause_reading()
        self._wake()

    def end(self) -> None:
        self._done = True
        self._wake()

    @property
    def ended(self) -> bool:
        return self._done

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        while not self._chunks:
            if self._done:
                raise StopAsyncIteration
            if self._conn.closed:
                raise ConnectionError("the viewer went away before its request body ended")
            self._wakeup = asyncio.get_running_loop().create_future()
            await self._wakeup
        chunk = self._chunks.popleft()
        self._waiting -= len(chunk)
        if self._waiting <= BODY_HIGH_WATER // 2:
            self._conn.resume_reading()
        return chunk


class Request:
    __slots__ = (
        "_cookies",
        "body",
        "headers",
        "keep_alive",
        "method",
        "path",
        "query",
        "target",
        "viewer_ip",
    )

    def __init__(self, method: str, target: str, headers: list[tuple[str, str]], viewer_ip: str) -> None:
        self.method = method
        self.target = target
        path, _, self.query = target.partition("?")
        self.path = path
        self.headers = headers  # (lowercase name, value), as they came
        self.viewer_ip = viewer_ip
        self.keep_alive = True
        self.body: Body | None = None
        self._cookies: dict[str, str] | None = None

    def header(self, name: str, default: str = "") -> str:
        for key, value in self.headers:
            if key == name:
                return value
        return default

    @property
    def cookies(self) -> dict[str, str]:
        """The Cookie header's pairs (RFC 6265's syntax: ``name=value`` separated by ``;``,
        a value possibly in double quotes), parsed once per distinct header."""
        if self._cookies is None:
            self._cookies = parse_cookies(tuple(v for k, v in self.headers if k == "cookie"))
        return self._cookies


@lru_cache(maxsize=4096)
def parse_cookies(values: tuple[str, ...]) -> dict[str, str]:
    jar: dict[str, str] = {}
    for value in values:
        for pair in value.split(";"):
            name, sep, cookie = pair.strip().partition("=")
            if sep and name:
                if len(cookie) >= 2 and cookie[0] == cookie[-1] == '"':
                    cookie = cookie[1:-1]
                jar.setdefault(name, cookie)
    return jar


Handler = Callable[[Request, "ViewerConnection"], Awaitable[None] | None]


class ViewerConnection(asyncio.Protocol):
    """One viewer connection: ``write`` and ``drain`` send the answer to the current request."""

    live: weakref.WeakSet[ViewerConnection] = weakref.WeakSet()

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.viewer_ip = ""
        self.last_active = time.monotonic()
        self._url = bytearray()
        self._headers: list[tuple[str, str]] = []
        self._current: Request | None = None
        self._queue: deque[Request] = deque()
        self._busy = False
        self._reading_paused = False
        self._write_paused: asyncio.Future | None = None
        self._task: asyncio.Future | None = None  # the request answered in a task, if any

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:  # an answer goes out at once, not held for the viewer's ACK (Nagle)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        self.viewer_ip = peer[0] if peer else ""
        ViewerConnection.live.add(self)

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self._current is not None and self._current.body is not None:
            self._current.body.end()
        self.resume_writing()

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject(b"501 Not Implemented")
        except httptools.HttpParserError:
            self._reject(b"414 Request-URI Too Large" if len(self._url) > MAX_URL else b"400 Bad Request")

    def pause_writing(self) -> None:
        if self._write_paused is None:
            self._write_paused = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._write_paused is not None:
            if not self._write_paused.done():
                self._write_paused.set_result(None)
            self._write_paused = None

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url.clear()
        self._headers = []

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > MAX_URL:
            raise httptools.HttpParserError("URL too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        method = self._parser.get_method().decode("ascii")
        request = Request(method, self._url.decode("latin-1"), self._headers, self.viewer_ip)
        request.keep_alive = self._parser.should_keep_alive()
        if self._has_body():
            request.body = Body(self)
        self._current = request
        self._queue.append(request)
        if request.body is not None:
            self._next()  # a body streams to its handler while it arrives

    def on_body(self, chunk: bytes) -> None:
        if self._current is not None and self._current.body is not None:
            self._current.body.feed(chunk)

    def on_message_complete(self) -> None:
        request, self._current = self._current, None
        if request is not None and request.body is not None:
            request.body.end()
        else:
            self._next()

    def _has_body(self) -> bool:
        length = next((v for k, v in self._headers if k == "content-length"), None)
        chunked = any(k == "transfer-encoding" and "chunked" in v.lower() for k, v in self._headers)
        return chunked or (length is not None and length.strip() not in ("", "0"))

    # responses
    def write(self, data) -> None:
        if not self.closed:
            self.transport.write(data)

    async def drain(self) -> None:
        if self._write_paused is not None:
            await self._write_paused
        if self.closed:
            raise ConnectionError("the viewer went away")

    def pause_reading(self) -> None:
        if not self._reading_paused and not self.closed:
            self._reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._reading_paused and not self.closed:
            self._reading_paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.transport.close()

    def _next(self) -> None:
        """Answer queued requests in order until one needs a task (or none is left)."""
        while self._queue and not self._busy and not self.closed:
            request = self._queue.popleft()
            try:
                pending = self._handler(request, self)
            except Exception:
                log.exception("handling %s %s", request.method, request.target)
                self.close()
                return
            if pending is not None:
                self._busy = True
                if self._queue:
                    self.pause_reading()
                self._task = asyncio.ensure_future(self._run(request, pending))
                return
            if not request.keep_alive:
                self.close()
                return
        self.resume_reading()

    async def _run(self, request: Request, pending: Awaitable[None]) -> None:
        try:
            await pending
        except Exception:  # the handler answered what it could; the connection cannot go on
            log.exception("handling %s %s", request.method, request.target)
            self.close()
            return
        self._busy = False
        self.last_active = time.monotonic()
        if not request.keep_alive:
            self.close()
            return
        self._next()

    def _reject(self, status: bytes) -> None:
        if not self.closed:
            self.transport.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            self.close()


async def close_idle_connections(idle_seconds: float = IDLE_SECONDS) -> None:
    """Close keep-alive connections idle for longer than ``idle_seconds``, as CloudFront does."""
    while True:
        await asyncio.sleep(idle_seconds / 2)
        cutoff = time.monotonic() - idle_seconds
        for conn in list(ViewerConnection.live):
            if not conn._busy and not conn._queue and conn.last_active < cutoff:
                conn.close()
