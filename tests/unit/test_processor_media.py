"""The processor's pure parts: probe parsing, ladder selection, FFmpeg arguments, progress,
playlists and the master playlist."""

from __future__ import annotations

import json

import pytest

from processor import media, playlists
from processor.config import Rung, parse_ladder
from tests.support import model

# The model's ladder and its names, as the roles hand them to the processor and the gallery.
DEFAULT_LADDER = model.ladder()
LADDER = model.rendition_names()

# Real `ffmpeg -hide_banner -i FILE` stderr (FFmpeg 9, and the older side-data spelling).
PROBE_1080P = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mp4':
  Metadata:
    major_brand     : isom
    encoder         : Lavf63.1.102
  Duration: 00:00:03.00, start: 0.000000, bitrate: 4044 kb/s
  Stream #0:0[0x1](und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), yuv420p(progressive), \
1920x1080 [SAR 1:1 DAR 16:9], 3968 kb/s, 5 fps, 5 tbr, 10240 tbn (default)
    Metadata:
      handler_name    : VideoHandler
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 69 kb/s (default)
    Metadata:
      handler_name    : SoundHandler
At least one output file must be specified
"""

PROBE_PHONE = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'IMG_0001.MOV':
  Duration: 01:02:03.50, start: 0.000000, bitrate: 16000 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, bt709), 1920x1080, \
15000 kb/s, 29.97 fps, 29.97 tbr, 600 tbn (default)
      Side data:
        displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)
"""

PROBE_ROTATED_AUDIO_SIDE_DATA = """Input #0, mov,mp4, from 'x.mp4':
  Duration: 00:00:10.00, start: 0.000000, bitrate: 1000 kb/s
  Stream #0:0[0x1](und): Video: h264 (High), yuv420p, 1280x720, 900 kb/s, 25 fps, 25 tbr, 12800 tbn
    Side data:
      Display Matrix: rotation of 90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC), 48000 Hz, stereo, fltp, 128 kb/s
"""

PROBE_NO_AUDIO_NO_DURATION = """Input #0, matroska,webm, from 'clip.webm':
  Duration: N/A, start: 0.000000, bitrate: N/A
  Stream #0:0: Video: vp9 (Profile 0), yuv420p(tv), 640x360, SAR 1:1 DAR 16:9, 30 fps, 30 tbr, 1k tbn
"""

PROBE_CORRUPT = """[in#0 @ 0x559312081c80] Error opening input: Invalid data found when processing input
Error opening input file c.mp4.
Error opening input files: Invalid data found when processing input
"""

PROBE_AUDIO_ONLY = """Input #0, mp3, from 'song.mp3':
  Duration: 00:03:00.00, start: 0.025057, bitrate: 128 kb/s
  Stream #0:0: Audio: mp3 (mp3float), 44100 Hz, stereo, fltp, 128 kb/s
  Stream #0:1: Video: mjpeg (Baseline), yuvj420p(pc), 500x500, 90k tbr, 90k tbn (attached pic)
"""


# ---------------------------------------------------------------- probe


def test_probe_reads_duration_size_fps_and_audio():
    probe = media.parse_probe(PROBE_1080P)
    assert probe == media.Probe(3.0, 1920, 1080, 5.0, 0, True, "h264")
    assert (probe.display_width, probe.display_height) == (1920, 1080)


def test_probe_reads_a_phone_rotation_and_swaps_the_displayed_size():
    probe = media.parse_probe(PROBE_PHONE)
    assert probe.duration == pytest.approx(3723.5)
    assert probe.fps == pytest.approx(29.97)
    assert probe.rotation == 270
    assert (probe.display_width, probe.display_height) == (1080, 1920)
    assert media.parse_probe(PROBE_ROTATED_AUDIO_SIDE_DATA).rotation == 90


def test_probe_without_audio_or_declared_duration():
    probe = media.parse_probe(PROBE_NO_AUDIO_NO_DURATION)
    assert (probe.has_audio, probe.duration, probe.width, probe.height) == (False, 0.0, 640, 360)


def test_unreadable_input_has_a_readable_reason():
    with pytest.raises(media.UnreadableMedia, match=r"not a readable video") as raised:
        media.parse_probe(PROBE_CORRUPT)
    # FFmpeg's own words are for the log, never for the uploader.
    assert "Invalid data found" in raised.value.detail and "Invalid data" not in raised.value.reason


