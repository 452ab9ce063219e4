"""The distribution's request path: behaviour by path precedence, the trusted key group's
check, the cache, the origin.

A cache hit is answered from memory in the connection's own callback (no task, one write of
a head built when the object was stored plus the per-request lines); everything else runs
as a task: a miss or a stale object's revalidation (one origin request per key at a time:
viewers asking meanwhile wait for it, as CloudFront collapses them), or a request forwarded
as it streams (``/api/*``, uploads).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import httpx

from twin.cdn import compress, responses
from twin.cdn.cache import DEFAULT_ERROR_SECONDS, Cache, Entry, cache_control, ttl
from twin.cdn.config import Behaviour, Config
from twin.cdn.http1 import Request, ViewerConnection
from twin.cdn.origins import BucketOrigin, CustomOrigin, Fetched
from twin.cdn.signed import Refused, TrustedKeyGroup, proof_from_cookies, proof_from_query

log = logging.getLogger("twin.cdn")
CACHEABLE_METHODS = ("GET", "HEAD")
SMALL_BODY = 65536  # sent in one write with its head


@dataclass
class Stats:
    requests: int = 0
    hits: int = 0
    refresh_hits: int = 0
    misses: int = 0
    collapsed: int = 0
    forwarded: int = 0
    origin_fetches: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    invalidations_applied: int = 0
    objects_invalidated: int = 0


class Edge:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.cache = Cache(config.cache_bytes)
        self.keys = TrustedKeyGroup(config.trusted_keys)
        self.stats = Stats()
        self.origins = {
            name: BucketOrigin(o) if o.kind == "bucket" else CustomOrigin(o)
            for name, o in config.origins.items()
        }
        self.max_object = min(config.cache_bytes // 4, 64 * 1024 * 1024)
        self._inflight: dict[tuple, asyncio.Future] = {}

    def handle(self, request: Request, conn: ViewerConnection):
        """Answer ``request``: None when answered already, else a coroutine that will."""
        self.stats.requests += 1
        behaviour = self.config.behaviour(request.path)
        cf_id = responses.request_id()
        if request.method not in behaviour.methods:
            conn.write(responses.error_page(403, METHOD_REFUSED, cf_id))
            request.keep_alive = request.body is None
            return None
        if behaviour.signed:
            refusal = self._viewer_refusal(request)
            if refusal is not None:
                self.stats.refused[refusal.reason] += 1
                conn.write(responses.refused(refusal, cf_id))
                return None
        if request.method in CACHEABLE_METHODS and behaviour.cache.caches:
            key = self._key(request, behaviour)
            entry = self.cache.get(key)
            if entry is not None and entry.fresh(time.monotonic()):
                self.stats.hits += 1
                self._send_entry(request, conn, entry, "hit", cf_id)
                return None
            return self._fill(request, conn, behaviour, key, entry, cf_id)
        return self._forward(request, conn, behaviour, cf_id)

    def _viewer_refusal(self, request: Request) -> Refused | None:
        """Why CloudFront would refuse this request to a signed behaviour (None: it would not).
        A signed URL's parameters win over cookies; the policy is matched against the URL the
        viewer asked for (over HTTPS: plain HTTP only ever gets the redirect)."""
        base = f"https://{request.header('host') or self.config.site_names[0]}{request.path}"
        try:
            url = _url_without_proof(base, request.query)
            proof = proof_from_query(_query_params(request.query), url) if request.query else None
            if proof is None:
                url = f"{base}?{request.query}" if request.query else base
                proof = proof_from_cookies(request.cookies, url)
            self.keys.check(proof, url, request.viewer_ip, time.time())
        except Refused as refusal:
            return refusal
        return None

    def _key(self, request: Request, behaviour: Behaviour) -> tuple:
        # Our cache policies key on the path and, where the behaviour compresses, the
        # normalized Accept-Encoding: no query string, header or cookie.
        encoding = compress.viewer_encoding(request.header("accept-encoding")) if behaviour.compress else ""
        return (request.path, encoding)

    def _send_entry(
        self, request: Request, conn: ViewerConnection, entry: Entry, x_cache: str, cf_id: bytes
    ) -> None:
        now = time.monotonic()
        age = entry.age(now) if x_cache == "hit" else None
        if entry.status >= 400:
            x_cache = "error"
        close = not request.keep_alive
        if entry.status == 200 and responses.not_modified(
            entry.headers, request.header("if-none-match"), request.header("if-modified-since")
        ):
            conn.write(
                responses.not_modified_head(list(entry.headers.items()))
                + responses.tail(x_cache, cf_id, age, close)
            )
            return
        body = entry.body
        head = entry.head
        wanted = request.header("range")
        if wanted and entry.status == 200:
            span = responses.byte_range(wanted, len(body))
            if span is False:
                conn.write(responses.range_not_satisfiable(len(body), cf_id))
                return
            if span is not None:
                head = responses.partial_head(head, span[0], span[1], len(body))
                body = body[span[0] : span[1] + 1]
        head += responses.tail(x_cache, cf_id, age, close)
        if request.method == "HEAD":
            conn.write(head)
        elif len(body) < SMALL_BODY:
            conn.write(head + body)
        else:
            conn.write(head)
            conn.write(body)

    async def _fill(self, request, conn, behaviour: Behaviour, key: tuple, stale: Entry | None, cf_id: bytes):
        """A miss or a stale object: one origin request per key at a time."""
        waiting = self._inflight.get(key)
        if waiting is not None:
            await asyncio.shield(waiting)
            entry = self.cache.get(key)
            if entry is not None and (entry.fresh(time.monotonic()) or entry.ttl == 0):
                self.stats.collapsed += 1
                self._send_entry(request, conn, entry, "hit", cf_id)
                return
        done = asyncio.get_running_loop().create_future()
        self._inflight[key] = done
        try:
            await self._fetch_and_answer(request, conn, behaviour, key, stale, cf_id)
        finally:
            self._inflight.pop(key, None)
            done.set_result(None)

    async def _fetch_and_answer(self, request, conn, behaviour, key, stale: Entry | None, cf_id: bytes):
        origin = self.origins[behaviour.origin]
        conditional = {}
        if stale is not None and stale.revalidatable:
            conditional = {
                name: stale.headers[header]
                for name, header in (("If-None-Match", "etag"), ("If-Modified-Since", "last-modified"))
                if header in stale.headers
            }
        try:
            fetched = await self._origin_get(origin, request, behaviour, conditional, cf_id)
        except httpx.TimeoutException:
            conn.write(responses.error_page(504, ORIGIN_TIMEOUT, cf_id))
            return
        except (httpx.HTTPError, OSError) as exc:
            log.warning("origin %s unreachable: %s", origin.name, exc)
            conn.write(responses.error_page(502, ORIGIN_UNREACHABLE, cf_id))
            return
        self.stats.origin_fetches[origin.name] += 1
        if fetched.status == 304 and stale is not None:
            self._refresh(key, stale, behaviour, fetched)
            self.stats.refresh_hits += 1
            self._send_entry(request, conn, stale, "refresh", cf_id)
            return
        self.stats.misses += 1
        if fetched.body is None:  # too large to keep: passed through as it streams
            await self._stream(request, conn, fetched, behaviour, "miss", cf_id)
            return
        entry = self._entry(request, behaviour, fetched, key)
        if self._storable(entry, fetched):
            self.cache.put(key, entry)
        self._send_entry(request, conn, entry, "miss", cf_id)

    async def _origin_get(self, origin, request, behaviour, conditional, cf_id: bytes) -> Fetched:
        if isinstance(origin, BucketOrigin):
            fetched = await origin.get(request.path, conditional, cf_id.decode())
        else:
            as_get = Request("GET", request.target, request.headers, request.viewer_ip)
            fetched = await origin.send(
                as_get, behaviour, cf_id.decode(), stream=True, conditional=conditional
            )
            length = fetched.header("content-length")
            if length.isdigit() and int(length) <= self.max_object:
                fetched.body = b"".join([chunk async for chunk in fetched.chunks()])
                fetched.stream = None
        return fetched

    def _entry(self, request: Request, behaviour: Behaviour, fetched: Fetched, key: tuple) -> Entry:
        headers = responses.origin_headers(fetched.headers, keep_cookies=bool(behaviour.origin_request))
        lower = {k.lower(): v for k, v in fetched.headers}
        body = fetched.body
        encoding = key[1]
        if encoding and compress.compressible(fetched.status, lower, len(body)):
            body = compress.compress(body, encoding)
            headers = [(k, compress.weak_etag(v) if k.lower() == "etag" else v) for k, v in headers]
            headers += [("Content-Encoding", encoding), ("Vary", "Accept-Encoding")]
        headers.append(("Content-Length", str(len(body))))
        head = responses.status_line(fetched.status) + responses.header_block(headers)
        seconds = ttl(
            behaviour.cache, fetched.status, lower, self._error_seconds(fetched.status), time.time()
        )
        return Entry(fetched.status, head, body, {k.lower(): v for k, v in headers}, request.path, seconds)

    def _error_seconds(self, status: int) -> int:
        configured = status in self.config.error_codes
        return self.config.error_caching_seconds if configured else DEFAULT_ERROR_SECONDS

    def _storable(self, entry: Entry, fetched: Fetched) -> bool:
        if entry.ttl > 0:
            return True
        # Stale at once, but worth keeping to revalidate (RefreshHit) unless the origin said not to.
        directives = cache_control(fetched.header("cache-control"))
        return entry.revalidatable and not {"no-cache", "no-store", "private"} & directives.keys()

    def _refresh(self, key: tuple, stale: Entry, behaviour: Behaviour, fetched: Fetched) -> None:
        lower = {
            **stale.headers,
            **{k.lower(): v for k, v in fetched.headers if k.lower() in responses.NOT_MODIFIED_HEADERS},
        }
        stale.ttl = ttl(behaviour.cache, 200, lower, 0, time.time())
        stale.stored = time.monotonic()
        self.cache.put(key, stale)

    async def _forward(self, request: Request, conn: ViewerConnection, behaviour: Behaviour, cf_id: bytes):
        """Not cacheable (CachingDisabled, or a method that changes something): the request
        goes to the origin as it streams, the answer back as it streams."""
        origin = self.origins[behaviour.origin]
        self.stats.forwarded += 1
        try:
            fetched = await origin.send(request, behaviour, cf_id.decode(), stream=True)
        except httpx.TimeoutException:
            conn.write(responses.error_page(504, ORIGIN_TIMEOUT, cf_id))
            request.keep_alive = False
            return
        except (httpx.HTTPError, OSError) as exc:
            log.warning("origin %s unreachable: %s", origin.name, exc)
            conn.write(responses.error_page(502, ORIGIN_UNREACHABLE, cf_id))
            request.keep_alive = False
            return
        self.stats.origin_fetches[origin.name] += 1
        await self._stream(
            request, conn, fetched, behaviour, "error" if fetched.status >= 400 else "miss", cf_id
        )
        if request.body is not None and not request.body.ended:
            request.keep_alive = False  # the origin answered before the body ended: start afresh

    async def _stream(
        self, request, conn, fetched: Fetched, behaviour: Behaviour, x_cache: str, cf_id: bytes
    ):
        headers = responses.origin_headers(fetched.headers, keep_cookies=bool(behaviour.origin_request))
        length = fetched.header("content-length")
        bodiless = request.method == "HEAD" or fetched.status in (204, 304) or fetched.status < 200
        chunked = not length and not bodiless
        if length:
            headers.append(("Content-Length", length))
        elif chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        head = responses.status_line(fetched.status) + responses.header_block(headers)
        conn.write(head + responses.tail(x_cache, cf_id, None, not request.keep_alive))
        async for chunk in fetched.chunks():
            if bodiless or not chunk:
                continue
            conn.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            await conn.drain()
        if chunked:
            conn.write(b"0\r\n\r\n")

    async def aclose(self) -> None:
        for origin in self.origins.values():
            await origin.aclose()


def _query_params(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True)) if query else {}


def _url_without_proof(base: str, query: str) -> str:
    """The URL a signed URL's policy is matched against: its own query without the signing
    parameters."""
    if not query:
        return base
    kept = [
        p
        for p in query.split("&")
        if p.split("=", 1)[0] not in ("Expires", "Policy", "Signature", "Key-Pair-Id")
    ]
    return f"{base}?{'&'.join(kept)}" if kept else base


METHOD_REFUSED = (
    "This distribution is not configured to allow the HTTP request method that was used for this request. "
    "The distribution supports only cachable requests."
)
ORIGIN_UNREACHABLE = "CloudFront wasn't able to connect to the origin."
ORIGIN_TIMEOUT = (
    "CloudFront attempted to establish a connection with the origin, but either the attempt failed "
    "or the origin closed the connection."
)
