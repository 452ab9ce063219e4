"""How a job's end becomes the message's and the video's fate: the handler the queue worker
(processor.queue) runs for each delivery, around the transcode job (processor.transcode).

- Ready: the message is deleted only once the database says ready.
- PermanentFailure (unreadable or hostile input, a source swapped after confirm): the video
  is failed with its plain reason at once and the message deleted. Three identical retries
  could not succeed, and the DLQ is for jobs a fix might save (redrive), not bad uploads.
- The video was deleted meanwhile: FFmpeg stops, what the job wrote is removed, the message
  deleted.
- Anything else is transient: the video goes back to 'queued' with a plain note, the message
  comes back after PROCESSOR_RETRY_DELAY x receive count; on the last allowed receive the
  video is failed and the message released, so SQS moves it to the DLQ. What went wrong is
  in the log under the reference the uploader sees.
- A message that is not a job is left alone: SQS moves it to the DLQ.
- Shutdown's grace ran out: the video goes back to 'queued', the message is released.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from processor import failures, store
from processor.config import ProcessorConfig
from processor.failures import PermanentFailure, VideoGone
from processor.hls_output import remove_video_outputs
from processor.queue import Aborted, Delivery, MessageLost
from processor.transcode import Superseded, TranscodeJob, row_lease
from videoforge.jobs import InvalidJob, Job

log = logging.getLogger("processor")

# How long a job for a not-yet-confirmed upload waits before it is received again.
UNCONFIRMED_RETRY_SECONDS = 5


class JobHandler:
    """Runs one delivery's job and settles the message and the video row."""

    def __init__(self, cfg: ProcessorConfig, s3, lease_seconds: int, max_receives: int):
        self.cfg, self.s3, self.lease_seconds, self.max_receives = cfg, s3, lease_seconds, max_receives
        self._local = threading.local()  # one database connection per worker thread

    def connection(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = store.connect(self.cfg.settings.db_conninfo)
        return conn

    def drop_connection(self) -> None:
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken; closing is best effort
                log.debug("closing a broken connection failed")

    def __call__(self, delivery: Delivery) -> None:
        try:
            job = Job.from_json(delivery.body)
        except InvalidJob as exc:
            # No video to mark: left to SQS, which moves it to the DLQ after maxReceiveCount.
            log.error(
                "not a job message",
                extra={"message_id": delivery.message.get("MessageId"), "error": str(exc)},
            )
            return
        context = {"video_id": job.video_id, "job_id": job.job_id, "receive_count": delivery.receive_count}
        started = time.monotonic()
        try:
            self.handle(delivery, job, context)
        except psycopg.Error:
            self.drop_connection()  # the database failed even to record the outcome: SQS redelivers
            raise
        finally:
            log.info("job ended", extra={**context, "seconds": round(time.monotonic() - started, 3)})

    def handle(self, delivery: Delivery, job: Job, context: dict) -> None:
        conn = self.connection()
        video = store.get_video(conn, job.video_id)
        if video is not None and store.is_finished(conn, job.video_id):
            log.info("video already ready; deleting the redelivered job", extra=context)
            delivery.delete()
            return
        claimed = (
            store.start_processing(conn, job.video_id, job.job_id, row_lease(self.lease_seconds))
            if video
            else False
        )
        if claimed is None:
            # Confirm sent the job but did not commit: leave the job for a later receive.
            log.info("upload not confirmed; the job comes back shortly", extra=context)
            delivery.retry_in(UNCONFIRMED_RETRY_SECONDS)
            return
        video = store.get_video(conn, job.video_id) if claimed else None  # as confirm committed it
        if video is None:
            log.warning("video no longer exists; dropping its job", extra=context)
            remove_video_outputs(self.s3, self.cfg.settings.s3_bucket, job.video_id)
            delivery.delete()
            return
        self.settle(delivery, job, video, context)

    def settle(self, delivery: Delivery, job: Job, video: store.VideoState, context: dict) -> None:
        conn = self.connection()
        log.info("job started", extra=context)
        run = TranscodeJob(self.cfg, self.s3, conn, job, video, self.lease_seconds, delivery.check)
        try:
            run.run()
            delivery.delete()  # only now: the database says ready
        except PermanentFailure as exc:
            log.error("job failed permanently", extra={**context, "reason": exc.reason, "detail": exc.detail})
            store.mark_failed(conn, job.video_id, exc.reason)
            delivery.delete()
        except VideoGone as exc:
            removed = remove_video_outputs(self.s3, self.cfg.settings.s3_bucket, job.video_id)
            log.warning(
                "video deleted; job stopped", extra={**context, "reason": str(exc), "removed": removed}
            )
            delivery.delete()
        except Superseded as exc:
            log.warning("job superseded", extra={**context, "reason": str(exc)})
            delivery.delete()
        except MessageLost as exc:
            log.error("job abandoned: another worker may hold it", extra={**context, "reason": str(exc)})
        except Aborted as exc:
            log.warning("job released", extra={**context, "reason": str(exc)})
            store.back_to_queue(
                conn, job.video_id, "Processing was paused for maintenance; it resumes shortly."
            )
            delivery.release()
        except Exception as exc:
            self.transient_failure(delivery, job, context, exc)

    def transient_failure(self, delivery: Delivery, job: Job, context: dict, exc: Exception) -> None:
        attempt = delivery.receive_count
        reference = f"{job.job_id[:8]}-{attempt}"
        error = f"{type(exc).__name__}: {exc}"
        log.error("job failed", extra={**context, "reference": reference, "error": error}, exc_info=exc)
        if isinstance(exc, psycopg.Error):
            self.drop_connection()
        conn = self.connection()
        if attempt >= self.max_receives:
            store.mark_failed(conn, job.video_id, failures.gave_up(attempt, reference))
            delivery.release()  # its next receive moves it to the DLQ
        else:
            store.back_to_queue(conn, job.video_id, failures.retrying(attempt, self.max_receives))
            delivery.retry_in(self.cfg.retry_delay * attempt)
