"""The gallery service: ``hypercorn gallery.app:app`` (port 3000 behind the ALB)."""

from __future__ import annotations

from quart import Quart

from gallery import accounts, uploads, videos
from videoforge.web import create_app as create_service


def create_app() -> Quart:
    app = create_service("gallery", "gallery", uses_queue=True)
    app.register_blueprint(accounts.blueprint)
    app.register_blueprint(uploads.blueprint)
    app.register_blueprint(videos.blueprint)
    return app


app = create_app()
