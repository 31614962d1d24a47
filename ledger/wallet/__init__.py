"""The citizen wallet: encrypted store, holder keys, disclosure history, backups.

Importing this package stays light (no web3, no eth-account): `wallet list` must cold-start fast.
"""

from ledger.wallet._crypto import DEFAULT_KDF, KdfParams
from ledger.wallet.backup import BackupInfo, export_backup, restore_backup
from ledger.wallet.home import wallet_home
from ledger.wallet.passphrase import PASSPHRASE_ENV, passphrase_from_env_or_prompt
from ledger.wallet.records import HistoryEntry, HolderKeyRecord, StoredCredential
from ledger.wallet.store import StoreCheck, WalletStore

__all__ = [
    "DEFAULT_KDF",
    "PASSPHRASE_ENV",
    "BackupInfo",
    "HistoryEntry",
    "HolderKeyRecord",
    "KdfParams",
    "StoreCheck",
    "StoredCredential",
    "WalletStore",
    "export_backup",
    "passphrase_from_env_or_prompt",
    "restore_backup",
    "wallet_home",
]
