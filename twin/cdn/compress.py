"""Compression where CloudFront compresses: the viewer accepts it (Brotli before gzip), the
behaviour compresses, and the origin's answer is a 200, 403 or 404 of a type on CloudFront's
list, 1,000 to 10,000,000 bytes long with a Content-Length, not already encoded and not
``no-transform``. The compressed copy is what is cached (the cache key holds the encoding),
its strong ETag turned weak as CloudFront turns it."""

from __future__ import annotations

import gzip
from functools import lru_cache

import brotli

from twin.cdn.cache import cache_control

MIN_BYTES, MAX_BYTES = 1_000, 10_000_000
STATUSES = frozenset({200, 403, 404})
# The content types CloudFront compresses (its developer guide, "File types that CloudFront compresses").
TYPES = frozenset(
    """application/dash+xml application/eot application/font application/font-sfnt application/javascript
    application/json application/opentype application/otf application/pdf application/pkcs7-mime
    application/protobuf application/rss+xml application/truetype application/ttf
    application/vnd.apple.mpegurl application/vnd.mapbox-vector-tile application/vnd.ms-fontobject
    application/wasm application/xhtml+xml application/xml application/x-font-opentype
    application/x-font-truetype application/x-font-ttf application/x-httpd-cgi application/x-javascript
    application/x-mpegurl application/x-opentype application/x-otf application/x-perl application/x-ttf
    font/eot font/opentype font/otf font/ttf image/svg+xml text/css text/csv text/html text/javascript
    text/js text/plain text/richtext text/tab-separated-values text/xml text/x-component
    text/x-java-source text/x-script vnd.apple.mpegurl""".split()
)


@lru_cache(maxsize=256)
def viewer_encoding(accept_encoding: str) -> str:
    """The encoding CloudFront picks for a viewer: ``br``, ``gzip`` or '' (none)."""
    offered = {part.split(";")[0].strip().lower() for part in accept_encoding.split(",")}
    if "br" in offered:
        return "br"
    if "gzip" in offered:
        return "gzip"
    return ""


def compressible(status: int, headers: dict[str, str], size: int) -> bool:
    """``headers`` by lowercase name, as the origin answered."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return (
        status in STATUSES
        and MIN_BYTES <= size <= MAX_BYTES
        and "content-length" in headers
        and not headers.get("content-encoding")
        and content_type in TYPES
        and "no-transform" not in cache_control(headers.get("cache-control", ""))
    )


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(body, quality=5)
    return gzip.compress(body, compresslevel=6, mtime=0)


def weak_etag(value: str) -> str:
    return value if value.startswith("W/") else f"W/{value}"
