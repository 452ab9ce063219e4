-- Two tables: one row per video, one per produced asset.
CREATE TABLE gallery_videos (
    id              uuid PRIMARY KEY,
    owner_id        text        NOT NULL,           -- Cognito "sub"
    title           text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    visibility      text        NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public')),
    -- uploading -> queued -> processing -> ready | failed
    status          text        NOT NULL DEFAULT 'uploading'
                    CHECK (status IN ('uploading', 'queued', 'processing', 'ready', 'failed')),
    progress        smallint    NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error           text,
    s3_key          text        NOT NULL,           -- uploads/<userId>/<videoId>/source
    file_name       text        NOT NULL,
    content_type    text        NOT NULL,
    size_bytes      bigint      NOT NULL CHECK (size_bytes > 0),
    upload_id       text,                           -- S3 multipart upload id, while uploading
    job_id          uuid,                           -- the SQS job for the current attempt
    attempts        integer     NOT NULL DEFAULT 0, -- processing attempts (receives)
    duration_seconds double precision,
    width           integer,
    height          integer,
    frame_rate      double precision,
    has_audio       boolean,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    queued_at       timestamptz,
    started_at      timestamptz,
    ready_at        timestamptz
);
CREATE INDEX gallery_videos_owner_created ON gallery_videos (owner_id, created_at DESC, id DESC);
CREATE INDEX gallery_videos_queue ON gallery_videos (queued_at) WHERE status IN ('queued', 'processing');

CREATE TABLE media_assets (
    id              bigserial   PRIMARY KEY,
    video_id        uuid        NOT NULL REFERENCES gallery_videos (id) ON DELETE CASCADE,
    kind            text        NOT NULL CHECK (kind IN ('master', 'rendition', 'thumbnail', 'poster')),
    name            text        NOT NULL,           -- '1080p', 'master', 'poster', ...
    s3_key          text        NOT NULL,           -- hls/<videoId>/<rendition>/index.m3u8, ...
    width           integer,
    height          integer,
    bandwidth       integer,                        -- bits/s, for the master playlist
    codecs          text,                           -- e.g. 'avc1.640028,mp4a.40.2'
    segment_count   integer,
    complete        boolean     NOT NULL DEFAULT false, -- false while the EVENT playlist grows
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (video_id, kind, name)
);
