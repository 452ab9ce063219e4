"""HLS playlists: building the master, rewriting media playlists, caching the result.

The master is built from media_assets rows (BANDWIDTH, RESOLUTION, CODECS), not read from
S3: the rows are already at hand after the access check, and they exist from the first
rendition on, so a viewer can start while the video is still processing.
Behind the CDN its variants are the processor's own media playlists on the site
(``/hls/<id>/<rendition>/index.m3u8``, served by the CDN as stored, with their relative
segment URIs). Without it, media playlists come from this service: the processor's own with
each relative segment URI (and EXT-X-MAP URI) replaced by a presigned GET URL.
"""

from __future__ import annotations

import asyncio
import posixpath
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from videoforge.presign import Batch
from videoforge.videos import MediaAsset

_MAP_URI = re.compile(r'URI="([^"]*)"')


class UnsafeUri(ValueError):
    pass


def master_playlist(renditions: list[MediaAsset], playback_token: str | None, on_cdn: bool = False) -> str:
    """Variants relative to the master, carrying the playback token the master was asked with;
    ``on_cdn``: the stored media playlists on the site (the CDN serves the bucket's hls/ at /hls/)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    suffix = f"?playback={quote(playback_token, safe='')}" if playback_token else ""
    for r in renditions:
        attrs = [f"BANDWIDTH={r.bandwidth or 1}"]
        if r.width and r.height:
            attrs.append(f"RESOLUTION={r.width}x{r.height}")
        if r.codecs:
            attrs.append(f'CODECS="{r.codecs}"')
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attrs))
        if on_cdn:
            lines.append("/" + quote(r.s3_key))
            continue
        # Relative to .../video/<id>/playlist, so it resolves to .../video/<id>/<name>/playlist.m3u8
        # whatever host or prefix the viewer used (Caddy locally, the ALB on AWS).
        lines.append(f"{quote(r.name, safe='')}/playlist.m3u8{suffix}")
    return "\n".join(lines) + "\n"


def _resolve(base_dir: str, allowed_prefix: str, uri: str) -> str:
    key = posixpath.normpath(posixpath.join(base_dir, uri))
    if "://" in uri or uri.startswith("/") or not key.startswith(allowed_prefix):
        raise UnsafeUri(uri)
    return key


def rewrite_media_playlist(text: str, playlist_key: str, allowed_prefix: str, batch: Batch) -> str:
    """Every relative URI in ``text`` (segments, EXT-X-MAP) becomes a presigned URL."""
    base_dir = posixpath.dirname(playlist_key)
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#EXT-X-MAP:"):
                line = _MAP_URI.sub(
                    lambda m: f'URI="{batch.get(_resolve(base_dir, allowed_prefix, m.group(1)))}"', line
                )
            out.append(line)
        else:
            out.append(batch.get(_resolve(base_dir, allowed_prefix, line)))
    return "\n".join(out) + "\n"


class PlaylistCache:
    """Rendered playlists, per key, for a short time; one render per key at a time."""

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: OrderedDict[object, tuple[float, object]] = OrderedDict()
        self._inflight: dict[object, asyncio.Future] = {}
        self._max = max_entries

    async def get(self, key: object, render: Callable[[], Awaitable[tuple[object, float]]]) -> object:
        """The cached value for ``key``, or ``render()``'s (value, seconds to keep)."""
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry and entry[0] > now:
            self._entries.move_to_end(key)
            return entry[1]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value, keep = await render()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(value)
        if keep > 0:
            self._entries[key] = (time.monotonic() + keep, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()
