"""Hostile media: the model's limits, checked on what the probe found and on how the encode
goes, with reasons a person can read; and the estimate's own rule for when it means something."""

from __future__ import annotations

import pytest

from processor import media
from processor.failures import duration_text, gave_up, retrying
from processor.limits import MediaRefused
from tests.support import model
from videoforge.jobs import InvalidJob, Job

LIMITS = model.media_limits()

# Real FFmpeg 9 stderr for a frame above -max_pixels, and for one above what FFmpeg allocates.
OVER_MAX_PIXELS = (
    "[png @ 0x55] [IMGUTILS @ 0x7f] Picture size 16000x16000 exceeds specified max pixel count "
    "9437184, see the documentation if you wish to increase it\n"
    "  Stream #0:0: Video: png (MPNG / 0x474E504D), none(pc), 5 fps, 5 tbr, 1k tbn\n"
)
INVALID_SIZE = "[png @ 0x55] [IMGUTILS @ 0x7f] Picture size 16384x16384 is invalid\n"


def test_the_models_limits_refuse_what_would_hold_a_worker():
    LIMITS.check(3600, 3840, 2160, 60)  # an hour of 4K60 from a phone: fine
    LIMITS.check(10, 2160, 3840, 240)  # portrait 4K, slow motion: fine
    with pytest.raises(MediaRefused, match=r"^The video is 10 h long; videos may be at most 4 h\.$"):
        LIMITS.check(36_000, 1920, 1080, 30)
    with pytest.raises(
        MediaRefused, match=r"picture is 16384x16384, larger than we process \(9\.4 megapixels"
    ):
        LIMITS.check(10, 16384, 16384, 30)
    with pytest.raises(MediaRefused, match=r"1000 frames per second; we process at most 240\.$"):
        LIMITS.check(10, 1920, 1080, 1000)


def test_a_refused_size_is_read_from_ffmpegs_own_refusal():
    assert media.declared_oversize(OVER_MAX_PIXELS) == (16000, 16000)
    assert media.declared_oversize(INVALID_SIZE) == (16384, 16384)
    assert media.declared_oversize("Stream #0:0: Video: h264, yuv420p, 1920x1080, 25 fps") is None


def test_the_budget_grows_with_the_duration_and_says_so_plainly():
    assert LIMITS.budget_seconds(0) == LIMITS.job_budget_base_seconds
    assert (
        LIMITS.budget_seconds(100)
        == LIMITS.job_budget_base_seconds + 100 * LIMITS.job_budget_per_media_second
    )
    assert LIMITS.budget_seconds(LIMITS.max_duration_seconds) <= 12 * 3600  # SQS's hold on a message
    assert str(LIMITS.over_budget(60)) == (
        "Processing this video took longer than the 16 minutes allowed for a video of its length."
    )


def test_a_file_that_decodes_to_far_more_than_it_declares_is_stopped():
    LIMITS.check_progress(65, 60)  # timestamps are never exact
    with pytest.raises(MediaRefused, match="runs longer than it says"):
        LIMITS.check_progress(3600, 10)


def test_the_estimate_waits_until_this_jobs_speed_means_something():
    assert media.eta_seconds(out_time=1, duration=60, encode_seconds=2) is None  # too early
    assert media.eta_seconds(out_time=2, duration=600, encode_seconds=30) is None  # too little done
    # 30 s of video in 15 s: twice real time, so the other 30 s take 15 s more.
    assert media.eta_seconds(out_time=30, duration=60, encode_seconds=15) == pytest.approx(15)
    assert media.eta_seconds(out_time=60, duration=60, encode_seconds=20) == 0
    assert media.eta_seconds(out_time=5, duration=0, encode_seconds=20) is None


def test_the_uploaders_words():
    assert (
        duration_text(36_000) == "10 h"
        and duration_text(3723) == "1 h 2 min"
        and duration_text(90) == "1 min 30 s"
    )
    assert "attempt 1 of 3" in retrying(1, 3) and "(reference ab12cd34-3)" in gave_up(3, "ab12cd34-3")


def test_a_job_names_renditions_not_a_list_kept_in_code():
    job = Job.new("v", "u", ("1080p", "240p"))  # a rung the catalog gained: no code change
    assert Job.from_json(job.to_json()).qualities == ("1080p", "240p")
    with pytest.raises(ValueError):
        Job.new("v", "u", ())
    for bad in ([], ["../etc"], ["a/b"]):
        body = job.to_json().replace('["1080p","240p"]', str(bad).replace("'", '"'))
        with pytest.raises(InvalidJob):
            Job.from_json(body)
