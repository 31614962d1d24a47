"""Typed results of chain calls: the contract suite's records as frozen dataclasses.

Field names are the Solidity struct members' names in snake case (`admittedAt` →
`admitted_at`), so `ledger.chain.named.record` builds them from a decoded struct by ABI name;
fields that are not struct members (the address or id a record was asked for) are passed in.
No I/O and no ABI machinery here: every layer may import this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from eth_utils.address import to_checksum_address

if TYPE_CHECKING:
    from ledger.chain.sender import Receipt
    from ledger.errors import ChainError

__all__ = [
    "ZERO32",
    "AccreditationInfo",
    "AgencyInfo",
    "AgencyStatus",
    "AnchorInfo",
    "CredentialStatus",
    "CredentialTypeInfo",
    "DataServiceInfo",
    "KeyInfo",
    "LegalBasis",
    "ProposalInfo",
    "ProposalOutcome",
    "ReceiptBatchInfo",
    "RequesterCheck",
    "StatusListInfo",
    "VerifierRegistration",
    "address_or_none",
    "checksum",
]

#: 32 zero bytes (an absent digest, root or purpose).
ZERO32 = bytes(32)


@lru_cache(maxsize=65536)
def checksum(raw: bytes) -> str | None:
    """EIP-55 form of a 20-byte address (None for zero), cached: checksumming costs a keccak."""
    return None if not any(raw) else to_checksum_address("0x" + raw.hex())


def address_or_none(value: str) -> str | None:
    """A decoded address, None for the zero address."""
    return None if int(value, 16) == 0 else to_checksum_address(value)


class AgencyStatus(IntEnum):
    """Agency status in the TrustRegistry."""

    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REMOVED = 3


class LegalBasis(StrEnum):
    """The legal basis of a verifier registration's purpose (GDPR Art. 6(1)), as the council set
    it. The values are those of `ledger.exchange.receipts.LegalBasis` (a StrEnum member equals
    its value, so the two compare equal); on chain it is `IVerifierRegistry.LegalBasis`, a
    uint8 in declaration order (`code`)."""

    CONSENT = "consent"  # (a): the citizen must have granted consent; the default
    LEGAL_OBLIGATION = "legal-obligation"  # (c)
    PUBLIC_TASK = "public-task"  # (e)

    @property
    def code(self) -> int:
        """The on-chain enum value (0, 1, 2)."""
        return _LEGAL_BASIS_ORDER.index(self)

    @classmethod
    def from_code(cls, code: int) -> LegalBasis:
        """The member of on-chain value `code`."""
        return _LEGAL_BASIS_ORDER[code]


_LEGAL_BASIS_ORDER: tuple[LegalBasis, ...] = tuple(LegalBasis)


class CredentialStatus(IntEnum):
    """Status-list values (IETF Token Status List)."""

    VALID = 0
    REVOKED = 1
    SUSPENDED = 2


@dataclass(frozen=True)
class AgencyInfo:
    """An agency record."""

    address: str
    status: AgencyStatus
    admitted_at: int
    suspended_since: int
    removed_at: int
    metadata_digest: bytes
    name: str


@dataclass(frozen=True)
class AccreditationInfo:
    """An accreditation grant (`granted_at == 0`: none)."""

    agency: str
    type_id: int
    valid_from: int
    valid_until: int
    withdrawn_at: int
    granted_at: int
    authority: bool
    delegated: bool
    parent: str | None

    @property
    def exists(self) -> bool:
        """Whether a grant was ever made."""
        return self.granted_at != 0


@dataclass(frozen=True)
class CredentialTypeInfo:
    """A registered credential type."""

    type_id: int
    vct: str
    claim_names: tuple[str, ...]
    claim_set_digest: bytes
    supersedes: int
    superseded_by: int
    registered_by: str
    registered_at: int

    def claim_mask(self, names: Sequence[str]) -> int:
        """The bit mask of `names` over this type's claim list (`KeyError` for an unknown name)."""
        mask = 0
        for name in names:
            if name not in self.claim_names:
                raise KeyError(name)
            mask |= 1 << self.claim_names.index(name)
        return mask


