"""Playlist latency through the streaming service for a 2-hour video: 1,800 segments in each
of 4 renditions. Real moto S3, real PostgreSQL, the service under hypercorn on loopback.

    .venv/bin/python bench/bench_playlist.py     -> bench/results/playlist.json

"cold": every request renders (PLAYLIST_CACHE_SECONDS=0: read from S3, presign 1,800 URLs);
"warm": the default cache serves the rendered playlist (access check still per request).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "apps"), str(ROOT)]

from tests.support import services  # noqa: E402
from tests.support.apps import REGION, create_database, launch_service, service_env, stop_all, wait_healthy  # noqa: E402

SEGMENTS = 1800
RENDITIONS = [("1080p", 1920, 1080, 5_000_000), ("720p", 1280, 720, 2_800_000),
              ("480p", 854, 480, 1_400_000), ("360p", 640, 360, 800_000)]  # fmt: skip
REQUESTS = 30


def media_playlist() -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:4", "#EXT-X-MEDIA-SEQUENCE:0",
             "#EXT-X-PLAYLIST-TYPE:VOD"]  # fmt: skip
    for n in range(SEGMENTS):
        lines += ["#EXTINF:4.000000,", f"seg_{n:05d}.ts"]
    return "\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n"


def timings(client: httpx.Client, url: str, n: int) -> dict:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, r.text
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "bytes": len(r.content),
    }


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="vf-bench-"))
    with services.aws_emulator(tmp) as aws, services.postgres() as pg:
        services.set_aws_test_env(aws.url)
        s3 = boto3.client("s3", endpoint_url=aws.url, region_name=REGION)
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        dbname, dsn = create_database(pg, "bench")
        video_id = str(uuid.uuid4())
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO gallery_videos (id, owner_id, title, visibility, status, s3_key, file_name,"
                " content_type, size_bytes) VALUES (%s, 'u', 'Two hours', 'public', 'ready', 'k', 'f.mp4',"
                " 'video/mp4', 1)",
                (video_id,),
            )
            text = media_playlist().encode()
            for name, width, height, bandwidth in RENDITIONS:
                key = f"hls/{video_id}/{name}/index.m3u8"
                s3.put_object(Bucket=bucket, Key=key, Body=text)
                conn.execute(
                    "INSERT INTO media_assets (video_id, kind, name, s3_key, width, height, bandwidth,"
                    " codecs, segment_count, complete)"
                    " VALUES (%s, 'rendition', %s, %s, %s, %s, %s, 'avc1.640028', %s, true)",
                    (video_id, name, key, width, height, bandwidth, SEGMENTS),
                )
        common = dict(S3_BUCKET=bucket, SQS_QUEUE_URL="", AWS_ENDPOINT_URL=aws.url, LOG_LEVEL="WARNING",
                      COGNITO_USER_POOL_ID="none", COGNITO_CLIENT_ID="none")  # fmt: skip
        warm = launch_service("streaming.app:app", service_env(pg, dbname, **common), tmp)
        cold = launch_service(
            "streaming.app:app", service_env(pg, dbname, PLAYLIST_CACHE_SECONDS="0", **common), tmp
        )
        try:
            wait_healthy(warm)
            wait_healthy(cold)
            result: dict = {
                "segments_per_rendition": SEGMENTS,
                "renditions": len(RENDITIONS),
                "requests": REQUESTS,
            }
            with httpx.Client(timeout=30) as client:
                base = f"/api/stream/video/{video_id}"
                result["master"] = timings(client, f"{warm.url}{base}/playlist", REQUESTS)
                result["media_cold"] = timings(client, f"{cold.url}{base}/720p/playlist.m3u8", REQUESTS)
                result["media_warm"] = timings(client, f"{warm.url}{base}/720p/playlist.m3u8", REQUESTS)
                started = time.perf_counter()
                for name, *_ in RENDITIONS:
                    assert client.get(f"{cold.url}{base}/{name}/playlist.m3u8").status_code == 200
                result["all_4_renditions_cold_ms"] = round((time.perf_counter() - started) * 1000, 2)
            result["load_average_1m"] = round(os.getloadavg()[0], 2)
        finally:
            stop_all(warm, cold)
    out = ROOT / "bench" / "results" / "playlist.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
