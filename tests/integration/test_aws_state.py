"""The local AWS endpoint's state at scale and under failure (docs/ARCHITECTURE.md, "The local twin").

Object bytes are files on disk and the journal keeps only what AWS acknowledged, so a
restart costs seconds and little memory whatever is stored, and a failed or interrupted
request can never block the next start.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import time
from pathlib import Path

import boto3
import psutil
import pytest
from botocore.config import Config

from tests.support import big_state, services
from tests.support.big_state import GIB, MIB

KW = {"region_name": "ap-southeast-2", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def s3_client(url: str):
    return boto3.client("s3", endpoint_url=url, config=Config(retries={"max_attempts": 1}), **KW)


def make_bucket(s3, name: str = "media") -> str:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    return name


@pytest.mark.slow
def test_a_gigabyte_of_objects_restarts_in_little_memory_and_reads_back_whole(tmp_path):
    """How soon the endpoint answers after a restart with this state is bench/bench_state.py's
    to measure."""
    state = tmp_path / "aws"
    with services.aws_emulator(tmp_path, state=state) as aws:
        s3 = s3_client(aws.url)
        bucket = make_bucket(s3)
        digests = big_state.put_objects(s3, bucket)
    stored = sum(p.stat().st_size for p in (state / "objects").rglob("*") if p.is_file())
    assert len(digests) >= 300 and stored >= GIB

    with services.aws_emulator(tmp_path, state=state) as aws:
        s3 = s3_client(aws.url)
        s3.head_bucket(Bucket=bucket)
        process = psutil.Process(aws.process.pid)
        rss_after_restore = process.memory_info().rss
        peak = rss_after_restore
        for key, digest in digests.items():
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            assert hashlib.md5(body).hexdigest() == digest, key  # noqa: S324
            peak = max(peak, process.memory_info().rss)
        restored = json.loads((state / "restore.json").read_text())
    print(
        f"1 GiB state: {len(digests)} objects, {stored / MIB:.0f} MiB; restore "
        f"{restored['restore_seconds']} s; RSS {rss_after_restore / MIB:.0f} MiB after restore, "
        f"{peak / MIB:.0f} MiB at most while reading back"
    )
    assert rss_after_restore < 300 * MIB and peak < 300 * MIB
    assert restored["skipped_entries"] == 0 and restored["objects"] == len(digests)


def send_partially(port: int, head: str, body: bytes) -> None:
    """Send a request's head and part of its body, then vanish (a client killed mid-upload)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode() + body)
        time.sleep(0.2)


def test_interrupted_uploads_are_never_kept_and_cannot_block_a_restart(tmp_path):
    state = tmp_path / "aws"
    with services.aws_emulator(tmp_path, state=state) as aws:
        s3 = s3_client(aws.url)
        bucket = make_bucket(s3)
        s3.put_object(Bucket=bucket, Key="kept/one", Body=b"acknowledged")
        upload = s3.create_multipart_upload(Bucket=bucket, Key="big/source")["UploadId"]
        first = s3.upload_part(
            Bucket=bucket, Key="big/source", UploadId=upload, PartNumber=1, Body=b"1" * 5 * MIB
        )
        # A single PUT that stops mid-body, and a second part that stops mid-body.
        send_partially(
            aws.port,
            f"PUT /{bucket}/half/single HTTP/1.1\r\nHost: 127.0.0.1:{aws.port}\r\n"
            f"Content-Length: {4 * MIB}\r\n\r\n",
            b"x" * MIB,
        )
        send_partially(
            aws.port,
            f"PUT /{bucket}/big/source?uploadId={upload}&partNumber=2 HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{aws.port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {5 * MIB}\r\n\r\n",
            b"2" * MIB,
        )
        # The endpoint is not stuck on them: it still answers.
        assert s3.get_object(Bucket=bucket, Key="kept/one")["Body"].read() == b"acknowledged"

    started = time.monotonic()
    with services.aws_emulator(tmp_path, state=state) as aws:
        print(f"restart after interrupted uploads: endpoint open in {time.monotonic() - started:.1f} s")
        s3 = s3_client(aws.url)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert keys == ["kept/one"]
        assert s3.get_object(Bucket=bucket, Key="kept/one")["Body"].read() == b"acknowledged"
        parts = s3.list_parts(Bucket=bucket, Key="big/source", UploadId=upload)["Parts"]
        assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, first["ETag"], 5 * MIB)]
    restored = json.loads((state / "restore.json").read_text())
    assert restored["skipped_entries"] == 0


def test_an_acknowledged_put_survives_a_sigkill_a_moment_later(tmp_path):
    state = tmp_path / "aws"
    with services.aws_emulator(tmp_path, state=state) as aws:
        s3 = s3_client(aws.url)
        bucket = make_bucket(s3)
        answer = s3.put_object(Bucket=bucket, Key="hls/v/seg-1.ts", Body=b"\x00segment\xff" * 1000)
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
        os.kill(aws.process.pid, signal.SIGKILL)
        aws.process.wait(10)
    with services.aws_emulator(tmp_path, state=state) as aws:
        body = s3_client(aws.url).get_object(Bucket=bucket, Key="hls/v/seg-1.ts")["Body"].read()
    assert body == b"\x00segment\xff" * 1000


