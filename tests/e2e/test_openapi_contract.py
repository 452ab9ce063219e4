"""The OpenAPI documents say exactly what the services do: schemathesis, with all its checks,
over both documents, through the edge (Caddy, as the ALB), with a valid access token. The ALB is
reached as CloudFront reaches it, with the origin secret header (from the CDN twin's own
configuration): through the site, CloudFront itself answers a method no behaviour allows
(TRACE) with its 403 before the API could say 405.

Bounded by a case count, not by the clock: a fixed seed and MAX_EXAMPLES cases per operation.
Under `--max-time` schemathesis 4 fuzzes until the time is spent, whatever `--max-examples`
says, so the run took its whole budget (90 s a document) and how many cases it tried depended
on the machine's load. 300 gives the gallery about the 3,700 cases a quiet machine reached in
those 90 s. A failure prints schemathesis's report (each failure with a curl line that
reproduces it).
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

ST = Path(sys.executable).parent / "st"
MAX_EXAMPLES = 300
TIMEOUT_SECONDS = 900  # a hung run fails; a quiet machine needs about 70 s and 20 s
SEED = 20261202
INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE  # Caddy's local CA


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, context=INSECURE, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def access_token(stack) -> str:
    api = stack.url + "/api/gallery/auth"
    email, password = f"contract-{uuid.uuid4().hex[:8]}@example.com", "Contract-Passw0rd!"
    post(f"{api}/sign-up", {"email": email, "password": password})
    return post(f"{api}/sign-in", {"email": email, "password": password})["accessToken"]


@pytest.fixture(scope="module")
def load_balancer(stack) -> tuple[str, list[str]]:
    """The ALB twin's URL and the header it requires of CloudFront, as the CDN twin has them."""
    alb = json.loads((stack.state_dir / "cdn" / "config.json").read_text())["origins"]["alb"]
    return alb["url"], [
        arg for name, value in alb["headers"].items() for arg in ("--header", f"{name}: {value}")
    ]


@pytest.mark.parametrize("service", ["gallery", "stream"])
def test_schemathesis_finds_nothing_through_the_edge(stack, access_token, load_balancer, service, tmp_path):
    url, origin_headers = load_balancer
    run = subprocess.run(
        [
            str(ST), "run", f"{url}/api/{service}/openapi.json",
            "--checks", "all",
            "--header", f"Authorization: Bearer {access_token}",
            *origin_headers,
            "--tls-verify", "false",
            "--max-examples", str(MAX_EXAMPLES),
            "--seed", str(SEED),
            "--workers", "2",
            "--generation-database", "none",
            "--request-timeout", "30",
            "--no-color",
        ],
        capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False, cwd=tmp_path,
    )  # fmt: skip
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-12000:]
    generated = re.search(r"(\d+) generated", report)
    assert generated and int(generated[1]) > 0, report[-3000:]
