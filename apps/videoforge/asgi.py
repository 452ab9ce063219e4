"""ASGI middleware the services run under: a response does not start while its request's body
is still arriving.

A handler may answer before the body has arrived: a wrong Content-Type, a missing token or an
unknown route is refused at once, while the client (or the balancer, which forwards the headers
before the body) is still sending. Hypercorn then ends the connection after the response without
saying `Connection: close`. A balancer that keeps connections to its targets open (the ALB;
Caddy locally) sends its next request on that connection, reads EOF and answers that request
502, a request that had nothing wrong with it. So before the response starts, the rest of a small
body is waited for (Quart reads every body in the background, so it arrives without the handler
asking); a large body, a body without a length, or one that does not come in time gets
`Connection: close` on the response instead, and the balancer opens a new connection next time.
"""

from __future__ import annotations

import asyncio

# A body up to this size is waited for; a larger one is not worth holding the response for.
WAIT_LIMIT_BYTES = 64 * 1024
WAIT_SECONDS = 5.0


def _body_length(scope: dict) -> int | None:
    """The declared body length: 0 without a body, None when it is chunked or unknown."""
    length = 0
    for name, value in scope.get("headers", []):
        if name.lower() == b"transfer-encoding":
            return None
        if name.lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return None
    return length


class BodyBeforeResponse:
    """Wraps an ASGI app (see the module's docstring)."""

    def __init__(self, app, limit: int = WAIT_LIMIT_BYTES, seconds: float = WAIT_SECONDS) -> None:
        self.app, self.limit, self.seconds = app, limit, seconds

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _body_length(scope)
        arrived = asyncio.Event()
        if length == 0:
            arrived.set()

        async def receive_watched():
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                arrived.set()
            return message

        async def send_after_body(message) -> None:
            if message["type"] == "http.response.start" and not arrived.is_set():
                if length is not None and length <= self.limit:
                    try:
                        await asyncio.wait_for(arrived.wait(), self.seconds)
                    except TimeoutError:
                        pass
                if not arrived.is_set():
                    headers = [*message.get("headers", []), (b"connection", b"close")]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive_watched, send_after_body)
