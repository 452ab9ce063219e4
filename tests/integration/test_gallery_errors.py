"""Errors are JSON {code, message}; no traceback or exception text ever reaches a client.

Runs the real gallery app in-process (app.test_app(): before/after_serving included)."""

from __future__ import annotations

import pytest

from tests.support.apps import stack_fixture  # noqa: F401
from tests.support.services import free_port


@pytest.fixture
async def client(stack, monkeypatch):
    for key, value in stack.env.items():
        monkeypatch.setenv(key, value)
    from gallery.app import create_app

    app = create_app()

    @app.get("/api/gallery/boom")
    async def boom():
        raise RuntimeError("secret internal detail: password=hunter2")

    async with app.test_app() as test_app:
        yield test_app.test_client()


async def test_an_unexpected_error_is_a_bare_500(client):
    r = await client.get("/api/gallery/boom")
    assert r.status_code == 500
    assert await r.get_json() == {"code": "internal_error", "message": "internal server error"}
    assert b"hunter2" not in await r.get_data()


async def test_unknown_routes_and_methods_answer_json(client):
    r = await client.get("/api/gallery/nope")
    assert r.status_code == 404
    assert set(await r.get_json()) == {"code", "message"}
    r = await client.put("/api/gallery/generate-upload-url")
    assert r.status_code == 405
    assert (await r.get_json())["code"] == "method_not_allowed"
    # RFC 9110: a 405 says what the resource does allow.
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}
    assert r.headers["Content-Type"] == "application/json"


async def test_a_body_that_is_not_utf8_is_a_400_not_a_500(client, stack):
    r = await client.post(
        "/api/gallery/confirm-upload",
        data=b"\x02\x15a\xff",
        headers={**stack.headers("alice"), "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert (await r.get_json())["code"] == "invalid_body"


async def test_the_in_process_app_is_healthy(client):
    r = await client.get("/health")
    assert r.status_code == 200
    assert (await r.get_json())["service"] == "gallery"  # the edge test tells the services apart by this
    r = await client.get("/health/ready")
    assert r.status_code == 200
    assert (await r.get_json())["database"] is True


@pytest.fixture
async def client_without_aws(stack, monkeypatch):
    """The gallery with S3 and SQS out of reach (tokens are still verified: the JWKS URL is apart)."""
    for key, value in {**stack.env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}.items():
        monkeypatch.setenv(key, value)
    from gallery.app import create_app

    async with create_app().test_app() as test_app:
        yield test_app.test_client()


async def test_a_route_whose_aws_service_is_away_answers_503_not_500(client_without_aws, stack):
    client = client_without_aws
    r = await client.get("/health")
    assert r.status_code == 200  # the process serves: the balancer keeps it
    r = await client.get("/health/ready")
    assert r.status_code == 503
    assert await r.get_json() == {
        "service": "gallery",
        "status": "degraded",
        "database": True,
        "s3": False,
        "sqs": False,
    }
    headers = stack.headers("alice")
    ticket = await client.post(
        "/api/gallery/generate-upload-url",
        json={"fileName": "a.mp4", "contentType": "video/mp4", "size": 1000},
        headers=headers,
    )
    assert ticket.status_code == 200  # presigning asks no one
    video_id = (await ticket.get_json())["videoId"]
    r = await client.post("/api/gallery/confirm-upload", json={"videoId": video_id}, headers=headers)
    assert r.status_code == 503  # confirm reads the upload in S3
    assert await r.get_json() == {
        "code": "dependency_unavailable",
        "message": "a service this request needs is unavailable; retry",
    }
