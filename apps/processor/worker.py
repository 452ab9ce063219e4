"""The worker loop: long-poll SQS, process one job at a time per worker thread, heartbeat the
message's visibility while the job runs, delete the message only once the database says the
video is ready.

Failures:
- Unreadable input (FFmpeg cannot open it, no video stream, source object missing) is
  PERMANENT: the video is marked failed with a readable reason at once and the message is
  deleted. Three identical retries could not succeed, and the DLQ is for jobs a fix might
  save (redrive), not for bad uploads; the user sees the reason and can upload again.
- Anything else is TRANSIENT: the video goes back to 'queued' with the error and the message
  becomes visible again after PROCESSOR_RETRY_DELAY x receive count. On the last allowed
  receive (the redrive policy's maxReceiveCount) the video is marked failed with the last
  error and the message is released at once, so SQS moves it to the DLQ on its next receive.
- A message that is not a job at all is left alone: SQS moves it to the DLQ.

SIGTERM/SIGINT: stop receiving; a running job gets PROCESSOR_SHUTDOWN_GRACE seconds to
finish, then FFmpeg is killed, the message released (visibility 0) and the video put back
to 'queued' for another worker; exit 0.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import psycopg
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from processor import logs, media, store
from processor.config import ProcessorConfig
from videoforge import jobs
from videoforge.jobs import InvalidJob, Job
from videoforge.settings import Settings

log = logging.getLogger("processor")

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
MIB = 1024 * 1024


# How long a job for a not-yet-confirmed upload waits before it is received again.
UNCONFIRMED_RETRY_SECONDS = 5


class PermanentFailure(Exception):
    """The job can never succeed: the message is a readable reason for the user."""


class Aborted(Exception):
    """Shutdown deadline passed (or the message was lost): the job is handed back."""


class MessageLost(Aborted):
    """The heartbeat could no longer extend the message: another worker may own it now."""


# ---------------------------------------------------------------- AWS helpers


def aws_clients(s: Settings):
    config = Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32)
    kwargs = {"region_name": s.aws_region, "endpoint_url": s.aws_endpoint_url, "config": config}
    return boto3.client("s3", **kwargs), boto3.client("sqs", **kwargs)


def queue_limits(sqs, queue_url: str) -> tuple[int, int]:
    """(VisibilityTimeout, maxReceiveCount) as the queue is configured."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
    )["Attributes"]
    visibility = int(attrs.get("VisibilityTimeout", 30))
    policy = json.loads(attrs.get("RedrivePolicy") or "{}")
    return visibility, int(policy.get("maxReceiveCount") or 3)


class Heartbeat(threading.Thread):
    """Extends the message's visibility every `interval` seconds while the job runs."""

    LOST_CODES = ("ReceiptHandleIsInvalid", "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight")

    def __init__(self, sqs, queue_url: str, receipt: str, visibility: int, interval: float, context: dict):
        super().__init__(name=f"heartbeat-{context.get('video_id', '')[:8]}", daemon=True)
        self.sqs, self.queue_url, self.receipt = sqs, queue_url, receipt
        self.visibility, self.interval, self.context = visibility, interval, context
        self.done = threading.Event()
        self.lost = threading.Event()
        self.beats = 0

    def run(self) -> None:
        while not self.done.wait(self.interval):
            try:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=self.receipt, VisibilityTimeout=self.visibility
                )
                self.beats += 1
                log.debug("heartbeat", extra={**self.context, "visibility": self.visibility})
            except ClientError as exc:
                error = exc.response.get("Error", {})
                log.warning("heartbeat failed", extra={**self.context, "error": str(exc)})
                # SQS answers a stale receipt handle (the message went visible and someone
                # else received it) with one of these.
                stale = error.get("Code") == "InvalidParameterValue" and "ReceiptHandle" in error.get(
                    "Message", ""
                )
                if error.get("Code") in self.LOST_CODES or stale:
                    self.lost.set()
                    return
            except Exception as exc:  # a network blip: the next beat may work, the timeout has slack
                log.warning("heartbeat failed", extra={**self.context, "error": str(exc)})

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=30)


# ---------------------------------------------------------------- one job


