"""The streaming service's media playlist for a 2-hour video (1,800 segments in each of 4
renditions): latency against hypercorn, and throughput through the edge against a static file.
Real moto S3, real PostgreSQL, the service under hypercorn on loopback.

    .venv/bin/python -m bench bench_playlist     -> bench/results/playlist.json

Sequential latency, straight to hypercorn (REQUESTS requests each):
"media_cold": every request renders (PLAYLIST_CACHE_SECONDS=0: read from S3, presign 1,800 URLs);
"media_warm": the default cache serves the rendered playlist (access check still per request).

Throughput through the edge ("edge_vs_static"): one Caddy, configured as the local edge
(roles/local_edge/templates/Caddyfile.j2: a plain reverse_proxy, no compression, no access
log; plain HTTP here), proxies the streaming API (the model's prefix) to the warm service
and serves, under /static/, the exact bytes the edge returned for the 720p media playlist as a
file. CLIENTS keep-alive HTTP/1.1 connections (bench/load.py: one event loop, a bare asyncio
protocol that counts body bytes, since httpx.AsyncClient parsing 700 KB bodies was the
bottleneck and read both sides as equal) request back to back for SECONDS each round, edge and
static interleaved for ROUNDS rounds;
every response must be a 200 of the same length. Reported: req/s per round, median req/s and
latency for each, and edge_over_static_req_per_s_ratio. The load generator shares the
machine's cores with Caddy and hypercorn, so the static figure is bounded by the client and
the ratio is an upper bound (the edge costs at least that much); read it beside the load
average recorded at start and end, and cpu_count.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "apps"), str(ROOT)]

from bench import load_average, write_result  # noqa: E402
from bench.load import CLIENTS, hammer  # noqa: E402
from tests.support import model, services  # noqa: E402
from tests.support.apps import REGION, create_database, launch_service, service_env, stop_all, wait_healthy  # noqa: E402

SEGMENTS = 1800
RENDITIONS = [("1080p", 1920, 1080, 5_000_000), ("720p", 1280, 720, 2_800_000),
              ("480p", 854, 480, 1_400_000), ("360p", 640, 360, 800_000)]  # fmt: skip
REQUESTS = 30
SECONDS = 5.0  # per round and target
ROUNDS = 3  # edge, static, edge, static, ...
WARMUP_SECONDS = 1.0
CADDY = ROOT / ".venv" / "bin" / "caddy"
STREAMING = model.api_prefixes()["streaming"]  # where the edge routes the streaming API


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


def caddyfile(port: int, upstream_port: int, static_root: Path, data_dir: Path) -> str:
    """The edge as roles/local_edge/templates/Caddyfile.j2 renders it (a bare reverse_proxy in
    a route, no encode, no access log), on plain HTTP, plus a file_server for the static copy."""
    return f"""{{
	admin off
	auto_https off
	storage file_system {data_dir}
}}

