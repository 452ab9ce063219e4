-- The source as confirmed: its ETag at confirm (size_bytes is the size confirm checked), so
-- the processor downloads exactly that version (If-Match) and nothing swapped in later.
ALTER TABLE gallery_videos ADD COLUMN source_etag text;

-- Per-user upload limits count a user's live uploads.
CREATE INDEX gallery_videos_owner_uploading ON gallery_videos (owner_id, updated_at) WHERE status = 'uploading';

-- Short-lived playback tokens, each good for one video's playlists for one viewer: what
-- travels in a playlist URL instead of the viewer's access token. Only a hash is stored.
CREATE TABLE playback_grants (
    token_hash      bytea       PRIMARY KEY,        -- sha256 of the token
    video_id        uuid        NOT NULL REFERENCES gallery_videos (id) ON DELETE CASCADE,
    viewer_id       text        NOT NULL,           -- Cognito "sub" of the viewer
    expires_at      timestamptz NOT NULL
);
CREATE INDEX playback_grants_expiry ON playback_grants (expires_at);
