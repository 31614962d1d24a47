"""Answering a presentation request: check who asks, pick the credential, show what would go.

`prepare` verifies the request (EIP-712 signature, expiry, this chain's VerifierRegistry), then
asks the chain whether the verifier is an Active agency registered for exactly these claims of
this type for this purpose, picks the wallet's matching credential (type, claims, not expired,
status valid now) and returns a `ConsentPrompt` listing every claim value that would be
disclosed. Nothing is disclosed here; `Wallet.present` does that after consent.

Imports the chain and agency layers: keep it off the `wallet list` path (import it lazily).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from ledger._claim_paths import parse_claim_path, parse_path
from ledger.agency.claims import claim_mask, claim_names_in
from ledger.agency.request import PresentationRequest, VerifiedRequest, verify_request_signature
from ledger.chain.client import AgencyStatus, CredentialStatus, LedgerChain
from ledger.errors import (
    AgencyError,
    ContractRevert,
    NoMatchingCredential,
    PresentationRefused,
    UnknownClaimPath,
    VerifierNotRegistered,
)
from ledger.sdjwt import unverified_claims
from ledger.wallet.records import StoredCredential

__all__ = ["ConsentPrompt", "prepare"]

_UNREGISTERED_WARNING = (
    "WARNING: this verifier is NOT registered on the ledger to ask for these claims for this "
    "purpose. You chose to allow it anyway: only disclose if you trust it."
)


@dataclass(frozen=True)
class ConsentPrompt:
    """What the citizen is asked to consent to: who asks, why, and exactly what would be shown.

    `disclosed` pairs each requested claim path with its value from the chosen credential.
    `registered` is False only when an unregistered verifier was explicitly allowed
    (`unsafe_allow_unregistered`); `warning` then says so.
    """

    request: VerifiedRequest
    verifier: str
    verifier_name: str
    registered: bool
    warning: str | None
    purpose: str
    vct: str
    type_id: int
    claims: tuple[str, ...]
    disclosed: tuple[tuple[str, Any], ...]
    credential_id: str

    @property
    def audience(self) -> str:
        """The KB-JWT `aud` the presentation will carry."""
        return self.request.audience

    @property
    def nonce(self) -> str:
        """The KB-JWT `nonce` the presentation will carry."""
        return self.request.nonce

    @property
    def expires_at(self) -> int:
        """When the request expires (unix seconds)."""
        return self.request.expires_at

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary (for `--json` output)."""
        return {
            "verifier": self.verifier,
            "verifier_name": self.verifier_name,
            "registered": self.registered,
            "warning": self.warning,
            "purpose": self.purpose,
            "vct": self.vct,
            "type_id": self.type_id,
            "claims": list(self.claims),
            "disclosed": {path: value for path, value in self.disclosed},
            "credential_id": self.credential_id,
            "expires_at": self.expires_at,
        }


def chain_time(chain: LedgerChain) -> int:
    """Timestamp of the latest block."""
    block = chain.rpc.call("eth_getBlockByNumber", ["latest", False])
    return int(block["timestamp"], 16)


def _registration_problem(
    chain: LedgerChain, req: VerifiedRequest, mask: int, claim_names: Sequence[str]
) -> tuple[str, str | None]:
    """(verifier's registered name, why it may not ask — None when it may)."""
    agency = chain.agency(req.verifier)
    name = agency.name or "(unknown)"
    who = f"{name} ({req.verifier})" if agency.name else req.verifier
    if agency.status == AgencyStatus.NONE:
        return name, f"{req.verifier} is not an agency on this ledger"
    if agency.status != AgencyStatus.ACTIVE:
        return name, f"verifier agency {who} is {agency.status.name.lower()}, not active"
    reg = chain.verifier_registration(req.verifier, req.type_id, req.purpose_digest)
    if reg.registered_at == 0:
        return name, (
            f"{who} is not registered to ask for credentials of type {req.vct} "
            f"for the purpose {req.purpose!r}"
        )
    extra = claim_names_in(mask & ~reg.claim_mask, claim_names)
    if extra:
        return name, (
            f"{who} is registered for the purpose {req.purpose!r} but not for the claims "
            + ", ".join(extra)
        )
    t = chain_time(chain)
    if not chain.is_verifier_authorized(req.verifier, req.type_id, req.purpose_digest, mask, t):
        return name, f"the registration of {who} for this purpose is withdrawn or not valid now"
    return name, None


