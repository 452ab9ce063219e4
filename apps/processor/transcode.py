"""The transcode job: the confirmed source -> probe and limits -> poster and one FFmpeg run
for the ladder, uploaded while it encodes -> the asset set and 'ready'.

It knows nothing of queues: ``check`` is all it sees of the message (it raises when the work
must stop), so it runs the same under the worker and in a test. While it works, ``tick``
reports progress, renews the video's lease in the database, refreshes the estimate, and stops
the job when its video was deleted, another attempt took over, or its time budget ran out.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg

from processor import media, source, store
from processor.config import ProcessorConfig
from processor.failures import PermanentFailure, VideoGone
from processor.ffmpeg import Ffmpeg, LadderRun
from processor.hls_output import HlsOutput
from videoforge import jobs
from videoforge.jobs import Job

log = logging.getLogger("processor.transcode")

NO_RENDITION = "The video asks for no rendition this platform produces."
FIRST_SEGMENT_POLL = 0.05  # seconds between looks for the first segments


def report_interval(lease_seconds: float) -> float:
    """How often a running job reports (progress, estimate, its row's lease)."""
    return min(lease_seconds / 3, 5.0)


def row_lease(lease_seconds: float) -> float:
    """The row's lease: three reports ahead. A worker that stops reporting shows as gone
    (the gallery says "retrying") before SQS hands its message to another (the message's
    lease, ``lease_seconds``, counts from the last heartbeat, up to a third of it ago)."""
    return 3 * report_interval(lease_seconds)


class Superseded(Exception):
    """The row left 'processing' by someone else's hand (ready, requeued): leave it be."""


def poster_size(probe: media.Probe, max_height: int = 720) -> tuple[int, int]:
    w, h = probe.display_width, probe.display_height
    if w >= h:
        out_h = min(max_height, h)
        return max(2, round(w * out_h / h / 2) * 2), out_h
    out_w = min(max_height, w)
    return out_w, max(2, round(h * out_w / w / 2) * 2)


class TranscodeJob:
    def __init__(self, cfg: ProcessorConfig, s3, conn: psycopg.Connection, job: Job, video: store.VideoState,
                 lease_seconds: float, check: Callable[[], None] = lambda: None):  # fmt: skip
        self.cfg, self.s3, self.conn, self.job, self.video = cfg, s3, conn, job, video
        self.lease_seconds, self.check = lease_seconds, check
        self.bucket = cfg.settings.s3_bucket
        self.ffmpeg = Ffmpeg(cfg.ffmpeg, cfg.limits, cfg.ffmpeg_sandbox)
        self.context = {"video_id": job.video_id, "job_id": job.job_id}
        # The pid in the name lets a restarted worker remove what a killed one left behind.
        self.dir = cfg.work_dir / f"{os.getpid()}-{job.video_id}-{uuid.uuid4().hex[:8]}"
        self.pool = ThreadPoolExecutor(max_workers=cfg.transfer_concurrency, thread_name_prefix="upload")
        self.output = HlsOutput(
            s3, self.bucket, job.video_id, self.dir / "hls", self.pool, self._record, cfg.segment_seconds
        )
        self.started = time.monotonic()
        self.deadline: float | None = None
        self.probe: media.Probe | None = None
        self.ladder: LadderRun | None = None
        self.poster: Future | None = None
        self.poster_asset: store.Asset | None = None
        self.reported = (0, 0.0)  # (percent, monotonic time) of the last report

    # -- the job
    def run(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            path = self.dir / "source"
            confirmed = source.Source(
                self.bucket, self.job.s3_key, self.video.size_bytes, self.video.source_etag
            )
            source.download(self.s3, confirmed, path, self.cfg.transfer_concurrency, self.tick)
            probe = self.probe = self.ffmpeg.probe(path, self.tick)
            log.info("probed", extra={**self.context, "probe": vars(probe)})
            self.deadline = self.started + self.cfg.limits.budget_seconds(probe.duration)
            store.set_source_facts(
                self.conn, self.video.id, probe.duration, probe.display_width, probe.display_height,
                probe.fps, probe.has_audio,
            )  # fmt: skip
            renditions = media.select_ladder(probe, self.cfg.ladder, self.job.qualities)
            if not renditions:
                raise PermanentFailure(NO_RENDITION, f"qualities {self.job.qualities}")
            # The poster runs beside the ladder: a picture in the gallery within seconds.
            self.poster = self.pool.submit(self.make_poster, path, probe)
            self.encode(path, probe, renditions)
            self.finish()
        finally:
            if self.ladder:
                self.ladder.stop()
            self.pool.shutdown(wait=True, cancel_futures=True)
            shutil.rmtree(self.dir, ignore_errors=True)

    def make_poster(self, path: Path, probe: media.Probe) -> store.Asset | None:
        """A poster that fails is logged, not fatal: the video is still watchable."""
        out = self.dir / "poster.jpg"
        complaint = self.ffmpeg.poster(path, out, probe.duration)
        if complaint:
            log.warning("no poster", extra={**self.context, "stderr": complaint})
            return None
        key = f"{jobs.thumbnail_prefix(self.video.id)}poster.jpg"
        extra = {"ContentType": "image/jpeg", "CacheControl": "max-age=86400"}
        self.s3.upload_file(str(out), self.bucket, key, ExtraArgs=extra)
        width, height = poster_size(probe)
        return store.Asset("poster", "poster", key, width, height, complete=True)

    def encode(self, path: Path, probe: media.Probe, renditions: list[media.Rendition]) -> None:
        self.output.prepare(renditions)
        args = media.ladder_args(
            self.cfg.ffmpeg, str(path), str(self.output.out_dir), renditions, probe.has_audio,
            self.cfg.segment_seconds, self.cfg.x264_preset, self.ffmpeg.input_options(),
        )  # fmt: skip
        log.info("ffmpeg started", extra={**self.context, "renditions": [r.name for r in renditions]})
        self.ladder = LadderRun(self.ffmpeg, args)
        while self.ladder.running():
            self.tick()
            self.output.sync(final=False)
            # Until a viewer can start, each moment a first segment waits on disk is theirs.
            time.sleep(self.cfg.poll_interval if self.output.master_written else FIRST_SEGMENT_POLL)
        self.ladder.finish()
        log.info(
            "ffmpeg finished",
            extra={**self.context, "seconds": round(time.monotonic() - self.ladder.started, 3)},
        )

    def finish(self) -> None:
        assets = self.output.finish()
        self._collect_poster(wait=True)
        if self.poster_asset:
            assets.append(self.poster_asset)
        # No abort check from here on: the work is done, recording it takes a moment.
        ready = store.mark_ready(self.conn, self.video.id, assets)
        if ready is None:
            raise VideoGone("deleted before it could be marked ready")
        if not ready:
            raise Superseded("the video left 'processing' while this job ran")
        log.info("video ready", extra={**self.context, "renditions": list(self.output.uploads)})

    # -- while it works
    def tick(self) -> None:
        """Called about every second (more often while FFmpeg runs)."""
        self.check()
        now = time.monotonic()
        if self.deadline and now > self.deadline:
            raise self.cfg.limits.over_budget(self.probe.duration if self.probe else 0)
        self._collect_poster(wait=False)
        percent, speed, eta = self._progress(now)
        last_percent, last_time = self.reported
        lease_due = now - last_time >= report_interval(self.lease_seconds)
        if lease_due or media.should_write_progress(percent, last_percent, now, last_time):
            if not store.report(self.conn, self.video.id, percent, row_lease(self.lease_seconds), speed, eta):
                self._lost_row()
            self.reported = (max(percent, last_percent), now)

    def _progress(self, now: float) -> tuple[int, float | None, float | None]:
        run, probe = self.ladder, self.probe
        if run is None or probe is None:
            return 0, None, None
        if now - run.moved_at > self.cfg.stall_seconds:
            raise RuntimeError(f"FFmpeg made no progress for {self.cfg.stall_seconds:.0f} s")
        self.cfg.limits.check_progress(run.out_time, probe.duration)
        encoding = now - run.started
        speed = run.out_time / encoding if encoding >= 5 and run.out_time > 0 else None
        eta = media.eta_seconds(run.out_time, probe.duration, encoding)
        return media.progress_percent(run.out_time, probe.duration), speed, eta

    def _collect_poster(self, wait: bool) -> None:
        if self.poster is None or not (wait or self.poster.done()):
            return
        future, self.poster = self.poster, None
        try:
            self.poster_asset = future.result()
        except Exception as exc:  # the poster is a nicety; the video plays without it
            log.warning("poster upload failed", extra={**self.context, "error": str(exc)})
        if self.poster_asset:
            self._record(self.poster_asset)

    def _record(self, asset: store.Asset) -> None:
        if not store.upsert_asset(self.conn, self.video.id, asset):
            raise VideoGone("deleted while it was processed")

    def _lost_row(self) -> None:
        if store.get_video(self.conn, self.video.id) is None:
            raise VideoGone("deleted while it was processed")
        raise Superseded("the video left 'processing' while this job ran")
