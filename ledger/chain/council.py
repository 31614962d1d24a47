"""The Council: typed builders for every admin action, the contract's client, and a helper that
runs an action through.

Every state change that needs the council is a proposal `(target, calldata)`; `CouncilActions`
builds them without I/O, `Council` (attached as `LedgerChain.council`) proposes, votes and
executes them and reads proposals, and `council_execute` proposes with the first member and
votes with the others until the proposal executes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.chain.core import ContractClient
from ledger.chain.deploy import Deployment, contract_abi
from ledger.chain.records import ZERO32, LegalBasis, ProposalInfo, ProposalOutcome
from ledger.chain.sender import Receipt, TxRequest
from ledger.errors import ChainError, ConfigError, ContractReverted, CouncilExecutionFailed

__all__ = ["ZERO32", "Council", "CouncilAction", "CouncilActions", "council_execute"]


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
        legal_basis: LegalBasis = LegalBasis.CONSENT,
    ) -> CouncilAction:
        """Register what `verifier` may request of `type_id` for a purpose, on `legal_basis`
        (CONSENT, the safe default: the citizen's consent is needed)."""
        return self.call(
            "VerifierRegistry",
            "registerVerifier",
            [
                verifier,
                type_id,
                purpose_digest,
                claim_mask,
                valid_from,
                valid_until,
                LegalBasis(legal_basis).code,
            ],
            f"register verifier {verifier} for type {type_id} ({LegalBasis(legal_basis)})",
        )

    def clear_data_service(self, type_id: int) -> CouncilAction:
        """Clear the data service published for `type_id` in the DataServiceDirectory."""
        return self.call(
            "DataServiceDirectory",
            "clearService",
            [type_id],
            f"clear the data service of type {type_id}",
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


class CouncilMember(Protocol):
    """Anything with a `council` client (a `LedgerChain`)."""

    @property
    def council(self) -> Council: ...


class Council(ContractClient):
    """The Council contract: proposals, votes (also signed, relayed by anyone) and members."""

    CONTRACT = "Council"

    def _outcome(self, receipt: Receipt, proposal_id: int | None) -> ProposalOutcome:
        council = self.abi
        address = self.address.lower()
        executed = False
        votes = 0
        failure: ChainError | None = None
        for log in receipt.logs:
            if str(log.get("address", "")).lower() != address:
                continue
            event = council.decode_event(log)
            if event.name == "ProposalCreated":
                proposal_id = int(event.args["id"])
            elif event.name == "ProposalVoted":
                votes = int(event.args["votes"])
            elif event.name == "ProposalExecuted":
                executed = True
                votes = int(event.args["votes"])
            elif event.name == "ProposalExecutionFailed":
                failure = self._core.decoder(bytes(event.args["reason"]))
        if proposal_id is None:
            raise ChainError(f"no ProposalCreated event in {receipt.tx_hash}")
        return ProposalOutcome(proposal_id, executed, votes, receipt, failure)

    def _council_tx(self, request: TxRequest, proposal_id: int | None) -> ProposalOutcome:
        try:
            receipt = self._core.transact(request)
        except CouncilExecutionFailed as exc:
            reason = exc.values.get("reason", b"")
            if isinstance(reason, bytes) and reason:
                raise self._core.decoder(reason) from exc
            raise
        return self._outcome(receipt, proposal_id)

    def dry_run(self, action: CouncilAction) -> ChainError | None:
        """What executing `action` now would raise (its decoded error), or None if it would
        succeed: an `eth_call` of the action as the Council itself, so nothing is sent.

        A proposal that fails now may still succeed later (e.g. accrediting an agency whose
        admission is another open proposal), so this informs rather than forbids.
        """
        try:
            self._core.rpc.eth_call(action.target, action.data, sender=self.address)
        except ContractReverted as exc:
            return self._core.decoder(exc.data)
        return None

    def propose(self, action: CouncilAction) -> ProposalOutcome:
        """Propose `action` (counts as this member's vote; executes at threshold 1).

        If it executes and its call reverts, the proposal and the vote stay:
        `execution_error` of the outcome holds the decoded inner error.
        """
        return self._council_tx(self._tx("propose", [action.target, action.data]), None)

    def vote(self, proposal_id: int) -> ProposalOutcome:
        """Vote for a proposal; executes it when the threshold is reached.

        A reverting call does not undo the vote: see `execution_error` of the outcome.
        """
        return self._council_tx(self._tx("vote", [proposal_id]), proposal_id)

    def execute(self, proposal_id: int) -> ProposalOutcome:
        """Execute a proposal that has the threshold of votes (a failed call, or a threshold
        lowered since its last vote); any member may.

        Raises `CouncilThresholdNotReached` below the threshold, and the decoded inner error
        (e.g. `TrustRegistryAgencyExists`, chained from `CouncilExecutionFailed`) if the call
        reverts, in which case nothing changes and the proposal stays open.
        """
        return self._council_tx(self._tx("execute", [proposal_id]), proposal_id)

    def execution_failure(self, proposal_id: int) -> ChainError | None:
        """Why the last execution of a proposal in a vote failed (the decoded inner error), or
        None if none failed: the `ProposalExecutionFailed` event of its `failed_block`."""
        block = self.proposal(proposal_id).failed_block
        if block == 0:
            return None
        council = self.abi
        logs = self._core.rpc.call(
            "eth_getLogs",
            [
                {
                    "address": self.address,
                    "fromBlock": hex(block),
                    "toBlock": hex(block),
                    "topics": [
                        "0x" + council.topic("ProposalExecutionFailed").hex(),
                        "0x" + proposal_id.to_bytes(32, "big").hex(),
                    ],
                }
            ],
        )
        if not logs:
            raise ChainError(
                f"proposal {proposal_id} failed in block {block}, but the node returned no "
                "ProposalExecutionFailed log for it (a pruned node?)"
            )
        event = council.decode_event(logs[-1])
        return self._core.decoder(bytes(event.args["reason"]))

    def sign_vote(self, proposal_id: int, deadline: int) -> bytes:
        """This member's EIP-712 signature of a vote, for anyone to relay (`vote_by_sig`).

        Signs `Vote(proposalId, member, nonce, deadline)` in the domain ("LedgerCouncil", "1",
        chain id, Council address) with the member's current nonce (one read).
        """
        if self._core.account is None:
            raise ConfigError("this LedgerChain has no account: it cannot sign")
        member = self._core.account.address
        signed = self._core.account.sign_typed_data(
            domain_data={
                "name": "LedgerCouncil",
                "version": "1",
                "chainId": self._core.rpc.chain_id,
                "verifyingContract": self.address,
            },
            message_types={
                "Vote": [
                    {"name": "proposalId", "type": "uint256"},
                    {"name": "member", "type": "address"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "deadline", "type": "uint256"},
                ]
            },
            message_data={
                "proposalId": proposal_id,
                "member": member,
                "nonce": self.vote_nonce(member),
                "deadline": deadline,
            },
        )
        return bytes(signed.signature)

    def vote_by_sig(
        self, proposal_id: int, member: str, deadline: int, signature: bytes
    ) -> ProposalOutcome:
        """Relay `member`'s signed vote (this account pays the gas)."""
        request = self._tx("voteBySig", [proposal_id, member, deadline, signature])
        return self._council_tx(request, proposal_id)

    def vote_nonce(self, member: str) -> int:
        """The next vote-signature nonce of `member`."""
        return int(self._view("voteNonce", [member]))

    def proposal(self, proposal_id: int) -> ProposalInfo:
        """A proposal (`CouncilUnknownProposal` if none)."""
        return self._record(ProposalInfo, "proposalOf", [proposal_id], proposal_id=proposal_id)

    def has_voted(self, proposal_id: int, member: str) -> bool:
        """Whether `member` voted on the proposal."""
        return bool(self._view("hasVoted", [proposal_id, member]))

    def members(self) -> list[str]:
        """Current council members."""
        return list(self._view("members", []))

    def is_member(self, account: str) -> bool:
        """Whether `account` sits on the council."""
        return bool(self._view("isMember", [account]))

    def proposal_count(self) -> int:
        """Number of proposals ever created (ids run 1..count)."""
        return int(self._view("proposalCount", []))

    def threshold(self) -> int:
        """Votes needed to execute a proposal."""
        return int(self._view("threshold", []))

    def proposal_lifetime(self) -> int:
        """Seconds a proposal stays open."""
        return int(self._view("proposalLifetime", []))


def council_execute(members: Sequence[CouncilMember], action: CouncilAction) -> ProposalOutcome:
    """Propose `action` with `members[0]` and vote with the others until it executes.

    Returns the outcome of the transaction that executed it. Raises `ConfigError` if the
    members run out before the threshold is reached; a failing call raises its decoded error
    (e.g. `TrustRegistryAgencyExists`). The votes cast stay on chain either way, and a
    proposal whose call failed stays open for `Council.execute`.
    """
    if not members:
        raise ConfigError("council_execute needs at least one member")
    outcome = members[0].council.propose(action)
    for member in members[1:]:
        if outcome.executed or outcome.execution_error is not None:
            break
        outcome = member.council.vote(outcome.proposal_id)
    if outcome.execution_error is not None:
        raise outcome.execution_error
    if not outcome.executed:
        raise ConfigError(
            f"proposal {outcome.proposal_id} did not reach the threshold with {len(members)} votes"
        )
    return outcome
