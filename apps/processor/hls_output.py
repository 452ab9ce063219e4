"""The HLS set in S3 while FFmpeg writes it: new segments first, then the playlist that lists
them (S3 never lists a missing segment), the master once every rendition has a segment, and
at the end VOD playlists, measured bandwidths and no object of an earlier attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from processor import media, playlists, store
from videoforge import jobs

log = logging.getLogger("processor.output")

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
MIB = 1024 * 1024
# How long a CDN (and a browser) may keep each object (docs/ARCHITECTURE.md, "The CDN twin"):
# a segment never changes; a growing playlist at most half a segment; a finished one a day.
SEGMENT_CACHE = "public, max-age=31536000, immutable"
FINISHED_PLAYLIST_CACHE = "max-age=86400"


def growing_playlist_cache(segment_seconds: int) -> str:
    return f"public, max-age={segment_seconds // 2}"


@dataclass
class RenditionUpload:
    rendition: media.Rendition
    uploaded: dict[str, tuple[float, int]] = field(default_factory=dict)  # uri -> (duration, bytes)
    playlist_text: str = ""
    row_written: bool = False
    ended: bool = False


class HlsOutput:
    """``record(asset)`` stores a row as soon as S3 can serve it (an incomplete rendition, the
    live master); it raises when the video is gone."""

    def __init__(self, s3, bucket: str, video_id: str, out_dir: Path, pool: ThreadPoolExecutor,
                 record: Callable[[store.Asset], None], segment_seconds: int):  # fmt: skip
        self.s3, self.bucket, self.video_id, self.out_dir = s3, bucket, video_id, out_dir
        self.pool, self.record, self.segment_seconds = pool, record, segment_seconds
        self.growing_cache = growing_playlist_cache(segment_seconds)
        self.uploads: dict[str, RenditionUpload] = {}
        self.master_written = False
        self.transfer = TransferConfig(
            multipart_threshold=16 * MIB, multipart_chunksize=16 * MIB, use_threads=False
        )

    def prepare(self, renditions: list[media.Rendition]) -> None:
        for r in renditions:
            (self.out_dir / r.name).mkdir(parents=True, exist_ok=True)
            self.uploads[r.name] = RenditionUpload(r)

    def key(self, rendition: str, name: str) -> str:
        return f"{jobs.rendition_prefix(self.video_id, rendition)}{name}"

    def sync(self, final: bool) -> None:
        """Upload what FFmpeg finished: every rendition's new segments at once, then each
        rendition's playlist once its own segments are in."""
        started = []
        for up in self.uploads.values():
            path = self.out_dir / up.rendition.name / "index.m3u8"
            if not path.exists():
                continue
            text = path.read_text()
            if text == up.playlist_text and not final:
                continue
            started.append((up, text, self._upload_new_segments(up, text, final)))
        for up, text, futures in started:
            self._sync_rendition(up, text, futures, final)
        if not final and not self.master_written and all(up.uploaded for up in self.uploads.values()):
            self.write_master(final=False)

    def _upload_new_segments(self, up: RenditionUpload, text: str, final: bool) -> list:
        playlist = playlists.parse_media_playlist(text)
        if final and not playlist.ended:
            raise RuntimeError(f"{up.rendition.name}: FFmpeg ended without finishing its playlist")
        new = [(uri, d) for uri, d in playlist.segments if uri not in up.uploaded]
        return [(uri, d, self.pool.submit(self._upload_segment, up.rendition.name, uri)) for uri, d in new]

    def _sync_rendition(self, up: RenditionUpload, text: str, futures: list, final: bool) -> None:
        for uri, duration, future in futures:
            up.uploaded[uri] = (duration, future.result())
        self.s3.put_object(
            Bucket=self.bucket,
            Key=self.key(up.rendition.name, "index.m3u8"),
            Body=playlists.steady_target_duration(
                playlists.finalize_playlist(text) if final else text, self.segment_seconds
            ).encode(),
            ContentType=PLAYLIST_TYPE,
            CacheControl=FINISHED_PLAYLIST_CACHE if final else self.growing_cache,
        )
        up.playlist_text, up.ended = text, final
        if up.uploaded and (futures or not up.row_written) and not final:
            self.record(self.rendition_asset(up, complete=False))
            up.row_written = True

    def _upload_segment(self, rendition: str, uri: str) -> int:
        path = self.out_dir / rendition / uri
        size = path.stat().st_size
        self.s3.upload_file(
            str(path), self.bucket, self.key(rendition, uri),
            ExtraArgs={"ContentType": "video/mp2t", "CacheControl": SEGMENT_CACHE}, Config=self.transfer,
        )  # fmt: skip
        path.unlink()  # disk stays flat: FFmpeg never reads a finished segment again
        return size

    def bandwidth(self, up: RenditionUpload) -> tuple[int, int | None]:
        peak, average = playlists.measured_bandwidth(list(up.uploaded.values()))
        if not up.ended or not peak:
            return up.rendition.estimated_bandwidth(), None
        return peak, average

    def rendition_asset(self, up: RenditionUpload, complete: bool) -> store.Asset:
        r = up.rendition
        return store.Asset(
            kind="rendition", name=r.name, s3_key=self.key(r.name, "index.m3u8"), width=r.width,
            height=r.height, bandwidth=self.bandwidth(up)[0], codecs=r.codecs,
            segment_count=len(up.uploaded), complete=complete,
        )  # fmt: skip

    def write_master(self, final: bool) -> store.Asset:
        variants = []
        for up in self.uploads.values():
            peak, average = self.bandwidth(up)
            r = up.rendition
            variants.append(playlists.Variant(r.name, r.width, r.height, peak, average, r.codecs, None))
        key = jobs.master_playlist_key(self.video_id)
        self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=playlists.master_playlist(variants).encode(),
            ContentType=PLAYLIST_TYPE, CacheControl="no-cache",
        )  # fmt: skip
        asset = store.Asset("master", "master", key, complete=final)
        if not final:
            self.record(asset)
            log.info("first playable", extra={"video_id": self.video_id})
        self.master_written = True
        return asset

    def finish(self) -> list[store.Asset]:
        """The final playlists and master, nothing stale left; the asset set to record."""
        self.sync(final=True)
        empty = [name for name, up in self.uploads.items() if not up.uploaded]
        if empty:
            raise RuntimeError(f"FFmpeg produced no segments for {', '.join(empty)}")
        master = self.write_master(final=True)
        keep = {master.s3_key}
        for up in self.uploads.values():
            keep.add(self.key(up.rendition.name, "index.m3u8"))
            keep.update(self.key(up.rendition.name, uri) for uri in up.uploaded)
        removed = remove_objects(self.s3, self.bucket, [jobs.hls_prefix(self.video_id)], keep)
        if removed:
            log.info("removed stale objects", extra={"video_id": self.video_id, "count": removed})
        return [*(self.rendition_asset(up, complete=True) for up in self.uploads.values()), master]


def remove_objects(s3, bucket: str, prefixes: list[str], keep: set[str] = frozenset()) -> int:
    """Delete every object under the prefixes except ``keep``; how many went."""
    stale = []
    for prefix in prefixes:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            stale += [{"Key": o["Key"]} for o in page.get("Contents", []) if o["Key"] not in keep]
    for i in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale[i : i + 1000], "Quiet": True})
    return len(stale)


def remove_video_outputs(s3, bucket: str, video_id: str) -> int:
    """Everything a job writes for a video (a deleted video leaves nothing behind)."""
    return remove_objects(s3, bucket, [jobs.hls_prefix(video_id), jobs.thumbnail_prefix(video_id)])
