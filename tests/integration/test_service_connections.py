"""A service keeps the balancer's connection usable whatever it answers: a request refused
before its body arrived (schemathesis met it through the edge as a 502 on the request after).

The services run as in production (hypercorn); the test speaks HTTP/1.1 on one connection, as
the ALB and Caddy do to their targets, sending the headers first and the body a moment later,
as a balancer forwarding a client's upload does."""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlsplit

import pytest

from tests.support.apps import stack_fixture  # noqa: F401

BODY = b'{"email": "someone@example.com", "password": "Passw0rd!Passw0rd"}'


PREFIXES = {"gallery": "/api/gallery", "streaming": "/api/stream"}  # the catalog's api_prefix


def connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)


def post_body_late(conn: http.client.HTTPConnection, path: str, content_type: str, body: bytes) -> None:
    conn.putrequest("POST", path)
    conn.putheader("Content-Type", content_type)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    time.sleep(0.3)  # the handler has seen the headers and could answer already
    conn.send(body)


@pytest.mark.parametrize(
    ("service", "path", "content_type", "status"),
    [
        ("gallery", "/api/gallery/auth/sign-up", "multipart/form-data", 400),  # not JSON: refused at once
        ("gallery", "/api/gallery/auth/sign-up", "text/plain", 400),
        ("gallery", "/api/gallery/generate-upload-url", "application/json", 401),  # no token
        ("gallery", "/api/gallery/nowhere", "text/plain", 404),
        ("streaming", "/api/stream/nowhere", "text/plain", 404),
    ],
)
def test_a_request_refused_before_its_body_arrived_leaves_the_connection_usable(
    stack, service, path, content_type, status
):
    conn = connect(getattr(stack, service))
    try:
        post_body_late(conn, path, content_type, BODY)
        first = conn.getresponse()
        first.read()
        assert first.status == status
        assert first.getheader("connection") is None  # kept alive, and it is usable:
        conn.request("GET", f"{PREFIXES[service]}/health")
        second = conn.getresponse()
        assert second.status == 200, second.read()
        second.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("header", "value", "start"),
    [
        ("Content-Length", str(10 * 1024 * 1024), b"x" * 1024),
        ("Transfer-Encoding", "chunked", b"400\r\n" + b"x" * 1024),
    ],
    ids=["large", "chunked"],
)
def test_a_large_or_unsized_body_is_not_waited_for_and_the_response_says_close(stack, header, value, start):
    conn = connect(stack.gallery)
    try:
        conn.putrequest("POST", "/api/gallery/auth/sign-up")
        conn.putheader("Content-Type", "text/plain")
        conn.putheader(header, value)
        conn.endheaders()
        conn.send(start)  # the rest never comes
        response = conn.getresponse()
        response.read()
        assert response.status == 400
        assert response.getheader("connection") == "close"  # the balancer will not reuse it
    finally:
        conn.close()
