"""The VerifierRegistry: which claims of which type a verifier may request, for which purpose,
on which legal basis.

Attached as `LedgerChain.verifiers`. The council registers and withdraws verifiers
(`CouncilActions.register_verifier`, with the purpose's `LegalBasis`: CONSENT unless given).
A data source asked for data makes one read per query: `requester_check`.
"""

from __future__ import annotations

from eth_utils.address import to_checksum_address

from ledger.chain.core import ContractClient
from ledger.chain.named import record
from ledger.chain.records import (
    AgencyStatus,
    LegalBasis,
    RequesterCheck,
    VerifierRegistration,
)

__all__ = ["VerifierRegistry"]


class VerifierRegistry(ContractClient):
    """Typed client of the VerifierRegistry contract."""

    CONTRACT = "VerifierRegistry"

    def registration(
        self, verifier: str, type_id: int, purpose_digest: bytes
    ) -> VerifierRegistration:
        """A registration (`registered_at == 0`: none)."""
        tree = self._struct("registrationOf", [verifier, type_id, purpose_digest])
        return record(
            VerifierRegistration,
            tree,
            verifier=to_checksum_address(verifier),
            type_id=type_id,
            purpose_digest=purpose_digest,
            legal_basis=LegalBasis.from_code(tree["legalBasis"]),
        )

    def is_authorized(
        self, verifier: str, type_id: int, purpose_digest: bytes, claim_mask: int, t: int
    ) -> bool:
        """Whether `verifier` may request `claim_mask` of `type_id` for the purpose at `t`."""
        args = [verifier, type_id, purpose_digest, claim_mask, t]
        return bool(self._view("isAuthorized", args))

    def requester_check(
        self, requester: str, type_id: int, claim_mask: int, purpose_digest: bytes
    ) -> RequesterCheck:
        """The one read a data source makes per query, at the latest block's time: the
        requester's status, whether its registration for the type and purpose is in force and
        covers `claim_mask`, whether it is authorised, and the purpose's legal basis (CONSENT
        when not registered); see `RequesterCheck`."""
        tree = self._core.named(
            self.CONTRACT, "requesterCheck", [requester, type_id, claim_mask, purpose_digest]
        )
        return RequesterCheck(
            status=AgencyStatus(tree["status"]),
            registered=bool(tree["registered"]),
            covered=bool(tree["covered"]),
            authorised=bool(tree["authorised"]),
            legal_basis=LegalBasis.from_code(tree["legalBasis"]),
        )
