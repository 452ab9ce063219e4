"""Fast S3 presigned URLs (SigV4 query signing), byte-identical to botocore's.

A 2-hour video has about 1,800 segments per rendition; botocore spends 0.3-0.5 ms on each
``generate_presigned_url`` (it builds a whole request, runs the event system, resolves the
endpoint). We do only the signing: the base URL (scheme, host, addressing style) is taken
once from botocore itself, the signing key is derived once per day/region/secret, and the
fixed parts of the canonical request and of the query string are built once per batch.
tests/unit/test_presign.py compares our URLs with botocore's byte for byte.

Credentials come from botocore's chain; refreshable ones (ECS task role) are re-read on
every batch, so a rotated key is picked up without a restart. A URL cannot outlive the
credentials that signed it (S3 then answers 400 ExpiredToken), so a batch's expiry is
bounded by their expiry: ``Batch.expires`` is what a URL really gets.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from botocore.credentials import ReadOnlyCredentials

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_PROBE_KEY = "vf-probe"
MAX_EXPIRES = 604_800  # SigV4's limit: 7 days
# A URL's life ends this long before its credentials' (clock skew, the request in flight).
CREDENTIALS_MARGIN = 60
_SAFE_QUERY = "-_.~"


def _q(value: str) -> str:
    return quote(value, safe=_SAFE_QUERY)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.digest(key, msg.encode("utf-8"), "sha256")


@dataclass(frozen=True)
class _Endpoint:
    prefix: str  # "http://127.0.0.1:4566/bucket/" (path style) or "https://bucket.s3.amazonaws.com/"
    path_prefix: str  # "/bucket/" or "/"
    host: str


def endpoint_of(s3_client, bucket: str) -> _Endpoint:
    """Ask botocore once where ``bucket``'s objects live (host and addressing style)."""
    url = s3_client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": _PROBE_KEY})
    base = url.split("?", 1)[0]
    if not base.endswith("/" + _PROBE_KEY):
        raise RuntimeError(f"unexpected presigned URL shape: {base}")
    prefix = base[: -len(_PROBE_KEY)]
    parts = urlsplit(prefix)
    return _Endpoint(prefix=prefix, path_prefix=parts.path, host=parts.netloc)


