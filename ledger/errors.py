"""Every exception the ledger raises.

One module, one base class (`LedgerError`), a few families, and specific classes under them.
Callers catch a family (`VerificationError`) or a precise class (`KeyBindingNonceMismatch`);
nothing in the SDK raises a bare ValueError for an expected failure.

Sections are owned by the layer that raises them; keep each class next to its siblings.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""


class ConfigError(LedgerError):
    """Bad configuration: a missing deployment record, a missing ledger home, a bad option."""


class InputError(LedgerError):
    """Input that is malformed before any check runs (a file that is not JSON, a bad path)."""


# ---------------------------------------------------------------------------------------------
# Credential format (SD-JWT, SD-JWT VC, KB-JWT, status lists)
# ---------------------------------------------------------------------------------------------


class VerificationError(LedgerError):
    """A credential, presentation or token failed verification."""


class CredentialFormatError(LedgerError):
    """An SD-JWT operation on the issuer or holder side was asked something impossible."""


class UnknownClaimPath(CredentialFormatError):
    """A claim path (`address.locality`, `nationalities[1]`) names nothing in the credential."""


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
    """A claim that must be plaintext (iss, iat, exp, nbf, vct, cnf, status) came from a disclosure."""


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


# ---------------------------------------------------------------------------------------------
# Chain (devnet, transactions, contract reverts)
# ---------------------------------------------------------------------------------------------


class ChainError(LedgerError):
    """Talking to the chain failed, or a contract call reverted."""


# ---------------------------------------------------------------------------------------------
# Agency SDK (issuer, outbox, verifier requests)
# ---------------------------------------------------------------------------------------------


class AgencyError(LedgerError):
    """An agency-side operation (issue, anchor, revoke, request) could not be done."""


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


class StatusListFull(AgencyError):
    """The status list is filled past its allowed fraction; open a new list."""


class ClaimPathInvalid(AgencyError):
    """A claim path string is not of the form `a.b`, `a[0]`, `a.b[2].c`."""


class ClaimNotInType(AgencyError):
    """A requested claim is not one of the credential type's claim names."""


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


# ---------------------------------------------------------------------------------------------
# Wallet (store, backup, consent)
# ---------------------------------------------------------------------------------------------


class WalletError(LedgerError):
    """The citizen wallet refused or failed an operation."""


# -- wallet store (ledger.wallet.store) --


class WalletNotFound(WalletError):
    """There is no wallet store in the given wallet home."""


class WalletAlreadyExists(WalletError):
    """A wallet store already exists where a new one was to be created or restored."""


class WrongWalletPassphrase(WalletError):
    """The passphrase does not unlock this wallet store."""


class WalletPassphraseInvalid(WalletError):
    """A passphrase was empty, or its confirmation did not match."""


class WalletStoreCorrupt(WalletError):
    """The wallet store file is not a readable wallet (truncated, garbage, unknown format)."""


class WalletStoreTampered(WalletError):
    """A record or the manifest of the wallet store was altered, swapped, deleted or rolled back."""


class WalletRecordNotFound(WalletError):
    """No record with this id (credential, key) in the wallet store."""


# -- wallet backup (ledger.wallet.backup) --


class WalletBackupError(WalletError):
    """A wallet backup file could not be written or restored."""


class WalletBackupInvalid(WalletBackupError):
    """The file is not a wallet backup, or its format version is not supported."""


class WrongBackupPassphrase(WalletBackupError):
    """The backup passphrase does not unlock this backup file."""


class WalletBackupTampered(WalletBackupError):
    """The backup's encrypted content fails its authentication tag: altered or damaged."""
