"""The pure parts of the transcode: probe parsing, ladder selection, FFmpeg arguments and
progress parsing (the playlists are processor.playlists). No I/O here, so all of it is unit
tested.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from processor.config import Rung
from processor.failures import PermanentFailure

# ---------------------------------------------------------------- probe

NOT_A_VIDEO = (
    "The uploaded file is not a readable video: it is damaged, or not in a format we accept "
    "(MP4, MOV, MKV, WebM or AVI)."
)


class UnreadableMedia(PermanentFailure):
    """The source is not a video FFmpeg can read: retrying cannot help (a permanent failure)."""


@dataclass(frozen=True)
class Probe:
    duration: float  # seconds
    width: int  # coded size, before rotation
    height: int
    fps: float
    rotation: int  # degrees, from the display matrix
    has_audio: bool
    video_codec: str = ""

    @property
    def display_width(self) -> int:
        return self.height if self.rotation % 180 else self.width

    @property
    def display_height(self) -> int:
        return self.width if self.rotation % 180 else self.height

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)


_DURATION = re.compile(r"^\s*Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)", re.M)
_STREAM = re.compile(r"^\s*Stream #\d+:\d+.*?:\s*(Video|Audio):\s*(.*)$", re.M)
_SIZE = re.compile(r"(?:^|[\s,])(\d{2,5})x(\d{2,5})(?=[\s,\[]|$)")
_FPS = re.compile(r"([\d.]+)(k?) (?:fps|tbr)")
_ROTATION = re.compile(r"(?:display ?matrix): rotation of (-?[\d.]+) degrees", re.I)
_OVERSIZE = re.compile(r"Picture size (\d+)x(\d+) (?:is invalid|exceeds)")
_ERROR_HINT = re.compile(
    r"(Invalid data found when processing input|moov atom not found|"
    r"could not find codec parameters|Error opening input[^\n]*)",
    re.I,
)


def parse_clock(text: str) -> float:
    """'01:02:03.5' -> 3723.5"""
    hours, minutes, seconds = text.strip().split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def unreadable_detail(stderr: str) -> str:
    """What FFmpeg said about a file it cannot read, for the log (never shown to the uploader)."""
    match = _ERROR_HINT.search(stderr)
    return (match.group(1) if match else (stderr.strip().splitlines() or ["no output"])[-1]).strip()


def declared_oversize(stderr: str) -> tuple[int, int] | None:
    """The picture size a decoder refused to allocate (beyond -max_pixels, or beyond what FFmpeg
    handles at all, such as 16384x16384): the file declares it, FFmpeg reports no size then."""
    match = _OVERSIZE.search(stderr)
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_probe(stderr: str) -> Probe:
    """Facts about the input from `ffmpeg -hide_banner -i FILE` (the wheel has no ffprobe).

    Raises UnreadableMedia when FFmpeg found no video stream. The duration may come back 0
    (some containers do not declare it): the caller then measures it with a decode pass.
    """
    if "Input #0" not in stderr:
        raise UnreadableMedia(NOT_A_VIDEO, unreadable_detail(stderr))
    video = None
    has_audio = False
    for kind, rest in _STREAM.findall(stderr):
        if kind == "Video" and video is None and "attached pic" not in rest:
            video = rest
        elif kind == "Audio":
            has_audio = True
    if video is None:
        raise UnreadableMedia(
            "The uploaded file has no video stream: it holds only sound, or nothing we can play."
        )
    size = _SIZE.search(video)
    if not size or int(size.group(1)) <= 0 or int(size.group(2)) <= 0:
        raise UnreadableMedia(NOT_A_VIDEO, f"no picture size in: {video.strip()[:200]}")
    width, height = int(size.group(1)), int(size.group(2))
    fps = 0.0
    fps_match = _FPS.search(video)
    if fps_match:
        fps = float(fps_match.group(1)) * (1000 if fps_match.group(2) else 1)
    # The rotation belongs to the first video stream's side data: between it and the next stream.
    after_video = stderr[stderr.find(video) :]
    next_stream = after_video.find("Stream #", 1)
    rotation_match = _ROTATION.search(after_video if next_stream < 0 else after_video[:next_stream])
    rotation = round(float(rotation_match.group(1))) % 360 if rotation_match else 0
    duration_match = _DURATION.search(stderr)
    duration = 0.0
    if duration_match:
        h, m, s = duration_match.groups()
        duration = int(h) * 3600 + int(m) * 60 + float(s)
    codec = video.split(None, 1)[0].rstrip(",") if video else ""
    return Probe(duration, width, height, fps, rotation, has_audio, codec)


_TIME = re.compile(r"time=\s*(\d+:\d{2}:\d{2}(?:\.\d+)?)")


def parse_decoded_duration(stderr: str) -> float:
    """The last `time=` of a decode pass: the duration when the container declares none."""
    times = _TIME.findall(stderr)
    return parse_clock(times[-1]) if times else 0.0


# ---------------------------------------------------------------- ladder


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    video_bitrate: int  # bits/s
    max_rate: int
    audio_bitrate: int
    level: str  # H.264 level, e.g. "4.0"

    @property
    def codecs(self) -> str:
        return codecs_string(self.level, audio=self.audio_bitrate > 0)

    def estimated_bandwidth(self) -> int:
        """Peak bits/s before any segment exists: the VBV max rate, audio, ~8% MPEG-TS overhead."""
        return int((self.max_rate + self.audio_bitrate) * 1.08)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


# (level, max macroblocks/s, max frame size in macroblocks, max High-profile bitrate kbit/s)
H264_LEVELS = (
    ("3.0", 40_500, 1_620, 12_500),
    ("3.1", 108_000, 3_600, 17_500),
    ("3.2", 216_000, 5_120, 25_000),
    ("4.0", 245_760, 8_192, 25_000),
    ("4.1", 245_760, 8_192, 62_500),
    ("4.2", 522_240, 8_704, 62_500),
    ("5.0", 589_824, 22_080, 168_750),
    ("5.1", 983_040, 36_864, 300_000),
    ("5.2", 2_073_600, 36_864, 300_000),
)


def h264_level(width: int, height: int, fps: float, max_rate: int) -> str:
    """The lowest H.264 level that fits the picture, frame rate and peak bitrate."""
    frame_mbs = math.ceil(width / 16) * math.ceil(height / 16)
    mbps = frame_mbs * (fps if fps > 0 else 30)
    for level, max_mbps, max_fs, max_kbps in H264_LEVELS:
        if frame_mbs <= max_fs and mbps <= max_mbps and max_rate <= max_kbps * 1000:
            return level
    return H264_LEVELS[-1][0]


def codecs_string(level: str, audio: bool) -> str:
    """RFC 6381 CODECS: H.264 High profile (0x64, no constraint flags) at the level, AAC-LC."""
    major, minor = level.split(".")
    video = f"avc1.6400{int(major) * 10 + int(minor):02x}"
    return f"{video},mp4a.40.2" if audio else video


def select_ladder(probe: Probe, ladder: Sequence[Rung], qualities: Iterable[str]) -> list[Rendition]:
    """The rungs to encode: those the job asks for, never above the source.

    The rung's height is the short side of the picture, so a 1080x1920 portrait clip gets
    a 1080p rendition at 1080x1920, not a 1920-wide upscale. A source smaller than the
    lowest rung still gets that rung, at the source's own size (never upscaled).
    """
    wanted = [r for r in ladder if r.name in set(qualities)]
    if not wanted:
        return []
    width, height = probe.display_width, probe.display_height
    short = min(width, height)
    fitting = [r for r in wanted if r.height <= short] or [min(wanted, key=lambda r: r.height)]
    renditions = []
    for rung in sorted(fitting, key=lambda r: r.height, reverse=True):
        target = min(rung.height, short)
        if width >= height:  # landscape (or square): the rung is the height
            out_h, out_w = _even(target), _even(target * width / height)
        else:  # portrait: the rung is the width
            out_w, out_h = _even(target), _even(target * height / width)
        max_rate = Rung.bits(rung.max_rate)
        audio = Rung.bits(rung.audio_bitrate) if probe.has_audio else 0
        renditions.append(
            Rendition(
                name=rung.name,
                width=out_w,
                height=out_h,
                video_bitrate=Rung.bits(rung.video_bitrate),
                max_rate=max_rate,
                audio_bitrate=audio,
                level=h264_level(out_w, out_h, probe.fps, max_rate),
            )
        )
    return renditions


# ---------------------------------------------------------------- FFmpeg arguments

# A viewer can start once a first segment of every rendition is in S3: the first segment is
# this long, each next one twice the last, up to the steady segment length.
FIRST_SEGMENT_SECONDS = 0.5


def segment_starts(segment_seconds: int, first: float = FIRST_SEGMENT_SECONDS) -> tuple[int, float]:
    """(n, t): the first n segments ramp up (``first``, doubling) and the n-th ends at t; from
    there every segment is ``segment_seconds`` long."""
    n, ends = 0, 0.0
    while first * 2**n < segment_seconds:
        ends += first * 2**n
        n += 1
    return n, ends


def keyframe_expression(segment_seconds: int, first: float = FIRST_SEGMENT_SECONDS) -> str:
    """FFmpeg's ``-force_key_frames`` expression: a keyframe where each segment starts."""
    n, ends = segment_starts(segment_seconds, first)
    if n == 0:
        return f"expr:gte(t,n_forced*{segment_seconds})"
    ramp = f"{first:g}*(pow(2,n_forced)-1)"
    steady = f"{ends:g}+{segment_seconds}*(n_forced-{n})"
    return f"expr:gte(t,if(lte(n_forced,{n}),{ramp},{steady}))"


