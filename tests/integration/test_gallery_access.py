"""Who may do what: the token matrix on every protected route of both services, and user B
asking for user A's private video on every route."""

from __future__ import annotations

import os
import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.apps import PASSWORD, create_user_pool, moto_signing_key, stack_fixture  # noqa: F401


@pytest.fixture(scope="module")
def video(stack):
    """Alice's private, queued video, with a rendition and a poster as the processor leaves them."""
    video_id = stack.upload_video("alice", os.urandom(20_000), name="secret-diary.mp4")
    stack.drain()
    key = f"hls/{video_id}/360p/index.m3u8"
    stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=b"#EXTM3U\n#EXTINF:1,\nseg_00000.ts\n")
    with stack.db() as conn:
        conn.execute(
            "UPDATE gallery_videos SET title = 'Secret diary', status = 'failed' WHERE id = %s", (video_id,)
        )
        conn.execute(
            "INSERT INTO media_assets (video_id, kind, name, s3_key, width, height, bandwidth, codecs)"
            " VALUES (%s, 'rendition', '360p', %s, 640, 360, 800000, 'avc1.4d401e')",
            (video_id, key),
        )
        conn.execute(
            "INSERT INTO media_assets (video_id, kind, name, s3_key, complete)"
            " VALUES (%s, 'poster', 'poster', %s, true)",
            (video_id, f"thumbnails/{video_id}/poster.jpg"),
        )
    return video_id


def routes(stack, video_id):
    """Every protected route: (service URL, method, path, JSON body)."""
    g, s = stack.gallery + "/api/gallery", stack.streaming + "/api/stream"
    return [
        ("POST", f"{g}/generate-upload-url", {"fileName": "a.mp4", "contentType": "video/mp4", "size": 10}),
        ("POST", f"{g}/confirm-upload", {"videoId": video_id}),
        ("GET", f"{g}/videos", None),
        ("GET", f"{g}/videos/{video_id}", None),
        ("PATCH", f"{g}/videos/{video_id}", {"title": "pwned"}),
        ("DELETE", f"{g}/videos/{video_id}", None),
        ("POST", f"{g}/videos/{video_id}/retry", None),
        ("POST", f"{g}/videos/{video_id}/upload-parts", None),
        ("GET", f"{s}/video/{video_id}/playlist", None),
        ("GET", f"{s}/video/{video_id}/360p/playlist.m3u8", None),
        ("GET", f"{s}/video/{video_id}/poster", None),
        ("POST", f"{s}/video/{video_id}/playback-token", None),
    ]


def call(method, url, body, headers=None, params=None):
    return httpx.request(method, url, json=body, headers=headers or {}, params=params, follow_redirects=False)


def forged(stack, key, kid="dummy", **overrides):
    now = int(time.time())
    claims = {
        "sub": stack.user("alice")["sub"],
        "username": stack.user("alice")["email"],
        "iss": f"https://cognito-idp.ap-southeast-2.amazonaws.com/{stack.pool_id}",
        "client_id": stack.client_id,
        "token_use": "access",
        "iat": now - 7200,
        "exp": now + 3600,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="module")