def _value_at(claims: Any, path: str) -> Any:
    node = claims
    for seg in parse_path(path):
        node = node[seg]
    return node


def _candidates(
    credentials: Sequence[StoredCredential], req: VerifiedRequest, now: int
) -> list[tuple[StoredCredential, dict[str, Any]]]:
    out: list[tuple[StoredCredential, dict[str, Any]]] = []
    for cred in credentials:
        meta = cred.metadata
        if meta.get("type_id") != req.type_id or meta.get("vct") != req.vct:
            continue
        if meta.get("chain_id") != req.chain_id:
            continue
        exp = meta.get("exp")
        if isinstance(exp, int) and exp <= now:
            continue
        claims = unverified_claims(cred.compact)
        try:
            for path in req.claim_paths:
                _value_at(claims, path)
        except (KeyError, IndexError, TypeError, UnknownClaimPath):
            continue
        out.append((cred, claims))
    out.sort(key=lambda item: (-int(item[0].metadata.get("iat", 0)), item[0].cred_id))
    return out


def prepare(
    request: PresentationRequest,
    credentials: Sequence[StoredCredential],
    *,
    chain: LedgerChain,
    unsafe_allow_unregistered: bool = False,
    now: int | None = None,
) -> ConsentPrompt:
    """Check `request` against the chain and pick from `credentials`; see the module docstring.

    Raises the request's `RequestError` (bad signature, expired, other chain),
    `VerifierNotRegistered` (unless `unsafe_allow_unregistered`), `NoMatchingCredential`, or
    `PresentationRefused` for a request this wallet cannot answer.
    """
    now_s = int(time.time()) if now is None else int(now)
    deployment = chain.deployment
    req = verify_request_signature(
        request,
        chain_id=deployment.chain_id,
        registry=deployment.address("VerifierRegistry"),
        now=now_s,
    )
    for path in req.claim_paths:
        if None in parse_claim_path(path):
            raise PresentationRefused(f"wildcard claim paths ({path}) are not supported")
    try:
        type_info = chain.credential_type(req.type_id)
    except ContractRevert as exc:
        raise PresentationRefused(f"type {req.type_id} is not registered on chain") from exc
    if type_info.vct != req.vct:
        raise PresentationRefused(
            f"the request names vct {req.vct!r}, but type {req.type_id} is {type_info.vct!r}"
        )
    try:
        mask = claim_mask(req.claim_paths, type_info.claim_names)
    except AgencyError as exc:
        raise PresentationRefused(f"the request asks for claims outside its type: {exc}") from exc
    name, problem = _registration_problem(chain, req, mask, type_info.claim_names)
    warning = None
    if problem is not None:
        if not unsafe_allow_unregistered:
            raise VerifierNotRegistered(
                f"refused: {problem}",
                verifier=req.verifier,
                type_id=req.type_id,
                purpose=req.purpose,
            )
        warning = f"{_UNREGISTERED_WARNING} ({problem})"

    candidates = _candidates(credentials, req, now_s)
    if not candidates:
        raise NoMatchingCredential(
            f"no credential of type {req.vct} in this wallet holds the claims "
            + ", ".join(req.claim_paths)
            + " and is still valid"
        )
    chosen: tuple[StoredCredential, dict[str, Any]] | None = None
    for cred, claims in candidates:
        status = cred.metadata.get("status", {})
        issuer = str(cred.metadata.get("issuer_address"))
        value = chain.status_of(issuer, int(status.get("list", 0)), int(status.get("idx", 0)))
        if value == CredentialStatus.VALID:
            chosen = (cred, claims)
            break
    if chosen is None:
        raise NoMatchingCredential(
            f"every credential of type {req.vct} in this wallet is revoked or suspended"
        )
    cred, claims = chosen
    return ConsentPrompt(
        request=req,
        verifier=to_checksum_address(req.verifier),
        verifier_name=name,
        registered=problem is None,
        warning=warning,
        purpose=req.purpose,
        vct=req.vct,
        type_id=req.type_id,
        claims=req.claim_paths,
        disclosed=tuple((p, _value_at(claims, p)) for p in req.claim_paths),
        credential_id=cred.cred_id,
    )
