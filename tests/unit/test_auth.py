"""Access-token verification rules, with our own RSA keys and an in-memory JWKS source."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from videoforge import auth
from videoforge.auth import InvalidToken, KeysUnavailable, TokenVerifier
from videoforge.backoff import Backoff

REGION = "ap-southeast-2"
POOL = "ap-southeast-2_TestPool"
CLIENT = "client-123"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY_A, KEY_B, ROGUE = new_key(), new_key(), new_key()


def jwk(key, kid):
    data = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {**data, "kid": kid, "alg": "RS256", "use": "sig"}


def token(key=KEY_A, kid="a", **overrides):
    now = int(time.time())
    claims = {
        "sub": "user-1",
        "username": "user-1",
        "iss": ISSUER,
        "client_id": CLIENT,
        "token_use": "access",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


class Source:
    """The pool's JWKS endpoint, counted."""

    def __init__(self, *keys):
        self.keys = list(keys)
        self.calls = 0
        self.fail = False

    async def __call__(self, url):
        self.calls += 1
        if self.fail:
            raise OSError("connection refused")
        return {"keys": self.keys}


def verifier(source):
    # The longest delay the back-off may draw, every time: the pauses below are known.
    longest = Backoff(auth.FETCH_BACKOFF_FIRST, auth.FETCH_BACKOFF_MAX, jitter=lambda: 1.0)
    return TokenVerifier(
        "https://example.test/jwks.json", REGION, POOL, CLIENT, fetch=source, backoff=longest
    )


async def test_a_valid_access_token_gives_the_user():
    v = verifier(Source(jwk(KEY_A, "a")))
    user = await v.verify(token())
    assert (user.sub, user.username) == ("user-1", "user-1")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: token(exp=int(time.time()) - 120), id="expired"),
        pytest.param(lambda: token(nbf=int(time.time()) + 600), id="not-yet-valid"),
        pytest.param(lambda: token(iss=f"https://cognito-idp.{REGION}.amazonaws.com/other"), id="other-pool"),
        pytest.param(lambda: token(client_id="another-client"), id="other-client"),
        pytest.param(lambda: token(token_use="id"), id="id-token"),
        pytest.param(lambda: token(exp=None), id="no-exp"),
        pytest.param(lambda: token(client_id=None), id="no-client-id"),
        pytest.param(lambda: token(key=ROGUE), id="bad-signature"),
        pytest.param(lambda: token()[:-4] + "AAAA", id="tampered-signature"),
        pytest.param(
            lambda: jwt.encode({"sub": "x"}, "s" * 48, algorithm="HS256", headers={"kid": "a"}), id="hs256"
        ),
        pytest.param(lambda: "not.a.jwt", id="garbage"),
        pytest.param(lambda: jwt.encode({"sub": "x"}, None, algorithm="none"), id="alg-none"),
    ],
)
async def test_bad_tokens_are_rejected(bad):
    v = verifier(Source(jwk(KEY_A, "a")))
    with pytest.raises(InvalidToken):
        await v.verify(bad())


async def test_keys_are_cached_and_refetched_once_for_an_unknown_kid():
    source = Source(jwk(KEY_A, "a"))
    v = verifier(source)
    for _ in range(5):
        await v.verify(token())
    assert source.calls == 1
    # The pool rotates to key b: the first token naming it triggers one refetch.
    source.keys.append(jwk(KEY_B, "b"))
    v._fetched_at -= 3600
    assert (await v.verify(token(KEY_B, "b"))).sub == "user-1"
    assert source.calls == 2
    # A forged kid does not make us hammer the JWKS endpoint.
    for _ in range(5):
        with pytest.raises(InvalidToken):
            await v.verify(token(ROGUE, "forged"))
    assert source.calls == 2


async def test_an_unreachable_jwks_is_not_blamed_on_the_token():
    source = Source(jwk(KEY_A, "a"))
    source.fail = True
    with pytest.raises(KeysUnavailable):
        await verifier(source).verify(token())


async def test_a_little_clock_skew_is_tolerated():
    v = verifier(Source(jwk(KEY_A, "a")))
    now = int(time.time())
    # This host's clock runs 10 s ahead of Cognito's (or behind): the token still works.
    assert (await v.verify(token(exp=now - 10))).sub == "user-1"
    assert (await v.verify(token(iat=now + 10, nbf=now + 10))).sub == "user-1"
    assert 30 <= auth.LEEWAY_SECONDS <= 60


async def test_after_a_failed_fetch_it_backs_off_and_answers_at_once(monkeypatch):
    clock = {"now": 1000.0}
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock["now"])
    source = Source(jwk(KEY_A, "a"))
    source.fail = True
    v = verifier(source)
    with pytest.raises(KeysUnavailable):
        await v.verify(token())
    assert source.calls == 1
    # While backing off, every request is refused without another fetch.
    for _ in range(20):
        with pytest.raises(KeysUnavailable):
            await v.verify(token())
    assert source.calls == 1
    # The next try fails too: the pause doubles.
    clock["now"] += auth.FETCH_BACKOFF_FIRST + 0.1
    with pytest.raises(KeysUnavailable):
        await v.verify(token())
    assert source.calls == 2
    clock["now"] += auth.FETCH_BACKOFF_FIRST + 0.1
    with pytest.raises(KeysUnavailable):
        await v.verify(token())
    assert source.calls == 2
    # Once the endpoint answers again, the first request after the pause gets the keys.
    source.fail = False
    clock["now"] += 2 * auth.FETCH_BACKOFF_FIRST
    assert (await v.verify(token())).sub == "user-1"
    assert source.calls == 3


async def test_the_backoff_is_capped(monkeypatch):
    clock = {"now": 0.0}
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock["now"])
    source = Source()
    source.fail = True
    v = verifier(source)
    for _ in range(12):
        clock["now"] += auth.FETCH_BACKOFF_MAX + 1
        with pytest.raises(KeysUnavailable):
            await v.verify(token())
    assert source.calls == 12
