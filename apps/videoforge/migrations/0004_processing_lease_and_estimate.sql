-- What the processor records while a video is processed, for the gallery to present:
-- lease_expires_at: the worker reports again before then; past it while 'processing', the
--   worker is gone and the job is being handed to another (show "retrying", not a frozen %).
-- encode_speed: media seconds encoded per wall second, measured on this video's own job.
-- estimated_ready_at: from that speed, NULL until it means something.
ALTER TABLE gallery_videos
    ADD COLUMN lease_expires_at   timestamptz,
    ADD COLUMN encode_speed       double precision,
    ADD COLUMN estimated_ready_at timestamptz;