@dataclass
class RenditionUpload:
    rendition: media.Rendition
    uploaded: dict[str, tuple[float, int]] = field(default_factory=dict)  # uri -> (duration, bytes)
    playlist_text: str = ""
    row_written: bool = False
    ended: bool = False


class JobRun:
    def __init__(self, worker: Worker, conn: psycopg.Connection, message: dict, job: Job, receive_count: int):
        self.w, self.cfg, self.conn = worker, worker.cfg, conn
        self.message, self.job, self.receive_count = message, job, receive_count
        self.video_id = job.video_id
        self.context = {"video_id": job.video_id, "job_id": job.job_id, "receive_count": receive_count}
        # The pid in the name lets a restarted worker remove what a killed one left behind.
        self.dir = self.cfg.work_dir / f"{os.getpid()}-{job.video_id}-{uuid.uuid4().hex[:8]}"
        self.out_dir = self.dir / "hls"
        self.uploads: dict[str, RenditionUpload] = {}
        self.master_written = False
        self.poster: store.Asset | None = None
        self.probe: media.Probe | None = None
        self.heartbeat: Heartbeat | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.transfer = TransferConfig(
            multipart_threshold=16 * MIB,
            multipart_chunksize=16 * MIB,
            max_concurrency=self.cfg.transfer_concurrency,
            use_threads=True,
        )

    # -- SQS
    def delete_message(self) -> None:
        self.w.sqs.delete_message(QueueUrl=self.w.queue_url, ReceiptHandle=self.message["ReceiptHandle"])

    def set_visibility(self, seconds: int) -> None:
        try:
            self.w.sqs.change_message_visibility(
                QueueUrl=self.w.queue_url,
                ReceiptHandle=self.message["ReceiptHandle"],
                VisibilityTimeout=seconds,
            )
        except ClientError as exc:
            log.warning("could not change visibility", extra={**self.context, "error": str(exc)})

    def check_abort(self) -> None:
        if self.heartbeat and self.heartbeat.lost.is_set():
            raise MessageLost("the message's visibility could not be extended")
        if self.w.abort.is_set():
            raise Aborted("shutdown deadline reached")

    # -- the job
    def run(self) -> None:
        started = time.monotonic()
        self.heartbeat = Heartbeat(
            self.w.sqs,
            self.w.queue_url,
            self.message["ReceiptHandle"],
            self.w.visibility,
            self.w.heartbeat_interval,
            self.context,
        )
        self.heartbeat.start()
        self.pool = ThreadPoolExecutor(max_workers=self.cfg.transfer_concurrency, thread_name_prefix="upload")
        try:
            self._run()
        except (PermanentFailure, media.UnreadableMedia) as exc:
            log.error("job failed permanently", extra={**self.context, "reason": str(exc)})
            store.mark_failed(self.conn, self.video_id, str(exc))
            self.delete_message()
        except MessageLost as exc:
            # Another worker may hold the message now: leave the video to it.
            log.error("job abandoned", extra={**self.context, "reason": str(exc)})
        except Aborted as exc:
            log.warning("job released", extra={**self.context, "reason": str(exc)})
            store.back_to_queue(self.conn, self.video_id)
            self.set_visibility(0)
        except Exception as exc:
            self.transient_failure(exc)
        finally:
            self.heartbeat.stop()
            self.pool.shutdown(wait=True, cancel_futures=True)
            shutil.rmtree(self.dir, ignore_errors=True)
            log.info("job ended", extra={**self.context, "seconds": round(time.monotonic() - started, 3)})

    def transient_failure(self, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"[:1500]
        log.error("job failed", extra={**self.context, "error": error}, exc_info=exc)
        if isinstance(exc, psycopg.Error):
            self.w.drop_connection()
            self.conn = self.w.connection()
        if self.receive_count >= self.w.max_receives:
            store.mark_failed(
                self.conn, self.video_id, f"Processing failed after {self.receive_count} attempts: {error}"
            )
            self.set_visibility(0)  # its next receive moves it to the DLQ
        else:
            store.back_to_queue(
                self.conn, self.video_id, f"Attempt {self.receive_count} failed, retrying: {error}"
            )
            self.set_visibility(min(self.cfg.retry_delay * self.receive_count, 43_200))

    def _run(self) -> None:
        video = store.get_video(self.conn, self.video_id)
        if video is None:
            log.warning("video no longer exists; dropping its job", extra=self.context)
            self.delete_message()
            return
        if store.is_finished(self.conn, self.video_id):
            log.info("video already ready; deleting the redelivered job", extra=self.context)
            self.delete_message()
            return
        started = store.start_processing(self.conn, self.video_id, self.job.job_id)
        if started is None:
            # Confirm sent the job but did not commit: leave the job for a later receive.
            log.info("upload not confirmed; the job comes back shortly", extra=self.context)
            self.set_visibility(UNCONFIRMED_RETRY_SECONDS)
            return
        if not started:
            raise PermanentFailure("The video is not waiting for processing.")
        log.info("job started", extra=self.context)
        self.dir.mkdir(parents=True, exist_ok=True)
        source = self.dir / "source"
        self.download(source)
        self.check_abort()
        probe = self.probe = probe_file(self.cfg.ffmpeg, source)
        log.info("probed", extra={**self.context, "probe": vars(probe)})
        store.set_source_facts(
            self.conn, self.video_id, probe.duration, probe.display_width, probe.display_height, probe.fps,
            probe.has_audio,
        )  # fmt: skip
        renditions = media.select_ladder(probe, self.cfg.ladder, self.job.qualities)
        if not renditions:
            raise PermanentFailure("The job asks for no rendition this processor knows.")
        self.make_poster(source, probe)
        self.check_abort()
        self.transcode(source, probe, renditions)
        self.finish()

    def download(self, target: Path) -> None:
        try:
            self.w.s3.download_file(self.w.bucket, self.job.s3_key, str(target), Config=self.transfer)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                raise PermanentFailure("The uploaded file was not found in storage.") from exc
            raise

    def make_poster(self, source: Path, probe: media.Probe) -> None:
        """The poster comes first so the gallery shows a picture while the ladder encodes.
        A poster that fails is logged, not fatal: the video is still watchable."""
        out = self.dir / "poster.jpg"
        args = media.poster_args(self.cfg.ffmpeg, str(source), str(out), probe.duration)
        result = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
        if result.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            # A seek past a short file's last keyframe can yield nothing: try the first frame.
            args = media.poster_args(self.cfg.ffmpeg, str(source), str(out), 0)
            result = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
        if result.returncode != 0 or not out.exists():
            log.warning("no poster", extra={**self.context, "stderr": result.stderr[-500:]})
            return
        key = f"{jobs.thumbnail_prefix(self.video_id)}poster.jpg"
        self.w.s3.upload_file(
            str(out), self.w.bucket, key, ExtraArgs={"ContentType": "image/jpeg"}, Config=self.transfer
        )
        width, height = poster_size(probe)
        self.poster = store.Asset("poster", "poster", key, width, height, complete=True)
        store.upsert_asset(self.conn, self.video_id, self.poster)

    def transcode(self, source: Path, probe: media.Probe, renditions: list[media.Rendition]) -> None:
        for r in renditions:
            (self.out_dir / r.name).mkdir(parents=True, exist_ok=True)
            self.uploads[r.name] = RenditionUpload(r)
        args = media.ladder_args(
            self.cfg.ffmpeg, str(source), str(self.out_dir), renditions, probe.has_audio,
            self.cfg.segment_seconds, self.cfg.x264_preset,
        )  # fmt: skip
        log.info("ffmpeg started", extra={**self.context, "renditions": [r.name for r in renditions]})
        # A worker killed with -9 leaves FFmpeg to its supervisor: the systemd unit (KillMode
        # control-group) and supervisord (killasgroup) end the whole group.
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        state = {"out_time": 0.0, "moved_at": time.monotonic()}
        stderr_tail: collections.deque[str] = collections.deque(maxlen=30)

        def read_progress() -> None:
            for line in proc.stdout:
                out_time, _ = media.parse_progress([line])
                if out_time is not None and out_time != state["out_time"]:
                    state["out_time"], state["moved_at"] = out_time, time.monotonic()

        readers = [
            threading.Thread(target=read_progress, daemon=True),
            threading.Thread(target=lambda: stderr_tail.extend(proc.stderr), daemon=True),
        ]
        for t in readers:
            t.start()
        last_percent, last_write = 0, time.monotonic()
        try:
            while proc.poll() is None:
                self.check_abort()
                if time.monotonic() - state["moved_at"] > self.cfg.stall_seconds:
                    raise RuntimeError(f"FFmpeg made no progress for {self.cfg.stall_seconds:.0f} s")
                self.sync(final=False)
                percent = media.progress_percent(state["out_time"], probe.duration)
                now = time.monotonic()
                if media.should_write_progress(percent, last_percent, now, last_write):
                    store.set_progress(self.conn, self.video_id, percent)
                    last_percent, last_write = percent, now
                time.sleep(self.cfg.poll_interval)
        except BaseException:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            raise
        for t in readers:
            t.join(timeout=10)
        if proc.returncode != 0:
            tail = " | ".join(line.strip() for line in stderr_tail if line.strip())[-800:]
            raise RuntimeError(f"FFmpeg exited with status {proc.returncode}: {tail}")
        log.info("ffmpeg finished", extra=self.context)

    # -- outputs
    def sync(self, final: bool) -> None:
        """Upload what FFmpeg finished: new segments first, then the playlist that lists them,
        so a viewer never sees a segment URI that is not in S3 yet."""
        for up in self.uploads.values():
            path = self.out_dir / up.rendition.name / "index.m3u8"
            if not path.exists():
                continue
            text = path.read_text()
            if text == up.playlist_text and not final:
                continue
            playlist = media.parse_media_playlist(text)
            new = [(uri, d) for uri, d in playlist.segments if uri not in up.uploaded]
            if final and not playlist.ended:
                raise RuntimeError(f"{up.rendition.name}: FFmpeg ended without finishing its playlist")
            futures = [
                (uri, d, self.pool.submit(self.upload_segment, up.rendition.name, uri)) for uri, d in new
            ]
            for uri, duration, future in futures:
                up.uploaded[uri] = (duration, future.result())
            body = media.finalize_playlist(text) if final else text
            self.w.s3.put_object(
                Bucket=self.w.bucket,
                Key=self.rendition_key(up.rendition.name, "index.m3u8"),
                Body=body.encode(),
                ContentType=PLAYLIST_TYPE,
                CacheControl="max-age=31536000" if final else "no-cache",
            )
            up.playlist_text, up.ended = text, final
            if up.uploaded and (new or not up.row_written) and not final:
                store.upsert_asset(self.conn, self.video_id, self.rendition_asset(up, complete=False))
                up.row_written = True
        if not final and not self.master_written and all(up.uploaded for up in self.uploads.values()):
            self.write_master(final=False)

    def upload_segment(self, rendition: str, uri: str) -> int:
        path = self.out_dir / rendition / uri
        size = path.stat().st_size
        self.w.s3.upload_file(
            str(path),
            self.w.bucket,
            self.rendition_key(rendition, uri),
            ExtraArgs={"ContentType": "video/mp2t", "CacheControl": "max-age=31536000"},
            Config=self.transfer,
        )
        path.unlink()  # disk stays flat: FFmpeg never reads a finished segment again
        return size

    def rendition_key(self, rendition: str, name: str) -> str:
        return f"{jobs.rendition_prefix(self.video_id, rendition)}{name}"

    def bandwidth(self, up: RenditionUpload) -> tuple[int, int | None]:
        peak, average = media.measured_bandwidth(list(up.uploaded.values()))
        if not up.ended or not peak:
            return up.rendition.estimated_bandwidth(), None
        return peak, average

    def rendition_asset(self, up: RenditionUpload, complete: bool) -> store.Asset:
        r = up.rendition
        return store.Asset(
            kind="rendition",
            name=r.name,
            s3_key=self.rendition_key(r.name, "index.m3u8"),
            width=r.width,
            height=r.height,
            bandwidth=self.bandwidth(up)[0],
            codecs=r.codecs,
            segment_count=len(up.uploaded),
            complete=complete,
        )

    def write_master(self, final: bool) -> store.Asset:
        variants = []
        for up in self.uploads.values():
            peak, average = self.bandwidth(up)
            r = up.rendition
            variants.append(media.Variant(r.name, r.width, r.height, peak, average, r.codecs, None))
        key = jobs.master_playlist_key(self.video_id)
        self.w.s3.put_object(
            Bucket=self.w.bucket,
            Key=key,
            Body=media.master_playlist(variants).encode(),
            ContentType=PLAYLIST_TYPE,
            CacheControl="no-cache",
        )
        asset = store.Asset("master", "master", key, complete=final)
        if not final:
            store.upsert_asset(self.conn, self.video_id, asset)
        self.master_written = True
        return asset

    def remove_stale_objects(self) -> None:
        """Objects under hls/<videoId>/ that this run did not write (an earlier attempt with
        another ladder): one set of assets, in S3 as in the database."""
        keep = {jobs.master_playlist_key(self.video_id)}
        for up in self.uploads.values():
            keep.add(self.rendition_key(up.rendition.name, "index.m3u8"))
            keep.update(self.rendition_key(up.rendition.name, uri) for uri in up.uploaded)
        stale = []
        pages = self.w.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.w.bucket, Prefix=jobs.hls_prefix(self.video_id)
        )
        for page in pages:
            stale += [{"Key": o["Key"]} for o in page.get("Contents", []) if o["Key"] not in keep]
        for i in range(0, len(stale), 1000):
            self.w.s3.delete_objects(
                Bucket=self.w.bucket, Delete={"Objects": stale[i : i + 1000], "Quiet": True}
            )
        if stale:
            log.info("removed stale objects", extra={**self.context, "count": len(stale)})

    def finish(self) -> None:
        self.sync(final=True)
        empty = [name for name, up in self.uploads.items() if not up.uploaded]
        if empty:
            raise RuntimeError(f"FFmpeg produced no segments for {', '.join(empty)}")
        master = self.write_master(final=True)
        self.remove_stale_objects()
        assets = [self.rendition_asset(up, complete=True) for up in self.uploads.values()]
        assets.append(master)
        if self.poster:
            assets.append(self.poster)
        # No abort check from here on: the work is done, recording it takes a moment.
        if not store.mark_ready(self.conn, self.video_id, assets):
            raise PermanentFailure("The video changed state while it was processed.")
        self.delete_message()  # only now: the database says ready
        log.info("video ready", extra={**self.context, "renditions": list(self.uploads)})


