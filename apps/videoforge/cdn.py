"""CloudFront signed cookies: how a viewer's player is let into one video's HLS on the CDN.

The CDN serves ``/hls/*`` only to requests that carry a policy signed by a key of the
distribution's trusted key group. After its access check, the streaming service hands the
viewer three cookies: a custom policy for ``<site>/hls/<video id>/*`` that ends with the
viewer's grant, its RSA-SHA1 signature (PKCS#1 v1.5, as CloudFront verifies) and the key
pair id. Media playlists and segments then come straight from the CDN as the processor
stored them. CloudFront's base64 is URL-safe its own way: ``+`` ``=`` ``/`` become
``-`` ``_`` ``~``. tests/unit/test_cdn_signing.py holds this to botocore's CloudFrontSigner.

The private key is an SSM SecureString (CDN_SIGNING_KEY_PARAMETER) that only the streaming
task role may read; it is read once, on first use, and never logged or returned.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

COOKIE_NAMES = ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id")
_TO_CLOUDFRONT_B64 = bytes.maketrans(b"+=/", b"-_~")


def cloudfront_b64(data: bytes) -> str:
    return base64.b64encode(data).translate(_TO_CLOUDFRONT_B64).decode("ascii")


def custom_policy(resource: str, date_less_than: int) -> bytes:
    """A custom policy: ``resource`` (CloudFront wildcards) until ``date_less_than`` (epoch s)."""
    statement = {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": int(date_less_than)}}}
    return json.dumps({"Statement": [statement]}, separators=(",", ":")).encode()


class CookieSigner:
    """Signs policies with the key pair ``key_pair_id``; ``private_key_pem`` returns the PEM of
    its private half (read when first needed)."""

    def __init__(self, key_pair_id: str, private_key_pem: Callable[[], str]) -> None:
        self.key_pair_id = key_pair_id
        self._pem = private_key_pem
        self._key: rsa.RSAPrivateKey | None = None
        self._lock = threading.Lock()

    def _private_key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                key = serialization.load_pem_private_key(self._pem().encode(), password=None)
                if not isinstance(key, rsa.RSAPrivateKey):
                    raise ValueError("the CloudFront signing key is not an RSA key")
                self._key = key
            return self._key

    def sign(self, policy: bytes) -> str:
        signature = self._private_key().sign(policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
        return cloudfront_b64(signature)

    def cookies(self, resource: str, date_less_than: int) -> dict[str, str]:
        """The three cookie values that let a viewer fetch ``resource`` until ``date_less_than``."""
        policy = custom_policy(resource, date_less_than)
        return dict(
            zip(COOKIE_NAMES, (cloudfront_b64(policy), self.sign(policy), self.key_pair_id), strict=True)
        )


def set_cookie_headers(values: dict[str, str], path: str) -> list[str]:
    """``Set-Cookie`` values for the viewer: session cookies (no Expires: the browser forgets
    them when it closes, as CloudFront advises), sent only over HTTPS, to ``path``, never to
    scripts, and not on cross-site subrequests."""
    return [f"{name}={value}; Path={path}; Secure; HttpOnly; SameSite=Lax" for name, value in values.items()]
