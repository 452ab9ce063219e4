"""The web client's server sends the security headers, on every answer, and the local twin's
client server sends the same: a policy that allows only this origin (and the S3 endpoints that
presigned URLs point at) and lets no one frame the page, HSTS, nosniff."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX = ROOT / "apps/client/nginx.conf"
CADDY = ROOT / "roles/local_edge/templates/Caddyfile.j2"
SECURITY = {
    "content-security-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
}


def nginx_locations() -> dict[str, dict[str, str]]:
    """Each location's add_header names and values (a location with its own add_header inherits
    none of the server's, so every one must carry them)."""
    text = NGINX.read_text()
    locations = {}
    for match in re.finditer(r"location\s+(\S+)\s*\{(.*?)\n    \}", text, re.S):
        headers = re.findall(r'^\s*add_header\s+(\S+)\s+"(.*)"(?:\s+always)?;', match[2], re.M)
        locations[match[1]] = {name.lower(): value for name, value in headers}
    return locations


def caddy_client_headers() -> dict[str, str]:
    block = CADDY.read_text().split('# The client "task"', 1)[1]
    inner = re.search(r"\n\theader \{\n(.*?)\n\t\}", block, re.S)[1]
    return {name.lower(): value for name, value in re.findall(r'^\t\t(\S+)\s+"(.*)"$', inner, re.M)}


def test_every_answer_of_the_clients_nginx_carries_the_security_headers():
    locations = nginx_locations()
    assert set(locations) == {"/assets/", "/"}
    for location, headers in locations.items():
        assert set(headers) >= SECURITY, location
        assert "always;" in NGINX.read_text()  # also on errors (404 of a missing asset)
    security = [{k: v for k, v in h.items() if k in SECURITY} for h in locations.values()]
    assert security[0] == security[1]


def test_the_policy_allows_only_this_origin_and_no_framing():
    headers = nginx_locations()["/"]
    policy = dict(
        (d.split()[0], d.split()[1:]) for d in headers["content-security-policy"].split(";") if d.strip()
    )
    assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)
    assert int(re.search(r"max-age=(\d+)", headers["strict-transport-security"])[1]) >= 31536000
    assert headers["x-content-type-options"] == "nosniff"


def test_the_local_twins_client_sends_the_same_headers():
    nginx = {k: v for k, v in nginx_locations()["/"].items() if k in SECURITY}
    assert caddy_client_headers() == nginx