def ladder_args(
    ffmpeg: str,
    source: str,
    out_dir: str,
    renditions: Sequence[Rendition],
    has_audio: bool,
    segment_seconds: int,
    preset: str = "veryfast",
    input_options: Sequence[str] = (),
) -> list[str]:
    """One FFmpeg run for the whole ladder: decode once, split, scale per rendition,
    encode each, and mux all of them as HLS with -var_stream_map.

    Segments are keyframe aligned across renditions (a forced keyframe where each segment
    starts, none decided by the encoder: no scene cuts, no GOP limit), so players can switch
    at any segment boundary. The first segments are short (``keyframe_expression``) and the
    muxer cuts at every keyframe (its segment time is the shortest segment), so the first
    segment of every rendition exists within a second of encoding. The playlists are EVENT
    playlists while encoding (FFmpeg adds ENDLIST at the end) so people can watch while it
    works; progress goes to stdout as key=value lines.
    """
    n = len(renditions)
    labels = "".join(f"[s{i}]" for i in range(n))
    graph = [f"[0:v:0]split={n}{labels}" if n > 1 else "[0:v:0]null[s0]"]
    for i, r in enumerate(renditions):
        graph.append(f"[s{i}]scale={r.width}:{r.height}:flags=bicubic,setsar=1,format=yuv420p[v{i}]")
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats"]
    args += ["-progress", "pipe:1", *input_options, "-i", source, "-filter_complex", ";".join(graph)]
    for i in range(n):
        args += ["-map", f"[v{i}]"]
        if has_audio:
            args += ["-map", "0:a:0"]
    args += [
        "-c:v", "libx264", "-preset", preset, "-profile:v", "high",
        "-sc_threshold", "0", "-x264-params", "keyint=infinite",
        "-force_key_frames", keyframe_expression(segment_seconds),
    ]  # fmt: skip
    for i, r in enumerate(renditions):
        args += [
            f"-b:v:{i}", str(r.video_bitrate), f"-maxrate:v:{i}", str(r.max_rate),
            f"-bufsize:v:{i}", str(r.max_rate * 2), f"-level:v:{i}", r.level,
        ]  # fmt: skip
    if has_audio:
        args += ["-c:a", "aac", "-ac", "2", "-ar", "48000"]
        for i, r in enumerate(renditions):
            args += [f"-b:a:{i}", str(r.audio_bitrate or 96_000)]
    stream_map = " ".join(
        f"v:{i},a:{i},name:{r.name}" if has_audio else f"v:{i},name:{r.name}"
        for i, r in enumerate(renditions)
    )
    args += [
        "-f", "hls", "-hls_time", f"{min(FIRST_SEGMENT_SECONDS, segment_seconds):g}",
        "-hls_playlist_type", "event", "-hls_list_size", "0", "-hls_flags", "independent_segments+temp_file",
        "-hls_segment_type", "mpegts", "-hls_segment_filename", f"{out_dir}/%v/seg_%05d.ts",
        "-var_stream_map", stream_map, f"{out_dir}/%v/index.m3u8",
    ]  # fmt: skip
    return args


