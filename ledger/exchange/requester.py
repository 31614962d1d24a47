"""The requester's side of a pull: sign a query, send it, verify the answer, return the claims.

`DataRequester.fetch` checks an answer in this order, and raises `AnswerInvalid` (the cause
attached) at the first failure:

1. the SD-JWT VC layer, with the project's verifier (`ledger.sdjwt.verify_presentation`, no key
   binding: the answer is addressed, not held): format, ``typ``, the signature with the key
   registered on chain as its ``kid`` and owned by the agency its ``iss`` names
   (`ledger.agency.issuer_keys`), ``iat``/``exp``;
2. the issuer is the source asked, the audience is this requester, the type is the one asked,
   ``jti`` is the receipt id the source returned;
3. the claims are exactly those asked: none missing, none more;
4. on chain, in one JSON-RPC batch: the signing key is valid now for the source, and the source
   is accredited for the type now.

A refusal comes back as the same `QueryRefused` subclass the source raised (its stable code and
receipt id); any other error answer is `DataServiceError` with the service's code, and a service
that cannot be reached is `DataServiceUnreachable`.

Finding the source: from the DataServiceDirectory on chain by the type alone (`find_source`), or
given explicitly (`source=`, `url=`).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from ledger import untrusted_json
from ledger._rand import SYSTEM_RANDOM, Clock, RandomSource
from ledger.agency.issuer_keys import issuer_address, issuer_key_resolver, kid_bytes
from ledger.chain.client import LedgerChain
from ledger.chain.deploy import contract_abi
from ledger.errors import (
    AnswerInvalid,
    DataServiceError,
    DataServiceNotPublished,
    DataServiceUnreachable,
    JsonRejected,
    LedgerError,
    OverAsking,
    QueryRefused,
    VerificationError,
)
from ledger.exchange.answer import select_claims
from ledger.exchange.query import DataQuery, QueryDomain, exchange_domain
from ledger.exchange.receipts import checksum_address
from ledger.sdjwt import verify_presentation

__all__ = ["QUERY_PATH", "DataRequester", "VerifiedClaims", "refusal_class"]

QUERY_PATH = "/exchange/query"
#: The largest answer body a requester reads.
MAX_ANSWER_BYTES = 64 * 1024
_ENVELOPE = frozenset({"iss", "aud", "iat", "exp", "jti", "vct", "nbf"})


def _refusal_classes() -> dict[str, type[QueryRefused]]:
    out: dict[str, type[QueryRefused]] = {}
    pending: list[type[QueryRefused]] = [QueryRefused]
    while pending:
        cls = pending.pop()
        out[cls.code] = cls
        pending.extend(cls.__subclasses__())
    return out


_BY_CODE = _refusal_classes()


def refusal_class(code: str) -> type[QueryRefused] | None:
    """The `QueryRefused` subclass of a stable refusal code, or None."""
    return _BY_CODE.get(code)


@dataclass(frozen=True)
class VerifiedClaims:
    """Claims a source answered and the requester verified."""

    claims: dict[str, Any]
    """The requested claims, nested as asked (``{"address": {"municipality": ...}}``)."""
    receipt_id: str
    source: str
    vct: str
    kid: str
    iat: int
    exp: int
    credential: str
    """The answer as received (its SHA-256 is the receipt's answer digest)."""


class DataRequester:
    """A registered agency pulling data from sources. `account` signs its queries (it must be
    the agency registered on chain); `chain` reads the registries (read-only is enough).
    `client` is an `httpx.Client` to reuse (keep-alive; tests pass one over an ASGI app).
    Constructors do no I/O."""

    def __init__(
        self,
        *,
        chain: LedgerChain,
        account: LocalAccount,
        client: httpx.Client | None = None,
        clock: Clock = time.time,
        rng: RandomSource = SYSTEM_RANDOM,
        query_lifetime: int = 60,
        timeout: float = 10.0,
    ) -> None:
        self.chain = chain
        self.account = account
        self._client = client
        self._owns_client = client is None
        self._clock = clock
        self._rng = rng
        self._lifetime = query_lifetime
        self._timeout = timeout
        self._type_ids: dict[str, int] = {}
        self._domain: QueryDomain | None = None
        self._resolve = issuer_key_resolver(chain)

    @property
    def client(self) -> httpx.Client:
        """The HTTP client (made on first use)."""
        if self._client is None:
            # TCP_NODELAY: httpx writes a request's head and body separately; without it Nagle's
            # algorithm and the server's delayed ACK add ~40 ms to every POST.
            transport = httpx.HTTPTransport(
                socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            )
            self._client = httpx.Client(timeout=self._timeout, transport=transport)
        return self._client

    def close(self) -> None:
        """Close the HTTP client if this requester made it."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> DataRequester:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def domain(self) -> QueryDomain:
        """The EIP-712 domain of this deployment's queries."""
        if self._domain is None:
            deployment = self.chain.deployment
            self._domain = exchange_domain(deployment.chain_id, deployment.addresses)
        return self._domain

    def _type_id(self, vct: str) -> int:
        if vct not in self._type_ids:
            self._type_ids[vct] = self.chain.types.type_id_of(vct)
        return self._type_ids[vct]

    # -- the pull -----------------------------------------------------------------------------

    def fetch(
        self,
        subject: str,
        vct: str,
        claims: Sequence[str],
        purpose: str,
        case_ref: str,
        *,
        source: str | None = None,
        url: str | None = None,
    ) -> VerifiedClaims:
        """Ask the source at `url` (its agency address `source`) for `claims` of `vct` about
        `subject`, for `purpose` in case `case_ref`; return them verified."""
        if source is None or url is None:
            source, url = self.find_source(vct)
        query = DataQuery.new(
            subject=subject,
            vct=vct,
            claims=claims,
            purpose=purpose,
            case_ref=case_ref,
            requester=self.account.address,
            source=source,
            now=self._clock(),
            lifetime=self._lifetime,
            rng=self._rng,
        )
        body = query.sign(self.account, self.domain).encode()
        reply = self._post(url.rstrip("/") + QUERY_PATH, body)
        credential, receipt_id = reply.get("credential"), reply.get("receipt_id")
        if not isinstance(credential, str) or not isinstance(receipt_id, str):
            raise DataServiceError("the data service's answer is not {credential, receipt_id}")
        return self.verify_answer(query, credential, receipt_id)

    def find_source(self, vct: str) -> tuple[str, str]:
        """The agency and URL of the data service of `vct`, from the DataServiceDirectory on
        chain; `DataServiceNotPublished` if none is published or its agency can no longer
        anchor the type."""
        try:
            info = self.chain.directory.service_of(self._type_id(vct))
        except LedgerError as exc:
            raise DataServiceNotPublished(f"no data service found for {vct!r}: {exc}") from exc
        if info is None or not info.current:
            raise DataServiceNotPublished(f"no current data service is published for {vct!r}")
        return info.agency, info.url

    def _post(self, url: str, body: bytes) -> dict[str, Any]:
        try:
            response = self.client.post(
                url, content=body, headers={"content-type": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise DataServiceUnreachable(
                f"the data service at {url} cannot be reached: {exc}"
            ) from exc
        try:
            obj = untrusted_json.loads(response.content, max_bytes=MAX_ANSWER_BYTES)
        except JsonRejected as exc:
            raise DataServiceError(
                f"the data service at {url} answered HTTP {response.status_code} without JSON"
            ) from exc
        if not isinstance(obj, dict):
            raise DataServiceError(f"the data service at {url} answered a non-object")
        if response.status_code == 200:
            return obj
        error = obj.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        receipt = error.get("receipt_id") if isinstance(error, dict) else None
        code = code if isinstance(code, str) else "service-error"
        text = f"the source refused: {message if isinstance(message, str) else code}"
        cls = refusal_class(code)
        if cls is not None:
            raise cls(text, receipt_id=receipt if isinstance(receipt, str) else None)
        raise DataServiceError(text, code=code)

    # -- verification -------------------------------------------------------------------------

    def verify_answer(self, query: DataQuery, credential: str, receipt_id: str) -> VerifiedClaims:
        """Steps 1-4 of the module docstring."""
        now = int(self._clock())
        try:
            verified = verify_presentation(
                credential,
                issuer_key_resolver=self._resolve,
                expected_audience=None,
                expected_nonce=None,
                require_key_binding=False,
                now=now,
                accept_legacy_typ=False,
                max_size=MAX_ANSWER_BYTES,
            )
        except (VerificationError, LedgerError) as exc:
            raise AnswerInvalid(f"the answer does not verify: {exc}") from exc
        body = verified.claims
        try:
            issuer = checksum_address(
                issuer_address(verified.issuer, self.chain.deployment.chain_id)
            )
        except LedgerError as exc:
            raise AnswerInvalid(f"the answer's issuer is not an agency: {exc}") from exc
        if issuer != query.source:
            raise AnswerInvalid("the answer is not from the source asked")
        if body.get("aud") != query.requester:
            raise AnswerInvalid("the answer is addressed to another requester")
        if verified.vct != query.vct:
            raise AnswerInvalid("the answer is of another type")
        if body.get("jti") != receipt_id:
            raise AnswerInvalid("the answer names another receipt")
        if verified.exp is None or verified.kid is None:
            raise AnswerInvalid("the answer has no exp or no kid")
        claims = {k: v for k, v in body.items() if k not in _ENVELOPE}
        try:
            asked = select_claims(claims, query.claims)
        except OverAsking as exc:
            raise AnswerInvalid(f"the answer lacks a claim asked for: {exc}") from exc
        if asked != claims:
            raise AnswerInvalid("the answer holds claims that were not asked for")
        self._check_chain(verified.kid, issuer, query.vct, now)
        return VerifiedClaims(
            claims=claims,
            receipt_id=receipt_id,
            source=issuer,
            vct=verified.vct,
            kid=verified.kid,
            iat=verified.iat,
            exp=verified.exp,
            credential=credential,
        )

    def _check_chain(self, kid: str, source: str, vct: str, now: int) -> None:
        """Step 4: one JSON-RPC batch."""
        try:
            type_id = self._type_id(vct)
        except LedgerError as exc:
            raise AnswerInvalid(f"the type {vct!r} is not registered") from exc
        deployment = self.chain.deployment
        keys, trust = contract_abi("KeyRegistry"), contract_abi("TrustRegistry")
        key_call = keys.encode_call("isKeyValidAt", [kid_bytes(kid), source, now])
        trust_call = trust.encode_call("isAccreditedAt", [source, type_id, now])
        raws = self.chain.rpc.batch(
            [
                (
                    "eth_call",
                    [
                        {"to": deployment.address("KeyRegistry"), "data": "0x" + key_call.hex()},
                        "latest",
                    ],
                ),
                (
                    "eth_call",
                    [
                        {
                            "to": deployment.address("TrustRegistry"),
                            "data": "0x" + trust_call.hex(),
                        },
                        "latest",
                    ],
                ),
            ]
        )
        (key_valid,) = keys.decode_result("isKeyValidAt", bytes.fromhex(str(raws[0])[2:]))
        (accredited,) = trust.decode_result("isAccreditedAt", bytes.fromhex(str(raws[1])[2:]))
        if not key_valid:
            raise AnswerInvalid("the answer's signing key is not valid now for the source")
        if not accredited:
            raise AnswerInvalid("the source is not accredited for the type now")