@dataclass(frozen=True)
class KeyInfo:
    """An agency signing key (`agency is None`: unknown kid)."""

    kid: bytes
    x: bytes
    y: bytes
    agency: str | None
    valid_from: int
    valid_until: int
    revoked_at: int


@dataclass(frozen=True)
class AnchorInfo:
    """An anchor record: a single digest (`count == 1`, not batch) or a batch root."""

    key: bytes
    issuer: str
    type_id: int
    anchored_at: int
    count: int
    is_batch: bool


@dataclass(frozen=True)
class StatusListInfo:
    """A status list's metadata."""

    agency: str
    list_id: int
    capacity: int
    created_at: int

    @property
    def words(self) -> int:
        """Number of 256-bit words (128 entries each)."""
        return self.capacity // 128


@dataclass(frozen=True)
class VerifierRegistration:
    """A verifier registration (`registered_at == 0`: none)."""

    verifier: str
    type_id: int
    purpose_digest: bytes
    claim_mask: int
    valid_from: int
    valid_until: int
    withdrawn_at: int
    registered_at: int
    legal_basis: LegalBasis

    def in_force_at(self, t: int) -> bool:
        """Registered, and at `t` inside its window and not withdrawn (the time test of
        `VerifierRegistry.isAuthorized`)."""
        if self.registered_at == 0 or t < self.valid_from:
            return False
        if self.valid_until != 0 and t >= self.valid_until:
            return False
        return self.withdrawn_at == 0 or t < self.withdrawn_at


@dataclass(frozen=True)
class RequesterCheck:
    """The one chain read of a data source per query (`VerifierRegistry.requesterCheck`), at
    the block's time: the requester's agency status; whether its registration for the type and
    purpose is in force (`registered`); whether the claims asked are a non-empty subset of the
    registered ones (`covered`); whether it is authorised (all of it, and Active); and the
    legal basis the council set (CONSENT when there is no registration). The parts let a source
    give each refusal its own reason: not an agency or removed, suspended, wrong purpose,
    over-asking."""

    status: AgencyStatus
    registered: bool
    covered: bool
    authorised: bool
    legal_basis: LegalBasis

    @property
    def active(self) -> bool:
        """Whether the requester is an Active agency."""
        return self.status is AgencyStatus.ACTIVE


@dataclass(frozen=True)
class ReceiptBatchInfo:
    """A source's anchored batch of access receipts (`ReceiptRegistry.batchOf`)."""

    source: str
    batch_no: int
    root: bytes
    count: int
    anchored_at: int


@dataclass(frozen=True)
class DataServiceInfo:
    """The data service published for a credential type (`DataServiceDirectory.serviceOf`).

    `current`: its agency may anchor the type now (Active and accredited); a requester uses the
    service only while it is current."""

    type_id: int
    agency: str
    url: str
    published_at: int
    current: bool


@dataclass(frozen=True)
class ProposalInfo:
    """A council proposal.

    `votes` counts the votes of current members (once executed: the votes it executed with);
    `executable`: open, unexpired and at the threshold now, so any member may `execute` it;
    `failed_block`: the block of its last failed execution in a vote, 0 if none (the reason:
    `LedgerChain.council.execution_failure`).
    """

    proposal_id: int
    target: str
    proposer: str
    created_at: int
    expires_at: int
    votes: int
    executed: bool
    executable: bool
    failed_block: int
    data: bytes


@dataclass(frozen=True)
class ProposalOutcome:
    """Result of a propose, vote or execute transaction.

    `execution_error` is set when the vote reached the threshold but the proposal's call
    reverted: the decoded inner error (e.g. `TrustRegistryAgencyExists`). The vote still counts
    and the proposal stays open (`LedgerChain.council.execute` retries it).
    """

    proposal_id: int
    executed: bool
    votes: int
    receipt: Receipt
    execution_error: ChainError | None = None
