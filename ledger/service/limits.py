"""Request limits of the service: the body size, checked before anything parses the body, and a
per-requester rate limit.

`BodyLimitMiddleware` is plain ASGI: a declared ``content-length`` over the limit is refused at
once (413, code ``too-large``); a body sent without one is counted as it arrives and refused as
soon as it passes the limit, so no route ever reads more than the limit.

`RateLimiter` is a token bucket per key in memory (the key is the requester's claimed address
and the client's network address together, so a forger on another host cannot drain a real
requester's bucket). Limit: in memory and per process; with N worker processes a requester gets
up to N times the rate. A deployment with many processes puts the limit in front (the reverse
proxy) or in the shared store.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger._rand import Clock
from ledger.errors import RateLimited

__all__ = ["BodyLimitMiddleware", "RateLimiter", "ServiceLimits", "json_error_bytes"]


@dataclass(frozen=True)
class ServiceLimits:
    """The service's limits."""

    max_body_bytes: int = 16 * 1024
    """The largest request body read (a query is a few hundred bytes)."""
    rate_per_second: float = 200.0
    """Queries per second per requester (sustained)."""
    burst: int = 400
    """Queries a requester may send at once."""


def json_error_bytes(code: str, message: str, **extra: Any) -> bytes:
    """The JSON error body every error answer has."""
    return orjson.dumps({"error": {"code": code, "message": message, **extra}})


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` before the app reads them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._refuse(send, 400, "malformed", "content-length is not a number")
                    return
                if declared > self.max_bytes:
                    await self._refuse(send, 413, "too-large", self._message())
                    return
        # Read the body here, counting, so a body without content-length is bounded too.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send, 413, "too-large", self._message())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"

    @staticmethod
    async def _refuse(send: Send, status: int, code: str, message: str) -> None:
        body = json_error_bytes(code, message)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """Token buckets per key: `rate` tokens a second up to `burst`; `take` spends one or raises
    `RateLimited`. At most `capacity` keys are kept (least recently used dropped first)."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        clock: Clock = time.monotonic,
        capacity: int = 100_000,
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._capacity = capacity
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend a token of `key`'s bucket; `RateLimited` if it is empty."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise RateLimited("too many queries: retry later")
            self._buckets[key] = (tokens - 1.0, now)
            while len(self._buckets) > self._capacity:
                self._buckets.popitem(last=False)
