"""What the CDN twin keeps: objects by cache key in a byte-bounded LRU, each for as long as
CloudFront would keep it.

How long (``ttl``), as CloudFront computes it from the cache policy's bounds and the
origin's headers: ``s-maxage``, else ``max-age``, else ``Expires`` (minus ``Date``), clamped
to [min TTL, max TTL]; none of them: the default TTL; ``no-cache``, ``no-store`` or
``private``: the min TTL (0 with our policies: fetched again every time). An error the
origin answers (403, 404, 5xx, ...) is kept for the distribution's error caching seconds.
A policy whose max TTL is 0 (AWS's CachingDisabled) keeps nothing.

An object past its TTL that has a validator (ETag, Last-Modified) is kept and revalidated
with a conditional GET: a 304 refreshes it (``RefreshHit``).
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

# What CloudFront caches by status: these as objects, ERROR_STATUSES for the error caching time.
CACHEABLE_STATUSES = frozenset({200, 203, 300, 301, 410})
ERROR_STATUSES = frozenset({400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504})
DEFAULT_ERROR_SECONDS = 10  # CloudFront's error caching minimum TTL for a code not configured
ENTRY_OVERHEAD = 256  # bytes an entry costs beyond its body and head, roughly
_DIRECTIVE = re.compile(r"\s*([a-z-]+)\s*(?:=\s*\"?(\d+)\"?)?\s*(?:,|$)")


@dataclass(frozen=True)
class CachePolicy:
    min_ttl: int = 0
    default_ttl: int = 86400
    max_ttl: int = 31536000

    @property
    def caches(self) -> bool:
        return self.max_ttl > 0


def cache_control(value: str) -> dict[str, int | None]:
    """``Cache-Control`` directives by lowercase name, with their seconds where given."""
    return {m[1]: (int(m[2]) if m[2] else None) for m in _DIRECTIVE.finditer(value.lower()) if m[1]}


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def ttl(policy: CachePolicy, status: int, headers: dict[str, str], error_seconds: int, now: float) -> float:
    """Seconds CloudFront keeps this response (0: not at all). ``headers`` by lowercase name;
    ``error_seconds``: the error caching minimum TTL for this status."""
    if not policy.caches:
        return 0
    if status in ERROR_STATUSES:
        return error_seconds
    if status not in CACHEABLE_STATUSES:
        return 0
    directives = cache_control(headers.get("cache-control", ""))
    if {"no-cache", "no-store", "private"} & directives.keys():
        return policy.min_ttl
    seconds = directives.get("s-maxage")
    if seconds is None:
        seconds = directives.get("max-age")
    if seconds is None and "expires" in headers:
        expires = _http_date(headers["expires"])
        origin_now = _http_date(headers.get("date")) or now
        seconds = max(0, int(expires - origin_now)) if expires is not None else 0
    if seconds is None:
        return policy.default_ttl
    return min(max(seconds, policy.min_ttl), policy.max_ttl)


@dataclass(eq=False)
class Entry:
    """A cached response: ``head`` is its status line and headers, ready to send (the
    per-request ones, Age and X-Cache among them, are added when sent)."""

    status: int
    head: bytes
    body: bytes
    headers: dict[str, str]  # by lowercase name, as the origin answered (what revalidation needs)
    path: str
    ttl: float
    stored: float = field(default_factory=time.monotonic)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.head) + ENTRY_OVERHEAD

    def fresh(self, now: float) -> bool:
        return now - self.stored < self.ttl

    def age(self, now: float) -> int:
        return int(now - self.stored)

    @property
    def revalidatable(self) -> bool:
        return self.status == 200 and ("etag" in self.headers or "last-modified" in self.headers)

    @property
    def no_store(self) -> bool:
        return "no-store" in cache_control(self.headers.get("cache-control", ""))


class Cache:
    """Entries by key, least recently used first out once their bytes pass ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.bytes = 0
        self.evictions = 0
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple, entry: Entry) -> bool:
        """Keep ``entry`` (replacing what ``key`` held); False when it can never fit."""
        self.drop(key)
        if entry.size > self.limit:
            return False
        self._entries[key] = entry
        self.bytes += entry.size
        while self.bytes > self.limit:
            _, old = self._entries.popitem(last=False)
            self.bytes -= old.size
            self.evictions += 1
        return True

    def drop(self, key: tuple) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size

    def invalidate(self, path_pattern: str) -> int:
        """Drop every entry whose path the invalidation path names (``*`` only at its end,
        as CloudFront takes it); how many went."""
        if path_pattern.endswith("*"):
            prefix = path_pattern[:-1]
            keys = [k for k, e in self._entries.items() if e.path.startswith(prefix)]
        else:
            keys = [k for k, e in self._entries.items() if e.path == path_pattern]
        for key in keys:
            self.drop(key)
        return len(keys)