class Batch:
    """Presigns many keys with one timestamp, one credential set and one expiry."""

    __slots__ = (
        "_auth_params",
        "_canonical_query",
        "_cr_tail",
        "_endpoint",
        "_key",
        "_query_tail",
        "_sts_head",
        "expires",
    )

    def __init__(
        self,
        endpoint: _Endpoint,
        creds: ReadOnlyCredentials,
        signing_key: bytes,
        region: str,
        amz_date: str,
        expires: int,
    ) -> None:
        scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
        params = [
            ("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", f"{creds.access_key}/{scope}"),
            ("X-Amz-Date", amz_date),
            ("X-Amz-Expires", str(expires)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if creds.token:
            params.append(("X-Amz-Security-Token", creds.token))
        self.expires = expires
        self._endpoint = endpoint
        self._key = signing_key
        self._auth_params = [(_q(k), _q(v)) for k, v in params]
        # The query of a plain GET is the same for every key: build it once, in URL order
        # (botocore's) and in canonical (sorted) order.
        self._query_tail = "&".join(f"{k}={v}" for k, v in self._auth_params)
        self._canonical_query = "&".join(f"{k}={v}" for k, v in sorted(self._auth_params))
        self._cr_tail = f"\nhost:{endpoint.host}\n\nhost\n{UNSIGNED_PAYLOAD}"
        self._sts_head = f"{ALGORITHM}\n{amz_date}\n{scope}\n"

    def get(self, key: str) -> str:
        """A presigned GET URL for ``key``."""
        path = quote(key, safe="/~")
        canonical = f"GET\n{self._endpoint.path_prefix}{path}\n{self._canonical_query}{self._cr_tail}"
        sts = self._sts_head + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        signature = hmac.digest(self._key, sts.encode("utf-8"), "sha256").hex()
        return f"{self._endpoint.prefix}{path}?{self._query_tail}&X-Amz-Signature={signature}"

    def url(
        self,
        key: str,
        method: str = "GET",
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str | int] | None = None,
    ) -> str:
        """A presigned URL with extra query parameters (e.g. upload_part's uploadId, partNumber)
        and request headers the signature covers (e.g. Content-Length: a PUT of any other size
        is refused by S3). The client must send exactly these headers."""
        if not params and not headers and method == "GET":
            return self.get(key)
        extra = [(_q(k), _q(str(v))) for k, v in (params or {}).items()]
        auth_params, cr_tail = self._auth_params, self._cr_tail
        if headers:
            auth_params, cr_tail = self._signing_headers(headers)
        path = quote(key, safe="/~")
        canonical_query = "&".join(f"{k}={v}" for k, v in sorted(extra + auth_params))
        canonical = f"{method}\n{self._endpoint.path_prefix}{path}\n{canonical_query}{cr_tail}"
        sts = self._sts_head + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        signature = hmac.digest(self._key, sts.encode("utf-8"), "sha256").hex()
        query = "&".join(f"{k}={v}" for k, v in extra + auth_params)
        return f"{self._endpoint.prefix}{path}?{query}&X-Amz-Signature={signature}"

    def _signing_headers(self, headers: Mapping[str, str | int]) -> tuple[list[tuple[str, str]], str]:
        """The auth query parameters and canonical-request tail when ``headers`` are signed too."""
        signed = {"host": self._endpoint.host}
        signed.update({name.lower(): " ".join(str(value).split()) for name, value in headers.items()})
        names = sorted(signed)
        signed_headers = ";".join(names)
        auth_params = [
            (k, _q(signed_headers) if k == "X-Amz-SignedHeaders" else v) for k, v in self._auth_params
        ]
        canonical_headers = "".join(f"{name}:{signed[name]}\n" for name in names)
        return auth_params, f"\n{canonical_headers}\n{signed_headers}\n{UNSIGNED_PAYLOAD}"


def _life_left(creds: object, now: int) -> int:
    """Seconds a URL signed now with ``creds`` can work: temporary credentials (an ECS task
    role's, STS) expire; static keys do not. Read after get_frozen_credentials, which
    refreshes credentials close to their expiry first."""
    expiry = getattr(creds, "_expiry_time", None)  # botocore's RefreshableCredentials
    if expiry is None:
        return MAX_EXPIRES
    return int(expiry.timestamp()) - now - CREDENTIALS_MARGIN


class Presigner:
    """SigV4 query presigner for one bucket.

    ``s3_client`` is a botocore S3 client configured as the URLs should be (signature
    version s3v4, the public endpoint, path style where an endpoint is set); it is used
    once, to learn the base URL. ``credentials`` returns botocore credentials (the
    session's ``get_credentials``): called per batch, so refreshed credentials are used.
    """

    def __init__(self, s3_client, bucket: str, region: str, credentials: Callable[[], object]) -> None:
        self._endpoint = endpoint_of(s3_client, bucket)
        self._region = region
        self._credentials = credentials
        self._lock = threading.Lock()
        self._signing_keys: dict[tuple[str, str], bytes] = {}
        self._last: tuple[tuple, Batch] | None = None

    def _signing_key(self, secret: str, day: str) -> bytes:
        cache_key = (secret, day)
        key = self._signing_keys.get(cache_key)
        if key is None:
            k = _hmac(f"AWS4{secret}".encode(), day)
            k = _hmac(k, self._region)
            k = _hmac(k, "s3")
            key = _hmac(k, "aws4_request")
            with self._lock:
                if len(self._signing_keys) > 8:  # old days and rotated secrets
                    self._signing_keys.clear()
                self._signing_keys[cache_key] = key
        return key

    def batch(self, expires: int, now: float | None = None) -> Batch:
        creds = self._credentials()
        if creds is None:
            raise RuntimeError("no AWS credentials for presigning")
        frozen = creds.get_frozen_credentials() if hasattr(creds, "get_frozen_credentials") else creds
        second = int(time.time() if now is None else now)
        expires = max(1, min(expires, MAX_EXPIRES, _life_left(creds, second)))
        # Within one second, with the same credentials and expiry, a batch is reusable as is.
        identity = (second, expires, frozen.access_key, frozen.secret_key, frozen.token)
        last = self._last
        if last is not None and last[0] == identity:
            return last[1]
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))
        signing_key = self._signing_key(frozen.secret_key, amz_date[:8])
        batch = Batch(self._endpoint, frozen, signing_key, self._region, amz_date, expires)
        self._last = (identity, batch)
        return batch

    def get(self, key: str, expires: int) -> str:
        return self.batch(expires).get(key)
