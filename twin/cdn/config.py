"""The CDN twin's configuration: the declared distribution (``videoforge_distribution`` and
``videoforge_cdn``, as the cdn role gives them to the distribution module) with its origins
resolved to local addresses, the trusted key group's public keys and the origin secret read
back from the emulator. roles/local_cdn renders it as JSON; ``load`` reads it.

    {"distribution_id": "E2...", "account_id": "123456789012",
     "listen": {"address": "127.0.0.1", "https_port": 8443, "http_port": 8080, "admin_port": 8446},
     "pki_dir": ".state/cdn/pki", "site_names": ["127.0.0.1", "localhost"],
     "origins": {
       "alb": {"kind": "load_balancer", "url": "https://127.0.0.1:8444", "ca_file": "...",
               "headers": {"X-Origin-Verify": "..."}},
       "media": {"kind": "bucket", "endpoint": "http://127.0.0.1:4566", "bucket": "...",
                 "region": "ap-southeast-2", "access_key_id": "CLOUDFRONT-OAC-E2...",
                 "secret_access_key": "..."}},
     "behaviours": [{"path": "/hls/*", "origin": "media", "signed": true, "cache": "media"}, ...],
     "default": {"origin": "alb", "cache": "site"},
     "cache_policies": {"media": {"min_ttl": 0, "default_ttl": 86400, "max_ttl": 31536000}, ...},
     "error_caching_seconds": 10, "cache_bytes": 268435456,
     "trusted_keys": {"K2JC...": "-----BEGIN PUBLIC KEY-----..."},
     "invalidations": {"endpoint": "http://127.0.0.1:4566", "poll_seconds": 1}}

``cache: disabled`` is AWS's managed CachingDisabled; ``origin_request:
all_viewer_except_host`` is AllViewerExceptHostHeader (every viewer header but Host, every
cookie and query string); ``all_viewer`` (Host too) is the twin-only ``/s3/*`` route. A
behaviour without an origin request policy forwards what its cache key holds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from twin.cdn.cache import CachePolicy

MANAGED_CACHE_POLICIES = {"disabled": CachePolicy(0, 0, 0)}
ORIGIN_REQUEST_POLICIES = ("cache_key", "all_viewer_except_host", "all_viewer")


@dataclass(frozen=True)
class Behaviour:
    path: str
    origin: str
    cache: CachePolicy
    signed: bool = False
    origin_request: str = "cache_key"
    compress: bool = True

    @cached_property
    def pattern(self) -> re.Pattern:
        """CloudFront path patterns: ``*`` any run of characters, ``?`` one; case-sensitive."""
        parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in self.path)
        return re.compile("".join(parts), re.DOTALL)


@dataclass(frozen=True)
class Origin:
    name: str
    kind: str  # "bucket" (through Origin Access Control) or "load_balancer" (custom origin)
    url: str = ""
    ca_file: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""
    bucket: str = ""
    region: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""


@dataclass(frozen=True)
class Config:
    distribution_id: str
    listen_address: str
    https_port: int
    http_port: int
    admin_port: int
    pki_dir: Path
    site_names: tuple[str, ...]
    origins: dict[str, Origin]
    behaviours: tuple[Behaviour, ...]
    default: Behaviour
    error_caching_seconds: int
    cache_bytes: int
    trusted_keys: dict[str, str]
    invalidations_endpoint: str = ""
    invalidations_poll_seconds: float = 1.0
    account_id: str = ""

    def behaviour(self, path: str) -> Behaviour:
        """The first behaviour whose pattern matches ``path``, else the default."""
        for behaviour in self.behaviours:
            if behaviour.pattern.fullmatch(path):
                return behaviour
        return self.default


def _behaviour(
    raw: dict, policies: dict[str, CachePolicy], origins: dict[str, Origin], path: str
) -> Behaviour:
    if raw["origin"] not in origins:
        raise ValueError(f"behaviour {path}: unknown origin {raw['origin']!r}")
    if raw["cache"] not in policies:
        raise ValueError(f"behaviour {path}: unknown cache policy {raw['cache']!r}")
    origin_request = raw.get("origin_request") or "cache_key"
    if origin_request not in ORIGIN_REQUEST_POLICIES:
        raise ValueError(f"behaviour {path}: unknown origin request policy {origin_request!r}")
    return Behaviour(
        path=path,
        origin=raw["origin"],
        cache=policies[raw["cache"]],
        signed=bool(raw.get("signed", False)),
        origin_request=origin_request,
        compress=bool(raw.get("compress", True)),
    )


def parse(raw: dict) -> Config:
    policies = {name: CachePolicy(**values) for name, values in raw["cache_policies"].items()}
    policies.update(MANAGED_CACHE_POLICIES)
    origins = {name: Origin(name=name, **values) for name, values in raw["origins"].items()}
    listen = raw["listen"]
    invalidations = raw.get("invalidations") or {}
    return Config(
        distribution_id=raw["distribution_id"],
        account_id=raw.get("account_id", ""),
        listen_address=listen.get("address", "127.0.0.1"),
        https_port=int(listen["https_port"]),
        http_port=int(listen["http_port"]),
        admin_port=int(listen["admin_port"]),
        pki_dir=Path(raw["pki_dir"]),
        site_names=tuple(raw.get("site_names") or ["127.0.0.1", "localhost"]),
        origins=origins,
        behaviours=tuple(_behaviour(b, policies, origins, b["path"]) for b in raw["behaviours"]),
        default=_behaviour(raw["default"], policies, origins, "*"),
        error_caching_seconds=int(raw.get("error_caching_seconds", 10)),
        cache_bytes=int(raw["cache_bytes"]),
        trusted_keys=dict(raw.get("trusted_keys") or {}),
        invalidations_endpoint=invalidations.get("endpoint", ""),
        invalidations_poll_seconds=float(invalidations.get("poll_seconds", 1.0)),
    )


def load(path: Path) -> Config:
    return parse(json.loads(Path(path).read_text()))