def test_cover_art_is_not_a_video_stream():
    with pytest.raises(media.UnreadableMedia, match="no video stream"):
        media.parse_probe(PROBE_AUDIO_ONLY)


def test_decoded_duration_is_the_last_time_of_the_pass():
    stderr = "frame=  10 fps=0.0 q=-1.0 size=N/A time=00:00:00.40 bitrate=N/A\n" * 2 + (
        "frame=  75 fps=0.0 q=-1.0 Lsize=N/A time=00:00:02.96 bitrate=N/A speed= 148x\n"
    )
    assert media.parse_decoded_duration(stderr) == pytest.approx(2.96)
    assert media.parse_decoded_duration("nothing") == 0.0


# ---------------------------------------------------------------- ladder


def _probe(width: int, height: int, rotation: int = 0, audio: bool = True, fps: float = 30) -> media.Probe:
    return media.Probe(10.0, width, height, fps, rotation, audio)


def _names(renditions):
    return [(r.name, r.width, r.height) for r in renditions]


def test_1080p_source_gets_the_whole_ladder():
    assert _names(media.select_ladder(_probe(1920, 1080), DEFAULT_LADDER, LADDER)) == [
        ("1080p", 1920, 1080),
        ("720p", 1280, 720),
        ("480p", 854, 480),
        ("360p", 640, 360),
    ]


def test_never_above_the_source_height():
    assert _names(media.select_ladder(_probe(854, 480), DEFAULT_LADDER, LADDER)) == [
        ("480p", 854, 480),
        ("360p", 640, 360),
    ]
    # 1916x1076 is just under 1080: 720p is the top.
    assert media.select_ladder(_probe(1916, 1076), DEFAULT_LADDER, LADDER)[0].name == "720p"


def test_portrait_uses_the_short_side():
    coded_portrait = media.select_ladder(_probe(1080, 1920), DEFAULT_LADDER, LADDER)
    phone = media.select_ladder(_probe(1920, 1080, rotation=270), DEFAULT_LADDER, LADDER)
    expected = [("1080p", 1080, 1920), ("720p", 720, 1280), ("480p", 480, 854), ("360p", 360, 640)]
    assert _names(coded_portrait) == expected
    assert _names(phone) == expected


def test_tiny_source_gets_the_lowest_rung_at_its_own_size():
    assert _names(media.select_ladder(_probe(320, 240), DEFAULT_LADDER, LADDER)) == [("360p", 320, 240)]


def test_only_the_qualities_the_job_asks_for():
    assert [r.name for r in media.select_ladder(_probe(1920, 1080), DEFAULT_LADDER, ["720p", "360p"])] == [
        "720p",
        "360p",
    ]
    assert media.select_ladder(_probe(1920, 1080), DEFAULT_LADDER, []) == []


def test_odd_aspect_ratios_give_even_sizes():
    for r in media.select_ladder(_probe(1440, 1080), DEFAULT_LADDER, LADDER):  # 4:3
        assert r.width % 2 == 0 and r.height % 2 == 0
    assert _names(media.select_ladder(_probe(1440, 1080), DEFAULT_LADDER, ["480p"])) == [("480p", 640, 480)]


def test_bitrates_levels_and_codecs():
    top = media.select_ladder(_probe(1920, 1080, fps=30), DEFAULT_LADDER, LADDER)
    assert (top[0].video_bitrate, top[0].max_rate, top[0].audio_bitrate) == (5_000_000, 5_350_000, 128_000)
    assert [r.level for r in top] == ["4.0", "3.1", "3.1", "3.0"]
    assert top[0].codecs == "avc1.640028,mp4a.40.2"
    silent = media.select_ladder(_probe(640, 360, audio=False), DEFAULT_LADDER, LADDER)
    assert [(r.audio_bitrate, r.codecs) for r in silent] == [(0, "avc1.64001e")]
    assert media.h264_level(1920, 1080, 60, 5_350_000) == "4.2"
    assert media.h264_level(3840, 2160, 30, 20_000_000) == "5.1"


def test_ladder_from_the_model_json():
    model = [
        {"name": "360p", "height": 360, "video_bitrate": "800k", "max_rate": "856k", "audio_bitrate": "96k"},
        {
            "name": "720p",
            "height": 720,
            "video_bitrate": "2.8M",
            "max_rate": "2996k",
            "audio_bitrate": "128k",
        },
    ]
    ladder = parse_ladder(json.dumps(model))
    assert [r.name for r in ladder] == ["720p", "360p"]  # highest first
    assert Rung.bits(ladder[0].video_bitrate) == 2_800_000
    with pytest.raises(ValueError):
        parse_ladder("[]")


