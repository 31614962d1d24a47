"""Agency SDK errors: outbox, issuance, presentation requests, and the verifier's checks of a
presentation against its request and against the chain (`ledger.agency`).
"""

from __future__ import annotations

from ledger.errors._base import AgencyError, ClaimPathError, VerificationError
from ledger.errors.sdjwt import UnknownIssuerKey

__all__ = [
    "AgencyKeyExists",
    "AgencyKeyNotFound",
    "AnchorIssuerMismatch",
    "AnchorTypeMismatch",
    "BatchNotFound",
    "BatchStateError",
    "ChainCheckFailed",
    "ClaimNotInType",
    "ClaimPathInvalid",
    "CredentialDiscarded",
    "CredentialHeld",
    "CredentialNotAnchored",
    "CredentialNotFound",
    "CredentialNotYetAnchored",
    "CredentialRevoked",
    "CredentialStatusUnknown",
    "CredentialSuspended",
    "CredentialTypeMismatch",
    "CredentialsHeld",
    "DuplicateCredential",
    "IssuanceError",
    "IssuerAgencyNotActive",
    "IssuerAgencyRemoved",
    "IssuerAgencySuspended",
    "IssuerKeyOwnerMismatch",
    "IssuerNotAccreditedAtAnchor",
    "IssuerNotActiveAtAnchor",
    "NonceReplayed",
    "NonceUnknown",
    "OutboxError",
    "OutboxSchemaMismatch",
    "PresentationMismatch",
    "RequestChainMismatch",
    "RequestError",
    "RequestExpired",
    "RequestMalformed",
    "RequestNotOurs",
    "RequestSignatureInvalid",
    "RequestedClaimMissing",
    "SigningKeyNotValidAtAnchor",
    "StatusListFull",
    "StatusReferenceInvalid",
    "UnknownCredentialType",
    "UnrequestedClaimsDisclosed",
    "VerifierNotAuthorized",
    "VerifierNotRegisteredForRequest",
]


class OutboxError(AgencyError):
    """The issuance outbox is unusable or was asked something inconsistent."""


class OutboxSchemaMismatch(OutboxError):
    """The outbox database was written by an incompatible schema version."""


class CredentialNotFound(OutboxError):
    """No credential with this id (or digest) is in the outbox."""


class DuplicateCredential(OutboxError):
    """A credential with this id or digest is already in the outbox."""


class BatchNotFound(OutboxError):
    """No batch with this id is in the outbox."""


class BatchStateError(OutboxError):
    """A batch transition was asked from a state that does not allow it."""


class CredentialNotYetAnchored(OutboxError):
    """The credential's anchor is not mined yet: it must not be handed out as valid."""


class CredentialHeld(CredentialNotYetAnchored):
    """The credential was signed, or its anchor attempted, while its agency was suspended: it is
    held until an operator anchors or discards it (`Issuer.anchor_held`, `discard_held`)."""


class CredentialDiscarded(CredentialNotYetAnchored):
    """An operator discarded the held credential: it is never anchored nor handed out."""


class StatusListFull(AgencyError):
    """The status list is filled past its allowed fraction; open a new list."""


# -- issuer: agency keys and issuance (ledger.agency.keys, ledger.agency.issuer) --


class AgencyKeyNotFound(AgencyError):
    """No agency account or signing key with this name / kid in the ledger home's keystores."""


class AgencyKeyExists(AgencyError):
    """An agency account or signing key with this name / kid already exists."""


class IssuanceError(AgencyError):
    """A credential could not be issued (unknown type, bad input, anchor not confirmed)."""


