"""Send dead-lettered jobs back to the queue after a fix, and their videos back to 'queued'.

    python -m processor.redrive [--check] [--limit N]

Settings from the environment (videoforge.settings.Settings: SQS_QUEUE_URL, DB_*, AWS_*).
The DLQ is the one the queue's redrive policy names (SQS_DLQ_URL overrides). Each message is
sent to the queue as a new message (so its receive count starts again), then deleted from
the DLQ; its video goes back to 'queued' first, so the gallery shows it waiting. Messages
whose video is ready or deleted are dropped (nothing to do); messages that are not jobs stay
in the DLQ. Prints one JSON line: {"changed", "moved", "dropped", "kept", "video_ids"}.
With --check nothing changes: it reports how many messages the DLQ holds.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from processor import store
from videoforge import aws
from videoforge import logging as vf_logging
from videoforge.jobs import InvalidJob, Job
from videoforge.settings import Settings

log = logging.getLogger("processor.redrive")


def dlq_url(sqs, queue_url: str) -> str:
    configured = os.environ.get("SQS_DLQ_URL")
    if configured:
        return configured
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    policy = json.loads(attrs.get("RedrivePolicy") or "{}")
    arn = policy.get("deadLetterTargetArn")
    if not arn:
        raise SystemExit(f"{queue_url} has no redrive policy: set SQS_DLQ_URL")
    _, _, _, _, account, name = arn.split(":", 5)
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def dlq_depth(sqs, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def redrive(settings: Settings, limit: int | None = None) -> dict:
    (sqs,) = aws.clients(settings, aws.WORKER, "sqs")
    source = dlq_url(sqs, settings.sqs_queue_url)
    moved, dropped, kept, video_ids = 0, 0, [], []
    seen: set[str] = set()
    with store.connect(settings.db_conninfo) as conn:
        while limit is None or moved + dropped < limit:
            batch = sqs.receive_message(
                QueueUrl=source,
                MaxNumberOfMessages=10 if limit is None else max(1, min(10, limit - moved - dropped)),
                WaitTimeSeconds=1,
                VisibilityTimeout=60,
            ).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                kept += batch
                break
            for message in fresh:
                seen.add(message["MessageId"])
                try:
                    job = Job.from_json(message["Body"])
                except InvalidJob as exc:
                    log.warning(
                        "not a job; left in the DLQ",
                        extra={"message_id": message["MessageId"], "error": str(exc)},
                    )
                    kept.append(message)
                    continue
                video = store.get_video(conn, job.video_id)
                if video is None or video.status == "ready":
                    sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
                    dropped += 1
                    log.info("dropped", extra={"video_id": job.video_id, "status": video and video.status})
                    continue
                store.requeue(conn, job.video_id)
                sqs.send_message(QueueUrl=settings.sqs_queue_url, MessageBody=message["Body"])
                sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
                video_ids.append(job.video_id)
                log.info("redriven", extra={"video_id": job.video_id, "job_id": job.job_id})
    for message in kept:  # visible again for whoever looks at the DLQ next
        sqs.change_message_visibility(
            QueueUrl=source, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return {
        "changed": bool(moved or dropped),
        "moved": moved,
        "dropped": dropped,
        "kept": len({m["MessageId"] for m in kept}),
        "video_ids": video_ids,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m processor.redrive", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report what is in the DLQ; change nothing")
    parser.add_argument("--limit", type=int, default=None, help="move at most this many messages")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    vf_logging.configure(settings.log_level, sys.stderr)  # stdout is the answer
    if args.check:
        (sqs,) = aws.clients(settings, aws.WORKER, "sqs")
        depth = dlq_depth(sqs, dlq_url(sqs, settings.sqs_queue_url))
        print(json.dumps({"changed": depth > 0, "messages": depth}))
        return 0
    print(json.dumps(redrive(settings, args.limit)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
