"""Every error the service answers, as JSON with a stable code, from one handler.

The body is ``{"error": {"code": <stable code>, "message": <text>, ...}}``; a refused query adds
``receipt_id``. Bad input is 4xx; an unexpected failure is 500 with code ``internal`` and no
detail (the traceback goes to the server's log, never to the client). No message holds a CPR
number: the SDK's messages never do, and a validation error is reported by member name only.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ledger.errors import (
    CitizenAuthFailed,
    ConsentError,
    ConsentNotFound,
    DuplicateConsent,
    InputError,
    LedgerError,
    QueryMalformed,
    QueryRefused,
    RateLimited,
)
from ledger.service.limits import json_error_bytes

__all__ = ["error_response", "install_error_handlers"]

log = logging.getLogger("ledger.service")

_HTTP_CODES = {404: "not-found", 405: "method-not-allowed", 413: "too-large", 415: "malformed"}


def _json(status: int, code: str, message: str, **extra: object) -> Response:
    headers = {"retry-after": "1"} if status == 429 else None
    return Response(
        json_error_bytes(code, message, **extra),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def error_response(exc: BaseException) -> Response:
    """The JSON answer to `exc`."""
    if isinstance(exc, QueryRefused):
        extra = {} if exc.receipt_id is None else {"receipt_id": exc.receipt_id}
        return _json(exc.status, exc.code, str(exc), **extra)
    if isinstance(exc, RateLimited):
        return _json(429, exc.code, str(exc))
    if isinstance(exc, CitizenAuthFailed):
        return _json(401, exc.code, str(exc))
    if isinstance(exc, ConsentNotFound):
        return _json(404, "consent-not-found", str(exc))
    if isinstance(exc, DuplicateConsent):
        return _json(409, "consent-exists", str(exc))
    if isinstance(exc, ConsentError):
        code = "consent-" + type(exc).__name__.removeprefix("Consent").lower()
        return _json(400, code, str(exc))
    if isinstance(exc, (QueryMalformed, InputError)):
        return _json(400, "malformed", str(exc))
    if isinstance(exc, RequestValidationError):
        where = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        return _json(400, "malformed", f"the request is malformed at {where or 'its body'}")
    if isinstance(exc, HTTPException):
        code = _HTTP_CODES.get(exc.status_code, "http-error")
        status = exc.status_code if 400 <= exc.status_code < 500 else 400
        return _json(status, code, str(exc.detail))
    log.error("internal error answering a request (%s)", type(exc).__name__, exc_info=exc)
    return _json(500, "internal", "the service failed; the error is in its log")


async def _handle(_request: Request, exc: Exception) -> Response:
    return error_response(exc)


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception of `app` through `error_response`."""
    # LedgerError, HTTP and validation errors are answered by Starlette's exception middleware;
    # anything else reaches the server-error middleware, which answers 500 through the same
    # function and then re-raises for the server's log.
    app.add_exception_handler(LedgerError, _handle)
    app.add_exception_handler(Exception, _handle)
    app.add_exception_handler(HTTPException, _handle)
    app.add_exception_handler(RequestValidationError, _handle)
