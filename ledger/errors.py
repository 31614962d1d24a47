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


# ---------------------------------------------------------------------------------------------
# Wallet (store, backup, consent)
# ---------------------------------------------------------------------------------------------


class WalletError(LedgerError):
    """The citizen wallet refused or failed an operation."""