def test_an_entry_that_cannot_be_applied_is_skipped_and_reported(tmp_path):
    state = tmp_path / "aws"
    with services.aws_emulator(tmp_path, state=state) as aws:
        s3 = s3_client(aws.url)
        bucket = make_bucket(s3)
        s3.put_object(Bucket=bucket, Key="kept", Body=b"k" * 1000)
        s3.put_object(Bucket=bucket, Key="lost", Body=b"l" * 1000)
    # The bytes of one object vanish from disk, and a crash cut the last journal line short.
    lost = next(
        e
        for e in map(json.loads, (state / "journal.jsonl").read_text().splitlines())
        if e.get("key") == "lost"
    )
    (state / "objects" / lost["versions"][0]["blob"]).unlink()
    with open(state / "journal.jsonl", "a") as fh:
        fh.write('{"op":"key","bucket":"media","key":"torn","vers')
    with services.aws_emulator(tmp_path, state=state) as aws:
        s3 = s3_client(aws.url)
        assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["kept"]
        report = json.loads((state / "restore.json").read_text())
    assert report["skipped_entries"] == 2, report
    assert any("lost" in reason and "missing" in reason for reason in report["skipped_reasons"])
    assert any("not a whole JSON line" in reason for reason in report["skipped_reasons"])
    # Compacted: the next start finds nothing to skip.
    with services.aws_emulator(tmp_path, state=state):
        assert json.loads((state / "restore.json").read_text())["skipped_entries"] == 0


def first_format_recording(path: Path, port: int) -> None:
    """A recording as the launcher's first format wrote it (moto's recorder), poison included."""

    def entry(method: str, url: str, body: bytes = b"", **headers: str) -> str:
        import base64

        return json.dumps(
            {
                "headers": {"Host": f"127.0.0.1:{port}", **headers},
                "method": method,
                "url": f"http://127.0.0.1:{port}{url}",
                "body": base64.b64encode(body).decode() if body else "",
                "body_encoded": bool(body),
            }
        )

    scope = "testing/20261201/ap-southeast-2/s3/aws4_request"
    auth = f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"
    config = (
        b"<CreateBucketConfiguration><LocationConstraint>ap-southeast-2</LocationConstraint>"
        b"</CreateBucketConfiguration>"
    )
    lines = [
        entry("PUT", "/media", config, Authorization=auth),
        entry("PUT", "/media/uploads/u/v/source", b"video bytes", Authorization=auth),
        entry("PUT", "/media/hls/v/gone.ts", b"gone", Authorization=auth),
        entry("DELETE", "/media/hls/v/gone.ts", Authorization=auth),
        # The poison: a presigned part PUT whose body never arrived, of an upload never completed.
        entry("PUT", "/media/uploads/u/w/source?uploadId=abc&partNumber=1", **{"Content-Length": "1048576"}),
    ]
    path.write_text("\n".join(lines) + "\n")


def test_a_state_of_the_first_format_is_upgraded_and_keeps_its_objects(tmp_path):
    state = tmp_path / "aws"
    state.mkdir()
    port = services.free_port()
    first_format_recording(state / "recording.jsonl", port)
    with services.aws_emulator(tmp_path, state=state, port=port) as aws:
        s3 = s3_client(aws.url)
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="media")["Contents"]] == ["uploads/u/v/source"]
        assert s3.get_object(Bucket="media", Key="uploads/u/v/source")["Body"].read() == b"video bytes"
    report = json.loads((state / "restore.json").read_text())
    assert report["upgraded_from"].endswith("recording.jsonl") and report["skipped_entries"] == 1
    assert (state / "recording.jsonl.upgraded").exists() and not (state / "recording.jsonl").exists()
    assert not any(b"video bytes" in line for line in (state / "journal.jsonl").read_bytes().splitlines())
    with services.aws_emulator(tmp_path, state=state) as aws:  # and the upgraded state restarts as such
        assert (
            s3_client(aws.url).get_object(Bucket="media", Key="uploads/u/v/source")["Body"].read()
            == b"video bytes"
        )


def test_a_person_stays_signed_in_across_a_restart(tmp_path):
    """Refresh tokens are Cognito state: after make down && make up the page renews its session."""
    state = tmp_path / "aws"
    with services.aws_emulator(tmp_path, state=state) as aws:
        idp = boto3.client("cognito-idp", endpoint_url=aws.url, **KW)
        pool = idp.create_user_pool(PoolName="users", UsernameAttributes=["email"])["UserPool"]["Id"]
        client = idp.create_user_pool_client(
            UserPoolId=pool,
            ClientName="web",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        idp.sign_up(ClientId=client, Username="person@example.com", Password="Sample-Passw0rd!")
        idp.admin_confirm_sign_up(UserPoolId=pool, Username="person@example.com")
        signed_in = idp.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "person@example.com", "PASSWORD": "Sample-Passw0rd!"},
        )["AuthenticationResult"]
    with services.aws_emulator(tmp_path, state=state) as aws:
        idp = boto3.client("cognito-idp", endpoint_url=aws.url, **KW)
        renewed = idp.initiate_auth(
            ClientId=client,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": signed_in["RefreshToken"]},
        )["AuthenticationResult"]
    assert renewed["AccessToken"] and renewed["AccessToken"] != signed_in["AccessToken"]
