"""The citizen wallet: encrypted store, holder keys, disclosure history, backups.

Importing this package stays light (no web3, no eth-account): `wallet list` must cold-start fast.
`Wallet` imports the chain and agency layers only inside the calls that need them; the modules
that use them at import time (`holder`, `consent` with `ConsentPrompt`) are not imported here.
"""

from ledger.errors import (
    ConsentDeclined,
    NoMatchingCredential,
    PresentationRefused,
    VerifierNotRegistered,
    WalletImportRefused,
)
from ledger.wallet._crypto import DEFAULT_KDF, KdfParams
from ledger.wallet.backup import BackupInfo, export_backup, restore_backup
from ledger.wallet.home import wallet_home
from ledger.wallet.passphrase import PASSPHRASE_ENV, passphrase_from_env_or_prompt
from ledger.wallet.records import HistoryEntry, HolderKeyRecord, StoredCredential
from ledger.wallet.store import StoreCheck, WalletStore
from ledger.wallet.wallet import HOLDER_KEY_ID, CredentialView, Wallet

__all__ = [
    "DEFAULT_KDF",
    "HOLDER_KEY_ID",
    "PASSPHRASE_ENV",
    "BackupInfo",
    "ConsentDeclined",
    "CredentialView",
    "HistoryEntry",
    "HolderKeyRecord",
    "KdfParams",
    "NoMatchingCredential",
    "PresentationRefused",
    "StoreCheck",
    "StoredCredential",
    "VerifierNotRegistered",
    "Wallet",
    "WalletImportRefused",
    "WalletStore",
    "export_backup",
    "passphrase_from_env_or_prompt",
    "restore_backup",
    "wallet_home",
]