def bad_tokens(stack):
    moto_key = jwt.PyJWK(moto_signing_key(), algorithm="RS256").key
    rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    real = stack.user("alice")["accessToken"]
    # A real user in another pool (same moto signing key: only the issuer tells them apart).
    other_pool, other_client = create_user_pool(stack.cognito, f"other-{uuid.uuid4().hex[:6]}")
    email = f"mallory-{uuid.uuid4().hex[:6]}@example.com"
    stack.cognito.sign_up(ClientId=other_client, Username=email, Password=PASSWORD)
    stack.cognito.admin_confirm_sign_up(UserPoolId=other_pool, Username=email)
    other = stack.cognito.initiate_auth(
        ClientId=other_client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    return {
        "expired": forged(stack, moto_key, exp=int(time.time()) - 60),
        "bad-signature": forged(stack, rogue),
        "tampered": real[:-6] + ("AAAAAA" if not real.endswith("AAAAAA") else "BBBBBB"),
        "other-pool": other,
        "id-token": stack.user("alice")["idToken"],
        "unknown-kid": forged(stack, rogue, kid="rotated-away"),
        "garbage": "definitely-not-a-jwt",
    }


def test_valid_forged_shape_is_accepted_so_the_matrix_means_something(stack, video):
    moto_key = jwt.PyJWK(moto_signing_key(), algorithm="RS256").key
    r = call(
        "GET",
        f"{stack.gallery}/api/gallery/videos/{video}",
        None,
        {"Authorization": f"Bearer {forged(stack, moto_key)}"},
    )
    assert r.status_code == 200
    assert r.json()["title"] == "Secret diary"


@pytest.mark.parametrize(
    "case",
    ["none", "expired", "bad-signature", "tampered", "other-pool", "id-token", "unknown-kid", "garbage"],
)
def test_every_protected_route_answers_401_to_a_bad_token(stack, video, bad_tokens, case):
    for method, url, body in routes(stack, video):
        streaming = "/api/stream/" in url
        if case == "none":
            r = call(method, url, body)
            # Streaming serves public videos without a token; a private one is just not there.
            expected = 404 if streaming and not url.endswith("/playback-token") else 401
        else:
            r = call(method, url, body, {"Authorization": f"Bearer {bad_tokens[case]}"})
            expected = 401
        assert r.status_code == expected, (case, method, url, r.text)
        assert set(r.json()) == {"code", "message"}
        assert "Secret diary" not in r.text and "secret-diary" not in r.text
        if streaming and case != "none":
            # In a URL only a playback token is a credential; none of these is one.
            q = call(method, url, body, params={"token": bad_tokens[case]})
            assert q.status_code == (401 if url.endswith("/playback-token") else 404), (case, url, q.text)
    with stack.db() as conn:
        assert (
            conn.execute("SELECT title FROM gallery_videos WHERE id = %s", (video,)).fetchone()[0]
            == "Secret diary"
        )


def test_another_users_private_video_is_not_there_on_any_route(stack, video):
    bob = stack.headers("bob")
    for method, url, body in routes(stack, video):
        if url.endswith(("/generate-upload-url", "/videos")):
            continue
        r = call(method, url, body, bob)
        assert r.status_code == 404, (method, url, r.text)
        assert r.json()["code"] == "not_found"
        assert video not in r.text and "Secret diary" not in r.text and "secret-diary" not in r.text
        # ... and bob's access token in a URL is no credential at all: the same.
        if "/api/stream/" in url:
            with_query = call(method, url, body, params={"token": stack.user("bob")["accessToken"]})
            assert with_query.status_code == (401 if url.endswith("/playback-token") else 404)
    listed = call("GET", f"{stack.gallery}/api/gallery/videos", None, bob).json()
    assert all(item["id"] != video for item in listed["items"])
    unknown = call("GET", f"{stack.gallery}/api/gallery/videos/{uuid.uuid4()}", None, bob)
    assert unknown.json() == call("GET", f"{stack.gallery}/api/gallery/videos/{video}", None, bob).json()
    # Nothing changed: still alice's, still failed, still titled.
    alice = call("GET", f"{stack.gallery}/api/gallery/videos/{video}", None, stack.headers("alice"))
    assert alice.status_code == 200
    assert (alice.json()["title"], alice.json()["status"]) == ("Secret diary", "failed")


def test_a_public_video_plays_for_anyone_but_stays_owned(stack, video):
    alice, bob = stack.headers("alice"), stack.headers("bob")
    r = call("PATCH", f"{stack.gallery}/api/gallery/videos/{video}", {"visibility": "public"}, alice)
    assert r.status_code == 200 and r.json()["visibility"] == "public"
    try:
        for headers in ({}, bob):
            master = call("GET", f"{stack.streaming}/api/stream/video/{video}/playlist", None, headers)
            assert master.status_code == 200
            assert "360p/playlist.m3u8" in master.text
        assert (
            call("PATCH", f"{stack.gallery}/api/gallery/videos/{video}", {"title": "x"}, bob).status_code
            == 404
        )
        assert call("DELETE", f"{stack.gallery}/api/gallery/videos/{video}", None, bob).status_code == 404
    finally:
        call("PATCH", f"{stack.gallery}/api/gallery/videos/{video}", {"visibility": "private"}, alice)
    assert call("GET", f"{stack.streaming}/api/stream/video/{video}/playlist", None, {}).status_code == 404


def test_sign_in_refresh_and_wrong_password(stack):
    user = stack.user("carol")
    wrong = httpx.post(
        f"{stack.gallery}/api/gallery/auth/sign-in",
        json={"email": user["email"], "password": "Wrong-pass-123!"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"
    unknown = httpx.post(
        f"{stack.gallery}/api/gallery/auth/sign-in",
        json={"email": "nobody@example.com", "password": PASSWORD},
    )
    assert unknown.json() == wrong.json()
    again = httpx.post(
        f"{stack.gallery}/api/gallery/auth/sign-up", json={"email": user["email"], "password": PASSWORD}
    )
    # Answered as a new address would be (no account enumeration): the account is untouched.
    assert again.status_code == 201
    refreshed = httpx.post(
        f"{stack.gallery}/api/gallery/auth/refresh", json={"refreshToken": user["refreshToken"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    assert set(refreshed.json()) == {"accessToken", "idToken", "expiresIn"}
    listed = httpx.get(
        f"{stack.gallery}/api/gallery/videos",
        headers={"Authorization": f"Bearer {refreshed.json()['accessToken']}"},
    )
    assert listed.status_code == 200
    bad = httpx.post(
        f"{stack.gallery}/api/gallery/auth/sign-up", json={"email": "not-an-email", "password": "x"}
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("local", "accepted"),
    [
        ("_x.y", True),
        ("0", True),
        ("a%b+c-d", True),
        (".leading-dot", False),
        ("%first", False),
        ("-first", False),
    ],
)
def test_an_address_the_schema_takes_is_one_the_user_pool_takes(stack, local, accepted):
    """The OpenAPI document promises: an address of the documented shape signs up (schemathesis
    found `.%tVr.@bn69.Tony` valid by the schema and refused by the pool)."""
    email = f"{local}{uuid.uuid4().hex[:6]}@example.com" if accepted else f"{local}@example.com"
    r = httpx.post(f"{stack.gallery}/api/gallery/auth/sign-up", json={"email": email, "password": PASSWORD})
    if accepted:
        assert r.status_code == 201, r.text
    else:  # refused by the schema, with the field named, before the pool is asked
        assert r.status_code == 400 and r.json()["code"] == "validation_error", r.text