# ---------------------------------------------------------------- FFmpeg arguments


def _arg(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_one_invocation_for_the_whole_ladder():
    renditions = media.select_ladder(_probe(1920, 1080), DEFAULT_LADDER, LADDER)
    args = media.ladder_args("ffmpeg", "/w/source", "/w/hls", renditions, True, 4, "veryfast")
    assert args[0] == "ffmpeg" and args.count("-i") == 1 and _arg(args, "-i") == "/w/source"
    graph = _arg(args, "-filter_complex")
    assert graph.startswith("[0:v:0]split=4[s0][s1][s2][s3];")
    assert "[s0]scale=1920:1080" in graph and "[s3]scale=640:360" in graph
    assert args.count("-map") == 8 and args.count("0:a:0") == 4
    assert (
        _arg(args, "-var_stream_map")
        == "v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:480p v:3,a:3,name:360p"
    )
    # Keyframes where each segment starts (0.5 s, 1 s, 2 s, then every 4 s) and nowhere else
    # decided by the encoder; the muxer cuts at every one of them.
    assert _arg(args, "-force_key_frames") == (
        "expr:gte(t,if(lte(n_forced,3),0.5*(pow(2,n_forced)-1),3.5+4*(n_forced-3)))"
    )
    assert _arg(args, "-sc_threshold") == "0" and _arg(args, "-x264-params") == "keyint=infinite"
    assert _arg(args, "-hls_time") == "0.5"
    assert _arg(args, "-hls_playlist_type") == "event"
    assert _arg(args, "-hls_segment_filename") == "/w/hls/%v/seg_%05d.ts"
    assert args[-1] == "/w/hls/%v/index.m3u8"
    assert _arg(args, "-progress") == "pipe:1"
    assert (_arg(args, "-b:v:0"), _arg(args, "-maxrate:v:0"), _arg(args, "-bufsize:v:0")) == (
        "5000000",
        "5350000",
        "10700000",
    )
    assert (_arg(args, "-level:v:0"), _arg(args, "-b:a:3")) == ("4.0", "96000")


@pytest.mark.parametrize(
    ("segment_seconds", "starts"),
    [
        (4, [0, 0.5, 1.5, 3.5, 7.5, 11.5]),
        (6, [0, 0.5, 1.5, 3.5, 7.5, 13.5]),
        (2, [0, 0.5, 1.5, 3.5, 5.5, 7.5]),
        (1, [0, 0.5, 1.5, 2.5, 3.5, 4.5]),
    ],
)
def test_the_first_segments_are_short_then_double_up_to_the_segment_length(segment_seconds, starts):
    """Where FFmpeg forces a keyframe (each segment's start): the expression evaluated as
    FFmpeg does, with n_forced the keyframes forced so far."""
    expression = media.keyframe_expression(segment_seconds).removeprefix("expr:gte(t,").removesuffix(")")
    expression = expression.replace("if(", "when(")  # FFmpeg's if() under a name Python allows
    ffmpeg_functions = {"when": lambda c, a, b: a if c else b, "lte": lambda a, b: a <= b, "pow": pow}
    assert [eval(expression, ffmpeg_functions, {"n_forced": n}) for n in range(6)] == starts  # noqa: S307


def test_no_audio_maps_video_only():
    renditions = media.select_ladder(_probe(1280, 720, audio=False), DEFAULT_LADDER, LADDER)
    args = media.ladder_args("ffmpeg", "src", "out", renditions, False, 2)
    assert "0:a:0" not in args and "-c:a" not in args
    assert _arg(args, "-var_stream_map") == "v:0,name:720p v:1,name:480p v:2,name:360p"


def test_single_rendition_needs_no_split():
    renditions = media.select_ladder(_probe(640, 360), DEFAULT_LADDER, LADDER)
    graph = _arg(media.ladder_args("ffmpeg", "src", "out", renditions, True, 4), "-filter_complex")
    assert graph.startswith("[0:v:0]null[s0];") and "split" not in graph


def test_poster_frame_is_a_little_into_the_video():
    assert media.poster_time(3) == pytest.approx(0.3)
    assert media.poster_time(3600) == 10.0
    args = media.poster_args("ffmpeg", "src", "poster.jpg", 20)
    assert _arg(args, "-ss") == "2.0" and _arg(args, "-frames:v") == "1" and args[-1] == "poster.jpg"


# ---------------------------------------------------------------- progress


def test_progress_lines():
    block = ["frame=25\n", "out_time_us=1500000\n", "out_time_ms=1500000\n", "out_time=00:00:01.500000\n"]
    assert media.parse_progress([*block, "progress=continue\n"]) == (1.5, False)
    assert media.parse_progress(["out_time_us=N/A\n", "progress=end\n"]) == (None, True)
    assert media.parse_progress(["out_time_us=-23220\n"]) == (0.0, False)


def test_progress_percent_stays_below_100_until_ready():
    assert media.progress_percent(1.5, 3.0) == 50
    assert media.progress_percent(3.1, 3.0) == 99
    assert media.progress_percent(1.0, 0) == 0


def test_progress_writes_are_throttled():
    assert media.should_write_progress(3, 0, now=10.0, last_time=7.0)  # 3 s later
    assert not media.should_write_progress(3, 0, now=10.0, last_time=9.0)  # too soon, small step
    assert media.should_write_progress(6, 0, now=10.0, last_time=9.9)  # a big step
    assert not media.should_write_progress(6, 6, now=20.0, last_time=0.0)  # nothing new


# ---------------------------------------------------------------- playlists


EVENT_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXTINF:4.000000,
seg_00000.ts
#EXTINF:3.500000,
seg_00001.ts
"""


def test_media_playlist_parsing():
    playlist = playlists.parse_media_playlist(EVENT_PLAYLIST)
    assert playlist.segments == (("seg_00000.ts", 4.0), ("seg_00001.ts", 3.5))
    assert not playlist.ended and playlist.peak_duration == 4.0
    assert playlists.parse_media_playlist(EVENT_PLAYLIST + "#EXT-X-ENDLIST\n").ended


def test_the_published_target_duration_is_the_steady_one_from_the_first_segment():
    first = EVENT_PLAYLIST.replace("#EXT-X-TARGETDURATION:4", "#EXT-X-TARGETDURATION:1")
    assert "#EXT-X-TARGETDURATION:4\n" in playlists.steady_target_duration(first, 4)
    longer = EVENT_PLAYLIST.replace("#EXT-X-TARGETDURATION:4", "#EXT-X-TARGETDURATION:5")
    assert playlists.steady_target_duration(longer, 4) == longer  # never below a segment's length


def test_finished_event_playlist_becomes_vod():
    final = playlists.finalize_playlist(EVENT_PLAYLIST + "#EXT-X-ENDLIST\n")
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in final and "EVENT" not in final
    assert final.count("#EXT-X-ENDLIST") == 1 and final.endswith("#EXT-X-ENDLIST\n")
    parse = playlists.parse_media_playlist
    assert parse(final).segments == parse(EVENT_PLAYLIST).segments
    assert playlists.finalize_playlist(EVENT_PLAYLIST).endswith("seg_00001.ts\n#EXT-X-ENDLIST\n")


def test_measured_bandwidth_is_the_peak_segment_rate():
    peak, average = playlists.measured_bandwidth([(4.0, 1_000_000), (2.0, 1_000_000)])
    assert peak == 4_000_000 and average == pytest.approx(2_666_667, abs=1)
    assert playlists.measured_bandwidth([]) == (0, 0)


def test_master_playlist_lists_every_variant_with_bandwidth_resolution_codecs():
    text = playlists.master_playlist(
        [
            playlists.Variant("360p", 640, 360, 900_000, 700_000, "avc1.64001e,mp4a.40.2"),
            playlists.Variant("1080p", 1920, 1080, 5_900_000, None, "avc1.640028,mp4a.40.2"),
        ]
    )
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    assert lines[-4:] == [
        '#EXT-X-STREAM-INF:BANDWIDTH=5900000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2"',
        "1080p/index.m3u8",
        '#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=700000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"',
        "360p/index.m3u8",
    ]


def test_estimated_bandwidth_covers_the_peak_rate_and_audio():
    (r,) = media.select_ladder(_probe(640, 360), DEFAULT_LADDER, LADDER)
    assert r.estimated_bandwidth() > r.max_rate + r.audio_bitrate


def test_poster_size_keeps_orientation_and_caps_the_short_side():
    from processor.transcode import poster_size

    assert poster_size(_probe(1920, 1080)) == (1280, 720)
    assert poster_size(_probe(1920, 1080, rotation=90)) == (720, 1280)
    assert poster_size(_probe(640, 360)) == (640, 360)
