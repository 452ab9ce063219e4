"""Cognito access-token verification.

RS256 signature against the user pool's JWKS (fetched from COGNITO_JWKS_URL, cached, and
re-fetched once when a token names a key id we do not know: Cognito rotates keys), then
exp (with LEEWAY_SECONDS for clocks that disagree a little), iss
(https://cognito-idp.<region>.amazonaws.com/<pool_id>), token_use=access and client_id.
The JWKS URL is configuration because the local emulator serves it at its own address
while its tokens carry the real AWS issuer.

A failed JWKS fetch is not retried on every request: the verifier backs off (videoforge.backoff:
from about 2 s, doubling, at most 60 s) and answers KeysUnavailable (503) at once while it does.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import jwt
from quart import current_app, g, request
from quart_schema import security_scheme

from videoforge.backoff import Backoff
from videoforge.errors import ApiError, unauthorized

log = logging.getLogger("videoforge.auth")

# An unknown kid triggers at most one JWKS fetch per this many seconds: forged kids cannot
# make us hammer Cognito.
MIN_REFRESH_INTERVAL = 30.0
# After a failed fetch, no fetch for about this long (doubling per failure up to the maximum).
FETCH_BACKOFF_FIRST = 2.0
FETCH_BACKOFF_MAX = 60.0
# Clock skew tolerated on exp/iat/nbf between Cognito and this host.
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class User:
    sub: str
    username: str


class InvalidToken(Exception):
    pass


class KeysUnavailable(Exception):
    """The JWKS could not be fetched: our problem (503), not the caller's token (401)."""


async def fetch_jwks(url: str) -> dict:
    async with httpx.AsyncClient(timeout=5.0) as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.json()


class TokenVerifier:
    def __init__(
        self,
        jwks_url: str,
        region: str,
        user_pool_id: str,
        client_id: str,
        fetch: Callable[[str], Awaitable[dict]] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.jwks_url = jwks_url
        self._fetch = fetch or fetch_jwks
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        self.client_id = client_id
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._backoff = backoff or Backoff(FETCH_BACKOFF_FIRST, FETCH_BACKOFF_MAX)
        self._retry_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        try:
            data = await self._fetch(self.jwks_url)
            keys = {}
            for entry in data.get("keys", []):
                if entry.get("kty") == "RSA" and entry.get("kid"):
                    keys[entry["kid"]] = jwt.PyJWK(entry, algorithm="RS256")
        except Exception as exc:  # network, HTTP status, JSON, key format: no keys
            backoff = self._backoff.next_delay()
            self._retry_at = time.monotonic() + backoff
            log.error("cannot fetch JWKS from %s (next try in %.0f s): %s", self.jwks_url, backoff, exc)
            raise KeysUnavailable(str(exc)) from exc
        self._keys = keys
        self._fetched_at = time.monotonic()
        self._backoff.reset()
        log.info("fetched JWKS", extra={"kids": sorted(keys)})

    def _backing_off(self) -> bool:
        return time.monotonic() < self._retry_at

    async def key_for(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is not None:
            return key
        if self._backing_off():
            raise KeysUnavailable("backing off after a failed JWKS fetch")
        async with self._lock:
            key = self._keys.get(kid)
            if key is None and self._backing_off():  # the fetch we waited for failed
                raise KeysUnavailable("backing off after a failed JWKS fetch")
            if key is None and (not self._keys or time.monotonic() - self._fetched_at > MIN_REFRESH_INTERVAL):
                await self._refresh()
                key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        return key

    async def verify(self, token: str) -> User:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise InvalidToken("unexpected token algorithm")
        key = await self.key_for(header["kid"])
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "sub", "token_use", "client_id"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if claims.get("token_use") != "access":
            raise InvalidToken("not an access token")
        if claims.get("client_id") != self.client_id:
            raise InvalidToken("token issued to another client")
        return User(sub=str(claims["sub"]), username=str(claims.get("username", claims["sub"])))


def _token_from_request() -> str | None:
    # Only ever a header: an access token in a URL ends up in logs, histories and shared links.
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise unauthorized("expected 'Authorization: Bearer <access token>'")
        return value.strip()
    return None


async def current_user(required: bool = True) -> User | None:
    """The caller, from the bearer token. A token that is present but invalid is always a 401."""
    token = _token_from_request()
    if token is None:
        if required:
            raise unauthorized()
        return None
    verifier: TokenVerifier = current_app.extensions["token_verifier"]
    try:
        user = await verifier.verify(token)
    except InvalidToken as exc:
        log.info("rejected token: %s", exc)
        raise unauthorized("the access token is not valid") from None
    except KeysUnavailable:
        raise ApiError(503, "auth_unavailable", "cannot verify tokens right now; retry") from None
    g.token = token
    return user


def require_user(func):
    """Route decorator: a valid access token is required; the user is in ``g.user``."""

    @functools.wraps(func)
    async def wrapper(*args, **kwargs):
        g.user = await current_user(required=True)
        return await func(*args, **kwargs)

    return security_scheme([{"bearerAuth": []}])(wrapper)


BEARER_SCHEME = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearer_format": "JWT"}}
