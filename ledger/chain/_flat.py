"""The flat method names `LedgerChain` had before it attached per-contract clients.

Each is a one-line delegate to the per-contract client that owns the operation
(`chain.agency(a)` is `chain.trust.agency(a)`), kept so that every caller keeps working; new
code uses the per-contract clients (`chain.council`, `chain.trust`, `chain.types`,
`chain.keys`, `chain.anchors`, `chain.status`, `chain.verifiers`, `chain.lens`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.chain.anchor_registry import AnchorRegistry
    from ledger.chain.council import Council, CouncilAction
    from ledger.chain.key_registry import KeyRegistry
    from ledger.chain.lens import CheckRequest, CredentialCheck, Lens
    from ledger.chain.possession import PossessionProof
    from ledger.chain.records import (
        AccreditationInfo,
        AgencyInfo,
        AgencyStatus,
        AnchorInfo,
        CredentialStatus,
        CredentialTypeInfo,
        KeyInfo,
        ProposalInfo,
        ProposalOutcome,
        StatusListInfo,
        VerifierRegistration,
    )
    from ledger.chain.sender import Receipt, TxRequest
    from ledger.chain.status_registry import StatusRegistry
    from ledger.chain.trust_registry import TrustRegistry
    from ledger.chain.type_registry import TypeRegistry
    from ledger.chain.verifier_registry import VerifierRegistry
    from ledger.errors import ChainError
    from ledger.sdjwt.jwk import SigningKey

__all__ = ["FlatMethods"]


class FlatMethods:
    """The pre-split flat API of `LedgerChain`, delegating to its per-contract clients."""

    council: Council
    trust: TrustRegistry
    types: TypeRegistry
    keys: KeyRegistry
    anchors: AnchorRegistry
    status: StatusRegistry
    verifiers: VerifierRegistry
    lens: Lens

    # -- council (Council) -----------------------------------------------------

    def dry_run(self, action: CouncilAction) -> ChainError | None:
        """`council.dry_run`."""
        return self.council.dry_run(action)

    def propose(self, action: CouncilAction) -> ProposalOutcome:
        """`council.propose`."""
        return self.council.propose(action)

    def vote(self, proposal_id: int) -> ProposalOutcome:
        """`council.vote`."""
        return self.council.vote(proposal_id)

    def execute(self, proposal_id: int) -> ProposalOutcome:
        """`council.execute`."""
        return self.council.execute(proposal_id)

    def execution_failure(self, proposal_id: int) -> ChainError | None:
        """`council.execution_failure`."""
        return self.council.execution_failure(proposal_id)

    def sign_vote(self, proposal_id: int, deadline: int) -> bytes:
        """`council.sign_vote`."""
        return self.council.sign_vote(proposal_id, deadline)

    def vote_by_sig(
        self, proposal_id: int, member: str, deadline: int, signature: bytes
    ) -> ProposalOutcome:
        """`council.vote_by_sig`."""
        return self.council.vote_by_sig(proposal_id, member, deadline, signature)

    def vote_nonce(self, member: str) -> int:
        """`council.vote_nonce`."""
        return self.council.vote_nonce(member)

    def proposal(self, proposal_id: int) -> ProposalInfo:
        """`council.proposal`."""
        return self.council.proposal(proposal_id)

    def has_voted(self, proposal_id: int, member: str) -> bool:
        """`council.has_voted`."""
        return self.council.has_voted(proposal_id, member)

    def council_members(self) -> list[str]:
        """`council.members`."""
        return self.council.members()

    def is_council_member(self, account: str) -> bool:
        """`council.is_member`."""
        return self.council.is_member(account)

    def proposal_count(self) -> int:
        """`council.proposal_count`."""
        return self.council.proposal_count()

    def council_threshold(self) -> int:
        """`council.threshold`."""
        return self.council.threshold()

    def proposal_lifetime(self) -> int:
        """`council.proposal_lifetime`."""
        return self.council.proposal_lifetime()

    # -- trust (TrustRegistry) -------------------------------------------------

    def agency(self, agency: str) -> AgencyInfo:
        """`trust.agency`."""
        return self.trust.agency(agency)

    def agency_status(self, agency: str) -> AgencyStatus:
        """`trust.agency_status`."""
        return self.trust.agency_status(agency)

    def can_anchor(self, agency: str, type_id: int) -> bool:
        """`trust.can_anchor`."""
        return self.trust.can_anchor(agency, type_id)

    def is_accredited_at(self, agency: str, type_id: int, t: int) -> bool:
        """`trust.is_accredited_at`."""
        return self.trust.is_accredited_at(agency, type_id, t)

    def is_authority(self, agency: str, type_id: int) -> bool:
        """`trust.is_authority`."""
        return self.trust.is_authority(agency, type_id)

    def is_agency_active_at(self, agency: str, t: int) -> bool:
        """`trust.is_agency_active_at`."""
        return self.trust.is_agency_active_at(agency, t)

    def accreditation(self, agency: str, type_id: int) -> AccreditationInfo:
        """`trust.accreditation`."""
        return self.trust.accreditation(agency, type_id)

    def accreditation_history(self, agency: str, type_id: int) -> list[AccreditationInfo]:
        """`trust.accreditation_history`."""
        return self.trust.accreditation_history(agency, type_id)

    def sub_accredit_tx(
        self, agency: str, type_id: int, *, valid_from: int = 0, valid_until: int = 0
    ) -> TxRequest:
        """`trust.sub_accredit_tx`."""
        return self.trust.sub_accredit_tx(
            agency, type_id, valid_from=valid_from, valid_until=valid_until
        )

    def sub_accredit(
        self, agency: str, type_id: int, *, valid_from: int = 0, valid_until: int = 0
    ) -> Receipt:
        """`trust.sub_accredit`."""
        return self.trust.sub_accredit(
            agency, type_id, valid_from=valid_from, valid_until=valid_until
        )

    def withdraw_sub_accreditation(self, agency: str, type_id: int) -> Receipt:
        """`trust.withdraw_sub_accreditation`."""
        return self.trust.withdraw_sub_accreditation(agency, type_id)

    # -- types (TypeRegistry) --------------------------------------------------

    def register_type(self, vct: str, claim_names: Sequence[str], supersedes: int) -> int:
        """`types.register_type`."""
        return self.types.register_type(vct, claim_names, supersedes)

    def type_id_of(self, vct: str) -> int:
        """`types.type_id_of`."""
        return self.types.type_id_of(vct)

    def credential_type(self, type_id: int) -> CredentialTypeInfo:
        """`types.credential_type`."""
        return self.types.credential_type(type_id)

    def type_count(self) -> int:
        """`types.type_count`."""
        return self.types.type_count()

    # -- keys (KeyRegistry) ----------------------------------------------------

    def prove_possession(self, key: SigningKey) -> PossessionProof:
        """`keys.prove_possession`."""
        return self.keys.prove_possession(key)

    def register_key_tx(
        self, proof: PossessionProof, *, valid_from: int = 0, valid_until: int = 0
    ) -> TxRequest:
        """`keys.register_key_tx`."""
        return self.keys.register_key_tx(proof, valid_from=valid_from, valid_until=valid_until)

    def register_key(
        self, key: SigningKey, *, valid_from: int = 0, valid_until: int = 0
    ) -> Receipt:
        """`keys.register_key`."""
        return self.keys.register_key(key, valid_from=valid_from, valid_until=valid_until)

    def rotate_key(self, old_kid: bytes, key: SigningKey, *, valid_until: int = 0) -> Receipt:
        """`keys.rotate_key`."""
        return self.keys.rotate_key(old_kid, key, valid_until=valid_until)

    def revoke_key(self, kid: bytes) -> Receipt:
        """`keys.revoke_key`."""
        return self.keys.revoke_key(kid)

    def key(self, kid: bytes) -> KeyInfo:
        """`keys.key`."""
        return self.keys.key(kid)

    def is_key_valid_at(self, kid: bytes, agency: str, t: int) -> bool:
        """`keys.is_key_valid_at`."""
        return self.keys.is_key_valid_at(kid, agency, t)

    # -- anchors (AnchorRegistry) ----------------------------------------------

    def anchor_tx(self, digest: bytes, type_id: int, gas: int | None = None) -> TxRequest:
        """`anchors.anchor_tx`."""
        return self.anchors.anchor_tx(digest, type_id, gas)

    def anchor(self, digest: bytes, type_id: int) -> Receipt:
        """`anchors.anchor`."""
        return self.anchors.anchor(digest, type_id)

    def anchor_batch_tx(
        self, root: bytes, type_id: int, count: int, gas: int | None = None
    ) -> TxRequest:
        """`anchors.anchor_batch_tx`."""
        return self.anchors.anchor_batch_tx(root, type_id, count, gas)

    def anchor_batch(self, root: bytes, type_id: int, count: int) -> Receipt:
        """`anchors.anchor_batch`."""
        return self.anchors.anchor_batch(root, type_id, count)

    def anchor_of(self, issuer: str, digest: bytes) -> AnchorInfo | None:
        """`anchors.anchor_of`."""
        return self.anchors.anchor_of(issuer, digest)

    def batch_of(self, issuer: str, root: bytes) -> AnchorInfo | None:
        """`anchors.batch_of`."""
        return self.anchors.batch_of(issuer, root)

    def inclusion_of(
        self, issuer: str, root: bytes, proof: Sequence[bytes], digest: bytes
    ) -> AnchorInfo | None:
        """`anchors.inclusion_of`."""
        return self.anchors.inclusion_of(issuer, root, proof, digest)

    def verify_inclusion(
        self, issuer: str, root: bytes, proof: Sequence[bytes], digest: bytes
    ) -> bool:
        """`anchors.verify_inclusion`."""
        return self.anchors.verify_inclusion(issuer, root, proof, digest)

    # -- status (StatusRegistry) -----------------------------------------------

    def create_status_list(self, list_id: int, capacity: int) -> Receipt:
        """`status.create_status_list`."""
        return self.status.create_status_list(list_id, capacity)

    def set_status_tx(
        self, list_id: int, index: int, status: int, gas: int | None = None
    ) -> TxRequest:
        """`status.set_status_tx`."""
        return self.status.set_status_tx(list_id, index, status, gas)

    def set_status(self, list_id: int, index: int, status: int) -> Receipt:
        """`status.set_status`."""
        return self.status.set_status(list_id, index, status)

    def set_statuses_tx(
        self, list_id: int, indexes: Sequence[int], status: int, gas: int | None = None
    ) -> TxRequest:
        """`status.set_statuses_tx`."""
        return self.status.set_statuses_tx(list_id, indexes, status, gas)

    def set_statuses(self, list_id: int, indexes: Sequence[int], status: int) -> Receipt:
        """`status.set_statuses`."""
        return self.status.set_statuses(list_id, indexes, status)

    def status_of(self, agency: str, list_id: int, index: int) -> CredentialStatus:
        """`status.status_of`."""
        return self.status.status_of(agency, list_id, index)

    def statuses_of(
        self, agency: str, entries: Sequence[tuple[int, int]]
    ) -> list[CredentialStatus]:
        """`status.statuses_of`."""
        return self.status.statuses_of(agency, entries)

    def status_words(self, agency: str, list_id: int, from_word: int, count: int) -> list[int]:
        """`status.status_words`."""
        return self.status.status_words(agency, list_id, from_word, count)

    def status_list(self, agency: str, list_id: int) -> StatusListInfo | None:
        """`status.status_list`."""
        return self.status.status_list(agency, list_id)

    # -- verifiers (VerifierRegistry) ------------------------------------------

    def verifier_registration(
        self, verifier: str, type_id: int, purpose_digest: bytes
    ) -> VerifierRegistration:
        """`verifiers.registration`."""
        return self.verifiers.registration(verifier, type_id, purpose_digest)

    def is_verifier_authorized(
        self, verifier: str, type_id: int, purpose_digest: bytes, claim_mask: int, t: int
    ) -> bool:
        """`verifiers.is_authorized`."""
        return self.verifiers.is_authorized(verifier, type_id, purpose_digest, claim_mask, t)

    # -- lens (Lens) -----------------------------------------------------------

    def check_credential(
        self, request: CheckRequest, *, block: str | int = "latest"
    ) -> CredentialCheck:
        """`lens.check_one`."""
        return self.lens.check_one(request, block=block)
