-- A deleted video's objects, removed by the gallery in the background (gallery.purge). The
-- row goes once a pass finds nothing left after the settling time (a worker that was processing
-- the video has stopped writing by then); a failed pass is tried again at next_attempt_at, backing
-- off, by whichever task claims it first.
CREATE TABLE storage_purges (
    video_id         uuid        PRIMARY KEY,
    owner_id         text        NOT NULL,
    source_key       text        NOT NULL,
    upload_id        text,
    tombstone        boolean     NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX storage_purges_due ON storage_purges (next_attempt_at);
