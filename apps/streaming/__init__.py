"""VideoForge streaming service: HLS playlists with presigned segment URLs, posters."""
