"""The gallery service: ``hypercorn gallery.app:app`` (port 3000 behind the ALB)."""

from __future__ import annotations

from quart import Quart

from gallery import accounts, purge, uploads, videos
from gallery.openapi import add_document_hooks
from videoforge.web import create_app as create_service
from videoforge.web import mount


def create_app() -> Quart:
    app = create_service("gallery", uses_queue=True)
    mount(app, accounts.blueprint, uploads.blueprint, videos.blueprint)
    add_document_hooks(app)
    purge.start(app)
    return app


app = create_app()
