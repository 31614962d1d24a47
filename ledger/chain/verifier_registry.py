"""The VerifierRegistry: which claims of which type a verifier may request, for which purpose.

Attached as `LedgerChain.verifiers`. The council registers and withdraws verifiers
(`CouncilActions.register_verifier`).
"""

from __future__ import annotations

from eth_utils.address import to_checksum_address

from ledger.chain.core import ContractClient
from ledger.chain.records import VerifierRegistration

__all__ = ["VerifierRegistry"]


class VerifierRegistry(ContractClient):
    """Typed client of the VerifierRegistry contract."""

    CONTRACT = "VerifierRegistry"

    def registration(
        self, verifier: str, type_id: int, purpose_digest: bytes
    ) -> VerifierRegistration:
        """A registration (`registered_at == 0`: none)."""
        return self._record(
            VerifierRegistration,
            "registrationOf",
            [verifier, type_id, purpose_digest],
            verifier=to_checksum_address(verifier),
            type_id=type_id,
            purpose_digest=purpose_digest,
        )

    def is_authorized(
        self, verifier: str, type_id: int, purpose_digest: bytes, claim_mask: int, t: int
    ) -> bool:
        """Whether `verifier` may request `claim_mask` of `type_id` for the purpose at `t`."""
        args = [verifier, type_id, purpose_digest, claim_mask, t]
        return bool(self._view("isAuthorized", args))
