"""What docs/ARCHITECTURE.md ("The local twin") promises, checked on the whole platform as
`make up` brings it up."""

from __future__ import annotations

import http.client
import json
import re
import ssl
import urllib.request

import boto3
import psycopg

INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE  # Caddy's local CA is not in the system store


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, context=INSECURE, timeout=20) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_first_run_succeeds_and_prints_nothing_failed(stack):
    recap = stack.first_run.recap["localhost"]
    assert recap["failed"] == 0 and recap["unreachable"] == 0


def test_health_of_each_service_through_the_edge(stack):
    for path, service in (("/api/gallery/health", "gallery"), ("/api/stream/health", "streaming")):
        status, _, body = get(stack.url + path)
        assert status == 200, (path, body[:300])
        assert json.loads(body)["service"] == service


def test_plain_http_redirects_to_https(stack):
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports["http"], timeout=10)
    conn.request("GET", "/api/gallery/videos?limit=1")
    resp = conn.getresponse()
    assert resp.status == 301
    assert resp.getheader("Location") == f"{stack.url}/api/gallery/videos?limit=1"


def test_root_serves_the_client_page(stack):
    status, headers, body = get(stack.url + "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b'<div id="root">' in body
    # Client-side routes fall back to the page too (the SPA handles them).
    status, _, body = get(stack.url + "/watch/some-video")
    assert status == 200 and b'<div id="root">' in body


def test_the_site_is_the_cdn_and_the_alb_answers_only_the_cdn(stack):
    status, headers, _ = get(stack.url + "/api/gallery/health")
    assert status == 200 and headers["X-Cache"] == "Miss from cloudfront"
    assert (stack.state_dir / "site-url").read_text().strip() == stack.url
    # Without the origin secret the load balancer twin forwards nothing, as the ALB's rules do.
    status, headers, _ = get(f"https://127.0.0.1:{stack.ports['alb']}/api/gallery/health")
    assert status == 403 and "X-Cache" not in headers


def test_the_page_is_never_cached_and_its_hashed_assets_are_for_a_year(stack):
    """What CloudFront keeps of the client: its default behaviour follows the client's own
    Cache-Control (apps/client/nginx.conf, the twin's client task alike)."""
    pages = [get(stack.url + "/") for _ in range(2)]
    assert [(s, h["Cache-Control"], h["X-Cache"]) for s, h, _ in pages] == [
        (200, "no-cache", "Miss from cloudfront")
    ] * 2
    assets = re.findall(rb'(?:src|href)="(/assets/[^"]+)"', pages[0][2])
    assert assets
    for asset in (a.decode() for a in assets):
        get(stack.url + asset)  # in the cache from here on, whatever fetched it before
        status, headers, _ = get(stack.url + asset)
        assert status == 200 and headers["X-Cache"] == "Hit from cloudfront"
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_with_the_cdn_switched_off_caddy_is_the_site_again(stack):
    off = stack.playbook(
        "-e", '{"videoforge_cdn": {"enabled": false}}', playbook="playbooks/local_runtime.yml"
    )
    assert off.returncode == 0, off.output[-4000:]
    status, headers, body = get(stack.url + "/")
    assert status == 200 and b'<div id="root">' in body and "X-Cache" not in headers
    streaming = (stack.state_dir / "supervisor" / "conf.d" / "streaming.conf").read_text()
    assert "CDN_SITE_URL" not in streaming  # presigned playback, as without a CDN
    assert not (stack.state_dir / "supervisor" / "conf.d" / "cdn.conf").exists()
    on = stack.playbook(playbook="playbooks/local_runtime.yml")
    assert on.returncode == 0, on.output[-4000:]
    status, headers, _ = get(stack.url + "/")
    assert status == 200 and headers["X-Cache"].endswith("from cloudfront")


def test_second_run_changes_nothing(stack):
    run = stack.playbook()
    assert run.returncode == 0, run.output[-4000:]
    assert run.recap["localhost"]["changed"] == 0, run.changed_tasks


def test_check_diff_after_converge_reports_no_change(stack):
    run = stack.playbook("--check", "--diff")
    assert run.returncode == 0, run.output[-4000:]
    assert run.recap["localhost"]["changed"] == 0, run.changed_tasks


def test_down_and_up_keeps_emulator_state_and_database_rows(stack):
    aws = stack.aws_env()
    sqs = boto3.client(
        "sqs",
        endpoint_url=aws["AWS_ENDPOINT_URL"],
        region_name="ap-southeast-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=aws["AWS_ENDPOINT_URL"],
        region_name="ap-southeast-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    queues_before = sorted(sqs.list_queues().get("QueueUrls", []))
    buckets_before = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
    assert queues_before and buckets_before
    bucket = buckets_before[0]
    s3.put_object(Bucket=bucket, Key="uploads/persist/check", Body=b"\x00kept\xff")

    password = (stack.state_dir / "secrets" / "db-password").read_text().strip()
    dsn = (
        f"host=127.0.0.1 port={stack.ports['postgres']} dbname=videoforge user=videoforge password={password}"
    )
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO gallery_videos (id, owner_id, title, s3_key, file_name, content_type, size_bytes)"
            " VALUES (gen_random_uuid(), 'persist-check', 'kept', 'uploads/x/y/source', 'a.mp4',"
            " 'video/mp4', 1)"
        )

    stack.down()
    assert stack.tool("running").returncode == 1
    stack.up()

    assert sorted(sqs.list_queues().get("QueueUrls", [])) == queues_before
    assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == buckets_before
    assert s3.get_object(Bucket=bucket, Key="uploads/persist/check")["Body"].read() == b"\x00kept\xff"
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT title FROM gallery_videos WHERE owner_id = 'persist-check'").fetchall()
    assert rows == [("kept",)]
    status, _, _ = get(stack.url + "/api/gallery/health")
    assert status == 200
