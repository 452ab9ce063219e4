"""The local edge takes a target out of rotation when it fails its target group's health check,
and puts it back once it passes again, as the ALB does: a service running two instances keeps
answering through the edge while one of them hangs.

The gallery program and the Caddyfile are rendered by the local_services and local_edge roles'
own templates from the local model, with gallery at desired_count 2 and the catalog's checks
coming round every second (its thresholds, a shorter interval), so this takes seconds, not the
minutes of the real interval. The instances are real galleries on the ports the program gives
them; the edge is real Caddy."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from ansible.template import trust_as_template

from tests.support import services
from tests.support.apps import launch_service, stack_fixture, stop_all, wait_healthy  # noqa: F401
from tests.support.model import ROOT, templar

BIN = Path(sys.executable).parent


def model(**overrides):
    """The local model with gallery at desired_count 2 (what the test asks of the twin)."""
    catalog = templar("local").template(trust_as_template("{{ videoforge_services }}"))
    services_ = {**catalog, "gallery": {**catalog["gallery"], "desired_count": 2}}
    return templar("local", videoforge_services=services_, **overrides)


def render(role: str, template: str, **variables) -> str:
    """A role's template, rendered as its tasks render it (the template lookup)."""
    path = ROOT / "roles" / role / "templates" / template
    t = model(roles=(role,), ansible_managed="rendered by a test", **variables)
    return t.template(trust_as_template(f"{{{{ lookup('ansible.builtin.template', '{path}') }}}}"))


def gallery_ports(stack, tmp: Path) -> list[int]:
    """The ports the local_services gallery program runs its instances on."""
    first = services.free_ports(2)
    program = render(
        "local_services",
        "gallery.conf.j2",
        local_services_state_dir=str(tmp),
        local_services_ports={"gallery": first, "streaming": int(stack.streaming.rsplit(":", 1)[1])},
        local_services_instances=trust_as_template("{{ videoforge_local.service_instances }}"),
        local_services_keep_alive_seconds=trust_as_template("{{ videoforge_service_keep_alive_seconds }}"),
        local_services_region="ap-southeast-2",
        __local_services_output={
            k: "x" for k in ("bucket", "queue-url", "user-pool-id", "user-pool-client-id", "db-password")
        },
    )
    assert "--bind 127.0.0.1:%(process_num)d" in program
    start = int(re.search(r"^numprocs_start=(\d+)$", program, re.M).group(1))
    count = int(re.search(r"^numprocs=(\d+)$", program, re.M).group(1))
    return list(range(start, start + count))


def caddyfile(stack, tmp: Path, gallery_port: int) -> tuple[str, int]:
    https, http, client = services.free_port(), services.free_port(), services.free_port()
    (tmp / "client").mkdir()
    (tmp / "client" / "index.html").write_text('<div id="root"></div>')
    checks = trust_as_template(
        "{{ dict(videoforge_services.keys() | zip(videoforge_services.values()"
        " | map(attribute='health_check') | map('combine', {'interval': 1, 'timeout': 1}))) }}"
    )
    text = render(
        "local_edge",
        "Caddyfile.j2",
        local_edge_state_dir=str(tmp),
        local_edge_https_port=https,
        local_edge_http_port=http,
        local_edge_listener_rules=trust_as_template("{{ videoforge_listener_rules }}"),
        local_edge_default_service="client",
        local_edge_service_ports={
            "client": client,
            "gallery": gallery_port,
            "streaming": int(stack.streaming.rsplit(":", 1)[1]),
        },
        local_edge_service_instances=trust_as_template("{{ videoforge_local.service_instances }}"),
        local_edge_health_checks=checks,
        local_edge_client_root=str(tmp / "client"),
        local_edge_s3_upstream=stack.aws_url.removeprefix("http://"),
    )
    return text, https


def proxied(log: Path, path: str) -> int:
    """Requests for ``path`` an instance answered (its access log's lines)."""
    return log.read_text(errors="replace").count(f'"path": "{path}"')


@pytest.fixture
def edge(stack, tmp_path):
    tmp_path.chmod(0o755)
    ports = gallery_ports(stack, tmp_path)
    assert len(ports) == 2, "the model's desired_count of 2 runs two gallery instances"
    instances = [launch_service("gallery.app:app", stack.env, tmp_path, port) for port in ports]
    for instance in instances:  # up before the edge's first checks, as ECS registers running tasks
        wait_healthy(instance)
    text, https = caddyfile(stack, tmp_path, ports[0])
    for port in ports:
        assert f"127.0.0.1:{port}" in text
    (tmp_path / "Caddyfile").write_text(text)
    data = tmp_path / "caddy"
    env = {**os.environ, "XDG_DATA_HOME": str(data), "XDG_CONFIG_HOME": str(data), "HOME": str(data)}
    caddy = subprocess.Popen(
        [str(BIN / "caddy"), "run", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
        env=env,
        stdout=(tmp_path / "caddy.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    # Caddy's local CA is not in the system store.
    client = httpx.Client(base_url=f"https://127.0.0.1:{https}", verify=False, timeout=2)  # noqa: S501
    try:
        services.wait_for(lambda: client.get("/api/gallery/health").status_code == 200, 60, "the edge")
        yield client, instances
    finally:
        for instance in instances:
            signal_instance(instance, signal.SIGCONT)
        client.close()
        services.stop(caddy)
        stop_all(*instances)


def signal_instance(instance, signum: int) -> None:
    """Signal an instance's hypercorn and the worker it serves from (a child process)."""
    pid = instance.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for target in [pid, *map(int, children)]:
        os.kill(target, signum)


def answered_in_a_row(client: httpx.Client, path: str, count: int, timeout: float) -> bool:
    """Whether ``count`` requests in a row through the edge answer 200 within ``timeout`` s."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < count and time.monotonic() < deadline:
        try:
            streak = streak + 1 if client.get(path).status_code == 200 else 0
        except httpx.TimeoutException:
            streak = 0  # sent to the hung instance before the edge took it out
    return streak >= count


def test_the_edge_routes_around_an_instance_that_fails_its_health_check(edge):
    client, (first, second) = edge
    for _ in range(6):
        assert client.get("/api/gallery/health").status_code == 200
    # Round robin over both targets, as the ALB spreads them.
    assert proxied(first.log, "/api/gallery/health") and proxied(second.log, "/api/gallery/health")

    signal_instance(second, signal.SIGSTOP)  # it hangs: its checks time out
    assert answered_in_a_row(client, "/api/gallery/health", 10, timeout=60), "the edge kept the hung instance"

    signal_instance(second, signal.SIGCONT)  # healthy again: back after healthy_threshold passes
    back = services.wait_for(
        lambda: (
            client.get("/api/gallery/health/ready").status_code == 200
            and proxied(second.log, "/api/gallery/health/ready") > 0
        ),
        60,
        "the recovered instance back in rotation",
    )
    assert back is None
