"""The CDN twin: the site, as CloudFront serves the declared distribution.

    python -m twin.cdn --config <state>/cdn/config.json

HTTPS on the site port (TLS 1.2 and up, HTTP/1.1), HTTP on the HTTP port answering every
request with a 301 to HTTPS (the behaviours' redirect-to-https), and on a loopback admin
port ``GET /_videoforge/cdn``: the counters (requests, hits, misses, origin fetches by
origin, what the cache holds, evictions, invalidations applied, 403s by reason).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import ssl
from pathlib import Path
from urllib.parse import urlsplit

import uvloop

from twin.cdn import pki, responses
from twin.cdn.config import Config, load
from twin.cdn.control import Control
from twin.cdn.edge import Edge
from twin.cdn.http1 import Request, ViewerConnection, close_idle_connections

log = logging.getLogger("twin.cdn")


def tls_context(config: Config) -> ssl.SSLContext:
    crt, key = pki.ensure(config.pki_dir, config.site_names)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # the viewer policy TLSv1.2_2021's floor
    context.load_cert_chain(crt, key)
    # TLS 1.2 suites of the same policy (TLS 1.3's come from twin/cdn/openssl.cnf).
    context.set_ciphers(
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
    )
    context.set_alpn_protocols(["http/1.1"])
    return context


def redirect_handler(https_port: int):
    """Every plain-HTTP request: 301 to the same URL over HTTPS."""

    def handle(request: Request, conn: ViewerConnection) -> None:
        name = urlsplit("//" + request.header("host")).hostname or "127.0.0.1"
        host = f"[{name}]" if ":" in name else name
        port = "" if https_port == 443 else f":{https_port}"
        location = f"https://{host}{port}{request.target}"
        head = responses.status_line(301) + responses.header_block(
            [("Server", "CloudFront"), ("Location", location), ("Content-Length", "0")]
        )
        conn.write(head + responses.tail("miss", responses.request_id(), None, not request.keep_alive))

    return handle


def stats_handler(edge: Edge):
    def handle(request: Request, conn: ViewerConnection) -> None:
        if request.path != "/_videoforge/cdn" or request.method != "GET":
            conn.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return
        stats = edge.stats
        body = json.dumps(
            {
                "distribution_id": edge.config.distribution_id,
                "requests": stats.requests,
                "hits": stats.hits,
                "refresh_hits": stats.refresh_hits,
                "misses": stats.misses,
                "collapsed": stats.collapsed,
                "forwarded": stats.forwarded,
                "origin_fetches": dict(stats.origin_fetches),
                "refused": dict(stats.refused),
                "cache": {
                    "objects": len(edge.cache),
                    "bytes": edge.cache.bytes,
                    "limit_bytes": edge.cache.limit,
                    "evictions": edge.cache.evictions,
                },
                "trusted_keys": edge.keys.key_ids,
                "invalidations_applied": stats.invalidations_applied,
                "objects_invalidated": stats.objects_invalidated,
            }
        ).encode()
        conn.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )

    return handle


def invalidator(edge: Edge):
    def apply(paths: list[str]) -> int:
        removed = sum(edge.cache.invalidate(path) for path in paths)
        edge.stats.invalidations_applied += 1
        edge.stats.objects_invalidated += removed
        return removed

    return apply


def truster(edge: Edge):
    """The key group's keys, with any the configuration names itself."""

    def trust(keys: dict[str, str]) -> None:
        edge.keys.trust({**edge.config.trusted_keys, **keys})

    return trust


async def follow_the_api(config: Config, edge: Edge) -> asyncio.Task | None:
    """Learn the trusted keys before the first viewer comes, then keep polling the API."""
    if not config.control_endpoint:
        return None
    control = Control(config.control_endpoint, config.distribution_id, config.key_group_id)
    if config.key_group_id:
        try:
            truster(edge)(await asyncio.to_thread(control.trusted_keys))
        except Exception as exc:  # the endpoint not up yet: the poll will find them
            log.warning("reading the key group failed: %s", exc)
    return asyncio.ensure_future(control.run(config.poll_seconds, invalidator(edge), truster(edge)))


async def serve(config: Config) -> None:
    loop = asyncio.get_running_loop()
    edge = Edge(config)
    address = config.listen_address
    follower = await follow_the_api(config, edge)
    servers = [
        await loop.create_server(
            lambda: ViewerConnection(edge.handle),
            address,
            config.https_port,
            ssl=tls_context(config),
            backlog=1024,
        ),
        await loop.create_server(
            lambda: ViewerConnection(redirect_handler(config.https_port)), address, config.http_port
        ),
        await loop.create_server(lambda: ViewerConnection(stats_handler(edge)), address, config.admin_port),
    ]
    tasks = [asyncio.ensure_future(close_idle_connections())]
    if follower is not None:
        tasks.append(follower)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info(
        "serving https://%s:%d (http %d -> https, admin %d)",
        address,
        config.https_port,
        config.http_port,
        config.admin_port,
    )
    print(json.dumps({"event": "listening", "https_port": config.https_port}), flush=True)
    await stop.wait()
    for server in servers:
        server.close()
    for task in tasks:
        task.cancel()
    await edge.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin.cdn", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per origin request is noise
    config = load(args.config)
    uvloop.run(serve(config))
    return 0
