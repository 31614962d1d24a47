"""Council proposals: typed builders for every admin action, and a helper that runs one through.

Every state change that needs the council is a proposal `(target, calldata)`; `CouncilActions`
builds them without I/O, `LedgerChain.propose` / `vote` / `execute` submit them, and
`council_execute` proposes with the first member and votes with the others until the proposal
executes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.chain.deploy import Deployment, contract_abi
from ledger.errors import ConfigError

if TYPE_CHECKING:
    from ledger.chain.client import LedgerChain, ProposalOutcome

__all__ = ["ZERO32", "CouncilAction", "CouncilActions", "council_execute"]

#: 32 zero bytes (an absent digest, root or purpose).
ZERO32 = bytes(32)


@dataclass(frozen=True)
class CouncilAction:
    """One call for the council to make: `target` contract, `data` calldata, and a summary."""

    target: str
    data: bytes
    description: str


class CouncilActions:
    """Builders of `CouncilAction`s against one deployment (pure: no I/O)."""

    def __init__(self, deployment: Deployment) -> None:
        self._deployment = deployment

    def call(self, contract: str, fn: str, args: Sequence[Any], description: str) -> CouncilAction:
        """Any allowed call: `fn(*args)` on suite contract `contract`."""
        data = contract_abi(contract).encode_call(fn, list(args))
        return CouncilAction(self._deployment.address(contract), data, description)

    # -- agencies -----------------------------------------------------------------------------

    def admit_agency(
        self, agency: str, name: str, metadata_digest: bytes = ZERO32
    ) -> CouncilAction:
        """Admit `agency` (status None → Active)."""
        return self.call(
            "TrustRegistry",
            "admitAgency",
            [agency, name, metadata_digest],
            f"admit agency {name} ({agency})",
        )

    def suspend_agency(self, agency: str) -> CouncilAction:
        """Suspend an Active agency (its anchoring and its sub-accreditations pause)."""
        return self.call("TrustRegistry", "suspendAgency", [agency], f"suspend agency {agency}")

    def reinstate_agency(self, agency: str) -> CouncilAction:
        """Reinstate a Suspended agency."""
        return self.call("TrustRegistry", "reinstateAgency", [agency], f"reinstate {agency}")

    def remove_agency(self, agency: str) -> CouncilAction:
        """Remove an agency for good."""
        return self.call("TrustRegistry", "removeAgency", [agency], f"remove agency {agency}")

    # -- accreditation ------------------------------------------------------------------------

    def accredit(
        self,
        agency: str,
        type_id: int,
        *,
        valid_from: int = 0,
        valid_until: int = 0,
        authority: bool = False,
    ) -> CouncilAction:
        """Accredit `agency` for `type_id` (valid_from 0 = now, valid_until 0 = open-ended)."""
        return self.call(
            "TrustRegistry",
            "accredit",
            [agency, type_id, valid_from, valid_until, authority],
            f"accredit {agency} for type {type_id}" + (" as authority" if authority else ""),
        )

    def withdraw_accreditation(self, agency: str, type_id: int) -> CouncilAction:
        """Withdraw an accreditation (direct or sub-)."""
        return self.call(
            "TrustRegistry",
            "withdrawAccreditation",
            [agency, type_id],
            f"withdraw accreditation of {agency} for type {type_id}",
        )

    # -- types, verifiers, keys ---------------------------------------------------------------

    def register_type(
        self, vct: str, claim_names: Sequence[str], supersedes: int = 0
    ) -> CouncilAction:
        """Register a credential type (bit i of a claim mask = `claim_names[i]`)."""
        return self.call(
            "CredentialTypeRegistry",
            "registerType",
            [vct, list(claim_names), supersedes],
            f"register type {vct}",
        )

    def register_verifier(
        self,
        verifier: str,
        type_id: int,
        purpose_digest: bytes,
        claim_mask: int,
        *,
        valid_from: int = 0,
        valid_until: int = 0,
    ) -> CouncilAction:
        """Register what `verifier` may request of `type_id` for a purpose."""
        return self.call(
            "VerifierRegistry",
            "registerVerifier",
            [verifier, type_id, purpose_digest, claim_mask, valid_from, valid_until],
            f"register verifier {verifier} for type {type_id}",
        )

    def withdraw_verifier(
        self, verifier: str, type_id: int, purpose_digest: bytes
    ) -> CouncilAction:
        """Withdraw a verifier registration."""
        return self.call(
            "VerifierRegistry",
            "withdrawVerifier",
            [verifier, type_id, purpose_digest],
            f"withdraw verifier {verifier} for type {type_id}",
        )

    def revoke_key(self, kid: bytes) -> CouncilAction:
        """Emergency revocation of an agency key by the council."""
        return self.call("KeyRegistry", "revokeKey", [kid], f"revoke key 0x{kid.hex()}")

    # -- the council itself -------------------------------------------------------------------

    def add_member(self, member: str) -> CouncilAction:
        """Add a council member."""
        return self.call("Council", "addMember", [member], f"add member {member}")

    def remove_member(self, member: str) -> CouncilAction:
        """Remove a council member (the threshold must stay reachable)."""
        return self.call("Council", "removeMember", [member], f"remove member {member}")

    def set_threshold(self, threshold: int) -> CouncilAction:
        """Change the number of votes needed."""
        return self.call("Council", "setThreshold", [threshold], f"set threshold {threshold}")

    def set_proposal_lifetime(self, seconds: int) -> CouncilAction:
        """Change how long proposals stay open."""
        return self.call(
            "Council", "setProposalLifetime", [seconds], f"set proposal lifetime {seconds} s"
        )


def council_execute(members: Sequence[LedgerChain], action: CouncilAction) -> ProposalOutcome:
    """Propose `action` with `members[0]` and vote with the others until it executes.

    Returns the outcome of the transaction that executed it. Raises `ConfigError` if the
    members run out before the threshold is reached; a failing call raises its decoded error
    (e.g. `TrustRegistryAgencyExists`). The votes cast stay on chain either way, and a
    proposal whose call failed stays open for `LedgerChain.execute`.
    """
    if not members:
        raise ConfigError("council_execute needs at least one member")
    outcome = members[0].propose(action)
    for member in members[1:]:
        if outcome.executed or outcome.execution_error is not None:
            break
        outcome = member.vote(outcome.proposal_id)
    if outcome.execution_error is not None:
        raise outcome.execution_error
    if not outcome.executed:
        raise ConfigError(
            f"proposal {outcome.proposal_id} did not reach the threshold with {len(members)} votes"
        )
    return outcome
