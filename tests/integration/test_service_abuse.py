"""Limits on abuse, through the running services (hypercorn, real PostgreSQL, moto).

Rate limits are the model's (catalog ``videoforge_rate_limits``), kept in PostgreSQL and so
shared by every task of a service: two gallery tasks here share one budget. The test stands
where the load balancer stands: it appends the client's address to X-Forwarded-For, after
whatever the client itself put there.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from http.cookies import SimpleCookie

import httpx
import psycopg
import pytest

from tests.support import model
from tests.support.apps import PASSWORD, launch_service, stack_fixture, stop_all, wait_healthy  # noqa: F401

_addresses = (f"203.0.113.{n}" for n in itertools.count(1))


def new_address() -> str:
    return next(_addresses)


def through_edge(address: str, forged: str = "") -> dict[str, str]:
    """What the load balancer sends on: the client's own header (``forged``), then its address."""
    return {"X-Forwarded-For": f"{forged}, {address}" if forged else address}


# Small budgets for the routes a test would otherwise call hundreds of times; sign-up and sign-in
# keep the model's own.
TIGHT = {
    "upload_ticket_per_user": {"requests": 3, "seconds": 3600},
    "upload_ticket_per_address": {"requests": 5, "seconds": 3600},
    "playback_grant_per_user": {"requests": 3, "seconds": 3600},
    "playback_grant_per_address": {"requests": 5, "seconds": 3600},
}


@pytest.fixture(scope="module")
def limited(stack):
    """Two gallery tasks and a streaming task with the model's rate limits (TIGHT where a test
    would call too often), on the shared stack's database."""
    limits = {**model.catalog()["videoforge_rate_limits"], **TIGHT}
    env = {**stack.env, "RATE_LIMITS": json.dumps(limits), "TRUSTED_PROXY_HOPS": "1"}
    running = [launch_service(module, env, stack.tmp) for module in ("gallery.app:app",) * 2]
    running.append(launch_service("streaming.app:app", env, stack.tmp))
    try:
        for service in running:
            wait_healthy(service)
        yield [s.url for s in running]
    finally:
        stop_all(*running)


def sign_in(base: str, email: str, password: str, address: str, forged: str = "") -> httpx.Response:
    return httpx.post(
        f"{base}/api/gallery/auth/sign-in",
        json={"email": email, "password": password},
        headers=through_edge(address, forged),
        timeout=30,
    )


def assert_rate_limited(answer: httpx.Response, limit: str) -> None:
    assert answer.status_code == 429, answer.text
    body = answer.json()
    assert body["code"] == "rate_limited"
    assert body["details"][0]["limit"] == limit and limit in body["message"]
    assert int(answer.headers["Retry-After"]) >= 1


def test_sixty_wrong_sign_ins_in_a_row_are_refused_with_429(stack, limited):
    """One address guessing many accounts' passwords, spread over both gallery tasks, and with a
    forged X-Forwarded-For of its own on every try: the model's per-address limit stops it."""
    gallery_a, gallery_b, _ = limited
    address = new_address()
    started = time.monotonic()
    answers = [
        sign_in(
            (gallery_a, gallery_b)[n % 2], f"victim{n}@example.com", "Wrong-Passw0rd!", address, f"10.0.0.{n}"
        )
        for n in range(60)
    ]
    statuses = [a.status_code for a in answers]
    limit = model.catalog()["videoforge_rate_limits"]["sign_in_per_address"]
    # A full bucket, then what it refilled (requests per seconds) while the guesses went on.
    refilled = math.ceil((time.monotonic() - started) * limit["requests"] / limit["seconds"])
    assert statuses[: limit["requests"]] == [401] * limit["requests"]
    assert set(statuses) == {401, 429}
    assert statuses.count(401) <= limit["requests"] + refilled, statuses
    assert_rate_limited(next(a for a in answers if a.status_code == 429), "sign_in_per_address")
    # Another address is not held back by that one.
    assert sign_in(gallery_a, "victim0@example.com", "Wrong-Passw0rd!", new_address()).status_code == 401


def test_one_account_guessed_from_many_addresses_is_refused_with_429(stack, limited):
    gallery, _, _ = limited
    email = stack.user("guessed")["email"]
    answers = [sign_in(gallery, email, f"Wrong-Passw0rd-{n}!", new_address()) for n in range(15)]
    allowed = model.catalog()["videoforge_rate_limits"]["sign_in_per_user"]["requests"]
    assert [a.status_code for a in answers[:allowed]] == [401] * allowed
    assert_rate_limited(answers[allowed], "sign_in_per_user")
    # Even the right password waits: the account's budget is spent.
    assert_rate_limited(sign_in(gallery, email, PASSWORD, new_address()), "sign_in_per_user")


def ticket(base: str, stack, user: str, address: str) -> httpx.Response:
    return httpx.post(
        f"{base}/api/gallery/generate-upload-url",
        json={"fileName": "clip.mp4", "contentType": "video/mp4", "size": 1000},
        headers={**stack.headers(user), **through_edge(address)},
        timeout=30,
    )


def test_upload_tickets_are_limited_per_user_and_per_address(stack, limited):
    gallery_a, gallery_b, _ = limited
    # One user from ever new addresses, alternating between the tasks: the user's budget (3).
    answers = [ticket((gallery_a, gallery_b)[n % 2], stack, "ticketeer", new_address()) for n in range(4)]
    assert [a.status_code for a in answers[:3]] == [200] * 3
    assert_rate_limited(answers[3], "upload_ticket_per_user")
    # Two users from one address: the address's budget (5).
    address = new_address()
    answers = [ticket(gallery_a, stack, user, address) for user in ("tick1",) * 3 + ("tick2",) * 3]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert_rate_limited(answers[5], "upload_ticket_per_address")


