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
     "behaviours": [{"path": "/hls/*", "origin": "media", "signed": true, "cache": "media"},
                    {"path": "/api/*", "origin": "alb", "cache": "CachingDisabled",
                     "origin_request": "AllViewerExceptHostHeader", "methods": ["GET", ...]}],
     "default": {"origin": "alb", "cache": "site"},
     "cache_policies": {"media": {"min_ttl": 0, "default_ttl": 86400, "max_ttl": 31536000}, ...},
     "error_caching_seconds": 10, "error_codes": [403, 404, 500, 502, 503, 504],
     "cache_bytes": 268435456,
     "key_group_id": "...", "trusted_keys": {"K2JC...": "-----BEGIN PUBLIC KEY-----..."},
     "control_endpoint": "http://127.0.0.1:4566", "poll_seconds": 1}

As in the model, ``cache`` names one of ``cache_policies`` or an AWS managed cache policy
(CachingDisabled, CachingOptimized), ``origin_request`` an AWS managed origin request policy:
AllViewerExceptHostHeader (every viewer header but Host, every cookie and query string) or
AllViewer (Host too: the twin-only ``/s3/*``); without one, what the cache key holds goes to
the origin. ``methods`` defaults to GET and HEAD. The trusted keys are ``key_group_id``'s,
read from ``control_endpoint`` (CloudFront's API) and kept up to date; ``trusted_keys`` adds
fixed ones (tests).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from twin.cdn.cache import CachePolicy

# AWS's managed policies by name (Use managed cache policies, CloudFront developer guide).
MANAGED_CACHE_POLICIES = {
    "CachingDisabled": CachePolicy(0, 0, 0),
    "CachingOptimized": CachePolicy(1, 86400, 31536000),
}
ORIGIN_REQUEST_POLICIES = ("", "AllViewerExceptHostHeader", "AllViewer")
DEFAULT_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class Behaviour:
    path: str
    origin: str
    cache: CachePolicy
    signed: bool = False
    origin_request: str = ""  # "": what the cache key holds
    compress: bool = True
    methods: tuple[str, ...] = DEFAULT_METHODS

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
    error_codes: frozenset[int]
    cache_bytes: int
    trusted_keys: dict[str, str]
    key_group_id: str = ""
    control_endpoint: str = ""
    poll_seconds: float = 1.0
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
    origin_request = raw.get("origin_request") or ""
    if origin_request not in ORIGIN_REQUEST_POLICIES:
        raise ValueError(f"behaviour {path}: unknown origin request policy {origin_request!r}")
    return Behaviour(
        path=path,
        origin=raw["origin"],
        cache=policies[raw["cache"]],
        signed=bool(raw.get("signed", False)),
        origin_request=origin_request,
        compress=bool(raw.get("compress", True)),
        methods=tuple(m.upper() for m in raw.get("methods") or DEFAULT_METHODS),
    )


def parse(raw: dict) -> Config:
    policies = {name: CachePolicy(**values) for name, values in raw["cache_policies"].items()}
    policies.update(MANAGED_CACHE_POLICIES)
    origins = {name: Origin(name=name, **values) for name, values in raw["origins"].items()}
    listen = raw["listen"]
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
        error_codes=frozenset(int(c) for c in raw.get("error_codes") or ()),
        cache_bytes=int(raw["cache_bytes"]),
        trusted_keys=dict(raw.get("trusted_keys") or {}),
        key_group_id=raw.get("key_group_id", ""),
        control_endpoint=raw.get("control_endpoint", ""),
        poll_seconds=float(raw.get("poll_seconds", 1.0)),
    )


def load(path: Path) -> Config:
    return parse(json.loads(Path(path).read_text()))
