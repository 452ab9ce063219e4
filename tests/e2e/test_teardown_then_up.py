"""A person tears the local platform down (playbooks/teardown.yml) and brings it back with
`make up`: it converges, and the database (kept, with its password) still lets the services in.
The stack's state lies in a 0700 directory, as a clone in root's home does.

The platform is the session's `stack` (its first converge from nothing is the fixture's), so this
runs after test_local_stack.py's tests on the same platform (tests/conftest.py groups them).
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

import pytest


def get(url: str) -> tuple[int, bytes]:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # Caddy's local CA
    try:
        with urllib.request.urlopen(url, context=context, timeout=20) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.mark.timeout(2400)  # a teardown and a whole-site run, beside the rest of the suite
def test_teardown_then_up_converges_and_the_database_still_lets_the_services_in(stack):
    assert stack.first_run.returncode == 0, stack.first_run.output[-6000:]
    assert stack.state_dir.parent.parent.stat().st_mode & 0o777 == 0o700
    down = stack.playbook(playbook="playbooks/teardown.yml")
    assert down.returncode == 0, down.output[-6000:]
    again = stack.playbook()
    assert again.returncode == 0, again.output[-6000:]
    status, body = get(f"{stack.url}/api/gallery/health/ready")
    assert status == 200, body[:500]
    health = json.loads(body)
    assert health["database"] is True and health["status"] == "ok", health  # the password still matches
