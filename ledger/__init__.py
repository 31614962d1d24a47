"""Identity ledger: SD-JWT VC credentials anchored and governed on an Ethereum chain."""

from ledger.errors import (
    AgencyError,
    ChainError,
    ConfigError,
    InputError,
    LedgerError,
    VerificationError,
    WalletError,
)

__version__ = "0.1.0"

__all__ = [
    "AgencyError",
    "ChainError",
    "ConfigError",
    "InputError",
    "LedgerError",
    "VerificationError",
    "WalletError",
    "__version__",
]
