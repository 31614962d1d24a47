"""Identity ledger: SD-JWT VC credentials anchored and governed on an Ethereum chain.

The SDK's main classes are importable from here (`from ledger import Issuer, Verifier`); they
load on first use, so `import ledger` stays cheap for the wallet CLI, which never needs web3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger._lazy import lazy_exports
from ledger.errors import (
    AgencyError,
    ChainError,
    ConfigError,
    InputError,
    LedgerError,
    StorageError,
    VerificationError,
    WalletError,
)

if TYPE_CHECKING:
    from ledger.agency.issuer import Issuer, IssueRequest
    from ledger.agency.keys import AgencyKeyring
    from ledger.agency.packages import CredentialPackage, PresentationPackage
    from ledger.agency.request import PresentationRequest
    from ledger.agency.verifier import VerifiedCredentialPresentation, Verifier
    from ledger.chain.client import LedgerChain
    from ledger.chain.deploy import Deployment
    from ledger.chain.rpc import Rpc
    from ledger.network import NetworkConfig, resolve_network
    from ledger.wallet.wallet import Wallet

__version__ = "0.1.0"

_LAZY = {
    "AgencyKeyring": "ledger.agency.keys",
    "CredentialPackage": "ledger.agency.packages",
    "Deployment": "ledger.chain.deploy",
    "IssueRequest": "ledger.agency.issuer",
    "Issuer": "ledger.agency.issuer",
    "LedgerChain": "ledger.chain.client",
    "NetworkConfig": "ledger.network",
    "PresentationPackage": "ledger.agency.packages",
    "PresentationRequest": "ledger.agency.request",
    "Rpc": "ledger.chain.rpc",
    "VerifiedCredentialPresentation": "ledger.agency.verifier",
    "Verifier": "ledger.agency.verifier",
    "Wallet": "ledger.wallet.wallet",
    "resolve_network": "ledger.network",
}

__all__ = [
    "AgencyError",
    "AgencyKeyring",
    "ChainError",
    "ConfigError",
    "CredentialPackage",
    "Deployment",
    "InputError",
    "IssueRequest",
    "Issuer",
    "LedgerChain",
    "LedgerError",
    "NetworkConfig",
    "PresentationPackage",
    "PresentationRequest",
    "Rpc",
    "StorageError",
    "VerificationError",
    "VerifiedCredentialPresentation",
    "Verifier",
    "Wallet",
    "WalletError",
    "__version__",
    "resolve_network",
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
