"""The citizen's side of the data service: her access log and her consents.

- ``GET /exchange/challenge``: a one-use challenge, the source's address and public log key;
- ``GET /exchange/receipts`` with ``Authorization: HolderProof <JWS>`` (the challenge signed
  with her holder key, `ledger.exchange.citizen_auth.sign_log_request`): her receipts and, for
  every sealed batch, the proof of her slot (`DataSource.access_log`);
- ``POST /exchange/consents`` ``{"document": <consent JWS>}`` and
  ``POST /exchange/consents/withdraw`` ``{"document": <withdrawal JWS>}``: documents signed by
  her holder key (`ledger.exchange.consent`), recorded at once.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel
from starlette.responses import Response

from ledger import untrusted_json
from ledger.errors import CitizenAuthFailed, ConsentMalformed, JsonRejected
from ledger.exchange.citizen_auth import ChallengeBook
from ledger.exchange.source import DataSource

__all__ = ["citizen_router"]

_SCHEME = "HolderProof "
_MAX_DOCUMENT_BYTES = 8 * 1024


class DocumentModel(BaseModel):
    """A document signed by the citizen's holder key."""

    document: str


def _json(obj: Any) -> Response:
    return Response(orjson.dumps(obj), media_type="application/json")


def _document(body: bytes) -> str:
    try:
        obj = untrusted_json.loads(body, max_bytes=_MAX_DOCUMENT_BYTES)
    except JsonRejected as exc:
        raise ConsentMalformed(f"the body is not acceptable JSON: {exc}") from exc
    if (
        not isinstance(obj, dict)
        or set(obj) != {"document"}
        or not isinstance(obj["document"], str)
    ):
        raise ConsentMalformed('the body is {"document": <compact JWS>}')
    return str(obj["document"])


def citizen_router(source: DataSource, challenges: ChallengeBook) -> APIRouter:
    """The citizen's routes over `source`."""
    router = APIRouter(tags=["citizen"])
    body_doc = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": DocumentModel.model_json_schema()}},
        }
    }

    @router.get("/exchange/challenge", summary="A one-use challenge for the access log")
    async def challenge() -> Response:
        value, expires_at = challenges.issue()
        return _json(
            {
                "challenge": value,
                "expires_at": expires_at,
                "source": source.agency,
                "log_key": source.log_key.public_jwk,
            }
        )

    @router.get("/exchange/receipts", summary="Her receipts and slot proofs per batch")
    async def receipts(authorization: str | None = Header(default=None)) -> Response:
        if authorization is None or not authorization.startswith(_SCHEME):
            raise CitizenAuthFailed("send Authorization: HolderProof <signed challenge>")
        holder = challenges.verify(authorization[len(_SCHEME) :].strip())
        return _json(source.access_log(holder))

    @router.post("/exchange/consents", summary="Grant a consent", openapi_extra=body_doc)
    async def grant(request: Request) -> Response:
        consent = source.grant(_document(await request.body()))
        return _json({"consent_id": consent.consent_id, "expires_at": consent.expires_at})

    @router.post(
        "/exchange/consents/withdraw", summary="Withdraw a consent", openapi_extra=body_doc
    )
    async def withdraw(request: Request) -> Response:
        consent = source.withdraw(_document(await request.body()))
        return _json({"consent_id": consent.consent_id, "withdrawn_at": consent.withdrawn_at})

    return router