class CredentialsHeld(IssuanceError):
    """The agency is suspended: the credentials just signed are held in the outbox, not anchored,
    until an operator decides (`ledger --as AGENCY held anchor|discard`)."""

    def __init__(self, message: str, credential_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.credential_ids = credential_ids


class UnknownCredentialType(IssuanceError):
    """The `vct` is not registered in the CredentialTypeRegistry."""


class ClaimPathInvalid(AgencyError, ClaimPathError):
    """A request path (a type's claim name, a requested claim, a DCQL path) is not of the form
    `a.b`, `a[0]`, `a[*]`, `a.b[2].c` with plain identifiers (`ledger._claim_paths`)."""


class ClaimNotInType(AgencyError):
    """A requested claim is not one of the credential type's claim names."""


class VerifierNotRegisteredForRequest(AgencyError):
    """A verifier was asked to create a request for claims, a type or a purpose it is not
    registered for on chain now. Wallets refuse such a request, and a citizen who overrode
    hers would send her claims to an agency that may not be entitled to them, so the request
    is not made (`Verifier.create_request(..., unsafe_allow_unregistered=True)`: tests only)."""


class NonceUnknown(VerificationError):
    """The nonce was never issued by this verifier, or it has expired."""


class NonceReplayed(VerificationError):
    """The nonce was already consumed: the presentation is a replay."""


class RequestError(VerificationError):
    """A presentation request failed verification."""


class RequestMalformed(RequestError):
    """The presentation request document is not well formed (the message says what is wrong)."""


class RequestSignatureInvalid(RequestError):
    """The request's EIP-712 signature does not recover to its stated verifier."""


class RequestExpired(RequestError):
    """The presentation request is past its `expires_at` (or not yet valid)."""


class RequestChainMismatch(RequestError):
    """The request names another chain or VerifierRegistry than the one expected."""


class RequestNotOurs(RequestError):
    """The request was not made by this verifier (another verifier address, or not issued here)."""


# -- verifier: presentation against its request (ledger.agency.verifier) --


class PresentationMismatch(VerificationError):
    """Family: the presentation does not answer its request."""


class UnrequestedClaimsDisclosed(PresentationMismatch):
    """The presentation discloses claims the request did not ask for (never accepted silently)."""


class RequestedClaimMissing(PresentationMismatch):
    """A claim the request asked for is not in the presentation."""


class CredentialTypeMismatch(PresentationMismatch):
    """The presented credential's vct or type id is not the requested type."""


class IssuerKeyOwnerMismatch(UnknownIssuerKey):
    """The `kid` is registered on chain, but to another agency than the credential's `iss`."""


# -- verifier: chain checks (ledger.agency.chain_checks) --


class ChainCheckFailed(VerificationError):
    """Family: a check the chain answers (anchor, accreditation, key, status) failed."""


class StatusReferenceInvalid(ChainCheckFailed):
    """The credential's status URI names another registry, chain or agency than its issuer's."""


class CredentialNotAnchored(ChainCheckFailed):
    """The credential's digest (or its leaf under the given batch root) is not anchored."""


class AnchorIssuerMismatch(ChainCheckFailed):
    """The anchor was made by another agency than the credential's issuer."""


class AnchorTypeMismatch(ChainCheckFailed):
    """The anchor records another credential type than the credential's."""


class IssuerNotAccreditedAtAnchor(ChainCheckFailed):
    """The issuer was not accredited for the type (or not Active) when the anchor was mined."""


class IssuerNotActiveAtAnchor(IssuerNotAccreditedAtAnchor):
    """The issuing agency was suspended or removed at the anchor's time: in practice an anchor
    mined in the same second as the suspension or removal, a second the chain counts as
    suspended (the AnchorRegistry refuses anchors from an agency that is not Active)."""


class SigningKeyNotValidAtAnchor(ChainCheckFailed):
    """The signing key was not the issuer's valid key when the anchor was mined (e.g. the
    credential was anchored after the key was revoked: the stolen-key case)."""


class CredentialStatusUnknown(ChainCheckFailed):
    """The credential's status list or index does not exist on chain."""


class CredentialRevoked(ChainCheckFailed):
    """The credential is revoked."""


class CredentialSuspended(ChainCheckFailed):
    """The credential is suspended (it may be reinstated)."""


class IssuerAgencyNotActive(ChainCheckFailed):
    """The issuing agency is not Active now."""


class IssuerAgencySuspended(IssuerAgencyNotActive):
    """The issuing agency is suspended now."""


class IssuerAgencyRemoved(IssuerAgencyNotActive):
    """The issuing agency was removed from the network."""


class VerifierNotAuthorized(ChainCheckFailed):
    """The verifier is not registered for these claims of this type for this purpose."""
