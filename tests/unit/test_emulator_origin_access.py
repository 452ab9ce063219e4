"""The local endpoint decides CloudFront's reads of a bucket by the bucket policy, as S3 does
for a distribution's origin access control (twin/emulator/origin_access.py): the policies here
are the ones role storage writes (roles/storage/vars/main.yml)."""

from __future__ import annotations

from tests.support.cdn import media_policy
from twin.emulator.origin_access import access_key, allowed

BUCKET = "video-forge-storage-dev"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
ARN = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
AS_CLOUDFRONT = {
    "aws:sourcearn": ARN,
    "aws:sourceaccount": "123456789012",
    "aws:securetransport": "true",
}
TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": ["s3:*"],
    "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def test_the_distribution_reads_media_and_lists_hls_and_nothing_else():
    policy = media_policy(BUCKET, ARN)
    assert allowed(policy, "s3:GetObject", f"{BUCKET_ARN}/hls/v1/720p/seg_00000.ts", AS_CLOUDFRONT)
    assert allowed(policy, "s3:GetObject", f"{BUCKET_ARN}/thumbnails/v1/poster.jpg", AS_CLOUDFRONT)
    assert not allowed(policy, "s3:GetObject", f"{BUCKET_ARN}/uploads/u1/v1/source", AS_CLOUDFRONT)
    assert allowed(policy, "s3:ListBucket", BUCKET_ARN, {**AS_CLOUDFRONT, "s3:prefix": "hls/v1/"})
    assert not allowed(policy, "s3:ListBucket", BUCKET_ARN, {**AS_CLOUDFRONT, "s3:prefix": "uploads/"})
    assert not allowed(policy, "s3:ListBucket", BUCKET_ARN, AS_CLOUDFRONT)  # no prefix: none matches
    assert not allowed(policy, "s3:PutObject", f"{BUCKET_ARN}/hls/v1/x", AS_CLOUDFRONT)


def test_another_distribution_or_no_policy_reads_nothing():
    other = {**AS_CLOUDFRONT, "aws:sourcearn": ARN.replace("E2QWRUHAPOMQZL", "E1OTHER")}
    assert not allowed(media_policy(BUCKET, ARN), "s3:GetObject", f"{BUCKET_ARN}/hls/v1/i.m3u8", other)
    assert not allowed(None, "s3:GetObject", f"{BUCKET_ARN}/hls/v1/i.m3u8", AS_CLOUDFRONT)


def test_an_explicit_deny_wins_over_the_allow():
    policy = media_policy(BUCKET, ARN)
    policy["Statement"].insert(0, TLS_ONLY)
    key = f"{BUCKET_ARN}/hls/v1/720p/seg_00000.ts"
    assert allowed(policy, "s3:GetObject", key, AS_CLOUDFRONT)
    assert not allowed(policy, "s3:GetObject", key, {**AS_CLOUDFRONT, "aws:securetransport": "false"})


def test_what_cannot_be_evaluated_fails_closed():
    key = f"{BUCKET_ARN}/hls/v1/i.m3u8"
    unknown = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    policy = media_policy(BUCKET, ARN)
    policy["Statement"][0]["Condition"] = unknown
    assert not allowed(policy, "s3:GetObject", key, AS_CLOUDFRONT)
    deny = {**TLS_ONLY, "Condition": unknown}
    assert not allowed(
        {"Statement": [*media_policy(BUCKET, ARN)["Statement"], deny]}, "s3:GetObject", key, AS_CLOUDFRONT
    )


def test_only_requests_signed_with_a_key_are_recognised():
    signed = {
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=CLOUDFRONT-OAC-E2QWRUHAPOMQZL/20261207/"
        "ap-southeast-2/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab"
    }
    assert access_key(signed) == "CLOUDFRONT-OAC-E2QWRUHAPOMQZL"
    assert access_key({}) == ""
