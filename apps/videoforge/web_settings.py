"""Settings the web services read beyond videoforge.settings (same env names everywhere).

API_PREFIXES                 service -> where its API lives behind   required: the model's
                             the edge, JSON {"gallery": "/api/...",  videoforge_api_prefixes
                             "streaming": "/api/..."}
UPLOAD_MAX_BYTES             largest accepted upload             10737418240 (10 GiB)
UPLOAD_MULTIPART_THRESHOLD   at or above this, multipart         104857600 (100 MiB)
UPLOAD_PART_SIZE             multipart part size (>= 5 MiB)      16777216 (16 MiB)
UPLOAD_URL_TTL               upload URL lifetime, seconds        3600
UPLOAD_MAX_CONCURRENT_PER_USER       live uploads per user       4
UPLOAD_MAX_BYTES_IN_FLIGHT_PER_USER  their bytes together        21474836480 (20 GiB)
UPLOAD_ALLOWED_TYPES         comma-separated content types       video/mp4,video/quicktime,...
PLAYBACK_URL_TTL             segment/poster URL lifetime, s      21600 (a paused viewer resumes hours later;
                                                                 bounded by the signing credentials' expiry)
PLAYBACK_TOKEN_TTL           playback token lifetime, s          900 (the player renews it when refused)
PLAYLIST_CACHE_SECONDS       rendered complete playlists cached  600 (well inside PLAYBACK_URL_TTL)
PLAYLIST_CACHE_LIVE_SECONDS  rendered growing (EVENT) playlists  2
CDN_SITE_URL                 the site on the CDN (https://...)   unset: no CDN (presigned S3 playback)
CDN_KEY_PAIR_ID              the signer's public key id in the   (with CDN_SITE_URL)
                             distribution's trusted key group
CDN_SIGNING_KEY_PARAMETER    SSM SecureString: its private key   (with CDN_SITE_URL)
CDN_DISTRIBUTION_ID          the distribution to invalidate      unset: nothing to invalidate
COGNITO_AUTO_CONFIRM         admin-confirm new users (no email)  false
ESTIMATE_WORKERS             jobs processed at once (estimate)   1
RATE_LIMITS                  JSON {name: {"requests", "seconds"}} unset: no rate limits (the model's
                             (videoforge.ratelimit)              videoforge_rate_limits)
TRUSTED_PROXY_HOPS           proxies in front that append to     1 (the ALB; 2 behind CloudFront)
                             X-Forwarded-For
PURGE_SETTLE_SECONDS         a deleted video's objects are       120 (a worker processing it has
                             looked for again until this long    noticed and stopped writing)
                             after the delete (gallery.purge)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from videoforge.ratelimit import Rate, parse_limits

DEFAULT_ALLOWED_TYPES = (
    "video/mp4,video/quicktime,video/x-matroska,video/webm,video/x-msvideo,video/mpeg,video/x-m4v"
)
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS = 10_000


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _api_prefixes() -> dict[str, str]:
    raw = os.environ.get("API_PREFIXES")
    if not raw:
        raise RuntimeError(
            "missing required environment variable API_PREFIXES (the model's videoforge_api_prefixes)"
        )
    return json.loads(raw)


@dataclass(frozen=True)
class WebSettings:
    api_prefixes: dict[str, str] = field(default_factory=dict)
    upload_max_bytes: int = 10 * 1024**3
    upload_multipart_threshold: int = 100 * 1024**2
    upload_part_size: int = 16 * 1024**2
    upload_url_ttl: int = 3600
    upload_max_concurrent_per_user: int = 4
    upload_max_bytes_in_flight_per_user: int = 20 * 1024**3
    upload_allowed_types: tuple[str, ...] = tuple(DEFAULT_ALLOWED_TYPES.split(","))
    playback_url_ttl: int = 21600
    playback_token_ttl: int = 900
    playlist_cache_seconds: int = 600
    playlist_cache_live_seconds: int = 2
    cognito_auto_confirm: bool = False
    estimate_workers: int = 1
    cdn_site_url: str = ""
    cdn_key_pair_id: str = ""
    cdn_signing_key_parameter: str = ""
    cdn_distribution_id: str = ""
    rate_limits: dict[str, Rate] = field(default_factory=dict)
    trusted_proxy_hops: int = 1
    purge_settle_seconds: int = 120

    def api_prefix(self, service: str) -> str:
        """Where ``service``'s API lives behind the edge (the listener rules route it there)."""
        try:
            return self.api_prefixes[service]
        except KeyError:
            raise RuntimeError(f"API_PREFIXES names no prefix for {service}") from None

    def __post_init__(self) -> None:
        if self.upload_part_size < MIN_PART_SIZE:
            raise ValueError("UPLOAD_PART_SIZE must be at least 5 MiB (the S3 minimum)")
        if self.upload_multipart_threshold > 5 * 1024**3:
            raise ValueError("UPLOAD_MULTIPART_THRESHOLD must be at most 5 GiB (the S3 single PUT limit)")
        if self.upload_max_bytes_in_flight_per_user < self.upload_max_bytes:
            raise ValueError("UPLOAD_MAX_BYTES_IN_FLIGHT_PER_USER must allow one upload of UPLOAD_MAX_BYTES")
        if self.upload_max_concurrent_per_user < 1:
            raise ValueError("UPLOAD_MAX_CONCURRENT_PER_USER must be at least 1")
        if self.cdn_site_url and not (self.cdn_key_pair_id and self.cdn_signing_key_parameter):
            raise ValueError(
                "CDN_SITE_URL needs CDN_KEY_PAIR_ID and CDN_SIGNING_KEY_PARAMETER (the cookie signer)"
            )
        if self.playlist_cache_seconds * 4 > self.playback_url_ttl:
            raise ValueError(
                "PLAYLIST_CACHE_SECONDS must be well inside PLAYBACK_URL_TTL (at most a quarter)"
            )

    @classmethod
    def from_env(cls) -> WebSettings:
        types = os.environ.get("UPLOAD_ALLOWED_TYPES") or DEFAULT_ALLOWED_TYPES
        return cls(
            api_prefixes=_api_prefixes(),
            upload_max_bytes=_int("UPLOAD_MAX_BYTES", cls.upload_max_bytes),
            upload_multipart_threshold=_int("UPLOAD_MULTIPART_THRESHOLD", cls.upload_multipart_threshold),
            upload_part_size=_int("UPLOAD_PART_SIZE", cls.upload_part_size),
            upload_url_ttl=_int("UPLOAD_URL_TTL", cls.upload_url_ttl),
            upload_max_concurrent_per_user=_int(
                "UPLOAD_MAX_CONCURRENT_PER_USER", cls.upload_max_concurrent_per_user
            ),
            upload_max_bytes_in_flight_per_user=_int(
                "UPLOAD_MAX_BYTES_IN_FLIGHT_PER_USER", cls.upload_max_bytes_in_flight_per_user
            ),
            upload_allowed_types=tuple(t.strip().lower() for t in types.split(",") if t.strip()),
            playback_url_ttl=_int("PLAYBACK_URL_TTL", cls.playback_url_ttl),
            playback_token_ttl=_int("PLAYBACK_TOKEN_TTL", cls.playback_token_ttl),
            playlist_cache_seconds=_int("PLAYLIST_CACHE_SECONDS", cls.playlist_cache_seconds),
            playlist_cache_live_seconds=_int("PLAYLIST_CACHE_LIVE_SECONDS", cls.playlist_cache_live_seconds),
            cognito_auto_confirm=os.environ.get("COGNITO_AUTO_CONFIRM", "false").lower()
            in ("1", "true", "yes"),
            estimate_workers=max(1, _int("ESTIMATE_WORKERS", cls.estimate_workers)),
            cdn_site_url=os.environ.get("CDN_SITE_URL", "").rstrip("/"),
            cdn_key_pair_id=os.environ.get("CDN_KEY_PAIR_ID", ""),
            cdn_signing_key_parameter=os.environ.get("CDN_SIGNING_KEY_PARAMETER", ""),
            cdn_distribution_id=os.environ.get("CDN_DISTRIBUTION_ID", ""),
            rate_limits=parse_limits(os.environ.get("RATE_LIMITS", "")),
            trusted_proxy_hops=_int("TRUSTED_PROXY_HOPS", cls.trusted_proxy_hops),
            purge_settle_seconds=_int("PURGE_SETTLE_SECONDS", cls.purge_settle_seconds),
        )