def test_playback_grants_are_limited_per_user_and_per_address(stack, limited):
    gallery, _, streaming = limited
    users = ("grant1", "grant2", "grant3")
    videos = {user: ticket(gallery, stack, user, new_address()).json()["videoId"] for user in users}

    def grant(user: str, address: str) -> httpx.Response:
        return httpx.post(
            f"{streaming}/api/stream/video/{videos[user]}/playback-token",
            headers={**stack.headers(user), **through_edge(address)},
            timeout=30,
        )

    answers = [grant("grant1", new_address()) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [201] * 3
    assert_rate_limited(answers[3], "playback_grant_per_user")
    address = new_address()
    answers = [grant(user, address) for user in ("grant2",) * 3 + ("grant3",) * 3]
    assert [a.status_code for a in answers[:5]] == [201] * 5
    assert_rate_limited(answers[5], "playback_grant_per_address")


def test_sign_up_answers_the_same_whether_or_not_the_address_has_an_account(stack):
    existing = stack.user("enumerated")["email"]
    new = f"fresh-{existing}"
    answers = [
        httpx.post(f"{stack.gallery}/api/gallery/auth/sign-up", json={"email": email, "password": PASSWORD})
        for email in (new, existing)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    # The account is untouched: its owner still signs in with the password it had.
    r = httpx.post(
        f"{stack.gallery}/api/gallery/auth/sign-in", json={"email": existing, "password": PASSWORD}
    )
    assert r.status_code == 200


def test_a_body_over_one_mib_is_refused_with_413(stack):
    url = f"{stack.gallery}/api/gallery/auth/sign-in"
    body = json.dumps({"email": "big@example.com", "password": "x" * (1024 * 1024)}).encode()
    sized = httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=30)

    def chunks():
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    chunked = httpx.post(url, content=chunks(), headers={"Content-Type": "application/json"}, timeout=30)
    for answer in (sized, chunked):
        assert answer.status_code == 413, answer.text
        assert answer.json()["code"] == "request_entity_too_large"


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, '{"email": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}"],
    ids=["arrays", "objects"],
)
def test_deeply_nested_json_is_a_400(stack, body):
    for path in ("/api/gallery/auth/sign-up", "/api/gallery/generate-upload-url"):
        r = httpx.post(
            f"{stack.gallery}{path}",
            content=body,
            headers={**stack.headers("nester"), "Content-Type": "application/json"},
            timeout=30,
        )
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "invalid_body"


def test_a_control_character_in_a_path_is_a_404(stack):
    """Not a 500: PostgreSQL text cannot hold NUL, and a rendition name goes to a query. A 404,
    as for any name that is not there (every route with a path parameter documents it)."""
    video_id = stack.upload_video("pathfinder", b"\x00" * 1000)
    headers = stack.headers("pathfinder")
    for bad in ("%00", "a%00b", "%01", "%7F", "%0A"):
        for url in (
            f"{stack.streaming}/api/stream/video/{video_id}/{bad}/playlist.m3u8",
            f"{stack.gallery}/api/gallery/videos/{video_id}{bad}",
            f"{stack.gallery}/api/gallery/{bad}",
        ):
            r = httpx.get(url, headers=headers, timeout=30)
            assert r.status_code == 404, (url, r.status_code, r.text)
            assert r.json()["code"] == "not_found"


@pytest.fixture
async def gallery_app(stack, monkeypatch):
    """The gallery app in this process, with small database bounds so a test can pass them."""
    env = {**stack.env, "DB_STATEMENT_TIMEOUT_MS": "300", "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": "500"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from gallery.app import create_app

    app = create_app()
    async with app.test_app():
        yield app


async def test_the_services_database_sessions_are_bounded(gallery_app):
    from videoforge import db

    async with gallery_app.app_context():
        async with db.pool().connection() as conn:
            shown = [
                (await (await conn.execute(f"SHOW {name}")).fetchone())[name]
                for name in ("statement_timeout", "idle_in_transaction_session_timeout")
            ]
            assert shown == ["300ms", "500ms"]
            with pytest.raises(psycopg.errors.QueryCanceled):
                await conn.execute("SELECT pg_sleep(5)")
        async with db.pool().connection() as conn:
            with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
                async with conn.transaction():
                    await conn.execute("SELECT 1")
                    await asyncio.sleep(1.5)
                    await conn.execute("SELECT 1")


def test_the_refresh_token_is_a_cookie_no_script_can_read(stack):
    """The web client stores no refresh token: sign-in sets it HttpOnly, refresh takes it."""
    user = stack.user("cookie")
    auth = f"{stack.gallery}/api/gallery/auth"
    r = httpx.post(f"{auth}/sign-in", json={"email": user["email"], "password": PASSWORD})
    cookie = SimpleCookie(r.headers["set-cookie"])["vf_refresh"]
    assert cookie.value == r.json()["refreshToken"]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/gallery/auth"
    # Refresh with the cookie alone (the browser sends it; the page never sees it).
    refreshed = httpx.post(f"{auth}/refresh", json={}, headers={"Cookie": f"vf_refresh={cookie.value}"})
    assert refreshed.status_code == 200, refreshed.text
    assert set(refreshed.json()) == {"accessToken", "idToken", "expiresIn"}
    assert httpx.post(f"{auth}/refresh", json={}).status_code == 401
    # Sign-out clears it.
    out = httpx.post(f"{auth}/sign-out")
    assert out.status_code == 204
    cleared = SimpleCookie(out.headers["set-cookie"])["vf_refresh"]
    assert cleared.value == "" and cleared["max-age"] == "0" and cleared["path"] == "/api/gallery/auth"
