"""Agency SDK building blocks: issuance outbox, status indexes, presentation requests, reports.

These modules do not talk to the chain themselves; the issuer and verifier modules tie them to
the typed chain client.
"""

from ledger.agency.claims import claim_mask, format_claim_path, parse_claim_path
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

__all__ = [
    "AnchorChain",
    "AnchorInclusion",
    "AnchorProof",
    "BroadcastOutcome",
    "CheckResult",
    "DeliveredCredential",
    "NonceStore",
    "Outbox",
    "PendingCredential",
    "PresentationRequest",
    "RecoveryReport",
    "ReportBuilder",
    "SealedBatch",
    "StatusIndexAllocator",
    "VerificationReport",
    "VerifiedRequest",
    "claim_mask",
    "create_request",
    "format_claim_path",
    "parse_claim_path",
    "verify_request_signature",
]
