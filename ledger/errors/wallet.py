"""Citizen wallet errors: store, backup, and the citizen's refusals (`ledger.wallet`)."""

from __future__ import annotations

from ledger.errors._base import WalletError

__all__ = [
    "ConsentDeclined",
    "NoMatchingCredential",
    "PresentationRefused",
    "VerifierNotRegistered",
    "WalletAlreadyExists",
    "WalletBackupError",
    "WalletBackupInvalid",
    "WalletBackupTampered",
    "WalletHeaderDamaged",
    "WalletHomeUnusable",
    "WalletImportRefused",
    "WalletNotFound",
    "WalletPassphraseInvalid",
    "WalletRecordNotFound",
    "WalletStoreCorrupt",
    "WalletStoreDamaged",
    "WalletStoreTampered",
    "WrongBackupPassphrase",
    "WrongWalletPassphrase",
]


# -- wallet store (ledger.wallet.store) --


class WalletNotFound(WalletError):
    """There is no wallet store in the given wallet home."""


class WalletAlreadyExists(WalletError):
    """A wallet store already exists where a new one was to be created or restored."""


class WalletHomeUnusable(WalletError):
    """The wallet home cannot be created or written (missing parent, no permission, read-only)."""


class WrongWalletPassphrase(WalletError):
    """The passphrase does not unlock this wallet store."""


class WalletPassphraseInvalid(WalletError):
    """A passphrase was empty, or its confirmation did not match."""


class WalletStoreDamaged(WalletError):
    """Family: the wallet store file is damaged or was altered outside the wallet, so the right
    passphrase does not open it (never reported as a wrong passphrase). A backup brings its
    content back (`wallet restore`)."""


class WalletStoreCorrupt(WalletStoreDamaged):
    """The wallet store file is not a readable wallet (truncated, garbage, unknown format)."""


class WalletHeaderDamaged(WalletStoreCorrupt):
    """The store's header (store id, salt, KDF parameters, passphrase check) fails its checksum:
    no passphrase can unlock the store, and it is not blamed on the passphrase."""


class WalletStoreTampered(WalletStoreDamaged):
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


# -- citizen refusals (ledger.wallet.holder, ledger.wallet.consent) --


class WalletImportRefused(WalletError):
    """The wallet refused to store a credential: `reason` says why in words, `check` names the
    failed check (``signature``, ``holder_key``, ``anchor``, ``status`` ...) and `cause` is the
    underlying error when there is one (also chained as ``__cause__``)."""

    def __init__(self, check: str, reason: str, cause: BaseException | None = None) -> None:
        detail = f" ({type(cause).__name__}: {cause})" if cause is not None and str(cause) else ""
        super().__init__(f"refused to import the credential: {reason}{detail}")
        self.check = check
        self.reason = reason
        self.cause = cause


class PresentationRefused(WalletError):
    """The wallet will not answer this presentation request; the message says why."""


class VerifierNotRegistered(PresentationRefused):
    """The requesting verifier is not registered on chain (as an Active agency) for these claims
    of this credential type for this purpose. Overridable only with `unsafe_allow_unregistered`."""

    def __init__(self, reason: str, *, verifier: str, type_id: int, purpose: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.verifier = verifier
        self.type_id = type_id
        self.purpose = purpose


class NoMatchingCredential(PresentationRefused):
    """The wallet holds no usable credential (type, claims, validity, status) for the request."""


class ConsentDeclined(WalletError):
    """The citizen did not consent: nothing was disclosed."""
