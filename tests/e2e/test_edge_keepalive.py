"""The edge (Caddy, as the ALB) closes an idle connection to a service before the service does.

When the service closed first (hypercorn's own 5 s keep-alive against Caddy's 2 min), a
request the edge sent on a connection at the moment the service closed it came back 502 with an
empty body: 3 POSTs in 40, each after 5 s of idle (seen in a CI trial's schemathesis run too).
AWS asks the same of ALB targets: a keep-alive longer than the balancer's idle timeout."""

from __future__ import annotations

import re
import socket
import time

IDLE_PAST_THE_OLD_KEEP_ALIVE = 6.0  # hypercorn's default keep-alive is 5 s


def health_on(sock: socket.socket, port: int) -> bytes:
    sock.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data  # closed by the service
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_the_services_outlast_the_edges_idle_timeout(stack):
    conf = stack.state_dir / "supervisor" / "conf.d"
    caddyfile = (stack.state_dir / "caddy" / "Caddyfile").read_text()
    edge_idle = {int(s) for s in re.findall(r"keepalive (\d+)s", caddyfile)}
    assert edge_idle, "the edge sets no idle timeout for its upstream connections"
    for service in ("gallery", "streaming"):
        keep_alive = int(re.search(r"--keep-alive (\d+)", (conf / f"{service}.conf").read_text()).group(1))
        assert max(edge_idle) < keep_alive, f"{service} closes idle connections before the edge does"


def test_a_service_keeps_an_idle_connection_past_hypercorns_default(stack):
    for service in ("gallery", "streaming"):
        port = stack.ports[service]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            assert health_on(sock, port).startswith(b"HTTP/1.1 200")
            time.sleep(IDLE_PAST_THE_OLD_KEEP_ALIVE)
            again = health_on(sock, port)
            assert again.startswith(b"HTTP/1.1 200"), f"{service} closed the idle connection: {again!r}"
