"""HLS playlist text, pure: FFmpeg's media playlists read and finished as VOD, the bandwidth
a rendition measured, and the master playlist. No I/O here, so all of it is unit tested.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaPlaylist:
    segments: tuple[tuple[str, float], ...]  # (relative URI, duration)
    ended: bool

    @property
    def peak_duration(self) -> float:
        return max((d for _, d in self.segments), default=0.0)


def parse_media_playlist(text: str) -> MediaPlaylist:
    segments = []
    duration = 0.0
    ended = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif line and not line.startswith("#"):
            segments.append((line, duration))
            duration = 0.0
    return MediaPlaylist(tuple(segments), ended)


def finalize_playlist(text: str) -> str:
    """The finished EVENT playlist as VOD: the type changes and ENDLIST is there."""
    lines = [
        "#EXT-X-PLAYLIST-TYPE:VOD" if ln.strip() == "#EXT-X-PLAYLIST-TYPE:EVENT" else ln
        for ln in text.strip().splitlines()
    ]
    if not any(ln.strip().startswith("#EXT-X-PLAYLIST-TYPE") for ln in lines):
        lines.insert(1, "#EXT-X-PLAYLIST-TYPE:VOD")
    if lines[-1].strip() != "#EXT-X-ENDLIST":
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def steady_target_duration(text: str, segment_seconds: int) -> str:
    """The playlist with EXT-X-TARGETDURATION at least the steady segment length.

    FFmpeg writes the longest segment so far, which grows through the short first segments;
    a playlist's target duration must not change (RFC 8216, 6.2.1) and players time their
    reloads by it, so the published one says from the first segment what it will say at the end.
    """
    tag = "#EXT-X-TARGETDURATION:"
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(tag):
            lines[i] = f"{tag}{max(int(line[len(tag) :]), segment_seconds)}"
    return "\n".join(lines) + "\n"


def measured_bandwidth(segments: Sequence[tuple[float, int]]) -> tuple[int, int]:
    """(peak, average) bits/s from (duration, size in bytes) of each segment, as HLS defines
    BANDWIDTH (the peak segment bitrate) and AVERAGE-BANDWIDTH."""
    rates = [size * 8 / dur for dur, size in segments if dur > 0]
    total_time = sum(dur for dur, _ in segments if dur > 0)
    if not rates or total_time <= 0:
        return 0, 0
    average = sum(size for dur, size in segments if dur > 0) * 8 / total_time
    return math.ceil(max(rates)), math.ceil(average)


@dataclass(frozen=True)
class Variant:
    name: str
    width: int
    height: int
    bandwidth: int
    average_bandwidth: int | None
    codecs: str
    frame_rate: float | None = None


def master_playlist(variants: Sequence[Variant]) -> str:
    """The master playlist, highest variant first, with relative URIs <name>/index.m3u8."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for v in sorted(variants, key=lambda v: v.bandwidth, reverse=True):
        attrs = [f"BANDWIDTH={v.bandwidth}"]
        if v.average_bandwidth:
            attrs.append(f"AVERAGE-BANDWIDTH={v.average_bandwidth}")
        attrs += [f"RESOLUTION={v.width}x{v.height}", f'CODECS="{v.codecs}"']
        if v.frame_rate:
            attrs.append(f"FRAME-RATE={v.frame_rate:.3f}")
        lines += [f"#EXT-X-STREAM-INF:{','.join(attrs)}", f"{v.name}/index.m3u8"]
    return "\n".join(lines) + "\n"