http://127.0.0.1:{port} {{
	bind 127.0.0.1
	route {{
		@streaming path {STREAMING}/*
		handle @streaming {{
			reverse_proxy 127.0.0.1:{upstream_port}
		}}
		handle_path /static/* {{
			root * {static_root}
			header Content-Type application/vnd.apple.mpegurl
			file_server
		}}
	}}
}}
"""


def start_caddy(tmp: Path, upstream_port: int, static_root: Path) -> tuple[subprocess.Popen, int]:
    port = services.free_port()
    config = tmp / "Caddyfile"
    config.write_text(caddyfile(port, upstream_port, static_root, tmp / "caddy-data"))
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp / "caddy-config"),
        "XDG_DATA_HOME": str(tmp / "caddy-data"),
    }
    log = (tmp / f"caddy-{port}.log").open("wb")
    proc = subprocess.Popen(
        [str(CADDY), "run", "--config", str(config), "--adapter", "caddyfile"],
        cwd=tmp,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"caddy exited: {(tmp / f'caddy-{port}.log').read_text()[-2000:]}")
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True

    try:
        services.wait_for(up, 30, "caddy")
    except Exception:
        services.stop(proc)
        raise
    return proc, port


def edge_vs_static(edge_url: str, static_url: str, expect_len: int) -> dict:
    rounds: dict[str, list[dict]] = {"edge": [], "static": []}
    for url in (edge_url, static_url):
        asyncio.run(hammer(url, WARMUP_SECONDS, expect_len))
    for _ in range(ROUNDS):
        rounds["edge"].append(asyncio.run(hammer(edge_url, SECONDS, expect_len)))
        rounds["static"].append(asyncio.run(hammer(static_url, SECONDS, expect_len)))
    result: dict = {
        "clients": CLIENTS,
        "seconds_per_round": SECONDS,
        "rounds": ROUNDS,
        "order": "edge, static, interleaved",
        "bytes_per_response": expect_len,
    }
    for name, runs in rounds.items():
        result[name] = {
            "median_req_per_s": round(statistics.median(r["req_per_s"] for r in runs), 1),
            "median_latency_ms": round(statistics.median(r["median_ms"] for r in runs), 2),
            "median_p95_ms": round(statistics.median(r["p95_ms"] for r in runs), 2),
            "req_per_s_per_round": [r["req_per_s"] for r in runs],
            "rounds": runs,
        }
    result["edge_over_static_req_per_s_ratio"] = round(
        result["edge"]["median_req_per_s"] / result["static"]["median_req_per_s"], 3
    )
    return result


def main() -> None:
    load_start = load_average()
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
        caddy = None
        try:
            wait_healthy(warm)
            wait_healthy(cold)
            result: dict = {
                "segments_per_rendition": SEGMENTS,
                "renditions": len(RENDITIONS),
                "requests": REQUESTS,
                "cpu_count": os.cpu_count(),
                "load_average_start": load_start,
            }
            base = f"{STREAMING}/video/{video_id}"
            with httpx.Client(timeout=30) as client:
                result["master"] = timings(client, f"{warm.url}{base}/playlist", REQUESTS)
                result["media_cold"] = timings(client, f"{cold.url}{base}/720p/playlist.m3u8", REQUESTS)
                result["media_warm"] = timings(client, f"{warm.url}{base}/720p/playlist.m3u8", REQUESTS)
                started = time.perf_counter()
                for name, *_ in RENDITIONS:
                    assert client.get(f"{cold.url}{base}/{name}/playlist.m3u8").status_code == 200
                result["all_4_renditions_cold_ms"] = round((time.perf_counter() - started) * 1000, 2)

            static_root = tmp / "static"
            static_root.mkdir()
            caddy, edge_port = start_caddy(tmp, int(warm.url.rsplit(":", 1)[1]), static_root)
            edge = f"http://127.0.0.1:{edge_port}"
            with httpx.Client(timeout=30) as client:
                r = client.get(f"{edge}{base}/720p/playlist.m3u8")
                assert r.status_code == 200, r.text
                assert "content-encoding" not in r.headers, r.headers  # the edge does not compress
                body = r.content
                (static_root / "720p.m3u8").write_bytes(body)
                s = client.get(f"{edge}/static/720p.m3u8")
                assert s.status_code == 200 and s.content == body, (s.status_code, len(s.content), len(body))
            result["edge_vs_static"] = edge_vs_static(
                f"{edge}{base}/720p/playlist.m3u8", f"{edge}/static/720p.m3u8", len(body)
            )
            result["edge_vs_static"]["caddy_version"] = subprocess.run(
                [str(CADDY), "version"], capture_output=True, text=True, check=False
            ).stdout.split()[0]
            result["load_average_end"] = load_average()
        finally:
            if caddy is not None:
                services.stop(caddy)
            stop_all(warm, cold)
    shutil.rmtree(tmp, ignore_errors=True)
    write_result("playlist", result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
