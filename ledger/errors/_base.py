"""The base class and the families of every error the ledger raises.

`LedgerError` is the base; callers catch a family (`VerificationError`, `ChainError`,
`WalletError` ...) or a precise class from the layer modules beside this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a leaf module; only the annotation needs it (`import ledger` stays lean)
    from ledger.report import VerificationReport

__all__ = [
    "AgencyError",
    "ChainError",
    "ClaimPathError",
    "ConfigError",
    "InputError",
    "LedgerError",
    "StorageError",
    "StorageFull",
    "VerificationError",
    "WalletError",
]


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""


class ConfigError(LedgerError):
    """Bad configuration: a missing deployment record, a missing ledger home, a bad option."""


class InputError(LedgerError):
    """Input that is malformed before any check runs (a file that is not JSON, a bad path)."""


class StorageError(LedgerError):
    """A file the ledger keeps (wallet store, outbox) could not be written or read: an I/O error
    or a read-only file system. The message names the file. What was committed before stays."""


class StorageFull(StorageError):
    """No room to write a file the ledger keeps: the disk, or this process's file size limit,
    is full. Free some space and retry; what was committed before stays."""


class ClaimPathError(LedgerError):
    """Family: a claim path (`address.locality`, `nationalities[1]`, `nationalities[*]`) is
    malformed or names nothing where it is used; the grammar is `ledger._claim_paths`.
    `UnknownClaimPath` (credential paths, `ledger.sdjwt`) and `ClaimPathInvalid` (request
    paths: types, requests, DCQL) are its classes."""


class VerificationError(LedgerError):
    """A credential, presentation or token failed verification.

    ``report``: raised by `ledger.agency.Verifier.verify` (or held in a ``verify_batch`` slot),
    the report of every check up to the failed one; None when raised elsewhere.
    """

    report: VerificationReport | None = None


class ChainError(LedgerError):
    """Talking to the chain failed, or a contract call reverted."""


class AgencyError(LedgerError):
    """An agency-side operation (issue, anchor, revoke, request) could not be done."""


class WalletError(LedgerError):
    """The citizen wallet refused or failed an operation."""
