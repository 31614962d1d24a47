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
