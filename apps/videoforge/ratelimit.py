"""Rate limits per client address and per user, kept in PostgreSQL so every task of a service
shares them (the load balancer spreads one client's requests over all of them).

A limit is ``requests`` per ``seconds``, as a token bucket of ``requests`` tokens refilled at
``requests / seconds`` a second, kept as the GCRA keeps it: one timestamp per limit and
subject (``tat``, when the bucket is full again), updated by one UPSERT per check. The limits
are the model's (RATE_LIMITS, JSON ``{name: {"requests", "seconds"}}``); a route names its action
("sign_in") and the limits ``<action>_per_address`` and ``<action>_per_user`` apply when declared.
Past one, the answer is 429 ``rate_limited`` naming the limit, with Retry-After.

The client address is the one the trusted edge appended to X-Forwarded-For: TRUSTED_PROXY_HOPS
entries from the right (the ALB appends one; CloudFront then the ALB, two). Whatever a client
put in the header itself is to the left of those and never read. An IPv6 client is limited by
its /64, the block one subscriber is given.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
from dataclasses import dataclass

from psycopg import AsyncConnection
from quart import current_app, request

from videoforge import db
from videoforge.errors import ApiError

log = logging.getLogger("videoforge.ratelimit")


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.seconds <= 0:
            raise ValueError("a rate limit allows at least one request in a positive number of seconds")


def parse_limits(raw: str) -> dict[str, Rate]:
    """RATE_LIMITS: ``{"sign_in_per_address": {"requests": 30, "seconds": 300}, ...}``."""
    return {
        name: Rate(int(v["requests"]), float(v["seconds"])) for name, v in json.loads(raw or "{}").items()
    }


def client_address(forwarded_for: list[str], peer: str | None, trusted_hops: int) -> str:
    """The address the trusted edge saw (see the module's docstring), as a limit's subject."""
    entries = [a.strip() for header in forwarded_for for a in header.split(",") if a.strip()]
    if trusted_hops < 1 or not entries:
        candidate = peer or ""
    elif len(entries) >= trusted_hops:
        candidate = entries[-trusted_hops]
    else:  # an edge in front that replaces the header (the local ALB twin): its first entry
        candidate = entries[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return "unparsable"  # not what an edge writes; all such requests share one bucket
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


_TAKE = """
INSERT INTO rate_limits AS r (name, subject, tat, allowed)
VALUES (%(name)s, %(subject)s, now() + make_interval(secs => %(emission)s), true)
ON CONFLICT (name, subject) DO UPDATE SET
  allowed = greatest(r.tat, now()) + make_interval(secs => %(emission)s)
            <= now() + make_interval(secs => %(period)s),
  tat = CASE WHEN greatest(r.tat, now()) + make_interval(secs => %(emission)s)
                  <= now() + make_interval(secs => %(period)s)
             THEN greatest(r.tat, now()) + make_interval(secs => %(emission)s)
             ELSE r.tat END
RETURNING allowed, extract(epoch FROM r.tat - now())::float8 AS ahead
"""


async def take(conn: AsyncConnection, name: str, subject: str, rate: Rate) -> int | None:
    """Spend one request of ``name`` for ``subject``: None when allowed, else the whole seconds
    until one is (Retry-After)."""
    emission = rate.seconds / rate.requests
    cur = await conn.execute(
        _TAKE, {"name": name, "subject": subject, "emission": emission, "period": rate.seconds}
    )
    row = await cur.fetchone()
    if row["allowed"]:
        return None
    return max(1, math.ceil(row["ahead"] + emission - rate.seconds))


async def clear_expired(conn: AsyncConnection) -> int:
    """Rows whose bucket is full again mean nothing: drop them."""
    cur = await conn.execute("DELETE FROM rate_limits WHERE tat < now()")
    return cur.rowcount


def rate_limited(name: str, retry_after: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"too many requests ({name}): try again in {retry_after} s",
        details=[{"limit": name, "retryAfter": retry_after}],
        headers={"Retry-After": str(retry_after)},
    )


async def enforce(action: str, user: str | None = None) -> None:
    """429 when the caller's address (or ``user``) is past ``action``'s limits; else one request
    of each is spent."""
    settings = current_app.extensions["web_settings"]
    address = client_address(
        request.headers.getlist("X-Forwarded-For"), request.remote_addr, settings.trusted_proxy_hops
    )
    checks = [
        (name, subject, settings.rate_limits[name])
        for name, subject in ((f"{action}_per_address", address), (f"{action}_per_user", user))
        if subject is not None and name in settings.rate_limits
    ]
    if not checks:
        return
    async with db.pool().connection() as conn:
        for name, subject, rate in checks:
            retry_after = await take(conn, name, subject, rate)
            if retry_after is not None:
                log.info("rate limited", extra={"limit": name, "retry_after": retry_after})
                raise rate_limited(name, retry_after)
