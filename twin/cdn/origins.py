"""The distribution's origins, reached as CloudFront reaches them.

- A bucket through Origin Access Control: every GET signed with SigV4 as the distribution
  (the access key the emulator reserves for it, ``CLOUDFRONT-OAC-<distribution id>``), so the
  bucket policy decides what the CDN may read; no viewer header reaches S3.
- The load balancer (a custom origin, HTTPS, its certificate verified): the origin request
  policy decides what of the viewer's request goes along; CloudFront adds ``Via``,
  ``X-Forwarded-For``, ``X-Amz-Cf-Id`` and the origin's custom headers (the secret the
  load balancer's rules require), and sets ``Host`` to the origin's own unless the policy
  forwards the viewer's.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlsplit

import httpx
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from twin.cdn.config import Behaviour, Origin
from twin.cdn.http1 import Request

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "transfer-encoding", "upgrade", "proxy-connection"}
)  # fmt: skip
# CloudFront's origin response timeout can be set up to 60 s; keep-alive to the origin 5 s.
TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=60.0)
LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=16, keepalive_expiry=5.0)


@dataclass
class Fetched:
    """An origin's answer: headers as (name, value) pairs in its order and spelling, and either
    the whole body or the open response to stream it from."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes | None = None
    stream: httpx.Response | None = None

    def header(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.headers if k.lower() == name), default)

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.body is not None:
            yield self.body
            return
        try:
            async for chunk in self.stream.aiter_raw():
                yield chunk
        finally:
            await self.stream.aclose()


def new_client(verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """A client that adds nothing of its own (requests are built whole, see ``_request``) and
    keeps no cookies: a proxy must never send one viewer's cookie with another's request."""
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(verify=verify, timeout=TIMEOUT, limits=LIMITS, cookies=jar)


async def fetch(client: httpx.AsyncClient, request: httpx.Request, stream: bool) -> Fetched:
    """Send ``request`` as built (``send`` adds no client default header) and take the answer
    raw: the body as the origin encoded it, whole or to stream."""
    response = await client.send(request, stream=True)
    fetched = Fetched(response.status_code, _pairs(response), stream=response)
    if not stream:
        try:
            fetched.body = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        fetched.stream = None
    return fetched


def _pairs(response: httpx.Response) -> list[tuple[str, str]]:
    return [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, v in response.headers.raw
        if k.decode("latin-1").lower() not in HOP_BY_HOP
    ]


class BucketOrigin:
    """S3 read as the distribution (SigV4, Origin Access Control)."""

    def __init__(self, origin: Origin) -> None:
        self.name = origin.name
        self._base = f"{origin.endpoint.rstrip('/')}/{origin.bucket}"
        self._auth = S3SigV4Auth(
            Credentials(origin.access_key_id, origin.secret_access_key), "s3", origin.region
        )
        self._client = new_client()

    def _signed_headers(self, url: str, extra: dict[str, str]) -> dict[str, str]:
        request = AWSRequest(method="GET", url=url, headers=dict(extra))
        self._auth.add_auth(request)
        return dict(request.headers.items())

    async def get(self, path: str, conditional: dict[str, str], request_id: str) -> Fetched:
        """The object at ``path`` (the viewer's path is the key: no origin path), whole."""
        url = self._base + path
        headers = self._signed_headers(url, conditional)
        return await fetch(self._client, httpx.Request("GET", url, headers=headers), stream=False)

    async def aclose(self) -> None:
        await self._client.aclose()


class CustomOrigin:
    """An HTTPS origin (the load balancer), its certificate verified against ``ca_file``."""

    def __init__(self, origin: Origin) -> None:
        self.name = origin.name
        self._base = origin.url.rstrip("/")
        self._host = urlsplit(origin.url).netloc
        self._ca_file = origin.ca_file
        self._custom_headers = dict(origin.headers)
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Made on first use: the load balancer's CA may be issued after the twin starts.
        if self._client is None:
            verify: ssl.SSLContext | bool = True
            if self._ca_file:
                verify = ssl.create_default_context(cafile=self._ca_file)
            self._client = new_client(verify)
        return self._client

    def headers_for(
        self, request: Request, behaviour: Behaviour, request_id: str, conditional: dict[str, str]
    ) -> list[tuple[str, str]]:
        """What reaches the origin of the viewer's headers, and what CloudFront adds (its own
        conditional headers when it revalidates a stale object)."""
        policy = behaviour.origin_request
        if not policy:
            forwarded = [(k, v) for k, v in request.headers if k == "accept-encoding"]
        else:
            keep_host = policy == "AllViewer"
            forwarded = [
                (k, v)
                for k, v in request.headers
                if k not in HOP_BY_HOP and k != "x-forwarded-for" and (keep_host or k != "host")
            ]
        if policy != "AllViewer":
            forwarded.append(("host", self._host))
        prior = request.header("x-forwarded-for")
        forwarded += [
            ("x-forwarded-for", f"{prior}, {request.viewer_ip}" if prior else request.viewer_ip),
            ("via", VIA),
            ("x-amz-cf-id", request_id),
        ]
        if not policy:
            forwarded.append(("user-agent", "Amazon CloudFront"))
        if conditional:
            forwarded = [(k, v) for k, v in forwarded if k not in ("if-none-match", "if-modified-since")]
            forwarded += [(k.lower(), v) for k, v in conditional.items()]
        forwarded += list(self._custom_headers.items())
        return forwarded

    def _target(self, request: Request, behaviour: Behaviour) -> str:
        # Without an origin request policy the query string goes only if the cache key holds it.
        return request.target if behaviour.origin_request else request.path

    async def send(
        self,
        request: Request,
        behaviour: Behaviour,
        request_id: str,
        stream: bool,
        conditional: dict | None = None,
    ) -> Fetched:
        """The viewer's request, as the policy forwards it; the answer whole or streaming."""
        outgoing = httpx.Request(
            request.method,
            self._base + self._target(request, behaviour),
            headers=self.headers_for(request, behaviour, request_id, conditional or {}),
            content=request.body,
        )
        return await fetch(self._http(), outgoing, stream)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


VIA = "1.1 videoforge-twin.cloudfront.net (CloudFront)"