def poster_size(probe: media.Probe, max_height: int = 720) -> tuple[int, int]:
    w, h = probe.display_width, probe.display_height
    if w >= h:
        out_h = min(max_height, h)
        return max(2, round(w * out_h / h / 2) * 2), out_h
    out_w = min(max_height, w)
    return out_w, max(2, round(h * out_w / w / 2) * 2)


def probe_file(ffmpeg: str, path: Path) -> media.Probe:
    """Probe with FFmpeg itself (no ffprobe in the wheel); measure the duration by a stream
    copy pass when the container declares none."""
    result = subprocess.run(
        [ffmpeg, "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    probe = media.parse_probe(result.stderr)
    if probe.duration <= 0:
        copy = subprocess.run(
            [
                ffmpeg,
                "-hide_banner",
                "-nostdin",
                "-i",
                str(path),
                "-map",
                "0:v:0",
                "-c",
                "copy",
                "-f",
                "null",
                "-",
            ],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        duration = media.parse_decoded_duration(copy.stderr)
        if duration <= 0:
            raise media.UnreadableMedia("The uploaded file has no playable video frames.")
        probe = media.Probe(**{**vars(probe), "duration": duration})
    return probe


# ---------------------------------------------------------------- the worker


class Worker:
    def __init__(self, cfg: ProcessorConfig, stop: threading.Event | None = None):
        self.cfg = cfg
        self.bucket = cfg.settings.s3_bucket
        self.queue_url = cfg.settings.sqs_queue_url
        self.s3, self.sqs = aws_clients(cfg.settings)
        visibility, max_receives = queue_limits(self.sqs, self.queue_url)
        self.visibility = cfg.visibility_timeout or visibility
        self.max_receives = cfg.max_receives or max_receives
        self.heartbeat_interval = cfg.heartbeat_seconds or max(1.0, self.visibility / 3)
        self.stop = stop or threading.Event()  # no new jobs
        self.abort = threading.Event()  # running jobs hand back their messages
        self.busy: set[str] = set()
        self._local = threading.local()

    # One database connection per worker thread, reopened after a failure.
    def connection(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = store.connect(self.cfg.settings.db_conninfo)
        return conn

    def drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken; closing is best effort
                log.debug("closing a broken connection failed")

    def release(self, message: dict) -> None:
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )

    def loop(self) -> None:
        backoff = 1.0
        while not self.stop.is_set():
            try:
                response = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=1,
                    WaitTimeSeconds=self.cfg.wait_seconds,
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                )
                backoff = 1.0
            except Exception as exc:
                log.warning("receive failed", extra={"error": str(exc)})
                self.stop.wait(backoff)
                backoff = min(backoff * 2, 30)
                continue
            for message in response.get("Messages", []):
                if self.stop.is_set():
                    try:
                        self.release(message)  # received during shutdown: straight back to the queue
                    except Exception as exc:  # it comes back after its visibility timeout anyway
                        log.warning("release failed", extra={"error": str(exc)})
                    continue
                self.handle(message)

    def handle(self, message: dict) -> None:
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
        try:
            job = Job.from_json(message["Body"])
        except InvalidJob as exc:
            # No video to mark: left to SQS, which moves it to the DLQ after maxReceiveCount.
            log.error("not a job message", extra={"message_id": message.get("MessageId"), "error": str(exc)})
            return
        self.busy.add(job.video_id)
        try:
            JobRun(self, self.connection(), message, job, receive_count).run()
        except Exception:
            # The database was unreachable even to record the failure: SQS redelivers.
            log.exception("job bookkeeping failed", extra={"video_id": job.video_id})
            self.drop_connection()
        finally:
            self.busy.discard(job.video_id)

    def remove_abandoned_work(self) -> None:
        """Job directories of worker processes that no longer run (killed, crashed)."""
        for path in self.cfg.work_dir.iterdir():
            pid = path.name.split("-", 1)[0]
            if path.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                log.info("removed abandoned work", extra={"path": str(path)})

    def run(self) -> int:
        self.cfg.work_dir.mkdir(parents=True, exist_ok=True)
        self.remove_abandoned_work()
        threads = [
            threading.Thread(target=self.loop, name=f"worker-{i}", daemon=True)
            for i in range(self.cfg.concurrency)
        ]
        for t in threads:
            t.start()
        log.info(
            "processor started",
            extra={
                "queue_url": self.queue_url,
                "concurrency": self.cfg.concurrency,
                "visibility_timeout": self.visibility,
                "heartbeat_seconds": self.heartbeat_interval,
                "max_receives": self.max_receives,
                "ffmpeg": self.cfg.ffmpeg,
            },
        )
        while not self.stop.wait(1.0):
            if not any(t.is_alive() for t in threads):
                break
        log.info("shutting down", extra={"busy": sorted(self.busy), "grace_seconds": self.cfg.shutdown_grace})
        # Idle threads leave after their long poll returns; busy ones after their job,
        # unless the grace period runs out first: then they hand their jobs back.
        deadline = time.monotonic() + self.cfg.shutdown_grace
        while any(t.is_alive() for t in threads):
            if self.busy and time.monotonic() >= deadline and not self.abort.is_set():
                log.warning("grace period over; releasing running jobs", extra={"busy": sorted(self.busy)})
                self.abort.set()
            time.sleep(0.2)
        log.info("processor stopped")
        return 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main() -> int:
    stop = threading.Event()

    def on_signal(signum, _frame) -> None:
        log.info("signal received", extra={"signal": signal.Signals(signum).name})
        stop.set()

    # First thing: a SIGTERM while starting up is a clean stop too.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    cfg = ProcessorConfig.from_env()
    logs.setup(cfg.settings.log_level)
    return Worker(cfg, stop).run()
