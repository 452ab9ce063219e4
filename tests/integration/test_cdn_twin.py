"""Playback through the CDN twin (``python -m twin.cdn``) with the streaming service's signed
cookies: real gallery and streaming services (hypercorn), real moto S3, CloudFront and SSM,
real PostgreSQL. The distribution here is the site's shape (``/hls/*`` signed from the
bucket, ``/api/*`` uncached to the services) with each service as its own origin; the
local stack puts the load balancer twin there instead (tests/e2e)."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import os
import re
import time
import uuid

import boto3
import brotli
import httpx
import pytest
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support import cdn
from tests.support.apps import REGION, build_stack, stop_all
from videoforge.cdn import CookieSigner

COOKIE_TTL = 10  # PLAYBACK_TOKEN_TTL here: a cookie's life, short enough to watch it end
RENDITIONS = ("720p", "360p")
SEGMENT = "public, max-age=31536000, immutable"
PLAYLIST = "application/vnd.apple.mpegurl"


@pytest.fixture(scope="module")
def site(aws, pg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cdn")
    key = cdn.signing_key(aws.url, REGION)
    ports = cdn.twin_ports()
    url = f"https://127.0.0.1:{ports['https_port']}"
    distribution = cdn.distribution(aws.url, "placeholder")
    stack, running = build_stack(
        aws, pg, tmp,
        CDN_SITE_URL=url, CDN_KEY_PAIR_ID=key.key_pair_id, CDN_SIGNING_KEY_PARAMETER=key.parameter,
        CDN_DISTRIBUTION_ID=distribution, PLAYBACK_TOKEN_TTL=str(COOKIE_TTL),
    )  # fmt: skip
    cdn.admit(aws.url, REGION, stack.bucket, distribution)
    api = {
        "origin_request": "AllViewerExceptHostHeader",
        "cache": "CachingDisabled",
        "methods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
    }
    config = {
        "distribution_id": distribution,
        "origins": {
            "gallery": {"kind": "load_balancer", "url": stack.gallery},
            "stream": {"kind": "load_balancer", "url": stack.streaming},
            "media": {
                "kind": "bucket",
                "endpoint": aws.url,
                "bucket": stack.bucket,
                "region": REGION,
                "access_key_id": f"CLOUDFRONT-OAC-{distribution}",
                "secret_access_key": "unused",
            },
        },
        "behaviours": [
            {"path": "/hls/*", "origin": "media", "signed": True, "cache": "media"},
            {"path": "/api/stream/*", "origin": "stream", **api},
            {"path": "/api/gallery/*", "origin": "gallery", **api},
        ],
        "default": {"origin": "gallery", "cache": "site"},
        "cache_policies": {
            "media": {"min_ttl": 0, "default_ttl": 86400, "max_ttl": 31536000},
            "site": {"min_ttl": 0, "default_ttl": 0, "max_ttl": 31536000},
        },
        "error_caching_seconds": 10,
        "cache_bytes": 64 * 1024 * 1024,
        # What CloudFront knows of its own: the key group's keys and the invalidations, from the API.
        "key_group_id": key.key_group_id,
        "control_endpoint": aws.url,
        "poll_seconds": 0.5,
    }
    try:
        twin = cdn.start_twin(config, tmp, ports)
    except Exception:
        stop_all(*running)
        raise
    yield stack, twin, key
    twin.stop()
    stop_all(*running)


def store_hls(stack, owner: str, visibility: str = "public") -> tuple[str, dict[str, bytes]]:
    """A finished video as the processor leaves it: segments and VOD playlists in S3 with
    their Cache-Control, its rows. Returns its id and the objects by key."""
    video_id = str(uuid.uuid4())
    objects: dict[str, bytes] = {}
    with stack.db() as conn:
        conn.execute(
            "INSERT INTO gallery_videos (id, owner_id, title, visibility, status, progress, s3_key,"
            " file_name, content_type, size_bytes) VALUES (%s, %s, 'Through the CDN', %s, 'ready', 100,"
            " %s, 'p.mp4', 'video/mp4', 1)",
            (video_id, owner, visibility, f"uploads/{owner}/{video_id}/source"),
        )
        for height, name in zip((720, 360), RENDITIONS, strict=True):
            prefix = f"hls/{video_id}/{name}/"
            lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:4", "#EXT-X-PLAYLIST-TYPE:VOD"]
            for n in range(3):
                segment = f"seg_{n:05d}.ts"
                objects[prefix + segment] = os.urandom(20_000 + n)
                put(stack, prefix + segment, objects[prefix + segment], "video/mp2t", SEGMENT)
                lines += ["#EXTINF:4.000000,", segment]
            objects[prefix + "index.m3u8"] = ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode()
            put(stack, prefix + "index.m3u8", objects[prefix + "index.m3u8"], PLAYLIST, "max-age=86400")
            conn.execute(
                "INSERT INTO media_assets (video_id, kind, name, s3_key, width, height, bandwidth, codecs,"
                " segment_count, complete)"
                " VALUES (%s, 'rendition', %s, %s, %s, %s, 1000000, 'avc1.42c01e', 3, true)",
                (video_id, name, prefix + "index.m3u8", height * 16 // 9, height),
            )
    return video_id, objects


def put(stack, key: str, body: bytes, content_type: str, cache_control: str) -> None:
    stack.s3.put_object(
        Bucket=stack.bucket, Key=key, Body=body, ContentType=content_type, CacheControl=cache_control
    )


def viewer(stack, twin, user: str, video_id: str) -> tuple[httpx.Client, httpx.Response]:
    """What a player does first: a playback token, then the master through the site."""
    client = twin.client()
    grant = client.post(f"{twin.url}/api/stream/video/{video_id}/playback-token", headers=stack.headers(user))
    assert grant.status_code == 201, grant.text
    return client, client.get(twin.url + grant.json()["playlistUrl"])


def policy_of(client: httpx.Client) -> dict:
    raw = client.cookies["CloudFront-Policy"].translate(str.maketrans("-_~", "+=/"))
    return json.loads(base64.b64decode(raw))


def fetch_all(client: httpx.Client, twin, master: str) -> dict[str, httpx.Response]:
    """Every media playlist the master names and every segment they name, through the site."""
    answers = {}
    for variant in [line for line in master.splitlines() if line and not line.startswith("#")]:
        playlist = client.get(twin.url + variant)
        answers[variant.lstrip("/")] = playlist
        base = variant.rsplit("/", 1)[0]
        for segment in [line for line in playlist.text.splitlines() if line and not line.startswith("#")]:
            answers[f"{base}/{segment}".lstrip("/")] = client.get(f"{twin.url}{base}/{segment}")
    return answers


@pytest.fixture(scope="module")
def public_video(site):
    stack, _, _ = site
    return store_hls(stack, stack.user("alice")["sub"])


def test_the_master_hands_out_cookies_and_the_cdn_serves_the_rest(site, public_video):
    stack, twin, _ = site
    video_id, objects = public_video
    client, master = viewer(stack, twin, "bob", video_id)
    assert master.status_code == 200, master.text
    assert master.headers["x-cache"] == "Miss from cloudfront"
    set_cookies = master.headers.get_list("set-cookie")
    assert sorted(c.split("=", 1)[0] for c in set_cookies) == sorted(
        ["CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"]
    )
    assert all(c.endswith(f"; Path=/hls/{video_id}/; Secure; HttpOnly; SameSite=Lax") for c in set_cookies)
    statement = policy_of(client)["Statement"][0]
    assert statement["Resource"] == f"{twin.url}/hls/{video_id}/*"
    assert 0 < statement["Condition"]["DateLessThan"]["AWS:EpochTime"] - time.time() <= COOKIE_TTL
    assert sorted(re.findall(r"^/hls/.*$", master.text, re.M)) == [
        f"/hls/{video_id}/{r}/index.m3u8" for r in sorted(RENDITIONS)
    ]

    answers = fetch_all(client, twin, master.text)
    assert set(answers) == set(objects)
    for key, answer in answers.items():
        assert answer.status_code == 200, (key, answer.text)
        assert answer.content == objects[key]
        assert answer.headers["x-cache"] == "Miss from cloudfront" and "age" not in answer.headers
    assert answers[f"hls/{video_id}/720p/seg_00000.ts"].headers["cache-control"] == SEGMENT
    # Nothing but the master (and the token) reached the streaming service.
    requests = [
        json.loads(line) for line in stack_log(stack, "streaming").splitlines() if line.startswith("{")
    ]
    paths = [r["path"] for r in requests if r.get("message") == "request" and video_id in r.get("path", "")]
    assert sorted(paths) == sorted(
        [f"/api/stream/video/{video_id}/playback-token", f"/api/stream/video/{video_id}/playlist"]
    )


def stack_log(stack, service: str) -> str:
    return "\n".join(p.read_text() for p in stack.tmp.glob(f"{service}-*.log"))


def test_a_second_viewer_gets_every_object_from_the_cache(site, public_video):
    stack, twin, _ = site
    video_id, objects = public_video
    first, master = viewer(stack, twin, "bob", video_id)
    fetch_all(first, twin, master.text)  # filled (again) whatever ran before
    before = twin.stats()["origin_fetches"]["media"]
    client, master = viewer(stack, twin, "carol", video_id)
    answers = fetch_all(client, twin, master.text)
    assert {key: a.headers["x-cache"] for key, a in answers.items()} == dict.fromkeys(
        objects, "Hit from cloudfront"
    )
    assert all(a.content == objects[key] for key, a in answers.items())
    # A hit says how long it has been in the cache, as CloudFront's do.
    assert all(int(a.headers["age"]) >= 0 for a in answers.values())
    assert twin.stats()["origin_fetches"]["media"] == before


def test_a_cookie_opens_its_own_video_only(site, public_video):
    stack, twin, _ = site
    video_id, _ = public_video
    other_id, _ = store_hls(stack, stack.user("alice")["sub"])
    client, master = viewer(stack, twin, "bob", video_id)
    assert master.status_code == 200
    # The browser would not even send it there (Path); sent anyway, CloudFront refuses it.
    cookies = dict(client.cookies)
    refused = httpx.get(f"{twin.url}/hls/{other_id}/720p/index.m3u8", cookies=cookies, verify=twin.tls)
    assert refused.status_code == 403
    assert refused.headers["x-cache"] == "Error from cloudfront"
    assert b"<Code>AccessDenied</Code>" in refused.content
    missing = httpx.get(f"{twin.url}/hls/{other_id}/720p/index.m3u8", verify=twin.tls)
    assert missing.status_code == 403 and b"<Code>MissingKey</Code>" in missing.content


def test_expired_tampered_and_unknown_key_cookies_are_refused(site, public_video):
    _, twin, key = site
    video_id, _ = public_video
    url = f"{twin.url}/hls/{video_id}/720p/seg_00000.ts"
    ours = CookieSigner(key.key_pair_id, lambda: key.private_pem)
    expired = ours.cookies(f"{twin.url}/hls/{video_id}/*", int(time.time()) - 1)
    widened = ours.cookies(f"{twin.url}/hls/*", int(time.time()) + 600)["CloudFront-Policy"]
    tampered = {
        **ours.cookies(f"{twin.url}/hls/{video_id}/*", int(time.time()) + 600),
        "CloudFront-Policy": widened,
    }
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger_pem = stranger_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    unknown = CookieSigner("KUNTRUSTED0001", lambda: stranger_pem).cookies(
        f"{twin.url}/hls/{video_id}/*", int(time.time()) + 600
    )
    before = twin.stats()["refused"]
    codes = []
    for cookies in (expired, tampered, unknown):
        answer = httpx.get(url, cookies=cookies, verify=twin.tls)
        assert answer.status_code == 403
        codes.append(re.search(rb"<Code>(\w+)</Code>", answer.content)[1].decode())
    assert codes == ["AccessDenied", "AccessDenied", "InvalidKey"]
    after = twin.stats()["refused"]
    counted = {reason: after.get(reason, 0) - before.get(reason, 0) for reason in after}
    assert {k: v for k, v in counted.items() if v} == {"expired": 1, "bad_signature": 1, "unknown_key": 1}


def test_urls_and_cookies_botocore_signs_are_admitted(site, public_video):
    _, twin, key = site
    video_id, objects = public_video
    private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
    sha1 = hashes.SHA1()  # noqa: S303 - CloudFront's
    signer = CloudFrontSigner(key.key_pair_id, lambda m: private.sign(m, padding.PKCS1v15(), sha1))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    target = f"hls/{video_id}/360p/seg_00002.ts"
    canned = httpx.get(
        signer.generate_presigned_url(f"{twin.url}/{target}", date_less_than=later), verify=twin.tls
    )
    assert canned.status_code == 200 and canned.content == objects[target]
    policy = signer.build_policy(f"{twin.url}/hls/{video_id}/*", later)
    params = dict(
        p.split("=", 1)
        for p in signer.generate_presigned_url(f"{twin.url}/{target}", policy=policy).split("?")[1].split("&")
    )
    cookies = {f"CloudFront-{k}": v for k, v in params.items()}
    assert httpx.get(f"{twin.url}/{target}", cookies=cookies, verify=twin.tls).status_code == 200


def test_a_video_made_private_is_unreachable_once_the_viewers_cookie_ends(site):
    stack, twin, _ = site
    video_id, _ = store_hls(stack, stack.user("alice")["sub"])
    client, _ = viewer(stack, twin, "bob", video_id)
    ends = policy_of(client)["Statement"][0]["Condition"]["DateLessThan"]["AWS:EpochTime"]
    applied = twin.stats()["invalidations_applied"]
    made_private = client.patch(f"{twin.url}/api/gallery/videos/{video_id}", json={"visibility": "private"},
                                headers=stack.headers("alice"))  # fmt: skip
    assert made_private.status_code == 200, made_private.text
    assert cdn.wait_for_stat(twin, "invalidations_applied", applied)["invalidations_applied"] > applied
    # No new cookie for bob; the one he holds works until it ends, as on CloudFront.
    grant = client.post(
        f"{twin.url}/api/stream/video/{video_id}/playback-token", headers=stack.headers("bob")
    )
    assert grant.status_code == 404
    segment = f"hls/{video_id}/720p/seg_00001.ts"
    if time.time() < ends - 1:
        assert client.get(f"{twin.url}/{segment}").status_code == 200
    time.sleep(max(0.0, ends - time.time()) + 0.5)
    refused = client.get(f"{twin.url}/{segment}")
    assert refused.status_code == 403 and b"<Code>AccessDenied</Code>" in refused.content
    # The owner still plays it, with a cookie of her own.
    _, owners = viewer(stack, twin, "alice", video_id)
    assert owners.status_code == 200


def test_a_deleted_videos_segments_are_404_once_invalidated(site):
    stack, twin, key = site
    video_id, _ = store_hls(stack, stack.user("alice")["sub"])
    cookies = CookieSigner(key.key_pair_id, lambda: key.private_pem).cookies(
        f"{twin.url}/hls/{video_id}/*", int(time.time()) + 600
    )
    client = twin.client(cookies=cookies)
    segment = f"{twin.url}/hls/{video_id}/720p/seg_00000.ts"
    assert client.get(segment).status_code == 200
    assert client.get(segment).headers["x-cache"] == "Hit from cloudfront"
    applied = twin.stats()["invalidations_applied"]
    deleted = client.delete(f"{twin.url}/api/gallery/videos/{video_id}", headers=stack.headers("alice"))
    assert deleted.status_code == 204, deleted.text
    assert cdn.wait_for_stat(twin, "invalidations_applied", applied)["invalidations_applied"] > applied
    gone = client.get(segment)
    assert gone.status_code == 404, gone.text
    assert gone.headers["x-cache"] == "Error from cloudfront"


def test_http_redirects_and_playlists_are_compressed_segments_not(site, public_video):
    stack, twin, key = site
    video_id, _ = public_video
    moved = httpx.get(f"{twin.http_url}/hls/{video_id}/720p/index.m3u8?x=1")
    assert moved.status_code == 301
    assert moved.headers["location"] == f"{twin.url}/hls/{video_id}/720p/index.m3u8?x=1"
    long = ("#EXTM3U\n" + "".join(f"#EXTINF:4.000000,\nseg_{n:05d}.ts\n" for n in range(200))).encode()
    put(stack, f"hls/{video_id}/long.m3u8", long, PLAYLIST, "max-age=86400")
    cookies = CookieSigner(key.key_pair_id, lambda: key.private_pem).cookies(
        f"{twin.url}/hls/{video_id}/*", int(time.time()) + 600
    )
    with twin.client(cookies=cookies) as client:
        for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress), ("identity", bytes)):
            headers = {"Accept-Encoding": encoding}
            with client.stream("GET", f"{twin.url}/hls/{video_id}/long.m3u8", headers=headers) as playlist:
                assert playlist.headers.get("content-encoding", "identity") == encoding
                assert decode(b"".join(playlist.iter_raw())) == long
            segment = client.get(f"{twin.url}/hls/{video_id}/720p/seg_00000.ts", headers=headers)
            assert "content-encoding" not in segment.headers  # video/mp2t is not on CloudFront's list


def test_the_bucket_policy_decides_what_the_distribution_reads(site, aws):
    stack, twin, key = site
    video_id, objects = store_hls(stack, stack.user("alice")["sub"])
    cookies = CookieSigner(key.key_pair_id, lambda: key.private_pem).cookies(
        f"{twin.url}/hls/{video_id}/*", int(time.time()) + 600
    )
    arn = boto3.client("cloudfront").get_distribution(Id=twin_distribution(twin))["Distribution"]["ARN"]
    other = arn.rsplit("/", 1)[0] + "/E0THERDISTRIB"
    try:
        # A policy for another distribution: S3 refuses this one, and so the site does.
        stack.s3.put_bucket_policy(
            Bucket=stack.bucket, Policy=json.dumps(cdn.media_policy(stack.bucket, other))
        )
        with twin.client(cookies=cookies) as client:
            refused = client.get(f"{twin.url}/hls/{video_id}/720p/seg_00000.ts")
        assert refused.status_code == 403 and refused.headers["x-cache"] == "Error from cloudfront"
        assert b"<Code>AccessDenied</Code>" in refused.content
        # Reading but not listing: a missing object is 403, as S3 answers, not 404.
        cdn.admit(aws.url, REGION, stack.bucket, twin_distribution(twin), lists=False)
        with twin.client(cookies=cookies) as client:
            read = client.get(f"{twin.url}/hls/{video_id}/720p/seg_00001.ts")
            assert read.status_code == 200 and read.content == objects[f"hls/{video_id}/720p/seg_00001.ts"]
            hidden = client.get(f"{twin.url}/hls/{video_id}/720p/seg_99999.ts")
            assert hidden.status_code == 403 and b"<Code>AccessDenied</Code>" in hidden.content
    finally:
        cdn.admit(aws.url, REGION, stack.bucket, twin_distribution(twin))
    # With the role's policy (reads and lists hls/): the object, and a missing one is 404.
    with twin.client(cookies=cookies) as client:
        assert client.get(f"{twin.url}/hls/{video_id}/720p/seg_00002.ts").status_code == 200
        assert client.get(f"{twin.url}/hls/{video_id}/720p/seg_99998.ts").status_code == 404


def twin_distribution(twin) -> str:
    return json.loads(twin.config.read_text())["distribution_id"]
