-- The ready-time estimate reads the most recently finished videos.
CREATE INDEX gallery_videos_recent_ready ON gallery_videos (ready_at DESC) WHERE status = 'ready';
