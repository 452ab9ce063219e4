"""The streaming service: ``hypercorn streaming.app:app`` (port 4000 behind the ALB)."""

from __future__ import annotations

from quart import Quart

from streaming import playback
from streaming.playlists import PlaylistCache
from videoforge.web import create_app as create_service
from videoforge.web import mount


def create_app() -> Quart:
    app = create_service("streaming", uses_queue=False)
    app.extensions["playlist_cache"] = PlaylistCache()
    mount(app, playback.blueprint)
    return app


app = create_app()
