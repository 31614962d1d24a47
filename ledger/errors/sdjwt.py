"""Credential format errors (SD-JWT, SD-JWT VC, KB-JWT, status lists): `ledger.sdjwt`."""

from __future__ import annotations

from ledger.errors._base import ClaimPathError, LedgerError, VerificationError

__all__ = [
    "ClaimNameCollision",
    "CredentialExpired",
    "CredentialFormatError",
    "CredentialNotYetValid",
    "DuplicateDigest",
    "HolderKeyMismatch",
    "InvalidClaims",
    "InvalidJwk",
    "InvalidSdStructure",
    "InvalidSignature",
    "IssuedInFuture",
    "KeyBindingAudienceMismatch",
    "KeyBindingError",
    "KeyBindingExpired",
    "KeyBindingFromFuture",
    "KeyBindingMissing",
    "KeyBindingNonceMismatch",
    "KeyBindingSdHashMismatch",
    "KeyBindingSignatureInvalid",
    "MalformedDisclosure",
    "MalformedSerialization",
    "MissingClaim",
    "OversizedInput",
    "ProtectedClaimDisclosed",
    "ReservedClaimName",
    "StatusListError",
    "UnexpectedTokenType",
    "UnknownClaimPath",
    "UnknownIssuerKey",
    "UnreferencedDisclosure",
    "UnsupportedAlgorithm",
    "UnsupportedSdAlgorithm",
]


class CredentialFormatError(LedgerError):
    """An SD-JWT operation on the issuer or holder side was asked something impossible."""


class UnknownClaimPath(CredentialFormatError, ClaimPathError):
    """A credential path (`address.locality`, `nationalities[1]`) is malformed or names nothing
    in the credential (`ledger._claim_paths.parse_path`)."""


class InvalidClaims(CredentialFormatError):
    """Claims handed to the issuer cannot be issued (reserved names, non-JSON values)."""


class OversizedInput(VerificationError):
    """The input is larger than the configured limit; refused before parsing."""


class MalformedSerialization(VerificationError):
    """Not a well-formed compact SD-JWT / JWS (bad separators, base64url or JSON)."""


class MalformedDisclosure(VerificationError):
    """A disclosure is not a base64url JSON array of the right shape, or of the wrong kind."""


class InvalidJwk(VerificationError):
    """A JWK is malformed, of an unsupported type or curve, or not a point on the curve."""


class InvalidSignature(VerificationError):
    """The issuer's signature does not verify with the issuer's key."""


class UnexpectedTokenType(VerificationError):
    """The JOSE header `typ` is missing or not the one this token must carry."""


class UnsupportedAlgorithm(VerificationError):
    """The JOSE header `alg` is not on the allow-list (`none` never is) or does not fit the key."""


class UnsupportedSdAlgorithm(VerificationError):
    """The `_sd_alg` hash algorithm is not supported."""


class UnreferencedDisclosure(VerificationError):
    """A presented disclosure's digest appears nowhere in the signed payload."""


class ReservedClaimName(VerificationError):
    """A disclosure names a claim `_sd` or `...`."""


class ProtectedClaimDisclosed(VerificationError):
    """A claim that must stay plaintext (iss, nbf, exp, cnf, vct, vct#integrity, status), or a
    part of one, was disclosed."""


class ClaimNameCollision(VerificationError):
    """A disclosed claim name is already present in the same object."""


class DuplicateDigest(VerificationError):
    """A digest (or a disclosure) appears more than once."""


class InvalidSdStructure(VerificationError):
    """The signed payload's SD structure is malformed (`_sd` not a list of strings, bad `...`)."""


class MissingClaim(VerificationError):
    """A claim the profile requires (iss, vct, cnf, iat ...) is missing or of the wrong type."""


class CredentialExpired(VerificationError):
    """`exp` is in the past (beyond the allowed clock skew)."""


class CredentialNotYetValid(VerificationError):
    """`nbf` is in the future (beyond the allowed clock skew)."""


class IssuedInFuture(VerificationError):
    """`iat` is in the future (beyond the allowed clock skew)."""


class HolderKeyMismatch(VerificationError):
    """The credential's `cnf` key is not the holder key the wallet expected."""


class UnknownIssuerKey(VerificationError):
    """No issuer key could be resolved for this `kid` / `iss` (raised by key resolvers)."""


class KeyBindingError(VerificationError):
    """Family: the Key Binding JWT failed a check."""


class KeyBindingMissing(KeyBindingError):
    """Key binding is required but the presentation carries no KB-JWT."""


class KeyBindingSignatureInvalid(KeyBindingError):
    """The KB-JWT is not signed by the key in the credential's `cnf`."""


class KeyBindingExpired(KeyBindingError):
    """The KB-JWT `iat` is older than the allowed age."""


class KeyBindingFromFuture(KeyBindingError):
    """The KB-JWT `iat` is in the future (beyond the allowed clock skew)."""


class KeyBindingAudienceMismatch(KeyBindingError):
    """The KB-JWT `aud` is not the verifier's expected audience."""


class KeyBindingNonceMismatch(KeyBindingError):
    """The KB-JWT `nonce` is not the verifier's expected nonce."""


class KeyBindingSdHashMismatch(KeyBindingError):
    """The KB-JWT `sd_hash` does not match the presented SD-JWT."""


class StatusListError(VerificationError):
    """A status list or Status List Token is malformed, or an index is out of range."""
