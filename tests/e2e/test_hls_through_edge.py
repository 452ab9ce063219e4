"""A person's upload, transcoded by the supervised workers, read back by FFmpeg as an HLS
client through the site (the CDN twin, the ALB twin behind it): every rendition decodes to the
end, FFmpeg carrying the master's signed cookies to the playlists and segments on the CDN."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import time
import urllib.request
import uuid

import imageio_ffmpeg

INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE  # Caddy's local CA


def call(method: str, url: str, body: dict | bytes | None = None, token: str | None = None, **headers: str):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    if isinstance(body, dict):
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, context=INSECURE, timeout=60) as resp:
        raw = resp.read()
        return json.loads(raw) if raw and resp.headers.get_content_type() == "application/json" else raw


def test_ffmpeg_plays_every_rendition_through_the_edge(stack):
    api = stack.url + "/api/gallery"
    email, password = f"hls-{uuid.uuid4().hex[:8]}@example.com", "Correct-Horse-9!"
    call("POST", f"{api}/auth/sign-up", {"email": email, "password": password})
    token = call("POST", f"{api}/auth/sign-in", {"email": email, "password": password})["accessToken"]

    video = stack.sample_video.read_bytes()
    ticket = call(
        "POST",
        f"{api}/generate-upload-url",
        {"fileName": "sample.mp4", "contentType": "video/mp4", "size": len(video)},
        token,
    )
    upload = ticket["upload"]
    assert upload["method"] == "PUT" and upload["url"].startswith(stack.url + "/s3/")
    call("PUT", upload["url"], video, **upload["headers"])
    call("POST", f"{api}/confirm-upload", {"videoId": ticket["videoId"], "title": "through the edge"}, token)

    deadline = time.monotonic() + 600
    while True:
        state = call("GET", f"{api}/videos/{ticket['videoId']}", token=token)
        if state["status"] in ("ready", "failed") or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert state["status"] == "ready", state

    # What a player is given: a short-lived playback token for this video, not the access token.
    grant = call("POST", f"{stack.url}/api/stream/video/{ticket['videoId']}/playback-token", token=token)
    master_url = stack.url + grant["playlistUrl"]
    master = call("GET", master_url).decode()
    variants = re.findall(r"RESOLUTION=(\d+)x(\d+)", master)
    assert sorted(int(h) for _, h in variants) == [360, 480], master  # a 480p source: nothing upscaled

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    # FFmpeg trusts the site's local CA the way a person's machine would: through OpenSSL's
    # default store (its -tls_verify option does not reach the segment requests).
    ca = stack.ca_file
    for index in range(len(variants)):
        out = subprocess.run(
            [ffmpeg, "-hide_banner", "-nostats", "-i", master_url,
             "-map", f"0:p:{index}:v", "-f", "null", "-"],
            capture_output=True, text=True, timeout=300, check=False,
            env={**os.environ, "SSL_CERT_FILE": str(ca)},
        )  # fmt: skip
        assert out.returncode == 0, out.stderr[-3000:]
        frames = [int(n) for n in re.findall(r"frame=\s*(\d+)", out.stderr)]
        assert frames and frames[-1] >= 6 * 25 - 2, out.stderr[-1500:]  # the whole 6 s at 25 fps
