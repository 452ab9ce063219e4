"""The CDN twin's decisions, as CloudFront's developer guide states them: how long an object
is kept (cache policy bounds, the origin's Cache-Control and Expires), what a byte limit
evicts, what an invalidation path removes, which behaviour a path takes, what is compressed,
what a Range gets."""

from __future__ import annotations

from twin.cdn import compress, responses
from twin.cdn.cache import Cache, CachePolicy, Entry, ttl
from twin.cdn.config import parse

MEDIA = CachePolicy(min_ttl=0, default_ttl=86400, max_ttl=31536000)
SITE = CachePolicy(min_ttl=0, default_ttl=0, max_ttl=31536000)
DISABLED = CachePolicy(0, 0, 0)
NOW = 1_800_000_000.0


def test_ttl_follows_the_origin_inside_the_policy_bounds():
    assert ttl(MEDIA, 200, {"cache-control": "public, max-age=31536000, immutable"}, 10, NOW) == 31536000
    assert ttl(MEDIA, 200, {"cache-control": "public, max-age=2"}, 10, NOW) == 2  # a growing playlist
    assert ttl(MEDIA, 200, {}, 10, NOW) == 86400  # nothing said: the default TTL
    assert ttl(SITE, 200, {}, 10, NOW) == 0  # index.html: fetched again every time
    assert ttl(CachePolicy(60, 300, 3600), 200, {"cache-control": "max-age=10"}, 10, NOW) == 60
    assert ttl(CachePolicy(0, 300, 3600), 200, {"cache-control": "max-age=86400"}, 10, NOW) == 3600
    # s-maxage is for shared caches such as CloudFront, and wins over max-age.
    assert ttl(MEDIA, 200, {"cache-control": "max-age=5, s-maxage=60"}, 10, NOW) == 60
    expires = {"date": "Thu, 15 Jan 2027 08:00:00 GMT", "expires": "Thu, 15 Jan 2027 09:00:00 GMT"}
    assert ttl(MEDIA, 200, expires, 10, NOW) == 3600
    assert ttl(MEDIA, 200, {**expires, "cache-control": "max-age=30"}, 10, NOW) == 30


def test_no_cache_private_and_no_store_get_the_min_ttl_and_disabled_caches_nothing():
    for directive in ("no-cache", "no-store", "private, max-age=60"):
        assert ttl(MEDIA, 200, {"cache-control": directive}, 10, NOW) == 0
        assert ttl(CachePolicy(30, 60, 90), 200, {"cache-control": directive}, 10, NOW) == 30
    assert ttl(DISABLED, 200, {"cache-control": "max-age=3600"}, 10, NOW) == 0


def test_errors_are_kept_for_the_error_caching_seconds_and_other_statuses_not_at_all():
    for status in (403, 404, 500, 502, 503, 504):
        assert ttl(MEDIA, status, {"cache-control": "max-age=86400"}, 10, NOW) == 10
    assert ttl(MEDIA, 302, {"cache-control": "max-age=86400"}, 10, NOW) == 0
    assert ttl(DISABLED, 404, {}, 10, NOW) == 0


def entry(path: str, size: int) -> Entry:
    return Entry(200, b"HTTP/1.1 200 OK\r\n", b"x" * size, {}, path, 60)


def test_the_cache_keeps_to_its_byte_limit_least_recently_used_out_first():
    cache = Cache(limit=3 * entry("/a", 1000).size)
    for name in "abc":
        cache.put((f"/{name}", ""), entry(f"/{name}", 1000))
    assert cache.get(("/a", "")) is not None  # now the most recently used
    cache.put(("/d", ""), entry("/d", 1000))
    assert cache.get(("/b", "")) is None and cache.get(("/a", "")) is not None
    assert cache.bytes <= cache.limit and cache.evictions == 1
    assert not cache.put(("/huge", ""), entry("/huge", 10_000))  # never fits: not kept


def test_an_invalidation_path_removes_what_it_names_in_every_encoding():
    cache = Cache(limit=10**6)
    for key in [
        ("/hls/a/720p/seg.ts", ""),
        ("/hls/a/720p/index.m3u8", "br"),
        ("/hls/ab/x.ts", ""),
        ("/index.html", ""),
    ]:
        cache.put(key, entry(key[0], 10))
    assert cache.invalidate("/hls/a/*") == 2
    assert cache.get(("/hls/ab/x.ts", "")) is not None
    assert cache.invalidate("/index.html") == 1 and len(cache) == 1


