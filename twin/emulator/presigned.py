"""S3 presigned URLs checked as S3 checks them: expiry and signature, signed headers included.

moto accepts any presigned URL, so an expired link, a tampered one, or a PUT of another
size than the URL was signed for all succeed locally and fail on AWS. For the access keys
the endpoint knows the secrets of (``--credentials``, default the local twin's
``testing:testing``), a SigV4 query-signed request is verified here first:

- past ``X-Amz-Date`` + ``X-Amz-Expires``: 403 AccessDenied, "Request has expired";
- a signature that does not match the request as it arrived (method, path, query and the
  signed headers: a Content-Length the URL was signed for, a Content-Type ...): 403
  SignatureDoesNotMatch.

Behind the local edge, S3 is under a path prefix the browser signed (``/s3``); the edge
says which in ``X-Forwarded-Prefix``. Requests signed with keys the endpoint does not
know, and header-signed SDK requests, pass as moto takes them.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.digest(key, message.encode("utf-8"), "sha256")


def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), day)
    return _hmac(_hmac(_hmac(key, region), service), "aws4_request")


def canonical_query(raw_query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(raw_query, keep_blank_values=True) if k != "X-Amz-Signature"]
    encoded = [(quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs]
    return "&".join(f"{k}={v}" for k, v in sorted(encoded))


def expected_signature(
    secret: str, method: str, path: str, raw_query: str, headers: Mapping[str, str], params: Mapping[str, str]
) -> str:
    """The signature S3 computes for a query-signed request (``headers`` by lowercase name)."""
    _, day, region, service, _ = params["X-Amz-Credential"].split("/")
    signed = params["X-Amz-SignedHeaders"].split(";")
    canonical_headers = "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed)
    canonical = "\n".join(
        [method, path, canonical_query(raw_query), canonical_headers, ";".join(signed), "UNSIGNED-PAYLOAD"]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = (
        f"{ALGORITHM}\n{params['X-Amz-Date']}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    return hmac.new(signing_key(secret, day, region, service), to_sign.encode(), "sha256").hexdigest()


def parse_credentials(spec: str) -> dict[str, str]:
    """``KEY:SECRET[,KEY:SECRET...]`` as a dict."""
    pairs = [item.split(":", 1) for item in spec.split(",") if ":" in item]
    return {key.strip(): secret.strip() for key, secret in pairs}


class PresignedUrls:
    """WSGI middleware: refuses an expired or mismatched presigned S3 request, as S3 does."""

    def __init__(
        self, app: Callable, secrets: Mapping[str, str], clock: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self.secrets = dict(secrets)
        self.clock = clock

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        raw_query = environ.get("QUERY_STRING", "")
        if "X-Amz-Signature=" not in raw_query:
            return self.app(environ, start_response)
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        refusal = self.refusal(environ, raw_query, params)
        if refusal is None:
            return self.app(environ, start_response)
        code, message = refusal
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            "<RequestId>videoforge-presigned</RequestId></Error>"
        ).encode()
        start_response(
            "403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def refusal(self, environ: dict, raw_query: str, params: Mapping[str, str]) -> tuple[str, str] | None:
        try:
            access_key, _, _, service, _ = params["X-Amz-Credential"].split("/")
            issued = calendar.timegm(time.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
            expires = int(params["X-Amz-Expires"])
        except (KeyError, ValueError):
            return (
                "AuthorizationQueryParametersError",
                "Query-string authentication requires X-Amz-Credential, X-Amz-Date and X-Amz-Expires.",
            )
        secret = self.secrets.get(access_key)
        if secret is None or service != "s3":
            return None  # a key we cannot check: moto takes it as it is
        if self.clock() > issued + expires:
            return "AccessDenied", "Request has expired"
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
            if environ.get(key):
                headers[name] = environ[key]
        raw_path = urlsplit(environ.get("RAW_URI") or environ.get("PATH_INFO", "/")).path
        path = environ.get("HTTP_X_FORWARDED_PREFIX", "").rstrip("/") + raw_path
        want = expected_signature(secret, environ["REQUEST_METHOD"], path, raw_query, headers, params)
        if not hmac.compare_digest(want, params.get("X-Amz-Signature", "")):
            return (
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
            )
        return None
