"""Presign cost per URL: ours (videoforge.presign) vs botocore's generate_presigned_url.

    .venv/bin/python bench/bench_presign.py      -> bench/results/presign.json

Same inputs for both (credentials with a session token, path-style endpoint, 6 h expiry);
keys shaped like segment keys. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "apps"))

from bench import write_result  # noqa: E402
from videoforge.presign import Presigner  # noqa: E402

BUCKET = "video-forge-storage"
EXPIRES = 21600


def keys(n: int) -> list[str]:
    return [
        f"hls/0b6f1c9e-6a43-4f0e-9c55-1d1f6b0f4b8a/{('1080p', '720p', '480p', '360p')[i % 4]}/seg_{i:05d}.ts"
        for i in range(n)
    ]


def best_of(runs: int, fn, n: int) -> float:
    """Best wall time per call, in microseconds, over ``runs`` runs of ``n`` calls."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best / n * 1e6


def main() -> None:
    # AWS's documentation example credentials: signing needs no real ones.
    session = boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # noqa: S106
        aws_session_token="FwoGZXIvYXdzEJr//////////wEaDH+example+session+token==",  # noqa: S106
        region_name="ap-southeast-2",
    )
    client = session.client(
        "s3",
        endpoint_url="https://127.0.0.1:8444",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    presigner = Presigner(client, BUCKET, "ap-southeast-2", session.get_credentials)
    ours_keys, boto_keys = keys(20_000), keys(2_000)

    def boto() -> None:
        for key in boto_keys:
            client.generate_presigned_url(
                "get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=EXPIRES
            )

    def ours_batch() -> None:  # the playlist path: one batch per playlist
        batch = presigner.batch(EXPIRES)
        for key in ours_keys:
            batch.get(key)

    def ours_single() -> None:  # one call per URL (the poster path); batches are reused within a second
        for key in ours_keys:
            presigner.get(key, EXPIRES)

    def playlist_1800() -> None:
        batch = presigner.batch(EXPIRES)
        for key in ours_keys[:1800]:
            batch.get(key)

    def part_urls_10gib() -> None:  # generate-upload-url for a 10 GiB file: 640 parts, sizes signed
        batch = presigner.batch(3600)
        for n in range(1, 641):
            batch.url(
                "uploads/u/v/source",
                "PUT",
                {"uploadId": "2~x", "partNumber": str(n)},
                {"Content-Length": 16 << 20},
            )

    boto()  # warm up endpoint resolution and caches
    ours_batch()
    result = {
        "boto3_us_per_url": round(best_of(3, boto, len(boto_keys)), 2),
        "ours_us_per_url_batched": round(best_of(5, ours_batch, len(ours_keys)), 2),
        "ours_us_per_url_single_calls": round(best_of(5, ours_single, len(ours_keys)), 2),
        "ours_ms_per_1800_segment_rendition": round(best_of(5, playlist_1800, 1) / 1000, 2),
        "ours_ms_per_640_sized_part_urls": round(best_of(5, part_urls_10gib, 1) / 1000, 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    result["speedup_batched"] = round(result["boto3_us_per_url"] / result["ours_us_per_url_batched"], 1)
    result["speedup_single_calls"] = round(
        result["boto3_us_per_url"] / result["ours_us_per_url_single_calls"], 1
    )
    write_result("presign", result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