def test_behaviours_take_a_path_by_precedence_and_cloudfront_wildcards():
    config = parse(
        {
            "distribution_id": "E1", "pki_dir": "/x",
            "listen": {"https_port": 1, "http_port": 2, "admin_port": 3},
            "origins": {"alb": {"kind": "load_balancer", "url": "https://127.0.0.1:8444"},
                        "media": {"kind": "bucket", "endpoint": "http://127.0.0.1:4566", "bucket": "b"}},
            "behaviours": [
                {"path": "/hls/*", "origin": "media", "signed": True, "cache": "media"},
                {"path": "/api/*", "origin": "alb", "cache": "CachingDisabled",
                 "origin_request": "AllViewerExceptHostHeader"},
                {"path": "/v?/x", "origin": "alb", "cache": "site"},
            ],
            "default": {"origin": "alb", "cache": "site"},
            "cache_policies": {"media": {"min_ttl": 0, "default_ttl": 86400, "max_ttl": 31536000},
                               "site": {"min_ttl": 0, "default_ttl": 0, "max_ttl": 31536000}},
            "cache_bytes": 1000,
        }
    )  # fmt: skip
    assert config.behaviour("/hls/id/720p/seg_00001.ts").signed
    assert config.behaviour("/api/stream/video/1/playlist").cache == DISABLED
    assert config.behaviour("/HLS/id/x.ts") is config.default  # case-sensitive
    assert config.behaviour("/v1/x").path == "/v?/x" and config.behaviour("/v10/x") is config.default
    assert config.behaviour("/") is config.default


def test_compression_as_cloudfront_compresses():
    text = {"content-type": "application/vnd.apple.mpegurl", "content-length": "5000"}
    assert compress.viewer_encoding("gzip, deflate, br") == "br"
    assert compress.viewer_encoding("gzip;q=1.0, identity") == "gzip"
    assert compress.viewer_encoding("identity") == ""
    assert compress.compressible(200, text, 5000)
    assert not compress.compressible(200, text, 999)  # under 1,000 bytes
    assert not compress.compressible(200, {**text, "content-type": "video/mp2t"}, 5000)
    assert not compress.compressible(206, text, 5000)
    assert not compress.compressible(200, {**text, "content-encoding": "gzip"}, 5000)
    assert not compress.compressible(200, {**text, "cache-control": "no-transform"}, 5000)
    assert compress.weak_etag('"abc"') == 'W/"abc"'


def test_a_single_range_is_served_from_the_cached_object():
    assert responses.byte_range("bytes=0-99", 1000) == (0, 99)
    assert responses.byte_range("bytes=900-", 1000) == (900, 999)
    assert responses.byte_range("bytes=-100", 1000) == (900, 999)
    assert responses.byte_range("bytes=0-5000", 1000) == (0, 999)
    assert responses.byte_range("bytes=1000-", 1000) is False  # 416
    assert responses.byte_range("bytes=0-1,5-6", 1000) is None  # several: the whole object
    head = b'HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nContent-Length: 1000\r\nETag: "e"\r\n'
    partial = responses.partial_head(head, 900, 999, 1000)
    assert partial.startswith(b"HTTP/1.1 206 Partial Content\r\n")
    assert b"Content-Range: bytes 900-999/1000\r\nContent-Length: 100\r\n" in partial
    assert b"Content-Length: 1000" not in partial and b'ETag: "e"' in partial


def test_a_conditional_request_is_answered_304_by_a_matching_validator():
    headers = {"etag": '"abc"', "last-modified": "Thu, 15 Jan 2027 08:00:00 GMT"}
    assert responses.not_modified(headers, '"abc"', "")
    assert responses.not_modified(headers, 'W/"abc", "zzz"', "")
    assert not responses.not_modified(headers, '"zzz"', "Thu, 15 Jan 2027 09:00:00 GMT")  # ETag wins
    assert responses.not_modified(headers, "", "Thu, 15 Jan 2027 09:00:00 GMT")
    assert not responses.not_modified(headers, "", "Thu, 15 Jan 2027 07:00:00 GMT")
