"""The FFmpeg worker: SQS job -> source from S3 -> one FFmpeg run for the HLS ladder -> S3 -> database.

python -m processor            (processor.app; settings from the environment, see processor.config)
python -m processor.redrive    (DLQ messages back to the queue, their videos back to 'queued')
"""
