"""The once-only data service: POST /exchange/query.

The body is a signed query (`ledger.exchange.query.SignedQuery`), read through the bounded
parser (never by FastAPI's own JSON decoding: the models below only describe it in the OpenAPI
document). The answer is ``{"credential", "receipt_id"}``; a refusal is the JSON error of its
stable code, with the receipt id. The source answers one query at a time per process (it holds
one chain connection and one store connection); run several worker processes for more.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from ledger.exchange.query import SignedQuery
from ledger.exchange.source import DataSource
from ledger.service.limits import RateLimiter

__all__ = ["AnswerModel", "ErrorModel", "QueryModel", "exchange_router"]


class QueryFields(BaseModel):
    """The query's signed members (EIP-712 type ``Query`` in domain ``ledger.exchange``)."""

    subject: str = Field(description="The subject's CPR number (DDMMYY-SSSS); never logged.")
    vct: str
    claims: list[str] = Field(description="Claim paths, e.g. age_over_18, address.municipality")
    purpose: str
    case_ref: str
    requester: str = Field(description="The requesting agency's address (EIP-55)")
    source: str = Field(description="The source agency's address (EIP-55)")
    nonce: str = Field(description="At least 128 random bits, lowercase hex")
    iat: int
    exp: int = Field(description="At most 300 s after iat")


class QueryModel(BaseModel):
    """A signed query."""

    query: QueryFields
    signature: str = Field(description="EIP-712 signature by the requester, 0x + 130 hex")


class AnswerModel(BaseModel):
    """An answer: an SD-JWT VC holding only the claims asked, addressed to the requester."""

    credential: str
    receipt_id: str


class ErrorBody(BaseModel):
    """An error: its stable code, a message, the receipt id of a refused query."""

    code: str
    message: str
    receipt_id: str | None = None


class ErrorModel(BaseModel):
    """Every error answer."""

    error: ErrorBody


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorModel, "description": text}
    for status, text in (
        (400, "malformed query (code malformed)"),
        (401, "bad-signature or expired-query"),
        (403, "not-registered, requester-suspended, wrong-purpose, over-asking, no-consent, "
              "consent-withdrawn"),
        (404, "unknown-subject (only to an authorised requester)"),
        (409, "replayed-query"),
        (413, "too-large"),
        (429, "rate-limited"),
    )
}  # fmt: skip


def exchange_router(source: DataSource, limiter: RateLimiter) -> APIRouter:
    """The data service's routes over `source`."""
    router = APIRouter(tags=["exchange"])

    @router.post(
        "/exchange/query",
        summary="Ask the source for claims about a subject",
        response_model=None,
        responses={200: {"model": AnswerModel}, **_ERRORS},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": QueryModel.model_json_schema()}},
            }
        },
    )
    async def query(request: Request) -> Response:
        signed = SignedQuery.parse(await request.body())
        client = request.client.host if request.client is not None else "-"
        limiter.take(f"{signed.query.requester}@{client}")
        answer = source.answer(signed)
        return Response(orjson.dumps(answer.to_json()), media_type="application/json")

    return router
