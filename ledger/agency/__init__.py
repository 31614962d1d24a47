"""Agency SDK building blocks: issuance outbox, status indexes, presentation requests, reports.

These modules do not talk to the chain themselves; the issuer and verifier modules tie them to
the typed chain client. Those (and the keyring, the anchoring adapter and the credential
packages) load on first use: `from ledger.agency import Issuer` works without making every
importer of the building blocks pay for web3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger._claim_paths import format_claim_path, parse_claim_path
from ledger._lazy import lazy_exports
from ledger.agency.claims import claim_mask
from ledger.agency.nonces import NonceStore
from ledger.agency.outbox import (
    AnchorChain,
    AnchorInclusion,
    AnchorProof,
    BroadcastOutcome,
    DeliveredCredential,
    Outbox,
    PendingCredential,
    RecoveryReport,
    SealedBatch,
)
from ledger.agency.report import CheckResult, ReportBuilder, VerificationReport
from ledger.agency.request import (
    PresentationRequest,
    VerifiedRequest,
    create_request,
    verify_request_signature,
)
from ledger.agency.status_alloc import StatusIndexAllocator

if TYPE_CHECKING:
    from ledger.agency.anchoring import LedgerAnchorChain
    from ledger.agency.issuer import Issuer, IssueRequest
    from ledger.agency.keys import AgencyKeyring
    from ledger.agency.packages import CredentialPackage, PresentationPackage
    from ledger.agency.verifier import VerifiedCredentialPresentation, Verifier

_LAZY = {
    "AgencyKeyring": "ledger.agency.keys",
    "CredentialPackage": "ledger.agency.packages",
    "IssueRequest": "ledger.agency.issuer",
    "Issuer": "ledger.agency.issuer",
    "LedgerAnchorChain": "ledger.agency.anchoring",
    "PresentationPackage": "ledger.agency.packages",
    "VerifiedCredentialPresentation": "ledger.agency.verifier",
    "Verifier": "ledger.agency.verifier",
}

__all__ = [
    "AgencyKeyring",
    "AnchorChain",
    "AnchorInclusion",
    "AnchorProof",
    "BroadcastOutcome",
    "CheckResult",
    "CredentialPackage",
    "DeliveredCredential",
    "IssueRequest",
    "Issuer",
    "LedgerAnchorChain",
    "NonceStore",
    "Outbox",
    "PendingCredential",
    "PresentationPackage",
    "PresentationRequest",
    "RecoveryReport",
    "ReportBuilder",
    "SealedBatch",
    "StatusIndexAllocator",
    "VerificationReport",
    "VerifiedCredentialPresentation",
    "VerifiedRequest",
    "Verifier",
    "claim_mask",
    "create_request",
    "format_claim_path",
    "parse_claim_path",
    "verify_request_signature",
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