def poster_time(duration: float) -> float:
    """A frame a little into the video (an opening frame is often black)."""
    return round(min(max(duration * 0.1, 0.0), 10.0), 3)


def poster_args(ffmpeg: str, source: str, out_file: str, duration: float, max_height: int = 720,
                input_options: Sequence[str] = ()) -> list[str]:  # fmt: skip
    """One JPEG frame, at most max_height tall (short side for portrait), seeking on input."""
    scale = f"scale='if(gte(iw,ih),-2,min({max_height},iw))':'if(gte(iw,ih),min({max_height},ih),-2)'"
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-ss", str(poster_time(duration)),
        *input_options, "-i", source, "-frames:v", "1", "-vf", scale, "-q:v", "3", "-update", "1", out_file,
    ]  # fmt: skip


# ---------------------------------------------------------------- progress


def parse_progress(lines: Iterable[str]) -> tuple[float | None, bool]:
    """From `-progress` key=value lines: (latest out time in seconds, whether FFmpeg ended)."""
    out_time: float | None = None
    ended = False
    for line in lines:
        key, _, value = line.strip().partition("=")
        if key in ("out_time_us", "out_time_ms") and value.strip().lstrip("-").isdigit():
            # out_time_ms is microseconds too (a historical misnomer in FFmpeg).
            out_time = max(0.0, int(value) / 1_000_000)
        elif key == "progress" and value.strip() == "end":
            ended = True
    return out_time, ended


def progress_percent(out_time: float, duration: float) -> int:
    """0..99 while encoding: 100 is only written when the video is ready."""
    if duration <= 0:
        return 0
    return max(0, min(99, int(out_time * 100 / duration)))


def should_write_progress(percent: int, last_percent: int, now: float, last_time: float) -> bool:
    """Often enough for a progress bar, without flooding the database: a changed value,
    and either ~2 s since the last write or a jump of 5 points."""
    if percent <= last_percent:
        return False
    return now - last_time >= 2.0 or percent - last_percent >= 5


def eta_seconds(out_time: float, duration: float, encode_seconds: float) -> float | None:
    """Seconds until the encode ends, from this job's own measured speed (media seconds per
    wall second since FFmpeg started); None until that speed means something: 5 s of encoding
    and 5% (or 10 s) of the video behind it."""
    if duration <= 0 or encode_seconds < 5 or out_time < min(duration * 0.05, 10) or out_time <= 0:
        return None
    speed = out_time / encode_seconds
    return max(0.0, duration - out_time) / speed
