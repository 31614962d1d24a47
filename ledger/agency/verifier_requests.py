"""A verifier's presentation requests: creating them (signed, for what it is registered for)
and checking that a presentation answers one of its own, unexpired and unused.

`RequestDesk` keeps what that needs between calls: the requests it created (recognised without
re-checking their EIP-712 signature), the nonces consumed, and the credential types and claim
masks read from the chain (cached). The constructor does no I/O. Not thread-safe.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from ledger._claim_paths import ClaimPath, format_claim_path, parse_claim_path
from ledger._rand import Clock
from ledger.agency.claims import claim_mask, claim_names_in
from ledger.agency.nonces import NonceStore
from ledger.agency.request import (
    PresentationRequest,
    create_request,
    purpose_digest,
    verify_request_signature,
)
from ledger.chain.client import LedgerChain
from ledger.chain.records import CredentialTypeInfo
from ledger.errors import (
    ClaimNotInType,
    ClaimPathInvalid,
    NonceReplayed,
    RequestChainMismatch,
    RequestExpired,
    RequestMalformed,
    RequestNotOurs,
    VerifierNotRegisteredForRequest,
)

__all__ = ["RequestDesk", "RequestInfo"]


@dataclass(frozen=True)
class RequestInfo:
    """What a request asks, resolved against its type: the claim mask, the claim paths, and
    their text for the report."""

    mask: int
    claims: tuple[ClaimPath, ...]
    detail: str


class RequestDesk:
    """Creates a verifier's requests and checks the requests presentations answer."""

    def __init__(
        self,
        chain: LedgerChain,
        account: LocalAccount,
        *,
        audience: str,
        nonce_store: NonceStore,
        clock_skew: int,
        clock: Clock = time.time,
    ) -> None:
        self._chain = chain
        self._account = account
        self._address = account.address
        self._chain_id = chain.deployment.chain_id
        self._registry = chain.deployment.address("VerifierRegistry")
        self._audience = audience
        self._nonces = nonce_store
        self._skew = clock_skew
        self._clock = clock
        self._issued: dict[str, PresentationRequest] = {}
        self._consumed: dict[str, int] = {}
        self._types: dict[int, CredentialTypeInfo] = {}
        self._type_ids: dict[str, int] = {}
        self._infos: dict[tuple[int, tuple[ClaimPath, ...]], RequestInfo] = {}
        self._housekeeping = 0

    def now(self) -> int:
        """The verifier's clock, in whole seconds."""
        return int(self._clock())

    def _store(self) -> NonceStore:
        return self._nonces.open()

    def credential_type(self, type_id: int) -> CredentialTypeInfo:
        """A type record (cached)."""
        info = self._types.get(type_id)
        if info is None:
            info = self._types[type_id] = self._chain.types.credential_type(type_id)
        return info

    def info(self, type_id: int, claims: tuple[ClaimPath, ...]) -> RequestInfo:
        """`claims` of `type_id` resolved (`RequestMalformed` for a claim the type lacks)."""
        key = (type_id, claims)
        info = self._infos.get(key)
        if info is None:
            try:
                mask = claim_mask(claims, self.credential_type(type_id).claim_names)
                detail = ", ".join(format_claim_path(c) for c in claims)
            except (ClaimNotInType, ClaimPathInvalid) as exc:
                raise RequestMalformed(str(exc)) from exc
            info = self._infos[key] = RequestInfo(mask, claims, detail)
        return info

    def create(
        self,
        *,
        vct: str,
        claims: Sequence[str],
        purpose: str,
        ttl: int,
        unsafe_allow_unregistered: bool,
    ) -> PresentationRequest:
        """A signed request (see `Verifier.create_request`)."""
        type_id = self._type_ids.get(vct) or self._chain.types.type_id_of(vct)
        if type_id == 0:
            raise RequestMalformed(f"credential type {vct!r} is not registered")
        self._type_ids[vct] = type_id
        try:
            paths = tuple(parse_claim_path(c) for c in claims)
        except ClaimPathInvalid as exc:
            raise RequestMalformed(str(exc)) from exc
        info = self.info(type_id, paths)
        if not unsafe_allow_unregistered:
            gap = self._registration_gap(vct, type_id, info.mask, purpose, purpose_digest(purpose))
            if gap is not None:
                raise VerifierNotRegisteredForRequest(
                    f"refused to create the request: {gap}; have the council register it "
                    "(`ledger verifier register`) or ask only for what it is registered for"
                )
        now = self.now()
        nonce = self._store().issue(ttl=ttl, now=now)
        request = create_request(
            verifier_account=self._account,
            vct=vct,
            type_id=type_id,
            claims=claims,
            purpose=purpose,
            audience=self._audience,
            chain_id=self._chain_id,
            registry=self._registry,
            ttl=ttl,
            nonce=nonce,
            now=now,
        )
        self._issued[nonce] = request
        self._tick(now)
        return request

    def registration_gap(self, request: PresentationRequest) -> str | None:
        """Why wallets will refuse `request` (see `Verifier.registration_gap`)."""
        mask = self.info(request.type_id, request.claims).mask
        return self._registration_gap(
            request.vct, request.type_id, mask, request.purpose, request.purpose_digest
        )

    def _registration_gap(
        self, vct: str, type_id: int, mask: int, purpose: str, digest: bytes
    ) -> str | None:
        reg = self._chain.verifiers.registration(self._address, type_id, digest)
        if reg.registered_at == 0:
            return f"this verifier is not registered for {vct} with the purpose {purpose!r}"
        extra = claim_names_in(mask & ~reg.claim_mask, self.credential_type(type_id).claim_names)
        if extra:
            return "this verifier is not registered for the claims " + ", ".join(extra)
        if not reg.in_force_at(self.now()):
            return f"this verifier's registration for the purpose {purpose!r} is not in force now"
        return None

    def _tick(self, now: int) -> None:
        """Every 4096 requests or verifications, forget what expired (bounded memory)."""
        self._housekeeping += 1
        if self._housekeeping % 4096 == 0:
            self._forget_expired(now)

    def _forget_expired(self, now: int) -> None:
        for nonce in [n for n, r in self._issued.items() if r.expires_at <= now]:
            del self._issued[nonce]
        for nonce in [n for n, t in self._consumed.items() if t <= now]:
            del self._consumed[nonce]

    def check(self, request: PresentationRequest, now: int) -> RequestInfo:
        """The request is this verifier's, on its chain and registry, unused, unexpired and
        (if this desk did not create it) validly signed; what it asks, resolved."""
        if request.verifier.lower() != self._address.lower():
            raise RequestNotOurs(f"request is from verifier {request.verifier}, not this one")
        if request.chain_id != self._chain_id or request.registry.lower() != self._registry.lower():
            raise RequestChainMismatch("request names another chain or VerifierRegistry")
        if request.nonce in self._consumed:
            raise NonceReplayed("the request's nonce was already used")
        issued = self._issued.get(request.nonce)
        if issued is not request and issued != request:
            # Not made by this object (e.g. after a restart): check it the slow way.
            verify_request_signature(
                request, chain_id=self._chain_id, registry=self._registry, now=now, skew=self._skew
            )
            if self.credential_type(request.type_id).vct != request.vct:
                raise RequestMalformed("the request's type id does not name its vct")
        if now >= request.expires_at:
            raise RequestExpired(f"request expired at {request.expires_at} (now {now})")
        if now + self._skew < request.created_at:
            raise RequestExpired(f"request is dated in the future ({request.created_at})")
        return self.info(request.type_id, request.claims)

    def consume(self, request: PresentationRequest, now: int) -> None:
        """Use up the request's nonce (`NonceReplayed` if it already was)."""
        self._store().consume(request.nonce, now=now)
        self._consumed[request.nonce] = request.expires_at
        self._issued.pop(request.nonce, None)
        self._tick(now)
