"""Signed cookies and URLs against an independent implementation, botocore's CloudFrontSigner
(with an RSA signer from cryptography): what our streaming service signs is what botocore
signs, byte for byte, and verifies with the public key alone; what botocore signs, the CDN
twin admits, and it refuses what CloudFront refuses (docs/ARCHITECTURE.md, "The CDN twin")."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.cdn import pem
from twin.cdn.signed import (
    Refused,
    TrustedKeyGroup,
    cloudfront_b64decode,
    proof_from_cookies,
    proof_from_query,
)
from videoforge.cdn import COOKIE_NAMES, CookieSigner, set_cookie_headers

SITE = "https://127.0.0.1:8443"
VIDEO_A, VIDEO_B = "0b5e7c56-3c59-4f0e-9a57-6f4a1f6d2a01", "7d1f0e8a-56b2-4c3f-8f53-2d8c6a0e9b12"
KEY_ID = "K2JCJMDEHXQW5F"
NOW = 1_800_000_000
LATER = NOW + 900


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def botocore_signer(private: rsa.RSAPrivateKey, key_id: str = KEY_ID) -> CloudFrontSigner:
    # CloudFront verifies RSA-SHA1: the hash is CloudFront's, not a choice.
    sha1 = hashes.SHA1()  # noqa: S303
    return CloudFrontSigner(key_id, lambda message: private.sign(message, padding.PKCS1v15(), sha1))


def when(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def segment(video: str, name: str = "720p/seg_00001.ts") -> str:
    return f"{SITE}/hls/{video}/{name}"


def test_our_cookies_are_what_botocore_signs_and_verify_with_the_public_key(key):
    ours = CookieSigner(KEY_ID, lambda: pem(key)[0]).cookies(f"{SITE}/hls/{VIDEO_A}/*", LATER)
    boto = botocore_signer(key)
    policy = boto.build_policy(f"{SITE}/hls/{VIDEO_A}/*", when(LATER))
    url = boto.generate_presigned_url(segment(VIDEO_A), policy=policy)
    theirs = query(url)
    assert ours == {
        "CloudFront-Policy": theirs["Policy"],
        "CloudFront-Signature": theirs["Signature"],
        "CloudFront-Key-Pair-Id": KEY_ID,
    }
    # RSA-SHA1 over the policy bytes, checked with nothing but the public key.
    key.public_key().verify(
        cloudfront_b64decode(ours["CloudFront-Signature"]),
        cloudfront_b64decode(ours["CloudFront-Policy"]),
        padding.PKCS1v15(),
        hashes.SHA1(),  # noqa: S303 - CloudFront's
    )
    assert not set("+=/") & set(ours["CloudFront-Policy"] + ours["CloudFront-Signature"])


def test_the_cookies_are_for_the_videos_path_only_over_https_and_never_to_scripts():
    headers = set_cookie_headers(dict.fromkeys(COOKIE_NAMES, "v"), f"/hls/{VIDEO_A}/")
    assert headers == [
        f"{name}=v; Path=/hls/{VIDEO_A}/; Secure; HttpOnly; SameSite=Lax" for name in COOKIE_NAMES
    ]


def test_the_twin_admits_urls_and_cookies_botocore_signs(key):
    group = TrustedKeyGroup({KEY_ID: pem(key)[1]})
    boto = botocore_signer(key)
    canned = boto.generate_presigned_url(segment(VIDEO_A), date_less_than=when(LATER))
    group.check(proof_from_query(query(canned), segment(VIDEO_A)), segment(VIDEO_A), "127.0.0.1", NOW)
    policy = boto.build_policy(f"{SITE}/hls/{VIDEO_A}/*", when(LATER), ip_address="127.0.0.0/8")
    custom = boto.generate_presigned_url(segment(VIDEO_A), policy=policy)
    group.check(proof_from_query(query(custom), segment(VIDEO_A)), segment(VIDEO_A), "127.0.0.1", NOW)
    params = query(custom)
    cookies = {
        "CloudFront-Policy": params["Policy"],
        "CloudFront-Signature": params["Signature"],
        "CloudFront-Key-Pair-Id": params["Key-Pair-Id"],
    }
    url = segment(VIDEO_A, "360p/index.m3u8")
    group.check(proof_from_cookies(cookies, url), url, "127.0.0.1", NOW)


def refusal(group: TrustedKeyGroup, cookies: dict[str, str], url: str, now: int = NOW, ip: str = "127.0.0.1"):
    with pytest.raises(Refused) as caught:
        group.check(proof_from_cookies(cookies, url), url, ip, now)
    return caught.value.code, caught.value.reason


def test_the_twin_refuses_what_cloudfront_refuses(key):
    private_pem, public_pem = pem(key)
    group = TrustedKeyGroup({KEY_ID: public_pem})
    cookies = CookieSigner(KEY_ID, lambda: private_pem).cookies(f"{SITE}/hls/{VIDEO_A}/*", LATER)
    assert refusal(group, cookies, segment(VIDEO_B)) == ("AccessDenied", "resource")
    assert refusal(group, cookies, segment(VIDEO_A), now=LATER) == ("AccessDenied", "expired")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger = CookieSigner("KUNKNOWN0000", lambda: pem(other)[0]).cookies(f"{SITE}/hls/{VIDEO_A}/*", LATER)
    assert refusal(group, stranger, segment(VIDEO_A)) == ("InvalidKey", "unknown_key")
    # A key that is not in the group, presented under a trusted key's id: the signature fails.
    forged = {**stranger, "CloudFront-Key-Pair-Id": KEY_ID}
    assert refusal(group, forged, segment(VIDEO_A)) == ("AccessDenied", "bad_signature")
    # The policy widened to every video, the signature kept.
    widened = CookieSigner(KEY_ID, lambda: private_pem).cookies(f"{SITE}/hls/*", LATER)["CloudFront-Policy"]
    tampered = {**cookies, "CloudFront-Policy": widened}
    assert refusal(group, tampered, segment(VIDEO_B)) == ("AccessDenied", "bad_signature")
    assert refusal(group, {**cookies, "CloudFront-Signature": "not*base64"}, segment(VIDEO_A)) == (
        "MalformedSignature",
        "malformed_signature",
    )
    assert refusal(group, {}, segment(VIDEO_A)) == ("MissingKey", "missing_key")


def test_conditions_of_a_custom_policy_are_enforced(key):
    public_pem = pem(key)[1]
    group = TrustedKeyGroup({KEY_ID: public_pem})
    boto = botocore_signer(key)
    policy = boto.build_policy(
        f"{SITE}/hls/{VIDEO_A}/*", when(LATER), date_greater_than=when(NOW + 60), ip_address="10.0.0.0/8"
    )
    params = query(boto.generate_presigned_url(segment(VIDEO_A), policy=policy))
    cookies = {"CloudFront-" + k: v for k, v in params.items()}
    assert refusal(group, cookies, segment(VIDEO_A)) == ("AccessDenied", "not_yet_valid")
    assert refusal(group, cookies, segment(VIDEO_A), now=NOW + 60) == ("AccessDenied", "source_ip")
    group.check(proof_from_cookies(cookies, segment(VIDEO_A)), segment(VIDEO_A), "10.1.2.3", NOW + 60)


def test_a_canned_url_is_good_for_its_own_url_only(key):
    group = TrustedKeyGroup({KEY_ID: pem(key)[1]})
    signed = botocore_signer(key).generate_presigned_url(segment(VIDEO_A), date_less_than=when(LATER))
    other = segment(VIDEO_A, "720p/seg_00002.ts")
    with pytest.raises(Refused) as caught:
        group.check(proof_from_query(query(signed), other), other, "127.0.0.1", NOW)
    assert caught.value.reason == "bad_signature"
