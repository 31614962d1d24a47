"""The app factory: one FastAPI app over a `DataSource`, with its limits and error handling.

`create_app(source)` takes every dependency; it does no I/O. The app opens the source (its
store) at startup and closes it at shutdown, in the serving thread. Routers per concern
(`exchange_routes`, `citizen_routes`), every error through one handler (`errors`), the body
limit as the outermost middleware (`limits`). ``GET /openapi.json`` is FastAPI's description
of it all; the interactive docs pages are off (they load scripts from a CDN).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ledger.exchange.citizen_auth import ChallengeBook
from ledger.exchange.source import DataSource
from ledger.service.citizen_routes import citizen_router
from ledger.service.errors import install_error_handlers
from ledger.service.exchange_routes import exchange_router
from ledger.service.limits import BodyLimitMiddleware, RateLimiter, ServiceLimits

__all__ = ["create_app"]


def create_app(
    source: DataSource,
    *,
    limits: ServiceLimits | None = None,
    limiter: RateLimiter | None = None,
    challenges: ChallengeBook | None = None,
) -> FastAPI:
    """The data service of `source` as an ASGI app."""
    limits = limits or ServiceLimits()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        source.open()  # in the serving thread: the store's connection stays in it
        try:
            yield
        finally:
            source.close()

    app = FastAPI(
        lifespan=lifespan,
        title="ledger data service",
        summary="Once-only exchange: an authorised agency pulls attested data from the source",
        version="1",
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    limiter = limiter or RateLimiter(rate=limits.rate_per_second, burst=limits.burst)
    challenges = challenges or ChallengeBook(source.agency)
    app.include_router(exchange_router(source, limiter))
    app.include_router(citizen_router(source, challenges))
    app.add_middleware(BodyLimitMiddleware, max_bytes=limits.max_body_bytes)
    return app
