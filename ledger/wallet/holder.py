"""Checking a credential package before the wallet stores it (`verify_for_import`).

In order: the package is for this chain; the SD-JWT VC verifies with the issuer key the chain's
KeyRegistry holds for its `kid` (owned by the agency named in `iss`); its `cnf` is this wallet's
holder key; its `vct` is the registered type; its status reference names the issuer's list on
this chain's StatusRegistry; then one LedgerLens call: anchored (single or Merkle proof) by that
issuer for that type, issuer accredited and key valid at anchor time, status valid now, issuer
agency Active now. Any failure raises `WalletImportRefused` naming the check and carrying the cause.

Imports the chain and agency layers: keep it off the `wallet list` path (import it lazily).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from ledger.agency.chain_checks import first_failure, prepare_check, resolve_issuer_key
from ledger.agency.packages import CredentialPackage, parse_issuer_did
from ledger.chain.client import LedgerChain
from ledger.errors import (
    AnchorIssuerMismatch,
    AnchorTypeMismatch,
    ChainCheckFailed,
    ContractRevert,
    CredentialExpired,
    CredentialNotAnchored,
    CredentialNotYetValid,
    CredentialRevoked,
    CredentialStatusUnknown,
    CredentialSuspended,
    HolderKeyMismatch,
    InputError,
    InvalidSignature,
    IssuedInFuture,
    IssuerAgencyNotActive,
    IssuerAgencyRemoved,
    IssuerAgencySuspended,
    IssuerNotAccreditedAtAnchor,
    IssuerNotActiveAtAnchor,
    SigningKeyNotValidAtAnchor,
    StatusReferenceInvalid,
    UnknownIssuerKey,
    VerificationError,
    WalletImportRefused,
)
from ledger.report import Check
from ledger.sdjwt import (
    PublicKey,
    VerifiedPresentation,
    unverified_header_and_payload,
    verify_credential,
)

__all__ = ["ImportFacts", "verify_for_import"]


@dataclass(frozen=True)
class ImportFacts:
    """What `verify_for_import` established about a credential (stored as its metadata)."""

    digest: bytes
    vct: str
    type_id: int
    chain_id: int
    iss: str
    issuer_address: str
    issuer_name: str
    kid: str
    issuer_key_xy: tuple[bytes, bytes]
    iat: int
    exp: int | None
    status_idx: int
    status_uri: str
    list_id: int
    anchored_at: int
    anchor: Mapping[str, Any]
    claim_names: tuple[str, ...]
    package_metadata: Mapping[str, Any]

    @property
    def cred_id(self) -> str:
        """The wallet's id for the credential: the first 16 hex digits of its digest."""
        return self.digest.hex()[:16]

    def to_metadata(self) -> dict[str, Any]:
        """The JSON metadata the wallet stores beside the credential."""
        return {
            "digest": "0x" + self.digest.hex(),
            "vct": self.vct,
            "type_id": self.type_id,
            "chain_id": self.chain_id,
            "iss": self.iss,
            "issuer_address": self.issuer_address,
            "issuer_name": self.issuer_name,
            "kid": self.kid,
            "issuer_key": ["0x" + self.issuer_key_xy[0].hex(), "0x" + self.issuer_key_xy[1].hex()],
            "iat": self.iat,
            "exp": self.exp,
            "status": {"idx": self.status_idx, "uri": self.status_uri, "list": self.list_id},
            "anchored_at": self.anchored_at,
            "anchor": dict(self.anchor),
            "claim_names": list(self.claim_names),
            "package_metadata": dict(self.package_metadata),
        }


def _refuse(check: str, reason: str, cause: BaseException | None = None) -> WalletImportRefused:
    return WalletImportRefused(check, reason, cause)


def _verify_sd_jwt(
    package: CredentialPackage,
    holder_jwk: Mapping[str, str],
    resolver: Callable[[str, str], PublicKey],
    now: int,
) -> VerifiedPresentation:
    try:
        return verify_credential(
            package.sd_jwt, issuer_key_resolver=resolver, expected_holder_jwk=holder_jwk, now=now
        )
    except HolderKeyMismatch as exc:
        raise _refuse(
            "holder_key", "it is bound to someone else's holder key, not this wallet's", exc
        ) from exc
    except UnknownIssuerKey as exc:
        raise _refuse(
            "issuer_key", "its signing key is not registered on chain to its issuer", exc
        ) from exc
    except InvalidSignature as exc:
        raise _refuse(
            "signature", "the issuer's signature does not verify (forged or altered)", exc
        ) from exc
    except (CredentialExpired, CredentialNotYetValid, IssuedInFuture) as exc:
        raise _refuse("validity", "it is outside its validity period", exc) from exc
    except VerificationError as exc:
        raise _refuse("format", "it is not a valid SD-JWT VC", exc) from exc


_CHECK_NAMES: dict[type[ChainCheckFailed], tuple[str, str]] = {
    CredentialNotAnchored: (Check.ANCHOR, "it is not anchored on chain"),
    AnchorIssuerMismatch: (Check.ANCHOR, "its anchor was made by another agency"),
    AnchorTypeMismatch: (Check.ANCHOR, "its anchor records another credential type"),
    IssuerNotAccreditedAtAnchor: (
        Check.ISSUER_ACCREDITATION,
        "its issuer was not accredited for this type when it was anchored",
    ),
    SigningKeyNotValidAtAnchor: (
        Check.KEY_VALIDITY,
        "its signing key was not valid when it was anchored",
    ),
    CredentialStatusUnknown: (Check.STATUS, "its status entry does not exist on chain"),
    CredentialRevoked: (Check.STATUS, "it has been revoked"),
    CredentialSuspended: (Check.STATUS, "it is suspended"),
    IssuerAgencySuspended: (Check.ISSUER_AGENCY_STATUS, "its issuing agency is suspended"),
    IssuerAgencyRemoved: (Check.ISSUER_AGENCY_STATUS, "its issuing agency was removed"),
    IssuerAgencyNotActive: (Check.ISSUER_AGENCY_STATUS, "its issuing agency is not active"),
}


def verify_for_import(
    package: CredentialPackage,
    *,
    holder_jwk: Mapping[str, str],
    chain: LedgerChain,
    now: int | None = None,
) -> ImportFacts:
    """Verify `package` for this wallet (see the module docstring); raise `WalletImportRefused`.

    Chain failures that are not refusals (RPC unreachable) propagate as `ChainError`.
    """
    now_s = int(time.time()) if now is None else int(now)
    chain_id = chain.deployment.chain_id
    if package.chain_id != chain_id:
        raise _refuse(
            "chain", f"it is for chain {package.chain_id}, but this ledger is chain {chain_id}"
        )
    try:
        _, unverified = unverified_header_and_payload(package.sd_jwt)
        iss_chain, issuer = parse_issuer_did(str(unverified.get("iss")))
    except (VerificationError, InputError) as exc:
        raise _refuse("format", "it is not a ledger SD-JWT VC", exc) from exc
    if iss_chain != chain_id:
        raise _refuse("issuer", f"its issuer {issuer} is on chain {iss_chain}, not {chain_id}")
    issuer = to_checksum_address(issuer)

    keys: list[PublicKey] = []

    def resolver(kid: str, iss: str) -> PublicKey:
        keys.append(resolve_issuer_key(chain, kid, iss))
        return keys[-1]

    verified = _verify_sd_jwt(package, holder_jwk, resolver, now_s)
    try:
        type_info = chain.credential_type(package.type_id)
    except ContractRevert as exc:
        raise _refuse("type", f"type {package.type_id} is not registered on chain", exc) from exc
    if type_info.vct != verified.vct:
        raise _refuse(
            "type", f"its vct {verified.vct!r} is not type {package.type_id} ({type_info.vct!r})"
        )
    try:
        prepared = prepare_check(
            chain,
            digest=verified.issuer_jwt_digest,
            anchor=package.anchor,
            type_id=package.type_id,
            kid=verified.kid or "",
            issuer=issuer,
            status=verified.status,
        )
    except (StatusReferenceInvalid, CredentialStatusUnknown) as exc:
        raise _refuse(
            Check.STATUS, "its status reference is not its issuer's list on this ledger", exc
        ) from exc
    lens = chain.check_credential(prepared.request)
    failure = first_failure(lens, prepared.expected, chain=chain)
    if failure is not None:
        check, reason = _CHECK_NAMES.get(type(failure), ("chain", "a chain check failed"))
        if isinstance(failure, IssuerNotActiveAtAnchor):  # the chain says why, in words
            check, reason = Check.ISSUER_ACCREDITATION, str(failure)
        raise _refuse(check, reason, failure) from failure
    assert verified.status is not None  # prepare_check refuses a credential without one
    name = chain.agency(issuer).name
    return ImportFacts(
        digest=verified.issuer_jwt_digest,
        vct=verified.vct,
        type_id=package.type_id,
        chain_id=chain_id,
        iss=verified.issuer,
        issuer_address=issuer,
        issuer_name=name,
        kid=verified.kid or "",
        issuer_key_xy=keys[-1].public_xy,
        iat=verified.iat,
        exp=verified.exp,
        status_idx=verified.status.idx,
        status_uri=verified.status.uri,
        list_id=prepared.request.list_id,
        anchored_at=lens.anchored_at,
        anchor=package.anchor.to_dict(),
        claim_names=tuple(type_info.claim_names),
        package_metadata=dict(package.metadata),
    )
